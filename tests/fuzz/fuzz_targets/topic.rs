//! Topic parsing on any text: a topic or a reason, never a panic; a parsed topic's site id
//! appears in it unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(t) = sitepulse::wire::Topic::parse(s)
    {
        assert!(s.contains(t.site));
    }
});
