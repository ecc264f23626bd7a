//! Every fault, checked on the XML it produces.
//!
//! The mock is an independent witness: it never depends on the `sp` crate, so these tests do not
//! ask an SP what it thinks. They read the XML with roxmltree and, where a fault is about
//! signatures, run xmldsig's strict `verify` (the rules an SP applies) and a naive verifier that
//! follows the Reference to whatever element carries its ID, as vulnerable SPs do: a wrapping
//! attack is only an attack if that naive check still passes on the hidden original.
//!
//! Each fault is built at a fixed time from two valid specs that differ in their prefixes
//! (`samlp`/`saml` and Okta's `saml2p`/`saml2`), and, for robustness, from other valid shapes
//! (placement, key type, encryption, clock offset, a loopback ACS, every preset).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mock_idp::build::build;
use mock_idp::expect::{Code, Expected};
use mock_idp::faults::{
    self, COMMENT_SUFFIX, Class, EVIL_ASSERTION_ID, EVIL_RESPONSE_ID, FAULTS, Fault, HMAC_SHA1,
    OTHER_AUDIENCE, OTHER_TEAM_ISSUER, UNKNOWN_ISSUER, UNKNOWN_REQUEST_ID, XPATH_TRANSFORM,
    XSLT_TRANSFORM,
};
use mock_idp::keys::{self, KeyRole, KeyType};
use mock_idp::post::Redirect;
use mock_idp::server::shape::effective_spec;
use mock_idp::spec::{
    BEARER, EncryptTo, Encryption, HttpMethod, NAMEID_PERSISTENT, Placement, Prefixes,
    ResponseSpec, STATUS_RESPONDER, STATUS_SUCCESS,
};
use openssl::hash::MessageDigest;
use roxmltree::{Document, Node};
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use xmldsig::{
    BlockCipher, Certificate, DigestAlgorithm, KeyTransport, Policy, SignatureAlgorithm,
};

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const STATUS_AUTHN_FAILED: &str = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);
const ISSUER: &str = "http://www.okta.com/exk1ssolab0test0000d7";
/// DESIGN.md's default clock skew.
const SKEW: Duration = Duration::seconds(180);
const USER: &str = "alice@example.com";
/// Who the wrapping and stripping attacks make of the user (`admin@` the user's domain).
const EVIL_USER: &str = "admin@example.com";
const ACS: &str = "https://www.qualified.io/api/saml/consume";

/// DESIGN.md's rejection codes, and the codes of its near-miss diagnosis pages.
const CODES: &[&str] = &[
    "not_base64",
    "too_large",
    "malformed_xml",
    "doctype_forbidden",
    "unknown_issuer",
    "issuer_mismatch",
    "unsigned",
    "signature_invalid",
    "digest_mismatch",
    "algorithm_forbidden",
    "transform_forbidden",
    "reference_mismatch",
    "duplicate_id",
    "no_assertion",
    "multiple_assertions",
    "version_mismatch",
    "status_not_success",
    "destination_mismatch",
    "recipient_mismatch",
    "audience_mismatch",
    "audience_missing",
    "not_yet_valid",
    "expired",
    "issue_instant_stale",
    "no_bearer_confirmation",
    "in_response_to_unknown",
    "unsolicited_forbidden",
    "replayed_assertion",
    "name_id_missing",
    "email_missing",
    "decryption_failed",
    "sso_not_enabled",
    "member_inactive",
    "member_unknown",
    "acs_get",
    "acs_path_near_miss",
    "saml_response_misdirected",
    "identity_not_normalized",
    "saml_response_missing",
    "redirect_binding",
    "content_type_unsupported",
    "request_from_another_browser",
    "busy",
    "metadata_expired",
    "acs_method_not_allowed",
    "too_complex",
];

/// The two specs of the brief: `samlp`/`saml` and `saml2p`/`saml2`.
fn specs() -> Vec<ResponseSpec> {
    let plain = ResponseSpec::valid(ISSUER);
    let mut okta = plain.clone();
    okta.prefixes = Prefixes {
        protocol: "saml2p".to_owned(),
        assertion: "saml2".to_owned(),
    };
    vec![plain, okta]
}

// ---------------------------------------------------------------------------------------------
// Reading the XML.

fn parse(xml: &str) -> Document<'_> {
    Document::parse(xml).unwrap_or_else(|e| panic!("fault XML parses: {e}\n{xml}"))
}

fn child<'a, 'i>(node: Node<'a, 'i>, namespace: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name((namespace, local)))
}

fn children<'a, 'i>(node: Node<'a, 'i>, namespace: &str, local: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|n| n.has_tag_name((namespace, local)))
        .collect()
}

fn all<'a, 'i>(doc: &'a Document<'i>, namespace: &str, local: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.has_tag_name((namespace, local)))
        .collect()
}

fn one<'a, 'i>(doc: &'a Document<'i>, namespace: &str, local: &str) -> Node<'a, 'i> {
    let found = all(doc, namespace, local);
    assert_eq!(found.len(), 1, "exactly one {local}");
    found[0]
}

fn element_children<'a, 'i>(node: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    node.children().filter(Node::is_element).collect()
}

/// All character data of `node`, across comments: what a correct reader takes as its value.
fn text(node: Node) -> String {
    xmldsig::text_content(node, None)
}

/// The Response's direct Assertion children.
fn direct_assertions<'a, 'i>(doc: &'a Document<'i>) -> Vec<Node<'a, 'i>> {
    children(doc.root_element(), SAML, "Assertion")
}

/// The only direct Assertion of the Response.
fn assertion<'a, 'i>(doc: &'a Document<'i>) -> Node<'a, 'i> {
    let found = direct_assertions(doc);
    assert_eq!(found.len(), 1, "one direct Assertion");
    found[0]
}

/// Assertion → Subject → NameID, by children only (wrapped assertions nest others).
fn name_id<'a, 'i>(assertion: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    child(assertion, SAML, "Subject").and_then(|s| child(s, SAML, "NameID"))
}

fn name_id_text(assertion: Node) -> String {
    text(name_id(assertion).expect("Subject/NameID"))
}

fn confirmation_data<'a, 'i>(assertion: Node<'a, 'i>) -> Node<'a, 'i> {
    child(assertion, SAML, "Subject")
        .and_then(|s| child(s, SAML, "SubjectConfirmation"))
        .and_then(|c| child(c, SAML, "SubjectConfirmationData"))
        .expect("SubjectConfirmationData")
}

fn conditions<'a, 'i>(assertion: Node<'a, 'i>) -> Node<'a, 'i> {
    child(assertion, SAML, "Conditions").expect("Conditions")
}

fn instant(node: Node, name: &str) -> OffsetDateTime {
    let value = node
        .attribute(name)
        .unwrap_or_else(|| panic!("{name} present"));
    OffsetDateTime::parse(value, &Rfc3339).expect("xs:dateTime")
}

