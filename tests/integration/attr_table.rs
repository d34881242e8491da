//! One property test over the attribute table (`ATTRS`), not over a list of
//! attributes: for every row, a value of its kind is read from a Graph
//! user's JSON (a full read, with the row's key in `$select`, and a
//! `users/delta` overlay that sets and then clears it), diffed (missing or
//! different live values give exactly that change; the plan's simulation
//! applies it), exported and round-tripped (export → load → diff = no
//! change). A row added to the table that any step does not handle fails
//! here, with the row's key in the message.

use std::collections::HashMap;
use std::path::PathBuf;

use entraform::apply::request::{Ids, for_op};
use entraform::desired::attrs::{ATTRS, Attr, AttrInfo, AttrValue, Kind};
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::export::{ExportOptions, SplitBy, export};
use entraform::graph::dto::{USER_SELECT, UserDto};
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, RetryPolicy};
use entraform::live::delta::{fold_user_changes, fold_users};
use entraform::live::{Live, LiveUser, ReadOptions, read_live};
use entraform::model::{ObjectId, Upn};
use entraform::plan::diff::{diff, live_attr};
use entraform::plan::op::{GroupRef, UserRef};
use entraform::plan::{self, GateOverrides, Op, simulate};
use graph_emulator::seed::SeedUser;
use graph_emulator::{
    Emulator, EmulatorConfig, SYNTHETIC_CLIENT_ID, SYNTHETIC_CLIENT_SECRET, Seed, SyntheticSpec,
};
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::live_fixture::LiveFixture;

const PROBE_ID: &str = "00000000-0000-4000-8000-000000000001";
const BLANK_ID: &str = "00000000-0000-4000-8000-000000000002";
const PROBE: &str = "probe@contoso.com";
const BLANK: &str = "blank@contoso.com";

/// Object ids as the plan knows them (every probe user is live).
struct Known;
impl Ids for Known {
    fn user(&self, r: &UserRef) -> Option<ObjectId> {
        r.id.clone()
    }
    fn group(&self, r: &GroupRef) -> Option<ObjectId> {
        r.id.clone()
    }
}

/// Text of 1..=`max` characters (at most 40) that starts and ends with a
/// letter or digit and holds characters YAML must quote.
fn text(max: usize) -> BoxedStrategy<String> {
    let inner = max.saturating_sub(2).min(38);
    let edge = "[A-Za-z0-9éü]";
    if max < 2 {
        return proptest::string::string_regex(edge).unwrap().boxed();
    }
    proptest::string::string_regex(&format!(
        "{edge}([A-Za-z0-9éü .,:#'\"&/()@!-]{{0,{inner}}}{edge})?"
    ))
    .unwrap()
    .boxed()
}

/// A value of `kind` in the form Graph stores it. Exhaustive over [`Kind`]:
/// a new kind cannot be added without saying here what its values look like.
fn value_for(kind: Kind) -> BoxedStrategy<AttrValue> {
    match kind {
        Kind::Text { max } => text(max).prop_map(AttrValue::Text).boxed(),
        // Never the nickname derived from either UPN (`probe`, `blank`).
        Kind::MailNickname => "n[a-z0-9._-]{0,20}".prop_map(AttrValue::Text).boxed(),
        Kind::Date => (1900u32..2100, 1u32..=12, 1u32..=28, 0u32..24, 0u32..60)
            .prop_map(|(y, m, d, h, mi)| {
                AttrValue::Text(format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:00Z"))
            })
            .boxed(),
        Kind::CountryCode => prop::sample::select(vec!["US", "DE", "FR", "NO", "JP", "GB"])
            .prop_map(AttrValue::from)
            .boxed(),
        Kind::Language => prop::sample::select(vec!["en", "en-US", "fr-CA", "de", "zh-Hant-TW"])
            .prop_map(AttrValue::from)
            .boxed(),
        Kind::Phones { max_items } => {
            prop::collection::vec("\\+[1-9][0-9]{0,2} [0-9]{3} [0-9]{4}", 1..=max_items.max(1))
                .prop_map(AttrValue::List)
                .boxed()
        }
        Kind::Emails => prop::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.(com|org)", 1..=3)
            .prop_map(AttrValue::List)
            .boxed(),
        Kind::OneOf { values } => prop::sample::select(values.to_vec())
            .prop_map(AttrValue::from)
            .boxed(),
        Kind::ImmutableId => "[A-Za-z0-9+/]{22}==".prop_map(AttrValue::Text).boxed(),
    }
}

/// One value per row of the table, in table order.
fn row_values() -> impl Strategy<Value = Vec<AttrValue>> {
    ATTRS
        .iter()
        .map(|info| value_for(info.kind))
        .collect::<Vec<_>>()
}

fn to_json(v: &AttrValue) -> Value {
    match v {
        AttrValue::Text(t) => json!(t),
        AttrValue::List(l) => json!(l),
    }
}

/// Graph's JSON for a user: every row's key with its value, or `null`/`[]`
/// (as Graph returns an unset property) when `values` is `None`.
fn graph_user(id: &str, upn: &str, values: Option<&[AttrValue]>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(id));
    m.insert("userPrincipalName".into(), json!(upn));
    m.insert("accountEnabled".into(), json!(true));
    m.insert("onPremisesSyncEnabled".into(), Value::Null);
    for (i, info) in ATTRS.iter().enumerate() {
        let v = match values {
            Some(vals) => to_json(&vals[i]),
            None if info.attr.is_list() => json!([]),
            None => Value::Null,
        };
        put(&mut m, info, v);
    }
    Value::Object(m)
}

