//! One simulated site agent: plausible telemetry for its site's stage at a given time.

use super::scenario::SitePlan;
use crate::wire::{
    Backhaul, Cabinet, Cell, CellState, Gps, Power, PowerSource, STATUS_SCHEMA, Stage, Status,
    Supply,
};
use chrono::{DateTime, Duration, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub struct Agent {
    pub plan: SitePlan,
    boot: String,
    seq: u64,
    rng: StdRng,
    energy_kwh: f64,
    /// Report interval in site time, written into each report.
    pub interval_s: u32,
    /// Offset of this agent's clock (clock-skew fault).
    pub skew: Duration,
}

impl Agent {
    pub fn new(plan: SitePlan, seed: u64, interval_s: u32) -> Agent {
        let mut rng = StdRng::seed_from_u64(seed);
        let boot = format!("{:08x}", rng.random::<u32>());
        Agent {
            plan,
            boot,
            seq: 0,
            rng,
            energy_kwh: 0.0,
            interval_s,
            skew: Duration::zero(),
        }
    }

    pub fn site(&self) -> &str {
        &self.plan.info.site
    }

    /// A restart: new boot id, sequence from 0.
    pub fn reboot(&mut self) {
        self.boot = format!("{:08x}", self.rng.random::<u32>());
        self.seq = 0;
    }

    /// The next report, taken at `now` (site time before skew).
    pub fn next_status(&mut self, now: DateTime<Utc>) -> Status {
        let rng = &mut self.rng;
        let stage = self.plan.stage_at(now);
        let powered = stage >= Stage::Powered;
        let mains_lost = powered && rng.random_bool(0.004);
        let source = match (powered, mains_lost) {
            (false, _) => PowerSource::None,
            (true, false) => PowerSource::Mains,
            (true, true) if rng.random_bool(0.3) => PowerSource::Generator,
            (true, true) => PowerSource::Battery,
        };
        let supply = match self.plan.direct_supply_from {
            Some(t) if now < t => Supply::Transferred,
            _ => Supply::Direct,
        };
        let battery_v = match source {
            PowerSource::None => 0.0,
            PowerSource::Battery => rng.random_range(44.0..50.0),
            _ => rng.random_range(52.5..54.5),
        };
        let hour = now.hour() as f64;
        let load = if stage.is_on_air() {
            0.3 + 0.7 * ((hour - 4.0) / 24.0 * std::f64::consts::TAU).sin().abs()
        } else {
            0.0
        };
        self.energy_kwh += if powered {
            f64::from(self.interval_s) / 3600.0 * (1.2 + 2.0 * load)
        } else {
            0.0
        };
        let summer = matches!(now.format("%m").to_string().as_str(), "06" | "07" | "08");
        let temp_c = rng.random_range(18.0..32.0)
            + if summer { 12.0 } else { 0.0 }
            + if rng.random_bool(0.002) { 30.0 } else { 0.0 };
        let up = stage >= Stage::Installed && !rng.random_bool(0.003);
        let cells = if stage >= Stage::Installed {
            self.plan
                .info
                .bands
                .iter()
                .flat_map(|b| std::iter::repeat_n(*b, 3))
                .map(|band| {
                    let state = if !stage.is_on_air() {
                        CellState::Inactive
                    } else if rng.random_bool(0.002) {
                        CellState::Faulty
                    } else {
                        CellState::Active
                    };
                    let active = state == CellState::Active;
                    Cell {
                        band,
                        state,
                        tx_power_dbm: if active {
                            46.0 + rng.random_range(-1.0..1.0)
                        } else {
                            0.0
                        },
                        users: if active {
                            (load * rng.random_range(0.0..120.0)) as u32
                        } else {
                            0
                        },
                        throughput_mbps: if active {
                            load * rng.random_range(50.0..900.0)
                        } else {
                            0.0
                        },
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let pos = self.plan.info.position;
        let status = Status {
            schema: STATUS_SCHEMA.into(),
            site: self.plan.info.site.clone(),
            boot: self.boot.clone(),
            seq: self.seq,
            ts: now + self.skew,
            interval_s: self.interval_s,
            stage,
            power: Power {
                source,
                supply,
                battery_v: round1(battery_v),
                energy_kwh: round1(self.energy_kwh),
            },
            cabinet: Cabinet {
                temp_c: round1(temp_c),
                door_open: rng.random_bool(0.002),
            },
            backhaul: Backhaul {
                up,
                latency_ms: up.then(|| round1(rng.random_range(2.0..12.0))),
            },
            cells,
            alarms: Vec::new(),
            gps: Some(Gps {
                lat: (pos.lat * 1e5).round() / 1e5,
                lon: (pos.lon * 1e5).round() / 1e5,
            }),
            fw: "sim-1.0".into(),
        };
        self.seq += 1;
        status
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::liaocheng;

    #[test]
    fn reports_pass_the_collectors_rules_at_every_stage() {
        for plan in liaocheng(50, 7) {
            let reached = plan.reached;
            let mut a = Agent::new(plan, 1, 60);
            let mut t = reached[0] - Duration::days(10);
            while t < reached[5] + Duration::days(10) {
                let s = a.next_status(t);
                crate::wire::validate::status(&s).unwrap();
                t += Duration::days(7);
            }
        }
    }

    #[test]
    fn sequence_counts_up_and_restarts_on_reboot() {
        let mut a = Agent::new(liaocheng(1, 1).remove(0), 1, 60);
        let t = Utc::now();
        assert_eq!(a.next_status(t).seq, 0);
        assert_eq!(a.next_status(t).seq, 1);
        let boot = a.next_status(t).boot;
        a.reboot();
        let s = a.next_status(t);
        assert_eq!(s.seq, 0);
        assert_ne!(s.boot, boot);
    }
}
