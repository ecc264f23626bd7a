//! The web layer's one error: a refusal the client may read (code and hint) or an internal
//! failure whose detail goes to the log only (STYLE practice 2). Handlers return it with `?`.

use super::pages;
use crate::saml::rejection::{Code, Rejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a request to the SAML routes was not served.
#[derive(Debug)]
pub enum WebError {
    /// The request was refused; the code says why. `team` when the Issuer resolved one.
    Refused {
        team: Option<String>,
        rejection: Rejection,
    },
    /// The SP failed (a store, a task); the client gets a fixed page.
    Internal {
        team: Option<String>,
        what: String,
        detail: String,
    },
}

impl WebError {
    pub fn refused(team: Option<&str>, rejection: Rejection) -> WebError {
        WebError::Refused {
            team: team.map(str::to_owned),
            rejection,
        }
    }

    pub fn internal(team: Option<&str>, what: &str, detail: impl std::fmt::Display) -> WebError {
        WebError::Internal {
            team: team.map(str::to_owned),
            what: what.to_owned(),
            detail: detail.to_string(),
        }
    }
}

impl From<Rejection> for WebError {
    fn from(rejection: Rejection) -> WebError {
        WebError::refused(None, rejection)
    }
}

/// The HTTP status for a refusal: malformed input is a 400, too much of it a 413, the wrong
/// encoding a 415, an SP too busy to judge it a 503, and a response the SP will not accept a 403.
pub fn status_for(code: Code) -> StatusCode {
    match code {
        Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::ContentTypeUnsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Code::Busy => StatusCode::SERVICE_UNAVAILABLE,
        Code::NotBase64
        | Code::MalformedXml
        | Code::TooComplex
        | Code::DoctypeForbidden
        | Code::NoAssertion
        | Code::MultipleAssertions
        | Code::VersionMismatch
        | Code::SamlResponseMissing
        | Code::RedirectBinding => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Refused { team, rejection } => {
                // Code and the offending values go to the log; the assertion itself never does.
                tracing::warn!(
                    team = %team.as_deref().unwrap_or("-"),
                    code = %rejection.code,
                    expected = ?rejection.expected.as_deref().unwrap_or("-"),
                    got = ?rejection.got.as_deref().unwrap_or("-"),
                    "SAML response refused"
                );
                let mut response = pages::respond(
                    status_for(rejection.code),
                    Some(rejection.code.as_str()),
                    pages::rejection(&rejection),
                );
                if rejection.code == Code::Busy {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                }
                response
            }
            WebError::Internal { team, what, detail } => {
                tracing::error!(team = %team.as_deref().unwrap_or("-"), "{what} failed: {detail}");
                pages::diagnostic_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "internal_error",
                    "The SP could not finish this request. Try again; if it persists, the SP's log says why.",
                )
            }
        }
    }
}
