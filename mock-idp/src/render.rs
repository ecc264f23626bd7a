//! The unsigned XML of a [`ResponseSpec`]: written by hand, element by element, so that every
//! knob lands exactly where a real IdP puts it (Issuer first, so that a signature can follow it).

use crate::spec::{Attribute, ResponseSpec};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Escapes text for element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// An xs:dateTime in UTC, whole seconds, as most IdPs write it.
pub fn instant(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        out.push_str(&format!(" {name}=\"{}\"", escape(value)));
    }
}

/// The Response XML for `spec` at true time `now`, unsigned.
pub fn render(spec: &ResponseSpec, now: OffsetDateTime) -> String {
    let idp_now = now + spec.times.clock_offset;
    let at = |d: Duration| instant(idp_now + d);
    let p = &spec.prefixes.protocol;
    let a = &spec.prefixes.assertion;
    let mut x = String::with_capacity(4096);
    x.push_str(&format!(
        "<{p}:Response xmlns:{p}=\"{PROTOCOL_NS}\" xmlns:{a}=\"{ASSERTION_NS}\" ID=\"{}\" Version=\"{}\" IssueInstant=\"{}\"",
        escape(&spec.response_id),
        escape(&spec.version),
        at(spec.times.issue_instant)
    ));
    attr(&mut x, "Destination", spec.destination.as_deref());
    attr(&mut x, "InResponseTo", spec.in_response_to.as_deref());
    x.push('>');
    if let Some(issuer) = &spec.response_issuer {
        x.push_str(&format!("<{a}:Issuer>{}</{a}:Issuer>", escape(issuer)));
    }
    x.push_str(&format!(
        "<{p}:Status><{p}:StatusCode Value=\"{}\"",
        escape(&spec.status.code)
    ));
    match &spec.status.sub_code {
        Some(sub) => x.push_str(&format!(
            "><{p}:StatusCode Value=\"{}\"/></{p}:StatusCode>",
            escape(sub)
        )),
        None => x.push_str("/>"),
    }
    if let Some(message) = &spec.status.message {
        x.push_str(&format!(
            "<{p}:StatusMessage>{}</{p}:StatusMessage>",
            escape(message)
        ));
    }
    x.push_str(&format!("</{p}:Status>"));
    if spec.include_assertion {
        x.push_str(&render_assertion(spec, idp_now));
    }
    x.push_str(&format!("</{p}:Response>"));
    x
}

/// The Assertion element alone (its `xs`/`xsi` declarations on itself, so it stands alone once
/// encrypted).
pub fn render_assertion(spec: &ResponseSpec, idp_now: OffsetDateTime) -> String {
    let at = |d: Duration| instant(idp_now + d);
    let a = &spec.prefixes.assertion;
    let t = &spec.times;
    let mut x = String::with_capacity(3072);
    x.push_str(&format!(
        "<{a}:Assertion xmlns:{a}=\"{ASSERTION_NS}\" xmlns:xs=\"{XS_NS}\" xmlns:xsi=\"{XSI_NS}\" ID=\"{}\" Version=\"{}\" IssueInstant=\"{}\">",
        escape(&spec.assertion_id),
        escape(&spec.version),
        at(t.issue_instant)
    ));
    if let Some(issuer) = &spec.assertion_issuer {
        x.push_str(&format!("<{a}:Issuer>{}</{a}:Issuer>", escape(issuer)));
    }
    x.push_str(&format!("<{a}:Subject>"));
    if let Some(name_id) = &spec.name_id {
        x.push_str(&format!("<{a}:NameID"));
        attr(&mut x, "Format", name_id.format.as_deref());
        attr(
            &mut x,
            "SPNameQualifier",
            name_id.sp_name_qualifier.as_deref(),
        );
        x.push_str(&format!(">{}</{a}:NameID>", escape(&name_id.value)));
    }
    x.push_str(&format!(
        "<{a}:SubjectConfirmation Method=\"{}\"><{a}:SubjectConfirmationData",
        escape(&spec.confirmation_method)
    ));
    attr(&mut x, "InResponseTo", spec.in_response_to.as_deref());
    attr(
        &mut x,
        "NotBefore",
        t.confirmation_not_before.map(at).as_deref(),
    );
    attr(
        &mut x,
        "NotOnOrAfter",
        t.confirmation_not_on_or_after.map(at).as_deref(),
    );
    attr(&mut x, "Recipient", spec.recipient.as_deref());
    x.push_str(&format!("/></{a}:SubjectConfirmation></{a}:Subject>"));
    x.push_str(&format!("<{a}:Conditions"));
    attr(&mut x, "NotBefore", t.not_before.map(at).as_deref());
    attr(&mut x, "NotOnOrAfter", t.not_on_or_after.map(at).as_deref());
    x.push('>');
    if !spec.audiences.is_empty() {
        x.push_str(&format!("<{a}:AudienceRestriction>"));
        for audience in &spec.audiences {
            x.push_str(&format!(
                "<{a}:Audience>{}</{a}:Audience>",
                escape(audience)
            ));
        }
        x.push_str(&format!("</{a}:AudienceRestriction>"));
    }
    x.push_str(&format!("</{a}:Conditions>"));
    x.push_str(&format!(
        "<{a}:AuthnStatement AuthnInstant=\"{}\"",
        at(t.authn_instant)
    ));
    attr(&mut x, "SessionIndex", spec.session_index.as_deref());
    attr(
        &mut x,
        "SessionNotOnOrAfter",
        t.session_not_on_or_after.map(at).as_deref(),
    );
    x.push_str(&format!(
        "><{a}:AuthnContext><{a}:AuthnContextClassRef>{}</{a}:AuthnContextClassRef></{a}:AuthnContext></{a}:AuthnStatement>",
        escape(&spec.authn_context)
    ));
    if !spec.attributes.is_empty() {
        x.push_str(&format!("<{a}:AttributeStatement>"));
        for attribute in &spec.attributes {
            render_attribute(&mut x, a, attribute);
        }
        x.push_str(&format!("</{a}:AttributeStatement>"));
    }
    x.push_str(&format!("</{a}:Assertion>"));
    x
}

fn render_attribute(x: &mut String, a: &str, attribute: &Attribute) {
    x.push_str(&format!(
        "<{a}:Attribute Name=\"{}\"",
        escape(&attribute.name)
    ));
    attr(x, "NameFormat", attribute.name_format.as_deref());
    attr(x, "FriendlyName", attribute.friendly_name.as_deref());
    x.push('>');
    for value in &attribute.values {
        let typed = if attribute.typed {
            " xsi:type=\"xs:string\""
        } else {
            ""
        };
        x.push_str(&format!(
            "<{a}:AttributeValue{typed}>{}</{a}:AttributeValue>",
            escape(value)
        ));
    }
    x.push_str(&format!("</{a}:Attribute>"));
}
