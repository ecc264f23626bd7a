//! Reading the AuthnRequest an SP sends to the SSO endpoint, in the two bindings SPs use:
//! HTTP-Redirect (SAML bindings §3.4: raw DEFLATE, base64, URL-encoded in the `SAMLRequest`
//! query parameter) and HTTP-POST (§3.5: base64 in a form field).
//!
//! The bytes come from whoever reaches the endpoint, so every step is capped before it runs
//! (the encoded length, the inflated length against DEFLATE bombs, then `xmldsig`'s parser with
//! its node and depth caps and DOCTYPE refused), and every malformation has its own error with
//! a [`code`](AuthnRequestError::code) and a message that says what is wrong and how to fix it:
//! the page that shows it is what a developer debugging their SP reads.

use base64::Engine;
use std::io::Read;

/// The protocol namespace (`samlp`).
pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The assertion namespace (`saml`), where `Issuer` lives.
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// `ProtocolBinding` for HTTP-POST, the only binding this IdP answers with.
pub const BINDING_HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// Longest accepted `SAMLRequest` value, in characters: the base64 of the inflated cap. Real
/// AuthnRequests are well under 2 KiB.
pub const MAX_ENCODED_LEN: usize = MAX_INFLATED_LEN / 3 * 4 + 4;
/// Most bytes a request may inflate to. DEFLATE compresses runs about 1000:1, so a small
/// query string could otherwise expand into gigabytes.
pub const MAX_INFLATED_LEN: usize = 256 * 1024;

/// How the request reached the IdP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// `GET /sso?SAMLRequest=…`: deflated, then base64.
    Redirect,
    /// `POST /sso` with a `SAMLRequest` form field: base64 only.
    Post,
}

impl Binding {
    pub fn name(self) -> &'static str {
        match self {
            Binding::Redirect => "HTTP-Redirect",
            Binding::Post => "HTTP-POST",
        }
    }
}

/// The fields of an AuthnRequest the IdP acts on or shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    pub binding: Binding,
    /// `ID`: echoed as `InResponseTo` in the Response.
    pub id: String,
    pub version: String,
    pub issue_instant: String,
    pub destination: Option<String>,
    /// `AssertionConsumerServiceURL`: honoured only when registered (as Entra ID does).
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex`: shown, not resolved (this IdP has no SP metadata).
    pub acs_index: Option<String>,
    pub protocol_binding: Option<String>,
    /// The SP's entity ID.
    pub issuer: Option<String>,
    pub name_id_format: Option<String>,
    /// The decoded XML, for the login page.
    pub xml: String,
}

/// What is wrong with a `SAMLRequest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthnRequestError {
    #[error(
        "no SAMLRequest parameter; send the AuthnRequest as ?SAMLRequest=… (HTTP-Redirect) or as a SAMLRequest form field (HTTP-POST)"
    )]
    Missing,
    #[error(
        "SAMLRequest is {got} characters, over the limit of {limit}; an AuthnRequest is usually under 2 KiB — check that the SP sends a request, not a response or a whole page"
    )]
    TooLong { limit: usize, got: usize },
    #[error(
        "SAMLRequest contains a space at offset {offset}: a '+' of the base64 was not percent-encoded as %2B, so URL decoding turned it into a space; URL-encode the base64 value"
    )]
    UnencodedPlus { offset: usize },
    #[error(
        "SAMLRequest is not base64 ({reason}); the {binding} binding carries standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /, '=' padding)"
    )]
    NotBase64 {
        binding: &'static str,
        reason: String,
    },
    #[error(
        "SAMLRequest is base64 of plain XML, not of DEFLATE data; the HTTP-Redirect binding (SAML bindings §3.4.4.1) requires raw DEFLATE before base64 (plain base64 is the HTTP-POST binding's encoding)"
    )]
    NotDeflatedXml,
    #[error(
        "SAMLRequest is zlib-wrapped (RFC 1950), not raw DEFLATE (RFC 1951); the HTTP-Redirect binding requires raw DEFLATE: drop the 2-byte zlib header and the 4-byte checksum (e.g. zlib's wbits=-15, Java's Deflater(level, true))"
    )]
    ZlibWrapped,
    #[error(
        "SAMLRequest is not raw DEFLATE data ({reason}); the HTTP-Redirect binding requires DEFLATE (RFC 1951, no zlib or gzip header) and then base64"
    )]
    NotDeflate { reason: String },
    #[error(
        "SAMLRequest inflates to more than {limit} bytes; an AuthnRequest is a few hundred bytes, so this is refused as a compression bomb"
    )]
    InflatedTooLarge { limit: usize },
    #[error("the decoded AuthnRequest is not UTF-8 ({reason}); SAML messages are UTF-8")]
    NotUtf8 { reason: String },
    #[error(
        "the decoded AuthnRequest has a DOCTYPE; DTDs and entity declarations are refused (they carry XXE and billion-laughs payloads and no SAML message needs one): remove the DOCTYPE"
    )]
    DoctypeForbidden,
    #[error("the decoded AuthnRequest is not well-formed XML: {reason}")]
    MalformedXml { reason: String },
    #[error(
        "the decoded message is <{found}>, not a samlp:AuthnRequest in namespace {PROTOCOL_NS}"
    )]
    NotAuthnRequest { found: String },
    #[error("the AuthnRequest has no {attribute} attribute, which SAML core §3.2.1 requires")]
    MissingAttribute { attribute: &'static str },
    #[error("the AuthnRequest has Version {got:?}; SAML 2.0 requires \"2.0\"")]
    VersionMismatch { got: String },
    #[error(
        "the AuthnRequest's IssueInstant {got:?} is not an xs:dateTime in UTC (e.g. 2026-11-28T12:00:00Z), as SAML core §1.3.3 requires"
    )]
    BadIssueInstant { got: String },
}

