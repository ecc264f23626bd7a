//! Delivering a response the way a browser does, hop by hop.
//!
//! Redirects are followed by hand (reqwest's own policy is off) because what a browser does with
//! them is the point: after a 301, 302 or 303 it repeats the request as a GET *without the form
//! body* (Fetch standard, "HTTP-redirect fetch", step 12), so a Reply URL that redirects — apex to
//! www, http to https, a trailing slash added — loses the SAMLResponse, and the SP's ACS answers
//! a GET with no response in it. Only 307 and 308 re-send the POST. Every hop is recorded so the
//! transcript shows where the POST was lost.
//!
//! Cookies set on one hop are sent on later hops to the same host, as a browser would, so that a
//! session cookie set with the ACS's redirect reaches the application page. The jar is minimal:
//! name and value per host, no path, expiry or `Secure` handling.

use crate::spec::HttpMethod;
use std::fmt::Write as _;
use std::time::Duration;
use url::Url;

/// Most redirects followed after the first request (browsers allow about 20; a SAML flow needs
/// one or two, and five shows a loop clearly).
pub const MAX_REDIRECTS: usize = 5;
/// Most bytes of the final body kept.
pub const MAX_BODY: usize = 1024 * 1024;
/// Per-request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// What the browser sends first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The Reply URL.
    pub url: Url,
    /// POST (a form) or GET (the same fields in the query string).
    pub method: HttpMethod,
    /// The `SAMLResponse` value (base64).
    pub saml_response: String,
    pub relay_state: Option<String>,
}

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub method: &'static str,
    pub url: String,
    /// Whether the request carried the form body.
    pub sent_body: bool,
    pub status: u16,
    /// Every response header, in order, names lower-case.
    pub headers: Vec<(String, String)>,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
}

/// One delivery: its hops and the final answer's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub hops: Vec<Hop>,
    /// The body of the last hop (at most [`MAX_BODY`] bytes, lossily UTF-8).
    pub body: String,
    /// The last hop was still a redirect when [`MAX_REDIRECTS`] ran out.
    pub redirect_limit_hit: bool,
}

impl Delivery {
    /// The status of the last hop.
    pub fn final_status(&self) -> u16 {
        self.hops.last().map_or(0, |h| h.status)
    }

    /// Whether the delivery ended in an error (4xx, 5xx, or a redirect loop).
    pub fn failed(&self) -> bool {
        self.redirect_limit_hit || self.final_status() >= 400
    }

    /// A transcript for people: each hop's request, status and headers, then the final body.
    pub fn transcript(&self) -> String {
        let mut out = String::new();
        let mut previous: Option<&Hop> = None;
        for hop in &self.hops {
            let note = match previous {
                Some(p) if !hop.sent_body && p.method == "POST" => format!(
                    "   (no body: a {} turns a POST into a GET, as browsers do)",
                    p.status
                ),
                Some(p) if hop.sent_body => {
                    format!("   (body re-sent: a {} keeps the method)", p.status)
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "> {} {}{note}", hop.method, shown(&hop.url));
            let _ = writeln!(out, "< {} {}", hop.status, reason(hop.status));
            for (name, value) in &hop.headers {
                let _ = writeln!(out, "< {name}: {value}");
            }
            out.push('\n');
            previous = Some(hop);
        }
        if self.redirect_limit_hit {
            let _ = writeln!(
                out,
                "stopped: still redirecting after {MAX_REDIRECTS} redirects (a loop?)\n"
            );
        }
        out.push_str(&self.body);
        if !self.body.ends_with('\n') && !self.body.is_empty() {
            out.push('\n');
        }
        out
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// Why a delivery could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostError {
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
    #[error("the SP could not be reached: {method} {url} failed: {reason}")]
    Request {
        method: &'static str,
        url: String,
        reason: String,
    },
    #[error("the Reply URL {url:?} is not an absolute http(s) URL ({reason})")]
    BadReplyUrl { url: String, reason: String },
    #[error("cannot start the local redirector on 127.0.0.1: {0}")]
    Redirector(String),
    #[error(
        "{url} answered {status} with Location {location:?}, which is not an http(s) URL ({reason})"
    )]
    BadLocation {
        url: String,
        status: u16,
        location: String,
        reason: String,
    },
}

