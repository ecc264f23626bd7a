//! Running `xmlsec1`, the independent witness that the mock's signatures and encryption are what
//! other implementations accept (DESIGN.md, "Why `xmldsig` is ours"). The same rule as
//! `xmldsig/tests/external`: a missing `xmlsec1` skips the test with a notice, so `cargo test`
//! works on a fresh machine; with `SSOLAB_REQUIRE_XMLSEC1=1` (CI) it fails the test instead, so
//! a broken CI image cannot turn the witness off silently.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Set to `1` to make a missing `xmlsec1` a failure instead of a skip.
pub const REQUIRE_ENV: &str = "SSOLAB_REQUIRE_XMLSEC1";

/// Elements whose `ID` attribute xmlsec1 must treat as an XML ID: it reads no schema, so without
/// `--id-attr` a `URI="#…"` reference resolves to nothing.
pub const ID_ELEMENTS: [&str; 2] = [
    "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
    "urn:oasis:names:tc:SAML:2.0:protocol:Response",
];

const DS: &str = "http://www.w3.org/2000/09/xmldsig#";

fn found() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        match Command::new("xmlsec1")
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => panic!("cannot run `xmlsec1 --version`: {e}"),
        }
    })
}

/// Whether `xmlsec1` can be run. When it cannot: panics if [`REQUIRE_ENV`] is `1`, otherwise
/// writes a notice and returns false, and the caller returns early (the test is skipped).
pub fn xmlsec1_present() -> bool {
    if found() {
        return true;
    }
    let message = "`xmlsec1` not found on PATH; install the Debian package `xmlsec1`";
    if std::env::var_os(REQUIRE_ENV).is_some_and(|v| v == "1") {
        panic!("{message}; {REQUIRE_ENV}=1 makes this a failure");
    }
    // Straight to stderr, not eprintln!, which the harness captures for passing tests: a skip
    // must be visible in an ordinary `cargo test` run.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {message}; set {REQUIRE_ENV}=1 to make this a failure"
    );
    false
}

/// The `ds:Signature` child of the element whose ID is `id`: xmlsec1 checks the first signature
/// in document order unless told where to start, and a Response's signature precedes its
/// Assertion's.
pub fn signature_xpath(id: &str) -> String {
    format!("//*[@ID='{id}']/*[local-name()='Signature' and namespace-uri()='{DS}']")
}

/// What xmlsec1 said.
pub struct Outcome {
    pub ok: bool,
    pub stdout: Vec<u8>,
    pub report: String,
}

fn run(mut command: Command) -> Outcome {
    let output: Output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    Outcome {
        ok: output.status.success(),
        report: format!(
            "{command:?}\nexit: {}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        stdout: output.stdout,
    }
}

/// Writes `contents` to a new file named `name` in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// `xmlsec1 --verify` of the signature of the element whose ID is `signed_id` in `file`, with
/// `cert` as the only trusted key: certificates in the document's KeyInfo are never used
/// (`raw-x509-cert` only), and references may only point into the document.
pub fn verify(file: &Path, signed_id: &str, cert: &Path) -> Outcome {
    let mut command = Command::new("xmlsec1");
    command
        .arg("--verify")
        .arg("--enabled-key-data")
        .arg("raw-x509-cert")
        .arg("--enabled-reference-uris")
        .arg("empty,same-doc")
        .arg("--pubkey-cert-pem")
        .arg(cert);
    for element in ID_ELEMENTS {
        command.arg("--id-attr:ID").arg(element);
    }
    command
        .arg("--node-xpath")
        .arg(signature_xpath(signed_id))
        .arg(file);
    run(command)
}

/// `xmlsec1 --decrypt` of `file` with the RSA private key `key`; the decrypted document is on
/// stdout.
pub fn decrypt(file: &Path, key: &Path) -> Outcome {
    let mut command = Command::new("xmlsec1");
    command
        .arg("--decrypt")
        .arg("--privkey-pem")
        .arg(key)
        .arg(file);
    run(command)
}
