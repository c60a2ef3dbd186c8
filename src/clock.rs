//! The collector's clock, injected so that reports and simulations close the same way every time.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

/// A source of "now". Everything that compares against the present takes one of these.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Simulated time: starts at `start` and runs `speed` times faster than the wall clock. The demo
/// shares one of these between its agents and its collector so months pass in seconds.
#[derive(Debug, Clone)]
pub struct SimClock {
    origin: Instant,
    start: DateTime<Utc>,
    speed: f64,
}

impl SimClock {
    pub fn new(start: DateTime<Utc>, speed: f64) -> Self {
        SimClock {
            origin: Instant::now(),
            start,
            speed,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        let real = self.origin.elapsed().as_secs_f64();
        let sim_ms = (real * self.speed * 1000.0) as i64;
        self.start + chrono::Duration::milliseconds(sim_ms)
    }
}

/// A clock that stands still at a given instant; for tests and for closing a month.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
