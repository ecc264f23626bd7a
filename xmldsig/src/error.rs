//! Every way a document can fail to parse, verify, sign or decrypt, as one enum.
//!
//! Each variant has a stable snake_case [`Error::code`]: tests, the SP's rejection mapping and
//! reports match on codes, never on the Display text, which is for people.

use std::fmt;

/// A failure of `xmldsig`. Variants carry what was expected and what was found, so that a caller
/// can explain the failure without re-reading the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than [`crate::Limits::max_bytes`].
    #[error("document is {got} bytes, over the limit of {limit} bytes")]
    TooLarge { limit: usize, got: usize },
    /// The input is not UTF-8 (SAML messages are UTF-8; other encodings are refused, not guessed).
    #[error("document is not UTF-8: {0}")]
    NotUtf8(String),
    /// A DOCTYPE was found. DTDs and entity declarations are refused before anything is read,
    /// because they are how XXE and billion-laughs payloads arrive and no SAML message needs one.
    #[error("document has a DOCTYPE; DTDs and entity declarations are refused")]
    DoctypeForbidden,
    /// The document exceeds one of the caps of [`crate::Limits`]; [`crate::Limit::as_str`] names
    /// which, and is the stable code to match on (every cap shares [`Error::code`]
    /// `limit_exceeded`). `found` is the count when checking stopped: exact for the per-element
    /// caps, one past `max` for the document-wide ones, which stop at the first one over.
    #[error(
        "document exceeds the {limit} cap of {max}: reached {found} {what} \
         (xmldsig::Limits::{field}); real IdP messages stay far below it",
        what = limit.counted(),
        field = limit.field()
    )]
    LimitExceeded {
        limit: crate::parse::Limit,
        max: usize,
        found: usize,
    },
    /// The input is not well-formed XML (or uses an undeclared prefix, an unknown entity, …).
    #[error("document is not well-formed XML: {0}")]
    Malformed(String),

    /// The element carries no `ds:Signature` child.
    #[error("<{element}> has no ds:Signature child")]
    MissingSignature { element: String },
    /// The element carries several `ds:Signature` children; which one counts would be a guess.
    #[error("<{element}> has {count} ds:Signature children; exactly one is allowed")]
    MultipleSignatures { element: String, count: usize },
    /// An element that a SAML signature never contains (ds:Object, ds:Manifest, an XPath, …),
    /// or an element missing where the schema requires one.
    #[error("unexpected structure in {context}: {found}")]
    UnexpectedStructure {
        context: &'static str,
        found: String,
    },
    /// A required element is missing.
    #[error("{parent} has no {name}")]
    MissingElement {
        parent: &'static str,
        name: &'static str,
    },
    /// SignedInfo must hold exactly one Reference.
    #[error("SignedInfo has {found} Reference elements; exactly one is allowed")]
    ReferenceCount { found: usize },
    /// The signed element has no ID attribute, so nothing can reference it.
    #[error("<{element}> has no ID attribute to sign or reference")]
    MissingId { element: String },
    /// The Reference URI does not point at the element that holds the signature.
    #[error("Reference URI is {got:?}; the signed element's ID requires {expected:?}")]
    ReferenceMismatch { expected: String, got: String },
    /// The ID is used by more than one element, so a reference to it is ambiguous (the root of
    /// signature-wrapping attacks).
    #[error("ID {id:?} occurs {count} times in the document; IDs must be unique")]
    DuplicateId { id: String, count: usize },
    /// A transform other than enveloped-signature and exclusive c14n.
    #[error("transform {algorithm} is not allowed; only enveloped-signature and exc-c14n are")]
    TransformForbidden { algorithm: String },
    /// Allowed transforms in a wrong arrangement (missing, repeated or out of order).
    #[error("transforms must be exactly enveloped-signature then exc-c14n; found [{found}]")]
    TransformChainInvalid { found: String },
    /// A canonicalization method other than exclusive c14n without comments.
    #[error("canonicalization {algorithm} is not allowed; only exc-c14n without comments is")]
    CanonicalizationForbidden { algorithm: String },
    /// A SHA-1 digest or signature while the policy does not allow SHA-1.
    #[error("{algorithm} uses SHA-1, which the policy does not allow")]
    Sha1Forbidden { algorithm: String },
    /// An HMAC signature: the verifying key would have to be a shared secret, and using a public
    /// certificate as one is a known forgery. Never allowed.
    #[error("HMAC signature {algorithm} is never allowed")]
    HmacForbidden { algorithm: String },
    /// An algorithm URI this crate does not implement.
    #[error("algorithm {algorithm} is not supported")]
    AlgorithmUnsupported { algorithm: String },
    /// The digest of the referenced element differs from DigestValue: the element was changed
    /// after signing.
    #[error("digest of the signed element does not match DigestValue")]
    DigestMismatch,
    /// SignatureValue does not verify with any trusted certificate.
    #[error("signature value does not verify with any of the {tried} trusted certificate(s)")]
    SignatureInvalid { tried: usize },
    /// No trusted certificate has a key of the kind the signature algorithm needs.
    #[error("no trusted certificate holds a {needed} key for {algorithm}")]
    NoCompatibleCertificate {
        algorithm: String,
        needed: &'static str,
    },
    /// No trusted certificates were given: verification cannot succeed, and must not be skipped.
    #[error("no trusted certificates were given")]
    NoTrustedCertificates,
    /// A base64 field does not decode.
    #[error("{field} is not valid base64")]
    BadBase64 { field: &'static str },
    /// A key or certificate could not be read.
    #[error("cannot read {what}: {reason}")]
    BadKey { what: &'static str, reason: String },
    /// Signing was asked of an element that already holds a signature.
    #[error("<{element}> is already signed")]
    AlreadySigned { element: String },
    /// No element with the given ID exists.
    #[error("no element has ID {id:?}")]
    IdNotFound { id: String },

    /// RSA PKCS#1 v1.5 key transport while the policy does not allow it (Bleichenbacher oracle).
    #[error(
        "key transport {algorithm} is not allowed by the policy; have the IdP use RSA-OAEP, or set \
         Policy::allow_rsa_v15_key_transport"
    )]
    KeyTransportForbidden { algorithm: String },
    /// The key transport needs a kind of key that the decryption key is not (RSA transport, an
    /// EC key). Found before any private-key operation.
    #[error(
        "key transport {algorithm} needs an RSA key, and the decryption key is {key}; configure \
         the RSA key whose certificate the IdP encrypts for"
    )]
    KeyTransportMismatch {
        algorithm: String,
        key: &'static str,
    },
    /// A content cipher the policy does not allow: CBC when [`crate::Policy::allow_cbc`] is off.
    #[error(
        "content encryption {algorithm} is not allowed by the policy; have the IdP use AES-GCM, \
         or set Policy::allow_cbc"
    )]
    CipherForbidden { algorithm: String },
    /// Decryption failed at or after the private-key operation: the content key did not
    /// unwrap, had the wrong length, or the content did not decrypt to UTF-8. Display and code
    /// are the same for every one of these, so that an answer cannot serve as a padding oracle;
    /// `detail` says which, for logs only, and must never reach the sender.
    #[error("decryption failed")]
    DecryptionFailed { detail: &'static str },
    /// An OpenSSL operation failed for a reason unrelated to the input's validity.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
}