fn issuer(element: Node) -> Option<String> {
    child(element, SAML, "Issuer").map(text)
}

/// Every AttributeValue of `assertion`, by attribute name.
fn attribute_values(assertion: Node) -> Vec<(String, String)> {
    child(assertion, SAML, "AttributeStatement")
        .into_iter()
        .flat_map(|s| children(s, SAML, "Attribute"))
        .flat_map(|a| {
            let name = a.attribute("Name").unwrap_or("").to_owned();
            children(a, SAML, "AttributeValue")
                .into_iter()
                .map(move |v| (name.clone(), text(v)))
        })
        .collect()
}

fn elements_with_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.is_element() && n.attribute("ID") == Some(id))
        .collect()
}

fn prefix(xml: &str, node: Node) -> String {
    let qname = xml[node.range().start + 1..]
        .split(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .next()
        .unwrap_or("");
    qname.split_once(':').map_or("", |(p, _)| p).to_owned()
}

// ---------------------------------------------------------------------------------------------
// Verifying.

fn cert(role: KeyRole) -> Certificate {
    keys::certificate(role, KeyType::Rsa).expect("fixture certificate")
}

/// The IdP's certificate as the SP pins it: fixtures/keys/idp-rsa-current.crt.
fn current() -> Certificate {
    let path = keys::keys_dir().join("idp-rsa-current.crt");
    Certificate::from_pem(&std::fs::read(path).expect("idp-rsa-current.crt")).expect("parses")
}

/// xmldsig's strict verification of `element`'s own signature, as an SP runs it.
fn strict_with(element: Node, trusted: &Certificate, policy: &Policy) -> Result<(), &'static str> {
    xmldsig::verify(element, std::slice::from_ref(trusted), policy)
        .map(|_| ())
        .map_err(|e| e.code())
}

fn strict(element: Node) -> Result<(), &'static str> {
    strict_with(element, &current(), &Policy::default())
}

/// Every signature in the document verifies strictly on its parent with the IdP's key: the IdP
/// made the response, so only the rule the fault is about can refuse it.
fn signed_by_idp(doc: &Document) {
    let signatures = all(doc, DS, "Signature");
    assert!(!signatures.is_empty(), "the response is signed");
    for signature in signatures {
        let parent = signature.parent_element().expect("signature parent");
        assert_eq!(strict(parent), Ok(()), "{:?}", parent.tag_name());
    }
}

fn digest_of(uri: &str) -> MessageDigest {
    match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => MessageDigest::sha1(),
        "http://www.w3.org/2001/04/xmlenc#sha256" => MessageDigest::sha256(),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => MessageDigest::sha384(),
        "http://www.w3.org/2001/04/xmlenc#sha512" => MessageDigest::sha512(),
        other => panic!("digest {other}"),
    }
}

fn signature_digest_of(uri: &str) -> MessageDigest {
    match uri {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => MessageDigest::sha1(),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => MessageDigest::sha256(),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => MessageDigest::sha384(),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => MessageDigest::sha512(),
        other => panic!("RSA signature method {other}"),
    }
}

fn signed_info<'a, 'i>(signature: Node<'a, 'i>) -> Node<'a, 'i> {
    child(signature, DS, "SignedInfo").expect("SignedInfo")
}

fn canonical(node: Node, prefixes: &[&str], excluded: Option<Node>) -> Vec<u8> {
    let mut out = Vec::new();
    xmldsig::canonicalize(node, prefixes, excluded, &mut out);
    out
}

/// What a naive verifier concludes when it resolves `signature`'s Reference to `target` (by ID,
/// wherever it is) instead of insisting on the signature's parent: the digest of `target`
/// matches and the SignatureValue over SignedInfo verifies with `trusted`.
fn naive_verifies(signature: Node, target: Node, trusted: &Certificate) -> bool {
    let info = signed_info(signature);
    let reference = child(info, DS, "Reference").expect("Reference");
    let id = target.attribute("ID").expect("target ID");
    assert_eq!(reference.attribute("URI"), Some(format!("#{id}").as_str()));
    let prefix_list = child(reference, DS, "Transforms")
        .into_iter()
        .flat_map(|t| children(t, DS, "Transform"))
        .filter(|t| t.attribute("Algorithm") == Some(EXC_C14N))
        .flat_map(|t| t.children().filter_map(|n| n.attribute("PrefixList")))
        .flat_map(str::split_ascii_whitespace)
        .collect::<Vec<_>>();
    let enveloped = target.descendants().any(|n| n == signature);
    let content = canonical(target, &prefix_list, enveloped.then_some(signature));
    let method = child(reference, DS, "DigestMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .expect("DigestMethod");
    let digest = openssl::hash::hash(digest_of(method), &content).expect("hash");
    let expected = STANDARD
        .decode(text(child(reference, DS, "DigestValue").expect("DigestValue")).trim())
        .expect("DigestValue base64");
    if digest.as_ref() != expected.as_slice() {
        return false;
    }
    let algorithm = child(info, DS, "SignatureMethod")
        .and_then(|m| m.attribute("Algorithm"))
        .expect("SignatureMethod");
    let value = STANDARD
        .decode(text(child(signature, DS, "SignatureValue").expect("SignatureValue")).trim())
        .expect("SignatureValue base64");
    let key = trusted.x509().public_key().expect("public key");
    let mut verifier =
        openssl::sign::Verifier::new(signature_digest_of(algorithm), &key).expect("verifier");
    verifier
        .update(&canonical(info, &[], None))
        .expect("update");
    verifier.verify(&value).unwrap_or(false)
}

fn signature_of<'a, 'i>(element: Node<'a, 'i>) -> Node<'a, 'i> {
    child(element, DS, "Signature").expect("ds:Signature child")
}

fn has_signature(element: Node) -> bool {
    child(element, DS, "Signature").is_some()
}

// ---------------------------------------------------------------------------------------------
// The checks, one per fault.

/// One fault's output, with the valid response of the same spec to compare against.
struct Case<'a> {
    fault: &'static Fault,
    spec: &'a ResponseSpec,
    xml: &'a str,
    valid: &'a str,
}

impl Case<'_> {
    fn a(&self) -> &str {
        &self.spec.prefixes.assertion
    }

    fn p(&self) -> &str {
        &self.spec.prefixes.protocol
    }

    /// `valid` with its Destination replaced: what the destination faults must produce.
    fn assert_only_destination(&self, destination: &str) {
        let doc = parse(self.xml);
        let root = doc.root_element();
        assert_eq!(root.attribute("Destination"), Some(destination));
        assert_eq!(
            confirmation_data(assertion(&doc)).attribute("Recipient"),
            Some(ACS)
        );
        signed_by_idp(&doc);
    }

    fn assert_only_recipient(&self, recipient: &str) {
        let doc = parse(self.xml);
        assert_eq!(doc.root_element().attribute("Destination"), Some(ACS));
        assert_eq!(
            confirmation_data(assertion(&doc)).attribute("Recipient"),
            Some(recipient)
        );
        signed_by_idp(&doc);
    }
}

