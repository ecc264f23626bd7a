//! The ACS pipeline: one linear sequence of named checks in DESIGN.md's order, pure except for
//! the team lookup and the two stores it is handed, with `now` passed in.
//!
//! - [`decode`]: size cap, base64, a deflated (Redirect-binding) message named as such, UTF-8 —
//!   before any XML parser sees a byte.
//! - [`parse`]: `xmldsig`'s caps and no DOCTYPE, then [`issuer_of`] reads the Issuer,
//!   unverified, only to find the team whose pinned certificates will decide. Nothing is
//!   decrypted before the team is known.
//! - [`judge`]: the ACS's one entry point (the web handler, the benchmark and the tests call it):
//!   decode → parse → issuer → team → every pure check ([`Check`], in order; each is a function
//!   of [`super::checks`]). Fields are read only from what a signature vouches for
//!   ([`Vouched`]); when only the Assertion is signed, the unsigned wrapper can still *refuse* a
//!   login (a failed Status, a wrong Destination) but never supply anything to it.
//! - [`explain`]: the same checks, each reported with its verdict, going on past a failure where
//!   a later check does not depend on it (for `conformance explain`; it never logs anyone in).
//! - [`consume`]: the stateful checks, last so that a refused response changes no state:
//!   InResponseTo must name a request this SP made (consumed once), and the assertion ID must
//!   never have been seen (until its NotOnOrAfter, across every replica sharing the database).

use super::checks::{self, Scan, SignedElement, Trust};
use super::read::Vouched;
use super::rejection::{Code, Rejection};
use crate::config::SpConfig;
use crate::model::{Id, SsoSettings, Team};
use base64::Engine;
use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use time::OffsetDateTime;
use xmldsig::ns::{DS, SAML_ASSERTION as SAML};
use xmldsig::{Certificate, Policy};

/// A team as the pipeline needs it: its settings and the certificates pinned from its metadata.
#[derive(Debug, Clone)]
pub struct TeamSso {
    pub team: Team,
    pub settings: SsoSettings,
    /// Every signing certificate of the IdP's current metadata (rollover publishes two).
    pub certificates: Vec<Certificate>,
}

/// A response that passed every pure check: who logged in, and what the stateful checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub team_id: Id,
    pub assertion_id: String,
    /// Until when the assertion ID must be remembered (latest NotOnOrAfter plus the skew).
    pub replay_until: OffsetDateTime,
    pub in_response_to: Option<String>,
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// The member this login is for: the email or the NameID, as the team's
    /// [`MemberKey`](crate::model::MemberKey) says.
    pub user_name: String,
    /// The NameID when it is an email, else the first email attribute.
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    pub session_index: Option<String>,
    pub attributes: Vec<(String, Vec<String>)>,
}

/// A future the stores return; boxed so that the traits stay object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// The assertion IDs already used, shared by every SP replica.
pub trait ReplayCache: Send + Sync {
    /// Records `assertion_id` for `team` until `until`; `Ok(true)` when it was new.
    fn record<'a>(
        &'a self,
        team: &'a Id,
        assertion_id: &'a str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, bool>;
}

/// The AuthnRequest IDs this SP issued and not yet consumed.
pub trait RequestStore: Send + Sync {
    /// Consumes `request_id` for `team`; `Ok(true)` when it was outstanding.
    fn take<'a>(
        &'a self,
        team: &'a Id,
        request_id: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, bool>;
}

/// Why the ACS did not log anyone in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcsError {
    /// The response was refused; the code says why.
    Rejected(Rejection),
    /// A store failed; the response was not judged.
    Storage(String),
}

impl From<Rejection> for AcsError {
    fn from(r: Rejection) -> Self {
        AcsError::Rejected(r)
    }
}

