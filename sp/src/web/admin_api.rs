//! The admin HTTP API: the operator's side of the form a customer fills in, over HTTP. It offers
//! the operations of the `sp team …` CLI and calls the same [`crate::admin`] functions, so both
//! do exactly the same thing and report the same errors.
//!
//! Every route needs `Authorization: Bearer <operator token>`. The token is configured at start
//! (`sp serve --operator-token`, or `SSOLAB_OPERATOR_TOKEN`); without one the API is off and every
//! route answers 404.
//!
//! | Method and path                      | Body (JSON)                                   | Success |
//! |--------------------------------------|-----------------------------------------------|---------|
//! | `POST /admin/teams`                  | `slug`, `plan`?, `api_access`?, `scim`?        | 201 team, `api_key` when created with API access (shown once) |
//! | `PUT /admin/teams/{slug}/plan`       | `plan`, `api_access`?, `scim`?                 | 200 team |
//! | `PUT /admin/teams/{slug}/sso`        | `issuer`, `metadata_xml` or `metadata_url`, `allow_idp_initiated`?, `provisioning`?, `allow_sha1`?, `member_key`?, `encrypted_assertions`? | 200 settings, `warnings` and `show` |
//! | `POST /admin/teams/{slug}/api-keys`  | none                                          | 201 `{"api_key": …}` (shown once) |
//! | `GET /admin/teams/{slug}`            | none                                          | 200 `{"slug": …, "show": …, "metadata_fetch": …}` |
//! | `GET /admin/teams/{slug}/members`    | none                                          | 200 `{"slug": …, "members": […], "show": …}` |
//!
//! Defaults follow the CLI: `plan` "custom", `api_access` and `scim` false on create;
//! `allow_idp_initiated` true, `provisioning` "jit", `allow_sha1` false, `member_key` "email", `encrypted_assertions` false on SSO. `PUT …/plan`
//! sets the plan and only the switches it is given, as `sp team plan` does: an absent `scim`
//! leaves provisioning as it is. `null` counts as absent; unknown fields are refused. Saving SSO
//! on a plan without SSO succeeds with a warning in `warnings` (`[{"code", "message"}]`).
//! Any Content-Type is accepted (the bearer token, which browsers never attach on their own, is
//! what keeps cross-site requests out).
//!
//! `show` is the text of [`admin::show`], exactly what `sp team show SLUG` prints; it is wrapped
//! in JSON so that every answer of this API is JSON (`jq -r .show` prints it as the CLI does).
//!
//! Errors are `{"code": …, "message": …}`: the code of [`AdminError::code`] for refused
//! operations (`bad_slug`, `no_such_team`, `bad_metadata`, `metadata_fetch_failed`, `conflict`,
//! …) and the codes of [`ApiError::code`] for requests this layer refuses itself; the message
//! names the field and the fix. Metadata and fetch failures add `reason`, the underlying code
//! ([`AdminError::reason`]: `entity_id_mismatch`, `address_forbidden`, `timeout`, …). Internal faults (database down) answer 500 with a fixed message;
//! the detail goes to the log.

use crate::admin::{self, AdminError, SsoForm, SsoSaved};
use crate::model::{MemberKey, MetadataSource, Plan, Provisioning, Team};
use crate::saml::fetch::{FetchError, check_url};
use crate::saml::metadata::MAX_METADATA_BYTES;
use crate::saml::refresh;
use crate::store::{MetadataCache, StoreError};
use crate::web::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Map, Value, json};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Largest request body accepted. Static metadata rides in `metadata_xml`; the SP accepts
/// metadata up to [`MAX_METADATA_BYTES`], and JSON escaping at most doubles XML text (`"` becomes
/// `\"`), so any document the SP would accept fits, with room for the other fields.
pub const BODY_LIMIT: usize = 2 * MAX_METADATA_BYTES + 16 * 1024;

/// Shortest operator token accepted at start-up.
pub const MIN_TOKEN_LEN: usize = 16;

/// The operator token, kept only as its SHA-256 digest.
///
/// A presented token is hashed and the digests compared with [`openssl::memcmp::eq`], so neither
/// the comparison's timing nor the token's length leaks. `Debug` does not show the digest.
#[derive(Clone)]
pub struct OperatorToken {
    digest: [u8; 32],
}

