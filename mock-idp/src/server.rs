//! The IdP over HTTP: metadata that can rotate keys or fail, the SSO endpoint for SP-initiated
//! logins, IdP-initiated launch, and a login page where a person picks a user, a preset and a
//! fault. `router(state)` for tests, `serve(listener, state, shutdown)` for the binary (STYLE
//! practice 9).
//!
//! Routes:
//! - `GET /metadata` — the metadata of the server's preset (`--preset`): its entity ID, the
//!   published signing certificates, SSO at `{base}/sso`. `GET /metadata/{preset}` — the same
//!   for any preset's entity ID, SSO at `{base}/sso/{preset}`. Both follow the control state
//!   below (published keys, outages).
//! - `GET /sso[/{preset}]` (HTTP-Redirect) and `POST /sso[/{preset}]` (HTTP-POST): an
//!   AuthnRequest in `SAMLRequest` (+ `RelayState`). It is decoded and shown on the login page;
//!   its ID becomes the response's InResponseTo; its AssertionConsumerServiceURL is used only
//!   when it is one of the registered ACS URLs (`--acs`), otherwise an error page names the
//!   requested and registered URLs (as Entra ID's AADSTS50011 does). An Issuer other than the
//!   registered SP entity ID gets an error page too (Entra's AADSTS700016). A malformed request
//!   gets a page saying what is wrong with it.
//! - `GET /` and `GET /login` — the login page: user (email, first and last name), preset,
//!   fault, ACS, optional Reply URL and RelayState. `POST /login` — the response it leads to,
//!   shown as XML, with a Continue button to `POST /autopost`, which answers the
//!   auto-submitting form that posts `SAMLResponse` (+ `RelayState`) to the Reply URL (or GETs
//!   it, when the spec's method is GET).
//! - `GET /launch?preset=&fault=&user=&first_name=&last_name=&acs=&reply_url=&relay_state=` —
//!   IdP-initiated login straight to the auto-submitting form (every parameter optional).
//! - `GET|POST /redirect/{301|302|303|307|308}?to=URL` — that redirect to `URL`: the http:// or
//!   apex site in front of a Reply URL. The auto-submitting form of a fault that passes through
//!   a redirect (`reply-url-redirect-301`) posts here first.
//! - Control, for tests and demos (`GET` or `POST`; answers the new state as text):
//!   `/control` (show), `/control/rotate` (publish and sign with the next key),
//!   `/control/publish-both` (publish current and next; the signer is unchanged),
//!   `/control/revert` (current key, no outage), `/control/publish/{current|both|next}`,
//!   `/control/sign/{current|next}`, `/control/outage/{ok|down|slow|invalid|html}` with
//!   `?seconds=N` for `slow` (default 5, at most 300). Outages affect metadata only: `down`
//!   answers 503, `slow` waits N seconds first, `invalid` serves truncated XML, `html` serves a
//!   sign-in page with status 200 (a metadata URL behind a login wall).
//!
//! There is no authentication on any route: this is a test IdP that signs whatever it is
//! asked to with published test keys, meant for loopback. Do not expose it.

pub mod html;
pub mod shape;

use crate::authn_request::{self, AuthnRequest, AuthnRequestError};
use crate::build::BuildError;
use crate::faults::{self, FAULTS, Fault};
use crate::keys::{KeyError, KeyRole};
use crate::metadata::{self, Published};
use crate::names::UnknownName;
use crate::post::Redirect;
use crate::presets::{self, PRESETS, Preset};
use crate::spec::{DEFAULT_SP_ENTITY_ID, LOCAL_ACS_URL};
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use html::esc;
use serde::Deserialize;
use shape::Prepared;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use time::OffsetDateTime;

/// Every request but metadata must finish within this.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest simulated slow metadata.
pub const MAX_SLOW_SECONDS: u64 = 300;

/// What the server is configured with at start.
#[derive(Clone)]
pub struct Config {
    /// The preset whose issuer is this IdP's entity ID (`/metadata`) and whose shape the login
    /// page preselects.
    pub preset: &'static Preset,
    /// The IdP's public base URL, without a trailing slash: SSO is `{base_url}/sso`.
    pub base_url: String,
    /// The SP's registered ACS URLs (the IdP's "Reply URLs"); the first is the default.
    pub acs_urls: Vec<String>,
    /// The SP's entity ID: the Audience, and the Issuer AuthnRequests must carry.
    pub sp_entity_id: String,
    /// A fixed clock (`--now`); None: the real time.
    pub now: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("preset", &self.preset.name)
            .field("base_url", &self.base_url)
            .field("acs_urls", &self.acs_urls)
            .field("sp_entity_id", &self.sp_entity_id)
            .field("now", &self.now)
            .finish()
    }
}

