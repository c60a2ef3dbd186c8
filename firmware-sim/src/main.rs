//! `sitepulse-sim`: simulated site agents for sitepulse.
//!
//! City mode (default): N agents of the Liaocheng scenario, each with its own MQTT connection,
//! client id (`agent-{site}`) and credentials (username = site id), reporting every interval,
//! stages advancing on (optionally accelerated) simulated time, with fault injection.
//!
//! Load mode (`--load`): publish as fast as the broker accepts and print the achieved rate.

use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use rumqttc::QoS;
use sitepulse::clock::{SharedClock, SimClock};
use sitepulse::sim::load::{self, LoadConfig};
use sitepulse::sim::runner::{Faults, RunConfig, Stats, spawn_agents};
use sitepulse::sim::scenario::liaocheng;
use sitepulse::wire::validate::MAX_INTERVAL_S;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "sitepulse-sim",
    version,
    about = "Simulated 5G site agents and load generator for sitepulse"
)]
struct Args {
    /// Broker URL; repeat to spread agents over several listeners (each loopback destination
    /// port carries at most about 28,000 connections).
    #[arg(
        long = "broker",
        env = "SITEPULSE_SIM_BROKER",
        default_value = "mqtt://127.0.0.1:1883",
        value_delimiter = ','
    )]
    brokers: Vec<String>,
    /// Number of agents (sites).
    #[arg(
        long,
        short = 'n',
        env = "SITEPULSE_SIM_AGENTS",
        default_value_t = 10_000
    )]
    agents: usize,
    /// Real seconds between two reports of one agent.
    #[arg(long, env = "SITEPULSE_SIM_INTERVAL", default_value_t = 60.0)]
    interval: f64,
    /// Agents sharing one MQTT connection (1: each agent has its own).
    #[arg(long, env = "SITEPULSE_SIM_AGENTS_PER_CONNECTION", default_value_t = 1)]
    agents_per_connection: usize,
    /// Signing keys, one `site,key` line each (the key as `sitepulse keys issue` prints it); agents
    /// with a key sign every payload.
    #[arg(long, env = "SITEPULSE_SIM_KEYS")]
    keys: Option<std::path::PathBuf>,
    /// Password of the agents (the username is the site id); `{site}` in it is replaced by the
    /// site id, e.g. `secret-{site}`, so each agent has credentials of its own.
    #[arg(long, env = "SITEPULSE_SIM_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// First simulated day (default: today).
    #[arg(long, env = "SITEPULSE_SIM_START")]
    start: Option<NaiveDate>,
    /// Simulated days per real second (0: real time). The collector must accept the resulting
    /// timestamps (see ingest.reject_past_days).
    #[arg(long, env = "SITEPULSE_SIM_DAYS_PER_SECOND", default_value_t = 0.0)]
    days_per_second: f64,
    /// Stop after this many real seconds (default: run until Ctrl-C).
    #[arg(long, env = "SITEPULSE_SIM_DURATION")]
    duration: Option<f64>,
    /// Scenario seed.
    #[arg(long, env = "SITEPULSE_SIM_SEED", default_value_t = 2020)]
    seed: u64,
    /// Share of reports published twice.
    #[arg(long, default_value_t = 0.0)]
    duplicate: f64,
    /// Share of reports held back and sent after the next one.
    #[arg(long, default_value_t = 0.0)]
    out_of_order: f64,
    /// Share of reports replaced by a malformed payload.
    #[arg(long, default_value_t = 0.0)]
    malformed: f64,
    /// Share of reports after which the agent drops its connection.
    #[arg(long, default_value_t = 0.0)]
    disconnect: f64,
    /// Share of agents whose clock runs ahead.
    #[arg(long, default_value_t = 0.0)]
    skewed_agents: f64,
    /// How far skewed clocks run ahead, in seconds.
    #[arg(long, default_value_t = 600)]
    skew_s: i64,

    /// Load mode: publish as fast as the broker accepts and print the rate.
    #[arg(long)]
    load: bool,
    /// Load mode: reports to publish.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Load mode: publisher connections.
    #[arg(long, default_value_t = 1)]
    publishers: usize,
    /// Load mode: target rate in messages per second (default: as fast as the broker accepts).
    #[arg(long)]
    rate: Option<f64>,
    /// Load mode: QoS 0 or 1.
    #[arg(long, default_value_t = 1)]
    qos: u8,
}

fn bar(len: u64, unit: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
        ))
        .expect("valid template"),
    );
    pb
}

