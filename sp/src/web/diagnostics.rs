//! Requests that did not reach the ACS as the IdP's POST: they keep their real status (404,
//! 405) but get a page and a log line that say what arrived, where it should have gone (the
//! exact public ACS URL) and the likely cause. These are the field's "404 after setting the
//! Reply URL" problems:
//!
//! - a SAML response sent anywhere but the ACS (a stale or default Reply URL, the home or the
//!   login page): `saml_response_misdirected`;
//! - a path that differs from the ACS's only by case or slashes: `acs_path_near_miss`;
//! - a GET at the ACS (the ACS put in the IdP's Sign-on URL, a bookmark, or a redirect that
//!   turned the IdP's POST into a GET): `acs_get`;
//! - another method at the ACS: `acs_method_not_allowed`.
//!
//! [`diagnose`] decides, from what arrived, without I/O; the handlers read the request, peek at
//! the response's Issuer for the log (never trusted) and answer.

use super::{AppState, pages};
use crate::config::{ACS_PATH, SpConfig};
use crate::saml::near_miss::{self, UrlDifference, UrlPart};
use crate::saml::validate;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;

/// The codes of the diagnostic pages, sent as `X-SSOLab-Code` (add codes, never rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiagnosticCode {
    /// A GET at the ACS, which takes only the IdP's POST.
    AcsGet,
    /// A method other than POST or GET at the ACS.
    AcsMethodNotAllowed,
    /// A path that differs from the ACS's only by letter case or slashes.
    AcsPathNearMiss,
    /// A SAML response sent to a URL other than the ACS.
    SamlResponseMisdirected,
    /// A method the URL does not take (the `Allow` header lists those it does).
    MethodNotAllowed,
    /// Nothing here.
    NotFound,
    /// A form larger than the ACS would read, sent to a page that takes none this large.
    TooLarge,
    /// A POST carrying a SAMLResponse that the SP redirected (canonical host, http to https):
    /// on the 301 and in the log, since the browser will re-send it as a GET without it.
    SamlResponseRedirected,
}

impl DiagnosticCode {
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::AcsGet => "acs_get",
            DiagnosticCode::AcsMethodNotAllowed => "acs_method_not_allowed",
            DiagnosticCode::AcsPathNearMiss => "acs_path_near_miss",
            DiagnosticCode::SamlResponseMisdirected => "saml_response_misdirected",
            DiagnosticCode::MethodNotAllowed => "method_not_allowed",
            DiagnosticCode::NotFound => "not_found",
            DiagnosticCode::TooLarge => "too_large",
            DiagnosticCode::SamlResponseRedirected => "saml_response_redirected",
        }
    }
}

/// Where a request carried its `SAMLResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// In the URL: the HTTP-Redirect binding, or a form posted with `method="get"`.
    Query,
    /// A URL-encoded form field: the HTTP-POST binding.
    Form,
    /// A `multipart/form-data` field.
    Multipart,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Query => "a query parameter (in the URL)",
            Place::Form => "a form field",
            Place::Multipart => "a multipart form field",
        }
    }
}

/// A `SAMLResponse` value a request carried, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub place: Place,
    pub value: String,
}

/// What the browser told about how it got here (Fetch Metadata and Referer), which tells a
/// Sign-on URL apart from a redirected POST where the browser sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// `Sec-Fetch-Site`: `none` (typed, bookmark), `same-origin`, `same-site`, `cross-site`.
    pub sec_fetch_site: Option<String>,
    /// `Sec-Fetch-User: ?1`: a person's click (or key) started this navigation.
    pub user_activated: bool,
    /// `Referer`, as sent.
    pub referer: Option<String>,
}

impl Hints {
    fn of(headers: &HeaderMap) -> Hints {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Hints {
            sec_fetch_site: text("sec-fetch-site").map(|s| s.to_ascii_lowercase()),
            user_activated: text("sec-fetch-user").as_deref() == Some("?1"),
            referer: text(header::REFERER.as_str()),
        }
    }
}

