//! The IdP's metadata URL for teams configured with dynamic metadata: one path per team on
//! 127.0.0.1, whose answer scripts change (a rotated key, an outage) while the SP keeps fetching.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mock_idp::keys::{KeyError, KeyType};
use mock_idp::metadata::Published;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::inprocess::IDP_SSO_URL;
use crate::scenario::InvalidMetadata;

/// Why metadata could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("validUntil could not be written: {0}")]
    ValidUntil(String),
}

/// What one team's metadata URL answers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    Metadata(String),
    Outage,
}

type Answers = Arc<Mutex<HashMap<String, Answer>>>;

/// A running metadata host.
pub struct MetadataHost {
    base: String,
    answers: Answers,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl MetadataHost {
    pub async fn start() -> std::io::Result<MetadataHost> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let answers: Answers = Arc::default();
        let app = axum::Router::new()
            .route("/metadata/{slug}", axum::routing::get(serve))
            .with_state(answers.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(MetadataHost {
            base,
            answers,
            _stop: stop,
        })
    }

    /// The team's URL publishes `issuer`'s metadata with `published` keys from now on, valid
    /// until `valid_until` when given (SAML metadata §2.3.1: after it the copy must not be used).
    pub fn publish(
        &self,
        slug: &str,
        issuer: &str,
        published: Published,
        valid_until: Option<OffsetDateTime>,
    ) -> Result<String, PublishError> {
        let xml = mock_idp::metadata::render(issuer, IDP_SSO_URL, published, KeyType::Rsa)?;
        let xml = with_valid_until(xml, valid_until)?;
        self.set(slug, Answer::Metadata(xml));
        Ok(self.url(slug))
    }

    /// `kind` of unusable metadata for `issuer` at `now`.
    pub fn invalid(
        issuer: &str,
        kind: InvalidMetadata,
        now: OffsetDateTime,
    ) -> Result<String, PublishError> {
        let good = |issuer: &str, valid_until| {
            let xml =
                mock_idp::metadata::render(issuer, IDP_SSO_URL, Published::Current, KeyType::Rsa)?;
            with_valid_until(xml, valid_until)
        };
        Ok(match kind {
            InvalidMetadata::NotXml => {
                "<!doctype html><html><body><form action=\"/login\">Sign in</form></body></html>"
                    .to_owned()
            }
            InvalidMetadata::NoSigningCertificate => without_elements(
                &good(issuer, None)?,
                "<md:KeyDescriptor",
                "</md:KeyDescriptor>\n",
            ),
            InvalidMetadata::OtherEntityId => good(&format!("{issuer}/other-idp"), None)?,
            InvalidMetadata::NoSsoUrl => {
                without_elements(&good(issuer, None)?, "<md:SingleSignOnService", "/>\n")
            }
            InvalidMetadata::Expired => good(issuer, Some(now - Duration::hours(1)))?,
        })
    }

    /// The team's URL answers 503 from now on.
    pub fn outage(&self, slug: &str) {
        self.set(slug, Answer::Outage);
    }

    pub fn url(&self, slug: &str) -> String {
        format!("{}/metadata/{slug}", self.base)
    }

    fn set(&self, slug: &str, answer: Answer) {
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(slug.to_owned(), answer);
    }
}

/// `xml` with `validUntil` on its EntityDescriptor, when given.
fn with_valid_until(
    mut xml: String,
    valid_until: Option<OffsetDateTime>,
) -> Result<String, PublishError> {
    let Some(valid_until) = valid_until else {
        return Ok(xml);
    };
    let stamp = valid_until
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| PublishError::ValidUntil(e.to_string()))?;
    let at = xml
        .find(" entityID=")
        .ok_or_else(|| PublishError::ValidUntil("no EntityDescriptor".to_owned()))?;
    xml.insert_str(at, &format!(" validUntil=\"{stamp}\""));
    Ok(xml)
}

/// `xml` without every element that starts with `open` and ends at the next `close`.
fn without_elements(xml: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        match rest.find(close) {
            Some(end) => rest = &rest[end + close.len()..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

async fn serve(State(answers): State<Answers>, Path(slug): Path<String>) -> Response {
    let answer = answers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&slug)
        .cloned();
    match answer {
        Some(Answer::Metadata(xml)) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Some(Answer::Outage) => {
            (StatusCode::SERVICE_UNAVAILABLE, "metadata host down").into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such team").into_response(),
    }
}
