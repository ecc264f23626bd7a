//! IdP metadata: what a team's IdP publishes about itself, read into the few facts the SP uses.
//!
//! A team's SSO form holds an issuer and metadata (pasted XML or a URL). From the metadata the SP
//! takes the IdP's entity ID, the signing certificates responses are verified against (all of
//! them, so that a rollover's next certificate is trusted before the IdP switches to it), the
//! SingleSignOnService endpoints SP-initiated login sends the browser to, and the `validUntil` /
//! `cacheDuration` hints that drive the background refresh ([`super::refresh`]).
//!
//! - [`parse_metadata`] reads one IdP from an `EntityDescriptor`, or picks it out of an
//!   `EntitiesDescriptor` (federation aggregate) by entity ID.
//! - [`check_static`] is what saving a team runs: parse, then refuse anything the SP could not
//!   work with (wrong entity ID, no signing certificate, no SSO URL, expired, unreadable
//!   certificate). Every refusal is a [`MetadataError`] with a stable [`MetadataError::code`] and a
//!   message naming the field and the fix.
//! - [`IdpMetadata::warnings`] lists what is worth telling an operator without refusing:
//!   expired, soon-expiring or not-yet-valid signing certificates.
//!
//! The metadata's own XML signature is not a gate. The SP has no trust anchor for it: the
//! operator vouches for pasted XML, and TLS for a fetched https URL ([`super::fetch`]). Entra and
//! AD FS sign their metadata with the very certificate it carries, which proves nothing about who
//! published it. [`verify_signature`] still *reports* on it, against whatever certificates the
//! caller names (typically the document's own): a document edited after signing shows up as
//! not verified, which is worth telling an operator, and nothing is refused because of it.
//!
//! Parsing goes through [`xmldsig::parse_str`] only, so DOCTYPEs are refused and size, node and
//! depth caps hold; nothing here indexes or unwraps on input, and a property test feeds random and
//! mutated documents to [`parse_metadata`].

use std::fmt;

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::hash::MessageDigest;
use roxmltree::Node;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};
use xmldsig::{Certificate, Limits};

/// Namespace of SAML 2.0 metadata elements (`md:`).
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The `protocolSupportEnumeration` entry of an IdP that speaks SAML 2.0: the protocol's
/// namespace URI, which `xmldsig::ns` holds.
pub const SAML2_PROTOCOL: &str = xmldsig::ns::SAML_PROTOCOL;
/// Binding URI: the AuthnRequest travels in the query string of a redirect.
pub const BINDING_HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// Binding URI: the AuthnRequest travels in an auto-submitted form.
pub const BINDING_HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// Largest metadata document accepted, pasted or fetched. One IdP's metadata is 2–40 KB (AD FS is
/// the largest seen, 37 KB); a megabyte leaves room for a small aggregate but not for a national
/// federation's tens of megabytes, which is not what a team's form should hold.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;

/// A certificate is reported as expiring soon this long before its notAfter.
pub const EXPIRY_WARNING: Duration = Duration::days(30);

fn limits() -> Limits {
    Limits {
        max_bytes: MAX_METADATA_BYTES,
        ..Limits::default()
    }
}

/// Why metadata cannot be used. Each variant names the field at fault and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Not parseable as XML within the limits (or a DOCTYPE): the `xmldsig` parser's verdict.
    #[error("metadata is not usable XML: {0}; paste the IdP's metadata document unchanged")]
    Xml(xmldsig::Error),
    /// A PEM certificate was given where the metadata XML belongs: a common mix-up, since IdP
    /// consoles offer both downloads side by side.
    #[error(
        "this is a PEM certificate (-----BEGIN …), not metadata; download the IdP's metadata XML \
         (Okta: \"Identity Provider metadata\"; Entra: \"Federation Metadata XML\") instead"
    )]
    CertificateNotMetadata,
    /// The root element is not `md:EntityDescriptor` or `md:EntitiesDescriptor`.
    #[error(
        "the root element is <{root}>{}, not a SAML 2.0 metadata EntityDescriptor or \
         EntitiesDescriptor (namespace {MD}); paste the IdP's metadata, not a SAML response or \
         other document",
        namespace.as_deref().map(|ns| format!(" in namespace {ns}")).unwrap_or_default()
    )]
    NotMetadata {
        root: String,
        namespace: Option<String>,
    },
    /// An `EntityDescriptor` without its required `entityID` attribute.
    #[error("an EntityDescriptor has no entityID attribute; the metadata is incomplete")]
    EntityIdMissing,
    /// The document's one entity has a different entityID than the team's configured issuer.
    #[error(
        "metadata entityID is {got:?} but the team's IdP issuer is {expected:?}{}; set the issuer \
         to exactly the entityID (the IdP puts it in the Issuer of every response), or use the \
         metadata of the IdP application configured for this team",
        near_miss(expected, got)
    )]
    EntityIdMismatch { expected: String, got: String },
    /// An aggregate holds no entity with the configured issuer as entityID.
    #[error(
        "no EntityDescriptor in this aggregate has entityID {expected:?} (the team's IdP issuer); \
         IdPs present: {}; set the issuer to one of them",
        list(found)
    )]
    EntityNotFound {
        expected: String,
        found: Vec<String>,
    },
    /// Several entities carry the same entityID, so which one is meant is a guess.
    #[error(
        "entityID {entity_id:?} occurs in {count} EntityDescriptors; the metadata is ambiguous, \
         use the IdP's own metadata rather than an aggregate"
    )]
    EntityIdDuplicated { entity_id: String, count: usize },
    /// The entity has no `IDPSSODescriptor`: typically SP metadata pasted by mistake.
    #[error(
        "{} has no IDPSSODescriptor, so it is not an identity provider (is this the SP's own \
         metadata?); paste the IdP's metadata",
        entity_id.as_deref().map(|e| format!("entity {e:?}")).unwrap_or_else(|| "the metadata".to_owned())
    )]
    NoIdpDescriptor { entity_id: Option<String> },
    /// The IdP does not list SAML 2.0 in `protocolSupportEnumeration` (SAML 1.1 / Shibboleth 1.3
    /// only).
    #[error(
        "IDPSSODescriptor protocolSupportEnumeration is {protocols:?}, without {SAML2_PROTOCOL}; \
         the SP speaks SAML 2.0 only, so enable SAML 2.0 on the IdP"
    )]
    Saml2NotSupported { protocols: Vec<String> },
    /// A signing certificate's `X509Certificate` is not a readable certificate.
    #[error(
        "signing certificate #{position} (KeyDescriptor X509Certificate) cannot be read: {reason}; \
         download the metadata again, the certificate text may have been cut or altered"
    )]
    CertificateInvalid {
        /// 1-based, in document order among the signing certificates.
        position: usize,
        reason: xmldsig::Error,
    },
    /// No signing certificate, so no response could ever be verified.
    #[error(
        "metadata has no signing certificate (KeyDescriptor use=\"signing\" with an \
         X509Certificate); a team cannot be saved without one, since responses could not be \
         verified"
    )]
    NoSigningCertificate,
    /// No SingleSignOnService with the HTTP-Redirect or HTTP-POST binding.
    #[error(
        "IDPSSODescriptor has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding \
         (found: {}); SP-initiated login needs the IdP's SSO URL, enable one of these bindings",
        list(bindings)
    )]
    NoSsoUrl { bindings: Vec<String> },
    /// A SingleSignOnService Location is not an absolute http(s) URL.
    #[error(
        "SingleSignOnService Location {location:?} is not an absolute http(s) URL; correct the \
         IdP's SSO URL"
    )]
    SsoUrlInvalid { location: String },
    /// `validUntil` is in the past: the IdP says this metadata must no longer be used.
    #[error(
        "metadata validUntil is {}, which is past (now {}); download current metadata from the IdP",
        rfc3339(*valid_until),
        rfc3339(*now)
    )]
    MetadataExpired {
        valid_until: OffsetDateTime,
        now: OffsetDateTime,
    },
    /// `validUntil` is not an xs:dateTime.
    #[error(
        "validUntil {value:?} on <{element}> is not a date-time like 2030-01-01T00:00:00Z; the \
         metadata is malformed"
    )]
    ValidUntilInvalid { element: String, value: String },
    /// `cacheDuration` is not an xs:duration.
    #[error(
        "cacheDuration {value:?} on <{element}> is not a duration like PT6H or P1D ({reason}); the \
         metadata is malformed"
    )]
    CacheDurationInvalid {
        element: String,
        value: String,
        reason: &'static str,
    },
}

