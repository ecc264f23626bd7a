//! What a run found, for people (text, transcript), programs (JSON) and CI (JUnit XML).

use crate::http::Exchange;
use crate::judge::{Failure, printable};
use crate::profile::Profile;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// One step: its exchanges and, when it failed, why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    pub name: String,
    pub exchanges: Vec<Exchange>,
    pub failure: Option<Failure>,
}

impl StepReport {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    pub fn latency_ms(&self) -> u64 {
        self.exchanges.iter().map(|e| e.latency_ms).sum()
    }
}

/// One sequence: the steps run, up to and including the first that failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceReport {
    pub sequence: &'static str,
    pub steps: Vec<StepReport>,
}

impl SequenceReport {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(StepReport::passed)
    }
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub base_url: String,
    pub profile: Profile,
    /// The run's tag, part of every userName and group name it made.
    pub tag: String,
    pub sequences: Vec<SequenceReport>,
}

/// Whether a transcript keeps ids, times, latencies and the run tag, or replaces them with
/// placeholders so that it can be compared across runs (insta snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    AsIs,
    Normalised,
}

impl Report {
    /// Every step of every sequence passed.
    pub fn passed(&self) -> bool {
        self.sequences.iter().all(SequenceReport::passed)
    }

    pub fn steps(&self) -> impl Iterator<Item = (&'static str, &StepReport)> {
        self.sequences
            .iter()
            .flat_map(|s| s.steps.iter().map(move |step| (s.sequence, step)))
    }

    /// The failed steps, with their sequence.
    pub fn failures(&self) -> impl Iterator<Item = (&'static str, &StepReport, &Failure)> {
        self.steps()
            .filter_map(|(seq, step)| step.failure.as_ref().map(|f| (seq, step, f)))
    }

    /// The server was never reached: requests were sent and none got an HTTP answer. That is
    /// "could not run" (a wrong base URL, the server down), not a verdict on the server.
    pub fn unreachable(&self) -> bool {
        let mut exchanges = self
            .steps()
            .flat_map(|(_, s)| s.exchanges.iter())
            .peekable();
        exchanges.peek().is_some() && exchanges.all(|e| e.status.is_none())
    }

    /// Steps passed and failed.
    pub fn counts(&self) -> (usize, usize) {
        let failed = self.failures().count();
        (self.steps().count() - failed, failed)
    }

    /// The summary a person reads: each step, each failure with its request and response.
    pub fn text(&self, render: Render) -> String {
        let mut out = format!(
            "mock-okta: profile {} against {}\n",
            self.profile.name(),
            self.base_url
        );
        for sequence in &self.sequences {
            let verdict = if sequence.passed() { "ok" } else { "FAILED" };
            let _ = writeln!(out, "\n{} — {verdict}", sequence.sequence);
            for step in &sequence.steps {
                let _ = writeln!(out, "  {}", step_line(step, render));
                if let Some(failure) = &step.failure {
                    out.push_str(&indent(&failure_text(failure, step, render), "      "));
                }
            }
            if !sequence.passed() {
                let _ = writeln!(out, "  (later steps not run)");
            }
        }
        let (passed, failed) = self.counts();
        let _ = writeln!(out, "\n{passed} passed, {failed} failed");
        match render {
            Render::AsIs => out,
            Render::Normalised => self.normalise(&out),
        }
    }

    /// Every exchange in order, as sent and received (the token masked).
    pub fn transcript(&self, render: Render) -> String {
        let mut out = String::new();
        for sequence in &self.sequences {
            for step in &sequence.steps {
                let mark = if step.passed() { "ok" } else { "FAILED" };
                let _ = writeln!(out, "=== {} / {} — {mark}", sequence.sequence, step.name);
                for exchange in &step.exchanges {
                    out.push_str(&exchange_text(exchange, render));
                }
            }
        }
        match render {
            Render::AsIs => out,
            Render::Normalised => self.normalise(&out),
        }
    }

