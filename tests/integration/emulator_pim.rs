//! PIM for directory roles in the emulator, over HTTP: eligibility and
//! assignment schedule requests (each action and each error), schedules and
//! instances (`assignmentType`, `memberType`, AU scope, group inheritance),
//! the seed's PIM part, and the permission table (fail closed).

use crate::emulator_support;

use emulator_support::*;
use graph_emulator::{EmulatorConfig, Seed};
use serde_json::{Value, json};

const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const UNIT: &str = "5d107bba-d8e2-4e13-b6ae-884be90e5d1a";
const ADMINS: &str = "a0000000-0000-4000-8000-0000000000aa";
const PLAIN: &str = "a0000000-0000-4000-8000-0000000000bb";
const ELIG: &str = "/roleManagement/directory/roleEligibilityScheduleRequests";
const ASSIGN: &str = "/roleManagement/directory/roleAssignmentScheduleRequests";

/// The small tenant plus an administrative unit ("Paris office", Megan in
/// it), a role-assignable group (Alex and Megan) and a plain one, and
/// policies: Helpdesk Administrator forbids permanent assignments and
/// eligibilities, User Administrator activations last at most 2 hours.
fn pim_seed(extra: Value) -> Seed {
    let mut v = serde_json::to_value(small_seed()).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    v["administrativeUnits"] =
        json!([{"id": UNIT, "displayName": "Paris office", "members": [MEGAN]}]);
    v["groups"].as_array_mut().unwrap().extend([
        json!({"id": ADMINS, "displayName": "pim-admins", "mailNickname": "pim-admins",
               "isAssignableToRole": true, "members": [ALEX, MEGAN]}),
        json!({"id": PLAIN, "displayName": "plain", "mailNickname": "plain", "members": [BIANCA]}),
    ]);
    v["roleManagementPolicies"] = json!([
        {"roleDefinitionId": "Helpdesk Administrator", "eligibilityExpirationRequired": true,
         "assignmentExpirationRequired": true},
        {"roleDefinitionId": USER_ADMIN, "maximumActivationDuration": "PT2H"}
    ]);
    if let Value::Object(m) = extra {
        for (k, x) in m {
            v[k] = x;
        }
    }
    serde_json::from_value(v).unwrap()
}

async fn env() -> Env {
    start_with(pim_seed(json!({})), EmulatorConfig::default()).await
}

fn request(action: &str, principal: &str, role: &str, scope: &str, expiration: Value) -> Value {
    json!({
        "action": action, "principalId": principal, "roleDefinitionId": role,
        "directoryScopeId": scope, "justification": "needed for the test",
        "scheduleInfo": {"startDateTime": "2022-04-10T00:00:00Z", "expiration": expiration}
    })
}

fn until_2099() -> Value {
    json!({"type": "AfterDateTime", "endDateTime": "2099-01-01T00:00:00Z"})
}

fn values(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["value"].as_array().expect("value").clone()
}

async fn list(env: &Env, set: &str, query: &str) -> Vec<Value> {
    values(
        &env.get(&format!("/roleManagement/directory/{set}{query}"))
            .await,
    )
}

fn policy_failed(r: &Resp, rule: &str) {
    let msg = assert_graph_error(r, 400, "RoleAssignmentRequestPolicyValidationFailed");
    assert_eq!(
        msg,
        format!("The following policy rules failed: [\"{rule}\"]")
    );
}