/// Why a configured operator token is refused at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OperatorTokenError {
    #[error(
        "the operator token has {0} characters; use at least {MIN_TOKEN_LEN}, e.g. the output of `openssl rand -hex 32`"
    )]
    TooShort(usize),
    #[error(
        "the operator token must be visible ASCII (letters, digits, punctuation; no spaces), since it travels in an Authorization header; e.g. use `openssl rand -hex 32`"
    )]
    NotVisibleAscii,
}

impl OperatorToken {
    /// Checks and keeps `token`: at least [`MIN_TOKEN_LEN`] visible ASCII characters (an
    /// Authorization header can carry nothing else, so another token could never match).
    pub fn new(token: &str) -> Result<OperatorToken, OperatorTokenError> {
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(OperatorTokenError::NotVisibleAscii);
        }
        if token.len() < MIN_TOKEN_LEN {
            return Err(OperatorTokenError::TooShort(token.len()));
        }
        Ok(OperatorToken {
            digest: openssl::sha::sha256(token.as_bytes()),
        })
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    fn matches(&self, presented: &str) -> bool {
        openssl::memcmp::eq(&self.digest, &openssl::sha::sha256(presented.as_bytes()))
    }
}

impl FromStr for OperatorToken {
    type Err = OperatorTokenError;

    fn from_str(s: &str) -> Result<OperatorToken, OperatorTokenError> {
        OperatorToken::new(s)
    }
}

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OperatorToken(<redacted>)")
    }
}

