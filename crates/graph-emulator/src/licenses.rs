//! Licences: `GET /subscribedSkus`, `POST /users/{id}/assignLicense`, and a
//! user's `assignedLicenses` / `licenseAssignmentStates`, direct or inherited
//! from a group (group-based licensing).
//!
//! Sources (learn.microsoft.com/graph/api/…, v1.0): `subscribedsku-list`
//! (only `$select`; `$filter` is not supported), `resources/subscribedsku`
//! (`consumedUnits`, `prepaidUnits`, `servicePlans`; only `appliesTo: User`
//! SKUs are assignable), `user-assignlicense` (200 with the user;
//! `removeLicenses` is required, may be empty), `resources/user`
//! (`assignedLicenses` includes inherited licences; `licenseAssignmentStates`
//! has one entry per assignment path, `assignedByGroup` null when direct).
//!
//! Undocumented, and taken in the stricter reading (docs/emulator.md,
//! *Licences*): free seats are `prepaidUnits.enabled − consumedUnits`, and a
//! user who already holds a SKU (directly or through a group) takes no second
//! seat; the errors of `assignLicense` are the ones reported from live
//! tenants (400 `Request_BadRequest`, research in docs/emulator.md); removing
//! a SKU the user does not hold directly is refused. Group-based licences
//! apply at once (Graph processes them in the background) and a change of
//! licences is not a `users/delta` change (user-delta's note).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::render;
use super::state::Tenant;

pub use super::license_state::{LicenseState, SeedLicense, ServicePlan, Sku};

/// One path by which a user holds a SKU.
struct Path<'a> {
    sku: &'a str,
    disabled: &'a [String],
    by_group: Option<&'a str>,
}

/// Every path by which `user` holds a licence: direct ones first, then each
/// licensed group it is a direct member of.
fn paths<'a>(t: &'a Tenant, user: &'a str) -> Vec<Path<'a>> {
    let l = &t.licenses;
    let mut out = Vec::new();
    if let Some(direct) = l.assigned.get(user) {
        out.extend(direct.iter().map(|(sku, d)| Path {
            sku,
            disabled: d,
            by_group: None,
        }));
    }
    for g in t.member_of.get(user).into_iter().flatten() {
        if let Some(by_group) = l.assigned.get(g) {
            out.extend(by_group.iter().map(|(sku, d)| Path {
                sku,
                disabled: d,
                by_group: Some(g),
            }));
        }
    }
    out
}

/// SKUs `user` holds by any path.
fn held(t: &Tenant, user: &str) -> BTreeSet<String> {
    paths(t, user)
        .into_iter()
        .map(|p| p.sku.to_string())
        .collect()
}

