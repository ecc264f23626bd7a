//! Property tests: whatever is done to a signed document, `verify` never panics, and it accepts
//! only what the signer signed, only with the signer's certificate.
//!
//! Signing happens once per fixture (cached in a `OnceLock`); each case only edits text, parses
//! and verifies, so the file runs in a few seconds in a debug build.
//!
//! Every element of a mutated document is offered to `verify`, not only the assertion: a
//! mutation that moves the signature or duplicates an ID must not make *some other* element
//! verify either.

mod common;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use roxmltree::{Document, Node};
use std::ops::Range;
use std::sync::OnceLock;
use xmldsig::{
    Certificate, DigestAlgorithm, Limits, Policy, SignOptions, SignatureAlgorithm, canonicalize,
    parse, parse_str, sign, verify,
};

const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const RESPONSE_ID: &str = "_resp-2e7a9c41";
const ASSERTION_ID: &str = "_assert-b3f80d6e";

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Failures are reported with their minimal input; no regression files are written next
        // to the tests.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// An element inside the signed subtree, by byte positions in the signed text.
#[derive(Debug, Clone)]
struct ElementSite {
    range: Range<usize>,
    /// The qualified name in the start tag.
    qname: Range<usize>,
    /// Just past the `>` of the start tag.
    start_tag_end: usize,
    self_closing: bool,
}

impl ElementSite {
    fn of(xml: &str, node: Node) -> Self {
        let range = node.range();
        let name_start = range.start + 1;
        let name_len = xml[name_start..]
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .expect("a start tag ends");
        let mut quote = None;
        let mut start_tag_end = range.end;
        for (i, b) in xml.as_bytes()[range.start..].iter().enumerate() {
            match (quote, *b) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(*b),
                (None, b'>') => {
                    start_tag_end = range.start + i + 1;
                    break;
                }
                _ => {}
            }
        }
        ElementSite {
            self_closing: start_tag_end == range.end && xml[..range.end].ends_with("/>"),
            range,
            qname: name_start..name_start + name_len,
            start_tag_end,
        }
    }

    /// The qualified name in the end tag, when there is one.
    fn end_qname(&self) -> Option<Range<usize>> {
        (!self.self_closing).then(|| {
            let len = self.qname.len();
            self.range.end - 1 - len..self.range.end - 1
        })
    }

    /// Just before the `</` of the end tag, when there is one.
    fn end_tag_start(&self) -> Option<usize> {
        self.end_qname().map(|q| q.start - 2)
    }
}

/// Where structural mutations may act, all inside the signed Assertion and outside ds:Signature
/// unless said otherwise.
#[derive(Debug, Clone)]
struct Sites {
    /// Byte offsets of characters of text nodes and attribute values.
    chars: Vec<usize>,
    /// Whole attributes, `name="value"`, each with the whitespace before it.
    attributes: Vec<Range<usize>>,
    /// Elements, the Assertion itself included.
    elements: Vec<ElementSite>,
    /// Where an element can be inserted and stay inside the Assertion and outside the Signature.
    insertion_points: Vec<usize>,
    /// The ds:Signature element.
    signature: Range<usize>,
    /// Starts of content of elements anywhere in the document (outside the Signature) other
    /// than the Assertion: moving the Signature there takes it out of its enveloping position.
    /// (Moving it among the Assertion's own children would leave the signed content unchanged,
    /// and verifying would be right.)
    move_targets: Vec<usize>,
    /// The value of the Reference URI attribute.
    reference_uri: Range<usize>,
}

impl Sites {
    fn of(xml: &str) -> Self {
        let doc = parse_str(xml, &Limits::default()).expect("fixture parses");
        let assertion = doc
            .descendants()
            .find(|n| n.has_tag_name((SAML, "Assertion")))
            .expect("fixture has an assertion");
        let signature = assertion
            .children()
            .find(|n| n.has_tag_name((DS, "Signature")))
            .expect("fixture is signed");
        let in_signature = |n: &Node| n.ancestors().any(|a| a == signature);

        let mut sites = Sites {
            chars: Vec::new(),
            attributes: Vec::new(),
            elements: Vec::new(),
            insertion_points: vec![signature.range().start, signature.range().end],
            signature: signature.range(),
            move_targets: Vec::new(),
            reference_uri: doc
                .descendants()
                .find(|n| n.has_tag_name((DS, "Reference")))
                .and_then(|r| r.attribute_node("URI"))
                .expect("fixture has a Reference URI")
                .range_value(),
        };
        for node in assertion.descendants().filter(|n| !in_signature(n)) {
            if node.is_text() {
                sites.chars.extend(node.range());
            }
            if !node.is_element() {
                continue;
            }
            for attribute in node.attributes() {
                sites.chars.extend(attribute.range_value());
                let range = attribute.range();
                sites.attributes.push(range.start - 1..range.end);
            }
            let site = ElementSite::of(xml, node);
            if node != assertion {
                sites.insertion_points.push(site.range.start);
                sites.insertion_points.push(site.range.end);
            }
            if !site.self_closing {
                sites.insertion_points.push(site.start_tag_end);
                sites.insertion_points.extend(site.end_tag_start());
            }
            sites.elements.push(site);
        }
        for node in doc.descendants().filter(|n| n.is_element()) {
            if node == assertion || in_signature(&node) {
                continue;
            }
            let site = ElementSite::of(xml, node);
            if !site.self_closing {
                sites.move_targets.push(site.start_tag_end);
            }
        }
        sites
    }
}

