//! Server-side login sessions, keyed by the hash of the random token in the session cookie.

use time::OffsetDateTime;

use super::error::write_error;
use super::{Store, StoreError, hex, id_col, secs_floor, time_col};
use crate::model::Id;

/// A live session, as [`Store::session`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The team the member logged in to.
    pub team_id: Id,
    /// The member.
    pub member_id: Id,
    /// When the session ends (bounded by the assertion's SessionNotOnOrAfter).
    pub expires_at: OffsetDateTime,
}

impl Store {
    /// Stores a session. `token_hash` is the SHA-256 of the cookie's token (hashing is the
    /// caller's job; only the hash is stored). [`StoreError::Conflict`] (`"session token"`) if
    /// the hash is already stored; [`StoreError::NotFound`] (`"member"`) if the member does not
    /// exist in that team.
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        team_id: &Id,
        member_id: &Id,
        created_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let key = hex(token_hash);
        sqlx::query(
            "INSERT INTO sessions (token_hash, team_id, member_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key)
        .bind(&team_id.0)
        .bind(&member_id.0)
        .bind(secs_floor(created_at))
        // Rounded down: the session ends up to a second early, never late.
        .bind(secs_floor(expires_at))
        .execute(&self.pool)
        .await
        .map_err(|err| write_error(err, ("session token", &key), Some(("member", &member_id.0))))?;
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, if it exists and has not expired at
    /// `now`.
    pub async fn session(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT team_id, member_id, expires_at FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(hex(token_hash))
        .bind(secs_floor(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(SessionRow {
                team_id: id_col(&row, "team_id")?,
                member_id: id_col(&row, "member_id")?,
                expires_at: time_col(&row, "expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends a session (logout). Returns whether it existed.
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hex(token_hash))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
