//! Configuration: what the user writes (TOML, with defaults and comments in
//! `src/sitepulse.toml`), checked into a [`Config`] the rest of the collector trusts.

use crate::domain::area::AreaClass;
pub use crate::domain::schedule::{Target, Task};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The commented default configuration, printed by `sitepulse generate-config`.
pub const DEFAULT_TOML: &str = include_str!("sitepulse.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The cause is in the message, not chained as a source: it would be printed twice.
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("config file {path}: {error}")]
    Parse {
        path: PathBuf,
        error: toml::de::Error,
    },
    #[error("config: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub mqtt: MqttConfig,
    pub store: StoreConfig,
    pub influxdb: InfluxConfig,
    pub ingest: IngestConfig,
    pub alarms: AlarmConfig,
    pub http: HttpConfig,
    pub broker: BrokerConfig,
    pub rollout: RolloutConfig,
    pub coverage: CoverageConfig,
    pub map: MapConfig,
    pub checklist: ChecklistConfig,
    pub targets: Vec<Target>,
    /// 5G+ application pilots: each field's target (the plan's table by default).
    pub pilot_targets: Vec<crate::domain::pilot::PilotTarget>,
    /// Protected satellite earth stations.
    pub earth_stations: Vec<EarthStation>,
    /// Yearly tasks (年度任务) per county, optionally per operator.
    pub tasks: Vec<Task>,
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
    /// Where the time series go: the embedded store only, or also an InfluxDB v2 write API.
    pub series: Series,
    pub batch_max: usize,
    pub batch_linger_ms: u64,
    pub queue_capacity: usize,
    pub quarantine_max: u64,
    /// Reports received longer ago than this many days are deleted; 0 keeps every report.
    pub keep_days: u32,
    /// The write-ahead log is started over once it holds this many MiB of frames, as SQLite
    /// counts them (pages really written, not payload bytes).
    pub wal_max_mb: u64,
    /// On SIGTERM, seconds given to commit and acknowledge what is in hand (and to finish HTTP
    /// requests) before the collector exits anyway; what is not committed by then is not
    /// acknowledged, so the broker delivers it again.
    pub shutdown_timeout_s: u64,
}

/// Where the time series go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// Only the embedded store.
    Embedded,
    /// The embedded store keeps the latest state, deduplication, the site registry, rollout and
    /// checklists; every report also goes, as line protocol, to an InfluxDB v2 write API.
    Influxdb,
}

/// The InfluxDB v2 write API (`store.series = "influxdb"`), or anything that speaks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InfluxConfig {
    /// Base URL; `/api/v2/write` is appended.
    pub url: String,
    pub org: String,
    pub bucket: String,
    /// A file holding the API token (e.g. a mounted secret). `SITEPULSE_INFLUXDB_TOKEN` wins
    /// over it.
    pub token_file: Option<PathBuf>,
    /// CA bundle (PEM) for an https URL with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Lines per write request.
    pub batch_lines: u64,
    /// A smaller batch is sent once it has waited this long.
    pub flush_ms: u64,
    /// The on-disk buffer holds at most this much while the server is unreachable; beyond it
    /// ingest is held (backpressure) and an alarm raised.
    pub buffer_max_mb: u64,
    pub timeout_s: u64,
    /// Longest wait between retries.
    pub retry_max_s: u64,
}

impl Default for InfluxConfig {
    fn default() -> Self {
        InfluxConfig {
            url: "http://127.0.0.1:8086".into(),
            org: "sitepulse".into(),
            bucket: "sitepulse".into(),
            token_file: None,
            ca_file: None,
            batch_lines: 5000,
            flush_ms: 1000,
            buffer_max_mb: 1024,
            timeout_s: 10,
            retry_max_s: 30,
        }
    }
}

