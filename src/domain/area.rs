//! Target areas (目标区域): polygons with a class and a county, imported from GeoJSON. The file
//! says whether its coordinates are WGS-84 or GCJ-02 (what Chinese map providers publish);
//! GCJ-02 is converted, so every area is held in WGS-84 like the sites.

use geo::{MultiPolygon, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaClass {
    /// The city's urban area (市城区).
    CityUrban,
    /// A county's urban area (县城区).
    CountyUrban,
    /// Industrial park or development zone (工业园区).
    IndustrialPark,
    /// Town (乡镇).
    Town,
    /// Rural (农村).
    Rural,
}

impl AreaClass {
    pub const ALL: [AreaClass; 5] = [
        AreaClass::CityUrban,
        AreaClass::CountyUrban,
        AreaClass::IndustrialPark,
        AreaClass::Town,
        AreaClass::Rural,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AreaClass::CityUrban => "city_urban",
            AreaClass::CountyUrban => "county_urban",
            AreaClass::IndustrialPark => "industrial_park",
            AreaClass::Town => "town",
            AreaClass::Rural => "rural",
        }
    }

    pub fn parse(s: &str) -> Option<AreaClass> {
        AreaClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AreaClass::CityUrban => "市城区",
            AreaClass::CountyUrban => "县城区",
            AreaClass::IndustrialPark => "工业园区",
            AreaClass::Town => "乡镇",
            AreaClass::Rural => "农村",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AreaClass::CityUrban => "City urban area",
            AreaClass::CountyUrban => "County urban area",
            AreaClass::IndustrialPark => "Industrial park",
            AreaClass::Town => "Town",
            AreaClass::Rural => "Rural",
        }
    }
}

/// One target area, in WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub name: String,
    pub class: AreaClass,
    pub county: String,
    pub geometry: MultiPolygon<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AreaError {
    #[error("GeoJSON: {0}")]
    GeoJson(String),
    #[error(
        "the file must say which coordinates it uses: a top-level \"coordinate_system\": \"WGS-84\" or \"GCJ-02\""
    )]
    NoCoordinateSystem,
    #[error("coordinate_system `{0}` is unknown; use WGS-84 or GCJ-02")]
    UnknownCoordinateSystem(String),
    #[error("{} bad feature(s); nothing was imported: {}", .0.len(), .0.join("; "))]
    Features(Vec<String>),
}

/// The coordinate system a file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Wgs84,
    Gcj02,
}

fn datum(fc: &geojson::FeatureCollection) -> Result<Datum, AreaError> {
    let declared = fc
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("coordinate_system").or_else(|| m.get("crs")))
        .ok_or(AreaError::NoCoordinateSystem)?;
    let text = match declared {
        serde_json::Value::String(s) => s.clone(),
        // A GeoJSON 2008 style {"type": "name", "properties": {"name": "..."}}.
        other => other["properties"]["name"]
            .as_str()
            .map(str::to_string)
            .ok_or(AreaError::NoCoordinateSystem)?,
    };
    let t = text.to_ascii_lowercase().replace(['-', '_', ' '], "");
    if t == "wgs84" || t.ends_with("epsg::4326") || t.ends_with("crs84") || t == "epsg:4326" {
        Ok(Datum::Wgs84)
    } else if t == "gcj02" {
        Ok(Datum::Gcj02)
    } else {
        Err(AreaError::UnknownCoordinateSystem(text))
    }
}

pub(crate) fn prop<'a>(f: &'a geojson::Feature, key: &str) -> Option<&'a str> {
    f.properties.as_ref()?.get(key)?.as_str()
}

