//! The SP over real HTTP on 127.0.0.1: the browser flow (IdP-initiated, then "SSO LOG IN"),
//! bad input that must change nothing, near-miss URLs, the canonical-host redirect, replay across
//! two SP instances on one database, and metadata refresh picking up a rotated certificate
//! without a restart. Responses are signed by `xmldsig` with the fixture keys.

mod common;
mod db;

use common::{FixtureKey, NAME_ID_PERSISTENT, NOW, ResponseSpec, SubjectId};
use db::{TestDb, on_both_backends};
use sp::admin::{self, SsoForm};
use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::model::{MemberKey, MetadataSource, Plan, Provisioning};
use sp::saml::fetch::{FetchLimits, MetadataFetcher};
use sp::saml::refresh;
use sp::store::Store;
use sp::web::{self, AppState};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use time::Duration;

use common::OKTA_FIXTURE_ISSUER as OKTA_ISSUER;

fn fixture_metadata(name: &str) -> String {
    let path = format!("{}/../fixtures/metadata/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

struct RunningSp {
    addr: SocketAddr,
    store: Store,
    clock: Arc<FixedClock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for RunningSp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl RunningSp {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn start(store: Store, canonical_host: Option<&str>) -> RunningSp {
    start_with(store, |state| {
        state.canonical_host = canonical_host.map(str::to_owned)
    })
    .await
}

/// [`start`] with the state as `configure` leaves it.
async fn start_with(store: Store, configure: impl FnOnce(&mut AppState)) -> RunningSp {
    let clock = Arc::new(FixedClock::at(NOW));
    let mut sp = SpConfig::qualified();
    sp.decryption_key = Some(common::sp_decryption_key());
    let mut state = AppState::new(store.clone(), sp, clock.clone(), fetcher());
    configure(&mut state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    RunningSp {
        addr,
        store,
        clock,
        stop: Some(stop),
    }
}

async fn team_with_static_metadata(
    store: &Store,
    provisioning: Provisioning,
    allow_idp_initiated: bool,
) {
    team_with(store, provisioning, allow_idp_initiated, MemberKey::Email).await;
}

async fn team_with(
    store: &Store,
    provisioning: Provisioning,
    allow_idp_initiated: bool,
    member_key: MemberKey,
) {
    admin::create_team(store, "acme", Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let form = SsoForm {
        issuer: OKTA_ISSUER.to_owned(),
        metadata: MetadataSource::Static(fixture_metadata("okta-one-cert.xml")),
        allow_idp_initiated,
        provisioning,
        allow_sha1: false,
        member_key,
        encrypted_assertions: false,
    };
    admin::set_sso(store, &fetcher(), "acme", form, NOW)
        .await
        .expect("sso settings");
}

/// One client for the whole binary: building one loads the system's CA bundle, which costs more
/// than the requests themselves. Redirects are off so that tests see the 3xx.
fn http() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client")
        })
        .clone()
}

/// The SP's metadata fetcher, allowed to fetch from loopback where the tests' IdP runs (as
/// `sp serve --allow-private-metadata`).
fn fetcher() -> MetadataFetcher {
    static FETCHER: std::sync::OnceLock<MetadataFetcher> = std::sync::OnceLock::new();
    FETCHER
        .get_or_init(|| {
            MetadataFetcher::new(FetchLimits {
                allow_private: true,
                ..FetchLimits::default()
            })
            .expect("metadata fetcher")
        })
        .clone()
}

/// The team every test here configures.
async fn acme(sp: &RunningSp) -> sp::model::Team {
    sp.store
        .team_by_slug("acme")
        .await
        .expect("lookup")
        .expect("team")
}

fn spec() -> ResponseSpec {
    ResponseSpec::at(NOW).issued_by(OKTA_ISSUER)
}

/// A response with its own IDs, so that several can be posted without tripping the replay cache.
fn spec_numbered(n: u32) -> ResponseSpec {
    let mut spec = spec();
    spec.id = format!("id-response-{n:04}");
    spec.assertion_mut().id = format!("id-assertion-{n:04}");
    spec
}

async fn post(sp: &RunningSp, form_value: &str, relay_state: Option<&str>) -> reqwest::Response {
    post_from(sp, form_value, relay_state, None).await
}

/// [`post`] from a browser that holds `cookie` (a `name=value` pair).
async fn post_from(
    sp: &RunningSp,
    form_value: &str,
    relay_state: Option<&str>,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("SAMLResponse", form_value.to_owned())];
    if let Some(relay) = relay_state {
        form.push(("RelayState", relay.to_owned()));
    }
    let mut request = http().post(sp.url("/api/saml/consume")).form(&form);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("POST to the ACS")
}

/// The `ssolab_login_requests` cookie an SP-initiated login set, as a `name=value` pair.
fn login_cookie(response: &reqwest::Response) -> String {
    let cookies = set_cookies(response);
    let value = cookie_value(&cookies, "ssolab_login_requests").expect("login binding cookie");
    format!("ssolab_login_requests={value}")
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        c.split(';')
            .next()?
            .trim()
            .strip_prefix(&format!("{name}="))
            .map(str::to_owned)
    })
}

