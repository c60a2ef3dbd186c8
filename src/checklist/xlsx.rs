//! Excel export, set up to print: every sheet opens with the document's title and as-of row,
//! which repeat on every printed page (with a single table's header row), is fitted to the
//! page width on A4 landscape and numbers its pages in the footer. Tables keep their numbered
//! titles, units, bold 小计 and 合计 rows and merged county cells; dates are dates. Each county's
//! list shows its first rows and folds the rest under a ＋ (folded rows do not print). The
//! burn-up chart has a chart sheet, a page of its own, after the first sheet. The file's
//! creation time is the checklist's own time, so the same checklist gives the same bytes.

use super::Checklist;
use super::tables::{Cell, Lang, Row, RowKind, Table, byline, notes, signature, tables, title};
use crate::domain::calendar::tz;
use rust_xlsxwriter::{
    Chart, ChartFormat, ChartLegendPosition, ChartLine, ChartLineDashType, ChartType, Color,
    DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

/// Display width of text in Excel's character units: CJK characters take two.
fn width(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) > 0x2E80 { 2.0 } else { 1.0 })
        .sum()
}

/// Widest a column grows before its text wraps.
const MAX_WIDTH: f64 = 36.0;
/// Widest a header makes its column: longer headers wrap.
const HEADER_WIDTH: f64 = 6.0;

struct Formats {
    title: Format,
    byline: Format,
    table_title: Format,
    unit: Format,
    header: Format,
    note: Format,
    cell: [Format; 3],
    int: [Format; 3],
    pct: [Format; 3],
    date: [Format; 3],
    time: [Format; 3],
    alert: [Format; 3],
    merged: Format,
    more: Format,
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter)
            .set_font_size(10);
        // Body, subtotal, total.
        let three = |f: Format| {
            [
                f.clone(),
                f.clone()
                    .set_bold()
                    .set_background_color(Color::RGB(0xF3F3F3)),
                f.set_bold().set_background_color(Color::RGB(0xE4E4E4)),
            ]
        };
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(15)
                .set_align(FormatAlign::Center),
            byline: Format::new().set_align(FormatAlign::Center),
            table_title: Format::new().set_bold().set_font_size(11.5),
            unit: Format::new().set_align(FormatAlign::Right),
            header: base
                .clone()
                .set_bold()
                .set_background_color(Color::RGB(0xE6ECF5))
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            note: Format::new().set_text_wrap().set_font_size(9),
            cell: three(base.clone().set_text_wrap()),
            int: three(base.clone().set_num_format("0")),
            pct: three(base.clone().set_num_format("0.0%")),
            date: three(
                base.clone()
                    .set_num_format("yyyy-mm-dd")
                    .set_align(FormatAlign::Center),
            ),
            time: three(
                base.clone()
                    .set_num_format("yyyy-mm-dd hh:mm")
                    .set_align(FormatAlign::Center),
            ),
            alert: three(
                base.clone()
                    .set_num_format("0")
                    .set_bold()
                    .set_font_color(Color::RGB(0xB00020)),
            ),
            merged: base
                .clone()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_text_wrap(),
            more: base.set_italic().set_font_color(Color::RGB(0x444444)),
        }
    }
}

fn level(r: &Row) -> usize {
    match r.kind {
        RowKind::Subtotal => 1,
        RowKind::Total => 2,
        RowKind::Body | RowKind::More => 0,
    }
}

/// The sheet's column widths: the widest cell of each column over its tables.
fn widths(tables: &[&Table]) -> Vec<f64> {
    let cols = tables.iter().map(|t| t.headers.len()).max().unwrap_or(1);
    let mut w = vec![6.0f64; cols];
    for t in tables {
        for (i, h) in t.headers.iter().enumerate() {
            w[i] = w[i].max(width(h).min(HEADER_WIDTH));
        }
        for r in t.rows.iter().filter(|r| r.kind != RowKind::More) {
            for (i, c) in r.cells.iter().enumerate() {
                w[i] = w[i].max(width(&c.text()).min(MAX_WIDTH));
            }
        }
    }
    w.into_iter().map(|v| v + 1.5).collect()
}

