//! The admin HTTP API (`/admin/...`, `sp::web::admin_api`): every operation's happy path and
//! its CLI-equivalent result, each error's status and code, the operator-token gate, and one
//! exchange over real HTTP on 127.0.0.1 (including a metadata URL served on loopback).
//!
//! Handlers are driven with `tower::ServiceExt::oneshot` on the SP's full router, so the tests
//! also prove that the admin routes are mounted. Each test has its own SQLite file.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use sp::admin;
use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::saml::fetch::{FetchLimits, MetadataFetcher};
use sp::saml::refresh;
use sp::store::Store;
use sp::web::admin_api::{BODY_LIMIT, OperatorToken};
use sp::web::{self, AppState};
use std::sync::Arc;
use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;

const TOKEN: &str = "operator-token-for-tests-0123456789";

/// The day fixtures/metadata/README.md checks the fixtures at.
const NOW: OffsetDateTime = datetime!(2025-06-01 00:00 UTC);

/// entityID of fixtures/metadata/okta-one-cert.xml.
const OKTA_ISSUER: &str = "http://www.okta.com/exk1ssolab0test0000d7";

/// entityID of fixtures/metadata/no-signing-cert.xml.
const NO_SIGNING_ISSUER: &str = "https://idp.ssolab.test/no-signing";

fn fixture_metadata(name: &str) -> String {
    let path = format!("{}/../fixtures/metadata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An SP on a fresh SQLite file, with the admin API on (`token`) or off (`None`).
struct Lab {
    _dir: TempDir,
    store: Store,
    state: AppState,
}

async fn lab(token: Option<&str>) -> Lab {
    // The metadata URLs here are served on loopback, as `sp serve --allow-private-metadata`
    // allows.
    lab_with(
        token,
        FetchLimits {
            allow_private: true,
            ..FetchLimits::default()
        },
    )
    .await
}

async fn lab_with(token: Option<&str>, limits: FetchLimits) -> Lab {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("sp.db").display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let mut state = AppState::new(
        store.clone(),
        SpConfig::qualified(),
        Arc::new(FixedClock::at(NOW)),
        MetadataFetcher::new(limits).expect("metadata fetcher"),
    );
    state.operator_token = token.map(|t| OperatorToken::new(t).expect("valid token"));
    Lab {
        _dir: dir,
        store,
        state,
    }
}

/// What came back: status, headers and the body as JSON (a JSON string if it was not JSON).
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }

    fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or_default()
    }

    fn show(&self) -> &str {
        self.json["show"].as_str().unwrap_or_default()
    }

    /// Asserts an error answer: status and code.
    #[track_caller]
    fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "{}",
            self.json
        );
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/json",
            "errors are JSON"
        );
    }
}

impl Lab {
    fn app(&self) -> Router {
        web::router(self.state.clone())
    }

    async fn call_raw(&self, method: Method, path: &str, auth: Option<&str>, body: Body) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let request = request
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .expect("request");
        let response = self.app().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            headers,
            json,
        }
    }

    /// A request with the right operator token.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
        self.call_raw(method, path, Some(&format!("Bearer {TOKEN}")), body)
            .await
    }

    async fn create(&self, body: Value) -> Reply {
        self.call(Method::POST, "/admin/teams", Some(body)).await
    }

    async fn show(&self, slug: &str) -> Reply {
        self.call(Method::GET, &format!("/admin/teams/{slug}"), None)
            .await
    }

    /// Asserts that the team still has no SSO settings: a refused request saved nothing.
    async fn assert_sso_not_saved(&self, slug: &str, context: &str) {
        let show = self.show(slug).await;
        assert!(
            show.show().contains("sso: not configured"),
            "{context}: {}",
            show.show()
        );
    }

    async fn set_sso(&self, slug: &str, body: Value) -> Reply {
        self.call(Method::PUT, &format!("/admin/teams/{slug}/sso"), Some(body))
            .await
    }
}

// --- the operator token ---

