//! The command line's own output: organisation loads, notices and invites as printed.

use std::fmt::Write as _;

use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::notices::{schedule_label, status_label};
use super::{fire_time, period_label, role_label};
use crate::checkins::kinds::KindsError;
use crate::config::ConfigError;
use crate::domain::Invite;
use crate::domain::OrgLoadReport;
use crate::org::{OrgProblem, OrgProblemKind};
use crate::schedule::calendar::CalendarError;
use crate::system::checks::{Check, Fine, Item as CheckItem, Problem};
use crate::tally::Period;

pub fn org_problem(p: &OrgProblem) -> String {
    let what = match &p.kind {
        OrgProblemKind::Syntax(msg) => format!("格式错误：{msg}"),
        OrgProblemKind::EmptyName => "名称不能为空".into(),
        OrgProblemKind::BadName(name) => format!("名称「{name}」不能使用：请写 1 到 40 个字，不含换行"),
        OrgProblemKind::DuplicateUnit(u) => format!("单位「{u}」重复"),
        OrgProblemKind::SiteWithoutUnit { site } => {
            format!("站点「{site}」没有写所属单位（unit = \"…\"）")
        }
        OrgProblemKind::SiteOfUnknownUnit { site, unit } => {
            format!("站点「{site}」的单位「{unit}」不在本文件的 [[units]] 中")
        }
        OrgProblemKind::UnknownLink { site, link } => format!(
            "站点「{site}」的联系类型「{link}」无法识别；可用 village/community/enterprise/chamber（联乡村/联社区/联企业/联商会）"
        ),
        OrgProblemKind::DuplicateSite { unit, site } => {
            format!("单位「{unit}」的站点「{site}」重复")
        }
        OrgProblemKind::SecondDefault { unit, site } => {
            format!("单位「{unit}」已有默认站点，「{site}」不能再设为默认")
        }
        OrgProblemKind::MissingColumns(missing) => {
            format!("表头应为 单位、站点、联系类型、默认，缺少「{}」列", missing.join("、"))
        }
        OrgProblemKind::BadDefault { site, value } => {
            format!("站点「{site}」的「默认」一栏「{value}」看不懂；请填「是」或留空")
        }
        OrgProblemKind::BadDepartment { unit, department } => {
            format!("单位「{unit}」的钉钉部门编号 {department} 不对：部门编号是正整数（根部门为 1）")
        }
        OrgProblemKind::DuplicateDepartment { department, unit, other } => {
            format!("钉钉部门 {department} 同时写在单位「{other}」和「{unit}」下：一个部门只能对应一个单位")
        }
    };
    format!("第 {} 行：{}", p.line, what)
}

pub fn org_refused(problems: &[OrgProblem]) -> String {
    let mut s = format!("组织文件有 {} 处问题，未写入任何内容：\n", problems.len());
    for p in problems {
        let _ = writeln!(s, "  {}", org_problem(p));
    }
    s.trim_end().to_owned()
}

pub fn org_loaded(r: &OrgLoadReport) -> String {
    let mut s = String::new();
    if !r.changed_anything() {
        let _ = writeln!(
            s,
            "组织信息已是最新，未做任何改动（单位 {} 个，站点 {} 个）。",
            r.units_unchanged, r.sites_unchanged
        );
    } else {
        let _ = writeln!(
            s,
            "已载入：新增单位 {} 个，新增站点 {} 个，修改站点 {} 处，未变 {} 个单位、{} 个站点。",
            r.units_added.len(),
            r.sites_added.len(),
            r.sites_changed.len() + r.defaults_moved.len(),
            r.units_unchanged,
            r.sites_unchanged
        );
        for u in &r.units_added {
            let _ = writeln!(s, "  + 单位 {u}");
        }
        for x in &r.sites_added {
            let _ = writeln!(s, "  + 站点 {x}");
        }
        for x in &r.sites_changed {
            let _ = writeln!(s, "  ~ 站点 {x}");
        }
        for (unit, site) in &r.defaults_moved {
            let _ = writeln!(s, "  ~ 站点 {unit}: 默认站点改为 {site}");
        }
        for c in &r.departments_changed {
            let _ = writeln!(s, "  ~ {}", super::org::departments_changed(c));
        }
    }
    if !r.sites_not_in_file.is_empty() {
        let _ = writeln!(s, "以下站点不在文件中，已保留（已有登记引用）：");
        for x in &r.sites_not_in_file {
            let _ = writeln!(s, "  = {x}");
        }
    }
    s.trim_end().to_owned()
}

