//! Snapshots of what a person reads: the SP metadata, the login page with and without
//! "SSO LOG IN", the signed-in page, a refusal page and each diagnostic page of a request that
//! did not reach the ACS as the IdP's POST (status and `X-SSOLab-Code` above the HTML).

use axum::http::Method;
use sp::config::SpConfig;
use sp::model::{Id, Member, Plan, Team};
use sp::saml::rejection::{Code, Rejection};
use sp::web::diagnostics::{self, Arrival, Route, Site};
use sp::web::pages;
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

/// A request as the diagnostics see it: `target` on `host`, with extra headers and a body.
fn arrival(
    method: Method,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    sp: &SpConfig,
) -> Arrival {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(target)
        .header("host", "www.qualified.io");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (parts, ()) = request.body(()).expect("a request").into_parts();
    Arrival::new(&parts, Some(body), sp)
}

fn snapshot(name: &str, arrival: &Arrival, sp: &SpConfig, route: Route) {
    let site = Site {
        sp,
        canonical_host: None,
        redirect_http: false,
    };
    let diagnosis = diagnostics::diagnose(arrival, site, route);
    insta::assert_snapshot!(
        name,
        format!(
            "{}\nX-SSOLab-Code: {}\n{}",
            diagnosis.status,
            diagnosis.code.as_str(),
            diagnosis.html()
        )
    );
}

const FORM: &[u8] = b"SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D&RelayState=%2F";

#[test]
fn near_miss_pages() {
    let sp = SpConfig::qualified();
    for (name, method, path) in [
        ("acs_trailing_slash", Method::POST, "/api/saml/consume/"),
        ("acs_double_slash", Method::POST, "//api/saml/consume"),
        ("acs_case", Method::POST, "/API/saml/consume"),
        (
            "acs_case_and_trailing_slash",
            Method::POST,
            "/API/saml/consume/",
        ),
    ] {
        snapshot(
            name,
            &arrival(method, path, &[], FORM, &sp),
            &sp,
            Route::None,
        );
    }
}

#[test]
fn acs_get_pages_read_by_what_the_browser_tells() {
    let sp = SpConfig::qualified();
    let okta = ("referer", "https://corp.okta.com/");
    for (name, headers) in [
        ("acs_get", vec![]),
        (
            "acs_get_after_a_redirect",
            vec![("sec-fetch-site", "cross-site"), okta],
        ),
        (
            "acs_get_from_a_sign_on_url",
            vec![
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-user", "?1"),
                okta,
            ],
        ),
        (
            "acs_get_from_a_bookmark",
            vec![("sec-fetch-site", "none"), ("sec-fetch-user", "?1")],
        ),
    ] {
        let arrival = arrival(Method::GET, "/api/saml/consume", &headers, b"", &sp);
        snapshot(name, &arrival, &sp, Route::OtherMethods);
    }
    // The HTTP-Redirect binding at the ACS: the right URL, the wrong binding.
    let in_url = arrival(
        Method::GET,
        "/api/saml/consume?SAMLResponse=fZJBb4IwFMe%2F",
        &[],
        b"",
        &sp,
    );
    snapshot(
        "acs_get_with_the_response_in_the_url",
        &in_url,
        &sp,
        Route::OtherMethods,
    );
    let put = arrival(Method::PUT, "/api/saml/consume", &[], b"", &sp);
    snapshot("acs_put", &put, &sp, Route::OtherMethods);
}

#[test]
fn misdirected_response_pages() {
    let sp = SpConfig::qualified();
    for (name, method, target, route) in [
        (
            "misdirected_stale_reply_url",
            Method::POST,
            "/saml/consume",
            Route::None,
        ),
        (
            "misdirected_home_page",
            Method::POST,
            "/",
            Route::OtherMethods,
        ),
        (
            "misdirected_login_page",
            Method::POST,
            "/login",
            Route::OtherMethods,
        ),
    ] {
        snapshot(name, &arrival(method, target, &[], FORM, &sp), &sp, route);
    }
    let in_query = arrival(
        Method::GET,
        "/login?SAMLResponse=fZJBb4IwFMe%2F",
        &[],
        b"",
        &sp,
    );
    snapshot("misdirected_in_the_query", &in_query, &sp, Route::Served);
}

#[test]
fn pages_name_the_public_acs_path() {
    let mut sp = SpConfig::qualified();
    sp.acs_path = "/session/sso/saml/acs".to_owned();
    let stale = arrival(Method::POST, "/sso/saml", &[], FORM, &sp);
    snapshot(
        "misdirected_with_a_public_acs_path",
        &stale,
        &sp,
        Route::None,
    );
    let get = arrival(Method::GET, "/api/saml/consume", &[], b"", &sp);
    snapshot(
        "acs_get_with_a_public_acs_path",
        &get,
        &sp,
        Route::OtherMethods,
    );
}

#[test]
fn other_pages_of_the_fallbacks() {
    let sp = SpConfig::qualified();
    let wrong_method = arrival(Method::DELETE, "/login", &[], b"", &sp);
    snapshot(
        "method_not_allowed",
        &wrong_method,
        &sp,
        Route::OtherMethods,
    );
    let nothing = arrival(Method::GET, "/nothing-here", &[], b"", &sp);
    snapshot("not_found", &nothing, &sp, Route::None);
}