/// Posts and expects a refusal with `code`, returning the status.
async fn refused(sp: &RunningSp, form_value: &str, code: &str) -> reqwest::StatusCode {
    let response = post(sp, form_value, None).await;
    let status = response.status();
    assert!(
        status.is_client_error(),
        "expected a 4xx for {code}, got {status}"
    );
    assert!(
        set_cookies(&response).is_empty(),
        "a refusal sets no cookie"
    );
    let body = response.text().await.expect("body");
    assert!(
        body.contains(&format!("<code>{code}</code>")),
        "page names {code}:\n{body}"
    );
    status
}

#[tokio::test]
async fn browser_flow_idp_initiated_then_sso_log_in() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    let client = http();

    // Before any SSO login, the login page has no SSO button.
    let login = client
        .get(sp.url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    assert!(
        !login.contains("/api/saml/login/"),
        "no SSO LOG IN button yet"
    );

    // 1. IdP-initiated: the user clicks the app in the IdP portal; the IdP posts the response.
    let response = post(&sp, &spec_numbered(1).form_value(), Some("/dashboard")).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/dashboard",
        "same-site RelayState is honoured"
    );
    let cookies = set_cookies(&response);
    let session = cookie_value(&cookies, "ssolab_session").expect("session cookie");
    assert_eq!(
        cookie_value(&cookies, "ssolab_sso_team").as_deref(),
        Some("acme")
    );
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("ssolab_session="))
        .expect("session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(
            session_cookie.contains(attribute),
            "{session_cookie} has {attribute}"
        );
    }
    assert!(
        session_cookie.contains("Max-Age=28800"),
        "8 h, within SessionNotOnOrAfter: {session_cookie}"
    );

    // The member was created just in time, and the session shows them.
    let home = client
        .get(sp.url("/"))
        .header("cookie", format!("ssolab_session={session}"))
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), reqwest::StatusCode::OK);
    let home = home.text().await.expect("body");
    assert!(
        home.contains("alice@corp.com") && home.contains("Alice Liddell") && home.contains("acme"),
        "{home}"
    );

    // 2. Later, the login page offers "SSO LOG IN" because of the team cookie.
    let login = client
        .get(sp.url("/login"))
        .header("cookie", "ssolab_sso_team=acme")
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("body");
    assert!(
        login.contains("SSO LOG IN") && login.contains("/api/saml/login/acme"),
        "{login}"
    );

    // 3. SP-initiated: a redirect to the IdP carrying an AuthnRequest whose ID is stored.
    let redirect = client
        .get(sp.url("/api/saml/login/acme?RelayState=/reports"))
        .send()
        .await
        .expect("sp-initiated");
    assert_eq!(redirect.status(), reqwest::StatusCode::FOUND);
    let this_browser = login_cookie(&redirect);
    let location =
        url::Url::parse(redirect.headers()["location"].to_str().expect("ascii")).expect("a URL");
    assert_eq!(
        location.host_str(),
        Some("ssolab-test.okta.example"),
        "the IdP's Redirect SSO URL from metadata"
    );
    let pairs: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(
        pairs.get("RelayState").map(String::as_str),
        Some("/reports")
    );
    use base64::Engine;
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(&pairs["SAMLRequest"])
        .expect("base64");
    let mut request = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut request)
        .expect("inflates");
    let doc = roxmltree::Document::parse(&request).expect("AuthnRequest XML");
    let request_id = doc
        .root_element()
        .attribute("ID")
        .expect("an ID")
        .to_owned();
    assert_eq!(
        doc.root_element().attribute("AssertionConsumerServiceURL"),
        Some("https://www.qualified.io/api/saml/consume")
    );

    // 4. The IdP answers it; the SP accepts once, and the request ID is spent.
    let answer = spec_numbered(2).answering(&request_id);
    let response = post_from(
        &sp,
        &answer.form_value(),
        Some("/reports"),
        Some(&this_browser),
    )
    .await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/reports");
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("ssolab_login_requests=;") && c.contains("Max-Age=0")),
        "the answered request leaves the browser's cookie: {:?}",
        set_cookies(&response)
    );
    let mut again = spec_numbered(3).answering(&request_id);
    again.id = "id-response-0003b".into();
    let again = post_from(&sp, &again.form_value(), None, Some(&this_browser)).await;
    assert_eq!(again.status(), reqwest::StatusCode::FORBIDDEN);
    assert_eq!(again.headers()["x-ssolab-code"], "in_response_to_unknown");

    // 5. Replaying the IdP-initiated response is refused.
    refused(&sp, &spec_numbered(1).form_value(), "replayed_assertion").await;

    // 6. Local logout ends the session.
    let out = client
        .post(sp.url("/logout"))
        .header("cookie", format!("ssolab_session={session}"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), reqwest::StatusCode::SEE_OTHER);
    let home = client
        .get(sp.url("/"))
        .header("cookie", format!("ssolab_session={session}"))
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(home.headers()["location"], "/login");
}

