//! XML Encryption: round trips through every cipher and key transport, the policy on RSA 1.5,
//! failures that must stay coarse, and differential tests with `xmlsec1` both ways.
//!
//! xmlsec1 1.2.37 implements `rsa-oaep-mgf1p` with a SHA-1 OAEP digest and `rsa-1_5`, but
//! neither a SHA-256 OAEP digest nor `xmlenc11#rsa-oaep`; those transports are covered by the
//! round trips only.

mod common;
mod external;

use xmldsig::{
    BlockCipher, DigestAlgorithm, EncryptOptions, KeyTransport, Limits, Policy,
    SAML_ENCRYPTED_ASSERTION, SignOptions, decrypt, element_by_id, encrypt_element, parse_str,
    sign, verify,
};

const ASSERTION: &str = "_a1";

fn signed_response() -> String {
    sign(
        &common::saml_response("_r1", ASSERTION),
        ASSERTION,
        &common::key("idp-rsa-current"),
        &SignOptions::default(),
    )
    .expect("fixture signs")
}

fn encrypted(options: EncryptOptions) -> String {
    encrypt_element(
        &signed_response(),
        ASSERTION,
        &common::cert("sp-rsa"),
        &options,
        Some(SAML_ENCRYPTED_ASSERTION),
    )
    .expect("encrypts")
}

/// Decrypts the first EncryptedAssertion (or bare EncryptedData) of `xml` with `key_stem`.
fn decrypt_with(xml: &str, key_stem: &str, policy: &Policy) -> Result<String, xmldsig::Error> {
    let doc = parse_str(xml, &Limits::default()).expect("encrypted document parses");
    let target = doc
        .descendants()
        .find(|n| n.tag_name().name() == "EncryptedAssertion")
        .or_else(|| {
            doc.descendants()
                .find(|n| n.tag_name().name() == "EncryptedData")
        })
        .expect("document holds encrypted content");
    decrypt(target, &common::key(key_stem), policy)
}

/// The decrypted assertion's signature still verifies, so decryption restored it byte-exactly
/// in every way that was signed.
fn assert_signed_assertion(plaintext: &str) {
    let doc = parse_str(plaintext, &Limits::default()).expect("plaintext parses standalone");
    assert_eq!(doc.root_element().tag_name().name(), "Assertion");
    verify(
        doc.root_element(),
        &[common::cert("idp-rsa-current")],
        &Policy::default(),
    )
    .expect("decrypted assertion verifies");
}

const TRANSPORTS: [KeyTransport; 4] = [
    KeyTransport::RsaOaepMgf1p {
        digest: DigestAlgorithm::Sha1,
    },
    KeyTransport::RsaOaepMgf1p {
        digest: DigestAlgorithm::Sha256,
    },
    KeyTransport::RsaOaep {
        digest: DigestAlgorithm::Sha256,
        mgf: DigestAlgorithm::Sha256,
    },
    KeyTransport::RsaOaep {
        digest: DigestAlgorithm::Sha1,
        mgf: DigestAlgorithm::Sha1,
    },
];

#[test]
fn every_cipher_and_oaep_transport_round_trips_a_signed_assertion() {
    for cipher in BlockCipher::ALL {
        for key_transport in TRANSPORTS {
            let xml = encrypted(EncryptOptions {
                cipher,
                key_transport,
            });
            assert!(
                !xml.contains("alice@example.com"),
                "{cipher:?}/{key_transport:?} left plaintext"
            );
            let plaintext = decrypt_with(&xml, "sp-rsa", &Policy::default())
                .unwrap_or_else(|e| panic!("{cipher:?}/{key_transport:?}: {e}"));
            assert_signed_assertion(&plaintext);
        }
    }
}

#[test]
fn rsa_v15_key_transport_is_refused_unless_the_policy_allows_it() {
    let xml = encrypted(EncryptOptions {
        cipher: BlockCipher::Aes256Cbc,
        key_transport: KeyTransport::RsaV15,
    });
    let err = decrypt_with(&xml, "sp-rsa", &Policy::default())
        .expect_err("RSA 1.5 is refused by default");
    assert_eq!(err.code(), "key_transport_forbidden");
    let allowed = Policy {
        allow_rsa_v15_key_transport: true,
        ..Policy::default()
    };
    assert_signed_assertion(&decrypt_with(&xml, "sp-rsa", &allowed).expect("allowed by policy"));
}