/// Checks a ring as written in the file: closed, enough points, longitude then latitude.
fn check_ring(ring: &[geojson::Position], what: &str, problems: &mut Vec<String>) {
    if ring.len() < 4 {
        problems.push(format!(
            "{what} has {} positions; a ring needs at least 4",
            ring.len()
        ));
        return;
    }
    if ring.first() != ring.last() {
        problems.push(format!(
            "{what} is not closed: its last position must repeat its first"
        ));
    }
    for p in ring.iter().map(geojson::Position::as_slice) {
        if p.len() < 2 || !p[0].is_finite() || !p[1].is_finite() {
            problems.push(format!("{what} has a position that is not two numbers"));
            return;
        }
        if p[1].abs() > 90.0 {
            problems.push(format!(
                "{what} has latitude {} outside ±90: positions are [longitude, latitude]; the order looks swapped",
                p[1]
            ));
            return;
        }
        if p[0].abs() > 180.0 {
            problems.push(format!("{what} has longitude {} outside ±180", p[0]));
            return;
        }
    }
}

/// A GeoJSON FeatureCollection and the coordinate system it declares.
pub(crate) fn collection(bytes: &[u8]) -> Result<(geojson::FeatureCollection, Datum), AreaError> {
    let text = std::str::from_utf8(bytes).map_err(|_| AreaError::GeoJson("not UTF-8".into()))?;
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| AreaError::GeoJson(e.to_string()))?;
    let fc = geojson::FeatureCollection::try_from(gj)
        .map_err(|_| AreaError::GeoJson("expected a FeatureCollection".into()))?;
    let datum = datum(&fc)?;
    Ok((fc, datum))
}

/// Parses a FeatureCollection of Polygon and MultiPolygon features, each with `name`, `class`
/// and `county` properties. All features or none.
pub fn parse(bytes: &[u8]) -> Result<Vec<Area>, AreaError> {
    let (fc, datum) = collection(bytes)?;
    let mut problems = Vec::new();
    let mut areas = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, f) in fc.features.iter().enumerate() {
        let n = i + 1;
        let name = prop(f, "name").unwrap_or_default().trim().to_string();
        let label = if name.is_empty() {
            format!("feature {n}")
        } else {
            format!("feature {n} ({name})")
        };
        let before = problems.len();
        if name.is_empty() {
            problems.push(format!("{label}: `name` is required"));
        } else if !names.insert(name.clone()) {
            problems.push(format!("{label}: the name is used twice"));
        }
        let class = prop(f, "class").and_then(AreaClass::parse);
        if class.is_none() {
            problems.push(format!(
                "{label}: `class` must be one of city_urban, county_urban, industrial_park, town, rural"
            ));
        }
        let county = prop(f, "county").unwrap_or_default().to_string();
        if county.len() != 6 || !county.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(format!("{label}: `county` must be a 6-digit admin code"));
        }
        let Some(mp) = geometry(f, datum, &label, &mut problems) else {
            continue;
        };
        if problems.len() > before {
            continue;
        }
        if let Some(class) = class {
            areas.push(Area {
                name,
                class,
                county,
                geometry: mp,
            });
        }
    }
    if !problems.is_empty() {
        return Err(AreaError::Features(problems));
    }
    Ok(areas)
}

/// A feature's Polygon or MultiPolygon, every ring checked as written, converted to WGS-84 and
/// made valid; what is wrong is added to `problems` under `label`.
pub(crate) fn geometry(
    f: &geojson::Feature,
    datum: Datum,
    label: &str,
    problems: &mut Vec<String>,
) -> Option<MultiPolygon<f64>> {
    let before = problems.len();
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match f.geometry.as_ref().map(|g| &g.value) {
        Some(geojson::GeometryValue::Polygon { coordinates: p }) => vec![p],
        Some(geojson::GeometryValue::MultiPolygon { coordinates: mp }) => mp.iter().collect(),
        _ => {
            problems.push(format!(
                "{label}: the geometry must be a Polygon or MultiPolygon"
            ));
            return None;
        }
    };
    for (pi, rings) in polygons.iter().enumerate() {
        if rings.is_empty() {
            problems.push(format!("{label}: polygon {} has no rings", pi + 1));
        }
        for (ri, ring) in rings.iter().enumerate() {
            let what = format!(
                "{label}: polygon {} {}",
                pi + 1,
                if ri == 0 {
                    "outer ring".to_string()
                } else {
                    format!("hole {ri}")
                }
            );
            check_ring(ring, &what, problems);
        }
    }
    if problems.len() > before {
        return None;
    }
    let convert = |p: &geojson::Position| -> geo::Coord<f64> {
        let (lon, lat) = match datum {
            Datum::Wgs84 => (p[0], p[1]),
            Datum::Gcj02 => coordtransform::gcj02_to_wgs84(p[0], p[1]),
        };
        geo::coord! { x: lon, y: lat }
    };
    let mp = MultiPolygon::new(
        polygons
            .iter()
            .map(|rings| {
                let mut rs = rings
                    .iter()
                    .map(|r| geo::LineString::new(r.iter().map(convert).collect()));
                let exterior = rs.next().unwrap_or_else(|| geo::LineString::new(vec![]));
                geo::Polygon::new(exterior, rs.collect())
            })
            .collect(),
    );
    match repaired(mp) {
        Ok(mp) => Some(mp),
        Err(e) => {
            problems.push(format!("{label}: invalid geometry: {e}"));
            None
        }
    }
}

