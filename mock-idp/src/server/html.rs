//! HTML for the IdP's pages. Every value from a request, a preset or a response passes through
//! [`esc`]: the pages show attacker-shaped XML and whatever an SP put in its AuthnRequest.

use crate::render::escape;
use std::fmt::Write as _;

/// Escapes text for element content and quoted attribute values (both quote kinds): the XML
/// escaping of [`escape`], plus the single quote.
pub fn esc(text: &str) -> String {
    escape(text).replace('\'', "&#39;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#222}\
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}\
label{display:block;margin:.5rem 0 .15rem;font-weight:600}\
input[type=text],input[type=email],select{width:100%;padding:.3rem;box-sizing:border-box}\
pre{background:#f5f5f5;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:.8rem}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
.error{border-left:4px solid #c00;padding-left:.75rem}.note{color:#555;font-size:.9rem}\
code{background:#f0f0f0;padding:0 .2rem}button{margin-top:1rem;padding:.4rem 1rem}";

/// A whole page. `body` is HTML the caller built with escaped values; `title` is text.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · mock-idp</title><style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n{body}\n</body></html>\n",
        t = esc(title)
    )
}

/// An error page body: the code, what is wrong, and the fix.
pub fn error_body(code: &str, message: &str, fix: &str) -> String {
    format!(
        "<div class=\"error\"><p><strong>Error code:</strong> <code>{}</code></p><p>{}</p><p><strong>Fix:</strong> {}</p></div>\n<p><a href=\"/login\">Back to the login page</a></p>",
        esc(code),
        esc(message),
        esc(fix)
    )
}

/// A two-column table of name/value rows, values escaped (None shown as "(absent)").
pub fn table(rows: &[(&str, Option<&str>)]) -> String {
    let mut out = String::from("<table>");
    for (name, value) in rows {
        let value = match value {
            Some(v) => format!("<code>{}</code>", esc(v)),
            None => "<em>(absent)</em>".to_owned(),
        };
        let _ = write!(out, "<tr><th>{}</th><td>{value}</td></tr>", esc(name));
    }
    out.push_str("</table>");
    out
}

/// A hidden input.
pub fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

/// The page a browser submits by itself: the HTTP-POST binding's form (SAML bindings §3.5.4),
/// with a button for when scripts are off. `method` is "post" or "get".
pub fn auto_submit(action: &str, method: &str, fields: &[(&str, &str)], note: &str) -> String {
    let mut inputs = String::new();
    for (name, value) in fields {
        inputs.push_str(&hidden(name, value));
        inputs.push('\n');
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signing in · mock-idp</title></head>\n<body onload=\"document.forms[0].submit()\">\n<form method=\"{method}\" action=\"{action}\">\n{inputs}<noscript><p>Scripts are off: press Continue to send the response.</p></noscript>\n<button type=\"submit\">Continue</button>\n</form>\n<p>{note}</p>\n</body></html>\n",
        method = esc(method),
        action = esc(action),
        note = esc(note),
    )
}

/// `xml` indented for reading: one element per line, text kept on its element's line. Display
/// only: the response that is sent is never re-serialised. Anything that does not parse
/// (DOCTYPE payloads, truncated documents) is shown exactly as it is.
pub fn pretty_xml(xml: &str) -> String {
    if xmldsig::parse_str(xml, &xmldsig::Limits::default()).is_err() {
        return xml.to_owned();
    }
    // The document is well-formed without a DTD, so '<' only ever opens markup, and
    // markup ends at the first '>' except in comments, CDATA and PIs, which are scanned to
    // their own terminators.
    let mut out = String::with_capacity(xml.len() * 2);
    let mut depth: usize = 0;
    let mut rest = xml;
    let mut just_opened = false;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let terminator = if after.starts_with("!--") {
                "-->"
            } else if after.starts_with("![CDATA[") {
                "]]>"
            } else if after.starts_with('?') {
                "?>"
            } else {
                ">"
            };
            let end = rest
                .find(terminator)
                .map_or(rest.len(), |i| i + terminator.len());
            let (token, tail) = rest.split_at(end);
            rest = tail;
            let closing = token.starts_with("</");
            let self_closing = token.ends_with("/>");
            let opening =
                !closing && !self_closing && !token.starts_with("<!") && !token.starts_with("<?");
            if closing {
                depth = depth.saturating_sub(1);
                if !just_opened {
                    newline(&mut out, depth);
                }
            } else {
                newline(&mut out, depth);
            }
            out.push_str(token);
            just_opened = opening;
            if opening {
                depth += 1;
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let (text, tail) = rest.split_at(end);
            rest = tail;
            // Text stays on its element's line when the element holds only text.
            let inline = just_opened && tail.starts_with("</");
            if inline {
                out.push_str(text);
            } else if !text.trim().is_empty() {
                newline(&mut out, depth);
                out.push_str(text.trim());
                just_opened = false;
            }
        }
    }
    out.trim_start().to_owned()
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_both_quotes() {
        assert_eq!(
            esc(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn indents_elements_and_keeps_text_inline() {
        let xml = r#"<r a="1"><b>text</b><c/><!-- note --><d><e>x</e></d></r>"#;
        assert_eq!(
            pretty_xml(xml),
            "<r a=\"1\">\n  <b>text</b>\n  <c/>\n  <!-- note -->\n  <d>\n    <e>x</e>\n  </d>\n</r>"
        );
    }

    #[test]
    fn shows_unparseable_documents_as_they_are() {
        let xml = "<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>";
        assert_eq!(pretty_xml(xml), xml);
    }

    #[test]
    fn the_auto_submit_form_escapes_its_values() {
        let page = auto_submit(
            "https://sp/acs?a=1&b=\"2\"",
            "post",
            &[("RelayState", "<script>")],
            "",
        );
        assert!(page.contains("action=\"https://sp/acs?a=1&amp;b=&quot;2&quot;\""));
        assert!(page.contains("value=\"&lt;script&gt;\""));
    }
}