impl InfluxConfig {
    /// The API token: `SITEPULSE_INFLUXDB_TOKEN`, else the first line of `token_file`.
    pub fn token(&self) -> Result<String, ConfigError> {
        if let Ok(t) = std::env::var("SITEPULSE_INFLUXDB_TOKEN")
            && !t.trim().is_empty()
        {
            return Ok(t.trim().to_string());
        }
        let Some(path) = &self.token_file else {
            return Err(ConfigError::Invalid(
                "store.series = \"influxdb\" needs a token: set SITEPULSE_INFLUXDB_TOKEN or influxdb.token_file".into(),
            ));
        };
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.clone(),
            error,
        })?;
        let t = text.lines().next().unwrap_or("").trim();
        if t.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "influxdb.token_file {} is empty",
                path.display()
            )));
        }
        Ok(t.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    pub max_payload_bytes: usize,
    pub reject_future_s: i64,
    pub reject_past_days: i64,
    pub flag_future_s: i64,
    /// Every payload must carry an HMAC-SHA256 signature made with its site's key.
    pub require_signature: bool,
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
    /// Let requests without a token read (sites, progress, coverage, checklists). Writing
    /// always needs a token.
    pub public_read: bool,
    /// Requests per second allowed to each token (bursts of twice that).
    pub rate_per_s: f64,
    /// Serve the public class of data at `/api/v1/open/…` without a token.
    pub open_data: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the audit trail); from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A client must send a request's headers within this many seconds, or the connection is
    /// closed.
    pub header_timeout_s: u64,
    /// A request's body must have arrived within this many seconds of its start, or it gets 408.
    pub request_timeout_s: u64,
    /// Open HTTP connections at most; more wait in the listen queue. File descriptors beyond
    /// these stay free for the broker connection and the store.
    pub max_connections: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    pub embedded: bool,
    pub listen: SocketAddr,
}

/// How coverage is computed (DESIGN §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageConfig {
    /// Grid cell size in metres.
    pub cell_m: f64,
    /// Share of an area that must be covered for continuous coverage.
    pub continuous_share: f64,
    /// And no uncovered cluster may be larger than this, m².
    pub max_hole_m2: f64,
    /// Macro-site radius per band: [urban, town, rural] metres (urban: city and county urban
    /// areas and industrial parks; rural: outside every area too).
    pub macro_radius_m: BandRadius,
    pub micro_radius_m: f64,
    pub pole_radius_m: f64,
    /// Gaps smaller than this are not listed or ranked (they still count in the share), m².
    pub min_gap_m2: f64,
    /// Only sites that radiate cover: on air, with a cell active in their latest report and
    /// their agent not offline. Off: every site on air by its stage covers.
    pub radiating_only: bool,
}

/// `[urban, town, rural]` radius in metres, per band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BandRadius {
    pub n78: [f64; 3],
    pub n41: [f64; 3],
    pub n28: [f64; 3],
    pub n1: [f64; 3],
}

impl Default for BandRadius {
    fn default() -> Self {
        BandRadius {
            n78: [300.0, 400.0, 600.0],
            n41: [350.0, 450.0, 700.0],
            n28: [700.0, 1200.0, 2000.0],
            n1: [400.0, 600.0, 1000.0],
        }
    }
}

impl Default for CoverageConfig {
    fn default() -> Self {
        CoverageConfig {
            cell_m: 50.0,
            continuous_share: 0.98,
            max_hole_m2: 40_000.0,
            macro_radius_m: BandRadius::default(),
            micro_radius_m: 100.0,
            pole_radius_m: 100.0,
            min_gap_m2: 5_000.0,
            radiating_only: true,
        }
    }
}

/// The monthly checklist's issuer and print layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChecklistConfig {
    /// 制表单位: printed under the title.
    pub issuer: String,
    /// 制表人, 审核人 and 联系电话 of the signature block; empty ones print as blanks to fill in.
    pub prepared_by: String,
    pub reviewed_by: String,
    pub phone: String,
    /// Printed lists (HTML, Markdown) show this many sites per county and "and N more"; the
    /// XLSX folds the rest of each county's rows (a ＋ opens them) and the CSV lists them all.
    pub list_top_n: usize,
}

impl Default for ChecklistConfig {
    fn default() -> Self {
        ChecklistConfig {
            issuer: "聊城市工业和信息化局".into(),
            prepared_by: String::new(),
            reviewed_by: String::new(),
            phone: String::new(),
            list_top_n: 3,
        }
    }
}

/// The coordinate system of basemap tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TileCrs {
    /// WGS-84 or CGCS2000 (the two differ by centimetres): Tianditu (天地图), OpenStreetMap.
    #[serde(rename = "wgs84", alias = "cgcs2000")]
    Wgs84,
    /// GCJ-02: AutoNavi (高德), Tencent.
    #[serde(rename = "gcj02")]
    Gcj02,
}

