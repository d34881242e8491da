//! Shared helpers for the emulator tests: a small fixed tenant, a started
//! server with a token from the real token endpoint, and JSON request helpers.

use graph_emulator::{Emulator, EmulatorConfig, Seed};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub const ADELE: &str = "87d349ed-44d7-43e1-9a83-5f2406dee5bd";
pub const ALEX: &str = "7d54cb02-aaa3-4016-9f9c-a4b49422dd9b";
pub const BIANCA: &str = "343a3f95-377c-47a9-b697-480487bfcdf7";
pub const MEGAN: &str = "8e07b731-5ba7-4081-b482-15e6eca35c45";
pub const OLD: &str = "86462606-fde0-4fc4-9e0c-a20eb73e54c6";
pub const PLATFORM: &str = "c2f798fd-f95d-4623-8824-63aec21fffff";
pub const DYNAMIC: &str = "ec22655c-8eb2-432a-b4ea-8b8a254bffff";
pub const CLIENT_ID: &str = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05";
pub const SECRET: &str = "s3cret-value";
pub const THUMBPRINT: &str = "83F4AD1B2B2C8DC46A2A8B4F9D6E3E1C1C7A0B11";
pub const TENANT: &str = "aaaabbbb-0000-4000-8000-000000000001";

/// A small tenant: Adele ← Alex ← {Bianca, Megan}, a static and a dynamic group,
/// one Global Administrator, one deleted user.
pub fn small_seed() -> Seed {
    let v = json!({
        "tenant": { "id": TENANT, "domains": ["contoso.com", "contoso.onmicrosoft.com"] },
        "applications": [{
            "appId": CLIENT_ID, "displayName": "entraform-ci",
            "servicePrincipalId": "f8ca5a85-489a-49a0-b555-0a6d81e56f0d",
            "clientSecrets": [SECRET],
            "permissions": entraform::live::permissions::recommended_grants(),
            "certificateThumbprints": [THUMBPRINT],
            "federatedCredentials": [{
                "issuer": "https://token.actions.githubusercontent.com",
                "subject": "repo:contoso/directory:ref:refs/heads/main"
            }]
        }],
        "users": [
            { "id": ADELE, "userPrincipalName": "AdeleV@contoso.com", "displayName": "Adele Vance",
              "givenName": "Adele", "surname": "Vance", "mail": "AdeleV@contoso.com",
              "jobTitle": "Retail Manager", "accountEnabled": true, "mailNickname": "AdeleV",
              "businessPhones": ["+1 425 555 0109"], "officeLocation": "18/2111", "city": "Seattle",
              "department": "Retail", "usageLocation": "US" },
            { "id": ALEX, "userPrincipalName": "AlexW@contoso.com", "displayName": "Alex Wilber",
              "manager": "AdeleV@contoso.com", "accountEnabled": true, "mailNickname": "AlexW",
              "department": "Engineering", "jobTitle": "Marketing Assistant" },
            { "id": BIANCA, "userPrincipalName": "BiancaP@contoso.com", "displayName": "Bianca Pisani",
              "manager": ALEX, "accountEnabled": false, "mailNickname": "BiancaP",
              "department": "Engineering", "userType": "Guest" },
            { "id": MEGAN, "userPrincipalName": "MeganB@contoso.com", "displayName": "Megan Bowen",
              "manager": ALEX, "accountEnabled": true, "mailNickname": "MeganB",
              "department": "Sales", "onPremisesSyncEnabled": true }
        ],
        "groups": [
            { "id": PLATFORM, "displayName": "platform-engineers", "mailNickname": "platform-engineers",
              "description": "Platform team", "members": ["AlexW@contoso.com", BIANCA] },
            { "id": DYNAMIC, "displayName": "all-engineering", "mailNickname": "all-engineering",
              "groupTypes": ["DynamicMembership"], "membershipRule": "(user.department -eq \"Engineering\")",
              "membershipRuleProcessingState": "On", "members": [ALEX, BIANCA] }
        ],
        "roleAssignments": [
            { "principalId": "AdeleV@contoso.com", "roleDefinitionId": "Global Administrator" },
            // entraform's service principal may perform sensitive actions on
            // every user, Adele the Global Administrator included (Graph's
            // "Who can perform sensitive actions"; docs/permissions.md).
            { "principalId": "f8ca5a85-489a-49a0-b555-0a6d81e56f0d",
              "roleDefinitionId": "Global Administrator" }
        ],
        "deletedUsers": [
            { "id": OLD, "userPrincipalName": "old.timer@contoso.com", "displayName": "Old Timer",
              "mailNickname": "old.timer", "accountEnabled": true }
        ]
    });
    serde_json::from_value(v).expect("valid seed")
}

pub struct Env {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Start an emulator on the small seed and get a token with the client secret.
pub async fn start() -> Env {
    start_with(small_seed(), EmulatorConfig::default()).await
}

pub async fn start_with(seed: Seed, config: EmulatorConfig) -> Env {
    let emu = Emulator::serve(seed, config)
        .await
        .expect("emulator starts");
    let http = reqwest::Client::new();
    let client_id = emu
        .state()
        .applications
        .first()
        .map(|a| a.app_id.clone())
        .expect("seed has an app");
    let secret = if client_id == CLIENT_ID {
        SECRET
    } else {
        graph_emulator::SYNTHETIC_CLIENT_SECRET
    };
    let form = format!(
        "client_id={client_id}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret={secret}&grant_type=client_credentials"
    );
    let r = http
        .post(emu.token_url())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("token json");
    let token = v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    Env { emu, http, token }
}

impl Env {
    /// Use a token granted the documented permissions plus `extra` (an
    /// endpoint whose table needs more, e.g. Directory.Read.All for memberOf).
    pub fn grant(&mut self, extra: &[&str]) {
        let mut all = entraform::live::permissions::recommended_grants();
        all.extend_from_slice(extra);
        let app = self
            .emu
            .state()
            .applications
            .first()
            .map(|a| a.app_id.clone())
            .expect("seed has an app");
        self.token = self.emu.issue_token_with(&app, &all);
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.emu.graph_url(), path)
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = self
            .http
            .request(m, self.url(path))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None, &[]).await
    }

    pub async fn get_eventual(&self, path: &str) -> Resp {
        self.call("GET", path, None, &[("ConsistencyLevel", "eventual")])
            .await
    }

    pub async fn send(&self, method: &str, path: &str, body: Value) -> Resp {
        self.call(method, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None, &[]).await
    }
}

/// Assert a Graph error envelope with the given status and code; returns the message.
pub fn assert_graph_error(r: &Resp, status: u16, code: &str) -> String {
    assert_eq!(r.status, status, "status of {}", r.body);
    let e = &r.body["error"];
    assert_eq!(e["code"], code, "code in {}", r.body);
    let inner = &e["innerError"];
    assert!(inner["date"].is_string(), "innerError.date in {}", r.body);
    assert!(inner["request-id"].is_string());
    assert!(inner["client-request-id"].is_string());
    assert_eq!(r.header("request-id"), inner["request-id"].as_str());
    e["message"].as_str().expect("message").to_string()
}
