//! Ingest: MQTT source → decode/validate → batch → store → state, with each message
//! acknowledged to the broker only after the batch holding it is committed.
//!
//! - [`decode`] — one message to a checked [`decode::Message`] or a [`decode::Reject`] (pure).
//! - [`keys`] — the agents' signing keys, checked when signatures are required.
//! - [`linger`] — when a batch waits for more messages before it commits.
//! - [`mqtt`] — client options from the configuration (URL, TLS, credentials, session).
//! - [`source`] — drives the MQTT connection; sends acks from a task of its own.
//! - [`writer`] — batches, commits, updates the state, releases the acks in order.

pub mod decode;
pub mod keys;
pub mod linger;
pub mod mqtt;
pub mod source;
pub mod writer;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::state::SharedRegistry;
use crate::store::BoxStore;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// What ingest shares with the rest of the collector.
pub struct Shared {
    pub registry: SharedRegistry,
    pub metrics: Metrics,
    pub clock: SharedClock,
    pub keys: std::sync::Arc<keys::AgentKeys>,
    pub health: std::sync::Arc<crate::store::health::StoreHealth>,
}

/// Starts the source and the writer. The returned handle finishes after `shutdown` turns true,
/// the writer has committed what it held (or given up at `store.shutdown_timeout_s`) and the
/// acks have been sent.
pub fn spawn(
    config: &Config,
    store: BoxStore,
    shared: Shared,
    shutdown: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, mqtt::MqttConfigError> {
    let Shared {
        registry,
        metrics,
        clock,
        keys,
        health,
    } = shared;
    let options = mqtt::collector_options(&config.mqtt)?;
    let (tx, rx) = mpsc::channel(config.store.queue_capacity);
    let (ack_tx, ack_rx) = mpsc::unbounded_channel();
    let source = source::Source {
        options,
        subscription: crate::wire::topic::subscription(config.mqtt.share_group.as_deref()),
        legacy: crate::wire::topic::legacy_subscriptions(config.mqtt.share_group.as_deref()),
        ingest: config.ingest.clone(),
        clock: clock.clone(),
        metrics: metrics.clone(),
        keys: config.ingest.require_signature.then_some(keys),
    };
    let writer = writer::Writer {
        store,
        registry,
        metrics,
        config: config.store.clone(),
        clock,
        health,
        shutdown: shutdown.clone(),
    };
    let source = tokio::spawn(source.run(tx, ack_rx, shutdown));
    let writer = tokio::spawn(writer.run(rx, ack_tx));
    Ok(tokio::spawn(async move {
        let _ = writer.await;
        let _ = source.await;
    }))
}
