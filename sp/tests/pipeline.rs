//! The ACS pipeline end to end on built responses: `decode` → `peek_issuer` → `validate`
//! (`check` then `consume`), with in-memory stores and a fixed clock ([`NOW`]).
//!
//! Every negative test asserts the exact [`Code`] and has its positive control on the same spec
//! (STYLE practice 11). Responses come from `common::response::ResponseSpec`, whose defaults are a
//! valid Okta-shaped response for `SpConfig::qualified()`; attacks are edits of that output.
//!
//! The team is given to [`Acs::post`] instead of being looked up by the peeked Issuer (that lookup,
//! and its `unknown_issuer`, is the web layer's), so a wrong Response Issuer reaches `check` and
//! gives `issuer_mismatch`.

mod common;

use common::*;
use proptest::prelude::*;
use sp::model::{Id, MemberKey, Plan};
use sp::saml::rejection::Code;
use sp::saml::validate::{self, Login};
use time::Duration;
use xmldsig::{DigestAlgorithm, SignatureAlgorithm};

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

/// The login the default spec yields.
fn default_login(acs: &Acs) -> Login {
    Login {
        team_id: acs.team.team.id.clone(),
        assertion_id: DEFAULT_ASSERTION_ID.to_owned(),
        // The later of the SubjectConfirmationData (NOW + 5 min) and Conditions (NOW + 4:58)
        // NotOnOrAfter, plus the 180 s skew.
        replay_until: NOW + Duration::minutes(5) + secs(180),
        in_response_to: None,
        name_id: "alice@corp.com".to_owned(),
        name_id_format: Some(NAME_ID_EMAIL.to_owned()),
        user_name: "alice@corp.com".to_owned(),
        email: Some("alice@corp.com".to_owned()),
        given_name: Some("Alice".to_owned()),
        family_name: Some("Liddell".to_owned()),
        display_name: None,
        session_not_on_or_after: Some(NOW + Duration::hours(8)),
        session_index: Some(DEFAULT_ASSERTION_ID.to_owned()),
        attributes: okta_attributes("alice@corp.com", "Alice", "Liddell"),
    }
}

/// `xml` without any `ds:Signature` element.
fn strip_signatures(xml: &str) -> String {
    let mut out = xml.to_owned();
    while let Some(start) = out.find("<ds:Signature ") {
        let end = out[start..]
            .find("</ds:Signature>")
            .expect("a closed signature")
            + start
            + "</ds:Signature>".len();
        out.replace_range(start..end, "");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Accepted

#[test]
fn accepts_the_default_okta_response_and_reads_the_login() {
    let acs = Acs::new();
    let login = assert_accepted(acs.post_spec(&ResponseSpec::valid()));
    assert_eq!(login, default_login(&acs));
    assert_eq!(
        acs.replay.until(&acs.team.team.id, DEFAULT_ASSERTION_ID),
        Some(login.replay_until)
    );
}

#[test]
fn accepts_every_signature_placement() {
    for signing in [Signing::Response, Signing::Assertion, Signing::Both] {
        let acs = Acs::new();
        let login = acs
            .post_spec(&ResponseSpec::valid().signed(signing))
            .unwrap_or_else(|r| panic!("{signing:?}: {r}"));
        assert_eq!(login, default_login(&acs), "{signing:?}");
    }
}

#[test]
fn accepts_an_ecdsa_signature_from_a_pinned_ec_certificate() {
    let spec = ResponseSpec::valid().with_key(FixtureKey::EcCurrent);
    let mut acs = Acs::new();
    acs.team.certificates = vec![FixtureKey::EcCurrent.certificate()];
    assert_eq!(assert_accepted(acs.post_spec(&spec)), default_login(&acs));
    // Control: the same response against the team's RSA certificate only.
    let acs = Acs::new();
    assert_rejected(acs.post_spec(&spec), Code::SignatureInvalid);
}

#[test]
fn accepts_an_encrypted_assertion_signed_inside() {
    let spec = ResponseSpec::valid().signed(Signing::Assertion).encrypted();
    let xml = spec.xml();
    assert!(
        xml.contains("EncryptedAssertion") && !xml.contains("<saml2:Assertion "),
        "the assertion is encrypted"
    );
    let acs = Acs::new();
    assert_eq!(assert_accepted(acs.post_spec(&spec)), default_login(&acs));
}

#[test]
fn accepts_an_encrypted_assertion_under_a_signed_response() {
    for signing in [Signing::Response, Signing::Both] {
        let acs = Acs::new();
        let login = acs
            .post_spec(&ResponseSpec::valid().signed(signing).encrypted())
            .unwrap_or_else(|r| panic!("{signing:?}: {r}"));
        assert_eq!(login, default_login(&acs), "{signing:?}");
    }
}

#[test]
fn an_encrypted_assertion_needs_the_issuer_on_the_response_since_nothing_is_decrypted_first() {
    // Decrypting costs a private-key operation: nobody may make the SP spend one before a team
    // is known, so the Issuer inside the ciphertext is never looked for.
    let mut spec = ResponseSpec::valid().signed(Signing::Assertion).encrypted();
    let acs = Acs::new();
    assert_eq!(
        validate::peek_issuer(&spec.xml(), &acs.sp).as_deref(),
        Ok(ISSUER)
    );
    assert_eq!(assert_accepted(acs.post_spec(&spec)), default_login(&acs));
    spec.issuer = None;
    let r = assert_rejected(
        validate::peek_issuer(&spec.xml(), &acs.sp),
        Code::UnknownIssuer,
    );
    assert_eq!(
        r.got.as_deref(),
        Some("no Issuer outside the EncryptedAssertion")
    );
    assert_rejected(acs.post_spec(&spec), Code::UnknownIssuer);
}

/// `xml` with one base64 character of the EncryptedData's CipherValue (the last CipherValue of
/// the document) changed, `at` characters into it (negative: from its end).
fn tamper_ciphertext(xml: &str, at: isize) -> String {
    let open = "<xenc:CipherValue>";
    let start = xml.rfind(open).expect("a CipherValue") + open.len();
    let end = start + xml[start..].find('<').expect("closed");
    let index = if at >= 0 {
        start + at as usize
    } else {
        end - at.unsigned_abs()
    };
    let old = xml.as_bytes()[index];
    let new = if old == b'A' { 'B' } else { 'A' };
    format!("{}{new}{}", &xml[..index], &xml[index + 1..])
}

#[test]
fn every_failure_after_the_key_is_used_answers_alike() {
    // The setting of Jager and Somorovsky's attack on XML Encryption (2011): an attacker who
    // can tell a padding error from a parse error learns the plaintext block by block. Every
    // failure from the private-key operation onward must give the client one code and one hint
    // (the status follows from the code); only the log's `got` may differ.
    use base64::Engine;
    let b64 = |xml: &str| base64::engine::general_purpose::STANDARD.encode(xml);
    let gcm = ResponseSpec::valid().signed(Signing::Assertion).encrypted();
    let mut cbc = gcm.clone();
    cbc.encryption.cipher = xmldsig::BlockCipher::Aes128Cbc;
    assert_accepted(Acs::new().post_spec(&gcm));
    assert_accepted(Acs::new().post_spec(&cbc));
    let mut other_key = Acs::new();
    other_key.sp.decryption_key = Some(FixtureKey::RsaNext.private_key().clone());
    let (gcm_xml, cbc_xml) = (gcm.xml(), cbc.xml());
    let cases: Vec<(&str, Result<Login, sp::saml::rejection::Rejection>)> = vec![
        ("the key does not unwrap", other_key.post_spec(&gcm)),
        (
            "GCM tag",
            Acs::new().post(&b64(&tamper_ciphertext(&gcm_xml, 40))),
        ),
        (
            "CBC padding",
            Acs::new().post(&b64(&tamper_ciphertext(&cbc_xml, -6))),
        ),
        // A changed IV changes the first plaintext block: padding passes, the XML does not.
        (
            "CBC plaintext",
            Acs::new().post(&b64(&tamper_ciphertext(&cbc_xml, 2))),
        ),
        ("CBC with the wrong key", other_key.post_spec(&cbc)),
    ];
    let mut answers = std::collections::BTreeSet::new();
    let mut details = std::collections::BTreeSet::new();
    for (label, result) in cases {
        let r = assert_rejected_in(label, result, Code::DecryptionFailed);
        answers.insert((r.code, r.hint.clone()));
        details.insert(r.got.clone());
    }
    assert_eq!(
        answers.len(),
        1,
        "one answer for every failure: {answers:?}"
    );
    assert!(
        details.len() > 1,
        "the log still tells them apart: {details:?}"
    );
}

#[test]
fn decrypts_only_for_a_team_that_expects_encrypted_assertions() {
    let spec = ResponseSpec::valid().signed(Signing::Assertion).encrypted();
    let mut acs = Acs::new();
    acs.team.settings.encrypted_assertions = false;
    let r = assert_rejected(acs.post_spec(&spec), Code::DecryptionFailed);
    assert_eq!(r.got.as_deref(), Some("an EncryptedAssertion"));
    assert!(r.hint.contains("--encrypted-assertions"), "{r}");
    // A plain assertion is unaffected; the same encrypted one logs in once the team expects it
    // (a fresh replay cache: the plain one has the same assertion ID).
    assert_accepted(acs.post_spec(&ResponseSpec::valid()));
    let mut expecting = Acs::new();
    expecting.team.settings.encrypted_assertions = true;
    assert_accepted(expecting.post_spec(&spec));
}

#[test]
fn rejects_a_deflated_redirect_binding_response_by_name() {
    use base64::Engine;
    use std::io::Write;
    let xml = ResponseSpec::valid().xml();
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(xml.as_bytes()).expect("deflate");
    let deflated = deflater.finish().expect("deflate");
    let form_value = base64::engine::general_purpose::STANDARD.encode(deflated);
    let r = assert_rejected(Acs::new().post(&form_value), Code::RedirectBinding);
    assert!(
        r.got.as_deref().is_some_and(|g| g.contains("DEFLATE")),
        "{r}"
    );
    // Bytes that neither are XML nor inflate to XML stay malformed_xml; plain base64 of the XML
    // is accepted.
    let junk = base64::engine::general_purpose::STANDARD.encode([0x9c_u8; 64]);
    assert_rejected(Acs::new().post(&junk), Code::MalformedXml);
    assert_accepted(Acs::new().post(&base64::engine::general_purpose::STANDARD.encode(xml)));
}

const ENTRA_TENANT: &str = "6f1f3b9e-2b1a-4c4e-9a53-0c5cbb1f2a11";

/// A response shaped like Entra ID's: tenant issuer, only the assertion signed, an opaque
/// persistent NameID, claim-URI attributes, the UPN differing from the email.
fn entra_spec() -> ResponseSpec {
    let issuer = format!("https://sts.windows.net/{ENTRA_TENANT}/");
    let mut spec = ResponseSpec::valid()
        .issued_by(&issuer)
        .signed(Signing::Assertion);
    spec.id = "_5c1f3a8e-0d2b-4e7a-9f61-2b8d4c0e7a13".to_owned();
    let claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
    let a = spec.assertion_mut();
    a.id = "_9e7d1c2b-3a4f-4b6e-8d0c-1f2e3d4c5b6a".to_owned();
    a.subject = SubjectId::NameId {
        value: "kX0p9yQ2sV7wL4mN8bR1tZ6cH3jF5gD0aE2uI9oP7qs".to_owned(),
        format: Some(NAME_ID_PERSISTENT.to_owned()),
    };
    a.authn = Some(AuthnSpec {
        authn_instant: NOW - secs(30),
        session_not_on_or_after: None,
        session_index: Some("_9e7d1c2b-3a4f-4b6e-8d0c-1f2e3d4c5b6a".to_owned()),
    });
    a.attributes = [
        (
            "http://schemas.microsoft.com/identity/claims/tenantid",
            ENTRA_TENANT,
        ),
        (
            "http://schemas.microsoft.com/identity/claims/objectidentifier",
            "1f7a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8",
        ),
        (
            "http://schemas.microsoft.com/identity/claims/displayname",
            "Bob Builder",
        ),
        (
            "http://schemas.microsoft.com/identity/claims/identityprovider",
            "https://sts.windows.net/6f1f3b9e-2b1a-4c4e-9a53-0c5cbb1f2a11/",
        ),
        (&format!("{claims}/givenname"), "Bob"),
        (&format!("{claims}/surname"), "Builder"),
        (&format!("{claims}/emailaddress"), "bob@corp.com"),
        (
            &format!("{claims}/name"),
            "bob.builder@corp.onmicrosoft.com",
        ),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), vec![(*v).to_owned()]))
    .collect();
    spec
}

