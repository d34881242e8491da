//! The live reader: the whole tenant in a handful of bulk listings run
//! concurrently.
//!
//! | what | request | HTTP requests |
//! |---|---|---|
//! | users + manager | `GET /users?$select=…&$expand=manager&$top=999` | ⌈U/999⌉ |
//! | groups + members + owners | `GET /groups/delta?$select=…,members,owners` | delta pages |
//! | (or) | `GET /groups?$top=999` + `/groups/{id}/members` and `/owners` in `$batch` | ⌈G/999⌉ + 2⌈G/20⌉ + … |
//! | role definitions | `GET /roleManagement/directory/roleDefinitions` | 1 |
//! | role assignments | `GET …/roleAssignments?$filter=directoryScopeId eq '/'` | pages |
//! | deleted users | `GET /directory/deletedItems/microsoft.graph.user?$top=999` | ⌈D/999⌉ |
//! | administrative units | `GET /directory/administrativeUnits?$select=id,displayName,isMemberManagementRestricted&$top=999` | ⌈A/999⌉ |
//! | restricted units' members | `/directory/administrativeUnits/{id}/members?$select=id&$top=999` in `$batch` | ⌈Aᵣ/20⌉ (0 when Aᵣ = 0) |
//! | PIM eligibilities | `GET …/roleEligibilityScheduleInstances?$select=…` | pages (1 below Graph's page size) |
//! | PIM active assignments | `GET …/roleAssignmentScheduleInstances?$select=…` | pages (1 below Graph's page size) |
//! | running principal | the token's `oid` claim | 0 |
//!
//! With [`Incremental`] (`--state-dir`), users and groups come instead from
//! the state directory's snapshot plus one `users/delta` and one
//! `groups/delta` round from its delta links (1 request each for a few
//! hundred changes); the rest is read as above.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::graph::dto::{
    AdminUnitDto, DirectoryObjectRef, GROUP_SELECT, GroupDto, RoleAssignmentDto, RoleDefinitionDto,
    RoleScheduleInstanceDto, ServicePrincipalDto, USER_SELECT, UserDto,
};
use crate::graph::error::GraphError;
use crate::graph::{GraphClient, ListResult, Request};
use crate::model::ObjectId;
use crate::model::op::Holding;

use super::delta;
use super::permissions::{self, ReadStep};
use super::progress::ReadProgress;
use super::store::{self, ReadMode, ResyncReason, TenantKey};
use crate::model::live::{
    AdminUnit, DeletedUser, Live, LiveGroup, LiveParts, LiveRoleAssignment, LiveRoleDefinition,
    LiveRoleSchedule, LiveUser, ReadStats, RestrictedUnit, RunningPrincipal,
};

/// How group memberships are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MembershipStrategy {
    /// One `groups/delta` listing with `members`: groups and members together.
    /// The default: measured cheaper (see docs/decisions.md).
    #[default]
    Delta,
    /// `GET /groups` then every group's `/members` packed 20 per `$batch`.
    Batch,
}

/// What to read and how.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// How memberships are read (full reads without a state directory).
    pub membership: MembershipStrategy,
    /// Skip deleted users (saves ⌈D/999⌉ requests when restore is not wanted).
    pub skip_deleted_users: bool,
    /// Read users and groups incrementally from a snapshot in a state directory.
    pub incremental: Option<Incremental>,
    /// Counted as pages of users and groups arrive, for a progress display.
    pub progress: Option<Arc<ReadProgress>>,
}

/// Where a read counts the objects it receives (nowhere without a display).
#[derive(Clone, Copy)]
struct Tally<'a>(Option<&'a ReadProgress>);

impl<'a> Tally<'a> {
    fn of(options: &'a ReadOptions) -> Tally<'a> {
        Tally(options.progress.as_deref())
    }
    fn users(self) -> impl Fn(usize) + Send + Sync + 'a {
        move |n| {
            if let Some(p) = self.0 {
                p.add_users(n);
            }
        }
    }
    fn groups(self) -> impl Fn(usize) + Send + Sync + 'a {
        move |n| {
            if let Some(p) = self.0 {
                p.add_groups(n);
            }
        }
    }
}

/// Incremental reads: users and groups come from the snapshot in `state_dir`
/// plus Graph's changes since (`users/delta`, `groups/delta`); everything else
/// is read in full every time (a few requests).
#[derive(Debug, Clone)]
pub struct Incremental {
    /// Where the snapshot lives (created if missing).
    pub state_dir: PathBuf,
    /// Read everything again when the last full read is older than this.
    pub full_read_after: Duration,
    /// Read everything again now.
    pub force_full: bool,
}

