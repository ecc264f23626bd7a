//! The two independent sides meet: the mock IdP (written from the protocol and from captures of
//! real IdPs) posts to the real SP over HTTP, the way a browser does. Every preset logs a member
//! in; every fault gets the answer the mock's catalogue says a correct SP gives.
//!
//! This is the seed of the conformance catalogue (its own issue): here it proves the mock IdP's
//! "Done when" — `mock-idp post --preset entra --to <ACS>` logs a member in — and keeps the two
//! catalogues honest with each other.

use mock_idp::faults::{FAULTS, OTHER_TEAM_ISSUER};
use mock_idp::keys::KeyType;
use mock_idp::metadata::{self, Published};
use mock_idp::post::{self, Submission};
use mock_idp::presets::{self, PRESETS};
use mock_idp::spec::ResponseSpec;
use sp::admin::{self, SsoForm};
use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::model::{MemberKey, MetadataSource, Plan, Provisioning};
use sp::store::Store;
use sp::web::{self, AppState};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);
const ENTITY_ID: &str = "https://qualified.io";

struct Sp {
    acs: String,
    store: Store,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The SP on 127.0.0.1 with a fresh SQLite file, its base URL being where it listens.
async fn start_sp() -> Sp {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("sp.db").display()))
        .await
        .expect("store");
    store.migrate().await.expect("migrate");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let mut config = SpConfig::qualified();
    config.base_url = base.clone();
    config.entity_id = ENTITY_ID.to_owned();
    config.decryption_key = Some(
        xmldsig::PrivateKey::from_pem(
            &std::fs::read(mock_idp::keys::keys_dir().join("sp-rsa.key")).expect("SP key"),
            None,
        )
        .expect("SP key parses"),
    );
    let acs = config.acs_url();
    let mut state = AppState::new(
        store.clone(),
        config,
        Arc::new(FixedClock::at(NOW)),
        fetcher(),
    );
    state.secure_cookies = false;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Sp {
        acs,
        store,
        _dir: dir,
        _stop: stop,
    }
}

