//! Storage: sqlx over SQLite (default) or PostgreSQL, with embedded migrations.
//!
//! One [`Store`] wraps an [`AnyPool`], so the same SQL runs on both backends: `$1, $2…`
//! placeholders, TEXT ids, BIGINT unix-second times, INTEGER 0/1 flags, hex TEXT hashes,
//! `ON CONFLICT` and `RETURNING` (see `migrations/0001_initial.sql`).
//!
//! Every uniqueness rule (team slug, IdP issuer, userName per team, AuthnRequest ID, assertion ID,
//! session token, API key) is a constraint in the schema and every write that could collide is a
//! single statement; a collision comes back as [`StoreError::Conflict`]. Nothing here reads, then
//! decides, then writes, so concurrent requests and several SP replicas sharing the database
//! cannot create duplicates or accept a replayed assertion.
//!
//! Times cross the API as [`OffsetDateTime`] and are stored as whole unix seconds. Where rounding
//! matters for security it rounds towards refusal: expiry of sessions and AuthnRequests rounds
//! down (they end slightly early), the replay cache's expiry rounds up (an entry blocks slightly
//! longer).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sp::store::StoreError> {
//! use sp::model::Plan;
//! use sp::store::Store;
//!
//! let store = Store::connect("sqlite://ssolab.db").await?;
//! store.migrate().await?;
//! let now = time::OffsetDateTime::now_utc();
//! let team = store.create_team("acme", Plan::Custom, true, true, now).await?;
//! # let _ = team;
//! # Ok(())
//! # }
//! ```

mod api_keys;
mod error;
mod groups;
mod members;
mod metadata;
mod replay;
mod requests;
mod scim_members;
mod sessions;
mod sso;
mod teams;

pub use error::StoreError;
pub use members::NewMember;
pub use metadata::MetadataCache;
pub use replay::ReplayOutcome;
pub use scim_members::{Page, SqlValue, SqlWhere};
pub use sessions::SessionRow;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Row};
use time::OffsetDateTime;

use crate::model::Id;

/// How long a SQLite writer waits for another writer's lock before failing with "database is
/// locked". Writes here are single short statements, so waiting is always the right answer.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How often (in the caller's clock) [`Store::record_assertion`] also purges expired rows.
const PURGE_INTERVAL_SECS: i64 = 60;

/// The embedded migrations (`sp/migrations/`), compiled into the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (WAL) or in-memory database.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// `"sqlite"` or `"postgres"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The SP's storage: a connection pool plus the operations of the sibling modules.
///
/// Cloning is cheap and clones share the pool. Two `Store`s connected to the same database
/// behave like two SP replicas: every uniqueness rule holds across them.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Unix second of the last opportunistic purge (see [`Store::record_assertion`]).
    last_purge: Arc<AtomicI64>,
}

impl Store {
    /// Opens a pool on `url`.
    ///
    /// Accepted:
    /// - `sqlite://PATH` or `sqlite:PATH`: the file is created if missing and switched to WAL
    ///   journal mode (readers do not block the writer); foreign keys are enforced and a writer
    ///   waits up to 10 s for another writer's lock.
    /// - `sqlite::memory:`: a private in-memory database on a single connection (tests).
    /// - `postgres://…` or `postgresql://…`: any URL sqlx accepts, e.g. with
    ///   `?options[search_path]=schema` to use a schema other than `public`.
    ///
    /// Anything else is [`StoreError::BadUrl`]. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Store::connect_sqlite(url).await,
            "postgres" | "postgresql" => {
                let pool = AnyPoolOptions::new().connect(url).await?;
                Ok(Store::from_pool(pool, Backend::Postgres))
            }
            _ => Err(StoreError::BadUrl {
                scheme: scheme.to_owned(),
            }),
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?;
        let in_memory = sqlite_in_memory(url);
        if !in_memory {
            // Create the file and switch it to WAL once, on a connection of its own. The Any
            // driver rebuilds its SQLite options from the URL for every connection and has no
            // journal-mode knob; WAL is a property of the file, so every later connection
            // (of this pool or another process) inherits it. Setting it from each pooled
            // connection instead would race: the switch needs an exclusive lock that
            // busy_timeout cannot wait for.
            let mut setup = options
                .clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .connect()
                .await?;
            setup.ping().await?;
            setup.close().await?;
        }
        let pool_options = AnyPoolOptions::new().after_connect(|conn, _meta| {
            Box::pin(async move {
                // sqlx already turns foreign keys on for SQLite; stating it here keeps the
                // guarantee from depending on a library default. SQLite takes the timeout in ms.
                let pragmas = format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                    SQLITE_BUSY_TIMEOUT.as_millis()
                );
                conn.execute(pragmas.as_str()).await?;
                Ok(())
            })
        });
        let pool_options = if in_memory {
            // Each connection the Any driver opens on `sqlite::memory:` is a new, empty database,
            // so the pool must hold exactly one connection, forever.
            pool_options
                .min_connections(1)
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool_options
        };
        let pool = pool_options.connect(url).await?;
        Ok(Store::from_pool(pool, Backend::Sqlite))
    }

    fn from_pool(pool: AnyPool, backend: Backend) -> Store {
        Store {
            pool,
            backend,
            last_purge: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    /// Applies the embedded migrations that have not run yet. Idempotent. On PostgreSQL several
    /// processes may migrate at once (sqlx serialises them with an advisory lock); on SQLite
    /// sqlx takes no such lock, so migrate from one process at a time (`sp serve` does it at
    /// start-up).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Deletes what has expired by `now`: replay-cache entries past their NotOnOrAfter, unused
    /// AuthnRequests and sessions. Returns how many rows went. Called opportunistically by
    /// [`Store::record_assertion`]; a background job may call it too.
    pub async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        let now = secs_floor(now);
        let mut purged = 0;
        // Three single-statement deletes, not a transaction: each is correct on its own and a
        // partial purge only leaves rows that every reader already treats as expired.
        for sql in [
            "DELETE FROM used_assertions WHERE not_on_or_after <= $1",
            "DELETE FROM authn_requests WHERE expires_at <= $1",
            "DELETE FROM sessions WHERE expires_at <= $1",
        ] {
            purged += sqlx::query(sql)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected();
        }
        self.last_purge.store(now, Ordering::Relaxed);
        Ok(purged)
    }

    /// Purges if the last purge by this store is more than [`PURGE_INTERVAL_SECS`] old, so that
    /// the replay cache stays small without a delete on every login.
    async fn purge_if_due(&self, now: OffsetDateTime) -> Result<(), StoreError> {
        let last = self.last_purge.load(Ordering::Relaxed);
        if secs_floor(now).saturating_sub(last) >= PURGE_INTERVAL_SECS {
            self.purge_expired(now).await?;
        }
        Ok(())
    }
}