#[tokio::test]
async fn admin_api_answers_404_when_no_operator_token_is_configured() {
    let off = lab(None).await;
    for (method, path) in [
        (Method::POST, "/admin/teams"),
        (Method::GET, "/admin/teams/acme"),
        (Method::PUT, "/admin/teams/acme/plan"),
        (Method::PUT, "/admin/teams/acme/sso"),
        (Method::POST, "/admin/teams/acme/api-keys"),
    ] {
        let reply = off
            .call_raw(
                method,
                path,
                Some(&format!("Bearer {TOKEN}")),
                Body::from(json!({"slug": "acme"}).to_string()),
            )
            .await;
        reply.assert_error(404, "admin_api_disabled");
    }
    assert_eq!(
        off.store.team_by_slug("acme").await.expect("query"),
        None,
        "nothing was created"
    );
    // Positive control: the same request with the API on.
    let on = lab(Some(TOKEN)).await;
    assert_eq!(on.create(json!({"slug": "acme"})).await.status, 201);
}

#[tokio::test]
async fn missing_operator_token_is_401_with_a_bearer_challenge() {
    let lab = lab(Some(TOKEN)).await;
    for auth in [None, Some("Basic b3BlcmF0b3I6cGFzcw=="), Some(TOKEN)] {
        let reply = lab
            .call_raw(
                Method::POST,
                "/admin/teams",
                auth,
                Body::from(json!({"slug": "acme"}).to_string()),
            )
            .await;
        reply.assert_error(401, "operator_token_missing");
        let challenge = reply.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii");
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(reply.message().contains("Authorization: Bearer"));
    }
    assert_eq!(lab.store.team_by_slug("acme").await.expect("query"), None);
}

#[tokio::test]
async fn wrong_operator_token_is_401_and_changes_nothing() {
    let lab = lab(Some(TOKEN)).await;
    let longer = format!("{TOKEN}x");
    let prefix = &TOKEN[..TOKEN.len() - 1];
    for wrong in ["wrong-token-wrong-token", longer.as_str(), prefix] {
        let reply = lab
            .call_raw(
                Method::POST,
                "/admin/teams",
                Some(&format!("Bearer {wrong}")),
                Body::from(json!({"slug": "acme"}).to_string()),
            )
            .await;
        reply.assert_error(401, "operator_token_invalid");
        let challenge = reply.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .expect("ascii");
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
    assert_eq!(lab.store.team_by_slug("acme").await.expect("query"), None);
}

#[tokio::test]
async fn right_operator_token_is_accepted_with_any_case_of_bearer() {
    let lab = lab(Some(TOKEN)).await;
    for (slug, auth) in [
        ("a1", format!("Bearer {TOKEN}")),
        ("a2", format!("bearer {TOKEN}")),
        ("a3", format!("BEARER {TOKEN}")),
    ] {
        let reply = lab
            .call_raw(
                Method::POST,
                "/admin/teams",
                Some(&auth),
                Body::from(json!({"slug": slug}).to_string()),
            )
            .await;
        assert_eq!(reply.status, 201, "{auth}: {}", reply.json);
    }
}

// --- create team ---

#[tokio::test]
async fn create_team_with_api_access_returns_a_working_api_key_once() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab
        .create(json!({"slug": "acme", "plan": "custom", "api_access": true, "scim": true}))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    assert_eq!(reply.headers[header::LOCATION], "/admin/teams/acme");
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(reply.json["slug"], "acme");
    assert_eq!(reply.json["plan"], "custom");
    assert_eq!(reply.json["api_access"], true);
    assert_eq!(reply.json["scim"], true);
    assert_eq!(reply.json["created_at"], "2025-06-01T00:00:00Z");
    let key = reply.json["api_key"].as_str().expect("an api key");
    assert!(key.starts_with("ssolab_"), "{key}");
    let owner = lab
        .store
        .team_by_api_key_hash(&admin::api_key_hash(key))
        .await
        .expect("query")
        .expect("the key is stored (hashed)");
    assert_eq!(owner.slug, "acme");
    assert_eq!(
        reply.json["id"].as_str(),
        Some(owner.id.0.as_str()),
        "the answer names the stored team"
    );

    let show = lab.show("acme").await;
    assert_eq!(show.status, 200);
    assert!(!show.show().contains(key), "the key is shown once only");
}

#[tokio::test]
async fn create_team_defaults_like_the_cli_and_has_no_key_without_api_access() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab.create(json!({"slug": "acme"})).await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    assert_eq!(reply.json["plan"], "custom", "the CLI's default plan");
    assert_eq!(reply.json["api_access"], false);
    assert_eq!(reply.json["scim"], false);
    assert!(reply.json.get("api_key").is_none(), "{}", reply.json);
}

