//! The MQTT source: drives the connection, decodes each message, hands it to the writer, and
//! sends acknowledgements from a task of their own once the writer says the batch is durable.
//!
//! Acks are sent in the order the messages arrived (MQTT 3.1.1 wants that), and only for the
//! connection they arrived on: after a reconnect the broker redelivers everything unacknowledged,
//! and an ack meant for the old connection could otherwise acknowledge a different message that
//! reuses its packet id.

use super::decode::{Message, Reject, decode};
use crate::clock::SharedClock;
use crate::config::IngestConfig;
use crate::metrics::Metrics;
use crate::store::Envelope;
use crate::wire::{Kind, Topic};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

/// What is needed to acknowledge one message after its batch is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckToken {
    pub pkid: u16,
    /// The connection the message arrived on.
    pub epoch: u64,
}

/// A received message on its way to the store.
#[derive(Debug)]
pub struct Inbound {
    pub envelope: Envelope,
    /// `None` for QoS 0 messages, which need no ack.
    pub ack: Option<AckToken>,
}

/// Requests kept between the tasks and the connection; acks wait here while the connection is
/// busy reading.
const REQUEST_CAPACITY: usize = 65_536;

pub struct Source {
    pub options: MqttOptions,
    pub subscription: String,
    /// Filters of earlier versions, unsubscribed after each subscribe.
    pub legacy: Vec<String>,
    pub ingest: IngestConfig,
    pub clock: SharedClock,
    pub metrics: Metrics,
    /// Set when every payload must be signed with its site's key.
    pub keys: Option<std::sync::Arc<super::keys::AgentKeys>>,
}

impl Source {
    /// Runs until `shutdown` turns true. Messages go to `tx` (awaiting when the writer is behind:
    /// that is the backpressure); committed acks come back on `acks`.
    pub async fn run(
        self,
        tx: mpsc::Sender<Inbound>,
        acks: mpsc::UnboundedReceiver<Vec<AckToken>>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let (client, mut eventloop) = AsyncClient::new(self.options.clone(), REQUEST_CAPACITY);
        let epoch = Arc::new(AtomicU64::new(0));
        let acker = tokio::spawn(ack_task(
            client.clone(),
            acks,
            epoch.clone(),
            self.metrics.clone(),
        ));
        let mut need_subscribe = true;
        let mut backoff = Duration::from_millis(100);
        loop {
            if need_subscribe && epoch.load(Ordering::Acquire) > 0 {
                // try_: this task drives the connection, so it must never wait on the request queue.
                match client.try_subscribe(self.subscription.clone(), QoS::AtLeastOnce) {
                    Ok(()) => {
                        need_subscribe = false;
                        for old in &self.legacy {
                            // Best effort: a broker without it answers all the same.
                            let _ = client.try_unsubscribe(old.clone());
                        }
                    }
                    Err(e) => debug!(error = %e, "subscribe deferred"),
                }
            }
            let event = tokio::select! {
                ev = eventloop.poll() => ev,
                _ = shutdown.changed() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    epoch.fetch_add(1, Ordering::AcqRel);
                    self.metrics.mqtt_connected.set(1);
                    self.metrics.mqtt_subscribed.set(0);
                    backoff = Duration::from_millis(100);
                    // Subscribe again even with a stored session: cheap, and it covers a broker
                    // that lost its sessions in a restart.
                    need_subscribe = true;
                    info!(session_present = ack.session_present, subscription = %self.subscription, "connected to broker");
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    if ack
                        .return_codes
                        .iter()
                        .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_)))
                    {
                        self.metrics.mqtt_subscribed.set(1);
                    } else {
                        // Not ready: connected, but nothing will arrive.
                        error!(subscription = %self.subscription, "ALARM the broker refused the subscription; its ACL must let the collector read sitepulse/# (see deploy/mosquitto.acl)");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let inbound = self.inbound(p, epoch.load(Ordering::Acquire));
                    if tx.send(inbound).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    self.metrics.mqtt_connected.set(0);
                    self.metrics.mqtt_subscribed.set(0);
                    self.metrics.mqtt_errors.inc();
                    warn!(error = %e, retry_in = ?backoff, "mqtt connection error");
                    // poll() retries at once after an error; back off here.
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
        // Let the writer finish what it holds and the acks go out before disconnecting.
        drop(tx);
        let flush = async {
            while !acker.is_finished() {
                if eventloop.poll().await.is_err() {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), flush).await;
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
        self.metrics.mqtt_connected.set(0);
    }

    fn inbound(&self, p: Publish, epoch: u64) -> Inbound {
        let topic = p.topic;
        let received = self.clock.now();
        let decoded = match &self.keys {
            Some(k) => k
                .check(&topic, &p.payload)
                .map_err(Reject::from)
                .and_then(|()| decode(&topic, &p.payload, received, &self.ingest)),
            None => decode(&topic, &p.payload, received, &self.ingest),
        };
        // The kind from the decoded message; the topic is parsed again only for a rejected one.
        let kind = match &decoded {
            Ok(Message::Status { .. }) => Ok(Kind::Status),
            Ok(Message::Info(_)) => Ok(Kind::Info),
            Err(_) => Topic::parse(&topic).map(|t| t.kind),
        };
        match kind {
            Ok(Kind::Status) => self.metrics.received_status.inc(),
            Ok(Kind::Info) => self.metrics.received_info.inc(),
            Err(_) => self.metrics.received_unknown.inc(),
        };
        let ack = (p.qos != QoS::AtMostOnce).then_some(AckToken {
            pkid: p.pkid,
            epoch,
        });
        Inbound {
            envelope: Envelope {
                topic,
                payload: p.payload,
                received,
                decoded,
            },
            ack,
        }
    }
}

async fn ack_task(
    client: AsyncClient,
    mut acks: mpsc::UnboundedReceiver<Vec<AckToken>>,
    epoch: Arc<AtomicU64>,
    metrics: Metrics,
) {
    while let Some(tokens) = acks.recv().await {
        let n = tokens.len() as i64;
        let current = epoch.load(Ordering::Acquire);
        for t in tokens {
            if t.epoch != current {
                continue; // redelivered on the new connection; acked when that copy commits
            }
            let mut p = Publish::new("", QoS::AtLeastOnce, Vec::new());
            p.pkid = t.pkid;
            if client.ack(&p).await.is_err() {
                return;
            }
        }
        metrics.acks_pending.dec_by(n);
    }
}
