//! Decode and validate one MQTT message: topic, size, JSON, v1 rules, topic/payload agreement,
//! timestamp window. Pure: the caller passes "now".

use crate::config::IngestConfig;
pub use crate::domain::message::{Message, Reject};
use crate::wire::validate;
use crate::wire::{Info, Kind, STATUS_SCHEMA, Status, Topic};
use chrono::{DateTime, Duration, SubsecRound, Utc};

/// Only the schema tag, read when the full parse fails.
#[derive(serde::Deserialize)]
struct SchemaTag<'a> {
    #[serde(borrow)]
    schema: Option<std::borrow::Cow<'a, str>>,
}

/// Decodes and checks one message.
pub fn decode(
    topic: &str,
    payload: &[u8],
    now: DateTime<Utc>,
    cfg: &IngestConfig,
) -> Result<Message, Reject> {
    let t = Topic::parse(topic)?;
    if payload.len() > cfg.max_payload_bytes {
        return Err(Reject::TooLarge {
            len: payload.len(),
            limit: cfg.max_payload_bytes,
        });
    }
    let expected = match t.kind {
        Kind::Status => STATUS_SCHEMA,
        Kind::Info => crate::wire::INFO_SCHEMA,
    };
    // The full parse first: one pass over the bytes on the happy path. Only when it fails is
    // the schema tag read on its own, so a v2 payload is told "unsupported schema" rather than
    // a confusing field error.
    let msg = match t.kind {
        Kind::Status => {
            let mut status: Status = parse(payload, expected)?;
            // The store keeps times to the millisecond; so does everything that reads them, so
            // that the live state and a state rebuilt from the store agree to the instant.
            status.ts = status.ts.trunc_subsecs(3);
            check_schema(&status.schema, expected)?;
            validate::status(&status)?;
            check_site(t.site, &status.site)?;
            let skewed = check_time(status.ts, now, cfg)?;
            Message::Status {
                status: Box::new(status),
                skewed,
            }
        }
        Kind::Info => {
            let info: Info = parse(payload, expected)?;
            check_schema(&info.schema, expected)?;
            validate::info(&info)?;
            check_site(t.site, &info.site)?;
            Message::Info(Box::new(info))
        }
    };
    Ok(msg)
}

/// Deepest nesting of objects and arrays a stored payload may have. serde_json skips unknown
/// fields at any depth, but reads a document back into a value only to 128 levels, so a deeper
/// payload would be stored and then unreadable in its history.
pub const MAX_DEPTH: usize = 64;

