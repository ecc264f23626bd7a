//! Why a SAML response was refused: a stable code (the contract that scenarios, snapshots and
//! partners match on), the offending values, and the fix.
//!
//! Two audiences (STYLE practice 2): the browser gets the code and the hint, never the
//! assertion's contents; logs and reports also get `expected` and `got`.

use std::fmt;

/// Every reason the ACS refuses a response. Codes are never renamed; new ones are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    NotBase64,
    TooLarge,
    MalformedXml,
    DoctypeForbidden,
    UnknownIssuer,
    IssuerMismatch,
    Unsigned,
    SignatureInvalid,
    DigestMismatch,
    AlgorithmForbidden,
    TransformForbidden,
    ReferenceMismatch,
    DuplicateId,
    NoAssertion,
    MultipleAssertions,
    VersionMismatch,
    StatusNotSuccess,
    DestinationMismatch,
    RecipientMismatch,
    AudienceMismatch,
    AudienceMissing,
    NotYetValid,
    Expired,
    IssueInstantStale,
    NoBearerConfirmation,
    InResponseToUnknown,
    UnsolicitedForbidden,
    ReplayedAssertion,
    NameIdMissing,
    EmailMissing,
    DecryptionFailed,
    SsoNotEnabled,
    MemberInactive,
    MemberUnknown,
    IdentityNotNormalized,
    SamlResponseMissing,
    RedirectBinding,
    ContentTypeUnsupported,
    RequestFromAnotherBrowser,
    Busy,
    MetadataExpired,
    TooComplex,
}

impl Code {
    /// Every code, in DESIGN.md's order.
    pub const ALL: [Code; 42] = [
        Code::NotBase64,
        Code::TooLarge,
        Code::MalformedXml,
        Code::DoctypeForbidden,
        Code::UnknownIssuer,
        Code::IssuerMismatch,
        Code::Unsigned,
        Code::SignatureInvalid,
        Code::DigestMismatch,
        Code::AlgorithmForbidden,
        Code::TransformForbidden,
        Code::ReferenceMismatch,
        Code::DuplicateId,
        Code::NoAssertion,
        Code::MultipleAssertions,
        Code::VersionMismatch,
        Code::StatusNotSuccess,
        Code::DestinationMismatch,
        Code::RecipientMismatch,
        Code::AudienceMismatch,
        Code::AudienceMissing,
        Code::NotYetValid,
        Code::Expired,
        Code::IssueInstantStale,
        Code::NoBearerConfirmation,
        Code::InResponseToUnknown,
        Code::UnsolicitedForbidden,
        Code::ReplayedAssertion,
        Code::NameIdMissing,
        Code::EmailMissing,
        Code::DecryptionFailed,
        Code::SsoNotEnabled,
        Code::MemberInactive,
        Code::MemberUnknown,
        Code::IdentityNotNormalized,
        Code::SamlResponseMissing,
        Code::RedirectBinding,
        Code::ContentTypeUnsupported,
        Code::RequestFromAnotherBrowser,
        Code::Busy,
        Code::MetadataExpired,
        Code::TooComplex,
    ];

