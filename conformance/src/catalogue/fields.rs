//! Every field of the Response and the Assertion that an SP reads or checks, made empty (present,
//! no value), missing (absent), different (a plausible wrong value) and malformed (unparsable or
//! of the wrong form), in the manner of italia/spid-saml-check's numbered response tests (kept
//! in italia/spid-sp-test's `responses/settings.py`; their "non specificato" is our `empty`,
//! "mancante" our `missing`).
//!
//! The table is data: a [`Field`] per field, a [`Case`] per variant, each with what a correct SP
//! answers. Where the spec can say it, a case adjusts the [`ResponseSpec`]; where it cannot, it
//! edits the rendered XML before signing (so the signature stays valid and a refusal is about
//! the field), and for the signature's own fields, after signing. Every case runs against the
//! okta preset's team (`acme`), whose responses are signed on the Response and the Assertion.

use super::teams;
use super::xml_edit::{self, Edit, Step};
use crate::scenario::{Post, Response, Scenario, Stimulus};
use mock_idp::expect::{Code, Expected};
use mock_idp::faults::{Class, Fault, Transform, UNKNOWN_ISSUER};
use mock_idp::keys::{KeyRole, KeyType};
use mock_idp::spec::{NAMEID_PERSISTENT, NameId, Placement, ResponseSpec};
use time::Duration;
use xmldsig::ns::{DS, SAML_ASSERTION as SAML, SAML_PROTOCOL as SAMLP};

/// How a field is spoiled. The first four are what every field is put through (or a stated
/// reason why one cannot apply); `Other` names a further case of one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Empty,
    Missing,
    Different,
    Malformed,
    Other(&'static str),
}

impl Variant {
    pub const FOUR: [Variant; 4] = [
        Variant::Empty,
        Variant::Missing,
        Variant::Different,
        Variant::Malformed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Empty => "empty",
            Variant::Missing => "missing",
            Variant::Different => "different",
            Variant::Malformed => "malformed",
            Variant::Other(name) => name,
        }
    }
}

/// One field and what is done to it.
pub struct Field {
    /// The id segment: `saml.field.<slug>.<variant>`.
    pub slug: &'static str,
    /// Where SAML (or XML-DSig) defines the field.
    pub core: &'static str,
    pub cases: Vec<Case>,
    /// The variants of [`Variant::FOUR`] without a case, each with why it does not apply.
    pub without: Vec<(Variant, &'static str)>,
}

/// One variant of a field: what is done, and what a correct SP answers.
pub struct Case {
    pub variant: Variant,
    pub title: &'static str,
    pub expected: Expected,
    /// The number of the spid-saml-check response test that does the same.
    pub spid: Option<u8>,
    /// Why a correct SP answers this, where the spec alone does not say.
    pub why: &'static str,
    pub adjust: Option<fn(&mut ResponseSpec)>,
    pub edit: Option<fn(String) -> String>,
    /// For the signature's own fields: an edit made after signing.
    pub after_signing: Option<&'static Fault>,
}

fn refused(variant: Variant, code: Code, title: &'static str) -> Case {
    Case {
        variant,
        title,
        expected: Expected::Refused(code),
        spid: None,
        why: "",
        adjust: None,
        edit: None,
        after_signing: None,
    }
}

fn accepted(variant: Variant, title: &'static str, why: &'static str) -> Case {
    Case {
        why,
        expected: Expected::Accepted,
        ..refused(variant, Code::MalformedXml, title)
    }
}

impl Case {
    fn adjust(self, adjust: fn(&mut ResponseSpec)) -> Case {
        Case {
            adjust: Some(adjust),
            ..self
        }
    }

    fn edit(self, edit: fn(String) -> String) -> Case {
        Case {
            edit: Some(edit),
            ..self
        }
    }

    fn after_signing(self, fault: &'static Fault) -> Case {
        Case {
            after_signing: Some(fault),
            ..self
        }
    }

    fn spid(self, number: u8) -> Case {
        Case {
            spid: Some(number),
            ..self
        }
    }

