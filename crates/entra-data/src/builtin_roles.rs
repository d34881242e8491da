//! Catalog of Microsoft Entra built-in directory roles and their template ids.
//!
//! Desired-state files may name a directory role either by its display name
//! ("User Administrator") or by its role template id (a GUID that is the same in
//! every tenant). This module maps between the two without a Graph round trip,
//! and records which roles Microsoft labels PRIVILEGED so safety gates can treat
//! them with extra care.
//!
//! Source: the "Microsoft Entra built-in roles" reference
//! (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference),
//! "All roles" table: names, template ids and the PRIVILEGED label are taken
//! from it; the one-line descriptions are our own summaries. A few roles added
//! to that page in 2026 (AI Reader, Authentication Extensibility Password
//! Administrator, Entra Backup Administrator/Reader, Teams External
//! Collaboration Administrator) were taken from published revisions of the page
//! and cross-checked against an independent list generated from it.
//! Deprecated and hidden roles (Device Join, Guest User, User, ...) are not
//! listed. When Microsoft adds roles, append them here in sorted position.

/// One built-in Microsoft Entra directory role.
///
/// All fields are static data; the catalog is compiled into the binary so role
/// names can be resolved offline (validation, plan rendering, emulator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BuiltinRole {
    /// Display name exactly as Microsoft spells it (e.g. "Global Administrator").
    pub display_name: &'static str,
    /// Role template id: a lowercase GUID identical in every tenant.
    pub template_id: &'static str,
    /// Short one-line summary of what the role can do (our wording).
    pub description: &'static str,
    /// True when Microsoft marks the role PRIVILEGED (it can lead to privilege
    /// escalation, credential changes or access to restricted data).
    pub privileged: bool,
}