#[tokio::test]
async fn create_team_with_taken_slug_is_409_conflict() {
    let lab = lab(Some(TOKEN)).await;
    assert_eq!(lab.create(json!({"slug": "acme"})).await.status, 201);
    let reply = lab.create(json!({"slug": "acme", "plan": "free"})).await;
    reply.assert_error(409, "conflict");
    assert!(reply.message().contains("\"acme\""), "{}", reply.message());
    assert!(
        reply.message().contains("choose another slug"),
        "{}",
        reply.message()
    );
    let show = lab.show("acme").await;
    assert!(
        show.show().contains("plan: custom"),
        "the first team is unchanged"
    );
}

#[tokio::test]
async fn create_team_with_invalid_slug_is_400_bad_slug() {
    let lab = lab(Some(TOKEN)).await;
    for bad in ["Acme", "-acme", "acme!", ""] {
        let reply = lab.create(json!({"slug": bad})).await;
        reply.assert_error(400, "bad_slug");
        assert!(reply.message().contains("a-z, 0-9"), "{}", reply.message());
    }
    assert_eq!(lab.create(json!({"slug": "acme-2"})).await.status, 201);
}

#[tokio::test]
async fn create_team_with_unknown_plan_is_400_naming_the_field() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab.create(json!({"slug": "acme", "plan": "gold"})).await;
    reply.assert_error(400, "invalid_field");
    assert!(reply.message().contains("`plan`"), "{}", reply.message());
    assert!(
        reply.message().contains("free, team or custom"),
        "{}",
        reply.message()
    );
    assert_eq!(lab.store.team_by_slug("acme").await.expect("query"), None);
    let control = lab.create(json!({"slug": "acme", "plan": "team"})).await;
    assert_eq!(control.json["plan"], "team");
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_problem() {
    let lab = lab(Some(TOKEN)).await;
    let auth = format!("Bearer {TOKEN}");
    for (body, code, mention) in [
        ("{\"slug\": ", "malformed_json", "EOF"),
        ("", "malformed_json", "EOF"),
        ("[\"acme\"]", "malformed_json", "an array"),
        ("{}", "missing_field", "`slug`"),
        ("{\"slug\": null}", "missing_field", "`slug`"),
        ("{\"slug\": 7}", "invalid_field", "`slug`"),
        (
            "{\"slug\": \"acme\", \"api_access\": \"yes\"}",
            "invalid_field",
            "`api_access`",
        ),
        (
            "{\"slug\": \"acme\", \"api-access\": true}",
            "unknown_field",
            "`api-access`",
        ),
    ] {
        let reply = lab
            .call_raw(Method::POST, "/admin/teams", Some(&auth), Body::from(body))
            .await;
        reply.assert_error(400, code);
        assert!(
            reply.message().contains(mention),
            "{body}: {}",
            reply.message()
        );
    }
    assert_eq!(lab.store.team_by_slug("acme").await.expect("query"), None);
}

#[tokio::test]
async fn oversized_body_is_413_body_too_large() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    let huge = "x".repeat(BODY_LIMIT + 1);
    let reply = lab
        .set_sso("acme", json!({"issuer": OKTA_ISSUER, "metadata_xml": huge}))
        .await;
    reply.assert_error(413, "body_too_large");
    lab.assert_sso_not_saved("acme", "nothing was saved").await;
}

// --- plan ---

