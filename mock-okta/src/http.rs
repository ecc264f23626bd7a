//! Sending one request the way Okta's provisioning client does, and recording the exchange.
//!
//! Okta waits 60 s for an answer, honours `429 Too Many Requests` by waiting for `Retry-After`
//! and sending the same request again, and treats a 5xx as a failed task. Every attempt,
//! including each 429, is recorded, so a transcript shows the back-off as it happened. The wait
//! goes through a [`Sleeper`] so that tests can take a five-second `Retry-After` in no time.

use crate::judge::{Failure, Judgement};
use crate::profile::{AuthMode, Profile};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Okta's per-request timeout (Okta developer docs, "SCIM technical questions": requests that
/// take longer than 60 seconds time out).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts of one request when the server keeps answering 429 (the first one and three retries).
pub const MAX_ATTEMPTS: usize = 4;
/// The longest `Retry-After` that is waited out; a longer one fails the step rather than
/// hanging a test run for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// The wait when a 429 carries no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// Most bytes of a response body kept.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// What replaces the token wherever a transcript would show it.
pub const MASK: &str = "****";

/// How a back-off wait is spent: real time in the CLI, recorded and skipped in tests.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Waits on tokio's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// The token the run was given, in the run's [`AuthMode`].
    Configured,
    /// A value that is not the token (Okta's SPEC test "HTTP 401 for a non-token Authorization").
    Wrong,
}

/// The value sent as the wrong credential; it is shown unmasked because it is not a secret.
pub const WRONG_TOKEN: &str = "Bearer mock-okta-not-a-valid-token";

/// One request, its path relative to the base URL and already percent-encoded exactly as the
/// profile's client encodes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    /// Sent byte for byte: a JSON document, or deliberately broken text.
    pub body: Option<String>,
    pub credentials: Credentials,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::Get, path, None)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::Delete, path, None)
    }

    pub fn json(method: Method, path: impl Into<String>, body: &Value) -> Self {
        Self::new(method, path, Some(body.to_string()))
    }

    pub fn raw(method: Method, path: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(method, path, Some(body.into()))
    }

    pub fn with_wrong_credentials(mut self) -> Self {
        self.credentials = Credentials::Wrong;
        self
    }

    fn new(method: Method, path: impl Into<String>, body: Option<String>) -> Self {
        Self {
            method,
            path: path.into(),
            body,
            credentials: Credentials::Configured,
        }
    }
}

/// One request sent and what came back, as a transcript shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    pub method: Method,
    pub path: String,
    /// The headers the client set, in order; the token is replaced by [`MASK`].
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// `None` when no response arrived (see `error`).
    pub status: Option<u16>,
    /// The response headers a reader needs: content type, location, retry-after, etag.
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// Why no response arrived.
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// A response the step can judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub status: u16,
    pub body: String,
    pub latency: Duration,
}

impl Received {
    /// The body as JSON, or the judgement that it is not.
    pub fn json(&self) -> Result<Value, Failure> {
        serde_json::from_str(&self.body).map_err(|e| {
            Failure::new(
                Judgement::BodyNotJson,
                "a JSON body",
                format!("{} ({e})", crate::judge::excerpt(&self.body)),
            )
        })
    }
}

/// Okta's client for one server: base URL, token, profile, timeout and back-off.
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    token: String,
    auth_mode: AuthMode,
    profile: Profile,
    timeout: Duration,
    sleeper: Arc<dyn Sleeper>,
}

