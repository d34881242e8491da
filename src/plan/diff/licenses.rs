//! Licences: a user's declared `licenses:` against its direct licences
//! (`licenseAssignmentStates` with no `assignedByGroup`), one
//! [`Op::AssignLicenses`] per user; licences inherited from a group are shown
//! and never removed. Then the seats each SKU needs after the plan
//! ([`seats`]): a plan needing more than are free is unappliable.

use std::collections::{BTreeMap, BTreeSet};

use super::Ctx;
use crate::model::licenses::{LiveLicenses, ServicePlan};
use crate::model::live::Live;
use crate::plan::op::{ErrorCode, LicenseChange, Notice, NoticeCode, Op, PlanError};

/// Licence operations of every declared user that manages its licences.
pub(super) fn license_ops(c: &mut Ctx<'_>) {
    let Some(l) = c.live.licenses() else {
        return;
    };
    for spec in c.desired.users.values() {
        let Some(want) = &spec.licenses else {
            continue;
        };
        let Some(me) = c.declared.get(&spec.upn).cloned() else {
            continue;
        };
        // Offboarded by `remove_licenses`: the policy wins (`leaver-overrides-declared`).
        if super::lifecycle::overrides(
            c.desired,
            c.live,
            c.now,
            &spec.upn,
            crate::desired::lifecycle::LeaverStep::RemoveLicenses,
        ) {
            continue;
        }
        let live_user = c.live_user(&spec.upn);
        let held = live_user.map_or(&[][..], |u| l.of(&u.id));
        let mut add: Vec<LicenseChange> = Vec::new();
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for w in want {
            let Some(sku) = l.sku(&w.sku) else {
                let known: Vec<&str> = l.skus.iter().map(|s| s.part_number.as_str()).collect();
                c.out.errors.push(PlanError {
                    code: ErrorCode::UnknownSku,
                    message: format!(
                        "`{}`: licence `{}` is not a SKU the tenant subscribes to (subscribed: {})",
                        spec.upn,
                        w.sku,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                    origin: Some(spec.origin.clone()),
                });
                continue;
            };
            let mut plans: Vec<ServicePlan> = Vec::new();
            for name in &w.disabled_plans {
                match sku.plans.iter().find(|p| p.name.eq_ignore_ascii_case(name)) {
                    Some(p) => plans.push(p.clone()),
                    None => c.out.errors.push(PlanError {
                        code: ErrorCode::UnknownSku,
                        message: format!(
                            "`{}`: `{name}` is not a service plan of {} (its plans: {})",
                            spec.upn,
                            sku.part_number,
                            sku.plans
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        origin: Some(spec.origin.clone()),
                    }),
                }
            }
            plans.sort();
            wanted.insert(sku.sku_id.to_ascii_lowercase());
            let same = |ids: &[String]| {
                ids.len() == plans.len()
                    && plans
                        .iter()
                        .all(|p| ids.iter().any(|i| i.eq_ignore_ascii_case(&p.id)))
            };
            let direct = held
                .iter()
                .find(|h| h.by_group.is_none() && h.sku_id.eq_ignore_ascii_case(&sku.sku_id));
            let inherited = held
                .iter()
                .any(|h| h.by_group.is_some() && h.sku_id.eq_ignore_ascii_case(&sku.sku_id));
            let satisfied = match direct {
                Some(d) => same(&d.disabled_plans),
                // Held through a group with every plan: nothing to add.
                None => inherited && plans.is_empty(),
            };
            if !satisfied {
                add.push(LicenseChange {
                    sku_id: sku.sku_id.clone(),
                    part_number: sku.part_number.clone(),
                    disabled_plans: plans,
                });
            }
        }
        let mut remove: Vec<LicenseChange> = Vec::new();
        for h in held {
            let part = l
                .sku(&h.sku_id)
                .map_or_else(|| h.sku_id.clone(), |s| s.part_number.clone());
            if wanted.contains(&h.sku_id.to_ascii_lowercase()) {
                continue;
            }
            match &h.by_group {
                None => remove.push(LicenseChange {
                    sku_id: h.sku_id.clone(),
                    part_number: part,
                    disabled_plans: Vec::new(),
                }),
                Some(g) => {
                    let group = c
                        .live
                        .group(g)
                        .map_or_else(|| g.0.clone(), |lg| lg.display_name.clone());
                    c.out.notices.push(Notice {
                        code: NoticeCode::InheritedLicense,
                        object: spec.upn.key(),
                        message: format!(
                            "`{}` keeps {part}: it is inherited from group `{group}` (group-based licensing) and is never removed directly",
                            spec.upn
                        ),
                    });
                }
            }
        }
        if add.is_empty() && remove.is_empty() {
            continue;
        }
        add.sort_by(|a, b| a.part_number.cmp(&b.part_number));
        remove.sort_by(|a, b| a.part_number.cmp(&b.part_number));
        c.out.ops.push(Op::AssignLicenses {
            user: me,
            add,
            remove,
        });
    }
}

/// Seats per SKU touched by the plan's licence steps: a `license-seats`
/// notice each (used / available before → after), and a `seat-shortfall`
/// error where more are needed than the SKU has. A user who already holds
/// the SKU (directly or through a group) takes no new seat; one who loses
/// it entirely frees one.
pub fn seats(ops: &[Op], live: &Live) -> (Vec<Notice>, Vec<PlanError>) {
    let Some(l) = live.licenses() else {
        return (Vec::new(), Vec::new());
    };
    let mut delta: BTreeMap<String, i64> = BTreeMap::new();
    for op in ops {
        let Op::AssignLicenses { user, add, remove } = op else {
            continue;
        };
        let held = user.id.as_ref().map_or(&[][..], |id| l.of(id));
        let holds = |sku: &str, by_group_only: bool| {
            held.iter().any(|h| {
                h.sku_id.eq_ignore_ascii_case(sku) && (!by_group_only || h.by_group.is_some())
            })
        };
        for a in add {
            if !holds(&a.sku_id, false) {
                *delta.entry(a.sku_id.to_ascii_lowercase()).or_default() += 1;
            }
        }
        for r in remove {
            if !holds(&r.sku_id, true) {
                *delta.entry(r.sku_id.to_ascii_lowercase()).or_default() -= 1;
            }
        }
    }
    seat_lines(l, &delta)
}

fn seat_lines(l: &LiveLicenses, delta: &BTreeMap<String, i64>) -> (Vec<Notice>, Vec<PlanError>) {
    let mut notices = Vec::new();
    let mut errors = Vec::new();
    for (sku_id, d) in delta {
        let Some(s) = l.sku(sku_id) else { continue };
        let before = s.consumed;
        let after = before.saturating_add_signed(*d);
        notices.push(Notice {
            code: NoticeCode::LicenseSeats,
            object: format!("license:{}", s.part_number),
            message: format!(
                "{}: {before} of {} seats used before the plan, {after} after",
                s.part_number, s.enabled
            ),
        });
        if *d > 0 && after > s.enabled {
            errors.push(PlanError {
                code: ErrorCode::SeatShortfall,
                message: format!(
                    "{} needs {} more seat{} than it has: the plan assigns {d} new, {} of {} are free (shortfall {}); buy seats or remove licences first",
                    s.part_number,
                    after - s.enabled,
                    if after - s.enabled == 1 { "" } else { "s" },
                    s.free(),
                    s.enabled,
                    after - s.enabled
                ),
                origin: None,
            });
        }
    }
    (notices, errors)
}
