//! Presets: responses shaped like what real IdPs send (issuer form, what is signed, attribute
//! names, NameID format, namespace prefixes, ID style, validity windows), each documenting where
//! its shape comes from.
//!
//! The shapes are read off the real captures in `../shared/fixtures-real/responses` (their
//! origin and the clock each needs are in that folder's SOURCES.md) and off vendor
//! documentation. A preset is a valid response: the current RSA key signs with RSA-SHA256, and
//! Destination, Recipient and Audience point at the default SP, so a correct SP configured
//! with this mock's metadata accepts every preset as it is. Where a capture does something the
//! spec has no knob for (an unprefixed default namespace, an `Issuer Format`, statement order,
//! millisecond timestamps…), the preset's doc comment says so and what it does instead.
//!
//! IDs follow each vendor's style so that an SP's ID handling sees what it will see in the
//! field; [`ResponseSpec::numbered`] replaces them with `_mock-…` IDs when a caller needs many
//! distinct responses.

use crate::names::{UnknownName, find};
use crate::spec::{
    ATTRNAME_BASIC, ATTRNAME_UNSPECIFIED, Attribute, EncryptTo, Encryption, NAMEID_EMAIL,
    NAMEID_UNSPECIFIED, NameId, Placement, Prefixes, ResponseSpec, Times,
};
use time::Duration;
use xmldsig::{BlockCipher, DigestAlgorithm, KeyTransport};