impl MetadataError {
    /// The stable snake_case code: tests, stored "last error" records and reports match on it.
    pub fn code(&self) -> &'static str {
        match self {
            // The parser's own codes (malformed_xml, doctype_forbidden, too_large, …) are already
            // the DESIGN codes for the same failures of a response.
            MetadataError::Xml(e) => e.code(),
            MetadataError::CertificateNotMetadata => "certificate_not_metadata",
            MetadataError::NotMetadata { .. } => "not_metadata",
            MetadataError::EntityIdMissing => "entity_id_missing",
            MetadataError::EntityIdMismatch { .. } => "entity_id_mismatch",
            MetadataError::EntityNotFound { .. } => "entity_not_found",
            MetadataError::EntityIdDuplicated { .. } => "entity_id_duplicated",
            MetadataError::NoIdpDescriptor { .. } => "no_idp_descriptor",
            MetadataError::Saml2NotSupported { .. } => "saml2_not_supported",
            MetadataError::CertificateInvalid { .. } => "certificate_invalid",
            MetadataError::NoSigningCertificate => "no_signing_certificate",
            MetadataError::NoSsoUrl { .. } => "no_sso_url",
            MetadataError::SsoUrlInvalid { .. } => "sso_url_invalid",
            MetadataError::MetadataExpired { .. } => "metadata_expired",
            MetadataError::ValidUntilInvalid { .. } => "valid_until_invalid",
            MetadataError::CacheDurationInvalid { .. } => "cache_duration_invalid",
        }
    }
}

/// Something an operator should know that does not stop the metadata from being used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataWarning {
    /// Reported, never refused: metadata pins a key, and the certificate is only its container
    /// (the SAML V2.0 Metadata Interoperability Profile has consumers ignore its dates). IdPs do
    /// keep publishing expired certificates: several real metadata documents in the corpus
    /// (AD FS, OneLogin, PingOne, the older Entra one) carry one.
    #[error(
        "signing certificate {subject} expired on {}; responses signed with it are still \
         accepted, but ask the IdP administrator to rotate it",
        rfc3339(*not_after)
    )]
    CertificateExpired {
        subject: String,
        not_after: OffsetDateTime,
    },
    /// Expires within [`EXPIRY_WARNING`].
    #[error(
        "signing certificate {subject} expires on {}; make sure the IdP's next certificate gets \
         into the metadata before then (a metadata URL picks it up automatically)",
        rfc3339(*not_after)
    )]
    CertificateExpiresSoon {
        subject: String,
        not_after: OffsetDateTime,
    },
    /// A rollover's next certificate is often published before its notBefore; harmless.
    #[error(
        "signing certificate {subject} is not valid before {}; fine if it is the IdP's next \
         certificate, published ahead of a rollover",
        rfc3339(*not_before)
    )]
    CertificateNotYetValid {
        subject: String,
        not_before: OffsetDateTime,
    },
}

impl MetadataWarning {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            MetadataWarning::CertificateExpired { .. } => "certificate_expired",
            MetadataWarning::CertificateExpiresSoon { .. } => "certificate_expires_soon",
            MetadataWarning::CertificateNotYetValid { .. } => "certificate_not_yet_valid",
        }
    }
}

/// A SingleSignOnService binding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Binding {
    HttpRedirect,
    HttpPost,
    /// SOAP, Artifact, Shibboleth 1.x `AuthnRequest`, …: recorded, never used.
    Other(String),
}

impl Binding {
    pub fn from_uri(uri: &str) -> Binding {
        match uri {
            BINDING_HTTP_REDIRECT => Binding::HttpRedirect,
            BINDING_HTTP_POST => Binding::HttpPost,
            other => Binding::Other(other.to_owned()),
        }
    }

