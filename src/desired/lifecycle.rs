//! `tenant.lifecycle`: what happens over a user's life that is not an
//! attribute — the offboarding policy applied when a user becomes disabled,
//! and how far ahead the plan announces upcoming dates.

use serde::Serialize;

/// Days ahead the plan lists upcoming leavers and expiring memberships, by default.
pub const DEFAULT_UPCOMING_DAYS: u32 = 14;

/// Most days ahead `upcoming_days` may look.
pub const MAX_UPCOMING_DAYS: u32 = 366;

/// The validated `tenant.lifecycle` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// The offboarding policy; `None` keeps the default (disable, revoke sessions, remove roles).
    pub leaver: Option<LeaverPolicy>,
    /// Leave dates and `until:` dates this many days ahead are shown as notices.
    pub upcoming_days: u32,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            leaver: None,
            upcoming_days: DEFAULT_UPCOMING_DAYS,
        }
    }
}

/// One step of the offboarding policy that entraform carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaverStep {
    /// Revoke sign-in sessions (always done when a user is disabled; listing it says so).
    RevokeSessions,
    /// Set a random password that nobody keeps (in the plan that disables the user).
    ResetPassword,
    /// Remove the user from every assigned group but `keep_groups`, also from groups the repo
    /// still declares it in (the policy wins; a `leaver-overrides-declared` notice says so).
    RemoveGroupMemberships,
    /// Remove tenant-scope directory roles (always done for disabled users; listing it says so).
    RemoveRoles,
    /// Remove the user's direct licences (one `assignLicense`); inherited group licences stay.
    RemoveLicenses,
    /// Delete every authentication method but the password (phone, Authenticator,
    /// FIDO2, software OATH, email, Windows Hello, TAP), one step per method.
    RemoveAuthenticationMethods,
    /// Disable (`accountEnabled: false`) every Windows device the user is the
    /// registered owner of, one step per device.
    DisableOwnedDevices,
}

impl LeaverStep {
    /// The YAML spelling of every step entraform carries out.
    pub const KNOWN: &'static [(&'static str, LeaverStep)] = &[
        ("revoke_sessions", LeaverStep::RevokeSessions),
        ("reset_password", LeaverStep::ResetPassword),
        (
            "remove_group_memberships",
            LeaverStep::RemoveGroupMemberships,
        ),
        ("remove_roles", LeaverStep::RemoveRoles),
        ("remove_licenses", LeaverStep::RemoveLicenses),
        (
            "remove_authentication_methods",
            LeaverStep::RemoveAuthenticationMethods,
        ),
        ("disable_owned_devices", LeaverStep::DisableOwnedDevices),
    ];

    /// Steps of issue #17 that this version does not carry out yet, with why: the
    /// validator refuses them rather than accept a policy it would silently skip.
    pub const NOT_YET: &'static [(&'static str, &'static str)] = &[(
        "remove_device_ownership",
        "Graph does not let applications remove a device's registered owner (device-delete-registeredowners: application \"Not supported\")",
    )];
}

/// `tenant.lifecycle.leaver`: what happens when a user becomes disabled
/// (`enabled: false`, `absent_users: disable`, or a passed `employeeLeaveDateTime`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaverPolicy {
    /// The steps, sorted, each once.
    pub steps: Vec<LeaverStep>,
    /// Groups (by name, lower-cased) a leaver stays in under `remove_group_memberships`.
    pub keep_groups: Vec<String>,
    /// Soft-delete the user this many seconds after it was disabled (the disable time is
    /// `employeeLeaveDateTime` in Graph).
    pub delete_after: Option<i64>,
}

impl LeaverPolicy {
    /// Does the policy include this step?
    pub fn has(&self, step: LeaverStep) -> bool {
        self.steps.contains(&step)
    }
}
