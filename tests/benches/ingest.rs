//! Ingest benchmark: the collector against a do-nothing subscriber, same broker, same publisher,
//! same payloads.
//!
//! ```sh
//! cargo bench --bench ingest                        # 10,000 sites, 1,000,000 messages, QoS 1
//! BENCH_MESSAGES=200000 cargo bench --bench ingest  # shorter
//! ```
//!
//! Needs Mosquitto installed (`apt-get install mosquitto`); starts its own on a free loopback port.
//! Prints, for (a) the do-nothing subscriber (the ceiling) and (b) `sitepulse serve` with every
//! message committed before its ack: msg/s, CPU µs per report, peak RSS and bytes written per
//! report (to write calls: the log, checkpoints and sockets; and to the disk), with the
//! publisher's CPU; (a′) the same for `mosquitto_sub -q 1` when mosquitto-clients is installed
//! (the do-nothing subscriber of the independent harness; it prints each report); then b/a, p50/p99 publish-to-stored latency, and history latency per site
//! over the stored reports. (c) latency at a province's rate (`BENCH_PACED_RATE`, default 22,400
//! msg/s: 224,000 sites reporting every 10 s); (d) the same load as (b) into VictoriaMetrics when
//! installed; (e) state memory per site with `BENCH_PROVINCE_SITES` (224,000) sites; (p) the
//! pinned pair: broker and publisher on CPU 0, the subscriber or the collector alone on CPU 1,
//! as with the broker on another host.

#[path = "../util/mod.rs"]
mod util;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use sitepulse::sim::load::{self, LoadConfig};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// Role of the child process: subscribe, count to `n`, print "done", exit.
async fn subscriber(url: String, n: u64) {
    let (host, port, _) = sitepulse::ingest::mqtt::parse_url(&url).unwrap();
    let mut opts = MqttOptions::new("bench-null-subscriber", host, port);
    opts.set_max_packet_size(1 << 20, 1 << 20);
    opts.set_keep_alive(Duration::from_secs(60));
    let (client, mut el) = AsyncClient::new(opts, 65_536);
    let mut seen = 0u64;
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                client
                    .try_subscribe(sitepulse::wire::topic::SUBSCRIPTION, QoS::AtLeastOnce)
                    .unwrap();
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => println!("ready"),
            Ok(Event::Incoming(Packet::Publish(_))) => {
                seen += 1;
                if seen == n {
                    println!("done");
                    // Keep acking what is in flight a moment so the broker is not left hanging.
                    let _ = tokio::time::timeout(Duration::from_millis(300), async {
                        loop {
                            let _ = el.poll().await;
                        }
                    })
                    .await;
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("subscriber: {e}"),
        }
    }
}

fn load_config(url: &str, sites: usize, messages: u64, publishers: usize) -> LoadConfig {
    LoadConfig {
        url: url.into(),
        sites,
        messages,
        publishers,
        qos: QoS::AtLeastOnce,
        ..LoadConfig::default()
    }
}

/// Quantile from Prometheus histogram buckets, linearly interpolated inside the bucket.
fn quantile(metrics: &str, name: &str, q: f64) -> f64 {
    let mut buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{name}_bucket{{le=\"")))
        .filter_map(|rest| {
            let (le, v) = rest.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, v.trim().parse().ok()?))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last().map_or(0.0, |b| b.1);
    let target = q * total;
    let mut prev = (0.0, 0.0);
    for (le, count) in buckets {
        if count >= target {
            if le.is_infinite() {
                return prev.0;
            }
            let frac = if count > prev.1 {
                (target - prev.1) / (count - prev.1)
            } else {
                0.0
            };
            return prev.0 + frac * (le - prev.0);
        }
        prev = (le, count);
    }
    f64::NAN
}

/// A memory figure of `/proc/{pid}/status` (`VmHWM:` peak resident, `VmRSS:` resident now), MiB.
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn peak_rss_mib(pid: u32) -> f64 {
    status_mib(pid, "VmHWM:")
}

fn resident_mib(pid: u32) -> f64 {
    status_mib(pid, "VmRSS:")
}

