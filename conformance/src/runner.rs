//! Runs selected scenarios against a target and gathers a [`RunReport`]. Independent scenarios
//! run a few at a time (the SP's CPU work goes to its own bounded pool); scripts, which move the
//! SP's clock and reconfigure their team, run one by one after them.

use crate::deliver::Ran;
use crate::result::{Outcome, RunReport, ScenarioResult};
use crate::scenario::{Scenario, Stimulus};
use futures_util::StreamExt;
use std::future::Future;
use std::time::Instant;

/// How many independent scenarios are in flight at once.
pub const CONCURRENCY: usize = 6;

/// Something scenarios run against.
pub trait Target: Sync {
    /// For reports: `in-process sp (sqlite)`, `https://partner.example/acs`.
    fn description(&self) -> String;
    /// What a correct target does with `scenario`, in the words of the report.
    fn expected(&self, scenario: &Scenario) -> String {
        scenario.expected()
    }
    /// Runs `scenario`; `n` is its position in the catalogue, unique within a run.
    fn run<'a>(&'a self, scenario: &'a Scenario, n: u64) -> impl Future<Output = Ran> + Send + 'a;
}

/// Which scenarios a `--filter` selects: comma-separated patterns, each an id prefix
/// (`saml.xsw` selects `saml.xsw.xsw1` …) or, with `*`, a glob over the whole id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    patterns: Vec<String>,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        Filter {
            patterns: text
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    pub fn selects(&self, id: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| matches(p, id))
    }
}

fn matches(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return id.starts_with(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().unwrap_or((&"", &[]));
    let Some(mut remaining) = id.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// Runs `scenarios` (already selected) against `target`, calling `on_result` as each finishes.
pub async fn run<T: Target>(
    target: &T,
    scenarios: &[Scenario],
    filter: Option<String>,
    started: String,
    on_result: &mut (dyn FnMut(&ScenarioResult) + Send),
) -> RunReport {
    let clock = Instant::now();
    let (scripts, independent): (Vec<_>, Vec<_>) = scenarios
        .iter()
        .enumerate()
        .partition(|(_, s)| matches!(s.stimulus, Stimulus::Script(_)));
    let mut results: Vec<(usize, ScenarioResult)> = Vec::with_capacity(scenarios.len());
    // The futures are made up front (they do nothing until polled): a closure building them
    // inside the stream would make the whole run's future lose `Send` (rust-lang/rust#102211).
    let pending: Vec<_> = independent
        .into_iter()
        .map(|(n, scenario)| numbered(target, scenario, n))
        .collect();
    let mut stream = futures_util::stream::iter(pending).buffer_unordered(CONCURRENCY);
    while let Some((n, result)) = stream.next().await {
        on_result(&result);
        results.push((n, result));
    }
    for (n, scenario) in scripts {
        let result = run_one(target, scenario, n).await;
        on_result(&result);
        results.push((n, result));
    }
    results.sort_by_key(|(n, _)| *n);
    RunReport::new(
        target.description(),
        filter,
        started,
        clock.elapsed().as_millis() as u64,
        results.into_iter().map(|(_, r)| r).collect(),
    )
}

async fn numbered<T: Target>(target: &T, scenario: &Scenario, n: usize) -> (usize, ScenarioResult) {
    (n, run_one(target, scenario, n).await)
}

async fn run_one<T: Target>(target: &T, scenario: &Scenario, n: usize) -> ScenarioResult {
    let started = Instant::now();
    let ran = target.run(scenario, n as u64 + 1).await;
    ScenarioResult {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        area: scenario.area().to_owned(),
        source: scenario.source.clone(),
        outcome: ran.outcome,
        expected: target.expected(scenario),
        got: ran.got,
        ms: started.elapsed().as_millis() as u64,
        evidence: ran.evidence.filter(|_| ran.outcome != Outcome::Pass),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_is_a_prefix_or_a_glob_and_commas_join_patterns() {
        let f = Filter::parse("saml.xsw");
        assert!(f.selects("saml.xsw.xsw1"));
        assert!(!f.selects("saml.audience.wrong-audience"));
        let g = Filter::parse("saml.*.missing, scim.entra");
        assert!(g.selects("saml.field.audience.missing"));
        assert!(!g.selects("saml.field.audience.empty"));
        assert!(g.selects("scim.entra.push"));
        assert!(Filter::parse("").selects("anything"));
        assert!(Filter::parse("*push").selects("scim.okta.push"));
        assert!(!Filter::parse("*push").selects("scim.okta.push-again"));
    }
}
