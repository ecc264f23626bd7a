//! Session and "SSO LOG IN" cookies. The session token is random and server-side (only its
//! SHA-256 is stored); the team cookie only remembers which team's login to offer.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use time::{Duration, OffsetDateTime};

pub const SESSION_COOKIE: &str = "ssolab_session";
pub const SSO_TEAM_COOKIE: &str = "ssolab_sso_team";
/// A session lasts at most this long, and never past the assertion's SessionNotOnOrAfter.
pub const MAX_SESSION: Duration = Duration::hours(8);
/// The team cookie outlives sessions: it is what makes "SSO LOG IN" appear.
pub const SSO_TEAM_COOKIE_LIFETIME: Duration = Duration::days(365);

/// A fresh session token (32 random bytes, hex) and its hash for storage.
pub fn new_token() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    // The OS random source failing means no secret can be made at all.
    openssl::rand::rand_bytes(&mut bytes).expect("the OS random source is available");
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> [u8; 32] {
    openssl::sha::sha256(token.as_bytes())
}

/// The value of cookie `name` in the request.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value. Lax, not Strict: the ACS is reached by a cross-site POST from the IdP,
/// and the redirect that follows must carry the new session.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        max_age.whole_seconds().max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// The SP-initiated logins this browser started: the AuthnRequest IDs, newest first.
pub const LOGIN_REQUESTS_COOKIE: &str = "ssolab_login_requests";

/// How many concurrent SP-initiated logins one browser keeps (tabs opened at once).
const LOGIN_REQUESTS_KEPT: usize = 4;

/// How long an AuthnRequest waits for its Response: the stored request and the browser's cookie
/// naming it expire together.
pub const LOGIN_REQUESTS_LIFETIME: Duration = Duration::minutes(10);

/// The request IDs of [`LOGIN_REQUESTS_COOKIE`] (only well-formed ones).
pub fn login_requests(headers: &HeaderMap) -> Vec<&str> {
    cookie(headers, LOGIN_REQUESTS_COOKIE)
        .map(|v| {
            v.split('.')
                .filter(|id| is_request_id(id))
                .take(LOGIN_REQUESTS_KEPT)
                .collect()
        })
        .unwrap_or_default()
}

/// What `Id::random()` makes, prefixed by `_` (an XML ID cannot start with a digit).
fn is_request_id(id: &str) -> bool {
    id.len() == 33 && id.starts_with('_') && id[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The cookie naming `ids` (newest first, the oldest dropped past the few kept), or expiring it
/// when there are none. It must come back on the IdP's cross-site POST to the ACS, so it is
/// `SameSite=None`, which browsers take only with `Secure` — and take on http://localhost too.
pub fn login_requests_cookie(ids: &[&str]) -> String {
    let kept: Vec<&str> = ids.iter().copied().take(LOGIN_REQUESTS_KEPT).collect();
    let max_age = if kept.is_empty() {
        0
    } else {
        LOGIN_REQUESTS_LIFETIME.whole_seconds()
    };
    format!(
        "{LOGIN_REQUESTS_COOKIE}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=None; Secure",
        kept.join(".")
    )
}

/// How long a session made at `now` may last.
pub fn session_lifetime(
    now: OffsetDateTime,
    session_not_on_or_after: Option<OffsetDateTime>,
) -> Duration {
    match session_not_on_or_after {
        Some(end) => (end - now).min(MAX_SESSION),
        None => MAX_SESSION,
    }
}

/// Whether a RelayState may be followed: a path on this site only (`/x`, not `//host` or
/// `/\host`, which browsers treat as another host), so the ACS is no open redirect.
pub fn same_site_path(relay_state: &str) -> bool {
    relay_state.starts_with('/')
        && !relay_state.starts_with("//")
        && !relay_state.starts_with("/\\")
        && !relay_state.chars().any(|c| c.is_control() || c == '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_state_is_honoured_for_same_site_paths_only() {
        for ok in ["/", "/dashboard", "/a/b?c=d#e"] {
            assert!(same_site_path(ok), "{ok}");
        }
        for bad in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/x\\y",
            "/a\nb",
        ] {
            assert!(!same_site_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn session_ends_at_the_idps_session_end_when_sooner() {
        let now = time::macros::datetime!(2026-11-28 12:00 UTC);
        assert_eq!(
            session_lifetime(now, Some(now + Duration::hours(1))),
            Duration::hours(1)
        );
        assert_eq!(
            session_lifetime(now, Some(now + Duration::days(3))),
            MAX_SESSION
        );
        assert_eq!(session_lifetime(now, None), MAX_SESSION);
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; ssolab_session=abc".parse().expect("header"));
        headers.append(COOKIE, "ssolab_sso_team=acme".parse().expect("header"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, SSO_TEAM_COOKIE), Some("acme"));
        assert_eq!(cookie(&headers, "nope"), None);
    }
}
