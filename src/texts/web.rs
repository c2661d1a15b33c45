//! The web console's words: the links sent in chats and printed on the command line, and every
//! sentence its pages say. Labels of columns and menus stay in the templates beside their
//! markup; sentences are here.

use crate::domain::Role;
use crate::logins::LOGIN_LINK_MINUTES;

/// The console's title, shown on every page.
pub const TITLE: &str = "“三送”活动管理后台";

/// A login link's address on the console.
pub fn login_url(public_url: &url::Url, token: &str) -> String {
    page_url(public_url, &format!("login/{token}"))
}

/// The set-up link's address.
pub fn setup_url(public_url: &url::Url, token: &str) -> String {
    page_url(public_url, &format!("setup/{token}"))
}

/// A page of the console under `public_url` (which may carry a path, behind a proxy).
pub fn page_url(public_url: &url::Url, path: &str) -> String {
    let base = public_url.as_str().trim_end_matches('/');
    format!("{base}/{path}")
}

/// The answer to `后台` in a chat.
pub fn login_link_message(url: &str, minutes: i64) -> String {
    format!(
        "管理后台登录链接（{minutes} 分钟内有效，只能用一次，请勿转发）：\n{url}\n在电脑或手机浏览器中打开，点「登录」即可。"
    )
}

/// `sansong login <姓名>`'s output.
pub fn login_link_cli(name: &str, url: &str) -> String {
    format!("{name} 的管理后台登录链接（{LOGIN_LINK_MINUTES} 分钟内有效，只能用一次）：\n{url}")
}

/// Printed by `sansong run` (on its own console, not in the log) while no admin exists.
pub fn setup_banner(url: &str, hours: i64) -> String {
    format!(
        "\n还没有管理员。请在浏览器中打开下面的设置链接，创建第一位管理员（{hours} 小时内有效，只能用一次）：\n  {url}\n"
    )
}

/// Printed by `sansong run` when the console is served.
pub fn console_at(url: &str) -> String {
    format!("管理后台：{url}")
}

/// Printed by `sansong run` when no chat platform is configured.
pub fn console_only(console: Option<&str>) -> String {
    let console = match console {
        Some(url) => format!("现在只运行管理后台：{url}\n"),
        None => "管理后台也已关闭（web_addr = \"off\"），sansong 没有可做的事。\n".into(),
    };
    format!(
        "还没有配置聊天平台。{console}可以添加：\n  · 钉钉（Stream 模式）：SANSONG_DINGTALK_CLIENT_ID 和 SANSONG_DINGTALK_CLIENT_SECRET\n  · 企业微信 / 政务微信（智能机器人长连接）：SANSONG_WECOM_BOT_ID 和 SANSONG_WECOM_SECRET\n  · Telegram：TELOXIDE_TOKEN\n想先试试机器人，可在终端运行：sansong chat --as 您的姓名"
    )
}

/// The login page: who the link logs in.
pub fn login_as(name: &str) -> String {
    format!("您将以「{name}」的身份登录管理后台。确认是您本人后，请点「登录」。")
}

pub const LOGIN_NOTE: &str = "为安全起见，链接只在点「登录」时使用；仅打开或预览链接不会登录。";

pub const SETUP_INTRO: &str =
    "这是首次设置：请填写第一位管理员的姓名和所在单位。设置完成后即以管理员身份登录，此链接随即失效。";

pub const SETUP_UNIT_NOTE: &str = "如单位列表里没有您的单位，请在下面填写单位名称。";

pub const SETUP_BIND_NOTE: &str =
    "之后在钉钉或 Telegram 中，可用「绑定」把聊天账号绑到此身份，在聊天中发送「后台」即可再次登录。";

pub const NOT_LOGGED_IN: &str =
    "请先登录：在与机器人的单聊中发送「后台」，点收到的链接即可（组织员和管理员可用）。";

pub const LOGGED_OUT: &str = "您已退出管理后台。需要时在聊天中发送「后台」即可再次登录。";

pub const SESSION_ENDED: &str = "登录已过期或已退出，请在聊天中重新发送「后台」获取登录链接。";

pub const CROSS_ORIGIN: &str = "这个请求不是从本后台的页面发出的，已拒绝。请回到后台页面重新操作。";

pub const TOO_MANY_TRIES: &str = "尝试次数太多，请过几分钟再试。";

