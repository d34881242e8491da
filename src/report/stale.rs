//! `stale-accounts`: enabled users whose last sign-in is older than N days,
//! or who never signed in.
//!
//! The last sign-in is the latest of Graph's three `signInActivity` times
//! (interactive, non-interactive, successful): a user whose only activity is
//! a client signing in on their behalf is still in use. Empty strings and
//! `0001-01-01T00:00:00Z`, which Graph's samples show for "none", count as no
//! value; so does a user without `signInActivity` (never signed in, or last
//! before April 2020: user resource page).

use serde::Deserialize;

use super::time::{self, DAY};
use super::{Cell, Column, Report};

/// A user's `signInActivity` as Graph returns it (v1.0 `signInActivity` resource).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    /// Last interactive sign-in attempt (successful or not).
    #[serde(default)]
    pub last_sign_in_date_time: Option<String>,
    /// Last non-interactive sign-in attempt.
    #[serde(default)]
    pub last_non_interactive_sign_in_date_time: Option<String>,
    /// Last successful sign-in (kept since December 2023).
    #[serde(default)]
    pub last_successful_sign_in_date_time: Option<String>,
}

/// A user with what the report needs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInUser {
    /// Object id.
    pub id: String,
    /// UPN.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `accountEnabled` (absent counts as enabled: Graph's default).
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `createdDateTime`.
    #[serde(default)]
    pub created_date_time: Option<String>,
    /// `signInActivity` (absent: no sign-in recorded).
    #[serde(default)]
    pub sign_in_activity: Option<SignInActivity>,
}

/// The report's columns.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "userPrincipalName",
        title: "User",
    },
    Column {
        key: "displayName",
        title: "Name",
    },
    Column {
        key: "lastSignIn",
        title: "Last sign-in",
    },
    Column {
        key: "daysSinceSignIn",
        title: "Days since",
    },
    Column {
        key: "created",
        title: "Created",
    },
];

/// The latest sign-in of a user, in Unix seconds.
pub fn last_sign_in(a: &SignInActivity) -> Option<i64> {
    [
        &a.last_sign_in_date_time,
        &a.last_non_interactive_sign_in_date_time,
        &a.last_successful_sign_in_date_time,
    ]
    .into_iter()
    .filter_map(|t| t.as_deref().and_then(time::parse))
    .max()
}

/// Enabled users not signed in for more than `days` days at `now` (Unix
/// seconds), or never: never-signed-in first, then oldest sign-in first.
pub fn build(users: &[SignInUser], now: i64, days: u32) -> Report {
    let limit = now - i64::from(days) * DAY;
    let mut stale: Vec<(&SignInUser, Option<i64>)> = users
        .iter()
        .filter(|u| u.account_enabled != Some(false))
        .map(|u| (u, u.sign_in_activity.as_ref().and_then(last_sign_in)))
        .filter(|(_, last)| last.is_none_or(|t| t < limit))
        .collect();
    stale.sort_by(|(a, la), (b, lb)| {
        la.cmp(lb)
            .then_with(|| a.user_principal_name.cmp(&b.user_principal_name))
    });
    let never = stale.iter().filter(|(_, l)| l.is_none()).count();
    let rows = stale
        .iter()
        .map(|(u, last)| {
            vec![
                Cell::opt(u.user_principal_name.clone()),
                Cell::opt(u.display_name.clone()),
                last.map_or(Cell::text("never"), |t| Cell::text(time::iso(t))),
                last.map_or(Cell::Empty, |t| Cell::Int((now - t).div_euclid(DAY))),
                Cell::opt(
                    u.created_date_time
                        .as_deref()
                        .and_then(time::parse)
                        .map(time::date),
                ),
            ]
        })
        .collect();
    Report {
        kind: "stale-accounts",
        title: format!(
            "Enabled users without a sign-in in the last {days} days: {} ({never} never signed in)",
            stale.len()
        ),
        generated_at: time::iso(now),
        columns: COLUMNS,
        rows,
        notes: vec![
            "Last sign-in is the latest of the interactive, non-interactive and successful sign-in times of signInActivity; Graph can take up to 24 hours to update it.".into(),
            "\"never\" also covers sign-ins before April 2020, which Graph does not keep.".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000; // 2026-05-28T20:26:40Z

    fn user(upn: &str, enabled: bool, activity: Option<SignInActivity>) -> SignInUser {
        SignInUser {
            id: upn.into(),
            user_principal_name: Some(upn.into()),
            display_name: None,
            account_enabled: Some(enabled),
            created_date_time: Some("2020-01-01T00:00:00Z".into()),
            sign_in_activity: activity,
        }
    }

    fn at(days_ago: i64) -> Option<String> {
        Some(time::iso(NOW - days_ago * DAY))
    }

    #[test]
    fn keeps_enabled_users_older_than_the_limit_or_never_seen() {
        let users = vec![
            user(
                "recent@x",
                true,
                Some(SignInActivity {
                    last_sign_in_date_time: at(5),
                    ..Default::default()
                }),
            ),
            user(
                "old@x",
                true,
                Some(SignInActivity {
                    last_sign_in_date_time: at(200),
                    ..Default::default()
                }),
            ),
            user("never@x", true, None),
            user(
                "disabled@x",
                false,
                Some(SignInActivity {
                    last_sign_in_date_time: at(400),
                    ..Default::default()
                }),
            ),
            // Exactly 90 days: not older than 90 days.
            user(
                "edge@x",
                true,
                Some(SignInActivity {
                    last_sign_in_date_time: at(90),
                    ..Default::default()
                }),
            ),
        ];
        let r = build(&users, NOW, 90);
        let upns: Vec<String> = r.rows.iter().map(|c| c[0].plain()).collect();
        assert_eq!(upns, ["never@x", "old@x"]);
        assert_eq!(r.rows[0][2], Cell::text("never"));
        assert_eq!(r.rows[0][3], Cell::Empty);
        assert_eq!(r.rows[1][3], Cell::Int(200));
        assert_eq!(r.rows[1][4], Cell::text("2020-01-01"));
        assert!(r.title.contains(": 2 (1 never signed in)"), "{}", r.title);
    }

    #[test]
    fn the_latest_of_the_three_times_counts_and_placeholders_do_not() {
        let only_background = SignInActivity {
            last_sign_in_date_time: at(300),
            last_non_interactive_sign_in_date_time: at(1),
            last_successful_sign_in_date_time: Some(String::new()),
        };
        assert_eq!(last_sign_in(&only_background), Some(NOW - DAY));
        let placeholders = SignInActivity {
            last_sign_in_date_time: Some(String::new()),
            last_non_interactive_sign_in_date_time: Some("0001-01-01T00:00:00Z".into()),
            last_successful_sign_in_date_time: None,
        };
        assert_eq!(last_sign_in(&placeholders), None);
        let r = build(&[user("p@x", true, Some(placeholders))], NOW, 30);
        assert_eq!(r.rows.len(), 1, "placeholders mean never");
    }
}
