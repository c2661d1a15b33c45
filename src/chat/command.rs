//! Commands: which exist, who may use them, and reading what people type into a typed
//! [`Command`] — the slash form (`/week`, `/tally last by member`) and the Chinese word form
//! that people who never type a slash use (`本周`, `统计 上周 按成员`, `撤销12`), in either script.
//! Pure; no I/O.

use crate::domain::Role;
use crate::normalize::strip_prefix_folded;

/// A command someone sent, with its raw argument text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start(Option<String>),
    Help,
    Checkin(String),
    Week(String),
    Undo(String),
    Cancel,
    Invite(String),
    Members(String),
    Notice,
    Notices,
    Receipts(String),
    Tally(String),
    Missing(String),
    Export(String),
    Remind(String),
    Promote(String),
    Demote(String),
    Deactivate(String),
    Activate(String),
    /// `收到` typed: acknowledges the newest notice that asks for it; `收到 #12` (what a
    /// notice's 「收到」 link sends on DingTalk) acknowledges notice 12.
    Acknowledge(Option<i64>),
    /// `绑定` (a code for another platform) or `绑定 <code>` (bind this account with it).
    Link(String),
    /// `后台`: a one-time link to the web console (organisers and admins).
    Web,
    /// `我的名字 张三`: the name the member is called by (empty: show it).
    Name(String),
    Unknown(String),
}

/// One entry of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: &'static str,
    /// Its Chinese word (`本周` for `/week`), which works without a slash.
    pub word: &'static str,
    /// The least role that may use it.
    pub role: Role,
}

/// Every command the bot knows, in the order `/help` lists them. (`/start` is the deep-link
/// entry and is not listed.)
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo { name: "checkin", word: "登记", role: Role::Member },
    CommandInfo { name: "week", word: "本周", role: Role::Member },
    CommandInfo { name: "undo", word: "撤销", role: Role::Member },
    CommandInfo { name: "remind", word: "提醒", role: Role::Member },
    CommandInfo { name: "cancel", word: "取消", role: Role::Member },
    CommandInfo { name: "help", word: "帮助", role: Role::Member },
    CommandInfo { name: "link", word: "绑定", role: Role::Member },
    CommandInfo { name: "name", word: "我的名字", role: Role::Member },
    CommandInfo { name: "invite", word: "邀请", role: Role::Organiser },
    CommandInfo { name: "members", word: "成员", role: Role::Organiser },
    CommandInfo { name: "notice", word: "通知", role: Role::Organiser },
    CommandInfo { name: "notices", word: "通知列表", role: Role::Organiser },
    CommandInfo { name: "receipts", word: "回执", role: Role::Organiser },
    CommandInfo { name: "tally", word: "统计", role: Role::Organiser },
    CommandInfo { name: "missing", word: "未登记", role: Role::Organiser },
    CommandInfo { name: "export", word: "导出", role: Role::Organiser },
    CommandInfo { name: "web", word: "后台", role: Role::Organiser },
    CommandInfo { name: "deactivate", word: "停用", role: Role::Organiser },
    CommandInfo { name: "activate", word: "启用", role: Role::Organiser },
    CommandInfo { name: "promote", word: "授权", role: Role::Admin },
    CommandInfo { name: "demote", word: "取消授权", role: Role::Admin },
];

/// The commands someone with `role` may use.
pub fn commands_for(role: Role) -> impl Iterator<Item = &'static CommandInfo> {
    COMMANDS.iter().filter(move |c| role.allows(c.role))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCommand {
    pub command: Command,
    /// `/cmd@other_bot` in a group is meant for another bot.
    pub for_another_bot: bool,
}

