//! What `conformance explain` found, as one [`Report`] that the text and the JSON forms are both
//! rendered from, with the notes that point at the flag to pass when the likely culprit is the
//! explanation's own setup (an old capture judged now, a missing key, SP defaults).

use std::io::{self, Write};

use serde::Serialize;
use sp::config::SpConfig;
use sp::saml::metadata::IdpMetadata;
use sp::saml::rejection::{Code, Rejection};
use sp::saml::validate::{Check, Explanation, Outcome};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::capture::{Captured, Encoding};
use super::{ExplainArgs, Format};

/// What the SP would do with the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Accepted,
    Refused,
}

impl Verdict {
    /// 0 accepted, 1 refused (2, bad input, is decided before there is a verdict).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Accepted => 0,
            Verdict::Refused => 1,
        }
    }
}

/// Everything the report says besides the verdicts.
pub(super) struct Context<'a> {
    pub args: &'a ExplainArgs,
    pub sp: &'a SpConfig,
    pub now: OffsetDateTime,
    pub captured: &'a Captured,
    pub metadata_source: &'a str,
    pub idp: &'a IdpMetadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    pub response: ResponseSource,
    pub metadata: MetadataSummary,
    pub sp: SpSummary,
    pub now: String,
    pub checks: Vec<CheckReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<LoginSummary>,
    /// A signature failed and later checks read fields no signature vouches for.
    pub read_unverified: bool,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseSource {
    pub source: String,
    pub encoding: Encoding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataSummary {
    pub source: String,
    pub entity_id: String,
    pub signing_certificates: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpSummary {
    pub entity_id: String,
    pub acs: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Pass,
    Fail,
    NotRun,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub check: &'static str,
    pub title: &'static str,
    pub outcome: CheckOutcome,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub finding: Option<Finding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// A failed check: the rejection as the SP's log and reports see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    pub fix: String,
}

impl From<&Rejection> for Finding {
    fn from(r: &Rejection) -> Finding {
        Finding {
            code: r.code.as_str(),
            expected: r.expected.clone(),
            got: r.got.clone(),
            fix: r.hint.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoginSummary {
    pub user_name: String,
    pub name_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_response_to: Option<String>,
}

/// Codes that say the response is judged at the wrong moment rather than wrongly made.
const TIME_CODES: [Code; 3] = [Code::NotYetValid, Code::Expired, Code::IssueInstantStale];

impl Report {
    pub(super) fn new(ctx: Context, explanation: Explanation) -> Report {
        let checks = explanation
            .verdicts
            .iter()
            .map(|(check, outcome)| check_report(*check, outcome))
            .collect();
        // Accepted only with a Login in hand: the pipeline yields one only when nothing failed.
        let (verdict, refusal) = match (&explanation.login, explanation.first_failure()) {
            (Some(_), None) => (Verdict::Accepted, None),
            (_, failure) => (Verdict::Refused, failure.map(Finding::from)),
        };
        let login = explanation.login.as_ref().map(|l| LoginSummary {
            user_name: l.user_name.clone(),
            name_id: l.name_id.clone(),
            email: l.email.clone(),
            in_response_to: l.in_response_to.clone(),
        });
        Report {
            verdict,
            response: ResponseSource {
                source: ctx.args.response.display().to_string(),
                encoding: ctx.captured.encoding,
            },
            metadata: MetadataSummary {
                source: ctx.metadata_source.to_owned(),
                entity_id: ctx.idp.entity_id().to_owned(),
                signing_certificates: ctx.idp.signing_certificates().len(),
            },
            sp: SpSummary {
                entity_id: ctx.sp.entity_id.clone(),
                acs: ctx.sp.acs_url(),
            },
            now: rfc3339(ctx.now),
            checks,
            refusal,
            login,
            read_unverified: explanation.read_unverified,
            notes: notes(&ctx, &explanation),
        }
    }

    pub fn write(&self, format: Format, out: &mut impl Write) -> io::Result<()> {
        match format {
            Format::Text => self.write_text(out),
            Format::Json => self.write_json(out),
        }
    }

    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "response  {} ({})",
            self.response.source,
            self.response.encoding.describe()
        )?;
        writeln!(
            out,
            "metadata  {}: IdP {}, {} signing certificate{}",
            self.metadata.source,
            self.metadata.entity_id,
            self.metadata.signing_certificates,
            if self.metadata.signing_certificates == 1 {
                ""
            } else {
                "s"
            }
        )?;
        writeln!(
            out,
            "sp        entity ID {}, ACS {}",
            self.sp.entity_id, self.sp.acs
        )?;
        writeln!(out, "now       {}", self.now)?;
        writeln!(out)?;
        let indent = " ".repeat(6 + ID_WIDTH + 2);
        for c in &self.checks {
            let mark = match c.outcome {
                CheckOutcome::Pass => "PASS",
                CheckOutcome::Fail => "FAIL",
                CheckOutcome::NotRun => "----",
            };
            writeln!(out, "{mark}  {:<ID_WIDTH$}  {}", c.check, c.title)?;
            if let Some(f) = &c.finding {
                writeln!(out, "{indent}{}", f.code)?;
                if let Some(expected) = &f.expected {
                    writeln!(out, "{indent}expected: {expected}")?;
                }
                if let Some(got) = &f.got {
                    writeln!(out, "{indent}got:      {got}")?;
                }
                writeln!(out, "{indent}fix:      {}", f.fix)?;
            }
            if let Some(reason) = c.reason {
                writeln!(out, "{indent}not run: {reason}")?;
            }
        }
        writeln!(out)?;
        match (&self.login, &self.refusal) {
            (Some(login), None) => {
                let name_id = if login.name_id == login.user_name {
                    String::new()
                } else {
                    format!(" (NameID {})", login.name_id)
                };
                writeln!(
                    out,
                    "accepted: this response would log {}{name_id} in to the team whose IdP is {}",
                    login.user_name, self.metadata.entity_id
                )?;
            }
            (_, Some(refusal)) => {
                writeln!(out, "refused: {} — fix: {}", refusal.code, refusal.fix)?;
            }
            (None, None) => writeln!(out, "refused: the checks yielded no login")?,
        }
        for note in &self.notes {
            writeln!(out, "note: {note}")?;
        }
        Ok(())
    }
}

/// The longest check name (`assertion_issue_instant`), so that titles line up.
const ID_WIDTH: usize = 23;

fn check_report(check: Check, outcome: &Outcome) -> CheckReport {
    let (outcome, finding, reason) = match outcome {
        Outcome::Pass => (CheckOutcome::Pass, None, None),
        Outcome::Fail(r) => (CheckOutcome::Fail, Some(Finding::from(r)), None),
        Outcome::NotRun(why) => (CheckOutcome::NotRun, None, Some(*why)),
    };
    CheckReport {
        check: check.as_str(),
        title: check.title(),
        outcome,
        finding,
        reason,
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// What to try next when the explanation's own setup may be the cause, and what an offline
/// explanation cannot judge.
fn notes(ctx: &Context, explanation: &Explanation) -> Vec<String> {
    let failures: Vec<(Check, &Rejection)> = explanation
        .verdicts
        .iter()
        .filter_map(|(c, o)| match o {
            Outcome::Fail(r) => Some((*c, r)),
            _ => None,
        })
        .collect();
    let failed = |code: Code| failures.iter().any(|(_, r)| r.code == code);
    let mut notes: Vec<String> = ctx
        .idp
        .warnings(ctx.now)
        .iter()
        .map(|w| w.to_string())
        .collect();

    if explanation.read_unverified {
        notes.push(
            "a signature failed: the checks after it read fields that no signature vouches for, \
             to show what else is wrong; the ACS stops at the signature"
                .to_owned(),
        );
    }
    let time_failures = failures
        .iter()
        .filter(|(_, r)| TIME_CODES.contains(&r.code))
        .count();
    if time_failures > 0 {
        let issued = ctx.captured.issue_instant.as_deref();
        let issued_now = issued
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .is_some_and(|t| t == ctx.now);
        if !issued_now {
            let rerun = match issued {
                Some(t) => format!("--now {t} (the response's IssueInstant)"),
                None => "--now set to when the response was issued".to_owned(),
            };
            let which = if time_failures == failures.len() {
                "only the time checks failed"
            } else {
                "time checks failed"
            };
            notes.push(format!(
                "{which}, and a captured response is usually explained long after it was \
                 issued: rerun with {rerun} to judge it as at that moment"
            ));
        }
    }
    if failed(Code::DecryptionFailed) && ctx.args.decryption_key.is_none() {
        notes.push(
            "the assertion is encrypted: pass the SP's private key with --decryption-key PEM to \
             check what it holds"
                .to_owned(),
        );
    }
    if failed(Code::AlgorithmForbidden) && !ctx.args.allow_sha1 {
        notes.push(
            "if the IdP signs with SHA-1 and the team allows it (sp team sso … --allow-sha1), \
             rerun with --allow-sha1"
                .to_owned(),
        );
    }
    if failures.iter().any(|(c, _)| *c == Check::Team) {
        notes.push(format!(
            "the team's issuer is the metadata's entityID {}; when the metadata holds several \
             IdPs, pick the response's with --issuer",
            ctx.idp.entity_id()
        ));
    }
    let audience = failed(Code::AudienceMismatch) || failed(Code::AudienceMissing);
    if audience && ctx.args.entity_id.is_none() {
        notes.push(format!(
            "the Audience was compared with the default SP entity ID {}; for another SP, pass its \
             entity ID with --entity-id",
            ctx.sp.entity_id
        ));
    }
    let acs = failed(Code::DestinationMismatch) || failed(Code::RecipientMismatch);
    if acs && ctx.args.acs.is_none() && ctx.args.base_url.is_none() {
        notes.push(format!(
            "Destination and Recipient were compared with the default ACS URL {}; for another SP, \
             pass its ACS URL with --acs",
            ctx.sp.acs_url()
        ));
    }
    if let Some(login) = &explanation.login {
        let request = match &login.in_response_to {
            Some(id) => format!(
                "that InResponseTo {id} names an AuthnRequest the SP issued to this browser, "
            ),
            None => String::new(),
        };
        notes.push(format!(
            "not judged offline, as they depend on the SP's state: {request}that the assertion \
             ID {} was never used before, and that the member exists and is active (or, with \
             JIT provisioning, can be created)",
            login.assertion_id
        ));
    }
    notes
}
