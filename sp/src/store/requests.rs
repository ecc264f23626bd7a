//! AuthnRequest IDs of SP-initiated logins, kept server-side until the Response that answers
//! them arrives (so no cross-site cookie is needed for InResponseTo).

use time::OffsetDateTime;

use super::error::write_error;
use super::{Store, StoreError, secs_floor};
use crate::model::Id;

impl Store {
    /// Remembers an AuthnRequest ID sent for `team_id`, valid until `expires_at`.
    /// [`StoreError::Conflict`] (`"authn request id"`) if the ID is already stored;
    /// [`StoreError::NotFound`] (`"team"`) if the team does not exist.
    pub async fn store_request(
        &self,
        id: &str,
        team_id: &Id,
        created_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO authn_requests (id, team_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&team_id.0)
        .bind(secs_floor(created_at))
        // Rounded down: the request expires up to a second early, never late.
        .bind(secs_floor(expires_at))
        .execute(&self.pool)
        .await
        .map_err(|err| write_error(err, ("authn request id", id), Some(("team", &team_id.0))))?;
        Ok(())
    }

    /// Consumes the AuthnRequest `id` of `team_id`: true if it was stored for this team and had
    /// not expired at `now`, and then never again. The DELETE is the check, so two responses
    /// carrying the same InResponseTo (two replicas, or a double submit) cannot both succeed.
    pub async fn take_request(
        &self,
        id: &str,
        team_id: &Id,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM authn_requests WHERE id = $1 AND team_id = $2 AND expires_at > $3",
        )
        .bind(id)
        .bind(&team_id.0)
        .bind(secs_floor(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether `id` is an outstanding request of `team_id` at `now`, without consuming it: the
    /// ACS tells "a request this SP never made (or already used)" from "a request another
    /// browser started" before anything is consumed.
    pub async fn request_outstanding(
        &self,
        id: &str,
        team_id: &Id,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM authn_requests WHERE id = $1 AND team_id = $2 AND expires_at > $3",
        )
        .bind(id)
        .bind(&team_id.0)
        .bind(secs_floor(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}
