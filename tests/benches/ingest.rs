//! Ingest benchmark: the collector against a do-nothing subscriber, same broker, same publisher,
//! same payloads.
//!
//! ```sh
//! cargo bench --bench ingest                        # 10,000 sites, 1,000,000 messages, QoS 1
//! BENCH_MESSAGES=200000 cargo bench --bench ingest  # shorter
//! ```
//!
//! Needs Mosquitto installed (`apt-get install mosquitto`); starts its own on a free loopback port.
//! Prints: (a) the do-nothing subscriber's rate (the ceiling), (b) `sitepulse serve`'s rate with
//! every message committed before its ack, b/a, p50/p99 publish-to-stored latency, the
//! collector's peak RSS, CPU per report (against the subscriber's) and bytes written per report; (c) latency at a province's rate (`BENCH_PACED_RATE`, default 22,400
//! msg/s: 224,000 sites reporting every 10 s).

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

fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) a process has used so far, from `/proc/{pid}/stat` (a process
/// that has exited but is not reaped yet still has its figures there).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    let tick = clock_ticks();
    f.iter().sum::<f64>() / tick
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
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("BENCH_ROLE", "subscriber")
        .env("BENCH_URL", &url)
        .env("BENCH_MESSAGES", messages.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let started = Instant::now();
    let publish = tokio::spawn({
        let cfg = load_config(&url, sites, messages, publishers);
        async move { load::run(&cfg, Arc::new(AtomicU64::new(0))).await.unwrap() }
    });
    let done = tokio::task::spawn_blocking(move || lines.next().unwrap().unwrap())
        .await
        .unwrap();
    assert_eq!(done, "done");
    let a_elapsed = started.elapsed();
    // The child has printed "done" and is exiting; its figures stay readable until reaped.
    let a_cpu = cpu_seconds(child.id());
    let a_pub = publish.await.unwrap();
    child.wait().unwrap();
    let a_rate = messages as f64 / a_elapsed.as_secs_f64();
    let a_us = a_cpu / messages as f64 * 1e6;
    println!(
        "(a) do-nothing subscriber: {a_rate:>9.0} msg/s  ({messages} in {:.2} s; publisher acked at {:.0} msg/s; {} B/payload); CPU {a_us:.1} µs per report",
        a_elapsed.as_secs_f64(),
        a_pub.rate(),
        a_pub.payload_bytes
    );

    // (b) sitepulse serve, committing every message before acking it, as fast as it goes.
    let b = run_collector(&url, load_config(&url, sites, messages, publishers)).await;
    let b_rate = messages as f64 / b.elapsed.as_secs_f64();
    println!(
        "(b) sitepulse serve:       {b_rate:>9.0} msg/s  ({messages} in {:.2} s; publisher acked at {:.0} msg/s)",
        b.elapsed.as_secs_f64(),
        b.publisher_rate
    );
    println!("    b/a = {:.2}", b_rate / a_rate);
    println!(
        "    publish-to-stored latency at saturation: p50 {:.1} ms, p99 {:.1} ms (queueing included)",
        b.p50_ms, b.p99_ms
    );
    println!(
        "    median batch {:.0} messages; collector peak RSS {:.1} MiB; stored rows {}",
        b.batch_p50, b.rss_mib, b.stored
    );
    let b_us = b.cpu_s / messages as f64 * 1e6;
    println!(
        "    collector CPU {b_us:.1} µs per stored report = {:.2}× the do-nothing subscriber's; publisher CPU {:.1} µs per report; \
         written {:.0} B per report ({:.1}× the payload) to write calls, {:.0} B per report to the disk",
        b_us / a_us,
        b.publisher_cpu_s / messages as f64 * 1e6,
        b.wchar as f64 / messages as f64,
        b.wchar as f64 / messages as f64 / a_pub.payload_bytes as f64,
        b.write_bytes as f64 / messages as f64,
    );

    // (c) paced at a province's rate (Shandong: about 224,000 sites, one report each per 10 s):
    // latency when the collector keeps up.
    let paced_rate: f64 = util::env_or("BENCH_PACED_RATE", 22_400.0);
    let paced_messages = (messages / 5).max(10_000);
    let mut cfg = load_config(&url, sites, paced_messages, publishers);
    cfg.rate = Some(paced_rate);
    let c = run_collector(&url, cfg).await;
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
            Some(&vm),
        )
        .await;
        let d_rate = messages as f64 / d.elapsed.as_secs_f64();
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
            d_rate / b_rate,
            b.elapsed.as_secs_f64() / drained.as_secs_f64()
        );
    } else {
        println!(
            "(d) skipped: victoria-metrics is not installed (apt-get install victoria-metrics)"
        );
    }
    println!("loadavg after {}", load_average());
}

struct CollectorRun {
    elapsed: Duration,
    publisher_rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    batch_p50: f64,
    rss_mib: f64,
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
}

/// A fresh `sitepulse serve` on its own store; publishes `cfg` and waits until all is stored.
async fn run_collector(url: &str, cfg: LoadConfig) -> CollectorRun {
    run_collector_with(url, cfg, None).await
}

/// [`run_collector`], with the series going to `sink` when given.
async fn run_collector_with(
    url: &str,
    cfg: LoadConfig,
    sink: Option<&util::Victoria>,
) -> CollectorRun {
    let messages = cfg.messages;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let collector = match sink {
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
    collector.wait_ready().await;
    let pid = collector.pid();
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
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let (cpu1, own1, io1) = (
        cpu_seconds(pid),
        cpu_seconds(std::process::id()),
        io_bytes(pid),
    );
    let mut drained = None;
    if sink.is_some() {
        // Every report is stored, so every line is in the buffer or already sent.
        while util::metric(collector.http, "sitepulse_sink_buffer_lines").await > 0.0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drained = Some(started.elapsed());
    }
    let publisher = publish.await.unwrap();
    let text = util::metrics_text(collector.http).await;
    let run = CollectorRun {
        elapsed,
        publisher_rate: publisher.rate(),
        p50_ms: quantile(&text, "sitepulse_report_age_at_commit_seconds", 0.50) * 1e3,
        p99_ms: quantile(&text, "sitepulse_report_age_at_commit_seconds", 0.99) * 1e3,
        batch_p50: quantile(&text, "sitepulse_batch_size", 0.5),
        rss_mib: peak_rss_mib(pid),
        stored: sitepulse::store::sqlite::SqliteReader::open(&db)
            .unwrap()
            .status_count()
            .unwrap(),
        drained,
        lines: util::metric(collector.http, "sitepulse_sink_lines_written_total").await as u64,
        cpu_s: cpu1 - cpu0,
        publisher_cpu_s: own1 - own0,
        wchar: io1.0 - io0.0,
        write_bytes: io1.1 - io0.1,
    };
    collector.kill();
    run
}
