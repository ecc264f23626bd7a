//! SP-initiated login: an AuthnRequest sent with the HTTP-Redirect binding (SAML bindings §3.4):
//! the XML is DEFLATE-compressed (raw, no zlib header), base64-encoded and URL-encoded into the
//! IdP's SSO URL as `SAMLRequest`, with `RelayState` beside it; or, for IdPs whose metadata offers
//! only HTTP-POST (JumpCloud), base64 without compression in a form the browser submits (§3.5).

use super::escape_xml;
use std::io::Write;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An AuthnRequest ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    /// The request ID, which the Response's InResponseTo must echo.
    pub id: String,
    pub xml: String,
}

/// Builds the AuthnRequest. `id` must start with a letter or underscore (xs:ID); callers pass
/// `_` + random hex.
pub fn build(
    id: &str,
    entity_id: &str,
    acs_url: &str,
    destination: &str,
    now: OffsetDateTime,
) -> AuthnRequest {
    let instant = now.format(&Rfc3339).unwrap_or_default();
    let xml = format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" "#,
            r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" "#,
            r#"IssueInstant="{instant}" Destination="{destination}" AssertionConsumerServiceURL="{acs}" "#,
            r#"ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">"#,
            r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
            r#"<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>"#,
            r#"</samlp:AuthnRequest>"#
        ),
        id = escape_xml(id),
        instant = instant,
        destination = escape_xml(destination),
        acs = escape_xml(acs_url),
        issuer = escape_xml(entity_id),
    );
    AuthnRequest {
        id: id.to_owned(),
        xml,
    }
}

/// The redirect URL carrying `request` to the IdP's `sso_url`.
pub fn redirect_url(
    sso_url: &str,
    request: &AuthnRequest,
    relay_state: Option<&str>,
) -> Result<String, std::io::Error> {
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(request.xml.as_bytes())?;
    let deflated = encoder.finish()?;
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("SAMLRequest", &encoded);
    if let Some(relay) = relay_state {
        query.append_pair("RelayState", relay);
    }
    let separator = if sso_url.contains('?') { '&' } else { '?' };
    Ok(format!("{sso_url}{separator}{}", query.finish()))
}

/// The `SAMLRequest` value of the HTTP-POST binding: base64, no compression.
pub fn post_value(request: &AuthnRequest) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(request.xml.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn redirect_carries_a_deflated_request_that_inflates_back() {
        let now = time::macros::datetime!(2026-11-28 12:00 UTC);
        let request = build(
            "_abc",
            "https://qualified.io",
            "https://www.qualified.io/api/saml/consume",
            "https://idp.example/sso?x=1",
            now,
        );
        let url = redirect_url("https://idp.example/sso?x=1", &request, Some("/dashboard"))
            .expect("deflates");
        let parsed = url::Url::parse(&url).expect("a URL");
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("x".to_owned(), "1".to_owned()));
        assert_eq!(pairs[2], ("RelayState".to_owned(), "/dashboard".to_owned()));
        use base64::Engine;
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(&pairs[1].1)
            .expect("base64");
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut xml)
            .expect("inflates");
        assert_eq!(xml, request.xml);
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        let root = doc.root_element();
        assert_eq!(root.attribute("ID"), Some("_abc"));
        assert_eq!(root.attribute("IssueInstant"), Some("2026-11-28T12:00:00Z"));
        assert_eq!(
            root.attribute("AssertionConsumerServiceURL"),
            Some("https://www.qualified.io/api/saml/consume")
        );
    }
}
