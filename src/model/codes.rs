//! The closed sets of plan notice and plan error codes (docs/plan-format.md,
//! "Notices" and "Errors"), like the YAML diagnostics' `Code`: a code is a
//! variant, never a free string, so a typo does not compile and a test can
//! check the documentation lists every one. Serialised (and ordered) as the
//! kebab-case strings the plan's JSON has always carried.

use serde::{Deserialize, Serialize};

macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code as written in the plan (`kebab-case`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Ordered by the code's text, as the plan's notices and errors have always been sorted.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        /// Compares with the code's text, so callers can keep matching on the documented string.
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        /// Compares with the code's text (see `PartialEq<str>`).
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

codes! {
    /// Why a plan reports something without an operation.
    NoticeCode {
        /// The user is synced from on-premises AD: some changes were left out.
        SyncedUser = "synced-user",
        /// The group is synced from on-premises AD.
        SyncedGroup = "synced-group",
        /// The group's members come from a membership rule.
        DynamicGroup = "dynamic-group",
        /// A user in `scope.exclude` stays in a group or role the repo does not list it in.
        ExcludedUser = "excluded-user",
        /// No longer emitted (the protected-principals gate replaced it); still read from old saved plans.
        ProtectedPrincipal = "protected-principal",
        /// A declared group also has members that are not users.
        NonUserMembers = "non-user-members",
        /// A declared role is also assigned to principals that are not users.
        NonUserPrincipals = "non-user-principals",
        /// The object is in a restricted management administrative unit.
        RestrictedAu = "restricted-au",
        /// A read-only identity made the plan: unappliable steps are left to apply.
        PermissionsNotChecked = "permissions-not-checked",
        /// Restricted management administrative units could not be read.
        RestrictedAuUnknown = "restricted-au-unknown",
        /// The leaver policy's steps for one user, counted for the reviewer.
        Offboarding = "offboarding",
        /// The leaver policy removes a group, licence or role the repo still declares for a
        /// user it offboards (the policy wins; the lines should go).
        LeaverOverridesDeclared = "leaver-overrides-declared",
        /// A leave date, `delete_after:` or `until:` falls within `lifecycle.upcoming_days`.
        Upcoming = "upcoming",
        /// A user's `employeeHireDate` is in the future: the account stays disabled until then.
        HireDatePending = "hire-date-pending",
        /// A declared user was deleted by `delete_after:`; the repo still lists it.
        DepartedUser = "departed-user",
        /// A licence inherited from a group is kept (never removed directly).
        InheritedLicense = "inherited-license",
        /// Seats of a SKU used / available before and after the plan.
        LicenseSeats = "license-seats",
        /// PIM (eligibilities, time-bound assignments) could not be read: the
        /// tenant has no Entra ID P2, or the permission is missing.
        PimUnavailable = "pim-unavailable",
        /// A role held through a role-assignable group (`memberType: Group`), or an
        /// activation: shown, never touched.
        RoleKept = "role-kept",
        /// A leaver's device stays enabled: an application may not disable it (not Windows).
        DeviceKept = "device-kept",
    }
}

codes! {
    /// Why a plan cannot be applied.
    ErrorCode {
        /// A manager, member or principal exists neither in the repo nor in the tenant.
        UnknownUser = "unknown-user",
        /// A member or principal to add is in `scope.exclude`.
        ExcludedUser = "excluded-user",
        /// A role principal is not declared, so `absent_users` would disable or delete it.
        PrincipalLeaving = "principal-leaving",
        /// A referenced user would be deleted by `absent_users: delete`.
        ReferencedUserDeleted = "referenced-user-deleted",
        /// A user to create has no displayName.
        MissingDisplayName = "missing-display-name",
        /// Several groups have the declared name.
        AmbiguousGroup = "ambiguous-group",
        /// A dynamic group does not exist in the tenant.
        UnknownGroup = "unknown-group",
        /// A role does not exist in the tenant.
        UnknownRole = "unknown-role",
        /// The operations depend on each other in a circle (a bug).
        DependencyCycle = "dependency-cycle",
        /// The running service principal is needed as an owner but unknown.
        UnknownRunningPrincipal = "unknown-running-principal",
        /// Unappliable: an application permission is missing.
        MissingPermission = "missing-permission",
        /// Unappliable: a directory role is missing for sensitive actions.
        MissingRole = "missing-role",
        /// Unappliable: Graph refuses the step to every application.
        NotAllowedForApps = "not-allowed-for-apps",
        /// A declared licence or service plan is not one of the tenant's subscribed SKUs.
        UnknownSku = "unknown-sku",
        /// Unappliable: the plan needs more seats of a SKU than are free.
        SeatShortfall = "seat-shortfall",
        /// A rename's new UPN belongs to another live user, or two entries claim one previous UPN.
        RenameCollision = "rename-collision",
        /// A role's `scope: au:<name>` names no administrative unit of the tenant.
        UnknownAdminUnit = "unknown-admin-unit",
        /// An eligibility's or assignment's `until` is today or earlier.
        UntilInPast = "until-in-past",
        /// Eligibilities or time-bound assignments are declared, but PIM could not be read.
        PimUnavailable = "pim-unavailable",
        /// A user to create has a guest (`#EXT#`) UPN: guests are invited, not created.
        GuestUpnNotCreatable = "guest-upn-not-creatable",
        /// `remove_authentication_methods` is in the leaver policy, but leavers' methods could not be read.
        AuthMethodsUnavailable = "auth-methods-unavailable",
        /// `disable_owned_devices` is in the leaver policy, but devices could not be read.
        DevicesUnavailable = "devices-unavailable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_to_their_text_and_read_back() {
        for c in NoticeCode::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<NoticeCode>(&json).unwrap(), *c);
        }
        for c in ErrorCode::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *c);
        }
        assert!(serde_json::from_str::<NoticeCode>("\"no-such-code\"").is_err());
    }

    #[test]
    fn codes_order_by_their_text() {
        let mut codes = ErrorCode::ALL.to_vec();
        codes.sort();
        let texts: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        let mut sorted = texts.clone();
        sorted.sort_unstable();
        assert_eq!(texts, sorted);
    }

    /// docs/plan-format.md's tables of notice and error codes list exactly these.
    #[test]
    fn the_plan_format_documents_every_code() {
        let doc = include_str!("../../docs/plan-format.md");
        let table = |heading: &str| -> Vec<String> {
            let start = doc.find(heading).unwrap();
            let rest = &doc[start + heading.len()..];
            let end = rest.find("\n## ").unwrap_or(rest.len());
            rest[..end]
                .lines()
                .filter_map(|l| l.strip_prefix("| `"))
                .filter_map(|l| l.split_once('`').map(|(c, _)| c.to_string()))
                .filter(|c| c != "code")
                .collect()
        };
        let mut notices: Vec<String> = NoticeCode::ALL.iter().map(|c| c.to_string()).collect();
        let mut errors: Vec<String> = ErrorCode::ALL.iter().map(|c| c.to_string()).collect();
        let (mut doc_notices, mut doc_errors) = (table("\n## Notices\n"), table("\n## Errors\n"));
        for v in [&mut notices, &mut errors, &mut doc_notices, &mut doc_errors] {
            v.sort();
        }
        assert_eq!(notices, doc_notices);
        assert_eq!(errors, doc_errors);
    }
}
