//! The monthly dispatch checklist (月调度清单): what the IT bureau's monthly meeting works from.
//!
//! - [`build`] — the checklist from the plan, the sites' timelines, obstacles and tasks (pure:
//!   data and a time in, data out).
//! - [`tables`] — the checklist as titled tables with labels in Chinese or English; every
//!   export renders these.
//! - [`chart`] — the burn-up chart as SVG for the HTML.
//! - [`csv`], [`xlsx`], [`markdown`], [`html`] — the exports.
//!
//! A closed month is stored as its JSON and every export of it is rendered from that JSON, so
//! later data cannot change it.

pub mod build;
pub mod chart;
pub mod csv;
pub mod html;
pub mod markdown;
pub mod tables;
pub mod xlsx;

use crate::domain::calendar::Month;
use crate::domain::obstacle::ObstacleKind;
use crate::wire::{Operator, Stage};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Schema tag of the checklist JSON; a closed month keeps the version it was closed with.
pub const CHECKLIST_SCHEMA: &str = "sitepulse.checklist/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    pub schema: String,
    pub month: Month,
    /// The time the figures hold at: the end of the month, or the build time while it runs.
    pub as_of: DateTime<Utc>,
    /// The month had not ended at `as_of`.
    pub provisional: bool,
    /// Set when the month was closed.
    pub closed: Option<Closed>,
    /// Who issues the checklist (制表单位, 制表, 审核, 联系电话), from the configuration.
    #[serde(default)]
    pub issuer: Issuer,
    /// Milestones of the plan (1,500 by 2020, 10,000 by 2023).
    pub targets: Vec<TargetRow>,
    /// One row per county and operator, then each county's subtotal (operator `None`), ordered
    /// by county code; then `total`.
    pub summary: Vec<SummaryRow>,
    pub total: SummaryRow,
    /// Sites past their planned on-air date, most overdue first.
    pub overdue: Vec<OverdueSite>,
    /// Sites at risk (临期): due within `rollout.at_risk_days` and not yet installed, or with an
    /// open obstacle; soonest due first.
    #[serde(default)]
    pub at_risk: Vec<AtRiskSite>,
    /// Obstacles past their time limit, by responsible unit (需协调事项), most first.
    #[serde(default)]
    pub coordination: Vec<Coordination>,
    /// Obstacles open at `as_of`, those past their time limit first.
    pub obstacles: Vec<OpenObstacle>,
    /// Sites silent longer than the configured hours at `as_of` (operations).
    pub silent: Vec<SilentSite>,
    /// Direct (直供电) against transferred (转供电) supply, per county and in total.
    pub power: Vec<PowerRow>,
    pub power_total: PowerRow,
    pub changes: Changes,
    /// Sites whose agents report but which the plan does not list.
    pub unplanned: Vec<UnplannedSite>,
    /// Objections undecided for more than five working days at `as_of`.
    #[serde(default)]
    pub objections: Vec<StaleObjection>,
    /// Cumulative on-air sites against the backward schedule, month by month.
    pub trend: Vec<TrendPoint>,
    /// The 5G+ application pilots on the checklist's day, when a register is kept.
    #[serde(default)]
    pub pilots: Option<crate::views::pilots::PilotProgress>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleObjection {
    pub id: i64,
    pub site: String,
    pub field: String,
    /// The value proposed, as JSON text.
    pub proposed: String,
    pub by: String,
    pub filed: NaiveDate,
    /// Working days since it was filed.
    pub working_days: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closed {
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    pub name: String,
    pub deadline: NaiveDate,
    pub target: u64,
    /// Planned sites on air at `as_of`, or at the deadline once it has passed.
    pub on_air: u64,
    pub remaining: u64,
    pub met: bool,
    /// The classes of area its coverage goal asks to cover continuously.
    #[serde(default)]
    pub goal: Vec<crate::domain::area::AreaClass>,
    /// The target's coverage goal: each area of its classes, covered at `as_of`.
    #[serde(default)]
    pub coverage: Vec<AreaGoal>,
}

/// One target area against a target's coverage goal (continuous coverage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaGoal {
    pub area: String,
    pub class: crate::domain::area::AreaClass,
    /// County code; empty when the area has none.
    pub county: String,
    /// 0–1.
    pub covered_share: f64,
    /// Continuously covered (the coverage rule's `continuous`).
    pub met: bool,
}

/// Who issues the checklist; printed on page one and in the signature block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Issuer {
    /// 制表单位.
    pub unit: String,
    /// 制表人.
    pub prepared_by: String,
    /// 审核人.
    pub reviewed_by: String,
    /// 联系电话.
    pub phone: String,
}