/// Reads a message text as a command, or `None` if it is not one.
pub fn parse_command(text: &str, bot_username: Option<&str>) -> Option<ParsedCommand> {
    let text = text.trim_start();
    let rest = text.strip_prefix('/').or_else(|| text.strip_prefix('／'))?;
    let (head, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    if head.is_empty() {
        return None;
    }
    let (name, target) = match head.split_once('@') {
        Some((name, target)) => (name, Some(target)),
        None => (head, None),
    };
    let for_another_bot = match (target, bot_username) {
        (Some(t), Some(me)) => !t.eq_ignore_ascii_case(me),
        _ => false,
    };
    let args = args.to_owned();
    let command = match name.to_ascii_lowercase().as_str() {
        "start" => Command::Start(Some(args).filter(|a| !a.is_empty())),
        "help" => Command::Help,
        "checkin" | "check_in" | "ci" => Command::Checkin(args),
        "week" => Command::Week(args),
        "undo" => Command::Undo(args),
        "cancel" => Command::Cancel,
        "invite" => Command::Invite(args),
        "members" => Command::Members(args),
        "notice" => Command::Notice,
        "notices" => Command::Notices,
        "receipts" => Command::Receipts(args),
        "tally" => Command::Tally(args),
        "missing" => Command::Missing(args),
        "export" => Command::Export(args),
        "remind" => Command::Remind(args),
        "promote" => Command::Promote(args),
        "demote" => Command::Demote(args),
        "deactivate" => Command::Deactivate(args),
        "activate" => Command::Activate(args),
        "ack" => Command::Acknowledge(notice_number(&args).flatten()),
        "link" => Command::Link(args),
        "web" | "console" => Command::Web,
        "name" => Command::Name(args),
        _ => Command::Unknown(name.chars().take(32).collect()),
    };
    Some(ParsedCommand { command, for_another_bot })
}

/// How a command word takes what follows it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Follows {
    /// Nothing: the word is the whole message (`取消`, `收到！`).
    Nothing,
    /// Arguments after a space (`成员 人社局`).
    Spaced,
    /// Arguments, with or without a space: their grammar tells them apart (`撤销12`,
    /// `统计上周`, `登记送政策 …`).
    Glued,
    /// Nothing, or a notice's number (`收到`, `收到 #12`, `收到12`): the whole message either way.
    Number,
}

/// What follows a word that takes a notice's number: `Some(None)` nothing, `Some(Some(n))` the
/// number (`#12`, `＃12`, `12`), `None` anything else.
fn notice_number(rest: &str) -> Option<Option<i64>> {
    let rest = rest.trim_matches(|c: char| c.is_whitespace() || is_closing_mark(c));
    if rest.is_empty() {
        return Some(None);
    }
    let digits = rest.trim_start_matches(['#', '＃', '№']).trim_start();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

/// Builds a command from the text after its word.
type MakeCommand = fn(String) -> Command;

/// The command words, in folded (Simplified, half-width) form. A longer word comes before a
/// shorter one it starts with (`通知列表` before `通知`, `取消授权` before `取消`).
const WORDS: &[(&str, Follows, MakeCommand)] = &[
    ("登记", Follows::Glued, Command::Checkin),
    ("打卡", Follows::Glued, Command::Checkin),
    ("本周", Follows::Nothing, |_| Command::Week(String::new())),
    ("这周", Follows::Nothing, |_| Command::Week(String::new())),
    ("上周", Follows::Nothing, |_| Command::Week("上周".into())),
    ("我的登记", Follows::Spaced, Command::Week),
    ("我的名字", Follows::Glued, Command::Name),
    ("改名", Follows::Glued, Command::Name),
    ("撤销", Follows::Glued, Command::Undo),
    ("撤回", Follows::Glued, Command::Undo),
    ("提醒", Follows::Glued, Command::Remind),
    ("取消提醒", Follows::Nothing, |_| Command::Remind("关".into())),
    ("取消授权", Follows::Spaced, Command::Demote),
    ("取消", Follows::Nothing, |_| Command::Cancel),
    ("帮助", Follows::Nothing, |_| Command::Help),
    ("菜单", Follows::Nothing, |_| Command::Help),
    ("加入", Follows::Spaced, |code| Command::Start(Some(code).filter(|c| !c.is_empty()))),
    ("统计", Follows::Glued, Command::Tally),
    ("未登记", Follows::Glued, Command::Missing),
    ("导出", Follows::Glued, Command::Export),
    ("通知列表", Follows::Nothing, |_| Command::Notices),
    ("发通知", Follows::Nothing, |_| Command::Notice),
    ("通知", Follows::Nothing, |_| Command::Notice),
    ("回执", Follows::Glued, Command::Receipts),
    ("成员", Follows::Spaced, Command::Members),
    ("邀请", Follows::Spaced, Command::Invite),
    ("授权", Follows::Spaced, Command::Promote),
    ("停用", Follows::Spaced, Command::Deactivate),
    ("启用", Follows::Spaced, Command::Activate),
    ("绑定", Follows::Glued, Command::Link),
    ("管理后台", Follows::Nothing, |_| Command::Web),
    ("后台", Follows::Nothing, |_| Command::Web),
    ("收到了", Follows::Nothing, |_| Command::Acknowledge(None)),
    ("已收到", Follows::Number, acknowledge),
    ("收到", Follows::Number, acknowledge),
];

/// `收到` and what follows it, already checked to be nothing or a number.
fn acknowledge(number: String) -> Command {
    Command::Acknowledge(number.parse().ok())
}

/// Marks people put after a word said on its own (`收到！`, `帮助?`).
fn is_closing_mark(c: char) -> bool {
    matches!(c, '!' | '！' | '。' | '.' | '?' | '？' | '~' | '～') || c.is_whitespace()
}

/// A command read from its word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordCommand {
    pub command: Command,
    /// The word was the whole message (`取消`, `本周`): during a guided dialogue only such a
    /// message is taken as a command, anything longer is the dialogue's answer.
    pub alone: bool,
    /// Its arguments follow the word with no space (`统计局`): at a step that reads a name
    /// (a site, a kind), such text is more likely the name than the command.
    pub glued: bool,
}

