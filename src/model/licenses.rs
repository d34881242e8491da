//! Licences: the tenant's subscribed SKUs and the licences its users hold,
//! directly or inherited from a group (group-based licensing), as read from
//! `GET /subscribedSkus` and a user's `licenseAssignmentStates`; and what a
//! user entry declares (`licenses:`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::ObjectId;

/// A service plan inside a SKU.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServicePlan {
    /// `servicePlanId`.
    pub id: String,
    /// `servicePlanName` (`EXCHANGE_S_ENTERPRISE`).
    pub name: String,
}

/// One subscribed SKU (`subscribedSku`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sku {
    /// `skuId`.
    pub sku_id: String,
    /// `skuPartNumber` (`ENTERPRISEPACK`), the name admins use.
    pub part_number: String,
    /// `prepaidUnits.enabled`: seats that can be assigned.
    pub enabled: u64,
    /// `consumedUnits`: seats in use.
    pub consumed: u64,
    /// `servicePlans`.
    pub plans: Vec<ServicePlan>,
}

impl Sku {
    /// Free seats (`enabled − consumed`; Graph documents no formula, this
    /// is the reading docs/decisions.md records).
    pub fn free(&self) -> u64 {
        self.enabled.saturating_sub(self.consumed)
    }
}

/// One path by which a user holds a SKU (`licenseAssignmentState`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HeldLicense {
    /// `skuId`.
    pub sku_id: String,
    /// Disabled service plan ids.
    pub disabled_plans: Vec<String>,
    /// `assignedByGroup`: the group it is inherited from; `None` when direct.
    pub by_group: Option<ObjectId>,
}

/// What was read about licences (only when the repo manages them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveLicenses {
    /// Subscribed SKUs.
    pub skus: Vec<Sku>,
    /// Licence paths of every licensed user.
    pub by_user: HashMap<ObjectId, Vec<HeldLicense>>,
}

impl LiveLicenses {
    /// A SKU by part number (case-insensitive) or skuId.
    pub fn sku(&self, key: &str) -> Option<&Sku> {
        self.skus
            .iter()
            .find(|s| s.part_number.eq_ignore_ascii_case(key) || s.sku_id.eq_ignore_ascii_case(key))
    }
    /// The licence paths of a user (empty when it holds none).
    pub fn of(&self, user: &ObjectId) -> &[HeldLicense] {
        self.by_user.get(user).map_or(&[], Vec::as_slice)
    }
}

/// A declared licence: a SKU part number and the service plans to disable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LicenseSpec {
    /// SKU part number as declared (`ENTERPRISEPACK`).
    pub sku: String,
    /// Service plan names to disable (`disabled_plans:`), sorted.
    pub disabled_plans: Vec<String>,
}