/// A real IdP's shape.
pub struct Preset {
    pub name: &'static str,
    /// One line: which IdP, and what is characteristic of its responses.
    pub summary: &'static str,
    /// Where the shape comes from (a capture in ../shared/fixtures-real, vendor documentation).
    pub source: &'static str,
    /// The IdP's entity ID (the Issuer of its responses).
    pub issuer: &'static str,
    spec: fn(&'static str) -> ResponseSpec,
}

impl Preset {
    /// A valid response in this IdP's shape for the default SP (production values); use
    /// [`ResponseSpec::for_sp`] to aim it elsewhere.
    pub fn spec(&self) -> ResponseSpec {
        (self.spec)(self.issuer)
    }
}

/// The test user every preset logs in, so that one SP member serves every preset.
const EMAIL: &str = "alice@example.com";
const GIVEN_NAME: &str = "Alice";
const FAMILY_NAME: &str = "Liddell";

/// An attribute as `name_format` and `typed` say; most IdPs differ from the spec's default
/// (`unspecified`, typed) in one or both.
fn attribute(name: &str, values: &[&str], name_format: Option<&str>, typed: bool) -> Attribute {
    Attribute {
        name: name.to_owned(),
        name_format: name_format.map(str::to_owned),
        friendly_name: None,
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        typed,
    }
}

fn prefixes(protocol: &str, assertion: &str) -> Prefixes {
    Prefixes {
        protocol: protocol.to_owned(),
        assertion: assertion.to_owned(),
    }
}

fn name_id(value: &str, format: Option<&str>) -> Option<NameId> {
    Some(NameId {
        value: value.to_owned(),
        format: format.map(str::to_owned),
        sp_name_qualifier: None,
    })
}

/// Bearer validity as real IdPs write it: Conditions from `not_before` to `valid_for`, the
/// confirmation until `confirm_for`, no confirmation NotBefore (SAML profiles forbid one on
/// bearer confirmations).
fn times(
    not_before: Duration,
    valid_for: Duration,
    confirm_for: Duration,
    authn_instant: Duration,
    session_for: Option<Duration>,
) -> Times {
    Times {
        clock_offset: Duration::ZERO,
        issue_instant: Duration::ZERO,
        not_before: Some(not_before),
        not_on_or_after: Some(valid_for),
        confirmation_not_before: None,
        confirmation_not_on_or_after: Some(confirm_for),
        authn_instant,
        session_not_on_or_after: session_for,
    }
}

/// Okta (okta-ssoready.xml, 2024; okta-gosaml2-signed-both.xml, 2016): Response and Assertion
/// both signed, `saml2p`/`saml2` prefixes, `id`+digits IDs, NameID `emailAddress` with the
/// user's login, 5-minute windows either side (NotBefore five minutes before IssueInstant, so
/// that SPs whose clock runs slow still accept it), no SessionNotOnOrAfter. The attributes are
/// those Okta's SAML app wizard suggests (`email`, `firstName`, `lastName`): unspecified
/// NameFormat and `xsi:type="xs:string"` values, as in okta-gosaml2-signed-both.xml.
///
/// Not expressible with the spec: Okta writes `Format="…:nameid-format:entity"` on both
/// Issuers, declares `saml2`/`saml2p` again on most elements instead of once (and `xmlns:xs`
/// on the Response too), and writes milliseconds in every instant.
fn okta(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "id55010000000000000000000001".to_owned();
    spec.assertion_id = "id55010000000000000000000002".to_owned();
    spec.session_index = Some("id1795867200000.550100001".to_owned());
    spec.prefixes = prefixes("saml2p", "saml2");
    spec.name_id = name_id(EMAIL, Some(NAMEID_EMAIL));
    spec.attributes = vec![
        Attribute::new("email", &[EMAIL]),
        Attribute::new("firstName", &[GIVEN_NAME]),
        Attribute::new("lastName", &[FAMILY_NAME]),
    ];
    spec.times = times(
        Duration::minutes(-5),
        Duration::minutes(5),
        Duration::minutes(5),
        Duration::seconds(-330),
        None,
    );
    spec.signing.placement = Placement::Both;
    spec
}

/// Microsoft Entra ID (entra-ssoready.xml, 2023): only the Assertion signed, the tenant's
/// `https://sts.windows.net/{tenant}/` issuer (a fixed fake tenant here), `_`+GUID IDs,
/// NameID = the user's UPN in `emailAddress` format (Entra's default "user.userprincipalname"
/// claim), WS-Federation claim URIs without NameFormat and without `xsi:type` on values,
/// a multi-valued `authnmethodsreferences`, Conditions from 5 minutes before to an hour after,
/// SessionIndex = the assertion ID, AuthnContext `Password`.
///
/// Not expressible with the spec: Entra writes the Assertion (and the Response's Issuer) in
/// the SAML assertion namespace as the default namespace, `<Assertion xmlns="…assertion">`,
/// and its Signature as `<Signature xmlns="…xmldsig#">`; here they are `saml:` and `ds:`.
/// Entra puts the AttributeStatement before the AuthnStatement; here it follows it. The
/// capture's `identityprovider` claim is left out because Entra sends it for guest users only,
/// and the test user is a member.
fn entra(issuer: &'static str) -> ResponseSpec {
    let tenant = issuer
        .trim_start_matches("https://sts.windows.net/")
        .trim_end_matches('/');
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "_5501ab00-e7a0-4c1d-9b2e-000000000001".to_owned();
    spec.assertion_id = "_5501ab00-e7a0-4c1d-9b2e-000000000002".to_owned();
    spec.session_index = Some(spec.assertion_id.clone());
    spec.prefixes = prefixes("samlp", "saml");
    spec.name_id = name_id(EMAIL, Some(NAMEID_EMAIL));
    let claim = |name: &str, values: &[&str]| attribute(name, values, None, false);
    spec.attributes = vec![
        claim(
            "http://schemas.microsoft.com/identity/claims/tenantid",
            &[tenant],
        ),
        claim(
            "http://schemas.microsoft.com/identity/claims/objectidentifier",
            &["5501ab00-0b1e-4c7a-8d1e-0000a11ce001"],
        ),
        claim(
            "http://schemas.microsoft.com/identity/claims/displayname",
            &["Alice Liddell"],
        ),
        claim(
            "http://schemas.microsoft.com/claims/authnmethodsreferences",
            &[
                "http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password",
                "http://schemas.microsoft.com/claims/multipleauthn",
            ],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            &[GIVEN_NAME],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            &[FAMILY_NAME],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            &[EMAIL],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            &[EMAIL],
        ),
    ];
    spec.authn_context = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password".to_owned();
    spec.times = times(
        Duration::minutes(-5),
        Duration::hours(1),
        Duration::hours(1),
        Duration::minutes(-10),
        None,
    );
    spec.signing.placement = Placement::Assertion;
    spec
}

/// Google Workspace (google-ssoready.xml, 2023): only the Assertion signed, issuer
/// `https://accounts.google.com/o/saml2?idpid=…`, `saml2p`/`saml2` prefixes, `_`+32 hex IDs,
/// NameID = the primary email in `unspecified` format (the admin console's default "Name ID
/// format"), no attributes at all (Google sends only what the admin maps, and maps nothing by
/// default), SessionIndex = the assertion ID, AuthnContext `unspecified`, 5-minute windows.
/// An SP must take the email from the NameID.
///
/// Not expressible with the spec: Google's KeyInfo also carries an `X509SubjectName`, and its
/// AuthnInstant has `.000` milliseconds.
fn google(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "_5501ab0000000000000000000000c001".to_owned();
    spec.assertion_id = "_5501ab0000000000000000000000c002".to_owned();
    spec.session_index = Some(spec.assertion_id.clone());
    spec.prefixes = prefixes("saml2p", "saml2");
    spec.name_id = name_id(EMAIL, Some(NAMEID_UNSPECIFIED));
    spec.attributes = Vec::new();
    spec.authn_context = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified".to_owned();
    spec.times = times(
        Duration::minutes(-5),
        Duration::minutes(5),
        Duration::minutes(5),
        Duration::minutes(-29),
        None,
    );
    spec.signing.placement = Placement::Assertion;
    spec
}

/// OneLogin (onelogin-crewjam.xml, "an actual response from onelogin", 2016): only the
/// Response signed, issuer `https://app.onelogin.com/saml/metadata/{app id}`, `samlp`/`saml`
/// prefixes, `pfx`+UUID Response ID and `A`+40 hex Assertion ID, NameID `emailAddress`,
/// attributes named `User.email`, `User.FirstName`, `User.LastName` (plus `memberOf` and
/// `PersonImmutableID`, sent empty when unset) with NameFormat `basic` and `xs:string` values,
/// 3-minute windows either side, a 24-hour SessionNotOnOrAfter.
///
/// Differs from the capture: it is signed with RSA-SHA256, not RSA-SHA1, because an SP
/// refuses SHA-1 by default and OneLogin's SSO tab offers SHA-256 (setup guides tell admins
/// to pick it); a SHA-1 fault reproduces the capture's algorithm. OneLogin's "SAML signature
/// element" setting can also sign the Assertion or both (gosaml2's onelogin-gosaml2-* set has
/// all three); change `signing.placement` for those.
fn onelogin(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "pfx5501ab00-6504-e1f1-5af0-000000000001".to_owned();
    spec.assertion_id = "A5501ab00000000000000000000000000000000001".to_owned();
    spec.session_index = Some("_5501ab00-95ff-0133-d871-000000000001".to_owned());
    spec.prefixes = prefixes("samlp", "saml");
    spec.name_id = name_id(EMAIL, Some(NAMEID_EMAIL));
    let basic = |name: &str, values: &[&str]| attribute(name, values, Some(ATTRNAME_BASIC), true);
    spec.attributes = vec![
        basic("User.email", &[EMAIL]),
        basic("memberOf", &[""]),
        basic("User.LastName", &[FAMILY_NAME]),
        basic("PersonImmutableID", &[""]),
        basic("User.FirstName", &[GIVEN_NAME]),
    ];
    spec.times = times(
        Duration::minutes(-3),
        Duration::minutes(3),
        Duration::minutes(3),
        Duration::seconds(-1),
        Some(Duration::hours(24)),
    );
    spec.signing.placement = Placement::Response;
    spec
}

/// AD FS (adfs-gosaml2.xml, 2017): only the Assertion signed (the relying party trust's
/// default `SamlResponseSignature = AssertionOnly`), issuer `http://{host}/adfs/services/trust`
/// (plain http, as AD FS names itself), `_`+GUID IDs, NameID `emailAddress`, claim URIs
/// without NameFormat or `xsi:type`, Conditions NotBefore equal to the IssueInstant (AD FS's
/// `NotBeforeSkew` defaults to 0, so an SP whose clock runs behind rejects it without a skew
/// allowance) and NotOnOrAfter an hour later, the confirmation 5 minutes, SessionIndex = the
/// assertion ID. The claims are those of the usual "Send LDAP Attributes as Claims" rule
/// (E-Mail-Addresses, User-Principal-Name, Given-Name, Surname); the capture's rule sent
/// given name and surname only.
///
/// Not expressible with the spec: AD FS writes `Consent="…:consent:unspecified"` on the
/// Response, the assertion namespace as the default namespace (`<Assertion xmlns="…">`, here
/// `saml:`), a `KeyInfo` in the default xmldsig namespace inside a `ds:Signature`, the
/// AttributeStatement before the AuthnStatement, and milliseconds in every instant.
fn adfs(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "_5501ab00-2a0c-42b6-b8f7-000000000001".to_owned();
    spec.assertion_id = "_5501ab00-d2bf-4327-a81f-000000000002".to_owned();
    spec.session_index = Some(spec.assertion_id.clone());
    spec.prefixes = prefixes("samlp", "saml");
    spec.name_id = name_id(EMAIL, Some(NAMEID_EMAIL));
    let claim = |name: &str, values: &[&str]| attribute(name, values, None, false);
    spec.attributes = vec![
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            &[EMAIL],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
            &[EMAIL],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            &[GIVEN_NAME],
        ),
        claim(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            &[FAMILY_NAME],
        ),
    ];
    spec.times = times(
        Duration::ZERO,
        Duration::hours(1),
        Duration::minutes(5),
        Duration::ZERO,
        None,
    );
    spec.signing.placement = Placement::Assertion;
    spec
}

