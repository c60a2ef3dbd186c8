//! The checklist as titled tables, labelled in Chinese (default) or English. Every export (CSV,
//! XLSX, Markdown, HTML) renders these tables, so they all show the same cells.
//!
//! The layout is a government table's: page one is the meeting's page (targets with their
//! coverage goals, the county ranking, the items to coordinate, the burn-up chart); the detail
//! tables follow, numbered in order, with 序号, units, bold 小计 and 合计 rows and merged county
//! cells. Long lists are grouped by county: a printout shows each county's first `top_n` rows and
//! "and N more"; the rows past them are kept, marked `folded` (the XLSX folds them under a ＋, the
//! CSV lists them all).

use super::*;
use crate::domain::calendar::{days_between, local_date, tz};
use crate::wire::domain::{LIAOCHENG_COUNTIES, county_name_en, county_name_zh};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A share, 0–1; shown as a percentage.
    Pct(Option<f64>),
    Date(NaiveDate),
    /// A moment, shown in Liaocheng time.
    Time(DateTime<Utc>),
    Empty,
}

impl Cell {
    /// As text: integers plainly, shares as `45.0%`, dates as `2020-09-30`, times as
    /// `2020-09-30 14:05` in Liaocheng.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            // Half up on the tenth of a per cent, as Excel shows it (0.3665 → 36.7%).
            Cell::Pct(Some(v)) => format!("{:.1}%", ((v * 1000.0) + 1e-9).round() / 10.0),
            Cell::Date(d) => d.to_string(),
            Cell::Time(t) => local_time(*t),
            Cell::Pct(None) | Cell::Empty => String::new(),
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Pct(_))
    }
}

fn int(n: u64) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt(n: Option<u64>) -> Cell {
    n.map_or(Cell::Empty, int)
}

fn rank(n: Option<u32>) -> Cell {
    n.map_or(Cell::Empty, |v| Cell::Int(i64::from(v)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Body,
    /// A county's 小计 (bold).
    Subtotal,
    /// The 合计 (bold).
    Total,
    /// "and N more": its second cell holds the text, spanning the remaining columns.
    More,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    pub cells: Vec<Cell>,
    /// Past the first `top_n` of its county: printouts leave it out, the XLSX folds it.
    pub folded: bool,
}

impl Row {
    fn body(cells: Vec<Cell>) -> Row {
        Row {
            kind: RowKind::Body,
            cells,
            folded: false,
        }
    }

    fn of(kind: RowKind, cells: Vec<Cell>) -> Row {
        Row {
            kind,
            cells,
            folded: false,
        }
    }

    pub fn bold(&self) -> bool {
        matches!(self.kind, RowKind::Subtotal | RowKind::Total)
    }
}

/// One table: a section of the printout; tables with the same `sheet` share an XLSX sheet.
#[derive(Debug, Clone)]
pub struct Table {
    /// The XLSX sheet it goes on (at most 31 characters).
    pub sheet: &'static str,
    /// On the meeting's page (page one).
    pub page_one: bool,
    /// Numbered: 一、… in Chinese, 1. … in English.
    pub title: String,
    /// 单位：个 and the like, printed above the table's right edge.
    pub unit: Option<String>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Row>,
    /// Equal first cells of consecutive rows are merged (the county column).
    pub merge_first: bool,
    /// Columns whose positive numbers are highlighted (差额, 超期).
    pub alert: Vec<usize>,
    /// A line under the table.
    pub note: Option<String>,
    /// The data of the burn-up chart (the XLSX charts it).
    pub chart_data: bool,
}

impl Table {
    /// Rows a printout shows: none folded.
    pub fn printed(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| !r.folded)
    }

    /// Rows of data: every row but the "and N more" ones (the CSV's rows).
    pub fn data(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.kind != RowKind::More)
    }
}

pub fn county_label(code: &str, lang: Lang) -> String {
    let name = match lang {
        Lang::Zh => county_name_zh(code),
        Lang::En => county_name_en(code),
    };
    name.map_or_else(|| code.to_string(), str::to_string)
}

fn operator_label(op: Operator, lang: Lang) -> &'static str {
    lang.pick(op.label_zh(), op.label_en())
}

fn operators_label(ops: &[Operator], lang: Lang) -> String {
    ops.iter()
        .map(|o| operator_label(*o, lang))
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

fn stage_label(s: Stage, lang: Lang) -> &'static str {
    lang.pick(s.label_zh(), s.label_en())
}

fn kind_label(k: ObstacleKind, lang: Lang) -> &'static str {
    lang.pick(k.label_zh(), k.label_en())
}

fn kinds_label(kinds: &[ObstacleKind], lang: Lang) -> String {
    kinds
        .iter()
        .map(|k| kind_label(*k, lang))
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

/// A time as Liaocheng reads it: `2020-09-30 14:05`.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&tz()).format("%Y-%m-%d %H:%M").to_string()
}