/// Whether a `sqlite:` URL names an in-memory database, read the way sqlx reads it
/// (`sqlite::memory:`, `sqlite://:memory:`, `?mode=memory`).
fn sqlite_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|param| param == "mode=memory")
}

/// Whole seconds, rounded down: the stored form of "now" and of instants that end a validity
/// (a session or request that expires at 10.7 s is expired from 10 s on).
pub(crate) fn secs_floor(t: OffsetDateTime) -> i64 {
    t.unix_timestamp()
}

/// Whole seconds, rounded up: the stored form of instants until which something must be
/// refused (a replay-cache entry for NotOnOrAfter 10.2 s blocks until 11 s).
pub(crate) fn secs_ceil(t: OffsetDateTime) -> i64 {
    let floor = t.unix_timestamp();
    if t.nanosecond() > 0 {
        floor.saturating_add(1)
    } else {
        floor
    }
}

/// `t` truncated to the second and in UTC, i.e. what reading it back from the database gives.
pub(crate) fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    // 0 is always a valid nanosecond, so the fallback is never taken.
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .to_offset(time::UtcOffset::UTC)
}

/// A stored unix-seconds column as a time.
pub(crate) fn time_col(row: &AnyRow, col: &'static str) -> Result<OffsetDateTime, StoreError> {
    let secs: i64 = row.try_get(col)?;
    to_time(col, secs)
}

/// A nullable stored unix-seconds column as a time.
pub(crate) fn opt_time_col(
    row: &AnyRow,
    col: &'static str,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let secs: Option<i64> = row.try_get(col)?;
    secs.map(|secs| to_time(col, secs)).transpose()
}

fn to_time(col: &'static str, secs: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|err| StoreError::Corrupt {
        what: col,
        detail: format!("{secs} is not a representable unix time: {err}"),
    })
}

/// A stored 0/1 flag. Decoded as an integer because the Any driver cannot decode booleans
/// from SQLite.
pub(crate) fn flag_col(row: &AnyRow, col: &'static str) -> Result<bool, StoreError> {
    let value: i64 = row.try_get(col)?;
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(StoreError::Corrupt {
            what: col,
            detail: format!("{other} is not a flag (0 or 1)"),
        }),
    }
}

/// The stored form of a flag.
pub(crate) fn flag(value: bool) -> i32 {
    i32::from(value)
}

/// An id column.
pub(crate) fn id_col(row: &AnyRow, col: &'static str) -> Result<Id, StoreError> {
    Ok(Id(row.try_get(col)?))
}

/// The stored form of a hash: lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_in_memory_sqlite_urls() {
        assert!(sqlite_in_memory("sqlite::memory:"));
        assert!(sqlite_in_memory("sqlite://:memory:"));
        assert!(sqlite_in_memory("sqlite://shared?mode=memory"));
        assert!(!sqlite_in_memory("sqlite://ssolab.db"));
        assert!(!sqlite_in_memory("sqlite:ssolab.db?mode=rwc"));
    }

    #[test]
    fn rounds_expiries_towards_refusal() {
        let t = OffsetDateTime::from_unix_timestamp(10).expect("valid")
            + time::Duration::milliseconds(200);
        assert_eq!((secs_floor(t), secs_ceil(t)), (10, 11));
        let whole = OffsetDateTime::from_unix_timestamp(10).expect("valid");
        assert_eq!((secs_floor(whole), secs_ceil(whole)), (10, 10));
    }

    #[test]
    fn hashes_are_lowercase_hex() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