/// What arrived, as far as the diagnostics look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub method: Method,
    /// The URL as the SP received it, without its query (which may hold the response itself);
    /// see [`received_url`] for its scheme.
    pub url: String,
    /// The URL compared with the ACS URL: the SP's base URL with the received path, and the
    /// received scheme and host only where the request shows them (`X-Forwarded-Proto`, a
    /// `Host` that is the base URL's host but for `www.` or case), since a request that
    /// reached this SP reached its host whatever name it used.
    pub comparable: String,
    pub path: String,
    pub saml_response: Option<Carried>,
    pub hints: Hints,
}

/// The scheme a TLS-terminating proxy says the browser used, when it says so.
pub fn forwarded_proto(headers: &HeaderMap) -> Option<&'static str> {
    let value = headers.get("x-forwarded-proto")?.to_str().ok()?;
    // A chain of proxies appends: the first is the one the browser talked to.
    let first = value.split(',').next()?.trim();
    ["http", "https"]
        .into_iter()
        .find(|s| first.eq_ignore_ascii_case(s))
}

/// The `Host` the request names (absolute-form URI first, as HTTP/1.1 says).
pub fn request_host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    uri.authority().map(|a| a.as_str()).or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty())
    })
}

/// Whether `host` is the base URL's host, but for a `www.` and letter case.
fn is_base_host(host: &str, sp: &SpConfig) -> bool {
    near_miss::without_www(host)
        .0
        .eq_ignore_ascii_case(near_miss::without_www(sp.base_host()).0)
}

/// The received URL without its query. Its scheme is `X-Forwarded-Proto`'s when a proxy sent
/// one; else, for the public host, the base URL's (TLS ends in front of the SP, which cannot
/// see the browser's scheme); else `http`, the SP's own listener's.
pub fn received_url(sp: &SpConfig, uri: &Uri, headers: &HeaderMap) -> String {
    let host = request_host(uri, headers);
    let scheme = forwarded_proto(headers).unwrap_or_else(|| {
        if host.is_some_and(|h| is_base_host(h, sp)) {
            sp.base_scheme()
        } else {
            "http"
        }
    });
    format!(
        "{scheme}://{}{}",
        host.unwrap_or("(no Host header)"),
        uri.path()
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of the multipart field `name`: what follows the part's headers up to the next
/// boundary line. Enough to recognise and peek at a response; the ACS parses forms itself.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let at = find(body, format!("name=\"{name}\"").as_bytes())?;
    let start = at + find(&body[at..], b"\r\n\r\n")? + 4;
    let end = find(&body[start..], b"\r\n--").map_or(body.len(), |e| start + e);
    String::from_utf8(body[start..end].to_vec()).ok()
}

fn form_field(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// The `SAMLResponse` a request carries: in the query, or in a body read up to the ACS's cap
/// (`None` when it was larger), whatever the content type says, since IdPs and test tools do
/// not all send the right one.
pub fn carried_saml_response(parts: &Parts, body: Option<&[u8]>) -> Option<Carried> {
    if let Some(value) = parts
        .uri
        .query()
        .and_then(|q| form_field(q.as_bytes(), "SAMLResponse"))
    {
        return Some(Carried {
            place: Place::Query,
            value,
        });
    }
    let body = body?;
    if is_multipart(&parts.headers) {
        multipart_field(body, "SAMLResponse").map(|value| Carried {
            place: Place::Multipart,
            value,
        })
    } else {
        form_field(body, "SAMLResponse").map(|value| Carried {
            place: Place::Form,
            value,
        })
    }
}

impl Arrival {
    /// What arrived: `body` is the request body read up to the ACS's cap, `None` when larger.
    pub fn new(parts: &Parts, body: Option<&[u8]>, sp: &SpConfig) -> Arrival {
        let path = parts.uri.path().to_owned();
        let host = request_host(&parts.uri, &parts.headers)
            .filter(|h| is_base_host(h, sp))
            .unwrap_or(sp.base_host());
        let scheme = forwarded_proto(&parts.headers).unwrap_or(sp.base_scheme());
        Arrival {
            method: parts.method.clone(),
            url: received_url(sp, &parts.uri, &parts.headers),
            comparable: format!("{scheme}://{host}{path}"),
            path,
            saml_response: carried_saml_response(parts, body),
            hints: Hints::of(&parts.headers),
        }
    }
}

/// The SP's own settings that diagnoses mention.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub sp: &'a SpConfig,
    /// `--canonical-host`: requests for other hosts are redirected here.
    pub canonical_host: Option<&'a str>,
    /// `--redirect-http`: plain-http requests (per `X-Forwarded-Proto`) are redirected.
    pub redirect_http: bool,
}

impl<'a> Site<'a> {
    pub fn of(state: &'a AppState) -> Site<'a> {
        Site {
            sp: &state.sp,
            canonical_host: state.canonical_host.as_deref(),
            redirect_http: state.redirect_http,
        }
    }
}

/// What the router knew of the request's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// No route has this path: 404.
    None,
    /// A route has this path, but not for this method: 405 (axum adds `Allow`).
    OtherMethods,
    /// A route serves this path and method, but not a SAML response: 400.
    Served,
}

impl Route {
    fn status(self) -> StatusCode {
        match self {
            Route::None => StatusCode::NOT_FOUND,
            Route::OtherMethods => StatusCode::METHOD_NOT_ALLOWED,
            Route::Served => StatusCode::BAD_REQUEST,
        }
    }
}

/// The answer to a request that did not reach the ACS as the IdP's POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub status: StatusCode,
    pub code: DiagnosticCode,
    pub title: &'static str,
    /// What was observed, listed on the page before the explanation.
    pub facts: Vec<(&'static str, String)>,
    pub paragraphs: Vec<String>,
    /// Differences between the received URL and the ACS URL, when it was a near miss.
    pub differences: Vec<UrlDifference>,
}

impl Diagnosis {
    pub fn html(&self) -> String {
        let paragraphs: Vec<&str> = self.paragraphs.iter().map(String::as_str).collect();
        pages::diagnostic_with_facts(self.title, self.code.as_str(), &self.facts, &paragraphs)
    }

    fn respond(&self) -> Response {
        pages::respond(self.status, Some(self.code.as_str()), self.html())
    }
}

/// How a GET at the ACS came about, as far as the browser's hints tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GetCause {
    /// From another site with no click: the IdP's self-submitting form, redirected on the way.
    Redirect,
    /// From another site by a click: a link (the IdP's Sign-on URL) that opens the ACS.
    SignOnUrl,
    /// Typed or from a bookmark.
    Direct,
    /// No hints (not a browser, or an old one), or a link on this site: either cause.
    Unknown,
}

