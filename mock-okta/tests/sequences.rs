//! Every sequence and profile passes against a correct SCIM server over real HTTP, and what
//! was sent is what Okta sends (headers, encoding, bodies), checked on the transcript.

mod support;

use mock_okta::{AuthMode, Profile, Render, RunConfig, Sequence};

fn config(base_url: &str, profile: Profile) -> RunConfig {
    let mut config = RunConfig::new(base_url, support::TOKEN);
    config.profile = profile;
    config.tag = "t1".to_string();
    config
}

/// One server for the three profiles in turn, as the conformance test runs them against `sp`:
/// each profile's names are its own, so the runs do not meet.
#[tokio::test]
async fn every_sequence_passes_for_every_profile_against_a_correct_server() {
    let server = support::start(None).await;
    for profile in Profile::ALL {
        let report = mock_okta::run(&config(&server.base_url, profile))
            .await
            .expect("run");
        assert!(report.passed(), "{}", report.text(Render::AsIs));
        let ran: Vec<&str> = report.sequences.iter().map(|s| s.sequence).collect();
        let all: Vec<&str> = Sequence::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(ran, all);
        let (passed, failed) = report.counts();
        assert_eq!(failed, 0);
        assert!(passed > 60, "{passed} steps for {}", profile.name());
    }
}

#[tokio::test]
async fn each_sequence_passes_alone_on_a_fresh_server_except_spec_which_needs_a_user() {
    for sequence in Sequence::ALL {
        let server = support::start(None).await;
        let mut config = config(&server.base_url, Profile::Okta);
        config.sequences = vec![sequence];
        let report = mock_okta::run(&config).await.expect("run");
        if sequence == Sequence::Spec {
            let codes: Vec<&str> = report.failures().map(|(_, _, f)| f.code).collect();
            assert_eq!(codes, ["list_empty"], "{}", report.text(Render::AsIs));
        } else {
            assert!(report.passed(), "{}", report.text(Render::AsIs));
        }
    }
}

#[tokio::test]
async fn raw_token_header_mode_passes_and_sends_the_token_alone() {
    let server = support::start(None).await;
    let mut config = config(&server.base_url, Profile::Okta);
    config.auth_mode = AuthMode::Header;
    config.sequences = vec![Sequence::Connect];
    let report = mock_okta::run(&config).await.expect("run");
    assert!(report.passed(), "{}", report.text(Render::AsIs));
    let transcript = report.transcript(Render::AsIs);
    assert!(
        transcript.contains("> Authorization: ****\n"),
        "{transcript}"
    );
    assert!(!transcript.contains(support::TOKEN));
}

#[tokio::test]
async fn a_wrong_token_fails_the_first_step_with_the_status_named() {
    let server = support::start(None).await;
    let mut config = config(&server.base_url, Profile::Okta);
    config.token = "not-the-token".to_string();
    config.sequences = vec![Sequence::Connect, Sequence::Push];
    let report = mock_okta::run(&config).await.expect("run");
    let failed: Vec<(&str, &str)> = report.failures().map(|(seq, _, f)| (seq, f.code)).collect();
    assert_eq!(
        failed,
        [
            ("connect", "status_unexpected"),
            ("push", "status_unexpected")
        ]
    );
    // Each sequence stopped at its first step.
    assert!(report.sequences.iter().all(|s| s.steps.len() == 1));
    assert!(!report.unreachable());
}

/// The transcripts of one push and one deactivation per profile, ids and times normalised:
/// the exact requests each client sends.
#[tokio::test]
async fn push_and_deactivate_transcripts_per_profile() {
    for profile in Profile::ALL {
        let server = support::start(None).await;
        let mut config = config(&server.base_url, profile);
        config.sequences = vec![Sequence::Deactivate];
        let report = mock_okta::run(&config).await.expect("run");
        assert!(report.passed(), "{}", report.text(Render::AsIs));
        let transcript = report.transcript(Render::Normalised);
        insta::assert_snapshot!(format!("deactivate_{}", profile.name()), transcript);
    }
}

#[tokio::test]
async fn group_push_transcripts_per_profile() {
    for profile in [Profile::Okta, Profile::Entra] {
        let server = support::start(None).await;
        let mut config = config(&server.base_url, profile);
        config.sequences = vec![Sequence::Groups];
        let report = mock_okta::run(&config).await.expect("run");
        assert!(report.passed(), "{}", report.text(Render::AsIs));
        insta::assert_snapshot!(
            format!("groups_{}", profile.name()),
            report.transcript(Render::Normalised)
        );
    }
}

#[tokio::test]
async fn okta_headers_are_sent_on_every_request() {
    let server = support::start(None).await;
    let mut config = config(&server.base_url, Profile::Okta);
    config.sequences = vec![Sequence::Update];
    let report = mock_okta::run(&config).await.expect("run");
    assert!(report.passed(), "{}", report.text(Render::AsIs));
    for (_, step) in report.steps() {
        for exchange in &step.exchanges {
            let headers = &exchange.request_headers;
            assert_eq!(
                headers[0],
                ("User-Agent".into(), "Okta SCIM Client 1.0.0".into())
            );
            assert_eq!(headers[1], ("Authorization".into(), "Bearer ****".into()));
            let content_type = headers.iter().find(|(n, _)| n == "Content-Type");
            match exchange.request_body {
                Some(_) => assert_eq!(
                    content_type.map(|(_, v)| v.as_str()),
                    Some("application/scim+json; charset=utf-8")
                ),
                None => assert_eq!(content_type, None),
            }
        }
    }
}

#[tokio::test]
async fn import_reads_every_page_of_101_users_and_the_page_past_the_end() {
    let server = support::start(None).await;
    let mut config = config(&server.base_url, Profile::Okta);
    config.sequences = vec![Sequence::Import];
    let report = mock_okta::run(&config).await.expect("run");
    assert!(report.passed(), "{}", report.text(Render::AsIs));
    let paths: Vec<&str> = report
        .steps()
        .filter(|(_, s)| s.name.starts_with("import "))
        .flat_map(|(_, s)| s.exchanges.iter().map(|e| e.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            "/Users?startIndex=1&count=100",
            "/Users?startIndex=101&count=100",
            "/Users?startIndex=102&count=100",
            "/Groups?startIndex=1&count=100",
            "/Groups?startIndex=2&count=100",
        ]
    );
}

/// What each profile sends to change a first name: Okta GET then PUT, then a path-less PATCH;
/// AIW PUT only; Entra PATCH with dotted and URN keys and a filtered email path.
#[tokio::test]
async fn update_requests_per_profile() {
    for profile in Profile::ALL {
        let server = support::start(None).await;
        let mut config = config(&server.base_url, profile);
        config.sequences = vec![Sequence::Update];
        let report = mock_okta::run(&config).await.expect("run");
        assert!(report.passed(), "{}", report.text(Render::AsIs));
        let sent: Vec<String> = report
            .steps()
            .flat_map(|(_, s)| s.exchanges.iter())
            .filter(|e| e.method != mock_okta::http::Method::Get)
            .map(|e| {
                let body = e.request_body.as_deref().unwrap_or("");
                format!("{} {}\n{body}", e.method.as_str(), e.path)
            })
            .collect();
        insta::assert_snapshot!(
            format!("update_requests_{}", profile.name()),
            report.normalise(&sent.join("\n\n"))
        );
    }
}
