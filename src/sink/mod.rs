//! The time-series sink for the InfluxDB v2 write API (`store.series = "influxdb"`).
//!
//! Reports are stored in the embedded store as always (deduplication, latest state, history);
//! in the same transaction their line protocol goes into an on-disk buffer, and the MQTT ack
//! follows that commit. A shipper sends the buffer to the server in order and deletes what the
//! server accepted. An outage fills the buffer; a full buffer holds ingest (backpressure).
//!
//! The buffer and the line protocol it holds are the store's ([`crate::store::outbox`],
//! [`crate::store::line`]); the sink only reads the buffer and ships it.
//!
//! - [`shipper`] — sends the buffer in batches, with retries that honour `Retry-After`.

pub mod shipper;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::outbox::Buffer;
use std::sync::Arc;

/// The buffer shared by the store's commit and the shipper, sized from the configuration.
pub fn buffer(config: &Config, metrics: &Metrics) -> Arc<Buffer> {
    Buffer::new(
        config.influxdb.buffer_max_mb.saturating_mul(1 << 20),
        config.influxdb.batch_lines,
        metrics.clone(),
    )
}
