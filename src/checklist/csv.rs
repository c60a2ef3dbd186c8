//! CSV export: every table one after another, each under its title, with every row of every
//! list (nothing folded), in UTF-8 with a byte-order mark so that Excel shows the Chinese text
//! as it is.

use super::Checklist;
use super::tables::{Lang, byline, notes, signature, tables, title};

pub fn render(c: &Checklist, lang: Lang) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to a Vec cannot fail.
    let _ = w.write_record([title(c, lang)]);
    let _ = w.write_record([byline(c, lang)]);
    for n in notes(c, lang) {
        let _ = w.write_record([n]);
    }
    for t in tables(c, lang, usize::MAX) {
        let _ = w.write_record([""]);
        let _ = w.write_record([t.title.as_str(), t.unit.as_deref().unwrap_or("")]);
        let _ = w.write_record(&t.headers);
        for row in t.data() {
            let _ = w.write_record(row.cells.iter().map(|c| c.text()));
        }
        if let Some(n) = &t.note {
            let _ = w.write_record([n]);
        }
    }
    let _ = w.write_record([""]);
    let _ = w.write_record(
        signature(c, lang)
            .into_iter()
            .map(|(label, name)| format!("{label}：{}", name.trim_matches('　'))),
    );
    w.into_inner().unwrap_or_default()
}