#[tokio::test]
async fn relay_state_to_another_site_is_ignored() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    for (n, relay) in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ]
    .into_iter()
    .enumerate()
    {
        let response = post(&sp, &spec_numbered(10 + n as u32).form_value(), Some(relay)).await;
        assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/", "{relay}");
    }
}

#[tokio::test]
async fn bad_input_gets_its_code_and_changes_nothing() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);

    let huge = "A".repeat(600 * 1024);
    assert_eq!(
        refused(&sp, &huge, "too_large").await,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        refused(&sp, "%%% not base64 %%%", "not_base64").await,
        reqwest::StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refused(&sp, &b64("this is not XML"), "malformed_xml").await,
        reqwest::StatusCode::BAD_REQUEST
    );
    let dtd = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>"#;
    assert_eq!(
        refused(&sp, &b64(dtd), "doctype_forbidden").await,
        reqwest::StatusCode::BAD_REQUEST
    );
    // A shape past a structure cap is malformed input too, refused before any parser.
    let wide = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><e{}/></samlp:Response>"#,
        (0..5000)
            .map(|i| format!(" a{i}=\"v\""))
            .collect::<String>()
    );
    assert_eq!(
        refused(&sp, &b64(&wide), "too_complex").await,
        reqwest::StatusCode::BAD_REQUEST
    );
    let stranger = ResponseSpec::at(NOW).issued_by("http://www.okta.com/exkSOMEONEELSE");
    assert_eq!(
        refused(&sp, &stranger.form_value(), "unknown_issuer").await,
        reqwest::StatusCode::FORBIDDEN
    );
    let wrong_audience = {
        let mut s = spec();
        s.conditions_mut().audience_restrictions = vec![vec!["https://qualified.io/".to_owned()]];
        s
    };
    refused(&sp, &wrong_audience.form_value(), "audience_mismatch").await;
    let attacker = spec().with_key(FixtureKey::RsaAttacker);
    refused(&sp, &attacker.form_value(), "signature_invalid").await;

    // The form itself: no SAMLResponse field, a multipart post of a valid response, JSON.
    let acs = sp.url("/api/saml/consume");
    let valid = spec().form_value();
    let cases: Vec<(&str, reqwest::RequestBuilder, reqwest::StatusCode)> = vec![
        (
            "saml_response_missing",
            http().post(&acs).form(&[("RelayState", "/x")]),
            reqwest::StatusCode::BAD_REQUEST,
        ),
        (
            "content_type_unsupported",
            http()
                .post(&acs)
                .header("content-type", "multipart/form-data; boundary=b")
                .body(format!(
                    "--b\r\nContent-Disposition: form-data; name=\"SAMLResponse\"\r\n\r\n{valid}\r\n--b--\r\n"
                )),
            reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "content_type_unsupported",
            http()
                .post(&acs)
                .header("content-type", "application/json")
                .body(format!("{{\"SAMLResponse\":\"{valid}\"}}")),
            reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (code, request, status) in cases {
        let response = request.send().await.expect("post");
        assert_eq!(response.status(), status, "{code}");
        assert_eq!(response.headers()["x-ssolab-code"], code);
        assert!(set_cookies(&response).is_empty(), "{code}: no cookie");
        let body = response.text().await.expect("body");
        assert!(body.contains(&format!("<code>{code}</code>")), "{body}");
    }

    // Nothing was stored: no member exists, and the default response (the same assertion ID as
    // the refused audience and attacker ones) is still fresh.
    let team = acme(&sp).await;
    assert!(
        sp.store
            .member_by_user_name(&team.id, "alice@corp.com")
            .await
            .expect("lookup")
            .is_none()
    );
    let accepted = post(&sp, &spec().form_value(), None).await;
    assert_eq!(accepted.status(), reqwest::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn member_standing_is_enforced() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::ScimOnly, true).await;
    // SCIM-only: an unknown user is refused and not created.
    refused(&sp, &spec_numbered(20).form_value(), "member_unknown").await;
    let team = acme(&sp).await;
    assert!(
        sp.store
            .member_by_user_name(&team.id, "alice@corp.com")
            .await
            .expect("lookup")
            .is_none()
    );
    // Provisioned but deactivated: refused.
    let new = sp::store::NewMember {
        user_name: "Alice@Corp.com".into(),
        given_name: None,
        family_name: None,
        display_name: None,
        external_id: None,
        active: false,
    };
    let member = sp
        .store
        .create_member(&team.id, new, NOW)
        .await
        .expect("member");
    refused(&sp, &spec_numbered(21).form_value(), "member_inactive").await;
    // Reactivated: accepted (userName compared case-insensitively).
    sp.store
        .set_member_active(&team.id, &member.id, true, NOW)
        .await
        .expect("reactivate");
    assert_eq!(
        post(&sp, &spec_numbered(22).form_value(), None)
            .await
            .status(),
        reqwest::StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_team_keyed_by_name_id_creates_and_finds_members_by_it() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with(&sp.store, Provisioning::Jit, true, MemberKey::NameId).await;
    let by_name_id = |n: u32| {
        let mut spec = spec_numbered(n);
        spec.assertion_mut().subject = SubjectId::NameId {
            value: "00u1abcd".to_owned(),
            format: Some(NAME_ID_PERSISTENT.to_owned()),
        };
        spec
    };
    for n in [30, 31] {
        let response = post(&sp, &by_name_id(n).form_value(), None).await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::SEE_OTHER,
            "login {n}"
        );
    }
    let team = acme(&sp).await;
    let member = sp
        .store
        .member_by_user_name(&team.id, "00u1abcd")
        .await
        .expect("lookup")
        .expect("JIT created the member under its NameID");
    assert_eq!(member.given_name.as_deref(), Some("Alice"));
    assert!(
        sp.store
            .member_by_user_name(&team.id, "alice@corp.com")
            .await
            .expect("lookup")
            .is_none(),
        "the email attribute names no member under this key"
    );
}

#[tokio::test]
async fn unsolicited_response_is_refused_when_the_team_disallows_it() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, false).await;
    refused(&sp, &spec().form_value(), "unsolicited_forbidden").await;
}

