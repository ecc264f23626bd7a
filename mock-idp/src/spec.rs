//! A SAML Response described field by field. Every knob a real IdP or a fault can turn is here;
//! [`ResponseSpec::valid`] gives a response a correct SP accepts, and presets and faults are
//! edits of it.
//!
//! Times are offsets from the moment of building (`now`), shifted by [`Times::clock_offset`] to
//! model an IdP whose clock is off, so that one spec builds the same response at any `now`.

use crate::keys::{KeyRole, KeyType};
use time::Duration;
use xmldsig::{BlockCipher, DigestAlgorithm, KeyTransport, SignatureAlgorithm};

pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
pub const STATUS_RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
pub const ATTRNAME_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
pub const ATTRNAME_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
pub const ATTRNAME_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
pub const PASSWORD_PROTECTED: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

/// The SP this mock talks to by default: the product's production values.
pub const DEFAULT_SP_ENTITY_ID: &str = "https://qualified.io";
pub const DEFAULT_ACS_URL: &str = "https://www.qualified.io/api/saml/consume";
/// The ACS of an SP started locally with `sp serve` (its default listen address): where
/// `mock-idp serve` sends browsers unless told otherwise, so that a test response never reaches
/// the production site by accident.
pub const LOCAL_ACS_URL: &str = "http://127.0.0.1:8080/api/saml/consume";

/// Which elements carry a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    None,
    Response,
    Assertion,
    Both,
}

impl Placement {
    pub const ALL: [Placement; 4] = [
        Placement::None,
        Placement::Response,
        Placement::Assertion,
        Placement::Both,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placement::None => "none",
            Placement::Response => "response",
            Placement::Assertion => "assertion",
            Placement::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Placement> {
        Placement::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn signs_response(self) -> bool {
        matches!(self, Placement::Response | Placement::Both)
    }

    pub fn signs_assertion(self) -> bool {
        matches!(self, Placement::Assertion | Placement::Both)
    }
}

/// How the response is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    pub placement: Placement,
    pub key: KeyRole,
    pub key_type: KeyType,
    pub signature: SignatureAlgorithm,
    pub digest: DigestAlgorithm,
    /// Publish the certificate in KeyInfo (PingFederate leaves it out by default).
    pub include_certificate: bool,
}

/// Whom the assertion is encrypted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptTo {
    /// The SP's certificate (`fixtures/keys/sp-rsa.crt`).
    Sp,
    /// Another key (the IdP's own current certificate): what "encrypted with the wrong key" does.
    WrongKey,
}

/// Assertion encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    pub cipher: BlockCipher,
    pub transport: KeyTransport,
    pub to: EncryptTo,
}

/// The Status element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: String,
    pub sub_code: Option<String>,
    pub message: Option<String>,
}

/// The subject's NameID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    pub value: String,
    pub format: Option<String>,
    /// `SPNameQualifier`, as Okta and Entra write it.
    pub sp_name_qualifier: Option<String>,
}

/// One Attribute with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub name_format: Option<String>,
    pub friendly_name: Option<String>,
    pub values: Vec<String>,
    /// Write `xsi:type="xs:string"` on values (Okta, OneLogin do; Entra and AD FS do not).
    pub typed: bool,
}

impl Attribute {
    pub fn new(name: &str, values: &[&str]) -> Attribute {
        Attribute {
            name: name.to_owned(),
            name_format: Some(ATTRNAME_UNSPECIFIED.to_owned()),
            friendly_name: None,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            typed: true,
        }
    }
}

/// Times, as offsets from the IdP's own clock reading (`now + clock_offset`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Times {
    /// The IdP's clock minus the true time: +5 min is an IdP running fast.
    pub clock_offset: Duration,
    /// IssueInstant of Response and Assertion, relative to the IdP's now (usually 0).
    pub issue_instant: Duration,
    /// Conditions NotBefore (None: omitted).
    pub not_before: Option<Duration>,
    /// Conditions NotOnOrAfter (None: omitted).
    pub not_on_or_after: Option<Duration>,
    /// SubjectConfirmationData NotBefore (bearer confirmations should not have one).
    pub confirmation_not_before: Option<Duration>,
    /// SubjectConfirmationData NotOnOrAfter (required for bearer).
    pub confirmation_not_on_or_after: Option<Duration>,
    /// AuthnStatement AuthnInstant.
    pub authn_instant: Duration,
    /// AuthnStatement SessionNotOnOrAfter (None: omitted).
    pub session_not_on_or_after: Option<Duration>,
}

/// Namespace prefixes as the IdP writes them: `samlp`/`saml` (most), `saml2p`/`saml2` (Okta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefixes {
    pub protocol: String,
    pub assertion: String,
}

