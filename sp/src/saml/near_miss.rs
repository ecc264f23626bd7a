//! URLs that differ from the ACS URL in the ways people get them wrong (the field's "404 Reply
//! URL" problems), named so that the page and the log say exactly what to change.

use super::rejection::{Code, Rejection};

/// A sharper hint when a URL differs from the expected one only in a way people get wrong:
/// a trailing slash, http vs https, the apex vs `www.`, or letter case.
pub fn near_miss_hint(expected: &str, got: &str, field: &str) -> Option<String> {
    let normalize = |u: &str| {
        u.trim_end_matches('/')
            .to_ascii_lowercase()
            .replacen("http://", "https://", 1)
            .replacen("https://www.", "https://", 1)
    };
    if normalize(expected) != normalize(got) {
        return None;
    }
    let what = if expected.trim_end_matches('/') == got.trim_end_matches('/') {
        "a trailing slash"
    } else if expected.eq_ignore_ascii_case(got) {
        "letter case"
    } else if expected.replacen("https://", "http://", 1) == got {
        "the scheme (http instead of https; a TLS-terminating proxy may be rewriting it, or the IdP has an http URL)"
    } else {
        "the host (www. or not)"
    };
    Some(format!(
        "The {field} differs from the ACS URL only by {what}. Set it in the IdP to exactly {expected}."
    ))
}

/// Destination or Recipient against the ACS URL: equal, or refused with `code` and, for a near
/// miss, a hint naming the difference.
pub fn check_response_url(
    expected: &str,
    got: &str,
    code: Code,
    field: &str,
) -> Result<(), Rejection> {
    if got == expected {
        return Ok(());
    }
    let rejection = Rejection::new(code).expected(expected).got(got);
    Err(match near_miss_hint(expected, got, field) {
        Some(hint) => rejection.hint(hint),
        None => rejection,
    })
}
