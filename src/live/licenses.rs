//! Reading licences: the tenant's subscribed SKUs (`GET /subscribedSkus`,
//! reusable on its own, e.g. by a licence report) and every user's licence
//! paths (`licenseAssignmentStates`, direct or inherited from a group).
//! Read in full each time: Graph's `users/delta` does not track
//! `licenseAssignmentStates` (user-delta), so the incremental snapshot
//! cannot hold them. Requests: 1 + ⌈U/999⌉.

use serde::Deserialize;

use crate::graph::{GraphClient, GraphError};
use crate::model::ObjectId;
use crate::model::licenses::{HeldLicense, LiveLicenses, ServicePlan, Sku};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkuDto {
    sku_id: String,
    sku_part_number: String,
    #[serde(default)]
    consumed_units: u64,
    prepaid_units: Option<UnitsDto>,
    #[serde(default)]
    applies_to: Option<String>,
    #[serde(default)]
    service_plans: Vec<PlanDto>,
}

#[derive(Deserialize)]
struct UnitsDto {
    #[serde(default)]
    enabled: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlanDto {
    service_plan_id: String,
    service_plan_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserLicensesDto {
    id: String,
    #[serde(default)]
    license_assignment_states: Option<Vec<StateDto>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateDto {
    sku_id: Option<String>,
    #[serde(default)]
    disabled_plans: Option<Vec<String>>,
    assigned_by_group: Option<String>,
}

/// `GET /subscribedSkus`: the SKUs users can be assigned (`appliesTo: User`).
pub async fn read_skus(client: &GraphClient) -> Result<Vec<Sku>, GraphError> {
    let listing = client
        .list::<SkuDto>("/subscribedSkus?$select=skuId,skuPartNumber,consumedUnits,prepaidUnits,appliesTo,servicePlans")
        .await?;
    Ok(listing
        .items
        .into_iter()
        .filter(|s| s.applies_to.as_deref().is_none_or(|a| a == "User"))
        .map(|s| Sku {
            sku_id: s.sku_id,
            part_number: s.sku_part_number,
            enabled: s.prepaid_units.map_or(0, |u| u.enabled),
            consumed: s.consumed_units,
            plans: s
                .service_plans
                .into_iter()
                .map(|p| ServicePlan {
                    id: p.service_plan_id,
                    name: p.service_plan_name,
                })
                .collect(),
        })
        .collect())
}

/// The SKUs and every user's licence paths.
pub async fn read_licenses(client: &GraphClient) -> Result<LiveLicenses, GraphError> {
    // Both at once: the SKUs and the users' licence paths do not depend on each other.
    let (skus, users) = tokio::try_join!(
        read_skus(client),
        client.list::<UserLicensesDto>("/users?$select=id,licenseAssignmentStates&$top=999")
    )?;
    let mut out = LiveLicenses {
        skus,
        ..LiveLicenses::default()
    };
    for u in users.items {
        let held: Vec<HeldLicense> = u
            .license_assignment_states
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| {
                Some(HeldLicense {
                    sku_id: s.sku_id?,
                    disabled_plans: s.disabled_plans.unwrap_or_default(),
                    by_group: s.assigned_by_group.map(ObjectId),
                })
            })
            .collect();
        if !held.is_empty() {
            out.by_user.insert(ObjectId(u.id), held);
        }
    }
    Ok(out)
}
