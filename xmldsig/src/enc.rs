//! XML Encryption of one element (SAML's `EncryptedAssertion`): decrypting what IdPs send and
//! encrypting for the mock IdP.
//!
//! Key transport is RSA-OAEP (`xmlenc#rsa-oaep-mgf1p`, or `xmlenc11#rsa-oaep` with its MGF);
//! RSA PKCS#1 v1.5 only when the [`Policy`] allows it, since it is a Bleichenbacher oracle.
//! Content is AES-128/192/256-GCM, or -CBC unless [`Policy::allow_cbc`] is off. One
//! EncryptedKey is unwrapped per EncryptedData, and every failure from that private-key
//! operation on is one [`Error::DecryptionFailed`] with one Display, so a caller cannot become
//! a padding oracle by echoing the reason (see [`decrypt_for`]).
//!
//! The decrypted element usually relies on namespace prefixes declared by its ancestors (the
//! Response declares `saml:`). [`decrypt`] returns it as a standalone document, with the
//! bindings in scope at the encrypted element copied onto its start tag. Exclusive c14n renders
//! only visibly utilized bindings, and the copied ones have the values they had in context, so a
//! signature inside verifies exactly as it would have in place.

use crate::algorithm::{
    BlockCipher, DigestAlgorithm, KeyKind, KeyTransport, Policy, RSA_OAEP, RSA_OAEP_MGF1P, RSA_V15,
    mgf_from_uri, mgf_uri,
};
use crate::error::Error;
use crate::keys::{Certificate, PrivateKey};
use crate::ns::{DS, XENC, XENC11};
use crate::parse::{Limits, parse_str};
use crate::sign::{element_by_id, escape_attribute_value};
use crate::tree::{child, children_named};
use openssl::md::{Md, MdRef};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use roxmltree::Node;

const ELEMENT_TYPE: &str = "http://www.w3.org/2001/04/xmlenc#Element";
const GCM_TAG_LEN: usize = 16;

/// How to encrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptOptions {
    pub cipher: BlockCipher,
    pub key_transport: KeyTransport,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        EncryptOptions {
            cipher: BlockCipher::Aes256Gcm,
            key_transport: KeyTransport::RsaOaepMgf1p {
                digest: DigestAlgorithm::Sha1,
            },
        }
    }
}

/// The element that replaces the encrypted one, e.g. [`SAML_ENCRYPTED_ASSERTION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wrapper {
    pub prefix: &'static str,
    pub local: &'static str,
    pub namespace: &'static str,
}

pub const SAML_ENCRYPTED_ASSERTION: Wrapper = Wrapper {
    prefix: "saml",
    local: "EncryptedAssertion",
    namespace: crate::ns::SAML_ASSERTION,
};

fn md(digest: DigestAlgorithm) -> &'static MdRef {
    match digest {
        DigestAlgorithm::Sha1 => Md::sha1(),
        DigestAlgorithm::Sha256 => Md::sha256(),
        DigestAlgorithm::Sha384 => Md::sha384(),
        DigestAlgorithm::Sha512 => Md::sha512(),
    }
}

/// Sets up `ctx` (already initialised for encryption or decryption) for `transport`.
fn configure_transport<T>(
    ctx: &mut PkeyCtx<T>,
    transport: KeyTransport,
    label: &[u8],
) -> Result<(), Error> {
    match transport {
        KeyTransport::RsaV15 => ctx.set_rsa_padding(Padding::PKCS1)?,
        KeyTransport::RsaOaepMgf1p { digest } => {
            ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
            ctx.set_rsa_oaep_md(md(digest))?;
            ctx.set_rsa_mgf1_md(Md::sha1())?;
        }
        KeyTransport::RsaOaep { digest, mgf } => {
            ctx.set_rsa_padding(Padding::PKCS1_OAEP)?;
            ctx.set_rsa_oaep_md(md(digest))?;
            ctx.set_rsa_mgf1_md(md(mgf))?;
        }
    }
    if !label.is_empty() {
        ctx.set_rsa_oaep_label(label)?;
    }
    Ok(())
}

