//! A test-only SAML response builder: a [`ResponseSpec`] holds every field the pipeline checks,
//! and its defaults make a response that `SpConfig::qualified()` accepts for [`super::team`] at
//! [`NOW`], shaped like Okta's (prefixes `saml2p`/`saml2`, `xs:string` attribute values, the
//! signature right after each Issuer).
//!
//! Building goes: render → `pre_sign` edits → sign the Assertion → encrypt it → sign the Response
//! → `post_sign` edits → base64 (what the browser posts). Edits that must find their text panic
//! when it is absent, so a test can never pass because its mutation silently did nothing.

use base64::Engine;
use std::fmt::Write as _;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use xmldsig::{DigestAlgorithm, KeyKind, SignOptions, SignatureAlgorithm};

use super::keys::{FixtureKey, sp_certificate};

pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const XS: &str = "http://www.w3.org/2001/XMLSchema";
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
pub const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
pub const HOLDER_OF_KEY: &str = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
pub const NAME_ID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAME_ID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// The fixed clock of every test.
pub const NOW: OffsetDateTime = datetime!(2026-11-28 12:00:00 UTC);
/// The SP's values (`SpConfig::qualified()`).
pub const SP_ENTITY_ID: &str = "https://qualified.io";
pub const ACS_URL: &str = "https://www.qualified.io/api/saml/consume";
/// The default IdP's entity ID, Okta-shaped.
pub const ISSUER: &str = "http://www.okta.com/exk1fixture";
pub const DEFAULT_RESPONSE_ID: &str = "id-response-0001";
pub const DEFAULT_ASSERTION_ID: &str = "id-assertion-0001";

/// Where the enveloped signatures go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    Response,
    Assertion,
    Both,
    None,
}

impl Signing {
    pub const ALL: [Signing; 4] = [
        Signing::Response,
        Signing::Assertion,
        Signing::Both,
        Signing::None,
    ];

    fn response(self) -> bool {
        matches!(self, Signing::Response | Signing::Both)
    }

    fn assertion(self) -> bool {
        matches!(self, Signing::Assertion | Signing::Both)
    }
}

/// A text edit of the XML, before or after signing.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Replace the first occurrence of `.0` (which must occur) by `.1`.
    Replace(String, String),
    /// Replace every occurrence of `.0` (at least one must occur) by `.1`.
    ReplaceAll(String, String),
    /// Any other edit.
    With(fn(&str) -> String),
}

impl Edit {
    pub fn replace(find: impl Into<String>, with: impl Into<String>) -> Edit {
        Edit::Replace(find.into(), with.into())
    }

    pub fn replace_all(find: impl Into<String>, with: impl Into<String>) -> Edit {
        Edit::ReplaceAll(find.into(), with.into())
    }

    pub fn apply(&self, xml: &str) -> String {
        match self {
            Edit::Replace(find, with) => {
                assert!(
                    xml.contains(find.as_str()),
                    "edit target {find:?} not found in:\n{xml}"
                );
                xml.replacen(find.as_str(), with, 1)
            }
            Edit::ReplaceAll(find, with) => {
                assert!(
                    xml.contains(find.as_str()),
                    "edit target {find:?} not found in:\n{xml}"
                );
                xml.replace(find.as_str(), with)
            }
            Edit::With(f) => f(xml),
        }
    }
}

/// The samlp:Status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSpec {
    pub code: String,
    pub sub_code: Option<String>,
    pub message: Option<String>,
}

impl StatusSpec {
    pub fn success() -> StatusSpec {
        StatusSpec {
            code: STATUS_SUCCESS.to_owned(),
            sub_code: None,
            message: None,
        }
    }

    pub fn failed(code: &str, sub_code: Option<&str>, message: Option<&str>) -> StatusSpec {
        StatusSpec {
            code: code.to_owned(),
            sub_code: sub_code.map(str::to_owned),
            message: message.map(str::to_owned),
        }
    }
}

/// What the Subject names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectId {
    NameId {
        value: String,
        format: Option<String>,
    },
    /// An `EncryptedID` (placeholder ciphertext: the SP does not support it).
    EncryptedId,
    None,
}

