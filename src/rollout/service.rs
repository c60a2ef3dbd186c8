//! The writes people make — plan imports, milestones, obstacles, closing a month — and the
//! monthly checklist. Each write is checked, stored with its audit entry in the control store,
//! and then shown in the live state. The API, the command line and the demo all go through here.

use super::plan::{self, PlanError};
use crate::checklist::build::{self, BuildError, Input, Ops, SiteFacts};
use crate::checklist::{Checklist, Closed, UnplannedSite};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::coverage::engine::Engine;
use crate::coverage::grid::{Candidate, Footprint, Grid};
use crate::coverage::report::{self, Report, SiteInput};
use crate::domain::actor::Actor;
use crate::domain::boundary::{self, Boundary};
use crate::domain::calendar::{Month, local_date};
use crate::domain::figures;
use crate::domain::geodesy::distance_m;
use crate::domain::milestone::{Milestone, NewMilestone, parse_when};
use crate::domain::objection::{Correction, Decision, NewObjection, Objection, correction};
use crate::domain::obstacle::{NewObstacle, Obstacle, ObstaclePatch};
use crate::domain::pilot::{Pilot, PilotStage, Readiness};
use crate::domain::site::PlannedSite;
use crate::domain::timeline::{Source, StageEvent};
use crate::state::{self, SharedRegistry};
use crate::store::StoreError;
use crate::store::control::{AuditEntry, ClosedMonth, ControlStore, ImportReport};
use crate::views::monthly::{self, Monthly};
use crate::views::pilots::PilotProgress;
use crate::views::progress::{self, Progress};
use crate::views::replay::{self, AreaThen, Replay};
use crate::wire::{Band, Operator, SiteKind};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use std::sync::Arc;

/// Today in Liaocheng, the pilot projects, and whether 5G reaches each, by code.
pub type PilotsNow = (
    chrono::NaiveDate,
    Vec<Pilot>,
    std::collections::HashMap<String, Readiness>,
);

