//! MQTT client options from the collector's configuration: broker URL, credentials, TLS,
//! persistent session, manual acknowledgements.

use crate::config::MqttConfig;
use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MqttConfigError {
    #[error("mqtt.url `{0}`: {1}")]
    Url(String, String),
    #[error("cannot read {what} {path}: {source}")]
    File {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Installs the TLS crypto provider once per process (ring).
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Host, port and whether TLS is on, from `mqtt://host:port` or `mqtts://host:port`.
pub fn parse_url(url: &str) -> Result<(String, u16, bool), MqttConfigError> {
    let u = url::Url::parse(url).map_err(|e| MqttConfigError::Url(url.into(), e.to_string()))?;
    let tls = match u.scheme() {
        "mqtt" | "tcp" => false,
        "mqtts" | "ssl" => true,
        s => {
            return Err(MqttConfigError::Url(
                url.into(),
                format!("unknown scheme `{s}`; use mqtt:// or mqtts://"),
            ));
        }
    };
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| MqttConfigError::Url(url.into(), "no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = u.port().unwrap_or(if tls { 8883 } else { 1883 });
    Ok((host, port, tls))
}

fn read(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, MqttConfigError> {
    std::fs::read(path).map_err(|source| MqttConfigError::File {
        what,
        path: path.into(),
        source,
    })
}

/// Options for the collector's subscriber connection: fixed client id, persistent session
/// (`clean_session = false`), manual acks.
pub fn collector_options(cfg: &MqttConfig) -> Result<MqttOptions, MqttConfigError> {
    let (host, port, tls) = parse_url(&cfg.url)?;
    let mut o = MqttOptions::new(cfg.client_id.clone(), host, port);
    o.set_keep_alive(Duration::from_secs(cfg.keep_alive_s.max(5)));
    o.set_clean_session(false);
    o.set_manual_acks(true);
    o.set_max_packet_size(cfg.max_packet_bytes, cfg.max_packet_bytes);
    if let Some(user) = &cfg.username {
        o.set_credentials(user.clone(), cfg.password.clone().unwrap_or_default());
    }
    if tls {
        install_crypto_provider();
        let transport = match &cfg.ca_file {
            Some(ca) => {
                let client_auth = match (&cfg.client_cert, &cfg.client_key) {
                    (Some(c), Some(k)) => {
                        Some((read("client certificate", c)?, read("client key", k)?))
                    }
                    _ => None,
                };
                Transport::tls_with_config(TlsConfiguration::Simple {
                    ca: read("CA file", ca)?,
                    alpn: None,
                    client_auth,
                })
            }
            None => Transport::tls_with_config(TlsConfiguration::default()),
        };
        o.set_transport(transport);
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_and_tls() {
        assert_eq!(
            parse_url("mqtt://127.0.0.1:1884").unwrap(),
            ("127.0.0.1".into(), 1884, false)
        );
        assert_eq!(
            parse_url("mqtts://broker.example").unwrap(),
            ("broker.example".into(), 8883, true)
        );
        assert_eq!(parse_url("mqtt://localhost").unwrap().1, 1883);
        assert!(
            parse_url("http://x")
                .unwrap_err()
                .to_string()
                .contains("mqtt://")
        );
    }
}
