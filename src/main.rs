//! The `sitepulse` command: parse the command line, set up logging, load the configuration, and
//! hand over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sitepulse::clock::SystemClock;
use sitepulse::config::{Config, DEFAULT_TOML};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "sitepulse",
    version,
    about = "Tracks a city's 5G base-station rollout from the field"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the collector: MQTT ingest into the store, and the HTTP API.
    Serve(ServeArgs),
    /// Run everything in one process on simulated time: embedded broker, collector, API and
    /// simulated Liaocheng sites. Needs nothing installed.
    Demo(DemoArgs),
    /// Print the commented default configuration.
    GenerateConfig,
    /// Print the JSON Schema of protocol v1.
    Schema,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Configuration file (TOML); see `sitepulse generate-config`.
    #[arg(long, short, env = "SITEPULSE_CONFIG")]
    config: Option<PathBuf>,
    /// Broker URL, mqtt://host:port or mqtts://host:port.
    #[arg(long, env = "SITEPULSE_MQTT_URL")]
    mqtt_url: Option<String>,
    #[arg(long, env = "SITEPULSE_MQTT_USERNAME")]
    mqtt_username: Option<String>,
    #[arg(long, env = "SITEPULSE_MQTT_PASSWORD", hide_env_values = true)]
    mqtt_password: Option<String>,
    /// Fixed MQTT client id (one per collector process).
    #[arg(long, env = "SITEPULSE_MQTT_CLIENT_ID")]
    client_id: Option<String>,
    /// Shared-subscription group, so several collectors split the load.
    #[arg(long, env = "SITEPULSE_MQTT_SHARE_GROUP")]
    share_group: Option<String>,
    /// Embedded store file (SQLite).
    #[arg(long, env = "SITEPULSE_DB")]
    db: Option<PathBuf>,
    /// Address of the HTTP API.
    #[arg(long, env = "SITEPULSE_HTTP_LISTEN")]
    http_listen: Option<SocketAddr>,
    /// Run the embedded MQTT broker in this process.
    #[arg(long, env = "SITEPULSE_EMBEDDED_BROKER")]
    embedded_broker: bool,
    /// Address of the embedded broker.
    #[arg(long, env = "SITEPULSE_BROKER_LISTEN")]
    broker_listen: Option<SocketAddr>,
}

#[derive(clap::Args)]
struct DemoArgs {
    /// Address of the HTTP API and web UI.
    #[arg(long, env = "SITEPULSE_HTTP_LISTEN", default_value = "127.0.0.1:8080")]
    http_listen: SocketAddr,
    /// Address of the embedded MQTT broker.
    #[arg(
        long,
        env = "SITEPULSE_BROKER_LISTEN",
        default_value = "127.0.0.1:1883"
    )]
    broker_listen: SocketAddr,
    /// Demo store file, deleted and created anew at every start (default: sitepulse-demo.db in
    /// the temp directory). Its own variable, so a production SITEPULSE_DB is never touched.
    #[arg(long, env = "SITEPULSE_DEMO_DB")]
    db: Option<PathBuf>,
    /// Simulated sites.
    #[arg(long, env = "SITEPULSE_DEMO_SITES", default_value_t = 10_000)]
    sites: usize,
    /// Simulated days per real second.
    #[arg(long, env = "SITEPULSE_DEMO_DAYS_PER_SECOND", default_value_t = 3.0)]
    days_per_second: f64,
    /// Real seconds between two reports of one agent.
    #[arg(long, env = "SITEPULSE_DEMO_INTERVAL", default_value_t = 10.0)]
    interval: f64,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rumqttd=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn serve_config(a: ServeArgs) -> anyhow::Result<Config> {
    let mut c = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    if let Some(v) = a.mqtt_url {
        c.mqtt.url = v;
    }
    if let Some(v) = a.mqtt_username {
        c.mqtt.username = Some(v);
    }
    if let Some(v) = a.mqtt_password {
        c.mqtt.password = Some(v);
    }
    if let Some(v) = a.client_id {
        c.mqtt.client_id = v;
    }
    if let Some(v) = a.share_group {
        c.mqtt.share_group = Some(v);
    }
    if let Some(v) = a.db {
        c.store.path = v;
    }
    if let Some(v) = a.http_listen {
        c.http.listen = v;
    }
    if a.embedded_broker {
        c.broker.embedded = true;
    }
    if let Some(v) = a.broker_listen {
        c.broker.listen = v;
    }
    // Checked before the HTTP port is bound (server::run checks again).
    c.validate()?;
    Ok(c)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::GenerateConfig => print!("{DEFAULT_TOML}"),
        Command::Schema => print!("{}", sitepulse::wire::schema::v1_pretty()),
        Command::Serve(args) => {
            init_tracing();
            let config = serve_config(args)?;
            let listener = tokio::net::TcpListener::bind(config.http.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.http.listen))?;
            sitepulse::server::run(config, listener, Arc::new(SystemClock), shutdown_signal())
                .await?;
        }
        Command::Demo(a) => {
            init_tracing();
            let _ = rlimit::increase_nofile_limit(u64::MAX);
            let opts = sitepulse::demo::DemoOptions {
                http: a.http_listen,
                broker: a.broker_listen,
                db: a
                    .db
                    .unwrap_or_else(|| std::env::temp_dir().join("sitepulse-demo.db")),
                sites: a.sites,
                days_per_second: a.days_per_second,
                interval_s: a.interval,
                ..Default::default()
            };
            sitepulse::demo::run(
                opts,
                |addr, broker| {
                    println!("sitepulse demo is running: open http://{addr}/  (progress: http://{addr}/api/v1/progress)");
                    println!("embedded MQTT broker: mqtt://{broker}");
                    println!("simulated Liaocheng, time runs fast; press Ctrl-C to stop");
                },
                shutdown_signal(),
            )
            .await?;
        }
    }
    Ok(())
}