impl Error {
    /// The stable snake_case code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Error::TooLarge { .. } => "too_large",
            Error::NotUtf8(_) => "not_utf8",
            Error::DoctypeForbidden => "doctype_forbidden",
            Error::LimitExceeded { .. } => "limit_exceeded",
            Error::Malformed(_) => "malformed_xml",
            Error::MissingSignature { .. } => "missing_signature",
            Error::MultipleSignatures { .. } => "multiple_signatures",
            Error::UnexpectedStructure { .. } => "unexpected_structure",
            Error::MissingElement { .. } => "missing_element",
            Error::ReferenceCount { .. } => "reference_count",
            Error::MissingId { .. } => "missing_id",
            Error::ReferenceMismatch { .. } => "reference_mismatch",
            Error::DuplicateId { .. } => "duplicate_id",
            Error::TransformForbidden { .. } => "transform_forbidden",
            Error::TransformChainInvalid { .. } => "transform_chain_invalid",
            Error::CanonicalizationForbidden { .. } => "canonicalization_forbidden",
            Error::Sha1Forbidden { .. } => "sha1_forbidden",
            Error::HmacForbidden { .. } => "hmac_forbidden",
            Error::AlgorithmUnsupported { .. } => "algorithm_unsupported",
            Error::DigestMismatch => "digest_mismatch",
            Error::SignatureInvalid { .. } => "signature_invalid",
            Error::NoCompatibleCertificate { .. } => "no_compatible_certificate",
            Error::NoTrustedCertificates => "no_trusted_certificates",
            Error::BadBase64 { .. } => "bad_base64",
            Error::BadKey { .. } => "bad_key",
            Error::AlreadySigned { .. } => "already_signed",
            Error::IdNotFound { .. } => "id_not_found",
            Error::KeyTransportForbidden { .. } => "key_transport_forbidden",
            Error::KeyTransportMismatch { .. } => "key_transport_mismatch",
            Error::CipherForbidden { .. } => "cipher_forbidden",
            Error::DecryptionFailed { .. } => "decryption_failed",
            Error::Crypto(_) => "crypto_error",
        }
    }
}

impl From<openssl::error::ErrorStack> for Error {
    fn from(e: openssl::error::ErrorStack) -> Self {
        Error::Crypto(e.to_string())
    }
}

/// A qualified name for messages: `prefix:local` as written, or the local name.
pub(crate) struct QName<'a, 'input>(pub roxmltree::Node<'a, 'input>);

impl fmt::Display for QName<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match crate::c14n::element_prefix(self.0) {
            "" => f.write_str(self.0.tag_name().name()),
            p => write!(f, "{p}:{}", self.0.tag_name().name()),
        }
    }
}
