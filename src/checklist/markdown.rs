//! Markdown export: a heading per table, pipe tables with numbers right-aligned.

use super::Checklist;
use super::tables::{Lang, notes, tables, title};
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

pub fn render(c: &Checklist, lang: Lang) -> String {
    let mut out = format!("# {}\n\n", title(c, lang));
    for n in notes(c, lang) {
        let _ = writeln!(out, "{n}  ");
    }
    for t in tables(c, lang) {
        let _ = write!(out, "\n## {}\n\n", t.title);
        if t.rows.is_empty() {
            out.push_str(match lang {
                Lang::Zh => "（无）\n",
                Lang::En => "(none)\n",
            });
            continue;
        }
        let _ = writeln!(
            out,
            "| {} |",
            t.headers
                .iter()
                .map(|h| escape(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let numeric: Vec<bool> = (0..t.headers.len())
            .map(|i| {
                t.rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| c.is_number()))
            })
            .collect();
        let _ = writeln!(
            out,
            "|{}|",
            numeric
                .iter()
                .map(|n| if *n { "---:" } else { "---" })
                .collect::<Vec<_>>()
                .join("|")
        );
        for (i, row) in t.rows.iter().enumerate() {
            let bold = i >= t.rows.len() - t.total_rows;
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    let s = escape(&c.text());
                    if bold && !s.is_empty() {
                        format!("**{s}**")
                    } else {
                        s
                    }
                })
                .collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
    }
    out
}