/// The whole response, and how the browser carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSpec {
    pub response_id: String,
    pub assertion_id: String,
    pub version: String,
    /// The Response's Issuer (None: omitted, which SAML allows).
    pub response_issuer: Option<String>,
    /// The Assertion's Issuer (None: omitted, which SAML forbids).
    pub assertion_issuer: Option<String>,
    /// The Response's Destination (None: omitted).
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub status: Status,
    /// None: a response without any assertion (as IdPs send with a failed status).
    pub include_assertion: bool,
    pub name_id: Option<NameId>,
    /// SubjectConfirmation Method (bearer for Web Browser SSO).
    pub confirmation_method: String,
    pub recipient: Option<String>,
    /// AudienceRestriction's audiences; empty: no AudienceRestriction at all.
    pub audiences: Vec<String>,
    pub attributes: Vec<Attribute>,
    pub authn_context: String,
    pub session_index: Option<String>,
    pub times: Times,
    pub signing: Signing,
    pub encryption: Option<Encryption>,
    pub prefixes: Prefixes,
    /// The URL the browser posts to: the IdP's Reply URL / ACS setting, which may differ from
    /// Destination when an admin mistypes one of them.
    pub reply_url: String,
    /// The HTTP method of the browser's request (GET models a Sign-on URL set to the ACS).
    pub method: HttpMethod,
    pub relay_state: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Post,
    Get,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 2] = [HttpMethod::Post, HttpMethod::Get];

    /// The lower-case name the CLI and the login form use.
    pub fn name(self) -> &'static str {
        match self {
            HttpMethod::Post => "post",
            HttpMethod::Get => "get",
        }
    }
}

impl ResponseSpec {
    /// A response a correct SP configured with this mock's metadata accepts: Okta-like, signed on
    /// Response and Assertion with the current RSA key, RSA-SHA256, for `issuer`.
    pub fn valid(issuer: &str) -> ResponseSpec {
        ResponseSpec {
            response_id: "_mock-response-0001".to_owned(),
            assertion_id: "_mock-assertion-0001".to_owned(),
            version: "2.0".to_owned(),
            response_issuer: Some(issuer.to_owned()),
            assertion_issuer: Some(issuer.to_owned()),
            destination: Some(DEFAULT_ACS_URL.to_owned()),
            in_response_to: None,
            status: Status {
                code: STATUS_SUCCESS.to_owned(),
                sub_code: None,
                message: None,
            },
            include_assertion: true,
            name_id: Some(NameId {
                value: "alice@example.com".to_owned(),
                format: Some(NAMEID_EMAIL.to_owned()),
                sp_name_qualifier: None,
            }),
            confirmation_method: BEARER.to_owned(),
            recipient: Some(DEFAULT_ACS_URL.to_owned()),
            audiences: vec![DEFAULT_SP_ENTITY_ID.to_owned()],
            attributes: vec![
                Attribute::new("email", &["alice@example.com"]),
                Attribute::new("firstName", &["Alice"]),
                Attribute::new("lastName", &["Liddell"]),
            ],
            authn_context: PASSWORD_PROTECTED.to_owned(),
            session_index: Some("_mock-session-0001".to_owned()),
            times: Times {
                clock_offset: Duration::ZERO,
                issue_instant: Duration::ZERO,
                not_before: Some(Duration::minutes(-5)),
                not_on_or_after: Some(Duration::minutes(5)),
                confirmation_not_before: None,
                confirmation_not_on_or_after: Some(Duration::minutes(5)),
                authn_instant: Duration::seconds(-2),
                session_not_on_or_after: Some(Duration::hours(8)),
            },
            signing: Signing {
                placement: Placement::Both,
                key: KeyRole::Current,
                key_type: KeyType::Rsa,
                signature: SignatureAlgorithm::RsaSha256,
                digest: DigestAlgorithm::Sha256,
                include_certificate: true,
            },
            encryption: None,
            prefixes: Prefixes {
                protocol: "samlp".to_owned(),
                assertion: "saml".to_owned(),
            },
            reply_url: DEFAULT_ACS_URL.to_owned(),
            method: HttpMethod::Post,
            relay_state: None,
        }
    }

    /// Points Destination, Recipient and the Reply URL at `acs`, and the audience at `entity_id`.
    pub fn for_sp(mut self, acs: &str, entity_id: &str) -> ResponseSpec {
        self.destination = Some(acs.to_owned());
        self.recipient = Some(acs.to_owned());
        self.reply_url = acs.to_owned();
        self.audiences = vec![entity_id.to_owned()];
        self
    }

    /// Gives the response and assertion IDs derived from `n`, so several responses can be sent
    /// without tripping an SP's replay cache.
    pub fn numbered(mut self, n: u64) -> ResponseSpec {
        self.response_id = format!("_mock-response-{n:04}");
        self.assertion_id = format!("_mock-assertion-{n:04}");
        self.session_index = Some(format!("_mock-session-{n:04}"));
        self
    }

    /// Answers an AuthnRequest: InResponseTo on the Response and the confirmation.
    pub fn answering(mut self, request_id: &str) -> ResponseSpec {
        self.in_response_to = Some(request_id.to_owned());
        self
    }
}