#[tokio::test]
async fn set_plan_changes_plan_api_access_and_scim() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme", "plan": "free"})).await;
    let reply = lab
        .call(
            Method::PUT,
            "/admin/teams/acme/plan",
            Some(json!({"plan": "custom", "api_access": true, "scim": true})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(
        (
            &reply.json["plan"],
            &reply.json["api_access"],
            &reply.json["scim"]
        ),
        (&json!("custom"), &json!(true), &json!(true))
    );
    let show = lab.show("acme").await;
    for line in ["plan: custom", "api access: true", "scim: true"] {
        assert!(show.show().contains(line), "{line}: {}", show.show());
    }
}

#[tokio::test]
async fn set_plan_changes_only_the_switches_it_is_given() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme", "api_access": true, "scim": true}))
        .await;
    let plan = |body: Value| lab.call(Method::PUT, "/admin/teams/acme/plan", Some(body));
    let reply = plan(json!({"plan": "team"})).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(
        (
            &reply.json["plan"],
            &reply.json["api_access"],
            &reply.json["scim"]
        ),
        (&json!("team"), &json!(true), &json!(true)),
        "a plan change alone leaves API access and SCIM on"
    );
    let reply = plan(json!({"plan": "custom", "scim": false})).await;
    assert_eq!(
        (
            &reply.json["plan"],
            &reply.json["api_access"],
            &reply.json["scim"]
        ),
        (&json!("custom"), &json!(true), &json!(false))
    );
    let reply = plan(json!({"api_access": true, "scim": true})).await;
    reply.assert_error(400, "missing_field");
    assert!(reply.message().contains("`plan`"), "{}", reply.message());
    assert!(
        lab.show("acme").await.show().contains("scim: false"),
        "unchanged by the refused request"
    );
}

#[tokio::test]
async fn set_plan_of_unknown_team_is_404_no_such_team() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab
        .call(
            Method::PUT,
            "/admin/teams/ghost/plan",
            Some(json!({"plan": "custom", "api_access": false, "scim": false})),
        )
        .await;
    reply.assert_error(404, "no_such_team");
    assert!(
        reply.message().contains("sp team create ghost"),
        "{}",
        reply.message()
    );
}

// --- SSO ---

#[tokio::test]
async fn set_sso_with_static_metadata_shows_issuer_and_signing_certificate() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    let reply = lab
        .set_sso(
            "acme",
            json!({"issuer": OKTA_ISSUER, "metadata_xml": fixture_metadata("okta-one-cert.xml")}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["issuer"], OKTA_ISSUER);
    assert_eq!(reply.json["metadata_source"], "static");
    assert_eq!(reply.json["allow_idp_initiated"], true, "default on");
    assert_eq!(reply.json["provisioning"], "jit", "default");
    assert_eq!(reply.json["allow_sha1"], false, "default off");
    assert_eq!(reply.json["member_key"], "email", "default");

    let show = lab.show("acme").await;
    assert_eq!(show.status, 200);
    assert_eq!(
        show.show(),
        reply.show(),
        "PUT answers with the team's show"
    );
    for line in [
        &format!("issuer: {OKTA_ISSUER}"),
        "metadata: static XML",
        "signing certificate: ",
        "idp sso url: ",
    ] {
        assert!(show.show().contains(line), "{line}: {}", show.show());
    }
}

#[tokio::test]
async fn set_sso_stores_the_switches() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    let reply = lab
        .set_sso(
            "acme",
            json!({
                "issuer": OKTA_ISSUER,
                "metadata_xml": fixture_metadata("okta-one-cert.xml"),
                "allow_idp_initiated": false,
                "provisioning": "scim",
                "allow_sha1": true,
                "member_key": "name_id",
            }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert_eq!(reply.json["member_key"], "name_id");
    let team = lab
        .store
        .team_by_slug("acme")
        .await
        .expect("query")
        .expect("team");
    let sso = lab
        .store
        .sso_by_team(&team.id)
        .await
        .expect("query")
        .expect("sso");
    assert!(!sso.allow_idp_initiated);
    assert_eq!(sso.provisioning, sp::model::Provisioning::ScimOnly);
    assert!(sso.allow_sha1);
    assert_eq!(sso.member_key, sp::model::MemberKey::NameId);
    for line in [
        "idp-initiated login: refused",
        "provisioning: scim",
        "members found by: name_id",
        "sha-1 allowed: true",
    ] {
        assert!(reply.show().contains(line), "{line}: {}", reply.show());
    }
}

#[tokio::test]
async fn metadata_without_signing_certificate_is_400_bad_metadata_and_not_saved() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    let reply = lab
        .set_sso(
            "acme",
            json!({"issuer": NO_SIGNING_ISSUER, "metadata_xml": fixture_metadata("no-signing-cert.xml")}),
        )
        .await;
    reply.assert_error(400, "bad_metadata");
    assert!(reply.message().contains("signing"), "{}", reply.message());
    lab.assert_sso_not_saved("acme", "nothing was saved").await;
    // Positive control: the same team with metadata that has a signing certificate.
    let control = lab
        .set_sso(
            "acme",
            json!({"issuer": OKTA_ISSUER, "metadata_xml": fixture_metadata("okta-one-cert.xml")}),
        )
        .await;
    assert_eq!(control.status, 200, "{}", control.json);
}

