//! When a batch waits for more messages before it commits.
//!
//! Each commit costs about the same whatever its size (an fsync, the log's partly filled pages
//! written again, the hand-over to the store's thread), so under load larger batches cost less
//! per report. Waiting pays only while the broker keeps sending without waiting for our
//! acknowledgements: a broker that allows few messages in flight (Mosquitto's default is 20,
//! the embedded broker's is small too) has sent all it will until this batch is acknowledged,
//! and a batch that waits only stalls it.
//!
//! So a batch that has emptied the queue waits (up to `store.batch_linger_ms` after its first
//! message) only while waiting pays. A wait that did not grow its batch by more than an eighth
//! (the broker sent next to nothing meanwhile: it waits for us, or has nothing to send) turns
//! waiting off for the next few batches: [`FIRST_PAUSE`] after a wait that paid, twice as many
//! after each wait in vain in a row, up to [`LONGEST_PAUSE`]. Against a small in-flight window
//! waiting is soon tried only once in [`LONGEST_PAUSE`] batches; against a large one, a burst
//! that leaves the broker with nothing to send pauses it only briefly.

use std::time::Duration;

/// Batches that commit without waiting after a wait in vain that followed one that paid.
pub const FIRST_PAUSE: u32 = 4;
/// The most batches that commit without waiting, after waits in vain in a row.
pub const LONGEST_PAUSE: u32 = 1024;

/// The writer's rule for waiting, with what the last waits brought.
#[derive(Debug)]
pub struct Linger {
    max: Duration,
    /// Batches still to commit without waiting.
    paused: u32,
    /// The pause after the last wait in vain; 0 when the last wait paid.
    pause: u32,
}

impl Linger {
    pub fn new(max: Duration) -> Linger {
        Linger {
            max,
            paused: 0,
            pause: 0,
        }
    }

    /// How long after its first message a batch that has emptied the queue may wait for more;
    /// `None`: commit now.
    pub fn wait(&self) -> Option<Duration> {
        (!self.max.is_zero() && self.paused == 0).then_some(self.max)
    }

    /// Notes a committed batch: `drained` messages when the queue first ran empty, `committed`
    /// in the end, and whether it waited.
    pub fn batch(&mut self, drained: usize, committed: usize, waited: bool) {
        if !waited {
            self.paused = self.paused.saturating_sub(1);
        } else if committed.saturating_sub(drained) > drained / 8 {
            self.pause = 0;
        } else {
            self.pause = (self.pause * 2).clamp(FIRST_PAUSE, LONGEST_PAUSE);
            self.paused = self.pause;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS2: Duration = Duration::from_millis(2);

    #[test]
    fn zero_never_waits() {
        let mut l = Linger::new(Duration::ZERO);
        assert_eq!(l.wait(), None);
        l.batch(10, 10, false);
        assert_eq!(l.wait(), None);
    }

    #[test]
    fn waits_while_waiting_grows_the_batch() {
        let mut l = Linger::new(MS2);
        for (drained, committed) in [(50, 150), (10, 30), (825, 940), (0, 5)] {
            assert_eq!(l.wait(), Some(MS2));
            l.batch(drained, committed, true);
        }
        assert_eq!(l.wait(), Some(MS2));
    }

    #[test]
    fn waits_in_vain_pause_waiting_longer_each_time() {
        let mut l = Linger::new(MS2);
        let mut pauses = Vec::new();
        for _ in 0..12 {
            assert_eq!(l.wait(), Some(MS2));
            l.batch(100, 112, true);
            let mut n = 0;
            while l.wait().is_none() {
                l.batch(100, 100, false);
                n += 1;
            }
            pauses.push(n);
        }
        assert_eq!(
            pauses,
            [4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024, 1024]
        );
    }

    #[test]
    fn a_wait_that_pays_makes_the_next_pause_short_again() {
        let mut l = Linger::new(MS2);
        for _ in 0..3 {
            l.batch(100, 100, true);
            while l.wait().is_none() {
                l.batch(100, 100, false);
            }
        }
        l.batch(100, 300, true);
        assert_eq!(l.wait(), Some(MS2), "a wait that paid pauses nothing");
        l.batch(100, 100, true);
        let mut n = 0;
        while l.wait().is_none() {
            l.batch(100, 100, false);
            n += 1;
        }
        assert_eq!(n, FIRST_PAUSE);
    }
}
