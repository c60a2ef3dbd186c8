//! Runs simulated agents against a broker: one MQTT connection per agent (its own client id and
//! credentials), an `info` message at connect, then a status report every interval, with faults
//! injected on request.

use super::agent::Agent;
use super::scenario::SitePlan;
use crate::clock::SharedClock;
use crate::ingest::mqtt::parse_url;
use crate::wire::{Kind, topic::topic_for};
use chrono::Duration as ChronoDuration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// Share of reports (0–1) affected by each fault.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Publish the same report twice.
    pub duplicate: f64,
    /// Hold a report back and send it after the next one.
    pub out_of_order: f64,
    /// Send garbage instead of a report.
    pub malformed: f64,
    /// Drop the connection after a report (the agent reconnects).
    pub disconnect: f64,
    /// Share of agents whose clock runs ahead by `skew`.
    pub skewed_agents: f64,
    pub skew: ChronoDuration,
}

#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Broker URLs; agents are spread over them (several listeners lift the limit of about 28,000
    /// loopback connections per destination port).
    pub brokers: Vec<String>,
    /// Real time between two reports of one agent.
    pub interval: Duration,
    /// Site time between two reports, written into each report as `interval_s`.
    pub interval_s: u32,
    /// Password of the agents, if the broker asks for one; the username is the site id. `{site}`
    /// in it is replaced by the site id, so each agent has credentials of its own
    /// (e.g. `secret-{site}`, matching a password file made the same way).
    pub password: Option<String>,
    pub faults: Faults,
    pub seed: u64,
    /// Signing keys by site: an agent with a key signs every payload (HMAC-SHA256).
    pub keys: Option<Arc<std::collections::HashMap<String, crate::wire::signature::Key>>>,
}

/// Counters shared by all agents.
#[derive(Debug, Default)]
pub struct Stats {
    /// Status topic publishes: reports, malformed payloads and repeated copies.
    pub published: AtomicU64,
    /// Info messages, one per agent connection.
    pub info: AtomicU64,
    /// PUBACKs from the broker, for both.
    pub acked: AtomicU64,
    pub malformed: AtomicU64,
    pub duplicates: AtomicU64,
    pub disconnects: AtomicU64,
    pub connection_errors: AtomicU64,
    pub connected: AtomicU64,
}

/// Starts one task per agent and returns at once; agents stop when `shutdown` turns true.
/// With `agents_per_connection` above 1, agents share connections (a gateway), which keeps the
/// number of sockets within the process's file limit for large in-process simulations.
pub fn spawn_agents(
    plans: Vec<SitePlan>,
    cfg: RunConfig,
    agents_per_connection: usize,
    clock: SharedClock,
    stats: Arc<Stats>,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut seeder = StdRng::seed_from_u64(cfg.seed);
    let per = agents_per_connection.max(1);
    let mut tasks = Vec::new();
    for (g, group) in plans.chunks(per).enumerate() {
        let broker = &cfg.brokers[g % cfg.brokers.len()];
        let Ok((host, port, _tls)) = parse_url(broker) else {
            continue;
        };
        let id = if per == 1 {
            format!("agent-{}", group[0].info.site)
        } else {
            format!("gateway-{}", group[0].info.site)
        };
        let mut opts = MqttOptions::new(id, host, port);
        opts.set_keep_alive(Duration::from_secs(60));
        opts.set_inflight(32);
        if let Some(p) = &cfg.password {
            let site = &group[0].info.site;
            opts.set_credentials(site.clone(), p.replace("{site}", site));
        }
        let (client, eventloop) = AsyncClient::new(opts, 64 * per);
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let poller = tokio::spawn(poll(
            eventloop,
            stats.clone(),
            stopping.clone(),
            seeder.random(),
        ));
        let agents: Vec<_> = group
            .iter()
            .map(|plan| {
                let mut agent = Agent::new(plan.clone(), seeder.random(), cfg.interval_s);
                if seeder.random_bool(cfg.faults.skewed_agents.clamp(0.0, 1.0)) {
                    agent.skew = cfg.faults.skew;
                }
                tokio::spawn(run_agent(
                    agent,
                    client.clone(),
                    cfg.clone(),
                    clock.clone(),
                    stats.clone(),
                    shutdown.clone(),
                    seeder.random(),
                ))
            })
            .collect();
        // When every agent of the connection has stopped, disconnect after what they queued.
        tasks.push(tokio::spawn(async move {
            for a in agents {
                let _ = a.await;
            }
            stopping.store(true, Ordering::Release);
            let _ = client.disconnect().await;
            let _ = tokio::time::timeout(Duration::from_secs(5), poller).await;
        }));
    }
    tasks
}