/// Why a write or a view was refused, with what a reader needs to put it right. The API maps
/// each cause to an HTTP status in one place ([`crate::api::error`]).
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("site `{0}` is not in the plan and no agent has reported it; import the plan first")]
    UnknownSite(String),
    #[error("site {site} has no obstacle {id}")]
    UnknownObstacle { site: String, id: i64 },
    #[error("there is no objection {0}")]
    UnknownObjection(i64),
    #[error("there is no pilot project `{0}`; import the register first")]
    UnknownPilot(String),
    #[error("`{0}` is required")]
    Required(&'static str),
    #[error("`{field}` is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    /// A date or time a person wrote that cannot be read, or a value a rule refuses (the
    /// sentence says which and why).
    #[error("{0}")]
    Value(String),
    #[error("`date` {0} is in the future; report a stage once it is reached")]
    FutureStage(String),
    #[error("site {site} was at stage `{was}` then; a step back to `{to}` needs a `reason`")]
    StepBackNeedsReason {
        site: String,
        was: crate::wire::Stage,
        to: crate::wire::Stage,
    },
    #[error("decision `{0}` is unknown; use accept or reject")]
    UnknownDecision(String),
    #[error(transparent)]
    Areas(#[from] crate::domain::area::AreaError),
    #[error("there is no target area `{0}`")]
    UnknownArea(String),
    #[error(transparent)]
    NotStarted(#[from] BuildError),
    #[error("month {month} has not ended yet; it can be closed from {from} on")]
    MonthNotOver {
        month: Month,
        from: chrono::NaiveDate,
    },
    #[error("month {0} is closed already")]
    MonthClosed(Month),
    #[error("obstacle {id} was resolved on {on} already")]
    ObstacleResolved { id: i64, on: chrono::NaiveDate },
    #[error("objection {id} was {status} already")]
    ObjectionDecided { id: i64, status: String },
    /// The plan file has bad rows (listed) or cannot be read.
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long proposed positions are reused.
const CANDIDATES_FRESH: std::time::Duration = std::time::Duration::from_secs(10);

type CandidatesCache = std::collections::HashMap<
    String,
    (std::time::Instant, Arc<Vec<Grid>>, Arc<Vec<AreaCandidates>>),
>;

/// Proposed positions for new sites in one area.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AreaCandidates {
    pub area: String,
    pub county: String,
    pub class: crate::domain::area::AreaClass,
    /// Covered share now, 0–1.
    pub share: f64,
    pub continuous: bool,
    /// Each position in the order chosen, with the share it adds.
    pub candidates: Vec<Candidate>,
    /// The share with every candidate on air.
    pub share_after: f64,
}

/// Longest free text accepted in notes, descriptions and reasons.
const TEXT_MAX: usize = 2000;

fn check_text(field: &'static str, v: &str, required: bool) -> Result<(), RolloutError> {
    if required && v.trim().is_empty() {
        return Err(RolloutError::Required(field));
    }
    if v.chars().count() > TEXT_MAX {
        return Err(RolloutError::TooLong {
            field,
            max: TEXT_MAX,
        });
    }
    Ok(())
}

#[derive(Clone)]
pub struct Rollout {
    control: Arc<ControlStore>,
    /// The target areas' grids, for coverage.
    coverage: Arc<Engine>,
    /// Candidate positions lately proposed, by query, with the grids they are for.
    candidates_cache: Arc<std::sync::Mutex<CandidatesCache>>,
    registry: SharedRegistry,
    clock: SharedClock,
    config: Arc<Config>,
}

impl Rollout {
    /// The time by this service's clock, to the millisecond as the store keeps times: what is
    /// stored and what the live state holds are the same instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(3)
    }

    pub fn new(
        control: Arc<ControlStore>,
        registry: SharedRegistry,
        clock: SharedClock,
        config: Arc<Config>,
    ) -> Rollout {
        Rollout {
            control,
            coverage: Arc::new(Engine::default()),
            candidates_cache: Arc::default(),
            registry,
            clock,
            config,
        }
    }

    /// For commands run beside (or without) a collector: the live state is rebuilt from the
    /// store the configuration names.
    pub fn open(config: Config, clock: SharedClock) -> Result<Rollout, StoreError> {
        let path = config.store.path.clone();
        let control = Arc::new(ControlStore::open(&path)?);
        let reader = crate::store::sqlite::SqliteReader::open(&path)?;
        let registry = crate::state::Registry::from_snapshot(
            crate::store::telemetry::Telemetry::snapshot(&reader)?,
        );
        let r = Rollout::new(
            control,
            Arc::new(std::sync::RwLock::new(registry)),
            clock,
            Arc::new(config),
        );
        r.load()?;
        Ok(r)
    }

    /// Progress against the targets now ([`crate::views::progress`]).
    pub fn progress(&self) -> Progress {
        let now = self.now();
        progress::progress(
            state::read(&self.registry).sites(),
            &self.config.targets,
            &self.config.tasks,
            now,
        )
    }

    /// Sites on air at the end of each month up to now ([`crate::views::monthly`]).
    pub fn monthly(&self) -> Monthly {
        let now = self.now();
        monthly::monthly(
            state::read(&self.registry).sites(),
            &self.config.targets,
            &self.config.tasks,
            now,
        )
    }

    /// The rollout at the end of `month` ([`crate::views::replay`]): stages, progress and the
    /// areas' coverage then. A month not begun yet is refused.
    pub fn month_replay(&self, month: Month) -> Result<Replay, RolloutError> {
        let now = self.now();
        if month > Month::of(local_date(now)) {
            return Err(RolloutError::Value(format!(
                "{month} has not begun; the replay shows months up to this one"
            )));
        }
        let at = figures::month_instant(month, now);
        let areas = self
            .coverage_at(at, now)
            .areas
            .iter()
            .map(|a| AreaThen {
                name: a.name.clone(),
                county: a.county.clone(),
                covered_share: a.covered_share,
                continuous: a.continuous,
            })
            .collect();
        Ok(replay::replay(
            state::read(&self.registry).sites(),
            &self.config.targets,
            &self.config.tasks,
            month,
            now,
            areas,
        ))
    }

    /// The county boundaries the map draws: the city's own, once imported, or the shipped ones.
    pub fn boundaries(&self) -> Result<(Vec<Boundary>, bool), RolloutError> {
        let own = self.control.boundaries()?;
        Ok(if own.is_empty() {
            (boundary::shipped().to_vec(), true)
        } else {
            (own, false)
        })
    }

    /// Replaces the county boundaries by a GeoJSON file's (WGS-84 or GCJ-02 as it declares):
    /// all its counties or none.
    pub fn import_boundaries(
        &self,
        bytes: &[u8],
        source: &str,
        actor: &Actor,
    ) -> Result<ImportReport, RolloutError> {
        let b = boundary::parse(bytes)?;
        Ok(self
            .control
            .replace_boundaries(&b, source, actor, self.now())?)
    }

    /// A site's milestones, or everyone's.
    pub fn milestones(&self, site: Option<&str>) -> Result<Vec<Milestone>, RolloutError> {
        Ok(self.control.milestones(site)?)
    }

    /// A site's obstacles, or everyone's.
    pub fn obstacles(&self, site: Option<&str>) -> Result<Vec<Obstacle>, RolloutError> {
        Ok(self.control.obstacles(site)?)
    }

    /// A site's objections, or everyone's.
    pub fn objections(&self, site: Option<&str>) -> Result<Vec<Objection>, RolloutError> {
        Ok(self.control.objections(site)?)
    }

    /// The months closed so far.
    pub fn closed_months(&self) -> Result<Vec<ClosedMonth>, RolloutError> {
        Ok(self.control.closed_months()?)
    }

    /// The audit trail, newest first: `limit` entries with ids below `before`.
    pub fn audit(&self, before: i64, limit: u32) -> Result<Vec<AuditEntry>, RolloutError> {
        Ok(self.control.audit_before(before, limit)?)
    }

    /// Changes whenever the plan is imported or corrected.
    pub fn plan_version(&self) -> Result<i64, RolloutError> {
        Ok(self.control.plan_version()?)
    }

    /// The stored plan.
    pub fn plan(&self) -> Result<Vec<PlannedSite>, RolloutError> {
        Ok(self.control.plan()?)
    }

    /// The target areas' grids.
    pub fn grids(&self) -> Arc<Vec<Grid>> {
        self.coverage.grids()
    }

    /// Coverage of every area now and each target's coverage goal: new footprints are added to
    /// the kept marks, and the report is reused for a second.
    pub fn coverage(&self) -> Arc<Report> {
        let now = self.now();
        self.coverage.report(|grids| {
            let (sites, on_air) = self.coverage_sites(now, None);
            let footprints = report::footprints(grids, &sites, &self.config.coverage);
            report::report(
                grids,
                self.coverage.cover(grids, &footprints),
                &self.config.coverage,
                &self.config.targets,
                &on_air,
                &sites,
            )
        })
    }

    /// Coverage now by one carrier's sites (a shared site counts for each carrier on it), or by
    /// every site. A carrier's report is computed afresh, and reused for a second.
    /// Coverage at `at`: the live report (as the map shows it) when `at` is now; at an earlier
    /// instant, whose telemetry is not kept, a site radiates by its stage alone
    /// ([`crate::domain::site::Site::radiates`] without the offline rule).
    pub fn coverage_at(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Arc<Report> {
        if at >= now {
            return self.coverage();
        }
        self.report_anew(&format!("at {at}"), at, None, None)
    }

    pub fn coverage_of(&self, operator: Option<Operator>) -> Arc<Report> {
        let Some(op) = operator else {
            return self.coverage();
        };
        self.report_anew(op.as_str(), self.now(), Some(op), self.live_offline())
    }

    /// A report computed from scratch (the live report's kept marks stay as they are), cached
    /// briefly under `key`.
    fn report_anew(
        &self,
        key: &str,
        at: DateTime<Utc>,
        operator: Option<Operator>,
        offline: Option<u32>,
    ) -> Arc<Report> {
        self.coverage.report_for(key, |grids| {
            let (sites, on_air) = self.coverage_sites_at(at, operator, offline);
            let footprints: Vec<Footprint> =
                report::footprints(grids, &sites, &self.config.coverage)
                    .into_iter()
                    .map(|(_, f)| f)
                    .collect();
            report::report(
                grids,
                grids.iter().map(|g| g.cover(&footprints)).collect(),
                &self.config.coverage,
                &self.config.targets,
                &on_air,
                &sites,
            )
        })
    }

    /// Up to `n` positions for new sites in each area short of its goal (or in `area` only),
    /// for sites of `kind` on `band` (the radius the area's class gives them), each covering the
    /// most ground still uncovered by the radiating sites (of `operator`, if given) and the
    /// candidates before it. Kept for ten seconds: the search is the heaviest the map asks for.
    pub fn candidates(
        &self,
        area: Option<&str>,
        n: usize,
        band: Band,
        kind: SiteKind,
        operator: Option<Operator>,
    ) -> Result<Arc<Vec<AreaCandidates>>, RolloutError> {
        let cfg = &self.config.coverage;
        let grids = self.coverage.grids();
        if let Some(a) = area
            && !grids.iter().any(|g| g.area.name == a)
        {
            return Err(RolloutError::UnknownArea(a.to_string()));
        }
        if grids.iter().all(|g| {
            crate::coverage::footprint::radius_m(kind, &[band], Some(g.area.class), cfg) <= 0.0
        }) {
            return Err(RolloutError::Value(format!(
                "a site of kind `{}` adds no outdoor footprint; propose macro, micro or pole sites",
                kind.as_str()
            )));
        }
        let key = format!(
            "{}|{n}|{}|{}|{}",
            area.unwrap_or(""),
            band.as_str(),
            kind.as_str(),
            operator.map_or("", Operator::as_str)
        );
        {
            let cache = self
                .candidates_cache
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some((at, g, c)) = cache.get(&key)
                && Arc::ptr_eq(g, &grids)
                && at.elapsed() < CANDIDATES_FRESH
            {
                return Ok(c.clone());
            }
        }
        let report = self.coverage_of(operator);
        let (sites, _) = self.coverage_sites(self.now(), operator);
        let footprints = report::footprints(&grids, &sites, cfg);
        let list: Vec<AreaCandidates> = grids
            .iter()
            .filter_map(|g| {
                let a = report.areas.iter().find(|a| a.name == g.area.name)?;
                let wanted = match area {
                    Some(name) => g.area.name == name,
                    None => !a.continuous,
                };
                wanted.then_some((g, a))
            })
            .map(|(g, a)| {
                let mut marks = g.marks();
                for (_, f) in &footprints {
                    g.add(&mut marks, f);
                }
                let radius =
                    crate::coverage::footprint::radius_m(kind, &[band], Some(g.area.class), cfg);
                let candidates = g.candidates(&marks, radius, n);
                AreaCandidates {
                    area: g.area.name.clone(),
                    county: g.area.county.clone(),
                    class: g.area.class,
                    share: g.share(&marks),
                    share_after: candidates.last().map_or(g.share(&marks), |c| c.share_after),
                    continuous: a.continuous,
                    candidates,
                }
            })
            .collect();
        let list = Arc::new(list);
        self.candidates_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (std::time::Instant::now(), grids, list.clone()));
        Ok(list)
    }

    /// The sites as coverage sees them at `now` (of one carrier, or all), and each target's
    /// sites on air by its deadline.
    fn coverage_sites(
        &self,
        now: DateTime<Utc>,
        operator: Option<Operator>,
    ) -> (Vec<SiteInput>, Vec<u64>) {
        self.coverage_sites_at(now, operator, self.live_offline())
    }

    /// The offline rule live coverage applies (`coverage.radiating_only`), if it does.
    fn live_offline(&self) -> Option<u32> {
        self.config
            .coverage
            .radiating_only
            .then_some(self.config.alarms.offline_intervals)
    }

    /// [`Self::coverage_sites`] with the offline rule given (`None`: stage alone).
    fn coverage_sites_at(
        &self,
        now: DateTime<Utc>,
        operator: Option<Operator>,
        offline: Option<u32>,
    ) -> (Vec<SiteInput>, Vec<u64>) {
        let reg = state::read(&self.registry);
        let sites = reg
            .iter()
            // Coverage is a figure: the plan's sites count, as everywhere (domain::figures).
            .filter(|(_, e)| e.counts())
            .filter(|(_, e)| operator.is_none_or(|o| e.operators().contains(&o)))
            .filter_map(|(id, e)| {
                Some(SiteInput {
                    site: id.clone(),
                    position: e.position()?,
                    kind: e.kind(),
                    bands: e.bands(),
                    covers: e.radiates(now, offline),
                })
            })
            .collect();
        (
            sites,
            progress::on_air_by_target(reg.sites(), &self.config.targets, now, operator),
        )
    }

    /// Loads the stored plan, milestones and areas into the live state (at start). Returns
    /// the versions of plan and areas.
    pub fn load(&self) -> Result<(i64, i64), StoreError> {
        let areas_version = self.control.areas_version()?;
        self.coverage
            .set_areas(self.control.areas()?, self.config.coverage.cell_m);
        let version = self.control.plan_version()?;
        let plan = self.control.plan()?;
        let milestones = self.control.milestones(None)?;
        let mut reg = state::write(&self.registry);
        reg.set_plan(plan);
        for m in milestones {
            reg.apply_milestone(&m.site, event(&m));
        }
        for o in self.control.objections(None)? {
            if o.status == "open" {
                reg.objection_opened(&o.site, 1);
            }
        }
        Ok((version, areas_version))
    }

    /// Reloads the plan and the areas if another process imported them since `known` (plan,
    /// areas versions); returns the versions now.
    pub fn reload_if_changed(&self, known: (i64, i64)) -> Result<(i64, i64), StoreError> {
        let version = self.control.plan_version()?;
        if version != known.0 {
            let plan = self.control.plan()?;
            state::write(&self.registry).set_plan(plan);
            tracing::info!(version, "site plan reloaded");
        }
        let areas_version = self.control.areas_version()?;
        if areas_version != known.1 {
            self.coverage
                .set_areas(self.control.areas()?, self.config.coverage.cell_m);
            tracing::info!(version = areas_version, "target areas reloaded");
        }
        Ok((version, areas_version))
    }

    /// Imports target areas from GeoJSON: all features or none.
    pub fn import_areas(
        &self,
        bytes: &[u8],
        source: &str,
        actor: &Actor,
    ) -> Result<ImportReport, RolloutError> {
        let areas = crate::domain::area::parse(bytes)?;
        let report = self
            .control
            .import_areas(&areas, source, actor, self.now())?;
        self.coverage
            .set_areas(self.control.areas()?, self.config.coverage.cell_m);
        Ok(report)
    }

    /// Imports a plan file: all rows or none.
    pub fn import(
        &self,
        bytes: &[u8],
        source: &str,
        actor: &Actor,
        progress: &dyn Fn(u64, u64),
    ) -> Result<(ImportReport, Vec<String>), RolloutError> {
        let parsed = plan::parse(bytes, progress)?;
        let report =
            self.control
                .import_plan(&parsed.sites, source, actor, self.now(), progress)?;
        let plan = self.control.plan()?;
        state::write(&self.registry).set_plan(plan);
        Ok((report, parsed.ignored_columns))
    }

    /// Imports the register of 5G+ application pilots (CSV or XLSX): all or nothing; projects
    /// already registered are updated by their code.
    pub fn import_pilots(
        &self,
        bytes: &[u8],
        source: &str,
        actor: &Actor,
    ) -> Result<(ImportReport, Vec<String>), RolloutError> {
        let parsed = super::pilots::parse(bytes)?;
        let report =
            self.control
                .put_pilots(&parsed.pilots, "pilots.import", source, actor, self.now())?;
        Ok((report, parsed.ignored_columns))
    }

    /// Adds or replaces one project (given whole, through the API).
    pub fn put_pilot(&self, p: Pilot, actor: &Actor) -> Result<Pilot, RolloutError> {
        super::pilots::check(&p).map_err(RolloutError::Value)?;
        let id = p.id.clone();
        self.control.put_pilots(
            std::slice::from_ref(&p),
            "pilot.put",
            &id,
            actor,
            self.now(),
        )?;
        Ok(p)
    }

    pub fn pilots(&self) -> Result<Vec<Pilot>, RolloutError> {
        Ok(self.control.pilots()?)
    }

    /// Records that a project reached `stage` on `date` (by default today in Liaocheng), with a
    /// document reference if given. A stage is not dated before an earlier one or after today.
    pub fn report_pilot_stage(
        &self,
        id: &str,
        stage: PilotStage,
        date: Option<&str>,
        evidence: Option<&str>,
        actor: &Actor,
    ) -> Result<Pilot, RolloutError> {
        let now = self.now();
        let today = local_date(now);
        let day = match date {
            Some(d) => crate::domain::calendar::parse_date(d).map_err(RolloutError::Value)?,
            None => today,
        };
        if day > today {
            return Err(RolloutError::FutureStage(day.to_string()));
        }
        let mut p = self
            .control
            .pilots()?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| RolloutError::UnknownPilot(id.to_string()))?;
        if let Some((s, d)) = p.stages.iter().find(|(s, d)| **s < stage && **d > day) {
            return Err(RolloutError::Value(format!(
                "`date` {day} is before the project reached `{}` on {d}",
                s.as_str()
            )));
        }
        if let Some((s, d)) = p.stages.iter().find(|(s, d)| **s > stage && **d < day) {
            return Err(RolloutError::Value(format!(
                "`date` {day} is after the project reached the later stage `{}` on {d}",
                s.as_str()
            )));
        }
        p.stages.insert(stage, day);
        if let Some(e) = evidence.map(str::trim).filter(|e| !e.is_empty()) {
            check_text("evidence", e, false)?;
            p.evidence = if p.evidence.is_empty() {
                e.to_string()
            } else {
                format!("{}；{e}", p.evidence)
            };
        }
        self.control
            .put_pilots(std::slice::from_ref(&p), "pilot.stage", id, actor, now)?;
        Ok(p)
    }

    /// The register as it stands now: today in Liaocheng, the projects, and whether 5G reaches
    /// each ([`Self::pilot_readiness`]).
    pub fn pilots_now(&self) -> Result<PilotsNow, RolloutError> {
        let now = self.now();
        let pilots = self.pilots()?;
        let readiness = self.pilot_readiness(&pilots, now);
        Ok((local_date(now), pilots, readiness))
    }

    /// Whether 5G reaches each project at `at`: as the map shows it when `at` is now; at an
    /// earlier instant, sites radiate by their stage alone.
    pub fn pilot_readiness(
        &self,
        pilots: &[Pilot],
        at: DateTime<Utc>,
    ) -> std::collections::HashMap<String, Readiness> {
        let offline = if at >= self.now() {
            self.live_offline()
        } else {
            None
        };
        let grids = self.coverage.grids();
        let (sites, _) = self.coverage_sites_at(at, None, offline);
        let footprints = report::footprints(&grids, &sites, &self.config.coverage);
        let reg = state::read(&self.registry);
        crate::coverage::reach::readiness(pilots, &footprints, &|id| {
            reg.get(id).is_some_and(|e| e.stage_at(at).is_on_air())
        })
    }

    /// The pilots' progress at `at` (its day in Liaocheng).
    pub fn pilot_progress(&self, at: DateTime<Utc>) -> Result<PilotProgress, RolloutError> {
        Ok(self.pilot_progress_of(&self.control.pilots()?, at))
    }

    fn pilot_progress_of(&self, pilots: &[Pilot], at: DateTime<Utc>) -> PilotProgress {
        crate::views::pilots::progress(
            pilots,
            &self.config.pilot_targets,
            local_date(at),
            &self.pilot_readiness(pilots, at),
        )
    }

    /// A site's position, and its stage at `at` by everything known of it (the live state holds
    /// its whole timeline, as the store does).
    fn site_at(
        &self,
        site: &str,
        at: DateTime<Utc>,
    ) -> Result<(Option<crate::wire::Gps>, crate::wire::Stage), RolloutError> {
        let reg = state::read(&self.registry);
        let e = reg.get(site).ok_or_else(|| unknown_site(site))?;
        Ok((e.position(), e.stage_at(at)))
    }

    /// Records a person's stage report.
    pub fn report_milestone(
        &self,
        site: &str,
        m: NewMilestone,
        actor: &Actor,
    ) -> Result<Milestone, RolloutError> {
        self.report_milestone_once(site, m, actor, None)
    }

    /// [`Self::report_milestone`] under a client's idempotency key: a request sent again with
    /// the same key (a phone retrying after the network dropped) gets the milestone the first
    /// one made and records nothing more.
    pub fn report_milestone_once(
        &self,
        site: &str,
        m: NewMilestone,
        actor: &Actor,
        request: Option<&str>,
    ) -> Result<Milestone, RolloutError> {
        if let Some((what, id)) = self.replay(request)? {
            if what == "milestone"
                && let Some(done) = self
                    .control
                    .milestones(Some(site))?
                    .into_iter()
                    .find(|m| m.id == id)
            {
                return Ok(done);
            }
            return Err(RolloutError::Value(format!(
                "Idempotency-Key was used for another request ({what} {id})"
            )));
        }
        let reporter = reporter_or(&m.reporter, actor);
        check_text("reporter", &reporter, true)?;
        check_text("note", &m.note, false)?;
        let now = self.now();
        let at = match &m.date {
            Some(d) => parse_when(d).map_err(RolloutError::Value)?.trunc_subsecs(3),
            None => now,
        };
        if at > now + Duration::days(1) {
            return Err(RolloutError::FutureStage(
                m.date.clone().unwrap_or_default(),
            ));
        }
        if let Some(p) = m.position
            && (!p.lat.is_finite()
                || !p.lon.is_finite()
                || p.lat.abs() > 90.0
                || p.lon.abs() > 180.0)
        {
            return Err(RolloutError::Value(
                "`position` needs lat within ±90 and lon within ±180 (WGS-84 degrees)".into(),
            ));
        }
        let (site_pos, before) = self.site_at(site, at)?;
        let reason = m.reason.filter(|r| !r.trim().is_empty());
        if m.stage < before && reason.is_none() {
            return Err(RolloutError::StepBackNeedsReason {
                site: site.to_string(),
                was: before,
                to: m.stage,
            });
        }
        if let Some(r) = &reason {
            check_text("reason", r, false)?;
        }
        let distance = m.position.zip(site_pos).map(|(a, b)| distance_m(a, b));
        let flagged = distance.is_none_or(|d| d > self.config.rollout.milestone_max_distance_m);
        let milestone = Milestone {
            id: 0,
            site: site.to_string(),
            stage: m.stage,
            at,
            note: m.note,
            reporter,
            position: m.position,
            distance_m: distance.map(|d| d.round()),
            flagged,
            reason,
            recorded: now,
        };
        let stored = self
            .control
            .add_milestone_once(&milestone, actor, request)?;
        state::write(&self.registry).apply_milestone(site, event(&stored));
        Ok(stored)
    }

    pub fn open_obstacle(
        &self,
        site: &str,
        o: NewObstacle,
        actor: &Actor,
    ) -> Result<Obstacle, RolloutError> {
        self.open_obstacle_once(site, o, actor, None)
    }

    /// [`Self::open_obstacle`] under a client's idempotency key (see
    /// [`Self::report_milestone_once`]).
    pub fn open_obstacle_once(
        &self,
        site: &str,
        o: NewObstacle,
        actor: &Actor,
        request: Option<&str>,
    ) -> Result<Obstacle, RolloutError> {
        if let Some((what, id)) = self.replay(request)? {
            if what == "obstacle"
                && let Some(done) = self.control.obstacle(id)?.filter(|o| o.site == site)
            {
                return Ok(done);
            }
            return Err(RolloutError::Value(format!(
                "Idempotency-Key was used for another request ({what} {id})"
            )));
        }
        check_text("description", &o.description, true)?;
        check_text("responsible_unit", &o.responsible_unit, true)?;
        let reporter = reporter_or(&o.reporter, actor);
        check_text("reporter", &reporter, true)?;
        if state::read(&self.registry).get(site).is_none() {
            return Err(unknown_site(site));
        }
        let now = self.now();
        let opened = o.opened.unwrap_or_else(|| local_date(now));
        if opened > local_date(now) {
            return Err(RolloutError::Value("`opened` is in the future".into()));
        }
        let due = o.due.unwrap_or_else(|| {
            opened + Duration::days(i64::from(self.config.rollout.obstacle_days.of(o.kind)))
        });
        if due < opened {
            return Err(RolloutError::Value("`due` is before `opened`".into()));
        }
        let obstacle = Obstacle {
            id: 0,
            site: site.to_string(),
            kind: o.kind,
            description: o.description,
            responsible_unit: o.responsible_unit,
            opened,
            due,
            resolved: None,
            resolution: None,
            reporter,
        };
        Ok(self
            .control
            .add_obstacle_once(&obstacle, actor, now, request)?)
    }

    /// What an earlier request with this idempotency key made, if one did.
    fn replay(&self, request: Option<&str>) -> Result<Option<(String, i64)>, RolloutError> {
        match request {
            Some(key) => {
                check_text("Idempotency-Key", key, true)?;
                Ok(self.control.request(key)?)
            }
            None => Ok(None),
        }
    }

    pub fn update_obstacle(
        &self,
        site: &str,
        id: i64,
        p: ObstaclePatch,
        actor: &Actor,
    ) -> Result<Obstacle, RolloutError> {
        check_text("reporter", &reporter_or(&p.reporter, actor), true)?;
        let before = self
            .control
            .obstacle(id)?
            .filter(|o| o.site == site)
            .ok_or_else(|| RolloutError::UnknownObstacle {
                site: site.to_string(),
                id,
            })?;
        let mut after = before.clone();
        if let Some(d) = p.description {
            check_text("description", &d, true)?;
            after.description = d;
        }
        if let Some(u) = p.responsible_unit {
            check_text("responsible_unit", &u, true)?;
            after.responsible_unit = u;
        }
        if let Some(d) = p.due {
            if d < after.opened {
                return Err(RolloutError::Value("`due` is before `opened`".into()));
            }
            after.due = d;
        }
        let now = self.now();
        if let Some(r) = p.resolved {
            if let Some(on) = before.resolved {
                return Err(RolloutError::ObstacleResolved { id, on });
            }
            if r < after.opened || r > local_date(now) {
                return Err(RolloutError::Value(
                    "`resolved` must be between the day it was opened and today".into(),
                ));
            }
            let note = p.resolution.clone().unwrap_or_default();
            check_text("resolution", &note, true)?;
            after.resolved = Some(r);
            after.resolution = Some(note);
        } else if let Some(note) = p.resolution {
            check_text("resolution", &note, false)?;
            after.resolution = Some(note);
        }
        if after == before {
            return Ok(before);
        }
        self.control.update_obstacle(&before, &after, actor, now)?;
        Ok(after)
    }

    /// Files an objection to a site's data; the site shows it at once.
    pub fn object(
        &self,
        site: &str,
        o: NewObjection,
        actor: &Actor,
    ) -> Result<Objection, RolloutError> {
        check_text("reason", &o.reason, true)?;
        let plan = {
            let reg = state::read(&self.registry);
            reg.get(site)
                .ok_or_else(|| unknown_site(site))?
                .plan
                .clone()
        };
        correction(&o.field, &o.proposed, plan.as_deref()).map_err(RolloutError::Value)?;
        let stored = self.control.add_objection(
            &Objection {
                id: 0,
                site: site.to_string(),
                field: o.field,
                proposed: o.proposed,
                reason: o.reason,
                by: actor.who.clone(),
                at: self.now(),
                status: "open".into(),
                decided_by: None,
                decided_at: None,
                decision: None,
            },
            actor,
        )?;
        state::write(&self.registry).objection_opened(site, 1);
        Ok(stored)
    }

    /// Accepts (the correction is applied) or rejects an objection, with a reason.
    pub fn decide(&self, id: i64, d: Decision, actor: &Actor) -> Result<Objection, RolloutError> {
        check_text("reason", &d.reason, true)?;
        let accepted = match d.decision.as_str() {
            "accept" => true,
            "reject" => false,
            other => return Err(RolloutError::UnknownDecision(other.to_string())),
        };
        let o = self
            .control
            .objection(id)?
            .ok_or(RolloutError::UnknownObjection(id))?;
        if o.status != "open" {
            return Err(RolloutError::ObjectionDecided {
                id,
                status: o.status,
            });
        }
        let now = self.now();
        let plan = state::read(&self.registry)
            .get(&o.site)
            .and_then(|e| e.plan.clone());
        let decided = Objection {
            status: if accepted { "accepted" } else { "rejected" }.into(),
            decided_by: Some(actor.who.clone()),
            decided_at: Some(now),
            decision: Some(d.reason.clone()),
            ..o.clone()
        };
        let mut plan_after = None;
        if accepted {
            match correction(&o.field, &o.proposed, plan.as_deref()).map_err(RolloutError::Value)? {
                Correction::Plan(p) => plan_after = Some(*p),
                Correction::Stage(stage) => {
                    let m = Milestone {
                        id: 0,
                        site: o.site.clone(),
                        stage,
                        at: now,
                        note: format!("异议 #{id} 更正"),
                        reporter: actor.who.clone(),
                        position: None,
                        distance_m: None,
                        flagged: false,
                        reason: Some(d.reason.clone()),
                        recorded: now,
                    };
                    let stored = self.control.add_milestone(&m, actor)?;
                    state::write(&self.registry).apply_milestone(&o.site, event(&stored));
                }
            }
        }
        self.control.decide_objection(
            &decided,
            plan.as_deref(),
            plan_after.as_ref(),
            actor,
            now,
        )?;
        let mut reg = state::write(&self.registry);
        reg.objection_opened(&o.site, -1);
        if let Some(p) = plan_after {
            reg.set_site_plan(p);
        }
        Ok(decided)
    }

    /// How many sites per county a printed checklist list shows (`checklist.list_top_n`).
    pub fn checklist_top_n(&self) -> usize {
        self.config.checklist.list_top_n
    }

    /// A month's checklist: the closed one as it was closed, else built now.
    pub fn checklist(&self, month: Month) -> Result<Checklist, RolloutError> {
        if let Some(json) = self.control.closed(month)? {
            return serde_json::from_str(&json).map_err(|e| {
                RolloutError::Store(StoreError::Unreadable(Box::new(crate::store::Unreadable {
                    table: "checklist_closed",
                    key: month.to_string(),
                    column: "checklist",
                    value: e.to_string(),
                })))
            });
        }
        self.build(month)
    }

    /// Builds a month's checklist from the stored data.
    pub fn build(&self, month: Month) -> Result<Checklist, RolloutError> {
        let now = self.now();
        let as_of = figures::month_instant(month, now);
        let past = self.control.last_reports(local_date(as_of))?;
        let obstacles = self.control.obstacles(None)?;
        let objections = self.control.objections(None)?;
        let mut sites = Vec::new();
        let mut unplanned = Vec::new();
        {
            let reg = state::read(&self.registry);
            for (id, e) in reg.iter() {
                // The newest report if it is not after the checklist's time, else the last day
                // with reports up to then.
                let ops = e
                    .latest
                    .as_ref()
                    .filter(|l| l.status.ts <= as_of)
                    .map(|l| Ops {
                        last_report: l.status.ts,
                        supply: Some(l.status.power.supply),
                        interval_s: Some(l.status.interval_s),
                    })
                    .or_else(|| {
                        past.get(id.as_str()).map(|r| Ops {
                            last_report: r.ts,
                            supply: r.supply,
                            interval_s: r.interval_s,
                        })
                    });
                let timeline = e.timeline.clone();
                match &e.plan {
                    Some(p) => sites.push(SiteFacts {
                        plan: (**p).clone(),
                        timeline,
                        ops,
                    }),
                    // Listed from the month its agent first reported in, not before.
                    None if ops.is_none() => {}
                    None => unplanned.push(UnplannedSite {
                        site: id.clone(),
                        name: e.info.as_ref().map(|i| i.name.clone()),
                        county: e.info.as_ref().map(|i| i.county.clone()),
                        stage: timeline.stage_at(as_of),
                        last_report: ops.map(|o| o.last_report),
                    }),
                }
            }
        }
        let coverage = self.coverage_at(as_of, now);
        let c = &self.config.checklist;
        let register = self.control.pilots()?;
        let pilots = (!register.is_empty()).then(|| self.pilot_progress_of(&register, as_of));
        Ok(build::build(Input {
            month,
            now,
            sites: &sites,
            obstacles: &obstacles,
            objections: &objections,
            unplanned,
            tasks: &self.config.tasks,
            targets: &self.config.targets,
            rules: &self.config.rollout,
            offline_intervals: self.config.alarms.offline_intervals,
            coverage: (!coverage.areas.is_empty()).then_some(&*coverage),
            issuer: crate::checklist::Issuer {
                unit: c.issuer.clone(),
                prepared_by: c.prepared_by.clone(),
                reviewed_by: c.reviewed_by.clone(),
                phone: c.phone.clone(),
            },
            pilots,
        })?)
    }

    /// Closes a month that has ended: its checklist is stored and never built again.
    pub fn close(&self, month: Month, actor: &Actor) -> Result<Checklist, RolloutError> {
        let by = actor.on_behalf.as_deref().unwrap_or(&actor.who);
        check_text("closed_by", by, true)?;
        let now = self.now();
        if now < month.end() {
            return Err(RolloutError::MonthNotOver {
                month,
                from: month.next().first_day(),
            });
        }
        if self.control.closed(month)?.is_some() {
            return Err(RolloutError::MonthClosed(month));
        }
        let mut c = self.build(month)?;
        c.closed = Some(Closed {
            at: now,
            by: by.to_string(),
        });
        let json = serde_json::to_string(&c).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if !self.control.close_month(month, &json, actor, now)? {
            return Err(RolloutError::MonthClosed(month));
        }
        Ok(c)
    }
}

/// The reporter a body names, or else whoever holds the token.
fn reporter_or(named: &str, actor: &Actor) -> String {
    if named.trim().is_empty() {
        actor.who.clone()
    } else {
        named.trim().to_string()
    }
}

fn event(m: &Milestone) -> StageEvent {
    StageEvent {
        at: m.at,
        source: Source::Milestone,
        stage: m.stage,
    }
}

fn unknown_site(site: &str) -> RolloutError {
    RolloutError::UnknownSite(site.to_string())
}
