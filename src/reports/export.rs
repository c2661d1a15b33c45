//! Export files of check-in records — an Excel workbook (a sheet of records and a summary
//! sheet with the same tally as `/tally`) or CSV (UTF-8 with a byte-order mark, so Excel reads
//! the Chinese correctly) — and tallies as table cells and CSV.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use chrono_tz::Tz;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use crate::core::Core;
use crate::domain::ExportRow;
use crate::domain::{Grouping, LinkKind};
use crate::error::Result;
use crate::members::Actor;
use crate::tally::args::ExportFormat;
use crate::tally::{self, Period, Scope, Tally, TallyRow};
use crate::texts;
use crate::texts::tallies::{RECORD_HEADERS, row_label, table_header};

/// A finished export, ready to send or write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub records: usize,
}

/// Excel's last row; a sheet cannot hold more records than this (less the header).
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// Where an export was asked for, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via<'a> {
    /// A chat: the file is sent there.
    Chat,
    /// The web console: the browser downloads it.
    Web,
    /// The command line, writing this file.
    File(&'a std::path::Path),
}

/// Exports the counted check-ins of `period` within `scope`. `via` says where it was asked
/// for, for the audit log, where every export is recorded with who asked for it.
pub async fn export(
    core: &Core,
    actor: &Actor,
    scope: &Scope,
    period: Period,
    format: ExportFormat,
    via: Via<'_>,
) -> Result<ExportFile> {
    let rows = tally::records(core, scope, period).await?;
    if format == ExportFormat::Xlsx && rows.len() > XLSX_MAX_ROWS - 1 {
        return Err(crate::error::UserError::ExportTooLarge { records: rows.len() }.into());
    }
    let unit = scope.unit_name.as_deref().map(|u| format!("-{u}")).unwrap_or_default();
    let stem = format!("{}-{}{unit}", texts::tallies::EXPORT_FILE_STEM, period.slug());
    let records = rows.len();
    let file = match format {
        ExportFormat::Csv => {
            let bytes = csv(core, &rows)?;
            ExportFile { name: format!("{stem}.csv"), bytes, records }
        }
        ExportFormat::Xlsx => {
            let summary = tally::tally(core, scope, period, Grouping::Unit).await?;
            let bytes =
                xlsx(core, &rows, &summary).map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?;
            ExportFile { name: format!("{stem}.xlsx"), bytes, records }
        }
    };
    let detail = match via {
        Via::File(path) => format!("{} ({} records) -> {}", file.name, file.records, path.display()),
        Via::Chat => format!("{} ({} records)", file.name, file.records),
        Via::Web => format!("网页：{} ({} records)", file.name, file.records),
    };
    crate::audit::record(core, actor, "export", &detail).await?;
    Ok(file)
}

/// One record's cells as text, in [`RECORD_HEADERS`] order (numbers stay numbers in xlsx).
fn cells(core: &Core, r: &ExportRow, tz: Tz) -> [String; 12] {
    let link = r.link.as_deref().and_then(|l| l.parse::<LinkKind>().ok()).map(texts::link_label);
    let kind = core.kinds().get(&r.kind).map_or_else(|| r.kind.clone(), |k| k.label.clone());
    [
        r.id.to_string(),
        r.member.clone(),
        r.unit.clone(),
        r.site.clone().unwrap_or_default(),
        link.unwrap_or_default().to_owned(),
        kind,
        r.logged_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        work_day(r, tz).to_string(),
        r.people_served.map(|n| n.to_string()).unwrap_or_default(),
        r.description.clone(),
        if r.photo { texts::tallies::YES } else { texts::tallies::NO }.to_owned(),
        r.location.map(|(lat, lon)| format!("{lat:.6},{lon:.6}")).unwrap_or_default(),
    ]
}

/// The day the work was done: the day named, or the day it counts at.
fn work_day(r: &ExportRow, tz: Tz) -> NaiveDate {
    r.done_on.unwrap_or_else(|| r.counts_at.with_timezone(&tz).date_naive())
}

/// The Excel value of a wall-clock time (the sheet shows it as it was on the zone's clock).
fn excel_time(t: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    let narrow = |n: u32| u8::try_from(n).unwrap_or(0);
    ExcelDateTime::from_ymd(u16::try_from(t.year()).unwrap_or(1900), narrow(t.month()), narrow(t.day()))?
        .and_hms(u16::try_from(t.hour()).unwrap_or(0), narrow(t.minute()), t.second())
}

/// A cell a spreadsheet would run as a formula (`=HYPERLINK(…)` typed by a member) is
/// prefixed with `'`, which makes it text. (The xlsx writes strings as strings anyway.)
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

/// Starts every CSV file made for people: without it Excel reads the UTF-8 Chinese as mojibake.
pub const UTF8_BOM: &[u8] = "\u{feff}".as_bytes();