/// Why an admin request was refused. Each variant has a stable [`code`](ApiError::code) and an
/// HTTP status; the message names the field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No operator token is configured: the API is off.
    #[error(
        "the admin API is off; start sp with --operator-token (or SSOLAB_OPERATOR_TOKEN) to enable it"
    )]
    Disabled,
    #[error("send the operator token as `Authorization: Bearer TOKEN`")]
    MissingToken,
    #[error(
        "the operator token is wrong; use the token sp was started with (--operator-token or SSOLAB_OPERATOR_TOKEN)"
    )]
    WrongToken,
    #[error(
        "the request body is larger than {BODY_LIMIT} bytes; metadata beyond {MAX_METADATA_BYTES} bytes is refused anyway: use the metadata of this one IdP application"
    )]
    BodyTooLarge,
    #[error("the request body could not be read: {0}")]
    BodyUnreadable(String),
    #[error("the request body is not a JSON object: {0}; send e.g. {{\"slug\": \"acme\"}}")]
    MalformedJson(String),
    #[error("field `{0}` is required")]
    MissingField(&'static str),
    #[error("field `{field}` is not accepted here; the fields are {}", .accepted.join(", "))]
    UnknownField {
        field: String,
        accepted: &'static [&'static str],
    },
    #[error("field `{field}`: {problem}")]
    InvalidField {
        field: &'static str,
        problem: String,
    },
    #[error("{0}")]
    MetadataSource(&'static str),
    /// The metadata URL is refused before any network access (not absolute, not https).
    #[error("field `metadata_url`: {0}")]
    BadMetadataUrl(FetchError),
    #[error("the path is not usable: {0}")]
    BadPath(String),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl ApiError {
    /// The stable snake_case code of the answer's `code` field.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Disabled => "admin_api_disabled",
            ApiError::MissingToken => "operator_token_missing",
            ApiError::WrongToken => "operator_token_invalid",
            ApiError::BodyTooLarge => "body_too_large",
            ApiError::BodyUnreadable(_) => "body_unreadable",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::MissingField(_) => "missing_field",
            ApiError::UnknownField { .. } => "unknown_field",
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::MetadataSource(_) => "metadata_source",
            ApiError::BadMetadataUrl(_) => "bad_metadata_url",
            ApiError::BadPath(_) => "bad_path",
            ApiError::Admin(e) => e.code(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Disabled => StatusCode::NOT_FOUND,
            ApiError::MissingToken | ApiError::WrongToken => StatusCode::UNAUTHORIZED,
            ApiError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyUnreadable(_)
            | ApiError::MalformedJson(_)
            | ApiError::MissingField(_)
            | ApiError::UnknownField { .. }
            | ApiError::InvalidField { .. }
            | ApiError::MetadataSource(_)
            | ApiError::BadMetadataUrl(_)
            | ApiError::BadPath(_) => StatusCode::BAD_REQUEST,
            ApiError::Admin(e) => match e {
                AdminError::BadSlug(_) | AdminError::Metadata { .. } => StatusCode::BAD_REQUEST,
                AdminError::NoSuchTeam(_) => StatusCode::NOT_FOUND,
                // Nothing was asked of the IdP: the URL itself is what must change.
                AdminError::Fetch(FetchError::AddressForbidden { .. }) => StatusCode::BAD_REQUEST,
                AdminError::Fetch(_) => StatusCode::BAD_GATEWAY,
                AdminError::Store(
                    StoreError::Conflict { .. } | StoreError::MetadataSourceChanged { .. },
                ) => StatusCode::CONFLICT,
                AdminError::Store(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
                AdminError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            // Two audiences: the detail (which may name database hosts) goes to the log.
            tracing::error!(code = self.code(), "admin API: {self}");
            format!(
                "the SP could not finish this operation ({}); its log says why",
                self.code()
            )
        } else {
            self.to_string()
        };
        let mut body = json!({ "code": self.code(), "message": message });
        if let ApiError::Admin(admin) = &self
            && let Some(reason) = admin.reason()
        {
            // `body` is an object (built just above), so indexing inserts rather than panics.
            body["reason"] = Value::String(reason.to_owned());
        }
        let mut response = json_response(status, &body);
        let challenge = match self {
            ApiError::MissingToken => Some(r#"Bearer realm="ssolab-admin""#),
            ApiError::WrongToken => Some(r#"Bearer realm="ssolab-admin", error="invalid_token""#),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// An answer that carries a freshly issued API key: never cached.
fn secret_response(status: StatusCode, value: &Value) -> Response {
    let mut response = json_response(status, value);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Proof that the request carries the operator token. First extractor of every handler, so
/// nothing (not even the body) is read before it passes.
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Operator, ApiError> {
        let Some(token) = &state.operator_token else {
            return Err(ApiError::Disabled);
        };
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, credentials)| credentials.trim());
        match presented {
            Some(presented) if token.matches(presented) => Ok(Operator),
            Some(_) => {
                tracing::warn!(path = parts.uri.path(), "admin API: wrong operator token");
                Err(ApiError::WrongToken)
            }
            None => {
                tracing::warn!(path = parts.uri.path(), "admin API: no operator token");
                Err(ApiError::MissingToken)
            }
        }
    }
}

/// A request body as a JSON object whose fields are taken one by one, so that every error
/// names its field; [`Fields::finish`] refuses whatever is left.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(body: Result<Bytes, BytesRejection>) -> Result<Fields, ApiError> {
        let body = body.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BodyTooLarge
            } else {
                ApiError::BodyUnreadable(rejection.body_text())
            }
        })?;
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => Ok(Fields(map)),
            Ok(other) => Err(ApiError::MalformedJson(format!(
                "found {}",
                json_kind(&other)
            ))),
            Err(e) => Err(ApiError::MalformedJson(e.to_string())),
        }
    }

    /// The field's value; `null` counts as absent.
    fn take(&mut self, field: &'static str) -> Option<Value> {
        self.0.remove(field).filter(|v| !v.is_null())
    }

    fn string(&mut self, field: &'static str) -> Result<Option<String>, ApiError> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ApiError::InvalidField {
                field,
                problem: format!("expected a string, found {}", json_kind(&other)),
            }),
        }
    }

    fn bool(&mut self, field: &'static str) -> Result<Option<bool>, ApiError> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(ApiError::InvalidField {
                field,
                problem: format!("expected true or false, found {}", json_kind(&other)),
            }),
        }
    }

    /// A string field naming one of an enum's values; `what` and `choices` word the error.
    fn choice<T>(
        &mut self,
        field: &'static str,
        parse: fn(&str) -> Option<T>,
        what: &str,
        choices: &str,
    ) -> Result<Option<T>, ApiError> {
        self.string(field)?
            .map(|s| {
                parse(&s).ok_or_else(|| ApiError::InvalidField {
                    field,
                    problem: format!("unknown {what} {s:?}; use {choices}"),
                })
            })
            .transpose()
    }

    fn plan(&mut self, field: &'static str) -> Result<Option<Plan>, ApiError> {
        self.choice(field, Plan::parse, "plan", "free, team or custom")
    }

    /// Refuses fields nobody took (a typo such as `api-access` would otherwise be ignored).
    fn finish(self, accepted: &'static [&'static str]) -> Result<(), ApiError> {
        match self.0.into_iter().next() {
            None => Ok(()),
            Some((field, _)) => Err(ApiError::UnknownField { field, accepted }),
        }
    }
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T, ApiError> {
    value.ok_or(ApiError::MissingField(field))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn slug_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(slug)| slug)
        .map_err(|rejection| ApiError::BadPath(rejection.body_text()))
}

fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn team_json(team: &Team) -> Value {
    json!({
        "id": team.id.0,
        "slug": team.slug,
        "plan": team.plan.as_str(),
        "api_access": team.api_access,
        "scim": team.scim_enabled,
        "created_at": instant(team.created_at),
    })
}

fn location(slug: &str) -> HeaderValue {
    // A slug that reached here passed `valid_slug` (a-z, 0-9, '-'), so it is a valid header.
    HeaderValue::from_str(&format!("/admin/teams/{slug}"))
        .unwrap_or_else(|_| HeaderValue::from_static("/admin/teams"))
}

/// `POST /admin/teams`: [`admin::create_team`].
async fn create_team(
    _: Operator,
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    const ACCEPTED: &[&str] = &["slug", "plan", "api_access", "scim"];
    let mut fields = Fields::parse(body)?;
    let slug = required(fields.string("slug")?, "slug")?;
    let plan = fields.plan("plan")?.unwrap_or(Plan::Custom);
    let api_access = fields.bool("api_access")?.unwrap_or(false);
    let scim = fields.bool("scim")?.unwrap_or(false);
    fields.finish(ACCEPTED)?;
    let now = state.clock.now();
    let (team, key) = admin::create_team(&state.store, &slug, plan, api_access, scim, now).await?;
    tracing::info!(team = %team.slug, plan = team.plan.as_str(), "admin API: team created");
    let mut answer = team_json(&team);
    if let Some(key) = key {
        // `answer` is an object (team_json), so indexing inserts rather than panics.
        answer["api_key"] = Value::String(key);
    }
    let mut response = secret_response(StatusCode::CREATED, &answer);
    response
        .headers_mut()
        .insert(header::LOCATION, location(&team.slug));
    Ok(response)
}

/// `PUT /admin/teams/{slug}/plan`: [`admin::set_plan`].
async fn set_plan(
    _: Operator,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    const ACCEPTED: &[&str] = &["plan", "api_access", "scim"];
    let slug = slug_of(path)?;
    let mut fields = Fields::parse(body)?;
    let plan = required(fields.plan("plan")?, "plan")?;
    let api_access = fields.bool("api_access")?;
    let scim = fields.bool("scim")?;
    fields.finish(ACCEPTED)?;
    let team = admin::set_plan(&state.store, &slug, plan, api_access, scim).await?;
    tracing::info!(team = %team.slug, plan = team.plan.as_str(), api_access = team.api_access, scim = team.scim_enabled, "admin API: plan set");
    Ok(json_response(StatusCode::OK, &team_json(&team)))
}