/// `consumedUnits` of a SKU: users holding it by any path (one seat each).
fn consumed(t: &Tenant, sku_id: &str) -> u32 {
    let n = t
        .users
        .keys()
        .filter(|u| paths(t, u).iter().any(|p| p.sku == sku_id))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Set a user's computed licence properties in a rendered object, when selected.
pub fn render_into(t: &Tenant, user: &str, m: &mut Map<String, Value>, sel: Option<&[&str]>) {
    let wants = |p: &str| sel.is_some_and(|s| s.iter().any(|x| x.eq_ignore_ascii_case(p)));
    let ps = paths(t, user);
    if wants("assignedLicenses") {
        // One entry per SKU (a SKU held two ways is one licence).
        let mut seen = BTreeSet::new();
        let list: Vec<Value> = ps
            .iter()
            .filter(|p| seen.insert(p.sku))
            .map(|p| json!({"disabledPlans": p.disabled, "skuId": p.sku}))
            .collect();
        m.insert("assignedLicenses".into(), Value::Array(list));
    }
    if wants("licenseAssignmentStates") {
        let list: Vec<Value> = ps
            .iter()
            .map(|p| {
                json!({
                    "assignedByGroup": p.by_group,
                    "disabledPlans": p.disabled,
                    "error": "None",
                    "lastUpdatedDateTime": null,
                    "skuId": p.sku,
                    "state": "Active",
                })
            })
            .collect();
        m.insert("licenseAssignmentStates".into(), Value::Array(list));
    }
}

/// `GET /subscribedSkus`
pub fn list_skus(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    // subscribedsku-list: "This method only supports the $select OData query parameter".
    if let Some((k, _)) = req.query.iter().find(|(k, _)| k != "$select") {
        return Err(GraphError::bad_request(format!(
            "Query option '{k}' is not supported for this request."
        )));
    }
    let sel: Option<Vec<String>> = req
        .query
        .iter()
        .find(|(k, _)| k == "$select")
        .map(|(_, v)| v.split(',').map(|s| s.trim().to_string()).collect());
    let tenant = &t.info.id;
    let value: Vec<Value> = t
        .licenses
        .skus
        .iter()
        .map(|s| {
            let full = json!({
                "accountId": tenant,
                "accountName": tenant,
                "appliesTo": s.applies_to,
                "capabilityStatus": "Enabled",
                "consumedUnits": consumed(t, &s.sku_id),
                "id": format!("{tenant}_{}", s.sku_id),
                "prepaidUnits": {"enabled": s.enabled, "lockedOut": 0, "suspended": 0, "warning": 0},
                "servicePlans": s.service_plans.iter().map(|p| json!({
                    "servicePlanId": p.service_plan_id,
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": "Success",
                    "appliesTo": s.applies_to,
                })).collect::<Vec<_>>(),
                "skuId": s.sku_id,
                "skuPartNumber": s.sku_part_number,
                // One subscription per SKU in the emulator (its id is the SKU's).
                "subscriptionIds": [s.sku_id],
            });
            match &sel {
                Some(keys) => {
                    let mut m = Map::new();
                    for k in keys {
                        if let Some(v) = full.get(k.as_str()) {
                            m.insert(k.clone(), v.clone());
                        }
                    }
                    Value::Object(m)
                }
                None => full,
            }
        })
        .collect();
    Ok(ApiResponse::json(
        200,
        json!({"@odata.context": ctx.urls.context("subscribedSkus"), "value": value}),
    ))
}

fn bad(message: String) -> GraphError {
    GraphError::new(400, "Request_BadRequest", message)
}

/// `POST /users/{id | userPrincipalName}/assignLicense`
pub fn assign(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest, key: &str) -> GraphResult<ApiResponse> {
    // As `users::find` (not imported: `users` renders licences from here).
    let id = t
        .resolve_user(key)
        .ok_or_else(|| GraphError::not_found(key))?;
    if ctx.replication_miss(t.users.get(&id).and_then(|u| u.created_at)) {
        return Err(GraphError::not_found(key));
    }
    let body = req.body_object()?;
    let (Some(Value::Array(add)), Some(Value::Array(remove))) =
        (body.get("addLicenses"), body.get("removeLicenses"))
    else {
        // user-assignlicense: both collections are required (removeLicenses may be empty).
        return Err(GraphError::bad_request(
            "Invalid value specified for property 'removeLicenses' of resource 'User'.",
        ));
    };
    let mut adds: Vec<(String, Vec<String>)> = Vec::new();
    for a in add {
        let sku = a.get("skuId").and_then(Value::as_str).unwrap_or_default();
        let Some(s) = t
            .licenses
            .sku(sku)
            .filter(|s| s.sku_id.eq_ignore_ascii_case(sku))
        else {
            return Err(bad(format!(
                "License {sku} does not correspond to a valid company License."
            )));
        };
        let disabled: Vec<String> = match a.get("disabledPlans") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(d)) => d
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            Some(_) => {
                return Err(GraphError::bad_request(
                    "Invalid value specified for property 'disabledPlans' of resource 'AssignedLicense'.",
                ));
            }
        };
        if let Some(p) = disabled.iter().find(|p| {
            !s.service_plans
                .iter()
                .any(|sp| sp.service_plan_id.eq_ignore_ascii_case(p))
        }) {
            return Err(bad(format!(
                "Service plan {p} is not part of license {}.",
                s.sku_id
            )));
        }
        adds.push((s.sku_id.clone(), disabled));
    }
    let mut removes: Vec<String> = Vec::new();
    for r in remove {
        let sku = r.as_str().unwrap_or_default();
        let Some(s) = t
            .licenses
            .sku(sku)
            .filter(|s| s.sku_id.eq_ignore_ascii_case(sku))
        else {
            return Err(bad(format!(
                "License {sku} does not correspond to a valid company License."
            )));
        };
        removes.push(s.sku_id.clone());
    }
    if !adds.is_empty()
        && t.users[&id]
            .props
            .get("usageLocation")
            .is_none_or(Value::is_null)
    {
        return Err(bad(
            "License assignment cannot be done for user with invalid usage location.".into(),
        ));
    }
    let direct: BTreeMap<String, Vec<String>> =
        t.licenses.assigned.get(&id).cloned().unwrap_or_default();
    for sku in &removes {
        if !direct.contains_key(sku) {
            let msg = if held(t, &id).contains(sku) {
                "User license is inherited from a group membership and it cannot be removed directly from the user.".to_string()
            } else {
                // Undocumented: the stricter reading refuses it.
                format!("User does not have a license for {sku} to remove.")
            };
            return Err(bad(msg));
        }
    }
    let holds = held(t, &id);
    for (sku, _) in &adds {
        if holds.contains(sku) && !removes.contains(sku) {
            continue;
        }
        let enabled = t.licenses.sku(sku).map_or(0, |s| s.enabled);
        if consumed(t, sku) >= enabled {
            return Err(bad(format!(
                "Subscription {sku} does not have any available licenses."
            )));
        }
    }
    let mine = t.licenses.assigned.entry(id.clone()).or_default();
    for sku in &removes {
        mine.remove(sku);
    }
    for (sku, disabled) in adds {
        mine.insert(sku, disabled);
    }
    if mine.is_empty() {
        t.licenses.assigned.remove(&id);
    }
    let sel: &[&str] = &[
        "accountEnabled",
        "assignedLicenses",
        "city",
        "companyName",
        "id",
        "displayName",
        "userPrincipalName",
    ];
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("users/$entity")),
    );
    m.extend(render::user(&t.users[&id], Some(sel)));
    render_into(t, &id, &mut m, Some(sel));
    Ok(ApiResponse::json(200, Value::Object(m)))
}
