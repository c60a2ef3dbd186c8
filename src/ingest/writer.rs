//! The writer: gathers received messages into batches, commits each batch to the store, then
//! updates the in-memory state and releases the batch's acknowledgements, in arrival order.
//!
//! A failed commit is retried with backoff and nothing of that batch is acknowledged meanwhile;
//! the queue in front of the writer fills and the source stops reading from the broker.

use super::source::{AckToken, Inbound};
use crate::config::StoreConfig;
use crate::ingest::decode::Message;
use crate::metrics::Metrics;
use crate::state::{self, SharedRegistry};
use crate::store::{BoxStore, Envelope, Outcome};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, error};

pub struct Writer {
    pub store: BoxStore,
    pub registry: SharedRegistry,
    pub metrics: Metrics,
    pub config: StoreConfig,
    pub clock: crate::clock::SharedClock,
}

impl Writer {
    /// Runs until `rx` is closed and drained.
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<Inbound>,
        acks: mpsc::UnboundedSender<Vec<AckToken>>,
    ) {
        let linger = Duration::from_millis(self.config.batch_linger_ms);
        loop {
            let Some(first) = rx.recv().await else { break };
            let mut envelopes = Vec::with_capacity(self.config.batch_max.min(rx.len() + 1));
            let mut tokens = Vec::with_capacity(envelopes.capacity());
            push(first, &mut envelopes, &mut tokens);
            let deadline = tokio::time::Instant::now() + linger;
            while envelopes.len() < self.config.batch_max {
                match rx.try_recv() {
                    Ok(i) => push(i, &mut envelopes, &mut tokens),
                    Err(_) if linger.is_zero() => break,
                    Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(i)) => push(i, &mut envelopes, &mut tokens),
                        Ok(None) | Err(_) => break,
                    },
                }
            }
            self.metrics.queue_depth.set(rx.len() as i64);
            let (envelopes, outcomes) = self.commit(envelopes).await;
            self.apply(envelopes, &outcomes);
            if !tokens.is_empty() {
                self.metrics.acks_pending.inc_by(tokens.len() as i64);
                // Unbounded on purpose: its length is bounded by the broker's in-flight window,
                // and blocking here could deadlock with the source waiting on our queue.
                if acks.send(tokens).is_err() {
                    break;
                }
            }
        }
    }

    /// Commits on a blocking thread, retrying until it succeeds.
    async fn commit(&mut self, envelopes: Vec<Envelope>) -> (Vec<Envelope>, Vec<Outcome>) {
        let mut backoff = Duration::from_millis(50);
        let mut envelopes = envelopes;
        loop {
            let mut store = std::mem::replace(&mut self.store, Box::new(Unavailable));
            let started = Instant::now();
            let (s, envs, result) = tokio::task::spawn_blocking(move || {
                let r = store.commit(&envelopes);
                (store, envelopes, r)
            })
            .await
            .expect("store commit panicked");
            self.store = s;
            envelopes = envs;
            match result {
                Ok(outcomes) => {
                    self.metrics
                        .batch_commit_seconds
                        .observe(started.elapsed().as_secs_f64());
                    self.metrics.batch_size.observe(envelopes.len() as f64);
                    return (envelopes, outcomes);
                }
                Err(e) => {
                    self.metrics.store_errors.inc();
                    error!(error = %e, batch = envelopes.len(), retry_in = ?backoff, "batch commit failed; holding acks");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Moves what was stored into the state and counts the outcomes.
    fn apply(&self, envelopes: Vec<Envelope>, outcomes: &[Outcome]) {
        let committed = self.clock.now();
        let mut reg = state::write(&self.registry);
        for (env, outcome) in envelopes.into_iter().zip(outcomes) {
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
