//! A real browser for the end-to-end tests: headless Chromium driven through chromedriver
//! (WebDriver, with fantoccini).
//!
//! Chromium and chromedriver are the Debian packages `chromium` and `chromium-driver`, which
//! `.ci/run` installs; `CHROME` and `CHROMEDRIVER` name other binaries. Where either is absent a
//! test skips with a notice, unless `CI` is set: there a missing browser fails the test, so CI
//! can never pass without having run it.
//!
//! On a failed step the page is saved as a screenshot under `target/tmp/browser/`, and the
//! panic message names the file.

use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a step may take to show what it waits for (pages here answer in milliseconds;
/// this is for a loaded CI machine).
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long chromedriver may take to answer its status endpoint.
const DRIVER_START: Duration = Duration::from_secs(20);

/// A headless Chromium session and the chromedriver behind it, stopped on drop.
pub struct Browser {
    pub client: Client,
    test: &'static str,
    step: usize,
    // Dropped after the client: the driver, then the profile folder Chromium wrote to.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// chromedriver in a process group of its own, with the Chromium it starts: dropping it kills
/// the group, so that no browser outlives a test, even one that panicked.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn binary(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// Starts a browser for `test` (the name used for its screenshots), or returns `None` after a
/// notice when Chromium or chromedriver is absent outside CI.
pub async fn start(test: &'static str) -> Option<Browser> {
    let chrome = binary("CHROME", "/usr/bin/chromium");
    let chromedriver = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
    for (what, path, package) in [
        ("Chromium", &chrome, "chromium"),
        ("chromedriver", &chromedriver, "chromium-driver"),
    ] {
        if !path.exists() {
            let message = format!(
                "{what} is not at {} (install the Debian package {package}, or set {})",
                path.display(),
                if what == "Chromium" {
                    "CHROME"
                } else {
                    "CHROMEDRIVER"
                }
            );
            if std::env::var_os("CI").is_some() {
                panic!("{test}: {message}; CI runs the browser tests, so this fails");
            }
            eprintln!("{test}: skipped: {message}");
            return None;
        }
    }
    let port = free_port();
    let driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{test}: starting {}: {e}", chromedriver.display())),
    );
    let profile = tempfile::tempdir().expect("a profile folder");
    let client = connect(test, port, &chrome, profile.path()).await;
    client
        .set_window_size(1280, 1000)
        .await
        .expect("window size");
    Some(Browser {
        client,
        test,
        step: 0,
        _driver: driver,
        _profile: profile,
    })
}

/// A port nobody listens on now (chromedriver binds it a moment later).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

async fn connect(test: &str, port: u16, chrome: &Path, profile: &Path) -> Client {
    let url = format!("http://127.0.0.1:{port}");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chrome,
            "args": [
                "--headless=new",
                // Containers run as root without the namespaces Chromium's sandbox needs.
                "--no-sandbox",
                // /dev/shm is tiny in containers; Chromium crashes tabs when it fills.
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let started = Instant::now();
    loop {
        match ClientBuilder::native()
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            // chromedriver is still starting.
            Err(_) if started.elapsed() < DRIVER_START => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!(
                "{test}: no WebDriver session from chromedriver on {url} within {DRIVER_START:?}: {e}"
            ),
        }
    }
}

impl Browser {
    /// Waits until the page's text contains `needle`, and returns the page's source. On timeout
    /// the page is saved as a screenshot and the test fails naming `step`.
    pub async fn wait_for_text(&mut self, step: &str, needle: &str) -> String {
        self.step += 1;
        let started = Instant::now();
        loop {
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                // Between two pages there may be no body for a moment.
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return self.client.source().await.unwrap_or_default();
            }
            if started.elapsed() > STEP_TIMEOUT {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map_or_else(|e| format!("(unknown: {e})"), |u| u.to_string());
                let shot = self.screenshot(step).await;
                panic!(
                    "{}: step {} ({step}): {needle:?} did not appear within {STEP_TIMEOUT:?} at {url}; screenshot {shot}\npage text:\n{text}",
                    self.test, self.step
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves the page as `target/tmp/browser/<test>-<step number>-<step>.png`; returns the path,
    /// or why it could not be saved.
    pub async fn screenshot(&self, step: &str) -> String {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
        let name: String = step
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = dir.join(format!("{}-{:02}-{name}.png", self.test, self.step));
        let saved = match self.client.screenshot().await {
            Ok(png) => std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, png))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match saved {
            Ok(()) => path.display().to_string(),
            Err(e) => format!("(not saved: {e})"),
        }
    }

    /// Replaces the value of the text input named `name` (in the page's first form that has it).
    pub async fn fill(&self, name: &str, value: &str) {
        let input = self
            .client
            .find(Locator::Css(&format!("input[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("{}: no input {name}: {e}", self.test));
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("type");
    }

    /// Chooses the option whose value is `value` in the select named `name`.
    pub async fn select(&self, name: &str, value: &str) {
        self.client
            .find(Locator::Css(&format!("select[name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("{}: no select {name}: {e}", self.test))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{}: no option {value} in {name}: {e}", self.test));
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{}: nothing matches {css}: {e}", self.test))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: clicking {css}: {e}", self.test));
    }
}