fn check(case: &Case) {
    let name = case.fault.name;
    if case.fault.class == Class::ReplyUrl {
        return check_reply_url(case);
    }
    match name {
        "doctype" | "billion-laughs" => return check_doctype(case),
        n if n.starts_with("xsw") || n.starts_with("wrap-") => return check_wrapping(case),
        _ => {}
    }
    let doc = parse(case.xml);
    let root = doc.root_element();
    match name {
        "wrong-issuer" => {
            assert_eq!(issuer(root).as_deref(), Some(UNKNOWN_ISSUER));
            assert_eq!(issuer(assertion(&doc)).as_deref(), Some(UNKNOWN_ISSUER));
            signed_by_idp(&doc);
        }
        "missing-issuer" => {
            assert!(all(&doc, SAML, "Issuer").is_empty());
            signed_by_idp(&doc);
        }
        "assertion-issuer-mismatch" => {
            assert_eq!(issuer(root).as_deref(), Some(ISSUER));
            assert_eq!(issuer(assertion(&doc)).as_deref(), Some(UNKNOWN_ISSUER));
            signed_by_idp(&doc);
        }
        "other-team-issuer" => {
            assert_eq!(issuer(root).as_deref(), Some(OTHER_TEAM_ISSUER));
            assert_eq!(issuer(assertion(&doc)).as_deref(), Some(OTHER_TEAM_ISSUER));
            // Signed with this IdP's key, which the other team's pinned certificate refuses.
            signed_by_idp(&doc);
            let other_team = cert(KeyRole::Next);
            assert_eq!(
                strict_with(root, &other_team, &Policy::default()),
                Err("signature_invalid")
            );
        }
        "wrong-audience" => {
            let audiences: Vec<String> =
                all(&doc, SAML, "Audience").into_iter().map(text).collect();
            assert_eq!(audiences, [OTHER_AUDIENCE]);
            signed_by_idp(&doc);
        }
        "missing-audience" => {
            assert!(all(&doc, SAML, "AudienceRestriction").is_empty());
            conditions(assertion(&doc));
            signed_by_idp(&doc);
        }
        "destination-trailing-slash" => case.assert_only_destination(&format!("{ACS}/")),
        "destination-apex" => {
            case.assert_only_destination("https://qualified.io/api/saml/consume");
        }
        "destination-http" => {
            case.assert_only_destination("http://www.qualified.io/api/saml/consume");
        }
        "destination-case" => {
            case.assert_only_destination("https://www.qualified.io/api/saml/Consume");
        }
        "destination-other-path" => case.assert_only_destination("https://www.qualified.io/"),
        "recipient-trailing-slash" => case.assert_only_recipient(&format!("{ACS}/")),
        "recipient-apex" => case.assert_only_recipient("https://qualified.io/api/saml/consume"),
        "recipient-http" => case.assert_only_recipient("http://www.qualified.io/api/saml/consume"),
        "recipient-case" => case.assert_only_recipient("https://www.qualified.io/api/saml/Consume"),
        "recipient-other-path" => case.assert_only_recipient("https://www.qualified.io/"),
        "expired" => {
            let a = assertion(&doc);
            assert!(instant(conditions(a), "NotOnOrAfter") < NOW - SKEW);
            assert!(instant(confirmation_data(a), "NotOnOrAfter") < NOW - SKEW);
            assert_eq!(instant(root, "IssueInstant"), NOW);
            assert_eq!(instant(a, "IssueInstant"), NOW);
            signed_by_idp(&doc);
        }
        "not-yet-valid" => {
            let a = assertion(&doc);
            assert!(instant(conditions(a), "NotBefore") > NOW + SKEW);
            assert!(instant(conditions(a), "NotOnOrAfter") > NOW + SKEW);
            assert!(instant(confirmation_data(a), "NotOnOrAfter") > NOW + SKEW);
            assert_eq!(instant(root, "IssueInstant"), NOW);
            signed_by_idp(&doc);
        }
        "stale-issue-instant" => {
            let a = assertion(&doc);
            assert!(instant(root, "IssueInstant") <= NOW - Duration::hours(1));
            assert!(instant(a, "IssueInstant") <= NOW - Duration::hours(1));
            assert!(instant(conditions(a), "NotBefore") <= NOW);
            assert!(instant(conditions(a), "NotOnOrAfter") > NOW + SKEW);
            assert!(instant(confirmation_data(a), "NotOnOrAfter") > NOW + SKEW);
            signed_by_idp(&doc);
        }
        "future-issue-instant" => {
            let a = assertion(&doc);
            assert!(instant(root, "IssueInstant") > NOW + SKEW);
            assert!(instant(a, "IssueInstant") > NOW + SKEW);
            assert!(instant(conditions(a), "NotBefore") <= NOW);
            assert!(instant(conditions(a), "NotOnOrAfter") > instant(a, "IssueInstant"));
            assert!(instant(confirmation_data(a), "NotOnOrAfter") > instant(a, "IssueInstant"));
            signed_by_idp(&doc);
        }
        "missing-bearer-not-on-or-after" => {
            let a = assertion(&doc);
            let confirmation = confirmation_data(a).parent_element().expect("confirmation");
            assert_eq!(confirmation.attribute("Method"), Some(BEARER));
            assert_eq!(confirmation_data(a).attribute("NotOnOrAfter"), None);
            assert_eq!(confirmation_data(a).attribute("Recipient"), Some(ACS));
            signed_by_idp(&doc);
        }
        "unknown-in-response-to" => {
            assert_eq!(root.attribute("InResponseTo"), Some(UNKNOWN_REQUEST_ID));
            assert_eq!(
                confirmation_data(assertion(&doc)).attribute("InResponseTo"),
                Some(UNKNOWN_REQUEST_ID)
            );
            signed_by_idp(&doc);
        }
        "status-responder" => {
            let status = child(root, SAMLP, "Status").expect("Status");
            let code = child(status, SAMLP, "StatusCode").expect("StatusCode");
            assert_eq!(code.attribute("Value"), Some(STATUS_RESPONDER));
            assert_eq!(
                child(code, SAMLP, "StatusCode").and_then(|c| c.attribute("Value")),
                Some(STATUS_AUTHN_FAILED)
            );
            assert!(child(status, SAMLP, "StatusMessage").is_some());
            assert!(all(&doc, SAML, "Assertion").is_empty());
            signed_by_idp(&doc);
        }
        "no-assertion" => {
            let code = child(root, SAMLP, "Status").and_then(|s| child(s, SAMLP, "StatusCode"));
            assert_eq!(
                code.and_then(|c| c.attribute("Value")),
                Some(STATUS_SUCCESS)
            );
            assert!(all(&doc, SAML, "Assertion").is_empty());
            assert!(all(&doc, SAML, "EncryptedAssertion").is_empty());
            signed_by_idp(&doc);
        }
        "two-assertions" => {
            let found = direct_assertions(&doc);
            let ids: Vec<_> = found.iter().map(|a| a.attribute("ID")).collect();
            let second = format!("{}-2", case.spec.assertion_id);
            assert_eq!(
                ids,
                [Some(case.spec.assertion_id.as_str()), Some(second.as_str())]
            );
            for a in &found {
                assert_eq!(name_id_text(*a), USER);
            }
            // Both complete and signed, IDs distinct: only the one-assertion rule refuses it.
            assert_eq!(all(&doc, DS, "Signature").len(), 3);
            signed_by_idp(&doc);
        }
        "version-1.1" => {
            assert_eq!(root.attribute("Version"), Some("1.1"));
            assert_eq!(assertion(&doc).attribute("Version"), Some("1.1"));
            signed_by_idp(&doc);
        }
        "missing-name-id" => {
            let a = assertion(&doc);
            assert!(name_id(a).is_none());
            assert!(
                attribute_values(a)
                    .iter()
                    .any(|(n, v)| n == "email" && v == USER)
            );
            signed_by_idp(&doc);
        }
        "no-email" => {
            let a = assertion(&doc);
            let n = name_id(a).expect("NameID");
            assert_eq!(n.attribute("Format"), Some(NAMEID_PERSISTENT));
            assert!(!text(n).contains('@'));
            let values = attribute_values(a);
            assert!(!values.is_empty(), "other attributes stay");
            for (attribute, value) in values {
                assert!(
                    !attribute.to_ascii_lowercase().contains("mail"),
                    "{attribute}"
                );
                assert!(!value.contains('@'), "{value}");
            }
            signed_by_idp(&doc);
        }
        "replay" => {
            assert_eq!(case.fault.posts, 2);
            assert_eq!(case.xml, case.valid, "the valid response, unchanged");
        }
        "unsigned" => {
            assert!(all(&doc, DS, "Signature").is_empty());
            assert_eq!(name_id_text(assertion(&doc)), USER);
        }
        "signature-stripped" => {
            assert!(all(&doc, DS, "Signature").is_empty());
            assert_eq!(name_id_text(assertion(&doc)), EVIL_USER);
            // Exactly the valid response without its signatures, the user swapped.
            let valid = parse(case.valid);
            let mut stripped = case.valid.to_owned();
            let mut signatures = all(&valid, DS, "Signature");
            signatures.sort_by_key(|s| std::cmp::Reverse(s.range().start));
            for s in signatures {
                stripped.replace_range(s.range(), "");
            }
            assert_eq!(case.xml, stripped.replace(USER, EVIL_USER));
        }
        "attacker-resigned" => {
            let a = assertion(&doc);
            assert_eq!(name_id_text(a), EVIL_USER);
            let attacker = cert(KeyRole::Attacker);
            for signature in all(&doc, DS, "Signature") {
                let parent = signature.parent_element().expect("parent");
                assert_eq!(strict(parent), Err("signature_invalid"));
                assert_eq!(strict_with(parent, &attacker, &Policy::default()), Ok(()));
                let in_key_info = signature
                    .descendants()
                    .find(|n| n.has_tag_name((DS, "X509Certificate")))
                    .map(text);
                assert_eq!(in_key_info, Some(attacker.to_base64().expect("base64")));
            }
        }
        "expired-certificate" => {
            let expired = cert(KeyRole::Expired);
            assert!(
                expired.x509().not_after()
                    < openssl::asn1::Asn1Time::from_unix(NOW.unix_timestamp()).expect("time")
            );
            for signature in all(&doc, DS, "Signature") {
                let parent = signature.parent_element().expect("parent");
                assert_eq!(strict(parent), Err("signature_invalid"));
                assert_eq!(strict_with(parent, &expired, &Policy::default()), Ok(()));
            }
        }
        "sha1" => {
            let sha1 = Policy {
                allow_sha1: true,
                ..Policy::default()
            };
            for signature in all(&doc, DS, "Signature") {
                let info = signed_info(signature);
                let method =
                    child(info, DS, "SignatureMethod").and_then(|m| m.attribute("Algorithm"));
                assert_eq!(method, Some(SignatureAlgorithm::RsaSha1.uri()));
                let digest = info
                    .descendants()
                    .find(|n| n.has_tag_name((DS, "DigestMethod")))
                    .and_then(|m| m.attribute("Algorithm"));
                assert_eq!(digest, Some(DigestAlgorithm::Sha1.uri()));
                let parent = signature.parent_element().expect("parent");
                assert_eq!(strict(parent), Err("sha1_forbidden"));
                assert_eq!(strict_with(parent, &current(), &sha1), Ok(()));
            }
        }
        "hmac" => {
            let der = current().x509().to_der().expect("DER");
            let key = openssl::pkey::PKey::hmac(&der).expect("HMAC key");
            let signatures = all(&doc, DS, "Signature");
            assert_eq!(signatures.len(), 2);
            for signature in signatures {
                let info = signed_info(signature);
                let method =
                    child(info, DS, "SignatureMethod").and_then(|m| m.attribute("Algorithm"));
                assert_eq!(method, Some(HMAC_SHA1));
                let parent = signature.parent_element().expect("parent");
                assert_eq!(strict(parent), Err("hmac_forbidden"));
                // A real HMAC-SHA1 over SignedInfo keyed with the public certificate: the
                // forgery a verifier falling for key confusion accepts.
                let mut signer =
                    openssl::sign::Signer::new(MessageDigest::sha1(), &key).expect("signer");
                signer.update(&canonical(info, &[], None)).expect("update");
                let mac = signer.sign_to_vec().expect("mac");
                let value = child(signature, DS, "SignatureValue").map(text);
                assert_eq!(value, Some(STANDARD.encode(mac)));
            }
        }
        "xpath-transform" | "xslt-transform" => {
            let (algorithm, payload) = if name == "xpath-transform" {
                (XPATH_TRANSFORM, (DS, "XPath"))
            } else {
                (
                    XSLT_TRANSFORM,
                    ("http://www.w3.org/1999/XSL/Transform", "stylesheet"),
                )
            };
            let transforms = all(&doc, DS, "Transforms");
            assert_eq!(transforms.len(), 2);
            for t in transforms {
                let list = children(t, DS, "Transform");
                assert_eq!(list.len(), 3);
                let last = list[2];
                assert_eq!(last.attribute("Algorithm"), Some(algorithm));
                assert!(child(last, payload.0, payload.1).is_some());
            }
            assert_eq!(strict(root), Err("transform_forbidden"));
            assert_eq!(strict(assertion(&doc)), Err("transform_forbidden"));
        }
        "encrypted-wrong-key" => {
            assert!(all(&doc, SAML, "Assertion").is_empty());
            let encrypted = one(&doc, SAML, "EncryptedAssertion");
            let sp = keys_private("sp-rsa");
            let decrypted = xmldsig::decrypt(encrypted, &sp, &Policy::default());
            assert_eq!(
                decrypted.map(|_| ()).map_err(|e| e.code()),
                Err("decryption_failed")
            );
            // It is a good encryption, to the IdP's own certificate.
            let idp = keys_private("idp-rsa-current");
            let plain = xmldsig::decrypt(encrypted, &idp, &Policy::default()).expect("decrypts");
            assert_eq!(name_id_text(parse(&plain).root_element()), USER);
            assert_eq!(strict(root), Ok(()));
        }
        "comment-injection" | "comment-injection-after-signing" => {
            check_comment(case, &doc);
        }
        "duplicate-id" => {
            let id = case.spec.assertion_id.as_str();
            let carriers = elements_with_id(&doc, id);
            assert_eq!(carriers.len(), 2);
            assert_eq!(all(&doc, SAML, "Assertion").len(), 1);
            let extensions = child(root, SAMLP, "Extensions").expect("samlp:Extensions");
            assert!(
                carriers
                    .iter()
                    .any(|c| c.parent_element() == Some(extensions))
            );
            // The IdP's signatures are intact; only the unique-ID rule refuses.
            assert_eq!(strict(root), Ok(()));
            assert_eq!(strict(assertion(&doc)), Err("duplicate_id"));
        }
        other => panic!("no check for fault {other}: add one"),
    }
}

