//! The JSON report: the [`RunReport`] as serde writes it, a published interface for programs.
//! `docs/REPORT-JSON.md` is the same description for people who do not read Rust.
//!
//! # Schema
//!
//! ```text
//! {
//!   "summary": {
//!     "target":  string   what ran against: "in-process sp (sqlite)", an ACS URL, a SCIM base URL
//!     "filter":  string   the --filter given; absent when none was
//!     "started": string   RFC 3339 instant the run started (the scenarios' "now")
//!     "total":   integer  scenarios run
//!     "passed":  integer  scenarios whose outcome is "pass"
//!     "failed":  integer  scenarios whose outcome is "fail"
//!     "errors":  integer  scenarios whose outcome is "error"
//!     "ms":      integer  wall time of the whole run, milliseconds
//!   },
//!   "scenarios": [        one per scenario run, in catalogue order
//!     {
//!       "id":       string   stable dotted id: "saml.audience.missing"
//!       "title":    string   one sentence saying what is checked
//!       "area":     string   the id's first two segments: "saml.audience", "scim.okta"
//!       "source":   string   where the scenario comes from: spec section, CVE, IdP quirk
//!       "outcome":  "pass" | "fail" | "error"
//!                            fail: the target answered, not as expected;
//!                            error: the scenario could not be carried out, nothing is known
//!       "expected": string   what a correct target does: "accepted", "refused: audience_missing"
//!       "got":      string   what the target did, in the same words
//!       "ms":       integer  wall time of this scenario, milliseconds
//!       "evidence": {        present for failures and errors only
//!         "request":   string  what was sent, decoded for reading
//!         "response":  string  each HTTP hop's status and headers, and the final body
//!         "diagnosis": string  the target's rejection code and explanation, or why it failed
//!       }
//!     }
//!   ]
//! }
//! ```
//!
//! Stability: fields are only ever added, never renamed, removed or given another type; the
//! outcome words are fixed. A reader must ignore fields it does not know. `passed + failed +
//! errors == total` always holds.

use crate::result::RunReport;

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(report: &RunReport) -> String {
    // The report is strings, integers, a unit enum and options of those: nothing serde_json
    // can refuse (no maps with non-string keys, no floats).
    let mut out = serde_json::to_string_pretty(report).expect("a RunReport always serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use serde_json::Value;

    #[test]
    fn json_report_of_the_fixed_run() {
        insta::assert_snapshot!(render(&fixture::report()));
    }

    #[test]
    fn json_report_has_the_documented_fields() {
        let json: Value =
            serde_json::from_str(&render(&fixture::report())).expect("the report is JSON");
        let summary = &json["summary"];
        assert_eq!(summary["target"], "in-process sp (sqlite)");
        assert!(summary.get("filter").is_none(), "no filter was given");
        let count = |k: &str| summary[k].as_u64().expect("a count");
        assert_eq!(
            count("passed") + count("failed") + count("errors"),
            count("total")
        );
        let scenarios = json["scenarios"].as_array().expect("scenarios is a list");
        assert_eq!(scenarios.len(), 4);
        let failed = &scenarios[1];
        for field in ["id", "title", "area", "source", "expected", "got"] {
            assert!(failed[field].is_string(), "{field}");
        }
        assert_eq!(failed["outcome"], "fail");
        assert_eq!(failed["ms"], 15);
        assert!(failed["evidence"]["diagnosis"].is_string());
        assert_eq!(scenarios[2]["outcome"], "error");
        assert!(scenarios[0].get("evidence").is_none(), "a pass has none");
    }
}
