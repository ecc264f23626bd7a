//! Certificates a verifier trusts and private keys a signer or decryptor holds, read once so
//! that per-message work is only the cryptography.

use crate::algorithm::{DigestAlgorithm, KeyKind, SignatureAlgorithm};
use crate::error::Error;
use openssl::asn1::Asn1Time;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::x509::X509;
use std::sync::{Arc, Mutex, PoisonError};

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
    /// `notAfter` in seconds since the Unix epoch, read once: an SP compares it with its clock
    /// on every response, and OpenSSL's time comparison converts both sides each time.
    not_after: i64,
    /// RSA verification contexts for this key, shared by its clones.
    rsa_contexts: RsaContexts,
}

/// RSA verification contexts of one key, set up once and reused. Setting one up
/// (`EVP_DigestVerifyInit`: OpenSSL 3 fetches the digest and signature implementations from
/// its provider, then allocates their contexts) took a fifth of the time of the RSA operation
/// itself in the SP's ACS profile. A context is taken out for one verification and put back
/// after it, so threads never share one; one that reported an error is dropped, not reused.
#[derive(Clone, Default)]
struct RsaContexts(Arc<Mutex<Vec<RsaContext>>>);

/// A context set up for one digest algorithm.
type RsaContext = (DigestAlgorithm, PkeyCtx<Public>);

impl RsaContexts {
    /// Contexts kept per key: as many as threads verify with it at once, within reason.
    const KEEP: usize = 32;

    /// PKCS#1 v1.5 verification of `signature` over `data` hashed with `digest`.
    fn verify(
        &self,
        key: &PKey<Public>,
        digest: DigestAlgorithm,
        data: &[u8],
        signature: &[u8],
    ) -> Result<bool, Error> {
        let kept = {
            let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            kept.iter()
                .position(|(d, _)| *d == digest)
                .map(|i| kept.swap_remove(i).1)
        };
        let mut context = match kept {
            Some(context) => context,
            None => {
                let mut context = PkeyCtx::new(key)?;
                context.verify_init()?;
                context.set_rsa_padding(Padding::PKCS1)?;
                context.set_signature_md(digest.md())?;
                context
            }
        };
        match context.verify(&digest.hash(data), signature) {
            Ok(valid) => {
                let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
                if kept.len() < Self::KEEP {
                    kept.push((digest, context));
                }
                Ok(valid)
            }
            // OpenSSL reports a malformed signature as an error, not `false`; both mean "no".
            Err(_) => Ok(false),
        }
    }
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
        let epoch = Asn1Time::from_unix(0)?;
        let since = epoch.diff(x509.not_after())?;
        let not_after = i64::from(since.days) * 86_400 + i64::from(since.secs);
        Ok(Certificate {
            x509,
            key,
            kind,
            not_after,
            rsa_contexts: RsaContexts::default(),
        })
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

    /// The certificate's `notAfter`, in seconds since the Unix epoch.
    pub fn not_after_unix(&self) -> i64 {
        self.not_after
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
        match self.kind {
            KeyKind::Rsa => {
                self.rsa_contexts
                    .verify(&self.key, algorithm.digest(), data, signature)
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
                let digest = algorithm.digest().hash(data);
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
        match self.kind {
            KeyKind::Rsa => {
                let md = algorithm.digest().message_digest();
                let mut signer = openssl::sign::Signer::new(md, &self.key)?;
                signer.update(data)?;
                Ok(signer.sign_to_vec()?)
            }
            KeyKind::Ec => {
                let ec = self.key.ec_key()?;
                let digest = algorithm.digest().hash(data);
                let sig = EcdsaSig::sign(&digest, &ec)?;
                let width = curve_bytes(&ec);
                let width =
                    i32::try_from(width).map_err(|_| Error::Crypto("curve too large".into()))?;
                let mut out = sig.r().to_vec_padded(width)?;
                out.extend(sig.s().to_vec_padded(width)?);
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Certificate, PrivateKey};
    use crate::algorithm::SignatureAlgorithm;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../fixtures/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    }

    /// Reused RSA contexts give the verdicts fresh ones would: per digest, after refusals and
    /// errors, and from several threads at once.
    #[test]
    fn reused_rsa_contexts_keep_every_verdict() {
        let key = PrivateKey::from_pem(&fixture("idp-rsa-current.key"), None).expect("key");
        let certificate =
            Certificate::from_pem(&fixture("idp-rsa-current.crt")).expect("certificate");
        let other = Certificate::from_pem(&fixture("idp-rsa-attacker.crt")).expect("other");
        let data = b"<ds:SignedInfo>...</ds:SignedInfo>";
        let sha256 = key.sign(SignatureAlgorithm::RsaSha256, data).expect("sign");
        let sha512 = key.sign(SignatureAlgorithm::RsaSha512, data).expect("sign");
        let mut tampered = sha256.clone();
        tampered[17] ^= 1;
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let verify = |algorithm, signature: &[u8], data: &[u8]| {
                            certificate
                                .verify(algorithm, data, signature)
                                .expect("no error")
                        };
                        assert!(verify(SignatureAlgorithm::RsaSha256, &sha256, data));
                        assert!(verify(SignatureAlgorithm::RsaSha512, &sha512, data));
                        // Each signature under the other digest, other data, a flipped bit,
                        // a signature of the wrong length (an OpenSSL error), another key.
                        assert!(!verify(SignatureAlgorithm::RsaSha512, &sha256, data));
                        assert!(!verify(SignatureAlgorithm::RsaSha256, &sha512, data));
                        assert!(!verify(SignatureAlgorithm::RsaSha256, &sha256, b"other"));
                        assert!(!verify(SignatureAlgorithm::RsaSha256, &tampered, data));
                        assert!(!verify(SignatureAlgorithm::RsaSha256, &sha256[1..], data));
                        assert!(
                            !other
                                .verify(SignatureAlgorithm::RsaSha256, data, &sha256)
                                .expect("no error")
                        );
                    }
                });
            }
        });
        // A refused signature drops the context it used (OpenSSL put errors on its stack); a
        // good one keeps its context for the next verification.
        for (algorithm, signature) in [
            (SignatureAlgorithm::RsaSha256, &sha256),
            (SignatureAlgorithm::RsaSha512, &sha512),
        ] {
            assert!(
                certificate
                    .verify(algorithm, data, signature)
                    .expect("no error")
            );
        }
        let kept = certificate.rsa_contexts.0.lock().expect("lock").len();
        assert!(
            (2..=8).contains(&kept),
            "{kept} contexts kept for 4 threads, 2 digests"
        );
    }

    #[test]
    fn not_after_is_read_in_unix_seconds() {
        let certificate =
            Certificate::from_pem(&fixture("idp-rsa-expired.crt")).expect("certificate");
        // notAfter=Jan  1 00:00:00 2021 GMT (`openssl x509 -enddate`).
        assert_eq!(certificate.not_after_unix(), 1_609_459_200);
    }
}
