//! The two independent sides meet: the mock IdP (written from the protocol and from captures of
//! real IdPs) posts to the real SP over HTTP, the way a browser does. Every preset logs a member
//! in through the browser flow.
//!
//! Every fault's answer is a scenario of the catalogue (`tests/catalogue.rs`), which posts through
//! `check::post_and_judge`, the function behind `mock-idp post`: "the SP answers what the
//! catalogue says" is exactly "`mock-idp post --fault NAME` exits 0". What stays here is what the
//! catalogue does not say: the signed-in page a browser ends on, the redirector's hops, a
//! disagreement being a verdict, and the IdP's clock running ahead.

use mock_idp::check;
use mock_idp::expect::{Code, Expected, Outcome};
use mock_idp::keys::KeyType;
use mock_idp::metadata::{self, Published};
use mock_idp::post::{self, Redirect, Submission};
use mock_idp::presets::{self, PRESETS};
use mock_idp::server::shape;
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
        // Presets and faults encrypt too (adfs-encrypted); the SP has its key.
        encrypted_assertions: true,
    };
    admin::set_sso(&sp.store, &fetcher(), slug, form, NOW)
        .await
        .expect("sso settings");
}

async fn deliver(sp: &Sp, xml_form_value: String) -> post::Delivery {
    let submission = Submission {
        url: url::Url::parse(&sp.acs).expect("ACS URL"),
        method: mock_idp::spec::HttpMethod::Post,
        saml_response: xml_form_value,
        relay_state: None,
    };
    post::deliver(&post::client().expect("client"), &submission)
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
        let delivery = &deliver(&sp, built.form_value()).await;
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

/// `mock-idp post --via-redirect`: a real redirect on 127.0.0.1 in front of the real ACS. After
/// a 301 the browser GETs the ACS without the response, and the SP diagnoses exactly that; a
/// 307 keeps the POST, and the same response logs in (the positive control).
#[tokio::test]
async fn a_post_through_a_301_gets_the_acs_get_diagnosis_and_through_a_307_logs_in() {
    let sp = start_sp().await;
    let preset = presets::by_name("okta").expect("okta preset");
    team(&sp, "acme", preset.issuer, Published::Current).await;
    let client = post::client().expect("client");
    let cases = [
        (Redirect::Moved301, Expected::Refused(Code::AcsGet)),
        (Redirect::Found302, Expected::Refused(Code::AcsGet)),
        (Redirect::Temporary307, Expected::Accepted),
    ];
    for (n, (redirect, expected)) in cases.into_iter().enumerate() {
        let spec = preset
            .spec()
            .for_sp(&sp.acs, ENTITY_ID)
            .numbered(3000 + n as u64);
        let prepared = shape::prepare(&spec, None, NOW).expect("builds");
        let checked = check::post_and_judge(&client, prepared, Some(redirect), expected)
            .await
            .expect("reached");
        let delivery = &checked.deliveries[0];
        assert_eq!(
            delivery.hops[0].status,
            redirect.status(),
            "{}",
            checked.report()
        );
        assert_ne!(
            delivery.hops[0].url, delivery.hops[1].url,
            "the first hop is the redirector"
        );
        assert_eq!(delivery.hops[1].url, sp.acs);
        assert_eq!(delivery.hops[1].sent_body, redirect.keeps_post());
        assert!(checked.verdict.agree, "{}", checked.report());
    }
}

/// A disagreement is a verdict, not an error: the same valid response judged against a code it
/// does not get.
#[tokio::test]
async fn an_answer_other_than_the_expected_one_disagrees() {
    let sp = start_sp().await;
    let preset = presets::by_name("okta").expect("okta preset");
    team(&sp, "acme", preset.issuer, Published::Current).await;
    let spec = preset.spec().for_sp(&sp.acs, ENTITY_ID).numbered(4000);
    let prepared = shape::prepare(&spec, None, NOW).expect("builds");
    let checked = check::post_and_judge(
        &post::client().expect("client"),
        prepared,
        None,
        Expected::Refused(Code::AudienceMismatch),
    )
    .await
    .expect("reached");
    assert!(!checked.verdict.agree);
    assert_eq!(
        checked.verdict.got,
        [Outcome::Accepted { status: 303 }],
        "{}",
        checked.report()
    );
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
        let delivery = &deliver(&sp, built.form_value()).await;
        let status = delivery.hops[0].status;
        match expected {
            None => assert_eq!(
                status,
                303,
                "{name} {ahead} s ahead:\n{}",
                delivery.transcript()
            ),
            Some(code) => {
                assert_eq!(
                    Outcome::of(delivery),
                    Outcome::Answered {
                        status,
                        code: Some(code.to_owned())
                    },
                    "{name} {ahead} s ahead"
                );
                assert!(status >= 400, "{name} {ahead} s ahead: {status}");
            }
        }
    }
}

/// The SP's metadata fetcher (these teams use static metadata, so it never fetches).
fn fetcher() -> sp::saml::fetch::MetadataFetcher {
    sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher")
}

/// mock-idp keeps its own list of the codes an SP answers (it never imports `sp`); every code
/// our SP can answer must be one that `post --expect` accepts, or a partner could not check it.
#[test]
fn mock_idp_knows_every_code_the_sp_answers() {
    let unknown: Vec<&str> = sp::saml::rejection::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|name| Code::parse(name).is_err())
        .collect();
    assert!(
        unknown.is_empty(),
        "codes mock-idp cannot expect: {unknown:?}"
    );
}