    pub fn uri(&self) -> &str {
        match self {
            Binding::HttpRedirect => BINDING_HTTP_REDIRECT,
            Binding::HttpPost => BINDING_HTTP_POST,
            Binding::Other(uri) => uri,
        }
    }
}

/// One `md:SingleSignOnService`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoEndpoint {
    pub binding: Binding,
    pub location: String,
}

/// A signing certificate from the IdP's `KeyDescriptor`, with the facts an operator is shown.
#[derive(Debug, Clone)]
pub struct SigningCertificate {
    certificate: Certificate,
    subject: String,
    fingerprint: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl SigningCertificate {
    fn read(text: &str) -> Result<SigningCertificate, xmldsig::Error> {
        let certificate = Certificate::from_base64(text)?;
        let x509 = certificate.x509();
        let subject = subject_line(x509.subject_name());
        let fingerprint = x509
            .digest(MessageDigest::sha256())
            .map(|d| hex_colons(&d))?;
        let not_before = asn1_to_datetime(x509.not_before())?;
        let not_after = asn1_to_datetime(x509.not_after())?;
        Ok(SigningCertificate {
            certificate,
            subject,
            fingerprint,
            not_before,
            not_after,
        })
    }

    /// The certificate responses are verified against.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Subject DN in certificate order, `C=US, O=…, CN=…`.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// SHA-256 of the DER, upper-case hex pairs joined by `:`, as IdP consoles display it.
    pub fn sha256_fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
}

/// A signing `X509Certificate` that did not read as a certificate. Kept rather than failing the
/// parse so that one broken entity in an aggregate does not hide the others; [`check_static`]
/// refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableCertificate {
    /// 1-based, in document order among the signing certificates.
    pub position: usize,
    pub reason: xmldsig::Error,
}

/// A signing certificate's state at a given time, for `sp team show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateStatus {
    pub subject: String,
    pub sha256_fingerprint: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// `not_after` is at or before `now`.
    pub expired: bool,
    /// `not_before` is after `now`.
    pub not_yet_valid: bool,
}

/// One IdP as its metadata describes it.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    entity_id: String,
    protocols: Vec<String>,
    signing: Vec<SigningCertificate>,
    unreadable: Vec<UnreadableCertificate>,
    sso: Vec<SsoEndpoint>,
    valid_until: Option<OffsetDateTime>,
    cache_duration: Option<Duration>,
}

impl IdpMetadata {
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// `protocolSupportEnumeration` of the IDPSSODescriptor.
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    pub fn supports_saml2(&self) -> bool {
        self.protocols.iter().any(|p| p == SAML2_PROTOCOL)
    }

    /// Every readable signing certificate, in document order, duplicates removed. All are trusted:
    /// during a rollover the IdP publishes the next certificate beside the current one.
    pub fn signing_certificates(&self) -> &[SigningCertificate] {
        &self.signing
    }

    /// The certificates to verify responses against (cheap clones of reference-counted X509s).
    pub fn certificates(&self) -> Vec<Certificate> {
        self.signing.iter().map(|c| c.certificate.clone()).collect()
    }

    pub fn unreadable_certificates(&self) -> &[UnreadableCertificate] {
        &self.unreadable
    }

    /// Every SingleSignOnService, in document order.
    pub fn sso_endpoints(&self) -> &[SsoEndpoint] {
        &self.sso
    }

    /// The first Location for `binding`.
    pub fn sso_url(&self, binding: &Binding) -> Option<&str> {
        self.sso
            .iter()
            .find(|e| &e.binding == binding)
            .map(|e| e.location.as_str())
    }

    /// The endpoint SP-initiated login should use: HTTP-Redirect when offered (a plain 302 with
    /// no page of our own in between), else HTTP-POST. JumpCloud's metadata offers only
    /// HTTP-POST, so a caller must be able to send either.
    pub fn preferred_sso(&self) -> Option<&SsoEndpoint> {
        let find = |b: Binding| self.sso.iter().find(|e| e.binding == b);
        find(Binding::HttpRedirect).or_else(|| find(Binding::HttpPost))
    }

    /// The earliest `validUntil` on the IDPSSODescriptor, its EntityDescriptor and any enclosing
    /// EntitiesDescriptor (each bounds everything it contains: SAML metadata §2.3.1–2.3.2).
    pub fn valid_until(&self) -> Option<OffsetDateTime> {
        self.valid_until
    }

    /// The shortest `cacheDuration` along the same chain as [`Self::valid_until`].
    pub fn cache_duration(&self) -> Option<Duration> {
        self.cache_duration
    }

    /// `validUntil` is at or before `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.valid_until.is_some_and(|v| v <= now)
    }

    /// Each signing certificate with its dates and whether it has expired at `now`.
    pub fn certificate_report(&self, now: OffsetDateTime) -> Vec<CertificateStatus> {
        self.signing
            .iter()
            .map(|c| CertificateStatus {
                subject: c.subject.clone(),
                sha256_fingerprint: c.fingerprint.clone(),
                not_before: c.not_before,
                not_after: c.not_after,
                expired: c.not_after <= now,
                not_yet_valid: c.not_before > now,
            })
            .collect()
    }

    /// What to tell the operator at `now` without refusing the metadata.
    pub fn warnings(&self, now: OffsetDateTime) -> Vec<MetadataWarning> {
        let soon = now.checked_add(EXPIRY_WARNING).unwrap_or(now);
        let mut out = Vec::new();
        for c in &self.signing {
            let subject = c.subject.clone();
            if c.not_after <= now {
                out.push(MetadataWarning::CertificateExpired {
                    subject,
                    not_after: c.not_after,
                });
            } else if c.not_before > now {
                out.push(MetadataWarning::CertificateNotYetValid {
                    subject,
                    not_before: c.not_before,
                });
            } else if c.not_after <= soon {
                out.push(MetadataWarning::CertificateExpiresSoon {
                    subject,
                    not_after: c.not_after,
                });
            }
        }
        out
    }
}

