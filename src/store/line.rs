//! The line-protocol schema of the time series, and the encoding of one report into it.
//!
//! Two measurements, millisecond timestamps (the agent's reading time):
//! - `site_status`, one point per report;
//! - `site_cell`, one point per configured cell of a report.
//!
//! Tags are kept to low cardinality: the site and what the plan says of it (county, operator,
//! kind), plus band and cell index for cells. Sequence numbers, boots and message ids are fields,
//! never tags. A field has one type everywhere. [`SCHEMA`] lists every measurement, tag and field
//! written; the Grafana dashboards are checked against it.

use crate::wire::{Operator, SiteKind, Status};
use std::fmt::Write;

/// Line-protocol field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Float,
    Integer,
    String,
    Boolean,
}

/// One measurement as written: its tags and its typed fields. Fields marked optional are left out
/// of a point when the report has no value for them.
#[derive(Debug)]
pub struct Measurement {
    pub name: &'static str,
    pub tags: &'static [&'static str],
    pub fields: &'static [(&'static str, FieldType, Optional)],
}

/// Whether a field is in every point of its measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional {
    Always,
    WhenKnown,
}

use FieldType::{Boolean as B, Float as F, Integer as I, String as S};
use Optional::{Always as A, WhenKnown as W};

/// Site tags; each is left out when neither the plan nor the agent's info message gives it.
const SITE_TAGS: &[&str] = &["site", "county", "operator", "kind"];

/// Every measurement, tag and field the sink writes.
pub const SCHEMA: &[Measurement] = &[
    Measurement {
        name: "site_status",
        tags: SITE_TAGS,
        fields: &[
            ("stage", S, A),
            ("power_source", S, A),
            ("supply", S, A),
            ("battery_v", F, A),
            ("energy_kwh", F, A),
            ("temp_c", F, A),
            ("door_open", B, A),
            ("backhaul_up", B, A),
            ("latency_ms", F, W),
            ("cells", I, A),
            ("cells_active", I, A),
            ("users", I, A),
            ("throughput_mbps", F, A),
            ("alarms", I, A),
            ("alarm_codes", S, W),
            ("lat", F, W),
            ("lon", F, W),
            ("interval_s", I, A),
            ("seq", I, A),
            ("boot", S, A),
            ("fw", S, A),
            ("skewed", B, A),
        ],
    },
    Measurement {
        name: "site_cell",
        tags: &["site", "county", "operator", "kind", "band", "cell"],
        fields: &[
            ("state", S, A),
            ("tx_power_dbm", F, A),
            ("users", I, A),
            ("throughput_mbps", F, A),
        ],
    },
];

/// What the plan (or, for an unplanned site, the agent's info message) says of a site, already
/// escaped for use as tag values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteTags {
    county: String,
    /// Operators joined with `+` in a fixed order, e.g. `cmcc+cucc` for a shared site.
    operator: String,
    kind: &'static str,
    /// Surveyed position, used when the report carries no GPS fix.
    position: Option<(f64, f64)>,
}

impl SiteTags {
    pub fn new(
        county: &str,
        operators: &[Operator],
        kind: SiteKind,
        position: Option<(f64, f64)>,
    ) -> SiteTags {
        let mut ops: Vec<Operator> = operators.to_vec();
        ops.sort_by_key(|o| Operator::ALL.iter().position(|a| a == o));
        ops.dedup();
        let operator = ops.iter().map(|o| o.as_str()).collect::<Vec<_>>().join("+");
        let mut c = String::new();
        escape_tag(&mut c, county);
        SiteTags {
            county: c,
            operator,
            kind: kind.as_str(),
            position,
        }
    }
}

