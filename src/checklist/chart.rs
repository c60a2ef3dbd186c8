//! The burn-up chart as SVG, for the HTML printout: cumulative sites on air month by month
//! against the backward schedule, with each target due within the chart's year as a line.
//! Pure text out, no script: it prints as it shows.

use super::Checklist;
use super::tables::Lang;
use crate::domain::calendar::Month;
use chrono::Datelike;
use std::fmt::Write;

const W: f64 = 1000.0;
const H: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 56.0;
const ON_AIR: &str = "#1f5fae";
const EXPECTED: &str = "#d9822b";
const TARGET: &str = "#c0392b";

/// A step for about five ticks: 1, 2 or 5 times a power of ten.
fn step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

fn month_label(m: Month, lang: Lang, first: bool) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let with_year = first || m.month == 1;
    match (lang, with_year) {
        (Lang::Zh, true) => format!("{}年{}月", m.year, m.month),
        (Lang::Zh, false) => format!("{}月", m.month),
        (Lang::En, true) => format!("{} {}", EN[m.month as usize - 1], m.year),
        (Lang::En, false) => EN[m.month as usize - 1].to_string(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The chart; `None` when there is no trend to draw.
pub fn svg(c: &Checklist, lang: Lang) -> Option<String> {
    let first = c.trend.first()?.month;
    // The months drawn: the trend's, then on to December of the checklist's year, so that a
    // target due this year shows where the line must reach.
    let mut months: Vec<Month> = c.trend.iter().map(|p| p.month).collect();
    let mut m = c.month.next();
    while m.year == c.month.year {
        months.push(m);
        m = m.next();
    }
    let targets: Vec<(usize, u64, &str)> = c
        .targets
        .iter()
        .filter_map(|t| {
            let due = Month::new(t.deadline.year(), t.deadline.month())?;
            let i = months.iter().position(|m| *m == due)?;
            Some((i, t.target, t.name.as_str()))
        })
        .collect();
    let top = c
        .trend
        .iter()
        .flat_map(|p| [p.on_air, p.expected])
        .chain(targets.iter().map(|t| t.1))
        .max()
        .unwrap_or(0)
        .max(10) as f64;
    let step = step(top);
    let y_max = (top / step).ceil() * step;
    let n = months.len().max(1) as f64;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| LEFT + plot_w * (i as f64 + 0.5) / n;
    let y = |v: f64| TOP + plot_h * (1.0 - v / y_max);

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg" role="img" font-family="Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif" font-size="15">"#
    );
    let _ = write!(
        s,
        r#"<title>{}</title>"#,
        escape(lang.pick(
            "累计开通站点数与倒排进度",
            "Cumulative sites on air against the schedule"
        ))
    );
    // Grid and y axis.
    let mut v = 0.0;
    while v <= y_max + 0.5 {
        let yy = y(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#333">{}</text>"##,
            W - RIGHT,
            LEFT - 8.0,
            yy + 5.0,
            v as u64
        );
        v += step;
    }
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="#333"/><line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        TOP + plot_h,
        TOP + plot_h,
        W - RIGHT,
        TOP + plot_h
    );
    let _ = write!(
        s,
        r##"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle" fill="#333">{}</text>"##,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        lang.pick("站点数（个）", "Sites")
    );
    // Month labels: every month when they fit, else every second or third.
    let every = (months.len() / 14 + 1).max(1);
    for (i, m) in months.iter().enumerate() {
        if i % every == 0 || i + 1 == months.len() {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
                x(i),
                TOP + plot_h + 22.0,
                month_label(*m, lang, *m == first)
            );
        }
    }
    // On air: bars with their figure on the last one; the schedule as a dashed line.
    let bar = (plot_w / n * 0.6).min(40.0);
    for (i, p) in c.trend.iter().enumerate() {
        let yy = y(p.on_air as f64);
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{yy:.1}" width="{bar:.1}" height="{:.1}" fill="{ON_AIR}"/>"#,
            x(i) - bar / 2.0,
            TOP + plot_h - yy
        );
    }
    if let Some((i, p)) = c.trend.iter().enumerate().next_back() {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{ON_AIR}" font-weight="700">{}</text>"#,
            x(i),
            y(p.on_air as f64) - 6.0,
            p.on_air
        );
    }
    let points: Vec<String> = c
        .trend
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.expected as f64)))
        .collect();
    if !points.is_empty() {
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{EXPECTED}" stroke-width="3" stroke-dasharray="8 5"/>"#,
            points.join(" ")
        );
    }
    for (i, target, name) in &targets {
        let yy = y(*target as f64);
        let _ = write!(
            s,
            r#"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="3 4"/><circle cx="{:.1}" cy="{yy:.1}" r="6" fill="{TARGET}"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{TARGET}">{}</text>"#,
            x(*i),
            x(*i),
            x(*i) - 10.0,
            yy - 8.0,
            escape(&match lang {
                Lang::Zh => format!("{name}年目标 {target}"),
                Lang::En => format!("target {name}: {target}"),
            })
        );
    }
    // Legend.
    let ly = 22.0;
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{:.1}" width="18" height="12" fill="{ON_AIR}"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
        ly - 11.0,
        LEFT + 24.0,
        ly,
        lang.pick("累计开通", "On air")
    );
    let _ = write!(
        s,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{EXPECTED}" stroke-width="3" stroke-dasharray="8 5"/><text x="{:.1}" y="{ly:.1}" fill="#333">{}</text>"##,
        LEFT + 150.0,
        ly - 5.0,
        LEFT + 190.0,
        ly - 5.0,
        LEFT + 196.0,
        lang.pick("倒排应开通", "Expected by the schedule")
    );
    let _ = write!(
        s,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="3 4"/><text x="{:.1}" y="{ly:.1}" fill="#333">{}</text>"##,
        LEFT + 420.0,
        ly - 5.0,
        LEFT + 460.0,
        ly - 5.0,
        LEFT + 466.0,
        lang.pick("目标", "Target")
    );
    s.push_str("</svg>");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(step(1500.0), 500.0);
        assert_eq!(step(10_000.0), 2000.0);
        assert_eq!(step(12.0), 5.0);
    }
}
