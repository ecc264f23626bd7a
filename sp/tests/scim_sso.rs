//! SCIM and SSO share one member and one identity rule, end to end over HTTP on SQLite and
//! PostgreSQL: a member SCIM creates as `Alice@Corp.com` logs in as `alice@corp.com`; a
//! SCIM-deactivated member is refused at the ACS (`member_inactive`) and logs in again after
//! reactivation; a SCIM rename is the SSO key change; with provisioning `scim` an unknown
//! member is refused (`member_unknown`), with `jit` it is created. The operator sees each
//! member's source and last login.

mod common;
mod db;
mod scim_support;

use common::{NAME_ID_EMAIL, NOW, ResponseSpec, SubjectId, okta_attributes};
use db::{TestDb, on_both_backends};
use reqwest::StatusCode;
use scim_support::{Mount, Server, Tenant, fetcher, http};
use serde_json::json;
use sp::admin;
use sp::model::{Plan, Provisioning};

use common::OKTA_FIXTURE_ISSUER as OKTA_ISSUER;

/// Team `acme` with SCIM on and SSO through the fixture Okta, provisioning as given.
async fn acme(sp: &Server, provisioning: Provisioning) -> Tenant {
    let (team, key) = admin::create_team(&sp.store, "acme", Plan::Custom, true, true, NOW)
        .await
        .expect("team");
    let form = common::okta_fixture_form(provisioning);
    admin::set_sso(&sp.store, &fetcher(), "acme", form, NOW)
        .await
        .expect("sso");
    Tenant {
        team,
        key: key.expect("an API key"),
        base: sp.url("/scim/v2"),
    }
}

/// A login as `email`, with its own response and assertion IDs.
fn login_as(email: &str, n: u32) -> String {
    let mut spec = ResponseSpec::at(NOW).issued_by(OKTA_ISSUER);
    spec.id = format!("id-response-scim-{n:04}");
    let assertion = spec.assertion_mut();
    assertion.id = format!("id-assertion-scim-{n:04}");
    assertion.subject = SubjectId::NameId {
        value: email.to_owned(),
        format: Some(NAME_ID_EMAIL.to_owned()),
    };
    assertion.attributes = okta_attributes(email, "Alice", "Liddell");
    spec.form_value()
}

/// Posts a login; `Ok(())` for the 303 into the app, `Err(code)` for a refusal page.
async fn acs(sp: &Server, form_value: String) -> Result<(), String> {
    let response = http()
        .post(sp.url("/api/saml/consume"))
        .form(&[("SAMLResponse", form_value)])
        .send()
        .await
        .expect("POST to the ACS");
    if response.status() == StatusCode::SEE_OTHER {
        return Ok(());
    }
    let body = response.text().await.expect("body");
    let code = body
        .split("<code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or("no code on the page");
    Err(code.to_owned())
}

async fn scim_then_acs(db: TestDb) {
    let sp = Server::start(
        db.store().await,
        Mount::Full {
            canonical_host: None,
        },
    )
    .await;
    let okta = acme(&sp, Provisioning::ScimOnly).await;
    // Before SCIM created her, a SCIM-only team refuses her login.
    assert_eq!(
        acs(&sp, login_as("alice@corp.com", 1)).await,
        Err("member_unknown".into())
    );

    let id = okta.create_user("Alice@Corp.com").await;
    assert_eq!(acs(&sp, login_as("alice@corp.com", 2)).await, Ok(()));

    let last_login = |members: Vec<sp::model::MemberOverview>| members[0].last_login;
    assert_eq!(
        last_login(admin::members(&sp.store, "acme").await.expect("members")),
        Some(NOW)
    );
    let r = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        acs(&sp, login_as("alice@corp.com", 3)).await,
        Err("member_inactive".into())
    );
    // Deactivation ended her open session too.
    assert_eq!(
        last_login(admin::members(&sp.store, "acme").await.expect("members")),
        None
    );

    let r = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(acs(&sp, login_as("ALICE@corp.com", 4)).await, Ok(()));

    // Okta's profile update changes the primary email and userName: the next login as the new
    // email finds the same member; the old email is no member any more.
    let mut user = okta.get(&format!("/Users/{id}")).await.body;
    user["userName"] = json!("alice.liddell@corp.com");
    user["emails"] = json!([{"value": "alice.liddell@corp.com", "primary": true, "type": "work"}]);
    assert_eq!(
        okta.put(&format!("/Users/{id}"), user).await.status,
        StatusCode::OK
    );
    assert_eq!(
        acs(&sp, login_as("alice.liddell@corp.com", 5)).await,
        Ok(())
    );
    assert_eq!(
        acs(&sp, login_as("alice@corp.com", 6)).await,
        Err("member_unknown".into())
    );
    let member = sp
        .store
        .member_by_user_name(&okta.team.id, "alice.liddell@corp.com")
        .await
        .expect("lookup")
        .expect("member");
    assert_eq!(member.id.0, id);

    // The operator's view: SCIM source, last login.
    let members = admin::members(&sp.store, "acme").await.expect("members");
    insta::assert_snapshot!(
        "members_after_scim_and_sso",
        admin::render_members("acme", &members)
    );
}