fn keys_private(stem: &str) -> xmldsig::PrivateKey {
    let dir = keys::keys_dir();
    let read = |ext: &str| std::fs::read(dir.join(format!("{stem}.{ext}"))).expect("fixture");
    xmldsig::PrivateKey::from_pem(&read("key"), Some(&read("crt"))).expect("fixture key")
}

fn check_comment(case: &Case, doc: &Document) {
    let whole = format!("{USER}{COMMENT_SUFFIX}");
    let a = assertion(doc);
    let n = name_id(a).expect("NameID");
    // The comment splits the text where a truncating reader would stop ...
    let kinds: Vec<_> = n.children().map(|c| c.node_type()).collect();
    assert_eq!(
        kinds,
        [
            roxmltree::NodeType::Text,
            roxmltree::NodeType::Comment,
            roxmltree::NodeType::Text
        ]
    );
    assert_eq!(n.first_child().and_then(|c| c.text()), Some(USER));
    assert!(
        case.xml
            .contains(&format!(">{USER}<!---->{COMMENT_SUFFIX}</"))
    );
    // ... while the value, all its character data, is the whole signed value, and the signatures
    // (which never cover comments) verify.
    assert_eq!(text(n), whole);
    signed_by_idp(doc);
    let emails: Vec<_> = attribute_values(a)
        .into_iter()
        .filter(|(name, _)| name == "email")
        .collect();
    assert_eq!(emails, [("email".to_owned(), whole.clone())]);
    let email = child(a, SAML, "AttributeStatement")
        .into_iter()
        .flat_map(|s| children(s, SAML, "Attribute"))
        .find(|x| x.attribute("Name") == Some("email"))
        .and_then(|x| child(x, SAML, "AttributeValue"))
        .expect("email value");
    let comments_in_email = email.children().filter(|c| c.is_comment()).count();
    if case.fault.name == "comment-injection" {
        assert_eq!(
            comments_in_email, 0,
            "the IdP put its comment in the NameID only"
        );
    } else {
        assert_eq!(
            comments_in_email, 1,
            "the attacker edits every value read as the user"
        );
    }
}