#[tokio::test]
async fn eligibility_requests_assign_update_and_remove() {
    let env = env().await;
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", ALEX, USER_ADMIN, "/", until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["status"], "Provisioned");
    assert_eq!(r.body["targetScheduleId"], id.as_str());
    assert_eq!(
        r.body["scheduleInfo"]["expiration"]["type"],
        "afterDateTime"
    );
    assert_ne!(
        r.body["scheduleInfo"]["startDateTime"], "2022-04-10T00:00:00Z",
        "a past start becomes the processing time"
    );
    let s = list(&env, "roleEligibilitySchedules", "").await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["id"], id.as_str());
    assert_eq!(s[0]["createdUsing"], id.as_str());
    assert_eq!(s[0]["memberType"], "Direct");
    assert_eq!(s[0]["status"], "Provisioned");
    let i = list(&env, "roleEligibilityScheduleInstances", "").await;
    assert_eq!(i.len(), 1);
    assert_eq!(i[0]["roleEligibilityScheduleId"], id.as_str());
    assert_eq!(i[0]["endDateTime"], "2099-01-01T00:00:00Z");
    assert!(i[0]["id"].as_str().unwrap().ends_with("-1-e"));
    // Eligible only: no role assignment (tutorial step 4), no active instance.
    let q = format!("?$filter=principalId eq '{ALEX}'");
    assert!(list(&env, "roleAssignments", &q).await.is_empty());
    assert!(
        list(&env, "roleAssignmentScheduleInstances", &q)
            .await
            .is_empty()
    );
    // The same eligibility again: RoleAssignmentExists.
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", ALEX, USER_ADMIN, "/", until_2099()),
        )
        .await;
    let msg = assert_graph_error(&r, 400, "RoleAssignmentExists");
    assert_eq!(msg, "The Role assignment already exists.");
    // Update its end.
    let end = json!({"type": "afterDateTime", "endDateTime": "2098-06-30T00:00:00Z"});
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminUpdate", ALEX, USER_ADMIN, "/", end.clone()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["targetScheduleId"], id.as_str());
    let s = list(&env, "roleEligibilitySchedules", "").await;
    assert_eq!(
        s[0]["scheduleInfo"]["expiration"]["endDateTime"],
        "2098-06-30T00:00:00Z"
    );
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminExtend", ALEX, USER_ADMIN, "/", until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Remove it: Revoked, nothing left.
    let rm = json!({"action": "adminRemove", "principalId": ALEX, "roleDefinitionId": USER_ADMIN, "directoryScopeId": "/"});
    let r = env.send("POST", ELIG, rm.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "Revoked");
    assert_eq!(r.body["targetScheduleId"], Value::Null);
    assert_eq!(r.body["scheduleInfo"], Value::Null);
    assert!(list(&env, "roleEligibilitySchedules", "").await.is_empty());
    assert!(
        list(&env, "roleEligibilityScheduleInstances", "")
            .await
            .is_empty()
    );
    // Removing or updating what does not exist: RoleAssignmentDoesNotExist.
    let r = env.send("POST", ELIG, rm).await;
    assert_graph_error(&r, 400, "RoleAssignmentDoesNotExist");
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminUpdate", ALEX, USER_ADMIN, "/", end),
        )
        .await;
    assert_graph_error(&r, 400, "RoleAssignmentDoesNotExist");
    // The requests are listed.
    let reqs = list(
        &env,
        "roleEligibilityScheduleRequests",
        "?$filter=action eq 'adminRemove'",
    )
    .await;
    assert_eq!(reqs.len(), 1, "{reqs:?}");
}

