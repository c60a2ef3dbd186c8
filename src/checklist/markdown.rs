//! Markdown export: a heading per table, pipe tables with numbers right-aligned, subtotal and
//! total rows in bold, each county's list cut at `top_n` rows with "and N more".

use super::Checklist;
use super::tables::{Lang, RowKind, byline, notes, signature, tables, title};
use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

pub fn render(c: &Checklist, lang: Lang, top_n: usize) -> String {
    let mut out = format!("# {}\n\n{}  \n", title(c, lang), byline(c, lang));
    for n in notes(c, lang) {
        let _ = writeln!(out, "{n}  ");
    }
    for t in tables(c, lang, top_n) {
        let _ = write!(out, "\n## {}\n\n", t.title);
        if let Some(u) = &t.unit {
            let _ = write!(out, "{u}\n\n");
        }
        if t.rows.is_empty() {
            out.push_str(lang.pick("（无）\n", "(none)\n"));
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
                    .any(|r| r.cells.get(i).is_some_and(|c| c.is_number()))
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
        for row in t.printed() {
            let mut cells: Vec<String> = row
                .cells
                .iter()
                .map(|c| {
                    let s = escape(&c.text());
                    if row.bold() && !s.is_empty() {
                        format!("**{s}**")
                    } else {
                        s
                    }
                })
                .collect();
            if row.kind == RowKind::More {
                cells.resize(t.headers.len(), String::new());
            }
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        if let Some(n) = &t.note {
            let _ = write!(out, "\n{n}\n");
        }
    }
    let _ = write!(
        out,
        "\n{}\n",
        signature(c, lang)
            .into_iter()
            .map(|(label, name)| format!("{label}：{name}"))
            .collect::<Vec<_>>()
            .join("　　")
    );
    out
}
