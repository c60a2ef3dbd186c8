//! The Grafana dashboards ask only for what the sink writes: every Flux query names measurements,
//! fields and tags from the line-protocol schema (`sitepulse::store::line::SCHEMA`, itself checked
//! against the encoder), uses the provisioned data source, and only template variables that
//! exist. A schema change that would blank a panel fails here.

use serde_json::Value;
use sitepulse::store::line::SCHEMA;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn grafana() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboards/grafana")
}

fn dashboards() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(grafana().join("dashboards")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), v));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 3, "rollout, health and alarms dashboards");
    out
}

/// Every piece of `text` that follows `before`, up to the first character where `end` holds.
fn captures(text: &str, before: &str, end: impl Fn(char) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(before) {
        rest = &rest[i + before.len()..];
        if let Some(end) = rest.find(&end) {
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// `r._measurement == "x"` and `r._field == "y"`, with any spacing.
fn compared(query: &str, column: &str) -> Vec<String> {
    let squeezed: String = query.split_whitespace().collect::<Vec<_>>().join("");
    captures(&squeezed, &format!("r.{column}==\""), |c| c == '"')
}

fn provisioned_uid() -> String {
    let text =
        std::fs::read_to_string(grafana().join("provisioning/datasources/sitepulse.yaml")).unwrap();
    let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let ds = &v["datasources"][0];
    assert_eq!(ds["type"].as_str(), Some("influxdb"));
    assert_eq!(ds["jsonData"]["version"].as_str(), Some("Flux"));
    assert!(ds["secureJsonData"]["token"].as_str().is_some());
    ds["uid"].as_str().unwrap().to_string()
}

fn queries(d: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        let title = p["title"].as_str().unwrap().to_string();
        let targets = p["targets"].as_array().expect("panel has targets");
        assert!(!targets.is_empty(), "{title}: no query");
        for t in targets {
            let q = t["query"]
                .as_str()
                .unwrap_or_else(|| panic!("{title}: no Flux query"));
            out.push((title.clone(), q.to_string(), t["datasource"].clone()));
        }
    }
    out
}

#[test]
fn every_query_names_what_the_sink_writes() {
    let uid = provisioned_uid();
    let tags: HashSet<&str> = SCHEMA.iter().flat_map(|m| m.tags.iter().copied()).collect();
    let mut panels = 0;
    for (file, d) in dashboards() {
        let variables: HashSet<String> = d["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_string())
            .collect();
        for v in d["templating"]["list"].as_array().unwrap() {
            let q = v["query"].as_str().unwrap_or("");
            for tag in captures(q, "tag: \"", |c| c == '"') {
                assert!(
                    tags.contains(tag.as_str()),
                    "{file}: variable on unknown tag {tag}"
                );
            }
        }
        for (title, q, ds) in queries(&d) {
            panels += 1;
            let at = format!("{file} / {title}");
            assert_eq!(ds["uid"].as_str(), Some(uid.as_str()), "{at}: data source");
            assert!(q.contains("from(bucket: v.defaultBucket)"), "{at}: bucket");
            let measurements = compared(&q, "_measurement");
            assert!(!measurements.is_empty(), "{at}: names no measurement");
            let schemas: Vec<_> = measurements
                .iter()
                .map(|m| {
                    SCHEMA
                        .iter()
                        .find(|s| s.name == m)
                        .unwrap_or_else(|| panic!("{at}: measurement {m} is not written"))
                })
                .collect();
            let fields = compared(&q, "_field");
            assert!(!fields.is_empty(), "{at}: names no field");
            for f in &fields {
                assert!(
                    schemas
                        .iter()
                        .any(|s| s.fields.iter().any(|(n, _, _)| n == f)),
                    "{at}: field {f} is not written to {measurements:?}"
                );
            }
            // Tags the query filters or groups on.
            let squeezed: String = q.split_whitespace().collect::<Vec<_>>().join("");
            for t in captures(&squeezed, "r.", |c: char| !c.is_alphanumeric() && c != '_')
                .into_iter()
                .filter(|t| !t.starts_with('_'))
            {
                assert!(
                    tags.contains(t.as_str()) || q.contains(&format!("{t}:")),
                    "{at}: r.{t} is neither a tag nor a column the query makes"
                );
            }
            for cols in captures(&squeezed, "columns:[", |c| c == ']') {
                for c in cols.split(',').map(|c| c.trim_matches('"')) {
                    assert!(
                        c.starts_with('_') || tags.contains(c),
                        "{at}: column {c} is not a tag"
                    );
                }
            }
            for v in captures(&q, "${", |c| c == '}') {
                let name = v.split(':').next().unwrap();
                assert!(variables.contains(name), "{at}: unknown variable ${name}");
            }
        }
    }
    assert!(panels >= 15, "only {panels} panels");
}

#[test]
fn the_geomap_reads_positions_and_stages_the_sink_writes() {
    let (_, rollout) = dashboards()
        .into_iter()
        .find(|(f, _)| f == "rollout.json")
        .unwrap();
    let map = rollout["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "geomap")
        .expect("a Geomap panel");
    let loc = &map["options"]["layers"][0]["location"];
    let status = SCHEMA.iter().find(|m| m.name == "site_status").unwrap();
    for key in ["latitude", "longitude"] {
        let f = loc[key].as_str().unwrap();
        assert!(status.fields.iter().any(|(n, _, _)| *n == f), "{f}");
    }
    let colour = map["options"]["layers"][0]["config"]["color"]["field"]
        .as_str()
        .unwrap();
    assert_eq!(colour, "stage");
    // Every stage has a colour and a label.
    let mapped = &map["fieldConfig"]["defaults"]["mappings"][0]["options"];
    for s in sitepulse::wire::Stage::ALL {
        assert!(mapped[s.as_str()]["color"].is_string(), "{s}");
    }
}