fn csv(core: &Core, rows: &[ExportRow]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + rows.len() * 120);
    out.extend_from_slice(UTF8_BOM);
    let mut w = csv::Writer::from_writer(out);
    let internal = |e: csv::Error| anyhow::anyhow!("writing CSV: {e}");
    w.write_record(RECORD_HEADERS).map_err(internal)?;
    for r in rows {
        w.write_record(cells(core, r, core.tz()).map(|c| defuse(&c))).map_err(internal)?;
    }
    Ok(w.into_inner().map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?)
}

fn xlsx(core: &Core, rows: &[ExportRow], summary: &Tally) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();

    let sheet = book.add_worksheet();
    sheet.set_name(texts::tallies::RECORDS_SHEET)?;
    for (c, head) in RECORD_HEADERS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *head, &bold)?;
    }
    let widths = [8.0, 10.0, 14.0, 22.0, 10.0, 8.0, 17.0, 12.0, 9.0, 50.0, 6.0, 22.0];
    // Real date cells, so Excel sorts and filters by them.
    let logged = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let day = Format::new().set_num_format("yyyy-mm-dd");
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    let tz = core.tz();
    for (i, r) in rows.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let text = cells(core, r, tz);
        for (c, value) in text.iter().enumerate() {
            match (c, r) {
                (0, r) => sheet.write_number(row, 0, r.id as f64).map(|_| ())?,
                (6, r) => {
                    let at = excel_time(r.logged_at.with_timezone(&tz).naive_local())?;
                    sheet.write_datetime_with_format(row, 6, &at, &logged).map(|_| ())?
                }
                (7, r) => {
                    let at = excel_time(work_day(r, tz).and_time(NaiveTime::MIN))?;
                    sheet.write_date_with_format(row, 7, &at, &day).map(|_| ())?
                }
                (8, ExportRow { people_served: Some(n), .. }) => {
                    sheet.write_number(row, 8, *n as f64).map(|_| ())?
                }
                _ => sheet.write_string(row, c as u16, value).map(|_| ())?,
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;

    let sheet = book.add_worksheet();
    sheet.set_name(texts::tallies::SUMMARY_SHEET)?;
    sheet.write_string_with_format(0, 0, texts::period_label(summary.period), &bold)?;
    let heads = table_header(summary);
    let has_other = summary.total.other > 0;
    for (c, head) in heads.iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, head, &bold)?;
    }
    sheet.set_column_width(0, 16.0)?;
    for (i, row) in summary.rows.iter().chain(std::iter::once(&summary.total)).enumerate() {
        let r = u32::try_from(i + 3).unwrap_or(u32::MAX);
        let format = if std::ptr::eq(row, &summary.total) { bold.clone() } else { Format::new() };
        sheet.write_string_with_format(r, 0, row_label(row), &format)?;
        let mut numbers = vec![row.members.unwrap_or(0), row.active_members];
        numbers.extend(&row.counts);
        if has_other {
            numbers.push(row.other);
        }
        numbers.extend([row.people_served, row.total]);
        for (c, n) in numbers.iter().enumerate() {
            sheet.write_number_with_format(r, (c + 1) as u16, *n as f64, &format)?;
        }
    }
    book.save_to_buffer()
}

/// One row of a tally as table cells, in [`table_header`]'s order.
pub fn table_cells(t: &Tally, row: &TallyRow) -> Vec<String> {
    let mut cells = vec![row_label(row)];
    match t.by {
        Grouping::Unit => {
            cells.extend([row.members.unwrap_or(0).to_string(), row.active_members.to_string()])
        }
        Grouping::Member => cells.extend([
            row.unit.clone().unwrap_or_default(),
            row.telegram_id.map(|i| i.to_string()).unwrap_or_default(),
            row.dingtalk_id.clone().unwrap_or_default(),
        ]),
        Grouping::Site => {
            cells.extend([row.unit.clone().unwrap_or_default(), row.active_members.to_string()])
        }
        Grouping::Link => cells.push(row.active_members.to_string()),
    }
    cells.extend(row.counts.iter().map(i64::to_string));
    if t.total.other > 0 {
        cells.push(row.other.to_string());
    }
    cells.extend([row.people_served.to_string(), row.total.to_string()]);
    cells
}

/// A tally as CSV, total row last. Cells that a spreadsheet would run as formulas (a name
/// starting with `=`) are defused, as in the export.
pub fn table_csv(t: &Tally) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(table_header(t))?;
    for row in t.rows.iter().chain(std::iter::once(&t.total)) {
        w.write_record(table_cells(t, row).iter().map(|c| defuse(c)))?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_text() {
        assert_eq!(defuse("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(defuse("+1"), "'+1");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("为居民宣讲 = 好"), "为居民宣讲 = 好");
    }
}
