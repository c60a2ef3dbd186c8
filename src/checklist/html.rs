//! HTML export, laid out for printing on A4 landscape: page one is the meeting's page (targets
//! and coverage goals, the burn-up chart as SVG, the county ranking, the items to coordinate and
//! the signature block); the numbered detail tables follow, their headers repeated on every
//! printed page, rows never split, county cells merged, each county's list cut at `top_n` rows
//! with "and N more". Page numbers print in the footer.

use super::Checklist;
use super::chart;
use super::tables::{Cell, Lang, Row, RowKind, Table, byline, notes, signature, tables, title};
use std::fmt::Write;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
@page { size: A4 landscape; margin: 10mm 9mm 11mm;
        @top-center { content: var(--running); font-size: 7.5pt; color: #555; }
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #444; } }
@page :first { @top-center { content: none; } }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun", sans-serif;
       font-size: 9pt; line-height: 1.25; color: #111; margin: 0 auto; max-width: 279mm; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 1.5mm; letter-spacing: 0.5pt; }
p.byline, p.note { margin: 0 0 1mm; text-align: center; color: #333; }
h2 { font-size: 10.5pt; margin: 3.5mm 0 1mm; break-after: avoid; display: flex; justify-content: space-between; align-items: baseline; }
h2 .unit { font-size: 8pt; font-weight: 400; color: #333; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; }
th, td { border: 0.5pt solid #444; padding: 0.5mm 1mm; vertical-align: middle; }
th { background: #e6ecf5; font-weight: 700; text-align: center; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.nw { white-space: nowrap; }
td.alert { color: #b00020; font-weight: 700; }
tr.sub td { font-weight: 700; background: #f3f3f3; }
tr.total td { font-weight: 700; background: #e9e9e9; }
tr.more td { color: #444; font-style: italic; }
td.merged { font-weight: 700; text-align: center; white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
p.none { color: #555; margin: 0; }
p.tnote { margin: 0.8mm 0 0; font-size: 7.5pt; color: #333; }
.page-one { display: grid; grid-template-columns: 1fr 1fr; column-gap: 6mm; break-after: page; }
.page-one h2:first-child { margin-top: 1.5mm; }
.page-one th { word-break: keep-all; }
svg.chart { width: 100%; height: auto; display: block; margin-top: 1mm; }
.signature { display: flex; justify-content: space-between; margin-top: 4mm; font-size: 9.5pt; }
.signature span b { font-weight: 400; border-bottom: 0.5pt solid #333; padding: 0 2mm; }
@media screen { body { padding: 8mm; } }
"#;

/// How many printed rows each cell of the first column spans (0: covered by the one above).
fn spans(rows: &[&Row]) -> Vec<usize> {
    let mut out = vec![1; rows.len()];
    let mut i = 0;
    while i < rows.len() {
        let first = rows[i].cells.first().map(Cell::text).unwrap_or_default();
        let mut j = i + 1;
        while j < rows.len()
            && rows[j].kind != RowKind::Total
            && rows[i].kind != RowKind::Total
            && rows[j].cells.first().map(Cell::text).unwrap_or_default() == first
        {
            out[j] = 0;
            j += 1;
        }
        out[i] = j - i;
        i = j;
    }
    out
}

fn table(out: &mut String, t: &Table, lang: Lang) {
    let _ = write!(out, "<h2><span>{}</span>", escape(&t.title));
    if let Some(u) = &t.unit {
        let _ = write!(out, "<span class=\"unit\">{}</span>", escape(u));
    }
    out.push_str("</h2>\n");
    let rows: Vec<&Row> = t.printed().collect();
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"none\">{}</p>",
            lang.pick("（无）", "(none)")
        );
        return;
    }
    out.push_str("<table>\n<thead><tr>");
    for h in &t.headers {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let spans = if t.merge_first {
        spans(&rows)
    } else {
        vec![1; rows.len()]
    };
    for (row, span) in rows.iter().zip(spans) {
        out.push_str(match row.kind {
            RowKind::Body => "<tr>",
            RowKind::Subtotal => "<tr class=\"sub\">",
            RowKind::Total => "<tr class=\"total\">",
            RowKind::More => "<tr class=\"more\">",
        });
        for (col, cell) in row.cells.iter().enumerate() {
            if col == 0 && span == 0 {
                continue;
            }
            let mut attrs = String::new();
            if col == 0 && t.merge_first {
                if span > 1 {
                    let _ = write!(attrs, " rowspan=\"{span}\"");
                }
                attrs.push_str(" class=\"merged\"");
            } else if row.kind == RowKind::More && col == 1 {
                let _ = write!(attrs, " colspan=\"{}\"", t.headers.len() - 1);
            } else {
                let alert = t.alert.contains(&col) && matches!(cell, Cell::Int(n) if *n > 0);
                let class = match cell {
                    _ if alert => "n alert",
                    c if c.is_number() => "n",
                    Cell::Date(_) | Cell::Time(_) => "nw",
                    Cell::Text(s) if s.chars().count() <= 6 => "nw",
                    _ => "",
                };
                if !class.is_empty() {
                    let _ = write!(attrs, " class=\"{class}\"");
                }
            }
            let _ = write!(out, "<td{attrs}>{}</td>", escape(&cell.text()));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(n) = &t.note {
        let _ = writeln!(out, "<p class=\"tnote\">{}</p>", escape(n));
    }
}

pub fn render(c: &Checklist, lang: Lang, top_n: usize) -> String {
    let t = title(c, lang);
    // Pages after the first carry the title and the as-of time at their top.
    let running = format!("{t}　{}", byline(c, lang))
        .replace('\\', "")
        .replace('"', "'")
        .replace('<', "");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        lang.pick("zh-CN", "en"),
        escape(&t),
        STYLE.replace("var(--running)", &format!("\"{running}\"")),
        escape(&t)
    );
    let _ = writeln!(out, "<p class=\"byline\">{}</p>", escape(&byline(c, lang)));
    for n in notes(c, lang) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&n));
    }
    let all = tables(c, lang, top_n);
    let (one, rest): (Vec<&Table>, Vec<&Table>) = all.iter().partition(|t| t.page_one);
    // Page one: targets, coverage and the chart on the left; ranking, coordination and the
    // signature on the right.
    let (left, right) = one.split_at(one.len().min(2));
    out.push_str("<div class=\"page-one\">\n<div>\n");
    for t in left {
        table(&mut out, t, lang);
    }
    if let Some(svg) = chart::svg(c, lang) {
        let _ = writeln!(
            out,
            "<h2><span>{}</span></h2>\n{svg}",
            escape(lang.pick(
                "累计开通与倒排进度图",
                "Burn-up: cumulative on air against the schedule"
            ))
        );
    }
    out.push_str("</div>\n<div>\n");
    for t in right {
        table(&mut out, t, lang);
    }
    out.push_str("<div class=\"signature\">");
    for (label, name) in signature(c, lang) {
        let _ = write!(
            out,
            "<span>{}：<b>{}</b></span>",
            escape(label),
            escape(&name)
        );
    }
    out.push_str("</div>\n</div>\n</div>\n");
    for t in rest {
        table(&mut out, t, lang);
    }
    out.push_str("</body>\n</html>\n");
    out
}
