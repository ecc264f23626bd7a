//! The cache of URL-sourced IdP metadata: the last good copy, and the bookkeeping of its
//! background refresh (last error, consecutive failures for back-off, next refresh time).
//!
//! A cache row always belongs to the URL in the team's current SSO settings: [`Store::set_sso`]
//! drops it when the source changes, and the record methods refuse a result for any other URL
//! ([`StoreError::MetadataSourceChanged`]), so a fetch that was running while the customer
//! changed the URL cannot install the old URL's certificates.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{Store, StoreError, id_col, opt_time_col, secs_floor, time_col};
use crate::model::Id;

/// The cached state of a team's metadata URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataCache {
    /// The team.
    pub team_id: Id,
    /// The metadata URL (equal to the team's current [`crate::model::MetadataSource::Url`]).
    pub source: String,
    /// The last metadata XML fetched successfully; `None` until a fetch has succeeded. Stays in
    /// force while later fetches fail.
    pub body: Option<String>,
    /// When `body` was fetched.
    pub fetched_at: Option<OffsetDateTime>,
    /// The code of the latest fetch's error, if it failed (`timeout`, `address_forbidden`,
    /// `entity_id_mismatch`, …; [`crate::saml::refresh::describe`] words it); cleared by a
    /// success. A code, not a message: a message could quote what the remote side served.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<OffsetDateTime>,
    /// Failed fetches since the last success (the back-off exponent).
    pub consecutive_failures: u32,
    /// When the background refresh should fetch again.
    pub next_refresh_at: OffsetDateTime,
}

impl Store {
    /// The team's metadata cache row, if a fetch has been recorded since the source was set.
    pub async fn metadata_cache(&self, team_id: &Id) -> Result<Option<MetadataCache>, StoreError> {
        let row = sqlx::query(
            "SELECT team_id, source, body, fetched_at, last_error, last_error_at, \
             consecutive_failures, next_refresh_at FROM metadata_cache WHERE team_id = $1",
        )
        .bind(&team_id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(cache_from_row).transpose()
    }

    /// Records a successful fetch of `source`: stores the body, clears the error and the failure
    /// count, schedules the next refresh.
    ///
    /// [`StoreError::MetadataSourceChanged`] if the team's SSO settings no longer name `source`
    /// as their metadata URL (nothing is stored).
    pub async fn record_metadata_success(
        &self,
        team_id: &Id,
        source: &str,
        body: &str,
        fetched_at: OffsetDateTime,
        next_refresh_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // INSERT … SELECT FROM sso_settings makes "the settings still name this URL" part of the
        // same statement as the write; no separate check can go stale in between.
        let done = sqlx::query(
            "INSERT INTO metadata_cache (team_id, source, body, fetched_at, last_error, \
             last_error_at, consecutive_failures, next_refresh_at) \
             SELECT team_id, metadata_value, $3, $4, NULL, NULL, 0, $5 FROM sso_settings \
             WHERE team_id = $1 AND metadata_kind = 'url' AND metadata_value = $2 \
             ON CONFLICT (team_id) DO UPDATE SET source = excluded.source, body = excluded.body, \
             fetched_at = excluded.fetched_at, last_error = NULL, last_error_at = NULL, \
             consecutive_failures = 0, next_refresh_at = excluded.next_refresh_at",
        )
        .bind(&team_id.0)
        .bind(source)
        .bind(body)
        .bind(secs_floor(fetched_at))
        .bind(secs_floor(next_refresh_at))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(source_changed(team_id, source));
        }
        Ok(())
    }

    /// Records a failed fetch of `source`: keeps the last good body, stores the error code and
    /// its time, increments the failure count, schedules the next (backed-off) refresh. Returns the
    /// new count of consecutive failures.
    ///
    /// [`StoreError::MetadataSourceChanged`] if the team's SSO settings no longer name `source`
    /// as their metadata URL (nothing is stored).
    pub async fn record_metadata_failure(
        &self,
        team_id: &Id,
        source: &str,
        error_code: &str,
        at: OffsetDateTime,
        next_refresh_at: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        // The increment happens in the database (`consecutive_failures + 1`), so two refreshers
        // recording at once both count.
        let row = sqlx::query(
            "INSERT INTO metadata_cache (team_id, source, body, fetched_at, last_error, \
             last_error_at, consecutive_failures, next_refresh_at) \
             SELECT team_id, metadata_value, NULL, NULL, $3, $4, 1, $5 FROM sso_settings \
             WHERE team_id = $1 AND metadata_kind = 'url' AND metadata_value = $2 \
             ON CONFLICT (team_id) DO UPDATE SET last_error = excluded.last_error, \
             last_error_at = excluded.last_error_at, \
             consecutive_failures = metadata_cache.consecutive_failures + 1, \
             next_refresh_at = excluded.next_refresh_at \
             RETURNING consecutive_failures",
        )
        .bind(&team_id.0)
        .bind(source)
        .bind(error_code)
        .bind(secs_floor(at))
        .bind(secs_floor(next_refresh_at))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => failures_col(&row),
            None => Err(source_changed(team_id, source)),
        }
    }

    /// Teams whose metadata comes from a URL and is due for a fetch at `now`: never fetched
    /// since the source was set, or `next_refresh_at <= now`. Returns (team id, URL), ordered by
    /// team id.
    pub async fn metadata_due(&self, now: OffsetDateTime) -> Result<Vec<(Id, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.team_id, s.metadata_value FROM sso_settings s \
             LEFT JOIN metadata_cache c ON c.team_id = s.team_id \
             WHERE s.metadata_kind = 'url' AND (c.team_id IS NULL OR c.next_refresh_at <= $1) \
             ORDER BY s.team_id",
        )
        .bind(secs_floor(now))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((id_col(row, "team_id")?, row.try_get("metadata_value")?)))
            .collect()
    }
}

fn source_changed(team_id: &Id, source: &str) -> StoreError {
    StoreError::MetadataSourceChanged {
        team_id: team_id.clone(),
        url: source.to_owned(),
    }
}

fn failures_col(row: &AnyRow) -> Result<u32, StoreError> {
    let count: i64 = row.try_get("consecutive_failures")?;
    u32::try_from(count).map_err(|_| StoreError::Corrupt {
        what: "consecutive_failures",
        detail: format!("{count} is not a count"),
    })
}

fn cache_from_row(row: &AnyRow) -> Result<MetadataCache, StoreError> {
    Ok(MetadataCache {
        team_id: id_col(row, "team_id")?,
        source: row.try_get("source")?,
        body: row.try_get("body")?,
        fetched_at: opt_time_col(row, "fetched_at")?,
        last_error: row.try_get("last_error")?,
        last_error_at: opt_time_col(row, "last_error_at")?,
        consecutive_failures: failures_col(row)?,
        next_refresh_at: time_col(row, "next_refresh_at")?,
    })
}
