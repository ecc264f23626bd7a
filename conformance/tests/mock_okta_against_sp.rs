//! mock-okta meets the SP: every sequence of every profile (Okta's OIN template, Okta's App
//! Integration Wizard, Microsoft Entra's provisioning) passes against `sp`'s SCIM server, served
//! by `sp`'s own web stack on 127.0.0.1 exactly as `sp serve` serves it (rate limit on), on
//! SQLite and, when `DATABASE_URL` names one, on PostgreSQL. The two sides share no code:
//! mock-okta speaks raw HTTP and JSON, from what Okta and Entra send.

#[path = "support/postgres.rs"]
mod postgres;

use mock_okta::{AuthMode, Profile, Render, RunConfig};
use sp::admin;
use sp::clock::SystemClock;
use sp::config::SpConfig;
use sp::model::Plan;
use sp::store::Store;
use sp::web::{self, AppState};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

/// An SP on `database` with team `acme` (API access and SCIM on): the SCIM base URL and key. The
/// SP's clock is the real one, as in `sp serve`: the per-team rate limit refills with it.
async fn sp_with_scim(database: &str) -> (String, String) {
    let store = Store::connect(database).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (_, key) = admin::create_team(&store, "acme", Plan::Custom, true, true, NOW)
        .await
        .expect("team");
    let key = key.expect("a team with API access gets a key");
    let fetcher =
        sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher");
    let state = AppState::new(store, SpConfig::qualified(), Arc::new(SystemClock), fetcher);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(web::serve(listener, state, std::future::pending()));
    (format!("http://{addr}/scim/v2"), key)
}

/// Every sequence of every profile, then once with the raw token in the header (Okta's
/// "HTTP Header" authentication mode), against one SP.
async fn every_profile_passes(database: &str) {
    let (base_url, key) = sp_with_scim(database).await;
    let mut runs: Vec<RunConfig> = Profile::ALL
        .iter()
        .map(|profile| {
            let mut config = RunConfig::new(&base_url, &key);
            config.profile = *profile;
            config
        })
        .collect();
    let mut raw_token = RunConfig::new(&base_url, &key);
    raw_token.auth_mode = AuthMode::Header;
    raw_token.sequences = vec![mock_okta::Sequence::Connect, mock_okta::Sequence::Spec];
    runs.push(raw_token);
    for config in &runs {
        let report = mock_okta::run(config).await.expect("the run starts");
        assert!(
            report.passed(),
            "{:?} ({:?}) against sp:\n{}",
            config.profile,
            config.auth_mode,
            report.text(Render::AsIs)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mock_okta_sequence_of_every_profile_passes_against_sp_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    every_profile_passes(&format!("sqlite://{}", dir.path().join("sp.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mock_okta_sequence_of_every_profile_passes_against_sp_on_postgres() {
    postgres::in_fresh_schema("ssolab_okta", |url| async move {
        every_profile_passes(&url).await
    })
    .await;
}
