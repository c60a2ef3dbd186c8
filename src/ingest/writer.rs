//! The writer: gathers received messages into batches, commits each batch to the store, then
//! updates the in-memory state and releases the batch's acknowledgements, in arrival order.
//!
//! A failed commit is retried with backoff and nothing of that batch is acknowledged meanwhile;
//! the queue in front of the writer fills and the source stops reading from the broker. Every
//! result goes to the store's [`StoreHealth`] (what `/readyz` and the alarms show). Once shutdown
//! is asked for, a failing commit is retried until `store.shutdown_timeout_s` has passed; then
//! the writer stops without acknowledging what it could not store, and the broker delivers it
//! again to the next run.

use super::linger::Linger;
use super::source::{AckToken, Inbound};
use crate::config::StoreConfig;
use crate::domain::message::Message;
use crate::metrics::Metrics;
use crate::state::{self, SharedRegistry};
use crate::store::health::StoreHealth;
use crate::store::{BoxStore, Envelope, Outcome};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error};

pub struct Writer {
    pub store: BoxStore,
    pub registry: SharedRegistry,
    pub metrics: Metrics,
    pub config: StoreConfig,
    pub clock: crate::clock::SharedClock,
    pub health: Arc<StoreHealth>,
    /// Turns true when the collector is asked to stop.
    pub shutdown: watch::Receiver<bool>,
}

