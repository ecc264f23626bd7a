//! Issue #10: every Reply-URL failure, reproduced over real HTTP on 127.0.0.1 and diagnosed by
//! the SP: trailing slash, letter case, double slash, a GET at the ACS (the Sign-on URL), an
//! http→https redirect and an apex→www redirect that turn the IdP's POST into a GET, a stale
//! default Reply URL, a proxy's scheme, and `--public-acs-path` named on the pages.
//!
//! Each test asserts the status, `Allow`, `X-SSOLab-Code`, the URL the page names, the log line
//! (captured by a test subscriber) and that nothing was stored: the same signed response is
//! accepted afterwards by the real ACS, so it was neither consumed nor recorded as a replay.

mod common;
mod db;

use common::{NOW, ResponseSpec};
use db::{TestDb, on_both_backends};
use sp::admin;
use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::model::{Plan, Provisioning};
use sp::saml::fetch::{FetchLimits, MetadataFetcher};
use sp::store::Store;
use sp::web::{self, AppState};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::OKTA_FIXTURE_ISSUER as OKTA_ISSUER;
const ACS_URL: &str = "https://www.qualified.io/api/saml/consume";

/// What the SP under test logs, captured for the test's thread: `#[tokio::test]` runs the
/// server's tasks on that thread, so the thread-local subscriber sees every line.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let buffer = logs.0.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(buffer.clone()))
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// The lines logged since the last call.
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().expect("log buffer")))
            .expect("UTF-8 log")
    }
}

struct RunningSp {
    addr: SocketAddr,
    store: Store,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
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

/// An SP with team `acme` trusting the Okta fixture, set up by `configure` (base URL, public ACS
/// path, canonical host, http redirect) before it serves.
async fn start(configure: impl FnOnce(&mut AppState, SocketAddr)) -> RunningSp {
    start_on(db::sqlite_db(), configure).await
}

/// [`start`] on the given database.
async fn start_on(db: TestDb, configure: impl FnOnce(&mut AppState, SocketAddr)) -> RunningSp {
    let store = db.store().await;
    admin::create_team(&store, "acme", Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let form = common::okta_fixture_form(Provisioning::Jit);
    let fetcher = MetadataFetcher::new(FetchLimits::default()).expect("metadata fetcher");
    admin::set_sso(&store, &fetcher, "acme", form, NOW)
        .await
        .expect("sso settings");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut state = AppState::new(
        store.clone(),
        SpConfig::qualified(),
        Arc::new(FixedClock::at(NOW)),
        fetcher,
    );
    configure(&mut state, addr);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    RunningSp {
        addr,
        store,
        stop: Some(stop),
        _db: db,
    }
}

/// Sets the SP's base URL (and so its ACS URL).
fn base_url(state: &mut AppState, base: &str) {
    let mut sp = (*state.sp).clone();
    sp.base_url = base.to_owned();
    state.sp = Arc::new(sp);
}

/// Redirects are off so that tests see the 301.
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

/// A valid response from the Okta fixture, addressed to `acs`.
fn response_to(acs: &str) -> String {
    let mut spec = ResponseSpec::at(NOW).issued_by(OKTA_ISSUER);
    spec.destination = Some(acs.to_owned());
    spec.bearer_mut().recipient = Some(acs.to_owned());
    spec.form_value()
}

/// What a test checks of an answer.
struct Answer {
    status: u16,
    code: String,
    allow: String,
    location: String,
    body: String,
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the SP answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (code, allow, location) = (header("x-ssolab-code"), header("allow"), header("location"));
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no diagnosis signs anybody in"
    );
    Answer {
        status: response.status().as_u16(),
        code,
        allow,
        location,
        body: response.text().await.expect("body"),
    }
}

/// Nothing was stored: no member for the response's subject, and the very same response is
/// then accepted by the ACS (neither consumed nor recorded as a replay).
async fn nothing_was_stored(sp: &RunningSp, form_value: &str, acs_path: &str) {
    let team = sp
        .store
        .team_by_slug("acme")
        .await
        .expect("lookup")
        .expect("team");
    let member = sp
        .store
        .member_by_user_name(&team.id, "alice@corp.com")
        .await
        .expect("lookup");
    assert!(member.is_none(), "no member was created");
    let accepted = http()
        .post(sp.url(acs_path))
        .header("host", "www.qualified.io")
        .header("x-forwarded-proto", "https")
        .form(&[("SAMLResponse", form_value)])
        .send()
        .await
        .expect("POST to the ACS");
    assert_eq!(
        accepted.status(),
        reqwest::StatusCode::SEE_OTHER,
        "positive control: the ACS accepts the same response: {}",
        accepted.text().await.unwrap_or_default()
    );
}

fn post_form(sp: &RunningSp, path: &str, form_value: &str) -> reqwest::RequestBuilder {
    http()
        .post(sp.url(path))
        .header("host", "www.qualified.io")
        .form(&[("SAMLResponse", form_value), ("RelayState", "/")])
}

#[tokio::test]
async fn near_miss_paths_name_each_difference_and_the_acs_url() {
    let (logs, _guard) = Logs::capture();
    let sp = start(|_, _| {}).await;
    let form_value = response_to(ACS_URL);
    for (path, named) in [
        ("/api/saml/consume/", "only by a trailing slash."),
        ("/API/SAML/consume", "only by letter case in the path."),
        ("/api//saml/consume", "only by a double slash."),
        ("//api/saml/consume", "only by a double slash."),
        (
            "/Api/saml/consume/",
            "only by letter case in the path and a trailing slash.",
        ),
    ] {
        let a = answer(post_form(&sp, path, &form_value)).await;
        assert_eq!(
            (a.status, a.code.as_str()),
            (404, "acs_path_near_miss"),
            "{path}"
        );
        assert!(a.body.contains(named), "{path}: {}", a.body);
        assert!(
            a.body.contains(&format!("must be exactly {ACS_URL}")),
            "{path}: {}",
            a.body
        );
        let log = logs.take();
        assert!(
            log.contains("WARN")
                && log.contains("code=\"acs_path_near_miss\"")
                && log.contains("team=\"acme\"")
                && log.contains(&format!("received=https://www.qualified.io{path}")),
            "{path}: {log}"
        );
    }
    // Every method on a near-miss path answers alike, HEAD without a body.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::HEAD,
        reqwest::Method::PUT,
    ] {
        let a = answer(http().request(method.clone(), sp.url("/api/saml/consume/"))).await;
        assert_eq!(
            (a.status, a.code.as_str()),
            (404, "acs_path_near_miss"),
            "{method}"
        );
    }
    nothing_was_stored(&sp, &form_value, "/api/saml/consume").await;
}