    /// The stable snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotBase64 => "not_base64",
            Code::TooLarge => "too_large",
            Code::MalformedXml => "malformed_xml",
            Code::DoctypeForbidden => "doctype_forbidden",
            Code::UnknownIssuer => "unknown_issuer",
            Code::IssuerMismatch => "issuer_mismatch",
            Code::Unsigned => "unsigned",
            Code::SignatureInvalid => "signature_invalid",
            Code::DigestMismatch => "digest_mismatch",
            Code::AlgorithmForbidden => "algorithm_forbidden",
            Code::TransformForbidden => "transform_forbidden",
            Code::ReferenceMismatch => "reference_mismatch",
            Code::DuplicateId => "duplicate_id",
            Code::NoAssertion => "no_assertion",
            Code::MultipleAssertions => "multiple_assertions",
            Code::VersionMismatch => "version_mismatch",
            Code::StatusNotSuccess => "status_not_success",
            Code::DestinationMismatch => "destination_mismatch",
            Code::RecipientMismatch => "recipient_mismatch",
            Code::AudienceMismatch => "audience_mismatch",
            Code::AudienceMissing => "audience_missing",
            Code::NotYetValid => "not_yet_valid",
            Code::Expired => "expired",
            Code::IssueInstantStale => "issue_instant_stale",
            Code::NoBearerConfirmation => "no_bearer_confirmation",
            Code::InResponseToUnknown => "in_response_to_unknown",
            Code::UnsolicitedForbidden => "unsolicited_forbidden",
            Code::ReplayedAssertion => "replayed_assertion",
            Code::NameIdMissing => "name_id_missing",
            Code::EmailMissing => "email_missing",
            Code::DecryptionFailed => "decryption_failed",
            Code::SsoNotEnabled => "sso_not_enabled",
            Code::MemberInactive => "member_inactive",
            Code::MemberUnknown => "member_unknown",
            Code::IdentityNotNormalized => "identity_not_normalized",
            Code::SamlResponseMissing => "saml_response_missing",
            Code::RedirectBinding => "redirect_binding",
            Code::ContentTypeUnsupported => "content_type_unsupported",
            Code::RequestFromAnotherBrowser => "request_from_another_browser",
            Code::Busy => "busy",
            Code::MetadataExpired => "metadata_expired",
            Code::TooComplex => "too_complex",
        }
    }

    /// What to change, addressed to whoever configures the IdP or the team.
    pub fn hint(self) -> &'static str {
        match self {
            Code::NotBase64 => {
                "The SAMLResponse form field must be base64. Post the response with the HTTP-POST binding; the ACS does not take the Redirect binding."
            }
            Code::TooLarge => {
                "The response is larger than the ACS accepts. Remove unneeded attributes or groups from the IdP's attribute statements."
            }
            Code::MalformedXml => {
                "The response is not well-formed SAML XML. Check that the IdP posts a samlp:Response and that nothing re-encodes it on the way."
            }
            Code::DoctypeForbidden => {
                "Responses with a DOCTYPE or entity declarations are refused (XXE). No IdP sends one; this looks like an attack or a broken proxy."
            }
            Code::UnknownIssuer => {
                "No team is configured with this Issuer. Copy the IdP's entity ID (Issuer) exactly, including scheme and trailing slash, into the team's SSO settings."
            }
            Code::IssuerMismatch => {
                "The Issuer of the response or assertion differs from the team's configured IdP issuer. Make the configured issuer equal the IdP's entity ID."
            }
            Code::Unsigned => {
                "Neither the Response nor the Assertion is signed. Enable signing of the assertion (or response) in the IdP's application settings."
            }
            Code::SignatureInvalid => {
                "The signature does not verify with the signing certificates in the team's IdP metadata. The IdP may have rotated its certificate: update the metadata (a metadata URL follows rotations)."
            }
            Code::DigestMismatch => {
                "The signed content was changed after signing. Something between the IdP and the SP modified the response, or it was tampered with."
            }
            Code::AlgorithmForbidden => {
                "The IdP signs with an algorithm that is not allowed (SHA-1 or HMAC). Configure RSA-SHA256 in the IdP, or allow SHA-1 for this team if the IdP cannot."
            }
            Code::TransformForbidden => {
                "The signature uses transforms other than enveloped-signature and exclusive c14n, or a different canonicalization. No mainstream IdP does this."
            }
            Code::ReferenceMismatch => {
                "The signature does not reference the element that carries it. This is how signature-wrapping attacks look."
            }
            Code::DuplicateId => {
                "Two elements share one ID. This is how signature-wrapping attacks look."
            }
            Code::NoAssertion => {
                "The response has no assertion. The IdP usually sends none when the login failed; see its status message."
            }
            Code::MultipleAssertions => {
                "The response has more than one assertion; exactly one is accepted."
            }
            Code::VersionMismatch => "Only SAML 2.0 responses are accepted.",
            Code::StatusNotSuccess => {
                "The IdP reports that the login failed (see the status). Check that the user is assigned to the application in the IdP."
            }
            Code::DestinationMismatch => {
                "The response's Destination differs from the ACS URL. Set the IdP's Single Sign-On URL / Reply URL to the ACS URL exactly."
            }
            Code::RecipientMismatch => {
                "The assertion's Recipient differs from the ACS URL. Set the IdP's Single Sign-On URL / Recipient to the ACS URL exactly."
            }
            Code::AudienceMismatch => {
                "The assertion's Audience is not this SP's entity ID. Set the IdP's Audience URI (SP Entity ID / Identifier) to the SP entity ID."
            }
            Code::AudienceMissing => {
                "The assertion has no AudienceRestriction. Set the IdP's Audience URI (SP Entity ID) to the SP entity ID."
            }
            Code::NotYetValid => {
                "The assertion is not valid yet. The IdP's clock is ahead of the SP's by more than the allowed skew."
            }
            Code::Expired => {
                "The assertion has expired. Log in again from the IdP; if this repeats, the IdP's clock is behind or the response was held back."
            }
            Code::IssueInstantStale => {
                "The response was issued too long ago. Log in again; if this repeats, check the IdP's clock."
            }
            Code::NoBearerConfirmation => {
                "The assertion has no bearer SubjectConfirmation with SubjectConfirmationData, which Web Browser SSO requires."
            }
            Code::InResponseToUnknown => {
                "The response answers a login request this SP did not make or already consumed. Start the login again."
            }
            Code::UnsolicitedForbidden => {
                "IdP-initiated login is disabled for this team. Start from the SP's login page (SSO LOG IN), or allow IdP-initiated login in the team's settings."
            }
            Code::ReplayedAssertion => {
                "This assertion was already used to log in. Each assertion logs in once; start a new login."
            }
            Code::NameIdMissing => {
                "The assertion has no NameID. Configure the IdP to send a NameID (email address format preferred)."
            }
            Code::EmailMissing => {
                "No email address was found in the NameID or the usual attributes (email, emailaddress claim, mail). Map the user's email to the NameID or an email attribute in the IdP, or, if the NameID is the userName the team's members have (as SCIM sends it), set the team to find members by NameID (member key name_id)."
            }
            Code::DecryptionFailed => {
                "The encrypted assertion cannot be decrypted with the SP's key. Upload the SP's current encryption certificate to the IdP, or turn assertion encryption off."
            }
            Code::SsoNotEnabled => {
                "SAML single sign-on is available on the custom plan only. Contact your account executive to enable it."
            }
            Code::MemberInactive => {
                "This team member is deactivated. A team admin (or the IdP's provisioning) must reactivate the member."
            }
            Code::MemberUnknown => {
                "This user is not a member of the team, and the team provisions members by SCIM only. Assign the user to the application in the IdP so it is provisioned first."
            }
            Code::IdentityNotNormalized => {
                "The user's email or NameID contains look-alike or compatibility characters (fullwidth letters, ligatures, a decomposed accent, the Kelvin sign) or control characters, which could impersonate another member. Correct the user's email in the IdP to its plain form."
            }
            Code::SamlResponseMissing => {
                "The POST reached the ACS without a SAMLResponse form field. The IdP must post the response with the HTTP-POST binding (an auto-submitting form with a SAMLResponse field) to this URL."
            }
            Code::RedirectBinding => {
                "The SAMLResponse is DEFLATE-compressed, as the HTTP-Redirect binding encodes messages. Responses must use the HTTP-POST binding: set the IdP's binding for this application's ACS to HTTP-POST."
            }
            Code::ContentTypeUnsupported => {
                "The ACS takes an HTML form post (Content-Type application/x-www-form-urlencoded) with a SAMLResponse field, as the HTTP-POST binding specifies. Post the form as a browser does."
            }
            Code::RequestFromAnotherBrowser => {
                "This response answers a login that was started in another browser (or whose login cookie expired). Start the login again from this browser's SSO LOG IN."
            }
            Code::Busy => {
                "The SP is checking many responses at once and this one waited too long. Try again in a few seconds."
            }
            Code::MetadataExpired => {
                "The team's IdP metadata, fetched from its metadata URL, is past its own validUntil and every refresh since has failed, so its certificates are no longer trusted. Make the metadata URL reachable again (sp team show names the last refresh error), or paste current metadata."
            }
            Code::TooComplex => {
                "The response's XML exceeds a structure cap (depth, elements, attributes or namespace declarations per element, namespaces in scope, Signature or EncryptedKey elements); no IdP sends such a document. The cap and what was found are in the SP's log."
            }
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused response: the code, the offending values when there are any, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: Code,
    /// What the SP expected (a URL, an entity ID, a time window), when it helps to say.
    pub expected: Option<String>,
    /// What the response held instead. Never an assertion's personal data beyond the field.
    pub got: Option<String>,
    /// The fix, in words; usually [`Code::hint`], sometimes sharper (a near-miss URL).
    pub hint: String,
}

