//! The lab in a real browser (headless Chromium through chromedriver): what a person does in
//! `conformance lab`. A person logs in on the mock IdP's login page, the auto-posting form takes
//! the response to the SP, the SP's signed-in page names them, and "SSO LOG IN" on the SP's
//! login page logs them in again SP-initiated; a Reply URL behind a redirect, or with a slash
//! too many, ends on the SP's diagnosis page.
//!
//! Skipped with a notice where Chromium or chromedriver is absent, except in CI
//! (`support/browser.rs`).

mod support {
    pub mod browser;
}

use conformance::lab::{Lab, LabOptions, TEAM};
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
