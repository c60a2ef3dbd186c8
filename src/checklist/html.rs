//! HTML export, laid out for printing on A4 (landscape: the summary table is wide); table
//! headers repeat on every printed page and rows are not split across pages.

use super::Checklist;
use super::tables::{Lang, notes, tables, title};
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
@page { size: A4 landscape; margin: 12mm 10mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun", sans-serif;
       font-size: 10pt; color: #111; margin: 0 auto; max-width: 277mm; }
h1 { font-size: 16pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; break-after: avoid; }
p.note { margin: 0; text-align: center; color: #444; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th, td { border: 0.5pt solid #555; padding: 1mm 1.2mm; vertical-align: top; }
th { background: #e8eef7; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 700; background: #f4f4f4; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
p.none { color: #666; margin: 0; }
@media screen { body { padding: 8mm; } }
"#;

pub fn render(c: &Checklist, lang: Lang) -> String {
    let t = title(c, lang);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        match lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        },
        escape(&t),
        escape(&t)
    );
    for n in notes(c, lang) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&n));
    }
    for table in tables(c, lang) {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&table.title));
        if table.rows.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"none\">{}</p>",
                match lang {
                    Lang::Zh => "（无）",
                    Lang::En => "(none)",
                }
            );
            continue;
        }
        out.push_str("<table>\n<thead><tr>");
        for h in &table.headers {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for (i, row) in table.rows.iter().enumerate() {
            let total = i >= table.rows.len() - table.total_rows;
            out.push_str(if total {
                "<tr class=\"total\">"
            } else {
                "<tr>"
            });
            for cell in row {
                let class = if cell.is_number() { " class=\"n\"" } else { "" };
                let _ = write!(out, "<td{class}>{}</td>", escape(&cell.text()));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}