fn get_cause(hints: &Hints) -> GetCause {
    // Without Fetch Metadata a Referer alone cannot tell a click from a redirected form.
    match hints.sec_fetch_site.as_deref() {
        Some("none") => GetCause::Direct,
        Some("cross-site") if hints.user_activated => GetCause::SignOnUrl,
        // Navigations a page starts by itself (a form's `submit()` on load) carry no
        // `Sec-Fetch-User`, and a redirect keeps the chain's site and activation.
        Some("cross-site") => GetCause::Redirect,
        _ => GetCause::Unknown,
    }
}

/// How the SP itself redirects, for the pages that suspect a redirect.
fn own_redirects(site: Site<'_>) -> Option<String> {
    let mut what = Vec::new();
    if let Some(host) = site.canonical_host {
        what.push(format!("requests for other hosts to {host}"));
    }
    if site.redirect_http {
        what.push("plain http to https".to_owned());
    }
    (!what.is_empty()).then(|| {
        format!(
            "This SP itself redirects {} (with 301), and its log has a line for each SAMLResponse it redirected.",
            what.join(" and ")
        )
    })
}

/// The differences from the ACS URL when `arrival` almost reached it: by the public ACS URL
/// first, then by the SP's own route (what a proxy in front forwards to).
fn near_miss_of(arrival: &Arrival, sp: &SpConfig) -> Option<Vec<UrlDifference>> {
    let internal = format!("{}{ACS_PATH}", sp.base_url.trim_end_matches('/'));
    [sp.acs_url(), internal].into_iter().find_map(|acs| {
        near_miss::url_differences(&acs, &arrival.comparable).filter(|d| {
            let in_path = d.iter().any(|d| {
                matches!(
                    d,
                    UrlDifference::LetterCase(UrlPart::Path)
                        | UrlDifference::DoubleSlash
                        | UrlDifference::TrailingSlash { .. }
                )
            });
            let prefix = d
                .iter()
                .any(|d| matches!(d, UrlDifference::PathPrefix { .. }));
            in_path && !prefix
        })
    })
}