    fn why(self, why: &'static str) -> Case {
        Case { why, ..self }
    }
}

// Paths from the root, as mock-idp renders a response (render.rs).
const RESPONSE: Step = Step::new(SAMLP, "Response");
const ISSUER: Step = Step::new(SAML, "Issuer");
const STATUS: Step = Step::new(SAMLP, "Status");
const STATUS_CODE: Step = Step::new(SAMLP, "StatusCode");
const ASSERTION: Step = Step::new(SAML, "Assertion");
const SUBJECT: Step = Step::new(SAML, "Subject");
const NAME_ID: Step = Step::new(SAML, "NameID");
const CONFIRMATION: Step = Step::new(SAML, "SubjectConfirmation");
const CONFIRMATION_DATA: Step = Step::new(SAML, "SubjectConfirmationData");
const CONDITIONS: Step = Step::new(SAML, "Conditions");
const AUDIENCE_RESTRICTION: Step = Step::new(SAML, "AudienceRestriction");
const AUDIENCE: Step = Step::new(SAML, "Audience");
const AUTHN_STATEMENT: Step = Step::new(SAML, "AuthnStatement");
const ATTRIBUTE_STATEMENT: Step = Step::new(SAML, "AttributeStatement");
const EMAIL: Step = Step::new(SAML, "Attribute").having("Name", "email");
const ATTRIBUTE_VALUE: Step = Step::new(SAML, "AttributeValue");
const SIGNATURE: Step = Step::new(DS, "Signature");
const SIGNED_INFO: Step = Step::new(DS, "SignedInfo");
const REFERENCE: Step = Step::new(DS, "Reference");
const DIGEST_VALUE: Step = Step::new(DS, "DigestValue");
const SIGNATURE_VALUE: Step = Step::new(DS, "SignatureValue");
const KEY_INFO: Step = Step::new(DS, "KeyInfo");
const X509_DATA: Step = Step::new(DS, "X509Data");
const X509_CERTIFICATE: Step = Step::new(DS, "X509Certificate");

const R: &[Step] = &[RESPONSE];
const R_ISSUER: &[Step] = &[RESPONSE, ISSUER];
const R_STATUS: &[Step] = &[RESPONSE, STATUS];
const R_STATUS_CODE: &[Step] = &[RESPONSE, STATUS, STATUS_CODE];
const A: &[Step] = &[RESPONSE, ASSERTION];
const A_ISSUER: &[Step] = &[RESPONSE, ASSERTION, ISSUER];
const A_NAME_ID: &[Step] = &[RESPONSE, ASSERTION, SUBJECT, NAME_ID];
const A_CONFIRMATION: &[Step] = &[RESPONSE, ASSERTION, SUBJECT, CONFIRMATION];
const A_CONFIRMATION_DATA: &[Step] = &[
    RESPONSE,
    ASSERTION,
    SUBJECT,
    CONFIRMATION,
    CONFIRMATION_DATA,
];
const A_CONDITIONS: &[Step] = &[RESPONSE, ASSERTION, CONDITIONS];
const A_RESTRICTION: &[Step] = &[RESPONSE, ASSERTION, CONDITIONS, AUDIENCE_RESTRICTION];
const A_AUDIENCE: &[Step] = &[
    RESPONSE,
    ASSERTION,
    CONDITIONS,
    AUDIENCE_RESTRICTION,
    AUDIENCE,
];
const A_AUTHN: &[Step] = &[RESPONSE, ASSERTION, AUTHN_STATEMENT];
const A_EMAIL: &[Step] = &[RESPONSE, ASSERTION, ATTRIBUTE_STATEMENT, EMAIL];
const A_EMAIL_VALUE: &[Step] = &[
    RESPONSE,
    ASSERTION,
    ATTRIBUTE_STATEMENT,
    EMAIL,
    ATTRIBUTE_VALUE,
];
const R_DIGEST_VALUE: &[Step] = &[RESPONSE, SIGNATURE, SIGNED_INFO, REFERENCE, DIGEST_VALUE];
const R_SIGNATURE_VALUE: &[Step] = &[RESPONSE, SIGNATURE, SIGNATURE_VALUE];
const R_KEY_INFO: &[Step] = &[RESPONSE, SIGNATURE, KEY_INFO];
const R_CERTIFICATE: &[Step] = &[RESPONSE, SIGNATURE, KEY_INFO, X509_DATA, X509_CERTIFICATE];

const NOT_A_TIME: &str = "yesterday";
const LONG_AGO: &str = "2018-01-01T00:00:00Z";
const FAR_AHEAD: &str = "2099-01-01T00:00:00Z";
const NOT_A_URL: &str = "not a URL";
const OTHER_ACS: &str = "https://other-sp.example.com/saml/acs";
const NEVER_REQUESTED: &str = "_never-requested-by-this-sp";
const NOT_AN_NCNAME: &str = "42 43";
const HOLDER_OF_KEY: &str = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
const NOT_BASE64: &str = "not base64!";

/// `xml` with `edit` made at `path`. The catalogue's test holds that every path is there; were
/// one not, the response goes out unedited with a comment before the root saying why, so a
/// report shows it instead of a silent pass.
fn at(xml: String, path: &[Step], edit: Edit) -> String {
    match xml_edit::apply(&xml, path, edit) {
        Ok(edited) => edited,
        Err(e) => format!("<!-- field edit not made: {e} -->{xml}"),
    }
}

fn padded(value: &str) -> String {
    format!("\n    {value}\n  ")
}

fn with_milliseconds(instant: &str) -> String {
    format!("{}.123Z", instant.trim_end_matches('Z'))
}

/// A base64 value with its first character changed (to another base64 character).
fn other_base64(value: &str) -> String {
    let mut out = value.trim().to_owned();
    let replacement = if out.starts_with('A') { "B" } else { "A" };
    out.replace_range(..1.min(out.len()), replacement);
    out
}

fn attacker_certificate(_: &str) -> String {
    match mock_idp::keys::certificate(KeyRole::Attacker, KeyType::Rsa) {
        Ok(certificate) => certificate
            .to_base64()
            .unwrap_or_else(|e| format!("(attacker certificate unreadable: {e})")),
        Err(e) => format!("(no attacker certificate: {e})"),
    }
}

/// The NameID an opaque persistent ID, so that the email can come only from the attribute.
fn opaque_name_id(spec: &mut ResponseSpec) {
    spec.name_id = Some(NameId {
        value: "00u8field0alice7x".to_owned(),
        format: Some(NAMEID_PERSISTENT.to_owned()),
        sp_name_qualifier: None,
    });
}

/// A fault that edits the Response's signature after signing.
macro_rules! after_signing {
    ($static:ident, $name:literal, $summary:literal, $path:expr, $edit:expr, $expected:expr) => {
        static $static: Fault = Fault {
            name: $name,
            summary: $summary,
            class: Class::Signature,
            expected: $expected,
            note: "",
            posts: 1,
            via_redirect: None,
            transform: Transform::Xml(|_, xml| at(xml, $path, $edit)),
        };
    };
}

after_signing!(
    RESPONSE_ID_CHANGED,
    "field-response-id-different",
    "Response ID changed after signing",
    R,
    Edit::MapAttribute("ID", |id| format!("{id}-changed")),
    Expected::Refused(Code::ReferenceMismatch)
);
after_signing!(
    ASSERTION_ID_CHANGED,
    "field-assertion-id-different",
    "Assertion ID changed after signing",
    A,
    Edit::MapAttribute("ID", |id| format!("{id}-changed")),
    Expected::Refused(Code::ReferenceMismatch)
);
after_signing!(
    SIGNATURE_VALUE_EMPTY,
    "field-signature-value-empty",
    "Response SignatureValue emptied after signing",
    R_SIGNATURE_VALUE,
    Edit::SetText(""),
    Expected::Refused(Code::SignatureInvalid)
);
after_signing!(
    SIGNATURE_VALUE_MISSING,
    "field-signature-value-missing",
    "Response SignatureValue removed after signing",
    R_SIGNATURE_VALUE,
    Edit::RemoveElement,
    Expected::Refused(Code::SignatureInvalid)
);
after_signing!(
    SIGNATURE_VALUE_DIFFERENT,
    "field-signature-value-different",
    "Response SignatureValue's first base64 character changed after signing",
    R_SIGNATURE_VALUE,
    Edit::MapText(other_base64),
    Expected::Refused(Code::SignatureInvalid)
);
after_signing!(
    SIGNATURE_VALUE_MALFORMED,
    "field-signature-value-malformed",
    "Response SignatureValue replaced with text that is not base64",
    R_SIGNATURE_VALUE,
    Edit::SetText(NOT_BASE64),
    Expected::Refused(Code::SignatureInvalid)
);
after_signing!(
    DIGEST_VALUE_EMPTY,
    "field-digest-value-empty",
    "Response Reference DigestValue emptied after signing",
    R_DIGEST_VALUE,
    Edit::SetText(""),
    Expected::Refused(Code::DigestMismatch)
);
after_signing!(
    DIGEST_VALUE_MISSING,
    "field-digest-value-missing",
    "Response Reference DigestValue removed after signing",
    R_DIGEST_VALUE,
    Edit::RemoveElement,
    Expected::Refused(Code::SignatureInvalid)
);
after_signing!(
    DIGEST_VALUE_DIFFERENT,
    "field-digest-value-different",
    "Response Reference DigestValue's first base64 character changed after signing",
    R_DIGEST_VALUE,
    Edit::MapText(other_base64),
    Expected::Refused(Code::DigestMismatch)
);
after_signing!(
    DIGEST_VALUE_MALFORMED,
    "field-digest-value-malformed",
    "Response Reference DigestValue replaced with text that is not base64",
    R_DIGEST_VALUE,
    Edit::SetText(NOT_BASE64),
    Expected::Refused(Code::SignatureInvalid)
);
after_signing!(
    CERTIFICATE_EMPTY,
    "field-x509-certificate-empty",
    "Response signature's KeyInfo X509Certificate emptied after signing",
    R_CERTIFICATE,
    Edit::SetText(""),
    Expected::Accepted
);
after_signing!(
    KEY_INFO_MISSING,
    "field-x509-certificate-missing",
    "Response signature's KeyInfo (with its X509Certificate) removed after signing",
    R_KEY_INFO,
    Edit::RemoveElement,
    Expected::Accepted
);
after_signing!(
    CERTIFICATE_DIFFERENT,
    "field-x509-certificate-different",
    "Response signature's KeyInfo X509Certificate replaced with the attacker's certificate",
    R_CERTIFICATE,
    Edit::MapText(attacker_certificate),
    Expected::Accepted
);
after_signing!(
    CERTIFICATE_MALFORMED,
    "field-x509-certificate-malformed",
    "Response signature's KeyInfo X509Certificate replaced with text that is not base64",
    R_CERTIFICATE,
    Edit::SetText(NOT_BASE64),
    Expected::Accepted
);

const UNSOLICITED: &str = "every response of this catalogue is unsolicited (SAML Profiles 2.0 §4.1.5), so without InResponseTo is the valid case itself (saml.preset.okta); spid-saml-check's test refuses it because SPID forbids unsolicited responses";
const CONTAINER: &str =
    "a container: what it holds is spoiled field by field (the fields that follow it)";
const KEY_INFO_IS_A_HINT: &str = "KeyInfo is outside SignedInfo and only a hint (XML-DSig §4.5); DESIGN.md verifies with the team's pinned metadata certificates and never reads KeyInfo, so the signature still verifies and nothing else changed";
const PADDED_URI: &str = "whitespace around an entity ID or URI is layout that pretty-printing IdPs write (xs:anyURI collapses it, XML Schema 2 §3.2.17); the SP compares the trimmed value, which is exactly the expected one";

/// The table.
pub fn table() -> Vec<Field> {
    use Variant::{Different, Empty, Malformed, Missing, Other};
    vec![
        Field {
            slug: "response-id",
            core: "SAML Core 2.0 §3.2.2 StatusResponseType: ID is REQUIRED, of type xs:ID (§1.3.4)",
            cases: vec![
                refused(Empty, Code::MalformedXml, "Response ID=\"\" (the Response left unsigned, since a signature references the ID; the Assertion stays signed)")
                    .adjust(|s| {
                        s.signing.placement = Placement::Assertion;
                        s.response_id = String::new();
                    })
                    .spid(8),
                refused(Missing, Code::MalformedXml, "Response without an ID attribute (the Response left unsigned; the Assertion stays signed)")
                    .adjust(|s| s.signing.placement = Placement::Assertion)
                    .edit(|x| at(x, R, Edit::RemoveAttribute("ID")))
                    .spid(9),
                refused(Different, Code::ReferenceMismatch, "Response ID changed after signing, so the Response signature's Reference names no element")
                    .after_signing(&RESPONSE_ID_CHANGED),
                refused(Malformed, Code::MalformedXml, "Response ID starting with a digit (\"1_mock-response-…\"), not an xs:ID (NCName); signed as it is")
                    .adjust(|s| s.response_id = format!("1{}", s.response_id)),
            ],
            without: vec![],
        },
        Field {
            slug: "response-version",
            core: "SAML Core 2.0 §3.2.2: Version is REQUIRED; \"2.0\" for this version (§4.1)",
            cases: vec![
                refused(Empty, Code::VersionMismatch, "Response Version=\"\"")
                    .edit(|x| at(x, R, Edit::SetAttribute("Version", ""))),
                refused(Missing, Code::VersionMismatch, "Response without a Version attribute")
                    .edit(|x| at(x, R, Edit::RemoveAttribute("Version"))),
                refused(Different, Code::VersionMismatch, "Response Version=\"1.1\" (the Assertion's stays 2.0)")
                    .edit(|x| at(x, R, Edit::SetAttribute("Version", "1.1")))
                    .spid(10),
                refused(Malformed, Code::VersionMismatch, "Response Version=\" 2.0 \" (whitespace-padded)")
                    .edit(|x| at(x, R, Edit::SetAttribute("Version", " 2.0 ")))
                    .why("Version is an xs:string, whose whitespace is kept: \" 2.0 \" is not \"2.0\""),
            ],
            without: vec![],
        },
        Field {
            slug: "response-issue-instant",
            core: "SAML Core 2.0 §3.2.2: IssueInstant is REQUIRED; §1.3.3: an xs:dateTime in UTC",
            cases: vec![
                refused(Empty, Code::MalformedXml, "Response IssueInstant=\"\"")
                    .edit(|x| at(x, R, Edit::SetAttribute("IssueInstant", "")))
                    .spid(11),
                refused(Missing, Code::MalformedXml, "Response without an IssueInstant attribute")
                    .edit(|x| at(x, R, Edit::RemoveAttribute("IssueInstant")))
                    .spid(12),
                refused(Different, Code::IssueInstantStale, "Response IssueInstant 2018-01-01T00:00:00Z, long before the response was sent")
                    .edit(|x| at(x, R, Edit::SetAttribute("IssueInstant", LONG_AGO)))
                    .spid(14),
                refused(Malformed, Code::MalformedXml, "Response IssueInstant=\"yesterday\", not an xs:dateTime")
                    .edit(|x| at(x, R, Edit::SetAttribute("IssueInstant", NOT_A_TIME)))
                    .spid(13),
                refused(Other("future"), Code::NotYetValid, "Response IssueInstant 2099-01-01T00:00:00Z, far ahead of the SP's clock")
                    .edit(|x| at(x, R, Edit::SetAttribute("IssueInstant", FAR_AHEAD)))
                    .spid(15),
                accepted(Other("milliseconds"), "Response IssueInstant with milliseconds (…:SS.123Z)", "xs:dateTime allows fractional seconds; Okta writes milliseconds in every instant")
                    .edit(|x| at(x, R, Edit::MapAttribute("IssueInstant", with_milliseconds)))
                    .spid(110),
                accepted(Other("padded"), "Response IssueInstant wrapped in whitespace and newlines", "xs:dateTime collapses surrounding whitespace (XML Schema 2 §3.2.7): the value is the same instant")
                    .edit(|x| at(x, R, Edit::MapAttribute("IssueInstant", padded))),
            ],
            without: vec![],
        },
        Field {
            slug: "destination",
            core: "SAML Core 2.0 §3.2.2 Destination; SAML Bindings 2.0 §3.5.5.2 (the recipient checks it against where the message arrived)",
            cases: vec![
                refused(Empty, Code::DestinationMismatch, "Response Destination=\"\"")
                    .edit(|x| at(x, R, Edit::SetAttribute("Destination", "")))
                    .spid(19),
                accepted(Missing, "Response without a Destination attribute (the Response still signed)", "Destination is optional in Core §3.2.2 and DESIGN.md checks it when present; the signed bearer Recipient, required and checked, binds the assertion to this ACS in its place. Bindings §3.5.5.2 asks a signing sender to include it, and spid-saml-check's test refuses it under SPID's rules: refusing would be a legitimate choice too")
                    .edit(|x| at(x, R, Edit::RemoveAttribute("Destination")))
                    .spid(20),
                refused(Different, Code::DestinationMismatch, "Response Destination another SP's ACS, https://other-sp.example.com/saml/acs")
                    .edit(|x| at(x, R, Edit::SetAttribute("Destination", OTHER_ACS)))
                    .spid(21),
                refused(Malformed, Code::DestinationMismatch, "Response Destination=\"not a URL\"")
                    .edit(|x| at(x, R, Edit::SetAttribute("Destination", NOT_A_URL))),
            ],
            without: vec![],
        },
        Field {
            slug: "in-response-to",
            core: "SAML Core 2.0 §3.2.2 InResponseTo; SAML Profiles 2.0 §4.1.4.2-§4.1.5",
            cases: vec![
                refused(Empty, Code::InResponseToUnknown, "Response InResponseTo=\"\" (the Response signed)")
                    .edit(|x| at(x, R, Edit::SetAttribute("InResponseTo", "")))
                    .spid(16)
                    .why("a signed InResponseTo, even empty, claims the response answers a request; no request of this SP has that ID"),
                refused(Different, Code::InResponseToUnknown, "Response InResponseTo names a request this SP never made (_never-requested-by-this-sp)")
                    .edit(|x| at(x, R, Edit::SetAttribute("InResponseTo", NEVER_REQUESTED)))
                    .spid(18),
                refused(Malformed, Code::InResponseToUnknown, "Response InResponseTo=\"42 43\", not an xs:NCName")
                    .edit(|x| at(x, R, Edit::SetAttribute("InResponseTo", NOT_AN_NCNAME)))
                    .why("whatever its form, it names no request this SP made"),
            ],
            without: vec![(Missing, UNSOLICITED)],
        },
        Field {
            slug: "response-issuer",
            core: "SAML Core 2.0 §3.2.2 Issuer (optional); SAML Profiles 2.0 §4.1.4.2 (required when the Response is signed)",
            cases: vec![
                refused(Empty, Code::UnknownIssuer, "Response <Issuer></Issuer> empty (the Assertion's Issuer intact)")
                    .edit(|x| at(x, R_ISSUER, Edit::SetText("")))
                    .spid(27)
                    .why("an Issuer that is present names the sender; an empty one names no team, and the SP does not pass over it to the Assertion's"),
                accepted(Missing, "Response without an Issuer, only the Assertion signed", "Profiles §4.1.4.2 lets an unsigned Response omit its Issuer; the signed Assertion's Issuer names the team")
                    .adjust(|s| {
                        s.signing.placement = Placement::Assertion;
                        s.response_issuer = None;
                    })
                    .spid(28),
                refused(Different, Code::UnknownIssuer, "Response Issuer another IdP's entity ID, http://www.okta.com/exkSOMEONEELSE (the Assertion's intact)")
                    .adjust(|s| s.response_issuer = Some(UNKNOWN_ISSUER.to_owned())),
                refused(Malformed, Code::UnknownIssuer, "Response Issuer \"not a URL\", not an entity ID")
                    .edit(|x| at(x, R_ISSUER, Edit::SetText(NOT_A_URL))),
                accepted(Other("padded"), "Response Issuer wrapped in whitespace and newlines", PADDED_URI)
                    .edit(|x| at(x, R_ISSUER, Edit::MapText(padded))),
            ],
            without: vec![],
        },
        Field {
            slug: "status",
            core: "SAML Core 2.0 §3.2.2 Status (REQUIRED), §3.2.2.1 (holds a StatusCode)",
            cases: vec![
                refused(Empty, Code::StatusNotSuccess, "Response <Status/> with no StatusCode")
                    .edit(|x| at(x, R_STATUS, Edit::SetText("")))
                    .spid(22),
                refused(Missing, Code::StatusNotSuccess, "Response without a Status element")
                    .edit(|x| at(x, R_STATUS, Edit::RemoveElement))
                    .spid(23),
            ],
            without: vec![(Different, CONTAINER), (Malformed, CONTAINER)],
        },
        Field {
            slug: "status-code",
            core: "SAML Core 2.0 §3.2.2.2 StatusCode Value (REQUIRED, a URI; Success is urn:oasis:names:tc:SAML:2.0:status:Success)",
            cases: vec![
                refused(Empty, Code::StatusNotSuccess, "StatusCode Value=\"\"")
                    .edit(|x| at(x, R_STATUS_CODE, Edit::SetAttribute("Value", ""))),
                refused(Missing, Code::StatusNotSuccess, "StatusCode without a Value attribute")
                    .edit(|x| at(x, R_STATUS_CODE, Edit::RemoveAttribute("Value"))),
                refused(Different, Code::StatusNotSuccess, "StatusCode Requester, with the signed assertion still there")
                    .edit(|x| at(x, R_STATUS_CODE, Edit::SetAttribute("Value", STATUS_REQUESTER)))
                    .spid(26),
                refused(Malformed, Code::StatusNotSuccess, "StatusCode Value=\"Success\", the bare word instead of the URI")
                    .edit(|x| at(x, R_STATUS_CODE, Edit::SetAttribute("Value", "Success"))),
            ],
            without: vec![],
        },
        Field {
            slug: "assertion-id",
            core: "SAML Core 2.0 §2.3.3 Assertion: ID is REQUIRED, of type xs:ID (§1.3.4)",
            cases: vec![
                refused(Empty, Code::MalformedXml, "Assertion ID=\"\" (only the Response signed, since a signature references the ID)")
                    .adjust(|s| {
                        s.signing.placement = Placement::Response;
                        s.assertion_id = String::new();
                    })
                    .spid(33),
                refused(Missing, Code::MalformedXml, "Assertion without an ID attribute (only the Response signed)")
                    .adjust(|s| s.signing.placement = Placement::Response)
                    .edit(|x| at(x, A, Edit::RemoveAttribute("ID")))
                    .spid(34),
                refused(Different, Code::ReferenceMismatch, "Assertion ID changed after signing (only the Assertion signed), so its signature's Reference names no element")
                    .adjust(|s| s.signing.placement = Placement::Assertion)
                    .after_signing(&ASSERTION_ID_CHANGED),
                refused(Malformed, Code::MalformedXml, "Assertion ID starting with a digit (\"1_mock-assertion-…\"), not an xs:ID (NCName); signed as it is")
                    .adjust(|s| s.assertion_id = format!("1{}", s.assertion_id)),
            ],
            without: vec![],
        },
        Field {
            slug: "assertion-version",
            core: "SAML Core 2.0 §2.3.3: Version is REQUIRED; \"2.0\" for this version (§4.1)",
            cases: vec![
                refused(Empty, Code::VersionMismatch, "Assertion Version=\"\"")
                    .edit(|x| at(x, A, Edit::SetAttribute("Version", ""))),
                refused(Missing, Code::VersionMismatch, "Assertion without a Version attribute")
                    .edit(|x| at(x, A, Edit::RemoveAttribute("Version"))),
                refused(Different, Code::VersionMismatch, "Assertion Version=\"1.1\" (the Response's stays 2.0)")
                    .edit(|x| at(x, A, Edit::SetAttribute("Version", "1.1")))
                    .spid(35),
                refused(Malformed, Code::VersionMismatch, "Assertion Version=\" 2.0 \" (whitespace-padded)")
                    .edit(|x| at(x, A, Edit::SetAttribute("Version", " 2.0 ")))
                    .why("Version is an xs:string, whose whitespace is kept: \" 2.0 \" is not \"2.0\""),
            ],
            without: vec![],
        },
        Field {
            slug: "assertion-issue-instant",
            core: "SAML Core 2.0 §2.3.3: IssueInstant is REQUIRED; §1.3.3: an xs:dateTime in UTC",
            cases: vec![
                refused(Empty, Code::MalformedXml, "Assertion IssueInstant=\"\"")
                    .edit(|x| at(x, A, Edit::SetAttribute("IssueInstant", "")))
                    .spid(36),
                refused(Missing, Code::MalformedXml, "Assertion without an IssueInstant attribute")
                    .edit(|x| at(x, A, Edit::RemoveAttribute("IssueInstant")))
                    .spid(37),
                refused(Different, Code::IssueInstantStale, "Assertion IssueInstant 2018-01-01T00:00:00Z, long before the response was sent")
                    .edit(|x| at(x, A, Edit::SetAttribute("IssueInstant", LONG_AGO)))
                    .spid(39),
                refused(Malformed, Code::MalformedXml, "Assertion IssueInstant=\"yesterday\", not an xs:dateTime")
                    .edit(|x| at(x, A, Edit::SetAttribute("IssueInstant", NOT_A_TIME)))
                    .spid(38),
                refused(Other("future"), Code::NotYetValid, "Assertion IssueInstant 2099-01-01T00:00:00Z, far ahead of the SP's clock")
                    .edit(|x| at(x, A, Edit::SetAttribute("IssueInstant", FAR_AHEAD)))
                    .spid(40),
            ],
            without: vec![],
        },
        Field {
            slug: "assertion-issuer",
            core: "SAML Core 2.0 §2.3.3 Issuer (REQUIRED); SAML Profiles 2.0 §4.1.4.2 (the IdP's entity ID)",
            cases: vec![
                refused(Empty, Code::IssuerMismatch, "Assertion <Issuer></Issuer> empty (the Response's Issuer intact)")
                    .edit(|x| at(x, A_ISSUER, Edit::SetText(""))),
                refused(Missing, Code::IssuerMismatch, "Assertion without an Issuer (the Response's Issuer intact)")
                    .adjust(|s| s.assertion_issuer = None)
                    .spid(68),
                refused(Different, Code::IssuerMismatch, "Assertion Issuer the IdP's entity ID with a trailing slash added")
                    .adjust(|s| s.assertion_issuer = s.assertion_issuer.take().map(|i| format!("{i}/")))
                    .spid(69),
                refused(Malformed, Code::IssuerMismatch, "Assertion Issuer \"not a URL\", not an entity ID")
                    .edit(|x| at(x, A_ISSUER, Edit::SetText(NOT_A_URL))),
                accepted(Other("padded"), "Assertion Issuer wrapped in whitespace and newlines", PADDED_URI)
                    .edit(|x| at(x, A_ISSUER, Edit::MapText(padded))),
            ],
            without: vec![],
        },
        Field {
            slug: "name-id",
            core: "SAML Core 2.0 §2.2.3 NameID in the Subject (§2.4.1); SAML Profiles 2.0 §4.1.4.2",
            cases: vec![
                refused(Empty, Code::NameIdMissing, "Subject <NameID></NameID> empty (the email attribute intact)")
                    .edit(|x| at(x, A_NAME_ID, Edit::SetText("")))
                    .spid(43),
                refused(Missing, Code::NameIdMissing, "Subject without a NameID (the email attribute intact)")
                    .adjust(|s| s.name_id = None)
                    .spid(44),
                accepted(Different, "NameID an opaque persistent ID instead of the email, the email attribute intact", "a persistent NameID is as valid as an email one (Core §8.3.7); the member is found by the email attribute")
                    .adjust(opaque_name_id),
                refused(Malformed, Code::IdentityNotNormalized, "NameID in fullwidth compatibility letters (ａｌｉｃｅ@example.com)")
                    .edit(|x| at(x, A_NAME_ID, Edit::SetText("\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}@example.com")))
                    .why("DESIGN.md: an identity that NFKC would change is refused, so a look-alike can never reach another member's account"),
            ],
            without: vec![],
        },
        Field {
            slug: "confirmation-method",
            core: "SAML Core 2.0 §2.4.1.1 SubjectConfirmation Method (REQUIRED); SAML Profiles 2.0 §4.1.4.2 (a bearer confirmation)",
            cases: vec![
                refused(Empty, Code::NoBearerConfirmation, "SubjectConfirmation Method=\"\"")
                    .edit(|x| at(x, A_CONFIRMATION, Edit::SetAttribute("Method", "")))
                    .spid(53),
                refused(Missing, Code::NoBearerConfirmation, "SubjectConfirmation without a Method attribute")
                    .edit(|x| at(x, A_CONFIRMATION, Edit::RemoveAttribute("Method")))
                    .spid(54),
                refused(Different, Code::NoBearerConfirmation, "SubjectConfirmation Method holder-of-key instead of bearer")
                    .adjust(|s| s.confirmation_method = HOLDER_OF_KEY.to_owned())
                    .spid(55),
                refused(Malformed, Code::NoBearerConfirmation, "SubjectConfirmation Method=\"bearer\", the bare word instead of the URI")
                    .adjust(|s| s.confirmation_method = "bearer".to_owned()),
            ],
            without: vec![],
        },
        Field {
            slug: "recipient",
            core: "SAML Core 2.0 §2.4.1.2 SubjectConfirmationData Recipient; SAML Profiles 2.0 §4.1.4.2 (bearer: REQUIRED, the ACS URL)",
            cases: vec![
                refused(Empty, Code::RecipientMismatch, "SubjectConfirmationData Recipient=\"\"")
                    .edit(|x| at(x, A_CONFIRMATION_DATA, Edit::SetAttribute("Recipient", "")))
                    .spid(57),
                refused(Missing, Code::RecipientMismatch, "SubjectConfirmationData without a Recipient attribute")
                    .adjust(|s| s.recipient = None)
                    .spid(58),
                refused(Different, Code::RecipientMismatch, "Recipient another SP's ACS, https://other-sp.example.com/saml/acs")
                    .adjust(|s| s.recipient = Some(OTHER_ACS.to_owned()))
                    .spid(59),
                refused(Malformed, Code::RecipientMismatch, "Recipient=\"not a URL\"")
                    .adjust(|s| s.recipient = Some(NOT_A_URL.to_owned())),
            ],
            without: vec![],
        },
        Field {
            slug: "confirmation-in-response-to",
            core: "SAML Core 2.0 §2.4.1.2 SubjectConfirmationData InResponseTo; SAML Profiles 2.0 §4.1.4.2",
            cases: vec![
                refused(Empty, Code::InResponseToUnknown, "SubjectConfirmationData InResponseTo=\"\"")
                    .edit(|x| at(x, A_CONFIRMATION_DATA, Edit::SetAttribute("InResponseTo", "")))
                    .spid(60)
                    .why("a signed InResponseTo, even empty, claims the assertion answers a request; no request of this SP has that ID"),
                refused(Different, Code::InResponseToUnknown, "SubjectConfirmationData InResponseTo names a request this SP never made (_never-requested-by-this-sp)")
                    .edit(|x| at(x, A_CONFIRMATION_DATA, Edit::SetAttribute("InResponseTo", NEVER_REQUESTED)))
                    .spid(62),
                refused(Malformed, Code::InResponseToUnknown, "SubjectConfirmationData InResponseTo=\"42 43\", not an xs:NCName")
                    .edit(|x| at(x, A_CONFIRMATION_DATA, Edit::SetAttribute("InResponseTo", NOT_AN_NCNAME)))
                    .why("whatever its form, it names no request this SP made"),
            ],
            without: vec![(Missing, UNSOLICITED)],
        },
        Field {
            slug: "confirmation-not-on-or-after",
            core: "SAML Core 2.0 §2.4.1.2 SubjectConfirmationData NotOnOrAfter; SAML Profiles 2.0 §4.1.4.2 (REQUIRED for bearer)",
            cases: vec![
                refused(Empty, Code::MalformedXml, "SubjectConfirmationData NotOnOrAfter=\"\"")
                    .edit(|x| at(x, A_CONFIRMATION_DATA, Edit::SetAttribute("NotOnOrAfter", "")))
                    .spid(63),
                refused(Missing, Code::NoBearerConfirmation, "SubjectConfirmationData without NotOnOrAfter")
                    .adjust(|s| s.times.confirmation_not_on_or_after = None)
                    .spid(64),
                refused(Different, Code::Expired, "SubjectConfirmationData NotOnOrAfter 10 minutes ago (beyond the 180 s skew; Conditions still open)")
                    .adjust(|s| {
                        s.times.clock_offset = Duration::ZERO;
                        s.times.confirmation_not_on_or_after = Some(Duration::minutes(-10));
                    })
                    .spid(66),
                refused(Malformed, Code::MalformedXml, "SubjectConfirmationData NotOnOrAfter=\"yesterday\", not an xs:dateTime")
                    .edit(|x| at(x, A_CONFIRMATION_DATA, Edit::SetAttribute("NotOnOrAfter", NOT_A_TIME)))
                    .spid(65),
            ],
            without: vec![],
        },
        Field {
            slug: "conditions",
            core: "SAML Core 2.0 §2.5.1 Conditions; DESIGN.md requires an AudienceRestriction naming the SP",
            cases: vec![
                refused(Empty, Code::AudienceMissing, "Conditions emptied of its AudienceRestriction (its NotBefore/NotOnOrAfter kept)")
                    .edit(|x| at(x, A_CONDITIONS, Edit::SetText("")))
                    .spid(73),
                refused(Missing, Code::AudienceMissing, "Assertion without a Conditions element")
                    .edit(|x| at(x, A_CONDITIONS, Edit::RemoveElement))
                    .spid(74),
            ],
            without: vec![(Different, CONTAINER), (Malformed, CONTAINER)],
        },
        Field {
            slug: "not-before",
            core: "SAML Core 2.0 §2.5.1.2 Conditions NotBefore (optional xs:dateTime)",
            cases: vec![
                refused(Empty, Code::MalformedXml, "Conditions NotBefore=\"\"")
                    .edit(|x| at(x, A_CONDITIONS, Edit::SetAttribute("NotBefore", "")))
                    .spid(75),
                accepted(Missing, "Conditions without NotBefore", "NotBefore is optional (Core §2.5.1); spid-saml-check's test refuses it under SPID's rules")
                    .adjust(|s| s.times.not_before = None)
                    .spid(76),
                refused(Different, Code::NotYetValid, "Conditions NotBefore 10 minutes ahead (beyond the 180 s skew)")
                    .adjust(|s| {
                        s.times.clock_offset = Duration::ZERO;
                        s.times.not_before = Some(Duration::minutes(10));
                        s.times.not_on_or_after = Some(Duration::minutes(15));
                    })
                    .spid(78),
                refused(Malformed, Code::MalformedXml, "Conditions NotBefore=\"yesterday\", not an xs:dateTime")
                    .edit(|x| at(x, A_CONDITIONS, Edit::SetAttribute("NotBefore", NOT_A_TIME)))
                    .spid(77),
            ],
            without: vec![],
        },
        Field {
            slug: "not-on-or-after",
            core: "SAML Core 2.0 §2.5.1.2 Conditions NotOnOrAfter (optional xs:dateTime)",
            cases: vec![
                refused(Empty, Code::MalformedXml, "Conditions NotOnOrAfter=\"\"")
                    .edit(|x| at(x, A_CONDITIONS, Edit::SetAttribute("NotOnOrAfter", "")))
                    .spid(79),
                accepted(Missing, "Conditions without NotOnOrAfter", "NotOnOrAfter is optional (Core §2.5.1); the bearer confirmation's required NotOnOrAfter still bounds the assertion. spid-saml-check's test refuses it under SPID's rules")
                    .adjust(|s| s.times.not_on_or_after = None)
                    .spid(80),
                refused(Different, Code::Expired, "Conditions NotOnOrAfter 10 minutes ago (beyond the 180 s skew; the bearer confirmation still open)")
                    .adjust(|s| {
                        s.times.clock_offset = Duration::ZERO;
                        s.times.not_before = Some(Duration::minutes(-15));
                        s.times.not_on_or_after = Some(Duration::minutes(-10));
                    })
                    .spid(82),
                refused(Malformed, Code::MalformedXml, "Conditions NotOnOrAfter=\"yesterday\", not an xs:dateTime")
                    .edit(|x| at(x, A_CONDITIONS, Edit::SetAttribute("NotOnOrAfter", NOT_A_TIME)))
                    .spid(81),
            ],
            without: vec![],
        },
        Field {
            slug: "audience-restriction",
            core: "SAML Core 2.0 §2.5.1.4 AudienceRestriction (one or more Audience)",
            cases: vec![
                refused(Empty, Code::AudienceMismatch, "AudienceRestriction with no Audience in it")
                    .edit(|x| at(x, A_RESTRICTION, Edit::SetText("")))
                    .spid(83)
                    .why("an AudienceRestriction admits only the audiences it names: an empty one admits no one"),
                refused(Missing, Code::AudienceMissing, "Conditions without an AudienceRestriction")
                    .edit(|x| at(x, A_RESTRICTION, Edit::RemoveElement)),
            ],
            without: vec![(Different, CONTAINER), (Malformed, CONTAINER)],
        },
        Field {
            slug: "audience",
            core: "SAML Core 2.0 §2.5.1.4 Audience (xs:anyURI: the SP's entity ID)",
            cases: vec![
                refused(Empty, Code::AudienceMismatch, "<Audience></Audience> empty")
                    .edit(|x| at(x, A_AUDIENCE, Edit::SetText("")))
                    .spid(85),
                refused(Different, Code::AudienceMismatch, "Audience the SP's entity ID with a trailing slash added")
                    .edit(|x| at(x, A_AUDIENCE, Edit::MapText(|a| format!("{a}/"))))
                    .spid(87),
                refused(Malformed, Code::AudienceMismatch, "Audience \"not a URL\"")
                    .edit(|x| at(x, A_AUDIENCE, Edit::SetText(NOT_A_URL))),
                accepted(Other("padded"), "Audience wrapped in whitespace and newlines", PADDED_URI)
                    .edit(|x| at(x, A_AUDIENCE, Edit::MapText(padded))),
            ],
            without: vec![(Missing, "removing the only Audience leaves the empty AudienceRestriction of saml.field.audience-restriction.empty (spid-saml-check test 86)")],
        },
        Field {
            slug: "authn-instant",
            core: "SAML Core 2.0 §2.7.2 AuthnStatement AuthnInstant (REQUIRED xs:dateTime)",
            cases: vec![
                refused(Empty, Code::MalformedXml, "AuthnStatement AuthnInstant=\"\"")
                    .edit(|x| at(x, A_AUTHN, Edit::SetAttribute("AuthnInstant", ""))),
                refused(Missing, Code::MalformedXml, "AuthnStatement without an AuthnInstant attribute")
                    .edit(|x| at(x, A_AUTHN, Edit::RemoveAttribute("AuthnInstant"))),
                accepted(Different, "AuthnInstant an hour before the response (the user's IdP session is an hour old)", "AuthnInstant says when the user authenticated at the IdP; an hour-old IdP session is ordinary, and this SP sets no maximum authentication age")
                    .adjust(|s| s.times.authn_instant = Duration::hours(-1)),
                refused(Malformed, Code::MalformedXml, "AuthnStatement AuthnInstant=\"yesterday\", not an xs:dateTime")
                    .edit(|x| at(x, A_AUTHN, Edit::SetAttribute("AuthnInstant", NOT_A_TIME))),
            ],
            without: vec![],
        },
        Field {
            slug: "session-index",
            core: "SAML Core 2.0 §2.7.2 AuthnStatement SessionIndex (optional xs:string)",
            cases: vec![
                accepted(Empty, "AuthnStatement SessionIndex=\"\"", "SessionIndex is an xs:string: the empty string is a value, kept for logout")
                    .edit(|x| at(x, A_AUTHN, Edit::SetAttribute("SessionIndex", ""))),
                accepted(Missing, "AuthnStatement without SessionIndex", "SessionIndex is optional; Google Workspace sends none")
                    .adjust(|s| s.session_index = None),
                accepted(Different, "AuthnStatement SessionIndex another session's index", "the SP keeps the index for logout and checks nothing against it")
                    .edit(|x| at(x, A_AUTHN, Edit::SetAttribute("SessionIndex", "_another-idp-session"))),
            ],
            without: vec![(Malformed, "an xs:string: every value is well-formed")],
        },
        Field {
            slug: "email",
            core: "SAML Core 2.0 §2.7.3.1 Attribute and AttributeValue; DESIGN.md's email attribute names (Okta email). The NameID is an opaque persistent ID in these cases, so the email can come only from the attribute",
            cases: vec![
                refused(Empty, Code::EmailMissing, "email attribute with an empty AttributeValue, NameID opaque")
                    .adjust(opaque_name_id)
                    .edit(|x| at(x, A_EMAIL_VALUE, Edit::SetText(""))),
                refused(Missing, Code::EmailMissing, "no email attribute, NameID opaque")
                    .adjust(opaque_name_id)
                    .edit(|x| at(x, A_EMAIL, Edit::RemoveElement)),
                accepted(Different, "email attribute another member's address (bob@example.com), NameID opaque", "the IdP asserts who logged in; another address is another member (created just in time)")
                    .adjust(opaque_name_id)
                    .edit(|x| at(x, A_EMAIL_VALUE, Edit::SetText("bob@example.com"))),
                refused(Malformed, Code::EmailMissing, "email attribute \"alice at example.com\", not an address, NameID opaque")
                    .adjust(opaque_name_id)
                    .edit(|x| at(x, A_EMAIL_VALUE, Edit::SetText("alice at example.com"))),
            ],
            without: vec![],
        },
        Field {
            slug: "signature-value",
            core: "XML-DSig 1.1 §4.3 SignatureValue; SAML Core 2.0 §5.4 (the Response's signature, edited after signing)",
            cases: vec![
                refused(Empty, Code::SignatureInvalid, "Response SignatureValue emptied after signing")
                    .after_signing(&SIGNATURE_VALUE_EMPTY),
                refused(Missing, Code::SignatureInvalid, "Response SignatureValue removed after signing")
                    .after_signing(&SIGNATURE_VALUE_MISSING),
                refused(Different, Code::SignatureInvalid, "Response SignatureValue's first base64 character changed after signing")
                    .after_signing(&SIGNATURE_VALUE_DIFFERENT),
                refused(Malformed, Code::SignatureInvalid, "Response SignatureValue replaced with text that is not base64")
                    .after_signing(&SIGNATURE_VALUE_MALFORMED),
            ],
            without: vec![],
        },
        Field {
            slug: "digest-value",
            core: "XML-DSig 1.1 §4.4.3.3 DigestValue; SAML Core 2.0 §5.4 (the Response's signature, edited after signing)",
            cases: vec![
                refused(Empty, Code::DigestMismatch, "Response Reference DigestValue emptied after signing")
                    .after_signing(&DIGEST_VALUE_EMPTY)
                    .why("an empty DigestValue is the base64 of no bytes, which is not the digest of the signed element"),
                refused(Missing, Code::SignatureInvalid, "Response Reference DigestValue removed after signing")
                    .after_signing(&DIGEST_VALUE_MISSING),
                refused(Different, Code::DigestMismatch, "Response Reference DigestValue's first base64 character changed after signing")
                    .after_signing(&DIGEST_VALUE_DIFFERENT),
                refused(Malformed, Code::SignatureInvalid, "Response Reference DigestValue replaced with text that is not base64")
                    .after_signing(&DIGEST_VALUE_MALFORMED),
            ],
            without: vec![],
        },
        Field {
            slug: "x509-certificate",
            core: "XML-DSig 1.1 §4.5.4 X509Data in KeyInfo; SAML Core 2.0 §5.4 (the Response's signature, edited after signing)",
            cases: vec![
                accepted(Empty, "Response signature's KeyInfo X509Certificate emptied after signing", KEY_INFO_IS_A_HINT)
                    .after_signing(&CERTIFICATE_EMPTY),
                accepted(Missing, "Response signature's KeyInfo removed after signing", KEY_INFO_IS_A_HINT)
                    .after_signing(&KEY_INFO_MISSING),
                accepted(Different, "Response signature's KeyInfo X509Certificate replaced with the attacker's certificate", KEY_INFO_IS_A_HINT)
                    .after_signing(&CERTIFICATE_DIFFERENT),
                accepted(Malformed, "Response signature's KeyInfo X509Certificate replaced with text that is not base64", KEY_INFO_IS_A_HINT)
                    .after_signing(&CERTIFICATE_MALFORMED),
            ],
            without: vec![],
        },
    ]
}

/// Every case of the table as a scenario against the okta preset's team.
pub fn scenarios() -> Vec<Scenario> {
    let Ok(preset) = mock_idp::presets::by_name("okta") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in table() {
        for case in &field.cases {
            out.push(Scenario {
                id: format!("saml.field.{}.{}", field.slug, case.variant.name()),
                title: case.title.to_owned(),
                source: source(&field, case),
                stimulus: Stimulus::Post(Box::new(Post {
                    team: teams::acme(),
                    response: Response {
                        spec: preset.spec(),
                        adjust: case.adjust,
                        fault: case.after_signing,
                        edit: case.edit,
                    },
                    via: None,
                    expected: case.expected,
                })),
            });
        }
    }
    out
}

fn source(field: &Field, case: &Case) -> String {
    let mut source = field.core.to_owned();
    if let Some(number) = case.spid {
        source.push_str(&format!(
            "; spid-saml-check response test {number} (italia/spid-sp-test responses/settings.py)"
        ));
    }
    if !case.why.is_empty() {
        source.push_str(&format!(". {}", case.why));
    }
    source
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_idp::render::render;
    use time::macros::datetime;

    /// The acme spec as a target aims it (render's input for every case).
    fn aimed() -> ResponseSpec {
        mock_idp::presets::by_name("okta")
            .expect("okta preset")
            .spec()
            .for_sp(
                "http://127.0.0.1:1/api/saml/consume",
                "https://qualified.io",
            )
            .numbered(7)
    }

    #[test]
    fn a_case_changes_the_response_one_way_and_every_acceptance_says_why() {
        for field in table() {
            for case in &field.cases {
                let ways = [
                    case.adjust.is_some(),
                    case.edit.is_some(),
                    case.after_signing.is_some(),
                ];
                assert!(
                    ways.iter().any(|w| *w),
                    "{}.{} changes nothing",
                    field.slug,
                    case.variant.name()
                );
                // deliver::prepare never pairs an edit with a fault: one would be dropped.
                assert!(
                    !(case.edit.is_some() && case.after_signing.is_some()),
                    "{}.{}",
                    field.slug,
                    case.variant.name()
                );
                if case.expected == Expected::Accepted {
                    assert!(
                        !case.why.is_empty(),
                        "{}.{} is accepted without a reason",
                        field.slug,
                        case.variant.name()
                    );
                }
            }
        }
    }

    #[test]
    fn every_edit_finds_its_field_in_the_rendered_response_and_changes_it() {
        let now = datetime!(2026-11-28 12:00 UTC);
        for field in table() {
            for case in &field.cases {
                let Some(edit) = case.edit else { continue };
                let mut spec = aimed();
                if let Some(adjust) = case.adjust {
                    adjust(&mut spec);
                }
                let before = render(&spec, now);
                let after = edit(before.clone());
                let name = format!("{}.{}", field.slug, case.variant.name());
                assert!(!after.contains("field edit not made"), "{name}: {after}");
                assert_ne!(before, after, "{name} changed nothing");
                roxmltree::Document::parse(&after)
                    .unwrap_or_else(|e| panic!("{name} is not XML: {e}"));
            }
        }
    }

    #[test]
    fn every_edit_after_signing_finds_its_field_in_the_signed_response() {
        let now = datetime!(2026-11-28 12:00 UTC);
        for field in table() {
            for case in &field.cases {
                let Some(fault) = case.after_signing else {
                    continue;
                };
                let mut spec = aimed();
                if let Some(adjust) = case.adjust {
                    adjust(&mut spec);
                }
                let signed = mock_idp::build::build(&spec, now).expect("builds").xml;
                let edited = fault.build(&spec, now).expect("builds").xml;
                let name = format!("{}.{}", field.slug, case.variant.name());
                assert!(!edited.contains("field edit not made"), "{name}: {edited}");
                assert_ne!(signed, edited, "{name} changed nothing");
                assert_eq!(fault.expected, case.expected, "{name}");
            }
        }
    }

    #[test]
    fn edits_touch_the_named_element_and_not_its_namesakes() {
        let xml = render(&aimed(), datetime!(2026-11-28 12:00 UTC));
        let edited = at(xml.clone(), A_ISSUER, Edit::SetText(""));
        let doc = roxmltree::Document::parse(&edited).expect("XML");
        let issuers: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name((SAML, "Issuer")))
            .map(|n| n.text().unwrap_or(""))
            .collect();
        assert_eq!(issuers, ["http://www.okta.com/exk1ssolab0test0000d7", ""]);
        let edited = at(xml, A, Edit::SetAttribute("IssueInstant", NOT_A_TIME));
        let doc = roxmltree::Document::parse(&edited).expect("XML");
        let root = doc.root_element();
        assert_ne!(root.attribute("IssueInstant"), Some(NOT_A_TIME));
        let assertion = root
            .children()
            .find(|n| n.has_tag_name((SAML, "Assertion")))
            .expect("assertion");
        assert_eq!(assertion.attribute("IssueInstant"), Some(NOT_A_TIME));
    }

    #[test]
    fn helpers_change_values_as_their_names_say() {
        assert_eq!(other_base64("AbC="), "BbC=");
        assert_eq!(other_base64("xyz"), "Ayz");
        assert_eq!(
            with_milliseconds("2026-11-28T12:00:00Z"),
            "2026-11-28T12:00:00.123Z"
        );
        assert_eq!(padded("x").trim(), "x");
        assert_ne!(padded("x"), "x");
    }
}