/// Drives one connection until the agents' disconnect has been sent.
async fn poll(
    mut eventloop: rumqttc::EventLoop,
    stats: Arc<Stats>,
    stopping: Arc<std::sync::atomic::AtomicBool>,
    seed: u64,
) {
    let mut up = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect))
                if stopping.load(Ordering::Acquire) =>
            {
                return;
            }
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                stats.acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                up = true;
                stats.connected.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(_) => {
                if up {
                    stats.connected.fetch_sub(1, Ordering::Relaxed);
                    up = false;
                }
                stats.connection_errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(500 + (seed % 1000))).await;
            }
        }
    }
}

async fn run_agent(
    mut agent: Agent,
    client: AsyncClient,
    cfg: RunConfig,
    clock: SharedClock,
    stats: Arc<Stats>,
    mut shutdown: watch::Receiver<bool>,
    seed: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let key = cfg.keys.as_ref().and_then(|k| k.get(agent.site()).copied());
    let sign = |json: Vec<u8>| match &key {
        Some(k) => crate::wire::signature::sign(&json, k),
        None => json,
    };
    let info = sign(serde_json::to_vec(&agent.plan.info).expect("info serializes"));
    if client
        .publish(
            topic_for(agent.site(), Kind::Info),
            QoS::AtLeastOnce,
            true,
            info,
        )
        .await
        .is_ok()
    {
        stats.info.fetch_add(1, Ordering::Relaxed);
    }
    let topic = topic_for(agent.site(), Kind::Status);
    // Spread the first reports over one interval so the broker sees a steady stream.
    let first = cfg.interval.mul_f64(rng.random::<f64>());
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + first, cfg.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut held: Option<Vec<u8>> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => break,
        }
        let f = &cfg.faults;
        let malformed = rng.random_bool(f.malformed.clamp(0.0, 1.0));
        let payload = if malformed {
            stats.malformed.fetch_add(1, Ordering::Relaxed);
            b"{\"schema\":\"sitepulse.status/1\",\"site\":".to_vec()
        } else {
            sign(serde_json::to_vec(&agent.next_status(clock.now())).expect("status serializes"))
        };
        if held.is_none() && rng.random_bool(f.out_of_order.clamp(0.0, 1.0)) {
            held = Some(payload);
            continue;
        }
        // Only reports are repeated: an agent retries what it sent, and a repeated malformed
        // payload would be quarantined twice.
        let dup = !malformed && rng.random_bool(f.duplicate.clamp(0.0, 1.0));
        for p in std::iter::once(payload.clone())
            .chain(dup.then_some(payload))
            .chain(held.take())
        {
            if client
                .publish(topic.clone(), QoS::AtLeastOnce, false, p)
                .await
                .is_err()
            {
                break;
            }
            stats.published.fetch_add(1, Ordering::Relaxed);
        }
        if dup {
            stats.duplicates.fetch_add(1, Ordering::Relaxed);
        }
        if rng.random_bool(f.disconnect.clamp(0.0, 1.0)) {
            stats.disconnects.fetch_add(1, Ordering::Relaxed);
            let _ = client.disconnect().await;
        }
    }
}
