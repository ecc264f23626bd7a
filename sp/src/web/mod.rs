//! The SP over HTTP: `router(state)` for tests and `serve(listener, state, shutdown)` for the
//! binary (STYLE practice 9).

pub mod acs;
pub mod admin_api;
pub mod cpu;
pub mod diagnostics;
pub mod error;
pub mod login;
pub mod pages;
pub mod session;

use crate::clock::Clock;
use crate::config::{ACS_PATH, SpConfig};
use crate::store::Store;
use crate::trust::TrustCache;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sp: Arc<SpConfig>,
    pub clock: Arc<dyn Clock>,
    pub trust: Arc<TrustCache>,
    /// `Secure` on cookies; off only for plain-http local runs.
    pub secure_cookies: bool,
    /// When set, requests for any other host get a 301 to this one, as production does; this is
    /// what turns a POST to the apex domain into a GET and reproduces the Reply URL 404.
    pub canonical_host: Option<String>,
    /// When set, requests a TLS-terminating proxy marks as plain http (`X-Forwarded-Proto:
    /// http`) get a 301 to the https base URL, as production does; the other way a POST is
    /// turned into a GET on its way to the ACS.
    pub redirect_http: bool,
    /// SP metadata's encryption certificate (base64 DER), when the SP decrypts assertions.
    pub encryption_certificate: Option<String>,
    /// The admin API's operator token; `None` turns the admin API off (its routes answer 404).
    pub operator_token: Option<admin_api::OperatorToken>,
    /// Fetches metadata URLs when the admin API sets SSO (its limits say whether private
    /// addresses may be fetched from).
    pub http: crate::saml::fetch::MetadataFetcher,
    /// Where responses are parsed, verified and decrypted (one worker per core by default).
    pub cpu: cpu::CpuPool,
}

impl AppState {
    /// A state with the production defaults around the three things every SP needs: `Secure`
    /// cookies, no canonical host and no http redirect, no SP encryption certificate, the admin API off. Callers set
    /// the other fields, so a new setting has one default, here, instead of one per caller.
    pub fn new(
        store: Store,
        sp: SpConfig,
        clock: Arc<dyn Clock>,
        http: crate::saml::fetch::MetadataFetcher,
    ) -> AppState {
        AppState {
            store,
            sp: Arc::new(sp),
            clock,
            trust: Arc::new(TrustCache::default()),
            secure_cookies: true,
            canonical_host: None,
            redirect_http: false,
            encryption_certificate: None,
            operator_token: None,
            http,
            cpu: cpu::CpuPool::per_core(),
        }
    }
}

/// A 500 page whose detail goes to the log only.
pub(crate) fn internal(what: &str, detail: impl std::fmt::Display) -> Response {
    error::WebError::internal(None, what, detail).into_response()
}

async fn sp_metadata(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        crate::saml::sp_metadata::render(&state.sp, state.encryption_certificate.as_deref()),
    )
        .into_response()
}

/// Where the SP sends a request instead, as production does: to `--canonical-host` when the
/// request names another host, and to https when `--redirect-http` is on and the proxy in front
/// says the browser used plain http. The scheme is the base URL's, so that a plain-http local
/// SP redirects to a URL it serves; the ACS's own path becomes the public one. Returns the
/// `Location` and, for the log, the same URL without the received query (which may hold a
/// response).
fn redirect_target(state: &AppState, parts: &Parts) -> Option<(String, String)> {
    let sp = &state.sp;
    let host = diagnostics::request_host(&parts.uri, &parts.headers).unwrap_or("");
    let other_host = state
        .canonical_host
        .as_deref()
        .is_some_and(|canonical| !host.eq_ignore_ascii_case(canonical));
    // An http base URL would redirect plain http to itself, forever.
    let plain_http = state.redirect_http
        && sp.base_scheme().eq_ignore_ascii_case("https")
        && diagnostics::forwarded_proto(&parts.headers) == Some("http");
    if !other_host && !plain_http {
        return None;
    }
    let to_host = state.canonical_host.as_deref().unwrap_or(sp.base_host());
    let origin = format!("{}://{to_host}", sp.base_scheme());
    Some(
        match parts.uri.path_and_query().map_or("/", |p| p.as_str()) {
            ACS_PATH => {
                let acs = format!("{origin}{}", sp.acs_path);
                (acs.clone(), acs)
            }
            other => (
                format!("{origin}{other}"),
                format!("{origin}{}", parts.uri.path()),
            ),
        },
    )
}

/// The canonical-host and http-to-https redirects, each logged: a warning when it turns the
/// IdP's POST of a SAMLResponse into a GET that arrives without it.
async fn redirects(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Some((location, to)) = redirect_target(&state, &parts) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let from = diagnostics::received_url(&state.sp, &parts.uri, &parts.headers);
    let carried = if parts.method == Method::POST {
        let body = axum::body::to_bytes(body, state.sp.form_body_cap())
            .await
            .ok();
        diagnostics::carried_saml_response(&parts, body.as_deref())
    } else {
        None
    };
    // 301, like production: browsers re-send a POST as a GET after it.
    let mut response = (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, location)],
    )
        .into_response();
    match carried {
        Some(carried) => {
            let code = diagnostics::DiagnosticCode::SamlResponseRedirected.as_str();
            let sender = diagnostics::peek_sender(&state, carried.value).await;
            let team = sender
                .as_ref()
                .and_then(|s| s.team.as_deref())
                .unwrap_or("-");
            let issuer = sender.as_ref().map_or("-", |s| s.issuer.as_str());
            tracing::warn!(
                code,
                team,
                issuer = ?issuer,
                from = %from,
                to = %to,
                "a SAMLResponse was posted to {from} and redirected to {to}: the browser will re-send it as a GET, without the response; register exactly {} in the IdP",
                state.sp.acs_url()
            );
            // Browsers ignore it; a test tool that does not follow redirects learns why.
            response
                .headers_mut()
                .insert(pages::CODE_HEADER, header::HeaderValue::from_static(code));
        }
        None => {
            tracing::info!(method = %parts.method, from = %from, to = %to, "redirected {} {from} to {to}", parts.method)
        }
    }
    response
}

/// Every route of the SP. SCIM is nested as its own router, outside the canonical-host
/// redirect and the HTML fallback: every answer under `/scim/v2` is SCIM JSON.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/scim/v2", crate::scim::router(state.clone()))
        .route("/scim/v2/", axum::routing::any(crate::scim::no_endpoint))
        .merge(html_router(state))
}

/// The browser-facing routes, the admin API and the HTML fallback.
fn html_router(state: AppState) -> Router {
    Router::new()
        // POST only: every other method lands in `diagnostics::method_not_allowed`, with the
        // `Allow: POST` header axum adds.
        .route(ACS_PATH, post(acs::consume))
        .route("/api/saml/login/{team}", get(login::sp_initiated))
        .route("/saml/metadata", get(sp_metadata))
        .route("/login", get(login::login_page))
        .route("/logout", post(login::logout))
        .route("/", get(login::home))
        .merge(admin_api::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            diagnostics::saml_response_elsewhere,
        ))
        .method_not_allowed_fallback(diagnostics::method_not_allowed)
        .fallback(diagnostics::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), redirects))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
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