pub fn notice_created(
    n: &crate::notices::Notice,
    audience: &str,
    size: i64,
    next: &[DateTime<Utc>],
    tz: Tz,
) -> String {
    let mut s = format!(
        "通知 #{} [{}]\n受众：{}（现有 {} 人）\n发送：{}",
        n.id,
        status_label(n.status),
        audience,
        size,
        schedule_label(&n.schedule, tz)
    );
    if !next.is_empty() {
        let times: Vec<String> = next.iter().map(|t| fire_time(*t, tz, n.schedule.has_seconds())).collect();
        let _ = write!(s, "\n接下来：{}", times.join("；"));
    }
    let mut options = Vec::new();
    if n.ack {
        options.push("需确认");
    }
    if n.remind_after.is_some() {
        options.push("提醒一次");
    }
    if n.policy {
        options.push("政策材料");
    }
    if n.urgent {
        options.push("紧急");
    }
    if let Some(kind) = n.media_kind {
        options.push(if kind == crate::notices::MediaKind::Photo { "附照片" } else { "附文件" });
    }
    if !options.is_empty() {
        let _ = write!(s, "\n选项：{}", options.join("、"));
    }
    s
}

/// `wecom`: WeCom is configured, so its way of joining is said too.
pub fn invite(invite: &Invite, link: Option<&str>, tz: Tz, wecom: bool) -> String {
    let mut s = format!(
        "邀请码：{}\n单位：{}　身份：{}　可用：{} 次　有效期至：{}\n",
        invite.code,
        invite.unit_name,
        role_label(invite.role),
        invite.max_uses,
        invite.expires_at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
    );
    match link {
        Some(link) => s.push_str(link),
        None => s.push_str(&format!(
            "https://t.me/<bot username>?start={}\n（还不知道机器人的用户名：请先启动一次机器人，或在配置中设置 bot_username）",
            invite.code
        )),
    }
    s.push_str(&format!(
        "\n钉钉：在与机器人的单聊中发送「加入 {code}」\n终端：sansong chat --as <姓名>，然后发送「加入 {code}」",
        code = invite.code
    ));
    if wecom {
        s.push_str(&wecom_join(&invite.code));
    }
    s
}

/// How to join on WeCom, a line of its own.
pub fn wecom_join(code: &str) -> String {
    format!("\n企业微信 / 政务微信：在与智能机器人的单聊中发送「加入 {code} 您的姓名」")
}

// ---------------------------------------------------------------- setup and the config

/// A line of `sansong check`.
pub fn check_passed(name: &str, what: &str) -> String {
    format!("✓ {name}：{what}")
}

pub fn check_failed(name: &str, problem: &str) -> String {
    format!("✗ {name}：{problem}")
}

pub const CONFIG_FILE: &str = "配置文件";
pub const ALL_CHECKS_PASSED: &str = "全部检查通过。";

pub fn checks_failed(count: usize) -> String {
    format!("{count} 项有问题。")
}

pub fn missing_file(path: &Path) -> String {
    format!("{} 不存在", path.display())
}

/// A command refused to start on a config with mistakes: the ✗ lines of `check`, or the
/// loader's own words when no single setting is to blame.
pub fn config_refused(error: &str, problems: &[String]) -> String {
    if problems.is_empty() {
        format!("配置有误：{error}")
    } else {
        format!("配置有误，未启动：\n{}", problems.join("\n"))
    }
}

