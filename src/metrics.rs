//! Prometheus metrics of the collector, served at `/metrics`. Labels are low-cardinality: message
//! kind and reject reason, never a site id.

use crate::domain::message::Reject;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

/// Handles to every metric; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub received_status: Counter,
    pub received_info: Counter,
    pub received_unknown: Counter,
    pub stored_status: Counter,
    pub stored_info: Counter,
    pub duplicates: Counter,
    pub duplicates_conflicting: Counter,
    pub store_healthy: Gauge,
    rejected: HashMap<&'static str, Counter>,
    pub skewed: Counter,
    pub store_errors: Counter,
    pub mqtt_errors: Counter,
    pub batch_commit_seconds: Histogram,
    pub batch_size: Histogram,
    pub report_age: Histogram,
    pub queue_depth: Gauge,
    pub acks_pending: Gauge,
    pub mqtt_connected: Gauge,
    pub mqtt_subscribed: Gauge,
    pub sink_buffer_lines: Gauge,
    pub sink_buffer_bytes: Gauge,
    pub sink_buffer_full: Gauge,
    pub sink_up: Gauge,
    pub sink_lines_written: Counter,
    pub sink_write_failures: Counter,
    pub sink_lines_dead: Counter,
    pub sink_write_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut reg = Registry::with_prefix("sitepulse");
        let received = Family::<KindLabel, Counter>::default();
        reg.register(
            "messages_received",
            "MQTT messages received, by kind (status, info, unknown)",
            received.clone(),
        );
        let stored = Family::<KindLabel, Counter>::default();
        reg.register(
            "messages_stored",
            "Messages committed to the store, by kind",
            stored.clone(),
        );
        let rejected_family = Family::<ReasonLabel, Counter>::default();
        reg.register(
            "messages_rejected",
            "Messages rejected and quarantined, by reason",
            rejected_family.clone(),
        );
        let duplicates = Counter::default();
        reg.register(
            "messages_duplicate",
            "Reports already stored (same site, boot and seq), not stored again",
            duplicates.clone(),
        );
        let duplicates_conflicting = Counter::default();
        reg.register(
            "messages_duplicate_conflicting",
            "Reports whose site, boot and seq are stored already with other content (a broken or forged agent); kept in the quarantine",
            duplicates_conflicting.clone(),
        );
        let store_healthy = Gauge::default();
        reg.register(
            "store_healthy",
            "1 while batches commit; 0 while commits fail (disk full, read-only, permissions), see /readyz",
            store_healthy.clone(),
        );
        let skewed = Counter::default();
        reg.register(
            "timestamps_skewed",
            "Reports stored but stamped ahead of the collector's clock",
            skewed.clone(),
        );
        let store_errors = Counter::default();
        reg.register(
            "store_errors",
            "Failed batch commits (retried; messages stay unacknowledged)",
            store_errors.clone(),
        );
        let mqtt_errors = Counter::default();
        reg.register(
            "mqtt_connection_errors",
            "MQTT connection errors (the collector reconnects)",
            mqtt_errors.clone(),
        );
        let batch_commit_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        reg.register(
            "batch_commit_seconds",
            "Time to commit one batch durably",
            batch_commit_seconds.clone(),
        );
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 15));
        reg.register(
            "batch_size",
            "Messages per committed batch",
            batch_size.clone(),
        );
        let report_age = Histogram::new(exponential_buckets(0.001, 1.5, 30));
        reg.register(
            "report_age_at_commit_seconds",
            "Time from a report's timestamp to its commit: ingest latency plus agent clock offset",
            report_age.clone(),
        );
        let queue_depth = Gauge::default();
        reg.register(
            "ingest_queue_depth",
            "Messages received and waiting for the store",
            queue_depth.clone(),
        );
        let acks_pending = Gauge::default();
        reg.register(
            "acks_pending",
            "Messages committed and waiting for their MQTT acknowledgement",
            acks_pending.clone(),
        );
        let mqtt_connected = Gauge::default();
        reg.register(
            "mqtt_connected",
            "1 while connected to the broker",
            mqtt_connected.clone(),
        );
        let mqtt_subscribed = Gauge::default();
        reg.register(
            "mqtt_subscribed",
            "1 once the broker granted the collector's subscription on this connection",
            mqtt_subscribed.clone(),
        );
        let sink_buffer_lines = Gauge::default();
        reg.register(
            "sink_buffer_lines",
            "Lines waiting in the on-disk buffer for the time-series server",
            sink_buffer_lines.clone(),
        );
        let sink_buffer_bytes = Gauge::default();
        reg.register(
            "sink_buffer_bytes",
            "Bytes waiting in the on-disk buffer for the time-series server",
            sink_buffer_bytes.clone(),
        );
        let sink_buffer_full = Gauge::default();
        reg.register(
            "sink_buffer_full",
            "1 while the buffer is full and ingest is held (alarm)",
            sink_buffer_full.clone(),
        );
        let sink_up = Gauge::default();
        reg.register(
            "sink_up",
            "1 while the time-series server takes writes",
            sink_up.clone(),
        );
        let sink_lines_written = Counter::default();
        reg.register(
            "sink_lines_written",
            "Lines the time-series server accepted",
            sink_lines_written.clone(),
        );
        let sink_write_failures = Counter::default();
        reg.register(
            "sink_write_failures",
            "Write requests that failed and will be retried",
            sink_write_failures.clone(),
        );
        let sink_lines_dead = Counter::default();
        reg.register(
            "sink_lines_dead",
            "Lines the server refused as invalid (400), kept in outbox_dead (alarm)",
            sink_lines_dead.clone(),
        );
        let sink_write_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        reg.register(
            "sink_write_seconds",
            "Time of one accepted write request",
            sink_write_seconds.clone(),
        );

        let rejected = Reject::REASONS
            .iter()
            .map(|r| {
                (
                    *r,
                    rejected_family
                        .get_or_create(&ReasonLabel {
                            reason: (*r).into(),
                        })
                        .clone(),
                )
            })
            .collect();
        let kind = |f: &Family<KindLabel, Counter>, k: &str| {
            f.get_or_create(&KindLabel { kind: k.into() }).clone()
        };
        Metrics {
            received_status: kind(&received, "status"),
            received_info: kind(&received, "info"),
            received_unknown: kind(&received, "unknown"),
            stored_status: kind(&stored, "status"),
            stored_info: kind(&stored, "info"),
            registry: Arc::new(reg),
            duplicates,
            duplicates_conflicting,
            store_healthy,
            rejected,
            skewed,
            store_errors,
            mqtt_errors,
            batch_commit_seconds,
            batch_size,
            report_age,
            queue_depth,
            acks_pending,
            mqtt_connected,
            mqtt_subscribed,
            sink_buffer_lines,
            sink_buffer_bytes,
            sink_buffer_full,
            sink_up,
            sink_lines_written,
            sink_write_failures,
            sink_lines_dead,
            sink_write_seconds,
        }
    }

    /// Counts a rejected message under its reason.
    pub fn rejected(&self, reason: &'static str) {
        if let Some(c) = self.rejected.get(reason) {
            c.inc();
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("encode to String");
        out
    }
}