/// A signed response with what the properties compare against.
struct Fixture {
    xml: String,
    cert: Certificate,
    /// Exclusive c14n of the Assertion without its Signature: what the signer digested.
    canonical: Vec<u8>,
    /// `VerifiedNode::text` of the verified Assertion.
    text: String,
    sites: Sites,
}

impl Fixture {
    fn new(stem: &str, signature: SignatureAlgorithm, digest: DigestAlgorithm) -> Self {
        let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
        let options = SignOptions {
            signature,
            digest,
            include_certificate: true,
        };
        let xml =
            sign(&unsigned, ASSERTION_ID, &common::key(stem), &options).expect("fixture signs");
        let cert = common::cert(stem);
        let (canonical, text) = {
            let doc = parse_str(&xml, &Limits::default()).expect("fixture parses");
            let verified = verified_elements(&doc, &cert);
            let [(node, text)] = &verified[..] else {
                panic!("exactly the assertion verifies in the fixture, got {verified:?}");
            };
            assert_eq!(node.attribute("ID"), Some(ASSERTION_ID));
            (canonical_without_signature(*node), text.clone())
        };
        let sites = Sites::of(&xml);
        Fixture {
            xml,
            cert,
            canonical,
            text,
            sites,
        }
    }
}

fn rsa_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        Fixture::new(
            "idp-rsa-current",
            SignatureAlgorithm::RsaSha256,
            DigestAlgorithm::Sha256,
        )
    })
}

fn ec_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        Fixture::new(
            "idp-ec-current",
            SignatureAlgorithm::EcdsaSha384,
            DigestAlgorithm::Sha512,
        )
    })
}

fn fixture(ec: bool) -> &'static Fixture {
    if ec { ec_fixture() } else { rsa_fixture() }
}

/// The exclusive canonical form of `element` without its ds:Signature child.
fn canonical_without_signature(element: Node) -> Vec<u8> {
    let signature = element
        .children()
        .find(|n| n.has_tag_name((DS, "Signature")));
    let mut out = Vec::new();
    canonicalize(element, &[], signature, &mut out);
    out
}

/// Every element of `doc` that verifies against `cert`, with its verified text. Panics if an
/// error carries the code of an internal failure: input must never cause one.
fn verified_elements<'a, 'i>(
    doc: &'a Document<'i>,
    cert: &Certificate,
) -> Vec<(Node<'a, 'i>, String)> {
    let mut verified = Vec::new();
    for node in doc.descendants().filter(|n| n.is_element()) {
        match verify(node, std::slice::from_ref(cert), &Policy::default()) {
            Ok(v) => verified.push((node, v.element().text())),
            Err(e) => assert_ne!(
                e.code(),
                "crypto_error",
                "input caused an internal error at <{}>: {e}",
                node.tag_name().name()
            ),
        }
    }
    verified
}

// ---------------------------------------------------------------------------------------------
// (a) Structural mutations of the signed content never verify.

#[derive(Debug, Clone)]
enum Rename {
    /// A different local name, same prefix.
    Local,
    /// The `samlp` prefix: another namespace, same local name.
    Namespace,
}

#[derive(Debug, Clone)]
enum Structural {
    ChangeChar { at: Index, to: char },
    DeleteAttribute(Index),
    RenameElement(Index, Rename),
    InsertElement { at: Index, fragment: Index },
    DuplicateElement(Index),
    DuplicateSignature,
    MoveSignature(Index),
    ChangeReferenceUri(String),
}

const FRAGMENTS: [&str; 4] = [
    "<saml:Evil/>",
    r#"<Evil xmlns="urn:evil">x</Evil>"#,
    r#"<saml:Attribute Name="role"><saml:AttributeValue>admin</saml:AttributeValue></saml:Attribute>"#,
    "<saml:Issuer>https://attacker.example</saml:Issuer>",
];

