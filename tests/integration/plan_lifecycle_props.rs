//! The lifecycle rules through the pure plan API (issue #17, part B), as a
//! property: for any leave date, hire date, `until:` and two moments `--now`
//! (the second later), a plan applied to its own snapshot
//! (`plan::simulate`) leaves nothing to do at the same moment — offboarding,
//! recorded leave times, `delete_after` deletions, expiring memberships and
//! hire-date gates all settle in one apply.

use entraform::live::Live;
use entraform::model::clock::Moment;
use entraform::model::{ObjectId, Upn};

use proptest::prelude::*;

use crate::cli_support::lifecycle::{desired, live_user as user, plan_apply_replan, steps_of};
use crate::live_fixture::LiveFixture;

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const DAY: i64 = 86_400;
/// 2026-12-01T00:00:00Z.
const BASE: i64 = 1_796_083_200;

fn tenant() -> Live {
    let mut f = LiveFixture::default();
    f.users.push(user("id-admin", "admin@contoso.com"));
    f.users.push(user("id-lucas", "lucas@contoso.com"));
    f.users.push(user("id-ana", "ana@contoso.com"));
    let team = (
        ObjectId("team".into()),
        "team".to_string(),
        vec![ObjectId("id-lucas".into()), ObjectId("id-ana".into())],
    );
    let sales = (
        ObjectId("sales".into()),
        "sales".to_string(),
        vec![ObjectId("id-lucas".into())],
    );
    f.groups.push(team);
    f.groups.push(sales);
    f.roles.push((GA.into(), "Global Administrator".into()));
    f.assignments
        .push(("ra-0".into(), ObjectId("id-admin".into()), GA.into()));
    f.running_as = Some((ObjectId("sp-self".into()), vec![GA.into()]));
    f.build()
}

fn date(secs: i64) -> String {
    Moment(secs).to_rfc3339()
}

fn repo(leave: i64, hire: i64, until: i64, delete_after_days: i64) -> String {
    format!(
        "tenant:
  domain: contoso.com
  absent_users: disable
  lifecycle:
    leaver:
      steps: [revoke_sessions, reset_password, remove_group_memberships, remove_roles]
      delete_after: {delete_after_days}d
users:
  - upn: admin
    displayName: admin@contoso.com
  - upn: lucas
    displayName: lucas@contoso.com
    employeeLeaveDateTime: {}
  - upn: ana
    displayName: ana@contoso.com
  - upn: nina
    displayName: nina@contoso.com
    employeeHireDate: {}
    enabled: true
groups:
  - name: team
    membership: additive
    members: [ana, {{ user: nina, until: {} }}]
",
        date(leave),
        date(hire),
        date(until)
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_plan_applied_to_its_snapshot_leaves_nothing_at_the_same_moment(
        leave in 0i64..60, hire in 0i64..60, until in 0i64..60,
        first in 0i64..60, later in 0i64..90, delete_after in 1i64..40,
    ) {
        let d = desired(&repo(BASE + leave * DAY, BASE + hire * DAY, BASE + until * DAY, delete_after));
        let mut live = tenant();
        for now in [BASE + first * DAY, BASE + (first + later) * DAY] {
            let now = Moment(now);
            let (p, after, again) = plan_apply_replan(&d, &live, now);
            prop_assert!(p.errors.is_empty(), "{:?}", p.errors);
            live = after;
            prop_assert!(again.steps.is_empty(), "at {now}: still {:?}", steps_of(&again));
            // A leaver past its leave date is disabled (or gone), never enabled.
            if now.0 >= BASE + leave * DAY {
                let lucas = live.user_of(&Upn::new_unchecked("lucas@contoso.com"));
                prop_assert!(lucas.is_none_or(|u| !u.account_enabled));
            }
            // Before her hire date, nina is never enabled.
            if now.0 < BASE + hire * DAY {
                let nina = live.user_of(&Upn::new_unchecked("nina@contoso.com"));
                prop_assert!(nina.is_none_or(|u| !u.account_enabled));
            }
        }
    }
}
