//! When and how to fetch a team's metadata URL again: the schedule as pure functions of the
//! clock, and the background pass that applies it ([`run_due`], looped by [`run`]).
//!
//! A pass: for each team with a metadata URL whose `next_refresh_at` has come,
//! [`MetadataFetcher::fetch`], then [`super::metadata::check_static`] against the team's issuer;
//! on success it stores the body and schedules [`next_refresh`] from the new copy; on failure it
//! keeps the last good copy in force, records the error's **code** (never its text, which may
//! quote what the remote side served; [`describe`] gives the words back) and its time, and
//! schedules [`after_failure`] with the count of consecutive failures. One team's failure, even a
//! database error while recording it, is logged and the pass goes on with the others. Keeping the
//! schedule pure lets it be tested exhaustively and lets every SP replica compute the same
//! schedule from the same stored row.
//!
//! Decisions:
//! - **Earliest hint wins.** `cacheDuration` says how long a copy may be kept and `validUntil`
//!   when it stops being valid (SAML metadata §2.3.1–2.3.2); the default interval (6 h) covers
//!   metadata that says neither, so rotated certificates arrive within hours.
//! - **Fetch before `validUntil`, not at it.** Refreshing exactly at `validUntil` would leave the
//!   stored copy expired for as long as that fetch takes, or for the whole back-off if it fails;
//!   [`VALID_UNTIL_MARGIN`] earlier gives one attempt while the copy is still valid. If every
//!   attempt fails, the copy expires all the same and logins are refused
//!   ([`crate::trust::TrustCache::team_sso`], `metadata_expired`).
//! - **Never later than [`MAX_DELAY`] (24 h).** An IdP may advertise `cacheDuration="P1Y"`, and an
//!   operator may configure a long default; a certificate rotation should still arrive within a
//!   day.
//! - **Never sooner than [`MIN_DELAY`] (1 min).** A `cacheDuration` of `PT0S`, a `validUntil` in
//!   the past or a clock jump would otherwise make the loop fetch continuously.
//! - **Back-off** after failures: 1 min, doubling, capped at [`BACKOFF_CAP`] (6 h, the normal
//!   interval: a failing IdP is never polled less often than a healthy one). No jitter here, so
//!   that the function stays deterministic; a loop serving many teams may add its own.

use std::future::Future;
use std::sync::Arc;

use crate::clock::Clock;
use crate::model::Id;
use crate::store::{Store, StoreError};

use super::fetch::{FetchError, MetadataFetcher};
use super::metadata::{MetadataError, check_static};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use super::metadata::IdpMetadata;

/// Refresh interval when the metadata gives no `cacheDuration` or `validUntil` (or longer ones).
pub const DEFAULT_INTERVAL: Duration = Duration::hours(6);
/// No refresh is scheduled sooner than this after `now`.
pub const MIN_DELAY: Duration = Duration::minutes(1);
/// No refresh is scheduled later than this after `now`.
pub const MAX_DELAY: Duration = Duration::hours(24);
/// How long before `validUntil` the refresh is aimed.
pub const VALID_UNTIL_MARGIN: Duration = Duration::minutes(5);
/// Delay after the first failure; each further consecutive failure doubles it.
pub const BACKOFF_FIRST: Duration = Duration::minutes(1);
/// Longest delay after failures.
pub const BACKOFF_CAP: Duration = Duration::hours(6);

/// When to refresh next after a successful fetch at `now`: the earliest of `now + cache_duration`,
/// `valid_until - VALID_UNTIL_MARGIN` and `now + default_interval`, then held within
/// `[now + MIN_DELAY, now + MAX_DELAY]`.
pub fn next_refresh(
    now: OffsetDateTime,
    valid_until: Option<OffsetDateTime>,
    cache_duration: Option<Duration>,
    default_interval: Duration,
) -> OffsetDateTime {
    let mut delay = default_interval;
    if let Some(cache) = cache_duration {
        delay = delay.min(cache);
    }
    if let Some(valid_until) = valid_until {
        // Subtracting two in-range dates cannot overflow a Duration (±9999 years fit in i64
        // seconds); saturating anyway keeps the function total.
        delay = delay.min((valid_until - now).saturating_sub(VALID_UNTIL_MARGIN));
    }
    add(now, delay.clamp(MIN_DELAY, MAX_DELAY))
}

