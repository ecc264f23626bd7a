//! Each judgement fails against a deliberately wrong server, at the step where Okta would
//! notice, with the code and the Okta consequence named; the same sequence passes against the
//! correct server (the positive control).

mod support;

use mock_okta::{Profile, Render, Report, RunConfig, Sequence, Sleeper};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::Fault;

fn config(base_url: &str, profile: Profile, sequences: &[Sequence]) -> RunConfig {
    let mut config = RunConfig::new(base_url, support::TOKEN);
    config.profile = profile;
    config.sequences = sequences.to_vec();
    config.tag = "t1".to_string();
    config
}

async fn run(fault: Option<Fault>, profile: Profile, sequences: &[Sequence]) -> Report {
    let server = support::start(fault).await;
    mock_okta::run(&config(&server.base_url, profile, sequences))
        .await
        .expect("run")
}

/// The sequences pass against the correct server, and against the faulty one fail exactly once,
/// at `step` with `code`, naming `consequence`.
async fn fails_only_with(
    fault: Fault,
    profile: Profile,
    sequences: &[Sequence],
    step: &str,
    code: &str,
    consequence: &str,
) -> Report {
    let control = run(None, profile, sequences).await;
    assert!(control.passed(), "{}", control.text(Render::AsIs));
    let report = run(Some(fault), profile, sequences).await;
    let failures: Vec<(&str, &str)> = report
        .failures()
        .map(|(_, s, f)| (s.name.as_str(), f.code))
        .collect();
    assert_eq!(failures, [(step, code)], "{}", report.text(Render::AsIs));
    let (_, failed_step, failure) = report.failures().next().expect("one failure");
    assert!(
        failure.okta_consequence.contains(consequence),
        "{}",
        failure.okta_consequence
    );
    // The failure shows the request that made it (a check over earlier pages has none).
    let text = report.text(Render::AsIs);
    if let Some(last) = failed_step.exchanges.last() {
        let request = format!("> {} {}", last.method.as_str(), last.path);
        assert!(text.contains(&request), "{text}");
    }
    report
}

#[tokio::test]
async fn items_per_page_equal_to_count_fails_the_import_page_that_is_not_full() {
    fails_only_with(
        Fault::ItemsPerPageIsCount,
        Profile::Okta,
        &[Sequence::Import],
        "import users: page startIndex=101",
        "items_per_page_mismatch",
        "import stops",
    )
    .await;
}

#[tokio::test]
async fn items_per_page_equal_to_count_fails_the_connection_test() {
    fails_only_with(
        Fault::ItemsPerPageIsCount,
        Profile::Okta,
        &[Sequence::Connect],
        "list users (startIndex=1, count=2)",
        "items_per_page_mismatch",
        "Error authenticating",
    )
    .await;
}

#[tokio::test]
async fn not_found_for_an_inactive_user_fails_the_read_after_deactivation() {
    let report = fails_only_with(
        Fault::InactiveNotFound,
        Profile::Okta,
        &[Sequence::Deactivate],
        "verify the deactivated user",
        "status_unexpected",
        "deactivated users must stay readable",
    )
    .await;
    insta::assert_snapshot!(report.text(Render::Normalised));
}

#[tokio::test]
async fn not_found_for_an_inactive_user_fails_entra_reactivation_too() {
    fails_only_with(
        Fault::InactiveNotFound,
        Profile::Entra,
        &[Sequence::Reactivate],
        "verify the deactivated user",
        "status_unexpected",
        "reactivation fails",
    )
    .await;
}

#[tokio::test]
async fn inactive_users_left_out_of_lists_fail_the_import_completeness_check() {
    let report = fails_only_with(
        Fault::InactiveUnlisted,
        Profile::Okta,
        &[Sequence::Import],
        "import users: every one exactly once",
        "import_member_missing",
        "unassigned",
    )
    .await;
    let (_, _, failure) = report.failures().next().expect("failure");
    assert!(failure.got.contains("the inactive one"), "{}", failure.got);
}

#[tokio::test]
async fn ok_instead_of_conflict_on_a_duplicate_fails_the_second_create() {
    let report = fails_only_with(
        Fault::DuplicateAccepted,
        Profile::Okta,
        &[Sequence::Duplicate],
        "create the same userName again",
        "status_unexpected",
        "second account",
    )
    .await;
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(failure.expected, "409");
    assert!(failure.got.starts_with("200 "), "{}", failure.got);
}

#[tokio::test]
async fn error_without_the_error_schema_fails() {
    fails_only_with(
        Fault::ErrorWithoutSchema,
        Profile::Okta,
        &[Sequence::Errors],
        "read an unknown id",
        "error_schema_missing",
        "missing user from an outage",
    )
    .await;
}

