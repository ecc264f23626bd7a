//! `conformance saml` and `conformance scim` against `sp` as a partner would run them: the
//! `conformance` binary, given only URLs, a token and the settings it printed, against an `sp`
//! served by its own web stack on 127.0.0.1 (the SP is configured the way a partner configures
//! theirs: one IdP from `conformance saml metadata`, one SCIM token).

use sp::admin::{self, SsoForm};
use sp::clock::SystemClock;
use sp::config::SpConfig;
use sp::model::{MemberKey, MetadataSource, Plan, Provisioning};
use sp::store::Store;
use sp::web::{self, AppState};
use std::process::{Command, Output};
use std::sync::Arc;
use time::OffsetDateTime;

const ENTITY_ID: &str = "https://qualified.io";

/// A running SP with team `acme`: SCIM on (its token), SSO trusting whatever
/// `conformance saml metadata` prints, IdP-initiated logins and JIT on.
struct RunningSp {
    acs: String,
    scim: String,
    token: String,
    _dir: tempfile::TempDir,
}

async fn running_sp() -> RunningSp {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("sp.db").display()))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let now = OffsetDateTime::now_utc();
    let (_, token) = admin::create_team(&store, "acme", Plan::Custom, true, true, now)
        .await
        .expect("team");
    let printed = conformance(&["saml", "metadata"]).await;
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    let metadata = text(&printed.stdout);
    let issuer = metadata
        .split("entityID=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the metadata names its entity ID")
        .to_owned();
    let settings = text(&printed.stderr);
    assert!(
        settings.contains(&issuer),
        "the settings name the issuer:\n{settings}"
    );
    let fetcher =
        sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher");
    let form = SsoForm {
        issuer,
        metadata: MetadataSource::Static(metadata),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    };
    admin::set_sso(&store, &fetcher, "acme", form, now)
        .await
        .expect("the printed metadata configures the team");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let mut config = SpConfig::qualified();
    config.base_url = base.clone();
    config.entity_id = ENTITY_ID.to_owned();
    let acs = config.acs_url();
    let mut state = AppState::new(store, config, Arc::new(SystemClock), fetcher);
    state.secure_cookies = false;
    tokio::spawn(web::serve(listener, state, std::future::pending()));
    RunningSp {
        acs,
        scim: format!("{base}/scim/v2"),
        token: token.expect("a team with API access gets a token"),
        _dir: dir,
    }
}

/// Runs the `conformance` binary off the async workers (the SP answers on them meanwhile).
async fn conformance(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(&args)
            .env_remove("SSOLAB_SCIM_TOKEN")
            .output()
            .expect("conformance runs")
    })
    .await
    .expect("the command's thread")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// The lines of stderr that start with `error:`.
