//! Load mode: publish status reports for many sites as fast as the broker accepts them, over a
//! few connections, and report the rate. Used by `sitepulse-sim --load` and the ingest benchmark,
//! so both measure with the same publisher and payloads.

use super::agent::Agent;
use super::scenario::liaocheng;
use crate::ingest::mqtt::parse_url;
use crate::wire::{Kind, Stage, topic::topic_for};
use chrono::Utc;
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub url: String,
    /// Distinct sites (topics).
    pub sites: usize,
    /// Reports to publish in all.
    pub messages: u64,
    /// Publisher connections; sites are split between them.
    pub publishers: usize,
    pub qos: QoS,
    /// Unacknowledged publishes allowed per connection.
    pub inflight: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Prefix of the publishers' client ids.
    pub client_prefix: String,
    /// Target rate in messages per second over all publishers; `None`: as fast as the broker
    /// accepts.
    pub rate: Option<f64>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            url: "mqtt://127.0.0.1:1883".into(),
            sites: 10_000,
            messages: 1_000_000,
            publishers: 1,
            qos: QoS::AtLeastOnce,
            inflight: 1000,
            username: None,
            password: None,
            client_prefix: "sitepulse-load".into(),
            rate: None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct LoadReport {
    pub published: u64,
    /// Acknowledged by the broker (QoS 1); equals `published` at QoS 0.
    pub acked: u64,
    /// From the first publish to the last acknowledgement.
    pub elapsed: Duration,
    /// Mean payload size in bytes.
    pub payload_bytes: usize,
}

impl LoadReport {
    pub fn rate(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Url(#[from] crate::ingest::mqtt::MqttConfigError),
    #[error("publisher {0}: {1}")]
    Connection(usize, String),
}

/// The scenario seed the load draws its sites from.
const PLAN_SEED: u64 = 42;

/// The ids of the sites a load over `sites` sites publishes for, in its order.
pub fn site_ids(sites: usize) -> Vec<String> {
    liaocheng(sites, PLAN_SEED)
        .into_iter()
        .map(|p| p.info.site)
        .collect()
}

/// Publishes `cfg.messages` reports round-robin over `cfg.sites` sites. `progress` counts
/// acknowledged messages as they come, for a progress bar.
pub async fn run(cfg: &LoadConfig, progress: Arc<AtomicU64>) -> Result<LoadReport, LoadError> {
    let (host, port, _) = parse_url(&cfg.url)?;
    let publishers = cfg.publishers.clamp(1, cfg.sites.max(1));
    let plans = liaocheng(cfg.sites, PLAN_SEED);
    let run_boot = format!("load{:08x}", rand::random::<u32>());
    let payload_bytes = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..publishers {
        let mut agents: Vec<(String, Agent)> = plans
            .iter()
            .skip(p)
            .step_by(publishers)
            .map(|plan| {
                let mut a = Agent::new(plan.clone(), p as u64, 10);
                a.reboot();
                (topic_for(&plan.info.site, Kind::Status), a)
            })
            .collect();
        let share = cfg.messages / publishers as u64
            + u64::from((p as u64) < cfg.messages % publishers as u64);
        let mut opts = MqttOptions::new(format!("{}-{p}", cfg.client_prefix), host.clone(), port);
        opts.set_keep_alive(Duration::from_secs(60));
        opts.set_inflight(cfg.inflight);
        opts.set_max_packet_size(1 << 20, 1 << 20);
        if let Some(u) = &cfg.username {
            opts.set_credentials(u.clone(), cfg.password.clone().unwrap_or_default());
        }
        let (client, mut eventloop) = AsyncClient::new(opts, 10_000);
        let qos = cfg.qos;
        let progress = progress.clone();
        let payload_bytes = payload_bytes.clone();
        let boot = run_boot.clone();
        let per_publisher_rate = cfg.rate.map(|r| r / publishers as f64);
        tasks.push(tokio::spawn(async move {
            let publisher = tokio::spawn(async move {
                let mut bytes = 0u64;
                let began = Instant::now();
                for k in 0..share {
                    if let Some(rate) = per_publisher_rate
                        && k % 100 == 0
                    {
                        // Pace in steps of 100 messages: sleep until this one is due.
                        let due = began + Duration::from_secs_f64(k as f64 / rate);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let n = agents.len();
                    let (topic, agent) = &mut agents[(k as usize) % n];
                    let mut s = agent.next_status(Utc::now());
                    s.stage = Stage::OnAir;
                    s.boot.clone_from(&boot);
                    let payload = serde_json::to_vec(&s).expect("status serializes");
                    bytes += payload.len() as u64;
                    if client
                        .publish(topic.clone(), qos, false, payload)
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                payload_bytes.fetch_add(bytes, Ordering::Relaxed);
                client
            });
            let mut acked = 0u64;
            let mut sent = 0u64;
            let mut errors = 0u32;
            while acked < share {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        acked += 1;
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Event::Outgoing(Outgoing::Publish(_))) => {
                        sent += 1;
                        if qos == QoS::AtMostOnce {
                            acked += 1;
                            progress.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        errors += 1;
                        if errors > 20 {
                            return Err(LoadError::Connection(p, e.to_string()));
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
            if let Ok(client) = publisher.await {
                let _ = client.try_disconnect();
                let _ = tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await;
            }
            Ok::<_, LoadError>((sent, acked))
        }));
    }
    let mut published = 0;
    let mut acked = 0;
    for t in tasks {
        let (s, a) = t
            .await
            .map_err(|e| LoadError::Connection(0, e.to_string()))??;
        published += s;
        acked += a;
    }
    let elapsed = start.elapsed();
    let payload_bytes = (payload_bytes.load(Ordering::Relaxed) / published.max(1)) as usize;
    Ok(LoadReport {
        published,
        acked,
        elapsed,
        payload_bytes,
    })
}
