//! The `status` payload: one telemetry report from a site agent.

use super::domain::{Band, CellState, PowerSource, Stage, Supply};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Schema tag of a v1 status report. A v2 agent sends `sitepulse.status/2` on a v2 topic; a v1
/// collector never guesses at fields it does not know.
pub const STATUS_SCHEMA: &str = "sitepulse.status/1";

/// One telemetry report. Unknown fields are ignored, so v1.x agents may add optional fields
/// without breaking older collectors; required fields never change within v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// Always `sitepulse.status/1`.
    pub schema: String,
    /// Site id; must equal the site id in the topic.
    pub site: String,
    /// Identifies one run of the agent: a new value after every restart (e.g. random hex).
    pub boot: String,
    /// Sequence number within this boot, starting at 0 and incremented by one per report.
    /// `(site, boot, seq)` identifies a report; a repeat is stored once.
    pub seq: u64,
    /// When the agent took the reading (RFC 3339, UTC or with offset).
    pub ts: DateTime<Utc>,
    /// Seconds between reports (at most 31 days); the site is offline after three missed
    /// intervals.
    #[schemars(range(min = 1, max = 2678400))]
    pub interval_s: u32,
    /// Construction stage as the agent sees it.
    pub stage: Stage,
    pub power: Power,
    pub cabinet: Cabinet,
    pub backhaul: Backhaul,
    /// One entry per configured cell (at most 64).
    #[serde(default)]
    pub cells: Vec<Cell>,
    /// Vendor alarm codes active on the equipment (at most 64, each at most 64 characters).
    #[serde(default)]
    pub alarms: Vec<String>,
    /// GPS fix of the agent, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<Gps>,
    /// Agent firmware version.
    pub fw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Power {
    pub source: PowerSource,
    pub supply: Supply,
    /// Battery string voltage in volts (nominal 48 V systems: 42–56 V).
    #[schemars(range(min = 0.0, max = 100.0))]
    pub battery_v: f64,
    /// Energy meter reading in kWh.
    #[schemars(range(min = 0.0))]
    pub energy_kwh: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cabinet {
    /// Cabinet temperature in °C.
    #[schemars(range(min = -60.0, max = 120.0))]
    pub temp_c: f64,
    pub door_open: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Backhaul {
    pub up: bool,
    /// Round-trip latency to the core in ms; absent when down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 600000.0))]
    pub latency_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cell {
    pub band: Band,
    pub state: CellState,
    /// Transmit power in dBm.
    #[schemars(range(min = -50.0, max = 80.0))]
    pub tx_power_dbm: f64,
    /// Connected users.
    pub users: u32,
    /// Downlink throughput in Mbit/s.
    #[schemars(range(min = 0.0, max = 100000.0))]
    pub throughput_mbps: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Gps {
    /// WGS-84 latitude.
    #[schemars(range(min = -90.0, max = 90.0))]
    pub lat: f64,
    /// WGS-84 longitude.
    #[schemars(range(min = -180.0, max = 180.0))]
    pub lon: f64,
}

/// Reports for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A healthy report: mains on direct supply, battery full, cabinet cool and closed, backhaul
    /// up, one active n78 cell; no alarm derives from it.
    pub fn status(site: &str, stage: Stage, ts: DateTime<Utc>) -> Status {
        Status {
            schema: STATUS_SCHEMA.into(),
            site: site.into(),
            boot: "b".into(),
            seq: 0,
            ts,
            interval_s: 60,
            stage,
            power: Power {
                source: PowerSource::Mains,
                supply: Supply::Direct,
                battery_v: 53.0,
                energy_kwh: 1.0,
            },
            cabinet: Cabinet {
                temp_c: 30.0,
                door_open: false,
            },
            backhaul: Backhaul {
                up: true,
                latency_ms: Some(3.0),
            },
            cells: vec![Cell {
                band: Band::N78,
                state: CellState::Active,
                tx_power_dbm: 46.0,
                users: 3,
                throughput_mbps: 100.0,
            }],
            alarms: vec![],
            gps: None,
            fw: "test".into(),
        }
    }
}