pub const NOT_FOUND: &str = "没有这个页面。请从上方菜单进入。";

pub const NO_PHOTO: &str = "这条登记没有可查看的照片。";

pub const PHOTO_UNAVAILABLE: &str = "照片暂时取不到（照片保存在聊天平台上，平台现在没有连上）。请稍后再试。";

pub const NO_PLATFORM_FOR_PHOTO: &str = "这张照片保存在未启用的聊天平台上，暂时无法显示。";

pub const NO_RANKING: &str = "各单位按组织顺序排列，不排名、不评比。";

pub const EXPORT_NOTE: &str = "导出的是所选时段、所选单位的全部登记记录，与聊天中的「导出」相同。";

pub const CHART_OMITTED: &str = "行数较多，图表从略；按单位或联系点统计时有图表。";

pub const NOTHING_YET: &str = "这段时间还没有登记。";

pub const NO_MISSING_MEMBERS: &str = "这段时间每位成员都有登记。";

pub const NO_MISSING_SITES: &str = "这段时间每个联系点都有人去过。";

/// A query parameter that cannot be read.
pub fn bad_parameter(name: &str, value: &str, hint: &str) -> String {
    let value: String = value.chars().take(40).collect();
    format!("参数「{name}」的值「{value}」看不懂。{hint}")
}

pub const HINT_WEEK: &str = "周请写成 2026-W49 的样子。";
pub const HINT_DATE: &str = "日期请写成 2026-12-01 的样子，起止日期都要填。";
pub const HINT_NUMBER: &str = "请填一个正整数。";
pub const HINT_KIND: &str = "请从列表中选择活动类型。";
pub const HINT_BY: &str = "请选择按单位、联系点、联系类型或成员统计。";
pub const HINT_LINK: &str = "请选择联乡村、联社区、联企业或联商会。";
pub const HINT_WEEKS: &str = "周数请填 1 到 26。";

/// Who is logged in, in the page header.
pub fn signed_in(name: &str, unit: &str, role: Role) -> String {
    format!("{name}（{unit}·{}）", super::role_label(role))
}

/// The scope line on every page.
pub fn scope_line(unit: Option<&str>) -> String {
    match unit {
        Some(u) => format!("范围：{u}"),
        None => "范围：全部单位".into(),
    }
}

/// A records page's position.
pub fn records_position(total: i64, page: u32, pages: u32) -> String {
    format!("共 {total} 条，第 {page}/{pages} 页")
}

// ---------------------------------------------------------------- notices on the console

/// A notice in one line: its first words, or its file's name when it has no words.
pub fn notice_title(
    body: &str,
    media_name: Option<&str>,
    media: Option<crate::notices::MediaKind>,
) -> String {
    let first: String = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(40).collect();
    match (first.is_empty(), media) {
        (false, _) => first,
        (true, Some(kind)) => attachment(kind, media_name),
        (true, None) => "（无文字）".into(),
    }
}

/// A notice's picture or file.
pub fn attachment(kind: crate::notices::MediaKind, name: Option<&str>) -> String {
    match (kind, name) {
        (crate::notices::MediaKind::Photo, _) => "图片".into(),
        (crate::notices::MediaKind::Document, Some(n)) => format!("文件：{n}"),
        (crate::notices::MediaKind::Document, None) => "文件".into(),
    }
}

/// The latest run in a list's cell.
pub fn latest_run(r: &crate::domain::RunReport, ack: bool) -> String {
    if r.fired_at.is_none() {
        return "还没有发送".into();
    }
    let mut s = format!("送达 {}/{}", r.sent, r.targeted);
    if r.pending > 0 {
        s.push_str(&format!("，待发 {}", r.pending));
    }
    if ack {
        s.push_str(&format!("，确认 {}", r.acknowledged));
    }
    s
}

pub fn failed_delivery(name: &str, unit: &str, reason: &str, p: crate::domain::Platform) -> String {
    format!("{unit} {name}（{}：{reason}）", super::platform_label(p))
}

pub fn blocked_delivery(name: &str, unit: &str, p: crate::domain::Platform) -> String {
    format!("{unit} {name}（{}：已屏蔽机器人或账号不可用）", super::platform_label(p))
}

/// A send that quiet hours hold.
pub fn held_until(when: &str) -> String {
    format!("免打扰时段，{when} 发出")
}