#[test]
fn accepts_an_entra_shaped_response_and_takes_the_email_from_the_claim() {
    let spec = entra_spec();
    let mut acs = Acs::new();
    acs.team = team_with(
        spec.issuer.as_deref().expect("an issuer"),
        Id("fedcba9876543210fedcba9876543210".to_owned()),
    );
    let login = assert_accepted(acs.post_spec(&spec));
    assert_eq!(login.user_name, "bob@corp.com");
    assert_eq!(login.name_id, "kX0p9yQ2sV7wL4mN8bR1tZ6cH3jF5gD0aE2uI9oP7qs");
    assert_eq!(login.name_id_format.as_deref(), Some(NAME_ID_PERSISTENT));
    assert_eq!(login.given_name.as_deref(), Some("Bob"));
    assert_eq!(login.family_name.as_deref(), Some("Builder"));
    assert_eq!(login.display_name.as_deref(), Some("Bob Builder"));
    assert_eq!(login.session_not_on_or_after, None);
    assert_eq!(login.assertion_id, "_9e7d1c2b-3a4f-4b6e-8d0c-1f2e3d4c5b6a");
}

#[test]
fn accepts_the_next_key_during_rollover() {
    let by_next = ResponseSpec::valid().with_key(FixtureKey::RsaNext);
    let mut acs = Acs::new();
    acs.team.certificates = vec![
        FixtureKey::RsaNext.certificate(),
        FixtureKey::RsaCurrent.certificate(),
    ];
    assert_eq!(
        assert_accepted(acs.post_spec(&by_next)),
        default_login(&acs)
    );
    // The current key still verifies while both are published.
    let mut acs2 = Acs::new();
    acs2.team.certificates = acs.team.certificates.clone();
    assert_accepted(acs2.post_spec(&ResponseSpec::valid()));
    // Control: before the metadata publishes the next key, its signature is refused.
    assert_rejected(Acs::new().post_spec(&by_next), Code::SignatureInvalid);
}

#[test]
fn accepts_base64_wrapped_in_lines() {
    let value = ResponseSpec::valid().form_value();
    let wrapped: String = value
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
        .collect();
    assert_accepted(Acs::new().post(&wrapped));
}

#[test]
fn accepts_a_leading_byte_order_mark() {
    // AD FS and Entra write one into saved files; it is legal XML.
    let xml = ResponseSpec::valid().xml();
    assert_accepted(Acs::new().post(&encode(&format!("\u{feff}{xml}"))));
}

#[test]
fn accepts_a_response_issuer_left_out_when_the_assertion_names_it() {
    let mut spec = ResponseSpec::valid();
    spec.issuer = None;
    let acs = Acs::new();
    assert_eq!(
        validate::peek_issuer(&spec.xml(), &acs.sp).as_deref(),
        Ok(ISSUER)
    );
    assert_accepted(acs.post_spec(&spec));
}

#[test]
fn accepts_a_later_bearer_confirmation_when_the_first_fails() {
    let mut spec = ResponseSpec::valid();
    let mut wrong = Confirmation::bearer(NOW);
    if let Some(d) = wrong.data.as_mut() {
        d.recipient = Some("https://other.example/acs".to_owned());
    }
    spec.assertion_mut().confirmations.insert(0, wrong);
    assert_accepted(Acs::new().post_spec(&spec));
    // Control: with the wrong one alone, its failure is reported.
    spec.assertion_mut().confirmations.truncate(1);
    assert_rejected(Acs::new().post_spec(&spec), Code::RecipientMismatch);
}

// ---------------------------------------------------------------------------------------------
// Before any XML parser: decode

#[test]
fn rejects_a_form_value_that_is_not_base64() {
    let good = ResponseSpec::valid().form_value();
    assert_accepted(Acs::new().post(&good));
    // A value percent-encoded twice on the way (its `=` padding became `%3D`).
    let twice = format!("{}%3D", good.trim_end_matches('='));
    assert_rejected(Acs::new().post(&twice), Code::NotBase64);
    assert_rejected(Acs::new().post("<samlp:Response/>"), Code::NotBase64);
}

/// What `decode` must agree with: the scalar, strict decoder of the `base64` crate, after the
/// whitespace IdPs put between lines is taken out.
fn reference_decode(value: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `decode` accepts exactly what the strict scalar decoder accepts, and yields the same
    /// text: encoded UTF-8 with lines wrapped, and arbitrary near-base64 strings.
    #[test]
    fn decode_agrees_with_the_scalar_decoder(
        text in "\\PC{0,300}",
        wrap in prop::option::of(1usize..80),
        noise in "[A-Za-z0-9+/=\\s%-]{0,64}",
    ) {
        use base64::Engine;
        let sp = sp::config::SpConfig::qualified();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&text);
        let wrapped = match wrap {
            Some(n) => encoded
                .as_bytes()
                .chunks(n)
                .map(|c| std::str::from_utf8(c).expect("ascii"))
                .collect::<Vec<_>>()
                .join("\r\n"),
            None => encoded,
        };
        prop_assert_eq!(validate::decode(&wrapped, &sp).ok(), Some(text));
        let expected = reference_decode(&noise).map(|bytes| String::from_utf8(bytes).ok());
        match (validate::decode(&noise, &sp), expected) {
            (Ok(decoded), Some(Some(text))) => prop_assert_eq!(decoded, text),
            (Err(r), None) => prop_assert_eq!(r.code, Code::NotBase64),
            (Err(r), Some(None)) => prop_assert_eq!(r.code, Code::MalformedXml),
            (got, expected) => prop_assert!(false, "{noise:?}: {got:?} vs {expected:?}"),
        }
    }
}

#[test]
fn rejects_a_form_value_too_large_before_decoding_it() {
    let spec = ResponseSpec::valid();
    let xml = spec.xml();
    let mut acs = Acs::new();
    acs.sp.limits.max_bytes = xml.len();
    assert_accepted(acs.post_spec(&spec));
    let mut acs = Acs::new();
    acs.sp.limits.max_bytes = xml.len() / 2;
    let r = assert_rejected(acs.post_spec(&spec), Code::TooLarge);
    assert!(
        r.got.as_deref().is_some_and(|g| g.starts_with("about ")),
        "refused from the base64 length: {r}"
    );
}

#[test]
fn rejects_a_document_too_large_once_decoded() {
    let spec = ResponseSpec::valid();
    let xml = spec.xml();
    let mut acs = Acs::new();
    acs.sp.limits.max_bytes = xml.len() - 1;
    let r = assert_rejected(acs.post_spec(&spec), Code::TooLarge);
    assert_eq!(
        r.got,
        Some(format!("{} bytes", xml.len())),
        "refused after decoding: {r}"
    );
    // The default cap (256 KiB) on a document one byte over it.
    let acs = Acs::new();
    let over = encode(&"x".repeat(256 * 1024 + 1));
    let r = assert_rejected(acs.post(&over), Code::TooLarge);
    assert_eq!(r.got.as_deref(), Some("262145 bytes"));
}

/// A shape that is cheap to send and costly to parse, one per structure cap of
/// `xmldsig::Limits`, each one past the SP's cap.
fn hostile_shape(limit: xmldsig::Limit, caps: &xmldsig::Limits) -> String {
    use xmldsig::Limit as L;
    let decls = |n: usize, from: usize| -> String {
        (from..from + n)
            .map(|i| format!(" xmlns:p{i}=\"urn:x:{i}\""))
            .collect()
    };
    match limit {
        L::Depth => format!(
            "{}x{}",
            "<n>".repeat(caps.max_depth + 1),
            "</n>".repeat(caps.max_depth + 1)
        ),
        L::Elements => "<e/>".repeat(caps.max_elements + 1),
        // Nodes that are not elements (the element cap would come first).
        L::Nodes => "<?p?>".repeat(caps.max_nodes as usize + 1),
        L::AttributesPerElement => format!(
            "<e{}/>",
            (0..=caps.max_attributes_per_element)
                .map(|i| format!(" a{i}=\"v\""))
                .collect::<String>()
        ),
        L::NamespacesPerElement => {
            format!("<e{}/>", decls(caps.max_namespaces_per_element + 1, 0))
        }
        L::NamespacesInScope => {
            // Nested elements, each within the per-element cap, together past the scope cap.
            let per = caps.max_namespaces_per_element;
            let levels = caps.max_namespaces_in_scope / per + 1;
            let open: String = (0..levels)
                .map(|l| format!("<e{}>", decls(per, l * per)))
                .collect();
            format!("{open}{}", "</e>".repeat(levels))
        }
        L::NamespaceBindings => {
            // Siblings, each within both per-element and in-scope caps, binding new URIs.
            let per = caps.max_namespaces_per_element;
            (0..caps.max_namespace_bindings / per + 1)
                .map(|s| format!("<e{}/>", decls(per, s * per)))
                .collect()
        }
        L::Signatures => r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>"#
            .repeat(caps.max_signatures + 1),
        L::EncryptedKeys => {
            r#"<xenc:EncryptedKey xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/>"#
                .repeat(caps.max_encrypted_keys + 1)
        }
        other => panic!("no hostile shape for the new cap {other}: add one here"),
    }
}

