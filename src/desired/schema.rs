//! JSON Schema (draft-07) of the desired-state files, for editors and yaml-language-server.
//!
//! Built from the same tables the decoder uses, so the two cannot drift apart.

use serde_json::{Map, Value, json};

use super::attrs::{ATTRS, AttrInfo, Kind};
use super::limits::{MAX_FILE_PATTERNS, MAX_PATTERN_BYTES};
use crate::model::builtin_roles::BUILTIN_ROLES;

fn attr_schema(a: &AttrInfo) -> Value {
    let mut s = match a.kind {
        Kind::Text { max } => json!({"type": "string", "maxLength": max}),
        Kind::MailNickname => {
            json!({"type": "string", "maxLength": 64, "pattern": "^[^ @()\\\\\\[\\]\";:<>,]+$"})
        }
        Kind::Date => {
            json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ].*)?$"})
        }
        Kind::CountryCode => json!({"type": "string", "pattern": "^[A-Z]{2}$"}),
        Kind::Language => json!({"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"}),
        Kind::Phones { max_items } => {
            json!({"type": "array", "items": {"type": "string"}, "maxItems": max_items})
        }
        Kind::Emails => json!({"type": "array", "items": {"type": "string", "format": "email"}}),
        Kind::OneOf { values } => json!({"type": "string", "enum": values}),
        Kind::ImmutableId => json!({"type": "string", "maxLength": 64, "pattern": "^[^$_]+$"}),
    };
    s["description"] = json!(a.description);
    if a.clearable {
        s = json!({"description": a.description, "anyOf": [s, {"type": "null", "description": "null clears the attribute in Entra"}]});
    }
    s
}

fn threshold() -> Value {
    json!({
        "description": "A count (10) or a percentage of owned users (\"5%\").",
        "anyOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?%$"}
        ]
    })
}

fn upn_list(description: &str) -> Value {
    json!({"type": "array", "description": description, "items": {"type": "string"}})
}

fn licenses() -> Value {
    json!({
        "type": "array",
        "description": "Direct licences by SKU part number (ENTERPRISEPACK, SPE_E5); [] removes every direct licence. Licences inherited from a group are never removed.",
        "items": {"anyOf": [
            {"type": "string"},
            {"type": "object", "additionalProperties": false, "required": ["sku"],
             "properties": {
                "sku": {"type": "string", "description": "SKU part number."},
                "disabled_plans": {"type": "array", "items": {"type": "string"}, "description": "Service plan names to disable."}
             }}
        ]}
    })
}

/// `until:` of a PIM holding.
fn until_schema() -> Value {
    json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "Last day the role is held (YYYY-MM-DD, UTC)."})
}

/// `scope:` of a role entry or holding.
fn scope_schema() -> Value {
    json!({"type": "string", "pattern": "^(/|au:.+)$", "description": "/ (the tenant, default) or au:<administrative unit display name>."})
}

/// A role's `eligible:` / `active:` list.
fn holding_list(description: &str) -> Value {
    json!({"type": "array", "description": description, "items": {"anyOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": false, "required": ["principal"], "properties": {
            "principal": {"type": "string", "description": "UPN or short name."},
            "until": until_schema(),
            "justification": {"type": "string", "description": "Sent to PIM with the request."}
        }}
    ]}})
}

fn password() -> Value {
    json!({
        "description": "Initial password for a new user: generate (default) or read from an environment variable. Never a literal.",
        "anyOf": [
            {"const": "generate"},
            {"type": "object", "additionalProperties": false, "required": ["env"],
             "properties": {"env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}}}
        ]
    })
}

/// `onboarding`: what a new user gets when it is created.
fn onboarding() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "What a new user gets when entraform creates it.",
        "properties": {
            "temporary_access_pass": {
                "description": "A Temporary Access Pass issued right after the create, written to --credentials-out only; null: none (overrides a default).",
                "anyOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "lifetime": {"type": "string", "pattern": "^([0-9]+[mhdw])+$", "description": "10 minutes to 30 days (default 1h)."},
                            "one_time": {"type": "boolean", "description": "isUsableOnce (default true)."}
                        }
                    }
                ]
            }
        }
    })
}