/// `PUT /admin/teams/{slug}/sso`: [`admin::set_sso`], answered like `sp team sso` with the
/// settings and the team's `show` text.
async fn set_sso(
    _: Operator,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    const ACCEPTED: &[&str] = &[
        "issuer",
        "metadata_xml",
        "metadata_url",
        "allow_idp_initiated",
        "provisioning",
        "allow_sha1",
        "member_key",
        "encrypted_assertions",
    ];
    let slug = slug_of(path)?;
    let mut fields = Fields::parse(body)?;
    let issuer = required(fields.string("issuer")?, "issuer")?;
    let metadata = match (
        fields.string("metadata_xml")?,
        fields.string("metadata_url")?,
    ) {
        (Some(xml), None) => MetadataSource::Static(xml),
        (None, Some(url)) => {
            // The same rule fetch_metadata applies first, checked here so that a URL the SP
            // would never fetch is the operator's mistake (400), not the IdP's failure (502).
            check_url(&url).map_err(ApiError::BadMetadataUrl)?;
            MetadataSource::Url(url)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::MetadataSource(
                "give exactly one of `metadata_xml` (the IdP's metadata document) or `metadata_url` (its https:// address), not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::MetadataSource(
                "give `metadata_xml` (the IdP's metadata document) or `metadata_url` (its https:// address; preferred, since it follows certificate rotation)",
            ));
        }
    };
    let form = SsoForm {
        issuer,
        metadata,
        allow_idp_initiated: fields.bool("allow_idp_initiated")?.unwrap_or(true),
        provisioning: fields
            .choice(
                "provisioning",
                Provisioning::parse,
                "provisioning",
                "jit or scim",
            )?
            .unwrap_or(Provisioning::Jit),
        allow_sha1: fields.bool("allow_sha1")?.unwrap_or(false),
        member_key: fields
            .choice(
                "member_key",
                MemberKey::parse,
                "member key",
                "email or name_id",
            )?
            .unwrap_or(MemberKey::Email),
        encrypted_assertions: fields.bool("encrypted_assertions")?.unwrap_or(false),
    };
    fields.finish(ACCEPTED)?;
    let now = state.clock.now();
    let saved = admin::set_sso(&state.store, &state.http, &slug, form, now).await?;
    tracing::info!(team = %slug, issuer = %saved.settings.idp_issuer, warnings = saved.warnings.len(), "admin API: sso set");
    let show = admin::show(&state.store, &slug, now).await?;
    Ok(json_response(
        StatusCode::OK,
        &sso_json(&slug, &saved, &show),
    ))
}

fn sso_json(slug: &str, saved: &SsoSaved, show: &str) -> Value {
    let settings = &saved.settings;
    let warnings: Vec<Value> = saved
        .warnings
        .iter()
        .map(|w| json!({ "code": w.code(), "message": w.to_string() }))
        .collect();
    let (source, url) = match &settings.metadata {
        MetadataSource::Static(_) => ("static", None),
        MetadataSource::Url(url) => ("url", Some(url.as_str())),
    };
    json!({
        "slug": slug,
        "issuer": settings.idp_issuer,
        "metadata_source": source,
        "metadata_url": url,
        "allow_idp_initiated": settings.allow_idp_initiated,
        "provisioning": settings.provisioning.as_str(),
        "allow_sha1": settings.allow_sha1,
        "member_key": settings.member_key.as_str(),
        "encrypted_assertions": settings.encrypted_assertions,
        "warnings": warnings,
        "show": show,
    })
}

/// `POST /admin/teams/{slug}/api-keys`: [`admin::issue_api_key`]. Any body is ignored.
async fn issue_api_key(
    _: Operator,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let slug = slug_of(path)?;
    let key = admin::issue_api_key(&state.store, &slug, state.clock.now()).await?;
    tracing::info!(team = %slug, "admin API: api key issued");
    Ok(secret_response(
        StatusCode::CREATED,
        &json!({ "slug": slug, "api_key": key }),
    ))
}

/// `GET /admin/teams/{slug}`: [`admin::show`], the text `sp team show` prints, and the state of
/// the metadata URL's fetches as data (`metadata_fetch`, `null` for static metadata or before a
/// fetch was recorded): the last error as its code and the words derived from it.
async fn show_team(
    _: Operator,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let slug = slug_of(path)?;
    let show = admin::show(&state.store, &slug, state.clock.now()).await?;
    let fetch = admin::metadata_status(&state.store, &slug)
        .await?
        .map(|cache| metadata_fetch_json(&cache));
    Ok(json_response(
        StatusCode::OK,
        &json!({ "slug": slug, "show": show, "metadata_fetch": fetch }),
    ))
}

