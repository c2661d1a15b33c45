//! The organisation as a spreadsheet and as an org file, both ways: the template the console
//! offers, reading an uploaded workbook (or org file) into the same [`OrgPlan`] as
//! `sansong org load` reads (the same checks, problems by row number), and writing a plan out
//! as either, so that an export imported back changes nothing.
//!
//! The sheet's layout is its first worksheet: a header row 单位, 站点, 联系类型, 默认 (in any
//! order; 默认 may be left out), then a row per site; a unit without sites has a row of its own
//! with only its name. Units are taken in the order they first appear. The header and link
//! words are the format's own, as `village` is the org file's.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{DataValidation, Format, Workbook, Worksheet, XlsxError};

use super::{OrgPlan, OrgProblem, OrgProblemKind, SiteLine, UnitLine, check, parse_org};
use crate::domain::LinkKind;
use crate::normalize::fold;

/// The header row, in the order the console writes it.
pub const HEADERS: [&str; 4] = ["单位", "站点", "联系类型", "默认"];

/// The worksheet's name in the files the console writes.
pub const SHEET_NAME: &str = "组织";

/// The most rows a sheet may have (header included): an organisation of a county is tens of
/// units and hundreds of sites.
pub const MAX_ROWS: u32 = 5_000;

/// The most a workbook may unpack to: an upload is at most a few megabytes, and a zip that
/// inflates far beyond is refused before anything parses it.
pub const MAX_UNPACKED_BYTES: u64 = 32 << 20;

/// The columns read; cells further right are ignored.
const MAX_COLUMNS: u32 = 26;

/// Why an uploaded file gives no plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetError {
    /// Neither a workbook (.xlsx) nor a UTF-8 text file.
    NotAnOrgFile,
    /// A workbook that cannot be read (the reader's words).
    Unreadable(String),
    /// More than [`MAX_ROWS`] rows, or unpacking to more than [`MAX_UNPACKED_BYTES`].
    TooLarge,
    /// Read, but with these problems (by row or line number); nothing may be written.
    Problems(Vec<OrgProblem>),
}

/// The word a sheet uses for a link kind (the reader takes the org file's words too).
pub fn link_word(link: LinkKind) -> &'static str {
    match link {
        LinkKind::Village => "联乡村",
        LinkKind::Community => "联社区",
        LinkKind::Enterprise => "联企业",
        LinkKind::Chamber => "联商会",
    }
}

/// A 默认 cell: yes, no (blank is no), or `None` for anything else.
pub fn read_default(cell: &str) -> Option<bool> {
    match fold(cell.trim()).as_str() {
        "" | "否" | "no" | "n" | "false" | "0" => Some(false),
        "是" | "默认" | "yes" | "y" | "true" | "1" | "√" | "✓" | "✔" => Some(true),
        _ => None,
    }
}

/// Reads an upload by what it holds, not its name: a workbook (a zip, starting `PK`) or an
/// org file (UTF-8 text, a byte-order mark allowed).
pub fn read_upload(bytes: &[u8]) -> Result<OrgPlan, SheetError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| SheetError::NotAnOrgFile)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A text file with NULs is a binary file that happens to be valid UTF-8.
    if text.contains('\0') {
        return Err(SheetError::NotAnOrgFile);
    }
    parse_org(text).map_err(SheetError::Problems)
}

/// Which column holds which field.
#[derive(Debug, Default)]
struct Columns {
    unit: Option<u32>,
    site: Option<u32>,
    link: Option<u32>,
    default: Option<u32>,
}

fn columns(header: &[(u32, String)]) -> Columns {
    let mut c = Columns::default();
    for (col, text) in header {
        let slot = match fold(text.trim()).as_str() {
            "单位" | "unit" => &mut c.unit,
            "站点" | "site" | "name" => &mut c.site,
            "联系类型" | "link" => &mut c.link,
            "默认" | "default" => &mut c.default,
            _ => continue,
        };
        slot.get_or_insert(*col);
    }
    c
}

/// Every zip entry inflated once, counted, thrown away: a zip bomb stops here.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| SheetError::Unreadable(e.to_string()))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| SheetError::Unreadable(e.to_string()))?;
        let left = MAX_UNPACKED_BYTES - total;
        let read = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|e| SheetError::Unreadable(e.to_string()))?;
        total += read;
        if total > MAX_UNPACKED_BYTES {
            return Err(SheetError::TooLarge);
        }
    }
    Ok(())
}