/// CPU seconds (user + system) a process has used so far, from `/proc/{pid}/stat` (a process
/// that has exited but is not reaped yet still has its figures there).
fn cpu_seconds(pid: u32) -> f64 {
    stat_cpu_seconds(&format!("/proc/{pid}/stat"))
}

/// User + system CPU seconds from a `stat` file of `/proc` (a process's or a thread's).
fn stat_cpu_seconds(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / clock_ticks()
}

/// The kernel's clock ticks per second, asked once.
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// `(bytes handed to write calls, bytes sent to the block device)` by a process so far, from
/// `/proc/{pid}/io`: the first counts the WAL, checkpoints and sockets alike; the second what
/// reached the disk (0 on tmpfs).
fn io_bytes(pid: u32) -> (u64, u64) {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("wchar:"), field("write_bytes:"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `taskset -a -pc CPUS PID`: every thread of the process on those CPUs.
fn pin(pid: u32, cpus: &str) {
    let ok = Command::new("taskset")
        .args(["-a", "-pc", cpus, &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("taskset (util-linux)");
    assert!(ok.success(), "taskset -a -pc {cpus} {pid}");
}

/// What a do-nothing subscriber run measured.
struct SubscriberRun {
    rate: f64,
    elapsed: Duration,
    cpu_us: f64,
    rss_mib: f64,
    wchar: u64,
    publisher_rate: f64,
    publisher_cpu_us: f64,
    payload_bytes: usize,
}

/// (a): the do-nothing subscriber in its own process (on `cpus` when given), fed `cfg`.
async fn run_subscriber(url: &str, cfg: LoadConfig, cpus: Option<&str>) -> SubscriberRun {
    let messages = cfg.messages;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("BENCH_ROLE", "subscriber")
        .env("BENCH_URL", url)
        .env("BENCH_MESSAGES", messages.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(c) = cpus {
        pin(child.id(), c);
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let (own0, io0) = (cpu_seconds(std::process::id()), io_bytes(child.id()));
    let started = Instant::now();
    let publish =
        tokio::spawn(async move { load::run(&cfg, Arc::new(AtomicU64::new(0))).await.unwrap() });
    let done = tokio::task::spawn_blocking(move || lines.next().unwrap().unwrap())
        .await
        .unwrap();
    assert_eq!(done, "done");
    let since = (started.elapsed(), own0, io0);
    // The child has printed "done" and is exiting; its figures stay readable until reaped.
    let run = subscriber_figures(&child, messages, since, 0.0, publish).await;
    child.wait().unwrap();
    run
}

/// The topic `mosquitto_sub` is probed on until it is subscribed.
const PROBE_TOPIC: &str = "sitepulse/bench-probe";
const PROBE: &str = "bench-probe";

/// CPU seconds the calling thread has used.
fn thread_cpu_seconds() -> f64 {
    stat_cpu_seconds("/proc/thread-self/stat")
}

/// A subscriber's figures once it has received all `messages`: its CPU, peak RSS and writes
/// since `io0`, and the publisher's CPU (this process's since `own0`, less `not_publisher`).
async fn subscriber_figures(
    child: &std::process::Child,
    messages: u64,
    (elapsed, own0, io0): (Duration, f64, (u64, u64)),
    not_publisher: f64,
    publish: tokio::task::JoinHandle<load::LoadReport>,
) -> SubscriberRun {
    let (cpu, rss, io1) = (
        cpu_seconds(child.id()),
        peak_rss_mib(child.id()),
        io_bytes(child.id()),
    );
    let own1 = cpu_seconds(std::process::id());
    let publisher = publish.await.unwrap();
    SubscriberRun {
        rate: messages as f64 / elapsed.as_secs_f64(),
        elapsed,
        cpu_us: cpu / messages as f64 * 1e6,
        rss_mib: rss,
        wchar: io1.0 - io0.0,
        publisher_rate: publisher.rate(),
        publisher_cpu_us: (own1 - own0 - not_publisher) / messages as f64 * 1e6,
        payload_bytes: publisher.payload_bytes,
    }
}

/// (a′): `mosquitto_sub -q 1`, the do-nothing subscriber of the independent harness, printing
/// each report to a pipe that a thread of this process drains (its CPU is not counted as the
/// publisher's). `None` when mosquitto-clients is not installed.
async fn run_mosquitto_sub(url: &str, cfg: LoadConfig) -> Option<SubscriberRun> {
    let (host, port, _) = sitepulse::ingest::mqtt::parse_url(url).unwrap();
    let port = port.to_string();
    let mut child = Command::new("mosquitto_sub")
        .args([
            "-h",
            &host,
            "-p",
            &port,
            "-q",
            "1",
            "-i",
            "bench-mosquitto-sub",
        ])
        .args(["-t", sitepulse::wire::topic::SUBSCRIPTION])
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let messages = cfg.messages;
    let out = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    // Counts the reports it prints; probe lines only say it is subscribed.
    let drain = std::thread::spawn(move || {
        let mut out = BufReader::with_capacity(1 << 20, out);
        let (mut line, mut seen) = (Vec::with_capacity(4096), 0u64);
        while seen < messages {
            line.clear();
            if out.read_until(b'\n', &mut line).unwrap() == 0 {
                panic!("mosquitto_sub stopped after {seen} of {messages} reports");
            }
            match line.starts_with(PROBE.as_bytes()) {
                true => {
                    let _ = ready_tx.send(());
                }
                false => seen += 1,
            }
        }
        thread_cpu_seconds()
    });
    loop {
        let probe = Command::new("mosquitto_pub")
            .args(["-h", &host, "-p", &port, "-t", PROBE_TOPIC, "-m", PROBE])
            .status()
            .expect("mosquitto_pub (mosquitto-clients)");
        assert!(probe.success(), "mosquitto_pub");
        if ready_rx.recv_timeout(Duration::from_millis(200)).is_ok() {
            break;
        }
    }
    let (own0, io0) = (cpu_seconds(std::process::id()), io_bytes(child.id()));
    let started = Instant::now();
    let publish =
        tokio::spawn(async move { load::run(&cfg, Arc::new(AtomicU64::new(0))).await.unwrap() });
    let drain_cpu = tokio::task::spawn_blocking(move || drain.join().unwrap())
        .await
        .unwrap();
    let since = (started.elapsed(), own0, io0);
    let run = subscriber_figures(&child, messages, since, drain_cpu, publish).await;
    let _ = child.kill();
    child.wait().unwrap();
    Some(run)
}

#[tokio::main]
async fn main() {
    if std::env::var("BENCH_ROLE").as_deref() == Ok("subscriber") {
        let url = std::env::var("BENCH_URL").unwrap();
        subscriber(url, util::env_or("BENCH_MESSAGES", 1_000_000)).await;
        return;
    }
    let messages: u64 = util::env_or("BENCH_MESSAGES", 1_000_000);
    let sites: usize = util::env_or("BENCH_SITES", 10_000);
    let publishers: usize = util::env_or("BENCH_PUBLISHERS", 1);
    println!(
        "ingest benchmark: {messages} messages, {sites} sites, {publishers} publisher(s), QoS 1, loadavg before {}",
        load_average()
    );
    let broker = util::Mosquitto::start();
    let url = broker.url();

    // (a) do-nothing subscriber in its own process.
    let a = run_subscriber(&url, load_config(&url, sites, messages, publishers), None).await;
    let payload = a.payload_bytes as f64;
    println!(
        "(a) do-nothing subscriber: {:>9.0} msg/s  ({messages} in {:.2} s; {} B/payload); CPU {:.1} µs per report; \
         peak RSS {:.1} MiB; written {:.0} B per report; publisher acked at {:.0} msg/s, CPU {:.1} µs per report",
        a.rate,
        a.elapsed.as_secs_f64(),
        a.payload_bytes,
        a.cpu_us,
        a.rss_mib,
        a.wchar as f64 / messages as f64,
        a.publisher_rate,
        a.publisher_cpu_us,
    );

    // (a′) mosquitto_sub, the do-nothing subscriber the issue's harness measured.
    let a2 = run_mosquitto_sub(&url, load_config(&url, sites, messages, publishers)).await;
    match &a2 {
        Some(m) => println!(
            "(a′) mosquitto_sub -q 1:   {:>9.0} msg/s  ({messages} in {:.2} s); CPU {:.1} µs per report; \
             peak RSS {:.1} MiB; publisher acked at {:.0} msg/s, CPU {:.1} µs per report",
            m.rate,
            m.elapsed.as_secs_f64(),
            m.cpu_us,
            m.rss_mib,
            m.publisher_rate,
            m.publisher_cpu_us,
        ),
        None => println!(
            "(a′) skipped: mosquitto_sub is not installed (apt-get install mosquitto-clients)"
        ),
    }

    // (b) sitepulse serve, committing every message before acking it, as fast as it goes.
    let b = run_collector_with(
        &url,
        load_config(&url, sites, messages, publishers),
        Options {
            history_sites: sites.min(200),
            ..Options::default()
        },
    )
    .await;
    print_collector(
        "(b) sitepulse serve:      ",
        &b,
        messages,
        payload,
        a.cpu_us,
    );
    println!("    b/a = {:.2}", b.rate(messages) / a.rate);
    if let Some(m) = &a2 {
        println!(
            "    against mosquitto_sub: CPU per stored report {:.2}× its CPU per report; b/a′ = {:.2}",
            b.cpu_s / messages as f64 * 1e6 / m.cpu_us,
            b.rate(messages) / m.rate
        );
    }
    println!(
        "    publish-to-stored latency at saturation: p50 {:.1} ms, p99 {:.1} ms (queueing included); median batch {:.0} messages",
        b.p50_ms, b.p99_ms, b.batch_p50
    );
    if let Some(h) = &b.history {
        println!(
            "    history of one site over the run, {} stored reports: {} sites, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({:.0} reports each)",
            b.stored, h.sites, h.p50_ms, h.p99_ms, h.max_ms, h.rows
        );
    }

    // (c) paced at a province's rate (Shandong: about 224,000 sites, one report each per 10 s):
    // latency when the collector keeps up.
    let paced_rate: f64 = util::env_or("BENCH_PACED_RATE", 22_400.0);
    let paced_messages = (messages / 5).max(10_000);
    let mut cfg = load_config(&url, sites, paced_messages, publishers);
    cfg.rate = Some(paced_rate);
    let c = run_collector_with(&url, cfg, Options::default()).await;
    println!(
        "(c) paced at {paced_rate:.0} msg/s ({paced_messages} messages): p50 {:.1} ms, p99 {:.1} ms publish-to-stored; peak RSS {:.1} MiB",
        c.p50_ms, c.p99_ms, c.rss_mib
    );

    // (d) the same load as (b) with the series going to a line-protocol server: VictoriaMetrics
    // through its InfluxDB v2 write API. Acked once in the on-disk buffer; drained once the
    // server has every line.
    if std::path::Path::new("/usr/bin/victoria-metrics").exists() {
        let vm = util::Victoria::start();
        let d = run_collector_with(
            &url,
            load_config(&url, sites, messages, publishers),
            Options {
                sink: Some(&vm),
                ..Options::default()
            },
        )
        .await;
        let d_rate = d.rate(messages);
        let drained = d.drained.unwrap();
        println!(
            "(d) sitepulse serve → VictoriaMetrics: {d_rate:>9.0} msg/s stored and acked ({messages} in {:.2} s), \
             all {} lines in the server after {:.2} s = {:.0} msg/s end to end; peak RSS {:.1} MiB",
            d.elapsed.as_secs_f64(),
            d.lines,
            drained.as_secs_f64(),
            messages as f64 / drained.as_secs_f64(),
            d.rss_mib
        );
        println!(
            "    d/b = {:.2} (acked), {:.2} (in the server)",
            d_rate / b.rate(messages),
            b.elapsed.as_secs_f64() / drained.as_secs_f64()
        );
    } else {
        println!(
            "(d) skipped: victoria-metrics is not installed (apt-get install victoria-metrics)"
        );
    }

    // (e) a province's sites, each reporting twice: what the collector's memory grows by per
    // site, from ready to all stored (its state, the writer's per-site memory, and the pages
    // SQLite caches; an upper bound on the state alone).
    let province: usize = util::env_or("BENCH_PROVINCE_SITES", 224_000);
    let e = run_collector_with(
        &url,
        load_config(&url, province, 2 * province as u64, publishers),
        Options::default(),
    )
    .await;
    println!(
        "(e) {province} sites, 2 reports each: resident memory {:.1} MiB at ready, {:.1} MiB with every site's state = {:.2} KiB per site",
        e.rss_ready_mib,
        e.rss_end_mib,
        (e.rss_end_mib - e.rss_ready_mib) * 1024.0 / province as f64
    );

    // (p) the pinned pair: the broker and the publisher (this process) on CPU 0, the consumer
    // alone on CPU 1.
    if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 {
        pin(broker.pid(), "0");
        pin(std::process::id(), "0");
        let pa = run_subscriber(
            &url,
            load_config(&url, sites, messages, publishers),
            Some("1"),
        )
        .await;
        let pb = run_collector_with(
            &url,
            load_config(&url, sites, messages, publishers),
            Options {
                cpus: Some("1"),
                ..Options::default()
            },
        )
        .await;
        println!(
            "(p) pinned, broker and publisher on CPU 0: do-nothing subscriber on CPU 1 {:>9.0} msg/s, CPU {:.1} µs per report",
            pa.rate, pa.cpu_us
        );
        print_collector(
            "    sitepulse serve on CPU 1:",
            &pb,
            messages,
            payload,
            pa.cpu_us,
        );
        println!("    pinned b/a = {:.2}", pb.rate(messages) / pa.rate);
    }
    println!("loadavg after {}", load_average());
}

fn print_collector(label: &str, r: &CollectorRun, messages: u64, payload: f64, base_us: f64) {
    let us = r.cpu_s / messages as f64 * 1e6;
    let wchar = r.wchar as f64 / messages as f64;
    println!(
        "{label} {:>9.0} msg/s  ({messages} in {:.2} s); CPU {us:.1} µs per stored report = {:.2}× the do-nothing subscriber's; \
         peak RSS {:.1} MiB; written {wchar:.0} B per report ({:.2}× the payload) to write calls, {:.0} B to the disk; \
         publisher acked at {:.0} msg/s, CPU {:.1} µs per report",
        r.rate(messages),
        r.elapsed.as_secs_f64(),
        us / base_us,
        r.rss_mib,
        wchar / payload,
        r.write_bytes as f64 / messages as f64,
        r.publisher_rate,
        r.publisher_cpu_s / messages as f64 * 1e6,
    );
}

/// History reads over a full store: per-site latency.
struct HistoryFigures {
    sites: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    rows: f64,
}

struct CollectorRun {
    elapsed: Duration,
    publisher_rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    batch_p50: f64,
    rss_mib: f64,
    /// Resident memory when ready and when all was stored.
    rss_ready_mib: f64,
    rss_end_mib: f64,
    stored: u64,
    /// With a sink: time until the server had every line.
    drained: Option<Duration>,
    lines: u64,
    /// The collector's CPU seconds from ready to all stored.
    cpu_s: f64,
    /// The bench process's own (the publisher's, mostly) over the same time.
    publisher_cpu_s: f64,
    /// The collector's bytes to write calls and to the disk over the same time.
    wchar: u64,
    write_bytes: u64,
    history: Option<HistoryFigures>,
}

impl CollectorRun {
    fn rate(&self, messages: u64) -> f64 {
        messages as f64 / self.elapsed.as_secs_f64()
    }
}

#[derive(Default)]
struct Options<'a> {
    /// The series also go to this server.
    sink: Option<&'a util::Victoria>,
    /// The collector runs on these CPUs only.
    cpus: Option<&'a str>,
    /// Afterwards, read the history of this many sites over the whole run.
    history_sites: usize,
}

/// A fresh `sitepulse serve` on its own store; publishes `cfg` and waits until all is stored.
async fn run_collector_with(url: &str, cfg: LoadConfig, opts: Options<'_>) -> CollectorRun {
    let messages = cfg.messages;
    let sites = cfg.sites;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let collector = match opts.sink {
        None => util::CollectorProcess::spawn(
            &db,
            url,
            &format!("bench-collector-{}", util::free_port()),
        ),
        Some(vm) => {
            let mut c = util::sink_config(dir.path(), url, &vm.url());
            c.store.path = db.clone();
            c.mqtt.client_id = format!("bench-collector-{}", util::free_port());
            util::CollectorProcess::spawn_config(&c, &dir.path().join("sitepulse.toml"))
        }
    };
    if let Some(c) = opts.cpus {
        pin(collector.pid(), c);
    }
    collector.wait_ready().await;
    let pid = collector.pid();
    let rss_ready_mib = resident_mib(pid);
    let (cpu0, own0, io0) = (
        cpu_seconds(pid),
        cpu_seconds(std::process::id()),
        io_bytes(pid),
    );
    let started = Instant::now();
    let publish =
        tokio::spawn(async move { load::run(&cfg, Arc::new(AtomicU64::new(0))).await.unwrap() });
    let stored_metric = "sitepulse_messages_stored_total{kind=\"status\"}";
    while (util::metric(collector.http, stored_metric).await as u64) < messages {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    let (cpu1, own1, io1) = (
        cpu_seconds(pid),
        cpu_seconds(std::process::id()),
        io_bytes(pid),
    );
    let rss_end_mib = resident_mib(pid);
    let mut drained = None;
    if opts.sink.is_some() {
        // Every report is stored, so every line is in the buffer or already sent.
        while util::metric(collector.http, "sitepulse_sink_buffer_lines").await > 0.0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drained = Some(started.elapsed());
    }
    let publisher = publish.await.unwrap();
    let text = util::metrics_text(collector.http).await;
    let reader = sitepulse::store::sqlite::SqliteReader::open(&db).unwrap();
    let history =
        (opts.history_sites > 0).then(|| history_figures(&reader, sites, opts.history_sites));
    let run = CollectorRun {
        elapsed,
        publisher_rate: publisher.rate(),
        p50_ms: quantile(&text, "sitepulse_report_age_at_commit_seconds", 0.50) * 1e3,
        p99_ms: quantile(&text, "sitepulse_report_age_at_commit_seconds", 0.99) * 1e3,
        batch_p50: quantile(&text, "sitepulse_batch_size", 0.5),
        rss_mib: peak_rss_mib(pid),
        rss_ready_mib,
        rss_end_mib,
        stored: reader.status_count().unwrap(),
        drained,
        lines: util::metric(collector.http, "sitepulse_sink_lines_written_total").await as u64,
        cpu_s: cpu1 - cpu0,
        publisher_cpu_s: own1 - own0,
        wchar: io1.0 - io0.0,
        write_bytes: io1.1 - io0.1,
        history,
    };
    collector.kill();
    run
}

/// Reads the whole history of `n` of the load's sites, spread over them, as the API does.
fn history_figures(
    reader: &sitepulse::store::sqlite::SqliteReader,
    sites: usize,
    n: usize,
) -> HistoryFigures {
    use sitepulse::store::telemetry::Telemetry;
    let (from, to) = (
        chrono::Utc::now() - chrono::Duration::days(1),
        chrono::Utc::now() + chrono::Duration::days(1),
    );
    let ids = load::site_ids(sites);
    let mut ms = Vec::with_capacity(n);
    let mut rows = 0usize;
    for i in 0..n {
        let site = &ids[i * sites / n];
        let t = Instant::now();
        rows += reader.history(site, from, to, 10_000).unwrap().len();
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    HistoryFigures {
        sites: n,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: at(1.0),
        rows: rows as f64 / n as f64,
    }
}