pub fn agenda_note(days: i64, quiet: Option<String>) -> String {
    match quiet {
        Some(q) => {
            format!("未来 {days} 天内每一次发送，已按节假日安排和免打扰时段（{q}，紧急通知除外）排好。")
        }
        None => format!("未来 {days} 天内每一次发送，已按节假日安排排好。"),
    }
}

pub fn agenda_cut(most: usize) -> String {
    format!("有的通知发送太频繁，每条只列出前 {most} 次。")
}

pub const NO_NOTICES: &str = "还没有通知。点「撰写通知」发布第一条。";
pub const NO_SENDS: &str = "未来 14 天没有要发送的通知。";
pub const SENDS_NOW: &str = "发布后立即发送";
pub const WHEN_HELP: &str = "写法与聊天中相同：“2026-12-08 15:00”“每天 08:30”“每周一 09:00”“每月1日 09:00”“每个工作日 09:00”，或 cron 表达式。工作日按节假日安排。";
pub const PINYIN_FOUND: &str = "这段文字里有拼音注音（可能是从网页复制的）。可以改用去掉拼音后的文本。";
pub const UPLOAD_BROKEN: &str = "表单没有完整收到，请重新提交。";
pub const FILE_KIND: &str =
    "不支持这种文件。可以上传图片（JPG、PNG、GIF）或文件（PDF、Word、Excel、PPT、WPS、文本）。";

/// What files the form takes, within every platform in use.
pub fn file_help(limits: &[crate::limits::Limits]) -> String {
    let mb = |b: Option<usize>| b.map(|b| b / (1024 * 1024));
    let photo = limits.iter().filter_map(|l| mb(l.photo_bytes)).min();
    let file = limits.iter().filter_map(|l| mb(l.file_bytes)).min();
    let mut s = "图片（JPG、PNG、GIF）或文件（PDF、Word、Excel、PPT、WPS、文本）".to_owned();
    if let (Some(p), Some(f)) = (photo, file) {
        s.push_str(&format!("；按正在使用的平台，图片不超过 {p} MB，文件不超过 {f} MB"));
    }
    s.push('。');
    s
}

pub fn file_too_big(platform: crate::domain::Platform, limit: usize, size: usize) -> String {
    let mb = |b: usize| format!("{:.1}", b as f64 / (1024.0 * 1024.0));
    format!(
        "文件太大（{} MB）：{}最多接收 {} MB。请压缩后再上传。",
        mb(size),
        super::platform_label(platform),
        mb(limit)
    )
}

/// The line a page shows after a change, by the key its address carries (never the words of
/// the address itself).
pub fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "published" => "通知已发布。",
        "pause" => "通知已暂停。",
        "resume" => "通知已恢复。",
        "cancel" => "通知已取消，未发出的不再发送。",
        "reminded" => "已向尚未确认的人发出提醒。",
        "reminded_before" => "这一轮已经提醒过，不再重复提醒。",
        "nobody_to_remind" => "没有需要提醒的人。",
        "changed" => "已修改。",
        "revoked" => "邀请已撤销，不能再用它加入。",
        _ => return None,
    })
}

// ---------------------------------------------------------------- members and invites

pub const BAD_ROLE: &str = "请选择身份：党员、组织员或管理员。";

/// How to join with an invite, on each platform in use.
pub fn invite_ways(
    platforms: &[crate::domain::Platform],
    code: &str,
    link: Option<&str>,
) -> Vec<(&'static str, String)> {
    use crate::domain::Platform;
    platforms
        .iter()
        .map(|p| {
            let how = match (p, link) {
                (Platform::Telegram, Some(_)) => "打开下面的链接或扫码，点「开始」即可".to_owned(),
                (Platform::Telegram, None) => format!("私聊机器人发送 /start {code}"),
                (Platform::DingTalk, _) => format!("私聊机器人发送「加入 {code}」"),
                // WeCom tells the bot no names: the person gives theirs with the code.
                (Platform::WeCom, _) => format!("私聊智能机器人发送「加入 {code} 您的姓名」"),
                (Platform::Terminal, _) => {
                    format!("在服务器上运行 sansong chat --as 姓名，然后输入「加入 {code}」")
                }
            };
            (super::platform_label(*p), how)
        })
        .collect()
}