/// The non-blank cells of the first worksheet by row (0-based), each row's cells by column.
fn cells(bytes: &[u8]) -> Result<BTreeMap<u32, Vec<(u32, String)>>, SheetError> {
    let unreadable = |e: calamine::XlsxError| SheetError::Unreadable(e.to_string());
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let first =
        book.sheet_names().first().cloned().ok_or_else(|| SheetError::Unreadable("no worksheet".into()))?;
    // Cell by cell, never the whole range: a sheet that says it reaches XFD1048576 allocates
    // nothing here.
    let mut reader = book.worksheet_cells_reader(&first).map_err(unreadable)?;
    let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        if col >= MAX_COLUMNS {
            continue;
        }
        let text = Data::from(cell.get_value().clone()).to_string();
        if text.trim().is_empty() {
            continue;
        }
        if row >= MAX_ROWS {
            return Err(SheetError::TooLarge);
        }
        rows.entry(row).or_default().push((col, text));
    }
    Ok(rows)
}

/// Reads a workbook into a checked plan: every problem with its row number, as Excel shows it.
pub fn read_xlsx(bytes: &[u8]) -> Result<OrgPlan, SheetError> {
    check_unpacked_size(bytes)?;
    let rows = cells(bytes)?;
    let mut rows = rows.into_iter();
    let Some((header_row, header)) = rows.next() else {
        return Ok(OrgPlan { units: Vec::new(), sites: Vec::new(), departments: Vec::new() });
    };
    let cols = columns(&header);
    let missing: Vec<String> = [(cols.unit, HEADERS[0]), (cols.site, HEADERS[1]), (cols.link, HEADERS[2])]
        .iter()
        .filter(|(c, _)| c.is_none())
        .map(|(_, name)| (*name).to_owned())
        .collect();
    let (Some(unit_col), Some(site_col), Some(link_col)) = (cols.unit, cols.site, cols.link) else {
        return Err(SheetError::Problems(vec![OrgProblem {
            line: header_row as usize + 1,
            kind: OrgProblemKind::MissingColumns(missing),
        }]));
    };
    let mut units: Vec<UnitLine> = Vec::new();
    let mut sites: Vec<SiteLine> = Vec::new();
    let mut problems: Vec<OrgProblem> = Vec::new();
    for (row, row_cells) in rows {
        let line = row as usize + 1;
        let get = |col: Option<u32>| {
            col.and_then(|c| row_cells.iter().find(|(at, _)| *at == c)).map_or("", |(_, t)| t.as_str()).trim()
        };
        let (unit, site, link, default) =
            (get(Some(unit_col)), get(Some(site_col)), get(Some(link_col)), get(cols.default));
        // A unit stated once is enough: the rows after repeat it for their sites.
        if !unit.is_empty() && !units.iter().any(|u| fold(u.name.trim()) == fold(unit)) {
            // A sheet has no column for DingTalk departments: a unit's stay as they are.
            units.push(UnitLine { name: unit.to_owned(), line, departments: None });
        }
        if site.is_empty() && link.is_empty() && default.is_empty() {
            continue;
        }
        let is_default = read_default(default).unwrap_or_else(|| {
            problems.push(OrgProblem {
                line,
                kind: OrgProblemKind::BadDefault { site: site.to_owned(), value: default.to_owned() },
            });
            false
        });
        sites.push(SiteLine {
            line,
            unit: (!unit.is_empty()).then(|| (unit.to_owned(), line)),
            name: (site.to_owned(), line),
            link: (link.to_owned(), line),
            default: is_default,
        });
    }
    check(&units, &sites, problems).map_err(SheetError::Problems)
}

fn header(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, title) in (0u16..).zip(HEADERS) {
        sheet.write_string_with_format(0, col, title, &bold)?;
    }
    for (col, width) in [(0u16, 20), (1, 32), (2, 12), (3, 8)] {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // Drop-down lists where a wrong word is easy to type.
    let last = MAX_ROWS - 1;
    let links: Vec<&str> = LinkKind::ALL.into_iter().map(link_word).collect();
    sheet.add_data_validation(1, 2, last, 2, &DataValidation::new().allow_list_strings(&links)?)?;
    sheet.add_data_validation(1, 3, last, 3, &DataValidation::new().allow_list_strings(&["是"])?)?;
    Ok(())
}

fn plan_sheet(book: &mut Workbook, plan: &OrgPlan) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(SHEET_NAME)?;
    header(sheet)?;
    let mut row: u32 = 1;
    for unit in &plan.units {
        let mine: Vec<_> = plan.sites.iter().filter(|s| &s.unit == unit).collect();
        if mine.is_empty() {
            sheet.write_string(row, 0, unit)?;
            row += 1;
        }
        for s in mine {
            sheet.write_string(row, 0, unit)?;
            sheet.write_string(row, 1, &s.name)?;
            sheet.write_string(row, 2, link_word(s.link))?;
            if s.is_default {
                sheet.write_string(row, 3, "是")?;
            }
            row += 1;
        }
    }
    Ok(())
}

