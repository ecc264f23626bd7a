//! Snapshots of what a person reads: the SP metadata, the login page with and without
//! "SSO LOG IN", the signed-in page, a refusal page and each near-miss diagnostic page.

use axum::http::Method;
use sp::config::SpConfig;
use sp::model::{Id, Member, Plan, Team};
use sp::saml::rejection::{Code, Rejection};
use sp::web::{diagnostics, pages};
use time::macros::datetime;

#[test]
fn sp_metadata() {
    insta::assert_snapshot!(sp::saml::sp_metadata::render(&SpConfig::qualified(), None));
}

#[test]
fn sp_metadata_with_encryption_certificate() {
    insta::assert_snapshot!(sp::saml::sp_metadata::render(
        &SpConfig::qualified(),
        Some("MIIBfake==")
    ));
}

#[test]
fn login_page_before_a_first_sso_login() {
    insta::assert_snapshot!(pages::login(None));
}

#[test]
fn login_page_offers_sso_log_in_for_the_remembered_team() {
    let page = pages::login(Some("acme"));
    assert!(page.contains("SSO LOG IN"));
    assert!(page.contains("href=\"/api/saml/login/acme\""));
    insta::assert_snapshot!(page);
}

#[test]
fn signed_in_page() {
    let at = datetime!(2026-11-28 12:00 UTC);
    let team = Team {
        id: Id("t1".into()),
        slug: "acme".into(),
        plan: Plan::Custom,
        api_access: false,
        scim_enabled: false,
        created_at: at,
    };
    let member = Member {
        id: Id("m1".into()),
        team_id: team.id.clone(),
        user_name: "alice@acme.example".into(),
        given_name: Some("Alice".into()),
        family_name: Some("<Liddell>".into()),
        display_name: None,
        external_id: None,
        active: true,
        created_at: at,
        updated_at: at,
    };
    let page = pages::home(&team, &member);
    assert!(page.contains("&lt;Liddell&gt;"), "names are escaped");
    insta::assert_snapshot!(page);
}

#[test]
fn refusal_page_names_code_and_fix_but_not_the_values() {
    let rejection = Rejection::new(Code::AudienceMismatch)
        .expected("https://qualified.io")
        .got("https://secret.example/audience");
    let page = pages::rejection(&rejection);
    assert!(page.contains("audience_mismatch"));
    assert!(
        !page.contains("secret.example"),
        "expected/got stay in the log"
    );
    insta::assert_snapshot!(page);
}

#[test]
fn near_miss_pages() {
    for (name, method, path) in [
        ("acs_get", Method::GET, "/api/saml/consume"),
        ("acs_trailing_slash", Method::POST, "/api/saml/consume/"),
        ("acs_double_slash", Method::POST, "//api/saml/consume"),
        ("acs_case", Method::POST, "/API/saml/consume"),
    ] {
        let (status, code, explanation) = diagnostics::explain(&method, path).expect("a near miss");
        insta::assert_snapshot!(
            name,
            format!(
                "{status}\n{}",
                pages::diagnostic("Not the ACS", code, &explanation)
            )
        );
    }
}
