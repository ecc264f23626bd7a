//! The `sp` binary as an operator runs it: a team configured from the command line, `serve` on
//! an ephemeral port publishing the ACS URL it was given, and bad arguments refused with the
//! choices (exit 2) before anything is stored.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

const OKTA_ISSUER: &str = "http://www.okta.com/exk1ssolab0test0000d7";

fn okta_metadata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/metadata/okta-one-cert.xml")
}

fn sp(database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sp"))
        .arg("--database")
        .arg(database)
        .args(args)
        .output()
        .expect("run sp")
}

/// `sp team sso acme` with the Okta fixture metadata and `--member-key member_key`.
fn set_sso(database: &str, member_key: &str) -> Output {
    let metadata = okta_metadata();
    sp(
        database,
        &[
            "team",
            "sso",
            "acme",
            "--issuer",
            OKTA_ISSUER,
            "--metadata-file",
            metadata.to_str().expect("path"),
            "--member-key",
            member_key,
        ],
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn database(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("sp.db").display())
}

#[test]
fn a_team_is_configured_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    let created = sp(&db, &["team", "create", "acme", "--plan", "custom"]);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    let sso = set_sso(&db, "name_id");
    assert_eq!(sso.status.code(), Some(0), "{}", text(&sso.stderr));
    let show = sp(&db, &["team", "show", "acme"]);
    let shown = text(&show.stdout);
    for line in [
        &format!("issuer: {OKTA_ISSUER}"),
        "members found by: name_id",
        "provisioning: jit",
    ] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
}

#[test]
fn bad_choices_are_refused_with_the_choices_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    assert_eq!(sp(&db, &["team", "create", "acme"]).status.code(), Some(0));
    let refused = set_sso(&db, "upn");
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("--member-key"), "{stderr}");
    assert!(stderr.contains("email or name_id"), "{stderr}");
    let show = text(&sp(&db, &["team", "show", "acme"]).stdout);
    assert!(show.contains("sso: not configured"), "{show}");

    let refused = sp(&db, &["serve", "--public-acs-path", "session/acs"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("leading slash"), "{stderr}");
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn serve_publishes_the_public_acs_path_it_was_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    let mut server = Server(
        Command::new(env!("CARGO_BIN_EXE_sp"))
            .args(["--database", &db, "serve", "--listen", "127.0.0.1:0"])
            .args(["--base-url", "https://sso.example.com"])
            .args(["--public-acs-path", "/session/sso/saml/acs/qualified"])
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sp serve"),
    );
    // The log line names the bound address and the ACS URL responses must be addressed to.
    let stderr = server.0.stderr.take().expect("stderr");
    let line = BufReader::new(stderr)
        .lines()
        .map(|l| l.expect("log line"))
        .find(|l| l.contains("sp listening on"))
        .expect("the listening line");
    assert!(
        line.contains("(ACS https://sso.example.com/session/sso/saml/acs/qualified)"),
        "{line}"
    );
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("address");
    let metadata = reqwest::get(format!("http://{address}/saml/metadata"))
        .await
        .expect("GET metadata")
        .text()
        .await
        .expect("body");
    assert!(
        metadata.contains(r#"Location="https://sso.example.com/session/sso/saml/acs/qualified""#),
        "{metadata}"
    );
}

fn plan_line(database: &str, args: &[&str]) -> String {
    let mut all = vec!["team", "plan", "acme"];
    all.extend_from_slice(args);
    let out = sp(database, &all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn team_plan_changes_only_what_it_is_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    let created = sp(&db, &["team", "create", "acme", "--api-access", "--scim"]);
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    assert_eq!(
        plan_line(&db, &["--plan", "team"]),
        "team acme: plan team, api access true, scim true\n",
        "a plan change alone leaves API access and SCIM on"
    );
    assert_eq!(
        plan_line(&db, &["--plan", "custom", "--scim", "false"]),
        "team acme: plan custom, api access true, scim false\n"
    );
    assert_eq!(
        plan_line(
            &db,
            &[
                "--plan",
                "custom",
                "--api-access",
                "false",
                "--scim",
                "true"
            ]
        ),
        "team acme: plan custom, api access false, scim true\n"
    );
}

#[test]
fn plan_values_are_listed_in_help_and_others_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    for command in [["team", "plan", "--help"], ["team", "create", "--help"]] {
        let help = text(&sp(&db, &command).stdout);
        assert!(
            help.contains("[possible values: free, team, custom]"),
            "{command:?}: {help}"
        );
    }
    assert_eq!(sp(&db, &["team", "create", "acme"]).status.code(), Some(0));
    let refused = sp(&db, &["team", "plan", "acme", "--plan", "enterprise"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("free, team, custom"), "{stderr}");
    assert!(
        text(&sp(&db, &["team", "show", "acme"]).stdout).contains("plan: custom"),
        "unchanged"
    );
}

#[test]
fn team_sso_on_a_plan_without_sso_saves_and_warns_which_plan_is_needed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    assert_eq!(
        sp(&db, &["team", "create", "acme", "--plan", "team"])
            .status
            .code(),
        Some(0)
    );
    let sso = set_sso(&db, "email");
    assert_eq!(sso.status.code(), Some(0), "{}", text(&sso.stderr));
    let stderr = text(&sso.stderr);
    assert!(
        stderr.contains("warning: team acme is on the team plan")
            && stderr.contains("custom plan only")
            && stderr.contains("sp team plan acme --plan custom"),
        "{stderr}"
    );
    let shown = text(&sp(&db, &["team", "show", "acme"]).stdout);
    assert!(
        shown.contains(&format!("issuer: {OKTA_ISSUER}")),
        "saved: {shown}"
    );

    // The positive control: on the custom plan the same command says nothing on stderr.
    assert_eq!(
        sp(&db, &["team", "plan", "acme", "--plan", "custom"])
            .status
            .code(),
        Some(0)
    );
    let sso = set_sso(&db, "email");
    assert_eq!(sso.status.code(), Some(0));
    assert!(
        !text(&sso.stderr).contains("warning"),
        "{}",
        text(&sso.stderr)
    );
}

#[test]
fn metadata_urls_on_private_addresses_need_allow_private_metadata() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = database(&dir);
    assert_eq!(sp(&db, &["team", "create", "acme"]).status.code(), Some(0));
    // A closed loopback port: without the flag the address is refused before any connection;
    // with it, the SP tries to connect (and finds nobody).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("address").port()
    };
    let url = format!("http://127.0.0.1:{port}/metadata");
    let args = [
        "team",
        "sso",
        "acme",
        "--issuer",
        OKTA_ISSUER,
        "--metadata-url",
        &url,
    ];
    let refused = sp(&db, &args);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("127.0.0.1 is a loopback address")
            && stderr.contains("--allow-private-metadata"),
        "{stderr}"
    );
    let mut allowed = args.to_vec();
    allowed.push("--allow-private-metadata");
    let tried = sp(&db, &allowed);
    assert_eq!(tried.status.code(), Some(1));
    let stderr = text(&tried.stderr);
    assert!(stderr.contains("could not connect"), "{stderr}");
}