/// Obstacles past their time limit that one responsible unit must clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coordination {
    pub responsible_unit: String,
    /// Obstacles past their limit.
    pub obstacles: u64,
    /// Sites they hold up.
    pub sites: u64,
    /// The most days any of them is past its limit.
    pub max_days_past_due: i64,
    /// Their kinds, most frequent first.
    pub kinds: Vec<ObstacleKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRiskSite {
    pub site: String,
    pub name: String,
    pub county: String,
    pub operators: Vec<Operator>,
    pub stage: Stage,
    pub planned_on_air: NaiveDate,
    /// Days left to the planned on-air date.
    pub days_left: i64,
    pub open_obstacles: Vec<ObstacleKind>,
    pub responsible_unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// County code; empty in the total row.
    pub county: String,
    /// `None` in a county's subtotal and in the total row.
    pub operator: Option<Operator>,
    /// This year's task (年度任务), if configured.
    pub yearly_task: Option<u64>,
    /// Sites in the plan (规划站点).
    #[serde(default)]
    pub planned: u64,
    /// Came on air during the month (本月新开通).
    pub new_on_air: u64,
    /// At stage `installed` or later (累计建成).
    pub built: u64,
    /// Built during the month (本月新建成): built then, not at the end of the previous month.
    #[serde(default)]
    pub built_this_month: u64,
    /// On air (累计开通).
    pub on_air: u64,
    /// Came on air this year up to `as_of` (本年开通).
    pub on_air_this_year: u64,
    /// `on_air_this_year / yearly_task`.
    pub completion: Option<f64>,
    /// Expected on air by the backward schedule at the end of the month (倒排进度).
    pub expected: u64,
    /// `expected − on_air`, when positive.
    pub shortfall: u64,
    /// `on_air / expected` (completion against the backward schedule); none when nothing is
    /// expected yet.
    #[serde(default)]
    pub schedule_completion: Option<f64>,
    /// By completion among rows of the same level (operator rows; county subtotals); equal
    /// completion, equal rank. Rows without a task are not ranked.
    pub rank: Option<u32>,
    /// County subtotals only: by `schedule_completion` among counties.
    #[serde(default)]
    pub schedule_rank: Option<u32>,
    /// Open obstacles by kind.
    pub open_obstacles: BTreeMap<ObstacleKind, u64>,
    /// Obstacles resolved during the month.
    pub resolved_obstacles: u64,
    /// Obstacles opened during the month (本月新增困难).
    #[serde(default)]
    pub opened_obstacles: u64,
    /// Sites overdue at `as_of`.
    pub overdue: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueSite {
    pub site: String,
    pub name: String,
    pub county: String,
    pub operators: Vec<Operator>,
    pub stage: Stage,
    pub planned_on_air: NaiveDate,
    pub days_overdue: i64,
    /// Kinds of its open obstacles.
    pub open_obstacles: Vec<ObstacleKind>,
    pub responsible_unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenObstacle {
    pub id: i64,
    pub site: String,
    pub name: String,
    pub county: String,
    pub kind: ObstacleKind,
    pub description: String,
    pub responsible_unit: String,
    pub opened: NaiveDate,
    pub due: NaiveDate,
    /// Days since it was opened.
    pub age_days: i64,
    /// Days past its time limit; 0 when within it.
    pub days_past_due: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilentSite {
    pub site: String,
    pub name: String,
    pub county: String,
    pub stage: Stage,
    pub last_report: DateTime<Utc>,
    /// Whole hours between the last report and `as_of`.
    pub hours_silent: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerRow {
    /// County code; empty in the total.
    pub county: String,
    /// Sites whose supply is known from a report.
    pub reporting: u64,
    pub direct: u64,
    pub transferred: u64,
    /// `direct / reporting`.
    pub direct_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteRef {
    pub site: String,
    pub name: String,
    pub county: String,
    pub operators: Vec<Operator>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedObstacle {
    pub id: i64,
    pub site: String,
    /// The site's county code; empty when the site is not in the plan.
    #[serde(default)]
    pub county: String,
    pub kind: ObstacleKind,
    pub responsible_unit: String,
    pub opened: NaiveDate,
    pub resolved: NaiveDate,
    pub resolution: String,
}

/// What changed since the end of the previous month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub newly_on_air: Vec<SiteRef>,
    pub newly_overdue: Vec<SiteRef>,
    pub resolved: Vec<ResolvedObstacle>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnplannedSite {
    pub site: String,
    /// As the agent describes it, if it has.
    pub name: Option<String>,
    pub county: Option<String>,
    pub stage: Stage,
    pub last_report: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub month: Month,
    pub on_air: u64,
    pub expected: u64,
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
    Markdown,
    Html,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "csv" => Format::Csv,
            "xlsx" => Format::Xlsx,
            "md" | "markdown" => Format::Markdown,
            "html" => Format::Html,
            _ => return None,
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// The checklist in a format. JSON is the data itself (language-neutral codes); the other
/// formats carry labels in `lang`. Printed lists (HTML, Markdown) show `top_n` sites per county
/// and "and N more"; the XLSX folds the rest, the CSV lists them all.
pub fn render(
    c: &Checklist,
    format: Format,
    lang: tables::Lang,
    top_n: usize,
) -> Result<Vec<u8>, String> {
    Ok(match format {
        Format::Json => serde_json::to_vec_pretty(c).map_err(|e| e.to_string())?,
        Format::Csv => csv::render(c, lang),
        Format::Xlsx => xlsx::render(c, lang, top_n).map_err(|e| e.to_string())?,
        Format::Markdown => markdown::render(c, lang, top_n).into_bytes(),
        Format::Html => html::render(c, lang, top_n).into_bytes(),
    })
}
