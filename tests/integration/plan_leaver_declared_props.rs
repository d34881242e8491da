//! The leaver policy over declared state, as a property of the pure plan API
//! (docs/decisions.md, *The leaver policy wins over what the repo still
//! declares*): for any set of groups the repo still declares a leaver in,
//! any `keep_groups`, with or without `remove_group_memberships`, disabled
//! by `enabled: false` or by a passed leave date, a plan applied to its own
//! snapshot (`plan::simulate`) leaves nothing to do; a disabled leaver under
//! the step ends in no group but `keep_groups`; and the
//! `leaver-overrides-declared` notice appears exactly when the repo still
//! declares a membership the policy removes.

use entraform::live::Live;
use entraform::model::clock::Moment;
use entraform::model::{ObjectId, Upn};
use entraform::plan::NoticeCode;
use proptest::prelude::*;

use crate::cli_support::lifecycle::{desired, live_user as user, plan_apply_replan, steps_of};
use crate::live_fixture::LiveFixture;

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const GROUPS: [&str; 3] = ["team", "sales", "alumni"];
/// 2026-12-01T00:00:00Z.
const NOW: i64 = 1_796_083_200;

/// admin (Global Administrator); lucas in `member_of` of team, sales, alumni.
fn tenant(member_of: &[bool; 3]) -> Live {
    let mut f = LiveFixture::default();
    f.users.push(user("id-admin", "admin@contoso.com"));
    f.users.push(user("id-lucas", "lucas@contoso.com"));
    for (i, name) in GROUPS.iter().enumerate() {
        let members = if member_of[i] {
            vec![ObjectId("id-lucas".into())]
        } else {
            Vec::new()
        };
        f.groups
            .push((ObjectId(format!("g-{name}")), name.to_string(), members));
    }
    f.roles.push((GA.into(), "Global Administrator".into()));
    f.assignments
        .push(("ra-0".into(), ObjectId("id-admin".into()), GA.into()));
    f.running_as = Some((ObjectId("sp-self".into()), vec![GA.into()]));
    f.build()
}

fn pick(mask: &[bool; 3]) -> Vec<&'static str> {
    GROUPS
        .iter()
        .zip(mask)
        .filter(|(_, on)| **on)
        .map(|(g, _)| *g)
        .collect()
}

fn repo(declared: &[bool; 3], keep: &[bool; 3], step: bool, by_date: bool) -> String {
    let steps = if step {
        "[revoke_sessions, remove_group_memberships]"
    } else {
        "[revoke_sessions]"
    };
    let leaves = if by_date {
        "    employeeLeaveDateTime: 2026-11-30\n"
    } else {
        "    enabled: false\n"
    };
    format!(
        "tenant:
  domain: contoso.com
  absent_users: ignore
  lifecycle:
    leaver:
      steps: {steps}
      keep_groups: [{}]
users:
  - upn: admin
    displayName: admin@contoso.com
  - upn: lucas
    displayName: lucas@contoso.com
    groups: [{}]
{leaves}groups:
  - {{ name: team, membership: additive }}
  - {{ name: sales, membership: additive }}
  - {{ name: alumni, membership: additive }}
",
        pick(keep).join(", "),
        pick(declared).join(", "),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_leaver_settles_in_one_apply_whatever_the_repo_still_declares(
        member_of in any::<[bool; 3]>(),
        declared in any::<[bool; 3]>(),
        keep in any::<[bool; 3]>(),
        step in any::<bool>(),
        by_date in any::<bool>(),
    ) {
        let d = desired(&repo(&declared, &keep, step, by_date));
        let now = Moment(NOW);
        let (p, live, again) = plan_apply_replan(&d, &tenant(&member_of), now);
        prop_assert!(p.errors.is_empty(), "{:?}", p.errors);
        prop_assert!(again.steps.is_empty(), "still {:?}", steps_of(&again));
        let lucas = live.user_of(&Upn::new_unchecked("lucas@contoso.com")).unwrap();
        prop_assert!(!lucas.account_enabled);
        let mut now_in: Vec<String> = live
            .groups_of(&lucas.id)
            .iter()
            .map(|g| g.display_name.clone())
            .collect();
        now_in.sort();
        for (i, g) in GROUPS.iter().enumerate() {
            let expected = if step {
                // The policy wins: only keep_groups stay (added if declared).
                keep[i] && (member_of[i] || declared[i])
            } else {
                // Without the step, the repo's declarations rule as before.
                member_of[i] || declared[i]
            };
            prop_assert_eq!(now_in.iter().any(|n| n == g), expected, "{} in {:?}", g, now_in);
        }
        let overridden = step && (0..3).any(|i| declared[i] && !keep[i]);
        for plan in [&p, &again] {
            let notice = plan
                .notices
                .iter()
                .any(|n| n.code == NoticeCode::LeaverOverridesDeclared);
            prop_assert_eq!(notice, overridden, "{:?}", plan.notices);
        }
    }
}
