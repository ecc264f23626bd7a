//! The `mock-okta` binary as a partner runs it: exit 0 when every step passes, 1 when one
//! fails, 2 when the run cannot happen; progress per step; JUnit a JUnit consumer accepts.

mod support;

use std::path::Path;
use std::process::{Command, Output};

async fn mock_okta(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_mock-okta"))
            .args(&args)
            .env_remove("MOCK_OKTA_TOKEN")
            .output()
            .expect("run mock-okta")
    })
    .await
    .expect("join")
}

fn args(base_url: &str, rest: &[&str]) -> Vec<String> {
    let mut args = vec![
        "run",
        "--base-url",
        base_url,
        "--token",
        support::TOKEN,
        "--tag",
        "c1",
    ];
    args.extend_from_slice(rest);
    args.into_iter().map(str::to_string).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// Well-formed per xmllint when it is installed, and per a Rust XML parser always; returns the
/// testcases' names.
fn junit_testcases(path: &Path) -> Vec<String> {
    if let Ok(output) = Command::new("xmllint").arg("--noout").arg(path).output() {
        assert!(output.status.success(), "xmllint: {}", text(&output.stderr));
    }
    let xml = std::fs::read_to_string(path).expect("read junit");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit XML");
    assert_eq!(doc.root_element().tag_name().name(), "testsuites");
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn all_sequences_pass_with_exit_0_and_one_junit_testcase_per_step() {
    let server = support::start(None).await;
    let dir = std::env::temp_dir().join(format!("mock-okta-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let junit = dir.join("okta.xml");
    let transcript = dir.join("transcript.txt");
    let out = mock_okta(args(
        &server.base_url,
        &[
            "--sequence",
            "all",
            "--format",
            "junit",
            "--out",
            junit.to_str().expect("path"),
            "--transcript",
            transcript.to_str().expect("path"),
        ],
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("[okta] "))
        .collect();
    assert!(progress.iter().all(|l| l.contains(" ok    ")), "{stderr}");
    let testcases = junit_testcases(&junit);
    assert_eq!(testcases.len(), progress.len());
    assert!(
        testcases
            .iter()
            .any(|t| t == "12 check 12: read another unknown id"),
        "{testcases:?}"
    );
    let transcript = std::fs::read_to_string(&transcript).expect("transcript");
    assert!(transcript.contains("> Authorization: Bearer ****"));
    assert!(!transcript.contains(support::TOKEN));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[tokio::test]
async fn a_failed_step_exits_1_and_its_junit_failure_names_the_code() {
    let server = support::start(Some(support::Fault::DuplicateAccepted)).await;
    let junit = std::env::temp_dir().join(format!("mock-okta-fail-{}.xml", std::process::id()));
    let out = mock_okta(args(
        &server.base_url,
        &[
            "--profile",
            "entra",
            "--sequence",
            "push,duplicate",
            "--format",
            "junit",
            "--out",
            junit.to_str().expect("path"),
        ],
    ))
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "[entra] duplicate     FAIL  create the same userName again [status_unexpected]"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("5 passed, 1 failed"), "{stderr}");
    assert_eq!(junit_testcases(&junit).len(), 6);
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("<failure type=\"status_unexpected\" message=\"expected 409, got 200 "));
    std::fs::remove_file(&junit).expect("cleanup");
}

#[tokio::test]
async fn text_report_shows_the_failure_with_request_response_and_okta_consequence() {
    let server = support::start(Some(support::Fault::NumericIds)).await;
    let out = mock_okta(args(&server.base_url, &["--sequence", "push"])).await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for expected in [
        "FAIL  create user \"push-1-okta-c1@example.com\" [id_invalid]",
        "expected: \"id\" as a non-empty string",
        "got:      \"id\": 1",
        "in Okta:  Okta will show \"Create new user returned empty user\"",
        "> POST /Users",
        "< 201",
        "1 passed, 1 failed",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from\n{stdout}"
        );
    }
}

#[tokio::test]
async fn json_report_parses_and_lists_every_step() {
    let server = support::start(None).await;
    let out = mock_okta(args(
        &server.base_url,
        &["--sequence", "connect", "--format", "json"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let steps = report["sequences"][0]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[0]["exchanges"][0]["path"],
        "/Users?startIndex=1&count=2"
    );
    assert_eq!(steps[0]["failure"], serde_json::Value::Null);
}

#[tokio::test]
async fn an_unreachable_server_exits_2() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/scim/v2");
    let out = mock_okta(args(&url, &["--sequence", "connect"])).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no request got an HTTP answer"), "{stderr}");
}

#[tokio::test]
async fn bad_arguments_exit_2_and_name_the_choices() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--profile", "onelogin"],
            "choose one of okta, okta-aiw, entra",
        ),
        (&["--sequence", "push,nope"], "unknown sequence \"nope\""),
        (&["--auth", "basic"], "choose bearer or header"),
    ];
    for (extra, message) in cases {
        let out = mock_okta(args("http://127.0.0.1:9/scim/v2", extra)).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(message), "{extra:?}: {stderr}");
    }
    let run = |url: &str, tag: &str| {
        let args = ["run", "--base-url", url, "--token", "t", "--tag", tag];
        mock_okta(args.iter().map(|a| a.to_string()).collect())
    };
    for (out, code) in [
        (
            run("ftp://example.com/scim", "c1").await,
            "[base_url_invalid]",
        ),
        (
            run("http://127.0.0.1:9/scim/v2", "has space").await,
            "[tag_invalid]",
        ),
    ] {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(code), "{stderr}");
    }
}

#[tokio::test]
async fn sequences_lists_every_sequence() {
    let out = mock_okta(vec!["sequences".into()]).await;
    assert_eq!(out.status.code(), Some(0));
    let names: Vec<String> = text(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let all: Vec<&str> = mock_okta::Sequence::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(names, all);
}
