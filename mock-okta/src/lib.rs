//! The ssolab simulation of Okta's (and Entra's) SCIM provisioning client: the requests Okta
//! sends, in Okta's order, judged as Okta judges the answers, against any SCIM server.
//!
//! It is an independent witness: it speaks raw HTTP and JSON and never depends on the `sp`
//! crate, so a misunderstanding of SCIM in `sp` cannot hide by being mirrored here.
//!
//! # What a server must do to pass every sequence
//!
//! Paths are relative to the base URL. Every error answer is a SCIM Error: `schemas` with
//! `urn:ietf:params:scim:api:messages:2.0:Error`, `status` as a string (`"404"`), a `detail`.
//! Every list is a ListResponse with integer `totalResults`, `startIndex`, `itemsPerPage`, where
//! `itemsPerPage` is the number of `Resources` returned and never more than `count`.
//!
//! - `GET /Users?startIndex=N&count=M`: pages in a stable order, inactive users included; a page
//!   past the end is empty and reports the same `totalResults`.
//! - `GET /Users?filter=userName%20eq%20%22…%22&startIndex=1&count=100` (Okta) and
//!   `GET /Users?filter=userName+eq+%22…%22` (Entra): the value compared case-insensitively.
//!   A malformed filter (`userName eq "unterminated`) is a 400.
//! - `POST /Users`: 201 with the user (a non-empty string `id`; `userName`, `name.givenName`,
//!   `name.familyName`, `active` as sent). Okta's body carries `password`, `locale`, `groups: []`,
//!   `externalId`; Entra's the enterprise schema URN, `meta` and `roles: []`. The same userName in
//!   any letter case again is a 409; a body that is not JSON is a 400.
//! - `GET /Users/{id}`: 200, inactive users too; an unknown id is a 404 (Okta probes
//!   `010101001010101011001010101011` and `00919288221112222`).
//! - `PUT /Users/{id}`: 200 with the user; echoed read-only `id`, `meta`, `groups` ignored,
//!   `name.middleName: ""` accepted.
//! - `PATCH /Users/{id}`: 200 with the user, or 204. Okta: path-less `replace` of
//!   `{"active": bool}` and of `{"name": {"givenName": …}}`, which must keep `familyName`.
//!   Entra: ops spelt `Replace`, `path: "active"` with `"True"`/`"False"`, path-less dotted
//!   `name.givenName` and the URN key `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`
//!   (read back under that extension), and `path: emails[type eq "work"].value`.
//! - A wrong token on any request: 401.
//! - `GET /Groups?startIndex=1&count=100` within 600 ms (Okta's SPEC test); `POST /Groups` 201
//!   with a string `id`; `GET /Groups/{id}` with `displayName` and `members[].value`; Entra's
//!   `GET /Groups?filter=displayName+eq+%22…%22&excludedAttributes=members` without `members`.
//! - `PATCH /Groups/{id}`, 200 or 204: `add` to `members`; path-less `replace` of
//!   `{id, displayName}` (`id` ignored); `remove` with path `members[value eq "…"]`; `replace` of
//!   `members`; Entra's `Remove` on `members` with a value list and `Replace` of `displayName`.
//! - `DELETE /Groups/{id}`: 204, then `GET` is a 404.
//!
//! Users are never deleted (Okta deactivates); the import sequence creates 101 users and every
//! sequence leaves its users behind, named `<sequence>-<n>-<tag>@example.com`.
//!
//! ```no_run
//! # async fn example() -> Result<(), mock_okta::RunError> {
//! use mock_okta::{Profile, RunConfig, Sequence};
//! let mut config = RunConfig::new("http://127.0.0.1:8080/scim/v2", "token");
//! config.profile = Profile::Entra;
//! config.sequences = vec![Sequence::Push, Sequence::Deactivate];
//! let report = mock_okta::run(&config).await?;
//! assert!(report.passed(), "{}", report.text(mock_okta::Render::AsIs));
//! # Ok(())
//! # }
//! ```

pub mod http;
pub mod judge;
pub mod profile;
pub mod report;
pub mod requests;
pub mod sequence;

pub use http::{Sleeper, TIMEOUT, TokioSleeper};
pub use judge::{Failure, Judgement};
pub use profile::{AuthMode, Profile};
pub use report::{Render, Report, SequenceReport, StepReport};
pub use sequence::Sequence;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What to run against which server.
#[derive(Clone)]
pub struct RunConfig {
    /// The SCIM base URL, e.g. `https://example.com/scim/v2` (no trailing `/Users`).
    pub base_url: String,
    pub token: String,
    pub profile: Profile,
    pub sequences: Vec<Sequence>,
    pub auth_mode: AuthMode,
    /// Per request; Okta's is 60 s.
    pub timeout: Duration,
    /// Part of every userName and group name made (with the profile's name), so that runs
    /// against one server do not meet. Letters and digits only.
    pub tag: String,
    /// Spends the waits that a 429's `Retry-After` asks for.
    pub sleeper: Arc<dyn Sleeper>,
}

