//! Registration, help, the welcome and status texts, invites and member lists.

use std::fmt::Write as _;

use chrono_tz::Tz;

use super::{day, first_kind, kinds_list, link_label, moment, role_label};
use crate::checkins::kinds::Kinds;
use crate::domain::{Invite, Member, MemberListing, MemberStatus, Site};

pub fn not_registered() -> String {
    "您好！您还没有加入“三送”活动登记。\n\
     请向本单位的组织员或管理员索取邀请：点开邀请链接，或把「加入 邀请码」发给我，即可加入。"
        .into()
}

pub fn start_without_code() -> String {
    format!("欢迎使用“三送”活动登记助手。\n\n{}", not_registered())
}

pub fn deactivated() -> String {
    "您的账号已停用，暂时不能登记。如有疑问，请联系本单位管理员。".into()
}

/// How a platform's people write commands: on Telegram both the slash and the word work and
/// help shows both; on a platform without slash commands (DingTalk) help shows the words only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommandStyle {
    #[default]
    SlashAndWord,
    WordOnly,
}

/// A command as help names it: `/week` and its word `本周`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandName {
    pub name: &'static str,
    pub word: &'static str,
}

/// An example in the style's form: the slash form where slashes work, else the word form.
fn ex<'a>(style: CommandStyle, slash: &'a str, word: &'a str) -> &'a str {
    match style {
        CommandStyle::SlashAndWord => slash,
        CommandStyle::WordOnly => word,
    }
}

fn command_summary(name: &str, style: CommandStyle, kinds: &Kinds) -> String {
    let e = |slash, word| ex(style, slash, word);
    match name {
        "checkin" => format!("登记一次活动（{}）", kinds_list(kinds)),
        "week" => format!("查看本周的登记（{}）", e("/week last 查看上周", "发送「上周」查看上周")),
        "undo" => "撤销最近一次登记".into(),
        "cancel" => "退出正在进行的分步登记".into(),
        "help" => "查看帮助".into(),
        "link" => "把您在另一个平台（如钉钉）上的账号绑定到本人".into(),
        "invite" => "生成邀请链接".into(),
        "members" => "查看成员名单".into(),
        "notice" => "发布通知（立即、定时或定期）".into(),
        "notices" => "查看和管理已发布的通知".into(),
        "receipts" => "查看通知的送达和确认情况".into(),
        "remind" => "开启或关闭每周打卡提醒".into(),
        "name" => format!("设置统计和名单中显示的名字（{}）", e("/name 张三", "「我的名字 张三」")),
        "tally" => format!(
            "本周统计（{}）",
            e("/tally last 上周；by:member 按成员", "「统计 上周」看上周；「统计 按成员」按成员")
        ),
        "missing" => format!("本周尚无登记的成员（{}）", e("/missing sites 看站点", "「未登记 站点」看站点")),
        "export" => format!("导出登记记录（Excel；{}）", e("/export csv 导出 CSV", "「导出 csv」导出 CSV")),
        "web" => "获取管理后台的登录链接（在电脑或手机浏览器中看统计、覆盖和记录）".into(),
        "promote" => format!(
            "提升成员身份（{}）",
            e("/promote 姓名 [organiser|admin]", "「授权 姓名 organiser」或「授权 姓名 admin」")
        ),
        "demote" => format!("降低成员身份（{}）", e("/demote 姓名", "「取消授权 姓名」")),
        "deactivate" => "停用成员：保留记录，不再发通知".into(),
        "activate" => "重新启用已停用的成员".into(),
        other => other.into(),
    }
}

/// The short description of each command, for a platform's command menu. `commands` are the
/// names of the commands the person may use, in the order to list them.
pub fn menu_entries(commands: &[CommandName], kinds: &Kinds) -> Vec<(&'static str, String)> {
    commands.iter().map(|c| (c.name, command_summary(c.name, CommandStyle::SlashAndWord, kinds))).collect()
}

/// What someone with `role` may do: exactly the commands the core lets them use, each with
/// its word (which works without a slash), or the words only where slashes do not work.
pub fn help(commands: &[CommandName], style: CommandStyle, kinds: &Kinds) -> String {
    let mut s = String::from("可用的命令：\n");
    for c in commands {
        let summary = command_summary(c.name, style, kinds);
        let _ = match style {
            CommandStyle::SlashAndWord => writeln!(s, "/{} 或 {} — {summary}", c.name, c.word),
            CommandStyle::WordOnly => writeln!(s, "{} — {summary}", c.word),
        };
    }
    let first = first_kind(kinds);
    let last = kinds.all().last().map_or("送温暖", |k| k.label.as_str());
    let _ = write!(s, "\n快速登记：直接发送\n{first} 为社区居民宣讲社保政策\n");
    if style == CommandStyle::SlashAndWord {
        let _ = writeln!(s, "（或 /checkin {first} 为社区居民宣讲社保政策）");
    }
    let _ = write!(
        s,
        "也可以发送带说明的照片，如「#{last} 看望五保户」。\n\
         只发送「登记」可按步骤登记。照片和位置都不是必需的。",
    );
    s
}

