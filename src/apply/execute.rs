//! Running a plan against Graph: wave by wave, each wave's operations in `$batch`.
//!
//! A failed operation skips only the steps that depend on it; independent
//! steps still run. Adding a member that is already there, or removing one
//! that is already gone, counts as done (idempotent). Steps that act on an
//! object created moments earlier retry Graph's replication-delay 404s.
//!
//! Member additions to the same group within a wave travel together: up to 20
//! in one `PATCH /groups/{id}` with `members@odata.bind`, so a `$batch` carries
//! up to 400 of them. Graph adds all of a PATCH's members or none; when one is
//! refused (typically "already exists"), its additions are sent again one by
//! one, where "already a member" counts as done.

#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::{HashMap, HashSet, VecDeque};

use secrecy::SecretString;
use serde::Serialize;

use super::password::{self, InitialPasswords};
use super::request::{BIND_LIMIT, Ids, bind_members, for_op_at};
use super::unknown;
use crate::graph::batch::BATCH_POST_FAILED;
use crate::graph::{GraphClient, Request};
use crate::model::kinds::PasswordPolicy;
use crate::model::{ObjectId, Upn};
use crate::plan::Step;
use crate::plan::effect::{Action, NewObject};
use crate::plan::op::{GroupRef, Op, UserRef};

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Graph accepted it (or it was already in effect).
    Done,
    /// Graph refused it, or it could not be sent.
    Failed {
        /// Graph's error in words, with code and request-id.
        error: String,
    },
    /// Not attempted because a step it depends on did not succeed.
    Skipped {
        /// The step that failed or was skipped.
        because_of: usize,
    },
    /// Not attempted because the run was interrupted (Ctrl-C).
    Interrupted,
}

/// One step's outcome (what the journal records; never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Step id in the plan.
    pub step: usize,
    /// Operation kind (`create_user`, …).
    pub op: &'static str,
    /// The object (UPN, `group:name`, `role:name`).
    pub object: String,
    /// What happened.
    #[serde(flatten)]
    pub status: StepStatus,
}

/// The result of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One outcome per step, in step order.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    fn count(&self, f: impl Fn(&StepStatus) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(&o.status)).count()
    }
    /// Steps done.
    pub fn done(&self) -> usize {
        self.count(|s| matches!(s, StepStatus::Done))
    }
    /// Steps failed.
    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, StepStatus::Failed { .. }))
    }
    /// Steps skipped (a dependency failed) or not run (interrupted).
    pub fn skipped(&self) -> usize {
        self.count(|s| matches!(s, StepStatus::Skipped { .. } | StepStatus::Interrupted))
    }
    /// Steps not run because the run was interrupted.
    pub fn interrupted(&self) -> usize {
        self.count(|s| matches!(s, StepStatus::Interrupted))
    }
}

/// How a create request ended, for the credentials ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateEnd {
    /// Graph created the user.
    Created,
    /// Graph did not create the user: it refused, or the request was not sent.
    NotCreated,
    /// Unknown: the `$batch` POST carrying it failed as a whole; the user may exist.
    Unknown,
}

/// Receives outcomes as they happen, and new users' initial passwords.
pub trait Observer {
    /// A step finished (done, failed or skipped).
    fn outcome(&mut self, outcome: &Outcome);
    /// These users are about to be created with these initial passwords: record
    /// them durably *before* the requests leave (write them only where the
    /// operator asked). An `Err` (why) keeps their creates from being sent.
    fn before_create(&mut self, users: &[(&Upn, &SecretString)]) -> Result<(), String>;
    /// Graph answered (or will never be asked) a create announced by [`Observer::before_create`].
    fn after_create(&mut self, upn: &Upn, end: CreateEnd);
    /// Graph issued this Temporary Access Pass to `upn` (onboarding): record it
    /// where the operator asked (`--credentials-out`) and nowhere else. The
    /// default keeps it nowhere (an observer without a credentials file).
    fn temporary_access_pass(&mut self, _upn: &Upn, _pass: &SecretString) {}
    /// Graph took this new password of `upn` (`reset_password_after`): record
    /// it where the operator asked (`--credentials-out`, which apply requires
    /// for such a step). The default keeps it nowhere.
    fn password_reset(&mut self, _upn: &Upn, _password: &SecretString) {}
    /// A set of `$batch` requests completed: `finished` of `total` steps have an outcome.
    fn progress(&mut self, _wave: usize, _waves: usize, _finished: usize, _total: usize) {}
}