/// Template id of the Global Administrator role, the most powerful built-in role.
///
/// Named so safety gates can refer to it without a string lookup.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// Every built-in role we know, sorted by display name (ASCII case-insensitive).
///
/// Sorted order keeps diffs reviewable and lets callers list roles stably.
pub static BUILTIN_ROLES: &[BuiltinRole] = &[
    BuiltinRole {
        display_name: "Agent ID Administrator",
        template_id: "db506228-d27e-4b7d-95e5-295956d6615f",
        description: "Manages every aspect of AI agent identities, blueprints and agent users in the tenant.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Agent ID Developer",
        template_id: "adb2368d-a9be-41b5-8667-d96778e081b0",
        description: "Creates agent identity blueprints and becomes their owner.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Agent Registry Administrator",
        template_id: "6b942400-691f-4bf0-9d12-d8a254a2baf5",
        description: "Manages the Agent Registry service.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "AI Administrator",
        template_id: "d2562ede-74db-457e-a7b6-544e236ebb61",
        description: "Manages Microsoft 365 Copilot and related AI services and agents.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "AI Reader",
        template_id: "1fe13547-53f6-408d-ac04-7f8eed167b38",
        description: "Read-only access to Microsoft 365 Copilot and related AI service settings.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Application Administrator",
        template_id: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        description: "Manages all app registrations, enterprise apps and application proxy.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Application Developer",
        template_id: "cf1c38e5-3621-4004-a7cb-879624dced7c",
        description: "Registers applications even when users are blocked from doing so.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Attack Payload Author",
        template_id: "9c6df0f2-1e7c-4dc3-b195-66dfbd24aa8f",
        description: "Builds attack payloads for simulations that an admin launches later.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attack Simulation Administrator",
        template_id: "c430b396-e693-46cc-96f3-db01bf8bb62a",
        description: "Runs and manages attack simulation (phishing) campaigns.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Assignment Administrator",
        template_id: "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d",
        description: "Assigns custom security attribute values to directory objects.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Assignment Reader",
        template_id: "ffd52fa5-98dc-465c-991d-fc073eb59f8f",
        description: "Reads custom security attribute values on directory objects.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Definition Administrator",
        template_id: "8424c6f0-a189-499e-bbd0-26c1753c96d4",
        description: "Defines and manages custom security attribute definitions.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Definition Reader",
        template_id: "1d336d2c-4ae8-42ef-9711-b3604ce3fc2c",
        description: "Reads custom security attribute definitions.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Log Administrator",
        template_id: "5b784334-f94b-471a-a387-e7219fc49ca2",
        description: "Reads custom security attribute audit logs and configures their diagnostic settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Log Reader",
        template_id: "9c99539d-8186-4804-835f-fd51ef9e2dcd",
        description: "Reads audit logs for custom security attribute changes.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Attribute Provisioning Administrator",
        template_id: "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe",
        description: "Edits how custom security attributes are provisioned to applications.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Attribute Provisioning Reader",
        template_id: "422218e4-db15-4ef9-bbe0-8afb41546d79",
        description: "Reads how custom security attributes are provisioned to applications.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Authentication Administrator",
        template_id: "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        description: "Views, sets and resets authentication methods for non-admin users.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Authentication Extensibility Administrator",
        template_id: "25a516ed-2fa0-40ea-a2d0-12923a21473a",
        description: "Manages custom authentication extensions for sign-in and sign-up flows.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Authentication Extensibility Password Administrator",
        template_id: "0b00bede-4072-4d22-b441-e7df02a1ef63",
        description: "Manages custom authentication extensions that handle password submission (e.g. password migration).",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Authentication Policy Administrator",
        template_id: "0526716b-113d-4c15-b2c8-68e3c22b9f80",
        description: "Manages the authentication methods policy, tenant MFA settings and password protection.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Azure DevOps Administrator",
        template_id: "e3973bdf-4987-49ae-837a-ba8e231c7286",
        description: "Manages Azure DevOps organisation policies and settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Azure Information Protection Administrator",
        template_id: "7495fdc4-34c4-4d15-a289-98788ce399fd",
        description: "Manages Azure Information Protection labels and settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "B2C IEF Keyset Administrator",
        template_id: "aaf43236-0c0d-4d5f-883a-6955382ac081",
        description: "Manages keys and secrets used by Azure AD B2C custom policies.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "B2C IEF Policy Administrator",
        template_id: "3edaf663-341e-4475-9f94-5c398ef6c070",
        description: "Manages Azure AD B2C custom (trust framework) policies.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Billing Administrator",
        template_id: "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        description: "Handles purchases, subscriptions and billing details.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Cloud App Security Administrator",
        template_id: "892c5842-a9a6-463a-8041-72aa08ca3cf6",
        description: "Manages Microsoft Defender for Cloud Apps.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Cloud Application Administrator",
        template_id: "158c047a-c907-4556-b7ef-446551a6b5f7",
        description: "Manages app registrations and enterprise apps, but not application proxy.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Cloud Device Administrator",
        template_id: "7698a772-787b-4ac8-901f-60d6b08affd2",
        description: "Enables, disables and deletes devices and reads BitLocker keys.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Compliance Administrator",
        template_id: "17315797-102d-40b4-93e0-432062caca18",
        description: "Manages compliance configuration and reports across Entra ID and Microsoft 365.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Compliance Data Administrator",
        template_id: "e6d1a23a-da11-4be4-9570-befc86d067a7",
        description: "Creates and manages compliance content such as policies and alerts.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Conditional Access Administrator",
        template_id: "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        description: "Manages Conditional Access policies.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Customer Lockbox Access Approver",
        template_id: "5c4f9dcd-47dc-4cf7-8c9a-9e4207cbfc91",
        description: "Approves or rejects Microsoft support requests to access tenant data.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Desktop Analytics Administrator",
        template_id: "38a96431-2bdf-4b4c-8b6e-5d3d8abac1a4",
        description: "Manages Desktop Analytics and related desktop management services.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Directory Readers",
        template_id: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        description: "Reads basic directory information; typically granted to apps and guests.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Directory Synchronization Accounts",
        template_id: "d29b2b05-8046-44ba-8758-1e26182fcf32",
        description: "Reserved for the Microsoft Entra Connect sync service account.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Directory Writers",
        template_id: "9360feb5-f418-4baa-8175-e2a00bac4301",
        description: "Reads and writes basic directory information; meant for applications.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Domain Name Administrator",
        template_id: "8329153b-31d0-4727-b945-745eb3bc5f31",
        description: "Adds, verifies and manages domain names.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Dragon Administrator",
        template_id: "e93e3737-fa85-474a-aee4-7d3fb86510f3",
        description: "Manages the Microsoft Dragon admin center.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Dynamics 365 Administrator",
        template_id: "44367163-eba1-44c3-98af-f5787879f96a",
        description: "Manages Dynamics 365.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Dynamics 365 Business Central Administrator",
        template_id: "963797fb-eb3b-4cde-8ce3-5878b3f32a3f",
        description: "Administers Dynamics 365 Business Central environments.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Edge Administrator",
        template_id: "3f1acade-1e04-4fbc-9b69-f0302cd84aef",
        description: "Manages Microsoft Edge browser configuration for the organisation.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Entra Backup Administrator",
        template_id: "b6a27b2b-f905-4b2e-81b5-0d90e0ef1fdb",
        description: "Manages Microsoft Entra Backup snapshots and recovery jobs.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Entra Backup Reader",
        template_id: "f42252d9-5400-4d7b-b9ef-cc582dbb8577",
        description: "Reads Microsoft Entra Backup snapshots and jobs and can run preview jobs.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Exchange Administrator",
        template_id: "29232cdf-9323-42fd-ade2-1d097af3e4de",
        description: "Manages Exchange Online.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Exchange Backup Administrator",
        template_id: "49eb8f75-97e9-4e37-9b2b-6c3ebfcffa31",
        description: "Backs up and restores Exchange content with Microsoft 365 Backup.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Exchange Recipient Administrator",
        template_id: "31392ffb-586c-42d1-9346-e59415a2cc4e",
        description: "Creates and updates Exchange Online recipients.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Extended Directory User Administrator",
        template_id: "dd13091a-6207-4fc0-82ba-3641e056ab95",
        description: "Manages external user profiles in the Teams extended directory.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "External ID User Flow Administrator",
        template_id: "6e591065-9bad-43ed-90f3-e9424366d2f0",
        description: "Creates and manages self-service user flows.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "External ID User Flow Attribute Administrator",
        template_id: "0f971eea-41eb-4569-a71e-57bb8a3eff1e",
        description: "Manages the custom attribute schema used by user flows.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "External Identity Provider Administrator",
        template_id: "be2f45a1-457d-42af-a067-6ec1fa63bc45",
        description: "Configures external identity providers for direct federation.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Fabric Administrator",
        template_id: "a9ea8996-122f-4c74-9520-8edcd192826c",
        description: "Manages Microsoft Fabric and Power BI.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Global Administrator",
        template_id: "62e90394-69f5-4237-9190-012177145e10",
        description: "Full control over Microsoft Entra ID and every service that uses Entra identities.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Global Reader",
        template_id: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        description: "Reads everything a Global Administrator can see, with no write access.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Global Secure Access Administrator",
        template_id: "ac434307-12b9-4fa1-a708-88bf58caabc1",
        description: "Manages Microsoft Entra Internet Access and Private Access.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Global Secure Access Log Reader",
        template_id: "843318fb-79a6-4168-9e6f-aa9a07481cc4",
        description: "Reads Global Secure Access network traffic logs.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Groups Administrator",
        template_id: "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        description: "Manages groups, group settings and group policies such as naming and expiration.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Guest Inviter",
        template_id: "95e79109-95c0-4d8e-aee3-d01accf2d47b",
        description: "Invites guest users regardless of the member-invite setting.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Helpdesk Administrator",
        template_id: "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        description: "Resets passwords for non-admins and other Helpdesk Administrators.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Hybrid Identity Administrator",
        template_id: "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        description: "Manages Entra Connect, cloud sync, pass-through auth, password hash sync and federation.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Identity Governance Administrator",
        template_id: "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e",
        description: "Manages access packages, access reviews and other identity governance features.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Insights Administrator",
        template_id: "eb1f4a8d-243a-41f0-9fbd-c7cdf6c5ef7c",
        description: "Administers the Microsoft 365 / Viva Insights app.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Insights Analyst",
        template_id: "25df335f-86eb-4119-b717-0ff02de207e9",
        description: "Runs custom queries and analysis in Microsoft Viva Insights.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Insights Business Leader",
        template_id: "31e939ad-9672-4796-9c2e-873181342d2d",
        description: "Views and shares dashboards in the Insights app.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Intune Administrator",
        template_id: "3a2c62db-5318-420d-8d74-23affee5d9d5",
        description: "Manages Microsoft Intune.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "IoT Device Administrator",
        template_id: "2ea5ce4c-b2d8-4668-bd81-3680bd2d227a",
        description: "Provisions and manages IoT devices, their certificates and templates.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Kaizala Administrator",
        template_id: "74ef975b-6605-40af-a5d2-b9539d836353",
        description: "Manages Microsoft Kaizala settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Knowledge Administrator",
        template_id: "b5a8dcf3-09d5-43a9-a639-8e29ef291470",
        description: "Configures knowledge, learning and related intelligent features.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Knowledge Manager",
        template_id: "744ec460-397e-42ad-a462-8b3f9747a02c",
        description: "Curates and manages knowledge topics.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "License Administrator",
        template_id: "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        description: "Assigns and removes product licenses on users and groups.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Lifecycle Workflows Administrator",
        template_id: "59d46f88-662b-457b-bceb-5c3809e5908f",
        description: "Manages Lifecycle Workflows (joiner/mover/leaver automation).",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Message Center Privacy Reader",
        template_id: "ac16e43d-7b2d-40e0-ac05-243ff356ab5b",
        description: "Reads Message Center posts, including data privacy messages.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Message Center Reader",
        template_id: "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b",
        description: "Reads Message Center posts for the organisation.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft 365 Backup Administrator",
        template_id: "1707125e-0aa2-4d4d-8655-a7c786c76a25",
        description: "Backs up and restores SharePoint, OneDrive and Exchange content with Microsoft 365 Backup.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft 365 Migration Administrator",
        template_id: "8c8b803f-96e1-4129-9349-20738d9f9652",
        description: "Migrates content into Microsoft 365 with Migration Manager.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft 365 Support Engineer",
        template_id: "00cf5c54-4693-4f59-a0ac-ab79ef0a974d",
        description: "Internal Microsoft support role; not for general use.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft Entra Joined Device Local Administrator",
        template_id: "9f06204d-73c1-4d4c-880a-6edb90606fd8",
        description: "Members become local administrators on Entra-joined devices.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft Graph Data Connect Administrator",
        template_id: "ee67aa9c-e510-4759-b906-227085a7fd4d",
        description: "Manages Microsoft Graph Data Connect for the tenant.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft Hardware Warranty Administrator",
        template_id: "1501b917-7653-4ff9-a4b5-203eaf33784f",
        description: "Manages warranty claims and entitlements for Microsoft hardware.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Microsoft Hardware Warranty Specialist",
        template_id: "281fe777-fb20-4fbb-b7a3-ccebce5b0d96",
        description: "Creates and reads warranty claims for Microsoft hardware.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Network Administrator",
        template_id: "d37c8bed-0711-4417-ba38-b4abe66ce4c2",
        description: "Manages network locations and reviews network connectivity insights.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Office Apps Administrator",
        template_id: "2b745bdf-0803-4d80-aa65-822c4493daac",
        description: "Manages Microsoft 365 Apps cloud policies and settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Organizational Branding Administrator",
        template_id: "92ed04bf-c94a-4b82-9729-b799a7a4c178",
        description: "Manages the tenant's sign-in branding.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Organizational Data Source Administrator",
        template_id: "9d70768a-0cbc-4b4c-aea3-2e124b2477f4",
        description: "Sets up ingestion of organisational data into Microsoft 365.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Organizational Messages Approver",
        template_id: "e48398e2-f4bb-4074-8f31-4586725e205b",
        description: "Reviews and approves organisational messages before delivery.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Organizational Messages Writer",
        template_id: "507f53e4-4e52-4077-abd3-d2e1558b6ea2",
        description: "Authors and manages organisational messages to end users.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Partner Tier1 Support",
        template_id: "4ba39ca4-527c-499a-b93d-d9b492c50246",
        description: "Legacy partner support role; not for general use.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Partner Tier2 Support",
        template_id: "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        description: "Legacy partner support role; not for general use.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Password Administrator",
        template_id: "966707d0-3269-4727-9be2-8c3a10f19b9d",
        description: "Resets passwords for non-admins and other Password Administrators.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "People Administrator",
        template_id: "024906de-61e5-49c8-8572-40335f1e0e10",
        description: "Manages profile photos and people settings for all users.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Permissions Management Administrator",
        template_id: "af78dc32-cf4d-46f9-ba4e-4428526346b5",
        description: "Manages Microsoft Entra Permissions Management.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Places Administrator",
        template_id: "78b0ccd1-afc2-4f92-9116-b41aedd09592",
        description: "Manages Microsoft Places.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Power Platform Administrator",
        template_id: "11648597-926c-4cf3-9c36-bcebb0ba8dcc",
        description: "Manages Power Platform, Power Apps, Power Automate and Dynamics 365 environments.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Printer Administrator",
        template_id: "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f",
        description: "Manages printers and printer connectors in Universal Print.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Printer Technician",
        template_id: "e8cef6f1-e4bd-4ea8-bc07-4b8d950f4477",
        description: "Registers and unregisters printers and updates their status.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Privileged Authentication Administrator",
        template_id: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        description: "Views, sets and resets authentication methods for any user, admins included.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Privileged Role Administrator",
        template_id: "e8611ab8-c189-46e8-94e1-60213ab1f814",
        description: "Manages role assignments and Privileged Identity Management.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Reports Reader",
        template_id: "4a5d8f65-41da-4de4-8968-e035b65339cf",
        description: "Reads sign-in and audit reports.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Search Administrator",
        template_id: "0964bb5e-9bdb-4d7b-ac29-58e794862a40",
        description: "Manages Microsoft Search settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Search Editor",
        template_id: "8835291a-918c-4fd7-a9ce-faa49f0cf7d9",
        description: "Manages editorial Microsoft Search content such as bookmarks and Q&As.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Security Administrator",
        template_id: "194ae4cb-b126-40b2-bd5b-6091b380977d",
        description: "Manages security configuration and reads security reports.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Security Operator",
        template_id: "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
        description: "Manages security alerts and incidents.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Security Reader",
        template_id: "5d6b6bb7-de71-4623-b4af-96380a352509",
        description: "Reads security information and reports.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "Service Support Administrator",
        template_id: "f023fd81-a637-4b56-95fd-791ac0226033",
        description: "Reads service health and opens support tickets.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "SharePoint Administrator",
        template_id: "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        description: "Manages SharePoint Online and OneDrive.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "SharePoint Advanced Management Administrator",
        template_id: "99009c4a-3b3f-4957-82a9-9d35e12db77e",
        description: "Manages SharePoint Advanced Management features.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "SharePoint Backup Administrator",
        template_id: "9d3e04ba-3ee4-4d1b-a3a7-9aef423a09be",
        description: "Backs up and restores SharePoint and OneDrive content with Microsoft 365 Backup.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "SharePoint Embedded Administrator",
        template_id: "1a7d78b6-429f-476b-b8eb-35fb715fffd4",
        description: "Manages SharePoint Embedded containers.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Skype for Business Administrator",
        template_id: "75941009-915a-4869-abe7-691bff18279e",
        description: "Manages Skype for Business.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Administrator",
        template_id: "69091246-20e8-4a56-aa4d-066075b2a7a8",
        description: "Manages Microsoft Teams.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Communications Administrator",
        template_id: "baf37b3a-610e-45da-9e62-d9d1e5e8914b",
        description: "Manages Teams calling and meeting features.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Communications Support Engineer",
        template_id: "f70938a0-fc10-4177-9e90-2178f8765737",
        description: "Troubleshoots Teams communication issues with advanced tools.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Communications Support Specialist",
        template_id: "fcf91098-03e3-41a9-b5ba-6f0ec8188a12",
        description: "Troubleshoots Teams communication issues with basic tools.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Devices Administrator",
        template_id: "3d762c5a-1b6c-493f-843e-55a3b42923d4",
        description: "Manages Teams-certified devices.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams External Collaboration Administrator",
        template_id: "2fe872fb-daa8-4afc-8f6c-53c4565cfef4",
        description: "Manages Teams external collaboration policies and allowed domains.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Reader",
        template_id: "1076ac91-f3d9-41a7-a339-dcdf5f480acc",
        description: "Reads everything in the Teams admin center without changing anything.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Teams Telephony Administrator",
        template_id: "aa38014f-0993-46e9-9b45-30501a20909d",
        description: "Manages Teams voice and telephony features.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Tenant Creator",
        template_id: "112ca1a2-15ad-4102-995e-45b0bc479a6a",
        description: "Creates new Microsoft Entra or Azure AD B2C tenants.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Usage Summary Reports Reader",
        template_id: "75934031-6c7e-415a-99d7-48dbd49e875e",
        description: "Reads aggregate usage reports and Adoption Score, without user details.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "User Administrator",
        template_id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        description: "Manages users and groups, including password resets for limited admins.",
        privileged: true,
    },
    BuiltinRole {
        display_name: "User Experience Success Manager",
        template_id: "27460883-1df1-4691-b032-3b79643e5e63",
        description: "Reads product feedback, survey results and usage reports.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Virtual Visits Administrator",
        template_id: "e300d9e7-4a2b-4295-9eff-f1c78b36cc98",
        description: "Manages Virtual Visits data and metrics.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Viva Glint Tenant Administrator",
        template_id: "0ec3f692-38d6-4d14-9e69-0377ca7797ad",
        description: "Configures Microsoft Viva Glint.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Viva Goals Administrator",
        template_id: "92b086b3-e367-4ef2-b869-1de128fb986e",
        description: "Manages Microsoft Viva Goals.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Viva Pulse Administrator",
        template_id: "87761b17-1ed2-4af3-9acd-92a150038160",
        description: "Manages Microsoft Viva Pulse settings.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Windows 365 Administrator",
        template_id: "11451d60-acb2-45eb-a7d6-43d0f0125c13",
        description: "Provisions and manages Windows 365 Cloud PCs.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Windows Update Deployment Administrator",
        template_id: "32696413-001a-46ae-978c-ce0f6b3620d2",
        description: "Manages Windows Update for Business deployments.",
        privileged: false,
    },
    BuiltinRole {
        display_name: "Yammer Administrator",
        template_id: "810a2642-a034-447f-a5e8-41beaa378541",
        description: "Manages Viva Engage (Yammer).",
        privileged: false,
    },
];