/// A MultiPolygon as real boundary files publish it made valid: parts that share an edge or
/// overlap (a county drawn as pieces) are merged into one. What cannot be merged — a ring that
/// crosses itself, a hole outside its polygon — is refused, saying where.
fn repaired(mp: MultiPolygon<f64>) -> Result<MultiPolygon<f64>, String> {
    for (i, p) in mp.0.iter().enumerate() {
        if let Err(e) = p.check_validation() {
            let at = [p.exterior()]
                .into_iter()
                .chain(p.interiors())
                .find_map(self_crossing)
                .map(|c| format!(" near lon {:.6}, lat {:.6} (WGS-84)", c.x, c.y))
                .unwrap_or_default();
            return Err(format!("polygon {}: {e}{at}", i + 1));
        }
    }
    // Each part is valid; their union (shared edges dissolved, overlaps counted once) is valid
    // by construction, so it is not checked again (a ring check compares every pair of segments:
    // slow on a county outline of tens of thousands of points).
    Ok(if mp.0.len() > 1 {
        geo::unary_union(mp.0.iter())
    } else {
        mp
    })
}

/// Where a ring first crosses itself: two of its segments that are not neighbours cross, or
/// overlap along a line. A point repeated in a row is not a crossing.
fn self_crossing(ring: &geo::LineString<f64>) -> Option<geo::Coord<f64>> {
    use geo::line_intersection::{LineIntersection, line_intersection};
    let mut points = ring.0.clone();
    points.dedup();
    let lines: Vec<geo::Line<f64>> = geo::LineString::new(points).lines().collect();
    let n = lines.len();
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            match line_intersection(lines[i], lines[j]) {
                Some(LineIntersection::SinglePoint {
                    intersection,
                    is_proper: true,
                }) => return Some(intersection),
                Some(LineIntersection::SinglePoint { .. }) => {}
                Some(LineIntersection::Collinear { intersection }) => {
                    return Some(intersection.start);
                }
                None => {}
            }
        }
    }
    None
}

