//! The preset catalogue: every preset builds a response that has the shape it claims (issuer,
//! what is signed, KeyInfo, NameID format, attribute names and typing, prefixes), matches the
//! real capture it cites in `../shared/fixtures-real` in everything the spec can express,
//! verifies with `xmlsec1` (and, as a positive control, with the workspace's own `xmldsig`), and
//! is byte-for-byte reproducible (insta snapshots at a fixed time).
//!
//! The expectations are written out per preset below instead of being read back from the
//! preset's spec, so that a change to a preset (or to the renderer under it) that alters what
//! an SP receives fails here.

mod external;

use mock_idp::build::build;
use mock_idp::keys::{KeyType, keys_dir};
use mock_idp::metadata::{self, Published};
use mock_idp::presets::{self, PRESETS, Preset};
use mock_idp::spec::{
    ATTRNAME_BASIC, ATTRNAME_UNSPECIFIED, DEFAULT_ACS_URL, DEFAULT_SP_ENTITY_ID, NAMEID_EMAIL,
    NAMEID_UNSPECIFIED, Placement,
};
use roxmltree::{Document, Node};
use std::io::Write;
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use xmldsig::{Certificate, Limits, Policy, PrivateKey};

/// The fixed true time every response is built at.
const NOW: OffsetDateTime = datetime!(2026-11-28 12:00:00 UTC);

const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const AES256_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

const ENTRA_CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

/// The test user every preset logs in.
const EMAIL: &str = "alice@example.com";

// ---------------------------------------------------------------------------------------------
// What each preset claims

/// Where a preset knowingly differs from its capture because the spec has no knob for it (see
/// the preset's doc comment). Listed so that the capture comparison skips exactly these, and
/// fails if a listed difference disappears (then the list, and the doc comment, are stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deviation {
    /// The capture writes the assertion namespace as the default namespace (no prefix).
    DefaultNamespace,
    /// The capture is signed with another algorithm (OneLogin's RSA-SHA1).
    SignatureAlgorithm,
}

/// One preset's promised shape.
struct Expected {
    name: &'static str,
    issuer: &'static str,
    /// The vendor's entity-ID form, `*` standing for any text; the capture's issuer has it too.
    issuer_form: &'static str,
    prefixes: (&'static str, &'static str),
    signed: Placement,
    key_info: bool,
    encrypted: bool,
    name_id_format: Option<&'static str>,
    name_id: &'static str,
    attributes: &'static [&'static str],
    attribute_name_format: Option<&'static str>,
    typed: bool,
    /// The real capture the preset is shaped after, under `responses/`.
    capture: &'static str,
    deviations: &'static [Deviation],
}

const JUMPCLOUD_NAMEID_FORMAT: &str = "urn:oasis:names:tc:SAML:1.0:nameid-format:unspecified";

const ENTRA_ATTRIBUTES: &[&str] = &[
    "http://schemas.microsoft.com/identity/claims/tenantid",
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "http://schemas.microsoft.com/claims/authnmethodsreferences",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
];

const ADFS_ATTRIBUTES: &[&str] = &[
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
];