/// The document title, e.g. 聊城市5G基站建设月调度清单（2020年09月）.
pub fn title(c: &Checklist, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "聊城市5G基站建设月调度清单（{}年{:02}月）",
            c.month.year, c.month.month
        ),
        Lang::En => format!(
            "Liaocheng 5G rollout — monthly dispatch checklist, {}",
            c.month
        ),
    }
}

/// The line under the title: issuer and the time the figures hold at.
pub fn byline(c: &Checklist, lang: Lang) -> String {
    let unit = if c.issuer.unit.is_empty() {
        String::new()
    } else {
        match lang {
            Lang::Zh => format!("制表单位：{}　　", c.issuer.unit),
            Lang::En => format!("Issued by {}. ", c.issuer.unit),
        }
    };
    match lang {
        Lang::Zh => format!("{unit}数据截至：{}（北京时间）", local_time(c.as_of)),
        Lang::En => format!(
            "{unit}Figures as of {} (China Standard Time)",
            local_time(c.as_of)
        ),
    }
}

/// Lines under the byline: whether the month is provisional or closed.
pub fn notes(c: &Checklist, lang: Lang) -> Vec<String> {
    let mut v = Vec::new();
    if c.provisional {
        v.push(
            lang.pick(
                "本月尚未结束，数据为临时数据。",
                "The month is not over: figures are provisional.",
            )
            .into(),
        );
    }
    if let Some(cl) = &c.closed {
        v.push(match lang {
            Lang::Zh => format!(
                "已于 {} 由 {} 关账，数据不再变动。",
                local_time(cl.at),
                cl.by
            ),
            Lang::En => format!(
                "Closed on {} by {}; these figures no longer change.",
                local_time(cl.at),
                cl.by
            ),
        });
    }
    v
}

/// The signature block: 审核, 制表, 联系电话; names not configured are blanks to fill in.
pub fn signature(c: &Checklist, lang: Lang) -> Vec<(&'static str, String)> {
    let blank = |s: &str| {
        if s.is_empty() {
            "　　　　　　".to_string()
        } else {
            s.to_string()
        }
    };
    vec![
        (
            lang.pick("审核", "Reviewed by"),
            blank(&c.issuer.reviewed_by),
        ),
        (
            lang.pick("制表", "Prepared by"),
            blank(&c.issuer.prepared_by),
        ),
        (lang.pick("联系电话", "Telephone"), blank(&c.issuer.phone)),
    ]
}

/// Chinese section numbers: 一 … 十, 十一 … 九十九.
fn chinese_number(n: usize) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => D[n].into(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n - 10]),
        20..=99 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}

fn number(i: usize, title: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}、{title}", chinese_number(i)),
        Lang::En => format!("{i}. {title}"),
    }
}

/// Order of counties: the city's own list, then any other code.
fn county_order(code: &str) -> (usize, String) {
    (
        LIAOCHENG_COUNTIES
            .iter()
            .position(|(c, _, _)| *c == code)
            .unwrap_or(LIAOCHENG_COUNTIES.len()),
        code.to_string(),
    )
}

/// Rows of a list grouped by county, in the city's order and each county's rows in the list's
/// order: the county label first, then its 序号 within the county, then `cells`. Rows past
/// `top_n` are folded and followed by an "and N more" row.
/// The count above a list of sites: "共 N 个站点".
fn sites_unit(n: usize, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("共 {n} 个站点"),
        Lang::En => format!("{n} sites"),
    }
}

/// A row of the overdue or the at-risk list: the same columns, with the days past or left.
struct DueRow<'a> {
    county: &'a str,
    site: &'a str,
    name: &'a str,
    operators: &'a [Operator],
    stage: Stage,
    planned_on_air: NaiveDate,
    days: i64,
    open_obstacles: &'a [ObstacleKind],
    responsible_unit: &'a str,
}

impl<'a> DueRow<'a> {
    fn overdue(o: &'a OverdueSite) -> Self {
        DueRow {
            county: &o.county,
            site: &o.site,
            name: &o.name,
            operators: &o.operators,
            stage: o.stage,
            planned_on_air: o.planned_on_air,
            days: o.days_overdue,
            open_obstacles: &o.open_obstacles,
            responsible_unit: &o.responsible_unit,
        }
    }

    fn at_risk(o: &'a AtRiskSite) -> Self {
        DueRow {
            county: &o.county,
            site: &o.site,
            name: &o.name,
            operators: &o.operators,
            stage: o.stage,
            planned_on_air: o.planned_on_air,
            days: o.days_left,
            open_obstacles: &o.open_obstacles,
            responsible_unit: &o.responsible_unit,
        }
    }

    /// The county (grouping key) and the row's cells after 区县 and 序号.
    fn cells(self, lang: Lang) -> (&'a str, Vec<Cell>) {
        (
            self.county,
            vec![
                text(self.site),
                text(self.name),
                text(operators_label(self.operators, lang)),
                text(stage_label(self.stage, lang)),
                Cell::Date(self.planned_on_air),
                Cell::Int(self.days),
                text(kinds_label(self.open_obstacles, lang)),
                text(self.responsible_unit),
            ],
        )
    }
}

