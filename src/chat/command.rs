//! Slash commands: which exist, who may use them, and reading `/name@bot args` into a typed
//! [`Command`]. Pure; no I/O.

use crate::domain::Role;

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
    Unknown(String),
}

/// One entry of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    pub name: &'static str,
    /// The least role that may use it.
    pub role: Role,
}

/// Every command the bot knows, in the order `/help` lists them. (`/start` is the deep-link
/// entry and is not listed.)
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo { name: "checkin", role: Role::Member },
    CommandInfo { name: "week", role: Role::Member },
    CommandInfo { name: "undo", role: Role::Member },
    CommandInfo { name: "remind", role: Role::Member },
    CommandInfo { name: "cancel", role: Role::Member },
    CommandInfo { name: "help", role: Role::Member },
    CommandInfo { name: "invite", role: Role::Organiser },
    CommandInfo { name: "members", role: Role::Organiser },
    CommandInfo { name: "notice", role: Role::Organiser },
    CommandInfo { name: "notices", role: Role::Organiser },
    CommandInfo { name: "receipts", role: Role::Organiser },
    CommandInfo { name: "tally", role: Role::Organiser },
    CommandInfo { name: "missing", role: Role::Organiser },
    CommandInfo { name: "export", role: Role::Organiser },
    CommandInfo { name: "deactivate", role: Role::Organiser },
    CommandInfo { name: "activate", role: Role::Organiser },
    CommandInfo { name: "promote", role: Role::Admin },
    CommandInfo { name: "demote", role: Role::Admin },
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
        _ => Command::Unknown(name.chars().take(32).collect()),
    };
    Some(ParsedCommand { command, for_another_bot })
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
}