/// Decodes the `SAMLResponse` form value into XML text.
pub fn decode(form_value: &str, sp: &SpConfig) -> Result<String, Rejection> {
    let max = sp.limits.max_bytes;
    // Most IdPs send base64 without whitespace, and then the value is decoded as it is, with
    // no scan and no copy. IdPs that wrap base64 lines (AD FS, some proxies) put whitespace in
    // it, which the strict decoder refuses: only then is a compact copy made and decoded.
    let bytes = match decode_base64(form_value.as_bytes(), max) {
        Err(_) if form_value.bytes().any(|b| b.is_ascii_whitespace()) => {
            let compact: Vec<u8> = form_value
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            decode_base64(&compact, max)?
        }
        decoded => decoded?,
    };
    if bytes.len() > max {
        return Err(Rejection::new(Code::TooLarge)
            .expected(format!("at most {max} bytes"))
            .got(format!("{} bytes", bytes.len())));
    }
    if !looks_like_xml(&bytes) && inflates_to_xml(&bytes, max) {
        return Err(Rejection::new(Code::RedirectBinding)
            .expected("base64 of the XML (HTTP-POST binding)")
            .got("base64 of DEFLATE-compressed XML (HTTP-Redirect binding encoding)"));
    }
    String::from_utf8(bytes).map_err(|_| {
        Rejection::new(Code::MalformedXml)
            .expected("UTF-8 XML")
            .got("bytes that are not UTF-8")
    })
}

/// XML text starts with `<` after an optional byte-order mark and whitespace.
fn looks_like_xml(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// Whether `bytes` is a raw DEFLATE stream (how the HTTP-Redirect binding encodes a message)
/// whose first `max` inflated bytes look like XML. Only the first kilobyte is inflated: enough to
/// tell, and a decompression bomb costs nothing.
fn inflates_to_xml(bytes: &[u8], max: usize) -> bool {
    let mut head = Vec::new();
    let limit = max.min(1024) as u64;
    flate2::read::DeflateDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut head)
        .is_ok()
        && looks_like_xml(&head)
}

/// Strict standard base64, refused before any work when it cannot fit in `max` bytes once
/// decoded (base64 is 4/3 the size of what it carries).
fn decode_base64(base64: &[u8], max: usize) -> Result<Vec<u8>, Rejection> {
    if base64.len() / 4 * 3 > max + 3 {
        return Err(Rejection::new(Code::TooLarge)
            .expected(format!("at most {max} bytes"))
            .got(format!("about {} bytes", base64.len() / 4 * 3)));
    }
    // The vectorized decoder took `decode` of a 7 KB response from about 8 µs to under 2 µs
    // (docs/PERFORMANCE.md); it only says that the input is not base64, so the scalar one is
    // asked where, on the error path alone.
    base64_simd::STANDARD.decode_to_vec(base64).map_err(|_| {
        let detail = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .err()
            .map_or_else(|| "not strict base64".to_owned(), |e| e.to_string());
        Rejection::new(Code::NotBase64).got(detail)
    })
}

/// Parses decoded XML under the SP's limits (no DOCTYPE, caps). The ACS parses once; a second
/// parse would cost as much as the signature's own canonicalization and digest.
pub fn parse<'input>(
    xml: &'input str,
    sp: &SpConfig,
) -> Result<roxmltree::Document<'input>, Rejection> {
    // A leading byte-order mark is legal XML (AD FS and Entra write one into files).
    xmldsig::parse_str(xml.trim_start_matches('\u{feff}'), &sp.limits).map_err(Rejection::from)
}

/// The Issuer the response claims, unverified: it only selects which team's certificates judge
/// the signature. The Response's Issuer if present, else the plain Assertion's.
///
/// An encrypted assertion's Issuer is never looked for: decrypting costs a private-key
/// operation, which nobody may make the SP spend before a team is known (every IdP that
/// encrypts puts the Issuer on the Response too: the AD FS and Okta captures do).
pub fn issuer_of(doc: &roxmltree::Document, _sp: &SpConfig) -> Result<String, Rejection> {
    let response = checks::response_root(doc)?;
    let issuer = checks::child(response, SAML, "Issuer")
        .or_else(|| {
            checks::child(response, SAML, "Assertion")
                .and_then(|a| checks::child(a, SAML, "Issuer"))
        })
        .map(|i| xmldsig::text_content(i, None).trim().to_owned())
        .filter(|i| !i.is_empty());
    match issuer {
        Some(issuer) => Ok(issuer),
        None if checks::child(response, SAML, "EncryptedAssertion").is_some() => {
            Err(Rejection::new(Code::UnknownIssuer)
                .expected("an Issuer on the Response, which names the team before anything is decrypted")
                .got("no Issuer outside the EncryptedAssertion")
                .hint("The response's assertion is encrypted and the Response itself names no Issuer, so no team can be chosen before decrypting. Configure the IdP to include the Issuer in the Response (every mainstream IdP does)."))
        }
        None => {
            Err(Rejection::new(Code::UnknownIssuer).got("no Issuer in the response or assertion"))
        }
    }
}