#[test]
fn refuses_each_hostile_shape_past_a_structure_cap_naming_the_cap() {
    // Issue #9: shapes like these (many namespace declarations in deep or wide scopes, many
    // attributes on one element, many EncryptedKeys) kept a core busy for seconds to minutes
    // before a linear pre-scan refused them. Each is refused with too_complex, naming its cap,
    // inside an otherwise valid response (positive control first).
    let spec = ResponseSpec::valid().signed(Signing::Assertion);
    assert_accepted(Acs::new().post_spec(&spec));
    let caps = Acs::new().sp.limits;
    for limit in xmldsig::Limit::ALL {
        let shape = hostile_shape(limit, &caps);
        let hostile = spec.clone().post_sign(Edit::replace(
            "<saml2p:Status>",
            format!("<saml2p:Extensions>{shape}</saml2p:Extensions><saml2p:Status>"),
        ));
        let r = assert_rejected_in(
            limit.as_str(),
            Acs::new().post_spec(&hostile),
            Code::TooComplex,
        );
        assert!(
            r.got.as_deref().is_some_and(|g| g.contains(limit.as_str())),
            "{limit}: the log names the cap: {r}"
        );
    }
}

#[test]
fn refuses_cbc_content_encryption_when_the_sp_refuses_cbc() {
    let mut spec = ResponseSpec::valid().signed(Signing::Assertion).encrypted();
    spec.encryption.cipher = xmldsig::BlockCipher::Aes256Cbc;
    assert_accepted(Acs::new().post_spec(&spec));
    let mut gcm_only = Acs::new();
    gcm_only.sp.allow_cbc = false;
    let r = assert_rejected(gcm_only.post_spec(&spec), Code::DecryptionFailed);
    assert!(r.got.as_deref().is_some_and(|g| g.contains("cbc")), "{r}");
    // GCM still decrypts there.
    spec.encryption.cipher = xmldsig::BlockCipher::Aes256Gcm;
    assert_accepted(gcm_only.post_spec(&spec));
}

#[test]
fn rejects_bytes_that_are_not_utf8_as_malformed_xml() {
    use base64::Engine;
    let value = base64::engine::general_purpose::STANDARD.encode(b"<samlp:Response \xff\xfe/>");
    assert_rejected(Acs::new().post(&value), Code::MalformedXml);
}

#[test]
fn rejects_text_that_is_not_xml() {
    let acs = Acs::new();
    assert_rejected(acs.post(&encode("SAMLResponse=hello")), Code::MalformedXml);
    let xml = ResponseSpec::valid().xml();
    assert_rejected(acs.post(&encode(&xml[..xml.len() / 2])), Code::MalformedXml);
    assert_rejected(acs.validate_xml(&xml[..xml.len() / 2]), Code::MalformedXml);
    assert_accepted(acs.post(&encode(&xml)));
}

#[test]
fn rejects_a_root_that_is_not_a_samlp_response() {
    let spec = ResponseSpec::valid().pre_sign(Edit::replace_all(
        "saml2p:Response",
        "saml2p:LogoutResponse",
    ));
    let acs = Acs::new();
    assert_rejected(acs.post_spec(&spec), Code::MalformedXml);
    assert_rejected(acs.validate_xml(&spec.xml()), Code::MalformedXml);
    // A Response in no namespace, or in SAML 1.1's.
    let spec = ResponseSpec::valid().pre_sign(Edit::replace(
        r#"xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol""#,
        r#"xmlns:saml2p="urn:oasis:names:tc:SAML:1.0:protocol""#,
    ));
    assert_rejected(acs.post_spec(&spec), Code::MalformedXml);
    assert_accepted(acs.post_spec(&ResponseSpec::valid()));
}

#[test]
fn rejects_a_time_that_is_not_an_xs_datetime() {
    let issued = instant(NOW - secs(2));
    for (label, edit) in [
        (
            "response IssueInstant",
            Edit::replace(
                format!("IssueInstant=\"{issued}\""),
                "IssueInstant=\"yesterday\"",
            ),
        ),
        (
            "local time",
            Edit::replace(
                format!("IssueInstant=\"{issued}\""),
                "IssueInstant=\"28/11/2026 11:59:58\"",
            ),
        ),
        (
            "SubjectConfirmationData NotOnOrAfter",
            Edit::replace(
                format!("NotOnOrAfter=\"{}\"", instant(NOW + Duration::minutes(5))),
                "NotOnOrAfter=\"soon\"",
            ),
        ),
        (
            "Conditions NotBefore",
            Edit::replace(
                format!("NotBefore=\"{}\"", instant(NOW - secs(302))),
                "NotBefore=\"\"",
            ),
        ),
    ] {
        let spec = ResponseSpec::valid().pre_sign(edit);
        assert_rejected_in(label, Acs::new().post_spec(&spec), Code::MalformedXml);
    }
    // Control: fractional seconds and a +00:00 offset are xs:dateTime too.
    let spec = ResponseSpec::valid().pre_sign(Edit::replace(
        format!("IssueInstant=\"{issued}\""),
        format!("IssueInstant=\"{}\"", issued.replace('Z', ".125+00:00")),
    ));
    assert_accepted(Acs::new().post_spec(&spec));
}

#[test]
fn rejects_a_doctype_before_reading_anything() {
    let xml = ResponseSpec::valid().xml();
    let acs = Acs::new();
    assert_accepted(acs.post(&encode(&xml)));
    let decl = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
    for doctype in [
        "<!DOCTYPE saml2p:Response>",
        r#"<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>"#,
        r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#,
    ] {
        let with = xml.replacen(decl, &format!("{decl}{doctype}"), 1);
        assert_rejected(acs.post(&encode(&with)), Code::DoctypeForbidden);
        assert_rejected(acs.validate_xml(&with), Code::DoctypeForbidden);
    }
}

// ---------------------------------------------------------------------------------------------
// Issuer

#[test]
fn rejects_a_response_naming_no_issuer_at_all_as_unknown_issuer() {
    let acs = Acs::new();
    assert_eq!(
        validate::peek_issuer(&ResponseSpec::valid().xml(), &acs.sp).as_deref(),
        Ok(ISSUER)
    );
    let mut spec = ResponseSpec::valid();
    spec.issuer = None;
    spec.assertion_mut().issuer = None;
    assert_rejected(
        validate::peek_issuer(&spec.xml(), &acs.sp),
        Code::UnknownIssuer,
    );
    assert_rejected(acs.post_spec(&spec), Code::UnknownIssuer);
    // An empty Issuer names nobody either.
    spec.issuer = Some("  ".to_owned());
    assert_rejected(acs.post_spec(&spec), Code::UnknownIssuer);
}

#[test]
fn rejects_a_response_issuer_other_than_the_teams() {
    assert_accepted(Acs::new().post_spec(&ResponseSpec::valid()));
    let mut spec = ResponseSpec::valid();
    spec.issuer = Some("http://www.okta.com/exk2other".to_owned());
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::IssuerMismatch);
    assert_eq!(r.expected.as_deref(), Some(ISSUER));
    assert_eq!(
        r.got.as_deref(),
        Some("Response Issuer http://www.okta.com/exk2other")
    );
}

#[test]
fn rejects_an_assertion_issuer_other_than_the_teams() {
    for signing in [Signing::Assertion, Signing::Both, Signing::Response] {
        let mut spec = ResponseSpec::valid().signed(signing);
        assert_accepted(Acs::new().post_spec(&spec));
        spec.assertion_mut().issuer = Some("http://www.okta.com/exk2other".to_owned());
        let r = assert_rejected(Acs::new().post_spec(&spec), Code::IssuerMismatch);
        assert_eq!(
            r.got.as_deref(),
            Some("Assertion Issuer http://www.okta.com/exk2other"),
            "{signing:?}"
        );
    }
}

#[test]
fn rejects_an_assertion_without_issuer() {
    let mut spec = ResponseSpec::valid();
    spec.assertion_mut().issuer = None;
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::IssuerMismatch);
    assert_eq!(r.got.as_deref(), Some("no Assertion Issuer"));
}

// ---------------------------------------------------------------------------------------------
// Signatures

#[test]
fn rejects_a_response_signed_nowhere() {
    let spec = ResponseSpec::valid().signed(Signing::None);
    assert_rejected(Acs::new().post_spec(&spec), Code::Unsigned);
    // Signatures stripped from a signed response.
    let stripped = strip_signatures(&ResponseSpec::valid().xml());
    assert_rejected(Acs::new().post(&encode(&stripped)), Code::Unsigned);
    // Encrypted but signed nowhere.
    assert_rejected(
        Acs::new().post_spec(&spec.clone().encrypted()),
        Code::Unsigned,
    );
    assert_accepted(Acs::new().post_spec(&spec.signed(Signing::Assertion)));
}

#[test]
fn rejects_a_signature_by_a_key_the_team_does_not_pin() {
    for signing in [Signing::Response, Signing::Assertion, Signing::Both] {
        let spec = ResponseSpec::valid().signed(signing);
        assert_accepted(Acs::new().post_spec(&spec));
        assert_rejected(
            Acs::new().post_spec(&spec.with_key(FixtureKey::RsaAttacker)),
            Code::SignatureInvalid,
        );
    }
}

#[test]
fn rejects_a_signature_by_a_certificate_that_has_expired_and_says_so() {
    // The team pins only a certificate that expired in 2021, and the IdP still signs with it.
    let mut acs = Acs::new();
    acs.team.certificates = vec![FixtureKey::RsaExpired.certificate()];
    let spec = ResponseSpec::valid().with_key(FixtureKey::RsaExpired);
    let rejection = assert_rejected(acs.post_spec(&spec), Code::SignatureInvalid);
    assert!(rejection.hint.contains("expired"), "{rejection}");
    assert!(
        rejection.got.as_deref().is_some_and(|g| g.contains("2021")),
        "{rejection}"
    );
    // Positive control: rolled over to a current certificate, the same response is accepted.
    let mut acs = Acs::new();
    acs.team.certificates = vec![
        FixtureKey::RsaExpired.certificate(),
        FixtureKey::RsaCurrent.certificate(),
    ];
    assert_accepted(acs.post_spec(&ResponseSpec::valid()));
    // And a signature the expired certificate does not match either is refused generically.
    let mut acs = Acs::new();
    acs.team.certificates = vec![FixtureKey::RsaExpired.certificate()];
    let rejection = assert_rejected(
        acs.post_spec(&ResponseSpec::valid().with_key(FixtureKey::RsaAttacker)),
        Code::SignatureInvalid,
    );
    assert!(!rejection.hint.contains("expired"), "{rejection}");
}

#[test]
fn rejects_a_certificate_injected_through_keyinfo() {
    // The attacker's certificate has the same subject as the IdP's; KeyInfo carries it.
    let spec = ResponseSpec::valid().with_key(FixtureKey::RsaAttacker);
    let attacker = FixtureKey::RsaAttacker
        .certificate()
        .to_base64()
        .expect("base64 certificate");
    assert!(
        spec.xml().contains(&attacker),
        "KeyInfo carries the attacker's certificate"
    );
    assert_rejected(Acs::new().post_spec(&spec), Code::SignatureInvalid);
    // KeyInfo edited to claim the pinned certificate changes nothing: KeyInfo is never read.
    // (Only the assertion is signed, so the edit is outside every digest: the enveloped
    // signature, KeyInfo included, is not part of what it signs.)
    let current = FixtureKey::RsaCurrent
        .certificate()
        .to_base64()
        .expect("base64 certificate");
    let claiming = spec
        .clone()
        .signed(Signing::Assertion)
        .post_sign(Edit::replace_all(attacker, current));
    assert_rejected(Acs::new().post_spec(&claiming), Code::SignatureInvalid);
    // Control: the same spec signed by the IdP.
    assert_accepted(Acs::new().post_spec(&spec.with_key(FixtureKey::RsaCurrent)));
}