#[tokio::test]
async fn the_acs_answers_every_method_but_post_with_405_and_allow_post() {
    let (logs, _guard) = Logs::capture();
    let sp = start(|_, _| {}).await;
    for method in ["HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let a = answer(http().request(method.clone(), sp.url("/api/saml/consume"))).await;
        assert_eq!(
            (a.status, a.code.as_str(), a.allow.as_str()),
            (405, "acs_method_not_allowed", "POST"),
            "{method}"
        );
        if method == reqwest::Method::HEAD {
            assert!(a.body.is_empty(), "HEAD has no body");
            // Link checkers and monitors send HEAD: no warning for them.
            assert!(!logs.take().contains("WARN"), "HEAD is not warned about");
        } else {
            assert!(a.body.contains(ACS_URL), "{method}: {}", a.body);
        }
    }
    let log = logs.take();
    assert!(
        !log.contains("letter case") && !log.contains("acs_path_near_miss"),
        "HEAD and friends are no near miss: {log}"
    );
    // Every other route's 405 carries Allow too, the admin API's included.
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/login", "GET,HEAD"),
        (reqwest::Method::GET, "/logout", "POST"),
        (reqwest::Method::GET, "/admin/teams", "POST"),
    ] {
        let a = answer(http().request(method.clone(), sp.url(path))).await;
        assert_eq!(
            (a.status, a.code.as_str(), a.allow.as_str()),
            (405, "method_not_allowed", allow),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_get_from_a_sign_on_url_reads_differently_from_a_redirect() {
    let (logs, _guard) = Logs::capture();
    let sp = start(|_, _| {}).await;
    let okta = "https://corp.okta.com/app/UserHome";
    let clicked = answer(
        http()
            .get(sp.url("/api/saml/consume"))
            .header("sec-fetch-site", "cross-site")
            .header("sec-fetch-user", "?1")
            .header("referer", okta),
    )
    .await;
    assert_eq!(
        (
            clicked.status,
            clicked.code.as_str(),
            clicked.allow.as_str()
        ),
        (405, "acs_get", "POST")
    );
    assert!(
        clicked
            .body
            .contains("Likely cause: the IdP&#39;s Sign-on URL.")
            && clicked.body.contains("https://www.qualified.io/login"),
        "{}",
        clicked.body
    );
    let automatic = answer(
        http()
            .get(sp.url("/api/saml/consume"))
            .header("sec-fetch-site", "cross-site")
            .header("referer", okta),
    )
    .await;
    assert_eq!(
        (automatic.status, automatic.code.as_str()),
        (405, "acs_get")
    );
    assert!(
        automatic.body.contains("Likely cause: a redirect.")
            && automatic
                .body
                .contains(&format!("Register exactly {ACS_URL} in the IdP")),
        "{}",
        automatic.body
    );
    // Without the browser's hints, both causes are named.
    let bare = answer(http().get(sp.url("/api/saml/consume"))).await;
    assert!(
        bare.body.contains("Sign-on URL") && bare.body.contains("If a redirect sent you here"),
        "{}",
        bare.body
    );
    let log = logs.take();
    assert_eq!(
        log.matches("code=\"acs_get\"").count(),
        3,
        "one line per GET: {log}"
    );
    assert!(log.contains(&format!("referer=\"{okta}\"")), "{log}");
}

#[tokio::test]
async fn http_to_https_redirect_is_logged_and_the_get_names_it() {
    let (logs, _guard) = Logs::capture();
    let sp = start(|state, _| state.redirect_http = true).await;
    let form_value = response_to(ACS_URL);
    // The TLS-terminating proxy says the browser posted over plain http.
    let redirected = answer(
        post_form(&sp, "/api/saml/consume", &form_value).header("x-forwarded-proto", "http"),
    )
    .await;
    assert_eq!(
        (
            redirected.status,
            redirected.location.as_str(),
            redirected.code.as_str()
        ),
        (301, ACS_URL, "saml_response_redirected")
    );
    let log = logs.take();
    assert!(
        log.contains(&format!(
            "a SAMLResponse was posted to http://www.qualified.io/api/saml/consume and redirected to {ACS_URL}: the browser will re-send it as a GET"
        )) && log.contains("WARN")
            && log.contains("team=\"acme\""),
        "{log}"
    );
    // The browser follows with GET, from the IdP's page, without a click.
    let follow = answer(
        http()
            .get(sp.url("/api/saml/consume"))
            .header("host", "www.qualified.io")
            .header("x-forwarded-proto", "https")
            .header("sec-fetch-site", "cross-site")
            .header("referer", "https://corp.okta.com/"),
    )
    .await;
    assert_eq!(
        (follow.status, follow.code.as_str(), follow.allow.as_str()),
        (405, "acs_get", "POST")
    );
    assert!(
        follow.body.contains("Likely cause: a redirect.")
            && follow.body.contains(&format!("Register exactly {ACS_URL}"))
            && follow.body.contains("redirects plain http to https"),
        "{}",
        follow.body
    );
    // Other redirects get a plain info line; the query goes along but not into the log.
    let page = answer(
        http()
            .get(sp.url("/login?next=%2Fsecret-query"))
            .header("host", "www.qualified.io")
            .header("x-forwarded-proto", "http"),
    )
    .await;
    assert_eq!(
        (page.status, page.location.as_str(), page.code.as_str()),
        (
            301,
            "https://www.qualified.io/login?next=%2Fsecret-query",
            ""
        ),
        "a plain redirect carries no code"
    );
    let log = logs.take();
    assert!(
        log.contains("INFO")
            && log.contains(
                "redirected GET http://www.qualified.io/login to https://www.qualified.io/login"
            )
            && !log.contains("secret-query"),
        "{log}"
    );
    // Positive control: over https the same POST reaches the ACS and nothing was stored before.
    nothing_was_stored(&sp, &form_value, "/api/saml/consume").await;
}

#[tokio::test]
async fn apex_to_www_redirect_keeps_the_base_urls_scheme_and_is_logged() {
    let (logs, _guard) = Logs::capture();
    // A plain-http SP: the redirect must not point at https, which this port does not speak.
    let sp = start(|state, _| {
        base_url(state, "http://www.qualified.io");
        state.canonical_host = Some("www.qualified.io".to_owned());
    })
    .await;
    let acs = "http://www.qualified.io/api/saml/consume";
    let form_value = response_to(acs);
    let redirected = answer(
        http()
            .post(sp.url("/api/saml/consume"))
            .header("host", "qualified.io")
            .form(&[("SAMLResponse", form_value.as_str())]),
    )
    .await;
    assert_eq!(
        (
            redirected.status,
            redirected.location.as_str(),
            redirected.code.as_str()
        ),
        (301, acs, "saml_response_redirected")
    );
    let log = logs.take();
    assert!(
        log.contains(&format!(
            "a SAMLResponse was posted to http://qualified.io/api/saml/consume and redirected to {acs}: the browser will re-send it as a GET"
        )) && log.contains("code=\"saml_response_redirected\"")
            && log.contains("team=\"acme\""),
        "{log}"
    );
    let follow = answer(
        http()
            .get(sp.url("/api/saml/consume"))
            .header("host", "www.qualified.io"),
    )
    .await;
    assert_eq!((follow.status, follow.code.as_str()), (405, "acs_get"));
    assert!(
        follow
            .body
            .contains(&format!("register exactly {acs} in the IdP"))
            && follow
                .body
                .contains("redirects requests for other hosts to www.qualified.io")
            && !follow.body.contains("https://www."),
        "the real ACS URL, not a fixed https://www. text: {}",
        follow.body
    );
    let team = sp
        .store
        .team_by_slug("acme")
        .await
        .expect("lookup")
        .expect("team");
    assert!(
        sp.store
            .member_by_user_name(&team.id, "alice@corp.com")
            .await
            .expect("lookup")
            .is_none()
    );
}

#[tokio::test]
async fn a_stale_default_reply_url_is_named_with_the_acs_url() {
    let (logs, _guard) = Logs::capture();
    let sp = start(|_, _| {}).await;
    let form_value = response_to(ACS_URL);
    for (path, status, allow) in [
        ("/saml/consume", 404, ""),
        ("/sso/saml", 404, ""),
        ("/", 405, "GET,HEAD"),
        ("/login", 405, "GET,HEAD"),
    ] {
        let a = answer(post_form(&sp, path, &form_value)).await;
        assert_eq!(
            (a.status, a.code.as_str(), a.allow.as_str()),
            (status, "saml_response_misdirected", allow),
            "{path}"
        );
        assert!(
            a.body
                .contains(&format!("<code>POST https://www.qualified.io{path}</code>"))
                && a.body.contains(&format!("to exactly {ACS_URL}"))
                && a.body.contains("stale or default Reply URL"),
            "{path}: {}",
            a.body
        );
        let log = logs.take();
        assert!(
            log.contains("WARN")
                && log.contains("code=\"saml_response_misdirected\"")
                && log.contains("team=\"acme\"")
                && log.contains(&format!("issuer=\"{OKTA_ISSUER}\""))
                && log.contains(&format!(
                    "a SAML response arrived at https://www.qualified.io{path}, not at the ACS {ACS_URL}"
                )),
            "{path}: {log}"
        );
    }
    // In the URL of a page that serves GET: 400, and the page does not swallow it.
    let in_query = answer(
        http()
            .get(sp.url("/login"))
            .query(&[("SAMLResponse", form_value.as_str())]),
    )
    .await;
    assert_eq!(
        (in_query.status, in_query.code.as_str()),
        (400, "saml_response_misdirected")
    );
    assert!(
        !in_query.body.contains(&form_value),
        "the page never echoes the response"
    );
    // A multipart post is recognised too.
    let multipart = answer(
        http()
            .post(sp.url("/saml/consume"))
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"SAMLResponse\"\r\n\r\n{form_value}\r\n--XyZ--\r\n"
            )),
    )
    .await;
    assert_eq!(
        (multipart.status, multipart.code.as_str()),
        (404, "saml_response_misdirected")
    );
    assert!(logs.take().contains("team=\"acme\""));
    // Positive control: the same paths without a response are the plain pages.
    let home = answer(http().post(sp.url("/saml/consume"))).await;
    assert_eq!((home.status, home.code.as_str()), (404, "not_found"));
    nothing_was_stored(&sp, &form_value, "/api/saml/consume").await;
}

