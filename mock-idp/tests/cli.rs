//! The `mock-idp` binary as a user runs it: reproducible output, the listings, errors that list
//! the choices (exit 2), and `post` following redirects the way a browser does, checked on what
//! a tiny local server actually received.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use mock_idp::catalogue;
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
    let class_column = lines[0].find("CLASS").expect("header");
    let summary_column = lines[0].find("SUMMARY").expect("header");
    let expected_column = lines[0].find("A CORRECT SP ANSWERS").expect("header");
    for fault in FAULTS {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{} ", fault.name)))
            .unwrap_or_else(|| panic!("{} missing", fault.name));
        let chars: Vec<char> = line.chars().collect();
        let at = |column: usize| chars[column..].iter().collect::<String>();
        assert!(at(class_column).starts_with(fault.class.name()), "{line}");
        assert!(at(summary_column).starts_with(fault.summary), "{line}");
        assert!(
            at(expected_column).starts_with(fault.expected.as_str()),
            "{line}"
        );
    }
}

#[test]
fn faults_as_json_parse_back_to_the_catalogue() {
    let output = mock_idp(&["faults", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(value.as_array().map(Vec::len), Some(FAULTS.len()));
    let parsed = catalogue::parse_json(&text).expect("reads back");
    let names: Vec<&str> = parsed.iter().map(|p| p.name.as_str()).collect();
    let catalogue_names: Vec<&str> = FAULTS.iter().map(|f| f.name).collect();
    assert_eq!(names, catalogue_names);
    for (fault, read) in FAULTS.iter().zip(&parsed) {
        assert_eq!(read.class, fault.class, "{}", fault.name);
        assert_eq!(read.expected, fault.expected, "{}", fault.name);
        assert_eq!(read.posts, fault.posts, "{}", fault.name);
        assert_eq!(read.via_redirect, fault.via_redirect, "{}", fault.name);
    }
    // Diagnosis codes carry their exact status; one object in full, as a program reads it.
    let redirected = value
        .as_array()
        .and_then(|faults| {
            faults
                .iter()
                .find(|f| f["name"] == "reply-url-redirect-301")
        })
        .expect("reply-url-redirect-301");
    assert_eq!(redirected["class"], "reply-url");
    assert_eq!(redirected["expected"], "acs_get");
    assert_eq!(redirected["status"], 405);
    assert_eq!(redirected["via_redirect"], 301);
    // A value the catalogue does not know is an error, not a silent default.
    let broken = text.replacen("\"acs_get\"", "\"acs_gte\"", 1);
    let error = catalogue::parse_json(&broken).expect_err("unknown code");
    assert!(error.to_string().contains("acs_gte"), "{error}");
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
                "--now",
                "--xml",
            ][..],
        ),
        (
            "post",
            &[
                "--to",
                "--reply-url",
                "--via-redirect",
                "301, 302, 303, 307, 308",
                "--expect",
                "--fault",
                "--preset",
                "--method",
                "--relay-state",
                "--destination",
                "Exit status",
            ][..],
        ),
        ("faults", &["--format", "json"][..]),
    ] {
        let output = mock_idp(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        let help = stdout(&output);
        for needle in needles {
            assert!(help.contains(needle), "{command} --help lacks {needle}");
        }
    }
}

/// Issue #10: `post --help` listed `--reply-url` and then refused it. Every option a command
/// lists must work there: `post` takes the ACS as `--to` (no `--acs`), and `response`, which
/// sends nothing, has no Reply URL.
#[test]
fn help_lists_only_options_the_command_takes() {
    let post = stdout(&mock_idp(&["post", "--help"]));
    assert!(!post.contains("--acs"), "{post}");
    let response = stdout(&mock_idp(&["response", "--help"]));
    // How the browser carries the response changes nothing in the XML `response` prints.
    for delivery in [
        "--reply-url",
        "--method",
        "--relay-state",
        "--via-redirect",
        "--expect",
    ] {
        assert!(!response.contains(delivery), "{delivery} in {response}");
    }
    assert!(!response.contains("--to "), "{response}");
}

/// Issue #10: `serve` posted test responses to the production ACS by default.
#[test]
fn serve_defaults_to_a_local_sp_and_never_to_production() {
    let help = stdout(&mock_idp(&["serve", "--help"]));
    assert!(
        help.contains("[default: http://127.0.0.1:8080/api/saml/consume]"),
        "{help}"
    );
    assert!(
        !help.contains("[default: https://www.qualified.io/api/saml/consume]"),
        "{help}"
    );
}

