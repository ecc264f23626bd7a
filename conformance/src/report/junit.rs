//! The JUnit XML report for CI: one `<testsuite>` and one `<testcase>` per scenario, classed by
//! area so that CI tools group them. A failure is a verdict on the target (`<failure>`); an
//! error means the scenario could not run (`<error>`), as JUnit itself tells them apart.

use super::escape::{xml_attr, xml_text};
use crate::result::{Outcome, RunReport, ScenarioResult};
use std::fmt::Write as _;

pub fn render(report: &RunReport) -> String {
    let summary = &report.summary;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"ssolab conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" \
         skipped=\"0\" time=\"{}\">",
        summary.total,
        summary.failed,
        summary.errors,
        seconds(summary.ms)
    );
    out.push_str("  <properties>\n");
    let mut property = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "    <property name=\"{name}\" value=\"{}\"/>",
            xml_attr(value)
        );
    };
    property("target", &summary.target);
    property("started", &summary.started);
    if let Some(filter) = &summary.filter {
        property("filter", filter);
    }
    for line in super::not_run_lines(summary) {
        property("not_run", &line);
    }
    out.push_str("  </properties>\n");
    for result in &report.scenarios {
        testcase(result, &mut out);
    }
    out.push_str("</testsuite>\n");
    out
}

fn testcase(result: &ScenarioResult, out: &mut String) {
    let _ = write!(
        out,
        "  <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
        xml_attr(&result.area),
        xml_attr(&result.id),
        seconds(result.ms)
    );
    let element = match result.outcome {
        Outcome::Pass => {
            out.push_str("/>\n");
            return;
        }
        Outcome::Fail => "failure",
        Outcome::Error => "error",
    };
    let _ = writeln!(
        out,
        ">\n    <{element} type=\"{}\" message=\"{}\">{}</{element}>\n  </testcase>",
        result.outcome.as_str(),
        xml_attr(&format!("expected {}, got {}", result.expected, result.got)),
        xml_text(&evidence_text(result))
    );
}

/// The body of a `<failure>` or `<error>`: everything a person needs without the HTML page.
fn evidence_text(result: &ScenarioResult) -> String {
    let mut text = format!(
        "{}\nsource: {}\nexpected: {}\ngot: {}\n",
        result.title, result.source, result.expected, result.got
    );
    if let Some(evidence) = &result.evidence {
        for (name, value) in [
            ("diagnosis", &evidence.diagnosis),
            ("request", &evidence.request),
            ("response", &evidence.response),
        ] {
            if !value.is_empty() {
                let _ = write!(text, "\n{name}:\n{value}\n");
            }
        }
    }
    text
}

/// Milliseconds as JUnit's seconds with three decimals.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn junit_report_of_the_fixed_run() {
        insta::assert_snapshot!(render(&fixture::report()));
    }

    #[test]
    fn junit_report_is_well_formed_with_one_testcase_per_scenario() {
        let xml = render(&fixture::report());
        let doc = roxmltree::Document::parse(&xml).expect("the JUnit report is well-formed");
        let suite = doc.root_element();
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert_eq!(suite.attribute("name"), Some("ssolab conformance"));
        assert_eq!(suite.attribute("tests"), Some("4"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("errors"), Some("1"));
        assert_eq!(suite.attribute("time"), Some("8.349"));
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[1].attribute("classname"), Some("saml.audience"));
        assert_eq!(cases[1].attribute("name"), Some("saml.audience.missing"));
        assert_eq!(cases[1].attribute("time"), Some("0.015"));
        let failure = cases[1]
            .first_element_child()
            .expect("the failing case has a child");
        assert_eq!(failure.tag_name().name(), "failure");
        assert_eq!(
            failure.attribute("message"),
            Some("expected refused: audience_missing, got accepted")
        );
        assert!(
            failure
                .text()
                .is_some_and(|t| t.contains("fix: require an Audience"))
        );
        let error = cases[2]
            .first_element_child()
            .expect("the error case has a child");
        assert_eq!(error.tag_name().name(), "error");
        assert_eq!(cases[2].attribute("time"), Some("3.003"));
        assert!(!cases[0].has_children(), "a pass is an empty testcase");
    }

    #[test]
    fn hostile_text_survives_as_text() {
        let mut report = fixture::report();
        let hostile = "<x a=\"1\">]]>&amp;'\u{1}\u{FFFE}\ttab\r\nline";
        report.scenarios[1].got = hostile.to_string();
        report.scenarios[1].id = "saml.\"quoted\"<id>".to_string();
        let xml = render(&report);
        let doc = roxmltree::Document::parse(&xml).expect("escaped text is well-formed");
        let case = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .nth(1)
            .expect("the second testcase");
        assert_eq!(case.attribute("name"), Some("saml.\"quoted\"<id>"));
        let carried = "<x a=\"1\">]]>&amp;'\u{FFFD}\u{FFFD}\ttab\r\nline";
        let failure = case.first_element_child().expect("the failure");
        assert_eq!(
            failure.attribute("message"),
            Some(format!("expected refused: audience_missing, got {carried}").as_str())
        );
        assert!(
            failure
                .text()
                .is_some_and(|t| t.contains(&format!("got: {carried}\n")))
        );
    }
}