impl AuthnRequestError {
    /// A stable snake_case code for pages, logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "saml_request_missing",
            Self::TooLong { .. } => "too_large",
            Self::UnencodedPlus { .. } => "unencoded_plus",
            Self::NotBase64 { .. } => "not_base64",
            Self::NotDeflatedXml => "not_deflated",
            Self::ZlibWrapped => "zlib_wrapped",
            Self::NotDeflate { .. } => "not_deflate",
            Self::InflatedTooLarge { .. } => "inflated_too_large",
            Self::NotUtf8 { .. } => "not_utf8",
            Self::DoctypeForbidden => "doctype_forbidden",
            Self::MalformedXml { .. } => "malformed_xml",
            Self::NotAuthnRequest { .. } => "not_authn_request",
            Self::MissingAttribute { .. } => "missing_attribute",
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::BadIssueInstant { .. } => "bad_issue_instant",
        }
    }
}

/// Decodes the `SAMLRequest` value of an HTTP-Redirect request (already URL-decoded).
pub fn decode_redirect(value: &str) -> Result<AuthnRequest, AuthnRequestError> {
    check_length(value)?;
    // A space cannot come from base64; in a query string it is what an unescaped '+' becomes.
    if let Some(offset) = value.find(' ') {
        return Err(AuthnRequestError::UnencodedPlus { offset });
    }
    let deflated = base64_decode(value, Binding::Redirect)?;
    let xml = inflate(&deflated)?;
    parse(xml, Binding::Redirect)
}

/// Decodes the `SAMLRequest` field of an HTTP-POST request.
pub fn decode_post(value: &str) -> Result<AuthnRequest, AuthnRequestError> {
    check_length(value)?;
    let bytes = base64_decode(value, Binding::Post)?;
    parse(bytes, Binding::Post)
}

fn check_length(value: &str) -> Result<(), AuthnRequestError> {
    if value.trim().is_empty() {
        return Err(AuthnRequestError::Missing);
    }
    if value.len() > MAX_ENCODED_LEN {
        return Err(AuthnRequestError::TooLong {
            limit: MAX_ENCODED_LEN,
            got: value.len(),
        });
    }
    Ok(())
}

fn base64_decode(value: &str, binding: Binding) -> Result<Vec<u8>, AuthnRequestError> {
    // Line breaks every 76 characters are common in posted forms (MIME-style encoders), and
    // harmless: they are dropped before decoding.
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| AuthnRequestError::NotBase64 {
            binding: binding.name(),
            reason: e.to_string(),
        })
}

fn inflate(deflated: &[u8]) -> Result<Vec<u8>, AuthnRequestError> {
    // Recognise the two common mistakes first, so the message can name them.
    if deflated.first() == Some(&b'<') {
        return Err(AuthnRequestError::NotDeflatedXml);
    }
    if let [cmf, flg, ..] = deflated {
        // A zlib header: method 8 (deflate) in the low nibble, and the 16-bit check (RFC 1950).
        if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 {
            let mut probe = flate2::read::ZlibDecoder::new(deflated).take(1);
            if probe.read_to_end(&mut Vec::new()).is_ok() {
                return Err(AuthnRequestError::ZlibWrapped);
            }
        }
    }
    let limit = MAX_INFLATED_LEN as u64;
    let mut out = Vec::new();
    // Reading one byte past the cap tells "exactly at the cap" from "over it".
    flate2::read::DeflateDecoder::new(deflated)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| AuthnRequestError::NotDeflate {
            reason: e.to_string(),
        })?;
    if out.len() as u64 > limit {
        return Err(AuthnRequestError::InflatedTooLarge {
            limit: MAX_INFLATED_LEN,
        });
    }
    if out.is_empty() {
        return Err(AuthnRequestError::NotDeflate {
            reason: "it inflates to nothing".to_owned(),
        });
    }
    Ok(out)
}

