//! Users' authentication methods as the leaver step `remove_authentication_methods`
//! sees them: the types Graph v1.0 lets an application delete (each through its
//! own path: there is no generic `/authentication/methods/{id}` DELETE), and the
//! methods read for the leavers of a plan.
//!
//! Sources (microsoft-graph-docs-contrib, api-reference/v1.0/api):
//! authentication-list-methods (the list, each item typed by `@odata.type`);
//! phoneauthenticationmethod-delete, microsoftauthenticatorauthenticationmethod-delete,
//! fido2authenticationmethod-delete, softwareoathauthenticationmethod-delete,
//! emailauthenticationmethod-delete, windowshelloforbusinessauthenticationmethod-delete,
//! temporaryaccesspassauthenticationmethod-delete (each `204 No Content`). The
//! password method has no DELETE in v1.0: it is never removed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ObjectId;

/// A type of authentication method entraform removes from a leaver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethodKind {
    /// A phone number (SMS / voice): `mobile`, `alternateMobile` or `office`.
    Phone,
    /// The Microsoft Authenticator app on a device.
    MicrosoftAuthenticator,
    /// A FIDO2 security key or passkey.
    Fido2,
    /// A software OATH token (third-party authenticator app).
    SoftwareOath,
    /// An email address for self-service password reset.
    Email,
    /// Windows Hello for Business on a device.
    WindowsHelloForBusiness,
    /// A Temporary Access Pass.
    TemporaryAccessPass,
}

impl AuthMethodKind {
    /// Every removable type.
    pub const ALL: &'static [AuthMethodKind] = &[
        AuthMethodKind::Phone,
        AuthMethodKind::MicrosoftAuthenticator,
        AuthMethodKind::Fido2,
        AuthMethodKind::SoftwareOath,
        AuthMethodKind::Email,
        AuthMethodKind::WindowsHelloForBusiness,
        AuthMethodKind::TemporaryAccessPass,
    ];

    /// The URL segment of its DELETE route (`/users/{id}/authentication/{segment}/{id}`).
    pub fn segment(self) -> &'static str {
        match self {
            AuthMethodKind::Phone => "phoneMethods",
            AuthMethodKind::MicrosoftAuthenticator => "microsoftAuthenticatorMethods",
            AuthMethodKind::Fido2 => "fido2Methods",
            AuthMethodKind::SoftwareOath => "softwareOathMethods",
            AuthMethodKind::Email => "emailMethods",
            AuthMethodKind::WindowsHelloForBusiness => "windowsHelloForBusinessMethods",
            AuthMethodKind::TemporaryAccessPass => "temporaryAccessPassMethods",
        }
    }

    /// The `@odata.type` Graph lists it with.
    pub fn odata_type(self) -> &'static str {
        match self {
            AuthMethodKind::Phone => "#microsoft.graph.phoneAuthenticationMethod",
            AuthMethodKind::MicrosoftAuthenticator => {
                "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
            }
            AuthMethodKind::Fido2 => "#microsoft.graph.fido2AuthenticationMethod",
            AuthMethodKind::SoftwareOath => "#microsoft.graph.softwareOathAuthenticationMethod",
            AuthMethodKind::Email => "#microsoft.graph.emailAuthenticationMethod",
            AuthMethodKind::WindowsHelloForBusiness => {
                "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod"
            }
            AuthMethodKind::TemporaryAccessPass => {
                "#microsoft.graph.temporaryAccessPassAuthenticationMethod"
            }
        }
    }

    /// The type of a listed method (`None`: the password, or a type v1.0
    /// cannot delete, which stays).
    pub fn from_odata_type(t: &str) -> Option<AuthMethodKind> {
        AuthMethodKind::ALL
            .iter()
            .copied()
            .find(|k| k.odata_type().eq_ignore_ascii_case(t))
    }

    /// How the plan names it.
    pub fn label(self) -> &'static str {
        match self {
            AuthMethodKind::Phone => "phone",
            AuthMethodKind::MicrosoftAuthenticator => "Microsoft Authenticator",
            AuthMethodKind::Fido2 => "FIDO2 security key",
            AuthMethodKind::SoftwareOath => "software OATH token",
            AuthMethodKind::Email => "email",
            AuthMethodKind::WindowsHelloForBusiness => "Windows Hello for Business",
            AuthMethodKind::TemporaryAccessPass => "Temporary Access Pass",
        }
    }
}

/// One method of a user: its type and id (no number, no secret: phone numbers
/// and passes are never kept).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthMethodRef {
    /// The type (decides the DELETE path).
    pub kind: AuthMethodKind,
    /// The method's id.
    pub id: String,
    /// The phone's `phoneType` (`mobile`, `alternateMobile`, `office`), for the reviewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<String>,
}

impl AuthMethodRef {
    /// `phone (mobile)`, `FIDO2 security key`, … as the plan shows it.
    pub fn describe(&self) -> String {
        match &self.phone_type {
            Some(t) => format!("{} ({t})", self.kind.label()),
            None => self.kind.label().to_string(),
        }
    }
}

/// The authentication methods read for a plan (only for the users the leaver
/// policy applies to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveAuthMethods {
    /// Read: each listed user's removable methods (a user without any maps to an empty list).
    Read(BTreeMap<ObjectId, Vec<AuthMethodRef>>),
    /// Graph refused the read (why, in words: the missing permission).
    Unreadable(String),
}

impl LiveAuthMethods {
    /// The removable methods of a user, when they were read.
    pub fn of(&self, id: &ObjectId) -> Option<&[AuthMethodRef]> {
        match self {
            LiveAuthMethods::Read(m) => m.get(id).map(Vec::as_slice),
            LiveAuthMethods::Unreadable(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_odata_type_and_the_password_is_none() {
        for k in AuthMethodKind::ALL {
            assert_eq!(AuthMethodKind::from_odata_type(k.odata_type()), Some(*k));
        }
        assert_eq!(
            AuthMethodKind::from_odata_type("#microsoft.graph.passwordAuthenticationMethod"),
            None
        );
    }
}
