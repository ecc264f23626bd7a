//! The metadata refresh as the library runs it, on SQLite and PostgreSQL: one team's failure
//! does not stop the pass, what is recorded is the error code, a copy past its validUntil is
//! refused with `metadata_expired` naming validUntil and the last error, and the loop follows the
//! injected clock and stops on its shutdown signal. Metadata is served over HTTP on 127.0.0.1.

mod db;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use db::{TestDb, on_both_backends};
use sp::admin::{self, SsoForm};
use sp::clock::FixedClock;
use sp::model::{Id, MemberKey, MetadataSource, Plan, Provisioning};
use sp::saml::fetch::{FetchLimits, MetadataFetcher};
use sp::saml::refresh;
use sp::saml::rejection::Code;
use sp::store::{Backend, Store};
use sp::trust::{TrustCache, TrustError};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

on_both_backends!(
    one_failing_team_does_not_stop_the_pass,
    url_metadata_past_valid_until_is_refused_naming_it_and_the_last_error,
    messages_stored_before_codes_are_replaced_by_migration_0003,
);

const NOW: OffsetDateTime = datetime!(2025-06-01 00:00 UTC);

/// The Okta-like fixture's entity ID.
const OKTA_ISSUER: &str = "http://www.okta.com/exk1ssolab0test0000d7";