/// The diagnosis of `arrival`, which the router answered with `route`.
pub fn diagnose(arrival: &Arrival, site: Site<'_>, route: Route) -> Diagnosis {
    let sp = site.sp;
    let acs = sp.acs_url();
    let received = format!("{} {}", arrival.method, arrival.url);
    let at_acs = arrival.path == ACS_PATH && route != Route::None;
    if at_acs {
        return at_the_acs(arrival, site, received);
    }
    if route == Route::None {
        if let Some(differences) = near_miss_of(arrival, sp) {
            let described = near_miss::describe(&differences);
            return Diagnosis {
                status: StatusCode::NOT_FOUND,
                code: DiagnosticCode::AcsPathNearMiss,
                title: "Not the ACS",
                facts: vec![
                    ("Received", received),
                    ("The ACS URL", acs.clone()),
                    ("Differs by", described.clone()),
                ],
                paragraphs: vec![format!(
                    "This URL differs from the ACS URL only by {described}. The IdP's Reply URL (or Single Sign-On URL) must be exactly {acs}. If your IdP does not ask for a Reply URL, leave it blank."
                )],
                differences,
            };
        }
    }
    match &arrival.saml_response {
        Some(carried) => misdirected(arrival, site, route, received, carried.place),
        None if route == Route::OtherMethods => Diagnosis {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: DiagnosticCode::MethodNotAllowed,
            title: "Method not allowed",
            facts: vec![("Received", received)],
            paragraphs: vec![format!(
                "This URL does not take {}; the Allow header lists the methods it does.",
                arrival.method
            )],
            differences: Vec::new(),
        },
        None => Diagnosis {
            status: StatusCode::NOT_FOUND,
            code: DiagnosticCode::NotFound,
            title: "Not found",
            facts: Vec::new(),
            paragraphs: vec!["There is no page here.".to_owned()],
            differences: Vec::new(),
        },
    }
}

/// The explanation for a response that came in the URL rather than in a POSTed form.
fn in_the_url(acs: &str) -> String {
    format!(
        "The SAML response came in the URL (the HTTP-Redirect binding), but SAML responses must be POSTed (the HTTP-POST binding): choose HTTP POST as the binding in the IdP, with {acs} as its URL."
    )
}

