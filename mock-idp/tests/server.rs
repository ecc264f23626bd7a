//! The IdP server over real HTTP on 127.0.0.1 (redirects off, fixed clock): metadata through a
//! key rotation and outages, SP-initiated requests in both bindings (good, unregistered ACS,
//! malformed), the login page and IdP-initiated launch.

use base64::Engine;
use mock_idp::authn_request;
use mock_idp::faults::FAULTS;
use mock_idp::keys::{self, KeyRole, KeyType};
use mock_idp::presets::{self, PRESETS};
use mock_idp::server::{self, AppState, Config};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const NOW: &str = "2026-11-28T12:00:00Z";
const ACS: &str = "http://127.0.0.1:8080/api/saml/consume";
const ACS_2: &str = "https://sp.example.com/api/saml/consume";
const SP_ENTITY_ID: &str = "https://qualified.io";

struct Running {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

async fn start() -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut config = Config::new(presets::by_name("okta").expect("okta preset"));
    config.base_url = format!("http://{addr}");
    config.acs_urls = vec![ACS.to_owned(), ACS_2.to_owned()];
    config.sp_entity_id = SP_ENTITY_ID.to_owned();
    config.now = Some(OffsetDateTime::parse(NOW, &Rfc3339).expect("time"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, AppState::new(config), async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        stop: Some(stop),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn get(url: &str) -> (u16, String) {
    let response = client().get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn post(url: &str) -> (u16, String) {
    let response = client().post(url).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = client().post(url).form(form).send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the first input named `name` in an HTML page.
fn field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(unescape(&page[start..end]))
}

/// The `action` of the first form in a page.
fn form_action(page: &str) -> Option<String> {
    let start = page.find("action=\"")? + "action=\"".len();
    let end = page[start..].find('"')? + start;
    Some(unescape(&page[start..end]))
}

fn decode_response(page: &str) -> String {
    let value = field(page, "SAMLResponse").expect("a SAMLResponse field");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .expect("base64");
    String::from_utf8(bytes).expect("UTF-8")
}

fn certificates(metadata: &str) -> Vec<String> {
    metadata
        .split("<ds:X509Certificate>")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_owned)
        .collect()
}

fn cert(role: KeyRole) -> String {
    keys::certificate(role, KeyType::Rsa)
        .expect("fixture certificate")
        .to_base64()
        .expect("base64")
}

fn authn_request_xml(id: &str, acs: Option<&str>, issuer: &str) -> String {
    let acs = acs
        .map(|a| format!(" AssertionConsumerServiceURL=\"{a}\""))
        .unwrap_or_default();
    format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{NOW}" Destination="http://idp/sso"{acs} ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>{issuer}</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"/></samlp:AuthnRequest>"#
    )
}

/// What an SP does for the HTTP-Redirect binding: DEFLATE, base64, URL-encode — written here
/// with flate2 directly rather than through the crate's own encoder.
fn redirect_query(xml: &str, relay_state: Option<&str>) -> String {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(xml.as_bytes()).expect("deflate");
    let deflated = encoder.finish().expect("deflate");
    let b64 = base64::engine::general_purpose::STANDARD.encode(deflated);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("SAMLRequest", &b64);
    if let Some(relay_state) = relay_state {
        query.append_pair("RelayState", relay_state);
    }
    query.finish()
}

#[tokio::test]
async fn metadata_follows_the_rotation_state() {
    let idp = start().await;
    let (current, next) = (cert(KeyRole::Current), cert(KeyRole::Next));

    let (status, body) = get(&idp.url("/metadata")).await;
    assert_eq!(status, 200);
    assert!(body.contains("entityID=\"http://www.okta.com/exk1ssolab0test0000d7\""));
    assert!(body.contains(&format!("Location=\"{}\"", idp.url("/sso"))));
    assert_eq!(certificates(&body), vec![current.clone()]);

    let (status, state) = post(&idp.url("/control/publish-both")).await;
    assert_eq!(status, 200);
    assert_eq!(state, "published=both signer=current outage=ok\n");
    let (_, body) = get(&idp.url("/metadata")).await;
    assert_eq!(certificates(&body), vec![current.clone(), next.clone()]);

    let (_, state) = post(&idp.url("/control/rotate")).await;
    assert_eq!(state, "published=next signer=next outage=ok\n");
    let (_, body) = get(&idp.url("/metadata")).await;
    assert_eq!(certificates(&body), vec![next.clone()]);

    let (_, state) = get(&idp.url("/control/revert")).await;
    assert_eq!(state, "published=current signer=current outage=ok\n");
    let (_, body) = get(&idp.url("/metadata")).await;
    assert_eq!(certificates(&body), vec![current]);

    let (status, body) = post(&idp.url("/control/publish/sideways")).await;
    assert_eq!(status, 404);
    assert!(body.contains("current, both, next"), "{body}");
}

#[tokio::test]
async fn metadata_of_another_preset_names_its_issuer_and_sso_url() {
    let idp = start().await;
    let entra = presets::by_name("entra").expect("entra");
    let (status, body) = get(&idp.url("/metadata/entra")).await;
    assert_eq!(status, 200);
    assert!(body.contains(&format!("entityID=\"{}\"", entra.issuer)));
    assert!(body.contains(&format!("Location=\"{}\"", idp.url("/sso/entra"))));
    let (status, body) = get(&idp.url("/metadata/nope")).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("unknown_preset") && body.contains("entra"),
        "{body}"
    );
}

#[tokio::test]
async fn metadata_outages_fail_as_configured_and_recover() {
    let idp = start().await;

    post(&idp.url("/control/outage/down")).await;
    let response = client()
        .get(idp.url("/metadata"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));

    post(&idp.url("/control/outage/invalid")).await;
    let (status, body) = get(&idp.url("/metadata")).await;
    assert_eq!(status, 200);
    let parsed = xmldsig::parse_str(&body, &xmldsig::Limits::default());
    assert_eq!(parsed.map(|_| ()).unwrap_err().code(), "malformed_xml");

    post(&idp.url("/control/outage/html")).await;
    let response = client()
        .get(idp.url("/metadata"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("header")
            .starts_with("text/html")
    );

    let (_, state) = post(&idp.url("/control/outage/slow?seconds=1")).await;
    assert_eq!(state, "published=current signer=current outage=slow(1s)\n");
    let started = Instant::now();
    let (status, _) = get(&idp.url("/metadata")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_secs(1));

    // Positive control: back to normal, the document parses.
    post(&idp.url("/control/outage/ok")).await;
    let (status, body) = get(&idp.url("/metadata")).await;
    assert_eq!(status, 200);
    assert!(xmldsig::parse_str(&body, &xmldsig::Limits::default()).is_ok());

    let (status, body) = post(&idp.url("/control/outage/flaky")).await;
    assert_eq!(status, 404);
    assert!(body.contains("ok, down, slow, invalid, html"), "{body}");
}

#[tokio::test]
async fn a_redirect_binding_request_is_answered_with_its_id_as_in_response_to() {
    let idp = start().await;
    let xml = authn_request_xml("_req-redirect-1", Some(ACS_2), SP_ENTITY_ID);
    let query = redirect_query(&xml, Some("/dashboard?tab=1"));
    let (status, page) = get(&idp.url(&format!("/sso?{query}"))).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("AuthnRequest received (HTTP-Redirect)"));
    assert!(page.contains("<code>_req-redirect-1</code>"));
    assert_eq!(
        field(&page, "in_response_to").as_deref(),
        Some("_req-redirect-1")
    );
    assert_eq!(
        field(&page, "relay_state").as_deref(),
        Some("/dashboard?tab=1")
    );
    // The requested (registered) ACS is preselected, not the default one.
    assert!(page.contains(&format!("<option value=\"{ACS_2}\" selected>")));

    // Submitting the login form as the page has it.
    let (status, preview) = post_form(
        &idp.url("/login"),
        &[
            ("in_response_to", "_req-redirect-1"),
            ("email", "bob@example.com"),
            ("first_name", "Bob"),
            ("last_name", "Builder"),
            ("preset", "okta"),
            ("fault", ""),
            ("acs", ACS_2),
            ("reply_url", ""),
            ("relay_state", "/dashboard?tab=1"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    let response = decode_response(&preview);
    assert_eq!(
        response.matches("InResponseTo=\"_req-redirect-1\"").count(),
        2
    );
    assert!(response.contains(&format!("Destination=\"{ACS_2}\"")));
    assert!(response.contains("bob@example.com"));
    assert_eq!(
        field(&preview, "RelayState").as_deref(),
        Some("/dashboard?tab=1")
    );
    assert_eq!(field(&preview, "target").as_deref(), Some(ACS_2));
    // The pretty XML shown is escaped.
    assert!(preview.contains("&lt;saml2p:Response"));

    // Continue: the auto-submitting form with exactly the values shown.
    let (status, form) = post_form(
        &idp.url("/autopost"),
        &[
            ("target", ACS_2),
            ("method", "post"),
            (
                "SAMLResponse",
                &field(&preview, "SAMLResponse").expect("response"),
            ),
            ("RelayState", "/dashboard?tab=1"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(form_action(&form).as_deref(), Some(ACS_2));
    assert!(form.contains("onload=\"document.forms[0].submit()\""));
    assert_eq!(decode_response(&form), response);
}

#[tokio::test]
async fn a_post_binding_request_is_decoded_too() {
    let idp = start().await;
    let xml = authn_request_xml("_req-post-1", None, SP_ENTITY_ID);
    let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
    let (status, page) = post_form(&idp.url("/sso/entra"), &[("SAMLRequest", &encoded)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("AuthnRequest received (HTTP-POST)"));
    assert_eq!(
        field(&page, "in_response_to").as_deref(),
        Some("_req-post-1")
    );
    // No ACS requested: the default (first registered) one; the preset from the path.
    assert!(page.contains(&format!("<option value=\"{ACS}\" selected>")));
    assert!(page.contains("<option value=\"entra\" selected>"));
    // Its Destination (http://idp/sso) is not where it arrived: the page says so.
    assert!(page.contains("is not the SSO URL it was sent to"), "{page}");
}

#[tokio::test]
async fn request_values_are_escaped_on_the_page() {
    let idp = start().await;
    let xml = authn_request_xml(
        "_x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        None,
        SP_ENTITY_ID,
    );
    let (status, page) = get(&idp.url(&format!(
        "/sso?{}",
        redirect_query(&xml, Some("\"><img src=x onerror=alert(2)>"))
    )))
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(page.contains("_x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(
        field(&page, "in_response_to").as_deref(),
        Some("_x\"><script>alert(1)</script>")
    );
}

#[tokio::test]
async fn an_unregistered_acs_gets_the_reply_url_mismatch_page() {
    let idp = start().await;
    let requested = "https://qualified.io/api/saml/consume/";
    let xml = authn_request_xml("_req-2", Some(requested), SP_ENTITY_ID);
    let (status, page) = get(&idp.url(&format!("/sso?{}", redirect_query(&xml, None)))).await;
    assert_eq!(status, 400);
    assert!(page.contains("Reply URL mismatch"));
    assert!(page.contains("acs_not_registered"));
    for url in [requested, ACS, ACS_2] {
        assert!(page.contains(url), "{url} missing from {page}");
    }
}

#[tokio::test]
async fn an_unknown_or_missing_request_issuer_gets_an_error_page() {
    let idp = start().await;
    let xml = authn_request_xml("_req-3", None, "https://other.example.com");
    let (status, page) = get(&idp.url(&format!("/sso?{}", redirect_query(&xml, None)))).await;
    assert_eq!(status, 400);
    assert!(page.contains("request_issuer_unknown"));
    assert!(page.contains("https://other.example.com") && page.contains(SP_ENTITY_ID));

    let no_issuer = authn_request_xml("_req-4", None, SP_ENTITY_ID)
        .replace(&format!("<saml:Issuer>{SP_ENTITY_ID}</saml:Issuer>"), "");
    let (status, page) = get(&idp.url(&format!("/sso?{}", redirect_query(&no_issuer, None)))).await;
    assert_eq!(status, 400);
    assert!(page.contains("request_issuer_missing"));
}

#[tokio::test]
async fn a_malformed_request_gets_a_page_naming_the_problem() {
    let idp = start().await;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let query = |value: &str| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("SAMLRequest", value);
        q.finish()
    };
    let valid = authn_request_xml("_req-5", None, SP_ENTITY_ID);
    let doctype = format!("<!DOCTYPE r [<!ENTITY x \"y\">]>{valid}");
    let cases = [
        (query("not*base64!"), "not_base64", "not base64"),
        (query(&b64(b"\xff\xfe\xfd\xfc")), "not_deflate", "DEFLATE"),
        (query(&b64(valid.as_bytes())), "not_deflated", "raw DEFLATE"),
        (
            redirect_query("this is not XML", None),
            "malformed_xml",
            "not well-formed XML",
        ),
        (
            redirect_query(&doctype, None),
            "doctype_forbidden",
            "DOCTYPE",
        ),
        (String::new(), "saml_request_missing", "no SAMLRequest"),
    ];
    for (query, code, words) in cases {
        let (status, page) = get(&idp.url(&format!("/sso?{query}"))).await;
        assert_eq!(status, 400, "{code}");
        assert!(page.contains("The AuthnRequest cannot be read"), "{code}");
        assert!(
            page.contains(&format!("<code>{code}</code>")),
            "{code}: {page}"
        );
        assert!(page.contains(words), "{code}: {page}");
    }
    // Positive control: the same request, properly encoded, is accepted.
    let (status, _) = get(&idp.url(&format!("/sso?{}", redirect_query(&valid, None)))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_login_page_lists_every_preset_and_fault() {
    let idp = start().await;
    for path in ["/", "/login"] {
        let (status, page) = get(&idp.url(path)).await;
        assert_eq!(status, 200);
        for preset in PRESETS {
            assert!(
                page.contains(&format!("<option value=\"{}\"", preset.name)),
                "preset {} missing",
                preset.name
            );
        }
        for fault in FAULTS {
            assert!(
                page.contains(&format!("<option value=\"{}\"", fault.name)),
                "fault {} missing",
                fault.name
            );
        }
        assert!(page.contains("IdP-initiated login"));
    }
}

#[tokio::test]
async fn every_fault_can_be_produced_from_the_login_page() {
    let idp = start().await;
    for fault in FAULTS {
        let (status, preview) = post_form(
            &idp.url("/login"),
            &[("preset", "okta"), ("fault", fault.name)],
        )
        .await;
        assert_eq!(status, 200, "{}: {preview}", fault.name);
        assert!(field(&preview, "SAMLResponse").is_some(), "{}", fault.name);
        assert!(preview.contains(&format!("Fault {}", fault.name)));
    }
}

#[tokio::test]
async fn launch_gives_an_auto_submitting_form_to_the_reply_url() {
    let idp = start().await;
    let (status, page) = get(&idp.url(&format!(
        "/launch?preset=entra&user=carol@example.com&acs={}&relay_state=%3Cx%3E",
        url::form_urlencoded::byte_serialize(ACS_2.as_bytes()).collect::<String>()
    )))
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("onload=\"document.forms[0].submit()\""));
    assert!(page.contains("method=\"post\""));
    assert_eq!(form_action(&page).as_deref(), Some(ACS_2));
    let xml = decode_response(&page);
    assert!(xml.contains(&format!("Destination=\"{ACS_2}\"")), "{xml}");
    assert!(xml.contains("https://sts.windows.net/"));
    assert!(xml.contains("carol@example.com"));
    assert!(!xml.contains("InResponseTo"));
    // RelayState is escaped in the form.
    assert!(page.contains("value=\"&lt;x&gt;\""));

    // A mistyped Reply URL: the browser goes there while Destination stays the ACS.
    let mistyped = "https://www.qualified.io/api/saml/consume/";
    let (status, page) = get(&idp.url(&format!(
        "/launch?reply_url={}",
        url::form_urlencoded::byte_serialize(mistyped.as_bytes()).collect::<String>()
    )))
    .await;
    assert_eq!(status, 200);
    assert_eq!(form_action(&page).as_deref(), Some(mistyped));
    assert!(decode_response(&page).contains(&format!("Destination=\"{ACS}\"")));

    // Launch with a fault: the fault is applied.
    let (status, page) = get(&idp.url("/launch?fault=wrong-issuer")).await;
    assert_eq!(status, 200);
    assert!(!decode_response(&page).contains(PRESETS[0].issuer));

    // An unregistered ACS or unknown names are refused with the choices.
    let (status, page) = get(&idp.url("/launch?acs=https%3A%2F%2Fevil.example%2Facs")).await;
    assert_eq!(status, 400);
    assert!(page.contains("acs_not_registered"));
    let (status, page) = get(&idp.url("/launch?fault=nope")).await;
    assert_eq!(status, 400);
    assert!(page.contains("unknown_fault") && page.contains("wrong-issuer"));
}

/// Issue #10: pressing Continue on a default `mock-idp serve` posted a test response to the
/// production site. The default is a local SP, and the page says where it will post.
#[test]
fn the_default_acs_is_a_local_sp_not_production() {
    let config = Config::new(presets::by_name("okta").expect("okta preset"));
    assert_eq!(config.acs_urls, ["http://127.0.0.1:8080/api/saml/consume"]);
}

#[tokio::test]
async fn the_login_page_says_where_it_will_post() {
    let idp = start().await;
    let (status, page) = get(&idp.url("/login")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!(
            "Continue posts the response to <code>{ACS}</code>"
        )),
        "{page}"
    );
}

/// A fault that passes through a redirect sends the browser to this IdP's own `/redirect`
/// first, which answers with that redirect to the Reply URL: the real thing, in a browser.
#[tokio::test]
async fn a_redirect_fault_sends_the_browser_through_a_real_redirect() {
    let idp = start().await;
    let (status, page) = get(&idp.url("/launch?fault=reply-url-redirect-301")).await;
    assert_eq!(status, 200, "{page}");
    let action = form_action(&page).expect("a form");
    let encoded_acs = url::form_urlencoded::byte_serialize(ACS.as_bytes()).collect::<String>();
    assert_eq!(action, idp.url(&format!("/redirect/301?to={encoded_acs}")));
    // The positive control: without the fault the form posts straight to the ACS.
    let (_, plain) = get(&idp.url("/launch")).await;
    assert_eq!(form_action(&plain).as_deref(), Some(ACS));

    let response = client().post(&action).send().await.expect("POST");
    assert_eq!(response.status().as_u16(), 301);
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some(ACS)
    );
    let (status, page) = get(&idp.url("/redirect/308?to=http%3A%2F%2F127.0.0.1%3A9%2Facs")).await;
    assert_eq!(status, 308, "{page}");
    // A status that is not a redirect, or a target that is not an http(s) URL, is refused.
    let (status, page) = get(&idp.url(&format!("/redirect/200?to={encoded_acs}"))).await;
    assert_eq!(status, 404);
    assert!(page.contains("301, 302, 303, 307, 308"), "{page}");
    let (status, page) = get(&idp.url("/redirect/301?to=javascript%3Aalert(1)")).await;
    assert_eq!(status, 400);
    assert!(page.contains("bad_url"), "{page}");
}

#[tokio::test]
async fn responses_get_distinct_ids_so_replay_caches_pass() {
    let idp = start().await;
    let (_, first) = get(&idp.url("/launch")).await;
    let (_, second) = get(&idp.url("/launch")).await;
    let id = |xml: &str| {
        let start = xml.find(" ID=\"").expect("ID") + 5;
        xml[start..start + xml[start..].find('"').expect("quote")].to_owned()
    };
    assert_ne!(id(&decode_response(&first)), id(&decode_response(&second)));
}

#[tokio::test]
async fn after_rotation_responses_are_signed_with_the_next_key() {
    let idp = start().await;
    let verify_with = |xml: &str, role: KeyRole| {
        let doc = xmldsig::parse_str(xml, &xmldsig::Limits::default()).expect("parse");
        let id = doc.root_element().attribute("ID").expect("ID").to_owned();
        let element = xmldsig::element_by_id(&doc, &id).expect("element");
        let trusted = [keys::certificate(role, KeyType::Rsa).expect("cert")];
        xmldsig::verify(element, &trusted, &xmldsig::Policy::default())
            .map(|_| ())
            .map_err(|e| e.code())
    };
    let (_, page) = get(&idp.url("/launch?preset=okta")).await;
    let before = decode_response(&page);
    assert_eq!(verify_with(&before, KeyRole::Current), Ok(()));
    assert!(verify_with(&before, KeyRole::Next).is_err());

    post(&idp.url("/control/rotate")).await;
    let (_, page) = get(&idp.url("/launch?preset=okta")).await;
    let after = decode_response(&page);
    assert_eq!(verify_with(&after, KeyRole::Next), Ok(()));
    assert!(verify_with(&after, KeyRole::Current).is_err());
}

#[test]
fn the_crate_encoder_matches_what_an_sp_sends() {
    // The test helper above and the crate's encoder are two writers of one format.
    let xml = authn_request_xml("_req-6", None, SP_ENTITY_ID);
    let decoded =
        authn_request::decode_redirect(&authn_request::encode_redirect(&xml)).expect("decodes");
    assert_eq!(decoded.xml, xml);
}