/// A team trusting the mock IdP `issuer` through the mock's own metadata.
async fn team(sp: &Sp, slug: &str, issuer: &str, published: Published) {
    admin::create_team(&sp.store, slug, Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let xml = metadata::render(
        issuer,
        "https://idp.mock.example/sso",
        published,
        KeyType::Rsa,
    )
    .expect("mock metadata");
    let form = SsoForm {
        issuer: issuer.to_owned(),
        metadata: MetadataSource::Static(xml),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
    };
    admin::set_sso(&sp.store, &fetcher(), slug, form, NOW)
        .await
        .expect("sso settings");
}

async fn deliver(sp: &Sp, xml_form_value: String, posts: u8) -> Vec<post::Delivery> {
    let submission = Submission {
        url: url::Url::parse(&sp.acs).expect("ACS URL"),
        method: mock_idp::spec::HttpMethod::Post,
        saml_response: xml_form_value,
        relay_state: None,
    };
    post::deliver_times(&post::client().expect("client"), &submission, posts)
        .await
        .expect("delivered")
}

#[tokio::test]
async fn every_preset_logs_a_member_in_through_the_browser_flow() {
    let sp = start_sp().await;
    // One team per IdP: presets of one IdP (adfs, adfs-encrypted) share its team.
    let mut teams: Vec<(&str, String)> = Vec::new();
    for (n, preset) in PRESETS.iter().enumerate() {
        let slug = match teams.iter().find(|(issuer, _)| *issuer == preset.issuer) {
            Some((_, slug)) => slug.clone(),
            None => {
                let slug = format!("team-{n}");
                team(&sp, &slug, preset.issuer, Published::Current).await;
                teams.push((preset.issuer, slug.clone()));
                slug
            }
        };
        let spec = preset
            .spec()
            .for_sp(&sp.acs, ENTITY_ID)
            .numbered(n as u64 + 1);
        let built = mock_idp::build::build(&spec, NOW).expect("builds");
        let deliveries = deliver(&sp, built.form_value(), 1).await;
        let delivery = &deliveries[0];
        // POST → 303 to "/", then the signed-in page, cookies carried as a browser does.
        assert_eq!(
            delivery.hops[0].status,
            303,
            "{}:\n{}",
            preset.name,
            delivery.transcript()
        );
        assert_eq!(
            delivery.final_status(),
            200,
            "{}:\n{}",
            preset.name,
            delivery.transcript()
        );
        assert!(
            delivery.body.contains("alice@example.com"),
            "{}: {}",
            preset.name,
            delivery.body
        );
        assert!(
            delivery.body.contains(&slug),
            "{}: {}",
            preset.name,
            delivery.body
        );
    }
    assert!(
        presets::by_name("entra").is_ok(),
        "the Done-when preset exists"
    );
}

/// The code a fault's `expected` line starts with, or `None` for "accepted…".
fn expected_code(expected: &str) -> Option<&str> {
    let first = expected
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(')
        .next()
        .unwrap_or("");
    (first != "accepted").then_some(first)
}

#[tokio::test]
async fn every_fault_gets_the_answer_its_catalogue_line_names() {
    let sp = start_sp().await;
    let preset = presets::by_name("okta").expect("okta preset");
    team(&sp, "acme", preset.issuer, Published::Current).await;
    // other-team-issuer: a second team, trusting the next key, owns that issuer.
    admin::create_team(&sp.store, "other", Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let other = metadata::render(
        OTHER_TEAM_ISSUER,
        "https://idp.mock.example/sso",
        Published::Next,
        KeyType::Rsa,
    )
    .expect("metadata");
    let form = SsoForm {
        issuer: OTHER_TEAM_ISSUER.to_owned(),
        metadata: MetadataSource::Static(other),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
    };
    admin::set_sso(&sp.store, &fetcher(), "other", form, NOW)
        .await
        .expect("sso");

    let mut mismatches = Vec::new();
    for (n, fault) in FAULTS.iter().enumerate() {
        let spec: ResponseSpec = preset
            .spec()
            .for_sp(&sp.acs, ENTITY_ID)
            .numbered(1000 + n as u64);
        let built = fault
            .build(&spec, NOW)
            .unwrap_or_else(|e| panic!("{}: {e}", fault.name));
        let deliveries = deliver(&sp, built.form_value(), fault.posts).await;
        let last = deliveries.last().expect("at least one delivery");
        let first_status = deliveries[0].hops[0].status;
        let verdict = match expected_code(fault.expected) {
            Some(code) => {
                let refused = last.hops[0].status >= 400
                    && last.body.contains(&format!("<code>{code}</code>"));
                // A replay-like fault is accepted first and refused after.
                let replay_ok = fault.posts < 2 || first_status == 303;
                refused && replay_ok
            }
            None => {
                let accepted_first = first_status == 303;
                let replay_refused =
                    fault.posts < 2 || last.body.contains("<code>replayed_assertion</code>");
                accepted_first && replay_refused
            }
        };
        if !verdict {
            let got = code_on(&last.body).unwrap_or("(no code)");
            mismatches.push(format!(
                "{}: expected {:?}, SP answered {} {got}",
                fault.name, fault.expected, last.hops[0].status
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "faults whose SP answer differs from the catalogue:\n{}",
        mismatches.join("\n")
    );
}

/// The SAML code shown on an SP page, if any.
fn code_on(body: &str) -> Option<&str> {
    body.split("<code>").nth(1)?.split("</code>").next()
}

/// An IdP whose clock runs ahead of the SP's. Okta dates Conditions NotBefore five minutes
/// before IssueInstant so that such SPs still accept it, and the SP honours that signed window
/// (corpus: gosaml2's okta_response.xml); PingOne starts its window one minute back, so the
/// same lead gets `not_yet_valid`, as does Okta once its NotBefore itself is beyond the skew.
#[tokio::test]
async fn an_idp_clock_ahead_is_judged_by_the_idps_own_not_before() {
    let sp = start_sp().await;
    for name in ["okta", "pingone"] {
        let preset = presets::by_name(name).expect("preset");
        team(&sp, name, preset.issuer, Published::Current).await;
    }
    let cases = [
        ("okta", 5 * 60, None),
        ("okta", 8 * 60 + 30, Some("not_yet_valid")),
        ("pingone", 5 * 60, Some("not_yet_valid")),
    ];
    for (n, (name, ahead, expected)) in cases.into_iter().enumerate() {
        let preset = presets::by_name(name).expect("preset");
        let mut spec = preset
            .spec()
            .for_sp(&sp.acs, ENTITY_ID)
            .numbered(2000 + n as u64);
        spec.times.clock_offset = time::Duration::seconds(ahead);
        let built = mock_idp::build::build(&spec, NOW).expect("builds");
        let delivery = &deliver(&sp, built.form_value(), 1).await[0];
        let status = delivery.hops[0].status;
        match expected {
            None => assert_eq!(
                status,
                303,
                "{name} {ahead} s ahead:\n{}",
                delivery.transcript()
            ),
            Some(code) => {
                assert!(status >= 400, "{name} {ahead} s ahead: {status}");
                assert_eq!(
                    code_on(&delivery.body),
                    Some(code),
                    "{name} {ahead} s ahead"
                );
            }
        }
    }
}

/// The SP's metadata fetcher (these teams use static metadata, so it never fetches).
fn fetcher() -> sp::saml::fetch::MetadataFetcher {
    sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher")
}
