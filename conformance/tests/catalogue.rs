//! The whole catalogue against the in-process SP, on SQLite and (when `DATABASE_URL` names one)
//! PostgreSQL: every scenario meets its expectation, and a failure is reported by id with what
//! was sent, what came back and the diagnosis. Also the text and JSON reports of a fixed subset
//! at a fixed time, as snapshots.

#[path = "support/postgres.rs"]
mod postgres;

use conformance::inprocess::InProcess;
use conformance::report::{self, Format, Progress};
use conformance::result::{Outcome, RunReport};
use conformance::runner::{self, Filter};
use conformance::scenario::Scenario;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

async fn run_on(database: Option<&str>, filter: &str) -> RunReport {
    let filter = Filter::parse(filter);
    let scenarios: Vec<Scenario> = conformance::catalogue::all()
        .into_iter()
        .filter(|s| filter.selects(&s.id))
        .collect();
    let sp = InProcess::start(database, NOW).await.expect("sp starts");
    sp.prepare(&scenarios).await.expect("teams");
    let progress = Progress::hidden();
    runner::run(
        &sp,
        &scenarios,
        None,
        "2026-11-28T12:00:00Z".into(),
        &mut |r| progress.finished(r),
    )
    .await
}

fn assert_all_pass(report: &RunReport) {
    let failures: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| s.outcome != Outcome::Pass)
        .map(|s| {
            let evidence = s.evidence.clone().unwrap_or_default();
            format!(
                "--- {} ({}): expected {}, got {}\n{}\n{}\n{}",
                s.id,
                s.outcome.as_str(),
                s.expected,
                s.got,
                evidence.diagnosis,
                evidence.request.chars().take(2000).collect::<String>(),
                evidence.response.chars().take(2000).collect::<String>()
            )
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios did not pass against {}:\n{}",
        failures.len(),
        report.summary.total,
        report.summary.target,
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_sp_on_sqlite() {
    let report = run_on(None, "").await;
    assert!(report.summary.total > 200, "{}", report.summary.total);
    assert_all_pass(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_sp_on_postgres() {
    postgres::in_fresh_schema("ssolab_catalogue", |url| async move {
        let report = run_on(Some(&url), "").await;
        assert_eq!(report.summary.target, "in-process sp (postgresql)");
        assert_all_pass(&report);
    })
    .await;
}

/// A report whose timings are zeroed: everything else in it is fixed by the catalogue, the clock
/// and the SP's answers.
fn timeless(mut report: RunReport) -> RunReport {
    report.summary.ms = 0;
    for s in &mut report.scenarios {
        s.ms = 0;
    }
    report
}

const SUBSET: &str = "saml.preset.okta,saml.audience,saml.xsw.xsw1,scim.okta.connect";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_json_reports_of_a_fixed_subset() {
    let report = timeless(run_on(None, SUBSET).await);
    assert_all_pass(&report);
    insta::assert_snapshot!("subset_text", report::render(&report, Format::Text));
    insta::assert_snapshot!("subset_json", report::render(&report, Format::Json));
}

/// The same stimulus judged against an answer it does not get is a failure with evidence, not an
/// error: the runner reports what the SP did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_whose_expectation_is_not_met_fails_with_evidence() {
    let mut scenario = conformance::catalogue::all()
        .into_iter()
        .find(|s| s.id == "saml.preset.okta")
        .expect("scenario");
    let conformance::scenario::Stimulus::Post(post) = &mut scenario.stimulus else {
        panic!("a post");
    };
    post.expected = mock_idp::expect::Expected::Refused(mock_idp::expect::Code::AudienceMismatch);
    let sp = InProcess::start(None, NOW).await.expect("sp");
    sp.prepare(std::slice::from_ref(&scenario))
        .await
        .expect("teams");
    let report = runner::run(&sp, &[scenario], None, String::new(), &mut |_| {}).await;
    let result = &report.scenarios[0];
    assert_eq!(result.outcome, Outcome::Fail);
    assert!(result.got.starts_with("accepted"), "{}", result.got);
    let evidence = result.evidence.as_ref().expect("evidence");
    assert!(
        evidence
            .request
            .contains("<saml2:Audience>https://qualified.io"),
        "{}",
        evidence.request
    );
    assert!(evidence.response.contains("303"), "{}", evidence.response);
    assert!(
        evidence.diagnosis.contains("DISAGREE"),
        "{}",
        evidence.diagnosis
    );
    assert_eq!(report.exit_code(), 1);
}

/// A database that already holds teams is refused before anything runs: the scenarios' fixed
/// slugs would collide half-way, or run against settings nobody chose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_already_holds_teams_is_refused_up_front() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("sp.db").display());
    let first = InProcess::start(Some(&url), NOW)
        .await
        .expect("empty: starts");
    let scenarios: Vec<Scenario> = conformance::catalogue::all().into_iter().take(1).collect();
    first.prepare(&scenarios).await.expect("teams");
    drop(first);
    let Err(error) = InProcess::start(Some(&url), NOW).await else {
        panic!("a database with teams was accepted");
    };
    assert_eq!(error.code(), "database_not_empty");
    assert!(error.to_string().contains("omit --database"), "{error}");
}