/// Put a row's JSON into a Graph object as Graph shapes it: under its key,
/// or as a member of its object-valued property (`employeeOrgData`), which
/// Graph returns as `null` when no member is set.
fn put(m: &mut serde_json::Map<String, Value>, info: &AttrInfo, v: Value) {
    match info.member {
        None => {
            m.insert(info.key.into(), v);
        }
        Some(member) => {
            let slot = m.entry(info.property).or_insert(Value::Null);
            if !slot.is_object() {
                *slot = json!({});
            }
            slot[member] = v;
            if slot
                .as_object()
                .is_some_and(|o| o.values().all(Value::is_null))
            {
                *slot = Value::Null;
            }
        }
    }
}

/// The live tenant as the reader builds it from Graph's JSON of `users`.
fn read(users: Vec<Value>) -> HashMap<ObjectId, LiveUser> {
    let dtos: Vec<UserDto> = users
        .into_iter()
        .map(|u| serde_json::from_value(u).expect("a Graph user reads"))
        .collect();
    let mut map = HashMap::new();
    fold_users(&mut map, dtos);
    map
}

fn live_of(users: &HashMap<ObjectId, LiveUser>) -> Live {
    let mut users: Vec<LiveUser> = users.values().cloned().collect();
    users.sort_by(|a, b| a.id.0.cmp(&b.id.0));
    LiveFixture {
        users,
        ..LiveFixture::default()
    }
    .build()
}

fn probe(live: &Live) -> &LiveUser {
    live.user_by_upn(PROBE).expect("the probe user is read")
}

fn with_probe(live: &Live, f: impl FnOnce(&mut LiveUser)) -> Live {
    let mut parts = live.parts().clone();
    if let Some(u) = parts.users.iter_mut().find(|u| u.upn.as_str() == PROBE) {
        f(u);
    }
    Live::from_parts(parts)
}

/// A value of the same shape that differs from `v`.
fn other(v: &AttrValue) -> AttrValue {
    match v {
        AttrValue::Text(t) => AttrValue::Text(format!("{t}x")),
        AttrValue::List(l) => AttrValue::List(l.iter().map(|s| format!("x{s}")).collect()),
    }
}

