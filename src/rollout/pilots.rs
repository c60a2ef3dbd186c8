//! The register of 5G+ application pilots as the bureau keeps it: one row per project, from a
//! CSV (UTF-8, with or without BOM) or an XLSX (its first sheet), with Chinese or English
//! headers. All or nothing, as the site plan: every bad cell is reported with its row number,
//! column, value and what is wrong, and a file with any bad row yields no project.

use super::plan::{PlanError, RowError, parse_county};
use crate::domain::calendar::parse_date;
use crate::domain::pilot::{Field, Pilot, PilotStage};
use crate::wire::Gps;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Columns: key, accepted headers, required.
const COLUMNS: &[(&str, &[&str], bool)] = &[
    ("id", &["项目编号", "编号"], true),
    ("name", &["项目名称", "名称"], true),
    ("field", &["领域", "应用领域"], true),
    ("county", &["区县", "县（市、区）"], true),
    ("department", &["牵头部门", "责任部门"], true),
    ("entity", &["实施单位", "企业或机构"], false),
    ("lat", &["纬度"], false),
    ("lon", &["经度"], false),
    ("sites", &["依托站址", "站址编号"], false),
    ("declared", &["申报日期"], true),
    ("approved", &["立项日期"], false),
    ("building", &["建设日期", "开工日期"], false),
    ("accepted", &["验收日期"], false),
    ("promoted", &["推广日期", "示范推广日期"], false),
    ("deadline", &["完成期限"], false),
    ("evidence", &["文件依据", "佐证材料"], false),
    (
        "investment_wan",
        &["投资（万元）", "投资(万元)", "投资额（万元）"],
        false,
    ),
];

const STAGE_COLUMNS: [(&str, PilotStage); 5] = [
    ("declared", PilotStage::Declared),
    ("approved", PilotStage::Approved),
    ("building", PilotStage::Building),
    ("accepted", PilotStage::Accepted),
    ("promoted", PilotStage::Promoted),
];

fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim();
    COLUMNS
        .iter()
        .find(|(k, zh, _)| k.eq_ignore_ascii_case(h) || zh.contains(&h))
        .map(|(k, _, _)| *k)
}

pub struct ParsedPilots {
    pub pilots: Vec<Pilot>,
    pub ignored_columns: Vec<String>,
}