#[test]
fn rejects_content_changed_after_signing() {
    for signing in [Signing::Assertion, Signing::Both, Signing::Response] {
        let spec = ResponseSpec::valid().signed(signing);
        assert_accepted(Acs::new().post_spec(&spec));
        let tampered = spec.post_sign(Edit::replace(
            ">alice@corp.com</saml2:NameID>",
            ">admin@corp.com</saml2:NameID>",
        ));
        assert_rejected(Acs::new().post_spec(&tampered), Code::DigestMismatch);
    }
    // The wrapper of a signed Response.
    let spec = ResponseSpec::valid().signed(Signing::Response);
    let tampered = spec.post_sign(Edit::replace(
        format!("Destination=\"{ACS_URL}\""),
        "Destination=\"https://www.qualified.io/api/saml/consume?x\"",
    ));
    assert_rejected(Acs::new().post_spec(&tampered), Code::DigestMismatch);
}

#[test]
fn rejects_sha1_unless_the_team_allows_it() {
    for algorithms in [
        (SignatureAlgorithm::RsaSha1, DigestAlgorithm::Sha1),
        (SignatureAlgorithm::RsaSha256, DigestAlgorithm::Sha1),
        (SignatureAlgorithm::RsaSha1, DigestAlgorithm::Sha256),
    ] {
        let mut spec = ResponseSpec::valid();
        spec.algorithms = Some(algorithms);
        assert_rejected(Acs::new().post_spec(&spec), Code::AlgorithmForbidden);
        let mut acs = Acs::new();
        acs.team.settings.allow_sha1 = true;
        acs.post_spec(&spec)
            .unwrap_or_else(|r| panic!("{algorithms:?} with allow_sha1: {r}"));
    }
    // SHA-384 and SHA-512 need no opt-in.
    let mut spec = ResponseSpec::valid();
    spec.algorithms = Some((SignatureAlgorithm::RsaSha512, DigestAlgorithm::Sha384));
    assert_accepted(Acs::new().post_spec(&spec));
}

#[test]
fn rejects_a_transform_beyond_enveloped_signature_and_exc_c14n() {
    for signing in [Signing::Response, Signing::Assertion] {
        let spec = ResponseSpec::valid().signed(signing);
        assert_accepted(Acs::new().post_spec(&spec));
        for transform in [
            r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
        ] {
            let edited = spec.clone().post_sign(Edit::replace(
                "</ds:Transforms>",
                format!("{transform}</ds:Transforms>"),
            ));
            let label = format!("{signing:?} {transform}");
            assert_rejected_in(
                &label,
                Acs::new().post_spec(&edited),
                Code::TransformForbidden,
            );
        }
    }
}

#[test]
fn rejects_a_reference_to_another_element() {
    let spec = ResponseSpec::valid().signed(Signing::Response);
    assert_accepted(Acs::new().post_spec(&spec));
    // The Response's signature pointed at the assertion, and at the whole document.
    for uri in [format!("#{DEFAULT_ASSERTION_ID}"), String::new()] {
        let edited = spec.clone().post_sign(Edit::replace(
            format!("URI=\"#{DEFAULT_RESPONSE_ID}\""),
            format!("URI=\"{uri}\""),
        ));
        assert_rejected(Acs::new().post_spec(&edited), Code::ReferenceMismatch);
    }
}

#[test]
fn rejects_a_duplicate_id_on_another_element() {
    // The signed assertion's ID repeated on an extension element (not an assertion, so the
    // assertion count does not catch it first).
    let spec = ResponseSpec::valid().signed(Signing::Assertion);
    assert_accepted(Acs::new().post_spec(&spec));
    let dup = spec.post_sign(Edit::With(|xml| {
        with_extensions(
            xml,
            r#"<ext:Note xmlns:ext="urn:example:ext" ID="id-assertion-0001"/>"#,
        )
    }));
    assert_rejected(Acs::new().post_spec(&dup), Code::DuplicateId);
    // The signed Response's ID repeated: uniqueness is checked before the digest.
    let dup = ResponseSpec::valid()
        .signed(Signing::Both)
        .post_sign(Edit::With(|xml| {
            with_extensions(
                xml,
                r#"<ext:Note xmlns:ext="urn:example:ext" ID="id-response-0001"/>"#,
            )
        }));
    assert_rejected(Acs::new().post_spec(&dup), Code::DuplicateId);
    // Only the Response signed, and the assertion's ID repeated inside it before signing: every
    // signature verifies (the IdP signed it all), and the document is still refused.
    let response_only = ResponseSpec::valid().signed(Signing::Response);
    assert_accepted(Acs::new().post_spec(&response_only));
    let dup = response_only.pre_sign(Edit::With(|xml| {
        with_extensions(
            xml,
            r#"<ext:Note xmlns:ext="urn:example:ext" ID="id-assertion-0001"/>"#,
        )
    }));
    assert_rejected(Acs::new().post_spec(&dup), Code::DuplicateId);
}

// ---------------------------------------------------------------------------------------------
// Exactly one assertion

#[test]
fn rejects_a_response_without_assertion() {
    let mut spec = ResponseSpec::valid();
    spec.assertion = None;
    assert_rejected(Acs::new().post_spec(&spec), Code::NoAssertion);
    assert_accepted(Acs::new().post_spec(&ResponseSpec::valid()));
}

#[test]
fn rejects_an_assertion_that_is_not_a_child_of_the_response() {
    let spec = ResponseSpec::valid().signed(Signing::Assertion);
    assert_accepted(Acs::new().post_spec(&spec));
    let moved = spec.post_sign(Edit::With(|xml| {
        let assertion = assertion_text(xml);
        with_extensions(&xml.replacen(assertion, "", 1), assertion)
    }));
    let r = assert_rejected(Acs::new().post_spec(&moved), Code::NoAssertion);
    assert_eq!(r.got.as_deref(), Some("one inside <Extensions>"));
}

#[test]
fn rejects_two_assertions() {
    let second = |xml: &str| {
        let copy = assertion_text(xml).replace("id-assertion-0001", "id-assertion-0002");
        xml.replacen(
            "</saml2p:Response>",
            &format!("{copy}</saml2p:Response>"),
            1,
        )
    };
    let spec = ResponseSpec::valid().pre_sign(Edit::With(second));
    assert_rejected(Acs::new().post_spec(&spec), Code::MultipleAssertions);
    assert_accepted(Acs::new().post_spec(&ResponseSpec::valid()));
}

#[test]
fn rejects_signature_wrapping_with_a_copy_of_the_signed_assertion() {
    // XSW: the signed assertion kept in Extensions, where a naive verifier finds it by ID, and an
    // attacker's assertion with the same ID in its place. The assertion count sees two before any
    // signature or ID check, so the code is multiple_assertions (not duplicate_id).
    let spec = ResponseSpec::valid().signed(Signing::Assertion);
    assert_accepted(Acs::new().post_spec(&spec));
    let wrapped = spec.clone().post_sign(Edit::With(|xml| {
        let signed = assertion_text(xml);
        let evil = strip_signatures(signed).replace("alice@corp.com", "admin@corp.com");
        with_extensions(&xml.replacen(signed, &evil, 1), signed)
    }));
    let r = assert_rejected(Acs::new().post_spec(&wrapped), Code::MultipleAssertions);
    assert_eq!(r.got.as_deref(), Some("2"));
    // The plain copy, same ID, in Extensions.
    let copied = spec.post_sign(Edit::With(|xml| with_extensions(xml, assertion_text(xml))));
    assert_rejected(Acs::new().post_spec(&copied), Code::MultipleAssertions);
}

// ---------------------------------------------------------------------------------------------
// Version, Status, Destination

#[test]
fn rejects_a_version_other_than_2_0() {
    for version in [Some("1.1"), Some("2.1"), None] {
        let mut spec = ResponseSpec::valid();
        spec.version = version.map(str::to_owned);
        assert_rejected(Acs::new().post_spec(&spec), Code::VersionMismatch);
        let mut spec = ResponseSpec::valid();
        spec.assertion_mut().version = version.map(str::to_owned);
        assert_rejected(Acs::new().post_spec(&spec), Code::VersionMismatch);
    }
    assert_accepted(Acs::new().post_spec(&ResponseSpec::valid()));
}

#[test]
fn rejects_a_failed_status_and_reports_it() {
    let mut spec = ResponseSpec::valid();
    spec.assertion = None;
    spec.status = StatusSpec::failed(
        STATUS_RESPONDER,
        Some(STATUS_AUTHN_FAILED),
        Some("User is not assigned to this application"),
    );
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::StatusNotSuccess);
    assert_eq!(
        r.got,
        Some(format!(
            "{STATUS_RESPONDER} / {STATUS_AUTHN_FAILED}: User is not assigned to this application"
        ))
    );
    spec.status = StatusSpec::failed(STATUS_REQUESTER, None, None);
    assert_rejected(Acs::new().post_spec(&spec), Code::StatusNotSuccess);
    // Control: Success without an assertion is no_assertion, not a status problem.
    spec.status = StatusSpec::success();
    assert_rejected(Acs::new().post_spec(&spec), Code::NoAssertion);
}

#[test]
fn rejects_a_failed_wrapper_status_even_when_only_the_assertion_is_signed() {
    for signing in [Signing::Assertion, Signing::Both] {
        let mut spec = ResponseSpec::valid().signed(signing);
        assert_accepted(Acs::new().post_spec(&spec));
        spec.status = StatusSpec::failed(STATUS_RESPONDER, None, None);
        assert_rejected(Acs::new().post_spec(&spec), Code::StatusNotSuccess);
    }
    // The unsigned wrapper of an assertion-only response edited after signing.
    let edited = ResponseSpec::valid()
        .signed(Signing::Assertion)
        .post_sign(Edit::replace(STATUS_SUCCESS, STATUS_RESPONDER));
    assert_rejected(Acs::new().post_spec(&edited), Code::StatusNotSuccess);
}

#[test]
fn rejects_a_destination_other_than_the_acs() {
    for signing in [Signing::Assertion, Signing::Both] {
        let mut spec = ResponseSpec::valid().signed(signing);
        assert_accepted(Acs::new().post_spec(&spec));
        spec.destination = Some("https://app.example.com/saml/acs".to_owned());
        let r = assert_rejected(Acs::new().post_spec(&spec), Code::DestinationMismatch);
        assert_eq!(r.expected.as_deref(), Some(ACS_URL));
        assert_eq!(r.got.as_deref(), Some("https://app.example.com/saml/acs"));
        assert_eq!(
            r.hint,
            Code::DestinationMismatch.hint(),
            "no near miss, the generic hint"
        );
    }
    // Destination is optional (SAML core §3.2.2); absent, nothing is compared.
    let mut spec = ResponseSpec::valid();
    spec.destination = None;
    assert_accepted(Acs::new().post_spec(&spec));
}