#[tokio::test]
async fn request_validation_errors() {
    let env = env().await;
    // A role that forbids permanent eligibility / assignment: ExpirationRule.
    let never = json!({"type": "NoExpiration"});
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", ALEX, HELPDESK, "/", never.clone()),
        )
        .await;
    policy_failed(&r, "ExpirationRule");
    let r = env
        .send(
            "POST",
            ASSIGN,
            request("adminAssign", ALEX, HELPDESK, "/", never.clone()),
        )
        .await;
    policy_failed(&r, "ExpirationRule");
    // With an end they are accepted.
    let r = env
        .send(
            "POST",
            ASSIGN,
            request("adminAssign", ALEX, HELPDESK, "/", until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // An end already past.
    let past = json!({"type": "afterDateTime", "endDateTime": "2020-01-01T00:00:00Z"});
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", BIANCA, USER_ADMIN, "/", past),
        )
        .await;
    policy_failed(&r, "ExpirationRule");
    // Unknown principal, unknown role, plain group, service principal eligibility.
    let r = env
        .send(
            "POST",
            ELIG,
            request(
                "adminAssign",
                "00000000-0000-4000-8000-000000000404",
                USER_ADMIN,
                "/",
                until_2099(),
            ),
        )
        .await;
    assert_graph_error(&r, 400, "SubjectNotFound");
    let r = env
        .send(
            "POST",
            ELIG,
            request(
                "adminAssign",
                ALEX,
                "00000000-0000-4000-8000-000000000404",
                "/",
                until_2099(),
            ),
        )
        .await;
    assert_graph_error(&r, 400, "RoleNotFound");
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", PLAIN, USER_ADMIN, "/", until_2099()),
        )
        .await;
    let msg = assert_graph_error(&r, 400, "Request_BadRequest");
    assert!(msg.contains("not role-assignable"), "{msg}");
    let sp = "f8ca5a85-489a-49a0-b555-0a6d81e56f0d";
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", sp, USER_ADMIN, "/", until_2099()),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    // An administrative unit that does not exist; a missing scheduleInfo; an unknown action.
    let r = env
        .send(
            "POST",
            ELIG,
            request(
                "adminAssign",
                ALEX,
                USER_ADMIN,
                "/administrativeUnits/nope",
                until_2099(),
            ),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let mut b = request("adminAssign", ALEX, USER_ADMIN, "/", until_2099());
    b.as_object_mut().unwrap().remove("scheduleInfo");
    let msg = assert_graph_error(&env.send("POST", ELIG, b).await, 400, "Request_BadRequest");
    assert!(msg.contains("'scheduleInfo'"), "{msg}");
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminRenew", ALEX, USER_ADMIN, "/", until_2099()),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    // Hostile times: a 400, never a panic.
    for exp in [
        json!({"type": "afterDuration", "duration": "PT9223372036854775807S"}),
        json!({"type": "afterDateTime", "endDateTime": "99999-01-01T00:00:00Z"}),
    ] {
        let r = env
            .send(
                "POST",
                ELIG,
                request("adminAssign", ALEX, USER_ADMIN, "/", exp),
            )
            .await;
        assert_graph_error(&r, 400, "Request_BadRequest");
    }
    // Nothing above was stored.
    assert!(list(&env, "roleEligibilitySchedules", "").await.is_empty());
    // isValidationOnly: checked, not applied.
    let mut b = request("adminAssign", ALEX, USER_ADMIN, "/", until_2099());
    b["isValidationOnly"] = json!(true);
    let r = env.send("POST", ELIG, b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["isValidationOnly"], true);
    assert!(list(&env, "roleEligibilitySchedules", "").await.is_empty());
}

