//! What a person is told when something cannot be done: each [`UserError`] as a polite
//! sentence with the right form to use, and the generic apology for an internal failure.

use super::members::{deactivated, not_registered, private_only};
use super::{first_kind, kinds_list, role_label};
use crate::checkins::parse::MAX_DESCRIPTION_CHARS;
use crate::config::Config;
use crate::error::{Usage, UserError};
use crate::schedule::{CronProblem, ScheduleError};
use crate::week::WeekError;

pub fn unsupported_message() -> String {
    "抱歉，暂时处理不了这类消息。请发送「帮助」查看我能做什么。".into()
}

pub fn unknown_command(name: &str) -> String {
    format!("抱歉，没有 /{name} 这个命令。请发送「帮助」查看可用的命令。")
}

pub fn nothing_to_cancel() -> String {
    "您当前没有进行中的登记，无需取消。".into()
}

/// Before the first answer after a flood beyond the hard cap: how many were not handled.
pub fn discarded(count: i64, cap: u32) -> String {
    format!(
        "您在短时间内发送的消息太多，之前有 {count} 条消息超出上限（10 分钟 {cap} 条）没有处理。如其中有登记，请重新发送。"
    )
}

pub fn sorry() -> String {
    "抱歉，系统出了点问题，这次操作没有完成。请稍后再试；如果一直不行，请联系管理员。".into()
}