/// [`parse`] then [`issuer_of`].
pub fn peek_issuer(xml: &str, sp: &SpConfig) -> Result<String, Rejection> {
    issuer_of(&parse(xml, sp)?, sp)
}

/// The named checks, in the order the pipeline runs them. The names are stable (snake_case):
/// `explain` reports and the conformance suite match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    Decode,
    Parse,
    Issuer,
    Team,
    Plan,
    OneAssertion,
    ResponseSignature,
    Decryption,
    AssertionSignature,
    UniqueIds,
    Signed,
    ResponseVersion,
    ResponseIssuer,
    Status,
    Destination,
    AssertionVersion,
    AssertionIssuer,
    AssertionId,
    BearerConfirmation,
    Audience,
    ConditionsWindow,
    ResponseIssueInstant,
    AssertionIssueInstant,
    InResponseTo,
    NameId,
    MemberIdentity,
    Session,
}

impl Check {
    /// Every check, in the pipeline's order.
    pub const ALL: [Check; 27] = [
        Check::Decode,
        Check::Parse,
        Check::Issuer,
        Check::Team,
        Check::Plan,
        Check::OneAssertion,
        Check::ResponseSignature,
        Check::Decryption,
        Check::AssertionSignature,
        Check::UniqueIds,
        Check::Signed,
        Check::ResponseVersion,
        Check::ResponseIssuer,
        Check::Status,
        Check::Destination,
        Check::AssertionVersion,
        Check::AssertionIssuer,
        Check::AssertionId,
        Check::BearerConfirmation,
        Check::Audience,
        Check::ConditionsWindow,
        Check::ResponseIssueInstant,
        Check::AssertionIssueInstant,
        Check::InResponseTo,
        Check::NameId,
        Check::MemberIdentity,
        Check::Session,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Decode => "decode",
            Check::Parse => "parse",
            Check::Issuer => "issuer",
            Check::Team => "team",
            Check::Plan => "plan",
            Check::OneAssertion => "one_assertion",
            Check::ResponseSignature => "response_signature",
            Check::Decryption => "decryption",
            Check::AssertionSignature => "assertion_signature",
            Check::UniqueIds => "unique_ids",
            Check::Signed => "signed",
            Check::ResponseVersion => "response_version",
            Check::ResponseIssuer => "response_issuer",
            Check::Status => "status",
            Check::Destination => "destination",
            Check::AssertionVersion => "assertion_version",
            Check::AssertionIssuer => "assertion_issuer",
            Check::AssertionId => "assertion_id",
            Check::BearerConfirmation => "bearer_confirmation",
            Check::Audience => "audience",
            Check::ConditionsWindow => "conditions_window",
            Check::ResponseIssueInstant => "response_issue_instant",
            Check::AssertionIssueInstant => "assertion_issue_instant",
            Check::InResponseTo => "in_response_to",
            Check::NameId => "name_id",
            Check::MemberIdentity => "member_identity",
            Check::Session => "session",
        }
    }

    /// What the check establishes, for reports.
    pub fn title(self) -> &'static str {
        match self {
            Check::Decode => "SAMLResponse is base64 of UTF-8 XML within the size cap",
            Check::Parse => "well-formed XML within the structure caps, no DOCTYPE",
            Check::Issuer => "the response names its Issuer",
            Check::Team => "a team is configured with that Issuer",
            Check::Plan => "the team's plan includes SAML SSO",
            Check::OneAssertion => "exactly one assertion, a child of the Response",
            Check::ResponseSignature => {
                "the Response signature, if any, verifies with the pinned certificates"
            }
            Check::Decryption => "an encrypted assertion decrypts with the SP's key",
            Check::AssertionSignature => {
                "the Assertion signature, if any, verifies with the pinned certificates"
            }
            Check::UniqueIds => "no ID occurs twice",
            Check::Signed => "the Response or the Assertion is signed",
            Check::ResponseVersion => "Response Version is 2.0",
            Check::ResponseIssuer => "Response Issuer is the team's IdP",
            Check::Status => "Status is Success",
            Check::Destination => "Destination is the ACS URL",
            Check::AssertionVersion => "Assertion Version is 2.0",
            Check::AssertionIssuer => "Assertion Issuer is the team's IdP",
            Check::AssertionId => "the Assertion has an ID",
            Check::BearerConfirmation => "a bearer confirmation for the ACS URL, within its time",
            Check::Audience => "every AudienceRestriction names the SP entity ID",
            Check::ConditionsWindow => "now is within the Conditions' NotBefore/NotOnOrAfter",
            Check::ResponseIssueInstant => "Response IssueInstant is neither ahead nor stale",
            Check::AssertionIssueInstant => "Assertion IssueInstant is neither ahead nor stale",
            Check::InResponseTo => {
                "InResponseTo is consistent, or the team takes IdP-initiated logins"
            }
            Check::NameId => "the Subject has a NameID",
            Check::MemberIdentity => {
                "the member key (email or NameID) is present and in plain form"
            }
            Check::Session => "the AuthnStatement's session fields are well-formed",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's verdict in an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(Rejection),
    /// Not run: an earlier check it depends on failed, or its input is absent.
    NotRun(&'static str),
}

/// Every check of one response, in order, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub verdicts: Vec<(Check, Outcome)>,
    /// Whether fields were read from an element whose signature did not verify (after a failed
    /// signature check, to report what else is wrong). Such an explanation never logs anyone in.
    pub read_unverified: bool,
    /// Who the response logs in when every pure check passed (the stateful ones, InResponseTo
    /// and replay, are the ACS's alone); `None` when any failed.
    pub login: Option<Login>,
}

