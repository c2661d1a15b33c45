//! Tallies, missing lists, exports and the weekly report, as text.

use std::fmt::Write as _;

use chrono::Datelike;

use super::{link_label, period_label, scope_label};
use crate::domain::MemberRef;
use crate::domain::{Grouping, Site};
use crate::tally::{Period, RowName, Scope, Tally, TallyRow};

/// The row of check-ins that named no site.
pub const NO_SITE: &str = "未指定站点";
pub const TOTAL: &str = "合计";

/// The first cell of a tally row: the unit, member or site's name, the link kind, or what the
/// row collects.
pub fn row_label(row: &TallyRow) -> String {
    match &row.name {
        RowName::Named(name) => name.clone(),
        RowName::Link(link) => link_label(*link).to_owned(),
        RowName::NoSite => NO_SITE.to_owned(),
        RowName::Gone(id) => format!("#{id}"),
        RowName::Total => TOTAL.to_owned(),
    }
}

/// The column heads of the records sheet (and of the CSV) of an export.
pub const RECORD_HEADERS: [&str; 12] = [
    "编号",
    "成员",
    "单位",
    "联点站点",
    "四联类型",
    "类型",
    "登记时间",
    "活动日期",
    "服务人数",
    "内容",
    "照片",
    "位置",
];
/// The start of an export's file name (`三送登记-2026-W48.xlsx`).
pub const EXPORT_FILE_STEM: &str = "三送登记";
pub const RECORDS_SHEET: &str = "登记记录";
pub const SUMMARY_SHEET: &str = "汇总";
pub const OTHER_KINDS: &str = "其他";
pub const YES: &str = "有";
pub const NO: &str = "无";

/// The column heads of a tally as a table (the CLI's table and CSV, the chat's file, the
/// export's summary sheet), for its grouping.
pub fn table_header(t: &Tally) -> Vec<String> {
    let first = match t.by {
        Grouping::Unit => "单位",
        Grouping::Member => "成员",
        Grouping::Site => "联点站点",
        Grouping::Link => "四联类型",
    };
    let mut head = vec![first.to_owned()];
    match t.by {
        Grouping::Unit => head.extend(["成员".to_owned(), "已登记成员".to_owned()]),
        Grouping::Member => head.extend(["单位".to_owned(), "Telegram ID".to_owned(), "钉钉 ID".to_owned()]),
        Grouping::Site => head.extend(["单位".to_owned(), "参与成员".to_owned()]),
        Grouping::Link => head.push("参与成员".to_owned()),
    }
    head.extend(t.kinds.iter().map(|(_, l)| l.clone()));
    if t.total.other > 0 {
        head.push(OTHER_KINDS.into());
    }
    head.extend(["服务人次".to_owned(), TOTAL.to_owned()]);
    head
}

fn grouping_label(g: Grouping) -> &'static str {
    match g {
        Grouping::Unit => "按单位",
        Grouping::Member => "按成员",
        Grouping::Site => "按联点站点",
        Grouping::Link => "按四联类型",
    }
}

/// `送政策 5 · 送服务 3 · 送温暖 2`.
fn kind_counts(t: &Tally, row: &TallyRow) -> String {
    let mut parts: Vec<String> =
        t.kinds.iter().zip(&row.counts).map(|((_, label), n)| format!("{label} {n}")).collect();
    if row.other > 0 {
        parts.push(format!("其他 {}", row.other));
    }
    parts.join(" · ")
}

fn tally_line(t: &Tally, row: &TallyRow) -> String {
    let head = match (t.by, &row.unit) {
        (Grouping::Member | Grouping::Site, Some(unit)) => format!("{}（{unit}）", row_label(row)),
        _ => row_label(row),
    };
    let people = match row.members {
        Some(members) => format!("成员 {members} 人，已登记 {} 人｜", row.active_members),
        None if t.by == Grouping::Member => String::new(),
        None => format!("参与 {} 人｜", row.active_members),
    };
    format!("{head}：{people}{}｜服务 {} 人次｜合计 {}", kind_counts(t, row), row.people_served, row.total)
}

/// The tally as text, one line per row, a total line last. Long tallies are split by the
/// sender (at line breaks, under Telegram's limit), never cut off.
pub fn tally(t: &Tally) -> String {
    let mut out = format!(
        "📊 三送工作统计 · {}\n{}，{}\n\n",
        scope_label(&t.scope),
        period_label(t.period),
        grouping_label(t.by)
    );
    for row in &t.rows {
        let _ = writeln!(out, "{}", tally_line(t, row));
    }
    let _ = write!(out, "\n{}", tally_line(t, &t.total));
    if t.total.total == 0 {
        out.push_str("\n\n这段时间还没有登记。");
    }
    out
}

pub fn missing_members(period: Period, scope: &Scope, groups: &[(String, Vec<MemberRef>)]) -> String {
    let count: usize = groups.iter().map(|(_, m)| m.len()).sum();
    if count == 0 {
        return format!("{} · {}：每位成员都已有登记。", period_label(period), scope_label(scope));
    }
    let mut out = format!(
        "{} · {}：以下 {count} 位成员尚无登记（仅供了解情况，不作考核排名）。\n",
        period_label(period),
        scope_label(scope)
    );
    for (unit, members) in groups {
        let _ = write!(out, "\n{unit}（{} 人）：", members.len());
        // Twenty names a line, so a long list splits between lines, never inside a name.
        for chunk in members.chunks(20) {
            let names: Vec<&str> = chunk.iter().map(|m| m.name.as_str()).collect();
            let _ = write!(out, "\n{}", names.join("、"));
        }
    }
    out
}