fn check_doctype(case: &Case) {
    let qname = format!("{}:Response", case.p());
    let name_id_close = format!("</{}:NameID>", case.a());
    let (subset, reference) = if case.fault.name == "doctype" {
        (
            r#"<!ENTITY xxe SYSTEM "file:///etc/passwd">"#.to_owned(),
            "&xxe;",
        )
    } else {
        let mut entities = String::from(r#"<!ENTITY lol0 "lol">"#);
        for i in 1..10 {
            let previous = format!("&lol{};", i - 1).repeat(10);
            entities.push_str(&format!(r#"<!ENTITY lol{i} "{previous}">"#));
        }
        (entities, "&lol9;")
    };
    let head = format!("<!DOCTYPE {qname} [{subset}]>\n");
    let body = case
        .xml
        .strip_prefix(&head)
        .unwrap_or_else(|| panic!("starts with {head}"));
    if case.fault.name == "billion-laughs" {
        assert_eq!(body.matches("<!ENTITY").count(), 0);
        assert_eq!(case.xml.matches("<!ENTITY lol").count(), 10);
        assert_eq!(case.xml.matches("&lol8;").count(), 10);
    }
    // The rest is the valid response with the entity as the NameID.
    assert_eq!(
        body,
        case.valid.replacen(
            &format!(">{USER}{name_id_close}"),
            &format!(">{reference}{name_id_close}"),
            1
        )
    );
    assert!(matches!(
        Document::parse(case.xml),
        Err(roxmltree::Error::DtdDetected)
    ));
    assert_eq!(
        xmldsig::parse_str(case.xml, &xmldsig::Limits::default())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("doctype_forbidden")
    );
}

// ---------------------------------------------------------------------------------------------
// Wrapping.

/// An assertion's role in a wrapped document: evil (attacker's content) or the original (the
/// signed content, possibly without its signature).
fn assert_evil(a: Node, id: &str, signed: bool) {
    assert_eq!(a.attribute("ID"), Some(id));
    assert_eq!(name_id_text(a), EVIL_USER);
    assert_eq!(has_signature(a), signed, "evil signature presence");
}

fn assert_original(a: Node, id: &str, signed: bool) {
    assert_eq!(a.attribute("ID"), Some(id));
    assert_eq!(name_id_text(a), USER);
    assert_eq!(has_signature(a), signed, "original signature presence");
}

fn check_wrapping(case: &Case) {
    let doc = parse(case.xml);
    let root = doc.root_element();
    let id = case.spec.assertion_id.as_str();
    let rid = case.spec.response_id.as_str();
    let trusted = current();
    // Every wrapping leaves two assertions in the document: the count alone refuses them.
    assert_eq!(all(&doc, SAML, "Assertion").len(), 2, "two assertions");
    let direct = direct_assertions(&doc);
    match case.fault.name {
        "xsw1" | "xsw2" => {
            assert_eq!(root.attribute("ID"), Some(EVIL_RESPONSE_ID));
            assert_evil(assertion(&doc), id, false);
            let signature = signature_of(root);
            let hidden = all(&doc, SAMLP, "Response")
                .into_iter()
                .find(|r| *r != root)
                .expect("the original Response");
            assert_eq!(hidden.attribute("ID"), Some(rid));
            assert!(!has_signature(hidden));
            assert_original(
                child(hidden, SAML, "Assertion").expect("original"),
                id,
                false,
            );
            if case.fault.name == "xsw1" {
                assert_eq!(element_children(signature).last(), Some(&hidden));
                assert_eq!(strict(root), Err("unexpected_structure"));
            } else {
                assert_eq!(hidden.parent_element(), Some(root));
                assert_eq!(hidden.next_sibling_element(), Some(signature));
                assert_eq!(strict(root), Err("reference_mismatch"));
            }
            assert!(naive_verifies(signature, hidden, &trusted));
            assert_eq!(elements_with_id(&doc, id).len(), 2, "assertion ID twice");
        }
        "xsw3" => {
            assert_eq!(direct.len(), 2);
            assert_evil(direct[0], EVIL_ASSERTION_ID, false);
            assert_original(direct[1], id, true);
            assert_eq!(strict(direct[0]), Err("missing_signature"));
            assert_eq!(strict(direct[1]), Ok(()));
        }
        "xsw4" => {
            assert_eq!(direct.len(), 1);
            assert_evil(direct[0], EVIL_ASSERTION_ID, false);
            let original = *element_children(direct[0]).last().expect("children");
            assert!(original.has_tag_name((SAML, "Assertion")));
            assert_original(original, id, true);
            assert_eq!(strict(direct[0]), Err("missing_signature"));
            assert_eq!(strict(original), Ok(()));
        }
        "xsw5" => {
            assert_eq!(direct.len(), 2);
            assert_evil(direct[0], EVIL_ASSERTION_ID, true);
            assert_original(direct[1], id, false);
            assert_eq!(element_children(root).last(), Some(&direct[1]));
            assert_eq!(strict(direct[0]), Err("reference_mismatch"));
            assert!(naive_verifies(signature_of(direct[0]), direct[1], &trusted));
        }
        "xsw6" | "xsw8" | "wrap-ds-object" => {
            let evil_id = if case.fault.name == "xsw6" {
                EVIL_ASSERTION_ID
            } else {
                id
            };
            assert_eq!(direct.len(), 1);
            assert_evil(direct[0], evil_id, true);
            let signature = signature_of(direct[0]);
            let last = *element_children(signature)
                .last()
                .expect("signature children");
            let original = match case.fault.name {
                "xsw6" => last,
                _ => {
                    // XSW8's Object has no namespace (SAMLRaider creates it so); ours is ds:Object.
                    let object_ns = if case.fault.name == "xsw8" {
                        None
                    } else {
                        Some(DS)
                    };
                    assert_eq!(last.tag_name().name(), "Object");
                    assert_eq!(last.tag_name().namespace(), object_ns);
                    child(last, SAML, "Assertion").expect("original in Object")
                }
            };
            assert_original(original, id, false);
            assert_eq!(strict(direct[0]), Err("unexpected_structure"));
            assert!(naive_verifies(signature, original, &trusted));
        }
        "xsw7" => {
            assert_eq!(direct.len(), 1);
            assert_original(direct[0], id, true);
            let extensions = direct[0].prev_sibling_element().expect("Extensions");
            assert_eq!(extensions.tag_name().name(), "Extensions");
            assert_eq!(extensions.tag_name().namespace(), None);
            let evil = child(extensions, SAML, "Assertion").expect("evil in Extensions");
            assert_evil(evil, id, false);
            assert_eq!(strict(direct[0]), Err("duplicate_id"));
            assert!(naive_verifies(signature_of(direct[0]), direct[0], &trusted));
        }
        "wrap-extensions" => {
            assert_eq!(direct.len(), 1);
            assert_evil(direct[0], id, false);
            let extensions = child(root, SAMLP, "Extensions").expect("samlp:Extensions");
            assert_eq!(
                extensions
                    .next_sibling_element()
                    .map(|s| s.tag_name().name()),
                Some("Status")
            );
            let original = child(extensions, SAML, "Assertion").expect("original");
            assert_original(original, id, true);
            assert_eq!(strict(direct[0]), Err("missing_signature"));
            assert_eq!(strict(original), Err("duplicate_id"));
            assert!(naive_verifies(signature_of(original), original, &trusted));
        }
        "wrap-advice" => {
            assert_eq!(direct.len(), 1);
            assert_evil(direct[0], EVIL_ASSERTION_ID, false);
            let advice = child(direct[0], SAML, "Advice").expect("saml:Advice");
            assert_eq!(
                advice.prev_sibling_element().map(|s| s.tag_name().name()),
                Some("Conditions")
            );
            let original = child(advice, SAML, "Assertion").expect("original in Advice");
            assert_original(original, id, true);
            assert_eq!(strict(direct[0]), Err("missing_signature"));
            assert_eq!(strict(original), Ok(()));
        }
        "wrap-evil-first" => {
            assert_eq!(direct.len(), 2);
            assert_evil(direct[0], id, true);
            assert_original(direct[1], id, true);
            assert_eq!(strict(direct[0]), Err("duplicate_id"));
            assert_eq!(strict(direct[1]), Err("duplicate_id"));
            assert!(!naive_verifies(
                signature_of(direct[0]),
                direct[0],
                &trusted
            ));
            assert!(naive_verifies(signature_of(direct[1]), direct[1], &trusted));
        }
        other => panic!("no check for wrapping fault {other}: add one"),
    }
    if case.fault.name.starts_with("xsw1") || case.fault.name.starts_with("xsw2") {
        return;
    }
    // The assertion attacks work on the Assertion signature alone.
    assert!(!has_signature(root));
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn valid_specs_are_positive_controls() {
    for spec in specs() {
        let xml = build(&spec, NOW).expect("builds").xml;
        let doc = parse(&xml);
        signed_by_idp(&doc);
        assert_eq!(prefix(&xml, doc.root_element()), spec.prefixes.protocol);
        assert_eq!(prefix(&xml, assertion(&doc)), spec.prefixes.assertion);
        assert_eq!(name_id_text(assertion(&doc)), USER);
    }
}

/// Reply-URL faults leave the XML exactly valid (Destination and Recipient are the ACS) and
/// change only where or how the browser delivers it.
fn check_reply_url(case: &Case) {
    assert_eq!(case.xml, case.valid, "the valid response, unchanged");
    let delivered = effective_spec(Some(case.fault), case.spec);
    assert_eq!(delivered.destination, case.spec.destination);
    assert_eq!(delivered.recipient, case.spec.recipient);
    let how = (
        delivered.reply_url.as_str(),
        delivered.method,
        case.fault.via_redirect,
    );
    let expected = match case.fault.name {
        "reply-url-trailing-slash" => (format!("{ACS}/"), HttpMethod::Post, None),
        "reply-url-case" => (
            "https://www.qualified.io/api/saml/Consume".to_owned(),
            HttpMethod::Post,
            None,
        ),
        "reply-url-double-slash" => (
            "https://www.qualified.io/api//saml/consume".to_owned(),
            HttpMethod::Post,
            None,
        ),
        "reply-url-stale-path" => (
            "https://www.qualified.io/saml/consume".to_owned(),
            HttpMethod::Post,
            None,
        ),
        "sign-on-url-get" => (ACS.to_owned(), HttpMethod::Get, None),
        "reply-url-redirect-301" => (ACS.to_owned(), HttpMethod::Post, Some(Redirect::Moved301)),
        "reply-url-redirect-308" => (
            ACS.to_owned(),
            HttpMethod::Post,
            Some(Redirect::Permanent308),
        ),
        other => panic!("no check for Reply-URL fault {other}: add one"),
    };
    assert_eq!(how, (expected.0.as_str(), expected.1, expected.2));
}

#[test]
fn every_fault_does_what_its_summary_says() {
    for spec in specs() {
        let valid = build(&spec, NOW).expect("valid builds").xml;
        for fault in FAULTS {
            let xml = fault
                .build(&spec, NOW)
                .unwrap_or_else(|e| panic!("{} builds: {e}", fault.name))
                .xml;
            let case = Case {
                fault,
                spec: &spec,
                xml: &xml,
                valid: &valid,
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&case)));
            if let Err(panic) = outcome {
                eprintln!(
                    "fault {} ({} prefixes):\n{xml}\n",
                    fault.name, spec.prefixes.protocol
                );
                std::panic::resume_unwind(panic);
            }
        }
    }
}

#[test]
fn no_two_faults_produce_identical_xml() {
    for spec in specs() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for fault in FAULTS.iter().filter(|f| changes_the_xml(f)) {
            let xml = fault.build(&spec, NOW).expect("builds").xml;
            if let Some(other) = seen.insert(xml, fault.name) {
                panic!("{other} and {} produce the same XML", fault.name);
            }
        }
    }
}

/// Replay posts the valid response twice; Reply-URL faults deliver the valid response to the
/// wrong place or in the wrong way. Every other fault is in the XML.
fn changes_the_xml(fault: &Fault) -> bool {
    fault.name != "replay" && fault.class != Class::ReplyUrl
}

#[test]
fn faults_differ_from_the_valid_response_except_in_delivery() {
    for spec in specs() {
        let valid = build(&spec, NOW).expect("builds").xml;
        for fault in FAULTS {
            let xml = fault.build(&spec, NOW).expect("builds").xml;
            assert_eq!(xml != valid, changes_the_xml(fault), "{}", fault.name);
        }
    }
}

/// Other valid shapes a preset or a caller may use: each fault must start from any of them.
fn other_valid_shapes() -> Vec<(String, ResponseSpec)> {
    let base = ResponseSpec::valid(ISSUER);
    let mut shapes = Vec::new();
    for placement in [Placement::Response, Placement::Assertion] {
        let mut spec = base.clone();
        spec.signing.placement = placement;
        shapes.push((format!("placement {}", placement.name()), spec));
    }
    let mut ec = base.clone();
    ec.signing.key_type = KeyType::Ec;
    ec.signing.signature = SignatureAlgorithm::EcdsaSha256;
    shapes.push(("EC key".to_owned(), ec));
    let mut encrypted = base.clone();
    encrypted.signing.placement = Placement::Assertion;
    encrypted.encryption = Some(Encryption {
        cipher: BlockCipher::Aes128Cbc,
        transport: KeyTransport::RsaOaepMgf1p {
            digest: DigestAlgorithm::Sha1,
        },
        to: EncryptTo::Sp,
    });
    shapes.push(("encrypted, assertion signed".to_owned(), encrypted));
    let mut skewed = base.clone();
    skewed.times.clock_offset = Duration::minutes(2);
    skewed.signing.include_certificate = false;
    shapes.push(("clock +2 min, no KeyInfo".to_owned(), skewed));
    shapes.push((
        "loopback ACS".to_owned(),
        base.clone()
            .for_sp(
                "http://127.0.0.1:8080/api/saml/consume",
                "http://127.0.0.1:8080",
            )
            .numbered(7)
            .answering("_request-1"),
    ));
    for preset in mock_idp::presets::PRESETS {
        shapes.push((format!("preset {}", preset.name), preset.spec()));
    }
    shapes
}

#[test]
fn every_fault_builds_from_other_valid_shapes() {
    for (shape, spec) in other_valid_shapes() {
        let valid = build(&spec, NOW)
            .unwrap_or_else(|e| panic!("{shape}: valid builds: {e}"))
            .xml;
        for fault in FAULTS {
            let xml = fault
                .build(&spec, NOW)
                .unwrap_or_else(|e| panic!("{shape}: {} builds: {e}", fault.name))
                .xml;
            // ECDSA signatures and encryption are randomised, so replay's equality with the
            // valid response is checked on the deterministic specs only.
            if changes_the_xml(fault) {
                assert_ne!(xml, valid, "{shape}: {}", fault.name);
            }
            if !matches!(fault.name, "doctype" | "billion-laughs") {
                parse(&xml);
            }
        }
    }
}

#[test]
fn time_faults_hold_against_a_skewed_idp_clock() {
    // The windows are set against the true time, so an IdP clock offset does not undo them.
    let mut spec = ResponseSpec::valid(ISSUER);
    spec.times.clock_offset = Duration::minutes(-2);
    let expired = faults::by_name("expired").expect("fault");
    let xml = expired.build(&spec, NOW).expect("builds").xml;
    let doc = parse(&xml);
    assert!(instant(conditions(assertion(&doc)), "NotOnOrAfter") < NOW - SKEW);
    assert_eq!(instant(doc.root_element(), "IssueInstant"), NOW);
}

#[test]
fn unknown_fault_lists_every_name() {
    let error = faults::by_name("nope").err().expect("unknown");
    let names: Vec<&str> = FAULTS.iter().map(|f| f.name).collect();
    assert_eq!(error.choices, names);
    let message = error.to_string();
    for name in &names {
        assert!(message.contains(name), "{message}");
    }
    for fault in FAULTS {
        assert_eq!(faults::by_name(fault.name).map(|f| f.name), Ok(fault.name));
    }
}

/// Lowercase words of letters and digits joined by single hyphens; a dot only inside a version
/// number (`version-1.1`).
fn is_kebab_case(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.')
        })
        && bytes.iter().enumerate().all(|(i, b)| {
            *b != b'.'
                || (i > 0
                    && i + 1 < bytes.len()
                    && bytes[i - 1].is_ascii_digit()
                    && bytes[i + 1].is_ascii_digit())
        })
}