pub fn bad_now(given: &str) -> String {
    format!("SANSONG_NOW「{given}」不是 RFC 3339 时间，例如 2026-11-30T08:59:00+08:00。")
}

pub const NO_TOKEN: &str = "未设置 TELOXIDE_TOKEN：请把机器人的令牌放在环境变量 TELOXIDE_TOKEN 中。";

/// `sansong run` with no platform configured.
pub const NO_PLATFORM: &str = "没有配置任何平台，机器人无法运行。请至少设置一种：\n\
     · Telegram：环境变量 TELOXIDE_TOKEN（机器人令牌）；\n\
     · 钉钉：SANSONG_DINGTALK_CLIENT_ID（AppKey）和 SANSONG_DINGTALK_CLIENT_SECRET（AppSecret）；\n\
     · 企业微信 / 政务微信：SANSONG_WECOM_BOT_ID（Bot ID）和 SANSONG_WECOM_SECRET（Secret）。\n\
     设置了几种就同时运行几种。";

/// DingTalk's client id is set but not its secret.
pub const NO_DINGTALK_SECRET: &str = "已设置 SANSONG_DINGTALK_CLIENT_ID，但没有设置 SANSONG_DINGTALK_CLIENT_SECRET（AppSecret，只从环境变量读取）。";

pub fn already_running(why: &str) -> String {
    format!("无法启动：{why}（同一个数据库只能运行一个 sansong）。")
}

// ---------------------------------------------------------------- the organisation and members

pub fn org_file_refused(file: &Path, problems: &[OrgProblem]) -> String {
    format!("{}：\n{}", file.display(), org_refused(problems))
}

pub const ORG_HEADERS: [&str; 4] = ["单位", "站点", "联系类型", "默认"];
pub const YES: &str = "是";
pub const BAD_EXPIRES: &str = "--expires 的格式应为 7d、12h 或 2w。";
pub const MEMBER_HEADERS: [&str; 6] = ["姓名", "账号", "单位", "身份", "状态", "最近登记"];

pub fn status_word(active: bool) -> &'static str {
    if active { "在用" } else { "停用" }
}

pub fn member_count(n: usize) -> String {
    format!("共 {n} 人")
}

// ---------------------------------------------------------------- notices

pub const NO_WHEN: &str = "请用 --at、--cron 或 --now 之一说明发送时间。";
pub const BAD_REMIND: &str = "--remind 的格式应为 24h、2d 或 off。";

pub fn bad_target_role(to: &str) -> String {
    format!("--to {to}：身份应为 member、organiser 或 admin")
}

pub fn bad_target_link(to: &str) -> String {
    format!("--to {to}：联系类型应为 village、community、enterprise 或 chamber")
}

pub fn bad_target(to: &str) -> String {
    format!("--to {to}：应为 all、unit:单位、role:身份 或 link:联系类型")
}

// ---------------------------------------------------------------- exports, backups, the audit log

pub fn to_before_from(from: NaiveDate, to: NaiveDate) -> String {
    format!("--to ({to}) 早于 --from ({from})。")
}

pub fn exported(period: Period, records: usize, out: &Path) -> String {
    format!("{}：{records} 条记录已写入 {}", period_label(period), out.display())
}

pub fn backup_failed(why: &str) -> String {
    format!("备份失败：{why}")
}

pub fn backed_up(path: &Path, bytes: u64, checkins: i64) -> String {
    format!("备份完成：{}（{bytes} 字节，{checkins} 条登记，已通过完整性检查）", path.display())
}

pub const RESTORE_WHILE_RUNNING: &str =
    "机器人正在使用这个数据库，不能恢复：请先停止机器人（systemctl stop sansong），再运行 restore。";

pub fn restore_failed(why: &str) -> String {
    format!("恢复失败：{why}")
}

