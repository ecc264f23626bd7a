//! The replay cache: assertion IDs already consumed, per team, kept until the assertion could no
//! longer be accepted anyway. Shared by every SP process on the database.

use time::OffsetDateTime;

use super::error::write_error;
use super::{Store, StoreError, secs_ceil, secs_floor};
use crate::model::Id;

/// What [`Store::record_assertion`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum ReplayOutcome {
    /// First use of this assertion ID: it is now recorded.
    Fresh,
    /// The ID was already recorded and has not expired: refuse the assertion
    /// (`replayed_assertion`).
    Replayed,
}

impl Store {
    /// Records the use of `assertion_id` for `team_id`, atomically: of any number of concurrent
    /// calls with the same ID, on any number of stores sharing the database, exactly one gets
    /// [`ReplayOutcome::Fresh`].
    ///
    /// The entry blocks replays while `now < not_on_or_after`. Pass the last instant at which the
    /// pipeline itself would still accept the assertion: its NotOnOrAfter **plus the allowed
    /// clock skew**, or the replay window is shorter than the acceptance window.
    ///
    /// An entry whose time has passed counts as absent (it is overwritten), so correctness never
    /// waits for a purge; this call also purges expired rows at most once a minute (see
    /// [`Store::purge_expired`]).
    pub async fn record_assertion(
        &self,
        team_id: &Id,
        assertion_id: &str,
        not_on_or_after: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<ReplayOutcome, StoreError> {
        // One statement decides: the primary key (team_id, assertion_id) refuses the second
        // insert; the DO UPDATE fires only for an expired entry, and a conflict whose WHERE is
        // false changes no row, which both backends report as 0 rows affected.
        let done = sqlx::query(
            "INSERT INTO used_assertions (team_id, assertion_id, not_on_or_after, recorded_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (team_id, assertion_id) DO UPDATE \
             SET not_on_or_after = excluded.not_on_or_after, recorded_at = excluded.recorded_at \
             WHERE used_assertions.not_on_or_after <= $4",
        )
        .bind(&team_id.0)
        .bind(assertion_id)
        // Rounded up: the entry blocks up to a second longer, never shorter.
        .bind(secs_ceil(not_on_or_after))
        .bind(secs_floor(now))
        .execute(&self.pool)
        .await
        .map_err(|err| {
            write_error(
                err,
                ("assertion id", assertion_id),
                Some(("team", &team_id.0)),
            )
        })?;
        let outcome = if done.rows_affected() == 0 {
            ReplayOutcome::Replayed
        } else {
            ReplayOutcome::Fresh
        };
        // After the decision, so a purge failure cannot turn a replay into an acceptance; its
        // error still surfaces, because a database that cannot delete needs attention.
        self.purge_if_due(now).await?;
        Ok(outcome)
    }
}
