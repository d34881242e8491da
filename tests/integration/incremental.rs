//! Incremental reads (`--state-dir`) against the emulator over HTTP: after
//! random changes made through Graph, "snapshot + delta" gives the same tenant
//! and the same plan as a full read, in a handful of requests; expired delta
//! links and old, foreign or damaged snapshots fall back to a full read.

use crate::emulator_client::client_at;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use entraform::desired::DesiredState;
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::graph::{Credential, GraphClient};
use entraform::live::store::{LINKS_FILE, SNAPSHOT_FILE};
use entraform::live::{
    Incremental, Live, MembershipStrategy, ReadMode, ReadOptions, ResyncReason, read_live,
};
use entraform::plan::{self, GateOverrides};
use graph_emulator::{
    EmulatorConfig, SYNTHETIC_CLIENT_ID, SYNTHETIC_CLIENT_SECRET, Seed, SyntheticSpec,
};
use serde_json::{Value, json};

use crate::emulator_support::{Env, start_with};
use crate::scratch::Scratch;

fn client(env: &Env) -> GraphClient {
    client_at(
        env.emu.base_url(),
        &env.emu.tenant_id(),
        SYNTHETIC_CLIENT_ID,
        Credential::Secret(SYNTHETIC_CLIENT_SECRET.into()),
        true,
    )
}

/// The emulator as strict as Graph allows: delta rounds after a token carry
/// only `id` and the changed properties, in a shuffled order (and `$batch`
/// items run in a random order, the default).
fn strict() -> EmulatorConfig {
    EmulatorConfig {
        delta_minimal: true,
        ..EmulatorConfig::default()
    }
}

fn incremental(dir: &Path) -> ReadOptions {
    ReadOptions {
        incremental: Some(Incremental {
            state_dir: dir.to_path_buf(),
            full_read_after: Duration::from_secs(3600),
            force_full: false,
        }),
        ..ReadOptions::default()
    }
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        (!v.is_empty()).then(|| &v[self.below(v.len())])
    }
}

fn dir_ref(env: &Env, id: &str) -> Value {
    json!({ "@odata.id": format!("{}/directoryObjects/{id}", env.emu.graph_url()) })
}