/// One `SubjectConfirmationData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationData {
    pub recipient: Option<String>,
    pub not_before: Option<OffsetDateTime>,
    pub not_on_or_after: Option<OffsetDateTime>,
    pub in_response_to: Option<String>,
}

/// One `SubjectConfirmation`; `data: None` leaves out SubjectConfirmationData.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub method: String,
    pub data: Option<ConfirmationData>,
}

impl Confirmation {
    /// A bearer confirmation as Okta writes it: Recipient the ACS, five minutes to live.
    pub fn bearer(now: OffsetDateTime) -> Confirmation {
        Confirmation {
            method: BEARER.to_owned(),
            data: Some(ConfirmationData {
                recipient: Some(ACS_URL.to_owned()),
                not_before: None,
                not_on_or_after: Some(now + Duration::minutes(5)),
                in_response_to: None,
            }),
        }
    }
}

/// `saml:Conditions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionsSpec {
    pub not_before: Option<OffsetDateTime>,
    pub not_on_or_after: Option<OffsetDateTime>,
    /// One inner list per AudienceRestriction; empty for none.
    pub audience_restrictions: Vec<Vec<String>>,
}

/// `saml:AuthnStatement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnSpec {
    pub authn_instant: OffsetDateTime,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    pub session_index: Option<String>,
}

/// `saml:Assertion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionSpec {
    pub id: String,
    pub version: Option<String>,
    pub issue_instant: Option<OffsetDateTime>,
    pub issuer: Option<String>,
    pub subject: SubjectId,
    pub confirmations: Vec<Confirmation>,
    pub conditions: Option<ConditionsSpec>,
    pub authn: Option<AuthnSpec>,
    /// Name → values, in order; each becomes one `saml:Attribute`.
    pub attributes: Vec<(String, Vec<String>)>,
}

/// A whole response and how to sign, encrypt and mutate it.
#[derive(Debug, Clone)]
pub struct ResponseSpec {
    pub id: String,
    pub version: Option<String>,
    pub issue_instant: Option<OffsetDateTime>,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub issuer: Option<String>,
    pub status: StatusSpec,
    /// `None`: a response without an assertion.
    pub assertion: Option<AssertionSpec>,
    pub signing: Signing,
    pub key: FixtureKey,
    /// `None`: RSA-SHA256 or ECDSA-SHA256 by the key's kind, SHA-256 digest.
    pub algorithms: Option<(SignatureAlgorithm, DigestAlgorithm)>,
    /// Publish the signer's certificate in KeyInfo (real IdPs do; the SP must ignore it).
    pub include_certificate: bool,
    /// Encrypt the assertion (after signing it) to the SP's certificate, `fixtures/keys/sp-rsa.crt`.
    pub encrypt: bool,
    /// The content cipher and key transport when encrypting.
    pub encryption: xmldsig::EncryptOptions,
    pub pre_sign: Vec<Edit>,
    pub post_sign: Vec<Edit>,
}

/// Okta's attribute statement for the default user.
pub fn okta_attributes(email: &str, first: &str, last: &str) -> Vec<(String, Vec<String>)> {
    vec![
        ("email".to_owned(), vec![email.to_owned()]),
        ("firstName".to_owned(), vec![first.to_owned()]),
        ("lastName".to_owned(), vec![last.to_owned()]),
        (
            "groups".to_owned(),
            vec!["engineering".to_owned(), "hiring-managers".to_owned()],
        ),
    ]
}

impl Default for ResponseSpec {
    fn default() -> Self {
        ResponseSpec::at(NOW)
    }
}

impl ResponseSpec {
    /// The valid Okta-shaped response at [`NOW`] (the same as `Default`).
    pub fn valid() -> ResponseSpec {
        ResponseSpec::at(NOW)
    }

