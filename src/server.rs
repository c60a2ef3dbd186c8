//! The collector as one process: (optionally) the embedded broker, ingest, and the HTTP API.
//! `main` and the tests call [`run`] with a listener and a shutdown future of their own.

use crate::access::Access;
use crate::api::{self, AppState};
use crate::clock::SharedClock;
use crate::config::{Config, ConfigError, Series};
use crate::metrics::Metrics;
use crate::rollout::service::Rollout;
use crate::sink::shipper::{Shipper, SinkError};
use crate::state::Registry;
use crate::store::control::ControlStore;
use crate::store::health::StoreHealth;
use crate::store::sqlite::{SqliteReader, SqliteStore};
use crate::store::telemetry::Telemetry;
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
    #[error("store {path}: {} ({source})", cause.words())]
    Store {
        path: std::path::PathBuf,
        cause: crate::store::health::Cause,
        source: StoreError,
    },
    #[error(transparent)]
    Broker(#[from] crate::broker::BrokerError),
    #[error(transparent)]
    Mqtt(#[from] crate::ingest::mqtt::MqttConfigError),
    #[error("time-series sink: {0}")]
    Sink(#[from] SinkError),
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
    run_with(config, listener, clock, shutdown, store, |_| {}).await
}

/// [`run_with_store`], handing the rollout service to `on_started` once the state is loaded:
/// the demo's simulated field engineers report through it as people do through the API.
pub async fn run_with(
    config: Config,
    listener: TcpListener,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send + 'static,
    store: Option<BoxStore>,
    on_started: impl FnOnce(Rollout),
) -> Result<(), ServeError> {
    let mut config = config;
    config.connect_to_embedded_broker();
    config.validate()?;
    if config.broker.embedded {
        crate::broker::start(config.broker.listen)?;
        info!(listen = %config.broker.listen, "embedded MQTT broker started");
    }
    let path = config.store.path.clone();
    let metrics = Metrics::new();
    let health = Arc::new(StoreHealth::new(&path, metrics.store_healthy.clone()));
    let store_err = |source| ServeError::Store {
        path: path.clone(),
        cause: health.cause(&source),
        source,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shipper = None;
    // The shipper stops after ingest, so that it sends the last batch too.
    let (ship_stop_tx, ship_stop_rx) = watch::channel(false);
    let store = match store {
        Some(s) => s,
        None => {
            let mut s = SqliteStore::open(&path, config.store.quarantine_max)
                .and_then(|s| s.with_retention(config.store.keep_days))
                .map(|s| s.with_wal_max(config.store.wal_max_mb << 20))
                .map_err(store_err)?;
            if config.store.series == Series::Influxdb {
                let buffer = crate::sink::buffer(&config, &metrics);
                s = s.with_outbox(buffer.clone()).map_err(store_err)?;
                let queue = crate::store::outbox::SqliteQueue::open(&path).map_err(store_err)?;
                let ship = Shipper::new(
                    Arc::new(queue),
                    &config.influxdb,
                    config.influxdb.token()?,
                    buffer.clone(),
                    metrics.clone(),
                )?;
                info!(
                    url = %config.influxdb.url,
                    bucket = %config.influxdb.bucket,
                    buffered = buffer.lines(),
                    "time series go to the InfluxDB v2 write API"
                );
                shipper = Some(tokio::spawn(ship.run(ship_stop_rx)));
            }
            Box::new(s)
        }
    };
    let reader = SqliteReader::open(&path).map_err(store_err)?;
    let registry = Registry::from_snapshot(reader.snapshot().map_err(store_err)?);
    info!(sites = registry.len(), store = %path.display(), "state rebuilt from store");
    let registry = Arc::new(RwLock::new(registry));
    let config = Arc::new(config);
    let control = Arc::new(ControlStore::open(&path).map_err(store_err)?);
    let access = Access::new(control.clone(), clock.clone());
    let rollout = Rollout::new(control, registry.clone(), clock.clone(), config.clone());
    let versions = rollout.load().map_err(store_err)?;
    on_started(rollout.clone());

    let keys = Arc::new(crate::ingest::keys::AgentKeys::default());
    keys.set_all(access.agent_keys().map_err(store_err)?);
    let keys_version = access.keys_version().map_err(store_err)?;
    let stop_rx_reload = stop_rx.clone();
    let ingest = crate::ingest::spawn(
        &config,
        store,
        crate::ingest::Shared {
            registry: registry.clone(),
            metrics: metrics.clone(),
            clock: clock.clone(),
            keys: keys.clone(),
            health: health.clone(),
        },
        stop_rx,
    )?;

    // Plans and areas imported by another process (`sitepulse import`) show up within seconds.
    let reload = {
        let rollout = rollout.clone();
        let access = access.clone();
        let mut stop = stop_rx_reload;
        tokio::spawn(async move {
            let mut version = versions;
            let mut keys_at = keys_version;
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
                let r = rollout.clone();
                let a = access.clone();
                let k = keys.clone();
                let reloaded = tokio::task::spawn_blocking(move || {
                    let v = r.reload_if_changed(version)?;
                    // Keys issued by `sitepulse keys issue` count from the next message on.
                    let kv = a.keys_version()?;
                    if kv != keys_at {
                        k.set_all(a.agent_keys()?);
                        tracing::info!(version = kv, "agent keys reloaded");
                    }
                    Ok::<_, crate::store::StoreError>((v, kv))
                })
                .await;
                match reloaded {
                    Ok(Ok((v, kv))) => {
                        version = v;
                        keys_at = kv;
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "reading the plan version failed"),
                    Err(_) => break,
                }
            }
        })
    };

    let state = AppState {
        registry,
        reader: Arc::new(reader),
        metrics,
        clock,
        config: config.clone(),
        rollout,
        access,
        limiter: Arc::default(),
        health,
    };
    let mut limits = api::listen::Limits::from_config(&config.http);
    limits.max_connections = api::listen::connections_that_fit(limits.max_connections);
    // Everything after the signal shares one deadline: HTTP requests, the batch in hand, the
    // last acknowledgements and the sink's last send.
    let grace = std::time::Duration::from_secs(config.store.shutdown_timeout_s);
    let app = api::router(state);
    info!(listen = %listener.local_addr()?, "http api listening");
    // At the signal, ingest is told to stop at once (while HTTP requests drain), and the one
    // deadline starts.
    let (deadline_tx, deadline_rx) = watch::channel(None::<tokio::time::Instant>);
    let shutdown = async move {
        shutdown.await;
        info!(grace_s = grace.as_secs(), "shutting down");
        let _ = deadline_tx.send(Some(tokio::time::Instant::now() + grace));
        let _ = stop_tx.send(true);
    };
    let deadline = {
        let mut rx = deadline_rx.clone();
        async move {
            let at = match rx.wait_for(Option::is_some).await {
                Ok(d) => *d,
                Err(_) => None,
            };
            if let Some(at) = at {
                tokio::time::sleep_until(at).await;
            }
        }
    };
    api::listen::serve(listener, app, limits, shutdown, deadline).await?;
    let until = (*deadline_rx.borrow()).unwrap_or_else(|| tokio::time::Instant::now() + grace);
    let _ = reload.await;
    // The writer gives up at the deadline when commits fail; a little more for the last acks.
    let late = std::time::Duration::from_secs(5);
    if tokio::time::timeout_at(until + late, ingest).await.is_err() {
        tracing::error!(
            "ingest did not stop in time; exiting without it (unacknowledged messages stay with the broker)"
        );
    }
    // After ingest: the last batch's lines are in the buffer; the shipper sends them if it can.
    if let Some(s) = shipper {
        let _ = ship_stop_tx.send(true);
        let _ = tokio::time::timeout_at(until + late, s).await;
    }
    info!("collector stopped");
    Ok(())
}
