//! SCIM errors (RFC 7644 §3.12): every answer that is not a success is one of these, sent as a
//! SCIM Error body with `status` as a string and, where the RFC defines one, a `scimType`.
//! The detail names the attribute, parameter or position and the fix; internal faults answer a
//! fixed text and log the cause.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::SCIM_CONTENT_TYPE;
use crate::store::StoreError;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Why a SCIM request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScimError {
    #[error(
        "no valid API key: send the team's API key as `Authorization: Bearer <key>` (or the raw key)"
    )]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no {resource} with id {id:?} in this team")]
    NotFound { resource: &'static str, id: String },
    #[error(
        "no SCIM endpoint {path:?}; the endpoints are /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas"
    )]
    NoEndpoint { path: String },
    #[error("{method} is not supported on this endpoint")]
    MethodNotAllowed { method: String },
    #[error("filter is invalid at position {position}: {reason}")]
    InvalidFilter { position: usize, reason: String },
    #[error("filter is not supported: {0}")]
    UnsupportedFilter(String),
    #[error("the request body is not valid: {0}")]
    InvalidSyntax(String),
    #[error("{attribute}: {reason}")]
    InvalidValue { attribute: String, reason: String },
    #[error("{attribute} {value:?} is already used by another {resource} of this team")]
    Uniqueness {
        resource: &'static str,
        attribute: &'static str,
        value: String,
    },
    #[error("{attribute} is {kind} and cannot be changed")]
    Mutability {
        attribute: String,
        kind: &'static str,
    },
    #[error("path {path:?} is invalid: {reason}")]
    InvalidPath { path: String, reason: String },
    #[error("{0}")]
    NoTarget(String),
    #[error("the {resource} changed since version {expected} (If-Match); read it again")]
    PreconditionFailed {
        resource: &'static str,
        expected: String,
    },
    #[error("the request body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    #[error("Content-Type {0:?} is not accepted; send application/scim+json or application/json")]
    UnsupportedMediaType(String),
    #[error("too many requests for this team; retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("the SCIM server could not finish this request; try again")]
    Internal,
}

impl ScimError {
    /// The stable snake_case code of the variant (logs, tests).
    pub fn code(&self) -> &'static str {
        match self {
            ScimError::Unauthorized => "unauthorized",
            ScimError::Forbidden(_) => "forbidden",
            ScimError::NotFound { .. } => "not_found",
            ScimError::NoEndpoint { .. } => "no_endpoint",
            ScimError::MethodNotAllowed { .. } => "method_not_allowed",
            ScimError::InvalidFilter { .. } => "invalid_filter",
            ScimError::UnsupportedFilter(_) => "unsupported_filter",
            ScimError::InvalidSyntax(_) => "invalid_syntax",
            ScimError::InvalidValue { .. } => "invalid_value",
            ScimError::Uniqueness { .. } => "uniqueness",
            ScimError::Mutability { .. } => "mutability",
            ScimError::InvalidPath { .. } => "invalid_path",
            ScimError::NoTarget(_) => "no_target",
            ScimError::PreconditionFailed { .. } => "precondition_failed",
            ScimError::TooLarge { .. } => "too_large",
            ScimError::UnsupportedMediaType(_) => "unsupported_media_type",
            ScimError::RateLimited { .. } => "rate_limited",
            ScimError::Internal => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ScimError::Unauthorized => StatusCode::UNAUTHORIZED,
            ScimError::Forbidden(_) => StatusCode::FORBIDDEN,
            ScimError::NotFound { .. } | ScimError::NoEndpoint { .. } => StatusCode::NOT_FOUND,
            ScimError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ScimError::InvalidFilter { .. }
            | ScimError::UnsupportedFilter(_)
            | ScimError::InvalidSyntax(_)
            | ScimError::InvalidValue { .. }
            | ScimError::Mutability { .. }
            | ScimError::InvalidPath { .. }
            | ScimError::NoTarget(_) => StatusCode::BAD_REQUEST,
            ScimError::Uniqueness { .. } => StatusCode::CONFLICT,
            ScimError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ScimError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ScimError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ScimError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ScimError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The RFC 7644 §3.12 `scimType`, where one applies.
    pub fn scim_type(&self) -> Option<&'static str> {
        match self {
            ScimError::InvalidFilter { .. } | ScimError::UnsupportedFilter(_) => {
                Some("invalidFilter")
            }
            ScimError::InvalidSyntax(_) => Some("invalidSyntax"),
            ScimError::InvalidValue { .. } => Some("invalidValue"),
            ScimError::Uniqueness { .. } => Some("uniqueness"),
            ScimError::Mutability { .. } => Some("mutability"),
            ScimError::InvalidPath { .. } => Some("invalidPath"),
            ScimError::NoTarget(_) => Some("noTarget"),
            _ => None,
        }
    }

    pub fn invalid_value(attribute: &str, reason: impl Into<String>) -> ScimError {
        ScimError::InvalidValue {
            attribute: attribute.to_owned(),
            reason: reason.into(),
        }
    }

    /// A storage failure seen by a handler: identity and uniqueness refusals become their SCIM
    /// errors, anything else a logged 500.
    pub fn from_store(resource: &'static str, err: StoreError) -> ScimError {
        match err {
            StoreError::InvalidIdentity { error, .. } => {
                ScimError::invalid_value("userName", error.to_string())
            }
            StoreError::Conflict { what, value } => ScimError::Uniqueness {
                resource,
                attribute: if what == "group displayName" {
                    "displayName"
                } else {
                    "userName"
                },
                value,
            },
            StoreError::NotFound {
                what: "group member",
                key,
            } => ScimError::invalid_value(
                "members",
                format!("{key:?} is not the id of a member of this team"),
            ),
            other => {
                tracing::error!(code = other.code(), "SCIM storage failure: {other}");
                ScimError::Internal
            }
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": status.as_u16().to_string(),
            "detail": self.to_string(),
        });
        if let Some(scim_type) = self.scim_type() {
            body["scimType"] = scim_type.into();
        }
        if status.is_client_error() {
            tracing::info!(
                code = self.code(),
                status = status.as_u16(),
                "SCIM request refused: {self}"
            );
        }
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        match self {
            ScimError::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"scim\""),
                );
            }
            ScimError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            _ => {}
        }
        response
    }
}
