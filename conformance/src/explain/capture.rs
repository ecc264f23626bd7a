//! A captured response as people save it, turned into the `SAMLResponse` form value the ACS
//! would have received: raw XML (saved from a SAML tracer), base64 (the field's value, possibly
//! wrapped over lines), the field's value still URL-encoded, or the whole form body
//! `SAMLResponse=…&RelayState=…` (browser devtools' request payload, a HAR's `postData.text`,
//! a `curl --data-raw` line).
//!
//! Only what is plainly not a SAML response is refused here ([`NotSaml`]): an empty file, text
//! in none of those shapes, base64 that does not decode, a decoded document without the SAML
//! protocol namespace (an HTML page) or whose root is something else (metadata, an
//! AuthnRequest). Everything else — a deflated (Redirect-binding) message, an oversized or
//! malformed response, a DOCTYPE — is for the SP's own pipeline to judge, since a real IdP or an
//! attacker can send exactly that.

use base64::Engine;
use sp::config::SpConfig;
use sp::saml::metadata::MD;
use sp::saml::rejection::Code;
use sp::saml::validate;
use xmldsig::ns::SAML_PROTOCOL;

/// How the capture was written down. Serialized snake_case (`url_encoded_base64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Xml,
    Base64,
    UrlEncodedBase64,
    FormBody,
}

impl Encoding {
    /// What the text report says was read.
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Xml => "raw XML",
            Encoding::Base64 => "base64, as the SAMLResponse field is posted",
            Encoding::UrlEncodedBase64 => "a URL-encoded SAMLResponse value",
            Encoding::FormBody => "a URL-encoded form body with SAMLResponse=",
        }
    }
}

/// A capture, ready for the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub encoding: Encoding,
    /// The `SAMLResponse` form value, as the ACS's form decoder would hand it over.
    pub form_value: String,
    /// The Response's IssueInstant, unverified: only ever used to suggest a `--now`.
    pub issue_instant: Option<String>,
}

/// Why a capture is not a SAML response at all. Each message says what was found and where the
/// response is to be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSaml {
    #[error("the file is empty; {COPY_FIELD}")]
    Empty,
    #[error(
        "the file is neither XML (starting with <), base64, nor a form body with SAMLResponse=; {COPY_FIELD}"
    )]
    Unrecognised,
    #[error("the form body's SAMLResponse field is empty; {COPY_FIELD}")]
    EmptyField,
    #[error(
        "the text does not decode as base64 ({detail}); copy the whole SAMLResponse value, nothing cut off or added"
    )]
    NotBase64 { detail: String },
    #[error(
        "the base64 decodes to bytes that are not UTF-8 text, so not a SAML message; {COPY_FIELD}"
    )]
    NotText,
    #[error("this is {}, without the SAML 2.0 protocol namespace; {COPY_FIELD}", if *.html { "an HTML page" } else { "XML" })]
    NoSamlNamespace { html: bool },
    #[error(
        "the root element is <{root}>, not samlp:Response; {}",
        other_document_fix(root)
    )]
    OtherDocument { root: String },
}

const COPY_FIELD: &str = "save the SAMLResponse form field of the browser's POST to the ACS (devtools, Network, that request's payload)";

fn other_document_fix(root: &str) -> &'static str {
    match root {
        "EntityDescriptor" | "EntitiesDescriptor" => {
            "this is SAML metadata: pass it as --metadata, and the IdP's response as --response"
        }
        "AuthnRequest" => {
            "this is the SP's AuthnRequest; explain the IdP's answer to it, the POST to the ACS"
        }
        _ => "explain the IdP's answer, the samlp:Response posted to the ACS",
    }
}

/// Reads a capture (the file's text) into the form value the ACS would receive.
pub fn read(text: &str, sp: &SpConfig) -> Result<Captured, NotSaml> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(NotSaml::Empty);
    }
    let (encoding, form_value) = if text.starts_with('<') {
        (
            Encoding::Xml,
            base64::engine::general_purpose::STANDARD.encode(text),
        )
    } else if let Some(at) = text.find("SAMLResponse=") {
        // The value runs to the next field, or to the quote closing a `--data-raw '…'` or a
        // JSON string.
        let rest = &text[at + "SAMLResponse=".len()..];
        let raw = rest.split(['&', '\'', '"']).next().unwrap_or(rest);
        let value = form_decode(raw);
        if value.trim().is_empty() {
            return Err(NotSaml::EmptyField);
        }
        (Encoding::FormBody, value)
    } else if text.contains('%') && text.bytes().all(url_encoded_base64_byte) {
        (Encoding::UrlEncodedBase64, form_decode(text))
    } else if text
        .bytes()
        .all(|b| base64_byte(b) || b.is_ascii_whitespace())
    {
        (Encoding::Base64, text.to_owned())
    } else {
        return Err(NotSaml::Unrecognised);
    };
    let issue_instant = saml_gate(&form_value, sp)?;
    Ok(Captured {
        encoding,
        form_value,
        issue_instant,
    })
}

