//! Field rules of protocol v1 beyond what the JSON types say: ranges, lengths, identifiers.
//!
//! The collector rejects a message that breaks one of these; the simulator's payloads must pass
//! them (a test checks it).

use super::info::{INFO_SCHEMA, Info};
use super::status::{Gps, STATUS_SCHEMA, Status};
use super::topic::is_valid_site_id;

/// The first rule a payload breaks: the field's path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: &'static str,
}

const MAX_LIST: usize = 64;
/// Longest report interval: 31 days (simulations on accelerated time report rarely in site time).
pub const MAX_INTERVAL_S: u32 = 31 * 86_400;
const MAX_SHORT_STR: usize = 64;
const MAX_NAME: usize = 128;

fn fail(field: &'static str, problem: &'static str) -> Result<(), FieldError> {
    Err(FieldError { field, problem })
}

fn range(field: &'static str, v: f64, lo: f64, hi: f64) -> Result<(), FieldError> {
    if !v.is_finite() {
        return fail(field, "must be a finite number");
    }
    if v < lo || v > hi {
        return fail(field, "out of range (see the JSON Schema for limits)");
    }
    Ok(())
}

fn short_str(field: &'static str, s: &str) -> Result<(), FieldError> {
    if s.is_empty() || s.len() > MAX_SHORT_STR {
        return fail(field, "must be 1 to 64 bytes long");
    }
    if s.chars().any(char::is_control) {
        return fail(field, "must not contain control characters");
    }
    Ok(())
}

fn gps(g: &Gps) -> Result<(), FieldError> {
    range("gps.lat", g.lat, -90.0, 90.0)?;
    range("gps.lon", g.lon, -180.0, 180.0)
}

/// Checks a status report against the v1 rules. The timestamp window is checked by the
/// collector, which owns the clock.
pub fn status(s: &Status) -> Result<(), FieldError> {
    if s.schema != STATUS_SCHEMA {
        return fail("schema", "must be `sitepulse.status/1` on a v1 topic");
    }
    if !is_valid_site_id(&s.site) {
        return fail("site", "must be 1-64 characters of A-Z a-z 0-9 - _ .");
    }
    short_str("boot", &s.boot)?;
    if s.seq > i64::MAX as u64 {
        return fail("seq", "must be below 2^63");
    }
    if s.interval_s == 0 || s.interval_s > MAX_INTERVAL_S {
        return fail("interval_s", "must be 1 to 2678400 seconds (31 days)");
    }
    range("power.battery_v", s.power.battery_v, 0.0, 100.0)?;
    range("power.energy_kwh", s.power.energy_kwh, 0.0, 1e12)?;
    range("cabinet.temp_c", s.cabinet.temp_c, -60.0, 120.0)?;
    if let Some(l) = s.backhaul.latency_ms {
        range("backhaul.latency_ms", l, 0.0, 600_000.0)?;
    }
    if s.cells.len() > MAX_LIST {
        return fail("cells", "at most 64 cells");
    }
    for c in &s.cells {
        range("cells[].tx_power_dbm", c.tx_power_dbm, -50.0, 80.0)?;
        range("cells[].throughput_mbps", c.throughput_mbps, 0.0, 100_000.0)?;
    }
    if s.alarms.len() > MAX_LIST {
        return fail("alarms", "at most 64 alarm codes");
    }
    for a in &s.alarms {
        short_str("alarms[]", a)?;
    }
    if let Some(g) = &s.gps {
        gps(g)?;
    }
    short_str("fw", &s.fw)
}

/// Checks an info message against the v1 rules.
pub fn info(i: &Info) -> Result<(), FieldError> {
    if i.schema != INFO_SCHEMA {
        return fail("schema", "must be `sitepulse.info/1` on a v1 topic");
    }
    if !is_valid_site_id(&i.site) {
        return fail("site", "must be 1-64 characters of A-Z a-z 0-9 - _ .");
    }
    if i.name.is_empty()
        || i.name.chars().count() > MAX_NAME
        || i.name.chars().any(char::is_control)
    {
        return fail(
            "name",
            "must be 1 to 128 characters without control characters",
        );
    }
    if i.county.len() != 6 || !i.county.bytes().all(|b| b.is_ascii_digit()) {
        return fail("county", "must be a 6-digit admin code, e.g. 371502");
    }
    if i.operators.is_empty() || i.operators.len() > 4 {
        return fail("operators", "must list 1 to 4 operators");
    }
    short_str("tower_owner", &i.tower_owner)?;
    if i.bands.len() > 8 {
        return fail("bands", "at most 8 bands");
    }
    gps(&i.position)
}