/// A request at the ACS's own path with a method other than POST.
fn at_the_acs(arrival: &Arrival, site: Site<'_>, received: String) -> Diagnosis {
    let sp = site.sp;
    let acs = sp.acs_url();
    let login = sp.login_url();
    if arrival.method != Method::GET {
        return Diagnosis {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: DiagnosticCode::AcsMethodNotAllowed,
            title: "The ACS takes only POST",
            facts: vec![("Received", received), ("The ACS URL", acs.clone())],
            paragraphs: vec![format!(
                "The ACS, {acs}, takes only the SAML response an IdP POSTs (the HTTP-POST binding); it does not answer {}.",
                arrival.method
            )],
            differences: Vec::new(),
        };
    }
    let mut facts = vec![
        ("Received", received),
        ("The ACS URL (POST only)", acs.clone()),
    ];
    if let Some(referer) = &arrival.hints.referer {
        facts.push(("Came from", referer.clone()));
    }
    let mut paragraphs = Vec::new();
    if arrival.saml_response.is_some() {
        paragraphs.push(in_the_url(&acs));
    } else {
        match get_cause(&arrival.hints) {
            GetCause::Redirect => paragraphs.push(format!(
                "Likely cause: a redirect. The browser came from another site without a click, the way an IdP's self-submitting form posts its response, yet arrived with GET: a 301 or 302 redirect on the way (http:// to https://, or the bare domain to www.) turned the POST into a GET and dropped the SAML response. Register exactly {acs} in the IdP (Reply URL / Single Sign-On URL), so that no redirect is needed."
            )),
            GetCause::SignOnUrl => paragraphs.push(format!(
                "Likely cause: the IdP's Sign-on URL. A click on another site opened the ACS directly, as a portal tile does when the IdP's Sign-on URL (or 'application URL') is set to the ACS URL. The ACS only takes the response an IdP POSTs after a login: leave the Sign-on URL blank, or set it to the login page, {login}."
            )),
            GetCause::Direct => paragraphs.push(format!(
                "The ACS was opened directly (a bookmark or a typed URL); it only takes the response an IdP POSTs after a login. Log in from the IdP's portal, or at {login}."
            )),
            GetCause::Unknown => {
                paragraphs.push(format!(
                    "The browser arrived at the ACS with GET, but SAML responses are POSTed here by the IdP. Usually the IdP's Sign-on URL (or a bookmark, or the IdP's 'application URL') is set to the ACS URL: leave the Sign-on URL blank, or set it to the login page, {login}."
                ));
                paragraphs.push(format!(
                    "If a redirect sent you here (http:// to https://, or the bare domain to www.), the POST was turned into a GET on the way and the SAML response was dropped: register exactly {acs} in the IdP, so that no redirect is needed."
                ));
            }
        }
        paragraphs.extend(own_redirects(site));
    }
    Diagnosis {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: DiagnosticCode::AcsGet,
        title: "The ACS takes only POST",
        facts,
        paragraphs,
        differences: Vec::new(),
    }
}

/// A SAML response at a URL that is not the ACS.
fn misdirected(
    arrival: &Arrival,
    site: Site<'_>,
    route: Route,
    received: String,
    place: Place,
) -> Diagnosis {
    let sp = site.sp;
    let acs = sp.acs_url();
    let mut facts = vec![
        ("Received", received),
        ("The SAMLResponse was", place.describe().to_owned()),
        ("Send it to (with POST)", acs.clone()),
    ];
    let differences = near_miss::url_differences(&acs, &arrival.comparable).unwrap_or_default();
    if !differences.is_empty() {
        facts.push(("Differs by", near_miss::describe(&differences)));
    }
    let mut paragraphs = Vec::new();
    let page = match arrival.path.as_str() {
        "/" => Some("the home page"),
        "/login" => Some("the login page"),
        _ => None,
    };
    paragraphs.push(match page {
        Some(page) => format!(
            "The IdP sent a SAML response to {page}, which does not take one: this SP takes SAML responses only at its Assertion Consumer Service (ACS), {acs}, with POST. Nothing was stored and nobody was signed in."
        ),
        None => format!(
            "The IdP sent a SAML response here, but this SP takes SAML responses only at its Assertion Consumer Service (ACS), {acs}, with POST. Nothing was stored and nobody was signed in."
        ),
    });
    paragraphs.push(format!(
        "Usual cause: a stale or default Reply URL in the IdP, kept from an app template or another SP (such as /saml/consume, /sso/saml, / or /login). Set the IdP's Reply URL (Assertion Consumer Service URL, Single Sign-On URL) to exactly {acs}."
    ));
    if place == Place::Query {
        paragraphs.push(in_the_url(&acs));
    }
    if sp.acs_path != ACS_PATH {
        paragraphs.push(format!(
            "This SP serves its ACS at {ACS_PATH} behind a proxy that publishes it as {acs}: if the IdP already posts to {acs}, the proxy did not forward it to {ACS_PATH}."
        ));
    }
    Diagnosis {
        status: route.status(),
        code: DiagnosticCode::SamlResponseMisdirected,
        title: "A SAML response arrived at the wrong URL",
        facts,
        paragraphs,
        differences,
    }
}

/// Who sent a response, as its Issuer claims (never trusted: for the log only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub issuer: String,
    /// The team whose SSO names this issuer, if any.
    pub team: Option<String>,
}