/// [`next_refresh`] with the metadata's own hints and [`DEFAULT_INTERVAL`].
pub fn next_refresh_for(now: OffsetDateTime, metadata: &IdpMetadata) -> OffsetDateTime {
    next_refresh(
        now,
        metadata.valid_until(),
        metadata.cache_duration(),
        DEFAULT_INTERVAL,
    )
}

/// When to try again after `consecutive_failures` failed refreshes in a row, the latest at `now`:
/// `BACKOFF_FIRST * 2^(failures - 1)`, capped at [`BACKOFF_CAP`]. Zero failures is treated as one,
/// so a caller that counts after recording the failure and one that counts before both get a
/// sane delay.
pub fn after_failure(now: OffsetDateTime, consecutive_failures: u32) -> OffsetDateTime {
    // 2^9 minutes is already past the 6 h cap, so the exponent is clamped long before any
    // multiplication could overflow.
    let exponent = consecutive_failures.saturating_sub(1).min(16);
    let delay = BACKOFF_FIRST
        .checked_mul(1i32 << exponent)
        .unwrap_or(BACKOFF_CAP)
        .min(BACKOFF_CAP);
    add(now, delay)
}

/// `now + delay`, saturating at the last representable instant instead of panicking (only a clock
/// set near the year 9999 gets there).
fn add(now: OffsetDateTime, delay: Duration) -> OffsetDateTime {
    now.checked_add(delay)
        .unwrap_or_else(|| PrimitiveDateTime::MAX.assume_offset(now.offset()))
}

/// Why a refresh did not install a new copy: the fetch failed, or what it got is not usable
/// metadata for the team.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

impl RefreshError {
    /// The code stored as the metadata's last error: [`FetchError::code`] or
    /// [`MetadataError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            RefreshError::Fetch(e) => e.code(),
            RefreshError::Metadata(e) => e.code(),
        }
    }
}

/// What a stored last-error code means, in words that depend on the code alone (the stored
/// record holds no remote text, so neither can this). For `sp team show`, the admin API and
/// `metadata_expired` rejections.
pub fn describe(code: &str) -> &'static str {
    match code {
        "url_invalid" => "the metadata URL is not an absolute URL",
        "url_scheme_unsupported" => "the metadata URL is not an https:// URL",
        "url_not_https" => "the metadata URL uses plain http to a host that is not loopback",
        "address_forbidden" => {
            "the metadata URL's host is or resolves to an address the SP never fetches from \
             (loopback, private, link-local, unique-local, CGNAT, reserved…)"
        }
        "dns" => "the metadata URL's host name did not resolve",
        "connect" => "the SP could not connect to the metadata URL",
        "tls" => "the TLS handshake with the metadata URL failed",
        "timeout" => "the fetch did not finish within its deadline",
        "interrupted" => "the connection broke while the metadata was being read",
        "status" => "the metadata URL answered with an HTTP error status",
        "too_large" => "the metadata is larger than the SP accepts",
        "too_many_redirects" => "the metadata URL redirected too many times",
        "redirect_forbidden" => "the metadata URL redirected somewhere the SP does not follow",
        "redirect_invalid" => "the metadata URL redirected without a usable Location",
        "not_metadata" => "what the URL serves is not SAML metadata",
        "client_failed" => "the SP's HTTP client could not be set up",
        "metadata_expired" => "the fetched metadata is past its own validUntil",
        "entity_id_mismatch" | "entity_not_found" | "entity_id_missing" => {
            "the fetched metadata does not describe the team's IdP issuer"
        }
        "no_signing_certificate" => "the fetched metadata has no signing certificate",
        "certificate_invalid" => "a signing certificate in the fetched metadata cannot be read",
        "no_sso_url" | "sso_url_invalid" => "the fetched metadata has no usable SSO URL",
        "malformed_xml" | "doctype_forbidden" => "the fetched metadata is not usable XML",
        // Written by migration 0003 over the messages earlier versions stored.
        "unrecorded" => "an earlier SP version did not record the cause; the next refresh will",
        _ => "the fetched metadata is not usable (see the code)",
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// Teams whose metadata was fetched, checked and stored.
    pub refreshed: Vec<Id>,
    /// Teams whose refresh failed, with the error code (`store` when recording the outcome
    /// failed; the pass went on).
    pub failed: Vec<(Id, &'static str)>,
}

/// One pass at `now`: every URL-sourced team whose refresh is due is fetched and checked; a good
/// copy replaces the last one, a failure keeps it and backs off. Errs only when the due teams
/// cannot be listed at all.
pub async fn run_due(
    store: &Store,
    fetcher: &MetadataFetcher,
    now: OffsetDateTime,
) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    for (team_id, url) in store.metadata_due(now).await? {
        match refresh_one(store, fetcher, &team_id, &url, now).await {
            Ok(None) => pass.refreshed.push(team_id),
            Ok(Some(code)) => pass.failed.push((team_id, code)),
            Err(e) => {
                tracing::error!(team = %team_id, url, "metadata refresh could not be recorded: {e}");
                pass.failed.push((team_id, "store"));
            }
        }
    }
    Ok(pass)
}

