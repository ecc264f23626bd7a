//! What a run found: one [`ScenarioResult`] per scenario and a [`Summary`]. Every report (text,
//! JSON, JUnit, HTML) is rendered from a [`RunReport`] and nothing else, so they cannot disagree.
//!
//! The JSON form is a published interface (README, "JSON report"): fields are only ever added.

use serde::Serialize;

/// A scenario's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The target answered what the catalogue expects.
    Pass,
    /// The target answered, and not what the catalogue expects.
    Fail,
    /// The scenario could not be carried out (target unreachable, the stimulus would not build):
    /// nothing is known about the target's behaviour.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }
}

/// What was sent, what came back and what the target said of it, kept for failures and errors
/// (the HTML report shows it; the JSON report includes it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The request(s), as a person reads them (method, URL, form fields, decoded XML or JSON).
    pub request: String,
    /// Every HTTP hop's status and headers, and the final body.
    pub response: String,
    /// The target's named diagnosis (rejection code and its explanation), or why it failed.
    pub diagnosis: String,
}

/// One scenario, run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioResult {
    /// Stable id, dotted: `saml.audience.missing`, `scim.okta.deactivate`.
    pub id: String,
    pub title: String,
    /// The id's first two segments: `saml.fault`, `saml.field`, `scim.okta`…
    pub area: String,
    /// Where the scenario comes from: a spec section, a CVE, an IdP quirk, a field problem.
    pub source: String,
    pub outcome: Outcome,
    /// What a correct target does: `accepted`, `refused: audience_mismatch`, `every step passes`.
    pub expected: String,
    /// What the target did, in the same words as `expected`.
    pub got: String,
    /// Wall time of this scenario, milliseconds.
    pub ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// Counts and context of the whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// What ran against: `in-process sp (sqlite)`, `https://partner.example/acs`…
    pub target: String,
    /// The filter given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// RFC 3339 instant the run started (the scenarios' "now").
    pub started: String,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    /// Wall time of the whole run, milliseconds.
    pub ms: u64,
    /// Selected scenarios the target cannot run (a partner's SP cannot be reconfigured by a
    /// script), counted by reason: not failures, and not in `total`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_run: Vec<NotRun>,
}

/// Scenarios not run for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRun {
    pub reason: String,
    pub count: usize,
}

/// A whole run: the summary and every scenario, in catalogue order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub summary: Summary,
    pub scenarios: Vec<ScenarioResult>,
}

impl RunReport {
    /// Counts `scenarios` into a summary.
    pub fn new(
        target: String,
        filter: Option<String>,
        started: String,
        ms: u64,
        scenarios: Vec<ScenarioResult>,
    ) -> RunReport {
        let count = |o: Outcome| scenarios.iter().filter(|s| s.outcome == o).count();
        RunReport {
            summary: Summary {
                target,
                filter,
                started,
                total: scenarios.len(),
                passed: count(Outcome::Pass),
                failed: count(Outcome::Fail),
                errors: count(Outcome::Error),
                ms,
                not_run: Vec::new(),
            },
            scenarios,
        }
    }

    /// The report, saying which selected scenarios the target could not run and why.
    pub fn with_not_run(mut self, not_run: Vec<NotRun>) -> RunReport {
        self.summary.not_run = not_run;
        self
    }

    /// The process exit status the report calls for: 0 when every scenario passed, 1 when any
    /// failed or could not run. (2, "the run could not start", is decided before a report exists.)
    pub fn exit_code(&self) -> u8 {
        if self.summary.passed == self.summary.total {
            0
        } else {
            1
        }
    }
}