#[tokio::test]
async fn error_status_as_a_number_fails() {
    let report = fails_only_with(
        Fault::NumericErrorStatus,
        Profile::Okta,
        &[Sequence::Errors],
        "read an unknown id",
        "error_status_not_string",
        "missing user from an outage",
    )
    .await;
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(
        (failure.expected.as_str(), failure.got.as_str()),
        ("\"status\": \"404\" (a string)", "\"status\": 404")
    );
}

#[tokio::test]
async fn error_status_as_a_number_fails_okta_spec_check_4() {
    fails_only_with(
        Fault::NumericErrorStatus,
        Profile::Okta,
        &[Sequence::Push, Sequence::Spec],
        "check 4: read an unknown id",
        "error_status_not_string",
        "SPEC test fails",
    )
    .await;
}

#[tokio::test]
async fn case_sensitive_user_name_filter_fails_to_link_an_existing_user() {
    fails_only_with(
        Fault::CaseSensitiveUserName,
        Profile::Okta,
        &[Sequence::LinkExisting],
        "look up userName \"link-existing-1-okta-t1@example.com\"",
        "filter_result_wrong",
        "get 409",
    )
    .await;
}

#[tokio::test]
async fn case_sensitive_user_name_filter_fails_okta_spec_check_9() {
    fails_only_with(
        Fault::CaseSensitiveUserName,
        Profile::Entra,
        &[Sequence::Push, Sequence::Spec],
        "check 9: look up the userName in capitals",
        "filter_result_wrong",
        "SPEC test fails",
    )
    .await;
}

#[tokio::test]
async fn numeric_ids_fail_the_create() {
    fails_only_with(
        Fault::NumericIds,
        Profile::Okta,
        &[Sequence::Push],
        "create user \"push-1-okta-t1@example.com\"",
        "id_invalid",
        "Create new user returned empty user",
    )
    .await;
}

#[tokio::test]
async fn empty_create_body_is_okta_s_empty_user() {
    let report = fails_only_with(
        Fault::EmptyCreateBody,
        Profile::OktaAiw,
        &[Sequence::Push],
        "create user \"push-1-okta-aiw-t1@example.com\"",
        "body_not_json",
        "Create new user returned empty user",
    )
    .await;
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(failure.got, "(empty body)");
}

#[tokio::test]
async fn server_error_on_create_is_reported_as_such() {
    fails_only_with(
        Fault::CreateFails,
        Profile::Entra,
        &[Sequence::Push],
        "create user \"push-1-entra-t1@example.com\"",
        "server_error",
        "not provisioned",
    )
    .await;
}

#[tokio::test]
async fn path_less_replace_that_wipes_sibling_attributes_fails_the_read_back() {
    let report = fails_only_with(
        Fault::PatchWipesSiblings,
        Profile::Okta,
        &[Sequence::Update],
        "verify after PATCH",
        "attribute_mismatch",
        "out of sync",
    )
    .await;
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(failure.got, "\"name.familyName\": (absent)");
}

#[tokio::test]
async fn an_ignored_filtered_email_path_fails_entra_s_read_back() {
    let report = fails_only_with(
        Fault::FilteredPathIgnored,
        Profile::Entra,
        &[Sequence::Update],
        "verify after PATCH",
        "attribute_mismatch",
        "out of sync",
    )
    .await;
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(
        failure.expected,
        "\"emails[primary].value\": \"new.update-1-entra-t1@example.com\""
    );
}

#[tokio::test]
async fn refusing_entra_s_string_booleans_fails_its_deactivation() {
    let report = fails_only_with(
        Fault::StringBooleansRefused,
        Profile::Entra,
        &[Sequence::Deactivate],
        "deactivate",
        "status_unexpected",
        "keeps access",
    )
    .await;
    // Okta's profile sends a JSON boolean, which the same strict server takes.
    let okta = run(
        Some(Fault::StringBooleansRefused),
        Profile::Okta,
        &[Sequence::Deactivate],
    )
    .await;
    assert!(okta.passed(), "{}", okta.text(Render::AsIs));
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(failure.expected, "200 or 204");
}

/// Records the waits instead of sleeping.
#[derive(Default)]
struct RecordingSleeper(Mutex<Vec<Duration>>);

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.0.lock().expect("waits").push(duration);
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn too_many_requests_is_waited_out_for_retry_after_and_retried() {
    let server = support::start(Some(Fault::RateLimitedOnce)).await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut config = config(&server.base_url, Profile::Okta, &[Sequence::Push]);
    config.sleeper = sleeper.clone();
    let report = mock_okta::run(&config).await.expect("run");
    assert!(report.passed(), "{}", report.text(Render::AsIs));
    let wait = Duration::from_secs(support::RETRY_AFTER);
    assert_eq!(*sleeper.0.lock().expect("waits"), [wait, wait]);
    // The first GET and the first POST were each answered 429 once, then sent again.
    let statuses: Vec<Vec<Option<u16>>> = report
        .steps()
        .map(|(_, s)| s.exchanges.iter().map(|e| e.status).collect())
        .collect();
    assert_eq!(
        statuses,
        [
            vec![Some(429), Some(200)],
            vec![Some(429), Some(201)],
            vec![Some(200)]
        ]
    );
    let transcript = report.transcript(Render::AsIs);
    assert!(transcript.contains("< retry-after: 7\n"), "{transcript}");
}

