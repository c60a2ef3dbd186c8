//! JSON Schema documents of protocol v1, generated from the Rust types so they cannot drift.
//!
//! The committed copy `src/wire/sitepulse-v1.schema.json` is what agent developers read; a test
//! fails when it differs from what the types generate (rewrite it with
//! `sitepulse schema > src/wire/sitepulse-v1.schema.json`). The API serves the same document at
//! `GET /api/v1/schema`.

use super::{Info, Status};

/// The committed schema file.
pub const COMMITTED: &str = include_str!("sitepulse-v1.schema.json");

/// Both payload schemas of v1 in one document: `{"status": …, "info": …}`.
pub fn v1() -> serde_json::Value {
    let status = schemars::schema_for!(Status);
    let info = schemars::schema_for!(Info);
    serde_json::json!({
        "$comment": "sitepulse protocol v1. Topics: sitepulse/v1/sites/{site_id}/status and sitepulse/v1/sites/{site_id}/info, QoS 1.",
        "status": status,
        "info": info,
    })
}

/// The generated schema, pretty-printed with a trailing newline, as committed.
pub fn v1_pretty() -> String {
    let mut s = serde_json::to_string_pretty(&v1()).expect("a JSON value always serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_schema_matches_the_types() {
        assert_eq!(
            super::COMMITTED,
            super::v1_pretty(),
            "src/wire/sitepulse-v1.schema.json is stale: run `cargo run -- schema > src/wire/sitepulse-v1.schema.json`"
        );
    }
}