#[tokio::test]
async fn plan_without_sso_is_refused() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    admin::set_plan(&sp.store, "acme", Plan::Team, false, false)
        .await
        .expect("plan");
    refused(&sp, &spec().form_value(), "sso_not_enabled").await;
}

#[tokio::test]
async fn near_miss_urls_keep_their_status_and_name_the_cause() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    let client = http();
    let get = client
        .get(sp.url("/api/saml/consume"))
        .send()
        .await
        .expect("GET ACS");
    assert_eq!(get.status(), reqwest::StatusCode::METHOD_NOT_ALLOWED);
    let body = get.text().await.expect("body");
    assert!(
        body.contains("acs_get") && body.contains("Sign-on URL"),
        "{body}"
    );
    for path in [
        "/api/saml/consume/",
        "/API/SAML/consume",
        "/api//saml/consume",
    ] {
        let response = client
            .post(sp.url(path))
            .form(&[("SAMLResponse", "x")])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND, "{path}");
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("acs_path_near_miss"),
            "{path}"
        );
    }
    let other = client
        .get(sp.url("/nothing-here"))
        .send()
        .await
        .expect("GET");
    assert_eq!(other.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(!other.text().await.expect("body").contains("acs_"));
}

#[tokio::test]
async fn canonical_host_redirect_turns_the_post_into_a_get_like_production() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, Some("www.qualified.io")).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    // The IdP posts to the apex domain: a 301 to www, which browsers follow with GET…
    let response = http()
        .post(sp.url("/api/saml/consume"))
        .header("host", "qualified.io")
        .form(&[("SAMLResponse", spec().form_value())])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), reqwest::StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        response.headers()["location"],
        "https://www.qualified.io/api/saml/consume"
    );
    // …and the GET that follows lands on the diagnostic that explains it.
    let follow = http()
        .get(sp.url("/api/saml/consume"))
        .header("host", "www.qualified.io")
        .send()
        .await
        .expect("GET");
    assert_eq!(follow.status(), reqwest::StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        follow
            .text()
            .await
            .expect("body")
            .contains("POST was turned into a GET")
    );
}