impl PostError {
    pub fn code(&self) -> &'static str {
        match self {
            PostError::Client(_) => "client_failed",
            PostError::Request { .. } => "request_failed",
            PostError::BadLocation { .. } => "bad_location",
            PostError::Redirector(_) => "redirector_failed",
            PostError::BadReplyUrl { .. } => "bad_reply_url",
        }
    }
}

/// A client that never follows redirects itself.
pub fn client() -> Result<reqwest::Client, PostError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("mock-idp/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PostError::Client(e.to_string()))
}

/// `url` if a browser would send a form there (http or https), else why not.
pub fn only_http(url: Url) -> Result<Url, String> {
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("scheme {other}")),
    }
}

fn form_body(submission: &Submission) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("SAMLResponse", &submission.saml_response);
    if let Some(relay_state) = &submission.relay_state {
        form.append_pair("RelayState", relay_state);
    }
    form.finish()
}

/// Delivers `submission` once, following redirects as a browser does.
pub async fn deliver(
    client: &reqwest::Client,
    submission: &Submission,
) -> Result<Delivery, PostError> {
    let body = form_body(submission);
    let mut url = submission.url.clone();
    let mut method = submission.method;
    if method == HttpMethod::Get {
        // A GET carries the fields in the query string, after any the Reply URL already has.
        let query = match url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{body}"),
            _ => body.clone(),
        };
        url.set_query(Some(&query));
    }
    let mut jar: Vec<(String, String, String)> = Vec::new();
    let mut hops = Vec::new();
    loop {
        let with_body = method == HttpMethod::Post;
        let method_name = if with_body { "POST" } else { "GET" };
        let mut request = if with_body {
            client
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone())
        } else {
            client.get(url.clone())
        };
        let host = url.host_str().unwrap_or("").to_owned();
        let cookies: Vec<String> = jar
            .iter()
            .filter(|(h, _, _)| *h == host)
            .map(|(_, name, value)| format!("{name}={value}"))
            .collect();
        if !cookies.is_empty() {
            request = request.header(reqwest::header::COOKIE, cookies.join("; "));
        }
        let response = request.send().await.map_err(|e| PostError::Request {
            method: method_name,
            url: url.to_string(),
            reason: error_chain(&e),
        })?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let location = values(&headers, "location").into_iter().next();
        let set_cookies = values(&headers, "set-cookie");
        for cookie in &set_cookies {
            remember(&mut jar, &host, cookie);
        }
        hops.push(Hop {
            method: method_name,
            url: url.to_string(),
            sent_body: with_body,
            status,
            headers,
            location: location.clone(),
            set_cookies,
        });
        let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
        let Some(location) = location.filter(|_| redirect) else {
            let body = read_body(response).await;
            return Ok(Delivery {
                hops,
                body,
                redirect_limit_hit: false,
            });
        };
        if hops.len() > MAX_REDIRECTS {
            return Ok(Delivery {
                hops,
                body: String::new(),
                redirect_limit_hit: true,
            });
        }
        let next = url
            .join(&location)
            .map_err(|e| e.to_string())
            .and_then(only_http)
            .map_err(|reason| PostError::BadLocation {
                url: url.to_string(),
                status,
                location: location.clone(),
                reason,
            })?;
        // Fetch standard: 301/302 turn a POST into a GET, 303 turns anything but HEAD into a
        // GET; 307/308 repeat the request unchanged.
        if matches!(status, 301..=303) {
            method = HttpMethod::Get;
        }
        url = next;
    }
}

