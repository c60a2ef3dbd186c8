//! The checklist as titled tables, labelled in Chinese (default) or English. Every export (CSV,
//! XLSX, Markdown, HTML) renders these tables, so they all show the same cells.

use super::*;
use crate::domain::calendar::tz;
use crate::wire::domain::{county_name_en, county_name_zh};

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

    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
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
    Empty,
}

impl Cell {
    /// As text: integers plainly, shares as `45.0%`.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Pct(Some(v)) => format!("{:.1}%", v * 100.0),
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

/// One table: a sheet of the XLSX, a section elsewhere.
#[derive(Debug, Clone)]
pub struct Table {
    /// Short name (an XLSX sheet name: at most 31 characters).
    pub name: &'static str,
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows at the end that hold totals (shown in bold).
    pub total_rows: usize,
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

/// Lines under the title: the time the figures hold at, and whether the month is closed.
pub fn notes(c: &Checklist, lang: Lang) -> Vec<String> {
    let mut v = vec![match lang {
        Lang::Zh => format!("数据截至：{}（北京时间）", local_time(c.as_of)),
        Lang::En => format!(
            "Figures as of {} (China Standard Time)",
            local_time(c.as_of)
        ),
    }];
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

pub fn tables(c: &Checklist, lang: Lang) -> Vec<Table> {
    let l = |zh, en| lang.pick(zh, en);
    let mut out = Vec::new();

    out.push(Table {
        name: l("目标进度", "Targets"),
        title: l("一、目标完成情况", "1. Targets").into(),
        headers: vec![
            l("目标", "Target"),
            l("完成期限", "Deadline"),
            l("目标开通数", "Sites on air by then"),
            l("已开通", "On air"),
            l("尚差", "Remaining"),
            l("是否完成", "Met"),
        ],
        rows: c
            .targets
            .iter()
            .map(|t| {
                vec![
                    text(t.name.clone()),
                    text(t.deadline.to_string()),
                    int(t.target),
                    int(t.on_air),
                    int(t.remaining),
                    text(if t.met {
                        l("是", "yes")
                    } else {
                        l("否", "no")
                    }),
                ]
            })
            .collect(),
        total_rows: 0,
    });

    let mut headers = vec![
        l("区县", "County"),
        l("运营商", "Operator"),
        l("年度任务", "Yearly task"),
        l("本月新开通", "New on air this month"),
        l("累计建成", "Built"),
        l("累计开通", "On air"),
        l("本年开通", "On air this year"),
        l("年度完成率", "Completion"),
        l("倒排应开通", "Expected by schedule"),
        l("差额", "Shortfall"),
        l("排名", "Rank"),
    ];
    for k in ObstacleKind::ALL {
        headers.push(match lang {
            Lang::Zh => match k {
                ObstacleKind::Access => "未销号困难：进场受阻",
                ObstacleKind::Power => "未销号困难：引电困难",
                ObstacleKind::Fees => "未销号困难：违规收费",
                ObstacleKind::Dispute => "未销号困难：群众阻工",
                ObstacleKind::Permit => "未销号困难：规划审批",
                ObstacleKind::Interference => "未销号困难：卫星地球站干扰协调",
                ObstacleKind::Relocation => "未销号困难：拆迁改建",
                ObstacleKind::Damage => "未销号困难：窃电破坏",
            },
            Lang::En => match k {
                ObstacleKind::Access => "Open: access",
                ObstacleKind::Power => "Open: power",
                ObstacleKind::Fees => "Open: fees",
                ObstacleKind::Dispute => "Open: dispute",
                ObstacleKind::Permit => "Open: permit",
                ObstacleKind::Interference => "Open: interference",
                ObstacleKind::Relocation => "Open: relocation",
                ObstacleKind::Damage => "Open: damage",
            },
        });
    }
    headers.push(l("本月销号", "Resolved this month"));
    headers.push(l("逾期站点", "Overdue sites"));
    let summary_row = |r: &SummaryRow, county: String, operator: String| {
        let mut row = vec![
            text(county),
            text(operator),
            r.yearly_task.map_or(Cell::Empty, int),
            int(r.new_on_air),
            int(r.built),
            int(r.on_air),
            int(r.on_air_this_year),
            Cell::Pct(r.completion),
            int(r.expected),
            int(r.shortfall),
            r.rank.map_or(Cell::Empty, |v| Cell::Int(i64::from(v))),
        ];
        for k in ObstacleKind::ALL {
            row.push(int(r.open_obstacles.get(&k).copied().unwrap_or(0)));
        }
        row.push(int(r.resolved_obstacles));
        row.push(int(r.overdue));
        row
    };
    let mut rows: Vec<Vec<Cell>> = c
        .summary
        .iter()
        .map(|r| {
            summary_row(
                r,
                county_label(&r.county, lang),
                r.operator.map_or_else(
                    || l("小计", "Subtotal").to_string(),
                    |o| operator_label(o, lang).to_string(),
                ),
            )
        })
        .collect();
    rows.push(summary_row(
        &c.total,
        l("全市合计", "City total").into(),
        String::new(),
    ));
    out.push(Table {
        name: l("分区县运营商汇总", "Summary"),
        title: l(
            "二、分区县、分运营商建设进度",
            "2. Progress by county and operator",
        )
        .into(),
        headers,
        rows,
        total_rows: 1,
    });

    out.push(Table {
        name: l("逾期站点", "Overdue sites"),
        title: l(
            "三、逾期未开通站点清单",
            "3. Sites past their planned on-air date",
        )
        .into(),
        headers: vec![
            l("站址编号", "Site id"),
            l("站址名称", "Name"),
            l("区县", "County"),
            l("运营商", "Operators"),
            l("当前阶段", "Stage"),
            l("计划开通日期", "Planned on air"),
            l("逾期天数", "Days overdue"),
            l("未销号困难", "Open obstacles"),
            l("责任单位", "Responsible unit"),
        ],
        rows: c
            .overdue
            .iter()
            .map(|o| {
                vec![
                    text(o.site.clone()),
                    text(o.name.clone()),
                    text(county_label(&o.county, lang)),
                    text(operators_label(&o.operators, lang)),
                    text(stage_label(o.stage, lang)),
                    text(o.planned_on_air.to_string()),
                    Cell::Int(o.days_overdue),
                    text(
                        o.open_obstacles
                            .iter()
                            .map(|k| kind_label(*k, lang))
                            .collect::<Vec<_>>()
                            .join(l("、", ", ")),
                    ),
                    text(o.responsible_unit.clone()),
                ]
            })
            .collect(),
        total_rows: 0,
    });

    out.push(Table {
        name: l("困难站点", "Open obstacles"),
        title: l(
            "四、未销号困难站点（超期在前）",
            "4. Open obstacles (past their limit first)",
        )
        .into(),
        headers: vec![
            l("编号", "No."),
            l("站址编号", "Site id"),
            l("站址名称", "Name"),
            l("区县", "County"),
            l("困难类型", "Kind"),
            l("问题描述", "Description"),
            l("责任单位", "Responsible unit"),
            l("提出日期", "Opened"),
            l("限期", "Due"),
            l("已历时（天）", "Age (days)"),
            l("超期（天）", "Days past due"),
        ],
        rows: c
            .obstacles
            .iter()
            .map(|o| {
                vec![
                    Cell::Int(o.id),
                    text(o.site.clone()),
                    text(o.name.clone()),
                    text(county_label(&o.county, lang)),
                    text(kind_label(o.kind, lang)),
                    text(o.description.clone()),
                    text(o.responsible_unit.clone()),
                    text(o.opened.to_string()),
                    text(o.due.to_string()),
                    Cell::Int(o.age_days),
                    Cell::Int(o.days_past_due),
                ]
            })
            .collect(),
        total_rows: 0,
    });

    out.push(Table {
        name: l("失联站点", "Silent sites"),
        title: l(
            "五、运维：超过24小时未上报的站点",
            "5. Operations: sites silent for more than 24 hours",
        )
        .into(),
        headers: vec![
            l("站址编号", "Site id"),
            l("站址名称", "Name"),
            l("区县", "County"),
            l("阶段", "Stage"),
            l("最后上报", "Last report"),
            l("失联小时", "Hours silent"),
        ],
        rows: c
            .silent
            .iter()
            .map(|s| {
                vec![
                    text(s.site.clone()),
                    text(s.name.clone()),
                    text(county_label(&s.county, lang)),
                    text(stage_label(s.stage, lang)),
                    text(local_time(s.last_report)),
                    Cell::Int(s.hours_silent),
                ]
            })
            .collect(),
        total_rows: 0,
    });

    let power_row = |p: &PowerRow, county: String| {
        vec![
            text(county),
            int(p.reporting),
            int(p.direct),
            int(p.transferred),
            Cell::Pct(p.direct_share),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = c
        .power
        .iter()
        .map(|p| power_row(p, county_label(&p.county, lang)))
        .collect();
    rows.push(power_row(
        &c.power_total,
        l("全市合计", "City total").into(),
    ));
    out.push(Table {
        name: l("转供电改直供电", "Power supply"),
        title: l(
            "六、转供电改直供电",
            "6. Transferred to direct power supply",
        )
        .into(),
        headers: vec![
            l("区县", "County"),
            l("上报站点", "Sites reporting"),
            l("直供电", "Direct"),
            l("转供电", "Transferred"),
            l("直供电占比", "Direct share"),
        ],
        rows,
        total_rows: 1,
    });

    let mut rows = Vec::new();
    for s in &c.changes.newly_on_air {
        rows.push(vec![
            text(l("本月新开通", "Newly on air")),
            text(s.site.clone()),
            text(s.name.clone()),
            text(county_label(&s.county, lang)),
            text(operators_label(&s.operators, lang)),
        ]);
    }
    for s in &c.changes.newly_overdue {
        rows.push(vec![
            text(l("本月新增逾期", "Newly overdue")),
            text(s.site.clone()),
            text(s.name.clone()),
            text(county_label(&s.county, lang)),
            text(operators_label(&s.operators, lang)),
        ]);
    }
    for r in &c.changes.resolved {
        rows.push(vec![
            text(l("本月销号", "Obstacle resolved")),
            text(r.site.clone()),
            text(format!("#{} {}", r.id, kind_label(r.kind, lang))),
            text(r.resolved.to_string()),
            text(r.resolution.clone()),
        ]);
    }
    out.push(Table {
        name: l("本月变化", "Changes"),
        title: l("七、较上月变化", "7. Changes since last month").into(),
        headers: vec![
            l("变化", "Change"),
            l("站址编号", "Site id"),
            l("名称/事项", "Name / item"),
            l("区县/日期", "County / date"),
            l("运营商/说明", "Operators / note"),
        ],
        rows,
        total_rows: 0,
    });

    out.push(Table {
        name: l("规划外站点", "Unplanned sites"),
        title: l(
            "八、未列入规划但有上报的站点",
            "8. Reporting sites not in the plan",
        )
        .into(),
        headers: vec![
            l("站址编号", "Site id"),
            l("名称", "Name"),
            l("区县", "County"),
            l("阶段", "Stage"),
            l("最后上报", "Last report"),
        ],
        rows: c
            .unplanned
            .iter()
            .map(|u| {
                vec![
                    text(u.site.clone()),
                    text(u.name.clone().unwrap_or_default()),
                    text(
                        u.county
                            .as_deref()
                            .map(|c| county_label(c, lang))
                            .unwrap_or_default(),
                    ),
                    text(stage_label(u.stage, lang)),
                    text(u.last_report.map(local_time).unwrap_or_default()),
                ]
            })
            .collect(),
        total_rows: 0,
    });

    out.push(Table {
        name: l("超期未决异议", "Objections"),
        title: l(
            "九、超过五个工作日未处理的异议",
            "9. Objections undecided for more than five working days",
        )
        .into(),
        headers: vec![
            l("编号", "No."),
            l("站址编号", "Site id"),
            l("异议字段", "Field"),
            l("建议值", "Proposed"),
            l("提出人", "Filed by"),
            l("提出日期", "Filed"),
            l("已过工作日", "Working days"),
        ],
        rows: c
            .objections
            .iter()
            .map(|o| {
                vec![
                    Cell::Int(o.id),
                    text(o.site.clone()),
                    text(o.field.clone()),
                    text(o.proposed.clone()),
                    text(o.by.clone()),
                    text(o.filed.to_string()),
                    Cell::Int(o.working_days),
                ]
            })
            .collect(),
        total_rows: 0,
    });

    out.push(Table {
        name: l("累计开通趋势", "Trend"),
        title: l(
            "九、累计开通与倒排进度",
            "9. Cumulative on air against the schedule",
        )
        .into(),
        headers: vec![
            l("月份", "Month"),
            l("累计开通", "On air"),
            l("倒排应开通", "Expected by schedule"),
        ],
        rows: c
            .trend
            .iter()
            .map(|t| vec![text(t.month.to_string()), int(t.on_air), int(t.expected)])
            .collect(),
        total_rows: 0,
    });
    out
}