/// What the tiny SP received: method, path and query, body.
type Log = Arc<Mutex<Vec<(String, String, String)>>>;

/// A tiny stand-in SP: `/acs` logs a POST in (303 to `/app` with a session cookie) and
/// diagnoses a GET the way ssolab's SP does (405, `X-SSOLab-Code: acs_get`); `/refuse` refuses
/// with a page naming `audience_mismatch` and no header; `/header` names `recipient_mismatch`
/// in the header and something else on the page; `/moved` and `/temporary` redirect to `/acs`.
async fn record(State(log): State<Log>, method: Method, uri: Uri, body: Bytes) -> Response {
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    log.lock().expect("log").push((
        method.to_string(),
        target,
        String::from_utf8_lossy(&body).into_owned(),
    ));
    match (uri.path(), method == Method::POST) {
        ("/acs", true) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/app"),
                (header::SET_COOKIE, "session=1; HttpOnly"),
            ],
        )
            .into_response(),
        ("/acs", false) => (
            StatusCode::METHOD_NOT_ALLOWED,
            [("x-ssolab-code", "acs_get")],
            "<p>Code: <code>acs_get</code></p>",
        )
            .into_response(),
        ("/app", _) => "<p>Signed in on team <code>acme</code></p>\n".into_response(),
        ("/refuse", _) => (
            StatusCode::FORBIDDEN,
            "<h1>Single sign-on failed</h1>\n<p>Code: <code>audience_mismatch</code></p>\n",
        )
            .into_response(),
        ("/header", _) => (
            StatusCode::FORBIDDEN,
            [("x-ssolab-code", "recipient_mismatch")],
            "<p>Code: <code>audience_mismatch</code></p>\n",
        )
            .into_response(),
        ("/moved", _) => {
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/acs")]).into_response()
        }
        ("/temporary", _) => {
            (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/acs")]).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "no such page\n").into_response(),
    }
}

async fn tiny_sp() -> (String, Log) {
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

/// `mock-idp post --now NOW ARGS…`, off the async workers so the tiny SP keeps answering.
async fn run_post(args: &[&str]) -> Output {
    let mut all = vec!["post".to_owned(), "--now".to_owned(), NOW.to_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        mock_idp(&args)
    })
    .await
    .expect("join")
}

fn received(log: &Log) -> Vec<(String, String, String)> {
    log.lock().expect("log").clone()
}

/// The XML of the SAMLResponse in a form body.
fn posted_xml(body: &str) -> String {
    let value = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "SAMLResponse")
        .map(|(_, v)| v.into_owned())
        .expect("SAMLResponse");
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .expect("base64"),
    )
    .expect("UTF-8")
}

