//! `sitepulse demo`: the embedded broker, the collector and a simulated Liaocheng in one process,
//! on accelerated time, with nothing installed. The store starts empty at every run because the
//! simulated calendar starts over.

use crate::clock::{SharedClock, SimClock};
use crate::config::Config;
use crate::sim::runner::{Faults, RunConfig, Stats, spawn_agents};
use crate::sim::scenario::liaocheng;
use crate::wire::validate::MAX_INTERVAL_S;
use chrono::NaiveDate;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub http: SocketAddr,
    pub broker: SocketAddr,
    pub db: PathBuf,
    pub sites: usize,
    /// First simulated day.
    pub start: NaiveDate,
    /// Simulated days per real second.
    pub days_per_second: f64,
    /// Real seconds between two reports of one agent.
    pub interval_s: f64,
    /// Agents sharing one MQTT connection.
    pub agents_per_connection: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            broker: SocketAddr::from(([127, 0, 0, 1], 1883)),
            db: std::env::temp_dir().join("sitepulse-demo.db"),
            sites: 10_000,
            start: NaiveDate::from_ymd_opt(2020, 3, 1).expect("valid date"),
            days_per_second: 3.0,
            interval_s: 10.0,
            agents_per_connection: 25,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot remove the previous demo store {0}: {1}")]
    Reset(PathBuf, std::io::Error),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Serve(#[from] crate::server::ServeError),
}

/// `addr` if it is free, else a free port on the same address: a Mosquitto installed as a
/// service often holds 1883, and the demo should start anyway.
fn free_or_other(addr: SocketAddr) -> SocketAddr {
    match std::net::TcpListener::bind(addr) {
        Ok(_) => addr,
        Err(_) => std::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0))
            .and_then(|l| l.local_addr())
            .unwrap_or(addr),
    }
}

/// Runs the demo until `shutdown` completes. `on_ready` gets the HTTP and broker addresses once
/// everything
/// listens.
pub async fn run(
    opts: DemoOptions,
    on_ready: impl FnOnce(SocketAddr, SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = opts.db.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(DemoError::Reset(p.into(), e));
            }
            _ => {}
        }
    }
    let speed = opts.days_per_second * 86_400.0;
    let start = opts
        .start
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let clock: SharedClock = Arc::new(SimClock::new(start, speed));

    let mut opts = opts;
    let broker = free_or_other(opts.broker);
    if broker != opts.broker {
        tracing::warn!(wanted = %opts.broker, using = %broker, "broker port taken; the demo broker uses another");
        opts.broker = broker;
    }
    let http = free_or_other(opts.http);
    if http != opts.http {
        tracing::warn!(wanted = %opts.http, using = %http, "http port taken; the demo uses another");
        opts.http = http;
    }
    let mut config = Config::default();
    config.broker.embedded = true;
    config.broker.listen = opts.broker;
    config.mqtt.client_id = "sitepulse-demo-collector".into();
    config.store.path = opts.db.clone();
    config.http.listen = opts.http;
    let listener = tokio::net::TcpListener::bind(opts.http)
        .await
        .map_err(|e| DemoError::Listen(opts.http, e))?;
    let http = listener
        .local_addr()
        .map_err(|e| DemoError::Listen(opts.http, e))?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_server = {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.changed().await;
        }
    };
    let server = tokio::spawn(crate::server::run(
        config,
        listener,
        clock.clone(),
        stop_server,
    ));
    // The server starts the broker first; wait until it accepts connections.
    for _ in 0..500 {
        if server.is_finished() || crate::broker::is_listening(opts.broker) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if server.is_finished() {
        return server.await.unwrap_or(Ok(())).map_err(DemoError::from);
    }

    let interval_site_s = (opts.interval_s * speed).clamp(1.0, f64::from(MAX_INTERVAL_S)) as u32;
    let run = RunConfig {
        brokers: vec![format!("mqtt://{}", opts.broker)],
        interval: Duration::from_secs_f64(opts.interval_s),
        interval_s: interval_site_s,
        password: None,
        faults: Faults {
            duplicate: 0.002,
            out_of_order: 0.002,
            malformed: 0.0005,
            ..Faults::default()
        },
        seed: 2020,
    };
    let stats = Arc::new(Stats::default());
    let agents = spawn_agents(
        liaocheng(opts.sites, 2020),
        run,
        opts.agents_per_connection,
        clock.clone(),
        stats.clone(),
        stop_rx.clone(),
    );
    on_ready(http, opts.broker);

    let mut report = tokio::time::interval(Duration::from_secs(10));
    report.tick().await;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = report.tick() => {
                tracing::info!(
                    simulated_date = %clock.now().date_naive(),
                    published = stats.published.load(Ordering::Relaxed),
                    acked = stats.acked.load(Ordering::Relaxed),
                    "demo running"
                );
            }
        }
    }
    let _ = stop_tx.send(true);
    for a in agents {
        let _ = a.await;
    }
    server.await.unwrap_or(Ok(()))?;
    Ok(())
}