/// A read that failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No access token could be obtained (credentials, tenant, network).
    #[error("could not sign in to Microsoft Graph: {0}")]
    SignIn(#[source] Box<GraphError>),
    /// One listing failed; a 403 names the permission the step needs.
    #[error("could not read {} from Microsoft Graph: {source}", step.what)]
    Step {
        /// The step that failed.
        step: ReadStep,
        /// The Graph error.
        #[source]
        source: Box<GraphError>,
    },
}

impl ReadError {
    /// The underlying Graph error.
    pub fn graph_error(&self) -> &GraphError {
        match self {
            ReadError::SignIn(e) | ReadError::Step { source: e, .. } => e.as_ref(),
        }
    }
}

fn fail(step: ReadStep) -> impl Fn(GraphError) -> ReadError {
    move |mut source| {
        if let GraphError::Auth(_) = source {
            return ReadError::SignIn(Box::new(source));
        }
        if let GraphError::Api(api) = &mut source
            && api.status == 403
        {
            api.needed_permission = Some(step.needed());
        }
        ReadError::Step {
            step,
            source: Box::new(source),
        }
    }
}

/// Read the whole tenant. Listings run concurrently under the client's
/// in-flight limit; every retry and throttling rule of the client applies.
pub async fn read_live(client: &GraphClient, options: &ReadOptions) -> Result<Live, ReadError> {
    let started = Instant::now();
    let before = client.counters();
    // Sign in first, so that bad credentials give one clear error.
    client
        .access_token()
        .await
        .map_err(|e| ReadError::SignIn(Box::new(GraphError::from(e))))?;
    let tally = Tally::of(options);
    let people = async {
        let tracked = match &options.incremental {
            Some(inc) => match read_tracked(client, inc, tally).await {
                Err(e) if delta_select_refused(&e).is_some() => {
                    let props = delta_select_refused(&e).unwrap_or_default();
                    tracing::warn!(
                        properties = %props,
                        "Microsoft Graph refused these properties in the delta query's $select; reading users and groups in full this time (the next run tries delta again)"
                    );
                    None
                }
                other => Some(other),
            },
            None => None,
        };
        match tracked {
            Some(result) => result,
            None => {
                let groups = async {
                    match options.membership {
                        MembershipStrategy::Delta => read_groups_delta(client, tally).await,
                        MembershipStrategy::Batch => read_groups_batch(client, tally).await,
                    }
                };
                let ((users, user_pages), (groups, group_pages, membership_requests)) =
                    tokio::try_join!(read_users(client, tally), groups)?;
                Ok(People {
                    users,
                    groups,
                    user_pages,
                    group_pages,
                    membership_requests,
                    mode: ReadMode::Full,
                })
            }
        }
    };
    let defs = read_role_definitions(client);
    let assignments = read_role_assignments(client);
    let deleted = async {
        if options.skip_deleted_users {
            Ok((Vec::new(), 0))
        } else {
            read_deleted_users(client).await
        }
    };
    let principal_id = running_principal_id(client);
    // PIM after the units: the units read counts its requests from the
    // client's counters, which concurrent PIM listings would inflate.
    let units_then_pim = async {
        let units = read_restricted_units(client).await?;
        let schedules = read_role_schedules(client).await?;
        Ok::<_, ReadError>((units, schedules))
    };
    let (
        People {
            users,
            groups,
            user_pages,
            group_pages,
            membership_requests,
            mode,
        },
        role_definitions,
        (role_assignments, role_assignment_pages),
        (deleted_users, deleted_user_pages),
        principal_id,
        (
            (restricted_units, admin_units, restricted_unknown, admin_unit_requests),
            (role_schedules, pim_unknown, pim_unlicensed, role_schedule_pages),
        ),
    ) = tokio::try_join!(
        people,
        defs,
        assignments,
        deleted,
        principal_id,
        units_then_pim
    )?;

    let client_id = client.auth().client_id.clone();
    let permissions = match client.access_token().await {
        Ok(token) => token_roles(token.expose()),
        Err(_) => None,
    };
    let principal = Some(RunningPrincipal {
        permissions,
        role_definition_ids: principal_id
            .as_ref()
            .map(|id| {
                let mut v: Vec<String> = role_assignments
                    .iter()
                    .filter(|a: &&LiveRoleAssignment| &a.principal_id == id)
                    .map(|a| a.role_definition_id.clone())
                    .collect();
                v.sort();
                v.dedup();
                v
            })
            .unwrap_or_default(),
        id: principal_id,
        client_id,
    });
    let stats = ReadStats {
        requests: client.counters().since(&before),
        user_pages,
        group_pages,
        membership_requests,
        role_assignment_pages,
        role_schedule_pages,
        deleted_user_pages,
        admin_unit_requests,
        elapsed_ms: started.elapsed().as_millis() as u64,
        mode,
    };
    tracing::info!(
        users = users.len(),
        groups = groups.len(),
        role_assignments = role_assignments.len(),
        deleted_users = deleted_users.len(),
        restricted_units = restricted_units.len(),
        http_requests = stats.requests.http_requests,
        graph_requests = stats.requests.graph_requests(),
        retries = stats.requests.retries,
        elapsed_ms = stats.elapsed_ms,
        mode = ?stats.mode,
        "live tenant read"
    );
    Ok(Live::from_parts(LiveParts {
        users,
        groups,
        role_definitions,
        role_assignments,
        deleted_users,
        principal,
        restricted_units,
        restricted_unknown,
        role_schedules,
        pim_unknown,
        pim_unlicensed,
        admin_units,
        today: Some(crate::model::date::date_of_unix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        )),
        stats,
    }))
}

