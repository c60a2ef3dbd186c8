//! Configuration: what the user writes (TOML, with defaults and comments in
//! `src/sitepulse.toml`), checked into a [`Config`] the rest of the collector trusts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The commented default configuration, printed by `sitepulse generate-config`.
pub const DEFAULT_TOML: &str = include_str!("sitepulse.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("config: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub mqtt: MqttConfig,
    pub store: StoreConfig,
    pub ingest: IngestConfig,
    pub alarms: AlarmConfig,
    pub http: HttpConfig,
    pub broker: BrokerConfig,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MqttConfig {
    pub url: String,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub share_group: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub keep_alive_s: u64,
    pub max_packet_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub path: PathBuf,
    pub batch_max: usize,
    pub batch_linger_ms: u64,
    pub queue_capacity: usize,
    pub quarantine_max: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    pub max_payload_bytes: usize,
    pub reject_future_s: i64,
    pub reject_past_days: i64,
    pub flag_future_s: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmConfig {
    pub offline_intervals: u32,
    pub battery_low_v: f64,
    pub over_temperature_c: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    pub embedded: bool,
    pub listen: SocketAddr,
}

/// A milestone of the plan: at least `on_air` sites switched on by `deadline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub name: String,
    pub deadline: NaiveDate,
    pub on_air: u64,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            url: "mqtt://127.0.0.1:1883".into(),
            client_id: "sitepulse-collector".into(),
            username: None,
            password: None,
            share_group: None,
            ca_file: None,
            client_cert: None,
            client_key: None,
            keep_alive_s: 30,
            max_packet_bytes: 1 << 20,
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: "sitepulse.db".into(),
            batch_max: 5000,
            batch_linger_ms: 0,
            queue_capacity: 20_000,
            quarantine_max: 10_000,
        }
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_payload_bytes: 16 * 1024,
            reject_future_s: 86_400,
            reject_past_days: 400,
            flag_future_s: 300,
        }
    }
}

impl Default for AlarmConfig {
    fn default() -> Self {
        AlarmConfig {
            offline_intervals: 3,
            battery_low_v: 46.0,
            over_temperature_c: 55.0,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            embedded: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mqtt: MqttConfig::default(),
            store: StoreConfig::default(),
            ingest: IngestConfig::default(),
            alarms: AlarmConfig::default(),
            http: HttpConfig::default(),
            broker: BrokerConfig::default(),
            targets: default_targets(),
        }
    }
}

/// The plan's two milestones: 1,500 on air by the end of 2020, 10,000 by the end of 2023.
pub fn default_targets() -> Vec<Target> {
    vec![
        Target {
            name: "2020".into(),
            deadline: NaiveDate::from_ymd_opt(2020, 12, 31).expect("valid date"),
            on_air: 1500,
        },
        Target {
            name: "2023".into(),
            deadline: NaiveDate::from_ymd_opt(2023, 12, 31).expect("valid date"),
            on_air: 10_000,
        },
    ]
}

impl Config {
    /// Reads a TOML file; missing keys take their defaults.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let cfg: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })?;
        Ok(cfg)
    }

    /// With the embedded broker on and `mqtt.url` left at its default, the collector connects to
    /// the embedded broker, wherever it listens.
    pub fn connect_to_embedded_broker(&mut self) {
        if self.broker.embedded && self.mqtt.url == MqttConfig::default().url {
            self.mqtt.url = format!("mqtt://{}", self.broker.listen);
        }
    }

    /// Checks values that types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        let u = url::Url::parse(&self.mqtt.url)
            .map_err(|e| ConfigError::Invalid(format!("mqtt.url `{}`: {e}", self.mqtt.url)))?;
        if !matches!(u.scheme(), "mqtt" | "mqtts" | "tcp" | "ssl") {
            return bad("mqtt.url must start with mqtt:// or mqtts://");
        }
        if u.host_str().is_none_or(str::is_empty) {
            return bad("mqtt.url needs a host, e.g. mqtt://127.0.0.1:1883");
        }
        if self.mqtt.client_id.is_empty() {
            return bad("mqtt.client_id must not be empty: a persistent session needs a fixed id");
        }
        if let Some(g) = &self.mqtt.share_group
            && (g.is_empty() || g.contains(['/', '+', '#']))
        {
            return bad("mqtt.share_group must be a non-empty name without / + #");
        }
        if self.mqtt.client_cert.is_some() != self.mqtt.client_key.is_some() {
            return bad("mqtt.client_cert and mqtt.client_key go together");
        }
        if self.store.batch_max == 0 || self.store.queue_capacity == 0 {
            return bad("store.batch_max and store.queue_capacity must be at least 1");
        }
        if self.ingest.max_payload_bytes > self.mqtt.max_packet_bytes {
            return bad("ingest.max_payload_bytes must not exceed mqtt.max_packet_bytes");
        }
        if self.alarms.offline_intervals == 0 {
            return bad("alarms.offline_intervals must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_file_is_the_default_config() {
        let parsed: Config = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Config::default());
        parsed.validate().unwrap();
    }

    #[test]
    fn embedded_broker_is_the_default_peer() {
        let mut c = Config::default();
        c.broker.embedded = true;
        c.broker.listen = "127.0.0.1:2883".parse().unwrap();
        c.connect_to_embedded_broker();
        assert_eq!(c.mqtt.url, "mqtt://127.0.0.1:2883");
        // An explicit URL wins.
        c.mqtt.url = "mqtt://10.0.0.1:1883".into();
        c.connect_to_embedded_broker();
        assert_eq!(c.mqtt.url, "mqtt://10.0.0.1:1883");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Config>("[mqtt]\nurl = \"mqtt://x\"\nclientid = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("clientid"), "{err}");
    }

    #[test]
    fn validation_names_the_key_to_fix() {
        let mut c = Config::default();
        c.mqtt.url = "http://x".into();
        assert!(c.validate().unwrap_err().to_string().contains("mqtt.url"));
        let mut c = Config::default();
        c.mqtt.client_id.clear();
        assert!(c.validate().unwrap_err().to_string().contains("client_id"));
        let mut c = Config::default();
        c.mqtt.share_group = Some("a/b".into());
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("share_group")
        );
    }
}