/// The namespace bindings in scope at `node` as (prefix, URI), "" being the default namespace.
fn bindings_in_scope<'a>(node: Node<'a, '_>) -> Vec<(&'a str, &'a str)> {
    node.namespaces()
        .filter(|ns| ns.name() != Some("xml"))
        .map(|ns| (ns.name().unwrap_or(""), ns.uri()))
        .collect()
}

/// Names of the attributes written on the first start tag of `fragment` (namespace
/// declarations included), read with a small quote-aware scanner.
fn start_tag_attribute_names(fragment: &str) -> (Option<usize>, Vec<&str>) {
    let bytes = fragment.as_bytes();
    let Some(open) = (0..bytes.len())
        .find(|&i| bytes[i] == b'<' && bytes.get(i + 1).is_some_and(|b| !matches!(b, b'?' | b'!')))
    else {
        return (None, Vec::new());
    };
    let mut i = open + 1;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' && bytes[i] != b'/'
    {
        i += 1;
    }
    let qname_end = i;
    let mut names = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' || bytes[i] == b'/' {
            break;
        }
        let name_start = i;
        while i < bytes.len() && bytes[i] != b'=' && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        names.push(&fragment[name_start..i]);
        while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\'' {
            i += 1;
        }
        let Some(&quote) = bytes.get(i) else { break };
        i += 1;
        while i < bytes.len() && bytes[i] != quote {
            i += 1;
        }
        i += 1;
    }
    (Some(qname_end), names)
}

/// `fragment` with the given bindings declared on its root start tag, except those it declares.
fn with_bindings(fragment: &str, bindings: &[(&str, &str)]) -> String {
    let (Some(at), declared) = start_tag_attribute_names(fragment) else {
        return fragment.to_owned();
    };
    let mut added = String::new();
    for (prefix, uri) in bindings {
        let attr = if prefix.is_empty() {
            "xmlns".to_owned()
        } else {
            format!("xmlns:{prefix}")
        };
        if !declared.contains(&attr.as_str()) {
            added.push_str(&format!(" {attr}=\"{}\"", escape_attribute_value(uri)));
        }
    }
    format!("{}{added}{}", &fragment[..at], &fragment[at..])
}

