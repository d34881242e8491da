//! The licence data of a tenant (subscribed SKUs, who holds which licence)
//! and its seed form, apart from the licence handlers so that the tenant
//! state holds it without importing them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A service plan of a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePlan {
    /// `servicePlanId`.
    pub service_plan_id: String,
    /// `servicePlanName`, e.g. `EXCHANGE_S_ENTERPRISE`.
    pub service_plan_name: String,
}

/// A subscribed SKU as seeded (`subscribedSkus:` in a seed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sku {
    /// `skuId`.
    pub sku_id: String,
    /// `skuPartNumber`, e.g. `ENTERPRISEPACK`.
    pub sku_part_number: String,
    /// `prepaidUnits.enabled`: seats that can be assigned.
    pub enabled: u32,
    /// `appliesTo` (`User` unless said otherwise).
    #[serde(default = "user_str")]
    pub applies_to: String,
    /// `servicePlans`.
    #[serde(default)]
    pub service_plans: Vec<ServicePlan>,
}

fn user_str() -> String {
    "User".into()
}

/// A licence assigned to a user or a group, as seeded (`licenseAssignments:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedLicense {
    /// The user (id or UPN) or group (id) holding it.
    pub principal: String,
    /// The SKU's `skuId` or `skuPartNumber`.
    pub sku: String,
    /// Ids of disabled service plans.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_plans: Vec<String>,
}

/// The tenant's SKUs and who holds them directly (users) or for their members (groups).
#[derive(Debug, Clone, Default)]
pub struct LicenseState {
    /// Subscribed SKUs, in seed order.
    pub skus: Vec<Sku>,
    /// Principal (user or group id) → skuId → disabled plan ids.
    pub assigned: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl LicenseState {
    /// A SKU by skuId or part number.
    pub fn sku(&self, key: &str) -> Option<&Sku> {
        self.skus
            .iter()
            .find(|s| s.sku_id.eq_ignore_ascii_case(key) || s.sku_part_number == key)
    }
}

impl LicenseState {
    /// Load a seed's SKUs and assignments, each assignment's principal
    /// already resolved to an object id (`None`: unknown, an error).
    pub fn load(
        &mut self,
        skus: Vec<Sku>,
        assignments: Vec<(Option<String>, SeedLicense)>,
    ) -> Result<(), String> {
        self.skus = skus;
        for (principal, a) in assignments {
            let principal = principal
                .ok_or_else(|| format!("licence for unknown principal {}", a.principal))?;
            let sku = self
                .sku(&a.sku)
                .ok_or_else(|| format!("licence of unknown SKU {}", a.sku))?
                .sku_id
                .clone();
            self.assigned
                .entry(principal)
                .or_default()
                .insert(sku, a.disabled_plans);
        }
        Ok(())
    }

    /// The seed form: SKUs and one assignment per principal and SKU.
    pub fn dump(&self) -> (Vec<Sku>, Vec<SeedLicense>) {
        let assignments = self
            .assigned
            .iter()
            .flat_map(|(p, skus)| {
                skus.iter().map(move |(sku, d)| SeedLicense {
                    principal: p.clone(),
                    sku: sku.clone(),
                    disabled_plans: d.clone(),
                })
            })
            .collect();
        (self.skus.clone(), assignments)
    }
}