fn error_lines(output: &Output) -> Vec<String> {
    text(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .map(str::to_owned)
        .collect()
}

/// The JSON report's `summary`.
fn summary(output: &Output) -> serde_json::Value {
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(output)));
    report["summary"].clone()
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_against_a_running_sp_passes_every_sequence_of_every_profile() {
    let sp = running_sp().await;
    let output = conformance(&[
        "scim",
        "--base-url",
        &sp.scim,
        "--token",
        &sp.token,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let summary = summary(&output);
    let total = summary["total"].as_u64().expect("total");
    assert_eq!(summary["passed"].as_u64(), Some(total), "{}", show(&output));
    let scim_scenarios = conformance::catalogue::all()
        .iter()
        .filter(|s| s.id.starts_with("scim."))
        .count();
    assert_eq!(total as usize, scim_scenarios);
    // A SCIM server is offered the SCIM scenarios only: nothing is reported as not run.
    assert!(
        !text(&output.stderr).contains("not run"),
        "{}",
        show(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_with_a_wrong_token_exits_2_with_one_line_naming_the_token() {
    let sp = running_sp().await;
    let output = conformance(&[
        "scim",
        "--base-url",
        &sp.scim,
        "--token",
        "not-the-token",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", show(&output));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{}", show(&output));
    assert!(
        errors[0].starts_with("error: token_rejected: GET ")
            && errors[0].contains("answered 401")
            && errors[0].contains("--token"),
        "{}",
        errors[0]
    );
    assert!(!text(&output.stderr).contains("not-the-token"));
    // The report of what ran: nothing.
    assert_eq!(summary(&output)["total"].as_u64(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim_at_an_unreachable_port_exits_2_with_one_line() {
    let base = format!("http://127.0.0.1:{}/scim/v2", closed_port());
    let output = conformance(&["scim", "--base-url", &base, "--token", "t"]).await;
    assert_eq!(output.status.code(), Some(2), "{}", show(&output));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{}", show(&output));
    assert!(
        errors[0].starts_with(&format!("error: scim_unreachable: GET {base}/Users")),
        "{}",
        errors[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saml_against_sp_configured_with_the_printed_metadata_passes_and_runs_again() {
    let sp = running_sp().await;
    let output = conformance(&[
        "saml",
        "--acs",
        &sp.acs,
        "--entity-id",
        ENTITY_ID,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", show(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let ids: Vec<&str> = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    // The acme team's attacks and the other IdPs' shapes, re-issued, ran.
    for id in ["saml.xsw.xsw1", "saml.protocol.replay", "saml.preset.entra"] {
        assert!(ids.contains(&id), "{id} ran: {ids:?}");
    }
    // A partner is judged by a login or a refusal, and the report says so.
    let expected = |id: &str| {
        report["scenarios"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == id))
            .and_then(|s| s["expected"].as_str())
            .map(str::to_owned)
    };
    assert_eq!(
        expected("saml.protocol.replay").as_deref(),
        Some("logged in, then refused (ssolab's sp: replayed_assertion)")
    );
    assert_eq!(expected("saml.preset.entra").as_deref(), Some("logged in"));
    // What a partner's SP cannot be given is counted by reason in the report, not failed.
    let not_run = report["summary"]["not_run"].as_array().expect("not_run");
    assert!(
        not_run.iter().any(|n| n["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("scripts"))
            && n["count"].as_u64() > Some(0)),
        "{}",
        show(&output)
    );
    // A partner's SP keeps its replay cache between runs: a second run uses fresh IDs.
    let again = conformance(&[
        "saml",
        "--acs",
        &sp.acs,
        "--entity-id",
        ENTITY_ID,
        "--filter",
        "saml.preset.okta",
    ])
    .await;
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saml_with_a_login_rule_that_never_matches_exits_1() {
    let sp = running_sp().await;
    let run = |rule: &'static str| {
        let acs = sp.acs.clone();
        async move {
            conformance(&[
                "saml",
                "--acs",
                &acs,
                "--entity-id",
                ENTITY_ID,
                "--filter",
                "saml.preset.okta,saml.audience",
                "--logged-in",
                rule,
                "--format",
                "json",
            ])
            .await
        }
    };
    // Positive control: sp's own login (a 303 setting its session cookie) meets the rule.
    let matching = run("cookie=ssolab_session").await;
    assert_eq!(matching.status.code(), Some(0), "{}", show(&matching));
    let never = run("body-contains=a page sp never shows").await;
    assert_eq!(never.status.code(), Some(1), "{}", show(&never));
    let summary = summary(&never);
    // The logins fail; the refusals still pass.
    assert!(summary["failed"].as_u64() > Some(0), "{}", show(&never));
    assert!(summary["passed"].as_u64() > Some(0), "{}", show(&never));
    assert!(error_lines(&never).is_empty(), "{}", show(&never));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saml_with_a_bad_login_rule_or_an_unreachable_acs_exits_2_with_one_line() {
    let acs = format!("http://127.0.0.1:{}/api/saml/consume", closed_port());
    let bad_rule = conformance(&[
        "saml",
        "--acs",
        &acs,
        "--entity-id",
        ENTITY_ID,
        "--logged-in",
        "stauts=303",
    ])
    .await;
    assert_eq!(bad_rule.status.code(), Some(2), "{}", show(&bad_rule));
    assert_eq!(
        text(&bad_rule.stderr),
        "error: login_rule_unknown: --logged-in \"stauts=303\": unknown condition \"stauts\"; use status, cookie, redirect-to or body-contains\n"
    );
    let unreachable = conformance(&["saml", "--acs", &acs, "--entity-id", ENTITY_ID]).await;
    assert_eq!(unreachable.status.code(), Some(2), "{}", show(&unreachable));
    let errors = error_lines(&unreachable);
    assert_eq!(errors.len(), 1, "{}", show(&unreachable));
    assert!(
        errors[0].starts_with(&format!(
            "error: acs_unreachable: the ACS {acs} could not be reached"
        )),
        "{}",
        errors[0]
    );
}
