//! Test harness: a real Mosquitto on a free loopback port, a collector in-process or as a child
//! process, a publisher that knows which messages the broker acknowledged, and polling helpers.

#![allow(dead_code)]

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use sitepulse::clock::SystemClock;
use sitepulse::config::Config;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

mod victoria;
pub use victoria::*;

/// An HTTP client. reqwest's TLS uses the process-wide rustls provider, which the collector
/// installs when it starts; a test may build its client before that.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Each acknowledged key is among `stored` exactly once, and nothing else is; `what` names
/// where they were stored, for the messages.
pub fn assert_each_once<K>(stored: &[K], acked: &HashSet<K>, what: &str)
where
    K: Clone + Eq + std::hash::Hash + std::fmt::Debug,
{
    let distinct: HashSet<K> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), distinct.len(), "a report is twice in {what}");
    let missing: Vec<_> = acked.difference(&distinct).take(5).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged reports missing from {what}, e.g. {missing:?}",
        acked.difference(&distinct).count()
    );
    assert_eq!(
        distinct.len(),
        acked.len(),
        "reports in {what} that were never acknowledged"
    );
}

/// A setting of a benchmark from the environment, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client id no other client of this test run uses: ids from ports could repeat, and a broker
/// that sees an id twice disconnects the first holder.
pub fn unique_id(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `secs` seconds; panics with `what`
/// otherwise. A bound on waiting, not a timing assertion.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("gave up after {secs} s waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Mosquitto broker on 127.0.0.1, killed on drop. Fails the test when mosquitto is not
/// installed: `.ci/run` installs it (`apt-get install mosquitto`).
pub struct Mosquitto {
    pub port: u16,
    child: Child,
    conf: PathBuf,
    dir: tempfile::TempDir,
}

fn mosquitto_bin() -> &'static str {
    ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!("mosquitto is not installed; run `apt-get install -y mosquitto mosquitto-clients` (.ci/run does)")
        })
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        Self::start_with("")
    }

    pub fn start_with(extra: &str) -> Mosquitto {
        Self::launch(&format!("persistence false\n{extra}"))
    }

    /// With persistence in the broker's own directory and `durability` (settings as in the
    /// shipped `deploy/mosquitto.conf`), so that [`Mosquitto::kill_and_restart`] finds what it
    /// saved.
    pub fn start_persistent(durability: &str) -> Mosquitto {
        Self::launch(&format!(
            "persistence true\npersistence_location {{dir}}/\n{durability}"
        ))
    }

    fn launch(settings: &str) -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        // Anonymous access unless the test configures authentication itself.
        let anonymous = if settings.contains("allow_anonymous") {
            ""
        } else {
            "allow_anonymous true\n"
        };
        let settings = settings.replace("{dir}", &dir.path().display().to_string());
        // `user root`: when started as root, Mosquitto would otherwise switch to its own user and
        // could not read the test's files (TLS keys in a private temp dir); ignored otherwise.
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\n{anonymous}user root\n\
                 max_inflight_messages 10000\nmax_queued_messages 0\nmax_packet_size 1048576\n\
                 log_dest stderr\nlog_type error\nlog_type warning\n{settings}\n"
            ),
        )
        .unwrap();
        let child = Self::spawn(&conf);
        // Owned from here on: dropped (and killed) even if it never listens.
        let m = Mosquitto {
            port,
            child,
            conf,
            dir,
        };
        m.wait_listening();
        m
    }

    fn spawn(conf: &Path) -> Child {
        Command::new(mosquitto_bin())
            .arg("-c")
            .arg(conf)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mosquitto")
    }

    fn wait_listening(&self) {
        for _ in 0..250 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("mosquitto did not listen on port {}", self.port);
    }

    /// SIGKILL, as a crash: nothing is saved at the end. Then the same broker again, on the same
    /// port and directory, after `down`.
    pub fn kill_and_restart(&mut self, down: Duration) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        std::thread::sleep(down);
        self.child = Self::spawn(&self.conf);
        self.wait_listening();
    }

    /// The broker's own directory (its persistence file is there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `/readyz` answers 200: the collector is connected to its broker.
pub async fn wait_ready(http: SocketAddr, secs: u64) {
    let url = format!("http://{http}/readyz");
    eventually(secs, "collector ready (connected to the broker)", || {
        let url = url.clone();
        async move {
            let r = http_client().get(&url).send().await.ok()?;
            (r.status() == 200).then_some(())
        }
    })
    .await;
}