#[test]
fn another_private_key_cannot_decrypt() {
    let xml = encrypted(EncryptOptions::default());
    assert_signed_assertion(
        &decrypt_with(&xml, "sp-rsa", &Policy::default()).expect("positive control"),
    );
    let err = decrypt_with(&xml, "idp-rsa-current", &Policy::default()).expect_err("wrong key");
    assert_eq!(err.code(), "decryption_failed");
}

/// Replaces the base64 content CipherValue (the last one in the document) with `f(bytes)`.
fn tamper_content(xml: &str, f: impl Fn(&mut Vec<u8>)) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let start = xml
        .rfind("<xenc:CipherValue>")
        .expect("content CipherValue")
        + "<xenc:CipherValue>".len();
    let end = start + xml[start..].find('<').expect("closing tag");
    let mut bytes = b64.decode(&xml[start..end]).expect("base64");
    f(&mut bytes);
    format!("{}{}{}", &xml[..start], b64.encode(&bytes), &xml[end..])
}

#[test]
fn tampered_gcm_content_fails_authentication() {
    for cipher in [BlockCipher::Aes128Gcm, BlockCipher::Aes256Gcm] {
        let xml = encrypted(EncryptOptions {
            cipher,
            ..EncryptOptions::default()
        });
        assert_signed_assertion(
            &decrypt_with(&xml, "sp-rsa", &Policy::default()).expect("positive control"),
        );
        for position in [0, 20, 200] {
            let tampered = tamper_content(&xml, |b| b[position] ^= 1);
            let err = decrypt_with(&tampered, "sp-rsa", &Policy::default())
                .expect_err("GCM tag catches it");
            assert_eq!(err.code(), "decryption_failed");
        }
        let truncated = tamper_content(&xml, |b| b.truncate(20));
        assert_eq!(
            decrypt_with(&truncated, "sp-rsa", &Policy::default())
                .expect_err("short")
                .code(),
            "decryption_failed"
        );
    }
}

/// CBC is malleable: flipping an IV bit flips the same bit of the first plaintext block, and
/// decryption succeeds. The signature inside is what catches it, which is why an SP must verify
/// the decrypted assertion.
#[test]
fn tampered_cbc_content_never_yields_a_verifying_assertion() {
    let xml = encrypted(EncryptOptions {
        cipher: BlockCipher::Aes128Cbc,
        ..EncryptOptions::default()
    });
    for position in [0, 5, 16, 40, 100] {
        let tampered = tamper_content(&xml, |b| b[position] ^= 0x20);
        if let Ok(plaintext) = decrypt_with(&tampered, "sp-rsa", &Policy::default()) {
            let verdict = parse_str(&plaintext, &Limits::default()).and_then(|doc| {
                verify(
                    doc.root_element(),
                    &[common::cert("idp-rsa-current")],
                    &Policy::default(),
                )
                .map(|_| ())
            });
            assert!(
                verdict.is_err(),
                "byte {position} tampered, yet the assertion verified"
            );
        }
    }
    let bad_padding = tamper_content(&xml, |b| b.truncate(b.len() - 1));
    assert_eq!(
        decrypt_with(&bad_padding, "sp-rsa", &Policy::default())
            .expect_err("ragged")
            .code(),
        "decryption_failed"
    );
}

#[test]
fn unknown_content_cipher_is_unsupported() {
    let xml = encrypted(EncryptOptions::default()).replace(
        BlockCipher::Aes256Gcm.uri(),
        "http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
    );
    assert_eq!(
        decrypt_with(&xml, "sp-rsa", &Policy::default())
            .expect_err("3DES")
            .code(),
        "algorithm_unsupported"
    );
}

#[test]
fn decrypted_assertion_keeps_namespaces_it_borrowed_from_the_response() {
    // The assertion uses `saml:` and `xs:` declared only on the Response; encrypting makes the
    // fragment standalone, and decryption output parses on its own.
    let plaintext = decrypt_with(
        &encrypted(EncryptOptions::default()),
        "sp-rsa",
        &Policy::default(),
    )
    .expect("decrypts");
    assert!(
        plaintext.starts_with("<saml:Assertion"),
        "{}",
        &plaintext[..60]
    );
    assert!(plaintext.contains("xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\""));
    assert_signed_assertion(&plaintext);
}