impl Explanation {
    /// The first failure, which is what the ACS answers.
    pub fn first_failure(&self) -> Option<&Rejection> {
        self.verdicts.iter().find_map(|(_, o)| match o {
            Outcome::Fail(r) => Some(r),
            _ => None,
        })
    }
}

/// How the checks are run: stopping at the first failure (the ACS), or recording every verdict
/// and going on where a later check can still be judged (`explain`).
struct Run {
    explaining: Option<Explanation>,
}

impl Run {
    fn stopping() -> Run {
        Run { explaining: None }
    }

    fn explaining() -> Run {
        Run {
            explaining: Some(Explanation {
                verdicts: Vec::new(),
                read_unverified: false,
                login: None,
            }),
        }
    }

    fn record(&mut self, check: Check, outcome: Outcome) {
        if let Some(e) = &mut self.explaining {
            e.verdicts.push((check, outcome));
        }
    }

    /// A check whose value later checks need: a failure stops the run (explaining, too).
    fn value<T>(&mut self, check: Check, result: Result<T, Rejection>) -> Result<T, Rejection> {
        self.record(check, verdict(&result));
        result
    }

    /// A check that later checks can do without: explaining goes on with `fallback`.
    fn or<T>(
        &mut self,
        check: Check,
        result: Result<T, Rejection>,
        fallback: impl FnOnce() -> T,
    ) -> Result<T, Rejection> {
        self.record(check, verdict(&result));
        match (result, &self.explaining) {
            (Err(_), Some(_)) => Ok(fallback()),
            (result, _) => result,
        }
    }

    /// A check that yields nothing.
    fn pass(&mut self, check: Check, result: Result<(), Rejection>) -> Result<(), Rejection> {
        self.or(check, result, || ())
    }
}

fn verdict<T>(result: &Result<T, Rejection>) -> Outcome {
    match result {
        Ok(_) => Outcome::Pass,
        Err(rejection) => Outcome::Fail(rejection.clone()),
    }
}