/// True when `json` (already known to parse) nests objects or arrays deeper than `max`.
fn too_deep(json: &[u8], max: usize) -> bool {
    // Nesting needs as many openers: a payload with fewer (every real report) is not counted
    // byte by byte. The count runs in wide steps; the walk below does not.
    if json.iter().filter(|&&b| b == b'{' || b == b'[').count() <= max {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn parse<'a, T: serde::Deserialize<'a>>(payload: &'a [u8], expected: &str) -> Result<T, Reject> {
    let parsed = parse_only(payload, expected)?;
    if too_deep(payload, MAX_DEPTH) {
        return Err(Reject::TooDeep { limit: MAX_DEPTH });
    }
    Ok(parsed)
}

fn parse_only<'a, T: serde::Deserialize<'a>>(
    payload: &'a [u8],
    expected: &str,
) -> Result<T, Reject> {
    serde_json::from_slice(payload).map_err(|e| {
        match serde_json::from_slice::<SchemaTag>(payload)
            .ok()
            .and_then(|t| t.schema)
        {
            Some(s) if s != expected => Reject::Schema(s.chars().take(64).collect()),
            _ => Reject::Json(e.to_string()),
        }
    })
}

fn check_schema(schema: &str, expected: &str) -> Result<(), Reject> {
    if schema != expected {
        return Err(Reject::Schema(schema.chars().take(64).collect()));
    }
    Ok(())
}

fn check_site(topic: &str, payload: &str) -> Result<(), Reject> {
    if topic != payload {
        return Err(Reject::SiteMismatch {
            topic: topic.into(),
            payload: payload.into(),
        });
    }
    Ok(())
}

/// Ok(true) when the timestamp is stored but flagged as skewed.
fn check_time(ts: DateTime<Utc>, now: DateTime<Utc>, cfg: &IngestConfig) -> Result<bool, Reject> {
    if ts > now + Duration::seconds(cfg.reject_future_s) {
        return Err(Reject::Timestamp {
            ts,
            now,
            what: "too far ahead of",
        });
    }
    if ts < now - Duration::days(cfg.reject_past_days) {
        return Err(Reject::Timestamp {
            ts,
            now,
            what: "too far behind",
        });
    }
    Ok(ts > now + Duration::seconds(cfg.flag_future_s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Backhaul, Cabinet, Power, PowerSource, Stage, Supply};
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    const TOPIC: &str = "sitepulse/v1/sites/LC-371502-0001/status";

    /// A minimal valid report: every required field, nothing optional.
    const MINIMAL: &str = r#"{
        "schema": "sitepulse.status/1",
        "site": "LC-371502-0001",
        "boot": "7f3a",
        "seq": 0,
        "ts": "2026-11-22T09:59:30Z",
        "interval_s": 60,
        "stage": "on_air",
        "power": {"source": "mains", "supply": "direct", "battery_v": 53.5, "energy_kwh": 10.0},
        "cabinet": {"temp_c": 31.0, "door_open": false},
        "backhaul": {"up": true, "latency_ms": 4.0},
        "fw": "1.0.0"
    }"#;

    fn cfg() -> IngestConfig {
        IngestConfig::default()
    }

    fn with(field_json: &str, replacement: &str) -> String {
        assert!(MINIMAL.contains(field_json), "fixture lacks {field_json}");
        MINIMAL.replace(field_json, replacement)
    }

    /// An unknown field nested deeper than a stored payload may be is refused with its own
    /// reason; one just within the limit, and brackets inside strings, are fine.
    #[test]
    fn deep_unknown_fields_are_refused() {
        let nest = |n: usize| {
            with(
                r#""fw": "1.0.0""#,
                &format!(r#""fw": "1.0.0", "x": {}{}"#, "[".repeat(n), "]".repeat(n)),
            )
        };
        let deep = nest(5000);
        let r = decode(TOPIC, deep.as_bytes(), now(), &cfg()).unwrap_err();
        assert_eq!(r.reason(), "too_deep");
        // The document itself is one level: 63 more are allowed.
        assert!(decode(TOPIC, nest(MAX_DEPTH - 1).as_bytes(), now(), &cfg()).is_ok());
        assert_eq!(
            decode(TOPIC, nest(MAX_DEPTH).as_bytes(), now(), &cfg())
                .unwrap_err()
                .reason(),
            "too_deep"
        );
        let quoted = with(
            r#""fw": "1.0.0""#,
            &format!(
                r#""fw": "1.0.0", "note": "{}\"{}""#,
                "[".repeat(200),
                "{".repeat(200)
            ),
        );
        assert!(decode(TOPIC, quoted.as_bytes(), now(), &cfg()).is_ok());
    }

    #[test]
    fn minimal_report_decodes() {
        let m = decode(TOPIC, MINIMAL.as_bytes(), now(), &cfg()).unwrap();
        let Message::Status { status, skewed } = m else {
            panic!("expected status")
        };
        assert!(!skewed);
        assert_eq!(status.seq, 0);
        assert_eq!(status.stage, Stage::OnAir);
        assert_eq!(
            status.power,
            Power {
                source: PowerSource::Mains,
                supply: Supply::Direct,
                battery_v: 53.5,
                energy_kwh: 10.0
            }
        );
        assert_eq!(
            status.cabinet,
            Cabinet {
                temp_c: 31.0,
                door_open: false
            }
        );
        assert_eq!(
            status.backhaul,
            Backhaul {
                up: true,
                latency_ms: Some(4.0)
            }
        );
        assert!(status.cells.is_empty() && status.alarms.is_empty() && status.gps.is_none());
    }

    #[test]
    fn unknown_fields_are_ignored_for_forward_compatibility() {
        let p = with(
            r#""fw": "1.0.0""#,
            r#""fw": "1.0.0", "new_in_1_1": {"x": 1}"#,
        );
        assert!(decode(TOPIC, p.as_bytes(), now(), &cfg()).is_ok());
    }

    #[test]
    fn each_rule_has_its_reason() {
        let cases: Vec<(String, &str, &str)> = vec![
            (
                MINIMAL.into(),
                "sitepulse/v1/sites/LC-371502-0002/status",
                "site_mismatch",
            ),
            (MINIMAL.into(), "other/topic", "invalid_topic"),
            ("{not json".into(), TOPIC, "invalid_json"),
            (
                with(
                    r#""schema": "sitepulse.status/1""#,
                    r#""schema": "sitepulse.status/2""#,
                ),
                TOPIC,
                "unsupported_schema",
            ),
            (with(r#""seq": 0"#, r#""seq": -1"#), TOPIC, "invalid_json"),
            (with(r#""seq": 0"#, r#""seq": "0""#), TOPIC, "invalid_json"),
            (
                with(r#""stage": "on_air""#, r#""stage": "done""#),
                TOPIC,
                "invalid_json",
            ),
            (
                with(r#""battery_v": 53.5"#, r#""battery_v": 530.5"#),
                TOPIC,
                "invalid_field",
            ),
            (
                with(r#""temp_c": 31.0"#, r#""temp_c": 1e400"#),
                TOPIC,
                "invalid_json",
            ),
            (
                with(r#""boot": "7f3a""#, r#""boot": """#),
                TOPIC,
                "invalid_field",
            ),
            (
                with(r#""interval_s": 60"#, r#""interval_s": 0"#),
                TOPIC,
                "invalid_field",
            ),
            (
                with(
                    r#""ts": "2026-11-22T09:59:30Z""#,
                    r#""ts": "2019-01-01T00:00:00Z""#,
                ),
                TOPIC,
                "timestamp_out_of_range",
            ),
            (
                with(
                    r#""ts": "2026-11-22T09:59:30Z""#,
                    r#""ts": "2030-01-01T00:00:00Z""#,
                ),
                TOPIC,
                "timestamp_out_of_range",
            ),
            (
                with(r#""ts": "2026-11-22T09:59:30Z""#, r#""ts": "yesterday""#),
                TOPIC,
                "invalid_json",
            ),
        ];
        for (payload, topic, reason) in cases {
            let err = decode(topic, payload.as_bytes(), now(), &cfg()).unwrap_err();
            assert_eq!(err.reason(), reason, "{payload} on {topic}: {err}");
        }
        let big = vec![b' '; cfg().max_payload_bytes + 1];
        assert_eq!(
            decode(TOPIC, &big, now(), &cfg()).unwrap_err().reason(),
            "too_large"
        );
        assert_eq!(
            decode(TOPIC, b"\xff\xfe", now(), &cfg())
                .unwrap_err()
                .reason(),
            "invalid_json"
        );
    }

    #[test]
    fn slightly_future_timestamps_are_kept_but_flagged() {
        let p = with(
            r#""ts": "2026-11-22T09:59:30Z""#,
            r#""ts": "2026-11-22T10:30:00Z""#,
        );
        let Message::Status { skewed, .. } = decode(TOPIC, p.as_bytes(), now(), &cfg()).unwrap()
        else {
            panic!()
        };
        assert!(skewed);
    }

    #[test]
    fn info_decodes_and_checks_county() {
        let topic = "sitepulse/v1/sites/LC-1/info";
        let ok = r#"{"schema":"sitepulse.info/1","site":"LC-1","name":"聊城大学东校区","county":"371502",
            "operators":["cmcc","cucc"],"tower_owner":"china_tower","kind":"macro","bands":["n78"],
            "position":{"lat":36.45,"lon":115.98}}"#;
        assert!(matches!(
            decode(topic, ok.as_bytes(), now(), &cfg()),
            Ok(Message::Info(_))
        ));
        let bad = ok.replace("371502", "37150");
        assert_eq!(
            decode(topic, bad.as_bytes(), now(), &cfg())
                .unwrap_err()
                .reason(),
            "invalid_field"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(topic in "\\PC{0,80}", payload in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&topic, &payload, now(), &cfg());
        }

        #[test]
        fn arbitrary_json_values_never_panic(v in arb_json()) {
            let p = serde_json::to_vec(&v).unwrap();
            let _ = decode(TOPIC, &p, now(), &cfg());
        }

        #[test]
        fn numeric_fields_accept_only_their_range(b in proptest::num::f64::ANY, t in proptest::num::f64::ANY) {
            let mut v: serde_json::Value = serde_json::from_str(MINIMAL).unwrap();
            v["power"]["battery_v"] = serde_json::json!(b);
            v["cabinet"]["temp_c"] = serde_json::json!(t);
            let p = serde_json::to_vec(&v).unwrap();
            let ok = decode(TOPIC, &p, now(), &cfg()).is_ok();
            let in_range = b.is_finite() && (0.0..=100.0).contains(&b) && t.is_finite() && (-60.0..=120.0).contains(&t);
            prop_assert_eq!(ok, in_range);
        }
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(|f| serde_json::json!(f)),
            "\\PC{0,20}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
                proptest::collection::hash_map(
                    prop_oneof![
                        Just("schema".to_string()),
                        Just("site".to_string()),
                        Just("seq".to_string()),
                        "[a-z_]{1,10}"
                    ],
                    inner,
                    0..8
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