/// Reads one IdP from metadata.
///
/// With `expected_entity_id`, the EntityDescriptor whose entityID equals it exactly is taken
/// (from a single EntityDescriptor or anywhere in an EntitiesDescriptor tree); otherwise the
/// first EntityDescriptor that has an IDPSSODescriptor. A UTF-8 BOM and whitespace before the
/// document are ignored: Entra's downloads start with a BOM, and pasted text often
/// starts with a blank line.
///
/// Only the IDPSSODescriptor is read (the first listing SAML 2.0, else the first): keys in
/// WS-Federation RoleDescriptors, SPSSODescriptors or AttributeAuthorityDescriptors are not
/// response-signing keys. A KeyDescriptor counts as signing when `use="signing"` or `use` is
/// absent (SAML metadata §2.4.1.1: absent means both uses).
pub fn parse_metadata(
    xml: &str,
    expected_entity_id: Option<&str>,
) -> Result<IdpMetadata, MetadataError> {
    let text = strip_preamble(xml)?;
    let doc = xmldsig::parse_str(text, &limits()).map_err(MetadataError::Xml)?;
    let entities = entities(doc.root_element())?;
    match expected_entity_id {
        Some(expected) => {
            let matching: Vec<&Node> = entities
                .iter()
                .filter(|e| e.attribute("entityID") == Some(expected))
                .collect();
            match matching.as_slice() {
                [entity] => read_idp(**entity),
                [] => Err(not_found(&entities, expected)),
                several => Err(MetadataError::EntityIdDuplicated {
                    entity_id: expected.to_owned(),
                    count: several.len(),
                }),
            }
        }
        None => match entities.iter().find(|e| idp_descriptor(**e).is_some()) {
            Some(entity) => read_idp(*entity),
            None => Err(MetadataError::NoIdpDescriptor {
                entity_id: entities
                    .first()
                    .and_then(|e| e.attribute("entityID"))
                    .map(str::to_owned),
            }),
        },
    }
}

/// Reads every IdP (EntityDescriptor with an IDPSSODescriptor, any protocol) of a document, in
/// document order; for inspecting aggregates.
pub fn parse_idps(xml: &str) -> Result<Vec<IdpMetadata>, MetadataError> {
    let text = strip_preamble(xml)?;
    let doc = xmldsig::parse_str(text, &limits()).map_err(MetadataError::Xml)?;
    entities(doc.root_element())?
        .into_iter()
        .filter(|e| idp_descriptor(*e).is_some())
        .map(read_idp)
        .collect()
}

/// The check run when a team's metadata is saved, and on every refreshed copy before it replaces
/// the last good one: parses for `issuer` and refuses what the SP could not work with.
///
/// Order: entity ID (the most common mistake, and it decides which entity the rest is about),
/// SAML 2.0 support, certificates readable, a signing certificate present, an SSO URL, not
/// expired. Expired *certificates* are not refused: see [`IdpMetadata::warnings`].
pub fn check_static(
    xml: &str,
    issuer: &str,
    now: OffsetDateTime,
) -> Result<IdpMetadata, MetadataError> {
    let md = parse_metadata(xml, Some(issuer))?;
    if !md.supports_saml2() {
        return Err(MetadataError::Saml2NotSupported {
            protocols: md.protocols.clone(),
        });
    }
    if let Some(bad) = md.unreadable.first() {
        return Err(MetadataError::CertificateInvalid {
            position: bad.position,
            reason: bad.reason.clone(),
        });
    }
    if md.signing.is_empty() {
        return Err(MetadataError::NoSigningCertificate);
    }
    let usable: Vec<&SsoEndpoint> = md
        .sso
        .iter()
        .filter(|e| matches!(e.binding, Binding::HttpRedirect | Binding::HttpPost))
        .collect();
    if usable.is_empty() {
        return Err(MetadataError::NoSsoUrl {
            bindings: md.sso.iter().map(|e| e.binding.uri().to_owned()).collect(),
        });
    }
    for endpoint in usable {
        let ok = url::Url::parse(&endpoint.location)
            .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
        if !ok {
            return Err(MetadataError::SsoUrlInvalid {
                location: endpoint.location.clone(),
            });
        }
    }
    if let Some(valid_until) = md.valid_until
        && valid_until <= now
    {
        return Err(MetadataError::MetadataExpired { valid_until, now });
    }
    Ok(md)
}

/// What the root element's own enveloped `ds:Signature` says, checked by [`verify_signature`]:
/// a report, never a reason to refuse the metadata (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataSignature {
    /// The signature verifies with `trusted[certificate_index]`: the document is byte for byte
    /// (after exc-c14n) what that key's holder signed.
    Verified { certificate_index: usize },
    /// A signature is present and does not verify: the document was edited after signing (digest
    /// mismatch), is signed by another key, or uses what the SAML signature profile refuses.
    NotVerified(xmldsig::Error),
    /// The root element carries no `ds:Signature`.
    Unsigned,
}

impl MetadataSignature {
    /// Stable snake_case code: `verified`, `not_verified` or `unsigned`.
    pub fn code(&self) -> &'static str {
        match self {
            MetadataSignature::Verified { .. } => "verified",
            MetadataSignature::NotVerified(_) => "not_verified",
            MetadataSignature::Unsigned => "unsigned",
        }
    }
}

impl fmt::Display for MetadataSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataSignature::Verified { certificate_index } => write!(
                f,
                "metadata signature verified (certificate #{})",
                certificate_index + 1
            ),
            MetadataSignature::NotVerified(reason) => {
                write!(f, "metadata signature does not verify: {reason}")
            }
            MetadataSignature::Unsigned => f.write_str("metadata is not signed"),
        }
    }
}

