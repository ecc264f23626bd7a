//! The ACS under load: 64 concurrent clients post distinct valid responses for 20 s, with
//! replays of already accepted ones mixed in, against the SP's own server (`web::serve`, the
//! code `sp serve` runs) on loopback, on SQLite and — when `DATABASE_URL` names one — on
//! PostgreSQL. Prints logins/s, p50/p99 latency of fresh logins, errors (must be 0) and replays
//! accepted (must be 0); figures go into docs/PERFORMANCE.md.
//!
//! Run with `cargo bench -p sp --bench load`. `SSOLAB_LOAD_SECS` (20), `SSOLAB_LOAD_CLIENTS` (64)
//! and `SSOLAB_LOAD_RESPONSES` (how many distinct responses are signed beforehand, 16000) change
//! the run; a run that uses every response up before its time says so.
//!
//! Server and clients share the machine's cores (one tokio runtime each, so that a busy client
//! does not starve the server's workers): the figures are for one machine doing both, which is
//! the conservative way to read them.

use sp::admin;
use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::model::{Plan, Provisioning};
use sp::store::Store;
use sp::web::{self, AppState};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{NOW, ResponseSpec};

use common::OKTA_FIXTURE_ISSUER as OKTA_ISSUER;

/// One post in ten is a replay of a response that was already accepted.
const REPLAY_EVERY: usize = 10;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` distinct signed responses as form bodies, signed on every core before the clock starts.
fn bodies(n: usize) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts: Vec<Vec<(usize, String)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| {
                            let mut spec = ResponseSpec::at(NOW).issued_by(OKTA_ISSUER);
                            spec.id = format!("idloadr{i:020}");
                            spec.assertion_mut().id = format!("idloada{i:020}");
                            let body = url::form_urlencoded::Serializer::new(String::new())
                                .append_pair("SAMLResponse", &spec.form_value())
                                .finish();
                            (i, body)
                        })
                        .collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a signing thread"))
            .collect()
    });
    let mut all: Vec<(usize, String)> = parts.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, b)| b).collect()
}

/// A database for one run: a fresh SQLite file, or a fresh schema of `DATABASE_URL`.
enum Db {
    Sqlite(tempfile::TempDir),
    Postgres { base: String, schema: String },
}

impl Db {
    fn url(&self) -> String {
        match self {
            Db::Sqlite(dir) => format!("sqlite://{}", dir.path().join("ssolab.db").display()),
            Db::Postgres { base, schema } => {
                let mut url = url::Url::parse(base).expect("DATABASE_URL is a URL");
                url.query_pairs_mut()
                    .append_pair("options[search_path]", schema);
                url.to_string()
            }
        }
    }

    async fn create(&self) {
        if let Db::Postgres { base, schema } = self {
            let pool = sqlx::PgPool::connect(base).await.expect("DATABASE_URL");
            sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
                .execute(&pool)
                .await
                .expect("create schema");
            pool.close().await;
        }
    }

    async fn drop_schema(&self) {
        if let Db::Postgres { base, schema } = self {
            let pool = sqlx::PgPool::connect(base).await.expect("DATABASE_URL");
            sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&pool)
                .await
                .expect("drop schema");
            pool.close().await;
        }
    }
}

#[derive(Default)]
struct Tally {
    fresh_ok: usize,
    replays_refused: usize,
    replays_accepted: usize,
    errors: usize,
    first_error: Option<String>,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

fn run(name: &str, db: Db, bodies: &[String], clients: usize, secs: u64) {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let (addr, store) = server.block_on(async {
        db.create().await;
        let store = Store::connect(&db.url()).await.expect("connect");
        store.migrate().await.expect("migrate");
        admin::create_team(&store, "acme", Plan::Custom, false, false, NOW)
            .await
            .expect("team");
        let form = common::okta_fixture_form(Provisioning::Jit);
        let fetcher =
            sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher");
        admin::set_sso(&store, &fetcher, "acme", form, NOW)
            .await
            .expect("sso settings");
        let state = AppState::new(
            store.clone(),
            SpConfig::qualified(),
            Arc::new(FixedClock::at(NOW)),
            fetcher,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(web::serve(listener, state, std::future::pending()));
        (addr, store)
    });
    let url = format!("http://{addr}/api/saml/consume");
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let bodies: Arc<Vec<String>> = Arc::new(bodies.to_vec());
    let clients_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let started = Instant::now();
    let tallies: Vec<Tally> = clients_rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let (http, url, next, bodies) =
                    (http.clone(), url.clone(), next.clone(), bodies.clone());
                tokio::spawn(async move {
                    let mut tally = Tally::default();
                    let mut accepted: Vec<usize> = Vec::new();
                    let mut sent = 0usize;
                    while Instant::now() < deadline {
                        sent += 1;
                        let replay = sent % REPLAY_EVERY == 0 && !accepted.is_empty();
                        let index = if replay {
                            accepted[(sent / REPLAY_EVERY + c) % accepted.len()]
                        } else {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= bodies.len() {
                                break;
                            }
                            i
                        };
                        let start = Instant::now();
                        let response = http
                            .post(&url)
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(bodies[index].clone())
                            .send()
                            .await;
                        let elapsed = start.elapsed();
                        let (status, code) = match response {
                            Ok(r) => {
                                let code = r
                                    .headers()
                                    .get("x-ssolab-code")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned);
                                let status = r.status();
                                let _ = r.bytes().await;
                                (Some(status), code)
                            }
                            Err(e) => {
                                tally.first_error.get_or_insert(e.to_string());
                                (None, None)
                            }
                        };
                        match (replay, status, code.as_deref()) {
                            (false, Some(s), _) if s == reqwest::StatusCode::SEE_OTHER => {
                                tally.fresh_ok += 1;
                                tally.latencies.push(elapsed);
                                accepted.push(index);
                            }
                            (true, Some(s), _) if s == reqwest::StatusCode::SEE_OTHER => {
                                tally.replays_accepted += 1
                            }
                            (true, Some(_), Some("replayed_assertion")) => {
                                tally.replays_refused += 1
                            }
                            (_, status, code) => {
                                tally.errors += 1;
                                tally
                                    .first_error
                                    .get_or_insert(format!("{status:?} {code:?}"));
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.expect("client task"));
        }
        all
    });
    let elapsed = started.elapsed();
    let mut total = Tally::default();
    for t in tallies {
        total.fresh_ok += t.fresh_ok;
        total.replays_refused += t.replays_refused;
        total.replays_accepted += t.replays_accepted;
        total.errors += t.errors;
        total.first_error = total.first_error.or(t.first_error);
        total.latencies.extend(t.latencies);
    }
    total.latencies.sort_unstable();
    let used_up = next.load(Ordering::Relaxed) >= bodies.len();
    println!(
        "{name:<10} {clients} clients, {:.1} s{}: {:.0} logins/s, p50 {:.1} ms, p99 {:.1} ms; \
         {} logins, {} replays refused, replays accepted {}, errors {}{}",
        elapsed.as_secs_f64(),
        if used_up {
            " (every prepared response used: raise SSOLAB_LOAD_RESPONSES)"
        } else {
            ""
        },
        total.fresh_ok as f64 / elapsed.as_secs_f64(),
        percentile(&total.latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&total.latencies, 0.99).as_secs_f64() * 1e3,
        total.fresh_ok,
        total.replays_refused,
        total.replays_accepted,
        total.errors,
        total
            .first_error
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default(),
    );
    server.block_on(async {
        store.close().await;
        db.drop_schema().await;
    });
    assert_eq!(total.replays_accepted, 0, "{name}: a replay was accepted");
    assert_eq!(total.errors, 0, "{name}: unexpected answers");
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: build only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let secs = env_usize("SSOLAB_LOAD_SECS", 20) as u64;
    let clients = env_usize("SSOLAB_LOAD_CLIENTS", 64);
    let n = env_usize("SSOLAB_LOAD_RESPONSES", 16_000);
    let signing = Instant::now();
    let bodies = bodies(n);
    println!(
        "signed {n} responses in {:.1} s",
        signing.elapsed().as_secs_f64()
    );
    let sqlite = tempfile::Builder::new()
        .prefix("ssolab-load")
        .tempdir()
        .expect("temp dir");
    run("sqlite", Db::Sqlite(sqlite), &bodies, clients, secs);
    match std::env::var("DATABASE_URL") {
        Ok(base) if base.starts_with("postgres") => {
            let schema = format!("ssolab_load_{}", sp::model::Id::random());
            run(
                "postgres",
                Db::Postgres { base, schema },
                &bodies,
                clients,
                secs,
            );
        }
        _ => println!("postgres   skipped: DATABASE_URL names no PostgreSQL server"),
    }
}
