//! Progress of the 5G+ application pilots on a day: per field against the plan's targets, per
//! lead department and per county; the overdue projects; and those held up by missing 5G, the
//! link between the plan's two goals. Pure: the register, each project's readiness (worked out
//! from coverage by the caller) and the day go in.
//!
//! Rules ([`crate::domain::pilot`]): a project counts from the day it was declared; its stage
//! on a day is the furthest reached by then; accepted or later is done; not done after its
//! deadline is overdue.

use crate::domain::pilot::{Field, Pilot, PilotStage, PilotTarget, Readiness};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Counts over a set of projects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub projects: u64,
    /// Projects at each stage.
    pub stages: BTreeMap<PilotStage, u64>,
    /// Accepted or later.
    pub done: u64,
    /// Under construction (建设).
    pub building: u64,
    pub overdue: u64,
    /// Held up by missing 5G.
    pub blocked: u64,
    /// Investment of the projects, 万元.
    pub investment_wan: f64,
}

impl Tally {
    fn add(&mut self, p: &Pilot, day: NaiveDate, r: Option<&Readiness>) {
        let Some(stage) = p.stage_on(day) else {
            return;
        };
        self.projects += 1;
        *self.stages.entry(stage).or_default() += 1;
        self.done += u64::from(stage.is_done());
        self.building += u64::from(stage == PilotStage::Building);
        self.overdue += u64::from(p.overdue_on(day));
        self.blocked += u64::from(r.is_some_and(Readiness::blocked));
        self.investment_wan += p.investment_wan.unwrap_or(0.0);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldRow {
    pub field: Field,
    /// Projects to be accepted by the deadline; none where the plan names no number.
    pub target: Option<u64>,
    pub deadline: Option<NaiveDate>,
    pub responsible: Vec<String>,
    #[serde(flatten)]
    pub tally: Tally,
    /// `done / target`.
    pub completion: Option<f64>,
}

/// Every field together: the target is the sum of the fields' numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalRow {
    pub target: Option<u64>,
    #[serde(flatten)]
    pub tally: Tally,
    pub completion: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// A department's name or a county code.
    pub key: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// A project in a list, with its stage and readiness on the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PilotRef {
    pub id: String,
    pub name: String,
    pub field: Field,
    pub county: String,
    pub department: String,
    pub stage: PilotStage,
    pub deadline: Option<NaiveDate>,
    pub readiness: Readiness,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PilotProgress {
    pub day: NaiveDate,
    pub fields: Vec<FieldRow>,
    /// Every field together.
    pub total: TotalRow,
    pub departments: Vec<GroupRow>,
    pub counties: Vec<GroupRow>,
    /// Overdue projects, longest past their deadline first.
    pub overdue: Vec<PilotRef>,
    /// Projects held up by missing 5G, by field then code.
    pub blocked: Vec<PilotRef>,
}

pub fn pilot_ref(p: &Pilot, day: NaiveDate, r: Option<&Readiness>) -> Option<PilotRef> {
    Some(PilotRef {
        id: p.id.clone(),
        name: p.name.clone(),
        field: p.field,
        county: p.county.clone(),
        department: p.department.clone(),
        stage: p.stage_on(day)?,
        deadline: p.deadline,
        readiness: r.cloned().unwrap_or_default(),
    })
}

pub fn progress(
    pilots: &[Pilot],
    targets: &[PilotTarget],
    day: NaiveDate,
    readiness: &HashMap<String, Readiness>,
) -> PilotProgress {
    let mut by_field: BTreeMap<Field, Tally> = BTreeMap::new();
    let mut by_dept: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_county: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut overdue = Vec::new();
    let mut blocked = Vec::new();
    for p in pilots.iter().filter(|p| p.known_on(day)) {
        let r = readiness.get(&p.id);
        by_field.entry(p.field).or_default().add(p, day, r);
        by_dept
            .entry(p.department.as_str())
            .or_default()
            .add(p, day, r);
        by_county
            .entry(p.county.as_str())
            .or_default()
            .add(p, day, r);
        total.add(p, day, r);
        if p.overdue_on(day) {
            overdue.extend(pilot_ref(p, day, r));
        }
        if r.is_some_and(Readiness::blocked) {
            blocked.extend(pilot_ref(p, day, r));
        }
    }
    let row = |field: Field, tally: Tally| {
        let t = targets.iter().find(|t| t.field == field);
        let target = t.and_then(|t| t.target);
        FieldRow {
            field,
            target,
            deadline: t.map(|t| t.deadline),
            responsible: t.map(|t| t.responsible.clone()).unwrap_or_default(),
            completion: target
                .filter(|n| *n > 0)
                .map(|n| tally.done as f64 / n as f64),
            tally,
        }
    };
    let fields: Vec<FieldRow> = Field::ALL
        .into_iter()
        .filter_map(|f| {
            let tally = by_field.remove(&f);
            (tally.is_some() || targets.iter().any(|t| t.field == f))
                .then(|| row(f, tally.unwrap_or_default()))
        })
        .collect();
    let target_sum: Option<u64> = {
        let v: Vec<u64> = targets.iter().filter_map(|t| t.target).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let total = TotalRow {
        target: target_sum,
        completion: target_sum
            .filter(|n| *n > 0)
            .map(|n| total.done as f64 / n as f64),
        tally: total,
    };
    overdue.sort_by(|a: &PilotRef, b: &PilotRef| a.deadline.cmp(&b.deadline).then(a.id.cmp(&b.id)));
    blocked.sort_by(|a: &PilotRef, b: &PilotRef| a.field.cmp(&b.field).then(a.id.cmp(&b.id)));
    let groups = |m: BTreeMap<&str, Tally>| {
        m.into_iter()
            .map(|(k, tally)| GroupRow {
                key: k.to_string(),
                tally,
            })
            .collect()
    };
    PilotProgress {
        day,
        fields,
        total,
        departments: groups(by_dept),
        counties: groups(by_county),
        overdue,
        blocked,
    }
}