#[test]
fn destination_near_misses_name_their_cause_in_the_hint() {
    for (got, cause) in [
        (
            "https://www.qualified.io/api/saml/consume/",
            "trailing slash",
        ),
        ("http://www.qualified.io/api/saml/consume", "scheme"),
        (
            "https://qualified.io/api/saml/consume",
            "host (www. or not)",
        ),
        ("https://www.qualified.io/API/SAML/consume", "letter case"),
    ] {
        let mut spec = ResponseSpec::valid();
        spec.destination = Some(got.to_owned());
        let r = assert_rejected(Acs::new().post_spec(&spec), Code::DestinationMismatch);
        assert!(
            r.hint.contains(cause) && r.hint.contains(ACS_URL),
            "{got}: hint {:?} should name {cause:?}",
            r.hint
        );
        assert_eq!(r.got.as_deref(), Some(got));
    }
}

// ---------------------------------------------------------------------------------------------
// Subject confirmation, audience, time

#[test]
fn rejects_a_recipient_other_than_the_acs() {
    let mut spec = ResponseSpec::valid();
    assert_accepted(Acs::new().post_spec(&spec));
    spec.bearer_mut().recipient = Some("https://www.qualified.io/api/saml/consume/".to_owned());
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::RecipientMismatch);
    assert!(
        r.hint.contains("Recipient") && r.hint.contains("trailing slash"),
        "{}",
        r.hint
    );
    spec.bearer_mut().recipient = Some("https://app.example.com/acs".to_owned());
    assert_rejected(Acs::new().post_spec(&spec), Code::RecipientMismatch);
    spec.bearer_mut().recipient = None;
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::RecipientMismatch);
    assert_eq!(r.got.as_deref(), Some("no Recipient"));
}

#[test]
fn rejects_an_audience_other_than_the_sp_entity_id() {
    let mut spec = ResponseSpec::valid();
    assert_accepted(Acs::new().post_spec(&spec));
    spec.conditions_mut().audience_restrictions = vec![vec!["https://app.example.com".to_owned()]];
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMismatch);
    assert_eq!(r.hint, Code::AudienceMismatch.hint());
    // The ACS URL pasted as Audience: a frequent misconfiguration.
    spec.conditions_mut().audience_restrictions = vec![vec![ACS_URL.to_owned()]];
    assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMismatch);
    // An empty restriction admits nobody.
    spec.conditions_mut().audience_restrictions = vec![vec![]];
    assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMismatch);
}

#[test]
fn audience_near_misses_name_their_cause_in_the_hint() {
    for got in ["https://qualified.io/", "https://Qualified.io"] {
        let mut spec = ResponseSpec::valid();
        spec.conditions_mut().audience_restrictions = vec![vec![got.to_owned()]];
        let r = assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMismatch);
        assert!(
            r.hint.contains("case or a trailing slash") && r.hint.contains(SP_ENTITY_ID),
            "{got}: {}",
            r.hint
        );
    }
}

#[test]
fn every_audience_restriction_must_admit_the_sp() {
    let other = "https://app.example.com".to_owned();
    let sp = SP_ENTITY_ID.to_owned();
    let mut spec = ResponseSpec::valid();
    // One restriction listing several audiences, this SP among them.
    spec.conditions_mut().audience_restrictions = vec![vec![other.clone(), sp.clone()]];
    assert_accepted(Acs::new().post_spec(&spec));
    spec.conditions_mut().audience_restrictions =
        vec![vec![sp.clone()], vec![sp.clone(), other.clone()]];
    assert_accepted(Acs::new().post_spec(&spec));
    // SAML core §2.5.1.4: each restriction must be met.
    spec.conditions_mut().audience_restrictions = vec![vec![sp], vec![other]];
    assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMismatch);
}

#[test]
fn rejects_an_assertion_without_audience_restriction() {
    let mut spec = ResponseSpec::valid();
    spec.conditions_mut().audience_restrictions = vec![];
    assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMissing);
    spec.assertion_mut().conditions = None;
    assert_rejected(Acs::new().post_spec(&spec), Code::AudienceMissing);
    assert_accepted(Acs::new().post_spec(&ResponseSpec::valid()));
}

#[test]
fn rejects_not_before_beyond_the_skew_and_accepts_it_within() {
    let mut spec = ResponseSpec::valid();
    spec.conditions_mut().not_before = Some(NOW + secs(180));
    assert_accepted(Acs::new().post_spec(&spec));
    spec.conditions_mut().not_before = Some(NOW + secs(181));
    assert_rejected(Acs::new().post_spec(&spec), Code::NotYetValid);

    let mut spec = ResponseSpec::valid();
    spec.bearer_mut().not_before = Some(NOW + secs(180));
    assert_accepted(Acs::new().post_spec(&spec));
    spec.bearer_mut().not_before = Some(NOW + secs(181));
    assert_rejected(Acs::new().post_spec(&spec), Code::NotYetValid);
}

#[test]
fn rejects_an_issue_instant_in_the_future_beyond_the_skew() {
    let mut spec = ResponseSpec::valid();
    spec.issue_instant = Some(NOW + secs(180));
    spec.assertion_mut().issue_instant = Some(NOW + secs(180));
    assert_accepted(Acs::new().post_spec(&spec));
    let mut response = spec.clone();
    response.issue_instant = Some(NOW + secs(181));
    assert_rejected(Acs::new().post_spec(&response), Code::NotYetValid);
    spec.assertion_mut().issue_instant = Some(NOW + secs(181));
    assert_rejected(Acs::new().post_spec(&spec), Code::NotYetValid);
}

#[test]
fn rejects_expired_conditions_beyond_the_skew_and_accepts_them_within() {
    let mut spec = ResponseSpec::valid();
    spec.conditions_mut().not_on_or_after = Some(NOW - secs(179));
    assert_accepted(Acs::new().post_spec(&spec));
    spec.conditions_mut().not_on_or_after = Some(NOW - secs(180));
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::Expired);
    assert_eq!(r.got, Some(instant(NOW - secs(180))));
}

#[test]
fn rejects_an_expired_bearer_confirmation_beyond_the_skew_and_accepts_it_within() {
    let mut spec = ResponseSpec::valid();
    spec.bearer_mut().not_on_or_after = Some(NOW - secs(179));
    assert_accepted(Acs::new().post_spec(&spec));
    spec.bearer_mut().not_on_or_after = Some(NOW - secs(180));
    assert_rejected(Acs::new().post_spec(&spec), Code::Expired);
}

#[test]
fn rejects_a_stale_issue_instant() {
    // Stale when older than max_issue_age (300 s) plus the skew (180 s).
    for whose in ["Response", "Assertion"] {
        let at = |age: i64| {
            let mut spec = ResponseSpec::valid();
            match whose {
                "Response" => spec.issue_instant = Some(NOW - secs(age)),
                _ => spec.assertion_mut().issue_instant = Some(NOW - secs(age)),
            }
            spec
        };
        assert_accepted(Acs::new().post_spec(&at(480)));
        let r = assert_rejected(Acs::new().post_spec(&at(481)), Code::IssueInstantStale);
        assert!(
            r.expected.as_deref().is_some_and(|e| e.starts_with(whose)),
            "{r}"
        );
    }
}