/// Writes one table from `row`; returns the next free row and the header's row.
fn write_table(
    ws: &mut Worksheet,
    f: &Formats,
    t: &Table,
    widths: &[f64],
    mut row: u32,
    lang: Lang,
) -> Result<(u32, u32), XlsxError> {
    let last_col = (t.headers.len().max(2) - 1) as u16;
    // The unit stands at the right end of the title's row, or after the title when the title
    // would run into it.
    let room: f64 = widths[..last_col as usize].iter().sum();
    match &t.unit {
        Some(u) if width(&t.title) + 2.0 <= room => {
            ws.write_string_with_format(row, 0, &t.title, &f.table_title)?;
            ws.write_string_with_format(row, last_col, u, &f.unit)?;
        }
        Some(u) => {
            ws.write_string_with_format(row, 0, format!("{}（{u}）", t.title), &f.table_title)?;
        }
        None => {
            ws.write_string_with_format(row, 0, &t.title, &f.table_title)?;
        }
    }
    row += 1;
    let header_row = row;
    let mut lines = 1.0f64;
    for (col, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(row, col as u16, *h, &f.header)?;
        lines = lines.max((width(h) / (widths[col] - 1.0)).ceil());
    }
    ws.set_row_height(row, 14.0 * lines + 2.0)?;
    row += 1;
    if t.rows.is_empty() {
        ws.merge_range(
            row,
            0,
            row,
            last_col,
            lang.pick("（无）", "(none)"),
            &f.more,
        )?;
        return Ok((row + 2, header_row));
    }
    let first = row;
    let mut folded_from: Option<u32> = None;
    for r in &t.rows {
        let lv = level(r);
        match (r.folded, folded_from) {
            (true, None) => folded_from = Some(row),
            (false, Some(from)) => {
                ws.group_rows_collapsed(from, row - 1)?;
                folded_from = None;
            }
            _ => {}
        }
        if r.kind == RowKind::More {
            ws.write_string_with_format(row, 0, r.cells[0].text(), &f.cell[0])?;
            ws.merge_range(row, 1, row, last_col, &r.cells[1].text(), &f.more)?;
            row += 1;
            continue;
        }
        // Wrapped text makes the row as tall as its longest cell needs.
        let lines = r
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| (width(&c.text()) / (widths[i] - 1.0)).ceil())
            .fold(1.0, f64::max);
        if lines > 1.0 {
            ws.set_row_height(row, 13.5 * lines)?;
        }
        for (col, cell) in r.cells.iter().enumerate() {
            let c = col as u16;
            match cell {
                Cell::Text(s) if col == 0 && t.merge_first => {
                    ws.write_string_with_format(row, c, s, &f.merged)?;
                }
                Cell::Text(s) => {
                    ws.write_string_with_format(row, c, s, &f.cell[lv])?;
                }
                Cell::Int(n) if *n > 0 && t.alert.contains(&col) => {
                    ws.write_number_with_format(row, c, *n as f64, &f.alert[lv])?;
                }
                Cell::Int(n) => {
                    ws.write_number_with_format(row, c, *n as f64, &f.int[lv])?;
                }
                Cell::Pct(Some(v)) => {
                    ws.write_number_with_format(row, c, *v, &f.pct[lv])?;
                }
                Cell::Date(d) => {
                    ws.write_date_with_format(row, c, d, &f.date[lv])?;
                }
                Cell::Time(t) => {
                    let local = t.with_timezone(&tz()).naive_local();
                    ws.write_datetime_with_format(row, c, local, &f.time[lv])?;
                }
                Cell::Pct(None) | Cell::Empty => {
                    ws.write_blank(row, c, &f.cell[lv])?;
                }
            }
        }
        row += 1;
    }
    if let Some(from) = folded_from {
        ws.group_rows(from, row - 1)?;
    }
    if t.merge_first {
        // Runs of equal county cells, the total row apart.
        let mut start = first;
        let text_at = |i: u32| {
            let r = &t.rows[(i - first) as usize];
            (r.kind == RowKind::Total, r.cells[0].text())
        };
        for i in first + 1..=row {
            if i == row || text_at(i) != text_at(start) || text_at(i).0 {
                if i - 1 > start {
                    ws.merge_range(start, 0, i - 1, 0, &text_at(start).1, &f.merged)?;
                }
                start = i;
            }
        }
    }
    if let Some(n) = &t.note {
        ws.merge_range(row, 0, row, last_col, n, &f.note)?;
        let chars: f64 = width(n);
        let line: f64 = widths[..=last_col as usize].iter().sum();
        ws.set_row_height(row, 13.0 * (chars / line).ceil().max(1.0))?;
        row += 1;
    }
    Ok((row + 1, header_row))
}

fn setup(ws: &mut Worksheet, lang: Lang) {
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_margins(0.4, 0.4, 0.45, 0.55, 0.2, 0.25);
    ws.set_footer(match lang {
        Lang::Zh => "&C第 &P 页，共 &N 页",
        Lang::En => "&CPage &P of &N",
    });
}