pub fn user_error(e: &UserError, config: &Config, bot_username: Option<&str>) -> String {
    let kinds = &config.kinds;
    match e {
        UserError::NotRegistered => not_registered(),
        UserError::Deactivated => deactivated(),
        UserError::InviteUnknown => "这个邀请码无效。请确认链接完整，或向组织员索取新的邀请链接。".into(),
        UserError::LinkCodeUnknown => {
            "这个绑定码无效或已过期（10 分钟内有效，只能用一次）。请在原来的平台上重新发送「绑定」获取新的绑定码。".into()
        }
        UserError::AccountTaken => {
            "这个账号已经是另一位成员的账号，不能再绑定。如需合并，请联系本单位管理员。".into()
        }
        UserError::PlatformAlreadyLinked(p) => {
            format!("您在{}上已经绑定了另一个账号。如需更换，请联系本单位管理员。", super::platform_label(*p))
        }
        UserError::InviteExpired => "这个邀请链接已过期。请向组织员索取新的邀请链接。".into(),
        UserError::NoticeChanged(id) => format!("通知 #{id} 刚刚有了变化（已发送或有人改过），请刷新后再看。"),
        UserError::NoAckAsked(id) => format!("通知 #{id} 没有要求确认「收到」，无需提醒。"),
        UserError::NoSuchInvite => "没有找到这个邀请，可能已被撤销或不在您的管理范围内。".into(),
        UserError::InviteUsedUp => "这个邀请链接的名额已经用完。请向组织员索取新的邀请链接。".into(),
        UserError::Forbidden { needed } => {
            format!("抱歉，这项功能仅限{}使用。", role_label(*needed))
        }
        UserError::OtherUnit => "抱歉，您只能管理本单位的事务。".into(),
        UserError::InviteRoleTooHigh => {
            "组织员只能邀请本单位的党员；邀请组织员或管理员，请联系管理员。".into()
        }
        UserError::UnknownUnit { name, candidates } if candidates.is_empty() => {
            format!("抱歉，没有找到单位「{name}」，请核对名称。")
        }
        UserError::UnknownUnit { name, candidates } => {
            format!("「{name}」可能指多个单位：{}。请写出完整的单位名称。", candidates.join("、"))
        }
        UserError::PrivateOnly => private_only(bot_username),
        UserError::EmptyCheckin => format!(
            "请写明活动类型和内容，例如：\n{} 为社区居民宣讲社保政策\n\n只发送「登记」可以按步骤登记。",
            first_kind(kinds)
        ),
        UserError::UnknownKind(word) => format!(
            "没有识别出活动类型「{word}」。请以 {} 开头，例如：\n{} 帮助办理社保卡",
            kinds_list(kinds),
            kinds.all().get(1).or(kinds.all().first()).map_or("送服务", |k| k.label.as_str())
        ),
        UserError::MissingDescription => format!(
            "请简要写明做了什么，例如：\n{} 看望五保户",
            kinds.all().last().map_or("送温暖", |k| k.label.as_str())
        ),
        UserError::DescriptionTooLong(n) => {
            format!("内容有 {n} 个字，超过了 {MAX_DESCRIPTION_CHARS} 字的上限。请精简后再发送。")
        }
        UserError::UnknownSite { name, choices } if choices.is_empty() => {
            format!("抱歉，没有找到站点「{name}」：本单位尚未设置联点站点，请联系管理员。")
        }
        UserError::UnknownSite { name, choices } => {
            format!("抱歉，本单位没有名为「{name}」的联点站点。请从以下站点中选择：{}", choices.join("、"))
        }
        UserError::AmbiguousSite { name, choices } => {
            format!("「{name}」可能指多个站点：{}。请写得完整一些。", choices.join("、"))
        }
        UserError::SiteRequired { choices } => format!(
            "本单位有多个联点站点，请用 @站点名 指明，例如 @{}。\n可选：{}",
            choices.first().map_or("站点", String::as_str),
            choices.join("、")
        ),
        UserError::NoSuchDay(day) => {
            format!("「{day}」不是有效的日期，请重新输入，例如 昨天、周五、11月28日。")
        }
        UserError::DayOutOfRange { written, earliest, latest } => format!(
            "抱歉，「{written}」不在可以登记的日期范围内：可登记 {} 至 {}（今天）做的活动，不能登记以后的日期。",
            super::date(*earliest),
            super::date(*latest)
        ),
        UserError::BackdatingOff(written) => {
            format!("抱歉，目前只能登记当天的活动（「{written}」不是今天）。请在活动当天登记。")
        }
        UserError::NothingToUndo => "您目前没有可以撤销的登记。".into(),
        UserError::UndoTooOld(id) => format!(
            "抱歉，#{id} 已超过 {} 小时，不能再撤销。如确有错误，请联系管理员处理。",
            config.undo_window.num_hours()
        ),
        UserError::NotYourCheckin(id) => {
            format!("抱歉，没有找到您编号为 #{id} 的登记（只能撤销自己的登记）。请发送「本周」查看本周登记。")
        }
        UserError::AlreadyUndone(id) => {
            format!("#{id} 已经撤销过了，无需再次撤销。请发送「本周」查看本周登记。")
        }
        UserError::EmptyNotice => "通知内容不能为空，请发送通知的文字，或带说明的照片/文件。".into(),
        UserError::NoticeTooLong { platform, limit, length, caption } => format!(
            "抱歉，{}有 {length} 个字符，超过了 {} {limit} 个字符的上限。请精简后重新发送，不会被自动截断。",
            if *caption { "照片或文件的说明" } else { "通知" },
            super::platform_label(*platform)
        ),
        UserError::MediaUnavailable => "抱歉，暂时取不到这条通知的图片或文件，通知还没有发布。请稍后再点「确认发布」，或重新发送附件。".into(),
        UserError::EmptyAudience => "请选择通知发给谁。".into(),
        UserError::BadSchedule(e) => schedule_error(e),
        UserError::NoSuchNotice(id) => {
            format!("抱歉，没有找到您可以查看的通知 #{id}。请发送「通知列表」查看。")
        }
        UserError::NoticeClosed(id) => {
            format!("通知 #{id} 已取消或已发完，无需再操作。请发送「通知列表」查看。")
        }
        UserError::Week(WeekError::NoSuchWeek { year, week, weeks }) => {
            format!("{year} 年只有 {weeks} 周，没有第 {week} 周，请重新输入。")
        }
        UserError::Week(WeekError::NoSuchDate(d)) => format!("「{d}」不是有效的日期，请重新输入。"),
        UserError::Week(WeekError::Unrecognised(w)) => format!(
            "抱歉，没看懂要查哪一周（「{w}」）。请这样写：\n本周、上周、我的登记 2026-W47、我的登记 2026-11-18"
        ),
        UserError::NoSuchMember(name) => {
            format!("抱歉，没有找到您可以管理的成员「{name}」。请发送「成员」查看名单。")
        }
        UserError::NotYourself => "不能更改自己的身份或状态，请另一位管理员操作。".into(),
        UserError::RoleUnchanged { name, role } => {
            format!("{name} 现在是{}，无需更改。", role_label(*role))
        }
        UserError::StatusUnchanged { name, active } => {
            format!("{name} 已经是{}状态，无需更改。", if *active { "在用" } else { "停用" })
        }
        UserError::ExportTooLarge { records } => format!(
            "这段时间共有 {records} 条记录，超过了 Excel 一张表的上限。请缩短日期范围，或改用「导出 csv」。"
        ),
        UserError::RangeTooLong { days } => format!(
            "在对话中一次最多导出 {days} 天的记录，请缩短日期范围，或由管理员用命令行 sansong export 导出。"
        ),
        UserError::WebLinkGone => "这个后台链接已经用过或已过期（链接 10 分钟内有效，只能用一次）。请在聊天中重新发送「后台」获取新链接。".into(),
        UserError::SetupClosed => "首位管理员已经设置好了，这个设置链接不再需要。请在聊天中发送「后台」登录。".into(),
        UserError::NoConsole => "管理后台供组织员和管理员使用。您的登记和本周情况，请在聊天中发送「本周」查看。".into(),
        UserError::NoSuchApiToken => "没有找到这个 API 令牌，请回到「系统」页面重新选择。".into(),
        UserError::StaleForm => "这个表单已失效，请刷新页面后重新提交。".into(),
        UserError::BackupFailed(why) => {
            format!("备份没有完成：{why}。请检查备份目录（backup_dir）是否存在、可写，磁盘空间是否足够。")
        }
        UserError::BadName(name) => {
            format!("「{name}」不能用作名称：请填写 1 到 40 个字，不含换行。")
        }
        UserError::UnitNameTaken(name) => format!("已有名为「{name}」的单位，请换一个名称。"),
        UserError::SiteNameTaken { unit, site } => {
            format!("单位「{unit}」已有名为「{site}」的站点（可能已归档），请换一个名称。")
        }
        UserError::NoSuchUnit(_) => "没有找到这个单位，请回到「组织」页面重新选择。".into(),
        UserError::NoSuchSite(_) => "没有找到这个站点，请回到「组织」页面重新选择。".into(),
        UserError::SiteArchived(site) => {
            format!("站点「{site}」已归档，不能设为默认。如需使用，请先恢复它。")
        }
        UserError::UnknownLinkKind(link) => {
            format!("联系类型「{link}」无法识别，请选择联乡村、联社区、联企业或联商会。")
        }
        UserError::BadDepartments(given) => format!(
            "「{given}」不是钉钉部门编号。请填写数字编号，多个用逗号或空格隔开（编号可用 sansong org dingtalk 查看）；留空表示不按部门加入。"
        ),
        UserError::DepartmentTaken { department, unit } => format!(
            "钉钉部门 {department} 已属于单位「{unit}」。一个部门只能对应一个单位：请先在「{unit}」中去掉它。"
        ),
        UserError::SeveralMembers { name, units } => {
            format!("有 {} 位成员叫「{name}」（{}），请改用聊天中的「后台」为本人获取链接。", units.len(), units.join("、"))
        }
        UserError::BadArgument { given, usage } => {
            let form = match usage {
                Usage::Undo => "撤销（撤销最近一次）或 撤销 12（撤销编号 #12）",
                Usage::Invite => "邀请 [单位] [党员|组织员|管理员] [次数，如 10次] [有效期，如 7d]",
                Usage::InviteUses => "邀请可用次数为 1 到 10000 次，如：邀请 10次",
                Usage::InviteExpiry => "有效期最长 366 天，如：邀请 7d、邀请 12h",
                Usage::Receipts => "回执 通知编号，如：回执 3（编号见「通知列表」）",
                Usage::Tally => {
                    "统计 [周，如 上周、2026-W47、2026-11-18] [单位:人社局] [按成员|按站点|按四联]"
                }
                Usage::Missing => "未登记 [周]；未登记 站点 [周] [送政策|送服务|送温暖]",
                Usage::Export => "导出 [csv] [周，或 2026-11-01..2026-11-30] [单位:人社局]",
                Usage::Remind => "提醒 开（开启提醒）或 提醒 关（关闭提醒）",
                Usage::Roles => "授权 姓名 [组织员|管理员]、取消授权 姓名、停用 姓名、启用 姓名",
            };
            format!("抱歉，「{given}」看不懂。请这样写：\n{form}")
        }
    }
}