fn structural() -> impl Strategy<Value = Structural> {
    let uri = prop_oneof![
        Just(String::new()),
        Just("#".to_owned()),
        Just(format!("#{RESPONSE_ID}")),
        Just("#xpointer(/)".to_owned()),
        Just(format!("#xpointer(id('{ASSERTION_ID}'))")),
        Just(ASSERTION_ID.to_owned()),
        Just(format!("#{ASSERTION_ID} ")),
        "#[A-Za-z0-9_.-]{0,20}",
        (any::<Index>(), "[A-Za-z0-9_.-]").prop_map(|(at, c)| {
            let mut id: Vec<char> = ASSERTION_ID.chars().collect();
            let i = at.index(id.len());
            id[i] = if id[i].to_string() == c {
                '!'
            } else {
                c.chars().next().unwrap_or('!')
            };
            format!("#{}", id.into_iter().collect::<String>())
        }),
    ]
    .prop_filter("must differ from the signed URI", |u| {
        *u != format!("#{ASSERTION_ID}")
    });
    prop_oneof![
        3 => (any::<Index>(), proptest::char::ranges(vec!['a'..='z', 'A'..='Z', '0'..='9'].into()))
            .prop_map(|(at, to)| Structural::ChangeChar { at, to }),
        1 => any::<Index>().prop_map(Structural::DeleteAttribute),
        1 => (any::<Index>(), prop_oneof![Just(Rename::Local), Just(Rename::Namespace)])
            .prop_map(|(i, r)| Structural::RenameElement(i, r)),
        1 => (any::<Index>(), any::<Index>())
            .prop_map(|(at, fragment)| Structural::InsertElement { at, fragment }),
        1 => any::<Index>().prop_map(Structural::DuplicateElement),
        1 => Just(Structural::DuplicateSignature),
        1 => any::<Index>().prop_map(Structural::MoveSignature),
        1 => uri.prop_map(Structural::ChangeReferenceUri),
    ]
}

fn splice(xml: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &xml[..range.start], &xml[range.end..])
}

fn apply(fixture: &Fixture, mutation: &Structural) -> String {
    let xml = fixture.xml.as_str();
    let sites = &fixture.sites;
    match mutation {
        Structural::ChangeChar { at, to } => {
            let offset = sites.chars[at.index(sites.chars.len())];
            let old = char::from(xml.as_bytes()[offset]);
            let new = match (*to == old, old) {
                (false, _) => *to,
                (true, 'x') => 'y',
                (true, _) => 'x',
            };
            splice(xml, offset..offset + 1, &new.to_string())
        }
        Structural::DeleteAttribute(i) => splice(
            xml,
            sites.attributes[i.index(sites.attributes.len())].clone(),
            "",
        ),
        Structural::RenameElement(i, how) => {
            let site = &sites.elements[i.index(sites.elements.len())];
            let qname = &xml[site.qname.clone()];
            let renamed = match how {
                Rename::Local => format!("{qname}X"),
                Rename::Namespace => match qname.split_once(':') {
                    Some(("samlp", local)) => format!("saml:{local}"),
                    Some((_, local)) => format!("samlp:{local}"),
                    None => format!("samlp:{qname}"),
                },
            };
            // The end tag first, so that the start tag's offsets still hold.
            let xml = match site.end_qname() {
                Some(end) => splice(xml, end, &renamed),
                None => xml.to_owned(),
            };
            splice(&xml, site.qname.clone(), &renamed)
        }
        Structural::InsertElement { at, fragment } => {
            let offset = sites.insertion_points[at.index(sites.insertion_points.len())];
            splice(
                xml,
                offset..offset,
                FRAGMENTS[fragment.index(FRAGMENTS.len())],
            )
        }
        Structural::DuplicateElement(i) => {
            let range = sites.elements[i.index(sites.elements.len())].range.clone();
            splice(xml, range.end..range.end, &xml[range])
        }
        Structural::DuplicateSignature => {
            let range = sites.signature.clone();
            splice(xml, range.end..range.end, &xml[range])
        }
        Structural::MoveSignature(i) => {
            let signature = sites.signature.clone();
            let target = sites.move_targets[i.index(sites.move_targets.len())];
            let text = &xml[signature.clone()];
            let without = splice(xml, signature.clone(), "");
            let target = if target >= signature.end {
                target - signature.len()
            } else {
                target
            };
            splice(&without, target..target, text)
        }
        Structural::ChangeReferenceUri(uri) => splice(xml, sites.reference_uri.clone(), uri),
    }
}