async fn run_load(a: &Args) -> anyhow::Result<()> {
    let qos = match a.qos {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        q => bail!("--qos {q}: use 0 or 1"),
    };
    let cfg = LoadConfig {
        url: a.brokers[0].clone(),
        sites: a.agents,
        messages: a.messages,
        publishers: a.publishers,
        qos,
        password: a.password.clone(),
        rate: a.rate,
        ..LoadConfig::default()
    };
    let progress = Arc::new(AtomicU64::new(0));
    let pb = bar(a.messages, "msgs");
    let ticker = {
        let (pb, progress) = (pb.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                pb.set_position(progress.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let report = load::run(&cfg, progress).await?;
    ticker.abort();
    pb.finish_and_clear();
    println!(
        "published {} acked {} in {:.2} s: {:.0} msg/s at QoS {} ({} sites, {} publisher(s), {} B/payload)",
        report.published,
        report.acked,
        report.elapsed.as_secs_f64(),
        report.rate(),
        a.qos,
        a.agents,
        a.publishers,
        report.payload_bytes
    );
    Ok(())
}

async fn run_city(a: &Args) -> anyhow::Result<()> {
    let start = a
        .start
        .unwrap_or_else(|| Utc::now().date_naive())
        .and_hms_opt(0, 0, 0)
        .context("start date")?
        .and_utc();
    let speed = if a.days_per_second > 0.0 {
        a.days_per_second * 86_400.0
    } else {
        1.0
    };
    let clock: SharedClock = Arc::new(SimClock::new(start, speed));
    let interval_s = (a.interval * speed).clamp(1.0, f64::from(MAX_INTERVAL_S)) as u32;
    let cfg = RunConfig {
        brokers: a.brokers.clone(),
        interval: Duration::from_secs_f64(a.interval),
        interval_s,
        password: a.password.clone(),
        faults: Faults {
            duplicate: a.duplicate,
            out_of_order: a.out_of_order,
            malformed: a.malformed,
            disconnect: a.disconnect,
            skewed_agents: a.skewed_agents,
            skew: chrono::Duration::seconds(a.skew_s),
        },
        seed: a.seed,
        keys: match &a.keys {
            Some(path) => Some(Arc::new(read_keys(path)?)),
            None => None,
        },
    };
    let stats = Arc::new(Stats::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let connections = a.agents.div_ceil(a.agents_per_connection.max(1)) as u64;
    let tasks = spawn_agents(
        liaocheng(a.agents, a.seed),
        cfg,
        a.agents_per_connection,
        clock.clone(),
        stats.clone(),
        stop_rx,
    );
    let pb = bar(connections, "connected");
    let deadline = a
        .duration
        .map(|d| tokio::time::Instant::now() + Duration::from_secs_f64(d));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        pb.set_position(stats.connected.load(Ordering::Relaxed));
        pb.set_message(String::new());
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            break;
        }
        if pb.position() >= connections && !pb.is_finished() {
            pb.finish_and_clear();
            println!(
                "{connections} connection(s) up; simulated date {}",
                clock.now().date_naive()
            );
        }
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    pb.finish_and_clear();
    println!(
        "simulated date {}: published {} reports and {} info, acked {} (duplicates {}, malformed {}, disconnects {}, connection errors {})",
        clock.now().date_naive(),
        stats.published.load(Ordering::Relaxed),
        stats.info.load(Ordering::Relaxed),
        stats.acked.load(Ordering::Relaxed),
        stats.duplicates.load(Ordering::Relaxed),
        stats.malformed.load(Ordering::Relaxed),
        stats.disconnects.load(Ordering::Relaxed),
        stats.connection_errors.load(Ordering::Relaxed),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "cannot raise the open-file limit");
    }
    if args.load {
        run_load(&args).await
    } else {
        run_city(&args).await
    }
}

/// `site,key` lines; blank lines and `#` comments are skipped.
fn read_keys(
    path: &std::path::Path,
) -> anyhow::Result<std::collections::HashMap<String, sitepulse::wire::signature::Key>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut keys = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (site, key) = line
            .split_once(',')
            .with_context(|| format!("{}:{}: expected `site,key`", path.display(), i + 1))?;
        let key = sitepulse::wire::signature::parse_key(key).with_context(|| {
            format!(
                "{}:{}: the key must be 64 hex digits",
                path.display(),
                i + 1
            )
        })?;
        keys.insert(site.trim().to_string(), key);
    }
    Ok(keys)
}
