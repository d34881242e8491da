//! `remove_authentication_methods` and `disable_owned_devices` through the
//! pure plan API, as a property:
//! for any mix of declared, disabled, absent and synced users, the users whose
//! methods the CLI reads (`plan::diff::method_readers`) are exactly those the
//! plan removes methods from; with their methods (and nobody else's) the plan
//! has no error, and applied to its own snapshot (`plan::simulate`) it leaves
//! no method step behind. The same holds for the devices read
//! (`plan::diff::device_owners`) and the devices disabled.

use std::collections::{BTreeMap, BTreeSet};

use entraform::desired::DesiredState;
use entraform::desired::attrs::Attr;
use entraform::live::{Live, LiveUser};
use entraform::model::auth_methods::{AuthMethodKind, AuthMethodRef, LiveAuthMethods};
use entraform::model::clock::Moment;
use entraform::model::devices::{DeviceRef, LiveDevice, LiveDevices};
use entraform::model::{ObjectId, Upn};
use entraform::plan::op::Op;
use entraform::plan::{self, simulate};
use proptest::prelude::*;

use crate::cli_support::lifecycle::{all_gates, desired as load_repo};
use crate::live_fixture::LiveFixture;

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
/// 2026-12-01T00:00:00Z.
const NOW: Moment = Moment(1_796_083_200);
const USERS: usize = 6;

/// One user: how the repo declares it (0: absent, 1: enabled, 2: `enabled: false`),
/// whether it is enabled in the tenant, whether it is synced from on-premises.
type Shape = (u8, bool, bool);

fn desired(absent_disable: bool, shapes: &[Shape]) -> DesiredState {
    let mut y = format!(
        "tenant:\n  domain: contoso.com\n  absent_users: {}\n  lifecycle:\n    leaver:\n      steps: [revoke_sessions, remove_authentication_methods, disable_owned_devices]\nusers:\n  - upn: admin\n    displayName: admin\n",
        if absent_disable { "disable" } else { "ignore" }
    );
    for (i, (declared, _, _)) in shapes.iter().enumerate() {
        match declared {
            1 => y.push_str(&format!("  - upn: u{i}\n    displayName: u{i}\n")),
            2 => y.push_str(&format!(
                "  - upn: u{i}\n    displayName: u{i}\n    enabled: false\n"
            )),
            _ => {}
        }
    }
    load_repo(&y)
}

fn tenant(shapes: &[Shape]) -> Live {
    let mut f = LiveFixture::default();
    let mut admin = LiveUser::new(
        ObjectId("id-admin".into()),
        Upn::new_unchecked("admin@contoso.com"),
    );
    admin.set(Attr::DisplayName, Some("admin".into()));
    f.users.push(admin);
    for (i, (_, enabled, synced)) in shapes.iter().enumerate() {
        let mut u = LiveUser::new(
            ObjectId(format!("id-u{i}")),
            Upn::new_unchecked(format!("u{i}@contoso.com")),
        );
        u.set(Attr::DisplayName, Some(format!("u{i}").as_str().into()));
        u.account_enabled = *enabled;
        u.on_premises_sync_enabled = *synced;
        f.users.push(u);
    }
    f.roles.push((GA.into(), "Global Administrator".into()));
    f.assignments
        .push(("ra-0".into(), ObjectId("id-admin".into()), GA.into()));
    f.running_as = Some((ObjectId("sp-self".into()), vec![GA.into()]));
    f.build()
}

/// Two methods for each of `ids`.
fn methods_of(ids: &[ObjectId]) -> LiveAuthMethods {
    LiveAuthMethods::Read(
        ids.iter()
            .map(|id| {
                (
                    id.clone(),
                    vec![
                        AuthMethodRef {
                            kind: AuthMethodKind::Fido2,
                            id: format!("key-{}", id.0),
                            phone_type: None,
                        },
                        AuthMethodRef {
                            kind: AuthMethodKind::Phone,
                            id: "e37fc753-ff3b-4958-9484-eaa9425c82bc".into(),
                            phone_type: Some("office".into()),
                        },
                    ],
                )
            })
            .collect::<BTreeMap<_, _>>(),
    )
}

/// One enabled Windows device owned by each of `ids`.
fn devices_of(ids: &[ObjectId]) -> LiveDevices {
    LiveDevices::Read(
        ids.iter()
            .map(|id| LiveDevice {
                device: DeviceRef {
                    id: ObjectId(format!("dev-{}", id.0)),
                    name: format!("PC-{}", id.0),
                    operating_system: "Windows".into(),
                },
                account_enabled: true,
                owners: vec![id.clone()],
            })
            .collect(),
    )
}

fn device_users(p: &plan::Plan) -> BTreeSet<ObjectId> {
    p.steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::DisableDevice { owner, .. } => owner.id.clone(),
            _ => None,
        })
        .collect()
}

fn method_users(p: &plan::Plan) -> BTreeSet<ObjectId> {
    p.steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::RemoveAuthenticationMethod { user, .. } => user.id.clone(),
            _ => None,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_users_read_are_the_users_offboarded(
        absent_disable in any::<bool>(),
        shapes in proptest::collection::vec((0u8..3, any::<bool>(), any::<bool>()), USERS),
    ) {
        let d = desired(absent_disable, &shapes);
        let bare = tenant(&shapes);
        let readers = plan::diff::method_readers(&d, &bare, Some(NOW));
        // Everyone's methods known: the plan removes those of the readers only.
        let everyone: Vec<ObjectId> = bare.users().iter().map(|u| u.id.clone()).collect();
        prop_assert_eq!(&plan::diff::device_owners(&d, &bare, Some(NOW)), &readers);
        let full = tenant(&shapes)
            .with_auth_methods(methods_of(&everyone))
            .with_devices(devices_of(&everyone));
        let p = plan::build_at(&d, &full, &all_gates(), NOW);
        let want: BTreeSet<ObjectId> = readers.iter().cloned().collect();
        prop_assert_eq!(method_users(&p), want.clone());
        prop_assert_eq!(device_users(&p), want.clone());
        // Only the readers' methods and devices read: the same plan, no error.
        let read = tenant(&shapes)
            .with_auth_methods(methods_of(&readers))
            .with_devices(devices_of(&readers));
        let p = plan::build_at(&d, &read, &all_gates(), NOW);
        prop_assert!(p.errors.is_empty(), "{:?}", p.errors);
        prop_assert_eq!(method_users(&p), want.clone());
        prop_assert_eq!(device_users(&p), want);
        // Nothing read at all: an error exactly when someone's methods are needed.
        let p = plan::build_at(&d, &bare, &all_gates(), NOW);
        prop_assert_eq!(
            p.errors.iter().any(|e| e.code == "auth-methods-unavailable"),
            !readers.is_empty()
        );
        prop_assert_eq!(
            p.errors.iter().any(|e| e.code == "devices-unavailable"),
            !readers.is_empty()
        );
        // Applied: no method left to remove, no device to disable.
        let after = simulate::apply(&read, &plan::build_at(&d, &read, &all_gates(), NOW).steps);
        let again = plan::build_at(&d, &after, &all_gates(), NOW);
        prop_assert!(method_users(&again).is_empty());
        prop_assert!(device_users(&again).is_empty());
    }
}