/// The Issuer of a response, and the team it names, under the ACS's caps; `None` when the
/// value does not decode or parse as a response, or when the CPU pool is too busy to look.
/// Parsing runs on the ACS's bounded pool, so misdirected posts cost no more than posts to the ACS.
pub async fn peek_sender(state: &AppState, value: String) -> Option<Sender> {
    let sp = state.sp.clone();
    let issuer = state
        .cpu
        .run(move || {
            let xml = validate::decode(&value, &sp).ok()?;
            let doc = validate::parse(&xml, &sp).ok()?;
            validate::issuer_of(&doc, &sp).ok()
        })
        .await
        .ok()
        .flatten()?;
    let team = match state.store.sso_by_issuer(&issuer).await {
        Ok(found) => found.map(|(team, _)| team.slug),
        Err(e) => {
            tracing::error!("team lookup for a misdirected response failed: {e}");
            None
        }
    };
    Some(Sender { issuer, team })
}

/// Reads the body up to the ACS's cap: `None` when it is larger (or broke off).
async fn read_body(body: Body, sp: &SpConfig) -> Option<Bytes> {
    axum::body::to_bytes(body, sp.form_body_cap()).await.ok()
}

/// Logs a diagnosis: a warning for what a misconfigured IdP or redirect causes, naming the
/// team when the response's Issuer can be peeked; a debug line for the rest (probes, HEAD).
async fn log(state: &AppState, arrival: &Arrival, diagnosis: &Diagnosis) {
    let code = diagnosis.code.as_str();
    let acs = state.sp.acs_url();
    let quiet = matches!(arrival.method, Method::HEAD | Method::OPTIONS)
        || matches!(
            diagnosis.code,
            DiagnosticCode::NotFound | DiagnosticCode::MethodNotAllowed
        );
    if quiet {
        tracing::debug!(code, method = %arrival.method, received = %arrival.url, "not the ACS");
        return;
    }
    let sender = match &arrival.saml_response {
        Some(carried) => peek_sender(state, carried.value.clone()).await,
        None => None,
    };
    let team = sender
        .as_ref()
        .and_then(|s| s.team.as_deref())
        .unwrap_or("-");
    let issuer = sender.as_ref().map_or("-", |s| s.issuer.as_str());
    let differences = near_miss::describe(&diagnosis.differences);
    let hints = &arrival.hints;
    tracing::warn!(
        code,
        team,
        issuer = ?issuer,
        method = %arrival.method,
        received = %arrival.url,
        acs = %acs,
        differences = %differences,
        // The browser's hints, only when it sent them (a `None` field is left out).
        sec_fetch_site = hints.sec_fetch_site.as_deref(),
        user_activated = hints.user_activated.then_some(true),
        referer = hints.referer.as_deref(),
        "{}",
        match diagnosis.code {
            DiagnosticCode::SamlResponseMisdirected =>
                format!("a SAML response arrived at {}, not at the ACS {acs}: the IdP's Reply URL is wrong", arrival.url),
            DiagnosticCode::AcsGet => format!(
                "a GET arrived at the ACS {acs}: the IdP's Sign-on URL, a bookmark, or a redirect that turned the POST into a GET"
            ),
            _ => format!("{} {} is not the ACS {acs}", arrival.method, arrival.url),
        }
    );
}

async fn answer(state: &AppState, request: Request, route: Route) -> Response {
    let (parts, body) = request.into_parts();
    let body = read_body(body, &state.sp).await;
    let arrival = Arrival::new(&parts, body.as_deref(), &state.sp);
    let diagnosis = diagnose(&arrival, Site::of(state), route);
    log(state, &arrival, &diagnosis).await;
    diagnosis.respond()
}

/// The router's fallback: no route has this path.
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    answer(&state, request, Route::None).await
}

/// Every route's answer to a method it does not take (axum adds the `Allow` header); at the
/// ACS, this is where GET, HEAD, PUT, PATCH, DELETE and OPTIONS land.
pub async fn method_not_allowed(State(state): State<AppState>, request: Request) -> Response {
    answer(&state, request, Route::OtherMethods).await
}