fn site_names(sites: &[Site]) -> String {
    if sites.is_empty() {
        "暂未设置".into()
    } else {
        sites.iter().map(|s| format!("{}（{}）", s.name, link_label(s.link))).collect::<Vec<_>>().join("、")
    }
}

/// `ask_name`: the platform told the bot no name, and the person gave none: how to give it
/// follows the greeting.
pub fn welcome(
    member: &Member,
    sites: &[Site],
    commands: &[CommandName],
    style: CommandStyle,
    kinds: &Kinds,
    ask_name: bool,
) -> String {
    let name = if ask_name { format!("\n\n{}", name_unknown(&member.name)) } else { String::new() };
    format!(
        "欢迎您，{}！\n您已加入「{}」，身份：{}。\n联点站点：{}{name}\n\n{}",
        member.name,
        member.unit_name,
        role_label(member.role),
        site_names(sites),
        help(commands, style, kinds)
    )
}

pub fn status(
    member: &Member,
    sites: &[Site],
    week_count: i64,
    commands: &[CommandName],
    style: CommandStyle,
    kinds: &Kinds,
) -> String {
    format!(
        "{}，您好！您已是「{}」的{}。\n联点站点：{}\n本周已登记 {} 次。\n\n{}",
        member.name,
        member.unit_name,
        role_label(member.role),
        site_names(sites),
        week_count,
        help(commands, style, kinds)
    )
}

pub fn private_only(bot_username: Option<&str>) -> String {
    match bot_username {
        Some(u) => format!("为保护个人信息，登记和查询请私聊我：https://t.me/{u}"),
        None => "为保护个人信息，登记和查询请私聊我。".into(),
    }
}

/// `wecom`: WeCom is configured, so its way of joining is said too.
pub fn invite_created(invite: &Invite, link: Option<&str>, tz: Tz, wecom: bool) -> String {
    let head = format!(
        "邀请已生成：{} · {} · 可用 {} 次 · {} 前有效",
        invite.unit_name,
        role_label(invite.role),
        invite.max_uses,
        moment(invite.expires_at, tz)
    );
    let code = &invite.code;
    let wecom = if wecom { super::cli::wecom_join(code) } else { String::new() };
    match link {
        Some(link) => format!(
            "{head}\nTelegram：{link}\n钉钉等其他平台：私聊机器人发送「加入 {code}」{wecom}\n\n请只发给需要加入的人。"
        ),
        None => format!("{head}\n邀请码：{code}\n（加入的人私聊机器人发送「加入 {code}」）{wecom}"),
    }
}

pub fn member_list(listings: &[MemberListing], tz: Tz) -> String {
    if listings.is_empty() {
        return "还没有成员。".into();
    }
    let mut s = String::new();
    let mut unit = "";
    for l in listings {
        let m = &l.member;
        if m.unit_name != unit {
            unit = &m.unit_name;
            let n = listings.iter().filter(|x| x.member.unit_name == unit).count();
            if !s.is_empty() {
                s.push('\n');
            }
            let _ = writeln!(s, "「{unit}」{n} 人：");
        }
        let last =
            l.last_checkin_at.map_or_else(|| "尚无登记".to_owned(), |t| format!("最近登记 {}", day(t, tz)));
        let inactive = if m.status == MemberStatus::Inactive { "，已停用" } else { "" };
        let _ = writeln!(s, "· {}（{}{}）{}", m.name, role_label(m.role), inactive, last);
    }
    s.trim_end().to_owned()
}

/// `我的名字` alone: the name the member goes by.
pub fn name_now(name: &str) -> String {
    format!("您在统计和名单中显示的名字是「{name}」。\n要更改，请发送：我的名字 张三")
}

/// `我的名字 张三`: done.
pub fn name_changed(name: &str) -> String {
    format!("好的，以后在统计和名单中显示为「{name}」。")
}

/// On a platform that gives the bot no names (WeCom), after the welcome: how to give one.
pub fn name_unknown(id: &str) -> String {
    format!(
        "机器人看不到您在此平台上的姓名，暂时用「{id}」称呼您。请发送「我的名字 张三」（换成您的姓名），统计和名单中就会显示您的姓名。"
    )
}

/// `绑定`: the code to send from the other platform.
pub fn link_code(code: &str, minutes: i64) -> String {
    format!(
        "请在另一个平台（如钉钉）上私聊机器人，发送：\n绑定 {code}\n{minutes} 分钟内有效，只能用一次。\n\
         绑定后，两边是同一个成员：登记记录合在一起，通知只发一份，发到您最近使用的平台。"
    )
}

/// `绑定 <code>` worked (`new`), or the account already was this member's.
pub fn linked(member: &Member, new: bool) -> String {
    if new {
        format!(
            "已绑定：{}（{}，{}）。\n在这里登记、查看与原来的账号完全相同；通知会发到您最近使用的平台。",
            member.name,
            member.unit_name,
            role_label(member.role)
        )
    } else {
        format!("这个账号已经绑定到 {}（{}）了，无需再绑定。", member.name, member.unit_name)
    }
}
