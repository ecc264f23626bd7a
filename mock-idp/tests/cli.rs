//! The `mock-idp` binary as a user runs it: reproducible output, the listings, errors that list
//! the choices (exit 2), and `post` following redirects the way a browser does, checked on what
//! a tiny local server actually received.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use mock_idp::faults::FAULTS;
use mock_idp::presets::PRESETS;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const NOW: &str = "2026-11-28T12:00:00Z";

fn mock_idp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mock-idp"))
        .args(args)
        .output()
        .expect("run mock-idp")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

#[test]
fn response_with_now_is_byte_for_byte_reproducible() {
    let args = ["response", "--now", NOW, "--xml"];
    let first = mock_idp(&args);
    let second = mock_idp(&args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(!first.stdout.is_empty());
    assert_eq!(first.stdout, second.stdout);
    let xml = stdout(&first);
    assert!(xml.contains("IssueInstant=\"2026-11-28T12:00:00Z\""));
    assert!(xml.contains("<ds:SignatureValue>"));

    // The default output is the base64 form value of the same bytes.
    let b64 = mock_idp(&["response", "--now", NOW]);
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(stdout(&b64).trim())
        .expect("base64");
    assert_eq!(
        format!("{}\n", String::from_utf8(decoded).expect("UTF-8")),
        xml
    );
}

#[test]
fn knobs_land_in_the_response() {
    let output = mock_idp(&[
        "response",
        "--now",
        NOW,
        "--xml",
        "--preset",
        "entra",
        "--acs",
        "http://127.0.0.1:8080/api/saml/consume",
        "--audience",
        "urn:a",
        "--audience",
        "urn:b",
        "--email",
        "dave@example.com",
        "--attribute",
        "department=R&D",
        "--in-response-to",
        "_req-9",
        "--response-id",
        "_r9",
        "--assertion-id",
        "_a9",
        "--sign",
        "both",
        "--key-type",
        "ec",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let xml = stdout(&output);
    for expected in [
        "Destination=\"http://127.0.0.1:8080/api/saml/consume\"",
        "Recipient=\"http://127.0.0.1:8080/api/saml/consume\"",
        "<saml:Audience>urn:a</saml:Audience><saml:Audience>urn:b</saml:Audience>",
        "dave@example.com",
        "R&amp;D",
        "InResponseTo=\"_req-9\"",
        "ID=\"_r9\"",
        "ID=\"_a9\"",
        "ecdsa-sha256",
    ] {
        assert!(xml.contains(expected), "{expected} missing from {xml}");
    }
    assert!(!xml.contains("alice@example.com"));
}

#[test]
fn faults_lists_every_fault_aligned() {
    let output = mock_idp(&["faults"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        FAULTS.len() + 1,
        "a header and one line per fault"
    );
    let summary_column = lines[0].find("SUMMARY").expect("header");
    let expected_column = lines[0].find("A CORRECT SP ANSWERS").expect("header");
    for fault in FAULTS {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{} ", fault.name)))
            .unwrap_or_else(|| panic!("{} missing", fault.name));
        let chars: Vec<char> = line.chars().collect();
        let at = |column: usize| chars[column..].iter().collect::<String>();
        assert!(at(summary_column).starts_with(fault.summary), "{line}");
        assert!(at(expected_column).starts_with(fault.expected), "{line}");
    }
}

#[test]
fn presets_lists_every_preset() {
    let output = mock_idp(&["presets"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for preset in PRESETS {
        for part in [preset.name, preset.issuer, preset.summary, preset.source] {
            assert!(text.contains(part), "{part} missing");
        }
    }
}

#[test]
fn unknown_names_exit_2_and_list_the_choices() {
    let output = mock_idp(&["response", "--preset", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("unknown preset \"nope\""), "{err}");
    for preset in PRESETS {
        assert!(
            err.contains(preset.name),
            "{} missing from {err}",
            preset.name
        );
    }

    let output = mock_idp(&["post", "--to", "http://127.0.0.1:9/", "--fault", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    for fault in FAULTS {
        assert!(
            err.contains(fault.name),
            "{} missing from {err}",
            fault.name
        );
    }

    let output = mock_idp(&["response", "--signature-algorithm", "md5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("rsa-sha256, rsa-sha384"));

    let output = mock_idp(&["response", "--acs", "www.qualified.io/api/saml/consume"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("malformed URL"));

    let output = mock_idp(&["metadata", "--publish", "all"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("current, both, next"));

    // An algorithm that does not fit the key.
    let output = mock_idp(&[
        "response",
        "--key-type",
        "ec",
        "--signature-algorithm",
        "rsa-sha256",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--key-type rsa"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn metadata_publishes_the_chosen_keys() {
    let one = stdout(&mock_idp(&["metadata", "--preset", "entra"]));
    assert_eq!(one.matches("<ds:X509Certificate>").count(), 1);
    assert!(one.contains("entityID=\"https://sts.windows.net/"));
    assert!(one.contains("Location=\"http://127.0.0.1:8081/sso\""));
    let both = stdout(&mock_idp(&[
        "metadata",
        "--publish",
        "both",
        "--sso-url",
        "https://idp.example/sso",
    ]));
    assert_eq!(both.matches("<ds:X509Certificate>").count(), 2);
    assert!(both.contains("Location=\"https://idp.example/sso\""));
}

#[test]
fn help_is_complete() {
    for (command, needles) in [
        (
            "serve",
            &[
                "--listen",
                "--preset",
                "--base-url",
                "--acs",
                "--sp-entity-id",
                "--now",
                "/control/rotate",
            ][..],
        ),
        (
            "metadata",
            &["--preset", "--sso-url", "--publish", "--key-type"][..],
        ),
        (
            "response",
            &[
                "--fault",
                "--acs",
                "--reply-url",
                "--destination",
                "--recipient",
                "--audience",
                "--no-audience",
                "--issuer",
                "--name-id",
                "--name-id-format",
                "--email",
                "--first-name",
                "--last-name",
                "--attribute",
                "--sign",
                "--key",
                "--key-type",
                "--signature-algorithm",
                "--digest",
                "--no-keyinfo-cert",
                "--encrypt",
                "--in-response-to",
                "--clock-offset",
                "--lifetime",
                "--response-id",
                "--assertion-id",
                "--relay-state",
                "--now",
                "--xml",
            ][..],
        ),
        ("post", &["--to", "--fault", "--preset"][..]),
    ] {
        let output = mock_idp(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        let help = stdout(&output);
        for needle in needles {
            assert!(help.contains(needle), "{command} --help lacks {needle}");
        }
    }
}

/// What the tiny server received: method, path and query, body.
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

async fn record(State(log): State<Log>, method: Method, uri: Uri, body: Bytes) -> Response {
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    log.lock().expect("log").push((
        method.to_string(),
        target,
        String::from_utf8_lossy(&body).into_owned(),
    ));
    match uri.path() {
        "/moved" => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, "/landing")],
        )
            .into_response(),
        "/temporary" => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, "/landing")],
        )
            .into_response(),
        "/landing" => "landed\n".into_response(),
        _ => (StatusCode::NOT_FOUND, "no such page\n").into_response(),
    }
}

async fn tiny_server() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new().fallback(record).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), log)
}

async fn run_post(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        mock_idp(&args)
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread")]
async fn post_turns_into_a_get_without_body_after_a_301() {
    let (base, log) = tiny_server().await;
    let output = run_post(vec![
        "post".into(),
        "--to".into(),
        format!("{base}/moved"),
        "--now".into(),
        NOW.into(),
        "--relay-state".into(),
        "/home".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = log.lock().expect("log").clone();
    assert_eq!(received.len(), 2, "{received:?}");
    let (method, path, body) = &received[0];
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/moved"));
    assert!(body.starts_with("SAMLResponse="), "{body}");
    assert!(body.ends_with("&RelayState=%2Fhome"), "{body}");
    assert_eq!(
        received[1],
        ("GET".to_owned(), "/landing".to_owned(), String::new())
    );
    let transcript = stdout(&output);
    assert!(
        transcript.contains("< 301 Moved Permanently"),
        "{transcript}"
    );
    assert!(transcript.contains("< location: /landing"), "{transcript}");
    assert!(transcript.contains("no body: a 301 turns a POST into a GET"));
    assert!(transcript.ends_with("landed\n"), "{transcript}");
}

#[tokio::test(flavor = "multi_thread")]
async fn method_get_sends_the_fields_in_the_query_string() {
    let (base, log) = tiny_server().await;
    let output = run_post(vec![
        "post".into(),
        "--to".into(),
        format!("{base}/landing?tenant=1"),
        "--now".into(),
        NOW.into(),
        "--method".into(),
        "get".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = log.lock().expect("log").clone();
    assert_eq!(received.len(), 1, "{received:?}");
    let (method, target, body) = &received[0];
    assert_eq!(method, "GET");
    assert!(
        target.starts_with("/landing?tenant=1&SAMLResponse="),
        "{target}"
    );
    assert!(body.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn post_re_posts_the_body_after_a_307() {
    let (base, log) = tiny_server().await;
    let output = run_post(vec![
        "post".into(),
        "--to".into(),
        format!("{base}/temporary"),
        "--now".into(),
        NOW.into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = log.lock().expect("log").clone();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[1].0, "POST");
    assert_eq!(received[1].1, "/landing");
    assert_eq!(received[1].2, received[0].2, "the same body, re-sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_exits_1_when_the_final_answer_is_an_error() {
    let (base, log) = tiny_server().await;
    let output = run_post(vec![
        "post".into(),
        "--to".into(),
        format!("{base}/missing"),
        "--now".into(),
        NOW.into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("< 404 Not Found"));
    // The default Destination follows --to, so the SP sees a response meant for it.
    let received = log.lock().expect("log").clone();
    let body = &received[0].2;
    let value = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "SAMLResponse")
        .map(|(_, v)| v.into_owned())
        .expect("SAMLResponse");
    let xml = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .expect("base64"),
    )
    .expect("UTF-8");
    assert!(xml.contains(&format!("Destination=\"{base}/missing\"")));
}

#[tokio::test(flavor = "multi_thread")]
async fn post_with_a_replay_fault_posts_twice() {
    let Some(replay) = FAULTS.iter().find(|f| f.posts == 2) else {
        eprintln!("skipped: no fault posts twice yet");
        return;
    };
    let (base, log) = tiny_server().await;
    let output = run_post(vec![
        "post".into(),
        "--to".into(),
        format!("{base}/landing"),
        "--now".into(),
        NOW.into(),
        "--fault".into(),
        replay.name.into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = log.lock().expect("log").clone();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0], received[1]);
    assert!(stdout(&output).contains("=== post 2 of 2 ==="));
}

#[test]
fn post_to_a_closed_port_is_an_error_not_a_panic() {
    // Port 9 (discard) is not served on loopback in test environments.
    let output = mock_idp(&["post", "--to", "http://127.0.0.1:9/acs", "--now", NOW]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("request_failed"), "{err}");
}