#[tokio::test]
async fn a_response_over_the_acs_cap_is_not_read() {
    let (logs, _guard) = Logs::capture();
    let sp = start(|_, _| {}).await;
    let cap = SpConfig::qualified().form_body_cap();
    let a = answer(
        http()
            .post(sp.url("/saml/consume"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("SAMLResponse={}", "A".repeat(cap + 1))),
    )
    .await;
    // Unread, so not known to carry a response: the plain 404.
    assert_eq!((a.status, a.code.as_str()), (404, "not_found"));
    assert!(!logs.take().contains("WARN"));
}

#[tokio::test]
async fn a_proxys_scheme_is_named_in_the_destination_hint() {
    let (_logs, _guard) = Logs::capture();
    // The SP was given an http base URL, but the IdP (through a TLS-terminating proxy) uses https.
    let sp = start(|state, addr| base_url(state, &format!("http://{addr}"))).await;
    let https_acs = format!("https://{}/api/saml/consume", sp.addr);
    let a = answer(
        http()
            .post(sp.url("/api/saml/consume"))
            .form(&[("SAMLResponse", response_to(&https_acs))]),
    )
    .await;
    assert_eq!(a.status, 403);
    assert!(
        a.body.contains("destination_mismatch")
            && a.body.contains("only by the scheme (https instead of http")
            && a.body.contains("give the SP its public https base URL"),
        "{}",
        a.body
    );
    // Positive control: addressed to the SP's own URL, it is accepted.
    let accepted = http()
        .post(sp.url("/api/saml/consume"))
        .form(&[("SAMLResponse", response_to(&sp.url("/api/saml/consume")))])
        .send()
        .await
        .expect("POST");
    assert_eq!(accepted.status(), reqwest::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_and_redirects_name_the_public_acs_path() {
    let (_logs, _guard) = Logs::capture();
    let public = "https://www.qualified.io/session/sso/saml/acs";
    let sp = start(|state, _| {
        let mut config = (*state.sp).clone();
        config.acs_path = "/session/sso/saml/acs".to_owned();
        state.sp = Arc::new(config);
        state.canonical_host = Some("www.qualified.io".to_owned());
    })
    .await;
    let get = answer(
        http()
            .get(sp.url("/api/saml/consume"))
            .header("host", "www.qualified.io"),
    )
    .await;
    assert_eq!((get.status, get.code.as_str()), (405, "acs_get"));
    assert!(
        get.body
            .contains(&format!("register exactly {public} in the IdP"))
            && !get.body.contains(&format!("exactly {ACS_URL}")),
        "{}",
        get.body
    );
    let stale = answer(post_form(&sp, "/saml/consume", &response_to(public))).await;
    assert_eq!(stale.code, "saml_response_misdirected");
    assert!(
        stale.body.contains(&format!("to exactly {public}")),
        "{}",
        stale.body
    );
    let redirected = answer(
        http()
            .post(sp.url("/api/saml/consume"))
            .header("host", "qualified.io")
            .form(&[("SAMLResponse", "x")]),
    )
    .await;
    assert_eq!(
        (redirected.status, redirected.location.as_str()),
        (301, public)
    );
}

/// On SQLite and PostgreSQL alike, a response sent to every wrong URL (each peeked for its
/// team) leaves the database as it was: the same response is then accepted by the ACS.
async fn misdirected_responses_change_nothing_stored(db: TestDb) {
    let sp = start_on(db, |_, _| {}).await;
    let form_value = response_to(ACS_URL);
    for path in [
        "/saml/consume",
        "/",
        "/login",
        "/logout",
        "/api/saml/consume/",
        "/API/saml/consume",
    ] {
        let a = answer(post_form(&sp, path, &form_value)).await;
        assert!(
            a.code == "saml_response_misdirected" || a.code == "acs_path_near_miss",
            "{path}: {}",
            a.code
        );
    }
    nothing_was_stored(&sp, &form_value, "/api/saml/consume").await;
}

on_both_backends!(misdirected_responses_change_nothing_stored);

/// `sp serve --redirect-http --base-url BASE --listen LISTEN`: exit code and stderr.
fn serve_with_redirect_http(base: &str, listen: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sp"))
        .args([
            "serve",
            "--redirect-http",
            "--base-url",
            base,
            "--listen",
            listen,
        ])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("sp.db").display()),
        )
        .output()
        .expect("run sp");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn serve_refuses_redirect_http_without_an_https_base_url() {
    let (code, stderr) = serve_with_redirect_http("http://127.0.0.1:8080", "127.0.0.1:0");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--redirect-http sends plain http to the --base-url, which is http://127.0.0.1:8080: give an https:// --base-url"),
        "{stderr}"
    );
    // Positive control: with an https base URL it gets past the check (and stops at a listen
    // address that cannot be bound, so that the test does not serve).
    let (code, stderr) = serve_with_redirect_http("https://www.qualified.io", "256.0.0.1:0");
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--listen 256.0.0.1:0") && !stderr.contains("--redirect-http"),
        "{stderr}"
    );
}

#[tokio::test]
async fn every_diagnostic_page_carries_its_code_header() {
    let (_logs, _guard) = Logs::capture();
    let sp = start(|_, _| {}).await;
    for (path, status, code) in [
        ("/api/saml/login/nobody", 404, "unknown_team"),
        ("/nothing-here", 404, "not_found"),
        ("/logout", 405, "method_not_allowed"),
    ] {
        let a = answer(http().get(sp.url(path))).await;
        assert_eq!((a.status, a.code.as_str()), (status, code), "{path}");
        assert!(a.body.contains(&format!("<code>{code}</code>")), "{path}");
    }
    // Positive control: a page that is no diagnosis carries no code.
    let login = answer(http().get(sp.url("/login"))).await;
    assert_eq!((login.status, login.code.as_str()), (200, ""));
}