async fn jit_team_creates_unknown_members(db: TestDb) {
    let sp = Server::start(
        db.store().await,
        Mount::Full {
            canonical_host: None,
        },
    )
    .await;
    let okta = acme(&sp, Provisioning::Jit).await;
    assert_eq!(acs(&sp, login_as("bob@corp.com", 1)).await, Ok(()));
    okta.create_user("carol@corp.com").await;
    // SCIM sees the JIT member; the operator sees where each came from.
    let r = okta
        .get("/Users?filter=userName+eq+%22BOB%40corp.com%22")
        .await;
    assert_eq!(r.body["totalResults"], 1);
    let members = admin::members(&sp.store, "acme").await.expect("members");
    let sources: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m.user_name.as_str(), m.source.as_str()))
        .collect();
    assert_eq!(
        sources,
        vec![("bob@corp.com", "jit"), ("carol@corp.com", "scim")]
    );
    assert_eq!(members[0].last_login, Some(NOW));
    assert_eq!(members[1].last_login, None);
}

on_both_backends!(scim_then_acs, jit_team_creates_unknown_members);

/// `sp team members SLUG` and `GET /admin/teams/{slug}/members` show the same members.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_lists_members_by_cli_and_admin_api() {
    use tower::ServiceExt;
    let db = db::sqlite_db();
    let store = db.store().await;
    let sp = Server::unlimited(store.clone()).await;
    let okta = sp.team("acme").await;
    let id = okta.create_user("Alice@Corp.com").await;
    okta.patch(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "value": {"active": false}}]),
    )
    .await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sp"))
        .args(["--database", &db.url, "team", "members", "acme"])
        .output()
        .expect("run sp");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(
        printed,
        "team acme: 1 members\nuserName        active    source  last login\nAlice@Corp.com  inactive  SCIM    never\n"
    );
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_sp"))
        .args(["--database", &db.url, "team", "members", "nope"])
        .output()
        .expect("run sp");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no team has slug \"nope\""));

    let mut state = sp::web::AppState::new(
        store,
        sp::config::SpConfig::qualified(),
        sp.clock.clone(),
        fetcher(),
    );
    state.operator_token =
        Some(sp::web::admin_api::OperatorToken::new("operator-token-0123").expect("token"));
    let response = sp::web::router(state)
        .oneshot(
            axum::http::Request::get("/admin/teams/acme/members")
                .header("authorization", "Bearer operator-token-0123")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        body["members"],
        json!([{"id": id, "user_name": "Alice@Corp.com", "active": false, "source": "scim", "last_login": null}])
    );
    assert_eq!(body["show"], printed);
}
