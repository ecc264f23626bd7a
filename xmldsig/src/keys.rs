//! Certificates a verifier trusts and private keys a signer or decryptor holds, read once so
//! that per-message work is only the cryptography.

use crate::algorithm::{KeyKind, SignatureAlgorithm};
use crate::error::Error;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::x509::X509;

fn key_kind(id: Id, what: &'static str) -> Result<KeyKind, Error> {
    match id {
        Id::RSA => Ok(KeyKind::Rsa),
        Id::EC => Ok(KeyKind::Ec),
        other => Err(Error::BadKey {
            what,
            reason: format!("unsupported key type {other:?}; RSA or EC needed"),
        }),
    }
}

/// Bytes of one ECDSA signature component (r or s) on this key's curve.
fn curve_bytes<T: openssl::pkey::HasParams>(ec: &openssl::ec::EcKeyRef<T>) -> usize {
    usize::try_from(ec.group().degree())
        .unwrap_or(0)
        .div_ceil(8)
}

/// A trusted X.509 certificate with its public key extracted.
#[derive(Clone)]
pub struct Certificate {
    x509: X509,
    key: PKey<Public>,
    kind: KeyKind,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &format!("{:?}", self.x509.subject_name()))
            .field("kind", &self.kind)
            .finish()
    }
}

impl Certificate {
    pub fn from_x509(x509: X509) -> Result<Self, Error> {
        let key = x509.public_key().map_err(|e| Error::BadKey {
            what: "certificate public key",
            reason: e.to_string(),
        })?;
        let kind = key_kind(key.id(), "certificate public key")?;
        Ok(Certificate { x509, key, kind })
    }

    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let x509 = X509::from_pem(pem).map_err(|e| Error::BadKey {
            what: "PEM certificate",
            reason: e.to_string(),
        })?;
        Self::from_x509(x509)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let x509 = X509::from_der(der).map_err(|e| Error::BadKey {
            what: "DER certificate",
            reason: e.to_string(),
        })?;
        Self::from_x509(x509)
    }

    /// Reads the base64 body of a `ds:X509Certificate` element as metadata carries it
    /// (whitespace and line breaks allowed).
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let der = crate::b64::decode(text, "X509Certificate")?;
        Self::from_der(&der)
    }

    pub fn x509(&self) -> &X509 {
        &self.x509
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub(crate) fn public_key(&self) -> &PKey<Public> {
        &self.key
    }

    /// The DER encoding, base64 without line breaks, as it goes into `ds:X509Certificate`.
    pub fn to_base64(&self) -> Result<String, Error> {
        Ok(crate::b64::encode(&self.x509.to_der()?))
    }

    /// Checks `signature` over `data`, with the XML-DSig encoding of ECDSA signatures (r‖s).
    pub(crate) fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        data: &[u8],
        signature: &[u8],
    ) -> Result<bool, Error> {
        let md = algorithm.digest().message_digest();
        match self.kind {
            KeyKind::Rsa => {
                let mut verifier = openssl::sign::Verifier::new(md, &self.key)?;
                verifier.update(data)?;
                // OpenSSL reports a malformed signature as an error, not `false`; both mean "no".
                Ok(verifier.verify(signature).unwrap_or(false))
            }
            KeyKind::Ec => {
                let ec = self.key.ec_key()?;
                // XML-DSig 1.1 §6.4.3: r and s each take exactly the curve's byte size, so a
                // signature has one encoding only.
                if signature.len() != 2 * curve_bytes(&ec) {
                    return Ok(false);
                }
                let (r, s) = signature.split_at(signature.len() / 2);
                let sig = EcdsaSig::from_private_components(
                    openssl::bn::BigNum::from_slice(r)?,
                    openssl::bn::BigNum::from_slice(s)?,
                )?;
                let digest = openssl::hash::hash(md, data)?;
                Ok(sig.verify(&digest, &ec).unwrap_or(false))
            }
        }
    }
}

/// A private key, optionally with its certificate (which a signer publishes in KeyInfo).
#[derive(Clone)]
pub struct PrivateKey {
    key: PKey<Private>,
    kind: KeyKind,
    certificate: Option<Certificate>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind)
            .field("certificate", &self.certificate)
            .finish()
    }
}

impl PrivateKey {
    /// Reads a PEM private key (PKCS#8 or traditional) and, optionally, its PEM certificate.
    /// The certificate must hold the matching public key.
    pub fn from_pem(key_pem: &[u8], certificate_pem: Option<&[u8]>) -> Result<Self, Error> {
        let key = PKey::private_key_from_pem(key_pem).map_err(|e| Error::BadKey {
            what: "PEM private key",
            reason: e.to_string(),
        })?;
        let certificate = certificate_pem.map(Certificate::from_pem).transpose()?;
        Self::new(key, certificate)
    }

    pub fn new(key: PKey<Private>, certificate: Option<Certificate>) -> Result<Self, Error> {
        let kind = key_kind(key.id(), "private key")?;
        if let Some(cert) = &certificate {
            if !cert.public_key().public_eq(&key) {
                return Err(Error::BadKey {
                    what: "certificate",
                    reason: "it does not hold the public half of the private key".into(),
                });
            }
        }
        Ok(PrivateKey {
            key,
            kind,
            certificate,
        })
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    pub(crate) fn pkey(&self) -> &PKey<Private> {
        &self.key
    }

    /// Signs `data`; ECDSA signatures come out as r‖s, each padded to the curve's size.
    pub(crate) fn sign(
        &self,
        algorithm: SignatureAlgorithm,
        data: &[u8],
    ) -> Result<Vec<u8>, Error> {
        if algorithm.key_kind() != self.kind {
            return Err(Error::BadKey {
                what: "signing key",
                reason: format!(
                    "{} needs a {} key, this is {}",
                    algorithm.uri(),
                    algorithm.key_kind().name(),
                    self.kind.name()
                ),
            });
        }
        let md = algorithm.digest().message_digest();
        match self.kind {
            KeyKind::Rsa => {
                let mut signer = openssl::sign::Signer::new(md, &self.key)?;
                signer.update(data)?;
                Ok(signer.sign_to_vec()?)
            }
            KeyKind::Ec => {
                let ec = self.key.ec_key()?;
                let digest = openssl::hash::hash(md, data)?;
                let sig = EcdsaSig::sign(&digest, &ec)?;
                let width = usize::try_from(ec.group().degree())
                    .unwrap_or(0)
                    .div_ceil(8);
                let width =
                    i32::try_from(width).map_err(|_| Error::Crypto("curve too large".into()))?;
                let mut out = sig.r().to_vec_padded(width)?;
                out.extend(sig.s().to_vec_padded(width)?);
                Ok(out)
            }
        }
    }
}