/// The file's rows as text: an XLSX's first sheet (dates as `YYYY-MM-DD`), else CSV.
fn rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, PlanError> {
    if bytes.starts_with(b"PK") {
        return xlsx_rows(bytes);
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(body);
    let mut out = Vec::new();
    for (i, r) in rdr.byte_records().enumerate() {
        let r = r.map_err(|e| PlanError::Csv(e.to_string()))?;
        let row = r
            .iter()
            .map(|c| {
                std::str::from_utf8(c)
                    .map(str::to_string)
                    .map_err(|_| PlanError::NotUtf8 { row: i + 1 })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(row);
    }
    Ok(out)
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, PlanError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| PlanError::Columns(format!("XLSX: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(PlanError::Empty)?
        .map_err(|e| PlanError::Columns(format!("XLSX: {e}")))?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    Ok(range
        .rows()
        .map(|r| {
            r.iter()
                .map(|d| match d {
                    Data::DateTime(t) => {
                        (epoch + chrono::Duration::days(t.as_f64() as i64)).to_string()
                    }
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
                        format!("{}", *f as i64)
                    }
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect())
}

pub fn parse(bytes: &[u8]) -> Result<ParsedPilots, PlanError> {
    let rows = rows(bytes)?;
    let Some((header, body)) = rows.split_first() else {
        return Err(PlanError::Empty);
    };
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut ignored = Vec::new();
    for (i, h) in header.iter().enumerate() {
        match column_of(h) {
            Some(k) => {
                index.entry(k).or_insert(i);
            }
            None if h.trim().is_empty() => {}
            None => ignored.push(h.trim().to_string()),
        }
    }
    let missing: Vec<String> = COLUMNS
        .iter()
        .filter(|(k, _, required)| *required && !index.contains_key(k))
        .map(|(k, zh, _)| format!("{k} ({})", zh[0]))
        .collect();
    if !missing.is_empty() {
        return Err(PlanError::Columns(format!(
            "required columns are missing: {}",
            missing.join(", ")
        )));
    }
    let mut errors = Vec::new();
    let mut pilots = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, cells) in body.iter().enumerate() {
        let row = i + 2;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |k: &str| {
            index
                .get(k)
                .and_then(|i| cells.get(*i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let before = errors.len();
        let mut fail = |k: &str, v: &str, m: String| {
            errors.push(RowError {
                row,
                column: k.into(),
                value: v.chars().take(200).collect(),
                message: m,
            })
        };
        let mut text = |k: &str, required: bool, max: usize| -> String {
            let v = get(k);
            if v.is_empty() && required {
                fail(k, "", "required; this cell is empty".into());
            } else if v.chars().count() > max {
                fail(k, &v, format!("at most {max} characters"));
            } else if v.chars().any(char::is_control) {
                fail(k, &v, "control characters are not allowed".into());
            }
            v
        };
        let id = text("id", true, 64);
        let name = text("name", true, 200);
        let department = text("department", true, 200);
        let entity = text("entity", false, 200);
        let evidence = text("evidence", false, 500);
        let field_s = get("field");
        let field = Field::parse(&field_s);
        let county = parse_county(&get("county"));
        let mut errs: Vec<(&str, String, String)> = Vec::new();
        if field.is_none() {
            errs.push((
                "field",
                field_s.clone(),
                format!(
                    "not a field of the plan; use one of {}",
                    Field::ALL.map(|f| f.label_zh()).join("、")
                ),
            ));
        }
        if let Err(m) = &county {
            errs.push(("county", get("county"), m.clone()));
        }
        let coord = |k: &str, max: f64| -> Result<Option<f64>, String> {
            let v = get(k);
            if v.is_empty() {
                return Ok(None);
            }
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x.abs() <= max => Ok(Some(x)),
                _ => Err(format!("`{v}` is not a number within ±{max}°")),
            }
        };
        let position = match (coord("lat", 90.0), coord("lon", 180.0)) {
            (Ok(Some(lat)), Ok(Some(lon))) => Some(Gps { lat, lon }),
            (Ok(None), Ok(None)) => None,
            (Ok(_), Ok(_)) => {
                errs.push((
                    "lat",
                    get("lat"),
                    "give both 纬度 and 经度, or neither".into(),
                ));
                None
            }
            (a, b) => {
                for (k, r) in [("lat", a), ("lon", b)] {
                    if let Err(m) = r {
                        errs.push((k, get(k), m));
                    }
                }
                None
            }
        };
        let mut stages = BTreeMap::new();
        let mut last: Option<(PilotStage, chrono::NaiveDate)> = None;
        for (k, stage) in STAGE_COLUMNS {
            let v = get(k);
            if v.is_empty() {
                continue;
            }
            match parse_date(&v) {
                Ok(d) => {
                    if let Some((s, prev)) = last
                        && d < prev
                    {
                        errs.push((
                            k,
                            v.clone(),
                            format!("is before the {} date {prev}", s.as_str()),
                        ));
                    }
                    stages.insert(stage, d);
                    last = Some((stage, d));
                }
                Err(m) => errs.push((k, v.clone(), m)),
            }
        }
        if get("declared").is_empty() {
            errs.push((
                "declared",
                String::new(),
                "required; this cell is empty".into(),
            ));
        }
        let deadline = match get("deadline") {
            v if v.is_empty() => None,
            v => match parse_date(&v) {
                Ok(d) => Some(d),
                Err(m) => {
                    errs.push(("deadline", v, m));
                    None
                }
            },
        };
        let investment_wan = match get("investment_wan") {
            v if v.is_empty() => None,
            v => match v.replace(',', "").parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
                _ => {
                    errs.push(("investment_wan", v, "not an amount in 万元".into()));
                    None
                }
            },
        };
        let sites: Vec<String> = get("sites")
            .split([';', ',', '，', '；', '、', '/', '|', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        for (k, v, m) in errs {
            fail(k, &v, m);
        }
        if !id.is_empty() && !seen.insert(id.clone()) {
            fail("id", &id, "appears twice in the file".into());
        }
        if errors.len() > before {
            continue;
        }
        pilots.push(Pilot {
            id,
            name,
            field: field.expect("checked"),
            county: county.expect("checked"),
            department,
            entity,
            position,
            sites,
            stages,
            deadline,
            evidence,
            investment_wan,
        });
    }
    if !errors.is_empty() {
        return Err(PlanError::Rows(errors));
    }
    Ok(ParsedPilots {
        pilots,
        ignored_columns: ignored,
    })
}

/// What is wrong with a project given whole (through the API), or nothing: the rules a file's
/// row is held to.
pub fn check(p: &Pilot) -> Result<(), String> {
    for (k, v, max, required) in [
        ("id", &p.id, 64, true),
        ("name", &p.name, 200, true),
        ("department", &p.department, 200, true),
        ("entity", &p.entity, 200, false),
        ("evidence", &p.evidence, 500, false),
    ] {
        if required && v.trim().is_empty() {
            return Err(format!("`{k}` is required"));
        }
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err(format!(
                "`{k}` must be at most {max} characters, without control characters"
            ));
        }
    }
    if parse_county(&p.county)? != p.county {
        return Err(format!(
            "`county` must be the 6-digit code, e.g. {}",
            parse_county(&p.county)?
        ));
    }
    if !p.stages.contains_key(&PilotStage::Declared) {
        return Err("`stages` must hold the day it was declared (`declared`)".into());
    }
    let days: Vec<_> = p.stages.values().collect();
    if days.windows(2).any(|w| w[1] < w[0]) {
        return Err("`stages`: a later stage is dated before an earlier one".into());
    }
    if let Some(g) = p.position
        && !(g.lat.abs() <= 90.0 && g.lon.abs() <= 180.0)
    {
        return Err("`position` is outside ±90° / ±180°".into());
    }
    if p.investment_wan.is_some_and(|v| !v.is_finite() || v < 0.0) {
        return Err("`investment_wan` must be an amount of at least 0".into());
    }
    if p.sites.len() > 50 || p.sites.iter().any(|s| s.is_empty() || s.len() > 64) {
        return Err("`sites`: at most 50 site ids of 1 to 64 characters".into());
    }
    Ok(())
}

/// The register as CSV with the Chinese headers it is read back from.
pub fn to_csv(pilots: &[Pilot]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let _ = w.write_record(COLUMNS.iter().map(|(_, zh, _)| zh[0]));
    for p in pilots {
        let date = |s| p.stages.get(&s).map(|d| d.to_string()).unwrap_or_default();
        let _ = w.write_record([
            p.id.clone(),
            p.name.clone(),
            p.field.label_zh().to_string(),
            p.county.clone(),
            p.department.clone(),
            p.entity.clone(),
            p.position.map(|g| g.lat.to_string()).unwrap_or_default(),
            p.position.map(|g| g.lon.to_string()).unwrap_or_default(),
            p.sites.join(";"),
            date(PilotStage::Declared),
            date(PilotStage::Approved),
            date(PilotStage::Building),
            date(PilotStage::Accepted),
            date(PilotStage::Promoted),
            p.deadline.map(|d| d.to_string()).unwrap_or_default(),
            p.evidence.clone(),
            p.investment_wan.map(|v| v.to_string()).unwrap_or_default(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_given_whole_is_held_to_the_rows_rules() {
        let csv = "项目编号,项目名称,领域,区县,牵头部门,申报日期,立项日期\n\
                   P1,远程会诊,智慧医疗,东昌府区,市卫生健康委,2020-03-01,2020-05-01\n";
        let p = parse(csv.as_bytes()).unwrap().pilots.remove(0);
        assert_eq!(check(&p), Ok(()));
        let mut named = p.clone();
        named.county = "东昌府区".into();
        assert!(check(&named).unwrap_err().contains("371502"));
        let mut backwards = p.clone();
        backwards
            .stages
            .insert(PilotStage::Building, "2020-04-01".parse().unwrap());
        backwards
            .stages
            .insert(PilotStage::Accepted, "2020-03-15".parse().unwrap());
        assert!(check(&backwards).unwrap_err().contains("later stage"));
        let mut undeclared = p;
        undeclared.stages.remove(&PilotStage::Declared);
        assert!(check(&undeclared).is_err());
    }

    #[test]
    fn a_file_with_a_bad_row_yields_nothing_and_lists_every_bad_cell() {
        let good = "项目编号,项目名称,领域,区县,牵头部门,申报日期,立项日期,纬度,经度\n\
                    P1,远程会诊,智慧医疗,东昌府区,市卫生健康委,2020-03-01,2020-05-01,36.45,115.98\n";
        let p = parse(good.as_bytes()).unwrap();
        assert_eq!(p.pilots.len(), 1);
        assert_eq!(p.pilots[0].field, Field::Healthcare);
        assert_eq!(p.pilots[0].county, "371502");
        let bad = format!(
            "{good}P2,智慧港口,智慧港口,东昌府区,市交通运输局,2020-03-01,2020-02-01,36.45,\n"
        );
        match parse(bad.as_bytes()) {
            Err(PlanError::Rows(rows)) => {
                let cols: Vec<&str> = rows.iter().map(|r| r.column.as_str()).collect();
                assert_eq!(cols, ["field", "lat", "approved"], "{rows:?}");
                assert!(rows.iter().all(|r| r.row == 3));
            }
            other => panic!("{:?}", other.map(|p| p.pilots.len())),
        }
    }
}