#[tokio::test]
async fn no_answer_within_the_timeout_is_a_transport_failure_and_unreachable() {
    let server = support::start(Some(Fault::Slow(Duration::from_secs(3)))).await;
    let mut impatient = config(&server.base_url, Profile::Okta, &[Sequence::Connect]);
    impatient.timeout = Duration::from_millis(200);
    let report = mock_okta::run(&impatient).await.expect("run");
    let (_, _, failure) = report.failures().next().expect("failure");
    assert_eq!(failure.code, "transport_failed");
    assert_eq!(failure.got, "no answer within 200 ms");
    assert!(report.unreachable());

    // Positive control: the same slow server within a longer timeout passes.
    let server = support::start(Some(Fault::Slow(Duration::from_millis(50)))).await;
    let mut control = config(&server.base_url, Profile::Okta, &[Sequence::Connect]);
    control.timeout = Duration::from_secs(5);
    let report = mock_okta::run(&control).await.expect("run");
    assert!(report.passed(), "{}", report.text(Render::AsIs));
    assert!(!report.unreachable());
}

#[tokio::test]
async fn too_many_requests_on_every_attempt_fails_with_rate_limited() {
    let server = support::start(Some(Fault::RateLimitedAlways)).await;
    let sleeper = Arc::new(RecordingSleeper::default());
    let mut config = config(&server.base_url, Profile::Okta, &[Sequence::Connect]);
    config.sleeper = sleeper.clone();
    let report = mock_okta::run(&config).await.expect("run");
    let (_, step, failure) = report.failures().next().expect("failure");
    assert_eq!(failure.code, "rate_limited");
    assert_eq!(step.exchanges.len(), mock_okta::http::MAX_ATTEMPTS);
    // Waited between attempts, not after the last.
    let wait = Duration::from_secs(support::RETRY_AFTER);
    assert_eq!(
        *sleeper.0.lock().expect("waits"),
        vec![wait; mock_okta::http::MAX_ATTEMPTS - 1]
    );
}

#[test]
fn retry_after_beyond_the_cap_or_not_in_seconds_is_refused() {
    use mock_okta::http::retry_wait;
    assert_eq!(retry_wait(Some("7")), Ok(Duration::from_secs(7)));
    assert_eq!(retry_wait(None), Ok(mock_okta::http::DEFAULT_RETRY_AFTER));
    for bad in ["3600", "Wed, 21 Oct 2026 07:28:00 GMT", "-1"] {
        assert_eq!(
            retry_wait(Some(bad)).unwrap_err().code,
            "rate_limited",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_token_the_server_echoes_is_masked_in_the_transcript() {
    let report = run(
        Some(Fault::EchoesAuthorization),
        Profile::Okta,
        &[Sequence::Errors],
    )
    .await;
    assert!(report.passed(), "{}", report.text(Render::AsIs));
    let transcript = report.transcript(Render::AsIs);
    assert!(
        transcript.contains(r#"Authorization was \"Bearer ****\""#),
        "{transcript}"
    );
    assert!(!transcript.contains(support::TOKEN));
    assert!(!report.json().contains(support::TOKEN));

    // A failure quotes the body: still masked there. Under a wrong base path every answer is
    // a 404 that echoes the header, so the malformed-filter step fails quoting it.
    let server = support::start(Some(Fault::EchoesAuthorization)).await;
    let wrong_path = format!("{}/nowhere", server.base_url);
    let failing = mock_okta::run(&config(&wrong_path, Profile::Okta, &[Sequence::Errors]))
        .await
        .expect("run");
    let (_, _, failure) = failing.failures().next().expect("failure");
    assert!(failure.got.contains("Bearer ****"), "{}", failure.got);
    for text in [failing.json(), failing.junit(), failing.text(Render::AsIs)] {
        assert!(!text.contains(support::TOKEN));
    }
}

#[tokio::test]
async fn an_oversized_body_is_cut_at_the_cap_and_judged() {
    let report = run(
        Some(Fault::HugeNotFound),
        Profile::Okta,
        &[Sequence::Errors],
    )
    .await;
    let (_, step, failure) = report.failures().next().expect("failure");
    assert_eq!(
        (step.name.as_str(), failure.code),
        ("read an unknown id", "body_not_json")
    );
    let body = &step.exchanges[0].response_body;
    assert_eq!(body.len(), mock_okta::http::MAX_BODY);
}