/// Replaces the element whose `ID` is `id` by an `EncryptedData` for `recipient`, inside
/// `wrapper` when given.
pub fn encrypt_element(
    xml: &str,
    id: &str,
    recipient: &Certificate,
    options: &EncryptOptions,
    wrapper: Option<Wrapper>,
) -> Result<String, Error> {
    if recipient.kind() != KeyKind::Rsa {
        return Err(Error::BadKey {
            what: "recipient certificate",
            reason: "key transport needs an RSA key".into(),
        });
    }
    let doc = parse_str(xml, &Limits::default())?;
    let element = element_by_id(&doc, id)?;
    let range = element.range();
    let plaintext = with_bindings(&xml[range.clone()], &bindings_in_scope(element));

    let cipher = options.cipher;
    let mut key = vec![0u8; cipher.key_len()];
    openssl::rand::rand_bytes(&mut key)?;
    let mut iv = vec![0u8; cipher.iv_len()];
    openssl::rand::rand_bytes(&mut iv)?;
    let mut content = iv.clone();
    if cipher.is_gcm() {
        let mut tag = [0u8; GCM_TAG_LEN];
        content.extend(openssl::symm::encrypt_aead(
            cipher.cipher(),
            &key,
            Some(&iv),
            &[],
            plaintext.as_bytes(),
            &mut tag,
        )?);
        content.extend_from_slice(&tag);
    } else {
        // PKCS#7 padding is one of the paddings XML Encryption allows (last byte = pad length).
        content.extend(openssl::symm::encrypt(
            cipher.cipher(),
            &key,
            Some(&iv),
            plaintext.as_bytes(),
        )?);
    }

    let mut ctx = PkeyCtx::new(recipient.public_key())?;
    ctx.encrypt_init()?;
    configure_transport(&mut ctx, options.key_transport, &[])?;
    let mut wrapped = Vec::new();
    ctx.encrypt_to_vec(&key, &mut wrapped)?;

    let transport_params = match options.key_transport {
        KeyTransport::RsaV15 => String::new(),
        KeyTransport::RsaOaepMgf1p { digest } => {
            format!(r#"<ds:DigestMethod Algorithm="{}"/>"#, digest.uri())
        }
        KeyTransport::RsaOaep { digest, mgf } => format!(
            r#"<ds:DigestMethod Algorithm="{}"/><xenc11:MGF xmlns:xenc11="{XENC11}" Algorithm="{}"/>"#,
            digest.uri(),
            mgf_uri(mgf)
        ),
    };
    let encrypted_data = format!(
        concat!(
            r#"<xenc:EncryptedData xmlns:xenc="{xenc}" Type="{ty}">"#,
            r#"<xenc:EncryptionMethod Algorithm="{cipher}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="{ds}"><xenc:EncryptedKey>"#,
            r#"<xenc:EncryptionMethod Algorithm="{transport}">{params}</xenc:EncryptionMethod>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{wrapped}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedKey></ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{content}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedData>"#
        ),
        xenc = XENC,
        ty = ELEMENT_TYPE,
        cipher = cipher.uri(),
        ds = DS,
        transport = options.key_transport.uri(),
        params = transport_params,
        wrapped = crate::b64::encode(&wrapped),
        content = crate::b64::encode(&content),
    );
    let replacement = match wrapper {
        Some(w) => format!(
            "<{p}:{l} xmlns:{p}=\"{ns}\">{encrypted_data}</{p}:{l}>",
            p = w.prefix,
            l = w.local,
            ns = w.namespace
        ),
        None => encrypted_data,
    };
    Ok(format!(
        "{}{replacement}{}",
        &xml[..range.start],
        &xml[range.end..]
    ))
}

/// Reads the key transport of an `EncryptedKey`, applying the policy and checking that `key`
/// can perform it: every refusal here comes before any private-key operation.
fn key_transport(
    encrypted_key: Node,
    key: &PrivateKey,
    policy: &Policy,
) -> Result<(KeyTransport, Vec<u8>), Error> {
    let method = child(encrypted_key, XENC, "EncryptionMethod").ok_or(Error::MissingElement {
        parent: "EncryptedKey",
        name: "EncryptionMethod",
    })?;
    let algorithm = method.attribute("Algorithm").unwrap_or("");
    // DigestMethod names the OAEP digest; SHA-1 here is the spec's default, not a signature
    // weakness, so the SHA-1 policy does not apply to it.
    let oaep_policy = Policy {
        allow_sha1: true,
        ..*policy
    };
    let digest = match child(method, DS, "DigestMethod") {
        Some(d) => DigestAlgorithm::from_uri(d.attribute("Algorithm").unwrap_or(""), &oaep_policy)?,
        None => DigestAlgorithm::Sha1,
    };
    let label = match child(method, XENC, "OAEPparams") {
        Some(p) => crate::b64::decode(&crate::verified::text_content(p, None), "OAEPparams")?,
        None => Vec::new(),
    };
    let transport = match algorithm {
        RSA_OAEP_MGF1P => KeyTransport::RsaOaepMgf1p { digest },
        RSA_OAEP => {
            let mgf = match child(method, XENC11, "MGF") {
                Some(m) => mgf_from_uri(m.attribute("Algorithm").unwrap_or(""))?,
                None => DigestAlgorithm::Sha1,
            };
            KeyTransport::RsaOaep { digest, mgf }
        }
        RSA_V15 if policy.allow_rsa_v15_key_transport => KeyTransport::RsaV15,
        RSA_V15 => {
            return Err(Error::KeyTransportForbidden {
                algorithm: algorithm.to_owned(),
            });
        }
        other => {
            return Err(Error::AlgorithmUnsupported {
                algorithm: other.to_owned(),
            });
        }
    };
    // Every transport this crate speaks is RSA.
    if key.kind() != KeyKind::Rsa {
        return Err(Error::KeyTransportMismatch {
            algorithm: algorithm.to_owned(),
            key: key.kind().name(),
        });
    }
    Ok((transport, label))
}

fn cipher_value(parent: Node, context: &'static str) -> Result<Vec<u8>, Error> {
    let data = child(parent, XENC, "CipherData").ok_or(Error::MissingElement {
        parent: context,
        name: "CipherData",
    })?;
    let value = child(data, XENC, "CipherValue").ok_or(Error::MissingElement {
        parent: "CipherData",
        name: "CipherValue",
    })?;
    crate::b64::decode(&crate::verified::text_content(value, None), "CipherValue")
}

/// Whether the `ds:KeyInfo` of `encrypted_key` names `certificate`: the same certificate, its
/// issuer and serial number, or its subject key identifier. This only chooses which
/// EncryptedKey to try; a wrong choice fails to decrypt, it grants nothing.
fn names_certificate(encrypted_key: Node, certificate: &Certificate) -> bool {
    let Some(key_info) = child(encrypted_key, DS, "KeyInfo") else {
        return false;
    };
    let x509 = certificate.x509();
    children_named(key_info, DS, "X509Data")
        .flat_map(|data| data.children().filter(Node::is_element))
        .any(|item| match item.tag_name().name() {
            _ if item.tag_name().namespace() != Some(DS) => false,
            "X509Certificate" => {
                let der = crate::b64::decode(
                    &crate::verified::text_content(item, None),
                    "X509Certificate",
                );
                matches!((der, x509.to_der()), (Ok(a), Ok(b)) if a == b)
            }
            "X509SKI" => {
                let ski = crate::b64::decode(&crate::verified::text_content(item, None), "X509SKI");
                matches!((ski, x509.subject_key_id()), (Ok(a), Some(b)) if a == b.as_slice())
            }
            "X509IssuerSerial" => issuer_serial_matches(item, x509),
            _ => false,
        })
}

/// `X509IssuerSerial`: the serial number equal, and every value of the certificate's issuer
/// name present in `X509IssuerName` (its string form varies between writers).
fn issuer_serial_matches(item: Node, x509: &openssl::x509::X509) -> bool {
    let text = |local| child(item, DS, local).map(|n| crate::verified::text_content(n, None));
    let (Some(issuer), Some(serial)) = (text("X509IssuerName"), text("X509SerialNumber")) else {
        return false;
    };
    let ours = x509
        .serial_number()
        .to_bn()
        .and_then(|bn| bn.to_dec_str().map(|s| s.to_string()));
    ours.is_ok_and(|ours| ours == serial.trim())
        && x509.issuer_name().entries().all(|entry| {
            entry
                .data()
                .to_string()
                .is_ok_and(|value| issuer.contains(value.as_str()))
        })
}

/// The one EncryptedKey to try with `key`: the first meant for it (its `Recipient` is
/// `recipient`, or its KeyInfo names the key's certificate), else the first. Trying each in
/// turn would let a sender make the SP do one RSA private-key operation per EncryptedKey.
fn choose_encrypted_key<'a, 'input>(
    candidates: &[Node<'a, 'input>],
    key: &PrivateKey,
    recipient: Option<&str>,
) -> Option<Node<'a, 'input>> {
    let meant_for_us = |k: &Node| {
        (recipient.is_some() && k.attribute("Recipient") == recipient)
            || key
                .certificate()
                .is_some_and(|certificate| names_certificate(*k, certificate))
    };
    candidates
        .iter()
        .copied()
        .find(meant_for_us)
        .or_else(|| candidates.first().copied())
}

/// Why decryption failed after the private-key operation began: for logs only. Every one of
/// these reaches the caller as the same [`Error::DecryptionFailed`] (same code, same Display),
/// so that no answer tells a sender which step its ciphertext failed (Bleichenbacher's attack
/// on the key transport, Jager and Somorovsky's on CBC content).
mod detail {
    pub const UNWRAP: &str = "the content key does not unwrap with this private key";
    pub const KEY_LENGTH: &str = "the unwrapped content key has the wrong length for the cipher";
    pub const CONTENT: &str = "the content does not decrypt (GCM tag, CBC padding or length)";
    pub const NOT_UTF8: &str = "the decrypted content is not UTF-8";
}

/// AES content decryption; the failure detail is one of [`detail`]'s.
fn decrypt_content(cipher: BlockCipher, key: &[u8], data: &[u8]) -> Result<Vec<u8>, &'static str> {
    let (iv, rest) = data
        .split_at_checked(cipher.iv_len())
        .ok_or(detail::CONTENT)?;
    if cipher.is_gcm() {
        let split = rest.len().checked_sub(GCM_TAG_LEN).ok_or(detail::CONTENT)?;
        let (body, tag) = rest.split_at(split);
        return openssl::symm::decrypt_aead(cipher.cipher(), key, Some(iv), &[], body, tag)
            .map_err(|_| detail::CONTENT);
    }
    let mut crypter =
        openssl::symm::Crypter::new(cipher.cipher(), openssl::symm::Mode::Decrypt, key, Some(iv))
            .map_err(|_| detail::CONTENT)?;
    // XML Encryption padding: the last byte gives the pad length; other pad bytes are arbitrary,
    // so OpenSSL's PKCS#7 check would refuse valid input.
    crypter.pad(false);
    let mut out = vec![0u8; rest.len() + 16];
    let mut n = crypter
        .update(rest, &mut out)
        .map_err(|_| detail::CONTENT)?;
    n += crypter
        .finalize(&mut out[n..])
        .map_err(|_| detail::CONTENT)?;
    out.truncate(n);
    let pad = usize::from(*out.last().ok_or(detail::CONTENT)?);
    if pad == 0 || pad > 16 || pad > out.len() {
        return Err(detail::CONTENT);
    }
    out.truncate(out.len() - pad);
    Ok(out)
}

