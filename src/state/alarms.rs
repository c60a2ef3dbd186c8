//! Alarms derived from a site's latest report and the time it was received (DESIGN §3). Pure.

use crate::config::AlarmConfig;
use crate::wire::{CellState, PowerSource, Stage, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A derived alarm. Serialized names are the API's and the metrics' labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Alarm {
    /// No report for `offline_intervals` report intervals.
    Offline,
    /// The site is powered (stage ≥ powered) but not running on mains.
    MainsLost,
    BatteryLow,
    OverTemperature,
    DoorOpen,
    BackhaulDown,
    /// At least one cell reports `faulty`.
    CellFaulty,
}

impl Alarm {
    pub const ALL: [Alarm; 7] = [
        Alarm::Offline,
        Alarm::MainsLost,
        Alarm::BatteryLow,
        Alarm::OverTemperature,
        Alarm::DoorOpen,
        Alarm::BackhaulDown,
        Alarm::CellFaulty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Alarm::Offline => "offline",
            Alarm::MainsLost => "mains_lost",
            Alarm::BatteryLow => "battery_low",
            Alarm::OverTemperature => "over_temperature",
            Alarm::DoorOpen => "door_open",
            Alarm::BackhaulDown => "backhaul_down",
            Alarm::CellFaulty => "cell_faulty",
        }
    }

    pub fn parse(s: &str) -> Option<Alarm> {
        Alarm::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Alarm::Offline => "离线",
            Alarm::MainsLost => "市电中断",
            Alarm::BatteryLow => "蓄电池电压低",
            Alarm::OverTemperature => "机柜温度过高",
            Alarm::DoorOpen => "柜门打开",
            Alarm::BackhaulDown => "传输中断",
            Alarm::CellFaulty => "小区故障",
        }
    }
}

/// The alarms active for a site whose latest report is `s`, received at `received`, seen at `now`.
pub fn derive(
    s: &Status,
    received: DateTime<Utc>,
    now: DateTime<Utc>,
    cfg: &AlarmConfig,
) -> Vec<Alarm> {
    let mut out = Vec::new();
    if crate::domain::site::offline(s.interval_s, received, now, cfg.offline_intervals) {
        out.push(Alarm::Offline);
    }
    if s.stage >= Stage::Powered && s.power.source != PowerSource::Mains {
        out.push(Alarm::MainsLost);
    }
    // A site without its power system yet (before 市电引入) has no battery to run low.
    if s.stage >= Stage::Powered && s.power.battery_v < cfg.battery_low_v {
        out.push(Alarm::BatteryLow);
    }
    if s.cabinet.temp_c > cfg.over_temperature_c {
        out.push(Alarm::OverTemperature);
    }
    if s.cabinet.door_open {
        out.push(Alarm::DoorOpen);
    }
    if s.stage >= Stage::Installed && !s.backhaul.up {
        out.push(Alarm::BackhaulDown);
    }
    if s.cells.iter().any(|c| c.state == CellState::Faulty) {
        out.push(Alarm::CellFaulty);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::*;

    fn healthy() -> Status {
        crate::wire::status::fixtures::status("S1", Stage::OnAir, at("2026-01-01T00:00:00Z"))
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn healthy_site_has_no_alarm() {
        let r = at("2026-01-01T00:00:00Z");
        assert_eq!(derive(&healthy(), r, r, &AlarmConfig::default()), vec![]);
    }

    #[test]
    fn offline_after_three_missed_intervals_not_before() {
        let r = at("2026-01-01T00:00:00Z");
        let cfg = AlarmConfig::default();
        // 60 s interval × 3 = 180 s of silence is still tolerated ...
        assert!(!derive(&healthy(), r, at("2026-01-01T00:03:00Z"), &cfg).contains(&Alarm::Offline));
        // ... one second more is not.
        assert!(derive(&healthy(), r, at("2026-01-01T00:03:01Z"), &cfg).contains(&Alarm::Offline));
    }

    #[test]
    fn each_condition_raises_its_alarm() {
        let r = at("2026-01-01T00:00:00Z");
        let cfg = AlarmConfig::default();
        type Breaker = fn(&mut Status);
        let cases: Vec<(Breaker, Alarm)> = vec![
            (|s| s.power.source = PowerSource::Battery, Alarm::MainsLost),
            (|s| s.power.battery_v = 45.9, Alarm::BatteryLow),
            (|s| s.cabinet.temp_c = 55.1, Alarm::OverTemperature),
            (|s| s.cabinet.door_open = true, Alarm::DoorOpen),
            (|s| s.backhaul.up = false, Alarm::BackhaulDown),
            (|s| s.cells[0].state = CellState::Faulty, Alarm::CellFaulty),
        ];
        for (break_it, alarm) in cases {
            let mut s = healthy();
            break_it(&mut s);
            assert_eq!(derive(&s, r, r, &cfg), vec![alarm]);
        }
    }

    #[test]
    fn sites_under_construction_have_no_mains_battery_or_backhaul_alarm() {
        let r = at("2026-01-01T00:00:00Z");
        let mut s = healthy();
        s.stage = Stage::Built;
        s.power.source = PowerSource::None;
        s.power.battery_v = 0.0;
        s.backhaul.up = false;
        assert_eq!(derive(&s, r, r, &AlarmConfig::default()), vec![]);
    }
}