const EXPECTED: &[Expected] = &[
    Expected {
        name: "okta",
        issuer: "http://www.okta.com/exk1ssolab0test0000d7",
        issuer_form: "http://www.okta.com/exk*",
        prefixes: ("saml2p", "saml2"),
        signed: Placement::Both,
        key_info: true,
        encrypted: false,
        name_id_format: Some(NAMEID_EMAIL),
        name_id: EMAIL,
        attributes: &["email", "firstName", "lastName"],
        attribute_name_format: Some(ATTRNAME_UNSPECIFIED),
        typed: true,
        capture: "okta-ssoready.xml",
        deviations: &[],
    },
    Expected {
        name: "entra",
        issuer: "https://sts.windows.net/a5501ab0-0000-4000-8000-000000000001/",
        issuer_form: "https://sts.windows.net/*-*-*-*-*/",
        prefixes: ("samlp", "saml"),
        signed: Placement::Assertion,
        key_info: true,
        encrypted: false,
        name_id_format: Some(NAMEID_EMAIL),
        name_id: EMAIL,
        attributes: ENTRA_ATTRIBUTES,
        attribute_name_format: None,
        typed: false,
        capture: "entra-ssoready.xml",
        deviations: &[Deviation::DefaultNamespace],
    },
    Expected {
        name: "google",
        issuer: "https://accounts.google.com/o/saml2?idpid=C05501ab0",
        issuer_form: "https://accounts.google.com/o/saml2?idpid=*",
        prefixes: ("saml2p", "saml2"),
        signed: Placement::Assertion,
        key_info: true,
        encrypted: false,
        name_id_format: Some(NAMEID_UNSPECIFIED),
        name_id: EMAIL,
        attributes: &[],
        attribute_name_format: None,
        typed: false,
        capture: "google-ssoready.xml",
        deviations: &[],
    },
    Expected {
        name: "onelogin",
        issuer: "https://app.onelogin.com/saml/metadata/550100",
        issuer_form: "https://app.onelogin.com/saml/metadata/*",
        prefixes: ("samlp", "saml"),
        signed: Placement::Response,
        key_info: true,
        encrypted: false,
        name_id_format: Some(NAMEID_EMAIL),
        name_id: EMAIL,
        attributes: &[
            "User.email",
            "memberOf",
            "User.LastName",
            "PersonImmutableID",
            "User.FirstName",
        ],
        attribute_name_format: Some(ATTRNAME_BASIC),
        typed: true,
        capture: "onelogin-crewjam.xml",
        deviations: &[Deviation::SignatureAlgorithm],
    },
    Expected {
        name: "adfs",
        issuer: "http://adfs.example.com/adfs/services/trust",
        issuer_form: "http://*/adfs/services/trust",
        prefixes: ("samlp", "saml"),
        signed: Placement::Assertion,
        key_info: true,
        encrypted: false,
        name_id_format: Some(NAMEID_EMAIL),
        name_id: EMAIL,
        attributes: ADFS_ATTRIBUTES,
        attribute_name_format: None,
        typed: false,
        capture: "adfs-gosaml2.xml",
        deviations: &[Deviation::DefaultNamespace],
    },
    Expected {
        name: "adfs-encrypted",
        issuer: "http://adfs.example.com/adfs/services/trust",
        issuer_form: "http://*/adfs/services/trust",
        prefixes: ("samlp", "saml"),
        signed: Placement::Assertion,
        key_info: true,
        encrypted: true,
        name_id_format: Some(NAMEID_EMAIL),
        name_id: EMAIL,
        attributes: ADFS_ATTRIBUTES,
        attribute_name_format: None,
        typed: false,
        capture: "adfs-gosaml2-encrypted.xml",
        deviations: &[Deviation::DefaultNamespace],
    },
    Expected {
        name: "ping",
        issuer: "https://pingfed.example.com:9031/eid/mockidp",
        issuer_form: "https://*:9031/*",
        prefixes: ("samlp", "saml"),
        signed: Placement::Response,
        key_info: false,
        encrypted: false,
        name_id_format: Some(NAMEID_EMAIL),
        name_id: EMAIL,
        attributes: &["firstname", "lastname"],
        attribute_name_format: Some(ATTRNAME_UNSPECIFIED),
        typed: true,
        capture: "pingfederate-gosaml2-signed-response-no-keyinfo.xml",
        deviations: &[],
    },
    Expected {
        name: "pingone",
        issuer: "https://auth.pingone.com/5501ab00-440b-4ad0-9217-000000000001",
        issuer_form: "https://auth.pingone.com/*-*-*-*-*",
        prefixes: ("samlp", "saml"),
        signed: Placement::Assertion,
        key_info: true,
        encrypted: false,
        name_id_format: None,
        name_id: "5501ab00-4e8f-4dee-b565-00000000a11c",
        attributes: &["saml_subject", "email"],
        attribute_name_format: Some(ATTRNAME_BASIC),
        typed: true,
        capture: "pingone-ssoready.xml",
        deviations: &[],
    },
    Expected {
        name: "jumpcloud",
        issuer: "JumpCloud IdP ssolab",
        // Free text: words separated by spaces, no scheme.
        issuer_form: "* *",
        prefixes: ("saml2p", "saml2"),
        signed: Placement::Assertion,
        key_info: true,
        encrypted: false,
        name_id_format: Some(JUMPCLOUD_NAMEID_FORMAT),
        name_id: EMAIL,
        attributes: &["email", "firstname", "lastname"],
        attribute_name_format: Some(ATTRNAME_UNSPECIFIED),
        typed: true,
        capture: "jumpcloud-ssoready.xml",
        deviations: &[],
    },
];

fn expected(name: &str) -> &'static Expected {
    EXPECTED
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no expectations written for preset {name:?}"))
}

// ---------------------------------------------------------------------------------------------
// Building, keys, files

fn built(preset: &Preset) -> String {
    build(&preset.spec(), NOW)
        .unwrap_or_else(|e| panic!("preset {} does not build: {e}", preset.name))
        .xml
}