impl Config {
    /// The defaults of `mock-idp serve`: an SP on this machine (never the production site: a
    /// person pressing Continue must not post a test response to it), the real clock.
    pub fn new(preset: &'static Preset) -> Config {
        Config {
            preset,
            base_url: "http://127.0.0.1:8081".to_owned(),
            acs_urls: vec![LOCAL_ACS_URL.to_owned()],
            sp_entity_id: DEFAULT_SP_ENTITY_ID.to_owned(),
            now: None,
        }
    }
}

/// A simulated metadata outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    Ok,
    /// 503 Service Unavailable.
    Down,
    /// The document, after a wait.
    Slow {
        seconds: u64,
    },
    /// A truncated document: not well-formed XML.
    Invalid,
    /// A sign-in page with status 200, as a metadata URL behind a login wall answers.
    Html,
}

impl Outage {
    pub fn name(self) -> String {
        match self {
            Outage::Ok => "ok".to_owned(),
            Outage::Down => "down".to_owned(),
            Outage::Slow { seconds } => format!("slow({seconds}s)"),
            Outage::Invalid => "invalid".to_owned(),
            Outage::Html => "html".to_owned(),
        }
    }
}

/// The state a test or a demo changes at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// Which certificates metadata publishes.
    pub published: Published,
    /// Which key signs responses (unless a fault picks another).
    pub signer: KeyRole,
    pub outage: Outage,
}

impl Default for Control {
    fn default() -> Self {
        Control {
            published: Published::Current,
            signer: KeyRole::Current,
            outage: Outage::Ok,
        }
    }
}