pub fn missing_sites(
    period: Period,
    scope: &Scope,
    kind: Option<&str>,
    groups: &[(String, Vec<Site>)],
) -> String {
    let what = kind.map_or_else(|| "登记".to_owned(), |k| format!("「{k}」登记"));
    let count: usize = groups.iter().map(|(_, s)| s.len()).sum();
    if count == 0 {
        return format!("{} · {}：每个联点站点都已有{what}。", period_label(period), scope_label(scope));
    }
    let mut out =
        format!("{} · {}：以下 {count} 个联点站点尚无{what}。\n", period_label(period), scope_label(scope));
    for (unit, sites) in groups {
        let names: Vec<String> =
            sites.iter().map(|s| format!("{}（{}）", s.name, link_label(s.link))).collect();
        let _ = write!(out, "\n{unit}：{}", names.join("、"));
    }
    out
}

/// The caption of a tally too long for chat messages, sent as a CSV file instead.
pub fn tally_as_file(t: &crate::tally::Tally, parts: usize) -> String {
    format!(
        "{} · {}：统计共 {} 行，分条发送需要 {parts} 条消息，已改为 CSV 文件发送（可用 Excel 打开）。",
        period_label(t.period),
        scope_label(&t.scope),
        t.rows.len()
    )
}

pub fn export_caption(period: Period, scope: &Scope, records: usize) -> String {
    format!("{} · {}：共 {records} 条登记记录。", period_label(period), scope_label(scope))
}

/// `+3` / `-2` / `持平`.
fn change(now: i64, before: i64) -> String {
    match now - before {
        0 => "持平".into(),
        d if d > 0 => format!("+{d}"),
        d => format!("{d}"),
    }
}

/// The head of the weekly report (the chart's caption: under 1,024 characters).
pub fn report_summary(t: &Tally, previous: &Tally) -> String {
    let mut out = format!("📈 每周三送工作报告 · {}\n{}\n\n", scope_label(&t.scope), period_label(t.period));
    let _ = writeln!(
        out,
        "登记 {} 次（较上周 {}），已登记成员 {} / {} 人（较上周 {}），服务群众 {} 人次。",
        t.total.total,
        change(t.total.total, previous.total.total),
        t.total.active_members,
        t.total.members.unwrap_or(0),
        change(t.total.active_members, previous.total.active_members),
        t.total.people_served
    );
    let _ = write!(out, "{}", kind_counts(t, &t.total));
    out
}

/// The report's detail, after the chart (or after the summary when there is no chart): each
/// unit's line with its change against the week before.
/// Entries logged after the fact (补登), for the weekly report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LateEntries {
    /// Of the report's week, logged after the week ended.
    pub this_week: i64,
    /// Of the week before, logged after the report on it went out.
    pub since_last_report: Option<(crate::week::Week, i64)>,
}

pub fn report_detail(t: &Tally, previous: &Tally, late: &LateEntries) -> String {
    let mut out = String::from("各单位情况（括号内为较上周）：\n");
    for row in &t.rows {
        let before = previous.rows.iter().find(|r| r.name == row.name).map_or(0, |r| r.total);
        let _ = writeln!(out, "{}（{}）", tally_line(t, row), change(row.total, before));
    }
    if late.this_week > 0 {
        let _ = write!(out, "\n其中 {} 次是一周结束后补登的。", late.this_week);
    }
    if let Some((week, n)) = late.since_last_report.filter(|(_, n)| *n > 0) {
        let _ = write!(
            out,
            "\n上次报告发出后，第{}周又补登了 {n} 次，已计入上面「较上周」的比较。",
            week.number()
        );
    }
    if late.this_week > 0 || late.since_last_report.is_some_and(|(_, n)| n > 0) {
        out.push('\n');
    }
    out.push_str("\n详细记录可发送「导出」导出。");
    out
}

pub const CHART_TITLE: &str = "各单位三送登记(次)";

/// The weekly chart's title: what it counts and which week. Half-width brackets and dashes:
/// the chart's text renderer sets each glyph at its pen position, so the full-width ones of the
/// chat texts (ink on one side of a wide box) would leave gaps inside the brackets.
pub fn chart_title(period: Period) -> String {
    let period = match period {
        Period::Week(w) => {
            let (mon, sun) = (w.monday(), w.sunday());
            format!(
                "{}年第{}周 ({}月{}日-{}月{}日)",
                w.year(),
                w.number(),
                mon.month(),
                mon.day(),
                sun.month(),
                sun.day()
            )
        }
        Period::Days { from, to } => format!("{from} - {to}"),
    };
    format!("{CHART_TITLE} {period}")
}

/// In the admins' weekly report while a year's official holidays are not loaded.
pub fn holidays_missing(year: i32) -> String {
    format!(
        "⚠️ {year} 年的节假日安排尚未载入，「每个工作日」的通知会按周一至周五发送（包括节假日）。\
         请在国务院办公厅的通知发布后，用 sansong holidays import 导入。"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::week::Week;

    #[test]
    fn the_chart_title_has_no_full_width_brackets_that_would_leave_gaps() {
        let week = Week::containing(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        let title = chart_title(Period::Week(week));
        assert_eq!(title, "各单位三送登记(次) 2026年第48周 (11月23日-11月29日)");
        assert!(!title.contains(['（', '）', '—', '·']), "{title}");
    }
}