proptest! {
    #![proptest_config(config(768))]

    #[test]
    fn structural_mutations_of_signed_content_never_verify(
        ec in any::<bool>(),
        mutation in structural(),
    ) {
        let fixture = fixture(ec);
        let xml = apply(fixture, &mutation);
        prop_assert_ne!(&xml, &fixture.xml, "the mutation changed nothing");
        // Every structural mutation keeps the document well-formed, so that it is `verify`,
        // not the parser, that refuses it.
        let doc = match parse_str(&xml, &Limits::default()) {
            Ok(doc) => doc,
            Err(e) => return Err(TestCaseError::fail(format!("mutated document does not parse: {e}"))),
        };
        let verified = verified_elements(&doc, &fixture.cert);
        prop_assert!(
            verified.is_empty(),
            "{mutation:?} verified at {:?}",
            verified.iter().map(|(n, _)| n.tag_name().name()).collect::<Vec<_>>()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Byte-level mutations: no panic; anything that still verifies is what was signed.

#[derive(Debug, Clone)]
enum ByteOp {
    Flip { at: Index, mask: u8 },
    Insert { at: Index, byte: u8 },
    Delete { at: Index },
    Truncate { at: Index },
}

fn byte_op() -> impl Strategy<Value = ByteOp> {
    prop_oneof![
        4 => (any::<Index>(), 1..=u8::MAX).prop_map(|(at, mask)| ByteOp::Flip { at, mask }),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| ByteOp::Insert { at, byte }),
        2 => any::<Index>().prop_map(|at| ByteOp::Delete { at }),
        1 => any::<Index>().prop_map(|at| ByteOp::Truncate { at }),
    ]
}

fn apply_bytes(bytes: &mut Vec<u8>, op: &ByteOp) {
    match op {
        ByteOp::Flip { at, mask } if !bytes.is_empty() => {
            let i = at.index(bytes.len());
            bytes[i] ^= mask;
        }
        ByteOp::Insert { at, byte } => {
            let i = at.index(bytes.len() + 1);
            bytes.insert(i, *byte);
        }
        ByteOp::Delete { at } if !bytes.is_empty() => {
            let i = at.index(bytes.len());
            bytes.remove(i);
        }
        ByteOp::Truncate { at } => {
            let i = at.index(bytes.len() + 1);
            bytes.truncate(i);
        }
        _ => {}
    }
}

/// Checks one mutated input: parsing and verifying every element must not panic, and whatever
/// verifies must canonicalize to exactly the fixture's signed bytes and read the same text.
fn check_bytes(fixture: &Fixture, bytes: &[u8]) -> Result<usize, TestCaseError> {
    let limits = Limits::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            let code = parse(bytes, &limits).map(|_| ()).map_err(|e| e.code());
            prop_assert_eq!(code, Err("not_utf8"));
            return Ok(0);
        }
    };
    let Ok(doc) = parse_str(text, &limits) else {
        return Ok(0);
    };
    let verified = verified_elements(&doc, &fixture.cert);
    for (node, verified_text) in &verified {
        let canonical = canonical_without_signature(*node);
        prop_assert_eq!(
            String::from_utf8_lossy(&canonical),
            String::from_utf8_lossy(&fixture.canonical),
            "a mutated document verified with different signed content"
        );
        prop_assert_eq!(verified_text, &fixture.text);
    }
    Ok(verified.len())
}

proptest! {
    #![proptest_config(config(1536))]

    #[test]
    fn byte_mutations_never_panic_and_verify_only_what_was_signed(
        ec in any::<bool>(),
        ops in proptest::collection::vec(byte_op(), 1..=3),
    ) {
        let fixture = fixture(ec);
        let mut bytes = fixture.xml.clone().into_bytes();
        for op in &ops {
            apply_bytes(&mut bytes, op);
        }
        check_bytes(fixture, &bytes)?;
    }
}