fn by_county(items: Vec<(&str, Vec<Cell>)>, top_n: usize, lang: Lang) -> Vec<Row> {
    let mut groups: BTreeMap<(usize, String), Vec<Vec<Cell>>> = BTreeMap::new();
    for (county, cells) in items {
        groups.entry(county_order(county)).or_default().push(cells);
    }
    let mut rows = Vec::new();
    for ((_, code), list) in groups {
        let label = county_label(&code, lang);
        let n = list.len();
        for (i, cells) in list.into_iter().enumerate() {
            let mut row = vec![text(label.clone()), Cell::Int(i as i64 + 1)];
            row.extend(cells);
            rows.push(Row {
                kind: RowKind::Body,
                cells: row,
                folded: i >= top_n,
            });
        }
        if n > top_n {
            rows.push(Row::of(
                RowKind::More,
                vec![
                    text(label),
                    text(match lang {
                        Lang::Zh => format!(
                            "本区县共 {n} 个，另有 {} 个未列出，完整名单见电子版（XLSX 点左侧 ＋ 展开，或 CSV）",
                            n - top_n
                        ),
                        Lang::En => format!(
                            "{n} in all: {} more not shown; the full list is in the XLSX (open with ＋) and the CSV",
                            n - top_n
                        ),
                    }),
                ],
            ));
        }
    }
    rows
}

fn yes_no(b: bool, lang: Lang) -> Cell {
    text(if b {
        lang.pick("是", "yes")
    } else {
        lang.pick("否", "no")
    })
}

/// A target's standing on the checklist's day: met, missed, or due in N days.
fn target_standing(t: &TargetRow, day: NaiveDate, lang: Lang) -> String {
    if t.met {
        return lang.pick("已完成", "met").into();
    }
    let left = days_between(day, t.deadline);
    if left < 0 {
        lang.pick("未完成（已到期）", "missed (deadline passed)")
            .into()
    } else {
        match lang {
            Lang::Zh => format!("未完成，距期限 {left} 天"),
            Lang::En => format!("not yet, due in {left} days"),
        }
    }
}

fn classes_label(classes: &[crate::domain::area::AreaClass], lang: Lang) -> String {
    let names: Vec<&str> = classes
        .iter()
        .map(|c| lang.pick(c.label_zh(), c.label_en()))
        .collect();
    match lang {
        Lang::Zh => format!("{}连续覆盖", names.join("、")),
        Lang::En => format!("continuous coverage: {}", names.join(", ")),
    }
}