fn check_table(values: &[AttrValue]) -> Result<(), TestCaseError> {
    // The generator gives each row a value its kind accepts unchanged.
    for (info, v) in ATTRS.iter().zip(values) {
        let checked = info.kind.check(v).map_err(|e| {
            TestCaseError::fail(format!(
                "{}: generated {v:?} fails its check: {e:?}",
                info.key
            ))
        })?;
        prop_assert_eq!(&*checked, v, "{}: generated value is not normal", info.key);
    }

    // Readable: Graph returns the row (it is in `$select`) and the reader keeps it.
    let users = read(vec![
        graph_user(PROBE_ID, PROBE, Some(values)),
        graph_user(BLANK_ID, BLANK, None),
    ]);
    let live = live_of(&users);
    let blank = live.user_by_upn(BLANK).expect("the blank user is read");
    for (info, v) in ATTRS.iter().zip(values) {
        prop_assert!(
            USER_SELECT.contains(&info.property),
            "{} is not in $select",
            info.key
        );
        prop_assert_eq!(
            live_attr(probe(&live), info.attr),
            Some(v.clone()),
            "{} is not read from Graph's JSON",
            info.key
        );
        prop_assert_eq!(
            probe(&live).attribute(info.key),
            Some(to_json(v)),
            "{} is not reported by its Graph name",
            info.key
        );
        prop_assert_eq!(
            live_attr(blank, info.attr),
            None,
            "{} is set from null",
            info.key
        );
    }

    // Readable through a delta round: an item carrying only this row sets it
    // and keeps the others; an item carrying `null` clears it.
    for (info, v) in ATTRS.iter().zip(values) {
        let mut map = users.clone();
        let mut item = json!({ "id": BLANK_ID });
        if let Value::Object(m) = &mut item {
            put(m, info, to_json(v));
        }
        fold_user_changes(&mut map, vec![item]).expect("an unambiguous round");
        let u = &map[&ObjectId(BLANK_ID.into())];
        for other_info in ATTRS {
            let want = (other_info.attr == info.attr).then(|| v.clone());
            prop_assert_eq!(
                live_attr(u, other_info.attr),
                want,
                "delta item of {} leaves {} wrong",
                info.key,
                other_info.key
            );
        }
        let mut map = users.clone();
        // A member is cleared with its object (Graph returns it whole).
        let item = json!({ "id": PROBE_ID, info.property: Value::Null });
        fold_user_changes(&mut map, vec![item]).expect("an unambiguous round");
        let u = &map[&ObjectId(PROBE_ID.into())];
        prop_assert_eq!(
            live_attr(u, info.attr),
            None,
            "delta null does not clear {}",
            info.key
        );
    }

    // Exportable and round-trippable: export → load → diff = no change, and
    // the loaded repo declares every row's value.
    let opts = ExportOptions {
        split_by: SplitBy::None,
        ..ExportOptions::default()
    };
    let out = export(&live, &opts).expect("export");
    let all: String = out
        .files
        .iter()
        .map(|f| format!("--- {}\n{}", f.path, f.text))
        .collect();
    let texts = out
        .files
        .iter()
        .map(|f| (PathBuf::from(&f.path), f.text.clone()))
        .collect();
    let loaded = load_texts(texts, &mut SourceMap::default(), Vec::new());
    let desired = match loaded.result {
        Ok((d, _)) => d,
        Err(d) => {
            return Err(TestCaseError::fail(format!(
                "export does not load: {d:#?}\n{all}"
            )));
        }
    };
    let spec = desired
        .users
        .get(&Upn::new_unchecked(PROBE))
        .ok_or_else(|| TestCaseError::fail(format!("probe not exported\n{all}")))?;
    for (info, v) in ATTRS.iter().zip(values) {
        prop_assert_eq!(
            spec.attributes.get(&info.attr),
            Some(&Some(v.clone())),
            "{} is not exported as it is live\n{}",
            info.key,
            all
        );
    }
    let d = diff(&desired, &live);
    prop_assert!(
        d.ops.is_empty() && d.errors.is_empty(),
        "round trip is not empty: {:#?} {:#?}\n{}",
        d.ops,
        d.errors,
        all
    );

    // Diffable: a live value that is missing or different gives exactly that
    // change, and the plan's simulation of it gives back the desired state.
    for (info, v) in ATTRS.iter().zip(values) {
        for live_value in [None, Some(other(v))] {
            let changed = with_probe(&live, |u| u.set(info.attr, live_value.clone()));
            let d = diff(&desired, &changed);
            let changes: Vec<_> = d
                .ops
                .iter()
                .filter_map(|op| match op {
                    Op::UpdateUser { user, changes, .. } if user.upn.as_str() == PROBE => Some(
                        changes
                            .iter()
                            .map(|c| (c.attr, c.old.clone(), c.new.clone())),
                    ),
                    _ => None,
                })
                .flatten()
                .collect();
            let want: Vec<(Attr, Option<AttrValue>, Option<AttrValue>)> =
                vec![(info.attr, live_value.clone(), Some(v.clone()))];
            prop_assert_eq!(changes, want, "{} is not diffed", info.key);
            let p = plan::build(&desired, &changed, &GateOverrides::default());
            let after = simulate::apply(&changed, &p.steps);
            prop_assert_eq!(
                live_attr(probe(&after), info.attr),
                Some(v.clone()),
                "the plan's simulation does not set {}",
                info.key
            );
            // The PATCH sends the value under its Graph property; a member
            // of an object Graph replaces whole goes with its siblings' live
            // values (here: the desired ones, which the probe holds).
            let body = d
                .ops
                .iter()
                .find(|op| matches!(op, Op::UpdateUser { .. }))
                .and_then(|op| for_op(op, &Known, "https://graph.microsoft.com/v1.0", None).ok())
                .and_then(|r| r.body)
                .unwrap_or(Value::Null);
            for (sib, sv) in ATTRS.iter().zip(values) {
                let want = if sib.attr == info.attr {
                    to_json(v)
                } else if sib.member.is_some() && sib.property == info.property {
                    to_json(sv)
                } else {
                    continue;
                };
                let got = match sib.member {
                    Some(m) => body[sib.property][m].clone(),
                    None => body[sib.key].clone(),
                };
                prop_assert_eq!(
                    got,
                    want,
                    "the PATCH of {} does not carry {}: {}",
                    info.key,
                    sib.key,
                    body
                );
            }
        }
    }
    Ok(())
}

