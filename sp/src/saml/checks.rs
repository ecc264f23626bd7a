//! The pure checks of the ACS pipeline, one function per step of DESIGN.md's ordered list. Each
//! returns its verdict; [`super::validate`] runs them in order (and `explain` runs every one it can).
//! Nothing here reads a field of the assertion except through [`Vouched`].

use super::attributes;
use super::near_miss::check_response_url;
use super::read::Vouched;
use super::rejection::{Code, Rejection};
use super::validate::TeamSso;
use crate::config::SpConfig;
use crate::model::{MemberKey, Plan};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use xmldsig::ns::{SAML_ASSERTION as SAML, SAML_PROTOCOL as SAMLP};
use xmldsig::{Certificate, Policy};

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

pub(super) fn response_root<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
) -> Result<roxmltree::Node<'a, 'input>, Rejection> {
    let root = doc.root_element();
    if !root.has_tag_name((SAMLP, "Response")) {
        return Err(Rejection::new(Code::MalformedXml)
            .expected("a samlp:Response root element")
            .got(format!(
                "<{}> in {:?}",
                root.tag_name().name(),
                root.tag_name().namespace().unwrap_or("")
            )));
    }
    Ok(root)
}

pub(super) fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    ns: &str,
    local: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children()
        .find(|c| c.is_element() && c.has_tag_name((ns, local)))
}

/// The plaintext of the response's EncryptedAssertion, parsed and checked to be an Assertion.
///
/// Every failure from the private-key operation onward (unwrapping, padding, tag, encoding, the
/// XML inside, what the root is) is one answer: `decryption_failed` with the generic hint, so
/// that the page and the status cannot tell a padding error from a parse error (the setting of
/// Jager and Somorovsky's 2011 attack on XML Encryption's CBC mode). The precise reason rides in
/// `got`, which only the log and offline reports show.
pub(super) fn decrypt_assertion(
    response: roxmltree::Node,
    team: &TeamSso,
    sp: &SpConfig,
) -> Result<String, Rejection> {
    let encrypted = child(response, SAML, "EncryptedAssertion")
        .ok_or_else(|| Rejection::new(Code::NoAssertion))?;
    // Nothing about the ciphertext has been looked at yet: this answer tells nothing about it.
    if !team.settings.encrypted_assertions {
        return Err(Rejection::new(Code::DecryptionFailed)
            .expected("a plain Assertion (the team does not expect encrypted assertions)")
            .got("an EncryptedAssertion")
            .hint("The IdP encrypts assertions, but this team is not set up for encrypted assertions, so they are never decrypted. Turn assertion encryption off in the IdP, or set the team's encrypted assertions on (sp team sso … --encrypted-assertions)."));
    }
    let key = sp.decryption_key.as_ref().ok_or_else(|| {
        Rejection::new(Code::DecryptionFailed)
            .got("an EncryptedAssertion")
            .hint("The IdP encrypts assertions but this SP has no decryption key configured. Configure the SP's key, or turn assertion encryption off in the IdP.")
    })?;
    let policy = Policy {
        allow_cbc: sp.allow_cbc,
        ..Policy::default()
    };
    // The EncryptedKey whose Recipient is this SP is the one unwrapped (one key transport, one
    // private-key operation, whatever the document holds).
    xmldsig::decrypt_for(encrypted, key, Some(&sp.entity_id), &policy).map_err(|e| match e {
        xmldsig::Error::DecryptionFailed { detail } => {
            undecryptable(format!("decryption: {detail}"))
        }
        // Refused before the key was used (a forbidden or unusable algorithm): no oracle.
        other => Rejection::from(other),
    })
}

/// The uniform refusal for anything that went wrong once the SP's key was used.
pub(super) fn undecryptable(detail: String) -> Rejection {
    Rejection::new(Code::DecryptionFailed).got(detail)
}

/// The decrypted assertion's root, refused uniformly when it is anything else.
pub(super) fn decrypted_root<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
) -> Result<roxmltree::Node<'a, 'input>, Rejection> {
    let root = doc.root_element();
    if !root.has_tag_name((SAML, "Assertion")) {
        return Err(undecryptable(format!(
            "the plaintext is <{}>, not a saml:Assertion",
            root.tag_name().name()
        )));
    }
    Ok(root)
}

