//! Differential tests against `xmlsec1`, the independent witness DESIGN.md names for `xmldsig`
//! ("Why `xmldsig` is ours"): what one signs, the other verifies, in both directions; what one
//! rejects, the other rejects too. Canonicalization of whole documents is held against `xmllint`
//! in `c14n_xmllint.rs`; subtrees (an element under ancestors that declare namespaces) are held
//! here, since only a signature exercises them in xmlsec1.
//!
//! Every test returns early with a notice when `xmlsec1` is absent, and fails instead when
//! `SSOLAB_REQUIRE_XMLSEC1=1` (see `external/mod.rs`).

mod common;
mod external;

use std::process::Command;
use xmldsig::ns::{DS, ENVELOPED_SIGNATURE, EXC_C14N};
use xmldsig::{DigestAlgorithm, KeyKind, Limits, Policy, SignOptions, SignatureAlgorithm};

const RESPONSE_ID: &str = "_resp7d1c0e2b";
const ASSERTION_ID: &str = "_assert4a9f3b61";

/// Elements whose `ID` attribute xmlsec1 must treat as an XML ID: it reads no schema, so without
/// `--id-attr` a `URI="#…"` reference resolves to nothing.
const ID_ELEMENTS: [&str; 3] = [
    "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
    "urn:oasis:names:tc:SAML:2.0:protocol:Response",
    "urn:example:ssolab:inner-default:Item",
];

const SHA1_ALLOWED: Policy = Policy {
    allow_sha1: true,
    allow_rsa_v15_key_transport: false,
    allow_cbc: true,
};

fn policy_for(algorithm: SignatureAlgorithm, digest: DigestAlgorithm) -> Policy {
    if algorithm.digest() == DigestAlgorithm::Sha1 || digest == DigestAlgorithm::Sha1 {
        SHA1_ALLOWED
    } else {
        Policy::default()
    }
}

fn current_key_stem(algorithm: SignatureAlgorithm) -> &'static str {
    match algorithm.key_kind() {
        KeyKind::Rsa => "idp-rsa-current",
        KeyKind::Ec => "idp-ec-current",
    }
}

// ---------------------------------------------------------------------------------------------
// Running xmlsec1

/// The `ds:Signature` child of the element whose ID is `id`: xmlsec1 checks the first signature
/// in document order unless told where to start, and a Response's signature precedes its
/// Assertion's.
fn signature_xpath(id: &str) -> String {
    format!("//*[@ID='{id}']/*[local-name()='Signature' and namespace-uri()='{DS}']")
}

fn xmlsec1_command(action: &str, signed_id: &str) -> Command {
    let mut command = external::xmlsec1().expect("xmlsec1 was found when the test started");
    command.arg(action);
    for element in ID_ELEMENTS {
        command.arg("--id-attr:ID").arg(element);
    }
    command.arg("--node-xpath").arg(signature_xpath(signed_id));
    command
}

/// What xmlsec1 said about a document.
struct Outcome {
    ok: bool,
    report: String,
}

/// `xmlsec1 --verify` of the signature of element `signed_id`, with the key of `cert_stem`'s
/// certificate as the only trusted key.
fn xmlsec1_verify(xml: &str, signed_id: &str, cert_stem: &str) -> Outcome {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = external::write_file(dir.path(), "signed.xml", xml.as_bytes());
    let mut command = xmlsec1_command("--verify", signed_id);
    command
        .arg("--pubkey-cert-pem")
        .arg(common::fixture_path(&format!("{cert_stem}.crt")))
        .arg(&file);
    let output = external::run(&mut command);
    Outcome {
        ok: output.status.success(),
        report: external::describe(&command, &output),
    }
}

/// `xmlsec1 --sign` of the signature template under element `signed_id` with `key_stem`.
fn xmlsec1_sign(template: &str, signed_id: &str, key_stem: &str) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = external::write_file(dir.path(), "template.xml", template.as_bytes());
    let output_path = dir.path().join("signed.xml");
    let key = common::fixture_path(&format!("{key_stem}.key"));
    let cert = common::fixture_path(&format!("{key_stem}.crt"));
    let mut command = xmlsec1_command("--sign", signed_id);
    command
        .arg("--privkey-pem")
        .arg(format!("{},{}", key.display(), cert.display()))
        .arg("--output")
        .arg(&output_path)
        .arg(&input);
    let output = external::run(&mut command);
    assert!(
        output.status.success(),
        "xmlsec1 could not sign:\n{}\ntemplate:\n{template}",
        external::describe(&command, &output)
    );
    std::fs::read_to_string(&output_path).expect("xmlsec1 wrote its output")
}