/// Two SP processes on one database: of the same response posted to both at once, exactly one
/// logs in and the other sees a replay.
async fn replay_is_refused_across_two_sp_instances(db: TestDb) {
    let first = start(db.store().await, None).await;
    let second = start(db.store().await, None).await;
    team_with_static_metadata(&first.store, Provisioning::Jit, true).await;
    for round in 0..5u32 {
        let form = spec_numbered(100 + round).form_value();
        let (a, b) = tokio::join!(post(&first, &form, None), post(&second, &form, None));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 403], "round {round}: one login, one replay");
        let refused_body = if a.status() == 403 {
            a.text().await
        } else {
            b.text().await
        }
        .expect("body");
        assert!(
            refused_body.contains("replayed_assertion"),
            "{refused_body}"
        );
    }
}

on_both_backends!(replay_is_refused_across_two_sp_instances);

/// A metadata URL served from loopback whose content the test changes: certificate rotation.
struct MetadataServer {
    url: String,
    body: Arc<Mutex<(u16, String)>>,
}

async fn metadata_server(initial: String) -> MetadataServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/metadata",
        listener.local_addr().expect("address")
    );
    let body = Arc::new(Mutex::new((200u16, initial)));
    let served = body.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let (status, text) = served.lock().expect("lock").clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    MetadataServer { url, body }
}