fn cron_problem(p: &CronProblem) -> String {
    match p {
        CronProblem::FieldCount(n) => {
            format!("需要 5 个字段（分 时 日 月 周），或 6 个（秒在最前），这里有 {n} 个")
        }
        // The parser's own words are English: lead with ours, keep theirs for the detail.
        CronProblem::Field(detail) => format!("有字段的取值或写法不对（解析器提示：{detail}）"),
    }
}

/// What is wrong with a schedule, in a few words (for a setting in the config).
pub fn schedule_problem(e: &ScheduleError) -> String {
    match e {
        ScheduleError::Empty => "没有写时间".into(),
        ScheduleError::InThePast(t) => format!("「{t}」已经过去了"),
        ScheduleError::BadTime(t) => format!("「{t}」不是有效的时间"),
        ScheduleError::BadCron { reason, .. } => format!("cron 表达式{}", cron_problem(reason)),
        ScheduleError::Unrecognised(t) => {
            format!("没看懂「{t}」：应写成 cron（如 0 9 * * 1）或 每周一 09:00")
        }
        ScheduleError::NeverFires(t) => format!("「{t}」永远不会触发（没有哪一天符合）"),
    }
}

fn schedule_error(e: &ScheduleError) -> String {
    let forms = "请这样写：立即；2026-12-01 09:00；每天 08:30；每周一 09:00；每月1日 09:00；每个工作日 09:00；\n或 cron 表达式，如 0 9 * * 1（分 时 日 月 周，周日为 0 或 7）";
    match e {
        ScheduleError::Empty => format!("请写明什么时候发送。{forms}"),
        ScheduleError::InThePast(t) => format!("「{t}」已经过去了，请选择以后的时间。"),
        ScheduleError::BadTime(t) => format!("抱歉，「{t}」不是有效的时间。{forms}"),
        ScheduleError::BadCron { expr, reason } => {
            let reason = cron_problem(reason);
            format!("抱歉，cron 表达式「{expr}」有误：{reason}。\n{forms}")
        }
        ScheduleError::Unrecognised(t) => format!("抱歉，没看懂「{t}」。{forms}"),
        ScheduleError::NeverFires(t) => {
            format!("「{t}」永远不会触发（没有哪一天符合，例如 2 月 30 日）。请检查日和月。\n{forms}")
        }
    }
}
