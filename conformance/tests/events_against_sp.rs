//! The metadata events, SSO-after-SCIM, cross-team and Reply-URL scenarios of the catalogue
//! against the in-process `sp`, on SQLite and, when `DATABASE_URL` names one, on PostgreSQL;
//! and a script whose step does not go as expected fails, naming the step.

use conformance::inprocess::InProcess;
use conformance::result::{Outcome, RunReport};
use conformance::runner::{self, Filter};
use conformance::scenario::{
    InvalidMetadata, MetadataSetup, Scenario, Script, Step, Stimulus, TeamSetup,
};
use futures_util::FutureExt;
use mock_idp::metadata::Published;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);
const AREAS: &str = "saml.metadata,saml.scim-sso,saml.cross-team,saml.reply-url";

async fn run(database: Option<&str>, scenarios: &[Scenario]) -> RunReport {
    let sp = InProcess::start(database, NOW).await.expect("sp starts");
    sp.prepare(scenarios).await.expect("teams set up");
    runner::run(&sp, scenarios, None, NOW.to_string(), &mut |_| {}).await
}

fn failures(report: &RunReport) -> String {
    report
        .scenarios
        .iter()
        .filter(|s| s.outcome != Outcome::Pass)
        .map(|s| {
            format!(
                "{} {}: {}\n{:?}",
                s.outcome.as_str(),
                s.id,
                s.got,
                s.evidence
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

async fn every_event_scenario_passes(database: Option<&str>) {
    let filter = Filter::parse(AREAS);
    let scenarios: Vec<Scenario> = conformance::catalogue::all()
        .into_iter()
        .filter(|s| filter.selects(&s.id))
        .collect();
    for area in AREAS.split(',') {
        assert!(
            scenarios.iter().any(|s| s.area() == area),
            "no scenario in {area}"
        );
    }
    let report = run(database, &scenarios).await;
    assert_eq!(report.summary.total, scenarios.len());
    assert_eq!(
        report.summary.passed,
        report.summary.total,
        "{}",
        failures(&report)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_scenario_passes_against_sp_on_sqlite() {
    every_event_scenario_passes(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_scenario_passes_against_sp_on_postgres() {
    let Ok(base) = std::env::var("DATABASE_URL") else {
        let ci = std::env::var("CI").unwrap_or_default();
        assert!(
            ci.is_empty() || ci == "false" || ci == "0",
            "CI is set but DATABASE_URL is not: the PostgreSQL half must run in CI"
        );
        eprintln!("notice: DATABASE_URL is not set; the PostgreSQL half is skipped");
        return;
    };
    // A schema of its own (the catalogue's slugs are fixed), dropped afterwards.
    let schema = format!("ssolab_events_{}", sp::model::Id::random());
    let admin_pool = sqlx::PgPool::connect(&base).await.expect("DATABASE_URL");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin_pool)
        .await
        .expect("create schema");
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.query_pairs_mut()
        .append_pair("options[search_path]", &schema);
    // Not spawned (the runner's stream is not `Send` across every lifetime): a panic is caught
    // here instead, so that the schema is dropped either way.
    let outcome = std::panic::AssertUnwindSafe(every_event_scenario_passes(Some(url.as_str())))
        .catch_unwind()
        .await;
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin_pool)
        .await
        .expect("drop schema");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

fn script(name: &str, steps: Vec<Step>) -> Scenario {
    let slug = format!("wrong-{name}");
    Scenario {
        id: format!("test.wrong.{name}"),
        title: name.to_owned(),
        source: "this test".to_owned(),
        stimulus: Stimulus::Script(Script {
            team: TeamSetup {
                metadata: MetadataSetup::Dynamic(Published::Current),
                ..TeamSetup::static_metadata(
                    &slug,
                    &format!("https://idp.mock.example/{slug}"),
                    Published::Current,
                )
            },
            others: Vec::new(),
            steps,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_does_not_go_as_expected_fails_its_script_and_is_named() {
    let scenarios = vec![
        // The metadata URL is up: the refresh succeeds, not fails.
        script(
            "refresh",
            vec![
                Step::Advance(time::Duration::hours(7)),
                Step::Refresh {
                    fails_with: Some("status"),
                },
            ],
        ),
        // Not due yet: a pass that fetched nothing is not a refresh.
        script("not-due", vec![Step::Refresh { fails_with: None }]),
        // Refused, but for what it is, not for the code the script names.
        script(
            "code",
            vec![Step::ConfigureInvalidMetadata {
                metadata: InvalidMetadata::OtherEntityId,
                code: "no_signing_certificate",
            }],
        ),
    ];
    let report = run(None, &scenarios).await;
    let got: Vec<(Outcome, &str)> = report
        .scenarios
        .iter()
        .map(|s| (s.outcome, s.got.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Outcome::Fail,
                "step 2: the SP's refresh of the team's metadata fails with status: refreshed"
            ),
            (
                Outcome::Fail,
                "step 1: the SP refreshes the team's metadata: not due, not fetched"
            ),
            (
                Outcome::Fail,
                "step 1: configuring another IdP's metadata (entityID is not the issuer) is refused with no_signing_certificate: refused: entity_id_mismatch"
            ),
        ]
    );
}