#[tokio::test]
async fn rotated_certificate_is_picked_up_by_refresh_without_restart() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    let okta = fixture_metadata("okta-one-cert.xml");
    let server = metadata_server(okta.clone()).await;
    admin::create_team(&sp.store, "acme", Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let form = SsoForm {
        issuer: OKTA_ISSUER.to_owned(),
        metadata: MetadataSource::Url(server.url.clone()),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    };
    admin::set_sso(&sp.store, &fetcher(), "acme", form, NOW)
        .await
        .expect("sso by URL");

    // The IdP rotates to its next key: until the SP refreshes, the new signature fails.
    let rotated = spec_numbered(30).with_key(FixtureKey::RsaNext);
    refused(&sp, &rotated.form_value(), "signature_invalid").await;

    // The IdP publishes the new certificate (same document, next key's certificate).
    let current_b64 = FixtureKey::RsaCurrent
        .certificate()
        .to_base64()
        .expect("base64");
    let next_b64 = FixtureKey::RsaNext
        .certificate()
        .to_base64()
        .expect("base64");
    let rotated_metadata = okta_with_certificate(&okta, &current_b64, &next_b64);
    server.body.lock().expect("lock").1 = rotated_metadata;

    // An outage first: the refresh fails, the last good copy stays, and `show` says so.
    server.body.lock().expect("lock").0 = 503;
    let later = NOW + Duration::hours(7);
    sp.clock.set(later);
    let pass = refresh::run_due(&sp.store, &fetcher(), later)
        .await
        .expect("refresh pass");
    assert_eq!(pass.failed.len(), 1, "{pass:?}");
    let shown = admin::show(&sp.store, "acme", later).await.expect("show");
    assert!(
        shown.contains("last fetch failed")
            && shown.contains("status: the metadata URL answered with an HTTP error status"),
        "{shown}"
    );
    let still_current = retimed(spec_numbered(31), later);
    assert_eq!(
        post(&sp, &still_current.form_value(), None).await.status(),
        reqwest::StatusCode::SEE_OTHER,
        "last good copy in force"
    );

    // Back up: the next pass (after the back-off) fetches the rotated metadata.
    server.body.lock().expect("lock").0 = 200;
    let much_later = later + Duration::hours(7);
    sp.clock.set(much_later);
    let pass = refresh::run_due(&sp.store, &fetcher(), much_later)
        .await
        .expect("refresh pass");
    assert_eq!(pass.refreshed.len(), 1, "{pass:?}");
    let shown = admin::show(&sp.store, "acme", much_later)
        .await
        .expect("show");
    assert!(!shown.contains("last fetch failed"), "{shown}");
    let rotated = retimed(spec_numbered(32), much_later).with_key(FixtureKey::RsaNext);
    assert_eq!(
        post(&sp, &rotated.form_value(), None).await.status(),
        reqwest::StatusCode::SEE_OTHER,
        "new key trusted"
    );
    let old = retimed(spec_numbered(33), much_later);
    refused(&sp, &old.form_value(), "signature_invalid").await;
}

#[tokio::test]
async fn url_metadata_past_its_valid_until_refuses_logins_with_metadata_expired() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    let valid_until = NOW + Duration::days(2);
    let okta = fixture_metadata("okta-one-cert.xml").replacen(
        "<md:EntityDescriptor ",
        &format!(
            "<md:EntityDescriptor validUntil=\"{}\" ",
            valid_until
                .format(&time::format_description::well_known::Rfc3339)
                .expect("format")
        ),
        1,
    );
    let server = metadata_server(okta).await;
    admin::create_team(&sp.store, "acme", Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let form = SsoForm {
        issuer: OKTA_ISSUER.to_owned(),
        metadata: MetadataSource::Url(server.url.clone()),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    };
    admin::set_sso(&sp.store, &fetcher(), "acme", form, NOW)
        .await
        .expect("sso by URL");

    // The positive control: a day before validUntil, the copy is trusted.
    let before = valid_until - Duration::days(1);
    sp.clock.set(before);
    assert_eq!(
        post(&sp, &retimed(spec_numbered(40), before).form_value(), None)
            .await
            .status(),
        reqwest::StatusCode::SEE_OTHER
    );

    // The IdP goes away; the refresh before validUntil fails, and the copy expires.
    server.body.lock().expect("lock").0 = 503;
    let after = valid_until + Duration::minutes(1);
    let pass = refresh::run_due(&sp.store, &fetcher(), after)
        .await
        .expect("refresh pass");
    assert_eq!(pass.failed.len(), 1, "{pass:?}");
    sp.clock.set(after);
    refused(
        &sp,
        &retimed(spec_numbered(41), after).form_value(),
        "metadata_expired",
    )
    .await;
}

/// `spec` re-issued at `now`.
fn retimed(spec: ResponseSpec, now: time::OffsetDateTime) -> ResponseSpec {
    let mut fresh = ResponseSpec::at(now).issued_by(OKTA_ISSUER);
    fresh.assertion_mut().id = spec.assertion().id.clone();
    fresh.id = spec.id;
    fresh
}

/// The metadata document with the certificate `from` replaced by `to` (line breaks inside the
/// certificate text are ignored when matching).
fn okta_with_certificate(xml: &str, from: &str, to: &str) -> String {
    let start =
        xml.find("<ds:X509Certificate>").expect("a certificate") + "<ds:X509Certificate>".len();
    let end = start + xml[start..].find("</ds:X509Certificate>").expect("closed");
    let present: String = xml[start..end].split_whitespace().collect();
    assert_eq!(present, from, "the fixture holds the current certificate");
    format!("{}{to}{}", &xml[..start], &xml[end..])
}

