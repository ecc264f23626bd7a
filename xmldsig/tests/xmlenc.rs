//! XML Encryption: round trips through every cipher and key transport, the policy on RSA 1.5,
//! failures that must stay coarse, and differential tests with `xmlsec1` both ways.
//!
//! xmlsec1 1.2.37 implements `rsa-oaep-mgf1p` with a SHA-1 OAEP digest and `rsa-1_5`, but
//! neither a SHA-256 OAEP digest nor `xmlenc11#rsa-oaep`; those transports are covered by the
//! round trips only.

mod common;
mod external;

use xmldsig::{
    BlockCipher, DigestAlgorithm, EncryptOptions, KeyTransport, Limits, Policy, PrivateKey,
    SAML_ENCRYPTED_ASSERTION, SignOptions, decrypt, decrypt_for, element_by_id, encrypt_element,
    parse_str, sign, verify,
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
    decrypt_as(xml, &common::key(key_stem), None, policy)
}

/// [`decrypt_with`] through [`decrypt_for`], with a key and a recipient name.
fn decrypt_as(
    xml: &str,
    key: &PrivateKey,
    recipient: Option<&str>,
    policy: &Policy,
) -> Result<String, xmldsig::Error> {
    let doc = parse_str(xml, &Limits::default()).expect("encrypted document parses");
    let target = doc
        .descendants()
        .find(|n| n.tag_name().name() == "EncryptedAssertion")
        .or_else(|| {
            doc.descendants()
                .find(|n| n.tag_name().name() == "EncryptedData")
        })
        .expect("document holds encrypted content");
    match recipient {
        None => decrypt(target, key, policy),
        Some(_) => decrypt_for(target, key, recipient, policy),
    }
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

// ---- one RSA operation, one answer ----

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// RSA-OAEP (SHA-1, MGF1 SHA-1: the default transport) of `content_key` for the SP.
fn wrap_for_sp(content_key: &[u8]) -> Vec<u8> {
    let public = common::cert("sp-rsa")
        .x509()
        .public_key()
        .expect("public key");
    let mut ctx = openssl::pkey_ctx::PkeyCtx::new(&public).expect("context");
    ctx.encrypt_init().expect("init");
    ctx.set_rsa_padding(openssl::rsa::Padding::PKCS1_OAEP)
        .expect("padding");
    let mut out = Vec::new();
    ctx.encrypt_to_vec(content_key, &mut out).expect("wraps");
    out
}

/// AES-256-GCM content as XML Encryption lays it out: IV, ciphertext, tag.
fn gcm_content(key: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let iv = [7u8; 12];
    let mut tag = [0u8; 16];
    let mut out = iv.to_vec();
    out.extend(
        openssl::symm::encrypt_aead(
            openssl::symm::Cipher::aes_256_gcm(),
            key,
            Some(&iv),
            &[],
            plaintext,
            &mut tag,
        )
        .expect("encrypts"),
    );
    out.extend_from_slice(&tag);
    out
}

/// `xml` (one EncryptedKey, AES-256-GCM content by default) with its two CipherValues replaced.
fn with_cipher_values(xml: &str, wrapped: &[u8], content: &[u8]) -> String {
    let open = "<xenc:CipherValue>";
    let first = xml.find(open).expect("key CipherValue") + open.len();
    let first_end = first + xml[first..].find('<').expect("end");
    let last = xml.rfind(open).expect("content CipherValue") + open.len();
    let last_end = last + xml[last..].find('<').expect("end");
    format!(
        "{}{}{}{}{}",
        &xml[..first],
        b64(wrapped),
        &xml[first_end..last],
        b64(content),
        &xml[last_end..]
    )
}

fn detail(err: &xmldsig::Error) -> &'static str {
    match err {
        xmldsig::Error::DecryptionFailed { detail } => detail,
        other => panic!("expected decryption_failed, got {other:?}"),
    }
}