// ---------------------------------------------------------------------------------------------
// Running xmldsig

/// `xmldsig::verify` of the signature of element `signed_id` against `cert_stem`'s certificate;
/// on success, the algorithms the verifier reports.
fn xmldsig_verify(
    xml: &str,
    signed_id: &str,
    cert_stem: &str,
    policy: &Policy,
) -> Result<(SignatureAlgorithm, DigestAlgorithm), xmldsig::Error> {
    let doc = xmldsig::parse_str(xml, &Limits::default())?;
    let element = xmldsig::element_by_id(&doc, signed_id)?;
    let verified = xmldsig::verify(element, &[common::cert(cert_stem)], policy)?;
    Ok((verified.signature_algorithm(), verified.digest_algorithm()))
}

fn xmldsig_sign(xml: &str, id: &str, key_stem: &str, options: &SignOptions) -> String {
    xmldsig::sign(xml, id, &common::key(key_stem), options)
        .unwrap_or_else(|e| panic!("xmldsig::sign of #{id} with {key_stem} ({options:?}): {e}"))
}

// ---------------------------------------------------------------------------------------------
// Documents

/// Which elements of the SAML response carry a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signed {
    Assertion,
    Response,
    Both,
}

impl Signed {
    const ALL: [Signed; 3] = [Signed::Assertion, Signed::Response, Signed::Both];

    fn ids(self) -> &'static [&'static str] {
        match self {
            Signed::Assertion => &[ASSERTION_ID],
            Signed::Response => &[RESPONSE_ID],
            Signed::Both => &[ASSERTION_ID, RESPONSE_ID],
        }
    }
}

/// The SAML response signed by xmldsig; with `Both`, the Assertion first, as an IdP does, so
/// that the Response's digest covers the Assertion's signature.
fn xmldsig_signed_response(signed: Signed, key_stem: &str, options: &SignOptions) -> String {
    let mut xml = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    for id in signed.ids() {
        xml = xmldsig_sign(&xml, id, key_stem, options);
    }
    xml
}

/// The shape of a `ds:Signature` template for `xmlsec1 --sign`.
#[derive(Debug, Clone, Copy)]
struct Template<'a> {
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
    /// The prefix for the XML-DSig namespace; `None` declares it as the default namespace, as
    /// ADFS does.
    ds_prefix: Option<&'a str>,
    /// InclusiveNamespaces PrefixList of the Reference's exc-c14n transform.
    reference_prefixes: Option<&'a str>,
    /// InclusiveNamespaces PrefixList of SignedInfo's CanonicalizationMethod.
    signed_info_prefixes: Option<&'a str>,
}

impl<'a> Template<'a> {
    fn new(algorithm: SignatureAlgorithm) -> Self {
        Template {
            algorithm,
            digest: algorithm.digest(),
            ds_prefix: Some("ds"),
            reference_prefixes: None,
            signed_info_prefixes: None,
        }
    }

    fn reference_prefixes(self, list: &'a str) -> Self {
        Template {
            reference_prefixes: Some(list),
            ..self
        }
    }

    fn signed_info_prefixes(self, list: &'a str) -> Self {
        Template {
            signed_info_prefixes: Some(list),
            ..self
        }
    }

    fn unprefixed(self) -> Self {
        Template {
            ds_prefix: None,
            ..self
        }
    }