/// Appends the report's points to `out`, each line ending in `\n`.
pub fn encode(out: &mut String, status: &Status, skewed: bool, tags: Option<&SiteTags>) {
    let ts = status.ts.timestamp_millis();
    let mut site_tags = String::with_capacity(64);
    site_tags.push_str(",site=");
    escape_tag(&mut site_tags, &status.site);
    if let Some(t) = tags {
        if !t.county.is_empty() {
            site_tags.push_str(",county=");
            site_tags.push_str(&t.county);
        }
        if !t.operator.is_empty() {
            site_tags.push_str(",operator=");
            site_tags.push_str(&t.operator);
        }
        site_tags.push_str(",kind=");
        site_tags.push_str(t.kind);
    }

    let active = status
        .cells
        .iter()
        .filter(|c| c.state == crate::wire::CellState::Active)
        .count();
    let users: u64 = status.cells.iter().map(|c| u64::from(c.users)).sum();
    let throughput: f64 = status.cells.iter().map(|c| c.throughput_mbps).sum();

    out.push_str("site_status");
    out.push_str(&site_tags);
    let mut f = Fields::new(out);
    f.string("stage", status.stage.as_str());
    f.string("power_source", status.power.source.as_str());
    f.string("supply", status.power.supply.as_str());
    f.float("battery_v", status.power.battery_v);
    f.float("energy_kwh", status.power.energy_kwh);
    f.float("temp_c", status.cabinet.temp_c);
    f.boolean("door_open", status.cabinet.door_open);
    f.boolean("backhaul_up", status.backhaul.up);
    if let Some(l) = status.backhaul.latency_ms {
        f.float("latency_ms", l);
    }
    f.integer("cells", status.cells.len() as i64);
    f.integer("cells_active", active as i64);
    f.integer("users", users as i64);
    f.float("throughput_mbps", throughput);
    f.integer("alarms", status.alarms.len() as i64);
    if !status.alarms.is_empty() {
        f.string("alarm_codes", &status.alarms.join(","));
    }
    let position = status
        .gps
        .map(|g| (g.lat, g.lon))
        .or_else(|| tags.and_then(|t| t.position));
    if let Some((lat, lon)) = position {
        f.float("lat", lat);
        f.float("lon", lon);
    }
    f.integer("interval_s", i64::from(status.interval_s));
    f.integer("seq", status.seq as i64);
    f.string("boot", &status.boot);
    f.string("fw", &status.fw);
    f.boolean("skewed", skewed);
    let _ = writeln!(out, " {ts}");

    for (i, cell) in status.cells.iter().enumerate() {
        out.push_str("site_cell");
        out.push_str(&site_tags);
        let _ = write!(out, ",band={},cell={i}", cell.band.as_str());
        let mut f = Fields::new(out);
        f.string("state", cell.state.as_str());
        f.float("tx_power_dbm", cell.tx_power_dbm);
        f.integer("users", i64::from(cell.users));
        f.float("throughput_mbps", cell.throughput_mbps);
        let _ = writeln!(out, " {ts}");
    }
}