impl std::fmt::Display for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "published={} signer={} outage={}",
            self.published.name(),
            self.signer.name(),
            self.outage.name()
        )
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    control: Mutex<Control>,
    /// Responses issued so far, to give each its own IDs: an SP's replay cache would refuse a
    /// second response with the IDs of the first.
    issued: AtomicU64,
    /// Added to `issued`, so that IDs differ across restarts too (0 with a fixed clock, to keep
    /// runs reproducible).
    id_base: u64,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        let id_base = match config.now {
            Some(_) => 0,
            None => u64::try_from(OffsetDateTime::now_utc().unix_timestamp())
                .unwrap_or(0)
                .saturating_mul(1000),
        };
        AppState {
            inner: Arc::new(Inner {
                config,
                control: Mutex::new(Control::default()),
                issued: AtomicU64::new(0),
                id_base,
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The current control state.
    pub fn control(&self) -> Control {
        *self.lock()
    }

    /// Changes the control state, returning the new one.
    pub fn update(&self, change: impl FnOnce(&mut Control)) -> Control {
        let mut control = self.lock();
        change(&mut control);
        *control
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Control> {
        // A panic while holding the lock cannot leave a Control half-written (it is Copy and
        // assigned whole), so a poisoned lock is still good.
        self.inner
            .control
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> OffsetDateTime {
        self.inner
            .config
            .now
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    fn next_number(&self) -> u64 {
        self.inner.id_base + self.inner.issued.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn sso_url(&self, preset: Option<&Preset>) -> String {
        let base = &self.inner.config.base_url;
        match preset {
            Some(p) => format!("{base}/sso/{}", p.name),
            None => format!("{base}/sso"),
        }
    }
}

/// Why a request failed; each variant is a page with its code, what is wrong and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error(transparent)]
    AuthnRequest(#[from] AuthnRequestError),
    #[error("the AuthnRequest has no Issuer, so the IdP cannot tell which application is asking")]
    RequestIssuerMissing,
    #[error(
        "the AuthnRequest's Issuer {got:?} is not the registered application {registered:?} (compare Entra ID's AADSTS700016)"
    )]
    RequestIssuerUnknown { got: String, registered: String },
    #[error(
        "the reply URL in the request, {requested:?}, does not match the reply URLs registered for the application: {} (compare Entra ID's AADSTS50011)",
        .registered.join(", ")
    )]
    AcsNotRegistered {
        requested: String,
        registered: Vec<String>,
    },
    #[error(transparent)]
    UnknownName(#[from] UnknownName),
    #[error("{field} {value:?} is not an absolute http(s) URL ({reason})")]
    BadUrl {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("building the response failed: {0}")]
    Build(#[from] BuildError),
    #[error("rendering metadata failed: {0}")]
    Metadata(#[from] KeyError),
    #[error("unknown {what} {got:?}; choose one of: {}", .choices.join(", "))]
    UnknownControl {
        what: &'static str,
        got: String,
        choices: &'static [&'static str],
    },
}

impl ServerError {
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::AuthnRequest(e) => e.code(),
            ServerError::RequestIssuerMissing => "request_issuer_missing",
            ServerError::RequestIssuerUnknown { .. } => "request_issuer_unknown",
            ServerError::AcsNotRegistered { .. } => "acs_not_registered",
            ServerError::UnknownName(e) if e.what == "fault" => "unknown_fault",
            ServerError::UnknownName(_) => "unknown_preset",
            ServerError::BadUrl { .. } => "bad_url",
            ServerError::Build(_) => "build_failed",
            ServerError::Metadata(_) => "metadata_failed",
            ServerError::UnknownControl { .. } => "unknown_control",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ServerError::Build(_) | ServerError::Metadata(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ServerError::UnknownControl { .. } => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn fix(&self) -> String {
        match self {
            ServerError::AuthnRequest(_) => {
                "correct how the SP encodes its AuthnRequest (the message above says how); for an IdP-initiated login open /login instead".to_owned()
            }
            ServerError::RequestIssuerMissing => {
                "have the SP put its entity ID in <saml:Issuer> (SAML core §3.2.1; Entra ID requires it)".to_owned()
            }
            ServerError::RequestIssuerUnknown { registered, .. } => format!(
                "make the SP's entity ID {registered:?}, or start mock-idp with --sp-entity-id set to the SP's entity ID"
            ),
            ServerError::AcsNotRegistered { requested, .. } => format!(
                "register {requested} at the IdP (mock-idp serve --acs {requested}), or make the SP request one of the registered URLs — character for character: scheme, host, case and trailing slash"
            ),
            ServerError::UnknownName(_) => "pick one of the listed names".to_owned(),
            ServerError::BadUrl { .. } => {
                format!("give a full URL such as {LOCAL_ACS_URL}")
            }
            ServerError::Build(_) | ServerError::Metadata(_) => {
                "check that the fixture keys are readable (SSOLAB_FIXTURES points at the fixtures folder)".to_owned()
            }
            ServerError::UnknownControl { .. } => "use one of the listed values".to_owned(),
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), "{self}");
        } else {
            tracing::info!(code = self.code(), "{self}");
        }
        let title = match self {
            ServerError::AuthnRequest(_) => "The AuthnRequest cannot be read",
            ServerError::AcsNotRegistered { .. } => "Reply URL mismatch",
            ServerError::RequestIssuerMissing | ServerError::RequestIssuerUnknown { .. } => {
                "Unknown application"
            }
            _ => "Request failed",
        };
        let body = html::error_body(self.code(), &self.to_string(), &self.fix());
        (status, Html(html::page(title, &body))).into_response()
    }
}

/// Every route of the IdP.
pub fn router(state: AppState) -> Router {
    // Metadata may be told to be slow, so it gets a longer bound than the rest.
    let metadata_routes = Router::new()
        .route("/metadata", get(metadata_default))
        .route("/metadata/{preset}", get(metadata_of_preset))
        .layer(middleware::from_fn(metadata_timeout));
    let rest = Router::new()
        .route("/", get(login_page))
        .route("/login", get(login_page).post(preview))
        .route("/sso", get(sso_redirect).post(sso_post))
        .route(
            "/sso/{preset}",
            get(sso_redirect_preset).post(sso_post_preset),
        )
        .route("/launch", get(launch))
        .route("/redirect/{status}", get(redirect).post(redirect))
        .route("/autopost", post(autopost))
        .route("/control", get(control_show).post(control_show))
        .route("/control/rotate", get(control_rotate).post(control_rotate))
        .route(
            "/control/publish-both",
            get(control_publish_both).post(control_publish_both),
        )
        .route("/control/revert", get(control_revert).post(control_revert))
        .route(
            "/control/publish/{which}",
            get(control_publish).post(control_publish),
        )
        .route(
            "/control/sign/{which}",
            get(control_sign).post(control_sign),
        )
        .route(
            "/control/outage/{mode}",
            get(control_outage).post(control_outage),
        )
        .layer(middleware::from_fn(request_timeout));
    metadata_routes.merge(rest).with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn within(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            "mock-idp: the request took too long\n",
        )
            .into_response(),
    }
}

async fn request_timeout(request: Request, next: Next) -> Response {
    within(REQUEST_TIMEOUT, request, next).await
}

async fn metadata_timeout(request: Request, next: Next) -> Response {
    within(
        Duration::from_secs(MAX_SLOW_SECONDS) + REQUEST_TIMEOUT,
        request,
        next,
    )
    .await
}

// ---- metadata ----

async fn metadata_default(State(state): State<AppState>) -> Response {
    let preset = state.config().preset;
    metadata_response(&state, preset, state.sso_url(None)).await
}

async fn metadata_of_preset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match presets::by_name(&name) {
        Ok(preset) => metadata_response(&state, preset, state.sso_url(Some(preset))).await,
        Err(e) => ServerError::from(e).into_response(),
    }
}

async fn metadata_response(state: &AppState, preset: &Preset, sso_url: String) -> Response {
    let control = state.control();
    match control.outage {
        Outage::Down => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
                "mock-idp: metadata outage (simulated; /control/outage/ok ends it)\n",
            )
                .into_response();
        }
        Outage::Html => {
            return Html(html::page(
                "Sign in",
                "<form method=\"post\" action=\"/login\"><label>Username<input type=\"text\" name=\"u\"></label><button>Sign in</button></form>",
            ))
            .into_response();
        }
        Outage::Slow { seconds } => tokio::time::sleep(Duration::from_secs(seconds)).await,
        Outage::Ok | Outage::Invalid => {}
    }
    // The metadata's key type follows what the preset signs with.
    let key_type = preset.spec().signing.key_type;
    let xml = match metadata::render(preset.issuer, &sso_url, control.published, key_type) {
        Ok(xml) => xml,
        Err(e) => return ServerError::from(e).into_response(),
    };
    let xml = if control.outage == Outage::Invalid {
        // Cut mid-document, as a dropped connection or a full disk leaves it.
        truncate(&xml, xml.len() / 2)
    } else {
        xml
    };
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        xml,
    )
        .into_response()
}