#[derive(Default)]
struct Created {
    users: HashMap<Upn, ObjectId>,
    groups: HashMap<String, ObjectId>,
}

impl Created {
    /// Remember the id Graph gave an object this run created (`new_id`: from
    /// the answer or a look-up; nothing for an operation that creates nothing).
    fn record(&mut self, op: &Op, new_id: Option<ObjectId>) {
        let Some(nid) = new_id else {
            return;
        };
        match op.new_object() {
            Some(NewObject::User { upn, .. } | NewObject::Guest { upn }) => {
                self.users.insert(upn.clone(), nid);
            }
            Some(NewObject::Group { name }) => {
                self.groups.insert(name.to_lowercase(), nid);
            }
            None => {}
        }
    }
}

impl Ids for Created {
    fn user(&self, r: &UserRef) -> Option<ObjectId> {
        r.id.clone().or_else(|| self.users.get(&r.upn).cloned())
    }
    fn group(&self, r: &GroupRef) -> Option<ObjectId> {
        r.id.clone()
            .or_else(|| self.groups.get(&r.name.to_lowercase()).cloned())
    }
}

/// Is this refusal Graph's way of saying "already so"? (Every variant named:
/// a new operation must say whether a refusal can mean it is already done.)
fn already_in_effect(op: &Op, status: u16, message: &str) -> bool {
    match op {
        Op::AddMember { .. } | Op::AddOwner { .. } => {
            status == 400 && message.contains("already exist")
        }
        Op::RemoveMember { .. }
        | Op::RemoveOwner { .. }
        | Op::RemoveRole { .. }
        | Op::RemoveManager { .. }
        | Op::RemoveAuthenticationMethod { .. }
        | Op::DeleteUser { .. } => status == 404,
        // adminRemove of what is gone already: 400 RoleAssignmentDoesNotExist.
        Op::RemoveRoleSchedule { .. } => status == 400 && message.contains("does not exist"),
        Op::CreateUser { .. }
        | Op::InviteGuest { .. }
        | Op::RestoreUser { .. }
        | Op::UpdateUser { .. }
        | Op::EnableUser { .. }
        | Op::DisableUser { .. }
        | Op::RevokeSessions { .. }
        | Op::ResetPassword { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::SetManager { .. }
        | Op::CreateGroup { .. }
        | Op::UpdateGroup { .. }
        | Op::AssignRole { .. }
        | Op::AssignLicenses { .. }
        | Op::RenameUser { .. }
        | Op::DisableDevice { .. }
        | Op::AssignRoleSchedule { .. }
        | Op::UpdateRoleSchedule { .. } => false,
    }
}

/// Times a method removal refused with 400 is sent again (after the other
/// steps of its wave): Graph refuses deleting the user's default method while
/// others exist (microsoft-graph-docs-contrib#2913) and the `mobile` phone
/// while `alternateMobile` exists (phoneauthenticationmethod-delete), and
/// v1.0 cannot say which method is the default; each round removes at least
/// one of those blockers.
const METHOD_DEFERRALS: u32 = 4;

/// Is this a refusal that may go away once the user's other methods are gone?
fn refused_until_others_go(op: &Op, e: &crate::graph::ApiError) -> bool {
    matches!(op, Op::RemoveAuthenticationMethod { .. }) && e.status == 400
}

/// `$batch` items sent between two checks of the stop flag: one round of 8
/// full `$batch` POSTs in flight (the client's limit). A packed item carries up
/// to 20 member additions. Retries inside a round stop with the flag too.
const CHUNK: usize = 20 * 8;

/// One `$batch` item.
enum Unit {
    /// One step's request (and a new user's initial password).
    One(usize, Request, Option<SecretString>),
    /// Member additions to one group packed into a `members@odata.bind` PATCH.
    Members(Vec<(usize, Request)>, Request),
}

impl Unit {
    fn request(&self) -> &Request {
        match self {
            Unit::One(_, r, _) | Unit::Members(_, r) => r,
        }
    }
}

/// A wave's requests as `$batch` items: member additions packed by group
/// (in the order the groups first appear), everything else one by one.
fn pack(sent: Vec<(usize, Request, Option<SecretString>)>, steps: &[Step]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut by_group: Vec<(String, Vec<(usize, Request)>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (id, req, pw) in sent {
        if matches!(steps[id].op, Op::AddMember { .. }) {
            let i = *index.entry(req.url.clone()).or_insert_with(|| {
                by_group.push((req.url.clone(), Vec::new()));
                by_group.len() - 1
            });
            by_group[i].1.push((id, req));
        } else {
            units.push(Unit::One(id, req, pw));
        }
    }
    for (_, adds) in by_group {
        let mut adds = adds.into_iter().peekable();
        while adds.peek().is_some() {
            let chunk: Vec<(usize, Request)> = adds.by_ref().take(BIND_LIMIT).collect();
            let refs: Vec<&Request> = chunk.iter().map(|(_, r)| r).collect();
            match bind_members(&refs) {
                Some(patch) => units.push(Unit::Members(chunk, patch)),
                None => units.extend(chunk.into_iter().map(|(id, r)| Unit::One(id, r, None))),
            }
        }
    }
    units
}

/// Execute `steps` (in plan order, waves ascending) through `client`.
///
/// New users whose YAML names their password (`password: { env: VAR }`) take
/// it from `passwords`, resolved by the caller beforehand (the executor reads
/// no environment); the others get a generated one. References to objects
/// (`@odata.id`) are built from the client's Graph root.
///
/// When `stop` becomes true (Ctrl-C), no new `$batch` is sent; requests in
/// flight finish and are recorded, and the remaining steps are `Interrupted`.
pub async fn execute(
    client: &GraphClient,
    steps: &[Step],
    passwords: &InitialPasswords,
    stop: &std::sync::atomic::AtomicBool,
    observer: &mut impl Observer,
) -> Report {
    let graph_root = client.root();
    // The start of the PIM schedules this run requests (the clock, read once).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let now = crate::model::date::datetime_of_unix(now);
    let mut status: Vec<Option<StepStatus>> = vec![None; steps.len()];
    let mut created = Created::default();
    // Creates whose password is recorded, and steps with an unknown outcome
    // (how many times so far).
    let mut announced: HashSet<usize> = HashSet::new();
    let mut unsure: HashMap<usize, u32> = HashMap::new();
    // Method removals refused until the user's others are gone, and how often.
    let mut deferrals: HashMap<usize, u32> = HashMap::new();
    let waves = steps.iter().map(|s| s.wave + 1).max().unwrap_or(0);
    for wave in 0..waves {
        let mut sent: Vec<(usize, Request, Option<SecretString>)> = Vec::new();
        for s in steps.iter().filter(|s| s.wave == wave) {
            let blocked = s
                .depends_on
                .iter()
                .find(|d| !matches!(status.get(**d), Some(Some(StepStatus::Done))));
            let verdict = if let Some(d) = blocked {
                Some(StepStatus::Skipped { because_of: *d })
            } else {
                let password = match s.op.new_object() {
                    Some(NewObject::User {
                        password: PasswordPolicy::Generate,
                        ..
                    }) => match password::generate() {
                        Ok(p) => Ok(Some(p)),
                        Err(e) => Err(e.to_string()),
                    },
                    Some(NewObject::User {
                        upn,
                        password: PasswordPolicy::Env(var),
                    }) => match passwords.get(upn) {
                        Some(p) => Ok(Some(p.clone())),
                        None => Err(format!(
                            "no initial password was given for it (its `password: {{ env: {var} }}`)"
                        )),
                    },
                    Some(NewObject::Group { .. } | NewObject::Guest { .. }) | None => Ok(None),
                };
                match password.and_then(|pw| {
                    // `reset_password` (offboarding): a random password for this
                    // request only, never recorded (dropped, and zeroed, here).
                    let throwaway = if let Op::ResetPassword { keep: false, .. } = &s.op {
                        Some(password::generate().map_err(|e| e.to_string())?)
                    } else {
                        None
                    };
                    // A one-off reset (`reset_password_after`): carried like a new
                    // user's password, and handed to the observer once Graph took it.
                    let pw = if let (Op::ResetPassword { keep: true, .. }, None) = (&s.op, &pw) {
                        Some(password::generate().map_err(|e| e.to_string())?)
                    } else {
                        pw
                    };
                    for_op_at(
                        &s.op,
                        &created,
                        graph_root,
                        pw.as_ref().or(throwaway.as_ref()),
                        Some(&now),
                    )
                    .map(|r| (r, pw))
                    .map_err(|e| e.to_string())
                }) {
                    Ok((mut req, pw)) => {
                        // Objects created earlier in this run (a step whose
                        // effect is `Create`) may not have replicated yet.
                        req.retry_not_found = s.depends_on.iter().any(|d| {
                            steps
                                .get(*d)
                                .is_some_and(|x| x.op.effect().action == Action::Create)
                        });
                        sent.push((s.id, req, pw));
                        None
                    }
                    Err(error) => Some(StepStatus::Failed { error }),
                }
            };
            if let Some(v) = verdict {
                finish(steps, s.id, v, &mut status, observer);
            }
        }
        if sent.is_empty() {
            continue;
        }
        tracing::info!(wave, operations = sent.len(), "applying wave");
        let mut queue: VecDeque<Unit> = pack(sent, steps).into();
        let mut deferred: Vec<Unit> = Vec::new();
        loop {
            if queue.is_empty() {
                // The wave's other steps are finished: refused method removals go again.
                if deferred.is_empty() {
                    break;
                }
                queue.extend(deferred.drain(..));
            }
            if stop.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let take = queue.len().min(CHUNK);
            let mut chunk: Vec<Unit> = queue.drain(..take).collect();
            // New users' passwords are recorded before their creates leave
            // (once: a create sent again after an unknown outcome keeps its password).
            let fresh_ids: HashSet<usize> = chunk
                .iter()
                .filter_map(|u| match u {
                    Unit::One(id, _, _) if !announced.contains(id) => Some(*id),
                    Unit::One(..) | Unit::Members(..) => None,
                })
                .collect();
            let fresh = |u: &Unit| matches!(u, Unit::One(id, _, _) if fresh_ids.contains(id));
            let recorded = {
                let creates: Vec<(&Upn, &SecretString)> = chunk
                    .iter()
                    .filter(|u| fresh(u))
                    .filter_map(|u| create_of(u, steps))
                    .collect();
                if creates.is_empty() {
                    Ok(())
                } else {
                    observer.before_create(&creates)
                }
            };
            if recorded.is_ok() {
                for u in &chunk {
                    if let Unit::One(id, _, Some(_)) = u {
                        announced.insert(*id);
                    }
                }
            }
            if let Err(why) = recorded {
                let (refused, kept): (Vec<Unit>, Vec<Unit>) = chunk
                    .into_iter()
                    .partition(|u| fresh(u) && create_of(u, steps).is_some());
                chunk = kept;
                for unit in refused {
                    if let Unit::One(id, _, _) = unit {
                        let error = format!(
                            "not sent: its initial password could not be recorded first ({why})"
                        );
                        finish(
                            steps,
                            id,
                            StepStatus::Failed { error },
                            &mut status,
                            observer,
                        );
                    }
                }
            }
            let requests: Vec<Request> = chunk.iter().map(|u| u.request().clone()).collect();
            let results = client.batch_each(requests, stop).await;
            // Steps whose write may have been applied: looked up below.
            let mut maybe: Vec<(usize, Request, Option<SecretString>)> = Vec::new();
            for (unit, result) in chunk.into_iter().zip(results) {
                // No result: not sent again after Ctrl-C (Graph did not apply it);
                // recorded as interrupted below.
                let Some(result) = result else {
                    if let Unit::One(id, _, Some(_)) = &unit
                        && let Op::CreateUser { upn, .. } = &steps[*id].op
                    {
                        observer.after_create(upn, CreateEnd::NotCreated);
                    }
                    continue;
                };
                match (unit, result) {
                    // Outcome unknown (5xx, lost answer), or a repeated create
                    // refused as already there: look before sending it again.
                    (Unit::One(id, req, pw), Err(e))
                        if unknown::outcome_unknown(&e)
                            || (unsure.contains_key(&id)
                                && unknown::conflict_after_retry(&steps[id].op, &e)) =>
                    {
                        let rounds = unsure.entry(id).or_insert(0);
                        *rounds += 1;
                        tracing::debug!(step = id, error = %e, rounds = *rounds, "outcome unknown");
                        if *rounds > unknown::MAX_UNKNOWN_ROUNDS {
                            let verdict =
                                verdict(&steps[id].op, Err(e), pw.as_ref(), &mut created, observer);
                            finish(steps, id, verdict, &mut status, observer);
                        } else {
                            maybe.push((id, req, pw));
                        }
                    }
                    // The default method (or `mobile` before `alternateMobile`):
                    // sent again once the wave's other steps are done.
                    (Unit::One(id, req, pw), Err(e))
                        if refused_until_others_go(&steps[id].op, &e)
                            && deferrals.get(&id).copied().unwrap_or(0) < METHOD_DEFERRALS =>
                    {
                        *deferrals.entry(id).or_insert(0) += 1;
                        tracing::debug!(step = id, error = %e, "method removal refused; sent again after the others");
                        deferred.push(Unit::One(id, req, pw));
                    }
                    (Unit::One(id, _, pw), result) => {
                        let verdict =
                            verdict(&steps[id].op, result, pw.as_ref(), &mut created, observer);
                        finish(steps, id, verdict, &mut status, observer);
                    }
                    (Unit::Members(adds, _), Ok(_)) => {
                        for (id, _) in adds {
                            finish(steps, id, StepStatus::Done, &mut status, observer);
                        }
                    }
                    // All or nothing: a member already there (400) or gone (404)
                    // refuses the whole PATCH; each addition is retried on its own.
                    (Unit::Members(adds, _), Err(e))
                        if e.status == 400 || e.status == 404 || unknown::outcome_unknown(&e) =>
                    {
                        tracing::debug!(error = %e, members = adds.len(), "members@odata.bind refused; adding one by one");
                        queue.extend(adds.into_iter().map(|(id, r)| Unit::One(id, r, None)));
                    }
                    (Unit::Members(adds, _), Err(e)) => {
                        for (id, _) in adds {
                            let error = e.to_string();
                            finish(
                                steps,
                                id,
                                StepStatus::Failed { error },
                                &mut status,
                                observer,
                            );
                        }
                    }
                }
            }
            if !maybe.is_empty() {
                let again = look_up(
                    client,
                    steps,
                    maybe,
                    &mut created,
                    &mut status,
                    observer,
                    stop,
                )
                .await;
                queue.extend(again);
            }
            let finished = status.iter().filter(|s| s.is_some()).count();
            observer.progress(wave, waves, finished, steps.len());
        }
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            let left: Vec<usize> = steps
                .iter()
                .filter(|s| status[s.id].is_none())
                .map(|s| s.id)
                .collect();
            for id in left {
                finish(steps, id, StepStatus::Interrupted, &mut status, observer);
            }
            break;
        }
    }
    Report {
        outcomes: steps
            .iter()
            .map(|s| Outcome {
                step: s.id,
                op: s.op.kind(),
                object: s.op.object_key(),
                status: status[s.id]
                    .clone()
                    .unwrap_or(StepStatus::Skipped { because_of: s.id }),
            })
            .collect(),
    }
}

/// Look up maybe-applied steps ([`unknown::probe`]): the ones in effect are
/// done (a new user's password confirmed), the others come back to be sent
/// again (retrying replication 404s: they act on fresh objects).
async fn look_up(
    client: &GraphClient,
    steps: &[Step],
    maybe: Vec<(usize, Request, Option<SecretString>)>,
    created: &mut Created,
    status: &mut [Option<StepStatus>],
    observer: &mut impl Observer,
    stop: &std::sync::atomic::AtomicBool,
) -> Vec<Unit> {
    let mut again = Vec::new();
    let mut probed: Vec<(usize, Request, Option<SecretString>)> = Vec::new();
    let mut reads: Vec<Request> = Vec::new();
    for (id, req, pw) in maybe {
        match unknown::probe(&steps[id].op, &*created) {
            Some(read) => {
                reads.push(read);
                probed.push((id, req, pw));
            }
            None => again.push(Unit::One(id, req.retrying_not_found(), pw)),
        }
    }
    if reads.is_empty() {
        return again;
    }
    let answers = client.batch_each(reads, stop).await;
    for ((id, req, pw), answer) in probed.into_iter().zip(answers) {
        let op = &steps[id].op;
        let check = match answer {
            Some(a) => unknown::judge(op, a),
            None => unknown::Check::Unknown("not looked up: the run was stopped".into()),
        };
        match check {
            unknown::Check::Done(new_id) => {
                tracing::info!(
                    step = id,
                    op = op.kind(),
                    "a write with an unknown outcome was applied"
                );
                created.record(op, new_id);
                if let (Some(NewObject::User { upn, .. }), Some(_)) = (op.new_object(), &pw) {
                    observer.after_create(upn, CreateEnd::Created);
                }
                finish(steps, id, StepStatus::Done, status, observer);
            }
            unknown::Check::Absent => again.push(Unit::One(id, req.retrying_not_found(), pw)),
            unknown::Check::Unknown(why) => {
                tracing::debug!(step = id, %why, "could not tell whether a write was applied");
                again.push(Unit::One(id, req.retrying_not_found(), pw));
            }
        }
    }
    again
}

/// The user and password of a create carried by `unit`.
fn create_of<'a>(unit: &'a Unit, steps: &'a [Step]) -> Option<(&'a Upn, &'a SecretString)> {
    match unit {
        Unit::One(id, _, Some(pw)) => match steps[*id].op.new_object() {
            Some(NewObject::User { upn, .. }) => Some((upn, pw)),
            Some(NewObject::Group { .. } | NewObject::Guest { .. }) | None => None,
        },
        Unit::One(_, _, None) | Unit::Members(..) => None,
    }
}

