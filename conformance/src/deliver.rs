//! Carrying out one stimulus against an SP reached over HTTP, and reading its answer: a mock
//! IdP response posted the way a browser posts it, judged by mock-idp's own rules (never the
//! SP's), and a mock-okta sequence judged as Okta judges it. Both the in-process target and a
//! partner's SP use these.

use crate::result::{Evidence, Outcome};
use crate::scenario::{Post, Response};
use mock_idp::check::{self, Checked};
use mock_idp::expect::Expected;
use mock_idp::post::Delivery;
use mock_idp::server::shape::{self, Prepared};
use mock_okta::{Profile, Render, Sequence};
use time::OffsetDateTime;

/// What a scenario's stimulus produced: the verdict, what the target did in the words of
/// `expected`, and evidence when it did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub outcome: Outcome,
    pub got: String,
    pub evidence: Option<Evidence>,
}

impl Ran {
    /// The stimulus could not be carried out.
    pub fn error(got: impl Into<String>, diagnosis: impl Into<String>) -> Ran {
        Ran {
            outcome: Outcome::Error,
            got: got.into(),
            evidence: Some(Evidence {
                diagnosis: diagnosis.into(),
                ..Evidence::default()
            }),
        }
    }
}

impl Ran {
    /// The response was built (`request`) and could not be delivered.
    pub fn not_reached(request: String, error: &mock_idp::post::PostError) -> Ran {
        Ran {
            outcome: Outcome::Error,
            got: format!("not reached: {}", error.code()),
            evidence: Some(Evidence {
                request,
                response: String::new(),
                diagnosis: error.to_string(),
            }),
        }
    }
}

/// Where the SP under test takes responses.
#[derive(Debug, Clone)]
pub struct SamlTarget {
    pub acs: String,
    pub entity_id: String,
}

/// `response` aimed at `target`, numbered `n` (no two scenarios share response or assertion
/// IDs, or a correct SP would call the second a replay), built at `now`.
pub fn prepare(
    response: &Response,
    target: &SamlTarget,
    n: u64,
    now: OffsetDateTime,
) -> Result<Prepared, mock_idp::build::BuildError> {
    let mut spec = response
        .spec
        .clone()
        .for_sp(&target.acs, &target.entity_id)
        .numbered(n);
    if let Some(adjust) = response.adjust {
        adjust(&mut spec);
    }
    match response.edit {
        // An edit of the rendered XML stands alone: the catalogue never pairs it with a fault.
        Some(edit) => Ok(Prepared {
            built: mock_idp::build::build_edited(&spec, now, edit)?,
            spec,
            fault: None,
        }),
        None => shape::prepare(&spec, response.fault, now),
    }
}

/// Posts `post`'s response to `target` as a browser does and compares the answer with what a
/// correct SP answers.
pub async fn post(
    client: &reqwest::Client,
    target: &SamlTarget,
    post: &Post,
    n: u64,
    now: OffsetDateTime,
) -> Ran {
    post_expecting(
        client,
        target,
        &post.response,
        post.via,
        post.expected,
        n,
        now,
    )
    .await
}

/// [`post`] with the parts given one by one (scripts post several responses).
pub async fn post_expecting(
    client: &reqwest::Client,
    target: &SamlTarget,
    response: &Response,
    via: Option<mock_idp::post::Redirect>,
    expected: Expected,
    n: u64,
    now: OffsetDateTime,
) -> Ran {
    let (request, checked) = match send(client, target, response, via, expected, n, now).await {
        Ok(sent) => sent,
        Err(ran) => return ran,
    };
    let got = checked
        .verdict
        .got
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", then ");
    let outcome = if checked.verdict.agree {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    let evidence = (outcome != Outcome::Pass).then(|| Evidence {
        request,
        response: transcripts(&checked.deliveries),
        diagnosis: checked.verdict.report(),
    });
    Ran {
        outcome,
        got,
        evidence,
    }
}

/// Builds `response` for `target` and delivers it as a browser does (through `via`, or the
/// fault's own redirect), as often as its fault says: the request as evidence text and what
/// came back, judged by mock-idp against `expected`; or, when it could not be built or
/// delivered, the scenario's error.
pub async fn send(
    client: &reqwest::Client,
    target: &SamlTarget,
    response: &Response,
    via: Option<mock_idp::post::Redirect>,
    expected: Expected,
    n: u64,
    now: OffsetDateTime,
) -> Result<(String, Checked), Ran> {
    let prepared = prepare(response, target, n, now)
        .map_err(|e| Ran::error("the response could not be built", e.to_string()))?;
    let via = check::redirect_for(&prepared, via);
    let request = request_text(&prepared);
    match check::post_and_judge(client, prepared, via, expected).await {
        Ok(checked) => Ok((request, checked)),
        Err(e) => Err(Ran::not_reached(request, &e)),
    }
}

/// Every post's hops and final body, as evidence for people.
pub fn transcripts(deliveries: &[Delivery]) -> String {
    deliveries
        .iter()
        .map(Delivery::transcript)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The request a browser makes with `prepared`, as evidence for people: method, Reply URL and
/// the decoded XML.
pub fn request_text(prepared: &Prepared) -> String {
    format!(
        "{} {}\nSAMLResponse (decoded):\n{}",
        prepared.spec.method.name().to_uppercase(),
        prepared.spec.reply_url,
        prepared.built.xml
    )
}

/// Runs one mock-okta sequence of `profile` against the SCIM server at `base_url`; `tag` keeps
/// the userNames it makes apart from every other run's.
pub async fn okta(
    base_url: &str,
    token: &str,
    profile: Profile,
    sequence: Sequence,
    tag: String,
) -> Ran {
    let mut config = mock_okta::RunConfig::new(base_url, token);
    config.profile = profile;
    // Okta's SPEC test reads an existing user: alone, the scenario first pushes one.
    config.sequences = match sequence {
        Sequence::Spec => vec![Sequence::Push, Sequence::Spec],
        other => vec![other],
    };
    config.tag = tag;
    let report = match mock_okta::run(&config).await {
        Ok(report) => report,
        Err(e) => return Ran::error(format!("not run: {}", e.code()), e.to_string()),
    };
    let (passed, failed) = report.counts();
    if report.unreachable() {
        return Ran::error(
            "not reached: the SCIM server never answered",
            report.text(Render::AsIs),
        );
    }
    if report.passed() {
        return Ran {
            outcome: Outcome::Pass,
            got: steps(passed, "passed"),
            evidence: None,
        };
    }
    let first = report
        .failures()
        .next()
        .map(|(_, step, failure)| format!("{}: {}", step.name, failure.code))
        .unwrap_or_default();
    Ran {
        outcome: Outcome::Fail,
        got: format!(
            "{failed} of {} steps failed (first: {first})",
            passed + failed
        ),
        evidence: Some(Evidence {
            request: report.transcript(Render::AsIs),
            response: String::new(),
            diagnosis: report.text(Render::AsIs),
        }),
    }
}

/// `1 step passed`, `3 steps passed`.
fn steps(count: usize, what: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} step{plural} {what}")
}