fn parse(bytes: Vec<u8>, binding: Binding) -> Result<AuthnRequest, AuthnRequestError> {
    let xml = String::from_utf8(bytes).map_err(|e| AuthnRequestError::NotUtf8 {
        reason: e.utf8_error().to_string(),
    })?;
    let limits = xmldsig::Limits {
        max_bytes: MAX_INFLATED_LEN,
        max_nodes: 10_000,
        max_depth: 64,
        ..xmldsig::Limits::default()
    };
    let doc = xmldsig::parse_str(&xml, &limits).map_err(|e| match e {
        xmldsig::Error::DoctypeForbidden => AuthnRequestError::DoctypeForbidden,
        xmldsig::Error::NotUtf8(reason) => AuthnRequestError::NotUtf8 { reason },
        xmldsig::Error::TooLarge { limit, .. } => AuthnRequestError::InflatedTooLarge { limit },
        xmldsig::Error::Malformed(reason) => AuthnRequestError::MalformedXml { reason },
        other => AuthnRequestError::MalformedXml {
            reason: other.to_string(),
        },
    })?;
    let root = doc.root_element();
    let name = root.tag_name();
    if name.name() != "AuthnRequest" || name.namespace() != Some(PROTOCOL_NS) {
        let found = match name.namespace() {
            Some(ns) => format!("{} in namespace {ns}", name.name()),
            None => format!("{} without a namespace", name.name()),
        };
        return Err(AuthnRequestError::NotAuthnRequest { found });
    }
    let required = |attribute: &'static str| {
        root.attribute(attribute)
            .map(str::to_owned)
            .ok_or(AuthnRequestError::MissingAttribute { attribute })
    };
    let id = required("ID")?;
    let version = required("Version")?;
    if version != "2.0" {
        return Err(AuthnRequestError::VersionMismatch { got: version });
    }
    let issue_instant = required("IssueInstant")?;
    let parsed = time::OffsetDateTime::parse(
        &issue_instant,
        &time::format_description::well_known::Rfc3339,
    );
    if parsed.is_err() {
        return Err(AuthnRequestError::BadIssueInstant { got: issue_instant });
    }
    let optional = |attribute: &str| root.attribute(attribute).map(str::to_owned);
    let child = |ns: &str, local: &str| {
        root.children().find(|c| {
            c.is_element() && c.tag_name().name() == local && c.tag_name().namespace() == Some(ns)
        })
    };
    let issuer =
        child(ASSERTION_NS, "Issuer").map(|i| xmldsig::text_content(i, None).trim().to_owned());
    let name_id_format = child(PROTOCOL_NS, "NameIDPolicy")
        .and_then(|p| p.attribute("Format"))
        .map(str::to_owned);
    Ok(AuthnRequest {
        binding,
        id,
        version,
        issue_instant,
        destination: optional("Destination"),
        acs_url: optional("AssertionConsumerServiceURL"),
        acs_index: optional("AssertionConsumerServiceIndex"),
        protocol_binding: optional("ProtocolBinding"),
        issuer,
        name_id_format,
        xml,
    })
}