/// AD FS with assertion encryption (adfs-gosaml2-encrypted.xml, 2017): the [`adfs`] response
/// whose signed Assertion is encrypted to the SP's certificate with AES-256-CBC, the content
/// key wrapped with RSA-OAEP-MGF1P (SHA-1 OAEP digest), and no signature outside the
/// encryption. AD FS encrypts whenever the relying party trust has an encryption certificate,
/// which it takes from the SP's metadata.
///
/// Not expressible with the spec: AD FS identifies the SP's key in the EncryptedKey's KeyInfo
/// by `X509IssuerSerial`; and its `EncryptedAssertion` is in the default namespace.
fn adfs_encrypted(issuer: &'static str) -> ResponseSpec {
    let mut spec = adfs(issuer);
    spec.encryption = Some(Encryption {
        cipher: BlockCipher::Aes256Cbc,
        transport: KeyTransport::RsaOaepMgf1p {
            digest: DigestAlgorithm::Sha1,
        },
        to: EncryptTo::Sp,
    });
    spec
}

/// PingFederate (pingfederate-gosaml2-signed-response-no-keyinfo.xml, gosaml2's pfed11 set,
/// 2017): only the Response signed, and **no KeyInfo** in the signature (PingFederate's
/// default: the SP must take the key from metadata), an admin-chosen entity ID on the
/// runtime port 9031, `samlp`/`saml` prefixes, 27-character random IDs, NameID `emailAddress`,
/// `firstname`/`lastname` attributes with unspecified NameFormat and `xs:string` values,
/// 5-minute windows, SessionIndex = the assertion ID, AuthnContext `Password`.
///
/// Differs from the capture: its test harness's `group` attribute (several values joined
/// into one with commas) is left out.
fn ping(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "Mk5501ab_V6Pfe-C.4yXC2hKLQ1".to_owned();
    spec.assertion_id = "vh-5501abePjqZeG7n6JCdHO0o2".to_owned();
    spec.session_index = Some(spec.assertion_id.clone());
    spec.prefixes = prefixes("samlp", "saml");
    spec.name_id = name_id(EMAIL, Some(NAMEID_EMAIL));
    spec.attributes = vec![
        Attribute::new("firstname", &[GIVEN_NAME]),
        Attribute::new("lastname", &[FAMILY_NAME]),
    ];
    spec.authn_context = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password".to_owned();
    spec.times = times(
        Duration::minutes(-5),
        Duration::minutes(5),
        Duration::minutes(5),
        Duration::ZERO,
        None,
    );
    spec.signing.placement = Placement::Response;
    spec.signing.include_certificate = false;
    spec
}