/// The areas as GeoJSON features (WGS-84), with their own properties and `extra` ones.
pub fn to_feature(a: &Area, extra: serde_json::Map<String, serde_json::Value>) -> geojson::Feature {
    let mut props = extra;
    props.insert("name".into(), a.name.clone().into());
    props.insert("class".into(), a.class.as_str().into());
    props.insert("county".into(), a.county.clone().into());
    geojson::Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::from(&a.geometry)),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(cs: &str, geometry: &str) -> String {
        format!(
            r#"{{"type":"FeatureCollection","coordinate_system":"{cs}","features":[{{"type":"Feature",
            "properties":{{"name":"城区","class":"city_urban","county":"371502"}},"geometry":{geometry}}}]}}"#
        )
    }

    /// A place given in GCJ-02 lands where the same place is in WGS-84. The reference pair is
    /// the one published with the common GCJ-02 implementations (Tiananmen, Beijing):
    /// WGS-84 (116.404, 39.915) is GCJ-02 (116.41024449916938, 39.91640428150164).
    #[test]
    fn gcj02_lines_up_with_wgs84_within_ten_metres() {
        let (gx, gy) = (116.41024449916938, 39.91640428150164);
        let ring = format!(
            "[[[{gx},{gy}],[{},{gy}],[{},{}],[{gx},{}],[{gx},{gy}]]]",
            gx + 0.01,
            gx + 0.01,
            gy + 0.01,
            gy + 0.01
        );
        let a = parse(
            fc(
                "GCJ-02",
                &format!(r#"{{"type":"Polygon","coordinates":{ring}}}"#),
            )
            .as_bytes(),
        )
        .unwrap();
        let first = a[0].geometry.0[0].exterior().0[0];
        let d = crate::domain::geodesy::distance_m(
            crate::wire::Gps {
                lat: first.y,
                lon: first.x,
            },
            crate::wire::Gps {
                lat: 39.915,
                lon: 116.404,
            },
        );
        assert!(d < 10.0, "{d} m off");
    }

    /// Shaped like the DataV county files: a county drawn as a MultiPolygon whose parts share an
    /// edge, and another whose parts overlap. Both import, merged; the merged area is the sum of
    /// the parts less what they share.
    #[test]
    fn parts_sharing_an_edge_are_merged_as_real_boundary_files_need() {
        let a = parse(include_bytes!(
            "../../tests/fixtures/areas-shared-edge.geojson"
        ))
        .unwrap();
        assert_eq!(a.len(), 2);
        use geo::Area as _;
        // Two 0.1° × 0.1° squares side by side: one polygon of 0.02 square degrees.
        assert_eq!(a[0].geometry.0.len(), 1, "{:?}", a[0].geometry);
        assert!((a[0].geometry.unsigned_area() - 0.02).abs() < 1e-9);
        // Two squares overlapping by half: 0.015 square degrees, counted once.
        assert_eq!(a[1].geometry.0.len(), 1);
        assert!((a[1].geometry.unsigned_area() - 0.015).abs() < 1e-9);
    }

    #[test]
    fn reads_both_datums_and_refuses_what_is_wrong() {
        let square = r#"{"type":"Polygon","coordinates":[[[115.9,36.4],[116.0,36.4],[116.0,36.5],[115.9,36.5],[115.9,36.4]]]}"#;
        let w = parse(fc("WGS-84", square).as_bytes()).unwrap();
        let g = parse(fc("GCJ-02", square).as_bytes()).unwrap();
        // GCJ-02 positions sit a few hundred metres off WGS-84 ones in Liaocheng.
        let (w0, g0) = (
            w[0].geometry.0[0].exterior().0[0],
            g[0].geometry.0[0].exterior().0[0],
        );
        assert!(
            (w0.x - g0.x).abs() > 1e-3 && (w0.x - g0.x).abs() < 1e-2,
            "{w0:?} {g0:?}"
        );

        let err = |cs: &str, geom: &str| parse(fc(cs, geom).as_bytes()).unwrap_err().to_string();
        assert!(err("WGS-84", r#"{"type":"Polygon","coordinates":[[[115.9,36.4],[116.0,36.4],[116.0,36.5],[115.9,36.5]]]}"#).contains("not closed"));
        assert!(err("WGS-84", r#"{"type":"Polygon","coordinates":[[[36.4,115.9],[36.4,116.0],[36.5,116.0],[36.4,115.9]]]}"#).contains("swapped"));
        let bowtie = err(
            "WGS-84",
            r#"{"type":"Polygon","coordinates":[[[115.9,36.4],[116.0,36.5],[116.0,36.4],[115.9,36.5],[115.9,36.4]]]}"#,
        );
        assert!(bowtie.contains("self-intersection"), "{bowtie}");
        // It says where: the two diagonals cross at (115.95, 36.45).
        assert!(
            bowtie.contains("near lon 115.950000, lat 36.450000"),
            "{bowtie}"
        );
        assert!(err("BD-09", square).contains("BD-09"));
        let none = r#"{"type":"FeatureCollection","features":[]}"#;
        assert_eq!(
            parse(none.as_bytes()).unwrap_err(),
            AreaError::NoCoordinateSystem
        );
    }
}