#[test]
fn rejects_an_assertion_without_bearer_confirmation() {
    assert_accepted(Acs::new().post_spec(&ResponseSpec::valid()));
    type Case = (&'static str, fn(&mut Confirmation));
    let cases: [Case; 4] = [
        ("holder-of-key", |c| c.method = HOLDER_OF_KEY.to_owned()),
        ("sender-vouches", |c| {
            c.method = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches".to_owned()
        }),
        ("bearer without SubjectConfirmationData", |c| c.data = None),
        ("bearer without NotOnOrAfter", |c| {
            if let Some(d) = c.data.as_mut() {
                d.not_on_or_after = None;
            }
        }),
    ];
    for (label, edit) in cases {
        let mut spec = ResponseSpec::valid();
        spec.assertion_mut().confirmations.iter_mut().for_each(edit);
        assert_rejected_in(
            label,
            Acs::new().post_spec(&spec),
            Code::NoBearerConfirmation,
        );
    }
    let mut spec = ResponseSpec::valid();
    spec.assertion_mut().confirmations.clear();
    assert_rejected(Acs::new().post_spec(&spec), Code::NoBearerConfirmation);
}

// ---------------------------------------------------------------------------------------------
// InResponseTo, unsolicited responses, replay

#[test]
fn rejects_an_in_response_to_this_sp_did_not_send() {
    let spec = ResponseSpec::valid().answering("_req-1");
    let acs = Acs::new();
    acs.requests
        .issue(&acs.team.team.id, "_req-1", NOW - secs(20));
    let login = assert_accepted(acs.post_spec(&spec));
    assert_eq!(login.in_response_to.as_deref(), Some("_req-1"));
    // Unknown to this SP.
    assert_rejected(Acs::new().post_spec(&spec), Code::InResponseToUnknown);
    // Sent for another team.
    let acs = Acs::new();
    acs.requests
        .issue(&Id("another-team".to_owned()), "_req-1", NOW - secs(20));
    assert_rejected(acs.post_spec(&spec), Code::InResponseToUnknown);
    // Expired (requests live ten minutes).
    let acs = Acs::new();
    acs.requests
        .issue(&acs.team.team.id, "_req-1", NOW - Duration::minutes(11));
    assert_rejected(acs.post_spec(&spec), Code::InResponseToUnknown);
}

#[test]
fn rejects_a_response_whose_in_response_to_disagrees_with_its_confirmation() {
    let mut spec = ResponseSpec::valid().answering("_req-1");
    spec.bearer_mut().in_response_to = Some("_req-2".to_owned());
    let acs = Acs::new();
    acs.requests.issue(&acs.team.team.id, "_req-1", NOW);
    acs.requests.issue(&acs.team.team.id, "_req-2", NOW);
    assert_rejected(acs.post_spec(&spec), Code::InResponseToUnknown);
    assert!(
        acs.requests.is_outstanding(&acs.team.team.id, "_req-1"),
        "a refused response consumes nothing"
    );
    spec.bearer_mut().in_response_to = Some("_req-1".to_owned());
    assert_accepted(acs.post_spec(&spec));
}

#[test]
fn rejects_an_unsolicited_response_when_the_team_forbids_them() {
    let mut acs = Acs::new();
    acs.team.settings.allow_idp_initiated = false;
    assert_rejected(
        acs.post_spec(&ResponseSpec::valid()),
        Code::UnsolicitedForbidden,
    );
    assert_eq!(acs.replay.len(), 0, "a refused response records nothing");
    // Solicited: accepted, and the request is consumed once.
    acs.requests
        .issue(&acs.team.team.id, "_req-1", NOW - secs(30));
    assert_accepted(acs.post_spec(&ResponseSpec::valid().answering("_req-1")));
    assert!(!acs.requests.is_outstanding(&acs.team.team.id, "_req-1"));
    let mut again = ResponseSpec::valid().answering("_req-1");
    again.assertion_mut().id = "id-assertion-0002".to_owned();
    assert_rejected(acs.post_spec(&again), Code::InResponseToUnknown);
}

/// DESIGN.md: "no element of the unsigned wrapper is trusted". When only the Assertion is
/// signed, the Response's InResponseTo is unsigned; an unsolicited signed assertion (no
/// InResponseTo in its SubjectConfirmationData) must not become solicited by a wrapper edit.
/// SAML profiles §4.1.4.2: a response to an AuthnRequest carries InResponseTo in the bearer
/// SubjectConfirmationData.
#[test]
fn an_unsigned_wrapper_in_response_to_does_not_make_an_unsolicited_assertion_solicited() {
    let mut acs = Acs::new();
    acs.team.settings.allow_idp_initiated = false;
    acs.requests
        .issue(&acs.team.team.id, "_req-1", NOW - secs(30));
    // Control: the same assertion-only response, properly solicited, is accepted.
    let solicited = ResponseSpec::valid()
        .signed(Signing::Assertion)
        .answering("_req-1");
    assert_accepted(acs.post_spec(&solicited));

    acs.requests
        .issue(&acs.team.team.id, "_req-2", NOW - secs(30));
    let mut unsolicited = ResponseSpec::valid().signed(Signing::Assertion);
    unsolicited.assertion_mut().id = "id-assertion-0002".to_owned();
    let wrapped = unsolicited.post_sign(Edit::replace(
        format!("ID=\"{DEFAULT_RESPONSE_ID}\""),
        format!("ID=\"{DEFAULT_RESPONSE_ID}\" InResponseTo=\"_req-2\""),
    ));
    assert_rejected(acs.post_spec(&wrapped), Code::UnsolicitedForbidden);
}

#[test]
fn rejects_a_replayed_assertion() {
    let acs = Acs::new();
    let value = ResponseSpec::valid().form_value();
    assert_accepted(acs.post(&value));
    let r = assert_rejected(acs.post(&value), Code::ReplayedAssertion);
    assert_eq!(r.got.as_deref(), Some(DEFAULT_ASSERTION_ID));
    // The same assertion re-wrapped (new Response ID, Response re-signed) is still a replay.
    let mut rewrapped = ResponseSpec::valid();
    rewrapped.id = "id-response-0002".to_owned();
    assert_rejected(acs.post_spec(&rewrapped), Code::ReplayedAssertion);
}

/// A solicited response posted twice: `consume` takes the request before it records the
/// assertion (DESIGN.md's order: InResponseTo, then replay), so the second post is refused at
/// its request, already consumed, before the replay cache is asked.
#[test]
fn a_replayed_solicited_response_is_refused_at_its_consumed_request() {
    let acs = Acs::new();
    acs.requests
        .issue(&acs.team.team.id, "_req-1", NOW - secs(30));
    let value = ResponseSpec::valid().answering("_req-1").form_value();
    assert_accepted(acs.post(&value));
    assert_rejected(acs.post(&value), Code::InResponseToUnknown);
}

/// Decision: the replay cache is keyed by (team, assertion ID), as the database's primary key is.
/// Assertion IDs are unique per IdP, not across IdPs, and every custom-plan customer configures
/// an IdP of its own, so one team's IdP must not be able to use up the IDs of another's. An
/// assertion cannot be replayed into another team anyway: the other team's pinned certificates
/// and issuer refuse it.
#[test]
fn replay_cache_entries_belong_to_one_team() {
    // Two teams on one SP, sharing its stores; their IdPs happen to use the same assertion ID.
    let acs = Acs::new();
    let team_b = team_with(
        "http://www.okta.com/exk2teamb",
        Id("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".to_owned()),
    );
    let for_b = ResponseSpec::valid()
        .issued_by("http://www.okta.com/exk2teamb")
        .xml();
    let post_b = || {
        block_on(validate::validate(
            &for_b,
            &team_b,
            &acs.sp,
            NOW,
            &acs.replay,
            &acs.requests,
        ))
        .map_err(|e| match e {
            validate::AcsError::Rejected(r) => r,
            validate::AcsError::Storage(s) => panic!("{s}"),
        })
    };
    assert_accepted(acs.post_spec(&ResponseSpec::valid()));
    let login = assert_accepted(post_b());
    assert_eq!(login.assertion_id, DEFAULT_ASSERTION_ID);
    assert_eq!(acs.replay.len(), 2);
    // Each is still refused the second time for its own team.
    assert_rejected(
        acs.post_spec(&ResponseSpec::valid()),
        Code::ReplayedAssertion,
    );
    assert_rejected(post_b(), Code::ReplayedAssertion);
}

/// The replay entry must last as long as the pipeline would accept the assertion again. With
/// two bearer confirmations, the one that passes first can expire earlier than another that
/// still passes later; the entry must cover the later one.
#[test]
fn replay_is_refused_while_any_bearer_confirmation_would_still_accept() {
    let mut spec = ResponseSpec::valid();
    spec.conditions_mut().not_on_or_after = None;
    spec.bearer_mut().not_on_or_after = Some(NOW + secs(60));
    let mut later = Confirmation::bearer(NOW);
    if let Some(d) = later.data.as_mut() {
        d.not_on_or_after = Some(NOW + Duration::hours(1));
    }
    spec.assertion_mut().confirmations.push(later);
    let value = spec.form_value();

    let mut acs = Acs::new();
    assert_accepted(acs.post(&value));
    // Control: right away, the replay is refused.
    assert_rejected(acs.post(&value), Code::ReplayedAssertion);
    // Five minutes later the first confirmation has expired but the second still passes, and
    // the IssueInstant (NOW - 2 s) is within 300 s + 180 s.
    acs.now = NOW + Duration::minutes(5);
    assert_rejected(acs.post(&value), Code::ReplayedAssertion);
}

// ---------------------------------------------------------------------------------------------
// Who logged in

#[test]
fn rejects_an_assertion_without_name_id() {
    let mut spec = ResponseSpec::valid();
    for (subject, got) in [
        (SubjectId::None, "none"),
        (
            SubjectId::NameId {
                value: String::new(),
                format: Some(NAME_ID_EMAIL.to_owned()),
            },
            "none",
        ),
        (
            SubjectId::NameId {
                value: "  ".to_owned(),
                format: None,
            },
            "none",
        ),
        (SubjectId::EncryptedId, "an EncryptedID (not supported)"),
    ] {
        spec.assertion_mut().subject = subject;
        let r = assert_rejected(Acs::new().post_spec(&spec), Code::NameIdMissing);
        assert_eq!(r.got.as_deref(), Some(got));
    }
    spec.assertion_mut().subject = SubjectId::NameId {
        value: "00u1abcd".to_owned(),
        format: None,
    };
    assert_eq!(
        assert_accepted(Acs::new().post_spec(&spec)).user_name,
        "alice@corp.com",
        "email from the attribute"
    );
}

#[test]
fn rejects_a_login_without_any_email() {
    let mut spec = ResponseSpec::valid();
    spec.assertion_mut().subject = SubjectId::NameId {
        value: "00u1abcd".to_owned(),
        format: Some(NAME_ID_PERSISTENT.to_owned()),
    };
    assert_accepted(Acs::new().post_spec(&spec));
    spec.assertion_mut()
        .attributes
        .retain(|(name, _)| name != "email");
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::EmailMissing);
    assert!(
        r.got.as_deref().is_some_and(|g| g.contains("firstName")),
        "names the attributes it saw: {r}"
    );
    // An email attribute whose value is not an email address.
    spec.assertion_mut()
        .attributes
        .push(("email".to_owned(), vec!["alice".to_owned()]));
    assert_rejected(Acs::new().post_spec(&spec), Code::EmailMissing);
}

#[test]
fn rejects_a_member_identity_that_nfkc_would_change() {
    // A fullwidth "ａ" and the Kelvin sign read as "alice"/"kate" to a person and, folded or
    // normalised, would name another member; the one identity rule refuses them instead.
    for lookalike in ["ａlice@corp.com", "\u{212A}ate@corp.com"] {
        let mut spec = ResponseSpec::valid();
        spec.assertion_mut().subject = SubjectId::NameId {
            value: lookalike.to_owned(),
            format: None,
        };
        let mut acs = Acs::new();
        acs.team.settings.member_key = MemberKey::NameId;
        let r = assert_rejected(acs.post_spec(&spec), Code::IdentityNotNormalized);
        assert!(r.got.as_deref().is_some_and(|g| g.contains("NFKC")), "{r}");
    }
    // Positive control: the same response with the plain NameID, and a non-ASCII one in NFKC form.
    for plain in ["alice@corp.com", "élodie@corp.com"] {
        let mut spec = ResponseSpec::valid();
        spec.assertion_mut().subject = SubjectId::NameId {
            value: plain.to_owned(),
            format: None,
        };
        let mut acs = Acs::new();
        acs.team.settings.member_key = MemberKey::NameId;
        assert_eq!(assert_accepted(acs.post_spec(&spec)).user_name, plain);
    }
}

#[test]
fn a_team_that_finds_members_by_name_id_needs_no_email() {
    // PingOne's default mapping: the NameID is the user's ID and no attribute holds an email.
    let mut spec = ResponseSpec::valid();
    spec.assertion_mut().subject = SubjectId::NameId {
        value: "9e34fa21-4e8f-4dee-b565-648dbcf25eff".to_owned(),
        format: None,
    };
    spec.assertion_mut().attributes = vec![(
        "saml_subject".to_owned(),
        vec!["9e34fa21-4e8f-4dee-b565-648dbcf25eff".to_owned()],
    )];
    let r = assert_rejected(Acs::new().post_spec(&spec), Code::EmailMissing);
    assert!(r.hint.contains("name_id"), "the hint names the fix: {r}");

    let mut acs = Acs::new();
    acs.team.settings.member_key = MemberKey::NameId;
    let login = assert_accepted(acs.post_spec(&spec));
    assert_eq!(login.user_name, "9e34fa21-4e8f-4dee-b565-648dbcf25eff");
    assert_eq!(login.email, None);

    // With an email present too, the NameID still names the member; the email is kept.
    let mut with_email = ResponseSpec::valid();
    with_email.assertion_mut().subject = SubjectId::NameId {
        value: "00u1abcd".to_owned(),
        format: Some(NAME_ID_PERSISTENT.to_owned()),
    };
    let mut acs = Acs::new();
    acs.team.settings.member_key = MemberKey::NameId;
    let login = assert_accepted(acs.post_spec(&with_email));
    assert_eq!(login.user_name, "00u1abcd");
    assert_eq!(login.email.as_deref(), Some("alice@corp.com"));
}

