//! Time as a dependency: handlers ask the clock, so tests set it.

use time::OffsetDateTime;

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The system's UTC clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that says what it is told; for tests and `--now`.
#[derive(Debug, Default)]
pub struct FixedClock(pub std::sync::Mutex<Option<OffsetDateTime>>);

impl FixedClock {
    pub fn at(t: OffsetDateTime) -> FixedClock {
        FixedClock(std::sync::Mutex::new(Some(t)))
    }

    pub fn set(&self, t: OffsetDateTime) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(t);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(OffsetDateTime::now_utc)
    }
}
