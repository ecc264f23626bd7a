//! The SCIM 2.0 server (RFC 7643/7644): Users are team members, Groups are the team's groups.
//!
//! Mounted by [`crate::web::router`] at `/scim/v2` as a router of its own, outside the
//! canonical-host redirect and the HTML pages, so every answer under `/scim/v2` is SCIM JSON
//! (`application/scim+json`), errors included ([`ScimError`]). Each request is authenticated by
//! the team's API key ([`auth`]), then rate-limited per team ([`ratelimit`]). A team's key
//! reaches only that team's rows: every store call takes the team id from the key.
//!
//! | Endpoint | Methods |
//! |---|---|
//! | `/Users`, `/Groups` | GET (list: `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`), POST |
//! | `/Users/{id}`, `/Groups/{id}` | GET, PUT, PATCH, DELETE (`If-Match` honoured) |
//! | `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas` (and `/{id}` of the last two) | GET |
//!
//! Users take the enterprise User extension (RFC 7643 §4.3), stored and returned; other
//! extensions and unknown attributes are ignored.

pub mod auth;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod ratelimit;
pub mod resource;
pub mod sql;
pub mod users;

pub use error::ScimError;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::web::AppState;

/// The media type of every SCIM answer.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Largest request body accepted (a group PATCH adding a thousand members fits easily).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The `count` used when a list request gives none.
pub const DEFAULT_COUNT: u64 = 100;

/// The largest `count` honoured (advertised as `filter.maxResults`); a larger one is capped.
pub const MAX_COUNT: u64 = 1000;

/// How long one SCIM request may take (Okta gives up after 60 s).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// SCIM's knobs.
#[derive(Debug, Clone, Copy)]
pub struct ScimSettings {
    /// The per-team request budget; `None` turns rate limiting off (benchmarks).
    pub rate_limit: Option<ratelimit::RateLimit>,
}

impl Default for ScimSettings {
    fn default() -> ScimSettings {
        ScimSettings {
            rate_limit: Some(ratelimit::RateLimit::DEFAULT),
        }
    }
}

/// What every SCIM handler shares.
pub struct ScimState {
    pub app: AppState,
    pub limiter: ratelimit::Limiter,
}

pub type Shared = Arc<ScimState>;

/// The SCIM router with the default settings, to be nested at `/scim/v2`.
pub fn router(app: AppState) -> Router {
    router_with(app, ScimSettings::default())
}

/// The SCIM router with explicit settings.
pub fn router_with(app: AppState, settings: ScimSettings) -> Router {
    let state = Arc::new(ScimState {
        app,
        limiter: ratelimit::Limiter::new(settings.rate_limit),
    });
    Router::new()
        .route("/Users", get(users::list).post(users::create))
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/ResourceTypes", get(discovery::resource_types))
        .route("/ResourceTypes/{id}", get(discovery::resource_type_by_id))
        .route("/Schemas", get(discovery::schemas))
        .route("/Schemas/{id}", get(discovery::schema))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_endpoint)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

async fn method_not_allowed(method: Method) -> ScimError {
    ScimError::MethodNotAllowed {
        method: method.to_string(),
    }
}

/// The SCIM 404 for any path without an endpoint (also mounted by [`crate::web::router`] on
/// `/scim/v2/` with its trailing slash, which the nested router does not receive).
pub async fn no_endpoint(uri: Uri) -> ScimError {
    ScimError::NoEndpoint {
        path: uri.path().to_owned(),
    }
}

/// A SCIM JSON answer.
pub(crate) fn respond(
    status: StatusCode,
    body: &serde_json::Value,
    version: Option<i64>,
    location: Option<&str>,
) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, SCIM_CONTENT_TYPE)],
        body.to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    if let Some(tag) = version.map(resource::etag)
        && let Ok(value) = tag.parse()
    {
        headers.insert(header::ETAG, value);
    }
    if let Some(value) = location.and_then(|l| l.parse().ok()) {
        headers.insert(header::LOCATION, value);
    }
    response
}

/// The request body as JSON: `application/scim+json` or `application/json` with any
/// parameters, or no Content-Type at all (Entra sends none); at most [`MAX_BODY_BYTES`].
pub(crate) async fn json_body(
    headers: &HeaderMap,
    body: Body,
) -> Result<serde_json::Value, ScimError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let text = content_type.to_str().unwrap_or("");
        let media = text.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case(SCIM_CONTENT_TYPE)
            && !media.eq_ignore_ascii_case("application/json")
        {
            return Err(ScimError::UnsupportedMediaType(text.to_owned()));
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ScimError::TooLarge {
            limit: MAX_BODY_BYTES,
        })?;
    serde_json::from_slice(&bytes).map_err(|e| ScimError::InvalidSyntax(format!("not JSON: {e}")))
}