/// `n` random changes through Graph, of every kind the reader tracks: user
/// properties, enable/disable, manager set and removed, memberships added and
/// removed, users created, soft-deleted, restored and purged, groups created,
/// renamed and deleted. Writes Graph refuses (a dynamic group, a member twice)
/// are simply skipped.
async fn random_changes(env: &Env, rng: &mut Rng, n: usize, round: usize) -> usize {
    let mut done = 0;
    for i in 0..n {
        let state = env.emu.state();
        let users: Vec<String> = state.users.iter().filter_map(|u| u.id.clone()).collect();
        let groups: Vec<String> = state.groups.iter().filter_map(|g| g.id.clone()).collect();
        let deleted: Vec<String> = state
            .deleted_users
            .iter()
            .filter_map(|u| u.id.clone())
            .collect();
        let (Some(u), Some(v)) = (rng.pick(&users).cloned(), rng.pick(&users).cloned()) else {
            return done;
        };
        let g = rng.pick(&groups).cloned();
        match rng.below(14) {
            0 | 1 => {
                let title = if rng.below(4) == 0 {
                    Value::Null
                } else {
                    json!(format!("Title {}", rng.below(50)))
                };
                done += usize::from(
                    (env.send(
                        "PATCH",
                        &format!("/users/{u}"),
                        json!({ "jobTitle": title, "city": format!("City {}", rng.below(9)) }),
                    )
                    .await)
                        .status
                        < 300,
                );
            }
            2 => {
                let enabled = rng.below(2) == 0;
                done += usize::from(
                    (env.send(
                        "PATCH",
                        &format!("/users/{u}"),
                        json!({ "accountEnabled": enabled }),
                    )
                    .await)
                        .status
                        < 300,
                );
            }
            3 | 4 => {
                done += usize::from(
                    (env.call(
                        "PUT",
                        &format!("/users/{u}/manager/$ref"),
                        Some(dir_ref(env, &v)),
                        &[],
                    )
                    .await)
                        .status
                        < 300,
                );
            }
            5 => {
                done += usize::from(
                    (env.delete(&format!("/users/{u}/manager/$ref")).await).status < 300,
                );
            }
            6 if groups.len() > 1 => {
                // A group as a member of another (nested).
                if let (Some(g), Some(h)) = (g, rng.pick(&groups).cloned())
                    && g != h
                {
                    done += usize::from(
                        (env.send(
                            "POST",
                            &format!("/groups/{g}/members/$ref"),
                            dir_ref(env, &h),
                        )
                        .await)
                            .status
                            < 300,
                    );
                }
            }
            6 | 7 => {
                if let Some(g) = g {
                    done += usize::from(
                        (env.send(
                            "POST",
                            &format!("/groups/{g}/members/$ref"),
                            dir_ref(env, &u),
                        )
                        .await)
                            .status
                            < 300,
                    );
                }
            }
            8 => {
                if let Some(g) = g {
                    let members = &state
                        .groups
                        .iter()
                        .find(|x| x.id.as_ref() == Some(&g))
                        .unwrap()
                        .members;
                    if let Some(m) = rng.pick(members) {
                        done += usize::from(
                            (env.delete(&format!("/groups/{g}/members/{m}/$ref")).await).status
                                < 300,
                        );
                    }
                }
            }
            9 => {
                let nick = format!("new{round}x{i}");
                done += usize::from((env.send(
                    "POST",
                    "/users",
                    json!({
                        "accountEnabled": true, "displayName": format!("New {round} {i}"),
                        "mailNickname": nick, "userPrincipalName": format!("{nick}@contoso.com"),
                        "department": "Intake",
                        "passwordProfile": { "password": "Initial-Pass-123!", "forceChangePasswordNextSignIn": true }
                    }),
                ).await).status < 300);
            }
            10 => {
                done += usize::from((env.delete(&format!("/users/{u}")).await).status < 300);
            }
            11 => {
                if let Some(d) = rng.pick(&deleted) {
                    if rng.below(3) == 0 {
                        done += usize::from(
                            (env.delete(&format!("/directory/deletedItems/{d}")).await).status
                                < 300,
                        );
                    } else {
                        done += usize::from(
                            (env.send(
                                "POST",
                                &format!("/directory/deletedItems/{d}/restore"),
                                json!({}),
                            )
                            .await)
                                .status
                                < 300,
                        );
                    }
                }
            }
            12 => {
                if let Some(g) = g {
                    done += usize::from(
                        (env.send(
                            "PATCH",
                            &format!("/groups/{g}"),
                            json!({ "description": format!("Round {round}") }),
                        )
                        .await)
                            .status
                            < 300,
                    );
                }
            }
            _ => {
                if rng.below(2) == 0 {
                    let nick = format!("grp{round}x{i}");
                    done += usize::from((env.send(
                        "POST",
                        "/groups",
                        json!({ "displayName": format!("Group {round} {i}"), "mailEnabled": false,
                                "mailNickname": nick, "securityEnabled": true }),
                    ).await).status < 300);
                } else if let Some(g) = g {
                    done += usize::from((env.delete(&format!("/groups/{g}")).await).status < 300);
                }
            }
        }
    }
    done
}

/// Many membership changes to one group, so that with a small
/// `delta_member_cap` its item is split over several pages of the round.
async fn burst(env: &Env, rng: &mut Rng) -> usize {
    let state = env.emu.state();
    let Some(g) = state
        .groups
        .iter()
        .find(|g| !g.properties.contains_key("membershipRule") && g.members.len() > 10)
    else {
        return 0;
    };
    let gid = g.id.clone().unwrap_or_default();
    let mut done = 0;
    for m in g.members.iter().take(6) {
        done += usize::from(
            env.delete(&format!("/groups/{gid}/members/{m}/$ref"))
                .await
                .status
                < 300,
        );
    }
    let users: Vec<String> = state.users.iter().filter_map(|u| u.id.clone()).collect();
    for _ in 0..6 {
        if let Some(u) = rng.pick(&users) {
            done += usize::from(
                env.send(
                    "POST",
                    &format!("/groups/{gid}/members/$ref"),
                    dir_ref(env, u),
                )
                .await
                .status
                    < 300,
            );
        }
    }
    done
}