    /// The empty signature for the element whose ID is `id`.
    fn render(&self, id: &str) -> String {
        let (p, declaration) = match self.ds_prefix {
            Some(prefix) => (format!("{prefix}:"), format!("xmlns:{prefix}=\"{DS}\"")),
            None => (String::new(), format!("xmlns=\"{DS}\"")),
        };
        let c14n = |prefixes: Option<&str>, element: &str| match prefixes {
            None => format!(r#"<{p}{element} Algorithm="{EXC_C14N}"/>"#),
            Some(list) => format!(
                r#"<{p}{element} Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{list}"/></{p}{element}>"#
            ),
        };
        format!(
            concat!(
                r#"<{p}Signature {declaration}><{p}SignedInfo>{signed_info_c14n}"#,
                r#"<{p}SignatureMethod Algorithm="{signature}"/>"#,
                r##"<{p}Reference URI="#{id}"><{p}Transforms>"##,
                r#"<{p}Transform Algorithm="{enveloped}"/>{reference_c14n}</{p}Transforms>"#,
                r#"<{p}DigestMethod Algorithm="{digest}"/><{p}DigestValue></{p}DigestValue>"#,
                r#"</{p}Reference></{p}SignedInfo><{p}SignatureValue></{p}SignatureValue>"#,
                r#"<{p}KeyInfo><{p}X509Data/></{p}KeyInfo></{p}Signature>"#
            ),
            p = p,
            declaration = declaration,
            signed_info_c14n = c14n(self.signed_info_prefixes, "CanonicalizationMethod"),
            signature = self.algorithm.uri(),
            id = id,
            enveloped = ENVELOPED_SIGNATURE,
            reference_c14n = c14n(self.reference_prefixes, "Transform"),
            digest = self.digest.uri(),
        )
    }
}

/// `xml` with `template` placed where SAML wants a signature: right after the `saml:Issuer` that
/// is the first child of the element whose ID is `id`, else first in it.
fn insert_template(xml: &str, id: &str, template: &str) -> String {
    let attribute = format!("ID=\"{id}\"");
    let at = xml
        .find(&attribute)
        .unwrap_or_else(|| panic!("no element with {attribute}"));
    // The test documents have no '>' inside attribute values.
    let tag_end = at + xml[at..].find('>').expect("start tag ends") + 1;
    let content = &xml[tag_end..];
    let insert_at = if content.trim_start().starts_with("<saml:Issuer") {
        let close = "</saml:Issuer>";
        tag_end + content.find(close).expect("Issuer closes") + close.len()
    } else {
        tag_end
    };
    format!("{}{template}{}", &xml[..insert_at], &xml[insert_at..])
}

/// `xml` with its element `id` signed by xmlsec1 through `template`.
fn xmlsec1_signed(xml: &str, id: &str, key_stem: &str, template: &Template) -> String {
    xmlsec1_sign(
        &insert_template(xml, id, &template.render(id)),
        id,
        key_stem,
    )
}

/// Replaces the only occurrence of `from` in `xml` with `to`.
fn replace_once(xml: &str, from: &str, to: &str) -> String {
    assert_eq!(xml.matches(from).count(), 1, "{from:?} occurs once");
    xml.replacen(from, to, 1)
}

/// One character of the NameID text changed: `alice` → `alicf`.
fn tamper_name_id(xml: &str) -> String {
    replace_once(
        xml,
        ">alice@example.com</saml:NameID>",
        ">alicf@example.com</saml:NameID>",
    )
}

/// One base64 character of the SignatureValue of element `id` changed, away from the start
/// (so an RSA value stays below the modulus) and from the padding.
fn tamper_signature_value(xml: &str, id: &str) -> String {
    let element = xml
        .find(&format!("ID=\"{id}\""))
        .expect("signed element exists");
    let value_start = element
        + xml[element..]
            .find("SignatureValue>")
            .expect("SignatureValue exists")
        + "SignatureValue>".len();
    let (offset, c) = xml[value_start..]
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_whitespace())
        .nth(20)
        .expect("SignatureValue is long enough");
    let at = value_start + offset;
    let replacement = if c == 'A' { "B" } else { "A" };
    format!("{}{replacement}{}", &xml[..at], &xml[at + c.len_utf8()..])
}

fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n----------------------------------------\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 1. What xmldsig signs, xmlsec1 verifies.