/// Delivers `submission` `posts` times (2 for a replay), each time as a fresh browser. With
/// `via`, the browser first goes to a [`Redirector`] that answers with that redirect to the
/// submission's URL, and follows it.
pub async fn deliver_times(
    client: &reqwest::Client,
    submission: &Submission,
    posts: u8,
    via: Option<Redirect>,
) -> Result<Vec<Delivery>, PostError> {
    // Kept alive until every post is done; dropping it stops the server.
    let redirector = match via {
        Some(redirect) => Some(Redirector::start(redirect, &submission.url).await?),
        None => None,
    };
    let submission = match &redirector {
        Some(redirector) => Submission {
            url: redirector.entry(&submission.url),
            ..submission.clone()
        },
        None => submission.clone(),
    };
    let mut deliveries = Vec::new();
    for _ in 0..posts.max(1) {
        deliveries.push(deliver(client, &submission).await?);
    }
    Ok(deliveries)
}

/// A redirect a site answers a Reply URL with (an http:// URL to https://, the apex to www.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Redirect {
    Moved301,
    Found302,
    SeeOther303,
    Temporary307,
    Permanent308,
}

impl Redirect {
    pub const ALL: [Redirect; 5] = [
        Redirect::Moved301,
        Redirect::Found302,
        Redirect::SeeOther303,
        Redirect::Temporary307,
        Redirect::Permanent308,
    ];

    pub fn status(self) -> u16 {
        self.http_status().as_u16()
    }

    pub fn http_status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Redirect::Moved301 => StatusCode::MOVED_PERMANENTLY,
            Redirect::Found302 => StatusCode::FOUND,
            Redirect::SeeOther303 => StatusCode::SEE_OTHER,
            Redirect::Temporary307 => StatusCode::TEMPORARY_REDIRECT,
            Redirect::Permanent308 => StatusCode::PERMANENT_REDIRECT,
        }
    }

    /// The status as the command line writes it (`--via-redirect 301`).
    pub const fn name(self) -> &'static str {
        match self {
            Redirect::Moved301 => "301",
            Redirect::Found302 => "302",
            Redirect::SeeOther303 => "303",
            Redirect::Temporary307 => "307",
            Redirect::Permanent308 => "308",
        }
    }

    /// The redirect with this status, if it is one.
    pub fn from_status(status: u16) -> Option<Redirect> {
        Redirect::ALL.into_iter().find(|r| r.status() == status)
    }

    /// Whether a browser repeats a POST with its body (307, 308) rather than turning it into
    /// a GET without one (301, 302, 303).
    pub fn keeps_post(self) -> bool {
        matches!(self, Redirect::Temporary307 | Redirect::Permanent308)
    }
}

/// A tiny HTTP server on `127.0.0.1:0` that answers every request with one redirect to the
/// Reply URL's origin: the site in front of a Reply URL, played for real so the browser's behaviour (and the
/// SP's answer to what arrives) is observed, not assumed. It stops when dropped.
#[derive(Debug)]
pub struct Redirector {
    /// `http://127.0.0.1:PORT`.
    pub base: Url,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Redirector {
    /// Starts the server; every request gets `redirect` to its own path and query on `target`'s
    /// origin (so the browser, sent to [`Redirector::entry`], is sent on to `target`).
    pub async fn start(redirect: Redirect, target: &Url) -> Result<Redirector, PostError> {
        let failed = |e: std::io::Error| PostError::Redirector(e.to_string());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(failed)?;
        let address = listener.local_addr().map_err(failed)?;
        let base = Url::parse(&format!("http://{address}"))
            .map_err(|e| PostError::Redirector(e.to_string()))?;
        let status = redirect.http_status();
        let origin = target.clone();
        // As an http:// → https:// or apex → www. redirect does: the same path and query on
        // the other origin. A GET's SAMLResponse in the query survives; a POST's body does not.
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let mut location = origin.clone();
            location.set_path(uri.path());
            location.set_query(uri.query());
            async move {
                (
                    status,
                    [(axum::http::header::LOCATION, location.to_string())],
                )
            }
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Redirector {
            base,
            stop: Some(stop),
        })
    }

