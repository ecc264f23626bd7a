/*!
The slice of XML Signature and XML Encryption that SAML 2.0 needs, done on one parsed tree.

An SP that verifies a signature with one XML parser and reads the assertion with another can be
made to read something that was never signed (ruby-saml CVE-2024-45409, CVE-2025-25291/25292).
Here parsing ([`parse`]), exclusive canonicalization ([`canonicalize`]), verification
([`verify`]) and reading ([`Verified`]) share a single [`roxmltree`] tree, so what is read is, by
construction, what was digested.

What it does, and what it refuses:
- parsing: a size cap, then a linear scan of the bytes that enforces the structural caps of
  [`Limits`] (depth, elements, attributes and namespace declarations per element and in scope,
  `Signature` and `EncryptedKey` counts, each refused as [`Error::LimitExceeded`] with its
  [`Limit`] code) before the parser builds anything, then a node cap; any DOCTYPE refused with
  its own error ([`Error::DoctypeForbidden`]); never panics on input;
- exclusive XML canonicalization 1.0 without comments of an element subtree, with the
  InclusiveNamespaces PrefixList and the enveloped-signature transform;
- [`verify`]: the `ds:Signature` that is a direct child of an element; exactly one Reference,
  to `#` + that element's ID, an ID unique in the whole document; transforms exactly
  enveloped-signature then exc-c14n; RSA PKCS#1 v1.5 and ECDSA (P-256, P-384) with SHA-2; SHA-1
  only when [`Policy::allow_sha1`]; HMAC never; the key only from the trusted certificates, each
  tried in turn (rollover), never from KeyInfo. Each failure has its own [`Error`] variant and
  stable [`Error::code`];
- [`VerifiedNode::text`] reads all character data of an element, so a comment inside a value
  cannot truncate it (see [`verified`]);
- [`sign`]: an enveloped signature on an element by ID, placed after its `saml:Issuer`;
- [`decrypt`] / [`decrypt_for`] / [`encrypt_element`]: `EncryptedAssertion` with RSA-OAEP key
  transport (RSA 1.5 only when [`Policy::allow_rsa_v15_key_transport`]) and AES-GCM or, unless
  [`Policy::allow_cbc`] is off, AES-CBC content; one EncryptedKey unwrapped per call, and one
  answer ([`Error::DecryptionFailed`]) for every failure from the private-key operation on;
- [`is_id_attribute`]: which attributes are IDs, for every duplicate-ID check.

```
use xmldsig::{Certificate, Limits, Policy, PrivateKey, SignOptions, element_by_id, parse_str, sign, verify};

let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/keys/");
let read = |f: &str| std::fs::read(format!("{dir}{f}")).unwrap();
let key = PrivateKey::from_pem(&read("idp-rsa-current.key"), Some(&read("idp-rsa-current.crt")))?;
let trusted = [Certificate::from_pem(&read("idp-rsa-current.crt"))?];

let xml = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1"><saml:Issuer>idp</saml:Issuer><saml:Subject><saml:NameID>alice@corp.com</saml:NameID></saml:Subject></saml:Assertion>"#;
let signed = sign(xml, "_a1", &key, &SignOptions::default())?;

let doc = parse_str(&signed, &Limits::default())?;
let verified = verify(element_by_id(&doc, "_a1")?, &trusted, &Policy::default())?;
let saml = xmldsig::ns::SAML_ASSERTION;
let name_id = verified.element().child(saml, "Subject").and_then(|s| s.child(saml, "NameID"));
assert_eq!(name_id.map(|n| n.text()).as_deref(), Some("alice@corp.com"));
# Ok::<(), xmldsig::Error>(())
```
*/
pub mod algorithm;
mod b64;
pub mod c14n;
pub mod enc;
pub mod error;
pub mod keys;
pub mod ns;
pub mod parse;
mod prescan;
pub mod sign;
pub(crate) mod tree;
pub mod verified;
pub mod verify;

pub use algorithm::{
    BlockCipher, DigestAlgorithm, KeyKind, KeyTransport, Policy, SignatureAlgorithm,
};
pub use c14n::{canonicalize, canonicalize_document};
pub use enc::{
    EncryptOptions, SAML_ENCRYPTED_ASSERTION, Wrapper, decrypt, decrypt_for, encrypt_element,
};
pub use error::Error;
pub use keys::{Certificate, PrivateKey};
pub use parse::{Limit, Limits, parse, parse_str};
pub use sign::{SignOptions, element_by_id, sign};
pub use verified::{Verified, VerifiedNode, text_content};
pub use verify::{is_id_attribute, verify};