#[test]
fn names_summaries_and_expectations_are_well_formed() {
    let mut names = std::collections::HashSet::new();
    for fault in FAULTS {
        assert!(is_kebab_case(fault.name), "{}", fault.name);
        assert!(names.insert(fault.name), "duplicate {}", fault.name);
        assert!(!fault.summary.trim().is_empty(), "{}", fault.name);
        assert!(!fault.summary.contains('\n'), "{}: one line", fault.name);
        assert!(!fault.note.contains('\n'), "{}: one line", fault.name);
        // What a correct SP answers is a DESIGN.md rejection code for anything wrong with the
        // XML, and a diagnosis code (the request missed the ACS) only for Reply-URL faults.
        if let Expected::Refused(code) = fault.expected {
            assert_eq!(
                code.diagnosis_status().is_some(),
                fault.class == Class::ReplyUrl,
                "{}: {code}",
                fault.name
            );
            assert!(CODES.contains(&code.as_str()), "{}: {code}", fault.name);
        }
        assert_eq!(
            fault.posts,
            if fault.name == "replay" { 2 } else { 1 },
            "{}",
            fault.name
        );
    }
    assert!(!is_kebab_case("Wrong_Issuer"));
    assert!(!is_kebab_case("a--b"));
    assert!(!is_kebab_case("v.1"));
}