/// Decrypts `encrypted`, an `EncryptedData` or an element wrapping one (`EncryptedAssertion`),
/// with `key`, and returns the plaintext element as a standalone XML document (see the module
/// docs on namespaces). [`decrypt_for`] without a recipient name.
pub fn decrypt(encrypted: Node, key: &PrivateKey, policy: &Policy) -> Result<String, Error> {
    decrypt_for(encrypted, key, None, policy)
}

/// [`decrypt`], choosing among several EncryptedKeys the one whose `Recipient` attribute is
/// `recipient` (the SP's entity ID) or whose KeyInfo names `key`'s certificate.
///
/// Cost and answers are bounded for hostile input:
/// - every check that needs no private key comes first, each with its own error: structure,
///   the content cipher (CBC only when [`Policy::allow_cbc`]), the key transport (RSA 1.5 only
///   when [`Policy::allow_rsa_v15_key_transport`]) and whether `key` can perform it;
/// - exactly one EncryptedKey is unwrapped, one RSA private-key operation per call;
/// - from that operation on, every failure is the same [`Error::DecryptionFailed`]. A key that
///   does not unwrap is replaced by a random one and content decryption runs all the same, as
///   implicit rejection does, so that neither the answer nor its timing says which step failed.
pub fn decrypt_for(
    encrypted: Node,
    key: &PrivateKey,
    recipient: Option<&str>,
    policy: &Policy,
) -> Result<String, Error> {
    let data = if encrypted.has_tag_name((XENC, "EncryptedData")) {
        encrypted
    } else {
        let mut found = children_named(encrypted, XENC, "EncryptedData");
        let data = found.next().ok_or(Error::MissingElement {
            parent: "encrypted element",
            name: "EncryptedData",
        })?;
        if found.next().is_some() {
            return Err(Error::UnexpectedStructure {
                context: "encrypted element",
                found: "a second EncryptedData".into(),
            });
        }
        data
    };
    if data.attribute("Type").is_some_and(|t| t != ELEMENT_TYPE) {
        return Err(Error::UnexpectedStructure {
            context: "EncryptedData",
            found: format!(
                "Type {}; only {ELEMENT_TYPE} is decrypted",
                data.attribute("Type").unwrap_or("")
            ),
        });
    }
    let method = child(data, XENC, "EncryptionMethod").ok_or(Error::MissingElement {
        parent: "EncryptedData",
        name: "EncryptionMethod",
    })?;
    let cipher = BlockCipher::from_uri(method.attribute("Algorithm").unwrap_or(""))?;
    if !cipher.is_gcm() && !policy.allow_cbc {
        return Err(Error::CipherForbidden {
            algorithm: cipher.uri().to_owned(),
        });
    }

    // The EncryptedKey sits in EncryptedData's KeyInfo (ADFS, xmlsec) or beside EncryptedData
    // in the wrapper, pointed at by a RetrievalMethod (Okta, Shibboleth).
    let in_key_info = child(data, DS, "KeyInfo")
        .into_iter()
        .flat_map(|ki| children_named(ki, XENC, "EncryptedKey"));
    let beside = data
        .parent_element()
        .into_iter()
        .flat_map(|p| children_named(p, XENC, "EncryptedKey"));
    let candidates: Vec<Node> = in_key_info.chain(beside).collect();
    let encrypted_key =
        choose_encrypted_key(&candidates, key, recipient).ok_or(Error::MissingElement {
            parent: "EncryptedData",
            name: "EncryptedKey",
        })?;
    let (transport, label) = key_transport(encrypted_key, key, policy)?;
    let wrapped = cipher_value(encrypted_key, "EncryptedKey")?;
    let content = cipher_value(data, "EncryptedData")?;

    // From here on, one answer for every failure.
    let mut ctx = PkeyCtx::new(key.pkey())?;
    ctx.decrypt_init()?;
    configure_transport(&mut ctx, transport, &label)?;
    let mut content_key = Vec::new();
    let first_failure = match ctx.decrypt_to_vec(&wrapped, &mut content_key) {
        Ok(_) if content_key.len() == cipher.key_len() => None,
        Ok(_) => Some(detail::KEY_LENGTH),
        Err(_) => Some(detail::UNWRAP),
    };
    if first_failure.is_some() {
        content_key = vec![0u8; cipher.key_len()];
        openssl::rand::rand_bytes(&mut content_key)?;
    }
    let plaintext = decrypt_content(cipher, &content_key, &content)
        .and_then(|p| String::from_utf8(p).map_err(|_| detail::NOT_UTF8));
    match (first_failure, plaintext) {
        (None, Ok(text)) => Ok(with_bindings(&text, &bindings_in_scope(data))),
        (Some(detail), _) | (None, Err(detail)) => Err(Error::DecryptionFailed { detail }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_tag_scanner_reads_declared_names() {
        let (at, names) = start_tag_attribute_names(
            "\n<saml:Assertion xmlns:saml='u' ID=\"a>b\" Version='2.0'><x/>",
        );
        assert_eq!(at, Some(16));
        assert_eq!(names, ["xmlns:saml", "ID", "Version"]);
    }

    #[test]
    fn bindings_are_added_only_where_missing() {
        let out = with_bindings(
            "<saml:A xmlns:saml=\"u\"><x/></saml:A>",
            &[("saml", "u"), ("", "d"), ("xs", "x")],
        );
        assert_eq!(
            out,
            "<saml:A xmlns=\"d\" xmlns:xs=\"x\" xmlns:saml=\"u\"><x/></saml:A>"
        );
    }
}
