//! The storage error: what went wrong, which value, and what to do about it.

use crate::model::Id;

/// Why a storage operation failed.
///
/// Every variant has a stable snake_case [`code`](StoreError::code) for logs and the admin API;
/// Display is lower-case, names the field and says how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL names a backend ssolab does not speak. The URL itself is not kept: it
    /// may hold a password.
    #[error(
        "database URL scheme {scheme:?} is not supported; use sqlite://PATH (created if missing), \
         sqlite::memory:, or postgres://USER@HOST:PORT/DATABASE"
    )]
    BadUrl {
        /// The scheme found (empty when the URL has none).
        scheme: String,
    },

    /// A uniqueness rule of the schema refused the write: the value is already taken.
    #[error("{what} {value:?} is already in use; {}", conflict_hint(what))]
    Conflict {
        /// Which rule: `"team slug"`, `"idp issuer"`, `"member user_name"`, `"authn request id"`,
        /// `"session token"` or `"api key"`.
        what: &'static str,
        /// The value that collided (for hashes, the hex hash, never the secret).
        value: String,
    },

    /// The row the operation needs does not exist.
    #[error("no {what} {key:?}; check the spelling, or create it first")]
    NotFound {
        /// What was looked up: `"team"`, `"member"`, ...
        what: &'static str,
        /// The key it was looked up by.
        key: String,
    },

    /// A stored value does not parse (for example a plan this version does not know).
    #[error(
        "stored {what} is unreadable: {detail}; the row was not written by this version of \
         ssolab, correct it in the database or upgrade"
    )]
    Corrupt {
        /// The column or field.
        what: &'static str,
        /// What was found and why it is refused.
        detail: String,
    },

    /// A metadata fetch finished after the team's SSO settings stopped naming its URL; its
    /// result was discarded so that a stale source cannot overwrite the current one.
    #[error(
        "team {team_id}'s metadata source is no longer {url:?}; the fetch result was \
         discarded because the SSO settings changed while it ran (the next refresh uses the new \
         source)"
    )]
    MetadataSourceChanged {
        /// The team.
        team_id: Id,
        /// The URL the finished fetch used.
        url: String,
    },

    /// A member identity (userName or email) that [`crate::identity::member_key`] refuses.
    #[error("member userName {value:?} is refused: {error}")]
    InvalidIdentity {
        /// The identity as given.
        value: String,
        /// Why it cannot name a member.
        error: crate::identity::IdentityError,
    },

    /// Embedded migrations could not be applied.
    #[error(
        "database migration failed: {0}; if the database was migrated by a newer ssolab, use \
         that version (see the _sqlx_migrations table)"
    )]
    Migrate(#[source] sqlx::migrate::MigrateError),

    /// The database refused or could not run a statement (connection, I/O, SQL).
    #[error(
        "database error: {0}; check that the database is reachable and migrated (`sp serve` migrates)"
    )]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// A stable snake_case name of the variant, for logs and machine-readable answers.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::BadUrl { .. } => "bad_database_url",
            StoreError::Conflict { .. } => "conflict",
            StoreError::NotFound { .. } => "not_found",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::MetadataSourceChanged { .. } => "metadata_source_changed",
            StoreError::InvalidIdentity { error, .. } => error.code(),
            StoreError::Migrate(_) => "migrate",
            StoreError::Database(_) => "database",
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> StoreError {
        StoreError::Database(err)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migrate(err)
    }
}

/// The fix for each uniqueness rule, shown after the collision.
fn conflict_hint(what: &str) -> &'static str {
    match what {
        "team slug" => "choose another slug",
        "idp issuer" => {
            "another team already uses this IdP entity ID (the ACS selects the team by Issuer); \
             give each team its own IdP application"
        }
        "member user_name" => {
            "userName is unique per team (ASCII letters compared case-insensitively, see \
             identity::member_key); update the existing member"
        }
        "authn request id" | "session token" | "api key" => "generate a new random value",
        _ => "use another value",
    }
}

/// Maps a failed write to the error its caller reports: a PRIMARY KEY or UNIQUE violation becomes
/// [`StoreError::Conflict`] with `conflict` as what/value; a FOREIGN KEY violation becomes
/// [`StoreError::NotFound`] with `missing` (the referenced row, e.g. the team) when the statement
/// has foreign keys; anything else stays a [`StoreError::Database`].
///
/// Both drivers report constraint kinds through sqlx's portable `ErrorKind` (SQLite's extended
/// result codes, PostgreSQL's SQLSTATE 23505/23503), and the Any driver passes their errors
/// through unchanged, so this works on both backends.
pub(crate) fn write_error(
    err: sqlx::Error,
    conflict: (&'static str, &str),
    missing: Option<(&'static str, &str)>,
) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        if db.is_unique_violation() {
            let (what, value) = conflict;
            return StoreError::Conflict {
                what,
                value: value.to_owned(),
            };
        }
        if let (true, Some((what, key))) = (db.is_foreign_key_violation(), missing) {
            return StoreError::NotFound {
                what,
                key: key.to_owned(),
            };
        }
    }
    StoreError::Database(err)
}
