//! The simulated city's 5G+ application pilots: the plan's named cases first (鲁西化工, 中通客车,
//! 开发区钢管城, the two hospitals' remote consultation, 东昌东路's smart buses), then projects
//! across every field and county up to the plan's targets, each placed next to one of its
//! county's planned sites (or depending on it) so that 5G reaches it when that site comes on
//! air. Each project is registered with its declaration date; [`register`] also returns the later
//! stages, reported as simulated time reaches them.

use super::scenario::SitePlan;
use crate::domain::pilot::{Field, Pilot, PilotStage};
use crate::wire::Gps;
use crate::wire::domain::LIAOCHENG_COUNTIES;
use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

/// A later stage of a project, reported on its day.
#[derive(Debug, Clone, PartialEq)]
pub struct StageEvent {
    pub pilot: String,
    pub stage: PilotStage,
    pub day: NaiveDate,
}

/// (field, how many, lead department, what kind of project).
const FIELDS: [(Field, usize, &str, &str); 10] = [
    (Field::IndustrialPark, 10, "市工业和信息化局", "5G园区专网"),
    (Field::Manufacturing, 10, "市工业和信息化局", "5G智慧工厂"),
    (Field::CultureTourism, 10, "市文化和旅游局", "5G智慧景区"),
    (Field::Agriculture, 5, "市农业农村局", "5G智慧农场"),
    (Field::Healthcare, 10, "市卫生健康委", "5G+远程医疗"),
    (Field::Education, 20, "市教育体育局", "5G智慧课堂"),
    (Field::Transport, 10, "市交通运输局", "5G智慧交通"),
    (Field::Community, 5, "市住房城乡建设局", "5G智慧社区"),
    (Field::Governance, 20, "市大数据局", "5G城市治理"),
    (Field::Grid, 4, "国网聊城供电公司", "5G智能配电"),
];

/// The plan's named cases: (name, field, entity, department).
const NAMED: [(&str, Field, &str, &str); 6] = [
    (
        "鲁西化工5G智慧工厂",
        Field::IndustrialPark,
        "鲁西化工集团",
        "市工业和信息化局",
    ),
    (
        "中通客车5G+无人驾驶",
        Field::Manufacturing,
        "中通客车股份有限公司",
        "市工业和信息化局",
    ),
    (
        "开发区钢管城5G产业园",
        Field::IndustrialPark,
        "聊城经济技术开发区",
        "市工业和信息化局",
    ),
    (
        "聊城市人民医院5G+远程会诊",
        Field::Healthcare,
        "聊城市人民医院",
        "市卫生健康委",
    ),
    (
        "东昌府区人民医院5G+远程会诊",
        Field::Healthcare,
        "东昌府区人民医院",
        "市卫生健康委",
    ),
    (
        "东昌东路5G智慧公交",
        Field::Transport,
        "聊城公交集团",
        "市交通运输局",
    ),
];

/// The register and its later stages, from the city's sites. The same seed gives the same
/// projects.
pub fn register(plans: &[SitePlan], seed: u64) -> (Vec<Pilot>, Vec<StageEvent>) {
    let mut rng = StdRng::seed_from_u64(seed);
    // Pilots go where 5G comes first: next to the first quarter of each county's sites to come
    // on air.
    let mut by_county: BTreeMap<&str, Vec<&SitePlan>> = BTreeMap::new();
    for p in plans {
        by_county.entry(p.info.county.as_str()).or_default().push(p);
    }
    for sites in by_county.values_mut() {
        sites.sort_by_key(|s| (s.reached[4], s.info.site.clone()));
        sites.truncate(sites.len().div_ceil(4));
    }
    let mut pilots = Vec::new();
    let mut events = Vec::new();
    let start = NaiveDate::from_ymd_opt(2020, 2, 1).expect("valid date");
    let mut n = 0usize;
    let mut add = |name: String,
                   field: Field,
                   county: &str,
                   department: &str,
                   entity: String,
                   rng: &mut StdRng| {
        n += 1;
        let id = format!("SF{}{n:03}", start.year());
        let sites = by_county.get(county).map(Vec::as_slice).unwrap_or_default();
        let anchor = (!sites.is_empty()).then(|| sites[rng.random_range(0..sites.len())]);
        // A third depend on the named site; the rest on 5G at their position, some 150 m off.
        let (position, depends) = match anchor {
            Some(a) if n % 3 == 0 => (Some(a.info.position), vec![a.info.site.clone()]),
            Some(a) => (
                Some(Gps {
                    lat: a.info.position.lat + rng.random_range(-0.0014..0.0014),
                    lon: a.info.position.lon + rng.random_range(-0.0014..0.0014),
                }),
                Vec::new(),
            ),
            None => (None, Vec::new()),
        };
        let declared = start + Duration::days(rng.random_range(0..540));
        let mut day = declared;
        let stages = BTreeMap::from([(PilotStage::Declared, declared)]);
        for stage in &PilotStage::ALL[1..] {
            // Some projects stall at a stage and never go further.
            if rng.random_bool(0.08) {
                break;
            }
            day += Duration::days(rng.random_range(30..240));
            events.push(StageEvent {
                pilot: id.clone(),
                stage: *stage,
                day,
            });
        }
        let deadline = declared + Duration::days(rng.random_range(365..900));
        pilots.push(Pilot {
            id,
            name,
            field,
            county: county.to_string(),
            department: department.to_string(),
            entity,
            position,
            sites: depends,
            stages,
            deadline: Some(deadline),
            evidence: String::new(),
            investment_wan: Some(f64::from(rng.random_range(5u32..500)) * 10.0),
        });
    };
    for (name, field, entity, dept) in NAMED {
        add(
            name.to_string(),
            field,
            "371502",
            dept,
            entity.to_string(),
            &mut rng,
        );
    }
    for (field, count, dept, what) in FIELDS {
        let named = NAMED.iter().filter(|c| c.1 == field).count();
        for i in named..count {
            let (county, county_name, _) = LIAOCHENG_COUNTIES[i % LIAOCHENG_COUNTIES.len()];
            add(
                format!("{county_name}{what}（{}）", i + 1),
                field,
                county,
                dept,
                format!("{county_name}{what}实施单位"),
                &mut rng,
            );
        }
    }
    events.sort_by(|a, b| a.day.cmp(&b.day).then_with(|| a.pilot.cmp(&b.pilot)));
    (pilots, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_reaches_the_plans_targets_with_its_named_cases() {
        let plans = super::super::scenario::liaocheng(400, 2020);
        let (pilots, events) = register(&plans, 7);
        assert_eq!(pilots.len(), 104);
        assert!(pilots.iter().any(|p| p.name == "中通客车5G+无人驾驶"));
        // Each project's stages come after its declaration, in order.
        for p in &pilots {
            let mut last = p.stages[&PilotStage::Declared];
            for e in events.iter().filter(|e| e.pilot == p.id) {
                assert!(e.day > last);
                last = e.day;
            }
        }
        assert_eq!(register(&plans, 7), (pilots, events));
    }
}