fn key_path(name: &str) -> PathBuf {
    keys_dir().join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn certificate(name: &str) -> Certificate {
    Certificate::from_pem(&read(&key_path(name))).expect("fixture certificate parses")
}

fn sp_key() -> PrivateKey {
    PrivateKey::from_pem(&read(&key_path("sp-rsa.key")), None).expect("SP key parses")
}

/// The real captures, read in place: `SSOLAB_REAL_FIXTURES` or `../shared/fixtures-real`
/// beside the workspace. Absent: the capture tests are skipped with a notice, unless
/// `SSOLAB_REAL_FIXTURES` is set (CI sets it), in which case absence is a failure.
fn real_fixtures() -> Option<PathBuf> {
    let set = std::env::var_os("SSOLAB_REAL_FIXTURES");
    let dir = set.clone().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures-real"
        ))
    });
    if dir.join("responses").is_dir() {
        return Some(dir);
    }
    assert!(
        set.is_none(),
        "SSOLAB_REAL_FIXTURES={} has no responses/ folder",
        dir.display()
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {} is absent; set SSOLAB_REAL_FIXTURES to compare presets with real captures",
        dir.display()
    );
    None
}

// ---------------------------------------------------------------------------------------------
// Reading a response's shape (used on the mock's output and on the real captures alike)

#[derive(Debug, Clone, PartialEq, Eq)]
struct Signature {
    algorithm: String,
    key_info: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Attr {
    name: String,
    name_format: Option<String>,
    /// Whether each value carries `xsi:type`.
    typed: Vec<bool>,
    values: Vec<String>,
}

/// Offsets from the Assertion's IssueInstant.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    not_before: Option<Duration>,
    not_on_or_after: Option<Duration>,
    confirmation_not_on_or_after: Option<Duration>,
    session_not_on_or_after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AssertionShape {
    id: String,
    prefix: String,
    issuer: Option<String>,
    signature: Option<Signature>,
    name_id: Option<String>,
    name_id_format: Option<String>,
    recipient: Option<String>,
    audiences: Vec<String>,
    attributes: Vec<Attr>,
    window: Window,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Encrypted {
    data_method: String,
    key_transport: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Shape {
    id: String,
    prefix: String,
    issuer: Option<String>,
    destination: Option<String>,
    signature: Option<Signature>,
    encrypted: Option<Encrypted>,
    assertion: AssertionShape,
}

/// The prefix an element is written with in the text (`""` for the default namespace).
fn written_prefix(text: &str, node: Node) -> String {
    let tag = &text[node.range().start + 1..];
    let end = tag
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .expect("a start tag ends");
    tag[..end]
        .split_once(':')
        .map_or(String::new(), |(p, _)| p.to_owned())
}

fn child<'a, 'input>(node: Node<'a, 'input>, ns: &str, local: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| c.has_tag_name((ns, local)))
}

fn children<'a, 'input>(
    node: Node<'a, 'input>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| c.has_tag_name((ns, local)))
}

fn text_of(node: Option<Node>) -> Option<String> {
    node.map(|n| n.text().unwrap_or("").to_owned())
}

fn signature(node: Node) -> Option<Signature> {
    let signatures: Vec<Node> = children(node, DS, "Signature").collect();
    assert!(
        signatures.len() <= 1,
        "{} has {} ds:Signature children",
        node.tag_name().name(),
        signatures.len()
    );
    let signature = *signatures.first()?;
    let algorithm = child(signature, DS, "SignedInfo")
        .and_then(|s| child(s, DS, "SignatureMethod"))
        .and_then(|m| m.attribute("Algorithm"))
        .expect("SignatureMethod Algorithm")
        .to_owned();
    Some(Signature {
        algorithm,
        key_info: child(signature, DS, "KeyInfo").is_some(),
    })
}

fn instant(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("instant {text:?}: {e}"))
}