/// The web map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MapConfig {
    /// Basemap tiles (Web Mercator), a Leaflet URL template such as
    /// `https://tiles.example.gov.cn/{z}/{x}/{y}.png`; none by default (the county boundaries
    /// are the base layer).
    pub tile_url: Option<String>,
    /// A second tile layer drawn over the first, e.g. Tianditu's annotation (`cva_w`) layer.
    pub tile_label_url: Option<String>,
    /// What `{s}` in the URLs takes, one character each, e.g. "01234567".
    pub tile_subdomains: String,
    /// The coordinate system the tiles are drawn in; sites, areas and boundaries are drawn in
    /// it too, so that everything lines up.
    pub tile_crs: TileCrs,
    pub tile_attribution: String,
    /// Initial view before the areas are known: [lat, lon] and zoom.
    pub center: [f64; 2],
    pub zoom: u8,
}

impl Default for MapConfig {
    fn default() -> Self {
        MapConfig {
            tile_url: None,
            tile_label_url: None,
            tile_subdomains: "abc".into(),
            tile_crs: TileCrs::Wgs84,
            tile_attribution: String::new(),
            center: [36.456, 115.985],
            zoom: 10,
        }
    }
}

/// A protected satellite earth station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarthStation {
    pub name: String,
    /// WGS-84.
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

/// Rules of rollout tracking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RolloutConfig {
    /// A milestone reported further than this from the site (or with no position) is flagged.
    pub milestone_max_distance_m: f64,
    /// A site not on air whose planned date is this close, and which is not yet `installed` or
    /// has an open obstacle, is at risk.
    pub at_risk_days: i64,
    /// A site silent this long at the checklist's time is listed for operations.
    pub silent_hours: i64,
    /// Default time limit, in days from opening, per obstacle kind.
    pub obstacle_days: ObstacleDays,
}

/// Days to clear an obstacle, per kind (限时).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObstacleDays {
    pub access: u32,
    pub power: u32,
    pub fees: u32,
    pub dispute: u32,
    pub permit: u32,
    pub interference: u32,
    pub relocation: u32,
    pub damage: u32,
}

impl ObstacleDays {
    pub fn of(&self, kind: crate::domain::obstacle::ObstacleKind) -> u32 {
        use crate::domain::obstacle::ObstacleKind as K;
        match kind {
            K::Access => self.access,
            K::Power => self.power,
            K::Fees => self.fees,
            K::Dispute => self.dispute,
            K::Permit => self.permit,
            K::Interference => self.interference,
            K::Relocation => self.relocation,
            K::Damage => self.damage,
        }
    }
}

impl Default for ObstacleDays {
    fn default() -> Self {
        ObstacleDays {
            access: 30,
            power: 30,
            fees: 15,
            dispute: 30,
            permit: 60,
            interference: 60,
            relocation: 90,
            damage: 15,
        }
    }
}

impl Default for RolloutConfig {
    fn default() -> Self {
        RolloutConfig {
            milestone_max_distance_m: 500.0,
            at_risk_days: 30,
            silent_hours: 24,
            obstacle_days: ObstacleDays::default(),
        }
    }
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
            series: Series::Embedded,
            batch_max: 5000,
            batch_linger_ms: 2,
            queue_capacity: 20_000,
            quarantine_max: 10_000,
            keep_days: 0,
            wal_max_mb: 64,
            shutdown_timeout_s: 10,
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
            require_signature: false,
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
            public_read: false,
            rate_per_s: 20.0,
            open_data: false,
            trusted_proxies: Vec::new(),
            header_timeout_s: 10,
            request_timeout_s: 60,
            max_connections: 512,
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
            influxdb: InfluxConfig::default(),
            ingest: IngestConfig::default(),
            alarms: AlarmConfig::default(),
            http: HttpConfig::default(),
            broker: BrokerConfig::default(),
            rollout: RolloutConfig::default(),
            coverage: CoverageConfig::default(),
            map: MapConfig::default(),
            checklist: ChecklistConfig::default(),
            targets: default_targets(),
            pilot_targets: crate::domain::pilot::default_targets(),
            earth_stations: Vec::new(),
            tasks: Vec::new(),
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
            coverage: vec![AreaClass::CityUrban],
        },
        Target {
            name: "2023".into(),
            deadline: NaiveDate::from_ymd_opt(2023, 12, 31).expect("valid date"),
            on_air: 10_000,
            coverage: vec![AreaClass::CityUrban, AreaClass::CountyUrban],
        },
    ]
}

