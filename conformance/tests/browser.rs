//! The lab in a real browser (headless Chromium through chromedriver): what a person does in
//! `conformance lab`. A person logs in on the mock IdP's login page, the auto-posting form takes
//! the response to the SP, the SP's signed-in page names them, and "SSO LOG IN" on the SP's
//! login page logs them in again SP-initiated; a Reply URL behind a redirect, or with a slash
//! too many, ends on the SP's diagnosis page.
//!
//! The HTML report is checked here too: opened from disk, its summary read and its filter used.
//!
//! Skipped with a notice where Chromium or chromedriver is absent, except in CI
//! (`support/browser.rs`).

mod support {
    pub mod browser;
}

use conformance::lab::{Lab, LabOptions, TEAM};
use conformance::result::{Evidence, Outcome, RunReport, ScenarioResult};
use fantoccini::Locator;
use support::browser::{self, Browser};

async fn lab() -> Lab {
    Lab::start(LabOptions::ephemeral())
        .await
        .unwrap_or_else(|e| panic!("the lab starts: {e}"))
}

/// On the mock IdP's login page (already open): the user, and a fault when given; "Show the
/// response", then "Continue to the Reply URL", whose page posts itself.
async fn sign_in_at_the_idp(browser: &mut Browser, email: &str, fault: Option<&str>) {
    browser.fill("email", email).await;
    browser.fill("first_name", "Dana").await;
    browser.fill("last_name", "Lee").await;
    if let Some(fault) = fault {
        browser.select("fault", fault).await;
    }
    browser
        .click("form[action=\"/login\"] button[type=\"submit\"]")
        .await;
    browser
        .wait_for_text(
            "the response, before it is sent",
            "Continue to the Reply URL",
        )
        .await;
    browser
        .click("form[action=\"/autopost\"] button[type=\"submit\"]")
        .await;
}

#[tokio::test]
async fn a_person_logs_in_on_the_mocks_page_then_again_with_sso_log_in() {
    let Some(mut browser) = browser::start("lab-login").await else {
        return;
    };
    let lab = lab().await;
    let urls = lab.urls().clone();

    // IdP-initiated: the mock's login page, a user picked, the auto-posting form, the SP.
    browser.client.goto(&urls.idp_login).await.expect("goto");
    browser
        .wait_for_text("the mock IdP's login page", "IdP-initiated login")
        .await;
    sign_in_at_the_idp(&mut browser, "dana@example.com", None).await;
    let page = browser
        .wait_for_text("the SP's signed-in page", "Signed in")
        .await;
    assert!(page.contains("dana@example.com"), "{page}");
    assert!(page.contains("Dana Lee"), "{page}");
    assert!(page.contains(TEAM), "{page}");
    // The auto-posting form submitted itself: the browser is on the SP's home, not the mock's.
    let at = browser.client.current_url().await.expect("url");
    assert_eq!(at.as_str(), format!("{}/", urls.sp_base));

    // Log out, so that the next sign-in is the SP-initiated one, not the session left over.
    browser.click("form[action=\"/logout\"] button").await;
    browser
        .wait_for_text("the SP's login page", "SSO LOG IN")
        .await;
    assert_eq!(
        browser.client.current_url().await.expect("url").as_str(),
        urls.sp_login
    );

    // SP-initiated: "SSO LOG IN" sends an AuthnRequest to the SSO URL of the mock's metadata;
    // the mock's page shows it, and its response answers it (InResponseTo).
    browser.click("a.button").await;
    let page = browser
        .wait_for_text(
            "the mock IdP with the SP's AuthnRequest",
            "AuthnRequest received",
        )
        .await;
    assert!(
        page.contains(&urls.acs),
        "the request names the ACS: {page}"
    );
    sign_in_at_the_idp(&mut browser, "dana@example.com", None).await;
    let page = browser
        .wait_for_text("the SP's signed-in page after SSO LOG IN", "Signed in")
        .await;
    assert!(page.contains("dana@example.com"), "{page}");
    lab.shutdown().await.expect("stops");
}