fn truncate(text: &str, at: usize) -> String {
    let mut end = at.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

// ---- control ----

fn control_answer(control: Control) -> Response {
    tracing::info!("control: {control}");
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{control}\n"),
    )
        .into_response()
}

async fn control_show(State(state): State<AppState>) -> Response {
    control_answer(state.control())
}

async fn control_rotate(State(state): State<AppState>) -> Response {
    control_answer(state.update(|c| {
        c.published = Published::Next;
        c.signer = KeyRole::Next;
    }))
}

async fn control_publish_both(State(state): State<AppState>) -> Response {
    control_answer(state.update(|c| c.published = Published::Both))
}

async fn control_revert(State(state): State<AppState>) -> Response {
    control_answer(state.update(|c| *c = Control::default()))
}

async fn control_publish(State(state): State<AppState>, Path(which): Path<String>) -> Response {
    let published = match which.as_str() {
        "current" => Published::Current,
        "both" => Published::Both,
        "next" => Published::Next,
        _ => {
            return ServerError::UnknownControl {
                what: "publish state",
                got: which,
                choices: &["current", "both", "next"],
            }
            .into_response();
        }
    };
    control_answer(state.update(|c| c.published = published))
}

async fn control_sign(State(state): State<AppState>, Path(which): Path<String>) -> Response {
    let signer = match which.as_str() {
        "current" => KeyRole::Current,
        "next" => KeyRole::Next,
        _ => {
            return ServerError::UnknownControl {
                what: "signing key",
                got: which,
                choices: &["current", "next"],
            }
            .into_response();
        }
    };
    control_answer(state.update(|c| c.signer = signer))
}

#[derive(Debug, Deserialize)]
struct OutageQuery {
    seconds: Option<u64>,
}

async fn control_outage(
    State(state): State<AppState>,
    Path(mode): Path<String>,
    Query(query): Query<OutageQuery>,
) -> Response {
    let outage = match mode.as_str() {
        "ok" => Outage::Ok,
        "down" => Outage::Down,
        "slow" => Outage::Slow {
            seconds: query.seconds.unwrap_or(5).min(MAX_SLOW_SECONDS),
        },
        "invalid" => Outage::Invalid,
        "html" => Outage::Html,
        _ => {
            return ServerError::UnknownControl {
                what: "outage mode",
                got: mode,
                choices: &["ok", "down", "slow", "invalid", "html"],
            }
            .into_response();
        }
    };
    control_answer(state.update(|c| c.outage = outage))
}