impl Config {
    /// Reads a TOML file; missing keys take their defaults.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.into(),
            error,
        })?;
        let cfg: Config = toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.into(),
            error,
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
        if self.store.series == Series::Influxdb {
            let i = &self.influxdb;
            let u = url::Url::parse(&i.url)
                .map_err(|e| ConfigError::Invalid(format!("influxdb.url `{}`: {e}", i.url)))?;
            if !matches!(u.scheme(), "http" | "https") {
                return bad("influxdb.url must start with http:// or https://");
            }
            if i.org.is_empty() || i.bucket.is_empty() {
                return bad("influxdb.org and influxdb.bucket must not be empty");
            }
            if i.batch_lines == 0 || i.flush_ms == 0 || i.buffer_max_mb == 0 || i.timeout_s == 0 {
                return bad(
                    "influxdb.batch_lines, flush_ms, buffer_max_mb and timeout_s must be at least 1",
                );
            }
            i.token()?;
        }
        if self.ingest.max_payload_bytes > self.mqtt.max_packet_bytes {
            return bad("ingest.max_payload_bytes must not exceed mqtt.max_packet_bytes");
        }
        if self.http.header_timeout_s == 0 || self.http.request_timeout_s == 0 {
            return bad(
                "http.header_timeout_s and http.request_timeout_s must be at least 1 second",
            );
        }
        if self.http.max_connections == 0 {
            return bad("http.max_connections must be at least 1");
        }
        if self.store.wal_max_mb == 0 {
            return bad("store.wal_max_mb must be at least 1");
        }
        if self.http.rate_per_s.is_nan() || self.http.rate_per_s <= 0.0 {
            return bad("http.rate_per_s must be a positive number of requests per second");
        }
        if self.alarms.offline_intervals == 0 {
            return bad("alarms.offline_intervals must be at least 1");
        }
        let d = self.rollout.milestone_max_distance_m;
        if d.is_nan() || d <= 0.0 {
            return bad("rollout.milestone_max_distance_m must be a positive number of metres");
        }
        if self.rollout.at_risk_days < 0 || self.rollout.silent_hours < 1 {
            return bad("rollout.at_risk_days must be ≥ 0 and rollout.silent_hours ≥ 1");
        }
        let c = &self.coverage;
        if !(c.cell_m >= 1.0 && c.cell_m <= 1000.0) {
            return bad("coverage.cell_m must be between 1 and 1000 metres");
        }
        if !(c.continuous_share > 0.0 && c.continuous_share <= 1.0)
            || c.max_hole_m2.is_nan()
            || c.max_hole_m2 < 0.0
        {
            return bad("coverage.continuous_share must be in (0, 1] and coverage.max_hole_m2 ≥ 0");
        }
        let radii = [
            &c.macro_radius_m.n78,
            &c.macro_radius_m.n41,
            &c.macro_radius_m.n28,
            &c.macro_radius_m.n1,
        ];
        if radii
            .iter()
            .flat_map(|r| r.iter())
            .chain([&c.micro_radius_m, &c.pole_radius_m])
            .any(|r| r.is_nan() || *r < 0.0 || *r > 50_000.0)
        {
            return bad("coverage radii must be between 0 and 50,000 metres");
        }
        for e in &self.earth_stations {
            if e.lat.abs() > 90.0 || e.lon.abs() > 180.0 || e.radius_m.is_nan() || e.radius_m <= 0.0
            {
                return Err(ConfigError::Invalid(format!(
                    "earth_stations: `{}` needs lat within ±90, lon within ±180 and a positive radius_m",
                    e.name
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.tasks {
            if t.county.len() != 6 || !t.county.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError::Invalid(format!(
                    "tasks: county `{}` must be a 6-digit admin code such as 371502",
                    t.county
                )));
            }
            if !seen.insert((t.county.as_str(), t.operator, t.year)) {
                return Err(ConfigError::Invalid(format!(
                    "tasks: county {} year {}{} is given twice",
                    t.county,
                    t.year,
                    t.operator
                        .map(|o| format!(" operator {}", o.as_str()))
                        .unwrap_or_default()
                )));
            }
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