/// The properties named when Graph refuses a delta query's `$select` (400
/// "Invalid request for delta query … $select is not supported for the
/// following properties: signInActivity", microsoftgraph/microsoft-graph-explorer-v4
/// issue #3189; Microsoft publishes no list of them), or `None` for any other error.
fn delta_select_refused(e: &ReadError) -> Option<String> {
    let GraphError::Api(api) = e.graph_error() else {
        return None;
    };
    if api.status != 400 {
        return None;
    }
    let m = api.message.as_str();
    let lower = m.to_ascii_lowercase();
    if !lower.contains("delta") || !lower.contains("not supported") {
        return None;
    }
    Some(
        m.rsplit_once(':')
            .map(|(_, props)| props.trim().trim_end_matches('.').to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "(not named)".to_string()),
    )
}

/// Users and groups with memberships, however they were read.
struct People {
    users: Vec<LiveUser>,
    groups: Vec<LiveGroup>,
    user_pages: usize,
    group_pages: usize,
    membership_requests: usize,
    mode: ReadMode,
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether Graph says a delta link can no longer be followed: `400
/// syncStateNotFound` (identity resources, after 7 days) or `410 Gone`.
fn delta_expired(e: &ReadError) -> bool {
    matches!(e.graph_error(), GraphError::Api(api)
        if api.status == 410
            || api.code.eq_ignore_ascii_case("syncStateNotFound")
            || api.code.eq_ignore_ascii_case("resyncRequired"))
}

/// Users and groups with members as a delta round left them, and the links
/// that continue from there.
struct Folded {
    users: HashMap<ObjectId, LiveUser>,
    groups: HashMap<ObjectId, LiveGroup>,
    user_pages: usize,
    group_pages: usize,
    changes: usize,
    users_link: Option<String>,
    groups_link: Option<String>,
    /// The data file's id when the round changed nothing (only the links are rewritten).
    unchanged_data: Option<String>,
}

/// A first (full) users/delta and groups/delta round, concurrently.
async fn full_round(client: &GraphClient, tally: Tally<'_>) -> Result<Folded, ReadError> {
    let users = async {
        client
            .list_observed::<UserDto>(Request::get(users_delta_path()), &tally.users())
            .await
            .map_err(fail(permissions::USERS))
    };
    let (u, g) = tokio::try_join!(users, list_groups_delta(client, tally))?;
    let mut folded = Folded {
        users: HashMap::with_capacity(u.items.len()),
        groups: HashMap::new(),
        user_pages: u.pages,
        group_pages: g.pages,
        changes: u.items.len() + g.items.len(),
        users_link: u.delta_link,
        groups_link: g.delta_link,
        unchanged_data: None,
    };
    delta::fold_users(&mut folded.users, u.items);
    delta::fold_groups(&mut folded.groups, g.items);
    Ok(folded)
}

/// The changes since a snapshot's delta links, folded into its data (read
/// from disk while the requests are out). The inner `Err`: why the snapshot
/// cannot be continued after all (its data is unreadable, or Graph reported
/// an object both removed and present): read everything.
async fn change_round(
    client: &GraphClient,
    dir: &std::path::Path,
    links: &store::Links,
    tally: Tally<'_>,
) -> Result<Result<Folded, ResyncReason>, ReadError> {
    let data = {
        let (dir, links) = (dir.to_path_buf(), links.clone());
        tokio::task::spawn_blocking(move || store::load_data(&dir, &links))
    };
    let users = async {
        client
            .list_observed::<serde_json::Value>(
                Request::get(links.users_delta_link.as_str()),
                &tally.users(),
            )
            .await
            .map_err(fail(permissions::USERS))
    };
    let groups = async {
        client
            .list_observed::<serde_json::Value>(
                Request::get(links.groups_delta_link.as_str()),
                &tally.groups(),
            )
            .await
            .map_err(fail(permissions::GROUPS))
    };
    let (u, g) = tokio::try_join!(users, groups)?;
    let data = match data.await {
        Ok(Ok(data)) => data,
        Ok(Err(reason)) => return Ok(Err(reason)),
        Err(_) => return Ok(Err(ResyncReason::Unreadable)),
    };
    let changes = u.items.len() + g.items.len();
    let mut folded = Folded {
        users: data.users.into_iter().map(|u| (u.id.clone(), u)).collect(),
        groups: data.groups.into_iter().map(|g| (g.id.clone(), g)).collect(),
        user_pages: u.pages,
        group_pages: g.pages,
        changes,
        users_link: u.delta_link,
        groups_link: g.delta_link,
        unchanged_data: (changes == 0).then(|| links.data_id.clone()),
    };
    if let Err(ambiguous) = delta::fold_user_changes(&mut folded.users, u.items)
        .and_then(|()| delta::fold_group_changes(&mut folded.groups, g.items))
    {
        tracing::warn!(%ambiguous, "reading the whole tenant");
        return Ok(Err(ResyncReason::Ambiguous));
    }
    Ok(Ok(folded))
}

/// Users and groups from the state directory's snapshot plus Graph's changes
/// since; a full delta round when there is no usable snapshot, Graph expired
/// its links, or a round was ambiguous. The new snapshot is saved (a failure
/// to save only warns: the next run then reads everything).
async fn read_tracked(
    client: &GraphClient,
    inc: &Incremental,
    tally: Tally<'_>,
) -> Result<People, ReadError> {
    let key = TenantKey {
        graph_root: client.root().to_string(),
        tenant_id: client.auth().tenant_id.clone(),
        client_id: client.auth().client_id.clone(),
    };
    let now = now_unix();
    let clock = Instant::now();
    let prior = if inc.force_full {
        Err(ResyncReason::Forced)
    } else {
        store::load_links(&inc.state_dir, &key, inc.full_read_after.as_secs(), now)
    };
    let loaded_ms = clock.elapsed().as_millis() as u64;
    let (folded, mode, full_read_at) = match prior {
        Ok(links) => match change_round(client, &inc.state_dir, &links, tally).await {
            Ok(Ok(folded)) => (folded, ReadMode::Incremental, links.full_read_at),
            Ok(Err(reason)) => {
                let folded = full_round(client, tally).await?;
                (folded, ReadMode::Resync(reason), now)
            }
            Err(e) if delta_expired(&e) => {
                tracing::warn!(error = %e, "Microsoft Graph expired the delta links; reading the whole tenant");
                let folded = full_round(client, tally).await?;
                (folded, ReadMode::Resync(ResyncReason::DeltaExpired), now)
            }
            Err(e) => return Err(e),
        },
        Err(reason) => {
            tracing::info!(%reason, "reading the whole tenant");
            (
                full_round(client, tally).await?,
                ReadMode::Resync(reason),
                now,
            )
        }
    };
    let fetched_ms = clock.elapsed().as_millis() as u64;
    let Folded {
        users,
        groups,
        user_pages,
        group_pages,
        changes,
        users_link,
        groups_link,
        unchanged_data,
    } = folded;
    let users: Vec<LiveUser> = users.into_values().collect();
    let groups: Vec<LiveGroup> = groups.into_values().collect();
    match (&users_link, &groups_link) {
        (Some(u), Some(g)) => {
            let saved = store::save(
                &inc.state_dir,
                &store::ToSave {
                    tenant: &key,
                    full_read_at,
                    users_delta_link: u,
                    groups_delta_link: g,
                    unchanged_data: unchanged_data.as_deref(),
                    users: &users,
                    groups: &groups,
                },
            );
            if let Err(e) = saved {
                tracing::warn!(error = %e, "the next run will read the whole tenant again");
            }
        }
        _ => tracing::warn!(
            "Microsoft Graph returned no delta link; the next run will read the whole tenant again"
        ),
    }
    tracing::info!(
        ?mode,
        changes,
        loaded_ms,
        fetched_ms,
        saved_ms = clock.elapsed().as_millis() as u64,
        "users and groups read with a state directory"
    );
    Ok(People {
        users,
        groups,
        user_pages,
        group_pages,
        membership_requests: 0,
        mode,
    })
}

async fn read_users(
    client: &GraphClient,
    tally: Tally<'_>,
) -> Result<(Vec<LiveUser>, usize), ReadError> {
    // Graph allows a nested $select inside $expand=manager only together with
    // $levels (which in turn needs ConsistencyLevel: eventual + $count), so
    // the plain form is used: the manager comes with its default properties.
    let path = format!(
        "/users?$select={}&$expand=manager&$top=999",
        USER_SELECT.join(",")
    );
    // Each page's users are built as it arrives: all 100,000 `UserDto`s held
    // next to the `LiveUser`s made from them doubled the read's peak memory.
    let listing = client
        .list_mapped::<UserDto, _>(Request::get(path), &tally.users(), delta::user_from_dto)
        .await
        .map_err(fail(permissions::USERS))?;
    Ok((listing.items, listing.pages))
}

/// The first page of a full `groups/delta` round with members.
fn groups_delta_path() -> String {
    let select: Vec<&str> = GROUP_SELECT
        .iter()
        .copied()
        .filter(|p| *p != "id")
        .collect();
    format!("/groups/delta?$select={},members,owners", select.join(","))
}

/// The first page of a full `users/delta` round with the manager.
fn users_delta_path() -> String {
    let select: Vec<&str> = USER_SELECT.iter().copied().filter(|p| *p != "id").collect();
    format!("/users/delta?$select={},manager", select.join(","))
}

/// Every page of a first (full) `groups/delta` round with members.
async fn list_groups_delta(
    client: &GraphClient,
    tally: Tally<'_>,
) -> Result<crate::graph::paging::Listing<GroupDto>, ReadError> {
    client
        .list_observed::<GroupDto>(Request::get(groups_delta_path()), &tally.groups())
        .await
        .map_err(fail(permissions::GROUPS))
}

/// Groups and members from one delta round. A large group's members may be
/// split over several pages (the same group repeated): they are merged.
async fn read_groups_delta(
    client: &GraphClient,
    tally: Tally<'_>,
) -> Result<(Vec<LiveGroup>, usize, usize), ReadError> {
    // Folded page by page: the wire form of 500,000 member references
    // (`DirectoryObjectRef`s) is never held whole.
    let mut by_id = HashMap::new();
    let listing = client
        .list_mapped::<GroupDto, _>(Request::get(groups_delta_path()), &tally.groups(), |item| {
            delta::fold_groups(&mut by_id, vec![item])
        })
        .await
        .map_err(fail(permissions::GROUPS))?;
    Ok((by_id.into_values().collect(), listing.pages, 0))
}

/// Groups from `/groups`, then every group's members through `$batch`,
/// following each member listing's nextLink in later batches.
async fn read_groups_batch(
    client: &GraphClient,
    tally: Tally<'_>,
) -> Result<(Vec<LiveGroup>, usize, usize), ReadError> {
    let path = format!("/groups?$select={}&$top=999", GROUP_SELECT.join(","));
    let listing = client
        .list_observed::<GroupDto>(Request::get(path), &tally.groups())
        .await
        .map_err(fail(permissions::GROUPS))?;
    let mut groups: Vec<LiveGroup> = listing
        .items
        .into_iter()
        .map(delta::group_from_dto)
        .collect();
    let before = client.counters();
    let urls = groups
        .iter()
        .map(|g| format!("/groups/{}/members?$select=id&$top=999", g.id))
        .collect();
    let pages = member_pages(client, urls, permissions::GROUPS).await?;
    for (g, result) in groups.iter_mut().zip(pages) {
        match result {
            Ok(members) => g
                .members
                .extend(members.items.into_iter().map(delta::member)),
            // Deleted between the two listings: no members to compare.
            Err(e) if e.status == 404 => {}
            Err(e) => return Err(fail(permissions::GROUPS)(GraphError::Api(e))),
        }
    }
    let urls = groups
        .iter()
        .map(|g| format!("/groups/{}/owners?$select=id&$top=999", g.id))
        .collect();
    let pages = member_pages(client, urls, permissions::GROUPS).await?;
    for (g, result) in groups.iter_mut().zip(pages) {
        match result {
            Ok(owners) => g.owners.extend(owners.items.into_iter().map(delta::member)),
            Err(e) if e.status == 404 => {}
            Err(e) => return Err(fail(permissions::GROUPS)(GraphError::Api(e))),
        }
    }
    let used = client.counters().since(&before).batch_requests as usize;
    Ok((groups, listing.pages, used))
}

async fn read_role_definitions(client: &GraphClient) -> Result<Vec<LiveRoleDefinition>, ReadError> {
    let listing = client
        .list::<RoleDefinitionDto>(
            "/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId,isBuiltIn,isEnabled",
        )
        .await
        .map_err(fail(permissions::ROLE_DEFINITIONS))?;
    Ok(listing
        .items
        .into_iter()
        .map(|d| LiveRoleDefinition {
            display_name: d.display_name.unwrap_or_default(),
            template_id: d.template_id,
            is_built_in: d.is_built_in.unwrap_or(true),
            is_enabled: d.is_enabled.unwrap_or(true),
            id: d.id,
        })
        .collect())
}

async fn read_role_assignments(
    client: &GraphClient,
) -> Result<(Vec<LiveRoleAssignment>, usize), ReadError> {
    let listing = client
        .list::<RoleAssignmentDto>(
            "/roleManagement/directory/roleAssignments?$filter=directoryScopeId eq '/'",
        )
        .await
        .map_err(fail(permissions::ROLE_ASSIGNMENTS))?;
    let items = listing
        .items
        .into_iter()
        .map(|a| LiveRoleAssignment {
            id: a.id,
            principal_id: ObjectId(a.principal_id),
            role_definition_id: a.role_definition_id,
            directory_scope_id: a.directory_scope_id.unwrap_or_else(|| "/".into()),
        })
        // A server that ignored the filter must not widen what we manage.
        .filter(|a| a.directory_scope_id == "/")
        .collect();
    Ok((items, listing.pages))
}

async fn read_deleted_users(client: &GraphClient) -> Result<(Vec<DeletedUser>, usize), ReadError> {
    let listing = client
        .list::<UserDto>(
            "/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,displayName,deletedDateTime&$top=999",
        )
        .await
        .map_err(fail(permissions::DELETED_USERS))?;
    let items = listing
        .items
        .into_iter()
        .map(|u| {
            DeletedUser::new(
                ObjectId(u.id),
                u.user_principal_name.unwrap_or_default(),
                u.attrs
                    .text(crate::model::attrs::Attr::DisplayName)
                    .map(str::to_string),
                u.deleted_date_time,
            )
        })
        .collect();
    Ok((items, listing.pages))
}

/// Why restricted units are unknown after a 403, naming the permission.
fn units_unknown(what: &str) -> String {
    format!(
        "{what} could not be read (HTTP 403): grant the Microsoft Graph application permission {}; until then changes to members of restricted management administrative units may fail at apply",
        permissions::ADMIN_UNITS.needed()
    )
}

/// Restricted management administrative units and their members: one listing
/// of all units (filtered here on `isMemberManagementRestricted`: Graph's
/// property table does not document `$filter` on it), then the members of the
/// restricted ones through `$batch`, 20 units per POST, following nextLinks
/// in later batches. A 403 (an app registration without
/// AdministrativeUnit.Read.All) does not fail the read: the result is
/// "unknown", with a warning. Returns (units, why unknown, requests used).
async fn read_restricted_units(
    client: &GraphClient,
) -> Result<(Vec<RestrictedUnit>, Vec<AdminUnit>, Option<String>, usize), ReadError> {
    let before = client.counters();
    let used = |c: &GraphClient| c.counters().since(&before).http_requests as usize;
    let listing = match client
        .list::<AdminUnitDto>(
            "/directory/administrativeUnits?$select=id,displayName,isMemberManagementRestricted&$top=999",
        )
        .await
    {
        Ok(l) => l,
        Err(GraphError::Api(api)) if api.status == 403 => {
            let why = units_unknown("administrative units");
            tracing::warn!(request_id = ?api.request_id, "{why}");
            return Ok((Vec::new(), Vec::new(), Some(why), used(client)));
        }
        Err(e) => return Err(fail(permissions::ADMIN_UNITS)(e)),
    };
    // Every unit's name, for roles scoped to one (`scope: au:<name>`).
    let all: Vec<AdminUnit> = listing
        .items
        .iter()
        .map(|u| AdminUnit {
            id: u.id.clone(),
            display_name: u.display_name.clone().unwrap_or_else(|| u.id.clone()),
        })
        .collect();
    let mut units: Vec<RestrictedUnit> = listing
        .items
        .into_iter()
        .filter(|u| u.is_member_management_restricted == Some(true))
        .map(|u| RestrictedUnit {
            display_name: u.display_name.unwrap_or_else(|| u.id.clone()),
            id: u.id,
            members: Vec::new(),
        })
        .collect();
    let mut unknown: Vec<String> = Vec::new();
    let urls = units
        .iter()
        .map(|u| {
            format!(
                "/directory/administrativeUnits/{}/members?$select=id&$top=999",
                u.id
            )
        })
        .collect();
    let pages = member_pages(client, urls, permissions::ADMIN_UNITS).await?;
    for (u, result) in units.iter_mut().zip(pages) {
        match result {
            Ok(members) => u
                .members
                .extend(members.items.into_iter().map(|m| ObjectId(m.id))),
            // Deleted between the two listings: nothing to protect.
            Err(e) if e.status == 404 => {}
            // Hidden membership, or a permission missing for members only.
            Err(e) if e.status == 403 => unknown.push(u.display_name.clone()),
            Err(e) => return Err(fail(permissions::ADMIN_UNITS)(GraphError::Api(e))),
        }
    }
    let why = (!unknown.is_empty()).then(|| {
        let why = units_unknown(&format!(
            "the members of restricted administrative unit(s) `{}`",
            unknown.join("`, `")
        ));
        tracing::warn!("{why}");
        why
    });
    Ok((units, all, why, used(client)))
}

/// The PIM eligibility listing: every role and scope, with what the diff compares.
const PIM_ELIGIBLE_PATH: &str = "/roleManagement/directory/roleEligibilityScheduleInstances?$select=id,principalId,roleDefinitionId,directoryScopeId,endDateTime,memberType";
/// The PIM active assignment listing (direct role assignments included).
const PIM_ACTIVE_PATH: &str = "/roleManagement/directory/roleAssignmentScheduleInstances?$select=id,principalId,roleDefinitionId,directoryScopeId,endDateTime,memberType,assignmentType,roleAssignmentOriginId";

/// Why PIM holdings are unknown after Graph refused to list them: 403 (a
/// permission is missing) or 400 `AadPremiumLicenseRequired` ("The tenant
/// needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance
/// license.", as Graph answers on a tenant without PIM: maester365/maester#1421).
/// `None` for any other error (the read fails).
fn pim_refused(e: &GraphError) -> Option<String> {
    let GraphError::Api(api) = e else {
        return None;
    };
    match api.status {
        403 => Some(format!(
            "PIM eligibilities and assignment schedules could not be read (HTTP 403): grant {}; until then only permanent tenant-scope role assignments are compared",
            permissions::ROLE_SCHEDULES.needed()
        )),
        400 if api.code == "AadPremiumLicenseRequired" => Some(format!(
            "the tenant has no PIM (Graph: {}); only permanent tenant-scope role assignments are compared",
            api.message
        )),
        _ => None,
    }
}

/// PIM holdings of every role and scope: the eligibility instances and the
/// active assignment instances (which list plain role assignments too), one
/// listing each, run concurrently. Returns (holdings, why unknown, whether
/// the tenant has no PIM licence, pages).
async fn read_role_schedules(
    client: &GraphClient,
) -> Result<(Vec<LiveRoleSchedule>, Option<String>, bool, usize), ReadError> {
    let eligible = client.list::<RoleScheduleInstanceDto>(PIM_ELIGIBLE_PATH);
    let active = client.list::<RoleScheduleInstanceDto>(PIM_ACTIVE_PATH);
    let (eligible, active) = tokio::join!(eligible, active);
    let (eligible, active) = match (eligible, active) {
        (Ok(e), Ok(a)) => (e, a),
        (Err(e), _) | (_, Err(e)) => {
            let unlicensed =
                matches!(&e, GraphError::Api(api) if api.code == "AadPremiumLicenseRequired");
            return match pim_refused(&e) {
                Some(why) => {
                    tracing::warn!("{why}");
                    Ok((Vec::new(), Some(why), unlicensed, 0))
                }
                None => Err(fail(permissions::ROLE_SCHEDULES)(e)),
            };
        }
    };
    let pages = eligible.pages + active.pages;
    let one = |d: RoleScheduleInstanceDto, holding: Holding| LiveRoleSchedule {
        holding,
        activated: d.assignment_type.as_deref() == Some("Activated"),
        inherited: d.member_type.as_deref().is_some_and(|m| m != "Direct"),
        id: d.id,
        principal_id: ObjectId(d.principal_id),
        role_definition_id: d.role_definition_id,
        directory_scope_id: d.directory_scope_id.unwrap_or_else(|| "/".into()),
        end: d.end_date_time,
        assignment_id: d.role_assignment_origin_id,
    };
    let mut out: Vec<LiveRoleSchedule> = eligible
        .items
        .into_iter()
        .map(|d| one(d, Holding::Eligible))
        .collect();
    out.extend(active.items.into_iter().map(|d| one(d, Holding::Active)));
    Ok((out, None, false, pages))
}

/// Every page of several member listings (one URL per owner) through the
/// client's one `$batch` paging path ([`GraphClient::list_many`]). One result
/// per URL, in order: the member references, or the item's error (the
/// caller decides what a 404 or 403 means).
async fn member_pages(
    client: &GraphClient,
    urls: Vec<String>,
    step: ReadStep,
) -> Result<Vec<ListResult<DirectoryObjectRef>>, ReadError> {
    client
        .list_many(urls.into_iter().map(Request::get).collect())
        .await
        .map_err(fail(step))
}

/// The `oid` claim of a JWT access token, without verifying it (we only
/// read our own token to learn who we are; Graph verifies it).
pub(crate) fn token_oid(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("oid")?.as_str().map(|s| s.to_string())
}

/// The first request of every listing the reader makes, with the step it
/// belongs to (its permission): what `entraform doctor` tries, one page each.
pub fn first_requests() -> Vec<(ReadStep, String)> {
    vec![
        (
            permissions::USERS,
            format!("/users?$select={}&$expand=manager&$top=999", USER_SELECT.join(",")),
        ),
        (permissions::USERS, users_delta_path()),
        (permissions::GROUPS, groups_delta_path()),
        (
            permissions::ROLE_DEFINITIONS,
            "/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId,isBuiltIn,isEnabled".into(),
        ),
        (
            permissions::ROLE_ASSIGNMENTS,
            "/roleManagement/directory/roleAssignments?$filter=directoryScopeId eq '/'".into(),
        ),
        (
            permissions::DELETED_USERS,
            "/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,displayName,deletedDateTime&$top=999".into(),
        ),
        (
            permissions::ADMIN_UNITS,
            "/directory/administrativeUnits?$select=id,displayName,isMemberManagementRestricted&$top=999".into(),
        ),
        (permissions::ROLE_SCHEDULES, PIM_ELIGIBLE_PATH.into()),
        (permissions::ROLE_SCHEDULES, PIM_ACTIVE_PATH.into()),
    ]
}

/// What entraform reads from its own access token (never verified: Graph
/// does that): who it is and what it was granted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenClaims {
    /// `tid`: the tenant.
    pub tenant_id: Option<String>,
    /// `appid` / `azp`: the application (client) id.
    pub app_id: Option<String>,
    /// `oid`: the service principal.
    pub object_id: Option<String>,
    /// `roles`: the application permissions granted (`None`: not a JWT).
    pub roles: Option<Vec<String>>,
    /// `exp`: when it expires (Unix seconds).
    pub expires: Option<i64>,
}