pub(super) fn parse_instant(value: &str, field: &str) -> Result<OffsetDateTime, Rejection> {
    OffsetDateTime::parse(value.trim(), &Rfc3339).map_err(|_| {
        Rejection::new(Code::MalformedXml)
            .expected(format!(
                "{field} as an xs:dateTime in UTC, like 2026-11-28T12:00:00Z"
            ))
            .got(value.to_owned())
    })
}

pub(super) fn format_instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// An optional time attribute of a vouched element.
pub(super) fn instant(
    node: &Vouched,
    name: &str,
    field: &str,
) -> Result<Option<OffsetDateTime>, Rejection> {
    node.attribute(name)
        .map(|v| parse_instant(v, field))
        .transpose()
}

/// `NotBefore`/`NotOnOrAfter` of `node` against `now`, with the skew; returns both.
pub(super) fn check_window(
    node: &Vouched,
    field: &str,
    now: OffsetDateTime,
    sp: &SpConfig,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), Rejection> {
    let not_before = instant(node, "NotBefore", &format!("{field} NotBefore"))?;
    if let Some(not_before) = not_before {
        if now + sp.clock_skew < not_before {
            return Err(Rejection::new(Code::NotYetValid)
                .expected(format!(
                    "{field} NotBefore at or before {} (now plus {} s skew)",
                    format_instant(now + sp.clock_skew),
                    sp.clock_skew.whole_seconds()
                ))
                .got(format_instant(not_before)));
        }
    }
    let not_on_or_after = instant(node, "NotOnOrAfter", &format!("{field} NotOnOrAfter"))?;
    if let Some(end) = not_on_or_after {
        if now - sp.clock_skew >= end {
            return Err(Rejection::new(Code::Expired)
                .expected(format!(
                    "{field} NotOnOrAfter after {} (now minus {} s skew)",
                    format_instant(now - sp.clock_skew),
                    sp.clock_skew.whole_seconds()
                ))
                .got(format_instant(end)));
        }
    }
    Ok((not_before, not_on_or_after))
}

pub(super) fn check_issuer(
    node_issuer: Option<String>,
    expected: &str,
    whose: &str,
) -> Result<(), Rejection> {
    match node_issuer {
        Some(got) if got.trim() == expected => Ok(()),
        Some(got) => Err(Rejection::new(Code::IssuerMismatch)
            .expected(expected)
            .got(format!("{whose} Issuer {}", got.trim()))),
        None => Err(Rejection::new(Code::IssuerMismatch)
            .expected(expected)
            .got(format!("no {whose} Issuer"))),
    }
}

pub(super) fn check_version(version: Option<&str>, whose: &str) -> Result<(), Rejection> {
    if version == Some("2.0") {
        return Ok(());
    }
    Err(Rejection::new(Code::VersionMismatch)
        .expected("2.0")
        .got(format!(
            "{whose} Version {}",
            version.unwrap_or("(missing)")
        )))
}

/// `IssueInstant` of the Response or the Assertion against `now`. `valid_from` is the signed
/// Conditions' NotBefore, which [`check_window`] has already held to `now` plus the skew.
///
/// An IssueInstant ahead of this SP's clock by more than the skew is refused, unless the IdP
/// itself declared the assertion valid from an earlier time, at most `max_issue_age` before the
/// IssueInstant: Okta dates NotBefore exactly five minutes before IssueInstant so that SPs whose
/// clocks run slow still accept it (corpus: gosaml2's okta_response.xml, issued 4 min 15 s after
/// its suite's clock). The IdP's signed window is what says when the assertion is good; without
/// one, the IssueInstant stands in for it. The bound keeps a far-future IssueInstant from
/// defeating the staleness check below.
pub(super) fn check_issue_instant(
    value: Option<&str>,
    whose: &str,
    now: OffsetDateTime,
    valid_from: Option<OffsetDateTime>,
    sp: &SpConfig,
) -> Result<(), Rejection> {
    let Some(value) = value else {
        return Err(Rejection::new(Code::MalformedXml)
            .expected(format!("{whose} IssueInstant"))
            .got("none"));
    };
    let issued = parse_instant(value, &format!("{whose} IssueInstant"))?;
    let declared_lead =
        valid_from.filter(|from| *from <= issued && issued - *from <= sp.max_issue_age);
    if issued > now + sp.clock_skew && declared_lead.is_none() {
        return Err(Rejection::new(Code::NotYetValid)
            .expected(format!(
                "{whose} IssueInstant at or before {} (now plus {} s skew), or a Conditions NotBefore at most {} s before it",
                format_instant(now + sp.clock_skew),
                sp.clock_skew.whole_seconds(),
                sp.max_issue_age.whole_seconds()
            ))
            .got(format_instant(issued)));
    }
    if issued + sp.max_issue_age + sp.clock_skew < now {
        return Err(Rejection::new(Code::IssueInstantStale)
            .expected(format!(
                "{whose} IssueInstant after {} ({} s plus {} s skew ago)",
                format_instant(now - sp.max_issue_age - sp.clock_skew),
                sp.max_issue_age.whole_seconds(),
                sp.clock_skew.whole_seconds()
            ))
            .got(format_instant(issued)));
    }
    Ok(())
}