    /// The URL the browser goes to first: this server with `target`'s path and query, so the
    /// transcript shows the same path on the redirecting host.
    pub fn entry(&self, target: &Url) -> Url {
        let mut url = self.base.clone();
        url.set_path(target.path());
        url.set_query(target.query());
        url
    }
}

impl Drop for Redirector {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn values(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .collect()
}

/// A cookie that a `Set-Cookie` header sets: its name and value, or `None` when the header
/// deletes one (an empty value or `Max-Age=0`, how servers delete) or is not a cookie at all.
pub fn cookie_set_by(set_cookie: &str) -> Option<(&str, &str)> {
    let pair = set_cookie.split(';').next().unwrap_or("");
    let (name, value) = pair.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    let deleted = value.is_empty()
        || set_cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
    (!name.is_empty() && !deleted).then_some((name, value))
}

fn remember(jar: &mut Vec<(String, String, String)>, host: &str, set_cookie: &str) {
    let Some((name, _)) = set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
    else {
        return;
    };
    let name = name.trim();
    jar.retain(|(h, n, _)| !(h == host && n == name));
    if let Some((name, value)) = cookie_set_by(set_cookie) {
        jar.push((host.to_owned(), name.to_owned(), value.to_owned()));
    }
}

/// `url` for a person: query values longer than [`SHOWN_VALUE`] characters (a SAMLResponse
/// in a GET) are cut, with their length, so a hop stays one readable line.
fn shown(url: &str) -> String {
    let Some((head, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|part| match part.split_once('=') {
            Some((name, value)) if value.chars().count() > SHOWN_VALUE => {
                let start: String = value.chars().take(SHOWN_VALUE).collect();
                format!("{name}={start}…({} characters)", value.chars().count())
            }
            _ => part.to_owned(),
        })
        .collect();
    format!("{head}?{}", parts.join("&"))
}

/// Characters of a query value shown in a transcript.
const SHOWN_VALUE: usize = 40;

async fn read_body(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_BODY.saturating_sub(body.len());
        body.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or(&[]));
        if body.len() >= MAX_BODY {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// reqwest's Display stops at the outermost error ("error sending request"); the cause
/// ("connection refused") is what a person needs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jar_keeps_one_value_per_name_and_forgets_deleted_cookies() {
        let mut jar = Vec::new();
        remember(&mut jar, "sp", "session=abc; Path=/; HttpOnly");
        remember(&mut jar, "sp", "session=def; Path=/");
        assert_eq!(jar, vec![("sp".into(), "session".into(), "def".into())]);
        remember(&mut jar, "sp", "session=gone; Max-Age=0");
        assert!(jar.is_empty());
    }

    #[test]
    fn a_deleting_set_cookie_sets_nothing() {
        assert_eq!(cookie_set_by("sid=abc; Path=/"), Some(("sid", "abc")));
        assert_eq!(cookie_set_by("sid=; Path=/"), None);
        assert_eq!(cookie_set_by("sid=abc; Max-Age=0"), None);
        assert_eq!(cookie_set_by("garbage"), None);
    }

    #[test]
    fn long_query_values_are_cut_in_transcripts() {
        let long = "P".repeat(100);
        assert_eq!(
            shown(&format!("http://sp/acs?a=1&SAMLResponse={long}")),
            format!(
                "http://sp/acs?a=1&SAMLResponse={}…(100 characters)",
                "P".repeat(40)
            )
        );
        assert_eq!(shown("http://sp/acs?a=1"), "http://sp/acs?a=1");
        assert_eq!(shown("http://sp/acs"), "http://sp/acs");
    }

    #[test]
    fn the_form_carries_relay_state_only_when_set() {
        let url = Url::parse("http://sp/acs").unwrap();
        let mut submission = Submission {
            url,
            method: HttpMethod::Post,
            saml_response: "PHI+".into(),
            relay_state: None,
        };
        assert_eq!(form_body(&submission), "SAMLResponse=PHI%2B");
        submission.relay_state = Some("/a b".into());
        assert_eq!(
            form_body(&submission),
            "SAMLResponse=PHI%2B&RelayState=%2Fa+b"
        );
    }
}