/// The schema as a JSON value.
pub fn schema() -> Value {
    let mut user_props = Map::new();
    user_props.insert("upn".into(), json!({"type": "string", "description": "User principal name, or a short name that gets @<tenant.domain>."}));
    for a in ATTRS {
        match a.member {
            None => {
                user_props.insert(a.key.into(), attr_schema(a));
            }
            // The members of an object-valued property nest under it.
            Some(member) => {
                let slot = user_props.entry(a.property).or_insert_with(|| {
                    json!({"description": format!("{}: a mapping of its members, each managed on its own; null clears them all.", a.property),
                           "anyOf": [{"type": "object", "additionalProperties": false, "properties": {}},
                                     {"type": "null"}]})
                });
                slot["anyOf"][0]["properties"][member] = attr_schema(a);
            }
        }
    }
    user_props.insert("manager".into(), json!({"type": ["string", "null"], "description": "The manager's UPN or short name; null removes the manager."}));
    user_props.insert("enabled".into(), json!({"type": "boolean", "description": "accountEnabled; disabling also revokes sessions."}));
    user_props.insert("groups".into(), json!({"type": "array", "items": {"type": "string"}, "description": "Names of groups declared under groups:."}));
    let role_names: Vec<&str> = BUILTIN_ROLES.iter().map(|r| r.display_name).collect();
    user_props.insert(
        "roles".into(),
        json!({"type": "array", "description": "Built-in role display names or template ids, or declared custom roles; or {role, eligible, until, justification, scope} for a PIM holding.",
               "items": {"anyOf": [
                   {"type": "string", "examples": role_names},
                   {"type": "object", "additionalProperties": false, "required": ["role"], "properties": {
                       "role": {"type": "string", "examples": role_names},
                       "eligible": {"type": "boolean", "description": "PIM eligibility (activated when needed) instead of an active assignment."},
                       "until": until_schema(),
                       "justification": {"type": "string", "description": "Sent to PIM with the request."},
                       "scope": scope_schema()
                   }}
               ]}}),
    );
    user_props.insert("password".into(), password());
    user_props.insert("onboarding".into(), onboarding());
    user_props.insert("reset_password_after".into(), json!({"type": "string", "description": "One-off: reset the password (new one to --credentials-out) when lastPasswordChangeDateTime is older than this date or RFC 3339 timestamp, and --now has reached it."}));
    user_props.insert("revoke_sessions_after".into(), json!({"type": "string", "description": "One-off: revoke sign-in sessions when signInSessionsValidFromDateTime is older than this date or RFC 3339 timestamp, and --now has reached it."}));
    user_props.insert("licenses".into(), licenses());
    user_props.insert(
        "invite".into(),
        json!({"type": "object", "additionalProperties": false, "required": ["email", "redirect_url"],
               "description": "Invite this user as a B2B guest (POST /invitations) when no live user holds its UPN; `upn` may then be left out (derived: <local>_<domain>#EXT#@<initial domain>).",
               "properties": {
                   "email": {"type": "string", "format": "email", "description": "The guest's own address (invitedUserEmailAddress)."},
                   "redirect_url": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]://[^/?#\\s]+", "description": "Where the guest lands after accepting (https://)."},
                   "message": {"type": "string", "description": "Text added to Microsoft's invitation email."},
                   "send_email": {"type": "boolean", "description": "Whether Microsoft emails the invitation (default true)."}
               }}),
    );
    user_props.insert("previous_upns".into(), upn_list("UPNs the user had before a rename: a live user holding one of them is renamed in place (groups, roles, licences kept)."));

    let mut default_props = Map::new();
    for a in ATTRS.iter().filter(|a| a.defaultable) {
        let mut s = attr_schema(a);
        if a.clearable {
            s = s["anyOf"][0].clone();
            s["description"] = json!(a.description);
        }
        default_props.insert(a.key.into(), s);
    }
    default_props.insert("enabled".into(), json!({"type": "boolean"}));
    default_props.insert("password".into(), password());
    default_props.insert("onboarding".into(), onboarding());
    default_props.insert("licenses".into(), licenses());

    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "entraform desired-state file",
        "description": "One YAML file of an entraform directory repo. Any file may hold any of these keys; exactly one file holds `tenant`.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "tenant": {"$ref": "#/definitions/tenant"},
            "users": {"type": ["array", "null"], "items": {"$ref": "#/definitions/user"}},
            "groups": {"type": ["array", "null"], "items": {"$ref": "#/definitions/group"}},
            "roles": {"type": ["array", "null"], "items": {"$ref": "#/definitions/role"}},
            "files": {
                "type": "object",
                "additionalProperties": false,
                "description": "Only in tenant.yaml at the repo root: which YAML files are the repo (default: all but hidden ones).",
                "properties": {
                    "include": {"type": "array", "maxItems": MAX_FILE_PATTERNS, "items": {"type": "string", "maxLength": MAX_PATTERN_BYTES}, "description": "Only files matching one of these paths (relative to the repo root; `*`, `?`, `**`) are read."},
                    "exclude": {"type": "array", "maxItems": MAX_FILE_PATTERNS, "items": {"type": "string", "maxLength": MAX_PATTERN_BYTES}, "description": "Files and folders matching one of these are not part of the repo (e.g. mkdocs.yml, docs)."}
                }
            },
            "include": {
                "type": "array",
                "maxItems": super::tenancy::MAX_INCLUDES,
                "items": {"type": "string", "pattern": "^[^/\\\\:]"},
                "description": "Only in tenants/<name>/tenant.yaml of a many-tenant repo: shared folders or YAML files this tenant also reads, relative to this file, inside the repo and outside tenants/ (e.g. ../../common/groups)."
            },
            "connection": {
                "type": "object",
                "additionalProperties": false,
                "description": "Only in tenant.yaml: how this tenant signs in. Ids, and the NAMES of environment variables; never a secret.",
                "properties": {
                    "tenant_id": {"type": "string", "description": "Tenant id or verified domain."},
                    "client_id": {"type": "string", "description": "Application (client) id."},
                    "tenant_id_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "Variable holding the tenant id."},
                    "client_id_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "Variable holding the client id."},
                    "client_secret_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "Variable holding the client secret."},
                    "client_certificate_path_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "Variable holding the certificate path."},
                    "federated_token_file_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "Variable holding the federated token file path."}
                }
            }
        },
        "definitions": {
            "tenant": {
                "type": "object",
                "additionalProperties": false,
                "required": ["domain"],
                "properties": {
                    "domain": {"type": "string", "description": "Default verified domain; short names get @domain."},
                    "domains": {"type": "array", "items": {"type": "string"}, "description": "Other verified domains users may use."},
                    "scope": {
                        "type": "object",
                        "additionalProperties": false,
                        "description": "Which live users this repo owns.",
                        "properties": {
                            "users": {"anyOf": [
                                {"const": "all"},
                                {"type": "object", "additionalProperties": false, "required": ["domains"], "properties": {"domains": {"type": "array", "items": {"type": "string"}}}},
                                {"type": "object", "additionalProperties": false, "required": ["list"], "properties": {"list": upn_list("Exactly these users.")}}
                            ]},
                            "exclude": upn_list("Never owned, never touched.")
                        }
                    },
                    "absent_users": {"enum": ["ignore", "disable", "delete"], "description": "What happens to owned live users missing from YAML (default ignore)."},
                    "safety": {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "max_deletes": threshold(),
                            "max_disables": threshold(),
                            "max_changes": threshold(),
                            "min_tenant_size": {"type": "integer", "minimum": 0, "description": "Thresholds apply only from this many owned users (default 50)."},
                            "protected": upn_list("Never disabled, deleted or stripped of roles.")
                        }
                    },
                    "defaults": {"type": "object", "additionalProperties": false, "properties": default_props},
                    "lifecycle": {
                        "type": "object",
                        "additionalProperties": false,
                        "description": "The offboarding policy and how far ahead the plan announces dates (docs/format.md, Lifecycle).",
                        "properties": {
                            "upcoming_days": {"type": "integer", "minimum": 0, "maximum": crate::desired::lifecycle::MAX_UPCOMING_DAYS, "description": "Leave dates, deletions and membership ends this many days ahead are shown as notices (default 14)."},
                            "leaver": {
                                "type": "object",
                                "additionalProperties": false,
                                "description": "What happens when a user becomes disabled (enabled: false, absent_users: disable, or a passed employeeLeaveDateTime).",
                                "properties": {
                                    "steps": {"type": "array", "items": {"enum": crate::desired::lifecycle::LeaverStep::KNOWN.iter().map(|(k, _)| *k).collect::<Vec<_>>()}, "description": "Offboarding steps, each its own operation in the plan."},
                                    "keep_groups": {"type": "array", "items": {"type": "string"}, "description": "Groups a leaver stays in under remove_group_memberships."},
                                    "delete_after": {"type": "string", "pattern": "^([0-9]+[mhdw])+$", "description": "Soft-delete this long after the user was disabled (e.g. 30d), counted from employeeLeaveDateTime."}
                                }
                            }
                        }
                    }
                }
            },
            "user": {"type": "object", "additionalProperties": false, "anyOf": [{"required": ["upn"]}, {"required": ["invite"]}], "properties": user_props},
            "group": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": 256, "description": "The group's displayName (unique)."},
                    "mailNickname": {"type": "string", "maxLength": 64},
                    "description": {"type": ["string", "null"], "maxLength": 1024},
                    "type": {"enum": ["security", "microsoft365"]},
                    "membership": {"enum": ["authoritative", "additive"]},
                    "members": {
                        "type": "array",
                        "description": "Member users; merged with users[].groups. An item `{user, until}` is a membership that ends on that date.",
                        "items": {"oneOf": [
                            {"type": "string"},
                            {
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["user"],
                                "properties": {
                                    "user": {"type": "string", "description": "UPN, or a short name (the default domain is added)."},
                                    "until": {"type": "string", "description": "YYYY-MM-DD or an RFC 3339 timestamp: the first plan at or after it removes the membership."}
                                }
                            }
                        ]}
                    },
                    "owners": {
                        "type": "array",
                        "description": "Owners (authoritative; additive with membership: additive): users, or service principals. Without it a group entraform creates is owned by entraform's own service principal.",
                        "minItems": 1,
                        "maxItems": 100,
                        "items": {
                            "oneOf": [
                                {"type": "string", "description": "A user: UPN, or a short name (the default domain is added)."},
                                {
                                    "type": "object",
                                    "additionalProperties": false,
                                    "required": ["servicePrincipal"],
                                    "properties": {
                                        "servicePrincipal": {
                                            "type": "string",
                                            "description": "`self` (the app entraform signs in as) or a service principal's object id.",
                                            "pattern": "^(self|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
                                        }
                                    }
                                }
                            ]
                        }
                    },
                    "dynamic": {"type": "boolean", "description": "An existing dynamic group: membership is read-only."}
                }
            },
            "role": {
                "type": "object",
                "additionalProperties": false,
                "required": ["role"],
                "properties": {
                    "role": {"type": "string", "description": "Built-in display name or template id, or a custom role's name.", "examples": role_names},
                    "custom": {"type": "boolean"},
                    "principals": upn_list("Assigned users (authoritative); merged with users[].roles."),
                    "scope": scope_schema(),
                    "eligible": holding_list("Eligible users (PIM; authoritative at the entry's scope)."),
                    "active": holding_list("Active assignments; with until: time-bound.")
                }
            }
        }
    })
}