/// The signature of `element`, when it carries one: verified (`Some`), refused (the run stops,
/// or `explain` goes on with `None`), or recorded as not run.
fn verify_if_signed<'a, 'input>(
    run: &mut Run,
    check: Check,
    element: roxmltree::Node<'a, 'input>,
    which: SignedElement,
    trust: &Trust,
    policy: &Policy,
) -> Result<Option<xmldsig::Verified<'a, 'input>>, Rejection> {
    if checks::child(element, DS, "Signature").is_none() {
        run.record(check, Outcome::NotRun(which.unsigned()));
        return Ok(None);
    }
    run.or(
        check,
        trust.verify(element, policy, which).map(Some),
        || None,
    )
}

/// Every pure check after the team is known, in [`Check`]'s order.
fn run_checks(
    doc: &roxmltree::Document,
    team: &TeamSso,
    sp: &SpConfig,
    now: OffsetDateTime,
    run: &mut Run,
) -> Result<Login, Rejection> {
    run.pass(Check::Plan, checks::check_plan(team))?;
    let issuer = team.settings.idp_issuer.as_str();
    let response = checks::response_root(doc)?;
    let scan = Scan::of(doc);
    let assertion = run.value(Check::OneAssertion, checks::the_assertion(response, &scan))?;

    let policy = Policy {
        allow_sha1: team.settings.allow_sha1,
        ..Policy::default()
    };
    let trust = Trust::at(&team.certificates, now);
    // A signature that is present must verify, or the pipeline stops here, naming the signature
    // that failed. There is no falling back to the other one. Corpus: ssoready's Okta capture
    // (responses/okta-ssoready.xml) has a Response signature that xmlsec1 refuses (digest
    // mismatch: the assertion's KeyInfo was re-indented after signing) and an Assertion signature
    // that verifies; ssoready accepts it because it checks only the assertion. This SP refuses it
    // with digest_mismatch and "Response signature: …". DESIGN.md: nothing is trusted until the
    // signature verifies, and a bad signature stops the pipeline at once (STYLE practice 5;
    // crewjam's deferred verdict is the anti-pattern). A broken signature is not the same as no
    // signature: the message was changed after the IdP signed it, and a signed Response vouches
    // for wrapper fields (InResponseTo) that an unsigned one cannot. Refusing is the safe answer,
    // and it agrees with xmlsec1. (Only `explain` goes on, reading unverified, to say what else
    // is wrong; it never logs anyone in.)
    let signed_response = verify_if_signed(
        run,
        Check::ResponseSignature,
        response,
        SignedElement::Response,
        &trust,
        &policy,
    )?;
    let response_signature_failed =
        signed_response.is_none() && checks::child(response, DS, "Signature").is_some();

    // The assertion: in place, or decrypted into a document of its own — only now that the team
    // is known and the Response signature, when there is one, has verified.
    let encrypted = assertion.has_tag_name((SAML, "EncryptedAssertion"));
    let plaintext = if encrypted && !response_signature_failed {
        Some(checks::decrypt_assertion(response, team, sp))
    } else {
        let why = if encrypted {
            "the Response signature failed: nothing is decrypted"
        } else {
            "the assertion is not encrypted"
        };
        run.record(Check::Decryption, Outcome::NotRun(why));
        None
    };
    // Parsing the plaintext is part of decryption's one uniform answer.
    let decrypted = plaintext.as_ref().map(|p| match p {
        Ok(p) => parse(p, sp).map_err(|r| checks::undecryptable(format!("the plaintext: {r}"))),
        Err(r) => Err(r.clone()),
    });
    let assertion = match &decrypted {
        Some(doc) => run.value(
            Check::Decryption,
            doc.as_ref()
                .map_err(Clone::clone)
                .and_then(|doc| checks::decrypted_root(doc)),
        )?,
        None if encrypted => return Err(explained_stop(run)),
        None => assertion,
    };
    let decrypted = decrypted.as_ref().and_then(|d| d.as_ref().ok());
    let signed_assertion = verify_if_signed(
        run,
        Check::AssertionSignature,
        assertion,
        SignedElement::Assertion,
        &trust,
        &policy,
    )?;

    let repeated = scan
        .repeated_id
        .or_else(|| decrypted.and_then(|d| Scan::of(d).repeated_id));
    run.pass(Check::UniqueIds, checks::check_unique_ids(repeated))?;

    let vouched = match (&signed_assertion, &signed_response, decrypted) {
        (Some(verified), _, _) => Ok(Vouched::Signed(verified.element())),
        // Invariant: the assertion is a child of the verified Response (`the_assertion`).
        (None, Some(verified), None) => verified
            .element()
            .child(SAML, "Assertion")
            .map(Vouched::Signed)
            .ok_or_else(|| Rejection::new(Code::NoAssertion)),
        (None, Some(_), Some(_)) => Ok(Vouched::SignedCiphertext(assertion)),
        (None, None, _)
            if run.explaining.is_some()
                && (checks::child(response, DS, "Signature").is_some()
                    || checks::child(assertion, DS, "Signature").is_some()) =>
        {
            // A signature failed (recorded above); explaining reads on, marked as unverified.
            if let Some(e) = &mut run.explaining {
                e.read_unverified = true;
            }
            return finish_unverified(response, assertion, team, sp, now, run);
        }
        (None, None, _) => Err(Rejection::new(Code::Unsigned)
            .expected("a signed Response or Assertion")
            .got("no ds:Signature on either")),
    };
    let read = run.value(Check::Signed, vouched)?;
    fields(
        response,
        read,
        signed_response.is_some(),
        team,
        issuer,
        sp,
        now,
        run,
    )
}

