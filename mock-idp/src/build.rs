//! From spec to what the browser posts: render, sign the Assertion, encrypt it, sign the
//! Response — the order real IdPs use, so that a Response signature covers the ciphertext and
//! an Assertion signature survives decryption.

use crate::keys::{self, KeyError, KeyType};
use crate::spec::{EncryptTo, ResponseSpec};
use base64::Engine;
use time::OffsetDateTime;
use xmldsig::{SAML_ENCRYPTED_ASSERTION, SignOptions};

/// Why a spec could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("signing or encrypting failed: {0}")]
    Xml(#[from] xmldsig::Error),
}

/// A built response: the XML and its HTTP-POST form value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    pub xml: String,
}

impl Built {
    /// The `SAMLResponse` form value: base64 of the XML.
    pub fn form_value(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.xml.as_bytes())
    }
}

/// Builds `spec` at true time `now`.
pub fn build(spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
    build_edited(spec, now, |xml| xml)
}

/// Builds `spec` at `now` with `edit` applied to the rendered XML before anything is signed or
/// encrypted: a field made empty, malformed or absent in a way the spec cannot say, still
/// correctly signed, so that an SP's refusal names the field and not the signature.
pub fn build_edited(
    spec: &ResponseSpec,
    now: OffsetDateTime,
    edit: impl FnOnce(String) -> String,
) -> Result<Built, BuildError> {
    let mut xml = edit(crate::render::render(spec, now));
    let signing = &spec.signing;
    let key = keys::signing_key(signing.key, signing.key_type)?;
    let options = SignOptions {
        signature: signing.signature,
        digest: signing.digest,
        include_certificate: signing.include_certificate,
    };
    if spec.include_assertion && signing.placement.signs_assertion() {
        xml = xmldsig::sign(&xml, &spec.assertion_id, &key, &options)?;
    }
    if spec.include_assertion {
        if let Some(encryption) = &spec.encryption {
            let recipient = match encryption.to {
                EncryptTo::Sp => keys::sp_certificate()?,
                EncryptTo::WrongKey => {
                    keys::certificate(crate::keys::KeyRole::Current, KeyType::Rsa)?
                }
            };
            let options = xmldsig::EncryptOptions {
                cipher: encryption.cipher,
                key_transport: encryption.transport,
            };
            xml = xmldsig::encrypt_element(
                &xml,
                &spec.assertion_id,
                &recipient,
                &options,
                Some(SAML_ENCRYPTED_ASSERTION),
            )?;
        }
    }
    if signing.placement.signs_response() {
        xml = xmldsig::sign(&xml, &spec.response_id, &key, &options)?;
    }
    Ok(Built { xml })
}