/// Reads a message that starts with a command word (`本周`, `统计 上周 按成员`, `撤銷 12`), or
/// `None` if it does not. The arguments are kept as typed. A word that takes nothing must be
/// the whole message, so `通知各支部……` is not mistaken for `通知`.
pub fn parse_word_command(text: &str) -> Option<Command> {
    read_word(text).map(|w| w.command)
}

/// [`parse_word_command`], also saying whether the word was said alone.
pub fn read_word(text: &str) -> Option<WordCommand> {
    let text = text.trim();
    for (word, follows, make) in WORDS {
        let Some(rest) = strip_prefix_folded(text, word) else { continue };
        let mut alone = rest.chars().all(is_closing_mark);
        let glued = !alone && !rest.starts_with(|c: char| c.is_whitespace() || matches!(c, ':' | '：'));
        let args = match follows {
            Follows::Number => match notice_number(rest) {
                Some(number) => {
                    // `收到 #12` is the whole message: a command even inside a dialogue.
                    alone = true;
                    number.map(|n| n.to_string()).unwrap_or_default()
                }
                None => continue,
            },
            Follows::Nothing if rest.chars().all(is_closing_mark) => String::new(),
            Follows::Nothing => continue,
            Follows::Spaced if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                rest.trim().to_owned()
            }
            Follows::Spaced => continue,
            Follows::Glued => rest
                .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '：'))
                .trim_end()
                .to_owned(),
        };
        return Some(WordCommand { command: make(args), alone, glued });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(text: &str) -> Command {
        parse_command(text, Some("sansong_bot")).unwrap().command
    }

    #[test]
    fn commands_with_and_without_arguments() {
        assert_eq!(cmd("/start abc123"), Command::Start(Some("abc123".into())));
        assert_eq!(cmd("/start"), Command::Start(None));
        assert_eq!(cmd("/checkin 送政策 宣讲"), Command::Checkin("送政策 宣讲".into()));
        assert_eq!(cmd("/checkin"), Command::Checkin(String::new()));
        assert_eq!(cmd("/WEEK last"), Command::Week("last".into()));
        assert_eq!(cmd("／week"), Command::Week(String::new()));
        assert_eq!(cmd("/checkin\n送政策\n宣讲"), Command::Checkin("送政策\n宣讲".into()));
    }

    #[test]
    fn a_command_addressed_to_this_bot_or_no_bot_is_ours() {
        let p = parse_command("/help@Sansong_Bot", Some("sansong_bot")).unwrap();
        assert!(!p.for_another_bot);
        let p = parse_command("/help@other_bot", Some("sansong_bot")).unwrap();
        assert!(p.for_another_bot);
    }

    #[test]
    fn plain_text_and_a_lone_slash_are_not_commands() {
        assert_eq!(parse_command("送政策 宣讲", None), None);
        assert_eq!(parse_command("/", None), None);
        assert_eq!(parse_command("/ week", None), None);
    }

    #[test]
    fn unknown_commands_are_named_not_dropped() {
        assert_eq!(cmd("/frobnicate now"), Command::Unknown("frobnicate".into()));
    }

    #[test]
    fn members_see_member_commands_and_organisers_see_more() {
        let member: Vec<_> = commands_for(Role::Member).map(|c| c.name).collect();
        assert!(member.contains(&"checkin") && !member.contains(&"invite"));
        let organiser: Vec<_> = commands_for(Role::Organiser).map(|c| c.name).collect();
        assert!(organiser.contains(&"invite") && organiser.contains(&"members"));
    }

    fn word(text: &str) -> Option<Command> {
        parse_word_command(text)
    }

    #[test]
    fn every_listed_command_has_a_word_that_reads_as_that_command() {
        for info in COMMANDS {
            let slash = cmd(&format!("/{}", info.name));
            let typed = word(info.word).unwrap_or_else(|| panic!("{} is not read", info.word));
            assert_eq!(std::mem::discriminant(&typed), std::mem::discriminant(&slash), "{}", info.word);
        }
    }

    #[test]
    fn words_take_the_same_arguments_as_their_commands() {
        assert_eq!(word("统计 上周 按成员"), Some(Command::Tally("上周 按成员".into())));
        assert_eq!(word("本周"), Some(Command::Week(String::new())));
        assert_eq!(word("上周"), Some(Command::Week("上周".into())));
        assert_eq!(word("我的登记 2026-W47"), Some(Command::Week("2026-W47".into())));
        assert_eq!(word("撤销 12"), Some(Command::Undo("12".into())));
        assert_eq!(word("成员 人社局"), Some(Command::Members("人社局".into())));
        assert_eq!(word("邀请 人社局 organiser 5次"), Some(Command::Invite("人社局 organiser 5次".into())));
        assert_eq!(word("加入 ABC123"), Some(Command::Start(Some("ABC123".into()))));
        assert_eq!(word("提醒 关"), Some(Command::Remind("关".into())));
        assert_eq!(word("取消提醒"), Some(Command::Remind("关".into())));
        assert_eq!(word("授权 张三 organiser"), Some(Command::Promote("张三 organiser".into())));
        assert_eq!(word("取消授权 张三"), Some(Command::Demote("张三".into())));
        assert_eq!(word("登记 送政策 宣讲社保"), Some(Command::Checkin("送政策 宣讲社保".into())));
        assert_eq!(word("登记"), Some(Command::Checkin(String::new())));
        assert_eq!(word("我的名字 张三"), Some(Command::Name("张三".into())));
        assert_eq!(word("我的名字"), Some(Command::Name(String::new())));
        assert_eq!(word("改名：李四"), Some(Command::Name("李四".into())));
    }

    #[test]
    fn words_whose_arguments_have_a_grammar_may_be_written_together_with_them() {
        assert_eq!(word("撤销12"), Some(Command::Undo("12".into())));
        assert_eq!(word("统计上周"), Some(Command::Tally("上周".into())));
        assert_eq!(word("回执#7"), Some(Command::Receipts("#7".into())));
        assert_eq!(word("登记送温暖 看望五保户"), Some(Command::Checkin("送温暖 看望五保户".into())));
        assert_eq!(word("导出：上周"), Some(Command::Export("上周".into())));
    }

    #[test]
    fn traditional_and_full_width_input_reads_the_same() {
        assert_eq!(word("撤銷 １２"), Some(Command::Undo("１２".into())));
        assert_eq!(word("統計 上週 按成員"), Some(Command::Tally("上週 按成員".into())));
        assert_eq!(word("幫助"), Some(Command::Help));
        assert_eq!(word("通知列表"), Some(Command::Notices));
        assert_eq!(word("未登記"), Some(Command::Missing(String::new())));
        assert_eq!(word("導出"), Some(Command::Export(String::new())));
        assert_eq!(word("邀請 人社局"), Some(Command::Invite("人社局".into())));
    }

    #[test]
    fn a_word_said_alone_may_carry_a_closing_mark() {
        assert_eq!(word("收到！"), Some(Command::Acknowledge(None)));
        assert_eq!(word("收到了"), Some(Command::Acknowledge(None)));
        assert_eq!(word(" 帮助? "), Some(Command::Help));
        assert_eq!(word("取消。"), Some(Command::Cancel));
    }

    #[test]
    fn shou_dao_may_name_the_notice_it_acknowledges_and_is_then_still_the_whole_message() {
        assert_eq!(word("收到 #12"), Some(Command::Acknowledge(Some(12))));
        assert_eq!(word("收到#12"), Some(Command::Acknowledge(Some(12))));
        assert_eq!(word("收到 ＃7！"), Some(Command::Acknowledge(Some(7))));
        assert_eq!(word("收到12"), Some(Command::Acknowledge(Some(12))));
        assert_eq!(word("已收到 #3"), Some(Command::Acknowledge(Some(3))));
        assert_eq!(read_word("收到 #12").map(|w| w.alone), Some(true), "a command inside a dialogue too");
        assert_eq!(cmd("/ack 12"), Command::Acknowledge(Some(12)));
        assert_eq!(cmd("/ack"), Command::Acknowledge(None));
        assert_eq!(word("收到 #十二"), None);
        assert_eq!(word("收到12份材料"), None);
    }

    #[test]
    fn ordinary_sentences_that_start_like_a_word_are_not_commands() {
        assert_eq!(word("通知各支部本周内完成走访"), None);
        assert_eq!(word("本周五去治水村"), None);
        assert_eq!(word("取消了原定的走访"), None);
        assert_eq!(word("成员们都到了"), None);
        assert_eq!(word("收到通知后马上去了"), None);
        assert_eq!(word("送政策 宣讲社保"), None);
        assert_eq!(word("你好"), None);
        assert_eq!(word(""), None);
    }

    #[test]
    fn a_longer_word_wins_over_the_shorter_word_it_starts_with() {
        assert_eq!(word("通知列表"), Some(Command::Notices));
        assert_eq!(word("通知"), Some(Command::Notice));
        assert_eq!(word("取消授权 李四"), Some(Command::Demote("李四".into())));
        assert_eq!(word("取消"), Some(Command::Cancel));
    }
}