/// The run stopped at a check whose output the rest needs.
fn explained_stop(run: &Run) -> Rejection {
    run.explaining
        .as_ref()
        .and_then(|e| e.first_failure().cloned())
        .unwrap_or_else(|| Rejection::new(Code::NoAssertion))
}

/// `explain` only: the field checks on an assertion whose signature failed.
fn finish_unverified(
    response: roxmltree::Node,
    assertion: roxmltree::Node,
    team: &TeamSso,
    sp: &SpConfig,
    now: OffsetDateTime,
    run: &mut Run,
) -> Result<Login, Rejection> {
    run.record(
        Check::Signed,
        Outcome::NotRun("a signature failed; fields below are read unverified"),
    );
    let read = Vouched::Unverified(assertion);
    let issuer = team.settings.idp_issuer.as_str();
    fields(response, read, false, team, issuer, sp, now, run)?;
    Err(explained_stop(run))
}

/// The wrapper and the assertion's fields, read through `read`.
#[allow(clippy::too_many_arguments)]
fn fields(
    response: roxmltree::Node,
    read: Vouched,
    response_signed: bool,
    team: &TeamSso,
    issuer: &str,
    sp: &SpConfig,
    now: OffsetDateTime,
    run: &mut Run,
) -> Result<Login, Rejection> {
    // The wrapper. When the Response is signed these values are vouched for; when only the
    // Assertion is, they can only refuse. Either way they are checked.
    run.pass(
        Check::ResponseVersion,
        checks::check_version(response.attribute("Version"), "Response"),
    )?;
    run.pass(
        Check::ResponseIssuer,
        checks::check_response_issuer(response, issuer),
    )?;
    run.pass(Check::Status, checks::check_status(response))?;
    let acs = sp.acs_url();
    run.pass(
        Check::Destination,
        checks::check_destination(response, &acs),
    )?;

    run.pass(
        Check::AssertionVersion,
        checks::check_version(read.attribute("Version"), "Assertion"),
    )?;
    run.pass(
        Check::AssertionIssuer,
        checks::check_issuer(
            read.child(SAML, "Issuer").map(|i| i.text()),
            issuer,
            "Assertion",
        ),
    )?;
    let assertion_id = run.or(Check::AssertionId, checks::assertion_id(&read), String::new)?;
    let bearer = run.or(
        Check::BearerConfirmation,
        checks::bearer_confirmation(&read, &acs, now, sp),
        || checks::Bearer {
            in_response_to: None,
            latest_end: now,
        },
    )?;
    run.pass(Check::Audience, checks::check_audience(&read, sp))?;
    let (valid_from, conditions_end) = run.or(
        Check::ConditionsWindow,
        checks::conditions_window(&read, now, sp),
        || (None, None),
    )?;
    run.pass(
        Check::ResponseIssueInstant,
        checks::check_issue_instant(
            response.attribute("IssueInstant"),
            "Response",
            now,
            valid_from,
            sp,
        ),
    )?;
    run.pass(
        Check::AssertionIssueInstant,
        checks::check_issue_instant(
            read.attribute("IssueInstant"),
            "Assertion",
            now,
            valid_from,
            sp,
        ),
    )?;
    let in_response_to = run.or(
        Check::InResponseTo,
        checks::in_response_to(response, bearer.in_response_to, response_signed, team),
        || None,
    )?;
    let (name_id, name_id_format) = run.value(Check::NameId, checks::name_id(&read))?;
    let attributes = checks::attribute_values(&read);
    let (user_name, email) = run.value(
        Check::MemberIdentity,
        checks::member_identity(team, &name_id, name_id_format.as_deref(), &attributes),
    )?;
    let (session_not_on_or_after, session_index) =
        run.value(Check::Session, checks::session(&read))?;
    if let Some(rejection) = run.explaining.as_ref().and_then(Explanation::first_failure) {
        return Err(rejection.clone());
    }

    // Remembered for as long as any part of the assertion could still be accepted: the latest
    // end among every bearer confirmation and the Conditions, plus the skew.
    let replay_until =
        conditions_end.map_or(bearer.latest_end, |c| c.max(bearer.latest_end)) + sp.clock_skew;
    let value =
        |names: &[&str]| super::attributes::first_value(&attributes, names).map(str::to_owned);
    Ok(Login {
        team_id: team.team.id.clone(),
        assertion_id,
        replay_until,
        in_response_to,
        given_name: value(super::attributes::GIVEN_NAME_NAMES),
        family_name: value(super::attributes::FAMILY_NAME_NAMES),
        display_name: value(super::attributes::DISPLAY_NAME_NAMES),
        name_id,
        name_id_format,
        user_name,
        email,
        session_not_on_or_after,
        session_index,
        attributes,
    })
}