// ---- SSO ----

#[derive(Debug, Default, Deserialize)]
struct SamlRequestParams {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn sso_redirect(
    State(state): State<AppState>,
    Query(params): Query<SamlRequestParams>,
) -> Response {
    sso(&state, None, params, authn_request::decode_redirect)
}

async fn sso_post(
    State(state): State<AppState>,
    Form(params): Form<SamlRequestParams>,
) -> Response {
    sso(&state, None, params, authn_request::decode_post)
}

async fn sso_redirect_preset(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<SamlRequestParams>,
) -> Response {
    match presets::by_name(&name) {
        Ok(preset) => sso(&state, Some(preset), params, authn_request::decode_redirect),
        Err(e) => ServerError::from(e).into_response(),
    }
}

async fn sso_post_preset(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Form(params): Form<SamlRequestParams>,
) -> Response {
    match presets::by_name(&name) {
        Ok(preset) => sso(&state, Some(preset), params, authn_request::decode_post),
        Err(e) => ServerError::from(e).into_response(),
    }
}

fn sso(
    state: &AppState,
    preset: Option<&'static Preset>,
    params: SamlRequestParams,
    decode: fn(&str) -> Result<AuthnRequest, AuthnRequestError>,
) -> Response {
    match accept_request(state, params.saml_request.as_deref(), decode) {
        Ok((request, acs)) => {
            tracing::info!(
                id = request.id,
                binding = request.binding.name(),
                "AuthnRequest accepted"
            );
            let defaults = LoginDefaults {
                preset: preset.unwrap_or(state.config().preset),
                acs,
                relay_state: params.relay_state,
                request: Some(request),
                sso_url: state.sso_url(preset),
            };
            Html(login_html(state, &defaults)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Decodes the request and picks the ACS it will be answered at.
fn accept_request(
    state: &AppState,
    value: Option<&str>,
    decode: fn(&str) -> Result<AuthnRequest, AuthnRequestError>,
) -> Result<(AuthnRequest, String), ServerError> {
    let request = decode(value.unwrap_or(""))?;
    let config = state.config();
    match &request.issuer {
        None => return Err(ServerError::RequestIssuerMissing),
        Some(issuer) if *issuer != config.sp_entity_id => {
            return Err(ServerError::RequestIssuerUnknown {
                got: issuer.clone(),
                registered: config.sp_entity_id.clone(),
            });
        }
        Some(_) => {}
    }
    // Entra ID honours a requested ACS only when it is registered, compared as written; with
    // none requested it uses the default Reply URL.
    let acs = match &request.acs_url {
        Some(requested) => {
            if !config.acs_urls.contains(requested) {
                return Err(ServerError::AcsNotRegistered {
                    requested: requested.clone(),
                    registered: config.acs_urls.clone(),
                });
            }
            requested.clone()
        }
        None => default_acs(config),
    };
    Ok((request, acs))
}

fn default_acs(config: &Config) -> String {
    config
        .acs_urls
        .first()
        .cloned()
        .unwrap_or_else(|| LOCAL_ACS_URL.to_owned())
}

// ---- login page ----

struct LoginDefaults {
    preset: &'static Preset,
    acs: String,
    relay_state: Option<String>,
    request: Option<AuthnRequest>,
    /// The SSO URL the request arrived at (to compare with its Destination).
    sso_url: String,
}

async fn login_page(State(state): State<AppState>) -> Html<String> {
    let defaults = LoginDefaults {
        preset: state.config().preset,
        acs: default_acs(state.config()),
        relay_state: None,
        request: None,
        sso_url: state.sso_url(None),
    };
    Html(login_html(&state, &defaults))
}

fn request_html(request: &AuthnRequest, sso_url: &str) -> String {
    let mut out = format!(
        "<h2>AuthnRequest received ({})</h2>\n",
        esc(request.binding.name())
    );
    out.push_str(&html::table(&[
        ("ID (becomes InResponseTo)", Some(&request.id)),
        ("IssueInstant", Some(&request.issue_instant)),
        ("Issuer (SP entity ID)", request.issuer.as_deref()),
        ("Destination", request.destination.as_deref()),
        ("AssertionConsumerServiceURL", request.acs_url.as_deref()),
        (
            "AssertionConsumerServiceIndex",
            request.acs_index.as_deref(),
        ),
        ("ProtocolBinding", request.protocol_binding.as_deref()),
        ("NameIDPolicy Format", request.name_id_format.as_deref()),
    ]));
    let mut notes = Vec::new();
    if let Some(destination) = &request.destination {
        if destination != sso_url {
            notes.push(format!(
                "Destination {destination} is not the SSO URL it was sent to, {sso_url}; many IdPs refuse that (check the SSO URL the SP has from metadata, and --base-url)."
            ));
        }
    }
    if let Some(binding) = &request.protocol_binding {
        if binding != authn_request::BINDING_HTTP_POST {
            notes.push(format!(
                "ProtocolBinding {binding} is not HTTP-POST; this IdP answers with HTTP-POST only."
            ));
        }
    }
    if request.acs_index.is_some() && request.acs_url.is_none() {
        notes.push(
            "AssertionConsumerServiceIndex is not resolved (this IdP has no SP metadata); the default Reply URL is used."
                .to_owned(),
        );
    }
    for note in notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(&note));
    }
    let _ = writeln!(
        out,
        "<details><summary>Decoded XML</summary><pre>{}</pre></details>",
        esc(&html::pretty_xml(&request.xml))
    );
    out
}

fn login_html(state: &AppState, defaults: &LoginDefaults) -> String {
    let config = state.config();
    let (email, first, last) = shape::user_of(&defaults.preset.spec());
    let mut body = String::new();
    if let Some(request) = &defaults.request {
        body.push_str(&request_html(request, &defaults.sso_url));
    } else {
        body.push_str(
            "<p class=\"note\">IdP-initiated login: no AuthnRequest, so no InResponseTo. An SP-initiated login arrives at /sso.</p>\n",
        );
    }
    let _ = writeln!(
        body,
        "<p class=\"note\">Continue posts the response to <code>{}</code> (the ACS chosen below, unless a Reply URL is given). Start with <code>mock-idp serve --acs URL</code> to post elsewhere.</p>",
        esc(&defaults.acs)
    );
    body.push_str("<form method=\"post\" action=\"/login\">\n");
    if let Some(request) = &defaults.request {
        body.push_str(&html::hidden("in_response_to", &request.id));
    }
    let _ = writeln!(
        body,
        "<h2>User</h2><label>Email<input type=\"text\" name=\"email\" value=\"{}\"></label>\
         <label>First name<input type=\"text\" name=\"first_name\" value=\"{}\"></label>\
         <label>Last name<input type=\"text\" name=\"last_name\" value=\"{}\"></label>",
        esc(&email),
        esc(&first),
        esc(&last)
    );
    body.push_str("<h2>Response</h2><label>Preset (which IdP the response looks like)<select name=\"preset\">");
    for preset in PRESETS {
        let selected = if preset.name == defaults.preset.name {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{}\"{selected}>{} — {}</option>",
            esc(preset.name),
            esc(preset.name),
            esc(preset.summary)
        );
    }
    body.push_str("</select></label>\n<label>Fault<select name=\"fault\"><option value=\"\" selected>none — a valid response</option>");
    for fault in FAULTS {
        let _ = write!(
            body,
            "<option value=\"{}\">{} — {} (a correct SP: {})</option>",
            esc(fault.name),
            esc(fault.name),
            esc(fault.summary),
            esc(fault.expected.as_str())
        );
    }
    body.push_str("</select></label>\n<label>ACS (Destination and Recipient)<select name=\"acs\">");
    for acs in &config.acs_urls {
        let selected = if *acs == defaults.acs {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(acs),
            esc(acs)
        );
    }
    let _ = write!(
        body,
        "</select></label>\n<label>Reply URL (where the browser posts; empty: the ACS)<input type=\"text\" name=\"reply_url\" value=\"\"></label>\
         <label>RelayState<input type=\"text\" name=\"relay_state\" value=\"{}\"></label>\n\
         <button type=\"submit\">Show the response</button>\n</form>\n",
        esc(defaults.relay_state.as_deref().unwrap_or(""))
    );
    let control = state.control();
    let _ = writeln!(
        body,
        "<h2>This IdP</h2><p>Entity ID <code>{}</code>; metadata at <a href=\"/metadata\">/metadata</a> \
         (any preset: /metadata/&lt;preset&gt;); SSO at <code>{}</code>; SP entity ID <code>{}</code>.</p>\
         <p>Metadata state: <code>{}</code>. Control (GET or POST; no authentication — keep this server on loopback): \
         <a href=\"/control/rotate\">rotate</a>, <a href=\"/control/publish-both\">publish both</a>, \
         <a href=\"/control/revert\">revert</a>, outage \
         <a href=\"/control/outage/down\">down</a> / <a href=\"/control/outage/slow?seconds=5\">slow</a> / \
         <a href=\"/control/outage/invalid\">invalid</a> / <a href=\"/control/outage/html\">html</a> / \
         <a href=\"/control/outage/ok\">ok</a>.</p>",
        esc(config.preset.issuer),
        esc(&state.sso_url(None)),
        esc(&config.sp_entity_id),
        esc(&control.to_string())
    );
    html::page("mock-idp: sign in", &body)
}

/// What the login form and the launch URL choose.
#[derive(Debug, Default, Deserialize)]
struct Choice {
    preset: Option<String>,
    fault: Option<String>,
    /// The login form's name for the user's email.
    email: Option<String>,
    /// The launch URL's name for the user's email.
    user: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    acs: Option<String>,
    reply_url: Option<String>,
    relay_state: Option<String>,
    in_response_to: Option<String>,
}

/// An empty form field means "not set".
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn check_url(field: &'static str, value: &str) -> Result<(), ServerError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        Ok(u) => Err(ServerError::BadUrl {
            field,
            value: value.to_owned(),
            reason: format!("scheme {}", u.scheme()),
        }),
        Err(e) => Err(ServerError::BadUrl {
            field,
            value: value.to_owned(),
            reason: e.to_string(),
        }),
    }
}