    /// A valid Okta-shaped response issued two seconds before `now`.
    pub fn at(now: OffsetDateTime) -> ResponseSpec {
        let issued = now - Duration::seconds(2);
        ResponseSpec {
            id: DEFAULT_RESPONSE_ID.to_owned(),
            version: Some("2.0".to_owned()),
            issue_instant: Some(issued),
            destination: Some(ACS_URL.to_owned()),
            in_response_to: None,
            issuer: Some(ISSUER.to_owned()),
            status: StatusSpec::success(),
            assertion: Some(AssertionSpec {
                id: DEFAULT_ASSERTION_ID.to_owned(),
                version: Some("2.0".to_owned()),
                issue_instant: Some(issued),
                issuer: Some(ISSUER.to_owned()),
                subject: SubjectId::NameId {
                    value: "alice@corp.com".to_owned(),
                    format: Some(NAME_ID_EMAIL.to_owned()),
                },
                confirmations: vec![Confirmation::bearer(now)],
                conditions: Some(ConditionsSpec {
                    not_before: Some(issued - Duration::minutes(5)),
                    not_on_or_after: Some(issued + Duration::minutes(5)),
                    audience_restrictions: vec![vec![SP_ENTITY_ID.to_owned()]],
                }),
                authn: Some(AuthnSpec {
                    authn_instant: issued,
                    session_not_on_or_after: Some(now + Duration::hours(8)),
                    session_index: Some(DEFAULT_ASSERTION_ID.to_owned()),
                }),
                attributes: okta_attributes("alice@corp.com", "Alice", "Liddell"),
            }),
            signing: Signing::Both,
            key: FixtureKey::RsaCurrent,
            algorithms: None,
            include_certificate: true,
            encrypt: false,
            encryption: xmldsig::EncryptOptions::default(),
            pre_sign: Vec::new(),
            post_sign: Vec::new(),
        }
    }

    /// The assertion, which the spec must have.
    pub fn assertion_mut(&mut self) -> &mut AssertionSpec {
        self.assertion.as_mut().expect("this spec has an assertion")
    }

    pub fn assertion(&self) -> &AssertionSpec {
        self.assertion.as_ref().expect("this spec has an assertion")
    }

    /// The first SubjectConfirmationData, which the spec must have.
    pub fn bearer_mut(&mut self) -> &mut ConfirmationData {
        self.assertion_mut()
            .confirmations
            .first_mut()
            .and_then(|c| c.data.as_mut())
            .expect("this spec has a SubjectConfirmationData")
    }

    pub fn conditions_mut(&mut self) -> &mut ConditionsSpec {
        self.assertion_mut()
            .conditions
            .as_mut()
            .expect("this spec has Conditions")
    }

    /// Answers the AuthnRequest `request_id`: InResponseTo on the Response and on every
    /// SubjectConfirmationData, as IdPs write it.
    pub fn answering(mut self, request_id: &str) -> ResponseSpec {
        self.in_response_to = Some(request_id.to_owned());
        if let Some(assertion) = &mut self.assertion {
            for data in assertion
                .confirmations
                .iter_mut()
                .filter_map(|c| c.data.as_mut())
            {
                data.in_response_to = Some(request_id.to_owned());
            }
        }
        self
    }

    /// Sets both Issuers.
    pub fn issued_by(mut self, issuer: &str) -> ResponseSpec {
        self.issuer = Some(issuer.to_owned());
        if let Some(assertion) = &mut self.assertion {
            assertion.issuer = Some(issuer.to_owned());
        }
        self
    }

    pub fn signed(mut self, signing: Signing) -> ResponseSpec {
        self.signing = signing;
        self
    }

    pub fn with_key(mut self, key: FixtureKey) -> ResponseSpec {
        self.key = key;
        self
    }

    pub fn encrypted(mut self) -> ResponseSpec {
        self.encrypt = true;
        self
    }

    pub fn pre_sign(mut self, edit: Edit) -> ResponseSpec {
        self.pre_sign.push(edit);
        self
    }

    pub fn post_sign(mut self, edit: Edit) -> ResponseSpec {
        self.post_sign.push(edit);
        self
    }

