//! The run report in four forms, each a pure function of a [`RunReport`]: a terminal table for
//! people ([`text`]), JSON for programs ([`json`], a published schema), JUnit XML for CI
//! ([`junit`]) and a self-contained HTML page for partners ([`html`]). [`Progress`] is the live
//! view while the run goes.

mod escape;
#[cfg(test)]
mod fixture;
pub mod html;
pub mod json;
pub mod junit;
mod progress;
pub mod text;

pub use progress::Progress;

use crate::result::{RunReport, Summary};

/// A report format, as named by `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
    Html,
}

/// A `--format` value that names no format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("--format: unknown report format {given:?}; use one of text, json, junit, html")]
    Unknown { given: String },
}

impl FormatError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            FormatError::Unknown { .. } => "unknown_format",
        }
    }
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Junit, Format::Html];

    /// The format a `--format` value names (exactly as [`Format::name`] spells it).
    pub fn parse(name: &str) -> Result<Format, FormatError> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| FormatError::Unknown {
                given: name.to_string(),
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }
}

/// The report in `format`. Text comes without colour: a caller writing to a terminal calls
/// [`text::render`] with `color` set instead.
pub fn render(report: &RunReport, format: Format) -> String {
    match format {
        Format::Text => text::render(report, false),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Html => html::render(report),
    }
}

/// `242 scenarios: 240 passed, 1 failed, 1 error in 8.3 s against in-process sp (sqlite)`, the
/// line the text report ends with and the HTML page's title.
pub fn summary_line(summary: &Summary) -> String {
    let mut line = format!(
        "{}: {} passed, {} failed, {} in {} against {}",
        counted(summary.total, "scenario"),
        summary.passed,
        summary.failed,
        counted(summary.errors, "error"),
        duration(summary.ms),
        summary.target
    );
    if let Some(filter) = &summary.filter {
        line.push_str(&format!(" (filter {filter})"));
    }
    line
}

/// `not run (not failures): 14 scripts: …`, one line per reason; none when everything selected ran.
pub fn not_run_lines(summary: &Summary) -> Vec<String> {
    summary
        .not_run
        .iter()
        .map(|n| format!("not run (not failures): {} {}", n.count, n.reason))
        .collect()
}

/// `1 error`, `2 errors`.
pub(crate) fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A run's wall time as a person reads it: `840 ms`, `8.3 s`.
pub(crate) fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_from_its_name() {
        for format in Format::ALL {
            assert_eq!(Format::parse(format.name()), Ok(format));
        }
    }

    #[test]
    fn unknown_format_is_refused_with_the_choices() {
        let err = Format::parse("xml").expect_err("xml is not a report format");
        assert_eq!(err.code(), "unknown_format");
        assert_eq!(
            err.to_string(),
            "--format: unknown report format \"xml\"; use one of text, json, junit, html"
        );
        assert!(Format::parse("JSON").is_err_and(|e| e.code() == "unknown_format"));
    }

    #[test]
    fn summary_line_counts_and_names_the_target() {
        let report = fixture::report();
        assert_eq!(
            summary_line(&report.summary),
            "4 scenarios: 2 passed, 1 failed, 1 error in 8.3 s against in-process sp (sqlite)"
        );
    }

    #[test]
    fn summary_line_uses_singular_for_one_and_names_the_filter() {
        let mut summary = fixture::report().summary;
        summary.total = 1;
        summary.passed = 0;
        summary.failed = 0;
        summary.errors = 1;
        summary.ms = 42;
        summary.filter = Some("saml.*".to_string());
        assert_eq!(
            summary_line(&summary),
            "1 scenario: 0 passed, 0 failed, 1 error in 42 ms against in-process sp (sqlite) \
             (filter saml.*)"
        );
    }

    #[test]
    fn duration_switches_to_seconds_at_one_second() {
        assert_eq!(duration(999), "999 ms");
        assert_eq!(duration(1000), "1.0 s");
        assert_eq!(duration(8_349), "8.3 s");
    }

    #[test]
    fn render_dispatches_to_each_format() {
        let report = fixture::report();
        assert!(
            render(&report, Format::Text)
                .ends_with(&format!("{}\n", summary_line(&report.summary)))
        );
        assert!(render(&report, Format::Json).starts_with("{\n  \"summary\""));
        assert!(render(&report, Format::Junit).starts_with("<?xml"));
        assert!(render(&report, Format::Html).starts_with("<!DOCTYPE html>"));
    }
}