/// Bleichenbacher and Jager–Somorovsky need answers that differ by what went wrong after the
/// key transport. Every such failure gives the same code and the same text; only the detail
/// field, for logs, tells them apart.
#[test]
fn every_failure_from_the_private_key_operation_on_gives_the_same_answer() {
    let gcm = encrypted(EncryptOptions::default());
    let cbc = encrypted(EncryptOptions {
        cipher: BlockCipher::Aes256Cbc,
        ..EncryptOptions::default()
    });
    let v15 = encrypted(EncryptOptions {
        key_transport: KeyTransport::RsaV15,
        ..EncryptOptions::default()
    });
    let allow_v15 = Policy {
        allow_rsa_v15_key_transport: true,
        ..Policy::default()
    };
    for (xml, policy) in [
        (&gcm, Policy::default()),
        (&cbc, Policy::default()),
        (&v15, allow_v15),
    ] {
        assert_signed_assertion(&decrypt_with(xml, "sp-rsa", &policy).expect("positive control"));
    }
    let good_key = [9u8; 32];
    let forged_positive = with_cipher_values(
        &gcm,
        &wrap_for_sp(&good_key),
        &gcm_content(&good_key, b"<a/>"),
    );
    let decrypted =
        decrypt_with(&forged_positive, "sp-rsa", &Policy::default()).expect("positive control");
    assert!(
        decrypted.starts_with("<a xmlns") && decrypted.ends_with("/>"),
        "the forged ciphertexts' positive control: {decrypted}"
    );

    let failures = [
        (
            "OAEP unwrap",
            decrypt_with(&gcm, "idp-rsa-current", &Policy::default()),
        ),
        (
            "RSA 1.5 unwrap",
            decrypt_with(&v15, "idp-rsa-current", &allow_v15),
        ),
        (
            "garbage wrapped key",
            decrypt_with(
                &with_cipher_values(&gcm, &[0x5a; 256], &gcm_content(&good_key, b"<a/>")),
                "sp-rsa",
                &Policy::default(),
            ),
        ),
        (
            "content key of the wrong length",
            decrypt_with(
                &with_cipher_values(
                    &gcm,
                    &wrap_for_sp(&good_key[..24]),
                    &gcm_content(&good_key, b"<a/>"),
                ),
                "sp-rsa",
                &Policy::default(),
            ),
        ),
        (
            "GCM tag",
            decrypt_with(
                &tamper_content(&gcm, |b| b[30] ^= 1),
                "sp-rsa",
                &Policy::default(),
            ),
        ),
        (
            "CBC padding",
            decrypt_with(
                &tamper_content(&cbc, |b| b.truncate(b.len() - 1)),
                "sp-rsa",
                &Policy::default(),
            ),
        ),
        (
            "plaintext not UTF-8",
            decrypt_with(
                &with_cipher_values(
                    &gcm,
                    &wrap_for_sp(&good_key),
                    &gcm_content(&good_key, b"<a>\xff</a>"),
                ),
                "sp-rsa",
                &Policy::default(),
            ),
        ),
    ];
    let errors: Vec<(&str, xmldsig::Error)> = failures
        .into_iter()
        .map(|(what, result)| (what, result.expect_err(what)))
        .collect();
    for (what, err) in &errors {
        assert_eq!(err.code(), "decryption_failed", "{what}");
        assert_eq!(err.to_string(), "decryption failed", "{what}");
    }
    let details: Vec<(&str, &str)> = errors.iter().map(|(w, e)| (*w, detail(e))).collect();
    assert_eq!(
        details[0].1, details[1].1,
        "unwrap failures share their detail"
    );
    assert_eq!(details[0].1, details[2].1);
    let distinct: std::collections::BTreeSet<&str> = details.iter().map(|(_, d)| *d).collect();
    assert_eq!(
        distinct.len(),
        4,
        "unwrap, key length, content, UTF-8: {details:?}"
    );
}

/// An EncryptedKey for someone else, as a string to splice before the SP's own.
fn foreign_encrypted_key(attributes: &str, inner: &str) -> String {
    format!(
        r#"<xenc:EncryptedKey{attributes}><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>{inner}<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>"#,
        b64(&[0x42; 256])
    )
}

