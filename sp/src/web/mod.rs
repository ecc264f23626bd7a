//! The SP over HTTP: `router(state)` for tests and `serve(listener, state, shutdown)` for the
//! binary (STYLE practice 9).

pub mod acs;
pub mod admin_api;
pub mod diagnostics;
pub mod login;
pub mod pages;
pub mod session;

use crate::clock::Clock;
use crate::config::{ACS_PATH, SpConfig};
use crate::store::Store;
use crate::trust::TrustCache;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
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
    /// SP metadata's encryption certificate (base64 DER), when the SP decrypts assertions.
    pub encryption_certificate: Option<String>,
    /// The admin API's operator token; `None` turns the admin API off (its routes answer 404).
    pub operator_token: Option<admin_api::OperatorToken>,
    /// Client for fetching metadata URLs when the admin API sets SSO
    /// (`crate::saml::fetch::metadata_client`).
    pub http: reqwest::Client,
}

impl AppState {
    /// A state with the production defaults around the three things every SP needs: `Secure`
    /// cookies, no canonical host, no SP encryption certificate, the admin API off. Callers set
    /// the other fields, so a new setting has one default, here, instead of one per caller.
    pub fn new(
        store: Store,
        sp: SpConfig,
        clock: Arc<dyn Clock>,
        http: reqwest::Client,
    ) -> AppState {
        AppState {
            store,
            sp: Arc::new(sp),
            clock,
            trust: Arc::new(TrustCache::default()),
            secure_cookies: true,
            canonical_host: None,
            encryption_certificate: None,
            operator_token: None,
            http,
        }
    }
}

/// A 500 page whose detail goes to the log only.
pub(crate) fn internal(what: &str, detail: impl std::fmt::Display) -> Response {
    tracing::error!("{what} failed: {detail}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        pages::diagnostic("Something went wrong", "internal_error", "The SP could not finish this request. Try again; if it persists, the SP's log says why."),
    )
        .into_response()
}

async fn sp_metadata(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        crate::saml::sp_metadata::render(&state.sp, state.encryption_certificate.as_deref()),
    )
        .into_response()
}

async fn canonical_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(canonical) = &state.canonical_host else {
        return next.run(request).await;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if host.eq_ignore_ascii_case(canonical) {
        return next.run(request).await;
    }
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    // 301, like production: browsers re-send a POST as a GET after it.
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, format!("{scheme}://{canonical}{path}"))],
    )
        .into_response()
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
        .route(ACS_PATH, post(acs::consume).get(diagnostics::acs_get))
        .route("/api/saml/login/{team}", get(login::sp_initiated))
        .route("/saml/metadata", get(sp_metadata))
        .route("/login", get(login::login_page))
        .route("/logout", post(login::logout))
        .route("/", get(login::home))
        .merge(admin_api::router())
        .fallback(diagnostics::fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            canonical_host,
        ))
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
