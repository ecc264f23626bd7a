//! The ssolab simulation of Okta's (and Entra's) SCIM provisioning client: the requests Okta
//! sends, in Okta's order, judged as Okta judges the answers, against any SCIM server.
//!
//! It is an independent witness: it speaks raw HTTP and JSON and never depends on the `sp`
//! crate, so a misunderstanding of SCIM in `sp` cannot hide by being mirrored here.
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
    /// Part of every userName and group name made, so that runs against one server do not meet.
    pub tag: String,
    /// Spends the waits that a 429's `Retry-After` asks for.
    pub sleeper: Arc<dyn Sleeper>,
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
            tag: clock_tag(SystemTime::now()),
            sleeper: Arc::new(TokioSleeper),
        }
    }
}

/// A tag that differs between runs a second apart: the Unix time in base 36.
pub fn clock_tag(now: SystemTime) -> String {
    let mut secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit((secs % 36) as u32, 36).unwrap_or('0'));
        secs /= 36;
        if secs == 0 {
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
    on_step: &mut dyn FnMut(Sequence, &StepReport),
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
    let mut sequences = Vec::new();
    for &sequence in &config.sequences {
        let mut run = sequence::Run {
            client: &client,
            profile: config.profile,
            tag: &config.tag,
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