/// Which of the two signatures a SAML response can carry is being verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SignedElement {
    Response,
    Assertion,
}

impl SignedElement {
    fn name(self) -> &'static str {
        match self {
            SignedElement::Response => "Response",
            SignedElement::Assertion => "Assertion",
        }
    }

    /// What `explain` says when this element carries no signature.
    pub(super) fn unsigned(self) -> &'static str {
        match self {
            SignedElement::Response => "the Response is not signed",
            SignedElement::Assertion => "the Assertion is not signed",
        }
    }

    /// Names this signature in the rejection's `got`, so that a response signed twice says which
    /// signature failed: "Response signature: digest of the signed element does not match
    /// DigestValue".
    fn name_in(self, mut rejection: Rejection) -> Rejection {
        let which = self.name();
        rejection.got = Some(match rejection.got.take() {
            Some(got) => format!("{which} signature: {got}"),
            None => format!("{which} signature"),
        });
        rejection
    }
}

/// The team's certificates split by whether they have expired at `now`. Only unexpired ones
/// vouch for a response; an expired one is tried only to say precisely why a signature failed
/// (the IdP still signs with a certificate it should have rotated).
pub(super) struct Trust<'t> {
    valid: std::borrow::Cow<'t, [Certificate]>,
    expired: Vec<Certificate>,
}

impl<'t> Trust<'t> {
    pub(super) fn at(certificates: &'t [Certificate], now: OffsetDateTime) -> Trust<'t> {
        let now = now.unix_timestamp();
        // Almost always every certificate is current: then no copy is made.
        if certificates.iter().all(|c| c.not_after_unix() >= now) {
            return Trust {
                valid: std::borrow::Cow::Borrowed(certificates),
                expired: Vec::new(),
            };
        }
        let (valid, expired): (Vec<_>, Vec<_>) = certificates
            .iter()
            .cloned()
            .partition(|c| c.not_after_unix() >= now);
        Trust {
            valid: valid.into(),
            expired,
        }
    }

    pub(super) fn verify<'a, 'input>(
        &self,
        element: roxmltree::Node<'a, 'input>,
        policy: &Policy,
        which: SignedElement,
    ) -> Result<xmldsig::Verified<'a, 'input>, Rejection> {
        self.verify_unnamed(element, policy)
            .map_err(|r| which.name_in(r))
    }

    fn verify_unnamed<'a, 'input>(
        &self,
        element: roxmltree::Node<'a, 'input>,
        policy: &Policy,
    ) -> Result<xmldsig::Verified<'a, 'input>, Rejection> {
        match xmldsig::verify(element, &self.valid, policy) {
            Ok(verified) => Ok(verified),
            Err(
                e @ (xmldsig::Error::SignatureInvalid { .. }
                | xmldsig::Error::NoCompatibleCertificate { .. }
                | xmldsig::Error::NoTrustedCertificates),
            ) => match self
                .expired
                .iter()
                .find(|c| xmldsig::verify(element, std::slice::from_ref(*c), policy).is_ok())
            {
                Some(expired) => {
                    let not_after = expired.x509().not_after().to_string();
                    Err(Rejection::new(Code::SignatureInvalid)
                        .expected("a signature by an unexpired certificate of the team's IdP metadata")
                        .got(format!("signed by a certificate that expired {not_after}"))
                        .hint(format!(
                            "The IdP signs with a certificate that expired {not_after}. Rotate the IdP's signing certificate (activate the new one in the IdP) and update the team's metadata; a metadata URL picks it up by itself."
                        )))
                }
                None => Err(Rejection::from(e)),
            },
            Err(e) => Err(Rejection::from(e)),
        }
    }
}

/// What one walk over a document finds: its assertions (plain or encrypted, wherever they are)
/// and the first ID-like attribute value (`ID`, `Id`, `id`, `xml:id`) that occurs twice.
pub(super) struct Scan<'a, 'input> {
    pub(super) assertions: usize,
    pub(super) first_assertion: Option<roxmltree::Node<'a, 'input>>,
    pub(super) repeated_id: Option<&'a str>,
}

impl<'a, 'input> Scan<'a, 'input> {
    pub(super) fn of(doc: &'a roxmltree::Document<'input>) -> Scan<'a, 'input> {
        let mut scan = Scan {
            assertions: 0,
            first_assertion: None,
            repeated_id: None,
        };
        let mut ids = SeenIds::default();
        for node in doc.descendants().filter(roxmltree::Node::is_element) {
            if node.has_tag_name((SAML, "Assertion"))
                || node.has_tag_name((SAML, "EncryptedAssertion"))
            {
                scan.assertions += 1;
                scan.first_assertion.get_or_insert(node);
            }
            if scan.repeated_id.is_some() {
                continue;
            }
            for attribute in node.attributes() {
                if xmldsig::is_id_attribute(&attribute) && !ids.insert(attribute.value()) {
                    scan.repeated_id = Some(attribute.value());
                    break;
                }
            }
        }
        scan
    }
}

/// A set of IDs: a short list searched in order while small (a response has a handful), a hash
/// set once a document has more, so that no document makes the search quadratic.
#[derive(Default)]
struct SeenIds<'a> {
    few: Vec<&'a str>,
    many: std::collections::HashSet<&'a str>,
}