/// Decodes like the ACS's form decoder: `+` is a space, `%XX` a byte. (A browser sends base64's
/// own `+` as `%2B`; a `+` left raw was a space to the ACS too, and the pipeline says so.)
fn form_decode(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

fn url_encoded_base64_byte(b: u8) -> bool {
    base64_byte(b) || b == b'%' || b.is_ascii_whitespace()
}

/// Refuses what decodes to something other than a SAML Response; passes the rest to the
/// pipeline. Returns the (unverified) IssueInstant when the Response parses.
fn saml_gate(form_value: &str, sp: &SpConfig) -> Result<Option<String>, NotSaml> {
    let xml = match validate::decode(form_value, sp) {
        Ok(xml) => xml,
        Err(r) if r.code == Code::NotBase64 => {
            return Err(NotSaml::NotBase64 {
                detail: r.got.unwrap_or_default(),
            });
        }
        Err(r) if r.code == Code::MalformedXml => return Err(NotSaml::NotText),
        // Too large, or Redirect-binding DEFLATE: a verdict the SP itself gives.
        Err(_) => return Ok(None),
    };
    if !xml.contains(SAML_PROTOCOL) {
        let html = xml.get(..1024).unwrap_or(&xml).to_ascii_lowercase();
        return Err(NotSaml::NoSamlNamespace {
            html: html.contains("<html") || html.contains("<!doctype html"),
        });
    }
    // A document that does not parse is the pipeline's to report (malformed_xml,
    // doctype_forbidden, too_complex): that is what the ACS would answer.
    let Ok(doc) = validate::parse(&xml, sp) else {
        return Ok(None);
    };
    let root = doc.root_element();
    if root.has_tag_name((SAML_PROTOCOL, "Response")) {
        return Ok(root.attribute("IssueInstant").map(str::to_owned));
    }
    let name = root.tag_name();
    let known = matches!(name.namespace(), Some(SAML_PROTOCOL) | Some(MD));
    Err(NotSaml::OtherDocument {
        root: if known {
            name.name().to_owned()
        } else {
            format!(
                "{} (namespace {})",
                name.name(),
                name.namespace().unwrap_or("none")
            )
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &str = concat!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" "#,
        r#"ID="_r" Version="2.0" IssueInstant="2024-04-25T20:31:55Z"/>"#
    );

    fn b64(s: &str) -> String {
        b64_bytes(s.as_bytes())
    }

    fn b64_bytes(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    fn decoded(c: &Captured) -> String {
        validate::decode(&c.form_value, &SpConfig::qualified()).expect("decodes")
    }

    #[test]
    fn reads_raw_xml_with_a_bom_and_blank_lines() {
        let c = read(&format!("\u{feff}\n\n{RESPONSE}\n"), &SpConfig::qualified()).expect("read");
        assert_eq!(c.encoding, Encoding::Xml);
        assert_eq!(decoded(&c), RESPONSE);
        assert_eq!(c.issue_instant.as_deref(), Some("2024-04-25T20:31:55Z"));
    }

    #[test]
    fn reads_base64_wrapped_over_lines() {
        let wrapped: String = b64(RESPONSE)
            .as_bytes()
            .chunks(76)
            .map(|l| format!("{}\r\n", String::from_utf8_lossy(l)))
            .collect();
        let c = read(&wrapped, &SpConfig::qualified()).expect("read");
        assert_eq!(c.encoding, Encoding::Base64);
        assert_eq!(decoded(&c), RESPONSE);
    }

    #[test]
    fn reads_a_form_body_and_a_url_encoded_value() {
        let value: String =
            url::form_urlencoded::byte_serialize(b64(RESPONSE).as_bytes()).collect();
        assert!(
            value.contains('%'),
            "the test's base64 has characters to escape"
        );
        let body = format!("RelayState=%2Fhome&SAMLResponse={value}&x=1");
        let c = read(&body, &SpConfig::qualified()).expect("form body");
        assert_eq!(
            (c.encoding, decoded(&c)),
            (Encoding::FormBody, RESPONSE.to_owned())
        );
        let curl = format!("curl 'https://sp/acs' --data-raw 'SAMLResponse={value}'");
        let c = read(&curl, &SpConfig::qualified()).expect("curl line");
        assert_eq!(
            (c.encoding, decoded(&c)),
            (Encoding::FormBody, RESPONSE.to_owned())
        );
        let c = read(&value, &SpConfig::qualified()).expect("value alone");
        assert_eq!(
            (c.encoding, decoded(&c)),
            (Encoding::UrlEncodedBase64, RESPONSE.to_owned())
        );
    }

    #[test]
    fn refuses_what_is_not_a_saml_response() {
        let sp = SpConfig::qualified();
        assert_eq!(read(" \n", &sp), Err(NotSaml::Empty));
        assert_eq!(read("{\"log\": {}}", &sp), Err(NotSaml::Unrecognised));
        assert_eq!(
            read("SAMLResponse=&RelayState=x", &sp),
            Err(NotSaml::EmptyField)
        );
        assert!(matches!(read("abcde", &sp), Err(NotSaml::NotBase64 { .. })));
        assert_eq!(
            read(&b64_bytes(&[0xff, 0xfe, 0x00]), &sp),
            Err(NotSaml::NotText)
        );
        assert_eq!(
            read("<!DOCTYPE html><html><body>Signed in</body></html>", &sp),
            Err(NotSaml::NoSamlNamespace { html: true })
        );
        let metadata = format!(
            r#"<md:EntityDescriptor xmlns:md="{MD}" entityID="x"><md:IDPSSODescriptor protocolSupportEnumeration="{SAML_PROTOCOL}"/></md:EntityDescriptor>"#
        );
        assert_eq!(
            read(&metadata, &sp),
            Err(NotSaml::OtherDocument {
                root: "EntityDescriptor".to_owned()
            })
        );
    }

    #[test]
    fn leaves_deflated_and_malformed_responses_to_the_pipeline() {
        use std::io::Write;
        let sp = SpConfig::qualified();
        let mut deflate =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        deflate.write_all(RESPONSE.as_bytes()).expect("deflate");
        let deflated = b64_bytes(&deflate.finish().expect("deflate"));
        assert_eq!(
            read(&deflated, &sp).map(|c| c.encoding),
            Ok(Encoding::Base64)
        );
        let cut = &RESPONSE[..RESPONSE.len() - 2];
        assert_eq!(read(cut, &sp).map(|c| c.issue_instant), Ok(None));
    }
}
