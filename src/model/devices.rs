//! Leavers' devices as the leaver step `disable_owned_devices` sees them:
//! devices whose registered owner is a leaver, read from the device side
//! (`GET /devices?$expand=registeredOwners`: Graph refuses
//! `/users/{id}/ownedDevices` to applications, user-list-owneddevices
//! "Application: Not supported"). Only what the plan shows and decides on.

use serde::{Deserialize, Serialize};

use super::ObjectId;

/// A device the plan may disable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRef {
    /// The device object's id (`id`, not `deviceId`).
    pub id: ObjectId,
    /// `displayName`, for the reviewer.
    pub name: String,
    /// `operatingSystem` (an application may disable Windows devices only).
    pub operating_system: String,
}

/// A device as read, with its registered owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDevice {
    /// Id, name and operating system.
    pub device: DeviceRef,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// Registered owners' object ids (Graph allows one).
    pub owners: Vec<ObjectId>,
}

impl LiveDevice {
    /// May an application change `accountEnabled`? Only on Windows devices
    /// (device-update: "In application-only scenarios and for non-Windows
    /// devices … the app can update only the extensionAttributes property").
    pub fn app_may_disable(&self) -> bool {
        self.device.operating_system.eq_ignore_ascii_case("Windows")
    }
}

/// The devices read for a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveDevices {
    /// Read: the devices owned by the plan's leavers.
    Read(Vec<LiveDevice>),
    /// Graph refused the read (why, in words: the missing permission).
    Unreadable(String),
}

impl LiveDevices {
    /// The devices `owner` is the registered owner of (read or not).
    pub fn owned_by<'a>(
        &'a self,
        owner: &'a ObjectId,
    ) -> impl Iterator<Item = &'a LiveDevice> + 'a {
        let all: &[LiveDevice] = match self {
            LiveDevices::Read(d) => d,
            LiveDevices::Unreadable(_) => &[],
        };
        all.iter().filter(move |d| d.owners.contains(owner))
    }
}