#[tokio::test]
async fn activation_shows_as_activated_and_ends_on_deactivation() {
    let mut env = env().await;
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", ALEX, USER_ADMIN, "/", until_2099()),
        )
        .await;
    let eligibility = r.body["id"].as_str().unwrap().to_string();
    let activate = |hours: &str| {
        json!({"action": "selfActivate", "principalId": ALEX, "roleDefinitionId": USER_ADMIN,
               "directoryScopeId": "/", "justification": "incident 42",
               "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": hours}}})
    };
    // Another caller may not activate for Alex: 403.
    let r = env.send("POST", ASSIGN, activate("PT1H")).await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    env.token = env.emu.issue_token_as(CLIENT_ID, ALEX);
    // Longer than the role allows (PT2H), or without an end: ExpirationRule.
    policy_failed(
        &env.send("POST", ASSIGN, activate("PT3H")).await,
        "ExpirationRule",
    );
    let mut b = activate("PT1H");
    b["scheduleInfo"]["expiration"] = json!({"type": "noExpiration"});
    policy_failed(&env.send("POST", ASSIGN, b).await, "ExpirationRule");
    // Without a justification: JustificationRule.
    let mut b = activate("PT1H");
    b.as_object_mut().unwrap().remove("justification");
    policy_failed(&env.send("POST", ASSIGN, b).await, "JustificationRule");
    // Activate.
    let r = env.send("POST", ASSIGN, activate("PT1H")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "Provisioned");
    assert_eq!(r.body["createdBy"]["user"]["id"], ALEX);
    assert_eq!(
        r.body["scheduleInfo"]["expiration"]["type"],
        "afterDuration"
    );
    assert_eq!(r.body["scheduleInfo"]["expiration"]["duration"], "PT1H");
    let request_id = r.body["id"].as_str().unwrap().to_string();
    // Activating again while active: RoleAssignmentExists.
    let r = env.send("POST", ASSIGN, activate("PT1H")).await;
    assert_graph_error(&r, 400, "RoleAssignmentExists");
    env.grant(&[]);
    let q = format!("?$filter=principalId eq '{ALEX}'");
    let i = list(&env, "roleAssignmentScheduleInstances", &q).await;
    assert_eq!(i.len(), 1, "{i:?}");
    assert_eq!(i[0]["assignmentType"], "Activated");
    assert_eq!(i[0]["memberType"], "Direct");
    assert_eq!(i[0]["roleAssignmentScheduleId"], request_id.as_str());
    assert!(i[0]["endDateTime"].is_string() && i[0]["startDateTime"].is_string());
    // activatedUsing: the eligibility instance it came from.
    let i = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("{q}&$expand=activatedUsing"),
    )
    .await;
    assert_eq!(
        i[0]["activatedUsing"]["roleEligibilityScheduleId"],
        eligibility.as_str()
    );
    let s = list(
        &env,
        "roleAssignmentSchedules",
        &format!("{q}&$expand=activatedUsing"),
    )
    .await;
    assert_eq!(s[0]["assignmentType"], "Activated");
    assert_eq!(s[0]["activatedUsing"]["id"], eligibility.as_str());
    // The activation is a role assignment while it lasts.
    let a = list(&env, "roleAssignments", &q).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["roleDefinitionId"], USER_ADMIN);
    let only = list(
        &env,
        "roleAssignmentScheduleInstances",
        "?$filter=assignmentType eq 'Activated'&$select=id,principalId",
    )
    .await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].as_object().unwrap().len(), 2, "{only:?}");
    // Deactivate.
    env.token = env.emu.issue_token_as(CLIENT_ID, ALEX);
    let off = json!({"action": "selfDeactivate", "principalId": ALEX, "roleDefinitionId": USER_ADMIN, "directoryScopeId": "/"});
    let r = env.send("POST", ASSIGN, off.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "Revoked");
    assert_graph_error(
        &env.send("POST", ASSIGN, off).await,
        400,
        "RoleAssignmentDoesNotExist",
    );
    env.grant(&[]);
    assert!(
        list(&env, "roleAssignmentScheduleInstances", &q)
            .await
            .is_empty()
    );
    assert!(list(&env, "roleAssignments", &q).await.is_empty());
    // The eligibility stays.
    assert_eq!(list(&env, "roleEligibilitySchedules", "").await.len(), 1);
}