fn assertion_shape(text: &str, assertion: Node) -> AssertionShape {
    let issued = instant(assertion.attribute("IssueInstant").expect("IssueInstant"));
    let offset = |node: Option<Node>, attr: &str| {
        node.and_then(|n| n.attribute(attr))
            .map(|t| instant(t) - issued)
    };
    let subject = child(assertion, ASSERTION, "Subject");
    let name_id = subject.and_then(|s| child(s, ASSERTION, "NameID"));
    let confirmation_data = subject
        .and_then(|s| child(s, ASSERTION, "SubjectConfirmation"))
        .and_then(|c| child(c, ASSERTION, "SubjectConfirmationData"));
    let conditions = child(assertion, ASSERTION, "Conditions");
    let audiences = conditions
        .into_iter()
        .flat_map(|c| children(c, ASSERTION, "AudienceRestriction"))
        .flat_map(|r| children(r, ASSERTION, "Audience"))
        .map(|a| a.text().unwrap_or("").to_owned())
        .collect();
    let attributes = children(assertion, ASSERTION, "AttributeStatement")
        .flat_map(|s| children(s, ASSERTION, "Attribute"))
        .map(|a| {
            let values: Vec<Node> = children(a, ASSERTION, "AttributeValue").collect();
            Attr {
                name: a.attribute("Name").expect("Attribute Name").to_owned(),
                name_format: a.attribute("NameFormat").map(str::to_owned),
                typed: values
                    .iter()
                    .map(|v| v.attribute((XSI, "type")).is_some())
                    .collect(),
                values: values
                    .iter()
                    .map(|v| v.text().unwrap_or("").to_owned())
                    .collect(),
            }
        })
        .collect();
    AssertionShape {
        id: assertion.attribute("ID").expect("Assertion ID").to_owned(),
        prefix: written_prefix(text, assertion),
        issuer: text_of(child(assertion, ASSERTION, "Issuer")),
        signature: signature(assertion),
        name_id: text_of(name_id),
        name_id_format: name_id
            .and_then(|n| n.attribute("Format"))
            .map(str::to_owned),
        recipient: confirmation_data
            .and_then(|d| d.attribute("Recipient"))
            .map(str::to_owned),
        audiences,
        attributes,
        window: Window {
            not_before: offset(conditions, "NotBefore"),
            not_on_or_after: offset(conditions, "NotOnOrAfter"),
            confirmation_not_on_or_after: offset(confirmation_data, "NotOnOrAfter"),
            session_not_on_or_after: offset(
                child(assertion, ASSERTION, "AuthnStatement"),
                "SessionNotOnOrAfter",
            ),
        },
    }
}

/// The shape of a response; an encrypted assertion is decrypted with `sp_key` (the plaintext
/// is returned too, for the callers that check its signature).
fn shape(text: &str, sp_key: Option<&PrivateKey>) -> (Shape, Option<String>) {
    let doc = Document::parse(text).expect("response parses with roxmltree");
    let response = doc.root_element();
    assert!(
        response.has_tag_name((PROTOCOL, "Response")),
        "root is {:?}",
        response.tag_name()
    );
    let assertions: Vec<Node> = children(response, ASSERTION, "Assertion").collect();
    let encrypted: Vec<Node> = children(response, ASSERTION, "EncryptedAssertion").collect();
    assert_eq!(
        assertions.len() + encrypted.len(),
        1,
        "exactly one assertion, plain or encrypted"
    );
    let (assertion, encryption, plaintext) = match (assertions.first(), encrypted.first()) {
        (Some(assertion), _) => (assertion_shape(text, *assertion), None, None),
        (None, Some(wrapper)) => {
            let data = child(*wrapper, XENC, "EncryptedData").expect("EncryptedData");
            let method = |n: Node| {
                child(n, XENC, "EncryptionMethod")
                    .and_then(|m| m.attribute("Algorithm"))
                    .expect("EncryptionMethod Algorithm")
                    .to_owned()
            };
            let key = data
                .descendants()
                .find(|n| n.has_tag_name((XENC, "EncryptedKey")))
                .expect("EncryptedKey inside EncryptedData");
            let encryption = Encrypted {
                data_method: method(data),
                key_transport: method(key),
            };
            let sp_key = sp_key.expect("an SP key for an encrypted response");
            let plaintext = xmldsig::decrypt(*wrapper, sp_key, &Policy::default())
                .unwrap_or_else(|e| panic!("decrypting the assertion: {e}"));
            let inner = Document::parse(&plaintext).expect("decrypted assertion parses");
            let root = inner.root_element();
            assert!(root.has_tag_name((ASSERTION, "Assertion")));
            let shape = assertion_shape(&plaintext, root);
            (shape, Some(encryption), Some(plaintext))
        }
        (None, None) => unreachable!("counted above"),
    };
    let shape = Shape {
        id: response.attribute("ID").expect("Response ID").to_owned(),
        prefix: written_prefix(text, response),
        issuer: text_of(child(response, ASSERTION, "Issuer")),
        destination: response.attribute("Destination").map(str::to_owned),
        signature: signature(response),
        encrypted: encryption,
        assertion,
    };
    (shape, plaintext)
}