#[test]
fn an_issue_instant_ahead_of_the_clock_is_accepted_within_the_idps_own_not_before_lead() {
    // Okta dates Conditions NotBefore five minutes before IssueInstant; gosaml2's capture was
    // issued 4 min 15 s after its suite's clock.
    let issued = NOW + secs(255);
    let okta_like = |lead: i64, skew_ok: bool| {
        let mut spec = ResponseSpec::valid();
        spec.issue_instant = Some(issued);
        spec.assertion_mut().issue_instant = Some(issued);
        spec.conditions_mut().not_before = Some(issued - secs(lead));
        if !skew_ok {
            spec.conditions_mut().not_before = None;
        }
        spec
    };
    assert_accepted(Acs::new().post_spec(&okta_like(300, true)));
    // A lead longer than the 300 s an IssueInstant may be old does not stretch the window.
    let r = assert_rejected(
        Acs::new().post_spec(&okta_like(301, true)),
        Code::NotYetValid,
    );
    assert_eq!(r.got, Some(instant(issued)));
    // Without a NotBefore the IssueInstant alone says when the assertion starts.
    assert_rejected(
        Acs::new().post_spec(&okta_like(300, false)),
        Code::NotYetValid,
    );
    // A NotBefore itself beyond the skew is refused as before, naming the NotBefore.
    let mut late = okta_like(60, true);
    late.conditions_mut().not_before = Some(NOW + secs(181));
    let r = assert_rejected(Acs::new().post_spec(&late), Code::NotYetValid);
    assert_eq!(r.got, Some(instant(NOW + secs(181))));
}

/// CVE-2017-11427 family (comment injection): `alice@corp.com<!---->.evil.com` canonicalizes, and
/// so is signed, as `alice@corp.com.evil.com`; a reader that stops at the first text node would
/// log in `alice@corp.com`.
#[test]
fn a_comment_inside_the_name_id_does_not_cut_the_signed_value_short() {
    let mut spec = ResponseSpec::valid();
    spec.assertion_mut().subject = SubjectId::NameId {
        value: "alice@corp.com.evil.com".to_owned(),
        format: Some(NAME_ID_EMAIL.to_owned()),
    };
    spec.assertion_mut().attributes = okta_attributes("alice@corp.com.evil.com", "Mallory", "Evil");
    let control = assert_accepted(Acs::new().post_spec(&spec));
    assert_eq!(control.user_name, "alice@corp.com.evil.com");
    let inject = Edit::replace(
        ">alice@corp.com.evil.com</saml2:NameID>",
        ">alice@corp.com<!---->.evil.com</saml2:NameID>",
    );
    for (label, spec) in [
        (
            "signed with the comment",
            spec.clone().pre_sign(inject.clone()),
        ),
        ("comment added after signing", spec.post_sign(inject)),
    ] {
        assert!(
            spec.xml().contains("alice@corp.com<!---->.evil.com"),
            "{label}"
        );
        let login = Acs::new()
            .post_spec(&spec)
            .unwrap_or_else(|r| panic!("{label}: {r}"));
        assert_eq!(login.user_name, "alice@corp.com.evil.com", "{label}");
        assert_eq!(login.name_id, "alice@corp.com.evil.com", "{label}");
    }
}

// ---------------------------------------------------------------------------------------------
// Decryption, plan

#[test]
fn rejects_an_encrypted_assertion_the_sp_cannot_decrypt() {
    let spec = ResponseSpec::valid().signed(Signing::Assertion).encrypted();
    assert_accepted(Acs::new().post_spec(&spec));
    let mut no_key = Acs::new();
    no_key.sp.decryption_key = None;
    let r = assert_rejected(no_key.post_spec(&spec), Code::DecryptionFailed);
    assert!(r.hint.contains("no decryption key"), "{}", r.hint);
    let mut wrong_key = Acs::new();
    wrong_key.sp.decryption_key = Some(FixtureKey::RsaNext.private_key().clone());
    assert_rejected(wrong_key.post_spec(&spec), Code::DecryptionFailed);
    // Encrypted under a signed Response: the signature verifies, decryption still fails.
    assert_rejected(
        wrong_key.post_spec(&spec.signed(Signing::Response)),
        Code::DecryptionFailed,
    );
}

#[test]
fn rejects_sso_for_teams_not_on_the_custom_plan() {
    let spec = ResponseSpec::valid();
    for plan in [Plan::Free, Plan::Team] {
        let mut acs = Acs::new();
        acs.team.team.plan = plan;
        let r = assert_rejected(acs.post_spec(&spec), Code::SsoNotEnabled);
        assert_eq!(r.got, Some(format!("plan {}", plan.as_str())));
    }
    assert_accepted(Acs::new().post_spec(&spec));
}

// ---------------------------------------------------------------------------------------------
// explain: every check with its verdict

fn verdict(e: &validate::Explanation, check: validate::Check) -> &validate::Outcome {
    &e.verdicts
        .iter()
        .find(|(c, _)| *c == check)
        .unwrap_or_else(|| panic!("{check} is reported"))
        .1
}

#[test]
fn explain_passes_every_check_of_a_valid_response_and_names_them_in_order() {
    use validate::{Check, Outcome};
    let acs = Acs::new();
    let spec = ResponseSpec::valid().signed(Signing::Assertion);
    let e = validate::explain(&spec.form_value(), Some(&acs.team), &acs.sp, acs.now);
    let order: Vec<Check> = e.verdicts.iter().map(|(c, _)| *c).collect();
    assert_eq!(
        order,
        Check::ALL.to_vec(),
        "every check once, in the pipeline's order"
    );
    for (check, outcome) in &e.verdicts {
        match check {
            // This response signs the assertion only and is not encrypted.
            Check::ResponseSignature | Check::Decryption => {
                assert!(
                    matches!(outcome, Outcome::NotRun(_)),
                    "{check}: {outcome:?}"
                )
            }
            _ => assert_eq!(outcome, &Outcome::Pass, "{check}"),
        }
    }
    assert!(!e.read_unverified);
    assert_eq!(e.first_failure(), None);
    assert_eq!(
        e.login.map(|l| l.user_name).as_deref(),
        Some("alice@corp.com"),
        "a response that passes names who it logs in"
    );
}

#[test]
fn explain_reports_every_independent_failure_not_only_the_first() {
    use validate::{Check, Outcome};
    let acs = Acs::new();
    let mut spec = ResponseSpec::valid();
    spec.destination = Some("https://qualified.io/api/saml/consume".to_owned());
    spec.conditions_mut().audience_restrictions = vec![vec!["https://qualified.io/".to_owned()]];
    let e = validate::explain(&spec.form_value(), Some(&acs.team), &acs.sp, acs.now);
    assert!(
        matches!(verdict(&e, Check::Destination), Outcome::Fail(r) if r.code == Code::DestinationMismatch)
    );
    assert!(
        matches!(verdict(&e, Check::Audience), Outcome::Fail(r) if r.code == Code::AudienceMismatch)
    );
    assert_eq!(verdict(&e, Check::NameId), &Outcome::Pass);
    // What the ACS answers is the first of them, as the pipeline stops there.
    assert_eq!(
        e.first_failure().map(|r| r.code),
        Some(assert_rejected(acs.post_spec(&spec), Code::DestinationMismatch).code)
    );
}

#[test]
fn explain_goes_on_past_a_bad_signature_marked_unverified_and_never_logs_in() {
    use validate::{Check, Outcome};
    let acs = Acs::new();
    let mut spec = ResponseSpec::valid().with_key(FixtureKey::RsaAttacker);
    spec.conditions_mut().audience_restrictions = vec![vec!["https://other.example".to_owned()]];
    let e = validate::explain(&spec.form_value(), Some(&acs.team), &acs.sp, acs.now);
    assert!(
        matches!(verdict(&e, Check::AssertionSignature), Outcome::Fail(r) if r.code == Code::SignatureInvalid)
    );
    assert!(
        e.read_unverified,
        "fields after a failed signature are marked unverified"
    );
    assert!(
        matches!(verdict(&e, Check::Audience), Outcome::Fail(r) if r.code == Code::AudienceMismatch)
    );
    assert_eq!(
        e.first_failure().map(|r| r.code),
        Some(Code::SignatureInvalid)
    );
    assert_eq!(
        e.login, None,
        "an explanation with a failure logs no one in"
    );
    // The ACS itself stops at the signature.
    assert_rejected(acs.post_spec(&spec), Code::SignatureInvalid);
}

#[test]
fn explain_without_the_team_reports_the_issuer_and_stops_there() {
    use validate::{Check, Outcome};
    let acs = Acs::new();
    let e = validate::explain(&ResponseSpec::valid().form_value(), None, &acs.sp, acs.now);
    assert_eq!(verdict(&e, Check::Issuer), &Outcome::Pass);
    assert!(matches!(verdict(&e, Check::Team), Outcome::Fail(r) if r.code == Code::UnknownIssuer));
    assert!(matches!(verdict(&e, Check::Audience), Outcome::NotRun(_)));
    let e = validate::explain("%%%", None, &acs.sp, acs.now);
    assert!(matches!(verdict(&e, Check::Decode), Outcome::Fail(r) if r.code == Code::NotBase64));
    assert_eq!(e.verdicts.len(), validate::Check::ALL.len());
}

// ---------------------------------------------------------------------------------------------
// Every code is tested

/// Codes that `decode`, `peek_issuer`, `check` and `consume` do not produce (or not only): the
/// web layer does, around `validate`.
const PRODUCED_ELSEWHERE: &[Code] = &[
    // The ACS looks the team up by the peeked Issuer; when no team has it. (The pipeline's own
    // unknown_issuer, a response naming no Issuer, is asserted above.)
    Code::UnknownIssuer,
    // After `validate` returns a Login: the member is deactivated…
    Code::MemberInactive,
    // …or unknown while the team provisions by SCIM only.
    Code::MemberUnknown,
    // The web layer reads the form before the pipeline (sp/tests/e2e.rs: a post without the
    // field, multipart and JSON posts)…
    Code::SamlResponseMissing,
    Code::ContentTypeUnsupported,
    // …binds SP-initiated logins to the browser (e2e: two cookie jars)…
    Code::RequestFromAnotherBrowser,
    // …and queues on the CPU pool (sp/src/web/cpu.rs).
    Code::Busy,
    // Where the ACS loads the team's certificates (trust::TrustCache::team_sso), before the
    // pipeline; asserted in tests/metadata_refresh.rs.
    Code::MetadataExpired,
];