impl Client {
    /// A client that waits `timeout` per request and spends back-off waits on `sleeper`.
    pub fn new(
        base_url: &str,
        token: &str,
        auth_mode: AuthMode,
        profile: Profile,
        timeout: Duration,
        sleeper: Arc<dyn Sleeper>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // A redirect is shown as it is: Okta's client does not follow it to another URL
            // with the token, and a SCIM base URL that redirects is a configuration error.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            auth_mode,
            profile,
            timeout,
            sleeper,
        })
    }

    /// Sends `request`, waiting out 429s, and appends every attempt to `log`. A transport error,
    /// a 5xx or a 429 that does not clear is a failure; any other status is for the step to judge.
    pub async fn send(
        &self,
        request: &Request,
        log: &mut Vec<Exchange>,
    ) -> Result<Received, Failure> {
        for attempt in 1..=MAX_ATTEMPTS {
            let (exchange, received) = self.attempt(request).await;
            let retry_after = exchange
                .response_headers
                .iter()
                .find(|(name, _)| name == "retry-after")
                .map(|(_, value)| value.clone());
            log.push(exchange);
            let received = received?;
            if received.status == 429 {
                let wait = retry_wait(retry_after.as_deref())?;
                if attempt == MAX_ATTEMPTS {
                    break;
                }
                self.sleeper.sleep(wait).await;
                continue;
            }
            if received.status >= 500 {
                return Err(Failure::new(
                    Judgement::ServerError,
                    "a 2xx or 4xx answer",
                    format!(
                        "{} {}",
                        received.status,
                        crate::judge::excerpt(&received.body)
                    ),
                ));
            }
            return Ok(received);
        }
        Err(Failure::new(
            Judgement::RateLimited,
            format!("an answer other than 429 within {MAX_ATTEMPTS} attempts"),
            format!("429 on each of {MAX_ATTEMPTS} attempts"),
        ))
    }

    async fn attempt(&self, request: &Request) -> (Exchange, Result<Received, Failure>) {
        let headers = self.headers(request);
        let mut builder = self.http.request(
            request.method.reqwest(),
            format!("{}{}", self.base_url, request.path),
        );
        for (name, value, _) in &headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let shown = headers
            .into_iter()
            .map(|(name, _, shown)| (name.to_string(), shown))
            .collect();
        let mut exchange = Exchange {
            method: request.method,
            path: request.path.clone(),
            request_headers: shown,
            request_body: request.body.clone(),
            status: None,
            response_headers: Vec::new(),
            response_body: String::new(),
            error: None,
            latency_ms: 0,
        };
        let started = Instant::now();
        let result = match builder.send().await {
            Ok(response) => read(response).await,
            Err(error) => Err(error),
        };
        let latency = started.elapsed();
        exchange.latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok((status, response_headers, body)) => {
                exchange.status = Some(status);
                exchange.response_headers = response_headers;
                // Judged masked too: a failure quotes the body into reports.
                let body = self.mask(&body);
                exchange.response_body = body.clone();
                let received = Received {
                    status,
                    body,
                    latency,
                };
                (exchange, Ok(received))
            }
            Err(error) => {
                let message = if error.is_timeout() {
                    format!("no answer within {} ms", self.timeout.as_millis())
                } else {
                    // The source chain says what happened (connection refused, reset, DNS).
                    let mut message = error.to_string();
                    let mut source = std::error::Error::source(&error);
                    while let Some(inner) = source {
                        message.push_str(": ");
                        message.push_str(&inner.to_string());
                        source = inner.source();
                    }
                    message
                };
                exchange.error = Some(message.clone());
                let failure = Failure::new(Judgement::TransportFailed, "an HTTP response", message);
                (exchange, Err(failure))
            }
        }
    }

    /// The headers the profile's client sends, in its order: name, value sent, value shown
    /// (the token masked).
    fn headers(&self, request: &Request) -> Vec<(&'static str, String, String)> {
        let mut headers = Vec::new();
        if let Some(agent) = self.profile.user_agent() {
            headers.push(("User-Agent", agent.to_string(), agent.to_string()));
        }
        let (sent, shown) = match (request.credentials, self.auth_mode) {
            (Credentials::Configured, AuthMode::Bearer) => {
                (format!("Bearer {}", self.token), format!("Bearer {MASK}"))
            }
            (Credentials::Configured, AuthMode::Header) => (self.token.clone(), MASK.to_string()),
            (Credentials::Wrong, _) => (WRONG_TOKEN.to_string(), WRONG_TOKEN.to_string()),
        };
        headers.push(("Authorization", sent, shown));
        if request.body.is_some() {
            let content_type = self.profile.content_type().to_string();
            headers.push(("Content-Type", content_type.clone(), content_type));
        }
        headers
    }

    /// A server that echoes the Authorization header in a body must not put the token into a
    /// transcript that CI keeps.
    fn mask(&self, body: &str) -> String {
        if self.token.is_empty() {
            return body.to_string();
        }
        body.replace(&self.token, MASK)
    }
}

async fn read(
    response: reqwest::Response,
) -> Result<(u16, Vec<(String, String)>, String), reqwest::Error> {
    const SHOWN: [&str; 4] = ["content-type", "location", "retry-after", "etag"];
    let status = response.status().as_u16();
    let headers = SHOWN
        .iter()
        .filter_map(|name| {
            response.headers().get(*name).map(|v| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
        })
        .collect();
    // Read by chunks and stop at the cap: a hostile or broken server cannot make the client
    // hold an endless body in memory.
    let mut response = response;
    let mut kept = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY - kept.len();
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if kept.len() == MAX_BODY {
            break;
        }
    }
    Ok((status, headers, String::from_utf8_lossy(&kept).into_owned()))
}

/// How long to wait after a 429: `Retry-After` in seconds (the form Okta's and most servers'
/// rate limiters send; an HTTP-date is not waited on but reported).
pub fn retry_wait(retry_after: Option<&str>) -> Result<Duration, Failure> {
    let Some(value) = retry_after else {
        return Ok(DEFAULT_RETRY_AFTER);
    };
    let seconds: u64 = value.trim().parse().map_err(|_| {
        Failure::new(
            Judgement::RateLimited,
            "Retry-After as a number of seconds",
            format!("Retry-After: {value}"),
        )
    })?;
    let wait = Duration::from_secs(seconds);
    if wait > MAX_RETRY_AFTER {
        return Err(Failure::new(
            Judgement::RateLimited,
            format!("Retry-After of at most {} s", MAX_RETRY_AFTER.as_secs()),
            format!("Retry-After: {value}"),
        ));
    }
    Ok(wait)
}