    /// The XML as rendered, before any edit, signature or encryption.
    pub fn render(&self) -> String {
        let mut x = String::with_capacity(4096);
        x.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        write!(
            x,
            r#"<saml2p:Response xmlns:saml2p="{SAMLP}" xmlns:saml2="{SAML}" xmlns:xs="{XS}""#
        )
        .ok();
        if let Some(destination) = &self.destination {
            attr(&mut x, "Destination", destination);
        }
        attr(&mut x, "ID", &self.id);
        if let Some(irt) = &self.in_response_to {
            attr(&mut x, "InResponseTo", irt);
        }
        if let Some(t) = self.issue_instant {
            attr(&mut x, "IssueInstant", &instant(t));
        }
        if let Some(v) = &self.version {
            attr(&mut x, "Version", v);
        }
        x.push('>');
        if let Some(issuer) = &self.issuer {
            issuer_element(&mut x, issuer);
        }
        x.push_str("<saml2p:Status>");
        x.push_str("<saml2p:StatusCode");
        attr(&mut x, "Value", &self.status.code);
        match &self.status.sub_code {
            Some(sub) => {
                x.push_str("><saml2p:StatusCode");
                attr(&mut x, "Value", sub);
                x.push_str("/></saml2p:StatusCode>");
            }
            None => x.push_str("/>"),
        }
        if let Some(message) = &self.status.message {
            write!(
                x,
                "<saml2p:StatusMessage>{}</saml2p:StatusMessage>",
                text(message)
            )
            .ok();
        }
        x.push_str("</saml2p:Status>");
        if let Some(assertion) = &self.assertion {
            render_assertion(&mut x, assertion);
        }
        x.push_str("</saml2p:Response>");
        x
    }

    /// The final XML: edited, signed, encrypted, edited again.
    pub fn xml(&self) -> String {
        let mut xml = self.render();
        for edit in &self.pre_sign {
            xml = edit.apply(&xml);
        }
        let key = self.key.private_key();
        let (signature, digest) = self.algorithms.unwrap_or(match key.kind() {
            KeyKind::Rsa => (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha256),
            KeyKind::Ec => (SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256),
        });
        let options = SignOptions {
            signature,
            digest,
            include_certificate: self.include_certificate,
        };
        if let Some(assertion) = &self.assertion {
            if self.signing.assertion() {
                xml =
                    xmldsig::sign(&xml, &assertion.id, key, &options).expect("sign the assertion");
            }
            if self.encrypt {
                xml = xmldsig::encrypt_element(
                    &xml,
                    &assertion.id,
                    sp_certificate(),
                    &self.encryption,
                    Some(xmldsig::SAML_ENCRYPTED_ASSERTION),
                )
                .expect("encrypt the assertion");
            }
        }
        if self.signing.response() {
            xml = xmldsig::sign(&xml, &self.id, key, &options).expect("sign the response");
        }
        for edit in &self.post_sign {
            xml = edit.apply(&xml);
        }
        xml
    }

    /// The `SAMLResponse` form value the browser posts.
    pub fn form_value(&self) -> String {
        encode(&self.xml())
    }
}

/// Base64, as the HTTP-POST binding carries it.
pub fn encode(xml: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(xml.as_bytes())
}

/// An xs:dateTime in UTC, as IdPs write it.
pub fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("a formattable instant")
}