/// The tenant as the live reader reads it over HTTP from the emulator (which
/// keeps its own Graph schema) seeded with the probe user holding `values`.
fn read_over_http(values: &[AttrValue]) -> Live {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut seed = Seed::synthetic(SyntheticSpec {
            users: 1,
            groups: 0,
            memberships: 0,
            rng_seed: 7,
        });
        let mut properties = match graph_user(PROBE_ID, PROBE, Some(values)) {
            Value::Object(m) => m,
            _ => unreachable!("graph_user builds an object"),
        };
        properties.remove("id");
        properties.remove("onPremisesSyncEnabled");
        seed.users.push(SeedUser {
            id: Some(PROBE_ID.into()),
            manager: None,
            properties,
        });
        let emu = Emulator::serve(seed, EmulatorConfig::default())
            .await
            .expect("the emulator takes the seed");
        let auth = AuthConfig {
            tenant_id: emu.tenant_id(),
            client_id: SYNTHETIC_CLIENT_ID.into(),
            cloud: Cloud::custom(emu.base_url()).expect("a cloud"),
            credential: Credential::Secret(SecretString::from(SYNTHETIC_CLIENT_SECRET)),
        };
        let options = ClientOptions {
            retry: RetryPolicy::fast(),
            ..ClientOptions::default()
        };
        let client = GraphClient::new(auth, options).expect("a client");
        read_live(&client, &ReadOptions::default())
            .await
            .expect("the tenant reads")
    })
}

proptest! {
    #![proptest_config(crate::proptest_support::config(32))]

    #[test]
    fn every_row_of_the_table_is_read_diffed_exported_and_round_tripped(values in row_values()) {
        check_table(&values)?;
    }
}

proptest! {
    #![proptest_config(crate::proptest_support::config(4))]

    /// Over HTTP: `$select` asks for every row, the emulator returns it and
    /// the reader keeps it.
    #[test]
    fn every_row_of_the_table_is_read_from_the_emulator(values in row_values()) {
        let live = read_over_http(&values);
        for (info, v) in ATTRS.iter().zip(&values) {
            prop_assert_eq!(
                live_attr(probe(&live), info.attr),
                Some(v.clone()),
                "{} is not read over HTTP",
                info.key
            );
        }
    }
}

/// docs/format.md's attribute table has a row for every row of the table
/// (the JSON Schema is derived from the table and checked in `schema`).
#[test]
fn the_format_docs_list_every_row_of_the_table() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/format.md"))
        .expect("docs/format.md");
    for info in ATTRS {
        let row = format!("| `{}` | `{}` |", info.key, info.key);
        assert!(
            docs.contains(&row),
            "docs/format.md has no attribute row for {}",
            info.key
        );
    }
}