/// Whether a request may carry a `SAMLResponse`, before reading its body: in the query, or in
/// a body of a form-like type (the admin API's JSON is left alone).
fn may_carry(parts: &Parts) -> bool {
    let in_query = parts
        .uri
        .query()
        .is_some_and(|q| q.contains("SAMLResponse"));
    let formlike = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            let ct = ct.trim_start().to_ascii_lowercase();
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data",
                "text/plain",
            ]
            .iter()
            .any(|t| ct.starts_with(t))
        });
    in_query || formlike
}

/// Route middleware: a SAML response sent to a route that serves the method (GET `/login`
/// with one in the query, a form posted to `/logout`) is answered with the diagnosis instead
/// of the route's page, which would drop it without a word. The ACS passes untouched.
pub async fn saml_response_elsewhere(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Route middleware runs on matched routes only, and the ACS route matches its path exactly.
    let at_acs = request.uri().path() == ACS_PATH;
    let (parts, body) = request.into_parts();
    if at_acs || !may_carry(&parts) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let Some(bytes) = read_body(body, &state.sp).await else {
        let cap = state.sp.form_body_cap();
        return pages::diagnostic_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            DiagnosticCode::TooLarge.as_str(),
            &format!("This page takes no form larger than {cap} bytes."),
        );
    };
    let arrival = Arrival::new(&parts, Some(&bytes), &state.sp);
    if arrival.saml_response.is_none() {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    let diagnosis = diagnose(&arrival, Site::of(&state), Route::Served);
    log(&state, &arrival, &diagnosis).await;
    diagnosis.respond()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(method: Method, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Arrival {
        let mut builder = axum::http::Request::builder().method(method).uri(target);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let (parts, ()) = builder.body(()).expect("a request").into_parts();
        Arrival::new(&parts, Some(body), &SpConfig::qualified())
    }

    fn site(sp: &SpConfig) -> Site<'_> {
        Site {
            sp,
            canonical_host: None,
            redirect_http: false,
        }
    }

    fn code_of(
        method: Method,
        target: &str,
        body: &[u8],
        route: Route,
    ) -> (StatusCode, &'static str) {
        let sp = SpConfig::qualified();
        let d = diagnose(
            &arrival(method, target, &[("host", "www.qualified.io")], body),
            site(&sp),
            route,
        );
        (d.status, d.code.as_str())
    }

    #[test]
    fn near_misses_of_the_acs_path_are_named_for_every_method() {
        for method in [
            Method::POST,
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::OPTIONS,
        ] {
            for path in [
                "/api/saml/consume/",
                "//api/saml/consume",
                "/api//saml/consume",
                "/API/SAML/Consume",
                "/API/saml/consume/",
            ] {
                assert_eq!(
                    code_of(method.clone(), path, b"", Route::None),
                    (StatusCode::NOT_FOUND, "acs_path_near_miss"),
                    "{method} {path}"
                );
            }
        }
        // Positive control: elsewhere is plainly not found.
        assert_eq!(
            code_of(Method::POST, "/api/saml/other", b"", Route::None),
            (StatusCode::NOT_FOUND, "not_found")
        );
    }

    #[test]
    fn combined_differences_are_each_named() {
        let sp = SpConfig::qualified();
        let d = diagnose(
            &arrival(
                Method::POST,
                "/API/saml/consume/",
                &[("host", "qualified.io")],
                b"",
            ),
            site(&sp),
            Route::None,
        );
        assert_eq!(
            near_miss::describe(&d.differences),
            "the host (www. or not): qualified.io instead of www.qualified.io, letter case in the path and a trailing slash"
        );
    }

    #[test]
    fn the_acs_answers_each_method_but_post_with_its_own_code() {
        assert_eq!(
            code_of(Method::GET, ACS_PATH, b"", Route::OtherMethods),
            (StatusCode::METHOD_NOT_ALLOWED, "acs_get")
        );
        for method in [
            Method::HEAD,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ] {
            // HEAD was once taken for a letter-case near miss.
            assert_eq!(
                code_of(method.clone(), ACS_PATH, b"", Route::OtherMethods),
                (StatusCode::METHOD_NOT_ALLOWED, "acs_method_not_allowed"),
                "{method}"
            );
        }
    }

    #[test]
    fn a_saml_response_elsewhere_keeps_the_routes_status() {
        let form = b"SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D&RelayState=x";
        for (method, path, route, status) in [
            (
                Method::POST,
                "/saml/consume",
                Route::None,
                StatusCode::NOT_FOUND,
            ),
            (
                Method::POST,
                "/sso/saml",
                Route::None,
                StatusCode::NOT_FOUND,
            ),
            (
                Method::POST,
                "/",
                Route::OtherMethods,
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (
                Method::POST,
                "/login",
                Route::OtherMethods,
                StatusCode::METHOD_NOT_ALLOWED,
            ),
            (
                Method::POST,
                "/logout",
                Route::Served,
                StatusCode::BAD_REQUEST,
            ),
        ] {
            assert_eq!(
                code_of(method.clone(), path, form, route),
                (status, "saml_response_misdirected"),
                "{method} {path}"
            );
            // Positive control: the same request without the field.
            assert_ne!(
                code_of(method.clone(), path, b"RelayState=x", route).1,
                "saml_response_misdirected"
            );
        }
        assert_eq!(
            code_of(Method::GET, "/login?SAMLResponse=abc", b"", Route::Served),
            (StatusCode::BAD_REQUEST, "saml_response_misdirected")
        );
    }

    #[test]
    fn finds_the_field_in_a_multipart_body() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"RelayState\"\r\n\r\nx\r\n--b\r\nContent-Disposition: form-data; name=\"SAMLResponse\"\r\n\r\nPHg+\r\n--b--\r\n";
        let a = arrival(
            Method::POST,
            "/saml/consume",
            &[("content-type", "multipart/form-data; boundary=b")],
            body,
        );
        assert_eq!(
            a.saml_response,
            Some(Carried {
                place: Place::Multipart,
                value: "PHg+".to_owned()
            })
        );
    }

    #[test]
    fn a_get_at_the_acs_reads_by_what_the_browser_tells() {
        let sp = SpConfig::qualified();
        let text = |headers: &[(&str, &str)]| {
            diagnose(
                &arrival(Method::GET, ACS_PATH, headers, b""),
                site(&sp),
                Route::OtherMethods,
            )
            .paragraphs
            .join(" ")
        };
        let redirected = text(&[
            ("sec-fetch-site", "cross-site"),
            ("referer", "https://corp.okta.com/"),
        ]);
        let clicked = text(&[
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-user", "?1"),
            ("referer", "https://corp.okta.com/"),
        ]);
        let typed = text(&[("sec-fetch-site", "none"), ("sec-fetch-user", "?1")]);
        let unknown = text(&[]);
        assert!(
            redirected.starts_with("Likely cause: a redirect."),
            "{redirected}"
        );
        assert!(
            clicked.starts_with("Likely cause: the IdP's Sign-on URL."),
            "{clicked}"
        );
        assert!(typed.starts_with("The ACS was opened directly"), "{typed}");
        assert!(unknown.contains("If a redirect sent you here"), "{unknown}");
        for t in [&redirected, &unknown] {
            assert!(
                t.contains("egister exactly https://www.qualified.io/api/saml/consume in the IdP"),
                "{t}"
            );
        }
    }

    #[test]
    fn pages_name_the_public_acs_url() {
        let mut sp = SpConfig::qualified();
        sp.acs_path = "/session/sso/saml/acs".to_owned();
        for (method, target, route) in [
            (Method::GET, ACS_PATH, Route::OtherMethods),
            (Method::POST, "/api/saml/consume/", Route::None),
            (Method::POST, "/saml/consume", Route::None),
        ] {
            let a = arrival(method, target, &[], b"SAMLResponse=x");
            let page = diagnose(&a, site(&sp), route).html();
            assert!(
                page.contains("https://www.qualified.io/session/sso/saml/acs"),
                "{target}: {page}"
            );
        }
    }
}
