//! Payload decoding: whatever arrives on a site's topic, decode returns a message or a reason,
//! and the signature check returns a verdict; neither panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sitepulse::config::IngestConfig;
use sitepulse::ingest::decode::decode;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap();
    let cfg = IngestConfig::default();
    for topic in ["sitepulse/v1/sites/S1/status", "sitepulse/v1/sites/S1/info"] {
        let _ = decode(topic, data, now, &cfg);
    }
    let _ = sitepulse::wire::signature::verify(data, &[7u8; 32]);
});