/// Refreshes one team; `Ok(Some(code))` when the fetch or check failed (and was recorded).
async fn refresh_one(
    store: &Store,
    fetcher: &MetadataFetcher,
    team_id: &Id,
    url: &str,
    now: OffsetDateTime,
) -> Result<Option<&'static str>, StoreError> {
    let Some(settings) = store.sso_by_team(team_id).await? else {
        // The settings went away since the due list was read: nothing to refresh.
        return Ok(None);
    };
    let outcome: Result<_, RefreshError> = async {
        let body = fetcher.fetch(url).await?;
        let metadata = check_static(&body, &settings.idp_issuer, now)?;
        Ok((body, metadata))
    }
    .await;
    match outcome {
        Ok((body, metadata)) => {
            tracing::info!(team = %team_id, url, "metadata refreshed");
            store
                .record_metadata_success(team_id, url, &body, now, next_refresh_for(now, &metadata))
                .await?;
            Ok(None)
        }
        Err(error) => {
            let code = error.code();
            let failures = store
                .metadata_cache(team_id)
                .await?
                .map_or(0, |c| c.consecutive_failures)
                + 1;
            // The full message goes to the SP's log only; the record keeps the code.
            tracing::warn!(team = %team_id, url, failures, code, "metadata refresh failed; keeping the last good copy: {error}");
            store
                .record_metadata_failure(team_id, url, code, now, after_failure(now, failures))
                .await?;
            Ok(Some(code))
        }
    }
}

