//! The HTML a person sees. Plain server-rendered pages; every interpolated value is escaped.

use crate::model::{Member, Team};
use crate::saml::rejection::Rejection;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The header naming the code of a diagnostic or refusal page, so that a program (mock-idp
/// comparing the SP's answer with its fault catalogue) need not read the HTML.
pub const CODE_HEADER: HeaderName = HeaderName::from_static("x-ssolab-code");

/// An HTML page as an HTTP answer, with the `X-SSOLab-Code` header when the page has a code.
/// The one place pages become responses, so that no diagnostic or refusal goes out without it.
pub fn respond(status: StatusCode, code: Option<&str>, html: String) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    // Codes are snake_case ASCII, always a valid header value; one that is not goes without.
    if let Some(value) = code.and_then(|c| HeaderValue::from_str(c).ok()) {
        response.headers_mut().insert(CODE_HEADER, value);
    }
    response
}

/// [`diagnostic`] as an answer with its status and code header.
pub fn diagnostic_response(
    status: StatusCode,
    title: &str,
    code: &str,
    explanation: &str,
) -> Response {
    respond(status, Some(code), diagnostic(title, code, explanation))
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}code{{background:#f3f3f3;padding:0 .2rem}}.button{{display:inline-block;padding:.6rem 1.2rem;background:#1a56db;color:#fff;text-decoration:none;border-radius:.3rem;font-weight:600}}</style>\n</head>\n<body>\n{}\n</body>\n</html>\n",
        escape(title),
        body
    )
}

/// The login page; with `sso_team`, the "SSO LOG IN" button for that team's login.
pub fn login(sso_team: Option<&str>) -> String {
    let sso = match sso_team {
        Some(slug) => format!(
            "<p><a class=\"button\" href=\"/api/saml/login/{}\">SSO LOG IN</a></p>\n<p>Signs you in through your company's identity provider ({}).</p>",
            escape(slug),
            escape(slug)
        ),
        None => "<p>Single sign-on: log in from your identity provider's portal first. After that, an \"SSO LOG IN\" button appears here.</p>".to_owned(),
    };
    layout("Log in", &format!("<h1>Log in</h1>\n{sso}"))
}

/// The signed-in page.
pub fn home(team: &Team, member: &Member) -> String {
    let name = [member.given_name.as_deref(), member.family_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    layout(
        "Signed in",
        &format!(
            "<h1>Signed in</h1>\n<p>You are <strong>{}</strong>{} on team <code>{}</code>.</p>\n<form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>",
            escape(&member.user_name),
            if name.is_empty() {
                String::new()
            } else {
                format!(" ({})", escape(&name))
            },
            escape(&team.slug)
        ),
    )
}

/// The page for a refused response: the code and the fix, never the assertion's contents.
pub fn rejection(rejection: &Rejection) -> String {
    layout(
        "Single sign-on failed",
        &format!(
            "<h1>Single sign-on failed</h1>\n<p>Code: <code>{}</code></p>\n<p>{}</p>\n<p>Give this code to your administrator; the SP's log has the details.</p>",
            escape(rejection.code.as_str()),
            escape(&rejection.hint)
        ),
    )
}

/// A page for a request that is not what the SP expected, naming the cause and the fix.
pub fn diagnostic(title: &str, code: &str, explanation: &str) -> String {
    diagnostic_with_facts(title, code, &[], &[explanation])
}

/// [`diagnostic`] with what was observed (label and value, such as the URL that was received
/// and the one expected) listed before the explanation's paragraphs.
pub fn diagnostic_with_facts(
    title: &str,
    code: &str,
    facts: &[(&str, String)],
    paragraphs: &[&str],
) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>Code: <code>{}</code></p>\n",
        escape(title),
        escape(code)
    );
    if !facts.is_empty() {
        body.push_str("<dl>\n");
        for (label, value) in facts {
            body.push_str(&format!(
                "<dt>{}</dt><dd><code>{}</code></dd>\n",
                escape(label),
                escape(value)
            ));
        }
        body.push_str("</dl>\n");
    }
    let paragraphs: Vec<String> = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    body.push_str(&paragraphs.join("\n"));
    layout(title, &body)
}

/// The HTTP-POST binding's self-submitting form: the browser carries `saml_request` to the IdP.
/// The button is there for browsers without JavaScript.
pub fn post_binding(action: &str, saml_request: &str, relay_state: Option<&str>) -> String {
    let relay = relay_state
        .map(|r| {
            format!(
                "<input type=\"hidden\" name=\"RelayState\" value=\"{}\">",
                escape(r)
            )
        })
        .unwrap_or_default();
    layout(
        "Signing in",
        &format!(
            "<form method=\"post\" action=\"{}\" id=\"saml\">\n<input type=\"hidden\" name=\"SAMLRequest\" value=\"{}\">{relay}\n<noscript><button type=\"submit\">Continue to your identity provider</button></noscript>\n</form>\n<script>document.getElementById('saml').submit()</script>",
            escape(action),
            escape(saml_request)
        ),
    )
}