/// Every table of the checklist, in order, numbered; lists grouped by county with `top_n`
/// rows of each county printed.
pub fn tables(c: &Checklist, lang: Lang, top_n: usize) -> Vec<Table> {
    let l = |zh, en| lang.pick(zh, en);
    let unit_sites = Some(l("单位：个", "Unit: sites").to_string());
    let day = local_date(c.as_of);
    let mut out: Vec<Table> = Vec::new();
    let table = |sheet, page_one, title: &str, headers: Vec<&'static str>, rows| Table {
        sheet,
        page_one,
        title: title.to_string(),
        unit: None,
        headers,
        rows,
        merge_first: false,
        alert: Vec::new(),
        note: None,
        chart_data: false,
    };
    let overview = l("首页", "Overview");

    // Page one: targets with their coverage goals.
    let mut t = table(
        overview,
        true,
        l("目标完成情况", "Targets"),
        vec![
            l("目标", "Target"),
            l("完成期限", "Deadline"),
            l("目标开通数", "Target (sites on air)"),
            l("已开通", "On air"),
            l("尚差", "Remaining"),
            l("完成情况", "Standing"),
            l("覆盖目标", "Coverage goal"),
            l("达标区域", "Areas meeting it"),
        ],
        c.targets
            .iter()
            .map(|t| {
                let met = t.coverage.iter().filter(|a| a.met).count();
                Row::body(vec![
                    text(t.name.clone()),
                    Cell::Date(t.deadline),
                    int(t.target),
                    int(t.on_air),
                    int(t.remaining),
                    text(target_standing(t, day, lang)),
                    text(if t.goal.is_empty() {
                        String::new()
                    } else {
                        classes_label(&t.goal, lang)
                    }),
                    text(match (t.goal.is_empty(), t.coverage.is_empty()) {
                        (true, _) => String::new(),
                        (false, true) => l("未导入目标区域", "no areas imported").into(),
                        (false, false) => format!("{met} / {}", t.coverage.len()),
                    }),
                ])
            })
            .collect(),
    );
    t.unit = unit_sites.clone();
    t.alert = vec![4];
    out.push(t);

    let mut rows = Vec::new();
    for t in &c.targets {
        let mut areas: Vec<&AreaGoal> = t.coverage.iter().collect();
        areas.sort_by_key(|a| (county_order(&a.county), a.area.clone()));
        for a in areas {
            rows.push(Row::body(vec![
                text(t.name.clone()),
                text(a.area.clone()),
                text(l(a.class.label_zh(), a.class.label_en())),
                text(if a.county.is_empty() {
                    String::new()
                } else {
                    county_label(&a.county, lang)
                }),
                Cell::Pct(Some(a.covered_share)),
                yes_no(a.met, lang),
            ]));
        }
    }
    let mut t = table(
        overview,
        true,
        l("覆盖目标完成情况", "Coverage goals by area"),
        vec![
            l("目标", "Target"),
            l("区域", "Area"),
            l("类型", "Class"),
            l("区县", "County"),
            l("覆盖率", "Covered"),
            l("连续覆盖", "Continuous"),
        ],
        rows,
    );
    t.merge_first = true;
    t.note = Some(
        l(
            "覆盖率按截至时已开通站点的覆盖范围计算；本月进行中时与地图一致（只计在线且有小区工作的站点）。",
            "Coverage is that of the sites on air at the time the figures hold at; while the month runs it is the map's (sites reporting, a cell active).",
        )
        .into(),
    );
    out.push(t);

    let mut counties: Vec<&SummaryRow> =
        c.summary.iter().filter(|r| r.operator.is_none()).collect();
    counties.sort_by_key(|r| (r.schedule_rank.unwrap_or(u32::MAX), county_order(&r.county)));
    let ranking_row = |r: &SummaryRow, first: Cell, county: String, kind| {
        Row::of(
            kind,
            vec![
                first,
                text(county),
                opt(r.yearly_task),
                int(r.on_air_this_year),
                Cell::Pct(r.completion),
                int(r.expected),
                int(r.on_air),
                Cell::Pct(r.schedule_completion),
                int(r.shortfall),
            ],
        )
    };
    let mut rows: Vec<Row> = counties
        .iter()
        .map(|r| {
            ranking_row(
                r,
                rank(r.schedule_rank),
                county_label(&r.county, lang),
                RowKind::Body,
            )
        })
        .collect();
    rows.push(ranking_row(
        &c.total,
        Cell::Empty,
        l("全市合计", "City total").into(),
        RowKind::Total,
    ));
    let mut t = table(
        overview,
        true,
        l(
            "区县进度排名（按倒排进度完成率）",
            "Counties ranked by completion against the schedule",
        ),
        vec![
            l("排名", "Rank"),
            l("区县", "County"),
            l("年度任务", "Yearly task"),
            l("本年开通", "On air this year"),
            l("年度完成率", "Of the task"),
            l("倒排应开通", "Expected by schedule"),
            l("累计开通", "On air"),
            l("倒排完成率", "Against schedule"),
            l("差额", "Shortfall"),
        ],
        rows,
    );
    t.unit = unit_sites.clone();
    t.alert = vec![8];
    out.push(t);

    const TOP_UNITS: usize = 8;
    let mut rows: Vec<Row> = c
        .coordination
        .iter()
        .enumerate()
        .map(|(i, u)| Row {
            kind: RowKind::Body,
            cells: vec![
                Cell::Int(i as i64 + 1),
                text(u.responsible_unit.clone()),
                int(u.obstacles),
                int(u.sites),
                Cell::Int(u.max_days_past_due),
                text(kinds_label(&u.kinds, lang)),
            ],
            folded: i >= TOP_UNITS,
        })
        .collect();
    if c.coordination.len() > TOP_UNITS {
        let more = c.coordination.len() - TOP_UNITS;
        rows.push(Row::of(
            RowKind::More,
            vec![
                Cell::Empty,
                text(match lang {
                    Lang::Zh => format!("另有 {more} 个单位，见未销号困难明细"),
                    Lang::En => format!("{more} more units: see the open obstacles"),
                }),
            ],
        ));
    }
    let mut t = table(
        overview,
        true,
        l(
            "需协调事项（超过时限未销号的困难，按责任单位）",
            "To coordinate: obstacles past their time limit, by responsible unit",
        ),
        vec![
            l("序号", "No."),
            l("责任单位", "Responsible unit"),
            l("超期困难", "Past limit"),
            l("涉及站点", "Sites"),
            l("最长超期（天）", "Most days past"),
            l("主要类型", "Kinds"),
        ],
        rows,
    );
    t.alert = vec![4];
    out.push(t);

    // The detail tables.
    let summary_row = |r: &SummaryRow, county: String, operator: String, kind| {
        let open: u64 = r.open_obstacles.values().sum();
        Row::of(
            kind,
            vec![
                text(county),
                text(operator),
                int(r.planned),
                opt(r.yearly_task),
                int(r.built_this_month),
                int(r.built),
                int(r.new_on_air),
                int(r.on_air),
                int(r.on_air_this_year),
                Cell::Pct(r.completion),
                int(r.expected),
                int(r.shortfall),
                rank(if r.operator.is_some() { r.rank } else { None }),
                rank(if r.operator.is_none() && !r.county.is_empty() {
                    r.rank
                } else {
                    None
                }),
                int(open),
                int(r.opened_obstacles),
                int(r.resolved_obstacles),
                int(r.overdue),
            ],
        )
    };
    let mut rows: Vec<Row> = c
        .summary
        .iter()
        .map(|r| match r.operator {
            Some(o) => summary_row(
                r,
                county_label(&r.county, lang),
                operator_label(o, lang).into(),
                RowKind::Body,
            ),
            None => summary_row(
                r,
                county_label(&r.county, lang),
                l("小计", "Subtotal").into(),
                RowKind::Subtotal,
            ),
        })
        .collect();
    rows.push(summary_row(
        &c.total,
        l("全市合计", "City total").into(),
        String::new(),
        RowKind::Total,
    ));
    let mut t = table(
        l("汇总", "Summary"),
        false,
        l(
            "分区县、分运营商建设进度",
            "Progress by county and operator",
        ),
        vec![
            l("区县", "County"),
            l("运营商", "Operator"),
            l("规划站点", "Planned"),
            l("年度任务", "Yearly task"),
            l("本月新建成", "Built this month"),
            l("累计建成", "Built"),
            l("本月新开通", "On air this month"),
            l("累计开通", "On air"),
            l("本年开通", "On air this year"),
            l("年度完成率", "Completion"),
            l("倒排应开通", "Expected by schedule"),
            l("差额", "Shortfall"),
            l("运营商排名", "Rank (operators)"),
            l("区县排名", "Rank (counties)"),
            l("未销号困难", "Open obstacles"),
            l("本月新增困难", "Obstacles opened"),
            l("本月销号", "Obstacles resolved"),
            l("逾期站点", "Overdue sites"),
        ],
        rows,
    );
    t.unit = unit_sites.clone();
    t.merge_first = true;
    t.alert = vec![11];
    t.note = Some(
        l(
            "注：累计建成自“设备安装”起计（“塔体建成”“市电引入”尚未计入）；累计开通自“开通”起计。年度完成率＝本年开通÷年度任务；排名按年度完成率，运营商之间、区县之间分别排名。一个站点计入其区县小计一次，并计入其每个运营商一行。倒排应开通按各自任务分别向上取整，差额只计未达倒排的部分，故合计不等于各行之和。",
            "Built counts from stage “equipment installed” (a finished tower or power hookup is not yet built); on air from “on air”. Completion = on air this year ÷ yearly task; operators are ranked among operators, counties among counties. A site counts once in its county's subtotal and in the row of each operator on it. Expected counts are rounded up per row and shortfalls count only rows behind, so totals are not the sums of the rows.",
        )
        .into(),
    );
    out.push(t);

    let mut headers = vec![l("区县", "County")];
    headers.extend(ObstacleKind::ALL.iter().map(|k| kind_label(*k, lang)));
    headers.extend([
        l("合计", "Total"),
        l("本月新增", "Opened this month"),
        l("本月销号", "Resolved this month"),
    ]);
    let kinds_row = |r: &SummaryRow, county: String, kind| {
        let mut cells = vec![text(county)];
        cells.extend(
            ObstacleKind::ALL
                .iter()
                .map(|k| int(r.open_obstacles.get(k).copied().unwrap_or(0))),
        );
        cells.push(int(r.open_obstacles.values().sum()));
        cells.push(int(r.opened_obstacles));
        cells.push(int(r.resolved_obstacles));
        Row::of(kind, cells)
    };
    let mut rows: Vec<Row> = c
        .summary
        .iter()
        .filter(|r| r.operator.is_none())
        .map(|r| kinds_row(r, county_label(&r.county, lang), RowKind::Body))
        .collect();
    rows.push(kinds_row(
        &c.total,
        l("全市合计", "City total").into(),
        RowKind::Total,
    ));
    let stats = l("统计", "Statistics");
    let mut t = table(
        stats,
        false,
        l("未销号困难分类统计", "Open obstacles by kind"),
        headers,
        rows,
    );
    t.unit = Some(l("单位：个", "Unit: obstacles").into());
    out.push(t);

    let power_row = |p: &PowerRow, county: String, kind| {
        Row::of(
            kind,
            vec![
                text(county),
                int(p.reporting),
                int(p.direct),
                int(p.transferred),
                Cell::Pct(p.direct_share),
            ],
        )
    };
    let mut rows: Vec<Row> = c
        .power
        .iter()
        .map(|p| power_row(p, county_label(&p.county, lang), RowKind::Body))
        .collect();
    rows.push(power_row(
        &c.power_total,
        l("全市合计", "City total").into(),
        RowKind::Total,
    ));
    let mut t = table(
        stats,
        false,
        l("转供电改直供电", "Transferred to direct power supply"),
        vec![
            l("区县", "County"),
            l("上报站点", "Sites reporting"),
            l("直供电", "Direct"),
            l("转供电", "Transferred"),
            l("直供电占比", "Direct share"),
        ],
        rows,
    );
    t.unit = unit_sites.clone();
    out.push(t);

    let mut t = table(
        stats,
        false,
        l(
            "累计开通与倒排进度",
            "Cumulative on air against the schedule",
        ),
        vec![
            l("月份", "Month"),
            l("累计开通", "On air"),
            l("倒排应开通", "Expected by schedule"),
            l("当年目标", "Target due that year"),
            l("差额", "Shortfall"),
        ],
        c.trend
            .iter()
            .map(|p| {
                let due = c
                    .targets
                    .iter()
                    .find(|t| chrono::Datelike::year(&t.deadline) == p.month.year)
                    .map(|t| t.target);
                Row::body(vec![
                    text(p.month.to_string()),
                    int(p.on_air),
                    int(p.expected),
                    opt(due),
                    int(p.expected.saturating_sub(p.on_air)),
                ])
            })
            .collect(),
    );
    t.unit = unit_sites.clone();
    t.alert = vec![4];
    t.chart_data = true;
    out.push(t);

    let site_list = |list: Vec<(&str, Vec<Cell>)>| by_county(list, top_n, lang);
    let due_list = |sheet, title, days_header, rows: Vec<DueRow>| {
        let count = rows.len();
        let mut t = table(
            sheet,
            false,
            title,
            vec![
                l("区县", "County"),
                l("序号", "No."),
                l("站址编号", "Site id"),
                l("站址名称", "Name"),
                l("运营商", "Operators"),
                l("当前阶段", "Stage"),
                l("计划开通", "Planned on air"),
                days_header,
                l("未销号困难", "Open obstacles"),
                l("责任单位", "Responsible unit"),
            ],
            site_list(rows.into_iter().map(|r| r.cells(lang)).collect()),
        );
        t.merge_first = true;
        t.unit = Some(sites_unit(count, lang));
        t
    };
    let mut t = due_list(
        l("逾期站点", "Overdue"),
        l(
            "逾期未开通站点（按区县，逾期最久在前）",
            "Sites past their planned on-air date (by county, most overdue first)",
        ),
        l("逾期天数", "Days overdue"),
        c.overdue.iter().map(DueRow::overdue).collect(),
    );
    t.alert = vec![7];
    out.push(t);
    out.push(due_list(
        l("临期站点", "At risk"),
        l(
            "临期站点（计划开通日期临近而未安装设备，或有未销号困难）",
            "Sites at risk (due soon and not installed, or with an open obstacle)",
        ),
        l("剩余天数", "Days left"),
        c.at_risk.iter().map(DueRow::at_risk).collect(),
    ));

    let mut t = table(
        l("困难明细", "Obstacles"),
        false,
        l(
            "未销号困难明细（按区县，超期在前）",
            "Open obstacles (by county, past their limit first)",
        ),
        vec![
            l("区县", "County"),
            l("序号", "No."),
            l("困难编号", "Obstacle id"),
            l("站址编号", "Site id"),
            l("站址名称", "Name"),
            l("困难类型", "Kind"),
            l("问题描述", "Description"),
            l("责任单位", "Responsible unit"),
            l("提出日期", "Opened"),
            l("限期", "Due"),
            l("已历时（天）", "Age (days)"),
            l("超期（天）", "Days past due"),
        ],
        site_list(
            c.obstacles
                .iter()
                .map(|o| {
                    (
                        o.county.as_str(),
                        vec![
                            Cell::Int(o.id),
                            text(o.site.clone()),
                            text(o.name.clone()),
                            text(kind_label(o.kind, lang)),
                            text(o.description.clone()),
                            text(o.responsible_unit.clone()),
                            Cell::Date(o.opened),
                            Cell::Date(o.due),
                            Cell::Int(o.age_days),
                            Cell::Int(o.days_past_due),
                        ],
                    )
                })
                .collect(),
        ),
    );
    t.merge_first = true;
    t.alert = vec![11];
    t.unit = Some(match lang {
        Lang::Zh => format!("共 {} 项", c.obstacles.len()),
        Lang::En => format!("{} obstacles", c.obstacles.len()),
    });
    out.push(t);

    let changes = l("本月变化", "Changes");
    let refs = |list: &[SiteRef]| {
        site_list(
            list.iter()
                .map(|s| {
                    (
                        s.county.as_str(),
                        vec![
                            text(s.site.clone()),
                            text(s.name.clone()),
                            text(operators_label(&s.operators, lang)),
                        ],
                    )
                })
                .collect(),
        )
    };
    let ref_headers = || {
        vec![
            l("区县", "County"),
            l("序号", "No."),
            l("站址编号", "Site id"),
            l("站址名称", "Name"),
            l("运营商", "Operators"),
        ]
    };
    let mut t = table(
        changes,
        false,
        l("本月新开通站点", "Sites on air this month"),
        ref_headers(),
        refs(&c.changes.newly_on_air),
    );
    t.merge_first = true;
    t.unit = Some(sites_unit(c.changes.newly_on_air.len(), lang));
    out.push(t);
    let mut t = table(
        changes,
        false,
        l("本月新增逾期站点", "Sites overdue since this month"),
        ref_headers(),
        refs(&c.changes.newly_overdue),
    );
    t.merge_first = true;
    t.unit = Some(sites_unit(c.changes.newly_overdue.len(), lang));
    out.push(t);
    let mut t = table(
        changes,
        false,
        l("本月销号的困难", "Obstacles resolved this month"),
        vec![
            l("区县", "County"),
            l("序号", "No."),
            l("困难编号", "Obstacle id"),
            l("站址编号", "Site id"),
            l("困难类型", "Kind"),
            l("责任单位", "Responsible unit"),
            l("提出日期", "Opened"),
            l("销号日期", "Resolved"),
            l("处理结果", "Resolution"),
        ],
        site_list(
            c.changes
                .resolved
                .iter()
                .map(|r| {
                    (
                        r.county.as_str(),
                        vec![
                            Cell::Int(r.id),
                            text(r.site.clone()),
                            text(kind_label(r.kind, lang)),
                            text(r.responsible_unit.clone()),
                            Cell::Date(r.opened),
                            Cell::Date(r.resolved),
                            text(r.resolution.clone()),
                        ],
                    )
                })
                .collect(),
        ),
    );
    t.merge_first = true;
    t.unit = Some(match lang {
        Lang::Zh => format!("共 {} 项", c.changes.resolved.len()),
        Lang::En => format!("{} obstacles", c.changes.resolved.len()),
    });
    out.push(t);

    let others = l("运维及其他", "Operations and more");
    let mut t = table(
        others,
        false,
        l(
            "运维：超过24小时未上报的站点（已安装设备、曾上报且按上报周期已离线）",
            "Operations: sites silent for more than 24 hours (equipment installed, reported before, offline by their interval)",
        ),
        vec![
            l("区县", "County"),
            l("序号", "No."),
            l("站址编号", "Site id"),
            l("站址名称", "Name"),
            l("阶段", "Stage"),
            l("最后上报", "Last report"),
            l("失联小时", "Hours silent"),
        ],
        site_list(
            c.silent
                .iter()
                .map(|s| {
                    (
                        s.county.as_str(),
                        vec![
                            text(s.site.clone()),
                            text(s.name.clone()),
                            text(stage_label(s.stage, lang)),
                            Cell::Time(s.last_report),
                            Cell::Int(s.hours_silent),
                        ],
                    )
                })
                .collect(),
        ),
    );
    t.merge_first = true;
    t.unit = Some(sites_unit(c.silent.len(), lang));
    out.push(t);

    out.push(table(
        others,
        false,
        l(
            "未列入规划但有上报的站点",
            "Reporting sites not in the plan",
        ),
        vec![
            l("序号", "No."),
            l("站址编号", "Site id"),
            l("名称", "Name"),
            l("区县", "County"),
            l("阶段", "Stage"),
            l("最后上报", "Last report"),
        ],
        c.unplanned
            .iter()
            .enumerate()
            .map(|(i, u)| {
                Row::body(vec![
                    Cell::Int(i as i64 + 1),
                    text(u.site.clone()),
                    text(u.name.clone().unwrap_or_default()),
                    text(
                        u.county
                            .as_deref()
                            .map(|c| county_label(c, lang))
                            .unwrap_or_default(),
                    ),
                    text(stage_label(u.stage, lang)),
                    u.last_report.map_or(Cell::Empty, Cell::Time),
                ])
            })
            .collect(),
    ));

    out.push(table(
        others,
        false,
        l(
            "超过五个工作日未处理的异议",
            "Objections undecided for more than five working days",
        ),
        vec![
            l("序号", "No."),
            l("编号", "Id"),
            l("站址编号", "Site id"),
            l("异议字段", "Field"),
            l("建议值", "Proposed"),
            l("提出人", "Filed by"),
            l("提出日期", "Filed"),
            l("已过工作日", "Working days"),
        ],
        c.objections
            .iter()
            .enumerate()
            .map(|(i, o)| {
                Row::body(vec![
                    Cell::Int(i as i64 + 1),
                    Cell::Int(o.id),
                    text(o.site.clone()),
                    text(o.field.clone()),
                    text(o.proposed.clone()),
                    text(o.by.clone()),
                    Cell::Date(o.filed),
                    Cell::Int(o.working_days),
                ])
            })
            .collect(),
    ));

    if let Some(p) = &c.pilots {
        pilot_tables(&mut out, p, lang, top_n);
    }

    for (i, t) in out.iter_mut().enumerate() {
        t.title = number(i + 1, &t.title, lang);
    }
    out
}

