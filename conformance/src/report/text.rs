//! The terminal report: a table of every scenario, a block for each failure and error, and the
//! summary line.
//!
//! `got` and diagnoses carry what a target sent; a control character in them could move the
//! cursor or recolour the terminal, so every one is neutralised before printing.

use super::summary_line;
use crate::result::{Outcome, RunReport, ScenarioResult};
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

/// Column caps, in terminal cells: wide enough for the catalogue's ids and the usual verdicts,
/// narrow enough that a row fits 150 columns. The failure blocks below the table repeat the
/// full text.
const ID_WIDTH: usize = 48;
const VERDICT_WIDTH: usize = 36;
const GAP: &str = "  ";

/// The whole text report. `color` adds ANSI colour to outcomes: set it only when writing to a
/// terminal.
pub fn render(report: &RunReport, color: bool) -> String {
    let mut out = String::new();
    if !report.scenarios.is_empty() {
        table(&report.scenarios, color, &mut out);
    }
    for result in report
        .scenarios
        .iter()
        .filter(|s| s.outcome != Outcome::Pass)
    {
        out.push('\n');
        out.push_str(&failure_block(result, color));
    }
    out.push('\n');
    out.push_str(&one_line(&summary_line(&report.summary)));
    out.push('\n');
    for line in super::not_run_lines(&report.summary) {
        out.push_str(&one_line(&line));
        out.push('\n');
    }
    out
}

/// The line the progress display prints above its bar when a scenario does not pass.
pub(crate) fn progress_line(result: &ScenarioResult, color: bool) -> String {
    format!(
        "{} {}: expected {}, got {}",
        outcome_word(result.outcome, color),
        one_line(&result.id),
        one_line(&result.expected),
        one_line(&result.got)
    )
}

fn table(scenarios: &[ScenarioResult], color: bool, out: &mut String) {
    let rows: Vec<[String; 4]> = scenarios
        .iter()
        .map(|s| {
            [
                cell(&s.id, ID_WIDTH),
                cell(&s.expected, VERDICT_WIDTH),
                cell(&s.got, VERDICT_WIDTH),
                s.ms.to_string(),
            ]
        })
        .collect();
    let header = ["scenario", "expected", "got", "ms"];
    let column_width = |i: usize| {
        rows.iter()
            .map(|r| width(&r[i]))
            .chain([width(header[i])])
            .max()
            .unwrap_or(0)
    };
    let (id_w, expected_w, got_w, ms_w) = (
        column_width(0),
        column_width(1),
        column_width(2),
        column_width(3),
    );
    let outcome_w = "outcome".len();
    let line =
        |id: &str, outcome: &str, outcome_cells: usize, expected: &str, got: &str, ms: &str| {
            let mut line = String::new();
            line.push_str(&pad(id, id_w));
            line.push_str(GAP);
            line.push_str(outcome);
            line.push_str(&" ".repeat(outcome_w.saturating_sub(outcome_cells)));
            line.push_str(GAP);
            line.push_str(&pad(expected, expected_w));
            line.push_str(GAP);
            line.push_str(&pad(got, got_w));
            line.push_str(GAP);
            line.push_str(&" ".repeat(ms_w.saturating_sub(width(ms))));
            line.push_str(ms);
            line
        };
    let _ = writeln!(
        out,
        "{}",
        line(
            header[0], "outcome", outcome_w, header[1], header[2], header[3]
        )
    );
    for (s, [id, expected, got, ms]) in scenarios.iter().zip(&rows) {
        let word = outcome_word(s.outcome, color);
        let cells = outcome_word(s.outcome, false).len();
        let _ = writeln!(out, "{}", line(id, &word, cells, expected, got, ms));
    }
}

/// What a failure or error looked like: the full expected and got, and the target's diagnosis.
fn failure_block(result: &ScenarioResult, color: bool) -> String {
    let mut out = format!(
        "{} {}: {}\n",
        outcome_word(result.outcome, color),
        one_line(&result.id),
        one_line(&result.title)
    );
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(
            out,
            "  {name:<10} {}",
            multi_line(value).replace('\n', "\n             ")
        );
    };
    field("source:", &result.source);
    field("expected:", &result.expected);
    field("got:", &result.got);
    if let Some(evidence) = &result.evidence
        && !evidence.diagnosis.is_empty()
    {
        field("diagnosis:", &evidence.diagnosis);
    }
    out
}

/// The outcome as the table shows it: failures and errors in capitals, to be seen without colour.
fn outcome_word(outcome: Outcome, color: bool) -> String {
    let (word, ansi) = match outcome {
        Outcome::Pass => ("pass", "32"),
        Outcome::Fail => ("FAIL", "1;31"),
        Outcome::Error => ("ERROR", "1;33"),
    };
    if color {
        format!("\x1b[{ansi}m{word}\x1b[0m")
    } else {
        word.to_string()
    }
}

/// A table cell: one line, at most `max` cells wide, cut with `…` when longer.
fn cell(text: &str, max: usize) -> String {
    let text = one_line(text);
    if width(&text) <= max {
        return text;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

fn pad(text: &str, to: usize) -> String {
    format!("{text}{}", " ".repeat(to.saturating_sub(width(text))))
}

fn width(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Text for one line: whitespace controls become spaces, other controls U+FFFD.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Text over several lines: line breaks kept (CRLF as one), other controls neutralised.
fn multi_line(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split('\n')
        .map(one_line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::result::RunReport;

    #[test]
    fn text_report_of_the_fixed_run() {
        insta::assert_snapshot!(render(&fixture::report(), false));
    }

    #[test]
    fn long_cells_are_cut_in_the_table_and_whole_in_the_failure_block() {
        let mut report = fixture::report();
        report.scenarios[1].got = "refused: ".to_string() + &"x".repeat(60);
        let text = render(&report, false);
        let row = text
            .lines()
            .find(|l| l.starts_with("saml.audience.missing "))
            .expect("the failing row");
        assert!(
            row.contains(&format!("refused: {}… ", "x".repeat(26))),
            "{row}"
        );
        assert!(text.contains(&format!("  got:       refused: {}\n", "x".repeat(60))));
    }

    #[test]
    fn colour_changes_only_the_outcome_words() {
        let report = fixture::report();
        let coloured = render(&report, true);
        assert!(coloured.contains("\x1b[1;31mFAIL\x1b[0m"));
        assert!(coloured.contains("\x1b[1;33mERROR\x1b[0m"));
        let stripped = ["\x1b[32m", "\x1b[1;31m", "\x1b[1;33m", "\x1b[0m"]
            .iter()
            .fold(coloured, |text, code| text.replace(code, ""));
        assert_eq!(stripped, render(&report, false));
    }

    #[test]
    fn control_characters_from_the_target_cannot_reach_the_terminal() {
        let mut report = fixture::report();
        report.scenarios[1].got = "accepted\x1b[2J\rspoofed\u{9b}31m".to_string();
        report.scenarios[1]
            .evidence
            .as_mut()
            .expect("the fixture's failure has evidence")
            .diagnosis = "line one\r\nline two\x07".to_string();
        let text = render(&report, false);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(text.contains("  got:       accepted\u{FFFD}[2J spoofed\u{FFFD}31m\n"));
        assert!(text.contains("  diagnosis: line one\n             line two\u{FFFD}\n"));
    }

    #[test]
    fn an_empty_run_is_only_its_summary() {
        let report = RunReport::new("t".to_string(), None, "now".to_string(), 1, Vec::new());
        assert_eq!(
            render(&report, false),
            "\n0 scenarios: 0 passed, 0 failed, 0 errors in 1 ms against t\n"
        );
    }
}