fn placement(shape: &Shape) -> Placement {
    match (
        shape.signature.is_some(),
        shape.assertion.signature.is_some(),
    ) {
        (false, false) => Placement::None,
        (true, false) => Placement::Response,
        (false, true) => Placement::Assertion,
        (true, true) => Placement::Both,
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any (non-empty) text.
fn matches_form(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let Some((first, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            return remaining.len() > part.len() && remaining.ends_with(part);
        }
        // Skip at least one character for the `*`, then find the literal.
        let Some(found) = remaining.get(1..).and_then(|r| r.find(part)) else {
            return false;
        };
        remaining = &remaining[1 + found + part.len()..];
    }
    remaining.is_empty()
}

// ---------------------------------------------------------------------------------------------
// The catalogue

#[test]
fn every_preset_has_written_expectations_and_a_description() {
    let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
    let written: Vec<&str> = EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(names, written, "EXPECTED lists every preset, in order");
    for preset in PRESETS {
        assert!(
            !preset.summary.is_empty() && !preset.summary.contains('\n'),
            "{}: summary is one line",
            preset.name
        );
        assert!(
            preset.source.contains(expected(preset.name).capture),
            "{}: source cites its capture {}",
            preset.name,
            expected(preset.name).capture
        );
    }
}

#[test]
fn unknown_preset_error_lists_every_preset() {
    let err = match presets::by_name("nope") {
        Ok(preset) => panic!("found a preset named nope: {}", preset.name),
        Err(err) => err,
    };
    let message = err.to_string();
    assert!(message.contains("\"nope\""), "{message}");
    for preset in PRESETS {
        assert!(
            message.contains(preset.name),
            "{message} lacks {}",
            preset.name
        );
        let found = presets::by_name(preset.name).expect("each name is found");
        assert_eq!(found.name, preset.name);
    }
    assert_eq!(
        err.choices,
        PRESETS.iter().map(|p| p.name).collect::<Vec<_>>()
    );
}

#[test]
fn presets_have_the_shape_they_claim() {
    let sp_key = sp_key();
    for preset in PRESETS {
        let want = expected(preset.name);
        let xml = built(preset);
        let (got, _) = shape(&xml, Some(&sp_key));
        let name = preset.name;

        assert_eq!(preset.issuer, want.issuer, "{name}: issuer");
        assert!(
            matches_form(want.issuer, want.issuer_form),
            "{name}: {} has the form {}",
            want.issuer,
            want.issuer_form
        );
        assert_eq!(
            got.issuer.as_deref(),
            Some(want.issuer),
            "{name}: Response Issuer"
        );
        assert_eq!(
            got.assertion.issuer.as_deref(),
            Some(want.issuer),
            "{name}: Assertion Issuer"
        );
        assert_eq!(
            (got.prefix.as_str(), got.assertion.prefix.as_str()),
            want.prefixes,
            "{name}: prefixes"
        );

        assert_eq!(placement(&got), want.signed, "{name}: signed elements");
        for signature in [&got.signature, &got.assertion.signature]
            .into_iter()
            .flatten()
        {
            assert_eq!(signature.algorithm, RSA_SHA256, "{name}: algorithm");
            assert_eq!(signature.key_info, want.key_info, "{name}: KeyInfo");
        }
        match (&got.encrypted, want.encrypted) {
            (None, false) => {}
            (Some(encrypted), true) => {
                assert_eq!(encrypted.data_method, AES256_CBC, "{name}: content cipher");
                assert_eq!(
                    encrypted.key_transport, RSA_OAEP_MGF1P,
                    "{name}: key transport"
                );
            }
            (got, want) => panic!("{name}: encrypted {got:?}, expected encrypted = {want}"),
        }

        assert_eq!(
            got.assertion.name_id.as_deref(),
            Some(want.name_id),
            "{name}: NameID"
        );
        assert_eq!(
            got.assertion.name_id_format.as_deref(),
            want.name_id_format,
            "{name}: NameID Format"
        );
        let names: Vec<&str> = got
            .assertion
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, want.attributes, "{name}: attribute names");
        for attribute in &got.assertion.attributes {
            assert_eq!(
                attribute.name_format.as_deref(),
                want.attribute_name_format,
                "{name}: NameFormat of {}",
                attribute.name
            );
            assert!(
                attribute.typed.iter().all(|t| *t == want.typed),
                "{name}: xsi:type on {} values should be {}",
                attribute.name,
                want.typed
            );
        }

        // Valid for the default SP at NOW: addressed to it, inside its windows.
        assert_eq!(got.destination.as_deref(), Some(DEFAULT_ACS_URL), "{name}");
        assert_eq!(
            got.assertion.recipient.as_deref(),
            Some(DEFAULT_ACS_URL),
            "{name}"
        );
        assert_eq!(got.assertion.audiences, [DEFAULT_SP_ENTITY_ID], "{name}");
        let window = &got.assertion.window;
        assert!(
            window.not_before.is_some_and(|d| d <= Duration::ZERO),
            "{name}: NotBefore at or before now"
        );
        for end in [window.not_on_or_after, window.confirmation_not_on_or_after] {
            assert!(
                end.is_some_and(|d| d > Duration::ZERO),
                "{name}: still valid"
            );
        }
    }
}

/// Values that identify the user are where an SP looks for them.
#[test]
fn presets_carry_the_test_user() {
    for preset in PRESETS {
        let spec = preset.spec();
        let name = preset.name;
        let email_in_name_id = spec.name_id.as_ref().is_some_and(|n| n.value == EMAIL);
        let email_attribute = spec.attributes.iter().any(|a| {
            ["email", "User.email"].contains(&a.name.as_str())
                || a.name == format!("{ENTRA_CLAIMS}emailaddress")
        });
        assert!(
            email_in_name_id || email_attribute,
            "{name}: the email is in the NameID or an email attribute"
        );
        for attribute in &spec.attributes {
            if attribute.name.ends_with("email") || attribute.name.ends_with("emailaddress") {
                assert_eq!(attribute.values, [EMAIL], "{name}: {}", attribute.name);
            }
        }
    }
    let entra = presets::by_name("entra").expect("entra").spec();
    let tenant = entra
        .attributes
        .iter()
        .find(|a| a.name.ends_with("/tenantid"))
        .expect("tenantid claim");
    assert_eq!(
        format!("https://sts.windows.net/{}/", tenant.values[0]),
        presets::by_name("entra").expect("entra").issuer,
        "the tenantid claim names the issuer's tenant"
    );
}

/// The encrypted preset is the plain one, encrypted: decrypting gives back the signed Assertion
/// of `adfs` byte for byte, apart from the namespace declarations `xmldsig::decrypt` adds to
/// the start tag to make the plaintext a standalone document.
#[test]
fn adfs_encrypted_is_adfs_with_its_assertion_encrypted() {
    let plain = built(presets::by_name("adfs").expect("adfs"));
    let encrypted = built(presets::by_name("adfs-encrypted").expect("adfs-encrypted"));
    let (_, plaintext) = shape(&encrypted, Some(&sp_key()));
    let plaintext = plaintext.expect("an encrypted assertion");
    let after_start_tag = |xml: &str, from: usize| -> String {
        let end = from + xml[from..].find('>').expect("start tag ends") + 1;
        xml[end..].to_owned()
    };
    let start = plain
        .find("<saml:Assertion ")
        .expect("adfs has a plain Assertion");
    let body = after_start_tag(&plaintext, 0);
    let plain_body = after_start_tag(&plain, start);
    assert!(
        plain_body.starts_with(&body),
        "decrypted assertion differs from adfs's:\n{plaintext}"
    );
    assert!(!encrypted.contains(EMAIL), "no cleartext user data");
}

// ---------------------------------------------------------------------------------------------
// Against the real captures

#[test]
fn presets_match_their_real_captures() {
    let Some(real) = real_fixtures() else { return };
    let capture_sp_key = PrivateKey::from_pem(
        &read(&real.join("certs/gosaml2-sp-encryption-key.pem")),
        None,
    )
    .expect("the gosaml2 SP key parses");
    let sp_key = sp_key();
    for preset in PRESETS {
        let want = expected(preset.name);
        let name = preset.name;
        let path = real.join("responses").join(want.capture);
        let capture_text = String::from_utf8(read(&path)).expect("capture is UTF-8");
        let (capture, _) = shape(&capture_text, Some(&capture_sp_key));
        let (mock, _) = shape(&built(preset), Some(&sp_key));
        let context = format!("{name} vs {}", want.capture);

        let capture_issuer = capture.assertion.issuer.as_deref().expect("capture issuer");
        assert!(
            matches_form(capture_issuer, want.issuer_form),
            "{context}: the capture's issuer {capture_issuer:?} has the form {}",
            want.issuer_form
        );
        assert_eq!(
            placement(&mock),
            placement(&capture),
            "{context}: signed elements"
        );
        assert_eq!(
            mock.encrypted.is_some(),
            capture.encrypted.is_some(),
            "{context}: encryption"
        );
        assert_eq!(
            mock.encrypted, capture.encrypted,
            "{context}: encryption algorithms"
        );
        for (m, c) in [
            (&mock.signature, &capture.signature),
            (&mock.assertion.signature, &capture.assertion.signature),
        ] {
            let (Some(m), Some(c)) = (m, c) else { continue };
            assert_eq!(m.key_info, c.key_info, "{context}: KeyInfo");
            let differs = m.algorithm != c.algorithm;
            assert_eq!(
                differs,
                want.deviations.contains(&Deviation::SignatureAlgorithm),
                "{context}: signature algorithm {} vs {} (listed deviations: {:?})",
                m.algorithm,
                c.algorithm,
                want.deviations
            );
        }

        let default_namespace = capture.assertion.prefix.is_empty();
        assert_eq!(
            default_namespace,
            want.deviations.contains(&Deviation::DefaultNamespace),
            "{context}: the capture's Assertion prefix is {:?}",
            capture.assertion.prefix
        );
        if !default_namespace {
            assert_eq!(mock.prefix, capture.prefix, "{context}: protocol prefix");
            assert_eq!(
                mock.assertion.prefix, capture.assertion.prefix,
                "{context}: assertion prefix"
            );
        }

        assert_eq!(
            mock.assertion.name_id_format, capture.assertion.name_id_format,
            "{context}: NameID Format"
        );
        for attribute in &capture.assertion.attributes {
            assert_eq!(
                attribute.name_format.as_deref(),
                want.attribute_name_format,
                "{context}: the capture's NameFormat of {}",
                attribute.name
            );
            assert!(
                attribute.typed.iter().all(|t| *t == want.typed),
                "{context}: the capture's xsi:type on {}",
                attribute.name
            );
        }

        // Validity windows as the IdP sets them, to the second (captures have milliseconds).
        let close = |m: Option<Duration>, c: Option<Duration>, what: &str| match (m, c) {
            (Some(m), Some(c)) => assert!(
                (m - c).abs() <= Duration::seconds(1),
                "{context}: {what} {m} vs {c}"
            ),
            (None, None) => {}
            (m, c) => panic!("{context}: {what} {m:?} vs {c:?}"),
        };
        let (m, c) = (&mock.assertion.window, &capture.assertion.window);
        close(m.not_before, c.not_before, "NotBefore");
        close(m.not_on_or_after, c.not_on_or_after, "NotOnOrAfter");
        close(
            m.confirmation_not_on_or_after,
            c.confirmation_not_on_or_after,
            "confirmation NotOnOrAfter",
        );
        close(
            m.session_not_on_or_after,
            c.session_not_on_or_after,
            "SessionNotOnOrAfter",
        );
    }
}

#[test]
fn matches_form_reads_stars_as_any_text() {
    assert!(matches_form(
        "http://www.okta.com/exkABC",
        "http://www.okta.com/exk*"
    ));
    assert!(!matches_form(
        "http://www.okta.com/exk",
        "http://www.okta.com/exk*"
    ));
    assert!(matches_form(
        "http://fs.corp/adfs/services/trust",
        "http://*/adfs/services/trust"
    ));
    assert!(!matches_form(
        "https://fs.corp/adfs/services/trust",
        "http://*/adfs/services/trust"
    ));
    assert!(matches_form("IdP Entity ID", "* *"));
    assert!(!matches_form("IdPEntityID", "* *"));
    assert!(matches_form(
        "https://sts.windows.net/a9054a0f-2011-4e31-b3ac-fd8c354146ec/",
        "https://sts.windows.net/*-*-*-*-*/"
    ));
    assert!(!matches_form(
        "https://sts.windows.net/tenant/",
        "https://sts.windows.net/*-*-*-*-*/"
    ));
}

// ---------------------------------------------------------------------------------------------
// Signatures: the workspace's verifier, then xmlsec1

/// The IDs of the signed elements, and the plaintext of an encrypted assertion when there is
/// one (its signature is checked in the plaintext).
fn signed_ids(xml: &str) -> (Vec<String>, Option<(String, String)>) {
    let (shape, plaintext) = shape(xml, Some(&sp_key()));
    let mut outer = Vec::new();
    if shape.signature.is_some() {
        outer.push(shape.id.clone());
    }
    let assertion_signed = shape.assertion.signature.is_some();
    match plaintext {
        Some(plaintext) => {
            assert!(assertion_signed, "an encrypted assertion is signed inside");
            (outer, Some((shape.assertion.id, plaintext)))
        }
        None => {
            if assertion_signed {
                outer.push(shape.assertion.id);
            }
            (outer, None)
        }
    }
}

fn xmldsig_verifies(xml: &str, id: &str, cert: &Certificate) -> Result<(), xmldsig::Error> {
    let doc = xmldsig::parse_str(xml, &Limits::default())?;
    let element = xmldsig::element_by_id(&doc, id)?;
    xmldsig::verify(element, std::slice::from_ref(cert), &Policy::default()).map(|_| ())
}

#[test]
fn every_signature_verifies_with_xmldsig() {
    let current = certificate("idp-rsa-current.crt");
    let attacker = certificate("idp-rsa-attacker.crt");
    for preset in PRESETS {
        let xml = built(preset);
        let (outer, inner) = signed_ids(&xml);
        let mut checks: Vec<(&str, String)> =
            outer.into_iter().map(|id| (xml.as_str(), id)).collect();
        if let Some((id, plaintext)) = &inner {
            checks.push((plaintext.as_str(), id.clone()));
        }
        assert!(!checks.is_empty(), "{}: something is signed", preset.name);
        for (document, id) in checks {
            xmldsig_verifies(document, &id, &current)
                .unwrap_or_else(|e| panic!("{}: #{id} does not verify: {e}", preset.name));
            assert!(
                xmldsig_verifies(document, &id, &attacker).is_err(),
                "{}: #{id} verifies against the attacker's certificate",
                preset.name
            );
        }
    }
}

#[test]
fn every_signature_verifies_with_xmlsec1() {
    if !external::xmlsec1_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let current = key_path("idp-rsa-current.crt");
    let attacker = key_path("idp-rsa-attacker.crt");
    for preset in PRESETS {
        let name = preset.name;
        let xml = built(preset);
        let file = external::write_file(dir.path(), &format!("{name}.xml"), xml.as_bytes());
        let (outer, inner) = signed_ids(&xml);
        let mut checks: Vec<(PathBuf, String)> =
            outer.into_iter().map(|id| (file.clone(), id)).collect();

        if inner.is_some() {
            // xmlsec1 decrypts on its own (only the SP's key given), and the assertion it gets
            // back must carry a signature that verifies.
            let decrypted = external::decrypt(&file, &key_path("sp-rsa.key"));
            assert!(
                decrypted.ok,
                "{name}: xmlsec1 cannot decrypt:\n{}",
                decrypted.report
            );
            let text = String::from_utf8(decrypted.stdout).expect("decrypted output is UTF-8");
            let doc = Document::parse(&text).expect("xmlsec1's decrypted document parses");
            assert!(
                !doc.descendants()
                    .any(|n| n.has_tag_name((XENC, "EncryptedData"))),
                "{name}: xmlsec1 left encrypted data"
            );
            let assertion = doc
                .descendants()
                .find(|n| n.has_tag_name((ASSERTION, "Assertion")))
                .expect("xmlsec1 restored the Assertion");
            let id = assertion.attribute("ID").expect("Assertion ID").to_owned();
            let plain = external::write_file(
                dir.path(),
                &format!("{name}-decrypted.xml"),
                text.as_bytes(),
            );
            checks.push((plain, id));
        }

        assert!(!checks.is_empty(), "{name}: something is signed");
        for (file, id) in checks {
            let outcome = external::verify(&file, &id, &current);
            assert!(
                outcome.ok,
                "{name}: xmlsec1 rejects #{id}:\n{}",
                outcome.report
            );
            let outcome = external::verify(&file, &id, &attacker);
            assert!(
                !outcome.ok,
                "{name}: xmlsec1 accepts #{id} with the attacker's certificate:\n{}",
                outcome.report
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/// Replaces the text of every `CipherValue` (random content key, IV and OAEP padding on every
/// build) with a marker, so an encrypted response can be snapshotted.
fn redact_cipher_values(xml: &str) -> String {
    let doc = Document::parse(xml).expect("response parses");
    let mut ranges: Vec<std::ops::Range<usize>> = doc
        .descendants()
        .filter(|n| n.has_tag_name((XENC, "CipherValue")))
        .flat_map(|n| n.children().filter(Node::is_text).map(|t| t.range()))
        .collect();
    ranges.sort_by_key(|r| std::cmp::Reverse(r.start));
    let mut out = xml.to_owned();
    for range in ranges {
        out.replace_range(range, "[random]");
    }
    out
}

#[test]
fn response_snapshots() {
    for preset in PRESETS {
        let first = built(preset);
        let xml = if expected(preset.name).encrypted {
            redact_cipher_values(&first)
        } else {
            assert_eq!(first, built(preset), "{}: deterministic", preset.name);
            first
        };
        insta::assert_snapshot!(format!("{}-response", preset.name), xml);
    }
}

#[test]
fn metadata_snapshots() {
    for preset in PRESETS {
        let xml = metadata::render(
            preset.issuer,
            "https://idp.example/sso",
            Published::Current,
            KeyType::Rsa,
        )
        .unwrap_or_else(|e| panic!("{}: metadata: {e}", preset.name));
        let doc = Document::parse(&xml).expect("metadata parses");
        assert_eq!(
            doc.root_element().attribute("entityID"),
            Some(preset.issuer),
            "{}: entityID is the issuer",
            preset.name
        );
        insta::assert_snapshot!(format!("{}-metadata", preset.name), xml);
    }
}