/// Checks the enveloped `ds:Signature` of the document's root element (`EntityDescriptor`, or
/// the `EntitiesDescriptor` of an aggregate) against `trusted`, with `xmldsig`'s SAML profile:
/// the Reference must name the root's `ID` attribute (Entra and AD FS write `ID="_…"`), only
/// enveloped-signature and exc-c14n transforms, SHA-2 unless `policy` allows SHA-1, and the key
/// from `trusted` only, never from the signature's KeyInfo.
///
/// Which certificates to pass is the caller's choice, and decides what a `Verified` means. With
/// the document's own signing certificates ([`IdpMetadata::certificates`]) it means only that the
/// document was not edited after whoever holds that key signed it; with a federation's or an
/// operator's certificate it would mean more. Signatures on EntityDescriptors inside an aggregate
/// are not looked at. An `Err` means the document could not be read at all.
pub fn verify_signature(
    xml: &str,
    trusted: &[Certificate],
    policy: &xmldsig::Policy,
) -> Result<MetadataSignature, MetadataError> {
    let text = strip_preamble(xml)?;
    let doc = xmldsig::parse_str(text, &limits()).map_err(MetadataError::Xml)?;
    let root = doc.root_element();
    entities(root)?;
    let signed = root
        .children()
        .any(|n| n.has_tag_name((xmldsig::ns::DS, "Signature")));
    if !signed {
        return Ok(MetadataSignature::Unsigned);
    }
    Ok(match xmldsig::verify(root, trusted, policy) {
        Ok(verified) => MetadataSignature::Verified {
            certificate_index: verified.certificate_index(),
        },
        Err(reason) => MetadataSignature::NotVerified(reason),
    })
}

/// Parses an xs:duration (`PT6H`, `P1D`, `P1DT12H`, `PT1.5S`) into a non-negative duration.
///
/// Years count as 365 days and months as 30: cacheDuration only schedules a refresh, which is
/// capped at a day anyway ([`super::refresh`]), so calendar precision buys nothing.
///
/// One deviation from XML Schema, on purpose: a `T` with no time part after it (`P2DT`) is
/// accepted as if the `T` were absent. OneLogin-built metadata carries exactly that (corpus:
/// `onelogin-rubysaml-validuntil-cacheduration.xml`), and ruby-saml reads it as two days. Negative
/// durations, empty ones (`P`, `PT`), fractions outside seconds, components out of order and
/// values overflowing are errors.
pub fn parse_xs_duration(text: &str) -> Result<Duration, &'static str> {
    let s = text.trim();
    if s.starts_with('-') {
        return Err("a negative duration cannot be a cache lifetime");
    }
    let rest = s
        .strip_prefix('P')
        .ok_or("a duration starts with P, as in PT6H")?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let add = |total: i64, value: i64, unit_seconds: i64| -> Result<i64, &'static str> {
        value
            .checked_mul(unit_seconds)
            .and_then(|v| total.checked_add(v))
            .ok_or("the duration is too large")
    };
    let date = components(date, &['Y', 'M', 'D'])?;
    let mut seen_any = !date.is_empty();
    for (value, unit) in date {
        if value.fraction.is_some() {
            return Err("only seconds may have a fraction");
        }
        let unit_seconds = match unit {
            'Y' => 365 * 86_400,
            'M' => 30 * 86_400,
            _ => 86_400,
        };
        total = add(total, value.whole, unit_seconds)?;
    }
    let mut nanos: i32 = 0;
    if let Some(time) = time {
        if time.is_empty() && !seen_any {
            return Err("a T must be followed by hours, minutes or seconds");
        }
        let time = components(time, &['H', 'M', 'S'])?;
        seen_any |= !time.is_empty();
        for (value, unit) in time {
            if let Some(fraction) = value.fraction {
                if unit != 'S' {
                    return Err("only seconds may have a fraction");
                }
                nanos = fraction;
            }
            let unit_seconds = match unit {
                'H' => 3_600,
                'M' => 60,
                _ => 1,
            };
            total = add(total, value.whole, unit_seconds)?;
        }
    }
    if !seen_any {
        return Err("a duration needs at least one number and unit, as in PT6H");
    }
    Ok(Duration::new(total, nanos))
}

struct Component {
    whole: i64,
    /// Nanoseconds from a decimal fraction.
    fraction: Option<i32>,
}

/// Splits `12H30M` into `[(12, 'H'), (30, 'M')]`, each unit from `units` at most once and in that
/// order.
fn components(mut s: &str, units: &[char]) -> Result<Vec<(Component, char)>, &'static str> {
    let mut out = Vec::new();
    let mut next_unit = 0usize;
    while !s.is_empty() {
        let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (whole_text, after) = s.split_at(digits_end);
        if whole_text.is_empty() {
            return Err("expected a number before each unit");
        }
        let whole: i64 = whole_text
            .parse()
            .map_err(|_| "the duration is too large")?;
        let (fraction, after) = match after.strip_prefix('.') {
            Some(f) => {
                let end = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
                let (digits, after) = f.split_at(end);
                if digits.is_empty() {
                    return Err("expected digits after the decimal point");
                }
                // Nanosecond precision; further digits are below what a schedule can use.
                let mut nanos: i32 = 0;
                for (i, d) in digits.bytes().take(9).enumerate() {
                    let scale = 10i32.pow(8 - i as u32);
                    nanos += i32::from(d - b'0') * scale;
                }
                (Some(nanos), after)
            }
            None => (None, after),
        };
        let mut chars = after.chars();
        let unit = chars.next().ok_or("a number must be followed by a unit")?;
        let position = units[next_unit..]
            .iter()
            .position(|u| *u == unit)
            .ok_or("unknown, repeated or out-of-order unit")?;
        next_unit += position + 1;
        out.push((Component { whole, fraction }, unit));
        s = chars.as_str();
    }
    Ok(out)
}

/// Removes a UTF-8 BOM and leading whitespace, and catches a pasted PEM certificate.
fn strip_preamble(xml: &str) -> Result<&str, MetadataError> {
    let text = xml.strip_prefix('\u{feff}').unwrap_or(xml).trim_start();
    if text.starts_with("-----BEGIN") {
        return Err(MetadataError::CertificateNotMetadata);
    }
    Ok(text)
}