/// PingOne (pingone-ssoready.xml, 2023): only the Assertion signed, issuer
/// `https://auth.pingone.com/{environment id}`, `id-`+UUID IDs, a NameID **without Format**
/// holding the user's PingOne ID (the default `saml_subject` mapping), which is echoed in a
/// `saml_subject` attribute with NameFormat `basic` and `xs:string` values; the email comes
/// from an `email` attribute the admin maps (the capture has none: an SP must then find its
/// members by NameID). Conditions start one minute back; the
/// confirmation and SessionNotOnOrAfter end 5 minutes ahead; AuthnContext `unspecified`.
///
/// Not expressible with the spec: PingOne's KeyInfo carries an `RSAKeyValue` besides the
/// certificate, and its AuthnContext names an `AuthenticatingAuthority`.
fn pingone(issuer: &'static str) -> ResponseSpec {
    let subject = "5501ab00-4e8f-4dee-b565-00000000a11c";
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "id-5501ab00-a1c4-470a-99d0-000000000001".to_owned();
    spec.assertion_id = "id-5501ab00-2333-4b46-8056-000000000002".to_owned();
    spec.session_index = Some("5501ab00-2b0f-4f13-8a77-000000000001".to_owned());
    spec.prefixes = prefixes("samlp", "saml");
    spec.name_id = name_id(subject, None);
    spec.attributes = vec![
        attribute("saml_subject", &[subject], Some(ATTRNAME_BASIC), true),
        attribute("email", &[EMAIL], Some(ATTRNAME_BASIC), true),
    ];
    spec.authn_context = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified".to_owned();
    spec.times = times(
        Duration::minutes(-1),
        Duration::minutes(5),
        Duration::minutes(5),
        Duration::ZERO,
        Some(Duration::minutes(5)),
    );
    spec.signing.placement = Placement::Assertion;
    spec
}