impl Rejection {
    pub fn new(code: Code) -> Rejection {
        Rejection {
            code,
            expected: None,
            got: None,
            hint: code.hint().to_owned(),
        }
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Rejection {
        self.expected = Some(expected.into());
        self
    }

    pub fn got(mut self, got: impl Into<String>) -> Rejection {
        self.got = Some(got.into());
        self
    }

    /// Replaces the generic hint with a sharper one.
    pub fn hint(mut self, hint: impl Into<String>) -> Rejection {
        self.hint = hint.into();
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(expected) = &self.expected {
            write!(f, " (expected {expected:?}")?;
            match &self.got {
                Some(got) => write!(f, ", got {got:?})")?,
                None => write!(f, ")")?,
            }
        } else if let Some(got) = &self.got {
            write!(f, " (got {got:?})")?;
        }
        write!(f, ": {}", self.hint)
    }
}

impl std::error::Error for Rejection {}

/// The rejection for an `xmldsig` failure, by what the failure means for an SP.
impl From<xmldsig::Error> for Rejection {
    fn from(e: xmldsig::Error) -> Rejection {
        use xmldsig::Error as X;
        let code = match &e {
            X::TooLarge { .. } => Code::TooLarge,
            X::LimitExceeded { .. } => Code::TooComplex,
            X::DoctypeForbidden => Code::DoctypeForbidden,
            X::NotUtf8(_) | X::Malformed(_) => Code::MalformedXml,
            X::DigestMismatch => Code::DigestMismatch,
            X::Sha1Forbidden { .. } | X::HmacForbidden { .. } | X::AlgorithmUnsupported { .. } => {
                Code::AlgorithmForbidden
            }
            X::TransformForbidden { .. }
            | X::TransformChainInvalid { .. }
            | X::CanonicalizationForbidden { .. } => Code::TransformForbidden,
            X::ReferenceMismatch { .. } | X::ReferenceCount { .. } | X::MissingId { .. } => {
                Code::ReferenceMismatch
            }
            X::DuplicateId { .. } => Code::DuplicateId,
            X::MissingSignature { .. } => Code::Unsigned,
            X::KeyTransportForbidden { .. }
            | X::KeyTransportMismatch { .. }
            | X::CipherForbidden { .. }
            | X::DecryptionFailed { .. } => Code::DecryptionFailed,
            // A signature whose structure is off, that no trusted key verifies, or with no
            // trusted key at all: in every case nothing vouches for the content.
            _ => Code::SignatureInvalid,
        };
        Rejection::new(code).got(e.to_string())
    }
}