/// A configuration for a test collector with its own embedded broker on a free port, and that
/// broker's URL.
pub fn embedded_config(dir: &Path) -> (Config, String) {
    let port = free_port();
    let url = format!("mqtt://127.0.0.1:{port}");
    let mut cfg = config(dir, &url);
    cfg.broker.embedded = true;
    cfg.broker.listen = ([127, 0, 0, 1], port).into();
    (cfg, url)
}

/// A configuration for a test collector: store in `dir`, HTTP on port 0.
pub fn config(dir: &Path, mqtt_url: &str) -> Config {
    let mut c = Config::default();
    c.mqtt.url = mqtt_url.into();
    c.mqtt.client_id = unique_id("test-collector");
    c.store.path = dir.join("sitepulse.db");
    // Reading without a token keeps the tests that are not about access short; the auth tests
    // turn it off.
    c.http.public_read = true;
    c
}

/// A test collector whose series go to `influx_url`.
pub fn sink_config(dir: &Path, mqtt_url: &str, influx_url: &str) -> Config {
    let mut c = config(dir, mqtt_url);
    c.store.series = sitepulse::config::Series::Influxdb;
    c.influxdb.url = influx_url.into();
    c.influxdb.org = "liaocheng".into();
    c.influxdb.bucket = "sitepulse".into();
    let token = dir.join("influxdb-token");
    std::fs::write(&token, "test-token\n").unwrap();
    c.influxdb.token_file = Some(token);
    c.influxdb.flush_ms = 100;
    c.influxdb.retry_max_s = 1;
    c
}

/// A token of `role` (and `operator`) in the store at `db`, as `sitepulse token create` makes.
pub fn token(db: &Path, name: &str, role: &str, operator: Option<&str>) -> String {
    let access = sitepulse::access::Access::open(db, Arc::new(SystemClock)).unwrap();
    let new = sitepulse::access::NewToken {
        name,
        role,
        operator,
        expires: None,
    };
    access
        .create_token(new, &sitepulse::domain::actor::Actor::cli("test"))
        .unwrap()
        .secret
}