/// Every EntityDescriptor of the document: the root itself, or those inside (possibly nested)
/// EntitiesDescriptors.
fn entities<'a, 'input>(root: Node<'a, 'input>) -> Result<Vec<Node<'a, 'input>>, MetadataError> {
    if root.has_tag_name((MD, "EntityDescriptor")) {
        return Ok(vec![root]);
    }
    if !root.has_tag_name((MD, "EntitiesDescriptor")) {
        return Err(MetadataError::NotMetadata {
            root: root.tag_name().name().to_owned(),
            namespace: root.tag_name().namespace().map(str::to_owned),
        });
    }
    // Entities directly inside the (possibly nested) groups, in document order. One inside an
    // entity's Extensions or anywhere else is not part of the aggregate.
    let out = root
        .descendants()
        .filter(|n| n.has_tag_name((MD, "EntityDescriptor")))
        .filter(|n| {
            n.ancestors()
                .skip(1)
                .filter(Node::is_element)
                .all(|a| a.has_tag_name((MD, "EntitiesDescriptor")))
        })
        .collect();
    Ok(out)
}

fn not_found(entities: &[Node], expected: &str) -> MetadataError {
    match entities {
        [only] => match only.attribute("entityID") {
            Some(got) => MetadataError::EntityIdMismatch {
                expected: expected.to_owned(),
                got: got.to_owned(),
            },
            None => MetadataError::EntityIdMissing,
        },
        _ => MetadataError::EntityNotFound {
            expected: expected.to_owned(),
            found: entities
                .iter()
                .filter(|e| idp_descriptor(**e).is_some())
                .filter_map(|e| e.attribute("entityID"))
                .map(str::to_owned)
                .collect(),
        },
    }
}

/// The IDPSSODescriptor to read: the first listing SAML 2.0, else the first.
fn idp_descriptor<'a, 'input>(entity: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    let mut descriptors = entity
        .children()
        .filter(|n| n.has_tag_name((MD, "IDPSSODescriptor")));
    let first = descriptors.next()?;
    std::iter::once(first)
        .chain(descriptors)
        .find(|d| protocols(*d).iter().any(|p| p == SAML2_PROTOCOL))
        .or(Some(first))
}

fn protocols(descriptor: Node) -> Vec<String> {
    descriptor
        .attribute("protocolSupportEnumeration")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn read_idp(entity: Node) -> Result<IdpMetadata, MetadataError> {
    let entity_id = entity
        .attribute("entityID")
        .ok_or(MetadataError::EntityIdMissing)?
        .to_owned();
    let descriptor = idp_descriptor(entity).ok_or_else(|| MetadataError::NoIdpDescriptor {
        entity_id: Some(entity_id.clone()),
    })?;

    let mut signing: Vec<SigningCertificate> = Vec::new();
    let mut unreadable = Vec::new();
    for (index, text) in signing_certificate_texts(descriptor).iter().enumerate() {
        let position = index + 1;
        match SigningCertificate::read(text) {
            // The same certificate listed twice is one trust anchor, not two.
            Ok(cert) if signing.iter().any(|c| c.fingerprint == cert.fingerprint) => {}
            Ok(cert) => signing.push(cert),
            Err(reason) => unreadable.push(UnreadableCertificate { position, reason }),
        }
    }

    let sso = descriptor
        .children()
        .filter(|n| n.has_tag_name((MD, "SingleSignOnService")))
        .filter_map(|n| {
            // Both attributes are required by the schema; an endpoint lacking one cannot be used
            // and is left out, and check_static then says what is missing.
            Some(SsoEndpoint {
                binding: Binding::from_uri(n.attribute("Binding")?.trim()),
                location: n.attribute("Location")?.trim().to_owned(),
            })
        })
        .collect();

    // validUntil and cacheDuration apply to the element and everything inside it, so the
    // descriptor, its entity and every enclosing group all bound this IdP.
    let mut valid_until: Option<OffsetDateTime> = None;
    let mut cache_duration: Option<Duration> = None;
    for node in descriptor.ancestors().filter(Node::is_element) {
        if let Some(value) = node.attribute("validUntil") {
            let t = parse_xs_datetime(value).ok_or_else(|| MetadataError::ValidUntilInvalid {
                element: node.tag_name().name().to_owned(),
                value: value.to_owned(),
            })?;
            valid_until = Some(valid_until.map_or(t, |v| v.min(t)));
        }
        if let Some(value) = node.attribute("cacheDuration") {
            let d =
                parse_xs_duration(value).map_err(|reason| MetadataError::CacheDurationInvalid {
                    element: node.tag_name().name().to_owned(),
                    value: value.to_owned(),
                    reason,
                })?;
            cache_duration = Some(cache_duration.map_or(d, |c| c.min(d)));
        }
    }

    Ok(IdpMetadata {
        entity_id,
        protocols: protocols(descriptor),
        signing,
        unreadable,
        sso,
        valid_until,
        cache_duration,
    })
}

/// The text of every `ds:X509Certificate` in the descriptor's signing KeyDescriptors.
fn signing_certificate_texts(descriptor: Node) -> Vec<String> {
    const DS: &str = xmldsig::ns::DS;
    let mut out = Vec::new();
    let key_descriptors = descriptor
        .children()
        .filter(|n| n.has_tag_name((MD, "KeyDescriptor")))
        .filter(|n| matches!(n.attribute("use"), None | Some("signing")));
    for kd in key_descriptors {
        for key_info in kd.children().filter(|n| n.has_tag_name((DS, "KeyInfo"))) {
            for data in key_info
                .children()
                .filter(|n| n.has_tag_name((DS, "X509Data")))
            {
                for cert in data
                    .children()
                    .filter(|n| n.has_tag_name((DS, "X509Certificate")))
                {
                    // All character data, not just the first text node: a comment inside the
                    // base64 must not cut the certificate short.
                    out.push(
                        cert.descendants()
                            .filter(Node::is_text)
                            .filter_map(|t| t.text())
                            .collect(),
                    );
                }
            }
        }
    }
    out
}

/// xs:dateTime as metadata writes it: RFC 3339 (`2028-07-19T17:28:34.000Z`), or without a zone,
/// which SAML (core §1.3.3) says is UTC.
fn parse_xs_datetime(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t);
    }
    let local = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(value, local)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