#[tokio::test]
async fn metadata_for_another_issuer_is_400_bad_metadata() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    let reply = lab
        .set_sso(
            "acme",
            json!({"issuer": "https://idp.example/other", "metadata_xml": fixture_metadata("okta-one-cert.xml")}),
        )
        .await;
    reply.assert_error(400, "bad_metadata");
    lab.assert_sso_not_saved("acme", "nothing was saved").await;
}

#[tokio::test]
async fn set_sso_needs_exactly_one_metadata_source() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    for body in [
        json!({"issuer": OKTA_ISSUER}),
        json!({
            "issuer": OKTA_ISSUER,
            "metadata_xml": fixture_metadata("okta-one-cert.xml"),
            "metadata_url": "https://idp.example/metadata",
        }),
    ] {
        let reply = lab.set_sso("acme", body).await;
        reply.assert_error(400, "metadata_source");
        assert!(
            reply.message().contains("`metadata_url`"),
            "{}",
            reply.message()
        );
    }
    lab.assert_sso_not_saved("acme", "nothing was saved").await;
}

#[tokio::test]
async fn set_sso_with_an_unknown_choice_is_400_naming_the_field_and_the_choices() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    for (field, value, choices) in [
        ("provisioning", "manual", "jit or scim"),
        ("member_key", "upn", "email or name_id"),
    ] {
        let mut body = json!({
            "issuer": OKTA_ISSUER,
            "metadata_xml": fixture_metadata("okta-one-cert.xml"),
        });
        body[field] = json!(value);
        let reply = lab.set_sso("acme", body).await;
        reply.assert_error(400, "invalid_field");
        assert!(
            reply.message().contains(&format!("`{field}`")),
            "{}",
            reply.message()
        );
        assert!(reply.message().contains(choices), "{}", reply.message());
        lab.assert_sso_not_saved("acme", &format!("{field}: nothing saved"))
            .await;
    }
}

#[tokio::test]
async fn plain_http_metadata_url_is_400_before_any_fetch() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    for url in [
        "http://idp.example/metadata",
        "ftp://idp.example/metadata",
        "idp.example/metadata",
    ] {
        let reply = lab
            .set_sso("acme", json!({"issuer": OKTA_ISSUER, "metadata_url": url}))
            .await;
        reply.assert_error(400, "bad_metadata_url");
        assert!(
            reply.message().contains("`metadata_url`"),
            "{}",
            reply.message()
        );
    }
    lab.assert_sso_not_saved("acme", "nothing was saved").await;
}

#[tokio::test]
async fn set_sso_of_unknown_team_is_404_no_such_team() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab
        .set_sso(
            "ghost",
            json!({"issuer": OKTA_ISSUER, "metadata_xml": fixture_metadata("okta-one-cert.xml")}),
        )
        .await;
    reply.assert_error(404, "no_such_team");
}

#[tokio::test]
async fn issuer_of_another_team_is_409_conflict() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme"})).await;
    lab.create(json!({"slug": "globex"})).await;
    let form =
        json!({"issuer": OKTA_ISSUER, "metadata_xml": fixture_metadata("okta-one-cert.xml")});
    assert_eq!(lab.set_sso("acme", form.clone()).await.status, 200);
    let reply = lab.set_sso("globex", form).await;
    reply.assert_error(409, "conflict");
    assert!(
        reply.message().contains("IdP entity ID"),
        "{}",
        reply.message()
    );
    lab.assert_sso_not_saved("globex", "nothing was saved")
        .await;
}

// --- API keys and show ---

#[tokio::test]
async fn issue_api_key_returns_a_new_working_key() {
    let lab = lab(Some(TOKEN)).await;
    let first = lab
        .create(json!({"slug": "acme", "api_access": true}))
        .await;
    let reply = lab
        .call(Method::POST, "/admin/teams/acme/api-keys", None)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    let key = reply.json["api_key"].as_str().expect("an api key");
    assert_ne!(Some(key), first.json["api_key"].as_str(), "a new key");
    let owner = lab
        .store
        .team_by_api_key_hash(&admin::api_key_hash(key))
        .await
        .expect("query")
        .expect("stored");
    assert_eq!(owner.slug, "acme");
}

