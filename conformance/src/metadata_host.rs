//! The IdP's metadata URL for teams configured with dynamic metadata: one path per team on
//! 127.0.0.1, whose answer scripts change (a rotated key, an outage) while the SP keeps fetching.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mock_idp::keys::{KeyError, KeyType};
use mock_idp::metadata::Published;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::inprocess::IDP_SSO_URL;

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

    /// The team's URL publishes `issuer`'s metadata with `published` keys from now on.
    pub fn publish(
        &self,
        slug: &str,
        issuer: &str,
        published: Published,
    ) -> Result<String, KeyError> {
        let xml = mock_idp::metadata::render(issuer, IDP_SSO_URL, published, KeyType::Rsa)?;
        self.set(slug, Answer::Metadata(xml));
        Ok(self.url(slug))
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