fn prepare(state: &AppState, choice: &Choice) -> Result<Prepared, ServerError> {
    let config = state.config();
    let preset = match given(&choice.preset) {
        Some(name) => presets::by_name(name)?,
        None => config.preset,
    };
    let fault: Option<&'static Fault> = match given(&choice.fault) {
        Some(name) => Some(faults::by_name(name)?),
        None => None,
    };
    let acs = match given(&choice.acs) {
        Some(acs) if config.acs_urls.iter().any(|a| a == acs) => acs.to_owned(),
        Some(acs) => {
            return Err(ServerError::AcsNotRegistered {
                requested: acs.to_owned(),
                registered: config.acs_urls.clone(),
            });
        }
        None => default_acs(config),
    };
    let mut spec = preset
        .spec()
        .for_sp(&acs, &config.sp_entity_id)
        .numbered(state.next_number());
    if let Some(reply_url) = given(&choice.reply_url) {
        check_url("Reply URL", reply_url)?;
        spec.reply_url = reply_url.to_owned();
    }
    let email = given(&choice.email).or(given(&choice.user));
    shape::set_user(
        &mut spec,
        email,
        given(&choice.first_name),
        given(&choice.last_name),
    );
    if let Some(id) = given(&choice.in_response_to) {
        spec = spec.answering(id);
    }
    if let Some(relay_state) = choice.relay_state.as_deref().filter(|r| !r.is_empty()) {
        spec.relay_state = Some(relay_state.to_owned());
    }
    // The rotation state decides which of the IdP's own keys signs; a fault that picks
    // another key (the attacker's) still wins, since faults edit the spec afterwards.
    if spec.signing.key == KeyRole::Current {
        spec.signing.key = state.control().signer;
    }
    Ok(shape::prepare(&spec, fault, state.now())?)
}