#[test]
fn xmlsec1_verifies_what_xmldsig_signs_with_every_algorithm_on_assertion_response_and_both() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for algorithm in SignatureAlgorithm::ALL {
        let key = current_key_stem(algorithm);
        let options = SignOptions {
            signature: algorithm,
            digest: algorithm.digest(),
            include_certificate: true,
        };
        let policy = policy_for(algorithm, options.digest);
        for signed in Signed::ALL {
            let xml = xmldsig_signed_response(signed, key, &options);
            for id in signed.ids() {
                let case = format!("{algorithm:?}, {signed:?} signed, signature of #{id}");
                let xmlsec1 = xmlsec1_verify(&xml, id, key);
                if !xmlsec1.ok {
                    failures.push(format!(
                        "{case}: xmlsec1 rejects it\n{}\n{xml}",
                        xmlsec1.report
                    ));
                }
                // Positive control: xmldsig accepts its own signature, and names its algorithms.
                match xmldsig_verify(&xml, id, key, &policy) {
                    Ok(found) if found == (algorithm, options.digest) => {}
                    other => failures.push(format!("{case}: xmldsig verify gave {other:?}")),
                }
                if policy.allow_sha1 {
                    let strict = xmldsig_verify(&xml, id, key, &Policy::default());
                    if strict.as_ref().map_err(xmldsig::Error::code) != Err("sha1_forbidden") {
                        failures.push(format!(
                            "{case}: the default policy should refuse SHA-1, gave {strict:?}"
                        ));
                    }
                }
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn xmlsec1_verifies_xmldsig_signatures_whose_digest_differs_from_the_signature_hash() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for (algorithm, digest) in [
        (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha1),
        (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha384),
        (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha512),
        (SignatureAlgorithm::RsaSha512, DigestAlgorithm::Sha256),
        (SignatureAlgorithm::EcdsaSha256, DigestAlgorithm::Sha512),
        (SignatureAlgorithm::EcdsaSha384, DigestAlgorithm::Sha256),
    ] {
        let key = current_key_stem(algorithm);
        let options = SignOptions {
            signature: algorithm,
            digest,
            include_certificate: true,
        };
        let xml = xmldsig_signed_response(Signed::Assertion, key, &options);
        let case = format!("{algorithm:?} with a {digest:?} digest");
        let xmlsec1 = xmlsec1_verify(&xml, ASSERTION_ID, key);
        if !xmlsec1.ok {
            failures.push(format!("{case}: xmlsec1 rejects it\n{}", xmlsec1.report));
        }
        match xmldsig_verify(&xml, ASSERTION_ID, key, &policy_for(algorithm, digest)) {
            Ok(found) if found == (algorithm, digest) => {}
            other => failures.push(format!("{case}: xmldsig verify gave {other:?}")),
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn xmlsec1_and_xmldsig_check_the_signature_of_the_element_asked_for() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let key = "idp-rsa-current";
    let xml = xmldsig_signed_response(Signed::Both, key, &SignOptions::default());
    // Positive control: both signatures verify in both.
    for id in [ASSERTION_ID, RESPONSE_ID] {
        let xmlsec1 = xmlsec1_verify(&xml, id, key);
        assert!(xmlsec1.ok, "#{id}: {}", xmlsec1.report);
        assert!(
            xmldsig_verify(&xml, id, key, &Policy::default()).is_ok(),
            "#{id}"
        );
    }
    // A change in the Response outside the Assertion breaks only the Response's signature.
    let tampered = replace_once(
        &xml,
        r#"Destination="https://www.qualified.io/api/saml/consume""#,
        r#"Destination="https://www.qualified.io/api/saml/consumf""#,
    );
    let xmlsec1 = xmlsec1_verify(&tampered, ASSERTION_ID, key);
    assert!(xmlsec1.ok, "assertion signature: {}", xmlsec1.report);
    assert!(xmldsig_verify(&tampered, ASSERTION_ID, key, &Policy::default()).is_ok());
    let xmlsec1 = xmlsec1_verify(&tampered, RESPONSE_ID, key);
    assert!(!xmlsec1.ok, "response signature: {}", xmlsec1.report);
    assert_eq!(
        xmldsig_verify(&tampered, RESPONSE_ID, key, &Policy::default()).map_err(|e| e.code()),
        Err("digest_mismatch")
    );
}

// ---------------------------------------------------------------------------------------------
// 2. What xmlsec1 signs, xmldsig verifies.

/// Checks a document signed by xmlsec1 with xmldsig; on failure, says whether xmlsec1 itself
/// accepts the document, which tells a template mistake from an xmldsig bug.
fn check_xmldsig_accepts(
    failures: &mut Vec<String>,
    case: &str,
    xml: &str,
    id: &str,
    key: &str,
    expected: (SignatureAlgorithm, DigestAlgorithm),
) {
    let policy = policy_for(expected.0, expected.1);
    match xmldsig_verify(xml, id, key, &policy) {
        Ok(found) if found == expected => {}
        other => {
            let xmlsec1 = xmlsec1_verify(xml, id, key);
            failures.push(format!(
                "{case}: xmldsig verify of #{id} gave {other:?}; xmlsec1 {} it\n{}\n{xml}",
                if xmlsec1.ok { "accepts" } else { "rejects" },
                xmlsec1.report
            ));
        }
    }
}

#[test]
fn xmldsig_verifies_what_xmlsec1_signs_with_every_algorithm() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    let mut failures = Vec::new();
    for algorithm in SignatureAlgorithm::ALL {
        let key = current_key_stem(algorithm);
        let template = Template::new(algorithm);
        let xml = xmlsec1_signed(&unsigned, ASSERTION_ID, key, &template);
        check_xmldsig_accepts(
            &mut failures,
            &format!("{template:?}"),
            &xml,
            ASSERTION_ID,
            key,
            (algorithm, template.digest),
        );
    }
    assert_no_failures(&failures);
}

#[test]
fn xmldsig_verifies_xmlsec1_signatures_with_inclusive_namespaces_and_unprefixed_signatures() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    let mut failures = Vec::new();
    for algorithm in [
        SignatureAlgorithm::RsaSha256,
        SignatureAlgorithm::EcdsaSha256,
    ] {
        let key = current_key_stem(algorithm);
        let base = Template::new(algorithm);
        for template in [
            // Okta, OneLogin and Shibboleth name `xs`: it is used only inside xsi:type values.
            base.reference_prefixes("xs"),
            base.reference_prefixes("xs").signed_info_prefixes("xs"),
            base.reference_prefixes("#default saml xs xsi")
                .signed_info_prefixes("ds saml xs"),
            base.unprefixed(),
            base.unprefixed().reference_prefixes("xs #default"),
        ] {
            for id in [ASSERTION_ID, RESPONSE_ID] {
                let xml = xmlsec1_signed(&unsigned, id, key, &template);
                check_xmldsig_accepts(
                    &mut failures,
                    &format!("{template:?}"),
                    &xml,
                    id,
                    key,
                    (algorithm, template.digest),
                );
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn xmldsig_verifies_both_signatures_when_xmlsec1_signs_assertion_and_response() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let key = "idp-rsa-current";
    let template = Template::new(SignatureAlgorithm::RsaSha256).reference_prefixes("xs");
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    let assertion_signed = xmlsec1_signed(&unsigned, ASSERTION_ID, key, &template);
    let xml = xmlsec1_signed(&assertion_signed, RESPONSE_ID, key, &template);
    let mut failures = Vec::new();
    for id in [ASSERTION_ID, RESPONSE_ID] {
        check_xmldsig_accepts(
            &mut failures,
            "both signed",
            &xml,
            id,
            key,
            (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha256),
        );
    }
    assert_no_failures(&failures);
}

#[test]
fn xmldsig_verifies_xmlsec1_signatures_laid_out_as_idps_lay_them_out() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let key = "idp-rsa-current";
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    let mut failures = Vec::new();
    for id in [ASSERTION_ID, RESPONSE_ID] {
        let template = Template::new(SignatureAlgorithm::RsaSha256).reference_prefixes("xs");
        let rendered = template.render(id);

        // Pretty-printed: whitespace around the signature is signed content of the element,
        // and whitespace inside SignedInfo is signed content of SignedInfo.
        let pretty = format!("\n    {}\n    ", rendered.replace("><", ">\n      <"));
        let xml = xmlsec1_sign(&insert_template(&unsigned, id, &pretty), id, key);
        check_xmldsig_accepts(
            &mut failures,
            "pretty-printed signature",
            &xml,
            id,
            key,
            (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha256),
        );

        // `ds` declared on the Response rather than on Signature, so SignedInfo's canonical
        // form must bring the declaration down from an ancestor.
        let declaration = format!(r#" xmlns:ds="{DS}""#);
        let bare = replace_once(&rendered, &declaration, "");
        let rooted = replace_once(
            &unsigned,
            "<samlp:Response ",
            &format!("<samlp:Response{declaration} "),
        );
        let xml = xmlsec1_sign(&insert_template(&rooted, id, &bare), id, key);
        check_xmldsig_accepts(
            &mut failures,
            "ds declared on the Response",
            &xml,
            id,
            key,
            (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha256),
        );
    }
    assert_no_failures(&failures);
}

// ---------------------------------------------------------------------------------------------
// 3. Tampering fails in both.

/// The SAML response with its Assertion signed by each implementation, with RSA and with EC.
fn assertion_signed_by_each(key: &str) -> Vec<(&'static str, String)> {
    let algorithm = if key.contains("-ec-") {
        SignatureAlgorithm::EcdsaSha256
    } else {
        SignatureAlgorithm::RsaSha256
    };
    let options = SignOptions {
        signature: algorithm,
        ..SignOptions::default()
    };
    let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
    vec![
        (
            "signed by xmldsig",
            xmldsig_sign(&unsigned, ASSERTION_ID, key, &options),
        ),
        (
            "signed by xmlsec1",
            xmlsec1_signed(
                &unsigned,
                ASSERTION_ID,
                key,
                &Template::new(algorithm).reference_prefixes("xs"),
            ),
        ),
    ]
}

/// Runs both verifiers on an untampered document (both must accept) and on its tampered copy
/// (both must reject, xmldsig with `code`).
fn check_tamper(
    failures: &mut Vec<String>,
    case: &str,
    original: &str,
    tampered: &str,
    key: &str,
    code: &str,
) {
    let xmlsec1 = xmlsec1_verify(original, ASSERTION_ID, key);
    if !xmlsec1.ok {
        failures.push(format!(
            "{case}, untampered: xmlsec1 rejects it\n{}",
            xmlsec1.report
        ));
    }
    if let Err(e) = xmldsig_verify(original, ASSERTION_ID, key, &Policy::default()) {
        failures.push(format!("{case}, untampered: xmldsig rejects it: {e:?}"));
    }
    let xmlsec1 = xmlsec1_verify(tampered, ASSERTION_ID, key);
    if xmlsec1.ok {
        failures.push(format!(
            "{case}, tampered: xmlsec1 accepts it\n{}",
            xmlsec1.report
        ));
    }
    let got = xmldsig_verify(tampered, ASSERTION_ID, key, &Policy::default());
    if got.as_ref().map_err(xmldsig::Error::code) != Err(code) {
        failures.push(format!(
            "{case}, tampered: xmldsig gave {got:?}, expected {code}"
        ));
    }
}

#[test]
fn one_character_changed_in_name_id_fails_in_both_with_digest_mismatch() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for key in ["idp-rsa-current", "idp-ec-current"] {
        for (origin, xml) in assertion_signed_by_each(key) {
            check_tamper(
                &mut failures,
                &format!("{key}, {origin}, alice→alicf"),
                &xml,
                &tamper_name_id(&xml),
                key,
                "digest_mismatch",
            );
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn one_character_changed_in_signature_value_fails_in_both_with_signature_invalid() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for key in ["idp-rsa-current", "idp-ec-current"] {
        for (origin, xml) in assertion_signed_by_each(key) {
            check_tamper(
                &mut failures,
                &format!("{key}, {origin}, SignatureValue changed"),
                &xml,
                &tamper_signature_value(&xml, ASSERTION_ID),
                key,
                "signature_invalid",
            );
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn signature_by_the_attackers_key_fails_in_both_against_the_trusted_certificate() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for (trusted, attacker) in [
        ("idp-rsa-current", "idp-rsa-attacker"),
        ("idp-ec-current", "idp-ec-attacker"),
    ] {
        // The attacker's certificate rides in KeyInfo, with the trusted one's subject: both
        // verifiers must ignore it and use only the key they were given.
        for (origin, xml) in assertion_signed_by_each(attacker) {
            let case = format!("{attacker}, {origin}");
            // Positive control: the document is well signed, by the attacker's key.
            let xmlsec1 = xmlsec1_verify(&xml, ASSERTION_ID, attacker);
            if !xmlsec1.ok {
                failures.push(format!(
                    "{case}: xmlsec1 rejects it with the attacker's own certificate\n{}",
                    xmlsec1.report
                ));
            }
            if let Err(e) = xmldsig_verify(&xml, ASSERTION_ID, attacker, &Policy::default()) {
                failures.push(format!(
                    "{case}: xmldsig rejects it with the attacker's own certificate: {e:?}"
                ));
            }
            let xmlsec1 = xmlsec1_verify(&xml, ASSERTION_ID, trusted);
            if xmlsec1.ok {
                failures.push(format!(
                    "{case}: xmlsec1 accepts it with {trusted}\n{}",
                    xmlsec1.report
                ));
            }
            let got = xmldsig_verify(&xml, ASSERTION_ID, trusted, &Policy::default());
            if got.as_ref().map_err(xmldsig::Error::code) != Err("signature_invalid") {
                failures.push(format!(
                    "{case}: xmldsig with {trusted} gave {got:?}, expected signature_invalid"
                ));
            }
        }
    }
    assert_no_failures(&failures);
}

// ---------------------------------------------------------------------------------------------
// 4. Subtree canonicalization: a signed element deep under ancestors that declare namespaces.

const DEEP_ASSERTION_ID: &str = "_deep_assertion";
const DEEP_ITEM_ID: &str = "_deep_item";

/// A document whose signed elements sit under ancestors declaring: a default namespace (changed
/// twice on the way down, and undeclared with `xmlns=""` inside), prefixes nothing in the
/// signed subtrees uses, a prefix (`ext`) that a signed element uses only through an attribute,
/// `saml` bound first to a wrong URI and then redeclared, `xs` used only inside an attribute
/// value, and `xml:lang`/`xml:space`, which exclusive c14n must not carry into the subtree.
fn deep_document() -> String {
    r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- outside the root -->
<env:Envelope xmlns="urn:example:ssolab:outer-default" xmlns:env="urn:example:ssolab:envelope" xmlns:unused="urn:example:ssolab:unused" xmlns:ext="urn:example:ssolab:extension" xmlns:saml="urn:example:ssolab:not-saml" xml:lang="en" xml:space="preserve" unused:note="not in any signed subtree">
  <env:Header xmlns:xs="urn:example:ssolab:not-xml-schema"><Routing>r</Routing></env:Header>
  <env:Body xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:also-unused="urn:example:ssolab:also-unused">
    <Container xmlns="urn:example:ssolab:inner-default" ext:role="wrapper">
      <saml:Assertion ID="_deep_assertion" Version="2.0" IssueInstant="2026-11-28T12:00:00Z" ext:flag="prefix used only by this attribute" flag="unqualified">
        <saml:Issuer>https://idp.example.org/metadata</saml:Issuer>
        <saml:Subject xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
          <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID>
        </saml:Subject>
        <Note xml:lang="fr">inner default namespace &amp; &lt;escaped&gt; text, a CR&#13;, a tab&#9;: é 中 😀</Note>
        <Plain xmlns="" attr="tab&#9;newline&#10;quote&quot;lt&lt;">no namespace<Inner xmlns="urn:example:ssolab:inner-default">back in</Inner></Plain>
        <!-- a comment inside the signed subtree, dropped by exc-c14n -->
        <ext:Item xmlns:ext="urn:example:ssolab:extension-v2" ext:kind="redeclared" kind="plain"><ext:Sub xmlns:ext="urn:example:ssolab:extension-v2">same URI again</ext:Sub></ext:Item>
        <saml:AttributeStatement>
          <saml:Attribute Name="email"><saml:AttributeValue xsi:type="xs:string">alice@example.com</saml:AttributeValue></saml:Attribute>
        </saml:AttributeStatement>
        <?app some processing instruction?>
        <Empty/><EmptyPair></EmptyPair><![CDATA[<raw> & "cdata"]]>
      </saml:Assertion>
      <Item ID="_deep_item" ext:flag="x" xml:lang="de"><Value>default-namespace element, signed with no Issuer</Value><env:Back>envelope prefix again</env:Back></Item>
    </Container>
  </env:Body>
</env:Envelope>
"##
    .to_owned()
}

#[test]
fn xmlsec1_verifies_xmldsig_signatures_on_elements_nested_under_namespace_declarations() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for algorithm in [
        SignatureAlgorithm::RsaSha256,
        SignatureAlgorithm::EcdsaSha256,
    ] {
        let key = current_key_stem(algorithm);
        let options = SignOptions {
            signature: algorithm,
            ..SignOptions::default()
        };
        for id in [DEEP_ASSERTION_ID, DEEP_ITEM_ID] {
            let xml = xmldsig_sign(&deep_document(), id, key, &options);
            let case = format!("{algorithm:?}, #{id} signed by xmldsig");
            let xmlsec1 = xmlsec1_verify(&xml, id, key);
            if !xmlsec1.ok {
                failures.push(format!(
                    "{case}: xmlsec1 rejects it\n{}\n{xml}",
                    xmlsec1.report
                ));
            }
            if let Err(e) = xmldsig_verify(&xml, id, key, &Policy::default()) {
                failures.push(format!("{case}: xmldsig rejects it: {e:?}"));
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn xmldsig_verifies_xmlsec1_signatures_on_elements_nested_under_namespace_declarations() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let mut failures = Vec::new();
    for algorithm in [
        SignatureAlgorithm::RsaSha256,
        SignatureAlgorithm::EcdsaSha256,
    ] {
        let key = current_key_stem(algorithm);
        let base = Template::new(algorithm);
        for template in [
            base,
            base.reference_prefixes("xs"),
            base.reference_prefixes("#default ext unused xs")
                .signed_info_prefixes("#default saml"),
            base.unprefixed(),
        ] {
            for id in [DEEP_ASSERTION_ID, DEEP_ITEM_ID] {
                let xml = xmlsec1_signed(&deep_document(), id, key, &template);
                check_xmldsig_accepts(
                    &mut failures,
                    &format!("{template:?}"),
                    &xml,
                    id,
                    key,
                    (algorithm, template.digest),
                );
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn tampering_inside_a_nested_signed_element_fails_in_both() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let key = "idp-rsa-current";
    let mut failures = Vec::new();
    let documents = [
        (
            "signed by xmldsig",
            xmldsig_sign(
                &deep_document(),
                DEEP_ASSERTION_ID,
                key,
                &SignOptions::default(),
            ),
        ),
        (
            "signed by xmlsec1",
            xmlsec1_signed(
                &deep_document(),
                DEEP_ASSERTION_ID,
                key,
                &Template::new(SignatureAlgorithm::RsaSha256),
            ),
        ),
    ];
    for (origin, xml) in documents {
        // A namespace binding is signed content: rebinding the prefix that the Assertion uses
        // only through an attribute changes the digest, though no element or text changed.
        for (what, tampered) in [
            ("NameID alice→alicf", tamper_name_id(&xml)),
            (
                "ext rebound on Container",
                replace_once(
                    &xml,
                    r#"<Container xmlns="urn:example:ssolab:inner-default" ext:role="wrapper">"#,
                    r#"<Container xmlns="urn:example:ssolab:inner-default" xmlns:ext="urn:example:ssolab:evil" ext:role="wrapper">"#,
                ),
            ),
        ] {
            let case = format!("{origin}, {what}");
            let xmlsec1 = xmlsec1_verify(&tampered, DEEP_ASSERTION_ID, key);
            if xmlsec1.ok {
                failures.push(format!("{case}: xmlsec1 accepts it\n{}", xmlsec1.report));
            }
            let got = xmldsig_verify(&tampered, DEEP_ASSERTION_ID, key, &Policy::default());
            if got.as_ref().map_err(xmldsig::Error::code) != Err("digest_mismatch") {
                failures.push(format!(
                    "{case}: xmldsig gave {got:?}, expected digest_mismatch"
                ));
            }
        }
        // Positive control, and an unsigned ancestor's change that must not matter.
        let harmless = replace_once(
            &xml,
            r#"xmlns:unused="urn:example:ssolab:unused""#,
            r#"xmlns:unused="urn:example:ssolab:changed-unused""#,
        );
        for (what, doc) in [
            ("untampered", &xml),
            ("unused ancestor prefix rebound", &harmless),
        ] {
            let case = format!("{origin}, {what}");
            let xmlsec1 = xmlsec1_verify(doc, DEEP_ASSERTION_ID, key);
            if !xmlsec1.ok {
                failures.push(format!("{case}: xmlsec1 rejects it\n{}", xmlsec1.report));
            }
            if let Err(e) = xmldsig_verify(doc, DEEP_ASSERTION_ID, key, &Policy::default()) {
                failures.push(format!("{case}: xmldsig rejects it: {e:?}"));
            }
        }
    }
    assert_no_failures(&failures);
}

// ---------------------------------------------------------------------------------------------
// Regressions: disagreements found by these tests.

/// XML 1.0 §2.11 normalizes every CRLF (and bare CR) of the input to LF, inside processing
/// instructions too, so a PI written with CRLF inside a signed element is signed as LF by
/// libxml2-based signers. xmldsig keeps the CR of a PI and canonicalizes it as `&#xD;`, so it
/// disagrees with xmlsec1 in both directions (whole-document form of the same bug:
/// `c14n_xmllint.rs`, `processing_instruction_line_ends_are_normalized_like_the_rest_of_the_document`).
#[test]
fn processing_instruction_written_with_crlf_inside_the_signed_element_verifies_in_both() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let key = "idp-rsa-current";
    let with_crlf =
        |xml: &str| replace_once(xml, "<?trace hop=1\nhop=2?>", "<?trace hop=1\r\nhop=2?>");
    let unsigned = replace_once(
        &common::saml_response(RESPONSE_ID, ASSERTION_ID),
        "<saml:Subject>",
        "<?trace hop=1\nhop=2?><saml:Subject>",
    );
    let mut failures = Vec::new();

    // xmlsec1 signs (writing the PI back with LF); the document is then sent with CRLF, which
    // changes nothing that XML-DSig signs.
    let signed = with_crlf(&xmlsec1_signed(
        &unsigned,
        ASSERTION_ID,
        key,
        &Template::new(SignatureAlgorithm::RsaSha256),
    ));
    let xmlsec1 = xmlsec1_verify(&signed, ASSERTION_ID, key);
    if !xmlsec1.ok {
        failures.push(format!(
            "signed by xmlsec1, sent with CRLF: xmlsec1 rejects it\n{}",
            xmlsec1.report
        ));
    }
    if let Err(e) = xmldsig_verify(&signed, ASSERTION_ID, key, &Policy::default()) {
        failures.push(format!(
            "signed by xmlsec1, sent with CRLF: xmldsig rejects it ({}: {e})",
            e.code()
        ));
    }

    // xmldsig signs the CRLF document.
    let signed = xmldsig_sign(
        &with_crlf(&unsigned),
        ASSERTION_ID,
        key,
        &SignOptions::default(),
    );
    let xmlsec1 = xmlsec1_verify(&signed, ASSERTION_ID, key);
    if !xmlsec1.ok {
        failures.push(format!(
            "signed by xmldsig with CRLF: xmlsec1 rejects it\n{}",
            xmlsec1.report
        ));
    }
    assert_no_failures(&failures);
}