#[test]
fn the_catalogue_covers_the_brief() {
    let mut expected = vec![
        "wrong-issuer",
        "missing-issuer",
        "assertion-issuer-mismatch",
        "wrong-audience",
        "missing-audience",
        "expired",
        "not-yet-valid",
        "stale-issue-instant",
        "future-issue-instant",
        "missing-bearer-not-on-or-after",
        "unknown-in-response-to",
        "status-responder",
        "no-assertion",
        "two-assertions",
        "unsigned",
        "signature-stripped",
        "attacker-resigned",
        "sha1",
        "hmac",
        "xpath-transform",
        "xslt-transform",
        "comment-injection",
        "comment-injection-after-signing",
        "doctype",
        "billion-laughs",
        "duplicate-id",
        "replay",
        "other-team-issuer",
        "encrypted-wrong-key",
        "version-1.1",
        "missing-name-id",
        "no-email",
        "expired-certificate",
        // The field's Reply URL problems (issue #10): slash, case, double slash, a stale path,
        // a GET from a Sign-on URL, and a redirect in front of the ACS (and its control).
        "reply-url-trailing-slash",
        "reply-url-case",
        "reply-url-double-slash",
        "reply-url-stale-path",
        "sign-on-url-get",
        "reply-url-redirect-301",
        "reply-url-redirect-308",
    ];
    let urls: Vec<String> = ["destination", "recipient"]
        .iter()
        .flat_map(|field| {
            ["trailing-slash", "apex", "http", "case", "other-path"]
                .iter()
                .map(move |v| format!("{field}-{v}"))
        })
        .collect();
    expected.extend(urls.iter().map(String::as_str));
    let xsw: Vec<String> = (1..=8).map(|n| format!("xsw{n}")).collect();
    expected.extend(xsw.iter().map(String::as_str));
    for name in expected {
        assert!(faults::by_name(name).is_ok(), "missing fault {name}");
    }
    assert!(
        FAULTS
            .iter()
            .filter(|f| f.name.starts_with("wrap-"))
            .count()
            >= 2
    );
}

