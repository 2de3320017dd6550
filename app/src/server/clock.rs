//! The time, as the server reads it: from the system, or, in tests, from a clock they set and
//! move (a bill cut-off, an expiry, a bind token's lifetime can then be tested without waiting).
//! Times are Unix milliseconds, UTC, like everything stored.
//!
//! The development clock (`BC_DEV_CLOCK=1`, the `dev_clock` area) puts the system's time ahead
//! by a lead kept in the database: every reading of the time, [`super::db::now_millis`] and the
//! system [`Clock`], includes it, so that records, timers and pages agree on one time.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The development clock's lead in milliseconds, as last read from the database (zero unless
/// the development clock is on).
static LEAD: AtomicI64 = AtomicI64::new(0);

/// How far the time runs ahead of the system's.
pub fn lead() -> i64 {
    LEAD.load(Ordering::Relaxed)
}

/// Takes the lead read from the database (the development clock only). It never goes back:
/// a replica that read an older row keeps the newer lead. Never called by tests: it would move
/// the time of every test in the process (theirs is [`Clock::fixed`]).
pub fn set_lead(ms: i64) {
    LEAD.fetch_max(ms.max(0), Ordering::Relaxed);
}

/// The server's clock. Cheap to clone; clones of a fixed clock move together.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    fixed: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock standing at `now` until it is moved.
    pub fn fixed(now: i64) -> Self {
        Self {
            fixed: Some(Arc::new(AtomicI64::new(now))),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        match &self.fixed {
            Some(at) => at.load(Ordering::SeqCst),
            None => super::db::now_millis(),
        }
    }

    /// Moves a fixed clock by `ms` (nothing for the system clock).
    pub fn advance(&self, ms: i64) {
        if let Some(at) = &self.fixed {
            at.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let clock = Clock::fixed(1_000);
        let same = clock.clone();
        assert_eq!(clock.now(), 1_000);
        same.advance(500);
        assert_eq!(clock.now(), 1_500);
        assert!(Clock::system().now() > 1_700_000_000_000);
    }
}