fn asn1_to_datetime(t: &Asn1TimeRef) -> Result<OffsetDateTime, xmldsig::Error> {
    let epoch = Asn1Time::from_unix(0)?;
    let diff = epoch.diff(t)?;
    OffsetDateTime::UNIX_EPOCH
        .checked_add(Duration::days(i64::from(diff.days)))
        .and_then(|d| d.checked_add(Duration::seconds(i64::from(diff.secs))))
        .ok_or_else(|| xmldsig::Error::BadKey {
            what: "certificate validity date",
            reason: "outside the representable range".to_owned(),
        })
}

fn subject_line(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_else(|_| "?".to_owned());
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn list(items: &[String]) -> String {
    const SHOWN: usize = 10;
    if items.is_empty() {
        return "none".to_owned();
    }
    let mut out = items
        .iter()
        .take(SHOWN)
        .map(|i| format!("{i:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        out.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    out
}

/// Names the near miss when the configured issuer and the entityID differ only cosmetically:
/// Entra's entityID ends in `/` and people type it without.
fn near_miss(expected: &str, got: &str) -> &'static str {
    if expected.trim() == got.trim() {
        " (they differ only by surrounding spaces)"
    } else if expected.trim_end_matches('/') == got.trim_end_matches('/') {
        " (they differ only by a trailing slash)"
    } else if expected.eq_ignore_ascii_case(got) {
        " (they differ only in letter case)"
    } else {
        ""
    }
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Binding::HttpRedirect => "HTTP-Redirect",
            Binding::HttpPost => "HTTP-POST",
            Binding::Other(uri) => uri,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn secs(s: &str) -> i64 {
        parse_xs_duration(s).unwrap().whole_seconds()
    }

    #[test]
    fn parses_common_cache_durations() {
        assert_eq!(secs("PT6H"), 6 * 3600);
        assert_eq!(secs("P1D"), 86_400);
        assert_eq!(secs("P1DT12H"), 86_400 + 12 * 3600);
        assert_eq!(secs("PT30M"), 1800);
        assert_eq!(secs("PT0S"), 0);
        assert_eq!(
            secs("P1Y2M3DT4H5M6S"),
            365 * 86_400 + 60 * 86_400 + 3 * 86_400 + 14_706
        );
        assert_eq!(secs(" PT6H "), 6 * 3600);
        let d = parse_xs_duration("PT1.5S").unwrap();
        assert_eq!(
            (d.whole_seconds(), d.subsec_nanoseconds()),
            (1, 500_000_000)
        );
    }

    #[test]
    fn accepts_onelogin_p2dt_as_two_days() {
        // The real OneLogin/ruby-saml fixture writes "P2DT"; ruby-saml reads it as two days.
        assert_eq!(secs("P2DT"), 2 * 86_400);
    }

    #[test]
    fn rejects_malformed_durations() {
        for bad in [
            "",
            "P",
            "PT",
            "6H",
            "-PT6H",
            "PT6",
            "P6H",
            "PTH",
            "PT6H6H",
            "PT6M6H",
            "P1.5D",
            "PT1.5H",
            "PT1.S",
            "P1DT2X",
            "P99999999999999999999D",
            "P9223372036854775807D",
            "PT6H ",
            "ＰT6H",
        ] {
            let trimmed_ok = bad == "PT6H ";
            assert_eq!(parse_xs_duration(bad).is_ok(), trimmed_ok, "{bad:?}");
        }
    }

    #[test]
    fn reads_datetimes_with_and_without_zone() {
        assert_eq!(
            parse_xs_datetime("2028-07-19T17:28:34.000Z"),
            Some(datetime!(2028-07-19 17:28:34 UTC))
        );
        assert_eq!(
            parse_xs_datetime("2020-01-04T18:02:33.910Z"),
            Some(datetime!(2020-01-04 18:02:33.91 UTC))
        );
        assert_eq!(
            parse_xs_datetime("2030-01-01T00:00:00"),
            Some(datetime!(2030-01-01 00:00:00 UTC))
        );
        assert_eq!(
            parse_xs_datetime("2030-01-01T02:00:00+02:00"),
            Some(datetime!(2030-01-01 00:00:00 UTC))
        );
        assert_eq!(parse_xs_datetime("tomorrow"), None);
        assert_eq!(parse_xs_datetime("2030-13-01T00:00:00Z"), None);
    }

    #[test]
    fn names_near_misses_between_issuer_and_entity_id() {
        assert_eq!(
            near_miss("https://sts.windows.net/t", "https://sts.windows.net/t/"),
            " (they differ only by a trailing slash)"
        );
        assert_eq!(
            near_miss("HTTP://IDP", "http://idp"),
            " (they differ only in letter case)"
        );
        assert_eq!(near_miss("a", "b"), "");
    }

    const ROLES: &str = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="idp">
      <RoleDescriptor><KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor></RoleDescriptor>
      <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor></SPSSODescriptor>
      <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>bm90IGEgY2VydA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>
        <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp/sso"/>
      </IDPSSODescriptor>
    </EntityDescriptor>"#;

    #[test]
    fn reads_keys_only_from_the_idp_descriptor_signing_key_descriptors() {
        // The junk certificates outside IDPSSODescriptor, or marked for encryption, would show up
        // as unreadable if they were read at all.
        let md = parse_metadata(ROLES, None).unwrap();
        assert!(md.signing_certificates().is_empty());
        assert!(md.unreadable_certificates().is_empty());
        assert_eq!(md.sso_url(&Binding::HttpPost), Some("https://idp/sso"));
        let err = check_static(ROLES, "idp", datetime!(2025-01-01 0:00 UTC)).unwrap_err();
        assert_eq!(err.code(), "no_signing_certificate");
    }

    #[test]
    fn refuses_sp_metadata_and_non_metadata_roots() {
        let sp = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://qualified.io"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
        let err = parse_metadata(sp, None).unwrap_err();
        assert_eq!(err.code(), "no_idp_descriptor");
        assert!(err.to_string().contains("SP's own metadata"), "{err}");
        let err = parse_metadata(sp, Some("https://qualified.io")).unwrap_err();
        assert_eq!(err.code(), "no_idp_descriptor");

        let response = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#;
        assert_eq!(
            parse_metadata(response, None).unwrap_err().code(),
            "not_metadata"
        );
        let no_ns = r#"<EntityDescriptor entityID="x"/>"#;
        assert_eq!(
            parse_metadata(no_ns, None).unwrap_err().code(),
            "not_metadata"
        );
        let pem = "\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(
            parse_metadata(pem, None).unwrap_err().code(),
            "certificate_not_metadata"
        );
        let dtd = r#"<!DOCTYPE x [<!ENTITY a "b">]><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&a;"/>"#;
        assert_eq!(
            parse_metadata(dtd, None).unwrap_err().code(),
            "doctype_forbidden"
        );
    }

    #[test]
    fn entity_selection_in_aggregates() {
        let agg = r#"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2031-01-01T00:00:00Z" cacheDuration="P1D">
          <EntityDescriptor entityID="sp"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>
          <EntitiesDescriptor cacheDuration="PT2H">
            <EntityDescriptor entityID="a" validUntil="2030-01-01T00:00:00Z"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" cacheDuration="PT3H"/></EntityDescriptor>
          </EntitiesDescriptor>
          <EntityDescriptor entityID="b"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>
          <EntityDescriptor entityID="b"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>
        </EntitiesDescriptor>"#;
        // No expectation: the first IdP, skipping the SP.
        let first = parse_metadata(agg, None).unwrap();
        assert_eq!(first.entity_id(), "a");
        // The tightest bounds along the chain win.
        assert_eq!(
            first.valid_until(),
            Some(time::macros::datetime!(2030-01-01 0:00 UTC))
        );
        assert_eq!(first.cache_duration(), Some(Duration::hours(2)));
        let ids: Vec<String> = parse_idps(agg)
            .unwrap()
            .iter()
            .map(|m| m.entity_id().to_owned())
            .collect();
        assert_eq!(ids, ["a", "b", "b"]);
        assert_eq!(
            parse_metadata(agg, Some("b")).unwrap_err(),
            MetadataError::EntityIdDuplicated {
                entity_id: "b".into(),
                count: 2
            }
        );
        let err = parse_metadata(agg, Some("c")).unwrap_err();
        assert_eq!(
            err,
            MetadataError::EntityNotFound {
                expected: "c".into(),
                found: vec!["a".into(), "b".into(), "b".into()]
            }
        );
        assert!(
            err.to_string().contains(r#"IdPs present: "a", "b", "b""#),
            "{err}"
        );
    }

    fn fixture_key(stem: &str) -> (xmldsig::PrivateKey, Certificate) {
        let read = |ext: &str| {
            let path = format!(
                "{}/../fixtures/keys/{stem}.{ext}",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let key = xmldsig::PrivateKey::from_pem(&read("key"), Some(&read("crt"))).unwrap();
        (key, Certificate::from_pem(&read("crt")).unwrap())
    }

    const TO_SIGN: &str = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="_md1" entityID="https://idp.example/"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></IDPSSODescriptor></EntityDescriptor>"#;

    #[test]
    fn reports_a_metadata_signature_verified_edited_or_absent() {
        let (key, cert) = fixture_key("idp-rsa-current");
        let policy = xmldsig::Policy::default();
        let signed =
            xmldsig::sign(TO_SIGN, "_md1", &key, &xmldsig::SignOptions::default()).unwrap();
        let bom = format!("\u{feff}{signed}");
        for text in [&signed, &bom] {
            assert_eq!(
                verify_signature(text, std::slice::from_ref(&cert), &policy),
                Ok(MetadataSignature::Verified {
                    certificate_index: 0
                })
            );
        }
        // Rollover: the signer is the second trusted certificate.
        let (_, next) = fixture_key("idp-rsa-next");
        assert_eq!(
            verify_signature(&signed, &[next.clone(), cert.clone()], &policy),
            Ok(MetadataSignature::Verified {
                certificate_index: 1
            })
        );
        let edited = signed.replacen("https://idp.example/sso", "https://idp.example/ssx", 1);
        let report = verify_signature(&edited, std::slice::from_ref(&cert), &policy).unwrap();
        assert_eq!(
            report,
            MetadataSignature::NotVerified(xmldsig::Error::DigestMismatch)
        );
        assert_eq!(report.code(), "not_verified");
        assert!(report.to_string().contains("does not match"), "{report}");
        assert!(matches!(
            verify_signature(&signed, &[next], &policy),
            Ok(MetadataSignature::NotVerified(
                xmldsig::Error::SignatureInvalid { .. }
            ))
        ));
        assert_eq!(
            verify_signature(TO_SIGN, std::slice::from_ref(&cert), &policy),
            Ok(MetadataSignature::Unsigned)
        );
        // Not metadata at all is an error, not a report.
        let response = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#;
        assert_eq!(
            verify_signature(response, &[cert], &policy)
                .unwrap_err()
                .code(),
            "not_metadata"
        );
    }

    #[test]
    fn malformed_time_attributes_are_named_errors() {
        let doc = |attr: &str| {
            format!(
                r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x" {attr}><IDPSSODescriptor protocolSupportEnumeration="{SAML2_PROTOCOL}"/></EntityDescriptor>"#
            )
        };
        let err = parse_metadata(&doc(r#"cacheDuration="6 hours""#), None).unwrap_err();
        assert_eq!(err.code(), "cache_duration_invalid");
        assert!(
            err.to_string()
                .contains("\"6 hours\" on <EntityDescriptor>"),
            "{err}"
        );
        let err = parse_metadata(&doc(r#"validUntil="soon""#), None).unwrap_err();
        assert_eq!(err.code(), "valid_until_invalid");
        // Positive control on the same shape.
        assert!(
            parse_metadata(
                &doc(r#"cacheDuration="PT6H" validUntil="2030-01-01T00:00:00Z""#),
                None
            )
            .is_ok()
        );
    }
}
