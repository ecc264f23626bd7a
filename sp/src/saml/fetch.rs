//! Fetching a team's metadata URL: https only (http just for loopback), a deadline, a size cap
//! enforced while reading, and redirects followed by hand so that every hop obeys the same rule.
//!
//! The URL is typed by a customer, so the fetch treats the other end as untrusted: it must not
//! hang the refresh loop (one deadline for the whole exchange, redirects and body included),
//! must not fill memory (the cap is checked against `Content-Length` and again on every chunk, so
//! no more than the cap is ever buffered), and must not be steered onto plain http where anyone on
//! the path could substitute their own signing certificate. Metadata is not signed in a way the SP
//! could check ([`super::metadata`]), so TLS is what authenticates it.
//!
//! The body is returned as text; [`super::metadata::check_static`] decides whether it is usable.
//! Content-Type is not checked: IdPs serve metadata as `application/samlmetadata+xml`,
//! `application/xml`, `text/xml` and even `text/html`.

use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use super::metadata::MAX_METADATA_BYTES;

/// Bounds on one fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchLimits {
    /// Deadline for the whole fetch: connecting, every redirect, headers and body.
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Redirects followed before giving up. A metadata URL normally answers directly; a few IdPs
    /// redirect once (http→https, a CDN, a tenant alias), so three is generous.
    pub max_redirects: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            timeout: Duration::from_secs(10),
            max_bytes: MAX_METADATA_BYTES,
            max_redirects: 3,
        }
    }
}

/// Why a metadata URL could not be fetched. Each message names the URL (password removed) and
/// what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error(
        "metadata URL {url:?} is not an absolute URL ({reason}); paste the full https:// address \
         the IdP gives for its metadata"
    )]
    InvalidUrl {
        url: String,
        reason: url::ParseError,
    },
    #[error("metadata URL {url} uses the {scheme}: scheme; use the IdP's https:// metadata URL")]
    UnsupportedScheme { url: String, scheme: String },
    #[error(
        "metadata URL {url} uses plain http, which is allowed only for a loopback host \
         (127.0.0.0/8, ::1, localhost); use the https:// URL, since over http anyone on the path \
         could replace the IdP's signing certificate"
    )]
    InsecureUrl { url: String },
    #[error(
        "fetching metadata from {url} did not finish within {} s; check that the SP can reach \
         the URL, or paste the metadata XML instead",
        after.as_secs_f64()
    )]
    Timeout { url: String, after: Duration },
    #[error(
        "could not fetch metadata from {url}: {}; check the URL and that the SP can reach it",
        chain(source)
    )]
    Network {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error(
        "metadata URL {url} answered HTTP {status}; {}",
        status_hint(*status)
    )]
    HttpStatus {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error(
        "metadata from {url} is larger than the limit of {limit} bytes; use the metadata URL of \
         this one IdP application, not a federation aggregate"
    )]
    TooLarge { url: String, limit: usize },
    #[error("metadata URL {url} redirected more than {max} times; use the final URL instead")]
    TooManyRedirects { url: String, max: usize },
    #[error(
        "metadata URL {from} redirected to {to}, which is refused ({why}); use the IdP's final \
         https:// metadata URL"
    )]
    RedirectRefused {
        from: String,
        to: String,
        why: &'static str,
    },
    #[error(
        "metadata URL {url} answered HTTP {status} without a usable Location header; use the final \
         URL instead"
    )]
    RedirectInvalid {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error(
        "metadata from {url} is not UTF-8 (invalid byte after {valid_up_to} bytes); SAML metadata \
         is UTF-8, check that the URL serves the metadata XML"
    )]
    NotUtf8 { url: String, valid_up_to: usize },
    #[error("could not set up the HTTP client for metadata fetches: {}", chain(.0))]
    Client(#[source] reqwest::Error),
}

impl FetchError {
    /// The stable snake_case code, recorded with the error time as the metadata's last error.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl { .. } => "url_invalid",
            FetchError::UnsupportedScheme { .. } => "url_scheme_unsupported",
            FetchError::InsecureUrl { .. } => "url_not_https",
            FetchError::Timeout { .. } => "fetch_timeout",
            FetchError::Network { .. } => "fetch_failed",
            FetchError::HttpStatus { .. } => "http_status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::RedirectRefused { .. } => "redirect_refused",
            FetchError::RedirectInvalid { .. } => "redirect_invalid",
            FetchError::NotUtf8 { .. } => "not_utf8",
            FetchError::Client(_) => "client_failed",
        }
    }
}