impl std::fmt::Debug for RunConfig {
    // By hand: the token is never printed, and a sleeper has nothing to show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunConfig")
            .field("base_url", &self.base_url)
            .field("token", &http::MASK)
            .field("profile", &self.profile)
            .field("sequences", &self.sequences)
            .field("auth_mode", &self.auth_mode)
            .field("timeout", &self.timeout)
            .field("tag", &self.tag)
            .finish_non_exhaustive()
    }
}

impl RunConfig {
    /// Every sequence, profile `okta`, Bearer token, 60 s timeout, a tag from the clock.
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: token.into(),
            profile: Profile::Okta,
            sequences: Sequence::ALL.to_vec(),
            auth_mode: AuthMode::Bearer,
            timeout: TIMEOUT,
            tag: format!(
                "{}{}",
                clock_tag(SystemTime::now()),
                RUNS.fetch_add(1, Ordering::Relaxed)
            ),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

/// Runs configured in this process, so that two configured in the same millisecond differ.
static RUNS: AtomicU32 = AtomicU32::new(0);

/// A tag that differs between runs a millisecond apart: the Unix time in ms, in base 36.
pub fn clock_tag(now: SystemTime) -> String {
    let mut millis = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let mut digits = Vec::new();
    loop {
        // `millis % 36` is a base-36 digit, so `from_digit` always has one.
        digits.push(char::from_digit((millis % 36) as u32, 36).unwrap_or('0'));
        millis /= 36;
        if millis == 0 {
            break;
        }
    }
    format!("t{}", digits.iter().rev().collect::<String>())
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error(
        "base URL {0:?} must start with http:// or https:// (e.g. https://example.com/scim/v2)"
    )]
    BaseUrl(String),
    #[error("token is empty: pass the API token the SCIM server issued")]
    EmptyToken,
    #[error("tag {0:?} must be letters and digits only (it goes into userNames and URLs)")]
    Tag(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl RunError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            RunError::BaseUrl(_) => "base_url_invalid",
            RunError::EmptyToken => "token_empty",
            RunError::Tag(_) => "tag_invalid",
            RunError::Client(_) => "client_failed",
        }
    }
}

/// Runs the configured sequences in order and reports every step.
pub async fn run(config: &RunConfig) -> Result<Report, RunError> {
    run_with_progress(config, &mut |_, _| {}).await
}

/// [`run`], calling `on_step` after each step (the CLI's progress lines).
pub async fn run_with_progress(
    config: &RunConfig,
    on_step: &mut (dyn FnMut(Sequence, &StepReport) + Send),
) -> Result<Report, RunError> {
    let base = config.base_url.trim();
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(RunError::BaseUrl(config.base_url.clone()));
    }
    if config.token.trim().is_empty() {
        return Err(RunError::EmptyToken);
    }
    if config.tag.is_empty() || !config.tag.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(RunError::Tag(config.tag.clone()));
    }
    let client = http::Client::new(
        base,
        &config.token,
        config.auth_mode,
        config.profile,
        config.timeout,
        config.sleeper.clone(),
    )?;
    let scope = format!("{}-{}", config.profile.name(), config.tag);
    let mut sequences = Vec::new();
    for &sequence in &config.sequences {
        let mut run = sequence::Run {
            client: &client,
            profile: config.profile,
            scope: &scope,
            sequence,
            people: 0,
            steps: Vec::new(),
            on_step: &mut *on_step,
        };
        run.play().await;
        sequences.push(SequenceReport {
            sequence: sequence.name(),
            steps: run.steps,
        });
    }
    Ok(Report {
        base_url: base.to_string(),
        profile: config.profile,
        tag: config.tag.clone(),
        sequences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_tag_is_the_unix_time_in_milliseconds_in_base_36() {
        let at = UNIX_EPOCH + Duration::from_millis(36 * 36 + 35);
        assert_eq!(clock_tag(at), "t10z");
        assert_eq!(clock_tag(UNIX_EPOCH), "t0");
    }

    #[test]
    fn configs_made_in_one_millisecond_get_different_tags() {
        let (a, b) = (
            RunConfig::new("http://x", "k"),
            RunConfig::new("http://x", "k"),
        );
        assert_ne!(a.tag, b.tag);
        assert!(!format!("{a:?}").contains("\"k\""));
    }
}