/// Find a built-in role by its template id, ignoring ASCII case and
/// surrounding whitespace.
///
/// Graph returns lowercase GUIDs, but hand-written YAML may use uppercase.
pub fn by_template_id(id: &str) -> Option<&'static BuiltinRole> {
    let id = id.trim();
    BUILTIN_ROLES
        .iter()
        .find(|r| r.template_id.eq_ignore_ascii_case(id))
}

/// Find a built-in role by display name, ignoring ASCII case and surrounding
/// whitespace.
///
/// Entra treats role names case-insensitively in practice, so we do too.
pub fn by_display_name(name: &str) -> Option<&'static BuiltinRole> {
    let name = name.trim();
    BUILTIN_ROLES
        .iter()
        .find(|r| r.display_name.eq_ignore_ascii_case(name))
}

/// Find a built-in role given either its template id or its display name.
///
/// The id is tried first; GUIDs and role names never collide.
pub fn lookup(name_or_id: &str) -> Option<&'static BuiltinRole> {
    by_template_id(name_or_id).or_else(|| by_display_name(name_or_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// True for a lowercase 8-4-4-4-12 hex GUID.
    fn is_lower_guid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        groups.len() == lens.len()
            && groups.iter().zip(lens).all(|(g, n)| {
                g.len() == n
                    && g.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
    }

    #[test]
    fn catalog_is_not_trivially_small() {
        assert!(BUILTIN_ROLES.len() >= 100, "{}", BUILTIN_ROLES.len());
    }

    #[test]
    fn template_ids_are_unique() {
        let mut seen = HashSet::new();
        for r in BUILTIN_ROLES {
            assert!(seen.insert(r.template_id), "duplicate id {}", r.template_id);
        }
    }

    #[test]
    fn display_names_are_unique_case_insensitively() {
        let mut seen = HashSet::new();
        for r in BUILTIN_ROLES {
            assert!(
                seen.insert(r.display_name.to_ascii_lowercase()),
                "duplicate name {}",
                r.display_name
            );
        }
    }

    #[test]
    fn template_ids_are_lowercase_guids() {
        for r in BUILTIN_ROLES {
            assert!(
                is_lower_guid(r.template_id),
                "{}: {}",
                r.display_name,
                r.template_id
            );
        }
        assert!(is_lower_guid(GLOBAL_ADMINISTRATOR));
        assert!(!is_lower_guid("62E90394-69F5-4237-9190-012177145E10"));
        assert!(!is_lower_guid("62e90394-69f5-4237-9190-012177145e1"));
        assert!(!is_lower_guid("62e9039469f54237-9190-012177145e10"));
    }

    #[test]
    fn fields_are_clean() {
        for r in BUILTIN_ROLES {
            assert_eq!(r.display_name, r.display_name.trim());
            assert!(!r.display_name.is_empty());
            assert!(!r.description.is_empty(), "{}", r.display_name);
            assert!(!r.description.contains('\n'), "{}", r.display_name);
        }
    }

    #[test]
    fn sorted_by_display_name() {
        for w in BUILTIN_ROLES.windows(2) {
            assert!(
                w[0].display_name.to_ascii_lowercase() < w[1].display_name.to_ascii_lowercase(),
                "{} should sort before {}",
                w[0].display_name,
                w[1].display_name
            );
        }
    }

    #[test]
    fn well_known_roles_have_known_ids() {
        let known = [
            (
                "Global Administrator",
                "62e90394-69f5-4237-9190-012177145e10",
            ),
            ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
            (
                "Helpdesk Administrator",
                "729827e3-9c14-49f7-bb1b-9608f156bbb8",
            ),
            (
                "Privileged Role Administrator",
                "e8611ab8-c189-46e8-94e1-60213ab1f814",
            ),
        ];
        for (name, id) in known {
            let r = by_display_name(name).expect(name);
            assert_eq!(r.template_id, id, "{name}");
            assert!(r.privileged, "{name} should be privileged");
            assert_eq!(by_template_id(id), Some(r));
        }
        assert_eq!(
            by_template_id(GLOBAL_ADMINISTRATOR).map(|r| r.display_name),
            Some("Global Administrator")
        );
    }

    #[test]
    fn graph_example_roles_match() {
        // Ids shown in Microsoft Graph documentation examples.
        let examples = [
            (
                "Directory Readers",
                "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
                false,
            ),
            (
                "Billing Administrator",
                "b0f54661-2d74-4c50-afa3-1ec803f12efe",
                false,
            ),
            (
                "Service Support Administrator",
                "f023fd81-a637-4b56-95fd-791ac0226033",
                false,
            ),
            (
                "Microsoft Entra Joined Device Local Administrator",
                "9f06204d-73c1-4d4c-880a-6edb90606fd8",
                false,
            ),
        ];
        for (name, id, privileged) in examples {
            let r = by_template_id(id).expect(name);
            assert_eq!(r.display_name, name);
            assert_eq!(r.privileged, privileged, "{name}");
        }
    }

    #[test]
    fn lookup_by_name_in_any_case() {
        for name in [
            "user administrator",
            "USER ADMINISTRATOR",
            "User Administrator",
            "  uSeR aDmInIsTrAtOr ",
        ] {
            let r = lookup(name).expect(name);
            assert_eq!(r.template_id, "fe930be7-5e62-47db-91af-98c3a49a38b1");
        }
    }

    #[test]
    fn lookup_by_id_in_any_case() {
        let lower = lookup("729827e3-9c14-49f7-bb1b-9608f156bbb8").map(|r| r.display_name);
        let upper = lookup("729827E3-9C14-49F7-BB1B-9608F156BBB8").map(|r| r.display_name);
        assert_eq!(lower, Some("Helpdesk Administrator"));
        assert_eq!(upper, lower);
    }

    #[test]
    fn every_role_round_trips_through_lookup() {
        for r in BUILTIN_ROLES {
            assert_eq!(lookup(r.template_id), Some(r));
            assert_eq!(lookup(r.display_name), Some(r));
            assert_eq!(lookup(&r.display_name.to_ascii_uppercase()), Some(r));
            assert_eq!(lookup(&r.template_id.to_ascii_uppercase()), Some(r));
        }
    }

    #[test]
    fn unknown_inputs_are_none() {
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("Chief Everything Officer"), None);
        assert_eq!(lookup("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(by_display_name(GLOBAL_ADMINISTRATOR), None);
        assert_eq!(by_template_id("Global Administrator"), None);
    }

    #[test]
    fn non_privileged_examples() {
        for name in [
            "Directory Readers",
            "Reports Reader",
            "Groups Administrator",
            "License Administrator",
        ] {
            assert!(!lookup(name).expect(name).privileged, "{name}");
        }
    }
}
