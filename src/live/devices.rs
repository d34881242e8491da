//! Reading leavers' devices for `disable_owned_devices`, from the device side:
//! `GET /devices?$select=…&$expand=registeredOwners($select=id)` (device-list;
//! the device resource supports `$expand` of its owners), paged at 100 devices
//! with the expansion — ⌈D/100⌉ requests for D devices in the tenant, and none
//! when the policy does not have the step or nobody leaves. Graph refuses
//! `/users/{id}/ownedDevices` to applications (user-list-owneddevices:
//! Application "Not supported"), so ownership cannot be read per leaver.
//! Only the devices of the given owners are kept.

use std::collections::HashSet;

use serde::Deserialize;

use crate::graph::{GraphClient, GraphError};
use crate::model::ObjectId;
use crate::model::devices::{DeviceRef, LiveDevice, LiveDevices};

/// The listing, with the owners expanded.
pub const DEVICES_PATH: &str = "/devices?$select=id,displayName,accountEnabled,operatingSystem&$expand=registeredOwners($select=id)";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceDto {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    account_enabled: Option<bool>,
    #[serde(default)]
    operating_system: Option<String>,
    #[serde(default)]
    registered_owners: Vec<OwnerDto>,
}

#[derive(Deserialize)]
struct OwnerDto {
    id: String,
}

/// The devices whose registered owner is one of `owners`; a 403 (no
/// `Device.Read.All`) is [`LiveDevices::Unreadable`], any other failure an error.
pub async fn read_devices(
    client: &GraphClient,
    owners: &[ObjectId],
) -> Result<LiveDevices, GraphError> {
    let wanted: HashSet<&ObjectId> = owners.iter().collect();
    let listing = match client.list::<DeviceDto>(DEVICES_PATH).await {
        Ok(l) => l,
        Err(GraphError::Api(e)) if e.status == 403 => {
            return Ok(LiveDevices::Unreadable(format!(
                "Graph refused {} (HTTP 403: {}); reading needs Device.Read.All",
                e.path, e.code
            )));
        }
        Err(e) => return Err(e),
    };
    let mut out: Vec<LiveDevice> = listing
        .items
        .into_iter()
        .filter_map(|d| {
            let owners: Vec<ObjectId> = d
                .registered_owners
                .into_iter()
                .map(|o| ObjectId(o.id))
                .collect();
            owners
                .iter()
                .any(|o| wanted.contains(o))
                .then(|| LiveDevice {
                    device: DeviceRef {
                        id: ObjectId(d.id),
                        name: d.display_name.unwrap_or_default(),
                        operating_system: d.operating_system.unwrap_or_default(),
                    },
                    // Unknown reads as enabled: disabling again is harmless.
                    account_enabled: d.account_enabled.unwrap_or(true),
                    owners,
                })
        })
        .collect();
    out.sort_by(|a, b| a.device.cmp(&b.device));
    Ok(LiveDevices::Read(out))
}
