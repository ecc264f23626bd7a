//! SCIM requests per second over loopback HTTP at a large team, on SQLite and (with
//! `DATABASE_URL`) PostgreSQL: Okta's `userName eq` lookup, and Okta's import (pages of 100
//! until `totalResults`).
//!
//! Run with `cargo bench -p sp --bench scim`. For each backend it seeds a team of
//! `SSOLAB_BENCH_SCIM_MEMBERS` members (default 100,000; batched INSERTs straight into the
//! schema, untimed, with the same key columns the store writes) and a second team of 10,000,
//! runs `ANALYZE`,
//! serves the SCIM router on 127.0.0.1:0 without the per-team rate limit (whose default budget
//! of 100 requests per second per team would otherwise be what is measured), and measures:
//!
//! - lookup, 1 in flight: `GET /Users?filter=userName eq "…"` for random members, one after the
//!   other from one client, for `SSOLAB_BENCH_SECONDS` (default 3) seconds;
//! - lookup, 8 in flight: the same from 8 concurrent clients;
//! - import: every page of 100 of the large team, one after the other, as Okta imports;
//! - import of the 10,000-member team (target: under 5 s);
//! - create: `POST /Users` one after the other (Okta's push), for the same time as lookups.
//!
//! Each lookup and create checks its status (200 with one result, 201), and the import checks
//! that it saw every member once. The server and clients share one tokio runtime of two worker
//! threads (this machine's cores); the database runs beside them.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::model::{Id, Plan, case_key};
use sp::scim::ScimSettings;
use sp::store::Store;
use sp::web::AppState;
use sqlx::Connection;
use time::OffsetDateTime;

const BATCH: usize = 200;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn user_name(i: usize) -> String {
    format!("user{i:06}@corp.com")
}

/// Inserts `n` members into `team` with their emails, as the store writes them (the same key
/// columns), one transaction per [`BATCH`] members.
async fn seed(url: &str, team: &Id, n: usize, now: i64) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    for start in (0..n).step_by(BATCH) {
        let mut tx = conn.begin().await.expect("begin");
        for i in start..n.min(start + BATCH) {
            let id = Id::random();
            let name = user_name(i);
            let given = format!("Given{i}");
            let family = format!("Family{}", i % 1000);
            let display = format!("{given} {family}");
            let emails = format!("[{{\"value\":\"{name}\",\"type\":\"work\",\"primary\":true}}]");
            sqlx::query(
                "INSERT INTO members (id, team_id, user_name, user_name_key, given_name, \
                 family_name, display_name, external_id, active, created_at, updated_at, emails, \
                 display_name_key, given_name_key, family_name_key, version, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11, $12, $13, 1, 'scim')",
            )
            .bind(&id.0)
            .bind(&team.0)
            .bind(&name)
            .bind(case_key(&name))
            .bind(&given)
            .bind(&family)
            .bind(&display)
            .bind(format!("ext{i}"))
            .bind(now)
            .bind(emails)
            .bind(case_key(&display))
            .bind(case_key(&given))
            .bind(case_key(&family))
            .execute(&mut *tx)
            .await
            .expect("insert member");
            sqlx::query(
                "INSERT INTO member_emails (team_id, member_id, position, value_key, type_key, \
                 is_primary) VALUES ($1, $2, 0, $3, 'work', 1)",
            )
            .bind(&team.0)
            .bind(&id.0)
            .bind(case_key(&name))
            .execute(&mut *tx)
            .await
            .expect("insert email");
        }
        tx.commit().await.expect("commit");
    }
    conn.close().await.expect("close");
}

/// A tiny deterministic generator (xorshift), so runs pick the same members.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

struct Bench {
    addr: SocketAddr,
    client: reqwest::Client,
}