/// The 5G+ application pilots: per field against the plan's targets, then the projects held up
/// by missing 5G and those past their deadline.
fn pilot_tables(
    out: &mut Vec<Table>,
    p: &crate::views::pilots::PilotProgress,
    lang: Lang,
    top_n: usize,
) {
    use crate::domain::pilot::PilotStage;
    use crate::views::pilots::{PilotRef, Tally};
    let l = |zh, en| lang.pick(zh, en);
    let sheet = l("应用试点", "Pilots");
    let tally_cells = |t: &Tally| {
        let mut v: Vec<Cell> = vec![int(t.projects)];
        v.extend(
            PilotStage::ALL
                .iter()
                .map(|s| int(t.stages.get(s).copied().unwrap_or(0))),
        );
        v.extend([int(t.done), int(t.overdue), int(t.blocked)]);
        v
    };
    let mut rows: Vec<Row> = p
        .fields
        .iter()
        .map(|f| {
            let mut cells = vec![
                text(lang.pick(f.field.label_zh(), f.field.label_en())),
                opt(f.target),
            ];
            cells.extend(tally_cells(&f.tally));
            cells.insert(9, Cell::Pct(f.completion));
            cells.push(text(f.responsible.join(lang.pick("、", ", "))));
            Row::body(cells)
        })
        .collect();
    let mut total = vec![text(l("合计", "Total")), opt(p.total.target)];
    total.extend(tally_cells(&p.total.tally));
    total.insert(9, Cell::Pct(p.total.completion));
    total.push(Cell::Empty);
    rows.push(Row::of(RowKind::Total, total));
    let mut headers = vec![l("领域", "Field"), l("目标（个）", "Target")];
    headers.push(l("项目数", "Projects"));
    headers.extend(
        PilotStage::ALL
            .iter()
            .map(|s| lang.pick(s.label_zh(), s.label_en())),
    );
    headers.extend([
        l("已验收", "Done"),
        l("完成率", "Of the target"),
        l("逾期", "Overdue"),
        l("缺少5G", "Without 5G"),
        l("责任单位", "Responsible"),
    ]);
    let mut t = Table {
        sheet,
        page_one: false,
        title: l(
            "5G+应用场景试点示范项目（分领域，按验收计完成）",
            "5G+ application pilots by field (done when accepted)",
        )
        .into(),
        unit: Some(l("单位：个", "Unit: projects").into()),
        headers,
        rows,
        merge_first: false,
        alert: vec![10, 11],
        note: None,
        chart_data: false,
    };
    t.note = Some(
        l(
            "缺少5G：依托站址未开通，或未指定站址而项目位置不在已开通站点覆盖范围内。",
            "Without 5G: a site it depends on is not on air, or — naming none — its position lies outside every on-air site's footprint.",
        )
        .into(),
    );
    out.push(t);

    let reason = |r: &PilotRef| -> String {
        if !r.readiness.sites_not_on_air.is_empty() {
            match lang {
                Lang::Zh => format!(
                    "依托站址未开通：{}",
                    r.readiness.sites_not_on_air.join("、")
                ),
                Lang::En => format!(
                    "sites not on air: {}",
                    r.readiness.sites_not_on_air.join(", ")
                ),
            }
        } else {
            l("项目位置无5G覆盖", "no 5G coverage at its position").into()
        }
    };
    let list = |v: &[PilotRef], with_reason: bool| {
        by_county(
            v.iter()
                .map(|r| {
                    let mut cells = vec![
                        text(r.id.clone()),
                        text(r.name.clone()),
                        text(lang.pick(r.field.label_zh(), r.field.label_en())),
                        text(r.department.clone()),
                        text(lang.pick(r.stage.label_zh(), r.stage.label_en())),
                        r.deadline.map_or(Cell::Empty, Cell::Date),
                    ];
                    if with_reason {
                        cells.push(text(reason(r)));
                    }
                    (r.county.as_str(), cells)
                })
                .collect(),
            top_n,
            lang,
        )
    };
    let headers = |with_reason: bool| {
        let mut h = vec![
            l("区县", "County"),
            l("序号", "No."),
            l("项目编号", "Code"),
            l("项目名称", "Project"),
            l("领域", "Field"),
            l("牵头部门", "Lead department"),
            l("当前阶段", "Stage"),
            l("完成期限", "Deadline"),
        ];
        if with_reason {
            h.push(l("原因", "Why"));
        }
        h
    };
    for (title, v, with_reason) in [
        (
            l("因缺少5G覆盖受阻的试点项目", "Pilots held up by missing 5G"),
            &p.blocked,
            true,
        ),
        (
            l("逾期未验收的试点项目", "Pilots past their deadline"),
            &p.overdue,
            false,
        ),
    ] {
        out.push(Table {
            sheet,
            page_one: false,
            title: title.into(),
            unit: Some(match lang {
                Lang::Zh => format!("共 {} 个项目", v.len()),
                Lang::En => format!("{} projects", v.len()),
            }),
            headers: headers(with_reason),
            rows: list(v, with_reason),
            merge_first: true,
            alert: Vec::new(),
            note: None,
            chart_data: false,
        });
    }
}