pub fn render(c: &Checklist, lang: Lang, top_n: usize) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title(title(c, lang))
            .set_author("sitepulse")
            .set_creation_datetime(&c.as_of),
    );
    let f = Formats::new();
    let all = tables(c, lang, top_n);
    let mut sheets: Vec<(&'static str, Vec<&Table>)> = Vec::new();
    for t in &all {
        match sheets.iter_mut().find(|(name, _)| *name == t.sheet) {
            Some((_, list)) => list.push(t),
            None => sheets.push((t.sheet, vec![t])),
        }
    }
    let heading = {
        let mut lines = vec![byline(c, lang)];
        lines.extend(notes(c, lang));
        lines.join("　")
    };
    let mut out = Vec::new();
    // The trend table's sheet and header row, for the chart.
    let mut trend_at: Option<(&'static str, u32)> = None;
    for (i, (name, list)) in sheets.iter().enumerate() {
        let mut ws = Worksheet::new();
        ws.set_name(*name)?;
        let widths = widths(list);
        for (col, w) in widths.iter().enumerate() {
            ws.set_column_width(col as u16, *w)?;
        }
        let last_col = (widths.len().max(2) - 1) as u16;
        ws.merge_range(0, 0, 0, last_col, &title(c, lang), &f.title)?;
        ws.set_row_height(0, 24.0)?;
        ws.merge_range(1, 0, 1, last_col, &heading, &f.byline)?;
        let mut row = 3;
        let mut header_row = 0;
        for t in list {
            (row, header_row) = write_table(&mut ws, &f, t, &widths, row, lang)?;
            if t.chart_data {
                trend_at = Some((name, header_row));
            }
        }
        // The title rows repeat on every page; a sheet of one table repeats its header too.
        if list.len() == 1 {
            ws.set_repeat_rows(0, header_row)?;
            ws.set_freeze_panes(header_row + 1, 0)?;
        } else {
            ws.set_repeat_rows(0, 1)?;
        }
        if list.iter().any(|t| t.page_one) {
            let sig: Vec<String> = signature(c, lang)
                .into_iter()
                .map(|(label, name)| format!("{label}：{name}"))
                .collect();
            ws.merge_range(row, 0, row, last_col, &sig.join("　　　　"), &f.byline)?;
        }
        setup(&mut ws, lang);
        // A sheet that a page nearly holds goes on one page.
        let printed: usize = list
            .iter()
            .map(|t| t.printed().count() + 3 + 2 * usize::from(t.note.is_some()))
            .sum();
        if printed <= 50 {
            ws.set_print_fit_to_pages(1, 1);
        }
        if i == 0 {
            ws.set_active(true);
        }
        out.push(ws);
    }
    let mut chart = match trend_at {
        Some((sheet, header)) if !c.trend.is_empty() => Some(chart_sheet(c, sheet, header, lang)?),
        _ => None,
    };
    for (i, ws) in out.into_iter().enumerate() {
        wb.push_worksheet(ws);
        if i == 0
            && let Some(cs) = chart.take()
        {
            wb.push_worksheet(cs);
        }
    }
    wb.save_to_buffer()
}

/// The chart sheet, a page of its own: cumulative on air (columns) and the schedule (line),
/// from the trend table whose header is at `header` on `sheet`.
fn chart_sheet(
    c: &Checklist,
    sheet: &str,
    header: u32,
    lang: Lang,
) -> Result<Worksheet, XlsxError> {
    let first = header + 1;
    let last = first + c.trend.len() as u32 - 1;
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_name((sheet, header, 1))
        .set_categories((sheet, first, 0, last, 0))
        .set_values((sheet, first, 1, last, 1))
        .set_format(ChartFormat::new().set_solid_fill(
            rust_xlsxwriter::ChartSolidFill::new().set_color(Color::RGB(0x1F5FAE)),
        ));
    let mut line = Chart::new(ChartType::Line);
    line.add_series()
        .set_name((sheet, header, 3))
        .set_categories((sheet, first, 0, last, 0))
        .set_values((sheet, first, 3, last, 3))
        .set_format(
            ChartFormat::new().set_line(
                ChartLine::new()
                    .set_color(Color::RGB(0xC0392B))
                    .set_width(2.0)
                    .set_dash_type(ChartLineDashType::RoundDot),
            ),
        );
    line.add_series()
        .set_name((sheet, header, 2))
        .set_categories((sheet, first, 0, last, 0))
        .set_values((sheet, first, 2, last, 2))
        .set_format(
            ChartFormat::new().set_line(
                ChartLine::new()
                    .set_color(Color::RGB(0xD9822B))
                    .set_width(2.5)
                    .set_dash_type(ChartLineDashType::Dash),
            ),
        );
    chart.combine(&line);
    chart.title().set_name(&format!(
        "{}（{}）",
        lang.pick(
            "累计开通站点数与倒排进度",
            "Cumulative sites on air against the schedule"
        ),
        c.month
    ));
    chart.y_axis().set_name(lang.pick("站点数（个）", "Sites"));
    chart.x_axis().set_name(lang.pick("月份", "Month"));
    chart.legend().set_position(ChartLegendPosition::Bottom);
    let mut cs = Worksheet::new_chartsheet();
    cs.set_name(lang.pick("进度图", "Chart"))?;
    cs.insert_chart(0, 0, &chart)?;
    cs.set_landscape();
    cs.set_paper_size(9);
    cs.set_footer(match lang {
        Lang::Zh => "&C第 &P 页，共 &N 页",
        Lang::En => "&CPage &P of &N",
    });
    Ok(cs)
}
