//! The collector as one process: (optionally) the embedded broker, ingest, and the HTTP API.
//! `main` and the tests call [`run`] with a listener and a shutdown future of their own.

use crate::api::{self, AppState};
use crate::clock::SharedClock;
use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;
use crate::state::Registry;
use crate::store::sqlite::{SqliteReader, SqliteStore};
use crate::store::{BoxStore, StoreError};
use std::future::Future;
use std::sync::{Arc, RwLock};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::info;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("store {path}: {source}")]
    Store {
        path: std::path::PathBuf,
        source: StoreError,
    },
    #[error(transparent)]
    Broker(#[from] crate::broker::BrokerError),
    #[error(transparent)]
    Mqtt(#[from] crate::ingest::mqtt::MqttConfigError),
    #[error("http server: {0}")]
    Http(#[from] std::io::Error),
}

/// Runs the collector until `shutdown` completes, then stops ingest cleanly (the batch in hand
/// is committed and acknowledged).
pub async fn run(
    config: Config,
    listener: TcpListener,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    run_with_store(config, listener, clock, shutdown, None).await
}

/// [`run`], with the store given by the caller instead of opened from the configuration (the
/// reader still opens `config.store.path`). Tests use it to put faults in front of the store.
pub async fn run_with_store(
    config: Config,
    listener: TcpListener,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
    store: Option<BoxStore>,
) -> Result<(), ServeError> {
    let mut config = config;
    config.connect_to_embedded_broker();
    config.validate()?;
    if config.broker.embedded {
        crate::broker::start(config.broker.listen)?;
        info!(listen = %config.broker.listen, "embedded MQTT broker started");
    }
    let path = config.store.path.clone();
    let store_err = |source| ServeError::Store {
        path: path.clone(),
        source,
    };
    let store = match store {
        Some(s) => s,
        None => Box::new(SqliteStore::open(&path, config.store.quarantine_max).map_err(store_err)?),
    };
    let reader = SqliteReader::open(&path).map_err(store_err)?;
    let registry = Registry::from_snapshot(reader.snapshot().map_err(store_err)?);
    info!(sites = registry.len(), store = %path.display(), "state rebuilt from store");
    let registry = Arc::new(RwLock::new(registry));
    let metrics = Metrics::new();

    let (stop_tx, stop_rx) = watch::channel(false);
    let ingest = crate::ingest::spawn(
        &config,
        store,
        registry.clone(),
        metrics.clone(),
        clock.clone(),
        stop_rx,
    )?;

    let state = AppState {
        registry,
        reader: Arc::new(reader),
        metrics,
        clock,
        config: Arc::new(config),
    };
    let app = api::router(state);
    info!(listen = %listener.local_addr()?, "http api listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    let _ = stop_tx.send(true);
    let _ = ingest.await;
    info!("collector stopped");
    Ok(())
}