#[tokio::test]
async fn activation_needs_an_eligibility() {
    let mut env = env().await;
    env.token = env.emu.issue_token_as(CLIENT_ID, BIANCA);
    let b = json!({"action": "SelfActivate", "principalId": BIANCA, "roleDefinitionId": USER_ADMIN,
                   "directoryScopeId": "/", "justification": "j",
                   "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "PT1H"}}});
    policy_failed(&env.send("POST", ASSIGN, b).await, "EligibilityRule");
    // An eligibility at another scope does not count.
    env.grant(&[]);
    let scope = format!("/administrativeUnits/{UNIT}");
    let r = env
        .send(
            "POST",
            ELIG,
            request("adminAssign", BIANCA, USER_ADMIN, &scope, until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    env.token = env.emu.issue_token_as(CLIENT_ID, BIANCA);
    let b = json!({"action": "selfActivate", "principalId": BIANCA, "roleDefinitionId": USER_ADMIN,
                   "directoryScopeId": "/", "justification": "j",
                   "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "PT1H"}}});
    policy_failed(
        &env.send("POST", ASSIGN, b.clone()).await,
        "EligibilityRule",
    );
    let mut at_unit = b;
    at_unit["directoryScopeId"] = json!(scope);
    let r = env.send("POST", ASSIGN, at_unit).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn admin_assignments_direct_time_bound_and_au_scoped_share_one_store() {
    let env = env().await;
    let scope = format!("/administrativeUnits/{UNIT}");
    let r = env
        .send(
            "POST",
            ASSIGN,
            request("adminAssign", MEGAN, USER_ADMIN, &scope, until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let schedule = r.body["id"].as_str().unwrap().to_string();
    let q = format!("?$filter=principalId eq '{MEGAN}'");
    let i = list(&env, "roleAssignmentScheduleInstances", &q).await;
    assert_eq!(i.len(), 1);
    assert_eq!(i[0]["directoryScopeId"], scope.as_str());
    assert_eq!(i[0]["assignmentType"], "Assigned");
    assert_eq!(i[0]["endDateTime"], "2099-01-01T00:00:00Z");
    assert_eq!(i[0]["roleAssignmentScheduleId"], schedule.as_str());
    let a = list(&env, "roleAssignments", &q).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["directoryScopeId"], scope.as_str());
    assert_eq!(a[0]["id"], i[0]["roleAssignmentOriginId"]);
    let scoped = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("?$filter=directoryScopeId eq '{scope}'"),
    )
    .await;
    assert_eq!(scoped.len(), 1);
    // A plain role assignment shows as a schedule and an instance.
    let r = env
        .send(
            "POST",
            "/roleManagement/directory/roleAssignments",
            json!({"roleDefinitionId": HELPDESK, "principalId": BIANCA, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let direct = r.body["id"].as_str().unwrap().to_string();
    let q = format!("?$filter=principalId eq '{BIANCA}'");
    let i = list(&env, "roleAssignmentScheduleInstances", &q).await;
    assert_eq!(i.len(), 1);
    assert_eq!(i[0]["id"], direct.as_str());
    assert_eq!(i[0]["roleAssignmentOriginId"], direct.as_str());
    assert_eq!(i[0]["roleAssignmentScheduleId"], direct.as_str());
    assert_eq!(i[0]["startDateTime"], Value::Null);
    let s = list(&env, "roleAssignmentSchedules", &q).await;
    assert_eq!(s[0]["id"], direct.as_str());
    assert_eq!(s[0]["createdUsing"], Value::Null);
    // adminAssign of what exists directly: RoleAssignmentExists.
    let r = env
        .send(
            "POST",
            ASSIGN,
            request("adminAssign", BIANCA, HELPDESK, "/", until_2099()),
        )
        .await;
    assert_graph_error(&r, 400, "RoleAssignmentExists");
    // Deleted directly: gone from PIM's views too.
    let r = env
        .delete(&format!(
            "/roleManagement/directory/roleAssignments/{direct}"
        ))
        .await;
    assert_eq!(r.status, 204);
    assert!(
        list(&env, "roleAssignmentScheduleInstances", &q)
            .await
            .is_empty()
    );
    assert!(list(&env, "roleAssignmentSchedules", &q).await.is_empty());
    // adminRemove of a direct assignment (Adele's Global Administrator) and of a PIM one.
    let rm = |p: &str, role: &str, sc: &str| json!({"action": "adminRemove", "principalId": p, "roleDefinitionId": role, "directoryScopeId": sc});
    let r = env.send("POST", ASSIGN, rm(ADELE, GA, "/")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        list(
            &env,
            "roleAssignments",
            &format!("?$filter=principalId eq '{ADELE}'")
        )
        .await
        .is_empty()
    );
    let r = env
        .send("POST", ASSIGN, rm(MEGAN, USER_ADMIN, &scope))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        list(
            &env,
            "roleAssignments",
            &format!("?$filter=principalId eq '{MEGAN}'")
        )
        .await
        .is_empty()
    );
    let r = env
        .send("POST", ASSIGN, rm(MEGAN, USER_ADMIN, &scope))
        .await;
    assert_graph_error(&r, 400, "RoleAssignmentDoesNotExist");
    // A future start: Granted, not yet a role assignment.
    let mut b = request("adminAssign", ALEX, USER_ADMIN, "/", until_2099());
    b["scheduleInfo"]["startDateTime"] = json!("2098-01-01T00:00:00Z");
    let r = env.send("POST", ASSIGN, b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "Granted");
    assert_eq!(r.body["completedDateTime"], "2098-01-01T00:00:00Z");
    let q = format!("?$filter=principalId eq '{ALEX}'");
    assert!(list(&env, "roleAssignments", &q).await.is_empty());
    assert!(
        list(&env, "roleAssignmentScheduleInstances", &q)
            .await
            .is_empty()
    );
    assert_eq!(
        list(&env, "roleAssignmentSchedules", &q).await[0]["status"],
        "Granted"
    );
}

#[tokio::test]
async fn a_role_assignable_groups_role_is_inherited_by_its_members() {
    let mut env = env().await;
    let r = env
        .send(
            "POST",
            ELIG,
            request("AdminAssign", ADMINS, USER_ADMIN, "/", until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The action comes back as sent (the tutorial).
    assert_eq!(r.body["action"], "AdminAssign");
    let i = list(&env, "roleEligibilityScheduleInstances", "").await;
    let of = |p: &str| i.iter().find(|x| x["principalId"] == p).cloned();
    assert_eq!(of(ADMINS).unwrap()["memberType"], "Direct");
    assert_eq!(of(ALEX).unwrap()["memberType"], "Group");
    assert_eq!(of(MEGAN).unwrap()["memberType"], "Group");
    // A member is eligible only: no role assignment before activation (tutorial step 4).
    let q = format!("?$filter=principalId eq '{ALEX}'");
    assert!(list(&env, "roleAssignments", &q).await.is_empty());
    // A member activates with its own id (tutorial step 5).
    env.token = env.emu.issue_token_as(CLIENT_ID, ALEX);
    let b = json!({"action": "SelfActivate", "principalId": ALEX, "roleDefinitionId": USER_ADMIN,
                   "directoryScopeId": "/", "justification": "j",
                   "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "PT2H"}}});
    let r = env.send("POST", ASSIGN, b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    env.grant(&[]);
    let i = list(&env, "roleAssignmentScheduleInstances", &q).await;
    assert_eq!(i.len(), 1);
    assert_eq!(i[0]["assignmentType"], "Activated");
    assert_eq!(i[0]["memberType"], "Group");
    // An active assignment of the group: its members inherit it.
    let r = env
        .send(
            "POST",
            ASSIGN,
            request("adminAssign", ADMINS, HELPDESK, "/", until_2099()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let i = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("?$filter=roleDefinitionId eq '{HELPDESK}'"),
    )
    .await;
    let members: Vec<(&str, &str)> = i
        .iter()
        .map(|x| {
            (
                x["principalId"].as_str().unwrap(),
                x["memberType"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(members.contains(&(ADMINS, "Direct")), "{members:?}");
    assert!(members.contains(&(MEGAN, "Group")), "{members:?}");
    assert!(members.contains(&(ALEX, "Group")), "{members:?}");
    // $expand=principal gives the principal.
    let i = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("?$filter=principalId eq '{ADMINS}'&$expand=principal"),
    )
    .await;
    assert_eq!(i[0]["principal"]["@odata.type"], "#microsoft.graph.group");
}

#[tokio::test]
async fn query_options_are_checked() {
    let env = env().await;
    for (q, code) in [
        ("?$filter=startDateTime eq 'x'", "Request_UnsupportedQuery"),
        ("?$filter=bogus eq 'x'", "Request_BadRequest"),
        ("?$select=bogus", "Request_BadRequest"),
        ("?$expand=bogus", "Request_BadRequest"),
    ] {
        let r = env
            .get(&format!(
                "/roleManagement/directory/roleAssignmentScheduleInstances{q}"
            ))
            .await;
        assert_graph_error(&r, 400, code);
    }
    // activatedUsing exists on assignments only.
    let r = env
        .get("/roleManagement/directory/roleEligibilitySchedules?$expand=activatedUsing")
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let i = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("?$filter=roleDefinitionId eq '{GA}'&$expand=roleDefinition"),
    )
    .await;
    assert_eq!(i.len(), 2, "Adele and entraform's service principal");
    assert_eq!(
        i[0]["roleDefinition"]["displayName"],
        "Global Administrator"
    );
    let one = i[0]["id"].as_str().unwrap();
    let r = env
        .get(&format!(
            "/roleManagement/directory/roleAssignmentScheduleInstances/{one}"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], one);
    let r = env
        .get("/roleManagement/directory/roleAssignmentScheduleInstances/nope")
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
    assert_eq!(
        env.call(
            "DELETE",
            "/roleManagement/directory/roleEligibilitySchedules",
            None,
            &[]
        )
        .await
        .status,
        405
    );
}

#[tokio::test]
async fn seeded_eligibilities_and_schedules_load_and_dump() {
    let extra = json!({
        "roleEligibilities": [
            {"principalId": "AlexW@contoso.com", "roleDefinitionId": "User Administrator",
             "directoryScopeId": "/administrativeUnits/Paris office", "endDateTime": "2099-03-31"},
            {"principalId": ADMINS, "roleDefinitionId": "Helpdesk Administrator", "endDateTime": "2099-01-01T00:00:00Z"}
        ],
        "roleAssignmentSchedules": [
            {"principalId": "AlexW@contoso.com", "roleDefinitionId": "User Administrator",
             "directoryScopeId": "/administrativeUnits/Paris office", "endDateTime": "2099-01-01T00:00:00Z",
             "assignmentType": "Activated"},
            {"principalId": BIANCA, "roleDefinitionId": "Helpdesk Administrator", "endDateTime": "2099-02-01T00:00:00Z"}
        ]
    });
    let env = start_with(pim_seed(extra.clone()), EmulatorConfig::default()).await;
    let scope = format!("/administrativeUnits/{UNIT}");
    let e = list(&env, "roleEligibilitySchedules", "").await;
    assert_eq!(e.len(), 2);
    assert!(e.iter().any(|x| x["directoryScopeId"] == scope.as_str()));
    let i = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("?$filter=principalId eq '{ALEX}'"),
    )
    .await;
    assert_eq!(i[0]["assignmentType"], "Activated");
    assert_eq!(i[0]["directoryScopeId"], scope.as_str());
    let b = list(
        &env,
        "roleAssignmentScheduleInstances",
        &format!("?$filter=principalId eq '{BIANCA}'"),
    )
    .await;
    assert_eq!(b[0]["endDateTime"], "2099-02-01T00:00:00Z");
    // Dumped and reloaded: the same PIM state.
    let dumped = env.emu.state();
    assert_eq!(dumped.role_eligibilities.len(), 2);
    assert_eq!(dumped.role_assignment_schedules.len(), 2);
    assert!(
        !dumped
            .role_assignments
            .iter()
            .any(|a| a.principal_id == BIANCA),
        "a scheduled assignment is dumped as its schedule only"
    );
    let mut v = serde_json::to_value(&dumped).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    let again = start_with(
        serde_json::from_value(v).unwrap(),
        EmulatorConfig::default(),
    )
    .await;
    let state = again.emu.state();
    assert_eq!(state.role_eligibilities, dumped.role_eligibilities);
    assert_eq!(
        state.role_assignment_schedules,
        dumped.role_assignment_schedules
    );
    assert_eq!(
        state.role_management_policies,
        dumped.role_management_policies
    );
    // Bad seeds are refused with a message saying what is wrong.
    for (bad, want) in [
        (
            json!({"roleAssignmentSchedules": [{"principalId": BIANCA, "roleDefinitionId": "User Administrator", "assignmentType": "Activated"}]}),
            "no eligibility",
        ),
        (
            json!({"roleEligibilities": [{"principalId": BIANCA, "roleDefinitionId": "User Administrator", "directoryScopeId": "/administrativeUnits/Nowhere"}]}),
            "unknown administrative unit",
        ),
        (
            json!({"roleEligibilities": [{"principalId": BIANCA, "roleDefinitionId": "User Administrator", "endDateTime": "2001-01-01"}]}),
            "already past",
        ),
        (
            json!({"roleEligibilities": [{"principalId": PLAIN, "roleDefinitionId": "User Administrator"}]}),
            "role-assignable",
        ),
        (
            json!({"roleManagementPolicies": [{"roleDefinitionId": "User Administrator", "maximumActivationDuration": "8 hours"}]}),
            "ISO 8601 duration",
        ),
    ] {
        let seed = pim_seed(bad);
        let e = graph_emulator::Emulator::serve(seed, EmulatorConfig::default())
            .await
            .err()
            .expect("refused");
        assert!(e.to_string().contains(want), "{e}");
    }
}

/// Permissions granted, method, path, body, expected status.
type Case = (
    &'static [&'static str],
    &'static str,
    &'static str,
    Option<Value>,
    u16,
);

#[tokio::test]
async fn pim_routes_need_their_permissions_and_fail_closed() {
    let mut env = env().await;
    let everything: Vec<String> = graph_emulator::permissions::all_permissions()
        .into_iter()
        .collect();
    let everything: Vec<&str> = everything.iter().map(String::as_str).collect();
    let direct = env.emu.state().role_assignments[0].id.clone().unwrap();
    let routes = [
        (
            "GET",
            "/roleManagement/directory/roleEligibilitySchedules".to_string(),
            None,
        ),
        (
            "GET",
            "/roleManagement/directory/roleEligibilityScheduleInstances".into(),
            None,
        ),
        (
            "GET",
            "/roleManagement/directory/roleAssignmentSchedules".into(),
            None,
        ),
        (
            "GET",
            "/roleManagement/directory/roleAssignmentScheduleInstances".into(),
            None,
        ),
        (
            "GET",
            format!("/roleManagement/directory/roleAssignmentScheduleInstances/{direct}"),
            None,
        ),
        ("GET", ELIG.into(), None),
        ("GET", ASSIGN.into(), None),
        (
            "POST",
            ELIG.into(),
            Some(request("adminAssign", ALEX, USER_ADMIN, "/", until_2099())),
        ),
        (
            "POST",
            ASSIGN.into(),
            Some(request("adminAssign", MEGAN, USER_ADMIN, "/", until_2099())),
        ),
    ];
    for (method, path, body) in routes {
        env.token = env.emu.issue_token_with(CLIENT_ID, &[]);
        let before = env.emu.state();
        let r = env.call(method, &path, body.clone(), &[]).await;
        let msg = assert_graph_error(&r, 403, "Authorization_RequestDenied");
        assert_eq!(msg, "Insufficient privileges to complete the operation.");
        assert_eq!(env.emu.state(), before, "{method} {path}: nothing written");
        env.token = env.emu.issue_token_with(CLIENT_ID, &everything);
        let r = env.call(method, &path, body, &[]).await;
        assert!(
            (200..300).contains(&r.status),
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
    }
    // Least privileged, per Microsoft's tables.
    let with = |p: &[&str]| env.emu.issue_token_with(CLIENT_ID, p);
    let cases: Vec<Case> = vec![
        (
            &["RoleEligibilitySchedule.Read.Directory"],
            "GET",
            "/roleManagement/directory/roleEligibilitySchedules",
            None,
            200,
        ),
        (
            &["RoleEligibilitySchedule.Read.Directory"],
            "GET",
            "/roleManagement/directory/roleEligibilityScheduleInstances",
            None,
            200,
        ),
        (
            &["RoleEligibilitySchedule.Read.Directory"],
            "GET",
            "/roleManagement/directory/roleAssignmentScheduleInstances",
            None,
            403,
        ),
        (
            &["RoleAssignmentSchedule.Read.Directory"],
            "GET",
            "/roleManagement/directory/roleAssignmentScheduleInstances",
            None,
            200,
        ),
        (
            &["RoleAssignmentSchedule.Read.Directory"],
            "GET",
            "/roleManagement/directory/roleAssignmentSchedules",
            None,
            403,
        ),
        (
            &["RoleManagement.Read.Directory"],
            "GET",
            "/roleManagement/directory/roleAssignmentSchedules",
            None,
            200,
        ),
        (
            &["RoleEligibilitySchedule.ReadWrite.Directory"],
            "POST",
            ELIG,
            Some(request(
                "adminAssign",
                BIANCA,
                USER_ADMIN,
                "/",
                until_2099(),
            )),
            201,
        ),
        (
            &["RoleAssignmentSchedule.ReadWrite.Directory"],
            "POST",
            ELIG,
            Some(request("adminAssign", BIANCA, HELPDESK, "/", until_2099())),
            403,
        ),
        (
            &["RoleAssignmentSchedule.ReadWrite.Directory"],
            "POST",
            ASSIGN,
            Some(request("adminAssign", BIANCA, HELPDESK, "/", until_2099())),
            201,
        ),
        (
            &["RoleManagement.Read.Directory"],
            "POST",
            ASSIGN,
            Some(request("adminAssign", BIANCA, GA, "/", until_2099())),
            403,
        ),
    ];
    for (perms, method, path, body, status) in cases {
        env.token = with(perms);
        let r = env.call(method, path, body, &[]).await;
        assert_eq!(r.status, status, "{perms:?} {method} {path}: {}", r.body);
    }
}
