//! Site plan import (CSV and GeoJSON): every file gives sites or a list of bad rows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(plan) = sitepulse::rollout::plan::parse(data, &|_, _| {}) {
        // What was accepted writes back out and reads in the same.
        let again = sitepulse::rollout::plan::parse(
            &sitepulse::rollout::plan::to_csv(&plan.sites),
            &|_, _| {},
        )
        .expect("a plan written by sitepulse reads back");
        assert_eq!(again.sites.len(), plan.sites.len());
    }
});