/// The outcome of one answered request; records created ids and how creates ended.
fn verdict(
    op: &Op,
    result: crate::graph::batch::ItemResult,
    pw: Option<&SecretString>,
    created: &mut Created,
    observer: &mut impl Observer,
) -> StepStatus {
    let create = match (op.new_object(), pw) {
        (Some(NewObject::User { upn, .. }), Some(_)) => Some(upn),
        (
            Some(NewObject::User { .. } | NewObject::Group { .. } | NewObject::Guest { .. }) | None,
            _,
        ) => None,
    };
    match result {
        Ok(resp) => {
            if let (Op::ResetPassword { user, keep: true }, Some(pw)) = (op, pw) {
                observer.password_reset(&user.upn, pw);
            }
            if let Op::CreateTemporaryAccessPass { user, .. } = op {
                match resp.temporary_access_pass() {
                    Some(pass) => observer.temporary_access_pass(&user.upn, &pass),
                    None => {
                        return StepStatus::Failed {
                            error: "Graph's answer holds no temporaryAccessPass".into(),
                        };
                    }
                }
            }
            // An invitation answers with the invitation; the guest user's id
            // is `invitedUser.id` (invitation-post).
            let new_id = if matches!(op, Op::InviteGuest { .. }) {
                resp.invited_user_id()
            } else {
                resp.object_id()
            }
            .map(ObjectId);
            if let Some(upn) = create {
                observer.after_create(upn, CreateEnd::Created);
            }
            created.record(op, new_id);
            StepStatus::Done
        }
        Err(e) if already_in_effect(op, e.status, &e.message) => StepStatus::Done,
        Err(e) => {
            if let Some(upn) = create {
                // The POST carrying a new user failed as a whole: Graph may have
                // created the user, so its pending password stays unconfirmed.
                let end = if e.code == BATCH_POST_FAILED || unknown::outcome_unknown(&e) {
                    CreateEnd::Unknown
                } else {
                    CreateEnd::NotCreated
                };
                observer.after_create(upn, end);
            }
            StepStatus::Failed {
                error: e.to_string(),
            }
        }
    }
}

fn finish(
    steps: &[Step],
    id: usize,
    verdict: StepStatus,
    status: &mut [Option<StepStatus>],
    observer: &mut impl Observer,
) {
    let s = &steps[id];
    let outcome = Outcome {
        step: id,
        op: s.op.kind(),
        object: s.op.object_key(),
        status: verdict.clone(),
    };
    observer.outcome(&outcome);
    status[id] = Some(verdict);
}
