//! Who may perform *sensitive actions* on a user: Microsoft Graph's two
//! tables, as pure data shared by the emulator (which enforces them), the
//! planner (which reports what Graph would refuse) and `entraform doctor`.
//!
//! Source: Microsoft Graph, "Working with users in Microsoft Graph"
//! (learn.microsoft.com/en-us/graph/api/resources/users?view=graph-rest-1.0),
//! sections *Who can perform sensitive actions* and *Who can reset
//! passwords*. The sensitive actions are disabling or enabling a user
//! (`accountEnabled`), updating `businessPhones`, `mobilePhone`,
//! `onPremisesImmutableId`, `otherMails`, `passwordProfile` or
//! `userPrincipalName`, and deleting or restoring a user. The second table
//! also governs invalidating refresh tokens (`revokeSignInSessions`), and
//! the right to reset a password includes updating phones and other mails.
//!
//! In app-only calls the *calling service principal* must hold one of the
//! acting roles for a target that holds an administrator role (user-update
//! and user-delete pages: "the app must be assigned a higher privileged
//! administrator role as indicated in Who can perform sensitive actions").
//! A target without any admin role needs no role from the app.
//!
//! Where the tables are silent the stricter reading is taken: a target
//! holding a built-in role the tables do not list is treated like one with a
//! custom role (only Privileged Authentication Administrator and Global
//! Administrator may act on it).

/// Role template ids used by the tables.
pub mod role {
    /// Authentication Administrator.
    pub const AUTHENTICATION_ADMINISTRATOR: &str = "c4e39bd9-1100-46d3-8c65-fb160da0071f";
    /// Directory Readers.
    pub const DIRECTORY_READERS: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
    /// Global Administrator.
    pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
    /// Groups Administrator.
    pub const GROUPS_ADMINISTRATOR: &str = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
    /// Guest Inviter.
    pub const GUEST_INVITER: &str = "95e79109-95c0-4d8e-aee3-d01accf2d47b";
    /// Helpdesk Administrator.
    pub const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
    /// Message Center Reader.
    pub const MESSAGE_CENTER_READER: &str = "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b";
    /// Password Administrator.
    pub const PASSWORD_ADMINISTRATOR: &str = "966707d0-3269-4727-9be2-8c3a10f19b9d";
    /// Privileged Authentication Administrator.
    pub const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: &str =
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";
    /// Privileged Role Administrator.
    pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
    /// Reports Reader.
    pub const REPORTS_READER: &str = "4a5d8f65-41da-4de4-8968-e035b65339cf";
    /// Usage Summary Reports Reader.
    pub const USAGE_SUMMARY_REPORTS_READER: &str = "75934031-6c7e-415a-99d7-48dbd49e875e";
    /// User Administrator.
    pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
}

use role::*;

/// Which of Graph's two tables applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// *Who can perform sensitive actions*: `accountEnabled`, phones,
    /// `onPremisesImmutableId`, `otherMails`, `userPrincipalName`, delete, restore.
    SensitiveActions,
    /// *Who can reset passwords*: `passwordProfile` and revoking sessions.
    ResetPassword,
}

const PAA_GA: &[&str] = &[
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];

/// Sensitive actions: the four acting roles of the table.
const SA_ALL: &[&str] = &[
    AUTHENTICATION_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];
const SA_AUTH: &[&str] = &[
    AUTHENTICATION_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];
const SA_USER: &[&str] = &[
    USER_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];

/// Who can perform sensitive actions: target role → acting roles.
const SENSITIVE: &[(&str, &[&str])] = &[
    (AUTHENTICATION_ADMINISTRATOR, SA_AUTH),
    (DIRECTORY_READERS, SA_ALL),
    (GLOBAL_ADMINISTRATOR, PAA_GA),
    (GROUPS_ADMINISTRATOR, SA_USER),
    (GUEST_INVITER, SA_ALL),
    (HELPDESK_ADMINISTRATOR, SA_USER),
    (MESSAGE_CENTER_READER, SA_ALL),
    (PASSWORD_ADMINISTRATOR, SA_ALL),
    (PRIVILEGED_AUTHENTICATION_ADMINISTRATOR, PAA_GA),
    (PRIVILEGED_ROLE_ADMINISTRATOR, PAA_GA),
    (REPORTS_READER, SA_ALL),
    (USER_ADMINISTRATOR, SA_USER),
    (USAGE_SUMMARY_REPORTS_READER, SA_ALL),
];

/// Reset passwords: the six acting roles of the table.
const RP_ALL: &[&str] = &[
    PASSWORD_ADMINISTRATOR,
    HELPDESK_ADMINISTRATOR,
    AUTHENTICATION_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];
const RP_READERS: &[&str] = &[
    HELPDESK_ADMINISTRATOR,
    AUTHENTICATION_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];
const RP_HELPDESK: &[&str] = &[
    HELPDESK_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    GLOBAL_ADMINISTRATOR,
];

/// Who can reset passwords: target role → acting roles.
const RESET: &[(&str, &[&str])] = &[
    (AUTHENTICATION_ADMINISTRATOR, SA_AUTH),
    (DIRECTORY_READERS, RP_ALL),
    (GLOBAL_ADMINISTRATOR, PAA_GA),
    (GROUPS_ADMINISTRATOR, SA_USER),
    (GUEST_INVITER, RP_ALL),
    (HELPDESK_ADMINISTRATOR, RP_HELPDESK),
    (MESSAGE_CENTER_READER, RP_READERS),
    (PASSWORD_ADMINISTRATOR, RP_ALL),
    (PRIVILEGED_AUTHENTICATION_ADMINISTRATOR, PAA_GA),
    (PRIVILEGED_ROLE_ADMINISTRATOR, PAA_GA),
    (REPORTS_READER, RP_READERS),
    (USER_ADMINISTRATOR, SA_USER),
    (USAGE_SUMMARY_REPORTS_READER, RP_READERS),
];