#[tokio::test(flavor = "multi_thread")]
async fn post_turns_into_a_get_without_body_after_a_301() {
    let (base, log) = tiny_sp().await;
    let to = format!("{base}/moved");
    let output = run_post(&["--to", &to, "--relay-state", "/home", "--expect", "acs_get"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let received = received(&log);
    assert_eq!(received.len(), 2, "{received:?}");
    let (method, path, body) = &received[0];
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/moved"));
    assert!(body.starts_with("SAMLResponse="), "{body}");
    assert!(body.ends_with("&RelayState=%2Fhome"), "{body}");
    assert_eq!(
        received[1],
        ("GET".to_owned(), "/acs".to_owned(), String::new())
    );
    let transcript = stdout(&output);
    assert!(
        transcript.contains("< 301 Moved Permanently"),
        "{transcript}"
    );
    assert!(transcript.contains("< location: /acs"), "{transcript}");
    assert!(transcript.contains("no body: a 301 turns a POST into a GET"));
    assert!(
        transcript.ends_with("expected: acs_get (405)\ngot:      acs_get (405)\nverdict:  agree\n"),
        "{transcript}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn method_get_sends_the_fields_in_the_query_string() {
    let (base, log) = tiny_sp().await;
    let to = format!("{base}/acs?tenant=1");
    let output = run_post(&["--to", &to, "--method", "get", "--expect", "acs_get"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let received = received(&log);
    assert_eq!(received.len(), 1, "{received:?}");
    let (method, target, body) = &received[0];
    assert_eq!(method, "GET");
    assert!(
        target.starts_with("/acs?tenant=1&SAMLResponse="),
        "{target}"
    );
    assert!(body.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn post_re_posts_the_body_after_a_307_and_the_login_agrees() {
    let (base, log) = tiny_sp().await;
    let to = format!("{base}/temporary");
    let output = run_post(&["--to", &to]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let received = received(&log);
    assert_eq!(received.len(), 3, "{received:?}");
    assert_eq!(
        (received[1].0.as_str(), received[1].1.as_str()),
        ("POST", "/acs")
    );
    assert_eq!(received[1].2, received[0].2, "the same body, re-sent");
    assert_eq!(
        (received[2].0.as_str(), received[2].1.as_str()),
        ("GET", "/app")
    );
    assert!(stdout(&output).contains("got:      accepted (303 with a session cookie)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn post_exits_0_when_the_sp_refuses_as_the_fault_expects() {
    let (base, _log) = tiny_sp().await;
    let to = format!("{base}/refuse");
    // The fault's own expectation is the default…
    let output = run_post(&["--to", &to, "--fault", "wrong-audience"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("expected: audience_mismatch (4xx)"), "{text}");
    assert!(text.contains("got:      audience_mismatch (403)"), "{text}");
    // …and --expect says the same thing explicitly.
    let output = run_post(&["--to", &to, "--expect", "audience_mismatch"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn post_exits_1_when_the_sp_answers_otherwise() {
    let (base, log) = tiny_sp().await;
    let refuse = format!("{base}/refuse");
    // Without a fault a login is expected; a refusal disagrees.
    let output = run_post(&["--to", &refuse]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).ends_with("verdict:  DISAGREE\n"));
    // A refusal with another code than the expected one disagrees.
    let output = run_post(&["--to", &refuse, "--expect", "expired"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    // The fault expects a refusal; a login disagrees.
    let acs = format!("{base}/acs");
    let output = run_post(&["--to", &acs, "--fault", "wrong-audience"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    // A page without a code disagrees with any code.
    let missing = format!("{base}/missing");
    let output = run_post(&["--to", &missing, "--expect", "acs_path_near_miss"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("got:      no code (404)"));
    // The default Destination follows --to, so the SP sees a response meant for it.
    let body = received(&log).last().map(|r| r.2.clone()).expect("a post");
    assert!(posted_xml(&body).contains(&format!("Destination=\"{missing}\"")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_header_wins_over_the_page() {
    let (base, _log) = tiny_sp().await;
    let to = format!("{base}/header");
    let output = run_post(&["--to", &to, "--expect", "recipient_mismatch"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = run_post(&["--to", &to, "--expect", "audience_mismatch"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn post_exits_2_when_nothing_listens() {
    // Port 9 (discard) is not served on loopback in test environments.
    let output = mock_idp(&["post", "--to", "http://127.0.0.1:9/acs", "--now", NOW]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("request_failed"), "{err}");
    assert!(err.contains("the SP could not be reached"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_exits_2_when_tls_fails() {
    // The tiny SP speaks plain HTTP: an https:// URL to it fails in the TLS handshake.
    let (base, _log) = tiny_sp().await;
    let to = format!("{}/acs", base.replacen("http://", "https://", 1));
    let output = run_post(&["--to", &to]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains("the SP could not be reached"));
}

#[test]
fn contradicting_knobs_exit_2_with_the_fix() {
    let output = mock_idp(&["response", "--key-transport", "rsa-oaep"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("[key_transport_without_encrypt]"), "{err}");
    assert!(err.contains("add --encrypt aes256-gcm"), "{err}");
    // The positive control: with --encrypt the same transport builds.
    let output = mock_idp(&[
        "response",
        "--now",
        NOW,
        "--xml",
        "--encrypt",
        "aes256-gcm",
        "--key-transport",
        "rsa-oaep",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("xmlenc11#rsa-oaep"));
}

#[test]
fn an_unknown_expectation_exits_2_and_lists_the_choices() {
    let output = mock_idp(&[
        "post",
        "--to",
        "http://127.0.0.1:9/acs",
        "--expect",
        "audience_mismach",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("unknown expectation \"audience_mismach\""),
        "{err}"
    );
    assert!(err.contains("accepted, not_base64"), "{err}");
    assert!(err.contains("acs_get"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn via_redirect_301_goes_through_a_real_redirect_and_loses_the_body() {
    let (base, log) = tiny_sp().await;
    let acs = format!("{base}/acs");
    let output = run_post(&["--to", &acs, "--via-redirect", "301"]).await;
    // A login was expected; the GET diagnosis came back.
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("got:      acs_get (405)"));
    // The POST went to the redirector, not to the SP: the SP saw only the bodiless GET.
    assert_eq!(
        received(&log),
        [("GET".to_owned(), "/acs".to_owned(), String::new())]
    );
    let text = stdout(&output);
    let first = text
        .lines()
        .find(|l| l.starts_with("> POST "))
        .expect("a POST hop");
    assert!(first.ends_with("/acs") && !first.contains(&base), "{first}");
    let output = run_post(&["--to", &acs, "--via-redirect", "301", "--expect", "acs_get"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_keeps_the_query_so_a_get_arrives_with_its_response() {
    let (base, log) = tiny_sp().await;
    let acs = format!("{base}/acs?tenant=1");
    let output = run_post(&[
        "--to",
        &acs,
        "--method",
        "get",
        "--via-redirect",
        "302",
        "--expect",
        "acs_get",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let received = received(&log);
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].0, "GET");
    assert!(
        received[0].1.starts_with("/acs?tenant=1&SAMLResponse="),
        "{}",
        received[0].1
    );
}

/// `text` with every `127.0.0.1:PORT` written `127.0.0.1:PORT` and the `date` headers left out,
/// so a transcript over ephemeral ports is the same on every run.
fn redacted(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.starts_with("< date: ")) {
        let mut rest = line;
        while let Some(at) = rest.find("127.0.0.1:") {
            let (before, after) = rest.split_at(at + "127.0.0.1:".len());
            out.push_str(before);
            out.push_str("PORT");
            rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

/// What a person reads after `post --via-redirect 301`: the redirect, the lost body, the
/// SP's answer and the verdict.
#[tokio::test(flavor = "multi_thread")]
async fn the_post_transcript_reads_as_it_should() {
    let (base, _log) = tiny_sp().await;
    let acs = format!("{base}/acs");
    let output = run_post(&[
        "--to",
        &acs,
        "--via-redirect",
        "301",
        "--expect",
        "acs_get",
        "--fault",
        "reply-url-redirect-301",
    ])
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    insta::assert_snapshot!("post-via-redirect-301", redacted(&stdout(&output)));
}

#[test]
fn the_faults_table_reads_as_it_should() {
    insta::assert_snapshot!("faults-table", stdout(&mock_idp(&["faults"])));
}

#[tokio::test(flavor = "multi_thread")]
async fn via_redirect_308_re_posts_and_logs_in() {
    let (base, log) = tiny_sp().await;
    let acs = format!("{base}/acs");
    let output = run_post(&["--to", &acs, "--via-redirect", "308"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let received = received(&log);
    assert_eq!(
        (received[0].0.as_str(), received[0].1.as_str()),
        ("POST", "/acs")
    );
    assert!(received[0].2.starts_with("SAMLResponse="));
}

#[tokio::test(flavor = "multi_thread")]
async fn reply_url_moves_where_the_browser_posts_but_not_the_destination() {
    let (base, log) = tiny_sp().await;
    let acs = format!("{base}/acs");
    let stale = format!("{base}/saml/consume");
    let output = run_post(&["--to", &acs, "--reply-url", &stale]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let received = received(&log);
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].1, "/saml/consume");
    let xml = posted_xml(&received[0].2);
    assert!(xml.contains(&format!("Destination=\"{acs}\"")), "{xml}");
    assert!(xml.contains(&format!("Recipient=\"{acs}\"")), "{xml}");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_with_the_replay_fault_posts_twice_and_a_second_login_disagrees() {
    let (base, log) = tiny_sp().await;
    let acs = format!("{base}/acs");
    let output = run_post(&["--to", &acs, "--fault", "replay"]).await;
    // The tiny SP has no replay cache: it logs in twice, which is what the fault catches.
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let posts: Vec<_> = received(&log)
        .into_iter()
        .filter(|(method, _, _)| method == "POST")
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0], posts[1]);
    let text = stdout(&output);
    assert!(text.contains("=== post 2 of 2 ==="));
    assert!(text.contains("got (post 2 of 2): accepted (303 with a session cookie)"));
}