/// Writes `key=value` pairs separated by commas, the first preceded by a space.
struct Fields<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Fields<'a> {
    fn new(out: &'a mut String) -> Self {
        Fields { out, first: true }
    }

    fn key(&mut self, k: &str) {
        self.out.push(if self.first { ' ' } else { ',' });
        self.first = false;
        self.out.push_str(k);
        self.out.push('=');
    }

    /// Floats are always written with a decimal point or exponent, so that a whole number never
    /// turns the field into an integer. Non-finite values cannot be written; they never pass
    /// validation, and are left out here should one arrive.
    fn float(&mut self, k: &str, v: f64) {
        if !v.is_finite() {
            return;
        }
        self.key(k);
        let _ = write!(self.out, "{v:?}");
    }

    fn integer(&mut self, k: &str, v: i64) {
        self.key(k);
        let _ = write!(self.out, "{v}i");
    }

    fn boolean(&mut self, k: &str, v: bool) {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
    }

    fn string(&mut self, k: &str, v: &str) {
        self.key(k);
        self.out.push('"');
        for ch in v.chars() {
            match ch {
                '"' | '\\' => {
                    self.out.push('\\');
                    self.out.push(ch);
                }
                // A line ends at a newline, even inside a string.
                '\n' | '\r' => self.out.push(' '),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// Tag values escape commas, equals signs and spaces; newlines become spaces.
fn escape_tag(out: &mut String, v: &str) {
    for ch in v.chars() {
        match ch {
            ',' | '=' | ' ' => {
                out.push('\\');
                out.push(ch);
            }
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push_str("\\ "),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::status::fixtures;
    use crate::wire::{Band, CellState, Gps, Stage};
    use chrono::{TimeZone, Utc};

    fn report() -> Status {
        let mut s = fixtures::status(
            "LC-0001",
            Stage::OnAir,
            Utc.timestamp_millis_opt(1_600_000_000_123).unwrap(),
        );
        s.alarms = vec!["VSWR".into(), "FAN, \"2\"".into()];
        s.backhaul.latency_ms = Some(12.0);
        s.gps = Some(Gps {
            lat: 36.45,
            lon: 115.98,
        });
        s.cells.push(crate::wire::status::Cell {
            band: Band::N28,
            state: CellState::Faulty,
            tx_power_dbm: 40.0,
            users: 3,
            throughput_mbps: 1.5,
        });
        s
    }

    /// One parsed line: measurement, tags, fields with their type and raw value, time.
    type Parsed = (
        String,
        Vec<(String, String)>,
        Vec<(String, FieldType, String)>,
        i64,
    );

    /// A minimal reader of what `encode` writes.
    pub(crate) fn parse(line: &str) -> Parsed {
        let parts = split(line, ' ');
        assert_eq!(parts.len(), 3, "{line}");
        let head = split(&parts[0], ',');
        let tags = head[1..]
            .iter()
            .map(|t| {
                let kv = split(t, '=');
                assert_eq!(kv.len(), 2, "{t}");
                (unescape(&kv[0]), unescape(&kv[1]))
            })
            .collect();
        let fields = split(&parts[1], ',')
            .iter()
            .map(|f| {
                let (k, v) = f.split_once('=').unwrap();
                let ty = if v.starts_with('"') {
                    assert!(v.ends_with('"') && v.len() >= 2, "{v}");
                    FieldType::String
                } else if v == "true" || v == "false" {
                    FieldType::Boolean
                } else if let Some(i) = v.strip_suffix('i') {
                    i.parse::<i64>().unwrap();
                    FieldType::Integer
                } else {
                    v.parse::<f64>().unwrap();
                    assert!(
                        v.contains('.') || v.contains('e'),
                        "float `{v}` reads as integer"
                    );
                    FieldType::Float
                };
                (k.to_string(), ty, v.to_string())
            })
            .collect();
        (head[0].clone(), tags, fields, parts[2].parse().unwrap())
    }

    /// Splits on `sep` outside double quotes and not after a backslash; keeps the text raw.
    fn split(s: &str, sep: char) -> Vec<String> {
        let (mut out, mut cur) = (Vec::new(), String::new());
        let (mut quoted, mut chars) = (false, s.chars());
        while let Some(c) = chars.next() {
            if c == '\\' {
                cur.push(c);
                cur.extend(chars.next());
            } else if c == '"' {
                quoted = !quoted;
                cur.push(c);
            } else if c == sep && !quoted {
                out.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
        }
        out.push(cur);
        out
    }

    fn unescape(s: &str) -> String {
        let (mut out, mut chars) = (String::new(), s.chars());
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn every_point_matches_the_schema() {
        let tags = SiteTags::new(
            "371502",
            &[Operator::Cucc, Operator::Cmcc],
            SiteKind::Macro,
            None,
        );
        let mut out = String::new();
        encode(&mut out, &report(), true, Some(&tags));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "one status point and one per cell:\n{out}");
        let mut seen = std::collections::HashSet::new();
        for line in lines {
            let (m, t, f, ts) = parse(line);
            assert_eq!(ts, 1_600_000_000_123, "millisecond timestamps");
            let schema = SCHEMA
                .iter()
                .find(|s| s.name == m)
                .expect("known measurement");
            let tag_names: Vec<&str> = t.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(tag_names, schema.tags, "{line}");
            for (name, ty, _) in &f {
                let (_, want, _) = schema
                    .fields
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .unwrap_or_else(|| panic!("{m}.{name} not in the schema"));
                assert_eq!(ty, want, "{m}.{name}");
                seen.insert((m.clone(), name.clone()));
            }
            for (name, _, opt) in schema.fields {
                if *opt == Optional::Always {
                    assert!(f.iter().any(|(n, _, _)| n == name), "{m}.{name} missing");
                }
            }
        }
        // This report has every optional field, so every field of the schema was written.
        for m in SCHEMA {
            for (name, _, _) in m.fields {
                assert!(
                    seen.contains(&(m.name.to_string(), name.to_string())),
                    "{}.{name} never written",
                    m.name
                );
            }
        }
        let (_, t, f, _) = parse(out.lines().next().unwrap());
        assert!(t.contains(&("operator".into(), "cmcc+cucc".into())));
        assert!(f.contains(&(
            "alarm_codes".into(),
            FieldType::String,
            r#""VSWR,FAN, \"2\"""#.into()
        )));
        assert!(f.contains(&("seq".into(), FieldType::Integer, "0i".into())));
        assert!(f.contains(&("skewed".into(), FieldType::Boolean, "true".into())));
    }

    #[test]
    fn whole_numbers_stay_floats_and_tags_are_escaped() {
        let mut s = report();
        s.site = "A B,C=D".into();
        s.power.battery_v = 48.0;
        let mut out = String::new();
        encode(&mut out, &s, false, None);
        let first = out.lines().next().unwrap();
        assert!(
            first.starts_with(r"site_status,site=A\ B\,C\=D "),
            "{first}"
        );
        assert!(first.contains("battery_v=48.0,"), "{first}");
        let (_, t, _, _) = parse(first);
        assert_eq!(t, vec![("site".to_string(), "A B,C=D".to_string())]);
    }

    #[test]
    fn planned_position_stands_in_for_a_missing_fix() {
        let mut s = report();
        s.gps = None;
        let tags = SiteTags::new(
            "371502",
            &[Operator::Ctcc],
            SiteKind::Pole,
            Some((36.1, 116.2)),
        );
        let mut out = String::new();
        encode(&mut out, &s, false, Some(&tags));
        let first = out.lines().next().unwrap();
        assert!(first.contains(",lat=36.1,lon=116.2,"), "{first}");
        let mut none = String::new();
        encode(&mut none, &s, false, None);
        assert!(!none.contains("lat="));
    }
}
