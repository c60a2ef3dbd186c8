//! `sitepulse demo`: the embedded broker, the collector and a simulated Liaocheng in one process,
//! on accelerated time, with nothing installed. The store starts empty at every run because the
//! simulated calendar starts over.

use crate::access::{Access, NewToken};
use crate::clock::{SharedClock, SimClock};
use crate::config::Config;
use crate::domain::actor::Actor;
use crate::domain::calendar::local_date;
use crate::domain::milestone::NewMilestone;
use crate::domain::obstacle::{NewObstacle, ObstaclePatch};
use crate::rollout::service::Rollout;
use crate::sim::office::{self, Action, FieldEvent};
use crate::sim::runner::{Faults, RunConfig, Stats, spawn_agents};
use crate::sim::scenario::{SitePlan, liaocheng};
use crate::wire::validate::MAX_INTERVAL_S;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub http: SocketAddr,
    /// `http` was asked for: fail if it is taken instead of picking another port.
    pub http_given: bool,
    pub broker: SocketAddr,
    /// `broker` was asked for: fail if it is taken.
    pub broker_given: bool,
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
            http_given: false,
            broker: SocketAddr::from(([127, 0, 0, 1], 1883)),
            broker_given: false,
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
    #[error(
        "{1} is taken by another program; choose a free address with {0}, or leave it out and the demo picks one"
    )]
    Taken(&'static str, SocketAddr),
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

/// Runs the demo until `shutdown` completes. `on_ready` gets the HTTP and broker addresses and
/// an administrator's token for the field page (the map reads without one) once
/// everything
/// listens.
pub async fn run(
    opts: DemoOptions,
    on_ready: impl FnOnce(SocketAddr, SocketAddr, &str),
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
        if opts.broker_given {
            return Err(DemoError::Taken("--broker-listen", opts.broker));
        }
        tracing::warn!(wanted = %opts.broker, using = %broker, "broker port taken; the demo broker uses another");
        opts.broker = broker;
    }
    let http = free_or_other(opts.http);
    if http != opts.http {
        if opts.http_given {
            return Err(DemoError::Taken("--http-listen", opts.http));
        }
        tracing::warn!(wanted = %opts.http, using = %http, "http port taken; the demo uses another");
        opts.http = http;
    }
    let plans = liaocheng(opts.sites, 2020);
    let mut config = Config {
        tasks: office::tasks(&plans),
        http: crate::config::HttpConfig {
            // The map and the API read without a token; writing needs the one printed at start.
            public_read: true,
            ..crate::config::HttpConfig::default()
        },
        // An example station, not a real one, so the map has one to show.
        earth_stations: vec![crate::config::EarthStation {
            name: "示例卫星地球站（演示）".into(),
            lat: 36.505,
            lon: 116.035,
            radius_m: 2500.0,
        }],
        ..Config::default()
    };
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
    let (rollout_tx, rollout_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(crate::server::run_with(
        config,
        listener,
        clock.clone(),
        stop_server,
        None,
        move |r| {
            let _ = rollout_tx.send(r);
        },
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
        keys: None,
    };
    let plan_file = opts.db.with_file_name("sitepulse-demo-plan.csv");
    let mut token = String::new();
    let office = match rollout_rx.await {
        Ok(rollout) => {
            token = demo_token(&opts.db).await;
            import_plan(&rollout, &plans, &plan_file).await;
            import_areas(&rollout).await;
            let (pilots, stages) = crate::sim::pilots::register(&plans, 2020);
            import_pilots(
                &rollout,
                &pilots,
                &opts.db.with_file_name("sitepulse-demo-pilots.csv"),
            )
            .await;
            Some((
                tokio::spawn(run_office(
                    rollout.clone(),
                    office::field_events(&plans, 2020),
                    clock.clone(),
                    stop_rx.clone(),
                )),
                tokio::spawn(run_pilots(rollout, stages, clock.clone(), stop_rx.clone())),
            ))
        }
        Err(_) => None,
    };
    let stats = Arc::new(Stats::default());
    let agents = spawn_agents(
        plans,
        run,
        opts.agents_per_connection,
        clock.clone(),
        stats.clone(),
        stop_rx.clone(),
    );
    on_ready(http, opts.broker, &token);

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
                    info = stats.info.load(Ordering::Relaxed),
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
    if let Some((o, p)) = office {
        let _ = o.await;
        let _ = p.await;
    }
    server.await.unwrap_or(Ok(()))?;
    Ok(())
}

/// Imports the simulated city's plan the way the bureau would: from a CSV file, which is left
/// beside the demo store as an example of the format.
async fn import_plan(rollout: &Rollout, plans: &[SitePlan], file: &std::path::Path) {
    let csv = crate::rollout::plan::to_csv(&plans.iter().map(office::planned).collect::<Vec<_>>());
    if let Err(e) = std::fs::write(file, &csv) {
        tracing::warn!(file = %file.display(), error = %e, "cannot write the demo plan file");
    }
    let r = rollout.clone();
    let source = file.display().to_string();
    let imported = tokio::task::spawn_blocking(move || {
        r.import(&csv, &source, &Actor::cli("演示：市工信局"), &|_, _| {})
    })
    .await;
    match imported {
        Ok(Ok((report, _))) => {
            tracing::info!(sites = report.rows, file = %file.display(), "demo plan imported");
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "demo plan import failed"),
        Err(e) => tracing::warn!(error = %e, "demo plan import failed"),
    }
}

/// An administrator's token for this run of the demo, made as `sitepulse token create` makes one.
async fn demo_token(db: &std::path::Path) -> String {
    let db = db.to_path_buf();
    let created = tokio::task::spawn_blocking(move || {
        let access = Access::open(&db, Arc::new(crate::clock::SystemClock))?;
        let admin = NewToken {
            name: "演示管理员",
            role: "admin",
            ..NewToken::default()
        };
        access.create_token(admin, &Actor::cli("演示"))
    })
    .await;
    match created {
        Ok(Ok(t)) => t.secret,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "demo token not created");
            String::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "demo token not created");
            String::new()
        }
    }
}

