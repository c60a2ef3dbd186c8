//! The time-series sink for the InfluxDB v2 write API (`store.series = "influxdb"`).
//!
//! Reports are stored in the embedded store as always (deduplication, latest state, history);
//! in the same transaction their line protocol goes into an on-disk buffer, and the MQTT ack
//! follows that commit. A shipper sends the buffer to the server in order and deletes what the
//! server accepted. An outage fills the buffer; a full buffer holds ingest (backpressure).
//!
//! - [`mod@line`] — the line-protocol schema (measurements, tags, fields) and the encoder.
//! - [`outbox`] — the bounded on-disk buffer, written by the store's commit.
//! - [`shipper`] — sends the buffer in batches, with retries that honour `Retry-After`.

pub mod line;
pub mod outbox;
pub mod shipper;

use crate::config::Config;
use crate::metrics::Metrics;
use std::sync::Arc;

/// The buffer shared by the store's commit and the shipper, sized from the configuration.
pub fn buffer(config: &Config, metrics: &Metrics) -> Arc<outbox::Buffer> {
    outbox::Buffer::new(
        config.influxdb.buffer_max_mb.saturating_mul(1 << 20),
        config.influxdb.batch_lines,
        metrics.clone(),
    )
}
