//! Target area import (GeoJSON, WGS-84 or GCJ-02): areas or reasons, never a panic; accepted
//! areas can be gridded.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(areas) = sitepulse::domain::area::parse(data) {
        for a in areas {
            // A coarse grid keeps huge polygons cheap.
            let _ = sitepulse::coverage::grid::Grid::new(a, 1000.0);
        }
    }
});