#[test]
fn every_code_is_asserted_here_or_listed_as_produced_elsewhere() {
    let source = include_str!("pipeline.rs");
    // Calls of the two rejection assertions of `common` (the needle is split so that this test
    // does not find itself).
    let needle = ["assert_", "rejected"].concat();
    let mut asserted = std::collections::BTreeSet::new();
    for (start, _) in source.match_indices(&needle) {
        let rest = &source[start + needle.len()..];
        let Some(args) = rest.strip_prefix('(').or_else(|| rest.strip_prefix("_in(")) else {
            continue;
        };
        // The call's argument list, up to its matching parenthesis.
        let mut depth = 1;
        let end = args
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(args.len(), |(i, _)| i);
        for (at, _) in args[..end].match_indices("Code::") {
            let name: String = args[at + 6..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            asserted.insert(name);
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| {
            !asserted.contains(&format!("{code:?}")) && !PRODUCED_ELSEWHERE.contains(code)
        })
        .map(|code| code.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes with no test here and not listed in PRODUCED_ELSEWHERE: {missing:?}"
    );
    for name in &asserted {
        assert!(
            Code::ALL.iter().any(|c| format!("{c:?}") == *name),
            "unknown code {name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Property: random valid responses are accepted; one wrong field gives exactly its code

/// A checked field set to a wrong value.
#[derive(Debug, Clone, Copy)]
enum Wrong {
    ResponseIssuer,
    AssertionIssuer,
    Destination,
    Recipient,
    Audience,
    AudienceRemoved,
    NotBeforeFuture,
    ConditionsExpired,
    ConfirmationExpired,
    IssueInstantStale,
    Status,
    ResponseVersion,
    AssertionVersion,
    NameIdEmpty,
    EmailRemoved,
    NoBearer,
    AttackerKey,
    SignatureRemoved,
    InResponseToUnknown,
}

impl Wrong {
    const ALL: [Wrong; 19] = [
        Wrong::ResponseIssuer,
        Wrong::AssertionIssuer,
        Wrong::Destination,
        Wrong::Recipient,
        Wrong::Audience,
        Wrong::AudienceRemoved,
        Wrong::NotBeforeFuture,
        Wrong::ConditionsExpired,
        Wrong::ConfirmationExpired,
        Wrong::IssueInstantStale,
        Wrong::Status,
        Wrong::ResponseVersion,
        Wrong::AssertionVersion,
        Wrong::NameIdEmpty,
        Wrong::EmailRemoved,
        Wrong::NoBearer,
        Wrong::AttackerKey,
        Wrong::SignatureRemoved,
        Wrong::InResponseToUnknown,
    ];

    /// Sets the field wrong by `by` (seconds, or a choice among wrong values); the code to expect.
    fn apply(self, spec: &mut ResponseSpec, by: u32) -> Code {
        const WRONG_URLS: [&str; 4] = [
            "https://app.example.com/saml/acs",
            "https://www.qualified.io/api/saml/consume/",
            "http://www.qualified.io/api/saml/consume",
            "https://qualified.io/api/saml/consume",
        ];
        let url = WRONG_URLS[by as usize % WRONG_URLS.len()].to_owned();
        let late = secs(i64::from(by % 86_400) + 1);
        match self {
            Wrong::ResponseIssuer => {
                spec.issuer = Some("http://www.okta.com/exk2other".to_owned());
                Code::IssuerMismatch
            }
            Wrong::AssertionIssuer => {
                spec.assertion_mut().issuer = Some(format!("{ISSUER}/"));
                Code::IssuerMismatch
            }
            Wrong::Destination => {
                spec.destination = Some(url);
                Code::DestinationMismatch
            }
            Wrong::Recipient => {
                spec.bearer_mut().recipient = Some(url);
                Code::RecipientMismatch
            }
            Wrong::Audience => {
                let wrong =
                    ["https://app.example.com", "https://qualified.io/", ACS_URL][by as usize % 3];
                spec.conditions_mut().audience_restrictions = vec![vec![wrong.to_owned()]];
                Code::AudienceMismatch
            }
            Wrong::AudienceRemoved => {
                spec.conditions_mut().audience_restrictions.clear();
                Code::AudienceMissing
            }
            Wrong::NotBeforeFuture => {
                spec.conditions_mut().not_before = Some(NOW + secs(180) + late);
                Code::NotYetValid
            }
            Wrong::ConditionsExpired => {
                spec.conditions_mut().not_on_or_after = Some(NOW - secs(180) - late + secs(1));
                Code::Expired
            }
            Wrong::ConfirmationExpired => {
                spec.bearer_mut().not_on_or_after = Some(NOW - secs(180) - late + secs(1));
                Code::Expired
            }
            Wrong::IssueInstantStale => {
                spec.issue_instant = Some(NOW - secs(480) - late);
                Code::IssueInstantStale
            }
            Wrong::Status => {
                spec.status = StatusSpec::failed(
                    [STATUS_RESPONDER, STATUS_REQUESTER][by as usize % 2],
                    Some(STATUS_AUTHN_FAILED),
                    None,
                );
                Code::StatusNotSuccess
            }
            Wrong::ResponseVersion => {
                spec.version = [Some("1.1".to_owned()), None][by as usize % 2].clone();
                Code::VersionMismatch
            }
            Wrong::AssertionVersion => {
                spec.assertion_mut().version = Some("1.0".to_owned());
                Code::VersionMismatch
            }
            Wrong::NameIdEmpty => {
                spec.assertion_mut().subject = SubjectId::NameId {
                    value: String::new(),
                    format: Some(NAME_ID_EMAIL.to_owned()),
                };
                Code::NameIdMissing
            }
            Wrong::EmailRemoved => {
                let a = spec.assertion_mut();
                a.subject = SubjectId::NameId {
                    value: format!("00u{by:x}"),
                    format: Some(NAME_ID_PERSISTENT.to_owned()),
                };
                a.attributes.retain(|(name, _)| {
                    !sp::saml::attributes::EMAIL_NAMES
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(name))
                });
                Code::EmailMissing
            }
            Wrong::NoBearer => {
                for c in &mut spec.assertion_mut().confirmations {
                    c.method = HOLDER_OF_KEY.to_owned();
                }
                Code::NoBearerConfirmation
            }
            Wrong::AttackerKey => {
                spec.key = FixtureKey::RsaAttacker;
                Code::SignatureInvalid
            }
            Wrong::SignatureRemoved => {
                spec.signing = Signing::None;
                Code::Unsigned
            }
            Wrong::InResponseToUnknown => {
                *spec = spec.clone().answering(&format!("_unknown{by}"));
                Code::InResponseToUnknown
            }
        }
    }
}

/// A random valid response, what it should yield, and the request it answers.
#[derive(Debug, Clone)]
struct Case {
    spec: ResponseSpec,
    request: Option<String>,
    email: String,
    given_name: String,
    family_name: String,
}

fn ms(n: i64) -> Duration {
    Duration::milliseconds(n)
}

prop_compose! {
    fn valid_case()(
        response_id in "_r[0-9a-f]{8,32}",
        assertion_id in "_a[0-9a-f]{8,32}",
        local in "[a-z][a-z0-9._+-]{0,15}[a-z0-9]",
        domain in "[a-z][a-z0-9-]{0,10}\\.(com|io|org|co\\.uk)",
        given_name in "[A-Z][a-zà-ü&<>'\" -]{0,10}[a-z]",
        family_name in "[A-Z][a-zà-ü&<>'\" -]{0,10}[a-z]",
        email_in_name_id in any::<bool>(),
        entra_names in any::<bool>(),
        extra in prop::collection::vec(("x-[a-z]{1,8}", prop::collection::vec("[ -~]{0,20}", 0..3)), 0..4),
        // Milliseconds from NOW, each inside its valid window with a margin.
        times in (-400_000i64..=170_000, -400_000i64..=170_000, -3_600_000i64..=170_000, -170_000i64..=3_600_000, -170_000i64..=3_600_000),
        signing in prop::sample::select(vec![Signing::Response, Signing::Assertion, Signing::Both]),
        key in prop::sample::select(vec![FixtureKey::RsaCurrent, FixtureKey::RsaNext]),
        encrypt in prop::bool::weighted(0.25),
        destination in prop::bool::weighted(0.8),
        request in prop::option::of("_q[0-9a-f]{8,20}"),
        extra_audience in prop::option::of("https://[a-z]{3,10}\\.example"),
    ) -> Case {
        let (response_issued, assertion_issued, not_before, not_on_or_after, confirmation_end) = times;
        let email = format!("{local}@{domain}");
        let mut spec = ResponseSpec::valid();
        spec.id = response_id;
        spec.issue_instant = Some(NOW + ms(response_issued));
        spec.destination = destination.then(|| ACS_URL.to_owned());
        spec.signing = signing;
        spec.key = key;
        spec.encrypt = encrypt;
        let a = spec.assertion_mut();
        a.id = assertion_id.clone();
        a.issue_instant = Some(NOW + ms(assertion_issued));
        a.subject = if email_in_name_id {
            SubjectId::NameId { value: email.clone(), format: Some(NAME_ID_EMAIL.to_owned()) }
        } else {
            SubjectId::NameId { value: format!("00u{}", &assertion_id[2..]), format: Some(NAME_ID_PERSISTENT.to_owned()) }
        };
        let claims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
        let names: [String; 3] = if entra_names {
            [format!("{claims}/emailaddress"), format!("{claims}/givenname"), format!("{claims}/surname")]
        } else {
            ["email".to_owned(), "firstName".to_owned(), "lastName".to_owned()]
        };
        let [email_name, given, family] = names;
        a.attributes = vec![(email_name, vec![email.clone()]), (given, vec![given_name.clone()]), (family, vec![family_name.clone()])];
        a.attributes.extend(extra);
        if let Some(c) = a.conditions.as_mut() {
            c.not_before = Some(NOW + ms(not_before));
            c.not_on_or_after = Some(NOW + ms(not_on_or_after));
            if let Some(other) = extra_audience {
                c.audience_restrictions = vec![vec![other, SP_ENTITY_ID.to_owned()]];
            }
        }
        if let Some(authn) = a.authn.as_mut() {
            authn.session_index = Some(assertion_id);
        }
        spec.bearer_mut().not_on_or_after = Some(NOW + ms(confirmation_end));
        if let Some(request) = &request {
            spec = spec.answering(request);
        }
        Case { spec, request, email, given_name, family_name }
    }
}

/// An SP trusting both the current and the next key, with the case's request outstanding.
fn acs_for(case: &Case) -> Acs {
    let mut acs = Acs::new();
    acs.team.certificates = vec![
        FixtureKey::RsaCurrent.certificate(),
        FixtureKey::RsaNext.certificate(),
    ];
    if let Some(request) = &case.request {
        acs.requests
            .issue(&acs.team.team.id, request, NOW - secs(30));
    }
    acs
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_response_is_accepted_and_one_wrong_field_gives_exactly_its_code(
        case in valid_case(),
        wrong in prop::sample::select(Wrong::ALL.to_vec()),
        by in any::<u32>(),
    ) {
        let acs = acs_for(&case);
        let login = acs.post_spec(&case.spec);
        prop_assert!(login.is_ok(), "valid spec refused: {:?}\n{}", login, case.spec.xml());
        let login = login.expect("checked above");
        prop_assert_eq!(&login.user_name, &case.email);
        prop_assert_eq!(login.given_name.as_ref(), Some(&case.given_name));
        prop_assert_eq!(login.family_name.as_ref(), Some(&case.family_name));
        prop_assert_eq!(&login.assertion_id, &case.spec.assertion().id);
        prop_assert_eq!(&login.in_response_to, &case.request);

        let mut spec = case.spec.clone();
        let expected = wrong.apply(&mut spec, by);
        let got = acs_for(&case).post_spec(&spec);
        prop_assert_eq!(got.as_ref().map_err(|r| r.code), Err(expected), "{:?}: {:?}", wrong, got);
    }
}