fn text(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn attr(x: &mut String, name: &str, value: &str) {
    write!(x, " {name}=\"{}\"", text(value).replace('"', "&quot;")).ok();
}

fn issuer_element(x: &mut String, issuer: &str) {
    write!(
        x,
        r#"<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{}</saml2:Issuer>"#,
        text(issuer)
    )
    .ok();
}

fn render_assertion(x: &mut String, a: &AssertionSpec) {
    x.push_str("<saml2:Assertion");
    attr(x, "ID", &a.id);
    if let Some(t) = a.issue_instant {
        attr(x, "IssueInstant", &instant(t));
    }
    if let Some(v) = &a.version {
        attr(x, "Version", v);
    }
    x.push('>');
    if let Some(issuer) = &a.issuer {
        issuer_element(x, issuer);
    }
    x.push_str("<saml2:Subject>");
    match &a.subject {
        SubjectId::NameId { value, format } => {
            x.push_str("<saml2:NameID");
            if let Some(format) = format {
                attr(x, "Format", format);
            }
            write!(x, ">{}</saml2:NameID>", text(value)).ok();
        }
        SubjectId::EncryptedId => {
            // Placeholder ciphertext: the SP refuses EncryptedID before it would decrypt one.
            write!(
                x,
                r#"<saml2:EncryptedID><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml2:EncryptedID>"#
            )
            .ok();
        }
        SubjectId::None => {}
    }
    for c in &a.confirmations {
        x.push_str("<saml2:SubjectConfirmation");
        attr(x, "Method", &c.method);
        match &c.data {
            Some(d) => {
                x.push_str("><saml2:SubjectConfirmationData");
                if let Some(v) = &d.in_response_to {
                    attr(x, "InResponseTo", v);
                }
                if let Some(t) = d.not_before {
                    attr(x, "NotBefore", &instant(t));
                }
                if let Some(t) = d.not_on_or_after {
                    attr(x, "NotOnOrAfter", &instant(t));
                }
                if let Some(v) = &d.recipient {
                    attr(x, "Recipient", v);
                }
                x.push_str("/></saml2:SubjectConfirmation>");
            }
            None => x.push_str("/>"),
        }
    }
    x.push_str("</saml2:Subject>");
    if let Some(c) = &a.conditions {
        x.push_str("<saml2:Conditions");
        if let Some(t) = c.not_before {
            attr(x, "NotBefore", &instant(t));
        }
        if let Some(t) = c.not_on_or_after {
            attr(x, "NotOnOrAfter", &instant(t));
        }
        x.push('>');
        for restriction in &c.audience_restrictions {
            x.push_str("<saml2:AudienceRestriction>");
            for audience in restriction {
                write!(x, "<saml2:Audience>{}</saml2:Audience>", text(audience)).ok();
            }
            x.push_str("</saml2:AudienceRestriction>");
        }
        x.push_str("</saml2:Conditions>");
    }
    if let Some(authn) = &a.authn {
        x.push_str("<saml2:AuthnStatement");
        attr(x, "AuthnInstant", &instant(authn.authn_instant));
        if let Some(index) = &authn.session_index {
            attr(x, "SessionIndex", index);
        }
        if let Some(t) = authn.session_not_on_or_after {
            attr(x, "SessionNotOnOrAfter", &instant(t));
        }
        x.push_str("><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>");
    }
    if !a.attributes.is_empty() {
        x.push_str("<saml2:AttributeStatement>");
        for (name, values) in &a.attributes {
            x.push_str("<saml2:Attribute");
            attr(x, "Name", name);
            attr(
                x,
                "NameFormat",
                "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
            );
            x.push('>');
            for value in values {
                write!(
                    x,
                    r#"<saml2:AttributeValue xmlns:xsi="{XSI}" xsi:type="xs:string">{}</saml2:AttributeValue>"#,
                    text(value)
                )
                .ok();
            }
            x.push_str("</saml2:Attribute>");
        }
        x.push_str("</saml2:AttributeStatement>");
    }
    x.push_str("</saml2:Assertion>");
}

/// The text of the first `<saml2:Assertion …>…</saml2:Assertion>` of `xml` (signature included).
pub fn assertion_text(xml: &str) -> &str {
    let start = xml
        .find("<saml2:Assertion ")
        .expect("an assertion in the XML");
    let end = xml[start..]
        .find("</saml2:Assertion>")
        .expect("a closed assertion")
        + start
        + "</saml2:Assertion>".len();
    &xml[start..end]
}

/// `xml` with `<saml2p:Extensions>{content}</saml2p:Extensions>` where the schema puts it: after
/// the Response's Issuer and Signature, before Status.
pub fn with_extensions(xml: &str, content: &str) -> String {
    let at = xml.find("<saml2p:Status>").expect("a Status");
    format!(
        "{}<saml2p:Extensions>{content}</saml2p:Extensions>{}",
        &xml[..at],
        &xml[at..]
    )
}
