//! Databases for tests: a fresh SQLite file, or a fresh schema of the `DATABASE_URL` PostgreSQL
//! server (dropped afterwards, so test binaries and tests running at the same time do not see
//! each other). Without `DATABASE_URL` the PostgreSQL half prints a notice and passes, except
//! under `CI`, where it fails: CI must never skip silently.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::future::Future;
use std::io::Write;
use std::sync::Arc;

use sp::model::Id;
use sp::store::{Backend, Store};
use sqlx::Connection;

/// One test's private database: its URL and whatever must live as long as it does.
#[derive(Clone)]
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    /// The SQLite file's directory, deleted when the last clone goes.
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl TestDb {
    /// A migrated store on this database. Call twice for two "replicas" (two pools).
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url).await.expect("connect");
        assert_eq!(store.backend(), self.backend);
        store.migrate().await.expect("migrate");
        store
    }

    /// Runs SQL behind the store's back (to plant rows the store would never write).
    pub async fn raw_execute(&self, sql: &str) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("raw connect");
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
        conn.close().await.expect("raw close");
    }
}

pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ssolab.db");
    TestDb {
        url: format!("sqlite://{}", path.display()),
        backend: Backend::Sqlite,
        _dir: Some(Arc::new(dir)),
    }
}

/// `DATABASE_URL`, or `None` after a notice (a failure under CI).
pub fn postgres_base_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let ci = std::env::var("CI").unwrap_or_default();
            if !ci.is_empty() && ci != "false" && ci != "0" {
                panic!(
                    "CI is set but DATABASE_URL is not: the PostgreSQL half of the database tests \
                     must run in CI (set DATABASE_URL=postgres://USER@HOST:PORT/DB)"
                );
            }
            // Once per test binary, and past libtest's output capture (which only takes
            // `eprintln!`), so the skip is visible in a plain `cargo test`.
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "notice: DATABASE_URL is not set; the PostgreSQL half of every database test \
                     is skipped (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)"
                );
            });
            None
        }
    }
}

/// Runs `body` on a fresh SQLite file.
pub async fn run_sqlite<F, Fut>(body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    body(sqlite_db()).await;
}

/// Runs `body` in a fresh schema of the `DATABASE_URL` server, dropping the schema afterwards
/// even if `body` panics.
pub async fn run_postgres<F, Fut>(body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(base) = postgres_base_url() else {
        return;
    };
    let schema = format!("ssolab_test_{}", Id::random());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to DATABASE_URL");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    // sqlx turns `options[k]=v` into the startup option `-c k=v`: every connection of every
    // pool on this URL starts with the schema as its search_path, so migrations and queries
    // land there.
    url.query_pairs_mut()
        .append_pair("options[search_path]", &schema);
    let db = TestDb {
        url: url.to_string(),
        backend: Backend::Postgres,
        _dir: None,
    };
    // A task, so that a panic comes back as a value and the schema is dropped before it goes on.
    // (This also proves at compile time that every store future a test awaits is Send, as axum
    // handlers need.)
    let outcome = tokio::spawn(body(db)).await;
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
    admin.close().await.expect("close");
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// For each `async fn NAME(db: TestDb)`, a module `NAME` with tests `sqlite` and `postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                crate::db::run_sqlite(super::$name).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                crate::db::run_postgres(super::$name).await;
            }
        }
    )*};
}

pub(crate) use on_both_backends;
