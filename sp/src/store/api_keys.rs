//! Team API keys (SCIM bearer tokens), stored as hashes.
//!
//! Lookup is by the SHA-256 of the presented key: the database compares hashes, so the timing of
//! the comparison reveals at most a prefix of a hash, never of a key.

use time::OffsetDateTime;

use super::error::write_error;
use super::teams::{TEAM_COLUMNS_T, team_from_row};
use super::{Store, StoreError, hex, secs_floor};
use crate::model::{Id, Team};

impl Store {
    /// Stores an API key of `team_id` by its hash (SHA-256 of the key; hashing is the caller's
    /// job). [`StoreError::Conflict`] (`"api key"`) if the hash is already stored;
    /// [`StoreError::NotFound`] (`"team"`) if the team does not exist.
    pub async fn create_api_key(
        &self,
        team_id: &Id,
        key_hash: &[u8],
        label: &str,
        created_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let key = hex(key_hash);
        sqlx::query(
            "INSERT INTO api_keys (key_hash, team_id, label, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&key)
        .bind(&team_id.0)
        .bind(label)
        .bind(secs_floor(created_at))
        .execute(&self.pool)
        .await
        .map_err(|err| write_error(err, ("api key", &key), Some(("team", &team_id.0))))?;
        Ok(())
    }

    /// The team owning the API key with this hash, if any.
    pub async fn team_by_api_key_hash(&self, key_hash: &[u8]) -> Result<Option<Team>, StoreError> {
        let sql = format!(
            "SELECT {TEAM_COLUMNS_T} FROM api_keys k JOIN teams t ON t.id = k.team_id \
             WHERE k.key_hash = $1"
        );
        let row = sqlx::query(&sql)
            .bind(hex(key_hash))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(team_from_row).transpose()
    }
}