pub fn restored(from: &Path, checkins: i64, kept: Option<&Path>) -> String {
    let mut s = format!("已从 {} 恢复数据库（{checkins} 条登记）。", from.display());
    if let Some(old) = kept {
        let _ = write!(s, "\n原数据库保留为 {}。", old.display());
    }
    s
}

pub const AUDIT_HEADERS: [&str; 7] = ["时间", "操作人", "操作", "对象", "之前", "之后", "说明"];

pub fn audit_count(n: usize) -> String {
    format!("共 {n} 条")
}

// ---------------------------------------------------------------- sansong check

pub const CHECK_TIMEZONE: &str = "时区 timezone";
pub const CHECK_REPORT_CRON: &str = "周报时间 report_cron";
pub const CHECK_REMINDER_CRON: &str = "提醒时间 reminder_cron";
pub const CHECK_BACKUP_CRON: &str = "备份时间 backup_cron";
pub const CHECK_QUIET_HOURS: &str = "免打扰时段 quiet_hours";
pub const CHECK_BROADCAST_RATE: &str = "发送速率 broadcast_rate";
pub const CHECK_HOLIDAYS: &str = "节假日 holidays_dir";
pub const CHECK_BACKUP_DIR: &str = "备份目录 backup_dir";
pub const CHECK_OTHER: &str = "其他设置";
pub const CHECK_FONT: &str = "图表字体 report_font";
pub const CHECK_DATABASE: &str = "数据库 database_url";
pub const CHECK_TOKEN: &str = "令牌 TELOXIDE_TOKEN";
pub const CHECK_BOT_API: &str = "Bot API (getMe)";
pub const FONT_OFF: &str = "off（周报为纯文字）";
pub const NO_FONT: &str = "未找到中文字体：周报将为纯文字（可安装 fonts-wqy-microhei 或设置 report_font）";
pub const TOKEN_SET: &str = "已设置";
pub const CHECK_PLATFORMS: &str = "平台";
pub const TELEGRAM_OFF: &str = "未设置（不使用 Telegram）";
pub const CHECK_DINGTALK_SECRET: &str = "钉钉 SANSONG_DINGTALK_CLIENT_SECRET";
pub const CHECK_DINGTALK_TOKEN: &str = "钉钉 access token";
pub const CHECK_DINGTALK_STREAM: &str = "钉钉 Stream 连接";
pub const DINGTALK_TOKEN_OK: &str = "已用 AppKey/AppSecret 取得";
pub const DINGTALK_STREAM_OK: &str = "已建立（随即关闭）";
pub const TOKEN_REFUSED: &str = "令牌无效（Telegram 答复 Unauthorized）：请核对 TELOXIDE_TOKEN";

pub const CHECK_PAID: &str = "付费广播 broadcast_paid";

/// Paid broadcasts are on: what one notice to everyone costs (0.1 Star a message).
pub fn paid_broadcasts(members: i64) -> String {
    let stars = members as f64 * 0.1;
    format!(
        "已开启（每条 0.1 Telegram Star，上限 1000 条/秒）；向全体 {members} 名成员发送一次约 {stars:.1} Stars"
    )
}

pub fn per_second(rate: f64) -> String {
    format!("{rate} 条/秒")
}

pub fn no_holidays(dir: &Path) -> String {
    format!("{} 不存在（没有节假日安排时按周一至周五计算工作日）", dir.display())
}

pub fn holiday_years(dir: &Path, years: &[i32]) -> String {
    if years.is_empty() {
        return format!("{}：没有节假日文件（按周一至周五计算工作日）", dir.display());
    }
    let years: Vec<String> = years.iter().map(i32::to_string).collect();
    format!("{}：{}", dir.display(), years.join("、"))
}

pub const CHECK_NEXT_YEAR: &str = "节假日 年度安排";
pub const CHECK_SETTING: &str = "设置";