// ---- differential: xmlsec1 ----

fn xmlsec1_decrypt(dir: &std::path::Path, xml: &str) -> std::process::Output {
    let mut cmd = external::xmlsec1().expect("checked by caller");
    let input = external::write_file(dir, "encrypted.xml", xml.as_bytes());
    cmd.arg("--decrypt")
        .arg("--privkey-pem")
        .arg(common::fixture_path("sp-rsa.key"))
        .arg(&input);
    external::run(&mut cmd)
}

#[test]
fn xmlsec1_decrypts_what_xmldsig_encrypts() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let supported = [
        KeyTransport::RsaOaepMgf1p {
            digest: DigestAlgorithm::Sha1,
        },
        KeyTransport::RsaV15,
    ];
    for cipher in BlockCipher::ALL {
        for key_transport in supported {
            let xml = encrypted(EncryptOptions {
                cipher,
                key_transport,
            });
            let output = xmlsec1_decrypt(dir.path(), &xml);
            assert!(
                output.status.success(),
                "{cipher:?}/{key_transport:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            // xmlsec1 puts the assertion back in place; it must still verify, in our hands
            // and in xmlsec1's.
            let decrypted = String::from_utf8(output.stdout).expect("UTF-8");
            let doc = parse_str(&decrypted, &Limits::default()).expect("xmlsec1 output parses");
            verify(
                element_by_id(&doc, ASSERTION).expect("assertion back"),
                &[common::cert("idp-rsa-current")],
                &Policy::default(),
            )
            .expect("assertion decrypted by xmlsec1 verifies");
            let path = external::write_file(dir.path(), "decrypted.xml", decrypted.as_bytes());
            let mut cmd = external::xmlsec1().expect("present");
            cmd.args([
                "--verify",
                "--enabled-key-data",
                "raw-x509-cert",
                "--pubkey-cert-pem",
            ])
            .arg(common::fixture_path("idp-rsa-current.crt"))
            .args([
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            ])
            .arg(&path);
            let verified = external::run(&mut cmd);
            assert!(
                verified.status.success(),
                "{}",
                external::describe(&cmd, &verified)
            );
        }
    }
}

#[test]
fn xmldsig_decrypts_what_xmlsec1_encrypts() {
    if !external::require(external::XMLSEC1) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = external::write_file(dir.path(), "response.xml", signed_response().as_bytes());
    for (cipher, session_key) in [
        (BlockCipher::Aes128Cbc, "aes-128"),
        (BlockCipher::Aes192Cbc, "aes-192"),
        (BlockCipher::Aes256Cbc, "aes-256"),
        (BlockCipher::Aes128Gcm, "aes-128"),
        (BlockCipher::Aes256Gcm, "aes-256"),
    ] {
        let template = format!(
            concat!(
                r#"<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">"#,
                r#"<xenc:EncryptionMethod Algorithm="{}"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#,
                r#"<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>"#,
                r#"<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"#,
                r#"<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"#
            ),
            cipher.uri()
        );
        let template = external::write_file(dir.path(), "template.xml", template.as_bytes());
        let out = dir.path().join("out.xml");
        let mut cmd = external::xmlsec1().expect("present");
        cmd.arg("--encrypt")
            .arg("--pubkey-cert-pem")
            .arg(common::fixture_path("sp-rsa.crt"))
            .args(["--session-key", session_key, "--xml-data"])
            .arg(&data)
            .args(["--node-xpath", "//*[local-name()='Assertion']", "--output"])
            .arg(&out)
            .arg(&template);
        let output = external::run(&mut cmd);
        assert!(
            output.status.success(),
            "{}",
            external::describe(&cmd, &output)
        );
        let xml = std::fs::read_to_string(&out).expect("xmlsec1 output");
        assert!(
            !xml.contains("alice@example.com"),
            "{cipher:?}: xmlsec1 left plaintext"
        );
        let plaintext = decrypt_with(&xml, "sp-rsa", &Policy::default())
            .unwrap_or_else(|e| panic!("{cipher:?}: {e}"));
        assert_signed_assertion(&plaintext);
        assert_eq!(
            decrypt_with(&xml, "idp-rsa-current", &Policy::default())
                .expect_err("wrong key")
                .code(),
            "decryption_failed"
        );
    }
}