/// The claims of a JWT access token, or `None` when it is not one.
pub fn token_claims(token: &str) -> Option<TokenClaims> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Some(TokenClaims {
        tenant_id: s("tid"),
        app_id: s("appid").or_else(|| s("azp")),
        object_id: s("oid"),
        roles: token_roles(token),
        expires: v.get("exp").and_then(serde_json::Value::as_i64),
    })
}

/// The `roles` claim of a JWT access token (the application permissions
/// granted), without verifying it: `Some(empty)` when the token is a JWT
/// without the claim (Entra leaves it out for an app granted nothing),
/// `None` when it is not a JWT at all.
pub(crate) fn token_roles(token: &str) -> Option<Vec<String>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let obj = v.as_object()?;
    let mut roles: Vec<String> = match obj.get("roles") {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|r| r.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    roles.sort();
    roles.dedup();
    Some(roles)
}

/// The running service principal's object id: from the token's `oid` claim
/// (no request), else `GET /servicePrincipals(appId='…')`. Not knowing it is
/// not fatal: the safety gates then treat the principal as unknown.
async fn running_principal_id(client: &GraphClient) -> Result<Option<ObjectId>, ReadError> {
    let token = client
        .access_token()
        .await
        .map_err(|e| ReadError::SignIn(Box::new(GraphError::from(e))))?;
    if let Some(oid) = token_oid(token.expose()) {
        return Ok(Some(ObjectId(oid)));
    }
    let client_id = client.auth().client_id.clone();
    if client_id.is_empty() {
        return Ok(None);
    }
    let path = format!("/servicePrincipals(appId='{client_id}')?$select=id,appId,displayName");
    match client.get_json::<ServicePrincipalDto>(&path).await {
        Ok(sp) => Ok(Some(ObjectId(sp.id))),
        Err(e) => {
            let e = fail(permissions::SELF_LOOKUP)(e);
            tracing::warn!(error = %e, "could not determine the running service principal; safety gates will treat it as unknown");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_from_token() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"oid":"sp-1","tid":"t"}"#);
        assert_eq!(
            token_oid(&format!("h.{payload}.s")).as_deref(),
            Some("sp-1")
        );
        assert_eq!(token_oid("emu.opaque"), None);
    }

    #[test]
    fn roles_from_token() {
        let payload =
            URL_SAFE_NO_PAD.encode(br#"{"oid":"sp-1","roles":["User.Read.All","Group.Create"]}"#);
        assert_eq!(
            token_roles(&format!("h.{payload}.s")),
            Some(vec![
                "Group.Create".to_string(),
                "User.Read.All".to_string()
            ])
        );
        let none = URL_SAFE_NO_PAD.encode(br#"{"oid":"sp-1"}"#);
        assert_eq!(token_roles(&format!("h.{none}.s")), Some(Vec::new()));
        assert_eq!(token_roles("opaque-token"), None);
    }

    #[test]
    fn forbidden_names_permission() {
        let api = crate::graph::ApiError::from_body(
            "GET",
            "/roleManagement/directory/roleAssignments",
            403,
            br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
            Some("rid-1".into()),
        );
        let e = fail(permissions::ROLE_ASSIGNMENTS)(GraphError::from(api));
        let s = e.to_string();
        assert!(s.contains("RoleManagement.Read.Directory"), "{s}");
        assert!(s.contains("directory role assignments"), "{s}");
        assert!(s.contains("rid-1"), "{s}");
    }
}
