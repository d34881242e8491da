//! `deleted-users`: soft-deleted users and the days left before Graph purges
//! them.
//!
//! Deleted directory objects stay restorable for 30 days, then Graph deletes
//! them for good (v1.0 `resources/directory` and `api/user-delete`: "can be
//! restored within 30 days. After that time, they are permanently deleted").
//! The purge time is `deletedDateTime` + 30 days; the days left are whole
//! days, counted down (a user purged in 2.5 days has 2 days left: at least
//! that long to restore it), 0 in its last day and after (Graph purges in
//! the background, not to the second).

use crate::model::live::DeletedUser;

use super::time::{self, DAY};
use super::{Cell, Column, Report};

/// How long Graph keeps a deleted user restorable.
pub const RETENTION_DAYS: i64 = 30;

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
        key: "id",
        title: "Object id",
    },
    Column {
        key: "deleted",
        title: "Deleted",
    },
    Column {
        key: "purgedAfter",
        title: "Purged after",
    },
    Column {
        key: "daysLeft",
        title: "Days left",
    },
];

/// Days left at `now` before a user deleted at `deleted` is purged.
pub fn days_left(deleted: i64, now: i64) -> i64 {
    let left = deleted + RETENTION_DAYS * DAY - now;
    left.max(0) / DAY
}

/// Soft-deleted users, the soonest purged first (those without a
/// `deletedDateTime` last, their days unknown).
pub fn build(users: &[DeletedUser], now: i64) -> Report {
    let mut rows: Vec<(&DeletedUser, Option<i64>)> = users
        .iter()
        .map(|u| (u, u.deleted_date_time.as_deref().and_then(time::parse)))
        .collect();
    rows.sort_by(|(a, da), (b, db)| {
        (da.is_none(), da)
            .cmp(&(db.is_none(), db))
            .then_with(|| a.original_upn.cmp(&b.original_upn))
    });
    let soon = rows
        .iter()
        .filter(|(_, d)| d.is_some_and(|d| days_left(d, now) <= 7))
        .count();
    Report {
        kind: "deleted-users",
        title: format!(
            "Soft-deleted users: {} ({soon} purged within 7 days)",
            rows.len()
        ),
        generated_at: time::iso(now),
        columns: COLUMNS,
        rows: rows
            .iter()
            .map(|(u, d)| {
                vec![
                    Cell::text(u.original_upn.as_str()),
                    Cell::opt(u.display_name.clone()),
                    Cell::text(u.id.0.clone()),
                    Cell::opt(d.map(time::iso)),
                    Cell::opt(d.map(|d| time::iso(d + RETENTION_DAYS * DAY))),
                    d.map_or(Cell::Empty, |d| Cell::Int(days_left(d, now))),
                ]
            })
            .collect(),
        notes: vec![format!(
            "Graph keeps a deleted user restorable for {RETENTION_DAYS} days after its deletion, then deletes it for good (restore: POST /directory/deletedItems/{{id}}/restore)."
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ObjectId;

    const NOW: i64 = 1_780_000_000;

    fn deleted(id: &str, upn: &str, days_ago: Option<f64>) -> DeletedUser {
        DeletedUser::new(
            ObjectId(id.into()),
            format!("{}{upn}", id.replace('-', "")),
            Some(format!("Name of {upn}")),
            days_ago.map(|d| time::iso(NOW - (d * DAY as f64) as i64)),
        )
    }

    #[test]
    fn days_left_are_whole_days_and_stop_at_zero() {
        assert_eq!(days_left(NOW, NOW), 30);
        assert_eq!(
            days_left(NOW - DAY / 2, NOW),
            29,
            "29.5 days left: at least 29"
        );
        assert_eq!(days_left(NOW - 29 * DAY, NOW), 1);
        assert_eq!(days_left(NOW - 30 * DAY, NOW), 0);
        assert_eq!(days_left(NOW - 45 * DAY, NOW), 0);
    }

    #[test]
    fn a_hostile_upn_in_deleted_items_does_not_panic() {
        // The id without dashes is 32 bytes; a 3-byte character across byte 32.
        let id = "11111111-1111-4111-8111-111111111111";
        let upn = "€".repeat(20);
        let u = DeletedUser::new(ObjectId(id.into()), upn.clone(), None, None);
        assert_eq!(u.original_upn.as_str(), upn);
        let r = build(&[u], NOW);
        assert_eq!(r.rows[0][0], Cell::text(upn));
    }

    #[test]
    fn soonest_first_with_the_original_upn() {
        let users = vec![
            deleted(
                "11111111-1111-4111-8111-111111111111",
                "new@x.com",
                Some(1.0),
            ),
            deleted(
                "22222222-2222-4222-8222-222222222222",
                "old@x.com",
                Some(27.5),
            ),
            deleted(
                "33333333-3333-4333-8333-333333333333",
                "unknown@x.com",
                None,
            ),
        ];
        let r = build(&users, NOW);
        let upns: Vec<String> = r.rows.iter().map(|c| c[0].plain()).collect();
        assert_eq!(upns, ["old@x.com", "new@x.com", "unknown@x.com"]);
        assert_eq!(r.rows[0][5], Cell::Int(2));
        assert_eq!(r.rows[1][5], Cell::Int(29));
        assert_eq!(r.rows[2][5], Cell::Empty);
        assert!(
            r.title.contains(": 3 (1 purged within 7 days)"),
            "{}",
            r.title
        );
    }
}
