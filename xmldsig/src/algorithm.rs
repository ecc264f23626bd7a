//! The algorithms this crate speaks, mapped from and to their URIs, and the policy that decides
//! which of them a caller accepts.

use crate::error::Error;
use openssl::hash::MessageDigest;

/// What a verifier or decryptor accepts beyond the safe defaults.
///
/// The default is strict: SHA-2 only, RSA-OAEP key transport only. Both relaxations exist for
/// real IdPs that still send SHA-1 or RSA 1.5 and must be opted into per tenant. CBC content
/// is allowed by default because IdPs still send it (the AD FS and Okta captures in the corpus
/// use aes256-cbc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Accept SHA-1 digests and `rsa-sha1`/`ecdsa-sha1` signatures.
    pub allow_sha1: bool,
    /// Accept RSA PKCS#1 v1.5 key transport (`xmlenc#rsa-1_5`) when decrypting.
    pub allow_rsa_v15_key_transport: bool,
    /// Accept AES-CBC content when decrypting. CBC is unauthenticated: a sender who can tell
    /// whether a modified ciphertext decrypted to well-formed XML can read it (Jager and
    /// Somorovsky, "How to break XML Encryption", 2011). An SP that can, should turn this off,
    /// or decrypt only content whose enclosing Response signature verified first.
    pub allow_cbc: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allow_sha1: false,
            allow_rsa_v15_key_transport: false,
            allow_cbc: true,
        }
    }
}

/// A digest algorithm for a Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub const ALL: [DigestAlgorithm; 4] = [Self::Sha1, Self::Sha256, Self::Sha384, Self::Sha512];

    pub fn uri(self) -> &'static str {
        match self {
            Self::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
            Self::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::Sha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::Sha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }

    /// Maps a DigestMethod URI, refusing SHA-1 unless the policy allows it.
    pub fn from_uri(uri: &str, policy: &Policy) -> Result<Self, Error> {
        let algorithm = Self::ALL
            .into_iter()
            .find(|a| a.uri() == uri)
            .ok_or_else(|| Error::AlgorithmUnsupported {
                algorithm: uri.to_owned(),
            })?;
        if algorithm == Self::Sha1 && !policy.allow_sha1 {
            return Err(Error::Sha1Forbidden {
                algorithm: uri.to_owned(),
            });
        }
        Ok(algorithm)
    }

    /// The digest of `data`. OpenSSL's one-shot SHA functions skip the EVP algorithm fetch that
    /// OpenSSL 3 makes on every `hash()` call, a cost comparable to hashing a whole assertion.
    pub(crate) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => openssl::sha::sha1(data).to_vec(),
            Self::Sha256 => openssl::sha::sha256(data).to_vec(),
            Self::Sha384 => openssl::sha::sha384(data).to_vec(),
            Self::Sha512 => openssl::sha::sha512(data).to_vec(),
        }
    }

    pub(crate) fn md(self) -> &'static openssl::md::MdRef {
        match self {
            Self::Sha1 => openssl::md::Md::sha1(),
            Self::Sha256 => openssl::md::Md::sha256(),
            Self::Sha384 => openssl::md::Md::sha384(),
            Self::Sha512 => openssl::md::Md::sha512(),
        }
    }

    pub(crate) fn message_digest(self) -> MessageDigest {
        match self {
            Self::Sha1 => MessageDigest::sha1(),
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }
}

/// The kind of public key a signature algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    Ec,
}

impl KeyKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa => "RSA",
            KeyKind::Ec => "EC",
        }
    }
}

/// A SignatureMethod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    EcdsaSha1,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
}

const HMAC_PREFIXES: [&str; 2] = [
    "http://www.w3.org/2000/09/xmldsig#hmac-",
    "http://www.w3.org/2001/04/xmldsig-more#hmac-",
];

