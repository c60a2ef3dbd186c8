//! CSV export: every table one after another, each under its title, in UTF-8 with a byte-order
//! mark so that Excel shows the Chinese text as it is.

use super::Checklist;
use super::tables::{Lang, notes, tables, title};

pub fn render(c: &Checklist, lang: Lang) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to a Vec cannot fail.
    let _ = w.write_record([title(c, lang)]);
    for n in notes(c, lang) {
        let _ = w.write_record([n]);
    }
    for t in tables(c, lang) {
        let _ = w.write_record([""]);
        let _ = w.write_record([t.title.as_str()]);
        let _ = w.write_record(&t.headers);
        for row in &t.rows {
            let _ = w.write_record(row.iter().map(|c| c.text()));
        }
    }
    w.into_inner().unwrap_or_default()
}