/// The organisation as a workbook in the sheet's layout (what an import reads back).
pub fn to_xlsx(plan: &OrgPlan) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    plan_sheet(&mut book, plan)?;
    book.save_to_buffer()
}

/// The empty sheet to fill in, with a second worksheet `notes_title` of `notes`, a line a row
/// (the import reads only the first worksheet).
pub fn template(notes_title: &str, notes: &[&str]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    plan_sheet(&mut book, &OrgPlan { units: Vec::new(), sites: Vec::new(), departments: Vec::new() })?;
    let sheet = book.add_worksheet();
    sheet.set_name(notes_title)?;
    sheet.set_column_width(0, 100)?;
    for (row, line) in (0u32..).zip(notes) {
        sheet.write_string(row, 0, *line)?;
    }
    book.save_to_buffer()
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The organisation as an org file (`sansong org load` reads it), `comment` on top as `#`
/// lines.
pub fn to_toml(plan: &OrgPlan, comment: &str) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        let _ = writeln!(out, "# {line}");
    }
    for unit in &plan.units {
        let _ = write!(out, "\n[[units]]\nname = {}\n", quoted(unit));
        if let Some(d) = plan.departments.iter().find(|d| &d.unit == unit) {
            let ids: Vec<String> = d.departments.iter().map(i64::to_string).collect();
            let _ = writeln!(out, "dingtalk_departments = [{}]", ids.join(", "));
        }
    }
    for s in &plan.sites {
        let _ = write!(
            out,
            "\n[[sites]]\nunit = {}\nname = {}\nlink = \"{}\"\n",
            quoted(&s.unit),
            quoted(&s.name),
            s.link
        );
        if s.is_default {
            out.push_str("default = true\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SitePlan;

    fn example() -> OrgPlan {
        parse_org(include_str!("../../config/org.example.toml")).unwrap()
    }

    /// A workbook of `rows` (the first is the header) on its first sheet.
    fn book(rows: &[&[&str]]) -> Vec<u8> {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in (0u32..).zip(rows) {
            for (c, cell) in (0u16..).zip(row.iter()) {
                if !cell.is_empty() {
                    sheet.write_string(r, c, *cell).unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn the_organisation_written_as_a_workbook_or_an_org_file_reads_back_the_same() {
        let mut plan = example();
        plan.units.push("财政局".into());
        plan.sites.push(SitePlan {
            unit: "人社局".into(),
            name: "=HYPERLINK(\"x\")".into(),
            link: LinkKind::Village,
            is_default: false,
        });
        let xlsx = to_xlsx(&plan).unwrap();
        assert_eq!(read_upload(&xlsx).unwrap().units, plan.units);
        let mut back = read_xlsx(&xlsx).unwrap();
        // The sheet lists sites unit by unit; the file listed them in its own order.
        let by_unit = |p: &mut OrgPlan| {
            let order = p.units.clone();
            p.sites.sort_by_key(|s| order.iter().position(|u| *u == s.unit));
        };
        by_unit(&mut plan);
        by_unit(&mut back);
        assert_eq!(back, plan);
        let toml = to_toml(&plan, "组织文件\n第二行");
        assert!(toml.starts_with("# 组织文件\n# 第二行\n"), "{toml}");
        assert_eq!(parse_org(&toml).unwrap(), plan);
        assert_eq!(read_upload(toml.as_bytes()).unwrap(), plan);
    }

    #[test]
    fn a_sheet_with_mistakes_is_refused_with_every_row_number() {
        let xlsx = book(&[
            &["单位", "站点", "联系类型", "默认"],
            &["人社局", "新球社区", "联社区", "是"],
            &["人社局", "", "", ""],
            &["人社局", "某学校", "联学校", ""],
            &["", "无主村", "联乡村", ""],
            &["人社局", "新球社區", "社区", ""],
            &["人社局", "另一社区", "联社区", "也许"],
            &["人社局", "第三社区", "联社区", "是"],
        ]);
        let Err(SheetError::Problems(problems)) = read_xlsx(&xlsx) else { panic!("refused") };
        let rows: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(rows, [4, 5, 6, 7, 8], "{problems:?}");
        assert!(matches!(&problems[0].kind, OrgProblemKind::UnknownLink { link, .. } if link == "联学校"));
        assert!(matches!(problems[1].kind, OrgProblemKind::SiteWithoutUnit { .. }));
        assert!(
            matches!(problems[2].kind, OrgProblemKind::DuplicateSite { .. }),
            "the same name in either script"
        );
        assert!(matches!(&problems[3].kind, OrgProblemKind::BadDefault { value, .. } if value == "也许"));
        assert!(matches!(problems[4].kind, OrgProblemKind::SecondDefault { .. }));
    }

    #[test]
    fn columns_are_found_by_their_header_in_any_order_and_a_missing_one_is_named() {
        let xlsx = book(&[
            &["", "联系类型", "站点", "单位"],
            &["", "enterprise", "某公司", "科工局"],
            &["", "", "", "财政局"],
        ]);
        let plan = read_xlsx(&xlsx).unwrap();
        assert_eq!(plan.units, ["科工局", "财政局"]);
        assert_eq!(plan.sites[0].link, LinkKind::Enterprise);
        assert!(!plan.sites[0].is_default);
        let xlsx = book(&[&[], &["单位", "名字", "联系类型"], &["人社局", "x", "village"]]);
        let Err(SheetError::Problems(problems)) = read_xlsx(&xlsx) else { panic!("refused") };
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2, "the header is the first row with anything in it");
        assert_eq!(problems[0].kind, OrgProblemKind::MissingColumns(vec!["站点".into()]));
    }

    #[test]
    fn a_name_no_form_would_take_is_refused_in_a_file_too() {
        let long = "长".repeat(41);
        let xlsx = book(&[&["单位", "站点", "联系类型"], &["人社局", &long, "联社区"]]);
        let Err(SheetError::Problems(problems)) = read_xlsx(&xlsx) else { panic!("refused") };
        assert_eq!(problems[0].line, 2);
        assert!(matches!(problems[0].kind, OrgProblemKind::BadName(_)));
    }

    #[test]
    fn an_upload_is_told_apart_by_its_content() {
        assert_eq!(
            read_upload(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1]),
            Err(SheetError::NotAnOrgFile),
            "an old .xls"
        );
        assert_eq!(read_upload(b"\x89PNG\r\n\x1a\n\0\0"), Err(SheetError::NotAnOrgFile));
        assert!(matches!(read_upload(b"PK\x03\x04 not really a zip"), Err(SheetError::Unreadable(_))));
        let with_bom = format!("\u{feff}{}", include_str!("../../config/org.example.toml"));
        assert_eq!(read_upload(with_bom.as_bytes()).unwrap(), example());
        assert!(
            matches!(read_upload(b"[[units]]\nname = \n"), Err(SheetError::Problems(p)) if p[0].line == 2)
        );
    }

    #[test]
    fn a_sheet_of_too_many_rows_or_a_zip_bomb_is_refused_before_it_is_read() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "单位").unwrap();
        sheet.write_string(MAX_ROWS, 0, "人社局").unwrap();
        assert_eq!(read_xlsx(&book.save_to_buffer().unwrap()), Err(SheetError::TooLarge));

        let mut bomb = Workbook::new();
        let sheet = bomb.add_worksheet();
        let filler = "字".repeat(30_000);
        for row in 0..400 {
            sheet.write_string(row, 0, format!("{row}{filler}")).unwrap();
        }
        let bytes = bomb.save_to_buffer().unwrap();
        assert!(bytes.len() < 2 << 20, "small on the wire: {}", bytes.len());
        assert_eq!(read_xlsx(&bytes), Err(SheetError::TooLarge));
    }

    #[test]
    fn default_cells_read_yes_no_and_nothing_else() {
        for yes in ["是", "默认", "Yes", "TRUE", "1", "√"] {
            assert_eq!(read_default(yes), Some(true), "{yes}");
        }
        for no in ["", " ", "否", "no", "false", "0"] {
            assert_eq!(read_default(no), Some(false), "{no}");
        }
        assert_eq!(read_default("也许"), None);
    }

    #[test]
    fn the_template_is_an_empty_sheet_with_its_notes_behind() {
        let xlsx = template("填写说明", &["第一行说明", "第二行说明"]).unwrap();
        assert_eq!(
            read_xlsx(&xlsx).unwrap(),
            OrgPlan { units: Vec::new(), sites: Vec::new(), departments: Vec::new() }
        );
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).unwrap();
        assert_eq!(book.sheet_names(), [SHEET_NAME, "填写说明"]);
        let first = book.worksheet_range(SHEET_NAME).unwrap();
        let header: Vec<String> = first.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(header, HEADERS);
    }
}
