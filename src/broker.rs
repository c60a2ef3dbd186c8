//! The embedded MQTT broker (rumqttd, in-process), for the demo and small deployments.
//!
//! The collector talks to it over loopback TCP like any client: rumqttd's in-process links are
//! QoS 0 only. Known limits, measured and stated in the README: sessions live in memory only (a
//! restart of the process loses messages not yet acknowledged to publishers' satisfaction —
//! publishers retry), and rumqttd sends at most 100 unacknowledged QoS 1 messages to one
//! subscriber, which caps the collector's batch size and so its rate. Production uses Mosquitto
//! or EMQX.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("embedded broker configuration: {0}")]
    Config(String),
    #[error("embedded broker cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Starts rumqttd on `listen` (MQTT 3.1.1) in a thread of its own and returns once it accepts
/// connections. The broker runs until the process ends.
pub fn start(listen: SocketAddr) -> Result<(), BrokerError> {
    // Fail early with a clear message if the port is taken; rumqttd would only log it.
    drop(
        std::net::TcpListener::bind(listen).map_err(|source| BrokerError::Bind {
            addr: listen,
            source,
        })?,
    );
    let toml = format!(
        r#"
id = 0
[router]
id = 0
max_connections = 120000
max_outgoing_packet_count = 1000
# The commit log per filter: 64 MiB segments, 16 of them, so a collector that falls behind by
# up to about a million reports still finds them.
max_segment_size = 67108864
max_segment_count = 16

[v4.1]
name = "v4-1"
listen = "{listen}"
next_connection_delay_ms = 0
    [v4.1.connections]
    connection_timeout_ms = 60000
    max_payload_size = 1048576
    max_inflight_count = 1000
    dynamic_filters = true
"#
    );
    let config: rumqttd::Config =
        toml::from_str(&toml).map_err(|e| BrokerError::Config(e.to_string()))?;
    std::thread::Builder::new()
        .name("embedded-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded broker stopped");
            }
        })
        .map_err(|e| BrokerError::Config(e.to_string()))?;
    // Wait until it listens (at most 10 s: on a loaded machine its threads start slowly).
    // Probing by connecting would make rumqttd log an aborted connection; a failing bind says
    // the same without touching it.
    for _ in 0..1000 {
        if is_listening(listen) {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err(BrokerError::Config(format!(
        "embedded broker did not start listening on {listen}"
    )))
}

/// True when something listens on `addr` (binding it fails).
pub fn is_listening(addr: SocketAddr) -> bool {
    std::net::TcpListener::bind(addr).is_err()
}
