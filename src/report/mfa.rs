//! `mfa`: users without a registered strong authentication method, from
//! Graph's registration report (`reports/authenticationMethods/userRegistrationDetails`).
//!
//! `isMfaRegistered` is Graph's "registered a strong authentication method"
//! (whether or not the authentication-methods policy allows it; the v1.0
//! `userRegistrationDetails` resource). Disabled users are not in Graph's
//! report at all (list page: "doesn't work for disabled users").

use serde::Deserialize;

use super::time;
use super::{Cell, Column, Report};

/// One row of Graph's registration report (the properties the report uses).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// The user's object id.
    pub id: String,
    /// UPN.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub user_display_name: Option<String>,
    /// `member` or `guest`.
    #[serde(default)]
    pub user_type: Option<String>,
    /// Holds an admin role.
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// Registered a strong MFA method.
    #[serde(default)]
    pub is_mfa_registered: Option<bool>,
    /// Methods registered (`mobilePhone`, `email`, …).
    #[serde(default)]
    pub methods_registered: Option<Vec<String>>,
    /// When Graph last updated the row.
    #[serde(default)]
    pub last_updated_date_time: Option<String>,
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
        key: "userType",
        title: "Type",
    },
    Column {
        key: "isAdmin",
        title: "Admin",
    },
    Column {
        key: "methodsRegistered",
        title: "Methods registered",
    },
    Column {
        key: "lastUpdated",
        title: "Report updated",
    },
];

/// Users whose `isMfaRegistered` is not true: admins first, then by UPN.
pub fn build(rows: &[Registration], now: i64) -> Report {
    let mut missing: Vec<&Registration> = rows
        .iter()
        .filter(|r| r.is_mfa_registered != Some(true))
        .collect();
    missing.sort_by(|a, b| {
        (a.is_admin != Some(true), &a.user_principal_name)
            .cmp(&(b.is_admin != Some(true), &b.user_principal_name))
    });
    let admins = missing.iter().filter(|r| r.is_admin == Some(true)).count();
    Report {
        kind: "mfa",
        title: format!(
            "Enabled users without a registered strong authentication method: {} ({admins} with an admin role)",
            missing.len()
        ),
        generated_at: time::iso(now),
        columns: COLUMNS,
        rows: missing
            .iter()
            .map(|r| {
                vec![
                    Cell::opt(r.user_principal_name.clone()),
                    Cell::opt(r.user_display_name.clone()),
                    Cell::opt(r.user_type.clone()),
                    Cell::Bool(r.is_admin == Some(true)),
                    Cell::text(r.methods_registered.clone().unwrap_or_default().join(", ")),
                    Cell::opt(
                        r.last_updated_date_time
                            .as_deref()
                            .and_then(time::parse)
                            .map(time::iso),
                    ),
                ]
            })
            .collect(),
        notes: vec![
            "From Graph's authentication-methods registration report: disabled users are not in it.".into(),
            "A strong method counts even where the authentication-methods policy does not allow it (isMfaRegistered, not isMfaCapable).".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(upn: &str, admin: bool, mfa: Option<bool>, methods: &[&str]) -> Registration {
        Registration {
            id: upn.into(),
            user_principal_name: Some(upn.into()),
            user_display_name: None,
            user_type: Some("member".into()),
            is_admin: Some(admin),
            is_mfa_registered: mfa,
            methods_registered: Some(methods.iter().map(|m| m.to_string()).collect()),
            last_updated_date_time: None,
        }
    }

    #[test]
    fn lists_unregistered_users_admins_first() {
        let rows = vec![
            reg("a@x", false, Some(false), &["email"]),
            reg("b@x", false, Some(true), &["microsoftAuthenticatorPush"]),
            reg("z-admin@x", true, Some(false), &[]),
            reg("unknown@x", false, None, &[]),
        ];
        let r = build(&rows, 0);
        let upns: Vec<String> = r.rows.iter().map(|c| c[0].plain()).collect();
        assert_eq!(upns, ["z-admin@x", "a@x", "unknown@x"]);
        assert_eq!(r.rows[1][4], Cell::text("email"));
        assert!(
            r.title.contains(": 3 (1 with an admin role)"),
            "{}",
            r.title
        );
    }
}