/// Every pure check, on XML text ([`decode`]'s output) for a team found through [`issuer_of`].
pub fn check(
    xml: &str,
    team: &TeamSso,
    sp: &SpConfig,
    now: OffsetDateTime,
) -> Result<Login, Rejection> {
    check_parsed(&parse(xml, sp)?, team, sp, now)
}

/// [`check`] of an already parsed response.
pub fn check_parsed(
    doc: &roxmltree::Document,
    team: &TeamSso,
    sp: &SpConfig,
    now: OffsetDateTime,
) -> Result<Login, Rejection> {
    run_checks(doc, team, sp, now, &mut Run::stopping())
}

/// How the ACS finds a team by the (unverified) Issuer: `Ok(None)` when no team has it.
pub type FindTeam<'f> = dyn FnMut(&str) -> Result<Option<TeamSso>, TeamError> + 'f;

/// A team lookup that did not yield a team to judge with: the team's own state refused the
/// login (its URL metadata expired: `metadata_expired`), or the lookup failed.
#[derive(Debug)]
pub struct TeamError {
    /// The team, when the Issuer named one.
    pub slug: Option<String>,
    pub error: AcsError,
}

/// What [`judge`] decided, and for which team (known once the Issuer resolved one).
#[derive(Debug)]
pub struct Judgement {
    /// The slug of the team the Issuer named, for logs, even when no [`TeamSso`] could be built.
    pub slug: Option<String>,
    pub team: Option<TeamSso>,
    pub outcome: Result<Login, AcsError>,
}