impl Writer {
    /// Runs until `rx` is closed and drained.
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<Inbound>,
        acks: mpsc::UnboundedSender<Vec<AckToken>>,
    ) {
        let mut linger = Linger::new(Duration::from_millis(self.config.batch_linger_ms));
        // The batch's buffer, emptied into the state after each commit and filled again: a batch
        // of a thousand envelopes would otherwise be fresh memory every time.
        let mut spare = Vec::new();
        loop {
            let Some(first) = rx.recv().await else { break };
            let mut envelopes: Vec<Envelope> = std::mem::take(&mut spare);
            let mut tokens = Vec::with_capacity(self.config.batch_max.min(rx.len() + 1));
            push(first, &mut envelopes, &mut tokens);
            let first_at = tokio::time::Instant::now();
            // The batch's size when the queue first ran empty, and the end of its wait.
            let mut drained: Option<(usize, Option<tokio::time::Instant>)> = None;
            while envelopes.len() < self.config.batch_max {
                match rx.try_recv() {
                    Ok(i) => push(i, &mut envelopes, &mut tokens),
                    Err(_) => {
                        let (_, until) = *drained.get_or_insert_with(|| {
                            (envelopes.len(), linger.wait().map(|w| first_at + w))
                        });
                        let Some(until) = until else { break };
                        match tokio::time::timeout_at(until, rx.recv()).await {
                            Ok(Some(i)) => push(i, &mut envelopes, &mut tokens),
                            Ok(None) | Err(_) => break,
                        }
                    }
                }
            }
            if let Some((at, until)) = drained {
                linger.batch(at, envelopes.len(), until.is_some());
            }
            self.metrics.queue_depth.set(rx.len() as i64);
            let Some((mut envelopes, outcomes)) = self.commit(envelopes).await else {
                // Shutting down with commits failing: nothing more is acknowledged.
                error!(
                    batch = tokens.len(),
                    held = rx.len(),
                    "stopping with the store failing; unacknowledged messages stay with the broker"
                );
                break;
            };
            self.apply(&mut envelopes, &outcomes);
            spare = envelopes;
            if !tokens.is_empty() {
                self.metrics.acks_pending.inc_by(tokens.len() as i64);
                // Unbounded on purpose: blocking here could deadlock with the source waiting on
                // our queue. It holds only what the broker sent and we committed, which is also
                // what the broker keeps in flight for us (`sitepulse_acks_pending`).
                if acks.send(tokens).is_err() {
                    break;
                }
            }
        }
    }

    /// Commits on a blocking thread, retrying until it succeeds; `None` when shutdown was asked
    /// for and commits still failed `store.shutdown_timeout_s` later.
    async fn commit(&mut self, envelopes: Vec<Envelope>) -> Option<(Vec<Envelope>, Vec<Outcome>)> {
        let mut backoff = Duration::from_millis(50);
        let mut envelopes = envelopes;
        let grace = Duration::from_secs(self.config.shutdown_timeout_s);
        let mut give_up: Option<tokio::time::Instant> = None;
        loop {
            let mut store = std::mem::replace(&mut self.store, Box::new(Unavailable));
            let started = Instant::now();
            let health = self.health.clone();
            let (s, envs, result) = tokio::task::spawn_blocking(move || {
                // The cause of a failure is told here too: it may write a probe file.
                let r = store.commit(&envelopes).map_err(|e| {
                    let cause = health.cause(&e);
                    (e, cause)
                });
                (store, envelopes, r)
            })
            .await
            .expect("store commit panicked");
            self.store = s;
            envelopes = envs;
            match result {
                Ok(outcomes) => {
                    self.health.ok(self.clock.now());
                    self.metrics
                        .batch_commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                    self.metrics.batch_size.observe(envelopes.len() as f64);
                    return Some((envelopes, outcomes));
                }
                Err((e, cause)) => {
                    self.metrics.store_errors.inc();
                    // One ALARM line per outage and a reminder now and then (see StoreHealth);
                    // each retry only at debug.
                    self.health.failed(cause, &e, self.clock.now());
                    debug!(error = %e, batch = envelopes.len(), retry_in = ?backoff, "batch commit failed; holding acks");
                    if *self.shutdown.borrow() {
                        let at =
                            *give_up.get_or_insert_with(|| tokio::time::Instant::now() + grace);
                        if tokio::time::Instant::now() >= at {
                            return None;
                        }
                        tokio::time::sleep_until(at.min(tokio::time::Instant::now() + backoff))
                            .await;
                    } else {
                        let live = self.shutdown.has_changed().is_ok();
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            // Asked to stop while waiting: the grace period starts now.
                            _ = self.shutdown.changed(), if live => {}
                        }
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Moves what was stored into the state and counts the outcomes.
    fn apply(&self, envelopes: &mut Vec<Envelope>, outcomes: &[Outcome]) {
        let committed = self.clock.now();
        let mut reg = state::write(&self.registry);
        for (env, outcome) in envelopes.drain(..).zip(outcomes) {
            match (outcome, env.decoded) {
                (Outcome::Stored, Ok(Message::Status { status, skewed })) => {
                    self.metrics.stored_status.inc();
                    if skewed {
                        self.metrics.skewed.inc();
                    }
                    let age = (committed - status.ts)
                        .num_microseconds()
                        .unwrap_or(i64::MAX);
                    self.metrics.report_age.observe(age as f64 / 1e6);
                    reg.apply_status(*status, env.received);
                }
                (Outcome::Stored, Ok(Message::Info(info))) => {
                    self.metrics.stored_info.inc();
                    reg.apply_info(*info);
                }
                (Outcome::Duplicate, _) => {
                    self.metrics.duplicates.inc();
                }
                (Outcome::Conflicting, _) => {
                    self.metrics.duplicates_conflicting.inc();
                    debug!(topic = %env.topic, "repeated key with other content quarantined");
                }
                (Outcome::Quarantined, Err(reject)) => {
                    self.metrics.rejected(reject.reason());
                    // Debug, not warn: a misbehaving agent could flood the log; the quarantine and
                    // `sitepulse_messages_rejected_total` keep the record.
                    debug!(topic = %env.topic, reason = reject.reason(), detail = %reject, "rejected message");
                }
                (o, _) => {
                    error!(outcome = ?o, "store returned an outcome that does not fit the message")
                }
            }
        }
    }
}

fn push(i: Inbound, envelopes: &mut Vec<Envelope>, tokens: &mut Vec<AckToken>) {
    envelopes.push(i.envelope);
    if let Some(t) = i.ack {
        tokens.push(t);
    }
}

/// Stands in for the store while it is lent to the blocking thread.
struct Unavailable;

impl crate::store::Store for Unavailable {
    fn commit(&mut self, _: &[Envelope]) -> Result<Vec<Outcome>, crate::store::StoreError> {
        Err(crate::store::StoreError::Io(std::io::Error::other(
            "store is busy",
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::Reject;
    use crate::store::{Store, StoreError};
    use crate::wire::topic::TopicError;
    use proptest::prelude::*;
    use std::sync::Mutex;

    /// A store that fails its first `failures` commits and records what it committed.
    struct Recording {
        failures: usize,
        committed: Arc<Mutex<Vec<String>>>,
    }

    impl Store for Recording {
        fn commit(&mut self, batch: &[Envelope]) -> Result<Vec<Outcome>, StoreError> {
            if self.failures > 0 {
                self.failures -= 1;
                return Err(StoreError::Io(std::io::Error::other("test fault")));
            }
            self.committed
                .lock()
                .unwrap()
                .extend(batch.iter().map(|e| e.topic.clone()));
            Ok(batch.iter().map(|_| Outcome::Quarantined).collect())
        }
    }

    fn inbound(i: u16) -> Inbound {
        Inbound {
            envelope: Envelope {
                topic: format!("m{i}"),
                payload: bytes::Bytes::new(),
                received: chrono::Utc::now(),
                decoded: Err(Reject::Topic(TopicError::Prefix)),
            },
            ack: Some(AckToken { pkid: i, epoch: 1 }),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Acks leave in arrival order, each only after the batch holding it committed, however
        /// the messages are cut into batches and however many commits fail first.
        #[test]
        fn acks_follow_commits_in_arrival_order(n in 1u16..300, batch_max in 1usize..50, failures in 0usize..4) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
            rt.block_on(async {
                let committed = Arc::new(Mutex::new(Vec::new()));
                let writer = Writer {
                    store: Box::new(Recording { failures, committed: committed.clone() }),
                    registry: Arc::default(),
                    metrics: Metrics::new(),
                    config: StoreConfig { batch_max, ..StoreConfig::default() },
                    clock: Arc::new(crate::clock::SystemClock),
                    health: Arc::new(StoreHealth::new(std::path::Path::new("t.db"), Default::default())),
                    shutdown: watch::channel(false).1,
                };
                let (tx, rx) = mpsc::channel(16);
                let (ack_tx, mut ack_rx) = mpsc::unbounded_channel();
                let task = tokio::spawn(writer.run(rx, ack_tx));
                let mut acked = Vec::new();
                for i in 0..n {
                    tx.send(inbound(i)).await.unwrap();
                    while let Ok(tokens) = ack_rx.try_recv() {
                        let done = committed.lock().unwrap().len();
                        for t in tokens {
                            // Committed before acknowledged.
                            assert!((t.pkid as usize) < done, "ack {} before its commit ({done} committed)", t.pkid);
                            acked.push(t.pkid);
                        }
                    }
                }
                drop(tx);
                task.await.unwrap();
                while let Some(tokens) = ack_rx.recv().await {
                    acked.extend(tokens.iter().map(|t| t.pkid));
                }
                assert_eq!(acked, (0..n).collect::<Vec<_>>());
                assert_eq!(committed.lock().unwrap().len(), n as usize);
            });
        }
    }
}