impl Bench {
    async fn get(&self, key: &str, path_and_query: &str) -> serde_json::Value {
        let response = self
            .client
            .get(format!("http://{}/scim/v2{path_and_query}", self.addr))
            .header("authorization", format!("Bearer {key}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        serde_json::from_slice(&response.bytes().await.expect("body")).expect("json")
    }

    async fn lookup(&self, key: &str, i: usize) {
        let filter = format!("userName%20eq%20%22{}%22", user_name(i).replace('@', "%40"));
        let body = self.get(key, &format!("/Users?filter={filter}")).await;
        assert_eq!(body["totalResults"], 1);
    }

    /// Lookups of random members among `n` by `clients` concurrent clients for `secs`.
    async fn lookups(self: &Arc<Self>, key: &str, n: usize, clients: usize, secs: Duration) -> f64 {
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                let (bench, key) = (self.clone(), key.to_owned());
                tokio::spawn(async move {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (c as u64 + 1));
                    let mut done = 0u64;
                    while started.elapsed() < secs {
                        bench.lookup(&key, rng.below(n)).await;
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("client");
        }
        total as f64 / started.elapsed().as_secs_f64()
    }

    /// Okta's import: pages of 100 until totalResults; returns (pages, seconds).
    async fn import(&self, key: &str, expected: usize) -> (usize, f64) {
        let started = Instant::now();
        let mut seen = HashSet::with_capacity(expected);
        let mut start = 1;
        let mut pages = 0;
        loop {
            let page = self
                .get(key, &format!("/Users?startIndex={start}&count=100"))
                .await;
            pages += 1;
            for user in page["Resources"].as_array().expect("Resources") {
                assert!(
                    seen.insert(user["id"].as_str().expect("id").to_owned()),
                    "a member twice"
                );
            }
            start += 100;
            if start > page["totalResults"].as_u64().expect("totalResults") as usize {
                break;
            }
        }
        assert_eq!(seen.len(), expected, "every member once");
        (pages, started.elapsed().as_secs_f64())
    }

    async fn creates(&self, key: &str, secs: Duration) -> f64 {
        let started = Instant::now();
        let mut n = 0u64;
        while started.elapsed() < secs {
            let name = format!("new{n:07}@corp.com");
            let response = self
                .client
                .post(format!("http://{}/scim/v2/Users", self.addr))
                .header("authorization", format!("Bearer {key}"))
                .header("content-type", "application/scim+json")
                .body(serde_json::json!({"userName": name, "name": {"givenName": "N", "familyName": "M"}, "emails": [{"value": name, "primary": true, "type": "work"}]}).to_string())
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 201);
            n += 1;
        }
        n as f64 / started.elapsed().as_secs_f64()
    }
}

async fn run(backend: &str, url: &str, members: usize, secs: Duration) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let now = OffsetDateTime::now_utc();
    let (large, large_key) = sp::admin::create_team(&store, "large", Plan::Custom, true, true, now)
        .await
        .expect("team");
    let (small, small_key) = sp::admin::create_team(&store, "small", Plan::Custom, true, true, now)
        .await
        .expect("team");
    let (large_key, small_key) = (large_key.expect("key"), small_key.expect("key"));
    let seeding = Instant::now();
    seed(url, &large.id, members, now.unix_timestamp()).await;
    seed(url, &small.id, 10_000, now.unix_timestamp()).await;
    // Statistics, as a database in service has them (PostgreSQL's autovacuum analyses tables
    // that changed this much; without them its planner guesses on an empty table's estimates).
    sqlx::raw_sql("ANALYZE")
        .execute(&mut sqlx::AnyConnection::connect(url).await.expect("connect"))
        .await
        .expect("analyze");
    eprintln!(
        "{backend}: seeded {members} + 10000 members in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let clock = Arc::new(FixedClock::at(now));
    let state = AppState::new(
        store.clone(),
        SpConfig::qualified(),
        clock,
        sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher"),
    );
    let app = axum::Router::new().nest(
        "/scim/v2",
        sp::scim::router_with(state, ScimSettings { rate_limit: None }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let bench = Arc::new(Bench {
        addr,
        client: reqwest::Client::new(),
    });

    // Warm the pool and the caches.
    bench
        .lookups(&large_key, members, 1, Duration::from_millis(300))
        .await;
    let one = bench.lookups(&large_key, members, 1, secs).await;
    let eight = bench.lookups(&large_key, members, 8, secs).await;
    let (pages, import_large) = bench.import(&large_key, members).await;
    let (_, import_small) = bench.import(&small_key, 10_000).await;
    let creates = bench.creates(&small_key, secs).await;
    println!(
        "| {backend} | {members} | {one:.0} | {eight:.0} | {pages} pages in {import_large:.1} s ({:.0} pages/s) | {import_small:.2} s | {creates:.0} |",
        pages as f64 / import_large
    );
    store.close().await;
}

fn main() {
    let members = env_usize("SSOLAB_BENCH_SCIM_MEMBERS", 100_000);
    let secs = Duration::from_secs(env_usize("SSOLAB_BENCH_SECONDS", 3) as u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!("| backend | members | lookups/s, 1 in flight | lookups/s, 8 in flight | import (100 per page) | import of 10,000 | creates/s |");
        println!("|---|---|---|---|---|---|---|");
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = format!("sqlite://{}", dir.path().join("scim-bench.db").display());
        run("SQLite", &sqlite, members, secs).await;
        match std::env::var("DATABASE_URL") {
            Ok(base) if base.starts_with("postgres") => {
                // A schema of its own, dropped afterwards.
                let schema = format!("ssolab_bench_{}", Id::random());
                let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect");
                sqlx::raw_sql(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("schema");
                let mut url = url::Url::parse(&base).expect("url");
                url.query_pairs_mut().append_pair("options[search_path]", &schema);
                run("PostgreSQL", url.as_str(), members, secs).await;
                sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut admin).await.expect("drop");
            }
            _ => eprintln!("DATABASE_URL is not set: PostgreSQL skipped"),
        }
    });
}
