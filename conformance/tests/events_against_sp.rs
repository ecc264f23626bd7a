//! A script whose step does not go as expected fails, naming the step. (The scripts themselves —
//! metadata events, SSO after SCIM, cross-team — pass as part of the whole catalogue in
//! `tests/catalogue.rs`, on SQLite and PostgreSQL.)

use conformance::inprocess::InProcess;
use conformance::result::{Outcome, RunReport};
use conformance::runner;
use conformance::scenario::{
    InvalidMetadata, MetadataSetup, Scenario, Script, Step, Stimulus, TeamSetup,
};
use mock_idp::metadata::Published;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

async fn run(database: Option<&str>, scenarios: &[Scenario]) -> RunReport {
    let sp = InProcess::start(database, NOW).await.expect("sp starts");
    sp.prepare(scenarios).await.expect("teams set up");
    runner::run(&sp, scenarios, None, NOW.to_string(), &mut |_| {}).await
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