#[tokio::test]
async fn issue_api_key_for_unknown_team_is_404_no_such_team() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab
        .call(Method::POST, "/admin/teams/ghost/api-keys", None)
        .await;
    reply.assert_error(404, "no_such_team");
}

#[tokio::test]
async fn show_is_exactly_what_the_cli_prints() {
    let lab = lab(Some(TOKEN)).await;
    lab.create(json!({"slug": "acme", "plan": "team"})).await;
    lab.set_sso(
        "acme",
        json!({"issuer": OKTA_ISSUER, "metadata_xml": fixture_metadata("okta-one-cert.xml")}),
    )
    .await;
    let reply = lab.show("acme").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["slug"], "acme");
    let cli = admin::show(&lab.store, "acme", NOW).await.expect("show");
    assert_eq!(reply.show(), cli);
    assert!(cli.contains("sso_not_enabled"), "the plan note: {cli}");
    assert_eq!(reply.json["metadata_fetch"], Value::Null, "static metadata");
}

#[tokio::test]
async fn show_of_unknown_team_is_404_no_such_team() {
    let lab = lab(Some(TOKEN)).await;
    let reply = lab.show("ghost").await;
    reply.assert_error(404, "no_such_team");
    lab.create(json!({"slug": "ghost"})).await;
    assert_eq!(lab.show("ghost").await.status, 200);
}

// --- over real HTTP ---

/// Serves `router` on 127.0.0.1:0 until the returned sender is dropped.
async fn serve(router: Router) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await;
    });
    (addr, stop)
}

#[tokio::test]
async fn configures_a_team_over_real_http_with_a_loopback_metadata_url() {
    let lab = lab(Some(TOKEN)).await;
    let (sp_addr, _stop_sp) = serve(web::router(lab.state.clone())).await;
    let okta = fixture_metadata("okta-one-cert.xml");
    // The IdP answers until the test takes it down.
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let idp_up = up.clone();
    let idp = Router::new().route(
        "/app/metadata",
        axum::routing::get(move || {
            let okta = okta.clone();
            let up = idp_up.load(std::sync::atomic::Ordering::SeqCst);
            async move {
                if up {
                    (axum::http::StatusCode::OK, okta)
                } else {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new())
                }
            }
        }),
    );
    let (idp_addr, _stop_idp) = serve(idp).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let admin = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("http://{sp_addr}{path}"))
            .bearer_auth(TOKEN)
    };
    let json = |text: String| serde_json::from_str::<Value>(&text).expect("JSON");

    let created = admin(reqwest::Method::POST, "/admin/teams")
        .body(json!({"slug": "acme", "api_access": true, "scim": true}).to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);
    let created = json(created.text().await.expect("body"));
    assert!(
        created["api_key"]
            .as_str()
            .is_some_and(|k| k.starts_with("ssolab_"))
    );

    let metadata_url = format!("http://{idp_addr}/app/metadata");
    let sso = admin(reqwest::Method::PUT, "/admin/teams/acme/sso")
        .body(json!({"issuer": OKTA_ISSUER, "metadata_url": metadata_url}).to_string())
        .send()
        .await
        .expect("PUT");
    assert_eq!(sso.status(), 200);
    let sso = json(sso.text().await.expect("body"));
    assert_eq!(sso["metadata_source"], "url");
    assert_eq!(sso["metadata_url"], metadata_url);

    let shown = admin(reqwest::Method::GET, "/admin/teams/acme")
        .send()
        .await
        .expect("GET");
    assert_eq!(shown.status(), 200);
    assert_eq!(
        shown.headers()[reqwest::header::CONTENT_TYPE],
        "application/json"
    );
    let shown = json(shown.text().await.expect("body"));
    assert_eq!(
        shown["metadata_fetch"],
        json!({
            "url": metadata_url,
            "fetched_at": "2025-06-01T00:00:00Z",
            "last_error": null,
            "consecutive_failures": 0,
            "next_refresh_at": "2025-06-01T06:00:00Z",
        })
    );
    let text = shown["show"].as_str().expect("show");
    for line in [
        format!("issuer: {OKTA_ISSUER}"),
        format!("metadata: {metadata_url}"),
        "last good copy fetched: 2025-06-01T00:00:00Z".to_owned(),
        "signing certificate: ".to_owned(),
    ] {
        assert!(text.contains(&line), "{line}: {text}");
    }

    // A metadata URL nobody answers: 502, and the settings in force stay.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dead_url = format!("http://{}/metadata", closed.local_addr().expect("address"));
    drop(closed);
    let failed = admin(reqwest::Method::PUT, "/admin/teams/acme/sso")
        .body(json!({"issuer": OKTA_ISSUER, "metadata_url": dead_url}).to_string())
        .send()
        .await
        .expect("PUT");
    assert_eq!(failed.status(), 502);
    let failed = json(failed.text().await.expect("body"));
    assert_eq!(failed["code"], "metadata_fetch_failed");
    assert_eq!(failed["reason"], "connect");
    let after = admin::show(&lab.store, "acme", NOW).await.expect("show");
    assert!(
        after.contains(&format!("metadata: {metadata_url}")),
        "{after}"
    );

    // The IdP goes down and a refresh fails: the API gives the code and its words.
    up.store(false, std::sync::atomic::Ordering::SeqCst);
    let later = NOW + time::Duration::hours(7);
    let pass = refresh::run_due(&lab.store, &lab.state.http, later)
        .await
        .expect("refresh pass");
    assert_eq!(pass.failed.len(), 1, "{pass:?}");
    let shown = admin(reqwest::Method::GET, "/admin/teams/acme")
        .send()
        .await
        .expect("GET");
    let shown = json(shown.text().await.expect("body"));
    assert_eq!(
        shown["metadata_fetch"]["last_error"],
        json!({
            "code": "status",
            "message": "the metadata URL answered with an HTTP error status",
            "at": "2025-06-01T07:00:00Z",
        })
    );

    let unauthorized = client
        .get(format!("http://{sp_addr}/admin/teams/acme"))
        .send()
        .await
        .expect("GET");
    assert_eq!(unauthorized.status(), 401);
    assert!(
        unauthorized
            .headers()
            .contains_key(reqwest::header::WWW_AUTHENTICATE)
    );
}