/// The NameID format JumpCloud writes: SAML **1.0** in the URN, which no SAML version
/// defines (the standard one is [`NAMEID_UNSPECIFIED`], `SAML:1.1`). Kept because a strict SP
/// that checks formats meets it in the field.
const JUMPCLOUD_NAMEID_FORMAT: &str = "urn:oasis:names:tc:SAML:1.0:nameid-format:unspecified";

/// JumpCloud (jumpcloud-ssoready.xml, 2023): only the Assertion signed, an entity ID that is
/// whatever the admin typed in "IdP Entity ID" (free text with spaces, not a URI; the capture's
/// is literally `IdP Entity ID`), `saml2p`/`saml2` prefixes, 40-character upper-case IDs, NameID
/// = the user's email in the non-standard format `urn:oasis:names:tc:SAML:1.0:nameid-format:
/// unspecified`, 5-minute windows. The attributes are JumpCloud's own attribute names
/// (`email`, `firstname`, `lastname`) as an admin maps them in the connector's attribute
/// section; the capture has none.
///
/// Not expressible with the spec: JumpCloud writes `Format="…:nameid-format:entity"` on both
/// Issuers and `Consent="…:consent:unspecified"` on the Response. Attribute value typing is
/// not in the capture; `xs:string` is assumed, as the other OpenSAML-style IdPs write it.
fn jumpcloud(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.response_id = "MOCKJC5501AB0000000000000000000000000001".to_owned();
    spec.assertion_id = "MOCKJC5501AB0000000000000000000000000002".to_owned();
    spec.session_index = Some("5501ab00-2820-42da-9f71-000000000001".to_owned());
    spec.prefixes = prefixes("saml2p", "saml2");
    spec.name_id = name_id(EMAIL, Some(JUMPCLOUD_NAMEID_FORMAT));
    spec.attributes = vec![
        attribute("email", &[EMAIL], Some(ATTRNAME_UNSPECIFIED), true),
        attribute("firstname", &[GIVEN_NAME], Some(ATTRNAME_UNSPECIFIED), true),
        attribute("lastname", &[FAMILY_NAME], Some(ATTRNAME_UNSPECIFIED), true),
    ];
    spec.times = times(
        Duration::minutes(-5),
        Duration::minutes(5),
        Duration::minutes(5),
        Duration::ZERO,
        None,
    );
    spec.signing.placement = Placement::Assertion;
    spec
}