/// The Reply URL causes a person reproduces on the mock's login page: a 301 in front of the
/// ACS, after which the browser GETs the ACS without the response (405 `acs_get`), and a Reply
/// URL with a trailing slash (404 `acs_path_near_miss`). The login before them is the control:
/// the same page and user, without a fault, signs in.
#[tokio::test]
async fn a_reply_url_behind_a_redirect_or_with_a_trailing_slash_shows_the_sps_diagnosis() {
    let Some(mut browser) = browser::start("lab-reply-url").await else {
        return;
    };
    let lab = lab().await;
    let urls = lab.urls().clone();

    browser.client.goto(&urls.idp_login).await.expect("goto");
    sign_in_at_the_idp(&mut browser, "erin@example.com", None).await;
    browser
        .wait_for_text("the control: signed in without a fault", "Signed in")
        .await;

    browser.client.goto(&urls.idp_login).await.expect("goto");
    sign_in_at_the_idp(
        &mut browser,
        "erin@example.com",
        Some("reply-url-redirect-301"),
    )
    .await;
    let page = browser
        .wait_for_text("the SP's diagnosis of a GET on the ACS", "acs_get")
        .await;
    assert!(page.contains("The ACS takes only POST"), "{page}");
    assert!(
        page.contains(&urls.acs),
        "the page names the ACS URL: {page}"
    );
    let at = browser.client.current_url().await.expect("url");
    assert_eq!(
        at.as_str(),
        urls.acs,
        "the redirect took the browser to the ACS"
    );

    browser.client.goto(&urls.idp_login).await.expect("goto");
    sign_in_at_the_idp(
        &mut browser,
        "erin@example.com",
        Some("reply-url-trailing-slash"),
    )
    .await;
    let page = browser
        .wait_for_text("the SP's diagnosis of a near miss", "acs_path_near_miss")
        .await;
    assert!(page.contains("trailing slash"), "{page}");
    assert_eq!(
        browser.client.current_url().await.expect("url").as_str(),
        format!("{}/", urls.acs)
    );
    lab.shutdown().await.expect("stops");
}

fn scenario(id: &str, area: &str, outcome: Outcome) -> ScenarioResult {
    let failed = outcome != Outcome::Pass;
    ScenarioResult {
        id: id.to_owned(),
        title: format!("scenario {id}"),
        area: area.to_owned(),
        source: "a hand-made run".to_owned(),
        outcome,
        expected: "accepted".to_owned(),
        got: if failed {
            "refused: unsigned"
        } else {
            "accepted"
        }
        .to_owned(),
        ms: 7,
        evidence: failed.then(|| Evidence {
            request: "POST /api/saml/consume".to_owned(),
            response: "403 Forbidden".to_owned(),
            diagnosis: "unsigned".to_owned(),
        }),
    }
}

/// The HTML report opened from disk, as a partner opens an attachment: the summary's counts
/// are those of the run, and unticking "pass" hides exactly the passing rows.
#[tokio::test]
async fn the_html_report_shows_the_runs_counts_and_filters_out_the_passing_rows() {
    let Some(mut browser) = browser::start("html-report").await else {
        return;
    };
    let report = RunReport::new(
        "in-process sp (sqlite)".to_owned(),
        None,
        "2026-11-28T12:00:00Z".to_owned(),
        1_234,
        vec![
            scenario("saml.preset.okta", "saml.preset", Outcome::Pass),
            scenario("saml.preset.entra", "saml.preset", Outcome::Pass),
            scenario("saml.fault.unsigned", "saml.fault", Outcome::Fail),
            scenario("saml.fault.xsw1", "saml.fault", Outcome::Pass),
            scenario("scim.okta.push", "scim.okta", Outcome::Error),
        ],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report.html");
    std::fs::write(&path, conformance::report::html::render(&report)).expect("written");
    let url = url::Url::from_file_path(&path).expect("a file URL");
    browser.client.goto(url.as_str()).await.expect("goto");
    browser
        .wait_for_text("the report's summary", "5 scenarios")
        .await;

    let summary = browser
        .client
        .find(Locator::Id("summary"))
        .await
        .expect("#summary");
    for (attribute, expected) in [
        ("data-total", "5"),
        ("data-passed", "3"),
        ("data-failed", "1"),
        ("data-errors", "1"),
    ] {
        assert_eq!(
            summary.attr(attribute).await.expect("attribute").as_deref(),
            Some(expected),
            "{attribute}"
        );
    }
    assert_eq!(visible_rows(&browser).await.len(), 5, "every row at first");

    // The filters are hidden without JavaScript; here the page's script has shown them.
    browser
        .click("#filters input[name=\"outcome\"][value=\"pass\"]")
        .await;
    browser
        .wait_for_text("the report filtered to failures and errors", "2 of 5 shown")
        .await;
    let mut shown = visible_rows(&browser).await;
    shown.sort();
    assert_eq!(
        shown,
        [
            ("saml.fault.unsigned".to_owned(), "fail".to_owned()),
            ("scim.okta.push".to_owned(), "error".to_owned()),
        ]
    );

    // Ticked again, the passing rows come back: the filter hid them, nothing removed them.
    browser
        .click("#filters input[name=\"outcome\"][value=\"pass\"]")
        .await;
    browser
        .wait_for_text("the report unfiltered again", "5 of 5 shown")
        .await;
    assert_eq!(visible_rows(&browser).await.len(), 5);
}

/// The id and outcome of each scenario row the browser displays.
async fn visible_rows(browser: &Browser) -> Vec<(String, String)> {
    let mut shown = Vec::new();
    for row in browser
        .client
        .find_all(Locator::Css("#scenarios tbody tr"))
        .await
        .expect("rows")
    {
        if row.is_displayed().await.expect("displayed") {
            shown.push((
                row.attr("id").await.expect("id").unwrap_or_default(),
                row.attr("data-outcome")
                    .await
                    .expect("outcome")
                    .unwrap_or_default(),
            ));
        }
    }
    shown
}