#[test]
fn summaries_name_the_values_they_use() {
    // Summaries are what `mock-idp faults` shows, so they carry values, not constant names.
    for (name, value) in [
        ("wrong-issuer", UNKNOWN_ISSUER),
        ("assertion-issuer-mismatch", UNKNOWN_ISSUER),
        ("other-team-issuer", OTHER_TEAM_ISSUER),
        ("wrong-audience", OTHER_AUDIENCE),
        ("unknown-in-response-to", UNKNOWN_REQUEST_ID),
        ("xsw1", EVIL_RESPONSE_ID),
        ("xsw3", EVIL_ASSERTION_ID),
    ] {
        let summary = faults::by_name(name).expect("fault").summary;
        assert!(summary.contains(value), "{name}: {summary}");
    }
    for fault in FAULTS {
        assert!(
            !fault.summary.contains("_ISSUER") && !fault.summary.contains("_AUDIENCE"),
            "{}: {}",
            fault.name,
            fault.summary
        );
    }
}

#[test]
fn every_code_the_catalogue_knows_is_a_design_code() {
    let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(known, CODES);
}

proptest::proptest! {
    /// Any ACS an SP may have (scheme, host, port, path depth, a query): every Reply-URL fault
    /// keeps Destination and Recipient on it and the host and port as they were, sends the
    /// browser to an http(s) URL that still parses, and changes the URL exactly when it does
    /// not change the method or add a redirect instead.
    #[test]
    fn reply_url_faults_move_only_the_browser_for_any_acs(
        https in proptest::bool::ANY,
        host in "[a-z]{1,8}(\\.[a-z]{2,5}){0,2}",
        port in proptest::option::of(1024u16..65535),
        segments in proptest::collection::vec("[a-z]{1,6}", 0..4),
        trailing_slash in proptest::bool::ANY,
        query in proptest::option::of("[a-z]{1,4}=[a-z0-9]{1,4}"),
    ) {
        let mut acs = format!(
            "{}://{host}{}/{}",
            if https { "https" } else { "http" },
            port.map(|p| format!(":{p}")).unwrap_or_default(),
            segments.join("/"),
        );
        if trailing_slash && !segments.is_empty() {
            acs.push('/');
        }
        if let Some(query) = &query {
            acs.push('?');
            acs.push_str(query);
        }
        let original = url::Url::parse(&acs).expect("a valid ACS");
        let spec = ResponseSpec::valid(ISSUER).for_sp(&acs, "https://sp.example");
        for fault in FAULTS.iter().filter(|f| f.class == Class::ReplyUrl) {
            let delivered = effective_spec(Some(fault), &spec);
            proptest::prop_assert_eq!(delivered.destination.as_deref(), Some(acs.as_str()));
            proptest::prop_assert_eq!(delivered.recipient.as_deref(), Some(acs.as_str()));
            let target = url::Url::parse(&delivered.reply_url)
                .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{}: {e}", fault.name)))?;
            proptest::prop_assert!(matches!(target.scheme(), "http" | "https"));
            proptest::prop_assert_eq!(target.host_str(), original.host_str(), "{}", fault.name);
            proptest::prop_assert_eq!(target.port(), original.port(), "{}", fault.name);
            let moves_url = delivered.method == spec.method && fault.via_redirect.is_none();
            proptest::prop_assert_eq!(
                delivered.reply_url != acs,
                moves_url,
                "{}: {} from {}",
                fault.name,
                delivered.reply_url,
                acs
            );
        }
    }
}