#[tokio::test]
async fn set_sso_on_a_plan_without_sso_saves_with_a_warning() {
    let lab = lab(Some(TOKEN)).await;
    for (slug, plan) in [("acme", "team"), ("globex", "custom")] {
        lab.create(json!({"slug": slug, "plan": plan})).await;
    }
    let issuer_of = |slug: &str| format!("https://idp.example/{slug}");
    let metadata = fixture_metadata("okta-one-cert.xml");
    let mut warnings = Vec::new();
    for slug in ["acme", "globex"] {
        let xml = metadata.replace(OKTA_ISSUER, &issuer_of(slug));
        let reply = lab
            .set_sso(
                slug,
                json!({"issuer": issuer_of(slug), "metadata_xml": xml}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json);
        assert!(
            reply.show().contains(&issuer_of(slug)),
            "saved: {}",
            reply.show()
        );
        warnings.push(reply.json["warnings"].clone());
    }
    assert_eq!(warnings[0][0]["code"], "plan_without_sso");
    let message = warnings[0][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("custom plan") && message.contains("sp team plan acme --plan custom"),
        "{message}"
    );
    // The positive control: on the custom plan, no warning.
    assert_eq!(warnings[1], json!([]));
}

#[tokio::test]
async fn metadata_url_aimed_inward_is_400_with_the_reason_and_not_saved() {
    let lab = lab_with(Some(TOKEN), FetchLimits::default()).await;
    lab.create(json!({"slug": "acme"})).await;
    for (url, class) in [
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.0.0.1/metadata", "private"),
        ("https://[::ffff:127.0.0.1]/metadata", "loopback"),
    ] {
        let reply = lab
            .set_sso("acme", json!({"issuer": OKTA_ISSUER, "metadata_url": url}))
            .await;
        reply.assert_error(400, "metadata_fetch_failed");
        assert_eq!(reply.json["reason"], "address_forbidden", "{url}");
        assert!(
            reply.message().contains(&format!("is a {class} address")),
            "{}",
            reply.message()
        );
        lab.assert_sso_not_saved("acme", url).await;
    }
}