#[tokio::test]
async fn sp_initiated_login_posts_a_form_to_an_idp_that_only_takes_post() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    admin::create_team(&sp.store, "acme", Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    // JumpCloud's metadata offers only HTTP-POST: the Okta fixture without its Redirect endpoint.
    let redirect = r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://ssolab-test.okta.example/app/ssolab_test_1/exk1ssolab0test0000d7/sso/saml"/>"#;
    let okta = fixture_metadata("okta-one-cert.xml");
    assert!(okta.contains(redirect));
    let form = SsoForm {
        issuer: OKTA_ISSUER.to_owned(),
        metadata: MetadataSource::Static(okta.replace(redirect, "")),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    };
    admin::set_sso(&sp.store, &fetcher(), "acme", form, NOW)
        .await
        .expect("sso");
    let page = http()
        .get(sp.url("/api/saml/login/acme?RelayState=/reports"))
        .send()
        .await
        .expect("sp-initiated");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let this_browser = login_cookie(&page);
    let page = page.text().await.expect("body");
    assert!(page.contains(r#"action="https://ssolab-test.okta.example/app/ssolab_test_1/exk1ssolab0test0000d7/sso/saml""#), "{page}");
    assert!(
        page.contains(r#"name="RelayState" value="/reports""#),
        "{page}"
    );
    let start = page
        .find(r#"name="SAMLRequest" value=""#)
        .expect("SAMLRequest field")
        + r#"name="SAMLRequest" value=""#.len();
    let value = &page[start..start + page[start..].find('"').expect("closed")];
    use base64::Engine;
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .expect("base64, uncompressed"),
    )
    .expect("UTF-8");
    let doc = roxmltree::Document::parse(&xml).expect("AuthnRequest XML");
    let request_id = doc
        .root_element()
        .attribute("ID")
        .expect("an ID")
        .to_owned();
    // The request ID was stored: the answer is accepted once.
    let response = post_from(
        &sp,
        &spec_numbered(40).answering(&request_id).form_value(),
        None,
        Some(&this_browser),
    )
    .await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
}

/// Starts an SP-initiated login in a fresh browser: its binding cookie and the request ID.
async fn start_sp_login(sp: &RunningSp) -> (String, String) {
    let redirect = http()
        .get(sp.url("/api/saml/login/acme"))
        .send()
        .await
        .expect("sp-initiated");
    assert_eq!(redirect.status(), reqwest::StatusCode::FOUND);
    let set = set_cookies(&redirect);
    let raw = set
        .iter()
        .find(|c| c.starts_with("ssolab_login_requests="))
        .expect("binding cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=None",
        "Secure",
        "Max-Age=600",
        "Path=/",
    ] {
        assert!(raw.contains(attribute), "{raw} has {attribute}");
    }
    let cookie = login_cookie(&redirect);
    let id = cookie
        .trim_start_matches("ssolab_login_requests=")
        .split('.')
        .next()
        .expect("an ID")
        .to_owned();
    (cookie, id)
}

db::on_both_backends!(an_sp_initiated_response_logs_in_only_the_browser_that_started_it);

/// Login CSRF: the attacker starts a login, signs in at the IdP as themselves, stops before the
/// post and makes the victim's browser post that response. The team refuses IdP-initiated
/// logins, so only the request binding stands in the way.
async fn an_sp_initiated_response_logs_in_only_the_browser_that_started_it(db: db::TestDb) {
    {
        let sp = start(db.store().await, None).await;
        team_with_static_metadata(&sp.store, Provisioning::Jit, false).await;
        let (attacker, request_id) = start_sp_login(&sp).await;
        let (victim, victims_own) = start_sp_login(&sp).await;
        assert_ne!(request_id, victims_own);
        let response = spec_numbered(60).answering(&request_id).form_value();

        for (label, cookie) in [
            ("no login cookie", None),
            ("another login", Some(victim.as_str())),
        ] {
            let refused = post_from(&sp, &response, None, cookie).await;
            assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN, "{label}");
            assert_eq!(
                refused.headers()["x-ssolab-code"],
                "request_from_another_browser",
                "{label}"
            );
            assert!(set_cookies(&refused).is_empty(), "{label}: no session");
        }
        // Nothing was consumed: the browser that started it still finishes it, once.
        let accepted = post_from(&sp, &response, None, Some(&attacker)).await;
        assert_eq!(accepted.status(), reqwest::StatusCode::SEE_OTHER);
        let replayed = post_from(&sp, &response, None, Some(&attacker)).await;
        assert_eq!(
            replayed.headers()["x-ssolab-code"],
            "in_response_to_unknown"
        );
        // And the victim's own login is unaffected.
        let own = post_from(
            &sp,
            &spec_numbered(61).answering(&victims_own).form_value(),
            None,
            Some(&victim),
        )
        .await;
        assert_eq!(own.status(), reqwest::StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn logout_refuses_cross_site_posts() {
    let db = db::sqlite_db();
    let sp = start(db.store().await, None).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    let response = post(&sp, &spec_numbered(70).form_value(), None).await;
    let session = cookie_value(&set_cookies(&response), "ssolab_session").expect("session");
    let signed_in = |status: reqwest::StatusCode| status == reqwest::StatusCode::OK;
    let home = || {
        http()
            .get(sp.url("/"))
            .header("cookie", format!("ssolab_session={session}"))
            .send()
    };
    for (label, headers) in [
        ("another site", vec![("sec-fetch-site", "cross-site")]),
        ("a sibling subdomain", vec![("sec-fetch-site", "same-site")]),
        ("a foreign Origin", vec![("origin", "https://evil.example")]),
        ("no proof at all", vec![]),
    ] {
        let mut request = http()
            .post(sp.url("/logout"))
            .header("cookie", format!("ssolab_session={session}"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let out = request.send().await.expect("logout");
        assert_eq!(out.status(), reqwest::StatusCode::FORBIDDEN, "{label}");
        assert_eq!(
            out.headers()["x-ssolab-code"],
            "cross_site_request",
            "{label}"
        );
        assert!(
            signed_in(home().await.expect("home").status()),
            "{label}: still signed in"
        );
    }
    // Positive control: the SP's own page (Origin equal to the host, no Sec-Fetch-Site).
    let out = http()
        .post(sp.url("/logout"))
        .header("cookie", format!("ssolab_session={session}"))
        .header("origin", format!("http://{}", sp.addr))
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(!signed_in(home().await.expect("home").status()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_stay_responsive_while_every_cpu_worker_is_busy_and_the_acs_queue_says_busy() {
    // One worker, busy with a job that waits for the test: what a costly hostile post does.
    let pool = web::cpu::CpuPool::new(1, std::time::Duration::from_millis(200));
    let db = db::sqlite_db();
    let sp = start_with(db.store().await, |state| state.cpu = pool.clone()).await;
    team_with_static_metadata(&sp.store, Provisioning::Jit, true).await;
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (taken, worker_taken) = tokio::sync::oneshot::channel::<()>();
    let blocker = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.run(move || {
                let _ = taken.send(());
                wait.recv().is_ok()
            })
            .await
        })
    };
    worker_taken.await.expect("the job runs");

    // Pages do not use the pool: the login page answers at once.
    let login = http()
        .get(sp.url("/login"))
        .send()
        .await
        .expect("login page");
    assert_eq!(login.status(), reqwest::StatusCode::OK);
    // A post queues, then is refused as busy with a Retry-After; nothing is stored.
    let busy = post(&sp, &spec_numbered(80).form_value(), None).await;
    assert_eq!(busy.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers()["x-ssolab-code"], "busy");
    assert_eq!(busy.headers()["retry-after"], "5");

    release.send(()).expect("the job waits");
    assert!(matches!(blocker.await, Ok(Ok(true))));
    // Once the worker is free, the same response logs in: the busy refusal consumed nothing.
    let accepted = post(&sp, &spec_numbered(80).form_value(), None).await;
    assert_eq!(accepted.status(), reqwest::StatusCode::SEE_OTHER);
}
