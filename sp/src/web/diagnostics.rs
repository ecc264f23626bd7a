//! Near-miss requests to the ACS: they keep their real status (404, 405) but say why and what to
//! change. These are the field's "404 after setting the Reply URL" problems.

use super::{AppState, pages};
use crate::config::ACS_PATH;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The explanation for a request that almost reached the ACS, if it did.
pub fn explain(method: &Method, path: &str) -> Option<(StatusCode, &'static str, String)> {
    let acs = ACS_PATH;
    if path == acs && method == Method::GET {
        return Some((
            StatusCode::METHOD_NOT_ALLOWED,
            "acs_get",
            format!(
                "The browser arrived at the ACS ({acs}) with GET, but SAML responses are POSTed here by the IdP. \
                 Usually the IdP's Sign-on URL (or a bookmark, or the IdP's 'application URL') is set to the ACS URL: \
                 leave the Sign-on URL blank, or set it to the SP's login page. If a redirect from http:// or from the \
                 bare domain sent you here, the POST was turned into a GET on the way: configure the IdP with the exact \
                 https://www. ACS URL."
            ),
        ));
    }
    let squeezed: String = {
        let mut out = String::with_capacity(path.len());
        for c in path.chars() {
            if !(c == '/' && out.ends_with('/')) {
                out.push(c);
            }
        }
        out
    };
    let normalized = squeezed.trim_end_matches('/').to_ascii_lowercase();
    if normalized != acs {
        return None;
    }
    let cause = if path.ends_with('/') && path.trim_end_matches('/') == acs {
        "a trailing slash"
    } else if path.contains("//") {
        "a double slash"
    } else {
        "letter case"
    };
    Some((
        StatusCode::NOT_FOUND,
        "acs_path_near_miss",
        format!(
            "This URL differs from the ACS URL only by {cause}. The IdP's Reply URL (or Single Sign-On URL) must be exactly \
             the ACS URL ending in {acs}. If your IdP does not ask for a Reply URL, leave it blank."
        ),
    ))
}

/// The fallback: a near-miss gets its explanation, anything else a plain 404.
pub async fn fallback(State(_state): State<AppState>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match explain(&method, &path) {
        Some((status, code, explanation)) => {
            tracing::warn!(method = %method, path = %path, code, "near miss on the ACS");
            (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                pages::diagnostic("Not the ACS", code, &explanation),
            )
                .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            pages::diagnostic("Not found", "not_found", "There is no page here."),
        )
            .into_response(),
    }
}

/// `GET /api/saml/consume`.
pub async fn acs_get(State(state): State<AppState>, request: Request) -> Response {
    fallback(State(state), request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_named() {
        let cases = [
            (
                Method::GET,
                "/api/saml/consume",
                StatusCode::METHOD_NOT_ALLOWED,
                "acs_get",
            ),
            (
                Method::POST,
                "/api/saml/consume/",
                StatusCode::NOT_FOUND,
                "acs_path_near_miss",
            ),
            (
                Method::POST,
                "//api/saml/consume",
                StatusCode::NOT_FOUND,
                "acs_path_near_miss",
            ),
            (
                Method::POST,
                "/api//saml/consume",
                StatusCode::NOT_FOUND,
                "acs_path_near_miss",
            ),
            (
                Method::POST,
                "/API/SAML/Consume",
                StatusCode::NOT_FOUND,
                "acs_path_near_miss",
            ),
        ];
        for (method, path, status, code) in cases {
            let (got_status, got_code, text) =
                explain(&method, path).unwrap_or_else(|| panic!("{path} explained"));
            assert_eq!((got_status, got_code), (status, code), "{method} {path}");
            assert!(text.contains(ACS_PATH));
        }
        assert!(explain(&Method::POST, "/api/saml/other").is_none());
        assert!(explain(&Method::GET, "/").is_none());
    }
}
