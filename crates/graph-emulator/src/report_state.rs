//! The sign-in reports' part of a tenant and of its seed: whether the tenant
//! has Microsoft Entra ID P1/P2, and the seeded registration rows
//! (the `reports` module). Below the tenant (`state`) and the seed, which hold
//! it, so neither imports the report handlers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::EmulatorError;

/// The properties a seed row may set (the rest come from the user).
pub const SEEDABLE: &[&str] = &[
    "isSsprRegistered",
    "isSsprEnabled",
    "isSsprCapable",
    "isMfaRegistered",
    "isMfaCapable",
    "isPasswordlessCapable",
    "isSystemPreferredAuthenticationMethodEnabled",
    "lastUpdatedDateTime",
    "methodsRegistered",
    "systemPreferredAuthenticationMethods",
    "userPreferredMethodForSecondaryAuthentication",
];

/// The report state of a tenant.
#[derive(Debug, Clone, Default)]
pub struct ReportState {
    /// Microsoft Entra ID P1 or P2 (seed `entraIdPremium`, default true).
    pub premium: bool,
    /// User id → the seeded registration properties.
    pub registration: BTreeMap<String, Map<String, Value>>,
}

/// A seed row of `userRegistrationDetails`: the user (id or UPN) and the
/// registration properties to report for it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedRegistration {
    /// The user's id or userPrincipalName.
    pub user: String,
    /// `isMfaRegistered`, `methodsRegistered`, … (Graph property names).
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// The report state of a seed; `resolve_user` finds a loaded user's id by id or UPN.
pub fn load(
    resolve_user: impl Fn(&str) -> Option<String>,
    premium: Option<bool>,
    rows: Vec<SeedRegistration>,
) -> Result<ReportState, EmulatorError> {
    let mut state = ReportState {
        premium: premium.unwrap_or(true),
        registration: BTreeMap::new(),
    };
    for row in rows {
        let id = resolve_user(&row.user).ok_or_else(|| {
            EmulatorError::InvalidSeed(format!(
                "userRegistrationDetails: unknown user {}",
                row.user
            ))
        })?;
        let mut props = Map::new();
        for (k, v) in row.properties {
            let p = SEEDABLE
                .iter()
                .find(|p| p.eq_ignore_ascii_case(&k))
                .ok_or_else(|| {
                    EmulatorError::InvalidSeed(format!(
                        "userRegistrationDetails: unknown or computed property '{k}' (the user's id, names, type and isAdmin come from the user)"
                    ))
                })?;
            props.insert((*p).to_string(), v);
        }
        state.registration.insert(id, props);
    }
    Ok(state)
}

/// The seed form of the report state: (`entraIdPremium`, rows of the users that still exist).
pub fn dump(
    state: &ReportState,
    user_exists: impl Fn(&str) -> bool,
) -> (Option<bool>, Vec<SeedRegistration>) {
    let premium = (!state.premium).then_some(false);
    let rows = state
        .registration
        .iter()
        .filter(|(id, _)| user_exists(id))
        .map(|(id, props)| SeedRegistration {
            user: id.clone(),
            properties: props.clone(),
        })
        .collect();
    (premium, rows)
}