/// A setting whose value is of the wrong type (`SANSONG_UNDO_WINDOW_HOURS=-3`).
pub fn wrong_type(key: &str, kind: &figment::error::Kind) -> String {
    use figment::error::{Actual, Kind};
    let expected = |e: &str| match e {
        e if e.starts_with('u') && e[1..].bytes().all(|b| b.is_ascii_digit()) => "0 或正整数".to_owned(),
        e if e.starts_with('i') && e[1..].bytes().all(|b| b.is_ascii_digit()) => "整数".to_owned(),
        "f32" | "f64" => "数字".to_owned(),
        "a boolean" | "bool" => "true 或 false".to_owned(),
        "a string" | "string" => "文字".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        Kind::InvalidType(actual, wanted) | Kind::InvalidValue(actual, wanted) => {
            let value = match actual {
                Actual::Bool(b) => b.to_string(),
                Actual::Unsigned(n) => n.to_string(),
                Actual::Signed(n) => n.to_string(),
                Actual::Float(x) => x.to_string(),
                Actual::Char(c) => c.to_string(),
                Actual::Str(t) => format!("{t:?}"),
                other => other.to_string(),
            };
            format!("{key} = {value} 的类型不对：应为{}", expected(wanted))
        }
        other => format!("{key} 有误：{other}"),
    }
}

/// The official schedule of `year` is not loaded although it is due by now.
pub fn next_year_missing(year: i32, dir: &Path) -> String {
    format!(
        "{year} 年的节假日安排尚未载入：国务院办公厅的通知发布后，请用 sansong holidays import 导入，写入 {}；\
         在此之前「每个工作日」按周一至周五计算，会在节假日发送",
        dir.join(format!("{year}.toml")).display()
    )
}

pub fn config_unreadable(path: &Path, why: &str) -> String {
    format!("{} 无法读取：{why}", path.display())
}

fn kinds_problem(e: &KindsError) -> String {
    match e {
        KindsError::None => "至少要有一种活动类型".into(),
        KindsError::BadKey(key) => format!("key {key:?} 应为 1 到 24 个小写字母、数字或下划线"),
        KindsError::EmptyLabel(key) => format!("类型 {key} 没有名称（label）"),
        KindsError::Shared { word, first, second } => format!("「{word}」同时是 {first} 和 {second} 的写法"),
    }
}

/// A setting that is wrong, naming the key, the value given and what is allowed.
pub fn config_error(e: &ConfigError) -> String {
    match e {
        ConfigError::MissingFile(path) => format!("{} 不存在", path.display()),
        ConfigError::Invalid(e) => format!("配置格式有误：{e}"),
        ConfigError::BadTimezone(value) => format!("{value:?} 不是 IANA 时区名（例如 Asia/Shanghai）"),
        ConfigError::BadKinds(why) => format!("kinds（活动类型）有误：{}", kinds_problem(why)),
        ConfigError::OutOfRange { key: "broadcast_rate", value, low, high } => {
            format!("broadcast_rate = {value} 超出范围：应在 {low} 到 {high} 条/秒之间（0 表示不限速）")
        }
        ConfigError::OutOfRange { key, value, low, high } => {
            format!("{key} = {value} 超出范围：应在 {low} 到 {high} 之间")
        }
        ConfigError::BadQuietHours { value, .. } => format!(
            "quiet_hours = {value:?} 不是有效的时段：应写成开始-结束，如 22:00-07:00（可跨午夜），或 off"
        ),
        ConfigError::BadSchedule { key, value, reason } => {
            format!("{key} = {value:?} 有误：{}", super::errors::schedule_problem(reason))
        }
        ConfigError::NotRecurring { key, value } => format!(
            "{key} = {value:?} 不是定期的时间：应写成 cron（如 0 9 * * 1）或 每周一 09:00、每个工作日 09:00"
        ),
        ConfigError::BadAddress { key, value } => format!(
            "{key} = {value:?} 不是有效的地址：应写成 127.0.0.1:9898、https://bot.example.org/tg 或 off"
        ),
        ConfigError::Holidays(CalendarError::Invalid { file, message }) => {
            format!("节假日文件 {file} 的格式有误（TOML）：{message}")
        }
        ConfigError::Holidays(CalendarError::BadDate { file, value }) => {
            format!("节假日文件 {file} 中的 {value:?} 不是日期：应写成 2026-10-01")
        }
        ConfigError::Holidays(CalendarError::BadRange { file, spec }) => {
            format!("节假日文件 {file} 中的 {spec:?} 前后颠倒或超过一个月：应写成 2026-10-01..2026-10-07")
        }
        ConfigError::Holidays(CalendarError::Folder(dir, why)) => format!("无法读取节假日目录 {dir}：{why}"),
    }
}