fn delivery_note(prepared: &Prepared) -> String {
    match prepared.fault {
        Some(fault) if fault.posts > 1 => format!(
            "Fault {}: the browser should post this response {} times; press Back and Continue again to replay it. A correct SP answers: {}.",
            fault.name, fault.posts, fault.expected
        ),
        Some(fault) => format!(
            "Fault {}: a correct SP answers {}.",
            fault.name, fault.expected
        ),
        None => "A valid response: a correct SP signs the user in.".to_owned(),
    }
}

fn response_fields(prepared: &Prepared) -> Vec<(&'static str, String)> {
    let mut fields = vec![("SAMLResponse", prepared.built.form_value())];
    if let Some(relay_state) = &prepared.spec.relay_state {
        fields.push(("RelayState", relay_state.clone()));
    }
    fields
}

async fn preview(State(state): State<AppState>, Form(choice): Form<Choice>) -> Response {
    let prepared = match prepare(&state, &choice) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let spec = &prepared.spec;
    let method = spec.method.name();
    let mut body = String::new();
    let _ = write!(body, "<p>{}</p>", esc(&delivery_note(&prepared)));
    let target = browser_target(&state, &prepared);
    let first_stop = (target != spec.reply_url).then_some(target.as_str());
    body.push_str(&html::table(&[
        ("Reply URL (the browser goes here)", Some(&spec.reply_url)),
        ("First through (a redirect to the Reply URL)", first_stop),
        ("Method", Some(method)),
        ("Destination", spec.destination.as_deref()),
        ("InResponseTo", spec.in_response_to.as_deref()),
        ("RelayState", spec.relay_state.as_deref()),
    ]));
    body.push_str("<form method=\"post\" action=\"/autopost\">");
    body.push_str(&html::hidden("target", &target));
    body.push_str(&html::hidden("method", method));
    for (name, value) in response_fields(&prepared) {
        body.push_str(&html::hidden(name, &value));
    }
    body.push_str("<button type=\"submit\">Continue to the Reply URL</button></form>\n");
    let _ = write!(
        body,
        "<h2>Response XML</h2><pre>{}</pre>\n<p><a href=\"/login\">Start again</a></p>",
        esc(&html::pretty_xml(&prepared.built.xml))
    );
    Html(html::page("mock-idp: the response", &body)).into_response()
}