/// Every preset.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "okta",
        summary: "Okta: issuer http://www.okta.com/exk…, Response and Assertion signed, saml2p/saml2 prefixes, NameID emailAddress, email/firstName/lastName (xs:string)",
        source: "../shared/fixtures-real/responses/okta-ssoready.xml and okta-gosaml2-signed-both.xml; Okta's SAML app wizard (attribute statements)",
        issuer: "http://www.okta.com/exk1ssolab0test0000d7",
        spec: okta,
    },
    Preset {
        name: "entra",
        summary: "Microsoft Entra ID: issuer https://sts.windows.net/{tenant}/, Assertion signed only, NameID = UPN (emailAddress), WS-Fed claim URIs, untyped values, 1-hour validity",
        source: "../shared/fixtures-real/responses/entra-ssoready.xml (metadata/entra-ssoready.xml); Microsoft's SAML token claims reference",
        issuer: "https://sts.windows.net/a5501ab0-0000-4000-8000-000000000001/",
        spec: entra,
    },
    Preset {
        name: "google",
        summary: "Google Workspace: issuer https://accounts.google.com/o/saml2?idpid=…, Assertion signed only, NameID = email (unspecified format), no attributes",
        source: "../shared/fixtures-real/responses/google-ssoready.xml (metadata/google-ssoready.xml); Google Workspace custom SAML app defaults",
        issuer: "https://accounts.google.com/o/saml2?idpid=C05501ab0",
        spec: google,
    },
    Preset {
        name: "onelogin",
        summary: "OneLogin: issuer https://app.onelogin.com/saml/metadata/{id}, Response signed only, User.email/User.FirstName/User.LastName (basic, xs:string), empty memberOf",
        source: "../shared/fixtures-real/responses/onelogin-crewjam.xml (metadata/onelogin-crewjam.xml) and onelogin-gosaml2-*.xml; OneLogin SAML connector settings",
        issuer: "https://app.onelogin.com/saml/metadata/550100",
        spec: onelogin,
    },
    Preset {
        name: "adfs",
        summary: "AD FS: issuer http://{host}/adfs/services/trust, Assertion signed only, emailaddress/upn/givenname/surname claim URIs (untyped), NotBefore with zero skew",
        source: "../shared/fixtures-real/responses/adfs-gosaml2.xml (certs/adfs-gosaml2-idp-signing.pem), metadata/adfs-sustainsys.xml; AD FS relying party trust defaults",
        issuer: "http://adfs.example.com/adfs/services/trust",
        spec: adfs,
    },
    Preset {
        name: "adfs-encrypted",
        summary: "AD FS with an encryption certificate: the adfs response with its signed Assertion encrypted to the SP (AES-256-CBC, RSA-OAEP-MGF1P), Response unsigned",
        source: "../shared/fixtures-real/responses/adfs-gosaml2-encrypted.xml (decrypts with certs/gosaml2-sp-encryption-key.pem)",
        issuer: "http://adfs.example.com/adfs/services/trust",
        spec: adfs_encrypted,
    },
    Preset {
        name: "ping",
        summary: "PingFederate: admin-chosen entity ID on port 9031, Response signed only with no KeyInfo (key from metadata only), firstname/lastname (xs:string)",
        source: "../shared/fixtures-real/responses/pingfederate-gosaml2-signed-response-no-keyinfo.xml (gosaml2 pfed11 set)",
        issuer: "https://pingfed.example.com:9031/eid/mockidp",
        spec: ping,
    },
    Preset {
        name: "pingone",
        summary: "PingOne: issuer https://auth.pingone.com/{environment}, Assertion signed only, NameID = user ID with no Format, saml_subject and email (basic, xs:string)",
        source: "../shared/fixtures-real/responses/pingone-ssoready.xml (metadata/pingone-ssoready.xml)",
        issuer: "https://auth.pingone.com/5501ab00-440b-4ad0-9217-000000000001",
        spec: pingone,
    },
    Preset {
        name: "jumpcloud",
        summary: "JumpCloud: free-text entity ID (not a URI), Assertion signed only, saml2p/saml2 prefixes, NameID format SAML:1.0:…:unspecified (sic), email/firstname/lastname",
        source: "../shared/fixtures-real/responses/jumpcloud-ssoready.xml (metadata/jumpcloud-ssoready.xml); JumpCloud SAML connector attribute settings",
        issuer: "JumpCloud IdP ssolab",
        spec: jumpcloud,
    },
];

/// The preset named `name`.
pub fn by_name(name: &str) -> Result<&'static Preset, UnknownName> {
    find(PRESETS, name, "preset", |p| p.name)
}