impl SignatureAlgorithm {
    pub const ALL: [SignatureAlgorithm; 8] = [
        Self::RsaSha1,
        Self::RsaSha256,
        Self::RsaSha384,
        Self::RsaSha512,
        Self::EcdsaSha1,
        Self::EcdsaSha256,
        Self::EcdsaSha384,
        Self::EcdsaSha512,
    ];

    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            Self::EcdsaSha1 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
            Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            Self::EcdsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        }
    }

    /// Maps a SignatureMethod URI: HMAC is always refused (its own error, since keying an HMAC
    /// with a public certificate is a forgery), SHA-1 only when the policy allows it.
    pub fn from_uri(uri: &str, policy: &Policy) -> Result<Self, Error> {
        if HMAC_PREFIXES.iter().any(|p| uri.starts_with(p)) {
            return Err(Error::HmacForbidden {
                algorithm: uri.to_owned(),
            });
        }
        let algorithm = Self::ALL
            .into_iter()
            .find(|a| a.uri() == uri)
            .ok_or_else(|| Error::AlgorithmUnsupported {
                algorithm: uri.to_owned(),
            })?;
        if algorithm.digest() == DigestAlgorithm::Sha1 && !policy.allow_sha1 {
            return Err(Error::Sha1Forbidden {
                algorithm: uri.to_owned(),
            });
        }
        Ok(algorithm)
    }

    pub fn digest(self) -> DigestAlgorithm {
        match self {
            Self::RsaSha1 | Self::EcdsaSha1 => DigestAlgorithm::Sha1,
            Self::RsaSha256 | Self::EcdsaSha256 => DigestAlgorithm::Sha256,
            Self::RsaSha384 | Self::EcdsaSha384 => DigestAlgorithm::Sha384,
            Self::RsaSha512 | Self::EcdsaSha512 => DigestAlgorithm::Sha512,
        }
    }

    pub fn key_kind(self) -> KeyKind {
        match self {
            Self::RsaSha1 | Self::RsaSha256 | Self::RsaSha384 | Self::RsaSha512 => KeyKind::Rsa,
            _ => KeyKind::Ec,
        }
    }
}

/// Symmetric ciphers for EncryptedData content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockCipher {
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
    Aes128Gcm,
    Aes256Gcm,
}

impl BlockCipher {
    pub const ALL: [BlockCipher; 5] = [
        Self::Aes128Cbc,
        Self::Aes192Cbc,
        Self::Aes256Cbc,
        Self::Aes128Gcm,
        Self::Aes256Gcm,
    ];

    pub fn uri(self) -> &'static str {
        match self {
            Self::Aes128Cbc => "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            Self::Aes192Cbc => "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
            Self::Aes256Cbc => "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
            Self::Aes128Gcm => "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            Self::Aes256Gcm => "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        }
    }

    pub fn from_uri(uri: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|c| c.uri() == uri)
            .ok_or_else(|| Error::AlgorithmUnsupported {
                algorithm: uri.to_owned(),
            })
    }

    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes128Gcm => 16,
            Self::Aes192Cbc => 24,
            Self::Aes256Cbc | Self::Aes256Gcm => 32,
        }
    }

    pub fn is_gcm(self) -> bool {
        matches!(self, Self::Aes128Gcm | Self::Aes256Gcm)
    }

    /// IV length as XML Encryption lays it out: 16 bytes for CBC, 96 bits for GCM.
    pub fn iv_len(self) -> usize {
        if self.is_gcm() { 12 } else { 16 }
    }

    pub(crate) fn cipher(self) -> openssl::symm::Cipher {
        use openssl::symm::Cipher;
        match self {
            Self::Aes128Cbc => Cipher::aes_128_cbc(),
            Self::Aes192Cbc => Cipher::aes_192_cbc(),
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
        }
    }
}

/// How the content key is wrapped for the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyTransport {
    /// `xmlenc#rsa-oaep-mgf1p`: MGF1 with SHA-1; `digest` is the OAEP digest (DigestMethod).
    RsaOaepMgf1p { digest: DigestAlgorithm },
    /// `xmlenc11#rsa-oaep`: OAEP digest and MGF1 digest both named.
    RsaOaep {
        digest: DigestAlgorithm,
        mgf: DigestAlgorithm,
    },
    /// `xmlenc#rsa-1_5`: refused when decrypting unless the policy allows it.
    RsaV15,
}

pub(crate) const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
pub(crate) const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
pub(crate) const RSA_V15: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

/// xmlenc11 MGF URIs.
pub(crate) fn mgf_uri(digest: DigestAlgorithm) -> &'static str {
    match digest {
        DigestAlgorithm::Sha1 => "http://www.w3.org/2009/xmlenc11#mgf1sha1",
        DigestAlgorithm::Sha256 => "http://www.w3.org/2009/xmlenc11#mgf1sha256",
        DigestAlgorithm::Sha384 => "http://www.w3.org/2009/xmlenc11#mgf1sha384",
        DigestAlgorithm::Sha512 => "http://www.w3.org/2009/xmlenc11#mgf1sha512",
    }
}

pub(crate) fn mgf_from_uri(uri: &str) -> Result<DigestAlgorithm, Error> {
    DigestAlgorithm::ALL
        .into_iter()
        .find(|d| mgf_uri(*d) == uri)
        .ok_or_else(|| Error::AlgorithmUnsupported {
            algorithm: uri.to_owned(),
        })
}

impl KeyTransport {
    pub fn uri(self) -> &'static str {
        match self {
            Self::RsaOaepMgf1p { .. } => RSA_OAEP_MGF1P,
            Self::RsaOaep { .. } => RSA_OAEP,
            Self::RsaV15 => RSA_V15,
        }
    }
}