pub fn not_writable(dir: &Path, why: &str) -> String {
    format!("{} 不可写：{why}", dir.display())
}

pub fn created_when_needed(dir: &Path) -> String {
    format!("{}（尚不存在，需要时创建）", dir.display())
}

pub fn database_created_at_start(path: &Path) -> String {
    format!("{}：尚不存在，启动时自动创建", path.display())
}

pub fn migrations_applied(path: &Path, applied: usize) -> String {
    format!("{}：{applied} 个迁移均已应用", path.display())
}

pub fn migrations_pending(path: &Path, applied: usize, known: usize) -> String {
    format!("{}：已应用 {applied}/{known} 个迁移，其余在启动时自动应用", path.display())
}

/// What a line of `sansong check` (and the console's 系统 page) is about.
pub fn check_name(check: Check) -> &'static str {
    match check {
        Check::ConfigFile => CONFIG_FILE,
        Check::Setting => CHECK_SETTING,
        Check::Timezone => CHECK_TIMEZONE,
        Check::ReportCron => CHECK_REPORT_CRON,
        Check::ReminderCron => CHECK_REMINDER_CRON,
        Check::BackupCron => CHECK_BACKUP_CRON,
        Check::QuietHours => CHECK_QUIET_HOURS,
        Check::BroadcastRate => CHECK_BROADCAST_RATE,
        Check::Paid => CHECK_PAID,
        Check::Holidays => CHECK_HOLIDAYS,
        Check::NextYear => CHECK_NEXT_YEAR,
        Check::BackupDir => CHECK_BACKUP_DIR,
        Check::Other => CHECK_OTHER,
        Check::Font => CHECK_FONT,
        Check::Database => CHECK_DATABASE,
        Check::Token => CHECK_TOKEN,
        Check::BotApi => CHECK_BOT_API,
        Check::Platforms => CHECK_PLATFORMS,
        Check::DingTalkSecret => CHECK_DINGTALK_SECRET,
        Check::DingTalkToken => CHECK_DINGTALK_TOKEN,
        Check::DingTalkStream => CHECK_DINGTALK_STREAM,
        Check::DingTalkDepartmentRead => super::dingtalk::CHECK_DEPARTMENT_READ,
        Check::DingTalkMemberRead => super::dingtalk::CHECK_MEMBER_READ,
        Check::DingTalkScope => super::dingtalk::CHECK_SCOPE,
        Check::WeCom => super::wecom::CHECK_NAME,
    }
}

/// What a passed check found.
pub fn check_fine(fine: &Fine) -> String {
    match fine {
        Fine::Text(text) => text.clone(),
        Fine::Off => "off".into(),
        Fine::Ok => "OK".into(),
        Fine::PerSecond(rate) => per_second(*rate),
        Fine::PaidBroadcasts { members } => paid_broadcasts(*members),
        Fine::HolidayYears { dir, years } => holiday_years(dir, years),
        Fine::CreatedWhenNeeded(dir) => created_when_needed(dir),
        Fine::FontOff => FONT_OFF.into(),
        Fine::NoFont => NO_FONT.into(),
        Fine::DatabaseCreatedAtStart(path) => database_created_at_start(path),
        Fine::Migrations { path, applied, known } if applied == known => migrations_applied(path, *applied),
        Fine::Migrations { path, applied, known } => migrations_pending(path, *applied, *known),
        Fine::TokenSet => TOKEN_SET.into(),
        Fine::TelegramOff => TELEGRAM_OFF.into(),
        Fine::DingTalkTokenOk => DINGTALK_TOKEN_OK.into(),
        Fine::DingTalkStreamOk => DINGTALK_STREAM_OK.into(),
    }
}