#[derive(Debug, Deserialize)]
struct AutoPost {
    target: String,
    method: Option<String>,
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// The auto-submitting form for a response the preview page already built (so what is sent is
/// exactly what was shown).
async fn autopost(Form(form): Form<AutoPost>) -> Response {
    if let Err(e) = check_url("Reply URL", &form.target) {
        return e.into_response();
    }
    let method = if form.method.as_deref() == Some("get") {
        "get"
    } else {
        "post"
    };
    let mut fields = vec![("SAMLResponse", form.saml_response.as_str())];
    if let Some(relay_state) = form.relay_state.as_deref() {
        fields.push(("RelayState", relay_state));
    }
    Html(html::auto_submit(&form.target, method, &fields, "")).into_response()
}

async fn launch(State(state): State<AppState>, Query(choice): Query<Choice>) -> Response {
    let prepared = match prepare(&state, &choice) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    tracing::info!(
        fault = prepared.fault.map_or("none", |f| f.name),
        reply_url = prepared.spec.reply_url,
        "IdP-initiated launch"
    );
    let fields = response_fields(&prepared);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    Html(html::auto_submit(
        &browser_target(&state, &prepared),
        prepared.spec.method.name(),
        &fields,
        &delivery_note(&prepared),
    ))
    .into_response()
}

/// Where the browser goes first: the Reply URL, or for a fault that passes through a redirect
/// (`reply-url-redirect-301`), this server's `/redirect/{status}` in front of it.
fn browser_target(state: &AppState, prepared: &Prepared) -> String {
    match prepared.fault.and_then(|f| f.via_redirect) {
        Some(redirect) => format!(
            "{}/redirect/{}?to={}",
            state.config().base_url,
            redirect.name(),
            url::form_urlencoded::byte_serialize(prepared.spec.reply_url.as_bytes())
                .collect::<String>()
        ),
        None => prepared.spec.reply_url.clone(),
    }
}

#[derive(Debug, Deserialize)]
struct RedirectTo {
    to: String,
}

const REDIRECT_STATUSES: [&str; 5] = [
    Redirect::Moved301.name(),
    Redirect::Found302.name(),
    Redirect::SeeOther303.name(),
    Redirect::Temporary307.name(),
    Redirect::Permanent308.name(),
];

/// `GET|POST /redirect/{status}?to=URL`: that redirect to `to`, as the http:// or apex site in
/// front of a Reply URL answers, so the browser's own handling of it is what the SP sees. An
/// open redirect, like every route here meant for loopback only.
async fn redirect(Path(status): Path<String>, Query(query): Query<RedirectTo>) -> Response {
    let Some(redirect) = Redirect::ALL.into_iter().find(|r| r.name() == status) else {
        return ServerError::UnknownControl {
            what: "redirect status",
            got: status,
            choices: &REDIRECT_STATUSES,
        }
        .into_response();
    };
    if let Err(e) = check_url("to", &query.to) {
        return e.into_response();
    }
    (redirect.http_status(), [(header::LOCATION, query.to)]).into_response()
}