/// A repo declaring the first 40 users of the seed with a few attributes and
/// memberships of the first groups, so plans have steps of several kinds.
fn repo(seed: &Seed) -> DesiredState {
    let mut y = String::from(
        "tenant:\n  domain: contoso.com\n  scope:\n    users: all\n  absent_users: disable\n  safety:\n    max_changes: 100000\n    max_disables: 100000\nusers:\n",
    );
    let upns: Vec<String> = seed
        .users
        .iter()
        .take(40)
        .map(|u| {
            u.properties["userPrincipalName"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for (i, upn) in upns.iter().enumerate() {
        let _ = write!(
            y,
            "  - upn: {upn}\n    displayName: Person {i}\n    jobTitle: Title {}\n    city: City {}\n",
            i % 50,
            i % 9
        );
        if i > 0 {
            let _ = writeln!(y, "    manager: {}", upns[i / 2]);
        }
    }
    y.push_str("groups:\n");
    for g in seed
        .groups
        .iter()
        .filter(|g| !g.properties.contains_key("membershipRule"))
        .take(3)
    {
        let name = g.properties["displayName"].as_str().unwrap();
        let _ = writeln!(
            y,
            "  - name: {name}\n    members: [{}]",
            upns[..10].join(", ")
        );
    }
    let loaded = load_texts(
        vec![(PathBuf::from("repo.yaml"), y)],
        &mut SourceMap::default(),
        Vec::new(),
    );
    loaded.result.expect("valid repo").0
}

/// Everything the diff reads from users and groups, and the plan.
fn assert_same(full: &Live, inc: &Live, desired: &DesiredState, what: &str) {
    assert_eq!(full.users().len(), inc.users().len(), "{what}: user count");
    for (a, b) in full.users().iter().zip(inc.users()) {
        assert_eq!(a, b, "{what}: user differs");
    }
    assert_eq!(full.groups(), inc.groups(), "{what}: groups differ");
    let p = |live: &Live| plan::build(desired, live, &GateOverrides::default());
    let (a, b) = (p(full), p(inc));
    assert!(
        !a.steps.is_empty(),
        "{what}: the plan has no steps to compare"
    );
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        serde_json::to_value(&b).unwrap(),
        "{what}: plans differ"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_reads_equal_full_reads_after_random_changes() {
    let seed = Seed::synthetic(SyntheticSpec {
        users: 400,
        groups: 30,
        memberships: 2_000,
        rng_seed: 9,
    });
    let desired = repo(&seed);
    let config = EmulatorConfig {
        delta_member_cap: 5, // a group's members split over several items, also in later rounds
        ..strict()
    };
    let env = start_with(seed, config).await;
    let c = client(&env);
    let state = Scratch::new("incremental");
    let first = read_live(&c, &incremental(&state))
        .await
        .expect("first read");
    assert_eq!(
        first.stats().mode,
        ReadMode::Resync(ResyncReason::NoSnapshot)
    );
    let full = read_live(&c, &ReadOptions::default())
        .await
        .expect("full read");
    assert_same(&full, &first, &desired, "first round");

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..6 {
        let done = random_changes(&env, &mut rng, 40, round).await + burst(&env, &mut rng).await;
        assert!(done >= 25, "round {round}: only {done} changes applied");
        let before = c.counters();
        let inc = read_live(&c, &incremental(&state))
            .await
            .expect("incremental read");
        let requests = c.counters().since(&before).http_requests;
        assert_eq!(inc.stats().mode, ReadMode::Incremental, "round {round}");
        // users/delta, groups/delta (a few pages: members split 5 per item),
        // role definitions, role assignments, deleted users, administrative units.
        assert!(requests <= 10, "round {round}: {requests} requests");
        let full = read_live(&c, &ReadOptions::default())
            .await
            .expect("full read");
        assert_same(&full, &inc, &desired, &format!("round {round}"));
        // Also against memberships read without delta at all.
        let batch = ReadOptions {
            membership: MembershipStrategy::Batch,
            ..ReadOptions::default()
        };
        let listed = read_live(&c, &batch).await.expect("full read via $batch");
        assert_same(&listed, &inc, &desired, &format!("round {round}, $batch"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_links_and_unusable_snapshots_fall_back_to_a_full_read() {
    let seed = Seed::synthetic(SyntheticSpec {
        users: 120,
        groups: 8,
        memberships: 300,
        rng_seed: 4,
    });
    let desired = repo(&seed);
    let env = start_with(seed, strict()).await;
    let c = client(&env);
    let state = Scratch::new("incremental-fallback");
    let mut rng = Rng(42);
    let mode = |live: &Live| live.stats().mode;

    read_live(&c, &incremental(&state)).await.unwrap();
    let data_before = std::fs::read(state.join(SNAPSHOT_FILE)).unwrap();
    assert_eq!(
        mode(&read_live(&c, &incremental(&state)).await.unwrap()),
        ReadMode::Incremental
    );
    assert_eq!(
        std::fs::read(state.join(SNAPSHOT_FILE)).unwrap(),
        data_before,
        "a round without changes rewrites only the links"
    );

    // Graph forgets the links (7 days, or internal resync): 400 syncStateNotFound.
    random_changes(&env, &mut rng, 15, 0).await;
    env.emu.expire_delta_tokens();
    let inc = read_live(&c, &incremental(&state)).await.unwrap();
    assert_eq!(mode(&inc), ReadMode::Resync(ResyncReason::DeltaExpired));
    let full = read_live(&c, &ReadOptions::default()).await.unwrap();
    assert_same(&full, &inc, &desired, "after expired links");
    // A synchronization reset: 410 Gone.
    random_changes(&env, &mut rng, 10, 2).await;
    env.emu.reset_delta_tokens_gone();
    let inc = read_live(&c, &incremental(&state)).await.unwrap();
    assert_eq!(mode(&inc), ReadMode::Resync(ResyncReason::DeltaExpired));
    let full = read_live(&c, &ReadOptions::default()).await.unwrap();
    assert_same(&full, &inc, &desired, "after 410 Gone");
    assert_eq!(
        mode(&read_live(&c, &incremental(&state)).await.unwrap()),
        ReadMode::Incremental
    );

    // The last full read is older than --full-read-after.
    let file = state.join(LINKS_FILE);
    let mut snap: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    snap["fullReadAt"] = json!(0);
    std::fs::write(&file, serde_json::to_vec(&snap).unwrap()).unwrap();
    assert_eq!(
        mode(&read_live(&c, &incremental(&state)).await.unwrap()),
        ReadMode::Resync(ResyncReason::TooOld)
    );

    // Another tenant's snapshot is never continued.
    let mut snap: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    snap["tenant"]["tenantId"] = json!("another-tenant");
    std::fs::write(&file, serde_json::to_vec(&snap).unwrap()).unwrap();
    assert_eq!(
        mode(&read_live(&c, &incremental(&state)).await.unwrap()),
        ReadMode::Resync(ResyncReason::Mismatch)
    );

    // A damaged data file, and an explicit --full-read.
    std::fs::write(state.join(SNAPSHOT_FILE), b"{\"format\": 1, \"users\": [").unwrap();
    assert_eq!(
        mode(&read_live(&c, &incremental(&state)).await.unwrap()),
        ReadMode::Resync(ResyncReason::Unreadable)
    );
    let mut forced = incremental(&state);
    if let Some(i) = forced.incremental.as_mut() {
        i.force_full = true;
    }
    assert_eq!(
        mode(&read_live(&c, &forced).await.unwrap()),
        ReadMode::Resync(ResyncReason::Forced)
    );

    // After all that, the incremental state still matches the tenant.
    random_changes(&env, &mut rng, 15, 1).await;
    let inc = read_live(&c, &incremental(&state)).await.unwrap();
    assert_eq!(mode(&inc), ReadMode::Incremental);
    let full = read_live(&c, &ReadOptions::default()).await.unwrap();
    assert_same(&full, &inc, &desired, "at the end");
}

/// A large group's members split over pages resume after the last member
/// shown (by id): removing an earlier member between two pages of a round
/// does not make the emulator skip one still there.
#[tokio::test]
async fn split_members_resume_by_id_when_members_change_between_pages() {
    let seed = Seed::synthetic(SyntheticSpec {
        users: 60,
        groups: 1,
        memberships: 40,
        rng_seed: 5,
    });
    let config = EmulatorConfig {
        delta_member_cap: 10,
        ..strict()
    };
    let env = start_with(seed, config).await;
    let state = env.emu.state();
    let g = &state.groups[0];
    let gid = g.id.clone().unwrap();
    let mut all: Vec<String> = g.members.clone();
    all.sort();
    assert_eq!(all.len(), 40);

    let first = env.get("/groups/delta?$select=displayName,members").await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let ids = |body: &Value| -> Vec<String> {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["members@delta"].as_array().cloned().unwrap_or_default())
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut seen = ids(&first.body);
    assert_eq!(seen, all[..10], "the first 10 members, by id");
    // Someone removes the first member before the next page is read.
    let r = env
        .delete(&format!("/groups/{gid}/members/{}/$ref", all[0]))
        .await;
    assert_eq!(r.status, 204);
    let mut next = first.body["@odata.nextLink"].as_str().map(str::to_string);
    while let Some(link) = next {
        let page = env.get(&link).await;
        seen.extend(ids(&page.body));
        next = page.body["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(seen, all, "every member listed once, none skipped");
}
