//! Excel export: one sheet per table with a frozen, bold header row and columns sized to their
//! contents, and a chart of cumulative on-air sites against the backward schedule. The file's
//! creation time is the checklist's own time, so the same checklist gives the same bytes.

use super::Checklist;
use super::tables::{Cell, Lang, tables, title};
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

/// Display width of text in Excel's character units: CJK characters take two.
fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) > 0x2E80 { 2.0 } else { 1.0 })
        .sum()
}

pub fn render(c: &Checklist, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(title(c, lang))
            .set_author("sitepulse")
            .set_creation_datetime(&c.as_of),
    );
    let header = Format::new()
        .set_bold()
        .set_background_color("#DCE6F1")
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let pct = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold();
    let bold_pct = Format::new().set_bold().set_num_format("0.0%");
    for t in tables(c, lang) {
        let ws = wb.add_worksheet();
        ws.set_name(t.name)?;
        let mut widths: Vec<f64> = t.headers.iter().map(|h| width(h).min(24.0)).collect();
        for (col, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &header)?;
        }
        for (i, row) in t.rows.iter().enumerate() {
            let r = (i + 1) as u32;
            let total = i >= t.rows.len() - t.total_rows;
            for (col, cell) in row.iter().enumerate() {
                let col16 = col as u16;
                match cell {
                    Cell::Text(s) if total => {
                        ws.write_string_with_format(r, col16, s, &bold)?;
                    }
                    Cell::Text(s) => {
                        ws.write_string(r, col16, s)?;
                    }
                    Cell::Int(n) if total => {
                        ws.write_number_with_format(r, col16, *n as f64, &bold)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, col16, *n as f64)?;
                    }
                    Cell::Pct(Some(v)) => {
                        ws.write_number_with_format(
                            r,
                            col16,
                            *v,
                            if total { &bold_pct } else { &pct },
                        )?;
                    }
                    Cell::Pct(None) | Cell::Empty => {}
                }
                if let Some(w) = widths.get_mut(col) {
                    *w = w.max(width(&cell.text()));
                }
            }
        }
        for (col, w) in widths.iter().enumerate() {
            ws.set_column_width(col as u16, (w + 2.0).clamp(8.0, 50.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_repeat_rows(0, 0)?;
        if t.name == "累计开通趋势" || t.name == "Trend" {
            let n = t.rows.len() as u32;
            if n > 0 {
                let mut chart = Chart::new(ChartType::Line);
                chart.title().set_name(match lang {
                    Lang::Zh => "累计开通站点数与倒排进度",
                    Lang::En => "Cumulative sites on air against the schedule",
                });
                for col in [1u16, 2] {
                    chart
                        .add_series()
                        .set_name((t.name, 0, col))
                        .set_categories((t.name, 1, 0, n, 0))
                        .set_values((t.name, 1, col, n, col));
                }
                chart.set_width(720).set_height(360);
                ws.insert_chart(1, 4, &chart)?;
            }
        }
    }
    wb.save_to_buffer()
}