    /// The report as JSON.
    pub fn json(&self) -> String {
        // Serialising these plain structs cannot fail (no maps with non-string keys, no
        // non-finite floats); `null` would only hide a bug, so the error text is kept.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// JUnit XML: a testsuite per sequence, a testcase per step run. Every failure is a
    /// `<failure>` (a verdict on the server), never an `<error>`: a run that could not reach
    /// the server is told apart by the exit status, not here.
    pub fn junit(&self) -> String {
        let (_, failed) = self.counts();
        let total = self.steps().count();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"mock-okta {}\" tests=\"{total}\" failures=\"{failed}\" errors=\"0\">",
            self.profile.name()
        );
        for sequence in &self.sequences {
            let failures = sequence.steps.iter().filter(|s| !s.passed()).count();
            let time: u64 = sequence.steps.iter().map(StepReport::latency_ms).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}.{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">",
                self.profile.name(),
                xml_escape(sequence.sequence),
                sequence.steps.len(),
                seconds(time)
            );
            for (n, step) in sequence.steps.iter().enumerate() {
                let _ = write!(
                    out,
                    "    <testcase classname=\"mock-okta.{}.{}\" name=\"{:02} {}\" time=\"{}\"",
                    self.profile.name(),
                    xml_escape(sequence.sequence),
                    n + 1,
                    xml_escape(&step.name),
                    seconds(step.latency_ms())
                );
                match &step.failure {
                    None => out.push_str("/>\n"),
                    Some(failure) => {
                        let _ = writeln!(
                            out,
                            ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                            failure.code,
                            xml_escape(&format!(
                                "expected {}, got {}",
                                failure.expected, failure.got
                            )),
                            xml_escape(&failure_text(failure, step, Render::AsIs))
                        );
                    }
                }
            }
            if !sequence.passed() {
                out.push_str(
                    "    <system-out>The sequence stopped at its failed step; later steps \
                     were not run.</system-out>\n",
                );
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// Replaces, in any text made from this report, the base URL, the ids the server
    /// returned, timestamps and the tag with placeholders (latencies are left out when
    /// rendering).
    pub fn normalise(&self, text: &str) -> String {
        let mut ids: Vec<String> = Vec::new();
        for (_, step) in self.steps() {
            for exchange in &step.exchanges {
                if let Ok(body) = serde_json::from_str::<Value>(&exchange.response_body) {
                    collect_ids(&body, &mut ids);
                }
            }
        }
        let mut out = replace_timestamps(&text.replace(&self.base_url, "{base_url}"));
        for (n, id) in ids.iter().enumerate() {
            out = replace_token(&out, id, &format!("{{id-{}}}", n + 1));
        }
        if self.tag.is_empty() {
            return out;
        }
        out.replace(&self.tag, "{tag}")
    }
}

/// The line a progress display prints for a step.
pub fn step_line(step: &StepReport, render: Render) -> String {
    let latency = latency_text(step.latency_ms(), render);
    match &step.failure {
        None => format!("ok    {} ({latency})", step.name),
        Some(f) => format!("FAIL  {} [{}] ({latency})", step.name, f.code),
    }
}

fn latency_text(ms: u64, render: Render) -> String {
    match render {
        Render::AsIs => format!("{ms} ms"),
        Render::Normalised => "{latency}".to_string(),
    }
}

/// A failure as a person reads it: what Okta expected, what came back, what Okta does, and the
/// last exchange of the step.
pub fn failure_text(failure: &Failure, step: &StepReport, render: Render) -> String {
    let mut out = format!(
        "code:     {}\nexpected: {}\ngot:      {}\nin Okta:  {}\n",
        failure.code, failure.expected, failure.got, failure.okta_consequence
    );
    if let Some(exchange) = step.exchanges.last() {
        out.push_str(&exchange_text(exchange, render));
    }
    out
}

fn exchange_text(exchange: &Exchange, render: Render) -> String {
    let mut out = format!("> {} {}\n", exchange.method.as_str(), exchange.path);
    for (name, value) in &exchange.request_headers {
        let _ = writeln!(out, "> {name}: {value}");
    }
    if let Some(body) = &exchange.request_body {
        let _ = writeln!(out, ">\n{}", indent(&pretty(body), "> "));
    }
    let latency = latency_text(exchange.latency_ms, render);
    match (exchange.status, &exchange.error) {
        (Some(status), _) => {
            let _ = writeln!(out, "< {status} ({latency})");
            for (name, value) in &exchange.response_headers {
                let _ = writeln!(out, "< {name}: {}", printable(value));
            }
            if !exchange.response_body.is_empty() {
                let _ = writeln!(out, "<\n{}", indent(&pretty(&exchange.response_body), "< "));
            }
        }
        (None, error) => {
            let _ = writeln!(
                out,
                "< no response ({latency}): {}",
                error.as_deref().unwrap_or("unknown error")
            );
        }
    }
    out.push('\n');
    out
}

/// JSON bodies are shown indented; anything else as it came.
fn pretty(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| printable(body))
}

fn indent(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let _ = writeln!(out, "{}", format!("{prefix}{line}").trim_end());
    }
    out
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Escapes text for XML content and attributes, dropping the control characters XML 1.0
/// cannot carry at all (a server's body may hold any byte).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Ids in a body: the resource's own, its Resources', and member values.
fn collect_ids(body: &Value, ids: &mut Vec<String>) {
    let mut add = |v: Option<&Value>| {
        if let Some(Value::String(id)) = v
            && !id.is_empty()
            && !ids.contains(id)
        {
            ids.push(id.clone());
        }
    };
    add(body.get("id"));
    for list in ["Resources", "members", "groups"] {
        if let Some(Value::Array(items)) = body.get(list) {
            for item in items {
                add(item.get("id"));
                add(item.get("value"));
            }
        }
    }
}

/// Replaces `needle` where it stands alone (not inside a longer word of letters, digits, `-` or
/// `_`), so that id `u1` does not rewrite `u12`.
fn replace_token(text: &str, needle: &str, with: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(needle);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces RFC 3339 timestamps (`2026-12-02T05:54:15Z`, `…15.123+01:00`) with `{time}`.
fn replace_timestamps(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(len) = timestamp_at(&bytes[i..]) {
            out.push_str(&text[copied..i]);
            out.push_str("{time}");
            i += len;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The length of the timestamp starting at `b[0]`, if one does.
fn timestamp_at(b: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < SHAPE.len() {
        return None;
    }
    for (got, want) in b.iter().zip(SHAPE) {
        let fits = match want {
            b'd' => got.is_ascii_digit(),
            other => got == other,
        };
        if !fits {
            return None;
        }
    }
    let mut n = SHAPE.len();
    if b.get(n) == Some(&b'.') {
        n += 1;
        while b.get(n).is_some_and(u8::is_ascii_digit) {
            n += 1;
        }
    }
    match b.get(n) {
        Some(b'Z') => Some(n + 1),
        Some(b'+' | b'-') if b.len() >= n + 6 => Some(n + 6),
        _ => Some(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_fractions_and_offsets_become_placeholders() {
        assert_eq!(
            replace_timestamps("a 2026-12-02T05:54:15Z b 2026-12-02T05:54:15.123+01:00 c"),
            "a {time} b {time} c"
        );
        assert_eq!(
            replace_timestamps("2026-12-02 not a time"),
            "2026-12-02 not a time"
        );
    }

    #[test]
    fn ids_are_replaced_only_where_they_stand_alone() {
        assert_eq!(
            replace_token("/Users/u1 u12 xu1 \"u1\"", "u1", "{id-1}"),
            "/Users/{id-1} u12 xu1 \"{id-1}\""
        );
    }

    #[test]
    fn xml_escape_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            xml_escape("<a b=\"c\">&'\u{1}"),
            "&lt;a b=&quot;c&quot;&gt;&amp;&apos;\u{FFFD}"
        );
    }
}