/// The exact problem a failed check found.
pub fn check_problem(problem: &Problem) -> String {
    match problem {
        Problem::WrongType { key, kind } => wrong_type(key, kind),
        Problem::ConfigUnreadable { path, why } => config_unreadable(path, why),
        Problem::Config(e) => config_error(e),
        Problem::NoHolidays(dir) => no_holidays(dir),
        Problem::NextYearMissing { year, dir } => next_year_missing(*year, dir),
        Problem::NotWritable { dir, why } => not_writable(dir, why),
        Problem::Database { path, why } => format!("{}：{why}", path.display()),
        Problem::NoPlatform => NO_PLATFORM.into(),
        Problem::NoDingTalkSecret => NO_DINGTALK_SECRET.into(),
        Problem::Text(text) => text.clone(),
    }
}

/// A line of `sansong check`: ✓ or ✗, what it is about, and what was found.
pub fn check_line(item: &CheckItem) -> String {
    match &item.outcome {
        Ok(fine) => check_passed(check_name(item.check), &check_fine(fine)),
        Err(problem) => check_failed(check_name(item.check), &check_problem(problem)),
    }
}

pub fn unreachable_api(base: &str, why: &str) -> String {
    format!("无法连接 {base}：{why}")
}

pub fn api_answered(base: &str, status: u16, description: &str) -> String {
    format!("{base} 答复 HTTP {status}：{description}")
}

/// What `main` prints before an internal error it could not turn into anything better.
pub const INTERNAL_ERROR: &str = "错误";

// ---------------------------------------------------------------- sansong holidays

fn day_with_weekday(d: NaiveDate) -> String {
    format!("{}月{}日（{}）", d.month(), d.day(), super::weekday_label(d.weekday()))
}

/// Consecutive days as runs: (first, last).
fn runs(days: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for d in days {
        match out.last_mut() {
            Some((_, last)) if last.succ_opt() == Some(*d) => *last = *d,
            _ => out.push((*d, *d)),
        }
    }
    out
}

fn days_off_line(from: NaiveDate, to: NaiveDate) -> String {
    let n = (to - from).num_days() + 1;
    if from == to {
        format!("{}，1天", day_with_weekday(from))
    } else {
        format!("{} 至 {}，{n}天", day_with_weekday(from), day_with_weekday(to))
    }
}

/// `sansong holidays show`: a year's days off and make-up working days.
pub fn holiday_year(year: i32, days_off: &[NaiveDate], workdays: &[NaiveDate], dir: &Path) -> String {
    let mut s = format!("{year} 年节假日安排（{}）\n放假：", dir.join(format!("{year}.toml")).display());
    for (from, to) in runs(days_off) {
        let _ = write!(s, "\n  {}", days_off_line(from, to));
    }
    s.push_str("\n调休上班：");
    if workdays.is_empty() {
        s.push('无');
    }
    for d in workdays {
        let _ = write!(s, "\n  {}", day_with_weekday(*d));
    }
    s
}

pub fn year_not_loaded(year: i32, dir: &Path) -> String {
    format!(
        "{year} 年的节假日安排尚未载入（{} 中没有 {year}.toml）。可用 sansong holidays import 导入国务院办公厅的通知。",
        dir.display()
    )
}

pub const IMPORT_NO_YEAR: &str = "没有找到年份：请连同标题「国务院办公厅关于YYYY年部分节假日安排的通知」一起粘贴，或用 --year 指明年份。未写入任何内容。";
pub const IMPORT_NO_HOLIDAYS: &str =
    "没有找到节假日安排：应有「一、元旦：1月1日至3日放假调休，共3天。」这样编号的行。未写入任何内容。";