/// The fixture metadata for `issuer`, valid until `valid_until` when given.
fn metadata(issuer: &str, valid_until: Option<OffsetDateTime>) -> String {
    let path = format!(
        "{}/../fixtures/metadata/okta-one-cert.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let xml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace(OKTA_ISSUER, issuer);
    match valid_until {
        Some(t) => xml.replacen(
            "<md:EntityDescriptor ",
            &format!(
                "<md:EntityDescriptor validUntil=\"{}\" ",
                t.format(&Rfc3339).expect("format")
            ),
            1,
        ),
        None => xml,
    }
}

/// An IdP's metadata endpoint on 127.0.0.1 whose answer (status, body) a test changes.
struct Idp {
    url: String,
    answer: Arc<Mutex<(StatusCode, String)>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Idp {
    async fn start(body: String) -> Idp {
        let answer = Arc::new(Mutex::new((StatusCode::OK, body)));
        let served = answer.clone();
        let router = Router::new().route(
            "/metadata",
            axum::routing::get(move || {
                let answer = served.lock().expect("lock").clone();
                async move { answer }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Idp {
            url: format!("http://{addr}/metadata"),
            answer,
            _stop: stop,
        }
    }

    fn fail_with(&self, status: StatusCode) {
        self.answer.lock().expect("lock").0 = status;
    }
}

/// Fetches from loopback, where these IdPs run.
fn fetcher() -> MetadataFetcher {
    MetadataFetcher::new(FetchLimits {
        allow_private: true,
        ..FetchLimits::default()
    })
    .expect("metadata fetcher")
}

/// A custom-plan team `slug` whose metadata comes from `idp`, fetched once at NOW.
async fn team_on(store: &Store, slug: &str, issuer: &str, idp: &Idp) -> Id {
    let (team, _) = admin::create_team(store, slug, Plan::Custom, false, false, NOW)
        .await
        .expect("team");
    let form = SsoForm {
        issuer: issuer.to_owned(),
        metadata: MetadataSource::Url(idp.url.clone()),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    };
    admin::set_sso(store, &fetcher(), slug, form, NOW)
        .await
        .expect("sso by URL");
    team.id
}

async fn one_failing_team_does_not_stop_the_pass(db: TestDb) {
    let store = db.store().await;
    let alpha_issuer = "https://idp.example/alpha";
    let beta_issuer = "https://idp.example/beta";
    let alpha = Idp::start(metadata(alpha_issuer, None)).await;
    let beta = Idp::start(metadata(beta_issuer, None)).await;
    let alpha_id = team_on(&store, "alpha", alpha_issuer, &alpha).await;
    let beta_id = team_on(&store, "beta", beta_issuer, &beta).await;

    // Both are due later; the first in the pass's order fails, the second must still refresh.
    let later = NOW + Duration::hours(7);
    let due = store.metadata_due(later).await.expect("due");
    assert_eq!(due.len(), 2, "{due:?}");
    let (failing, healthy) = if due[0].0 == alpha_id {
        ((&alpha, &alpha_id, "alpha"), &beta_id)
    } else {
        ((&beta, &beta_id, "beta"), &alpha_id)
    };
    failing.0.fail_with(StatusCode::SERVICE_UNAVAILABLE);

    let pass = refresh::run_due(&store, &fetcher(), later)
        .await
        .expect("pass");
    assert_eq!(pass.failed, vec![(failing.1.clone(), "status")]);
    assert_eq!(pass.refreshed, vec![healthy.clone()]);

    let failed = store
        .metadata_cache(failing.1)
        .await
        .expect("cache")
        .expect("row");
    assert_eq!(
        (
            failed.last_error.as_deref(),
            failed.last_error_at,
            failed.fetched_at,
            failed.consecutive_failures
        ),
        (Some("status"), Some(later), Some(NOW), 1),
        "the code is recorded and the last good copy kept"
    );
    let refreshed = store
        .metadata_cache(healthy)
        .await
        .expect("cache")
        .expect("row");
    assert_eq!(
        (refreshed.last_error, refreshed.fetched_at),
        (None, Some(later))
    );

    // What the operator reads: the code and words derived from it, nothing the IdP said.
    let shown = admin::show(&store, failing.2, later).await.expect("show");
    assert!(
        shown.contains(
            "(1 failure(s) in a row): status: the metadata URL answered with an HTTP error status"
        ),
        "{shown}"
    );
}

async fn url_metadata_past_valid_until_is_refused_naming_it_and_the_last_error(db: TestDb) {
    let store = db.store().await;
    let valid_until = NOW + Duration::days(2);
    let idp = Idp::start(metadata(OKTA_ISSUER, Some(valid_until))).await;
    let team_id = team_on(&store, "acme", OKTA_ISSUER, &idp).await;
    let trust = TrustCache::default();
    let team_sso = |now: OffsetDateTime| {
        let store = store.clone();
        let trust = &trust;
        let team_id = team_id.clone();
        async move {
            let team = store
                .team_by_slug("acme")
                .await
                .expect("team")
                .expect("exists");
            let settings = store
                .sso_by_team(&team_id)
                .await
                .expect("sso")
                .expect("configured");
            trust.team_sso(&store, team, settings, now).await
        }
    };

    // The positive control: just before validUntil the certificates are trusted.
    let trusted = team_sso(valid_until - Duration::seconds(1))
        .await
        .expect("trusted before validUntil");
    assert_eq!(trusted.certificates.len(), 1);

    // Every refresh fails; at validUntil the copy is no longer trusted.
    idp.fail_with(StatusCode::NOT_FOUND);
    refresh::run_due(&store, &fetcher(), valid_until - Duration::minutes(5))
        .await
        .expect("pass");
    let err = match team_sso(valid_until).await {
        Err(e) => e,
        Ok(_) => panic!("expired metadata was trusted"),
    };
    assert!(matches!(err, TrustError::MetadataExpired { .. }), "{err}");
    let rejection = err.rejection().expect("a rejection, not an internal fault");
    assert_eq!(rejection.code, Code::MetadataExpired);
    assert_eq!(
        (rejection.expected.as_deref(), rejection.got.as_deref()),
        (
            Some("metadata whose validUntil is after 2025-06-03T00:00:00Z"),
            Some("validUntil 2025-06-03T00:00:00Z; last refresh error: status")
        )
    );
    assert_eq!(rejection.code.as_str(), "metadata_expired");
}

#[tokio::test]
async fn internal_trust_faults_are_not_rejections() {
    let err = TrustError::NotFetched {
        url: "https://idp.example/m".into(),
        last_error: Some("dns".into()),
    };
    assert!(err.rejection().is_none());
    assert!(
        err.to_string()
            .contains("(last error dns: the metadata URL's host name did not resolve)"),
        "{err}"
    );
}

#[tokio::test]
async fn the_loop_follows_the_injected_clock_and_stops_on_shutdown() {
    let db = db::sqlite_db();
    let store = db.store().await;
    let idp = Idp::start(metadata(OKTA_ISSUER, None)).await;
    let team_id = team_on(&store, "acme", OKTA_ISSUER, &idp).await;
    // The pass must run at the injected time: the copy it stores says when it was fetched.
    let later = NOW + Duration::hours(7);
    let clock = Arc::new(FixedClock::at(later));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(refresh::run(
        store.clone(),
        fetcher(),
        clock,
        std::time::Duration::from_millis(20),
        async move {
            let _ = stopped.await;
        },
    ));
    let refreshed = async {
        loop {
            let cache = store.metadata_cache(&team_id).await.expect("cache");
            if cache.is_some_and(|c| c.fetched_at == Some(later)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), refreshed)
        .await
        .expect("the loop refreshed at the injected time");
    stop.send(()).expect("the loop is running");
    tokio::time::timeout(std::time::Duration::from_secs(5), running)
        .await
        .expect("the loop stops on shutdown")
        .expect("no panic");
}

/// A database migrated up to 0002 holds a last error as prose (possibly quoting a remote
/// server); migrating on replaces it with the code `unrecorded` and leaves the rest of the row.
async fn messages_stored_before_codes_are_replaced_by_migration_0003(db: TestDb) {
    sqlx::any::install_default_drivers();
    let mut early = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations"
    )))
    .await
    .expect("migrations");
    early.migrations = early
        .migrations
        .iter()
        .filter(|m| m.version < 3)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    {
        // A fresh SQLite file does not exist yet; the store would create it, so this does too.
        let url = match db.backend {
            Backend::Sqlite => format!("{}?mode=rwc", db.url),
            Backend::Postgres => db.url.clone(),
        };
        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        early.run(&pool).await.expect("migrate to 0002");
        pool.close().await;
    }
    db.raw_execute(
        "INSERT INTO teams (id, slug, plan, api_access, scim_enabled, created_at) \
         VALUES ('t1', 'acme', 'custom', 0, 0, 0)",
    )
    .await;
    db.raw_execute(
        "INSERT INTO sso_settings (team_id, idp_issuer, metadata_kind, metadata_value, \
         allow_idp_initiated, provisioning, allow_sha1) \
         VALUES ('t1', 'https://idp.example', 'url', 'https://idp.example/m', 1, 'jit', 0)",
    )
    .await;
    db.raw_execute(
        "INSERT INTO metadata_cache (team_id, source, body, fetched_at, last_error, \
         last_error_at, consecutive_failures, next_refresh_at) VALUES ('t1', \
         'https://idp.example/m', NULL, NULL, 'HTTP 500: db7.internal at 10.1.2.3 is down', 5, 2, 6)",
    )
    .await;
    let store = db.store().await;
    let cache = store
        .metadata_cache(&Id("t1".into()))
        .await
        .expect("cache")
        .expect("row");
    assert_eq!(
        (
            cache.last_error.as_deref(),
            cache.consecutive_failures,
            cache.source.as_str()
        ),
        (Some("unrecorded"), 2, "https://idp.example/m")
    );
}