fn metadata_fetch_json(cache: &MetadataCache) -> Value {
    let last_error = match (&cache.last_error, cache.last_error_at) {
        (Some(code), Some(at)) => json!({
            "code": code,
            "message": refresh::describe(code),
            "at": instant(at),
        }),
        _ => Value::Null,
    };
    json!({
        "url": cache.source,
        "fetched_at": cache.fetched_at.map(instant),
        "last_error": last_error,
        "consecutive_failures": cache.consecutive_failures,
        "next_refresh_at": instant(cache.next_refresh_at),
    })
}

/// `GET /admin/teams/{slug}/members`: [`admin::members`], each member's userName, active flag,
/// source and last login, plus the table `sp team members SLUG` prints.
async fn team_members(
    _: Operator,
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let slug = slug_of(path)?;
    let members = admin::members(&state.store, &slug).await?;
    let list: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({
                "id": m.id.0,
                "user_name": m.user_name,
                "active": m.active,
                "source": m.source.as_str(),
                "last_login": m.last_login.and_then(|t| t.format(&Rfc3339).ok()),
            })
        })
        .collect();
    let show = admin::render_members(&slug, &members);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "slug": slug, "members": list, "show": show }),
    ))
}

/// The admin routes, with their paths under `/admin`; merged into [`crate::web::router`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/teams", post(create_team))
        .route("/admin/teams/{slug}", get(show_team))
        .route("/admin/teams/{slug}/plan", put(set_plan))
        .route("/admin/teams/{slug}/sso", put(set_sso))
        .route("/admin/teams/{slug}/api-keys", post(issue_api_key))
        .route("/admin/teams/{slug}/members", get(team_members))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_token_matches_only_itself() {
        let token = OperatorToken::new("0123456789abcdef0123").expect("a valid token");
        assert!(token.matches("0123456789abcdef0123"));
        assert!(!token.matches("0123456789abcdef012"));
        assert!(!token.matches("0123456789abcdef01234"));
        assert!(!token.matches(""));
    }

    #[test]
    fn rejects_short_operator_token() {
        assert!(matches!(
            OperatorToken::new("short"),
            Err(OperatorTokenError::TooShort(5))
        ));
        assert!(OperatorToken::new("sixteen-chars-ok").is_ok());
    }

    #[test]
    fn rejects_operator_token_with_spaces_or_control_characters() {
        for bad in [
            "0123456789abcdef 0123",
            " 0123456789abcdef0123",
            "0123456789abcdef0123\n",
        ] {
            assert!(
                matches!(
                    OperatorToken::new(bad),
                    Err(OperatorTokenError::NotVisibleAscii)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn operator_token_debug_hides_the_token() {
        let token = OperatorToken::new("secret-secret-secret").expect("a valid token");
        assert_eq!(format!("{token:?}"), "OperatorToken(<redacted>)");
    }

    #[test]
    fn each_admin_error_has_its_status() {
        let cases = [
            (
                ApiError::from(AdminError::BadSlug("A".into())),
                400,
                "bad_slug",
            ),
            (
                ApiError::from(AdminError::NoSuchTeam("a".into())),
                404,
                "no_such_team",
            ),
            (
                ApiError::from(AdminError::Metadata {
                    url: None,
                    error: crate::saml::metadata::MetadataError::NoSigningCertificate,
                }),
                400,
                "bad_metadata",
            ),
            (
                ApiError::from(AdminError::Fetch(FetchError::Dns {
                    url: "https://idp.example/m".into(),
                })),
                502,
                "metadata_fetch_failed",
            ),
            (
                ApiError::from(AdminError::Store(StoreError::Conflict {
                    what: "team slug",
                    value: "a".into(),
                })),
                409,
                "conflict",
            ),
            (
                ApiError::from(AdminError::Store(StoreError::Corrupt {
                    what: "plan",
                    detail: "x".into(),
                })),
                500,
                "corrupt",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!(
                (error.status().as_u16(), error.code()),
                (status, code),
                "{error}"
            );
        }
    }
}