/// The approximate urban areas of Liaocheng's city centre and county seats.
pub const LIAOCHENG_AREAS: &str = include_str!("coverage/liaocheng-areas.geojson");

async fn import_areas(rollout: &Rollout) {
    let r = rollout.clone();
    let imported = tokio::task::spawn_blocking(move || {
        r.import_areas(
            LIAOCHENG_AREAS.as_bytes(),
            "liaocheng-areas.geojson",
            &Actor::cli("演示：市工信局"),
        )
    })
    .await;
    match imported {
        Ok(Ok(report)) => tracing::info!(areas = report.rows, "demo areas imported"),
        Ok(Err(e)) => tracing::warn!(error = %e, "demo areas import failed"),
        Err(e) => tracing::warn!(error = %e, "demo areas import failed"),
    }
}

/// Carries out the field engineers' reports as simulated time reaches them, through the same
/// service the API uses.
/// Imports the simulated city's pilot register from a CSV file, left beside the demo store as
/// an example of the format.
async fn import_pilots(rollout: &Rollout, pilots: &[crate::domain::pilot::Pilot], file: &Path) {
    let csv = crate::rollout::pilots::to_csv(pilots);
    if let Err(e) = std::fs::write(file, &csv) {
        tracing::warn!(file = %file.display(), error = %e, "demo pilot register not written");
    }
    let r = rollout.clone();
    let imported = tokio::task::spawn_blocking(move || {
        r.import_pilots(
            &csv,
            "sitepulse-demo-pilots.csv",
            &Actor::cli("演示：市工信局"),
        )
    })
    .await;
    match imported {
        Ok(Ok((report, _))) => tracing::info!(pilots = report.rows, "demo pilot register imported"),
        Ok(Err(e)) => tracing::warn!(error = %e, "demo pilot register import failed"),
        Err(e) => tracing::warn!(error = %e, "demo pilot register import failed"),
    }
}

/// Reports each pilot's later stages as simulated time reaches their day.
async fn run_pilots(
    rollout: Rollout,
    events: Vec<crate::sim::pilots::StageEvent>,
    clock: SharedClock,
    mut stop: watch::Receiver<bool>,
) {
    let mut events = events.into_iter().peekable();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let by = Actor::cli("演示：市工信局");
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let today = crate::domain::calendar::local_date(clock.now());
        let mut due = Vec::new();
        while let Some(e) = events.next_if(|e| e.day <= today) {
            due.push(e);
        }
        if due.is_empty() {
            if events.peek().is_none() {
                return;
            }
            continue;
        }
        let r = rollout.clone();
        let by = by.clone();
        let done = tokio::task::spawn_blocking(move || {
            for e in due {
                let day = e.day.to_string();
                if let Err(err) = r.report_pilot_stage(&e.pilot, e.stage, Some(&day), None, &by) {
                    tracing::warn!(pilot = %e.pilot, error = %err, "demo pilot stage refused");
                }
            }
        })
        .await;
        if done.is_err() {
            return;
        }
    }
}

async fn run_office(
    rollout: Rollout,
    events: Vec<FieldEvent>,
    clock: SharedClock,
    mut stop: watch::Receiver<bool>,
) {
    let mut events = events.into_iter().peekable();
    let mut open: HashMap<String, i64> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let now = clock.now();
        let mut due = Vec::new();
        while let Some(e) = events.next_if(|e| e.at <= now) {
            due.push(e);
        }
        if due.is_empty() {
            if events.peek().is_none() {
                return;
            }
            continue;
        }
        let r = rollout.clone();
        let mut ids = std::mem::take(&mut open);
        let done = tokio::task::spawn_blocking(move || {
            for e in due {
                report(&r, e, &mut ids);
            }
            ids
        })
        .await;
        match done {
            Ok(ids) => open = ids,
            Err(_) => return,
        }
    }
}

fn report(r: &Rollout, e: FieldEvent, open: &mut HashMap<String, i64>) {
    let actor = Actor::cli(e.reporter.clone());
    let result = match e.action {
        Action::Milestone {
            site,
            stage,
            position,
        } => r
            .report_milestone(
                &site,
                NewMilestone {
                    stage,
                    date: Some(e.at.to_rfc3339()),
                    note: "现场核实".into(),
                    reporter: e.reporter,
                    position: Some(position),
                    reason: None,
                },
                &actor,
            )
            .map(|_| ()),
        Action::OpenObstacle {
            site,
            kind,
            description,
        } => r
            .open_obstacle(
                &site,
                NewObstacle {
                    kind,
                    description: description.into(),
                    responsible_unit: "区县5G建设协调专班".into(),
                    opened: Some(local_date(e.at)),
                    due: None,
                    reporter: e.reporter,
                },
                &actor,
            )
            .map(|o| {
                open.insert(site, o.id);
            }),
        Action::ResolveObstacle { site } => match open.remove(&site) {
            Some(id) => r
                .update_obstacle(
                    &site,
                    id,
                    ObstaclePatch {
                        resolved: Some(local_date(e.at)),
                        resolution: Some("已协调解决，恢复施工".into()),
                        reporter: e.reporter,
                        ..ObstaclePatch::default()
                    },
                    &actor,
                )
                .map(|_| ()),
            None => Ok(()),
        },
    };
    if let Err(err) = result {
        tracing::debug!(error = %err, "simulated field report refused");
    }
}
