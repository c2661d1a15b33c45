//! The words of the console's 审计 (audit log) and 系统 (system) pages, and of the JSON API's
//! token refusals: what an action in the log was, where it was done, how a platform stands,
//! the backups, the holiday calendar, and the API tokens. Column labels stay in the templates.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::role_label;
use crate::audit::Via;
use crate::domain::Role;
use crate::metrics::PlatformState;

/// An action of the audit log as people call it (an action this version does not know is
/// shown as logged).
pub fn action_label(action: &str) -> String {
    let label = match action {
        "role" => "身份变更",
        "status" => "启用/停用",
        "name" => "改名",
        "invite" => "发出邀请",
        "invite_revoked" => "撤销邀请",
        "export" => "导出记录",
        "backup" => "备份",
        "restore" => "恢复备份",
        "web_login" => "登录后台",
        "setup" => "首位管理员",
        "photo_view" => "查看照片",
        "backdate" => "补登",
        "notice" => "通知",
        "notice_remind" => "通知提醒",
        "api_token" => "创建 API 令牌",
        "api_token_revoked" => "吊销 API 令牌",
        "org_unit_added" => "添加单位",
        "org_unit_renamed" => "单位改名",
        "org_site_added" => "添加站点",
        "org_site_renamed" => "站点改名",
        "org_default_site" => "设默认站点",
        "org_site_archived" => "归档站点",
        "org_site_restored" => "恢复站点",
        "org_site_changed" => "导入修改站点",
        "org_departments" => "单位对应钉钉部门",
        "dingtalk_department" => "钉钉部门",
        other => return other.to_owned(),
    };
    label.to_owned()
}

/// A value before or after a change, in words for roles and statuses (others as logged).
pub fn change_value(action: &str, value: &str) -> String {
    match (action, value) {
        ("role", role) => role.parse::<Role>().map_or_else(|_| role.to_owned(), |r| role_label(r).to_owned()),
        ("status", "active") => "在用".into(),
        ("status", "inactive") => "已停用".into(),
        (_, other) => other.to_owned(),
    }
}

/// Where an action was done.
pub fn via_label(via: Via) -> &'static str {
    match via {
        Via::Web => "网页",
        Via::Cli => "命令行",
        Via::System => "系统",
        Via::Chat => "聊天",
    }
}

/// 审计 with no entry passing the filters.
pub const NO_ENTRIES: &str = "没有符合条件的记录。";

pub const AUDIT_NOTE: &str = "「单位」筛选：被操作的成员或操作人（按其现在所在单位）属于该单位的记录。「操作人」可填姓名、「网页」或「cli」的一部分。";

/// A duration in whole units, as people say it.
fn span(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs} 秒"),
        60..3600 => format!("{} 分钟", secs / 60),
        3600..86400 => format!("{} 小时 {} 分钟", secs / 3600, secs % 3600 / 60),
        _ => format!("{} 天 {} 小时", secs / 86400, secs % 86400 / 3600),
    }
}

/// How a platform stands.
pub fn platform_state(state: PlatformState, tz: Tz) -> String {
    match state {
        PlatformState::Up => "正常".into(),
        PlatformState::Quiet { for_ } => format!("{} 没有应答", span(for_)),
        PlatformState::Down { since_ms } => match DateTime::from_timestamp_millis(since_ms) {
            Some(t) => format!("中断（自 {} 起，正在重试）", local(t, tz)),
            None => "中断（正在重试）".into(),
        },
    }
}

/// Whether a platform's state is trouble (shown in red).
pub fn platform_trouble(state: PlatformState) -> bool {
    state != PlatformState::Up
}

/// A moment on the zone's wall clock, to the second.
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

pub const NO_PLATFORMS: &str = "没有运行任何聊天平台（只运行管理后台）。";

pub fn backlog(n: i64) -> String {
    match n {
        0 => "没有待发送的通知。".into(),
        n => format!("待发送的通知：{n} 条。"),
    }
}

pub const NO_OUTAGES: &str = "没有记录到平台中断。";

/// How long an outage lasted, or that it lasts.
pub fn outage_length(started: DateTime<Utc>, ended: Option<DateTime<Utc>>) -> String {
    match ended {
        Some(end) => span((end - started).to_std().unwrap_or_default()),
        None => "仍在中断".into(),
    }
}