/// What makes a target user privileged, as far as the tables go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// Role definition (template) ids of the directory roles the user holds at tenant scope.
    pub roles: Vec<String>,
    /// The user is a member or owner of a role-assignable group (or of a
    /// group that holds a role, which must be role-assignable).
    pub in_role_assignable_group: bool,
    /// The user holds a role scoped to a restricted management administrative unit.
    pub restricted_unit_role: bool,
}

impl Target {
    /// A target with no admin role: anyone with the Graph permission may act.
    pub fn is_plain(&self) -> bool {
        self.roles.is_empty() && !self.in_role_assignable_group && !self.restricted_unit_role
    }
}

fn actors(table: Table, target_role: &str) -> &'static [&'static str] {
    let rows = match table {
        Table::SensitiveActions => SENSITIVE,
        Table::ResetPassword => RESET,
    };
    rows.iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(target_role))
        .map_or(PAA_GA, |(_, a)| *a)
}

/// The roles any one of which lets a caller act on `target` under `table`;
/// `None` when no role is needed (a target without admin roles). The
/// result is the intersection over every reason the target is privileged,
/// in the table's column order.
pub fn required_roles(table: Table, target: &Target) -> Option<Vec<&'static str>> {
    if target.is_plain() {
        return None;
    }
    let columns: &[&str] = match table {
        Table::SensitiveActions => SA_ALL,
        Table::ResetPassword => RP_ALL,
    };
    let mut allowed: Vec<&'static str> = columns.to_vec();
    let mut keep = |set: &[&str]| allowed.retain(|a| set.contains(a));
    for r in &target.roles {
        keep(actors(table, r));
    }
    if target.in_role_assignable_group || target.restricted_unit_role {
        keep(PAA_GA);
    }
    Some(allowed)
}

/// Whether a caller holding `caller_roles` (template ids) may act on `target`.
pub fn allowed(table: Table, caller_roles: &[String], target: &Target) -> bool {
    match required_roles(table, target) {
        None => true,
        Some(need) => need
            .iter()
            .any(|n| caller_roles.iter().any(|c| c.eq_ignore_ascii_case(n))),
    }
}

/// Display names of roles, for messages (`User Administrator or Global Administrator`).
pub fn names(roles: &[&str]) -> String {
    let n: Vec<&str> = roles
        .iter()
        .map(|r| crate::builtin_roles::by_template_id(r).map_or(*r, |b| b.display_name))
        .collect();
    match n.as_slice() {
        [] => "no role can".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(roles: &[&str]) -> Target {
        Target {
            roles: roles.iter().map(|s| s.to_string()).collect(),
            ..Target::default()
        }
    }

    #[test]
    fn plain_users_need_no_role() {
        assert_eq!(
            required_roles(Table::SensitiveActions, &Target::default()),
            None
        );
        assert!(allowed(Table::ResetPassword, &[], &Target::default()));
    }

    #[test]
    fn rows_of_the_tables() {
        let ua = vec![USER_ADMINISTRATOR.to_string()];
        // A User Administrator may act on Helpdesk and User Administrators, not on Global ones.
        assert!(allowed(
            Table::SensitiveActions,
            &ua,
            &target(&[HELPDESK_ADMINISTRATOR])
        ));
        assert!(allowed(
            Table::SensitiveActions,
            &ua,
            &target(&[USER_ADMINISTRATOR])
        ));
        assert!(!allowed(
            Table::SensitiveActions,
            &ua,
            &target(&[GLOBAL_ADMINISTRATOR])
        ));
        // An Authentication Administrator may not act on a User Administrator.
        let auth = vec![AUTHENTICATION_ADMINISTRATOR.to_string()];
        assert!(!allowed(
            Table::SensitiveActions,
            &auth,
            &target(&[USER_ADMINISTRATOR])
        ));
        // Reset passwords: Helpdesk on Message Center Reader yes, Password Admin no.
        let helpdesk = vec![HELPDESK_ADMINISTRATOR.to_string()];
        let pwd = vec![PASSWORD_ADMINISTRATOR.to_string()];
        let mcr = target(&[MESSAGE_CENTER_READER]);
        assert!(allowed(Table::ResetPassword, &helpdesk, &mcr));
        assert!(!allowed(Table::ResetPassword, &pwd, &mcr));
        // Several roles: the intersection.
        assert_eq!(
            required_roles(
                Table::SensitiveActions,
                &target(&[AUTHENTICATION_ADMINISTRATOR, USER_ADMINISTRATOR])
            ),
            Some(PAA_GA.to_vec())
        );
        // Unlisted built-in roles and role-assignable groups: PAA and GA only.
        let exchange = "29232cdf-9323-42fd-ade2-1d097af3e4de";
        assert_eq!(
            required_roles(Table::SensitiveActions, &target(&[exchange])),
            Some(PAA_GA.to_vec())
        );
        let grouped = Target {
            in_role_assignable_group: true,
            ..Target::default()
        };
        assert!(!allowed(Table::SensitiveActions, &ua, &grouped));
        assert_eq!(
            names(PAA_GA),
            "Privileged Authentication Administrator or Global Administrator"
        );
    }
}