/// How often the background loop looks for due teams. The schedule itself lives in each row
/// (`next_refresh_at`); this only bounds how late a due refresh starts.
pub const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// The background refresh: a pass at the clock's `now` every `poll`, until `shutdown`
/// completes. A pass that cannot even list the due teams (database down) is logged and retried
/// at the next tick.
pub async fn run(
    store: Store,
    fetcher: MetadataFetcher,
    clock: Arc<dyn Clock>,
    poll: std::time::Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let pass = tokio::select! {
            pass = run_due(&store, &fetcher, clock.now()) => pass,
            () = &mut shutdown => return,
        };
        match pass {
            Ok(pass) if !pass.failed.is_empty() => {
                tracing::warn!(
                    refreshed = pass.refreshed.len(),
                    failed = pass.failed.len(),
                    "metadata refresh pass done"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!("metadata refresh pass could not list the due teams: {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = &mut shutdown => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-06-01 12:00 UTC);

    #[test]
    fn uses_the_default_interval_without_hints() {
        assert_eq!(
            next_refresh(NOW, None, None, DEFAULT_INTERVAL),
            NOW + Duration::hours(6)
        );
    }

    #[test]
    fn a_shorter_cache_duration_wins() {
        assert_eq!(
            next_refresh(NOW, None, Some(Duration::hours(1)), DEFAULT_INTERVAL),
            NOW + Duration::hours(1)
        );
        // A longer one does not stretch the default.
        assert_eq!(
            next_refresh(NOW, None, Some(Duration::days(2)), DEFAULT_INTERVAL),
            NOW + Duration::hours(6)
        );
    }

    #[test]
    fn refreshes_shortly_before_valid_until() {
        let valid_until = NOW + Duration::hours(2);
        assert_eq!(
            next_refresh(NOW, Some(valid_until), None, DEFAULT_INTERVAL),
            valid_until - VALID_UNTIL_MARGIN
        );
    }

    #[test]
    fn onelogin_rubysaml_expectation_is_met_or_beaten() {
        // The corpus's OneLogin file: validUntil 2020-01-04T18:02:33.910Z, cacheDuration P2DT.
        // ruby-saml expects the copy to expire at min(validUntil, now + 2 days); we refresh before
        // both, because of the 24 h ceiling and the 6 h default.
        let valid_until = datetime!(2020-01-04 18:02:33.91 UTC);
        let now = datetime!(2020-01-01 10:12:55 UTC);
        let next = next_refresh(
            now,
            Some(valid_until),
            Some(Duration::days(2)),
            DEFAULT_INTERVAL,
        );
        assert_eq!(next, now + Duration::hours(6));
        let now = datetime!(2020-01-04 18:00:00 UTC);
        let next = next_refresh(
            now,
            Some(valid_until),
            Some(Duration::days(2)),
            DEFAULT_INTERVAL,
        );
        assert_eq!(next, now + MIN_DELAY);
    }

    #[test]
    fn never_hot_loops_on_past_valid_until_or_zero_cache() {
        let past = NOW - Duration::days(3);
        assert_eq!(
            next_refresh(NOW, Some(past), None, DEFAULT_INTERVAL),
            NOW + MIN_DELAY
        );
        assert_eq!(
            next_refresh(NOW, None, Some(Duration::ZERO), DEFAULT_INTERVAL),
            NOW + MIN_DELAY
        );
        assert_eq!(
            next_refresh(NOW, None, None, Duration::ZERO),
            NOW + MIN_DELAY
        );
    }

    #[test]
    fn never_waits_more_than_a_day() {
        assert_eq!(
            next_refresh(NOW, None, Some(Duration::days(365)), Duration::days(30)),
            NOW + MAX_DELAY
        );
    }

    #[test]
    fn every_fetch_code_has_its_own_words() {
        let fallback = describe("no_such_code");
        for code in [
            "url_invalid",
            "url_scheme_unsupported",
            "url_not_https",
            "address_forbidden",
            "dns",
            "connect",
            "tls",
            "timeout",
            "interrupted",
            "status",
            "too_large",
            "too_many_redirects",
            "redirect_forbidden",
            "redirect_invalid",
            "not_metadata",
            "client_failed",
            "metadata_expired",
            "entity_id_mismatch",
            "no_signing_certificate",
            "unrecorded",
        ] {
            assert_ne!(describe(code), fallback, "{code}");
        }
    }

    #[test]
    fn backs_off_exponentially_to_the_cap() {
        let minutes = |n| (after_failure(NOW, n) - NOW).whole_minutes();
        assert_eq!(
            (0..=10).map(minutes).collect::<Vec<_>>(),
            [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 360]
        );
        assert_eq!(minutes(u32::MAX), 360);
    }

    #[test]
    fn saturates_at_the_end_of_representable_time() {
        let end = PrimitiveDateTime::MAX.assume_utc();
        assert_eq!(next_refresh(end, None, None, DEFAULT_INTERVAL), end);
        assert_eq!(after_failure(end, 3), end);
    }

    fn any_now() -> impl Strategy<Value = OffsetDateTime> {
        // 1970 to about 2100.
        (0i64..4_102_444_800).prop_map(|s| OffsetDateTime::UNIX_EPOCH + Duration::seconds(s))
    }

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0i64..200_000).prop_map(Duration::seconds),
            (0i64..i64::MAX / 4).prop_map(Duration::seconds),
        ]
    }

    proptest! {
        #[test]
        fn next_refresh_stays_within_bounds(
            now in any_now(),
            valid_offset in proptest::option::of(-10_000_000_000i64..10_000_000_000),
            cache in proptest::option::of(any_duration()),
            default in any_duration(),
        ) {
            let valid_until = valid_offset.map(|s| now + Duration::seconds(s));
            let next = next_refresh(now, valid_until, cache, default);
            prop_assert!(next >= now + MIN_DELAY);
            prop_assert!(next <= now + MAX_DELAY);
            // Never later than any hint that lies beyond the minimum delay.
            let hints = [cache.and_then(|c| now.checked_add(c)), now.checked_add(default)];
            for hint in hints.into_iter().flatten() {
                prop_assert!(next <= hint.max(now + MIN_DELAY));
            }
            if let Some(v) = valid_until {
                prop_assert!(next <= (v - VALID_UNTIL_MARGIN).max(now + MIN_DELAY));
            }
        }

        #[test]
        fn after_failure_is_bounded_and_monotone(now in any_now(), failures in any::<u32>()) {
            let next = after_failure(now, failures);
            prop_assert!(next >= now + BACKOFF_FIRST);
            prop_assert!(next <= now + BACKOFF_CAP);
            prop_assert!(after_failure(now, failures.saturating_add(1)) >= next);
        }
    }
}