/// Encodes `xml` for the HTTP-Redirect binding (DEFLATE, base64; URL-encoding is the caller's):
/// what an SP does, for tests and demos.
pub fn encode_redirect(xml: &str) -> String {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail; an error here would be a flate2 bug, and an empty result
    // is then what the decoder reports as "not deflate".
    let deflated = encoder
        .write_all(xml.as_bytes())
        .and_then(|()| encoder.finish())
        .unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(deflated)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_req1" Version="2.0" IssueInstant="2026-11-28T12:00:00Z" Destination="http://127.0.0.1:8081/sso" AssertionConsumerServiceURL="https://www.qualified.io/api/saml/consume" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>https://qualified.io</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>"#;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn decodes_every_field_from_the_redirect_binding() {
        let request = decode_redirect(&encode_redirect(REQUEST)).unwrap();
        assert_eq!(request.binding, Binding::Redirect);
        assert_eq!(request.id, "_req1");
        assert_eq!(request.issue_instant, "2026-11-28T12:00:00Z");
        assert_eq!(
            request.destination.as_deref(),
            Some("http://127.0.0.1:8081/sso")
        );
        assert_eq!(
            request.acs_url.as_deref(),
            Some("https://www.qualified.io/api/saml/consume")
        );
        assert_eq!(request.protocol_binding.as_deref(), Some(BINDING_HTTP_POST));
        assert_eq!(request.issuer.as_deref(), Some("https://qualified.io"));
        assert_eq!(
            request.name_id_format.as_deref(),
            Some("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
        );
        assert_eq!(request.xml, REQUEST);
    }

    #[test]
    fn decodes_the_post_binding_with_line_breaks() {
        let mut encoded = b64(REQUEST.as_bytes());
        encoded.insert_str(76, "\r\n");
        let request = decode_post(&encoded).unwrap();
        assert_eq!(request.binding, Binding::Post);
        assert_eq!(request.id, "_req1");
    }

    #[test]
    fn rejects_missing_and_bad_base64() {
        assert_eq!(
            decode_redirect("").unwrap_err().code(),
            "saml_request_missing"
        );
        assert_eq!(decode_redirect("%%%").unwrap_err().code(), "not_base64");
        assert_eq!(decode_post("abc!").unwrap_err().code(), "not_base64");
    }

    #[test]
    fn names_an_unencoded_plus() {
        let err = decode_redirect("ab c").unwrap_err();
        assert_eq!(err, AuthnRequestError::UnencodedPlus { offset: 2 });
    }

    #[test]
    fn names_plain_base64_xml_on_the_redirect_binding() {
        let err = decode_redirect(&b64(REQUEST.as_bytes())).unwrap_err();
        assert_eq!(err, AuthnRequestError::NotDeflatedXml);
    }

    #[test]
    fn names_zlib_instead_of_raw_deflate() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(REQUEST.as_bytes()).unwrap();
        let err = decode_redirect(&b64(&z.finish().unwrap())).unwrap_err();
        assert_eq!(err, AuthnRequestError::ZlibWrapped);
    }

    #[test]
    fn rejects_data_that_is_not_deflate() {
        let err = decode_redirect(&b64(&[0xff, 0xff, 0xff, 0xff])).unwrap_err();
        assert_eq!(err.code(), "not_deflate");
    }

    #[test]
    fn rejects_a_deflate_bomb_at_the_cap() {
        let bomb = format!("<a>{}</a>", "x".repeat(MAX_INFLATED_LEN + 10));
        let err = decode_redirect(&encode_redirect(&bomb)).unwrap_err();
        assert_eq!(
            err,
            AuthnRequestError::InflatedTooLarge {
                limit: MAX_INFLATED_LEN
            }
        );
        // Positive control: the same shape under the cap inflates, and fails later only for
        // not being an AuthnRequest.
        let small = format!("<a>{}</a>", "x".repeat(1000));
        assert_eq!(
            decode_redirect(&encode_redirect(&small))
                .unwrap_err()
                .code(),
            "not_authn_request"
        );
    }

    #[test]
    fn rejects_doctype_and_malformed_xml() {
        let doctype = format!("<!DOCTYPE r [<!ENTITY x \"y\">]>{REQUEST}");
        assert_eq!(
            decode_redirect(&encode_redirect(&doctype)).unwrap_err(),
            AuthnRequestError::DoctypeForbidden
        );
        assert_eq!(
            decode_redirect(&encode_redirect("not xml at all"))
                .unwrap_err()
                .code(),
            "malformed_xml"
        );
        assert_eq!(
            decode_post(&b64(b"<samlp:AuthnRequest"))
                .unwrap_err()
                .code(),
            "malformed_xml"
        );
    }

    #[test]
    fn rejects_non_utf8() {
        assert_eq!(
            decode_post(&b64(&[b'<', 0xff, b'>'])).unwrap_err().code(),
            "not_utf8"
        );
    }

    #[test]
    fn rejects_other_messages_and_missing_attributes() {
        let response =
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"/>"#;
        assert_eq!(
            decode_post(&b64(response.as_bytes())).unwrap_err().code(),
            "not_authn_request"
        );
        let no_id = REQUEST.replace(" ID=\"_req1\"", "");
        assert_eq!(
            decode_post(&b64(no_id.as_bytes())).unwrap_err(),
            AuthnRequestError::MissingAttribute { attribute: "ID" }
        );
        let v1 = REQUEST.replace("Version=\"2.0\"", "Version=\"1.1\"");
        assert_eq!(
            decode_post(&b64(v1.as_bytes())).unwrap_err().code(),
            "version_mismatch"
        );
        let local = REQUEST.replace("12:00:00Z", "12:00:00");
        assert_eq!(
            decode_post(&b64(local.as_bytes())).unwrap_err().code(),
            "bad_issue_instant"
        );
    }

    #[test]
    fn rejects_oversized_input_before_decoding() {
        let long = "A".repeat(MAX_ENCODED_LEN + 1);
        assert_eq!(decode_post(&long).unwrap_err().code(), "too_large");
    }
}
