//! The monthly dispatch checklist (月调度清单): what the IT bureau's monthly meeting works from.
//!
//! - [`build`] — the checklist from the plan, the sites' timelines, obstacles and tasks (pure:
//!   data and a time in, data out).
//! - [`tables`] — the checklist as titled tables with labels in Chinese or English; every
//!   export renders these.
//! - [`csv`], [`xlsx`], [`markdown`], [`html`] — the exports.
//!
//! A closed month is stored as its JSON and every export of it is rendered from that JSON, so
//! later data cannot change it.

pub mod build;
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
    /// Milestones of the plan (1,500 by 2020, 10,000 by 2023).
    pub targets: Vec<TargetRow>,
    /// One row per county and operator, then each county's subtotal (operator `None`), ordered
    /// by county code; then `total`.
    pub summary: Vec<SummaryRow>,
    pub total: SummaryRow,
    /// Sites past their planned on-air date, most overdue first.
    pub overdue: Vec<OverdueSite>,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// County code; empty in the total row.
    pub county: String,
    /// `None` in a county's subtotal and in the total row.
    pub operator: Option<Operator>,
    /// This year's task (年度任务), if configured.
    pub yearly_task: Option<u64>,
    /// Came on air during the month (本月新开通).
    pub new_on_air: u64,
    /// At stage `installed` or later (累计建成).
    pub built: u64,
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
    /// By completion among rows of the same level (operator rows; county subtotals); equal
    /// completion, equal rank. Rows without a task are not ranked.
    pub rank: Option<u32>,
    /// Open obstacles by kind.
    pub open_obstacles: BTreeMap<ObstacleKind, u64>,
    /// Obstacles resolved during the month.
    pub resolved_obstacles: u64,
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
/// formats carry labels in `lang`.
pub fn render(c: &Checklist, format: Format, lang: tables::Lang) -> Result<Vec<u8>, String> {
    Ok(match format {
        Format::Json => serde_json::to_vec_pretty(c).map_err(|e| e.to_string())?,
        Format::Csv => csv::render(c, lang),
        Format::Xlsx => xlsx::render(c, lang).map_err(|e| e.to_string())?,
        Format::Markdown => markdown::render(c, lang).into_bytes(),
        Format::Html => html::render(c, lang).into_bytes(),
    })
}
