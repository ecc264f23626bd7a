//! Shared by the differential tests: finding and running the independent implementations
//! (`xmlsec1`, `xmllint`) that `xmldsig` is held against.
//!
//! A missing command skips the test with a notice, so that `cargo test` works on a fresh machine;
//! CI sets `SSOLAB_REQUIRE_XMLSEC1=1` (DESIGN.md, "Why `xmldsig` is ours"), and then a missing
//! command fails the test instead, so a broken CI image cannot turn the witnesses off silently.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

/// Set to `1` to make a missing external command a failure instead of a skip.
pub const REQUIRE_ENV: &str = "SSOLAB_REQUIRE_XMLSEC1";

/// An external command and the Debian package that provides it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub command: &'static str,
    pub package: &'static str,
}

pub const XMLSEC1: Tool = Tool {
    command: "xmlsec1",
    package: "xmlsec1",
};

pub const XMLLINT: Tool = Tool {
    command: "xmllint",
    package: "libxml2-utils",
};

fn required() -> bool {
    std::env::var_os(REQUIRE_ENV).is_some_and(|v| v == "1")
}

/// Whether `tool` starts at all; asked once per test binary and tool.
fn found(tool: Tool) -> bool {
    static FOUND: Mutex<Vec<(&str, bool)>> = Mutex::new(Vec::new());
    let mut cache = FOUND
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, found)) = cache.iter().find(|(name, _)| *name == tool.command) {
        return *found;
    }
    let found = match Command::new(tool.command)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => panic!("cannot run `{} --version`: {e}", tool.command),
    };
    cache.push((tool.command, found));
    found
}

/// Whether `tool` can be run. When it cannot: panics if [`REQUIRE_ENV`] is `1`, otherwise prints
/// a notice and returns false, and the caller returns early (the test is skipped).
pub fn require(tool: Tool) -> bool {
    let found = found(tool);
    if found {
        return true;
    }
    let message = format!(
        "`{}` not found on PATH; install the Debian package `{}` (apt-get install {})",
        tool.command, tool.package, tool.package
    );
    if required() {
        panic!("{message}; {REQUIRE_ENV}=1 makes this a failure");
    }
    // Written to the real stderr, not through eprintln!, which the test harness captures and
    // shows only for failing tests: a skip must be visible in an ordinary `cargo test` run. One
    // write, so that the line is not split by the harness's own output.
    let line = format!("SKIPPED: {message}; set {REQUIRE_ENV}=1 to make this a failure\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

/// A `Command` for `tool`, or `None` (with the notice or panic of [`require`]) when it is absent.
pub fn command(tool: Tool) -> Option<Command> {
    require(tool).then(|| {
        let mut command = Command::new(tool.command);
        command.stdin(Stdio::null());
        command
    })
}

pub fn xmlsec1() -> Option<Command> {
    command(XMLSEC1)
}

pub fn xmllint() -> Option<Command> {
    command(XMLLINT)
}

/// Runs `command` to completion; a failure to start it at all is a test failure.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// What a finished command did, for assertion messages.
pub fn describe(command: &Command, output: &Output) -> String {
    format!(
        "{command:?}\nexit: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes `contents` to a new file named `name` in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}