/// An HTTP request with a bearer token and an optional JSON or raw body: (status, JSON answer).
pub async fn request(
    method: reqwest::Method,
    http: SocketAddr,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
) -> (u16, serde_json::Value) {
    let mut req = http_client().request(method, format!("http://{http}{path}"));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// A collector running in this process on a runtime of its own, so that `abort` can end all of
/// its tasks at once, as a crash would.
pub struct Collector {
    pub http: SocketAddr,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    kill: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Collector {
    pub async fn start(config: Config) -> Collector {
        Self::start_with_store(config, None).await
    }

    pub async fn start_with_store(
        config: Config,
        store: Option<sitepulse::store::BoxStore>,
    ) -> Collector {
        Self::start_full(config, store, Arc::new(SystemClock)).await
    }

    /// A collector whose clock is `clock` (a fixed time for reports about a past month).
    pub async fn start_at(config: Config, clock: sitepulse::clock::SharedClock) -> Collector {
        Self::start_full(config, None, clock).await
    }

    async fn start_full(
        config: Config,
        store: Option<sitepulse::store::BoxStore>,
        clock: sitepulse::clock::SharedClock,
    ) -> Collector {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let http = std_listener.local_addr().unwrap();
        let db = config.store.path.clone();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (kill_tx, kill_rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                let shutdown = async move {
                    let _ = stop_rx.await;
                };
                let run =
                    sitepulse::server::run_with_store(config, listener, clock, shutdown, store);
                tokio::select! {
                    r = run => r.expect("collector runs"),
                    _ = kill_rx => {}
                }
            });
            // Ends every task of the collector without waiting for any of them.
            rt.shutdown_background();
        });
        let c = Collector {
            http,
            db,
            stop: Some(stop_tx),
            kill: Some(kill_tx),
            thread: Some(thread),
        };
        c.wait_ready().await;
        c
    }

    pub async fn wait_ready(&self) {
        wait_ready(self.http, 30).await;
    }

    /// Clean shutdown: the batch in hand is committed and acknowledged.
    pub async fn stop(mut self) {
        let signal = self.stop.take();
        self.end(signal).await;
    }

    /// Ends the collector without any cleanup, as a crash would.
    pub async fn abort(mut self) {
        let signal = self.kill.take();
        self.end(signal).await;
    }

    async fn end(mut self, signal: Option<oneshot::Sender<()>>) {
        if let Some(tx) = signal {
            let _ = tx.send(());
        }
        let t = self.thread.take().unwrap();
        tokio::task::spawn_blocking(move || t.join())
            .await
            .unwrap()
            .unwrap();
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        get(self.http, path).await
    }

    pub async fn metric(&self, name_and_labels: &str) -> f64 {
        metric(self.http, name_and_labels).await
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(tx) = self.kill.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn get(http: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let r = http_client()
        .get(format!("http://{http}{path}"))
        .send()
        .await
        .expect("http request");
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// The collector's whole `/metrics` text.
pub async fn metrics_text(http: SocketAddr) -> String {
    http_client()
        .get(format!("http://{http}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of one series on `/metrics`, e.g. `sitepulse_messages_rejected_total{reason="invalid_json"}`.
pub async fn metric(http: SocketAddr, name_and_labels: &str) -> f64 {
    metrics_text(http)
        .await
        .lines()
        .find_map(|l| {
            l.strip_prefix(name_and_labels)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no series {name_and_labels} in /metrics"))
}

/// The collector binary as a child process, for tests that kill it.
pub struct CollectorProcess {
    pub http: SocketAddr,
    child: Child,
}

impl CollectorProcess {
    /// `sitepulse serve --config FILE` with `config` written to `file`; HTTP on a free port.
    pub fn spawn_config(config: &Config, file: &Path) -> CollectorProcess {
        let (cmd, http) = Self::config_command(config, file);
        Self::launch(cmd, http)
    }

    /// [`CollectorProcess::spawn_config`], with its log (warnings and above) and its standard
    /// error written to `log`.
    pub fn spawn_config_logged(config: &Config, file: &Path, log: &Path) -> CollectorProcess {
        let (mut cmd, http) = Self::config_command(config, file);
        // The log goes to standard output; errors that end the process to standard error.
        let file = std::fs::File::create(log).unwrap();
        cmd.env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = cmd.spawn().expect("start sitepulse serve");
        CollectorProcess { http, child }
    }

    fn config_command(config: &Config, file: &Path) -> (Command, SocketAddr) {
        let port = free_port();
        let mut config = config.clone();
        config.http.listen = SocketAddr::from(([127, 0, 0, 1], port));
        std::fs::write(file, toml::to_string(&config).unwrap()).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitepulse"));
        cmd.arg("serve").arg("--config").arg(file);
        (cmd, config.http.listen)
    }

    /// SIGTERM, as systemd stops it; waits for the exit and returns its status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success(), "kill -TERM {pid}");
        self.child.wait().unwrap()
    }

    pub fn spawn(db: &Path, mqtt_url: &str, client_id: &str) -> CollectorProcess {
        let http = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitepulse"));
        cmd.arg("serve")
            .env("SITEPULSE_MQTT_URL", mqtt_url)
            .env("SITEPULSE_MQTT_CLIENT_ID", client_id)
            .env("SITEPULSE_DB", db)
            .env("SITEPULSE_HTTP_LISTEN", http.to_string());
        Self::launch(cmd, http)
    }

    fn launch(mut cmd: Command, http: SocketAddr) -> CollectorProcess {
        let child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start sitepulse serve");
        CollectorProcess { http, child }
    }

    pub async fn wait_ready(&self) {
        wait_ready(self.http, 60).await;
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for CollectorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hand-built status report, as an agent would send it.
pub fn status_json(site: &str, boot: &str, seq: u64, stage: &str) -> String {
    status_json_at(site, boot, seq, stage, chrono::Utc::now())
}

/// [`status_json`], stamped `ts` by the agent.
pub fn status_json_at(
    site: &str,
    boot: &str,
    seq: u64,
    stage: &str,
    ts: chrono::DateTime<chrono::Utc>,
) -> String {
    serde_json::json!({
        "schema": "sitepulse.status/1",
        "site": site,
        "boot": boot,
        "seq": seq,
        "ts": ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "interval_s": 60,
        "stage": stage,
        "power": {"source": "mains", "supply": "direct", "battery_v": 53.2, "energy_kwh": 10.5},
        "cabinet": {"temp_c": 28.5, "door_open": false},
        "backhaul": {"up": true, "latency_ms": 4.1},
        "cells": [{"band": "n78", "state": "active", "tx_power_dbm": 46.0, "users": 12, "throughput_mbps": 310.5}],
        "alarms": [],
        "fw": "test-1"
    })
    .to_string()
}

pub fn info_json(site: &str, county: &str, operators: &[&str]) -> String {
    serde_json::json!({
        "schema": "sitepulse.info/1",
        "site": site,
        "name": format!("测试站址 {site}"),
        "county": county,
        "operators": operators,
        "tower_owner": "china_tower",
        "kind": "macro",
        "bands": ["n78"],
        "position": {"lat": 36.456, "lon": 115.985}
    })
    .to_string()
}

/// A publisher that records which messages the broker acknowledged (PUBACK), keyed by
/// `(site, boot, seq)`. Publishes go out in request order, so the n-th outgoing publish is the
/// n-th request; the broker connection is never interrupted in these tests.
pub struct TrackingPublisher {
    client: AsyncClient,
    pending: Arc<Mutex<Vec<(String, String, u64)>>>,
    pub acked: Arc<Mutex<HashSet<(String, String, u64)>>>,
    poller: tokio::task::JoinHandle<()>,
    /// Each site's last agent time (ms), so that two of its reports never share a millisecond,
    /// as with a real agent: a series server keeps one point per series and time.
    stamped: Mutex<HashMap<String, i64>>,
}

impl TrackingPublisher {
    pub fn connect(url: &str, id: &str) -> TrackingPublisher {
        Self::start(url, id, false)
    }

    /// A publisher that rides out a broker crash as an agent would: a persistent session, and
    /// on reconnect the unacknowledged messages are sent again (with their packet ids).
    pub fn connect_resilient(url: &str, id: &str) -> TrackingPublisher {
        Self::start(url, id, true)
    }

    fn start(url: &str, id: &str, resilient: bool) -> TrackingPublisher {
        let (host, port, _) = sitepulse::ingest::mqtt::parse_url(url).unwrap();
        let mut opts = MqttOptions::new(id, host, port);
        opts.set_inflight(100);
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_clean_session(!resilient);
        let (client, mut el) = AsyncClient::new(opts, 1000);
        let pending: Arc<Mutex<Vec<(String, String, u64)>>> = Arc::default();
        let acked: Arc<Mutex<HashSet<(String, String, u64)>>> = Arc::default();
        let (p, a) = (pending.clone(), acked.clone());
        let poller = tokio::spawn(async move {
            let mut next = 0usize;
            let mut by_pkid: HashMap<u16, (String, String, u64)> = HashMap::new();
            loop {
                match el.poll().await {
                    // A packet id still waiting for its ack is a message sent again after a
                    // reconnect, not the next one.
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) if by_pkid.contains_key(&pkid) => {
                    }
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                        let key = p.lock().unwrap()[next].clone();
                        next += 1;
                        by_pkid.insert(pkid, key);
                    }
                    Ok(Event::Incoming(Packet::PubAck(ack))) => {
                        if let Some(k) = by_pkid.remove(&ack.pkid) {
                            a.lock().unwrap().insert(k);
                        }
                    }
                    // The broker lost this publisher's session: the client drops what was not
                    // acknowledged (never counted as acknowledged here).
                    Ok(Event::Incoming(Packet::ConnAck(c))) if !c.session_present => {
                        by_pkid.clear()
                    }
                    Ok(_) => {}
                    Err(_) if resilient => tokio::time::sleep(Duration::from_millis(100)).await,
                    Err(e) => panic!("test publisher lost its broker connection: {e}"),
                }
            }
        });
        TrackingPublisher {
            client,
            pending,
            acked,
            poller,
            stamped: Mutex::default(),
        }
    }

    /// Now, or a millisecond after the site's previous report when that is not earlier.
    fn stamp(&self, site: &str) -> chrono::DateTime<chrono::Utc> {
        let mut stamped = self.stamped.lock().unwrap();
        let last = stamped.entry(site.to_string()).or_insert(i64::MIN);
        let ms = chrono::Utc::now()
            .timestamp_millis()
            .max(last.saturating_add(1));
        *last = ms;
        chrono::DateTime::from_timestamp_millis(ms).expect("in range")
    }

    pub async fn publish_status(&self, site: &str, boot: &str, seq: u64) {
        self.pending
            .lock()
            .unwrap()
            .push((site.into(), boot.into(), seq));
        let topic = format!("sitepulse/v1/sites/{site}/status");
        self.client
            .publish(
                topic,
                QoS::AtLeastOnce,
                false,
                status_json_at(site, boot, seq, "on_air", self.stamp(site)),
            )
            .await
            .unwrap();
    }

    /// Reports `from..to` of a stream over `sites` sites named `{prefix}-{n:03}`, round robin:
    /// report i goes to site i % sites with sequence number i / sites (boot `b1`).
    pub async fn publish_stream(&self, prefix: &str, sites: u64, from: u64, to: u64) {
        for i in from..to {
            let site = format!("{prefix}-{:03}", i % sites);
            self.publish_status(&site, "b1", i / sites).await;
        }
    }

    /// [`TrackingPublisher::publish_stream`] of reports `0..total`, pausing `pause` after every
    /// `burst`: a steady stream rather than one burst, so that a fault lands in the middle of it.
    pub async fn publish_paced(
        &self,
        prefix: &str,
        sites: u64,
        total: u64,
        burst: u64,
        pause: Duration,
    ) {
        let mut from = 0;
        while from < total {
            let to = (from + burst).min(total);
            self.publish_stream(prefix, sites, from, to).await;
            tokio::time::sleep(pause).await;
            from = to;
        }
    }

    pub fn acked_count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    pub fn published_count(&self) -> usize {
        self.pending.lock().unwrap().len()
    }
}

impl Drop for TrackingPublisher {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// Simulated agents from `sitepulse::sim`, reporting every 100 ms on real time.
pub struct SimAgents {
    pub stats: Arc<sitepulse::sim::runner::Stats>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SimAgents {
    pub fn start(
        plans: Vec<sitepulse::sim::scenario::SitePlan>,
        url: &str,
        password: Option<&str>,
        faults: sitepulse::sim::runner::Faults,
        seed: u64,
    ) -> SimAgents {
        let run = sitepulse::sim::runner::RunConfig {
            brokers: vec![url.to_string()],
            interval: Duration::from_millis(100),
            interval_s: 60,
            password: password.map(str::to_string),
            faults,
            seed,
            keys: None,
        };
        let stats = Arc::new(sitepulse::sim::runner::Stats::default());
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let tasks = sitepulse::sim::runner::spawn_agents(
            plans,
            run,
            1,
            Arc::new(SystemClock),
            stats.clone(),
            stop_rx,
        );
        SimAgents { stats, stop, tasks }
    }

    /// Stops every agent once what it queued has gone out.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// A private CA and a server certificate for 127.0.0.1 signed by it, made with the openssl
/// command in `dir`: `(ca.pem, server.pem, server.key)`.
pub fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &str| {
        run_tool(
            Command::new("openssl")
                .args(args.split_whitespace())
                .current_dir(dir),
        )
    };
    openssl(
        "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=sitepulse-test-ca",
    );
    openssl("req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1");
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf",
    );
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// Runs a helper command (openssl, mosquitto_passwd) and fails the test if it fails.
pub fn run_tool(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{cmd:?} could not start ({e}); .ci/run installs the tools the tests use")
    });
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Publishes `status_json(site, boot, seq, stage)` on the site's status topic.
pub async fn publish_status(url: &str, site: &str, boot: &str, seq: u64, stage: &str) {
    let topic = format!("sitepulse/v1/sites/{site}/status");
    publish(url, &topic, status_json(site, boot, seq, stage)).await;
}

/// A plain QoS 1 publish that waits for the broker's PUBACK.
pub async fn publish(url: &str, topic: &str, payload: impl Into<Vec<u8>>) {
    publish_as(url, None, topic, payload).await;
}

/// [`publish`], logged in as `(username, password)`. A connection dropped before the PUBACK is
/// tried again, twice at most, as an agent would (the embedded broker has been seen to drop a
/// client on a loaded machine); the message may then arrive twice, which QoS 1 allows.
pub async fn publish_as(
    url: &str,
    login: Option<(&str, &str)>,
    topic: &str,
    payload: impl Into<Vec<u8>>,
) {
    let payload: Vec<u8> = payload.into();
    let mut tries = 0;
    loop {
        tries += 1;
        match publish_once(url, login, topic, payload.clone()).await {
            Ok(()) => return,
            Err(e) if tries < 3 => {
                eprintln!("publish to {url} failed ({e}); trying again");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("publish to {url}: {e}"),
        }
    }
}

async fn publish_once(
    url: &str,
    login: Option<(&str, &str)>,
    topic: &str,
    payload: Vec<u8>,
) -> Result<(), rumqttc::ConnectionError> {
    let (host, port, _) = sitepulse::ingest::mqtt::parse_url(url).unwrap();
    let mut opts = MqttOptions::new(unique_id("test-pub"), host, port);
    if let Some((user, pass)) = login {
        opts.set_credentials(user, pass);
    }
    opts.set_max_packet_size(1 << 21, 1 << 21);
    let (client, mut el) = AsyncClient::new(opts, 10);
    client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
        .unwrap();
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::PubAck(_))) => break,
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_millis(200), el.poll()).await;
    Ok(())
}