/// The positive side of (b), made deterministic: mutations that leave the signed content alone
/// (inside KeyInfo, whitespace between attributes, outside the Assertion) do verify, and the
/// property's comparison holds for them.
#[test]
fn byte_mutations_outside_signed_content_still_verify() {
    for ec in [false, true] {
        let fixture = fixture(ec);
        let xml = &fixture.xml;
        let certificate = xml.find("<ds:X509Certificate>").expect("KeyInfo") + 40;
        let between_attributes = xml
            .find(r#" Version="2.0" IssueInstant"#)
            .expect("assertion attributes")
            + r#" Version="2.0""#.len();
        let destination = xml.find("Destination=\"").expect("Destination") + 20;
        for (at, byte) in [
            (certificate, b'Q'),
            (between_attributes, b'\t'),
            (destination, b'X'),
        ] {
            let mut bytes = xml.clone().into_bytes();
            bytes[at] = if bytes[at] == byte { byte + 1 } else { byte };
            assert_eq!(
                check_bytes(fixture, &bytes).expect("property holds"),
                1,
                "offset {at}"
            );
        }
        // And a byte that lands in the signed content does not.
        let mut bytes = xml.clone().into_bytes();
        let name_id = xml.find(">alice@example.com<").expect("NameID") + 1;
        bytes[name_id] = b'm';
        assert_eq!(check_bytes(fixture, &bytes).expect("property holds"), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// (c) Only the signer's certificate verifies.

const SIGNERS: [&str; 6] = [
    "idp-rsa-current",
    "idp-rsa-next",
    "idp-rsa-attacker",
    "idp-ec-current",
    "idp-ec-next",
    "idp-ec-attacker",
];
/// The signers, then certificates of keys that sign nothing here.
const CERTIFICATES: [&str; 8] = [
    "idp-rsa-current",
    "idp-rsa-next",
    "idp-rsa-attacker",
    "idp-ec-current",
    "idp-ec-next",
    "idp-ec-attacker",
    "idp-rsa-expired",
    "sp-rsa",
];
const HASHES: usize = 3;

fn certificates() -> &'static [Certificate] {
    static CERTS: OnceLock<Vec<Certificate>> = OnceLock::new();
    CERTS.get_or_init(|| CERTIFICATES.iter().map(|s| common::cert(s)).collect())
}

/// `signed()[signer * HASHES + hash]`: the response signed by `SIGNERS[signer]` with SHA-256,
/// -384 or -512.
fn signed() -> &'static [String] {
    static SIGNED: OnceLock<Vec<String>> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let unsigned = common::saml_response(RESPONSE_ID, ASSERTION_ID);
        let mut docs = Vec::new();
        for stem in SIGNERS {
            let key = common::key(stem);
            let rsa = stem.contains("-rsa-");
            let algorithms = if rsa {
                [
                    SignatureAlgorithm::RsaSha256,
                    SignatureAlgorithm::RsaSha384,
                    SignatureAlgorithm::RsaSha512,
                ]
            } else {
                [
                    SignatureAlgorithm::EcdsaSha256,
                    SignatureAlgorithm::EcdsaSha384,
                    SignatureAlgorithm::EcdsaSha512,
                ]
            };
            for (signature, digest) in algorithms.into_iter().zip([
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha384,
                DigestAlgorithm::Sha512,
            ]) {
                let options = SignOptions {
                    signature,
                    digest,
                    include_certificate: true,
                };
                docs.push(sign(&unsigned, ASSERTION_ID, &key, &options).expect("fixture signs"));
            }
        }
        docs
    })
}

fn verify_assertion(xml: &str, trusted: &[Certificate]) -> Result<usize, &'static str> {
    let doc = parse_str(xml, &Limits::default()).map_err(|e| e.code())?;
    let assertion = doc
        .descendants()
        .find(|n| n.has_tag_name((SAML, "Assertion")))
        .ok_or("no_assertion")?;
    verify(assertion, trusted, &Policy::default())
        .map(|v| v.certificate_index())
        .map_err(|e| e.code())
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn only_the_signers_certificate_verifies(
        signer in 0..SIGNERS.len(),
        hash in 0..HASHES,
        picks in proptest::collection::vec(0..CERTIFICATES.len(), 1..=8),
        position in any::<Index>(),
    ) {
        let xml = &signed()[signer * HASHES + hash];
        let all = certificates();
        // A trusted set without the signer, each certificate at most once, in random order.
        let mut chosen: Vec<usize> = Vec::new();
        for pick in picks {
            if pick != signer && !chosen.contains(&pick) {
                chosen.push(pick);
            }
        }
        if chosen.is_empty() {
            chosen.push((signer + 1) % CERTIFICATES.len());
        }
        let trusted: Vec<Certificate> = chosen.iter().map(|&i| all[i].clone()).collect();
        let kind = all[signer].kind();
        let expected = if trusted.iter().any(|c| c.kind() == kind) {
            "signature_invalid"
        } else {
            "no_compatible_certificate"
        };
        prop_assert_eq!(verify_assertion(xml, &trusted), Err(expected));

        // The same set with the signer added anywhere verifies, and names the signer.
        let at = position.index(trusted.len() + 1);
        let mut with_signer = trusted;
        with_signer.insert(at, all[signer].clone());
        prop_assert_eq!(verify_assertion(xml, &with_signer), Ok(at));
    }
}