impl<'a> SeenIds<'a> {
    const FEW: usize = 16;

    /// False when `id` was already there.
    fn insert(&mut self, id: &'a str) -> bool {
        if self.few.len() < Self::FEW {
            if self.few.contains(&id) {
                return false;
            }
            self.few.push(id);
            return true;
        }
        if self.many.is_empty() {
            self.many.extend(self.few.iter().copied());
        }
        self.many.insert(id)
    }
}

/// One bearer SubjectConfirmationData: Recipient is the ACS, NotOnOrAfter (required for bearer)
/// not passed, NotBefore (if any) reached. Returns its NotOnOrAfter and InResponseTo.
pub(super) fn check_bearer(
    data: &Vouched,
    acs: &str,
    now: OffsetDateTime,
    sp: &SpConfig,
) -> Result<(OffsetDateTime, Option<String>), Rejection> {
    match data.attribute("Recipient") {
        Some(recipient) => check_response_url(
            acs,
            recipient,
            Code::RecipientMismatch,
            "Recipient (IdP: Single Sign-On URL / Recipient URL)",
        )?,
        None => {
            return Err(Rejection::new(Code::RecipientMismatch)
                .expected(acs)
                .got("no Recipient"));
        }
    }
    let (_, end) = check_window(data, "SubjectConfirmationData", now, sp)?;
    let end = end.ok_or_else(|| {
        Rejection::new(Code::NoBearerConfirmation)
            .expected("SubjectConfirmationData NotOnOrAfter (required for bearer)")
            .got("none")
    })?;
    Ok((end, data.attribute("InResponseTo").map(str::to_owned)))
}

