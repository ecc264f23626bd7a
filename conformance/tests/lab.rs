//! `conformance lab` without a browser: the lab's SP and mock IdP on ephemeral ports, a login
//! through the mock's IdP-initiated launch carried by an HTTP client with a cookie jar, the SCIM
//! key, and the printed instructions.

use conformance::lab::{Lab, LabError, LabOptions, TEAM};
use reqwest::header::{AUTHORIZATION, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use std::net::SocketAddr;

async fn lab() -> Lab {
    Lab::start(LabOptions::ephemeral())
        .await
        .unwrap_or_else(|e| panic!("the lab starts: {e}"))
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// Undoes the mock's HTML escaping of attribute values.
fn unescape(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the first `name="…"` attribute in `tag`.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// The action and the hidden fields of the mock's auto-submitting form.
fn auto_submit_form(page: &str) -> (String, Vec<(String, String)>) {
    let form = page
        .split("<form ")
        .nth(1)
        .unwrap_or_else(|| panic!("no form in:\n{page}"));
    let action = attribute(form, "action").expect("the form's action");
    let fields = form
        .split("<input ")
        .skip(1)
        .filter(|input| input.starts_with("type=\"hidden\""))
        .map(|input| {
            (
                attribute(input, "name").expect("name"),
                attribute(input, "value").expect("value"),
            )
        })
        .collect();
    (action, fields)
}

/// The mock's IdP-initiated launch posts a signed response for carol to the SP's ACS; the SP
/// answers 303 with a session cookie, and the signed-in page names carol and team acme.
#[tokio::test]
async fn a_response_from_the_mocks_launch_logs_a_member_in() {
    let lab = lab().await;
    let urls = lab.urls();
    let client = browser();
    let launch = client
        .get(format!("{}/launch", urls.idp_base))
        .query(&[
            ("user", "carol@example.com"),
            ("first_name", "Carol"),
            ("last_name", "Doe"),
        ])
        .send()
        .await
        .expect("launch");
    assert_eq!(launch.status(), 200);
    let (action, fields) = auto_submit_form(&launch.text().await.expect("page"));
    assert_eq!(action, urls.acs, "the form posts to the lab's ACS");
    assert!(fields.iter().any(|(name, _)| name == "SAMLResponse"));

    let consumed = client
        .post(&action)
        .form(&fields)
        .send()
        .await
        .expect("ACS");
    assert_eq!(consumed.status(), 303);
    assert_eq!(consumed.headers()[LOCATION], "/");
    let cookies: Vec<&str> = consumed
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("ssolab_session=") && !c.contains("Secure")),
        "a session cookie a plain-http browser sends back: {cookies:?}"
    );

    let home = client.get(&urls.sp_base).send().await.expect("home");
    assert_eq!(home.status(), 200);
    let page = home.text().await.expect("page");
    assert!(page.contains("carol@example.com"), "{page}");
    assert!(page.contains(TEAM), "{page}");

    // The login page now offers the team's SP-initiated login, which goes to the SSO URL the
    // SP read from the mock's dynamic metadata.
    let login = client.get(&urls.sp_login).send().await.expect("login page");
    let page = login.text().await.expect("page");
    assert!(page.contains("SSO LOG IN"), "{page}");
    let started = client.get(&urls.sp_initiated).send().await.expect("SSO");
    assert_eq!(started.status(), 302);
    let location = started.headers()[LOCATION].to_str().expect("location");
    assert!(
        location.starts_with(&format!("{}/sso?SAMLRequest=", urls.idp_base)),
        "{location}"
    );
    lab.shutdown().await.expect("stops");
}

/// A fresh browser (no session) is sent to the login page: the signed-in page above is not
/// shown to everyone.
#[tokio::test]
async fn without_a_login_the_sp_sends_the_browser_to_its_login_page() {
    let lab = lab().await;
    let home = browser()
        .get(&lab.urls().sp_base)
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), 303);
    assert_eq!(home.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn the_scim_key_opens_the_scim_server_and_nothing_else_does() {
    let lab = lab().await;
    let users = format!("{}/Users", lab.urls().scim_base);
    let client = browser();
    let with_key = client
        .get(&users)
        .header(AUTHORIZATION, format!("Bearer {}", lab.scim_key()))
        .send()
        .await
        .expect("SCIM");
    assert_eq!(with_key.status(), 200);
    let body: serde_json::Value =
        serde_json::from_str(&with_key.text().await.expect("body")).expect("SCIM JSON");
    assert_eq!(body["totalResults"], 0, "{body}");

    let wrong_key = client
        .get(&users)
        .header(AUTHORIZATION, "Bearer ssolab_not_the_key")
        .send()
        .await
        .expect("SCIM");
    assert_eq!(wrong_key.status(), 401);
}

#[tokio::test]
async fn the_instructions_name_every_url_the_key_and_the_database() {
    let lab = lab().await;
    let text = lab.instructions();
    let u = lab.urls();
    for (what, value) in [
        ("SP base", &u.sp_base),
        ("ACS", &u.acs),
        ("SP login page", &u.sp_login),
        ("SSO LOG IN", &u.sp_initiated),
        ("SP metadata", &u.sp_metadata),
        ("SCIM base", &u.scim_base),
        ("IdP base", &u.idp_base),
        ("IdP login page", &u.idp_login),
        ("IdP metadata", &u.idp_metadata),
        ("IdP control", &u.idp_control),
    ] {
        assert!(text.contains(value.as_str()), "{what} {value}:\n{text}");
    }
    assert!(text.contains(lab.scim_key()), "{text}");
    assert!(text.contains(lab.database()), "{text}");
    assert!(text.contains(lab.idp_issuer()), "{text}");
    for command in [
        format!(
            "mock-idp post --to {} --fault reply-url-trailing-slash",
            u.acs
        ),
        format!("curl -s {}/rotate", u.idp_control),
        format!(
            "mock-okta run --base-url {} --token {}",
            u.scim_base,
            lab.scim_key()
        ),
    ] {
        assert!(text.contains(&command), "{command}:\n{text}");
    }
}

#[tokio::test]
async fn a_taken_port_is_named_with_its_option() {
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = taken.local_addr().expect("address");
    let options = LabOptions {
        idp_listen: addr,
        ..LabOptions::ephemeral()
    };
    match Lab::start(options).await {
        Err(e @ LabError::Listen { option, .. }) => {
            assert_eq!(option, "--idp-listen");
            assert_eq!(e.code(), "listen_failed");
            assert!(e.to_string().contains(&addr.to_string()), "{e}");
        }
        Err(e) => panic!("expected listen_failed, got {e}"),
        Ok(_) => panic!("the lab started on a taken port"),
    }
}

#[tokio::test]
async fn an_address_beyond_loopback_is_refused() {
    let options = LabOptions {
        sp_listen: SocketAddr::from(([0, 0, 0, 0], 0)),
        ..LabOptions::ephemeral()
    };
    match Lab::start(options).await {
        Err(e @ LabError::NotLoopback { option, .. }) => {
            assert_eq!(option, "--listen");
            assert_eq!(e.code(), "not_loopback");
        }
        Err(e) => panic!("expected not_loopback, got {e}"),
        Ok(_) => panic!("the lab listened beyond loopback"),
    }
}

/// A lab restarted on the same `--database` finds team acme there and issues a new key (the old
/// one was shown only once; it keeps working, as any issued key does).
#[tokio::test]
async fn a_lab_restarted_on_its_database_seeds_the_team_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("lab.db").display());
    let options = || LabOptions {
        database: Some(database.clone()),
        ..LabOptions::ephemeral()
    };
    let first = Lab::start(options()).await.expect("first start");
    let first_key = first.scim_key().to_owned();
    first.shutdown().await.expect("stops");

    let second = Lab::start(options()).await.expect("second start");
    assert_ne!(second.scim_key(), first_key);
    assert_eq!(second.database(), database);
    let client = browser();
    for key in [second.scim_key(), first_key.as_str()] {
        let answer = client
            .get(format!("{}/Users", second.urls().scim_base))
            .header(AUTHORIZATION, format!("Bearer {key}"))
            .send()
            .await
            .expect("SCIM");
        assert_eq!(answer.status(), 200);
    }
    second.shutdown().await.expect("stops");
}