/// `gcm` with `before` spliced in before the SP's EncryptedKey, whose start tag becomes
/// `sp_key_tag` and which gets `sp_key_info` as its first child.
fn with_keys(gcm: &str, before: &str, sp_key_tag: &str, sp_key_info: &str, after: &str) -> String {
    let at = gcm
        .find("<xenc:EncryptedKey>")
        .expect("the SP's EncryptedKey");
    let end = gcm.find("</xenc:EncryptedKey>").expect("its end") + "</xenc:EncryptedKey>".len();
    let body = &gcm[at + "<xenc:EncryptedKey>".len()..end];
    format!(
        "{}{before}{sp_key_tag}{sp_key_info}{body}{after}{}",
        &gcm[..at],
        &gcm[end..]
    )
}

/// Several EncryptedKeys: the one meant for the SP is unwrapped, and only that one. A key that
/// is never chosen is never read (a malformed one after it changes nothing), and when none is
/// marked the first is the only one tried, even when a later one would have worked: each call
/// makes exactly one RSA private-key operation.
#[test]
fn only_the_encrypted_key_meant_for_the_sp_is_unwrapped() {
    let gcm = encrypted(EncryptOptions::default());
    let sp_key = common::key("sp-rsa");
    let sp_cert = common::cert("sp-rsa");
    let x509 = sp_cert.x509();
    let policy = Policy::default();
    let garbage = foreign_encrypted_key(r#" Recipient="https://other.example""#, "");
    // Would fail with algorithm_unsupported if it were read.
    let unreadable = r#"<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="urn:unknown"/></xenc:EncryptedKey>"#;

    let by_recipient = with_keys(
        &gcm,
        &garbage,
        r#"<xenc:EncryptedKey Recipient="https://qualified.io">"#,
        "",
        unreadable,
    );
    assert_signed_assertion(
        &decrypt_as(
            &by_recipient,
            &sp_key,
            Some("https://qualified.io"),
            &policy,
        )
        .expect("the key for this recipient"),
    );

    let serial = x509
        .serial_number()
        .to_bn()
        .and_then(|bn| bn.to_dec_str().map(|s| s.to_string()))
        .expect("serial");
    let ski = b64(x509
        .subject_key_id()
        .expect("the fixture has an SKI")
        .as_slice());
    let naming = [
        format!(
            "<ds:X509Certificate>{}</ds:X509Certificate>",
            sp_cert.to_base64().expect("base64")
        ),
        format!(
            "<ds:X509IssuerSerial><ds:X509IssuerName>CN=ssolab test SP RSA (TEST ONLY),O=ssolab TEST ONLY fixtures</ds:X509IssuerName><ds:X509SerialNumber>{serial}</ds:X509SerialNumber></ds:X509IssuerSerial>"
        ),
        format!("<ds:X509SKI>{ski}</ds:X509SKI>"),
    ];
    for item in &naming {
        let by_certificate = with_keys(
            &gcm,
            &garbage,
            "<xenc:EncryptedKey>",
            &format!("<ds:KeyInfo><ds:X509Data>{item}</ds:X509Data></ds:KeyInfo>"),
            unreadable,
        );
        assert_signed_assertion(
            &decrypt_as(&by_certificate, &sp_key, None, &policy)
                .unwrap_or_else(|e| panic!("{item}: {e}")),
        );
        // The same names, but another certificate's: nothing is meant for the SP, so the
        // first (garbage) key is the one tried.
        let other = common::cert("idp-rsa-current");
        let foreign = item
            .replace(
                &sp_cert.to_base64().expect("base64"),
                &other.to_base64().expect("base64"),
            )
            .replace(&serial, "12345")
            .replace(&ski, &b64(&[1; 20]));
        let not_ours = with_keys(
            &gcm,
            &garbage,
            "<xenc:EncryptedKey>",
            &format!("<ds:KeyInfo><ds:X509Data>{foreign}</ds:X509Data></ds:KeyInfo>"),
            "",
        );
        assert_eq!(
            decrypt_as(&not_ours, &sp_key, None, &policy)
                .expect_err("the first key is tried")
                .code(),
            "decryption_failed",
            "{foreign}"
        );
    }

    // Nothing marked: the first is tried and fails; the SP's key after it is not tried.
    let unmarked = with_keys(
        &gcm,
        &foreign_encrypted_key("", ""),
        "<xenc:EncryptedKey>",
        "",
        "",
    );
    assert_eq!(
        decrypt_with(&unmarked, "sp-rsa", &policy)
            .expect_err("one RSA operation, on the first key")
            .code(),
        "decryption_failed"
    );
    // A recipient name that matches nothing changes nothing either.
    assert_eq!(
        decrypt_as(&unmarked, &sp_key, Some("https://qualified.io"), &policy)
            .expect_err("the first key again")
            .code(),
        "decryption_failed"
    );
    // Positive control: the unmarked SP key alone, or first, decrypts.
    let first = with_keys(
        &gcm,
        "",
        "<xenc:EncryptedKey>",
        "",
        &foreign_encrypted_key("", ""),
    );
    assert_signed_assertion(
        &decrypt_with(&first, "sp-rsa", &policy).expect("first key is the SP's"),
    );
}

#[test]
fn cbc_content_is_refused_when_the_policy_refuses_cbc() {
    let no_cbc = Policy {
        allow_cbc: false,
        ..Policy::default()
    };
    for cipher in BlockCipher::ALL {
        let xml = encrypted(EncryptOptions {
            cipher,
            ..EncryptOptions::default()
        });
        assert_signed_assertion(
            &decrypt_with(&xml, "sp-rsa", &Policy::default()).expect("allowed by default"),
        );
        let verdict = decrypt_with(&xml, "sp-rsa", &no_cbc);
        if cipher.is_gcm() {
            assert_signed_assertion(&verdict.expect("GCM is always allowed"));
        } else {
            let err = verdict.expect_err("CBC refused");
            assert_eq!(err.code(), "cipher_forbidden", "{cipher:?}");
            assert!(err.to_string().contains(cipher.uri()), "{err}");
        }
    }
}

/// Refusals that need no private key come first, with their own codes: a garbage wrapped key
/// (which would fail the RSA operation) does not change them.
#[test]
fn policy_and_key_kind_refusals_come_before_the_private_key_operation() {
    let gcm = encrypted(EncryptOptions::default());
    let garbage_key = with_cipher_values(&gcm, &[0x5a; 256], &[0; 64]);
    let ec_key = common::key("idp-ec-current");
    for xml in [&gcm, &garbage_key] {
        let err = decrypt_as(xml, &ec_key, None, &Policy::default()).expect_err("EC key");
        assert_eq!(err.code(), "key_transport_mismatch");
        assert!(err.to_string().contains("EC"), "{err}");
    }
    let cbc_garbage = with_cipher_values(
        &encrypted(EncryptOptions {
            cipher: BlockCipher::Aes128Cbc,
            ..EncryptOptions::default()
        }),
        &[0x5a; 256],
        &[0; 64],
    );
    let no_cbc = Policy {
        allow_cbc: false,
        ..Policy::default()
    };
    assert_eq!(
        decrypt_with(&cbc_garbage, "sp-rsa", &no_cbc)
            .expect_err("CBC")
            .code(),
        "cipher_forbidden"
    );
    let v15_garbage = with_cipher_values(
        &encrypted(EncryptOptions {
            key_transport: KeyTransport::RsaV15,
            ..EncryptOptions::default()
        }),
        &[0x5a; 256],
        &[0; 64],
    );
    assert_eq!(
        decrypt_with(&v15_garbage, "sp-rsa", &Policy::default())
            .expect_err("RSA 1.5")
            .code(),
        "key_transport_forbidden"
    );
    // Positive control: the same garbage with everything allowed reaches the RSA operation.
    assert_eq!(
        decrypt_with(&garbage_key, "sp-rsa", &Policy::default())
            .expect_err("garbage")
            .code(),
        "decryption_failed"
    );
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