/// The ACS's pure part, from the posted form value to a [`Login`]: decode → parse → issuer →
/// team (through `find_team`) → every check. CPU-bound (parsing, signatures, decryption): the web
/// layer runs it on its bounded blocking pool.
pub fn judge(
    form_value: &str,
    sp: &SpConfig,
    now: OffsetDateTime,
    find_team: &mut FindTeam,
) -> Judgement {
    let unjudged = |slug: Option<String>, outcome: Result<Login, AcsError>| Judgement {
        slug,
        team: None,
        outcome,
    };
    let xml = match decode(form_value, sp) {
        Ok(xml) => xml,
        Err(r) => return unjudged(None, Err(r.into())),
    };
    let doc = match parse(&xml, sp) {
        Ok(doc) => doc,
        Err(r) => return unjudged(None, Err(r.into())),
    };
    let issuer = match issuer_of(&doc, sp) {
        Ok(issuer) => issuer,
        Err(r) => return unjudged(None, Err(r.into())),
    };
    let team = match find_team(&issuer) {
        Ok(Some(team)) => team,
        Ok(None) => {
            return unjudged(
                None,
                Err(Rejection::new(Code::UnknownIssuer).got(issuer).into()),
            );
        }
        Err(TeamError { slug, error }) => return unjudged(slug, Err(error)),
    };
    let outcome = check_parsed(&doc, &team, sp, now).map_err(AcsError::from);
    Judgement {
        slug: Some(team.team.slug.clone()),
        team: Some(team),
        outcome,
    }
}

/// Every check the response can be put through, each with its verdict, for a person chasing why
/// a login fails (`conformance explain`). `team` is what the SP would use for the response's
/// Issuer (from the metadata at hand); `None` reports the team lookup as failed.
pub fn explain(
    form_value: &str,
    team: Option<&TeamSso>,
    sp: &SpConfig,
    now: OffsetDateTime,
) -> Explanation {
    let mut run = Run::explaining();
    let mut login = None;
    let xml = run.value(Check::Decode, decode(form_value, sp));
    let doc = xml
        .as_ref()
        .ok()
        .map(|xml| run.value(Check::Parse, parse(xml, sp)));
    if let Some(Ok(doc)) = &doc {
        if let Ok(issuer) = run.value(Check::Issuer, issuer_of(doc, sp)) {
            let found = team
                .filter(|t| t.settings.idp_issuer == issuer)
                .ok_or_else(|| {
                    Rejection::new(Code::UnknownIssuer)
                        .expected(team.map_or_else(
                            || "a configured team".to_owned(),
                            |t| t.settings.idp_issuer.clone(),
                        ))
                        .got(issuer)
                });
            if let Ok(team) = run.value(Check::Team, found) {
                // The verdicts are in `run`; `run_checks` yields a Login only when none failed.
                login = run_checks(doc, team, sp, now, &mut run).ok();
            }
        }
    }
    let mut explanation = run.explaining.take().unwrap_or(Explanation {
        verdicts: Vec::new(),
        read_unverified: false,
        login: None,
    });
    explanation.login = login;
    for check in Check::ALL {
        if !explanation.verdicts.iter().any(|(c, _)| *c == check) {
            explanation.verdicts.push((
                check,
                Outcome::NotRun("an earlier check it depends on failed"),
            ));
        }
    }
    explanation
}

/// The stateful checks, after every pure one: the request this answers (consumed once) and the
/// replay cache.
pub async fn consume(
    login: &Login,
    team: &TeamSso,
    replay: &dyn ReplayCache,
    requests: &dyn RequestStore,
    now: OffsetDateTime,
) -> Result<(), AcsError> {
    if let Some(request_id) = &login.in_response_to {
        if !requests
            .take(&team.team.id, request_id, now)
            .await
            .map_err(AcsError::Storage)?
        {
            return Err(Rejection::new(Code::InResponseToUnknown)
                .expected("the ID of an outstanding AuthnRequest from this SP")
                .got(request_id.clone())
                .into());
        }
    }
    if !replay
        .record(&team.team.id, &login.assertion_id, login.replay_until, now)
        .await
        .map_err(AcsError::Storage)?
    {
        return Err(Rejection::new(Code::ReplayedAssertion)
            .expected("an assertion ID never seen before")
            .got(login.assertion_id.clone())
            .into());
    }
    Ok(())
}

/// The whole pipeline after the team is known: [`check`], then [`consume`].
pub async fn validate(
    xml: &str,
    team: &TeamSso,
    sp: &SpConfig,
    now: OffsetDateTime,
    replay: &dyn ReplayCache,
    requests: &dyn RequestStore,
) -> Result<Login, AcsError> {
    let login = check(xml, team, sp, now)?;
    consume(&login, team, replay, requests, now).await?;
    Ok(login)
}