/// Parses a metadata URL and applies the scheme rule: `https`, or `http` to a loopback host only
/// (a local IdP or mock during development and tests). Runs before any network access.
pub fn check_url(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url.trim()).map_err(|reason| FetchError::InvalidUrl {
        url: truncate(url),
        reason,
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(FetchError::InsecureUrl {
            url: redact(&parsed),
        }),
        other => Err(FetchError::UnsupportedScheme {
            url: redact(&parsed),
            scheme: other.to_owned(),
        }),
    }
}

/// A client suited to [`fetch_metadata`]: redirects off (the fetch follows them itself, checking
/// each hop), a connect timeout, and a User-Agent naming the SP. Proxies from the environment are
/// honoured, as an SP behind an egress proxy needs.
pub fn metadata_client(limits: &FetchLimits) -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(limits.timeout)
        .user_agent(concat!("ssolab-sp/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(FetchError::Client)
}

/// Fetches the metadata at `url` as text within `limits`.
///
/// `client` should not follow redirects itself ([`metadata_client`] or
/// `redirect::Policy::none()`): this function follows up to `limits.max_redirects` (301, 302,
/// 303, 307, 308), each to an https URL, or to loopback http only from a loopback URL, so that a
/// public server cannot point the SP at its own loopback services. If a client does follow
/// redirects on its own, the URL it ended at is still checked against the same rule.
pub async fn fetch_metadata(
    client: &reqwest::Client,
    url: &str,
    limits: &FetchLimits,
) -> Result<String, FetchError> {
    let start = check_url(url)?;
    let shown = redact(&start);
    match tokio::time::timeout(limits.timeout, fetch_within(client, start, limits)).await {
        Ok(result) => result,
        Err(_elapsed) => Err(FetchError::Timeout {
            url: shown,
            after: limits.timeout,
        }),
    }
}

async fn fetch_within(
    client: &reqwest::Client,
    mut url: Url,
    limits: &FetchLimits,
) -> Result<String, FetchError> {
    let mut redirects = 0usize;
    loop {
        let mut response =
            client
                .get(url.clone())
                .send()
                .await
                .map_err(|source| FetchError::Network {
                    url: redact(&url),
                    source,
                })?;
        if response.url() != &url {
            check_redirect(&url, response.url())?;
        }
        let status = response.status();
        if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            redirects += 1;
            if redirects > limits.max_redirects {
                return Err(FetchError::TooManyRedirects {
                    url: redact(&url),
                    max: limits.max_redirects,
                });
            }
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| url.join(location).ok())
                .ok_or_else(|| FetchError::RedirectInvalid {
                    url: redact(&url),
                    status,
                })?;
            check_redirect(&url, &next)?;
            url = next;
            continue;
        }
        if !status.is_success() {
            return Err(FetchError::HttpStatus {
                url: redact(&url),
                status,
            });
        }
        let too_large = || FetchError::TooLarge {
            url: redact(&url),
            limit: limits.max_bytes,
        };
        // A declared length over the cap is refused before reading anything; a body without one
        // (chunked, or close-delimited) is counted as it arrives.
        let declared = response.content_length();
        if declared.is_some_and(|len| len > limits.max_bytes as u64) {
            return Err(too_large());
        }
        let capacity = declared.map_or(0, |len| len as usize);
        let mut body: Vec<u8> = Vec::with_capacity(capacity);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|source| FetchError::Network {
                url: redact(&url),
                source,
            })?
        {
            if chunk.len() > limits.max_bytes - body.len() {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        return String::from_utf8(body).map_err(|e| FetchError::NotUtf8 {
            url: redact(&url),
            valid_up_to: e.utf8_error().valid_up_to(),
        });
    }
}

