//! A partner's SCIM server as a target: `conformance scim --base-url URL --token T`. The
//! catalogue's `scim.*` scenarios (every mock-okta sequence of each client profile) run against
//! it through [`deliver::okta`], judged as Okta and Entra judge.
//!
//! A partner's server keeps what a run makes, so every scenario's users and groups carry a tag
//! taken from the run's start time ([`mock_okta::clock_tag`]) and the scenario's number: two runs
//! never meet each other's userNames. Like Okta, the sequences deactivate users and never
//! delete them; the tagged users stay behind.

use super::{ExternalError, NotRun, error_chain, http_url};
use crate::deliver::{self, Ran};
use crate::runner::Target;
use crate::scenario::{Scenario, Stimulus};
use mock_okta::{Profile, Sequence};
use std::time::{Duration, SystemTime};

const SAML: &str = "SAML scenarios: run them against your SP with `conformance saml`";
const SCRIPTS: &str =
    "scripts: they reconfigure ssolab's own sp, which only the in-process target allows";
const OTHER_PROFILE: &str = "scenarios of client profiles --profile leaves out";

/// How long the reachability check waits: long enough for a cold server, short enough that a
/// wrong host fails fast.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(30);

/// The profiles a `--profile` value names: one of mock-okta's, or `all`.
pub fn profiles(given: &str) -> Result<Vec<Profile>, ExternalError> {
    if given == "all" {
        return Ok(Profile::ALL.to_vec());
    }
    Profile::parse(given)
        .map(|p| vec![p])
        .ok_or_else(|| ExternalError::UnknownProfile {
            given: given.to_owned(),
        })
}

/// The scenarios of `selected` that run against a SCIM server of `profiles`, and the rest
/// counted by reason.
pub fn applicable(selected: Vec<Scenario>, profiles: &[Profile]) -> (Vec<Scenario>, NotRun) {
    let mut run = Vec::new();
    let mut not_run = NotRun::default();
    for scenario in selected {
        match &scenario.stimulus {
            Stimulus::Okta { profile, .. } if profiles.contains(profile) => run.push(scenario),
            Stimulus::Okta { .. } => not_run.add(OTHER_PROFILE),
            Stimulus::Post(_) => not_run.add(SAML),
            Stimulus::Script(_) => not_run.add(SCRIPTS),
        }
    }
    (run, not_run)
}

/// A partner's SCIM server.
pub struct ExternalScim {
    base_url: String,
    token: String,
    /// The run's part of every tag: the start time in base 36.
    run_tag: String,
    /// Held shared by every scenario, and alone by an import. An import pages through every
    /// user on the server and, as Okta does, fails when totalResults moves between pages; on a
    /// partner's server all profiles share one token's users, so the scenarios that create
    /// users would move it.
    whole_server: tokio::sync::RwLock<()>,
}

impl ExternalScim {
    pub fn new(base_url: &str, token: &str) -> Result<ExternalScim, ExternalError> {
        let url = http_url(base_url).map_err(|reason| ExternalError::BadBaseUrl {
            url: base_url.to_owned(),
            reason,
        })?;
        if token.trim().is_empty() {
            return Err(ExternalError::EmptyToken);
        }
        Ok(ExternalScim {
            base_url: url.as_str().trim_end_matches('/').to_owned(),
            token: token.trim().to_owned(),
            run_tag: mock_okta::clock_tag(SystemTime::now()),
            whole_server: tokio::sync::RwLock::new(()),
        })
    }

    /// One request before any scenario, as Okta's "Test Connector Configuration" makes: a page
    /// of one user. It tells an unreachable server, a refused token and a wrong base path apart.
    pub async fn preflight(&self) -> Result<(), ExternalError> {
        let url = format!("{}/Users?startIndex=1&count=1", self.base_url);
        let client = reqwest::Client::builder()
            .timeout(PREFLIGHT_TIMEOUT)
            .build()
            .map_err(|e| ExternalError::Client(e.to_string()))?;
        let response = client
            .get(&url)
            .bearer_auth(&self.token)
            .header(reqwest::header::ACCEPT, "application/scim+json")
            .send()
            .await
            .map_err(|e| ExternalError::ScimUnreachable {
                url: url.clone(),
                reason: error_chain(&e),
            })?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            status @ (401 | 403) => Err(ExternalError::TokenRejected { url, status }),
            404 => Err(ExternalError::ScimNotFound { url }),
            status => Err(ExternalError::ScimUnexpectedAnswer { url, status }),
        }
    }
}

impl Target for ExternalScim {
    fn description(&self) -> String {
        format!("SCIM server at {}", self.base_url)
    }

    async fn run(&self, scenario: &Scenario, n: u64) -> Ran {
        let Stimulus::Okta { profile, sequence } = scenario.stimulus else {
            return Ran::error(
                "not run: not a SCIM scenario",
                "only scim.* scenarios run against a SCIM server; select them with external::scim::applicable",
            );
        };
        let tag = format!("{}n{n}", self.run_tag);
        let run = deliver::okta(&self.base_url, &self.token, profile, sequence, tag);
        if sequence == Sequence::Import {
            let _alone = self.whole_server.write().await;
            run.await
        } else {
            let _shared = self.whole_server.read().await;
            run.await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_one_profile_or_all() {
        assert_eq!(profiles("entra").ok(), Some(vec![Profile::Entra]));
        assert_eq!(profiles("all").ok(), Some(Profile::ALL.to_vec()));
        let error = profiles("azure").expect_err("unknown");
        assert_eq!(error.code(), "unknown_profile");
        assert_eq!(
            error.to_string(),
            "--profile \"azure\": use okta, okta-aiw, entra or all"
        );
    }

    #[test]
    fn only_scim_scenarios_of_the_chosen_profiles_run() {
        let all = crate::catalogue::all();
        let total = all.len();
        let (run, not_run) = applicable(all, &[Profile::OktaAiw]);
        assert!(!run.is_empty());
        assert!(run.iter().all(|s| s.id.starts_with("scim.okta-aiw.")));
        assert_eq!(run.len() + not_run.total(), total);
        let lines = not_run.lines().join("\n");
        assert!(
            lines.contains(SAML) && lines.contains(OTHER_PROFILE),
            "{lines}"
        );
    }

    #[test]
    fn a_bad_base_url_or_an_empty_token_is_refused_before_any_request() {
        let code = |r: Result<ExternalScim, ExternalError>| r.err().map(|e| e.code());
        assert_eq!(
            code(ExternalScim::new("example.com/scim", "t")),
            Some("bad_base_url")
        );
        assert_eq!(
            code(ExternalScim::new("https://example.com/scim/v2", " ")),
            Some("token_empty")
        );
        let ok = ExternalScim::new("https://example.com/scim/v2/", "t").expect("valid");
        assert_eq!(
            ok.description(),
            "SCIM server at https://example.com/scim/v2"
        );
    }
}