pub const IMPORT_NOT_CONFIRMED: &str = "未确认，未写入任何内容。";
pub const IMPORT_CONFIRM: &str = "核对无误后输入「是」写入：";

pub fn import_lines_unread(lines: &[(usize, String)]) -> String {
    let mut s = format!("以下 {} 行没有读懂，未写入任何内容：", lines.len());
    for (n, line) in lines {
        let _ = write!(s, "\n  第 {n} 行：{line}");
    }
    s.push_str("\n每行应像「二、春节：2月15日（周日）至23日（周一）放假调休，共9天。2月14日（周六）上班。」，天数须与日期相符。");
    s
}

/// What an import read, for the admin to compare with the notice before it is written.
pub fn import_preview(
    a: &crate::schedule::arrangement::Arrangement,
    target: &Path,
    replaces: bool,
) -> String {
    let mut s = format!("{} 年节假日安排，共 {} 项：", a.year, a.holidays.len());
    for h in &a.holidays {
        let _ = write!(s, "\n  {}：放假 {}", h.name, days_off_line(h.from, h.to));
        if !h.workdays.is_empty() {
            let days: Vec<String> = h.workdays.iter().map(|d| day_with_weekday(*d)).collect();
            let _ = write!(s, "；调休上班 {}", days.join("、"));
        }
    }
    let _ = write!(s, "\n将{}写入 {}", if replaces { "替换并" } else { "" }, target.display());
    s
}

pub fn imported(year: i32, target: &Path) -> String {
    format!("已写入 {}。运行中的机器人会在下一次排程时读到 {year} 年的安排，无需重启。", target.display())
}

// ---------------------------------------------------------------- the terminal platform

/// What ends `sansong chat`.
pub const TERMINAL_QUIT: &[&str] = &["退出", "exit", "quit", "/quit"];

/// A notice to a terminal member who is not at this terminal.
pub const TERMINAL_NOT_HERE: &str = "此成员不在当前终端";

pub fn terminal_welcome(name: &str) -> String {
    format!(
        "sansong 终端（{name}）：像在聊天软件里一样输入，回车发送；有选项时输入序号即可。输入「退出」结束。\n\
         还不是成员？先用 sansong invite 生成邀请码，然后发送「加入 邀请码」。"
    )
}

pub fn terminal_media(kind: crate::notices::MediaKind, caption: &str) -> String {
    let what = match kind {
        crate::notices::MediaKind::Photo => "图片",
        crate::notices::MediaKind::Document => "文件",
    };
    format!("[{what}] {caption}")
}

pub fn terminal_file_saved(path: &str, caption: &str) -> String {
    format!("[文件已保存：{path}]\n{caption}")
}

pub fn terminal_file_failed(path: &str, error: &str) -> String {
    format!("[文件未能保存到 {path}：{error}]")
}

/// A notice delivered to the terminal.
pub fn terminal_notice(
    text: &str,
    reminder: bool,
    media: Option<crate::notices::MediaKind>,
    acknowledge: bool,
) -> String {
    let head = if reminder { "⏰ 通知提醒" } else { "📢 通知" };
    let mut s = format!("{head}\n{text}");
    if let Some(kind) = media {
        s = format!("{s}\n{}", terminal_media(kind, "（附件）"));
    }
    if acknowledge {
        s.push_str("\n（请回复「收到」确认）");
    }
    s
}

pub const TERMINAL_BAD_NAME: &str = "请用 --as 给出 1 到 32 个字的姓名，例如：sansong chat --as 张三";

// ---------------------------------------------------------------- DingTalk

/// A photo or file that lives on another platform (a notice composed on Telegram).
pub const MEDIA_ELSEWHERE: &str = "（此通知附有图片或文件，请向发布人索取。）";

/// A delivery DingTalk says cannot reach this person (they left, or a wrong staff id).
pub const DINGTALK_INVALID_STAFF: &str = "DingTalk: invalid staff id (invalidStaffIdList)";