/// The status code, its second-level code and message, for a `status_not_success` report.
pub(super) fn status_description(response: roxmltree::Node) -> String {
    let status = child(response, SAMLP, "Status");
    let code = status.and_then(|s| child(s, SAMLP, "StatusCode"));
    let mut out = code
        .and_then(|c| c.attribute("Value"))
        .unwrap_or("(no StatusCode)")
        .to_owned();
    if let Some(sub) = code
        .and_then(|c| child(c, SAMLP, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
    {
        out.push_str(&format!(" / {sub}"));
    }
    if let Some(message) = status.and_then(|s| child(s, SAMLP, "StatusMessage")) {
        out.push_str(&format!(
            ": {}",
            xmldsig::text_content(message, None).trim()
        ));
    }
    out
}

/// SAML SSO is sold on the custom plan only.
pub(super) fn check_plan(team: &TeamSso) -> Result<(), Rejection> {
    if team.team.plan == Plan::Custom {
        return Ok(());
    }
    Err(Rejection::new(Code::SsoNotEnabled)
        .expected("plan custom")
        .got(format!("plan {}", team.team.plan.as_str())))
}

/// Exactly one assertion, plain or encrypted, counted over the whole document: a second copy
/// hidden in Extensions, an Object or anywhere else is how wrapping attacks arrive. It must be a
/// child of the Response.
pub(super) fn the_assertion<'a, 'input>(
    response: roxmltree::Node<'a, 'input>,
    scan: &Scan<'a, 'input>,
) -> Result<roxmltree::Node<'a, 'input>, Rejection> {
    match (scan.assertions, scan.first_assertion) {
        (0, _) | (_, None) => Err(match status_code(response) {
            Some(code) if code != STATUS_SUCCESS => Rejection::new(Code::StatusNotSuccess)
                .expected(STATUS_SUCCESS)
                .got(status_description(response)),
            _ => Rejection::new(Code::NoAssertion),
        }),
        (1, Some(one)) if one.parent() == Some(response) => Ok(one),
        (1, Some(one)) => Err(Rejection::new(Code::NoAssertion)
            .expected("an Assertion that is a child of the Response")
            .got(format!(
                "one inside <{}>",
                one.parent_element().map_or("", |p| p.tag_name().name())
            ))),
        (more, _) => Err(Rejection::new(Code::MultipleAssertions)
            .expected("1")
            .got(more.to_string())),
    }
}

/// No ID may occur twice anywhere, even where every signature verified: with only the Response
/// signed, xmldsig checks the Response's own ID, and a repeated assertion ID elsewhere is the
/// shape of a wrapping attempt (DESIGN.md: "no duplicate IDs").
pub(super) fn check_unique_ids(repeated: Option<&str>) -> Result<(), Rejection> {
    match repeated {
        None => Ok(()),
        Some(id) => Err(Rejection::new(Code::DuplicateId)
            .expected("every ID once")
            .got(format!("ID {id:?} more than once"))),
    }
}

fn status_code<'a>(response: roxmltree::Node<'a, '_>) -> Option<&'a str> {
    child(response, SAMLP, "Status")
        .and_then(|s| child(s, SAMLP, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
}

/// The wrapper's Status is Success. When only the Assertion is signed, the unsigned wrapper can
/// still refuse a login, never supply anything to it.
pub(super) fn check_status(response: roxmltree::Node) -> Result<(), Rejection> {
    if status_code(response) == Some(STATUS_SUCCESS) {
        return Ok(());
    }
    Err(Rejection::new(Code::StatusNotSuccess)
        .expected(STATUS_SUCCESS)
        .got(status_description(response)))
}

/// The Response's Issuer, when it names one, is the team's IdP.
pub(super) fn check_response_issuer(
    response: roxmltree::Node,
    expected: &str,
) -> Result<(), Rejection> {
    match child(response, SAML, "Issuer") {
        Some(issuer) => check_issuer(
            Some(xmldsig::text_content(issuer, None)),
            expected,
            "Response",
        ),
        None => Ok(()),
    }
}

/// The Response's Destination, when present, is the ACS URL (SAML bindings §3.5.5.2).
pub(super) fn check_destination(response: roxmltree::Node, acs: &str) -> Result<(), Rejection> {
    match response.attribute("Destination") {
        Some(destination) => check_response_url(
            acs,
            destination,
            Code::DestinationMismatch,
            "Destination (IdP: Single Sign-On URL / Reply URL)",
        ),
        None => Ok(()),
    }
}

/// Whether `value` is an xs:ID, the type SAML gives every `ID` (Core §1.3.4): an NCName, so
/// not empty, not starting with a digit, `-` or `.`, and without `:` or whitespace. A
/// same-document Reference (`#id`, an XPointer shorthand) can only name an element by such a
/// name. Letters and digits of any script count; XML's rarer name characters (combining marks,
/// the middle dot) are accepted after the first, where XML allows them.
fn is_xs_id(value: &str) -> bool {
    let mut chars = value.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_alphabetic())
        && chars.all(|c| {
            c.is_alphanumeric()
                || matches!(c, '-' | '.' | '_' | '\u{B7}' | '\u{203F}' | '\u{2040}')
                || ('\u{300}'..='\u{36F}').contains(&c)
        })
}

/// `whose` element's `ID`, present and an xs:ID: one that is not is no SAML element, whether or
/// not a signature refers to it.
fn required_id<'a>(id: Option<&'a str>, whose: &str) -> Result<&'a str, Rejection> {
    match id {
        Some(id) if is_xs_id(id) => Ok(id),
        Some(id) => Err(Rejection::new(Code::MalformedXml)
            .expected(format!(
                "a {whose} ID that is an xs:ID (a name: a letter or _ first, no spaces or colons)"
            ))
            .got(format!("{id:?}"))),
        None => Err(Rejection::new(Code::MalformedXml)
            .expected(format!("a {whose} ID"))
            .got("none")),
    }
}

/// The Response's ID (Core §3.2.2: required), which nothing else checks when only the Assertion
/// is signed.
pub(super) fn check_response_id(response: roxmltree::Node) -> Result<(), Rejection> {
    required_id(response.attribute("ID"), "Response").map(|_| ())
}

/// The assertion's ID, which the replay cache remembers.
pub(super) fn assertion_id(read: &Vouched) -> Result<String, Rejection> {
    required_id(read.attribute("ID"), "Assertion").map(str::to_owned)
}

/// What the bearer confirmation that passed says, and how long any of them could still pass.
pub(super) struct Bearer {
    pub(super) in_response_to: Option<String>,
    /// The latest NotOnOrAfter among every bearer confirmation (another one may pass later than
    /// the one that did now).
    pub(super) latest_end: OffsetDateTime,
}

/// SAML profiles §4.1.4.2: at least one bearer SubjectConfirmation must satisfy every
/// condition; the first one's failure is reported when none does.
pub(super) fn bearer_confirmation(
    read: &Vouched,
    acs: &str,
    now: OffsetDateTime,
    sp: &SpConfig,
) -> Result<Bearer, Rejection> {
    let bearer: Vec<Vouched> = read
        .child(SAML, "Subject")
        .iter()
        .flat_map(|s| s.children_named(SAML, "SubjectConfirmation"))
        .filter(|c| c.attribute("Method") == Some(BEARER))
        .filter_map(|c| c.child(SAML, "SubjectConfirmationData"))
        .collect();
    if bearer.is_empty() {
        return Err(Rejection::new(Code::NoBearerConfirmation)
            .expected(format!(
                "SubjectConfirmation Method=\"{BEARER}\" with SubjectConfirmationData"
            ))
            .got("none"));
    }
    let mut first_failure = None;
    for data in &bearer {
        match check_bearer(data, acs, now, sp) {
            Ok((end, in_response_to)) => {
                let latest_end = bearer
                    .iter()
                    .filter_map(|d| d.attribute("NotOnOrAfter"))
                    .filter_map(|v| OffsetDateTime::parse(v.trim(), &Rfc3339).ok())
                    .fold(end, OffsetDateTime::max);
                return Ok(Bearer {
                    in_response_to,
                    latest_end,
                });
            }
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    Err(first_failure.unwrap_or_else(|| Rejection::new(Code::NoBearerConfirmation)))
}

/// Every AudienceRestriction must admit this SP (SAML core §2.5.1.4), and there must be one.
pub(super) fn check_audience(read: &Vouched, sp: &SpConfig) -> Result<(), Rejection> {
    let restrictions: Vec<Vouched> = read
        .child(SAML, "Conditions")
        .iter()
        .flat_map(|c| c.children_named(SAML, "AudienceRestriction"))
        .collect();
    if restrictions.is_empty() {
        return Err(Rejection::new(Code::AudienceMissing)
            .expected(sp.entity_id.clone())
            .got("no AudienceRestriction"));
    }
    for restriction in &restrictions {
        let audiences: Vec<String> = restriction
            .children_named(SAML, "Audience")
            .iter()
            .map(|a| a.text().trim().to_owned())
            .collect();
        if audiences.contains(&sp.entity_id) {
            continue;
        }
        let got = if audiences.is_empty() {
            "an empty AudienceRestriction".to_owned()
        } else {
            audiences.join(", ")
        };
        let mut rejection = Rejection::new(Code::AudienceMismatch)
            .expected(sp.entity_id.clone())
            .got(got);
        if let Some(close) = audiences.iter().find(|a| {
            a.trim_end_matches('/')
                .eq_ignore_ascii_case(sp.entity_id.trim_end_matches('/'))
        }) {
            rejection = rejection.hint(format!(
                "The Audience {close:?} differs from the SP entity ID only by case or a trailing slash. Set the IdP's Audience URI to exactly {}.",
                sp.entity_id
            ));
        }
        return Err(rejection);
    }
    Ok(())
}

/// The Conditions' window, when there are Conditions: (NotBefore, NotOnOrAfter).
pub(super) fn conditions_window(
    read: &Vouched,
    now: OffsetDateTime,
    sp: &SpConfig,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), Rejection> {
    match read.child(SAML, "Conditions") {
        Some(c) => check_window(&c, "Conditions", now, sp),
        None => Ok((None, None)),
    }
}

/// Which request this response answers, if any, and whether the team takes it.
///
/// The SubjectConfirmationData's InResponseTo is signed with the assertion; the Response's own
/// counts only when its signature vouches for it, or an edited wrapper could pass an
/// IdP-initiated assertion off as an answer to a request. Disagreement refuses either way:
/// refusing is always safe.
pub(super) fn in_response_to(
    response: roxmltree::Node,
    confirmation: Option<String>,
    response_signed: bool,
    team: &TeamSso,
) -> Result<Option<String>, Rejection> {
    let wrapper = response.attribute("InResponseTo").map(str::to_owned);
    let in_response_to = match (wrapper, confirmation) {
        (Some(a), Some(b)) if a != b => {
            return Err(Rejection::new(Code::InResponseToUnknown)
                .expected(format!(
                    "the Response's InResponseTo {a:?} also in SubjectConfirmationData"
                ))
                .got(b));
        }
        (a, b) => b.or(a.filter(|_| response_signed)),
    };
    if in_response_to.is_none() && !team.settings.allow_idp_initiated {
        return Err(Rejection::new(Code::UnsolicitedForbidden)
            .expected("an InResponseTo naming this SP's AuthnRequest")
            .got("none (IdP-initiated)"));
    }
    Ok(in_response_to)
}

/// The Subject's NameID and its Format.
pub(super) fn name_id(read: &Vouched) -> Result<(String, Option<String>), Rejection> {
    let subject = read.child(SAML, "Subject");
    let node = subject.and_then(|s| s.child(SAML, "NameID"));
    let value = node
        .map(|n| n.text().trim().to_owned())
        .filter(|n| !n.is_empty());
    let Some(value) = value else {
        let got = if subject.and_then(|s| s.child(SAML, "EncryptedID")).is_some() {
            "an EncryptedID (not supported)"
        } else {
            "none"
        };
        return Err(Rejection::new(Code::NameIdMissing)
            .expected("a non-empty Subject NameID")
            .got(got));
    };
    let format = node.and_then(|n| n.attribute("Format")).map(str::to_owned);
    Ok((value, format))
}

/// Every Attribute of every AttributeStatement, by Name, with its values.
pub(super) fn attribute_values(read: &Vouched) -> Vec<(String, Vec<String>)> {
    read.children_named(SAML, "AttributeStatement")
        .iter()
        .flat_map(|s| s.children_named(SAML, "Attribute"))
        .filter_map(|a| {
            let name = a.attribute("Name")?.to_owned();
            let values = a
                .children_named(SAML, "AttributeValue")
                .iter()
                .map(|v| v.text())
                .collect();
            Some((name, values))
        })
        .collect()
}

/// The member this login is for, by the team's member key, under the one identity rule; and the
/// email, when there is one.
pub(super) fn member_identity(
    team: &TeamSso,
    name_id: &str,
    name_id_format: Option<&str>,
    attributes: &[(String, Vec<String>)],
) -> Result<(String, Option<String>), Rejection> {
    let email = attributes::email(name_id, name_id_format, attributes);
    let user_name = match team.settings.member_key {
        MemberKey::NameId => name_id.to_owned(),
        MemberKey::Email => email.clone().ok_or_else(|| {
            Rejection::new(Code::EmailMissing)
                .expected("an email in the NameID or in an email attribute")
                .got(format!(
                    "NameID format {}, attributes [{}]",
                    name_id_format.unwrap_or("unspecified"),
                    attributes
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
        })?,
    };
    if let Err(refused) = crate::identity::member_key(&user_name) {
        return Err(Rejection::new(Code::IdentityNotNormalized)
            .expected("an email or NameID in plain form (NFKC, no control characters)")
            .got(refused.to_string()));
    }
    Ok((user_name, email))
}

/// The AuthnStatement's SessionNotOnOrAfter and SessionIndex, and its AuthnInstant (Core §2.7.2:
/// required) well-formed: a statement whose time does not parse is refused like every other
/// malformed time, even though this SP sets no maximum authentication age.
pub(super) fn session(
    read: &Vouched,
) -> Result<(Option<OffsetDateTime>, Option<String>), Rejection> {
    let authn = read.child(SAML, "AuthnStatement");
    let not_on_or_after = match &authn {
        Some(a) => {
            if instant(a, "AuthnInstant", "AuthnStatement AuthnInstant")?.is_none() {
                return Err(Rejection::new(Code::MalformedXml)
                    .expected("AuthnStatement AuthnInstant")
                    .got("none"));
            }
            instant(
                a,
                "SessionNotOnOrAfter",
                "AuthnStatement SessionNotOnOrAfter",
            )?
        }
        None => None,
    };
    let index = authn
        .and_then(|a| a.attribute("SessionIndex"))
        .map(str::to_owned);
    Ok((not_on_or_after, index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_finds_a_repeat_among_few_and_among_many() {
        let ids: Vec<String> = (0..40).map(|n| format!("id-{n}")).collect();
        for repeat_of in [0, 15, 16, 39] {
            let mut seen = SeenIds::default();
            for id in &ids {
                assert!(seen.insert(id), "{id} is new");
            }
            assert!(!seen.insert(&ids[repeat_of]), "id-{repeat_of} again");
        }
        let mut seen = SeenIds::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
    }

    #[test]
    fn one_walk_counts_assertions_anywhere_and_finds_the_first_repeated_id() {
        let xml = format!(
            r#"<r xmlns:saml="{SAML}" ID="r"><saml:Assertion ID="a"/><x><saml:EncryptedAssertion Id="e"/></x><y xml:id="a"/></r>"#
        );
        let doc = roxmltree::Document::parse(&xml).expect("test XML");
        let scan = Scan::of(&doc);
        assert_eq!(scan.assertions, 2);
        assert_eq!(
            scan.first_assertion.and_then(|n| n.attribute("ID")),
            Some("a")
        );
        assert_eq!(scan.repeated_id, Some("a"));
    }

    #[test]
    fn an_id_must_be_an_xs_id() {
        for good in ["_a1", "id5501", "ID_3f2-9.x", "pfx41d8", "\u{e9}t\u{e9}"] {
            assert!(is_xs_id(good), "{good:?}");
        }
        for bad in ["", "1abc", "-a", ".a", "a b", "a:b", " _a", "_a\n"] {
            assert!(!is_xs_id(bad), "{bad:?}");
        }
        assert_eq!(
            required_id(Some("1abc"), "Response").map_err(|r| r.code),
            Err(Code::MalformedXml)
        );
        assert_eq!(
            required_id(None, "Assertion").map_err(|r| r.code),
            Err(Code::MalformedXml)
        );
        assert_eq!(required_id(Some("_a1"), "Assertion"), Ok("_a1"));
    }

    #[test]
    fn an_authn_statement_needs_a_well_formed_authn_instant() {
        let session_of = |authn: &str| {
            let xml = format!(r#"<saml:Assertion xmlns:saml="{SAML}">{authn}</saml:Assertion>"#);
            let doc = roxmltree::Document::parse(&xml).expect("test XML");
            session(&Vouched::Unverified(doc.root_element())).map_err(|r| r.code)
        };
        let good =
            r#"<saml:AuthnStatement AuthnInstant="2026-11-28T12:00:00Z" SessionIndex="_s"/>"#;
        assert_eq!(session_of(good), Ok((None, Some("_s".to_owned()))));
        assert_eq!(session_of(""), Ok((None, None)));
        for bad in [
            r#"<saml:AuthnStatement SessionIndex="_s"/>"#,
            r#"<saml:AuthnStatement AuthnInstant=""/>"#,
            r#"<saml:AuthnStatement AuthnInstant="yesterday"/>"#,
        ] {
            assert_eq!(session_of(bad), Err(Code::MalformedXml), "{bad}");
        }
    }

    #[test]
    fn a_signature_rejection_names_the_signature_that_failed() {
        let failed =
            SignedElement::Response.name_in(Rejection::from(xmldsig::Error::DigestMismatch));
        assert_eq!(failed.code, Code::DigestMismatch);
        assert_eq!(
            failed.got.as_deref(),
            Some("Response signature: digest of the signed element does not match DigestValue")
        );
        let bare = SignedElement::Assertion.name_in(Rejection::new(Code::SignatureInvalid));
        assert_eq!(bare.got.as_deref(), Some("Assertion signature"));
    }
}