/// Where the backups go and when they are taken.
pub fn backup_plan(dir: &Path, schedule: Option<&str>, keep: usize) -> String {
    match schedule {
        Some(s) => format!(
            "备份保存在 {}；定时备份：{s}，保留最近 {keep} 份（「立即备份」也计入其中）。",
            dir.display()
        ),
        None => format!(
            "备份保存在 {}；定时备份已关闭（backup_cron = \"off\"），只在点「立即备份」时备份。",
            dir.display()
        ),
    }
}

pub const NO_BACKUPS: &str = "备份目录里还没有备份。";

/// How the last scheduled backup went (its outcome as the job recorded it).
pub fn last_scheduled(due: DateTime<Utc>, outcome: &str, tz: Tz) -> (String, bool) {
    match outcome.strip_prefix("failed: ") {
        Some(why) => (format!("上次定时备份（{}）失败：{why}", local(due, tz)), true),
        None => (format!("上次定时备份（{}）：{outcome}", local(due, tz)), false),
    }
}

pub fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

pub const BACKUP_DONE: &str = "备份已完成，见下方列表。";

pub const BACKUP_NEWER: &str =
    "打开本页之后已经有了一份更新的备份（可能是重复提交、其他管理员或定时备份），这次没有再备份。";

/// The holiday files loaded.
pub fn holiday_years(dir: &Path, years: &[i32]) -> String {
    if years.is_empty() {
        return format!("{}：没有节假日文件，「每个工作日」按周一至周五计算。", dir.display());
    }
    let years: Vec<String> = years.iter().map(|y| format!("{y} 年")).collect();
    format!("已载入 {}（{}）。", years.join("、"), dir.display())
}

/// The official schedule of `year` should be loaded by now and is not.
pub fn holiday_missing(year: i32, dir: &Path) -> String {
    format!(
        "{year} 年的节假日安排尚未载入：国务院办公厅的通知发布后，请在服务器上运行 sansong holidays import 导入（写入 {}）。在此之前，「每个工作日」的通知按周一至周五发送，节假日也会发。",
        dir.join(format!("{year}.toml")).display()
    )
}

pub const CHECKS_NOTE: &str = "与在服务器上运行 sansong check 的结果相同（按磁盘上的配置文件检查；修改配置后需重启才生效）。各聊天平台的连接情况见上方「平台状态」。";

pub const NO_TOKENS: &str = "还没有 API 令牌。";

pub const TOKENS_NOTE: &str = "API 令牌供其他系统只读调用 /api/v1/ 下的接口（与统计、站点覆盖、未登记、登记记录页面的数据相同），以创建它的管理员的身份读取；不能进行任何修改。该管理员不再是管理员时，令牌随即失效。";

pub const TOKEN_REVOKED: &str = "令牌已吊销，立即停止生效。";

/// The page that shows a new token, once.
pub const TOKEN_SHOWN_ONCE: &str =
    "请立即复制并妥善保存这个令牌：它只显示这一次，离开或刷新本页后无法再查看（系统只保存它的摘要）。";

/// How another system uses the token.
pub fn token_usage(api_url: &str) -> String {
    format!("调用方法：在请求头中加上 Authorization: Bearer <令牌>，例如 GET {api_url}")
}

/// The same form sent again: no second token.
pub fn token_repeated(id: i64) -> String {
    format!(
        "这个表单已经创建过令牌 #{id}，没有再创建。为安全起见，令牌只在创建时显示一次；如果没有保存，请在「系统」页面吊销它，再新建一个。"
    )
}

/// A request with a token that does not (or no longer) work.
pub const TOKEN_REFUSED: &str =
    "API 令牌无效：可能有误、已被吊销，或创建它的管理员已不再是管理员。请向管理员索取新的令牌。";

/// A request with an `Authorization` header that is not a bearer token.
pub const NOT_BEARER: &str = "请在 Authorization 请求头中使用 Bearer 令牌：Authorization: Bearer <令牌>。";

/// A token on anything but the API's reads.
pub const TOKEN_READS_ONLY: &str = "API 令牌只能用于读取 /api/v1/ 下的数据，不能进行修改。";
