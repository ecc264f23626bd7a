//! A token bucket per team: `per_second` requests sustained, `burst` at once. Over the budget a
//! request gets 429 with `Retry-After` (whole seconds until a token is back), which Okta and
//! Entra honour. Time comes from the SP's clock, so tests decide when tokens return. The buckets
//! live in this process: several SP replicas each allow the budget.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use super::ScimError;
use crate::model::Id;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimit {
    /// 100 requests per second per team, 500 at once: an Okta import (one page of 100 at a
    /// time) or a push of thousands of users never meets it; a runaway client does.
    pub const DEFAULT: RateLimit = RateLimit {
        per_second: 100.0,
        burst: 500.0,
    };
}

/// A team's bucket: tokens left at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub tokens: f64,
    pub at: OffsetDateTime,
}

/// Takes one token at `now`: the bucket after, or the seconds to wait (at least 1).
pub fn take(bucket: Option<Bucket>, limit: RateLimit, now: OffsetDateTime) -> Result<Bucket, u64> {
    let refilled = match bucket {
        None => limit.burst,
        Some(b) => {
            // A clock that went back refills nothing.
            let elapsed = (now - b.at).as_seconds_f64().max(0.0);
            (b.tokens + elapsed * limit.per_second).min(limit.burst)
        }
    };
    if refilled >= 1.0 {
        Ok(Bucket {
            tokens: refilled - 1.0,
            at: now,
        })
    } else {
        let wait = ((1.0 - refilled) / limit.per_second).ceil();
        // `wait` is finite and positive here: per_second > 0 by construction of the limits.
        Err((wait as u64).max(1))
    }
}

/// The buckets of every team.
pub struct Limiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<Id, Bucket>>,
}

impl Limiter {
    pub fn new(limit: Option<RateLimit>) -> Limiter {
        Limiter {
            limit: limit.filter(|l| l.per_second > 0.0 && l.burst >= 1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn take(&self, team: &Id, now: OffsetDateTime) -> Result<(), ScimError> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match take(buckets.get(team).copied(), limit, now) {
            Ok(bucket) => {
                buckets.insert(team.clone(), bucket);
                Ok(())
            }
            Err(retry_after) => Err(ScimError::RateLimited { retry_after }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        per_second: 2.0,
        burst: 3.0,
    };

    #[test]
    fn allows_the_burst_then_says_when_to_retry() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let mut bucket = None;
        for _ in 0..3 {
            bucket = Some(take(bucket, LIMIT, t0).expect("within the burst"));
        }
        assert_eq!(take(bucket, LIMIT, t0), Err(1));
        // Half a second later one token is back.
        let later = t0 + time::Duration::milliseconds(500);
        assert!(take(bucket, LIMIT, later).is_ok());
    }

    #[test]
    fn teams_have_their_own_buckets() {
        let limiter = Limiter::new(Some(LIMIT));
        let (a, b) = (Id("a".into()), Id("b".into()));
        let t0 = OffsetDateTime::UNIX_EPOCH;
        for _ in 0..3 {
            limiter.take(&a, t0).expect("a's burst");
        }
        assert_eq!(
            limiter.take(&a, t0).expect_err("a is over").code(),
            "rate_limited"
        );
        assert!(limiter.take(&b, t0).is_ok());
    }
}