/// A redirect from `from` to `to` is followed only if `to` passes [`check_url`] and does not move
/// from a non-loopback host to a loopback one (that would let any public server probe the SP's
/// local services).
fn check_redirect(from: &Url, to: &Url) -> Result<(), FetchError> {
    let refused = |why| FetchError::RedirectRefused {
        from: redact(from),
        to: redact(to),
        why,
    };
    match to.scheme() {
        "https" => {}
        "http" if is_loopback(to) => {}
        "http" => return Err(refused("plain http to a non-loopback host")),
        _ => return Err(refused("not an http(s) URL")),
    }
    if is_loopback(to) && !is_loopback(from) {
        return Err(refused("a public host may not redirect to loopback"));
    }
    Ok(())
}

/// 127.0.0.0/8, ::1 (also IPv4-mapped), or the name `localhost`. Other names are not resolved
/// here: what a name resolves to can change between this check and the connection.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            IpAddr::V6(ip).is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// The URL for messages and logs, without a password that may have been embedded in it.
fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have credentials, which this one evidently can.
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// Unparseable input is shown as given, but bounded.
fn truncate(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// reqwest's own message ("error sending request") hides the cause ("connection refused");
/// messages show the whole chain.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

fn status_hint(status: reqwest::StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => {
            "the URL needs sign-in or is not public; use the IdP's public metadata URL (Okta: the \
             app's \"Identity Provider metadata\" link; Entra: \"App Federation Metadata Url\")"
        }
        404 | 410 => {
            "the URL does not exist (any more); copy it again from the IdP's admin console"
        }
        500..=599 => {
            "the IdP's server failed; the last good metadata stays in use and the fetch is retried"
        }
        _ => "check the URL (copy it again from the IdP's admin console)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(url: &str) -> &'static str {
        match check_url(url) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn https_is_accepted_anywhere() {
        assert_eq!(code("https://idp.example.com/metadata"), "ok");
        assert_eq!(code("  https://idp.example.com/metadata\n"), "ok");
    }

    #[test]
    fn http_is_accepted_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8081/metadata",
            "http://127.1.2.3/m",
            "http://[::1]:8081/m",
            "http://localhost:8081/m",
            "http://LOCALHOST/m",
            "http://[::ffff:127.0.0.1]/m",
        ] {
            assert_eq!(code(ok), "ok", "{ok}");
        }
        for refused in [
            "http://idp.example.com/metadata",
            "http://10.0.0.1/m",
            "http://localhost.example.com/m",
            "http://0.0.0.0/m",
            "http://[::]/m",
            "http://128.0.0.1/m",
        ] {
            assert_eq!(code(refused), "url_not_https", "{refused}");
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        assert_eq!(code("file:///etc/passwd"), "url_scheme_unsupported");
        assert_eq!(code("ftp://idp/m"), "url_scheme_unsupported");
        assert_eq!(code("idp.example.com/metadata"), "url_invalid");
        assert_eq!(code(""), "url_invalid");
    }

    #[test]
    fn messages_name_the_url_and_the_fix_but_not_the_password() {
        let err = check_url("http://admin:hunter2@idp.example.com/md").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("http://admin:***@idp.example.com/md"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("use the https:// URL"), "{text}");
    }

    #[test]
    fn redirects_must_stay_https_or_loopback() {
        let u = |s: &str| Url::parse(s).unwrap();
        let code = |from: &str, to: &str| match check_redirect(&u(from), &u(to)) {
            Ok(()) => "ok",
            Err(e) => e.code(),
        };
        assert_eq!(code("https://a/m", "https://b/m"), "ok");
        assert_eq!(code("http://127.0.0.1/m", "http://localhost/m"), "ok");
        assert_eq!(code("http://127.0.0.1/m", "https://idp/m"), "ok");
        assert_eq!(code("https://a/m", "http://b/m"), "redirect_refused");
        assert_eq!(
            code("https://a/m", "http://127.0.0.1/m"),
            "redirect_refused"
        );
        assert_eq!(
            code("https://a/m", "https://127.0.0.1/m"),
            "redirect_refused"
        );
        assert_eq!(
            code("https://a/m", "file:///etc/passwd"),
            "redirect_refused"
        );
    }

    #[test]
    fn truncates_long_unparseable_input_on_a_char_boundary() {
        let long = "é".repeat(300);
        assert_eq!(truncate(&long).chars().count(), 201);
    }
}
