//! What a person is told about the dialogue they have open (a guided check-in, a notice being
//! composed) when they do something else meanwhile, or say what its step does not take.

/// The dialogues, as people call them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogueName {
    Checkin,
    Notice,
}

/// How the person goes on with the dialogue from where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoOn {
    /// By an option's number (or its label).
    Number,
    /// By an option's number, or a time (when a notice is sent).
    NumberOrTime,
    /// By sending what the step asks for (活动内容, 通知内容, …).
    Send(&'static str),
    /// An answer with options of its own came in between: 「继续」 shows the step again.
    Resume,
}

/// What the person sends to see their dialogue's step again (the question and its options).
pub const RESUME_WORD: &str = "继续";

pub const DESCRIPTION: &str = "活动内容";
pub const DAY_OF_WORK: &str = "活动日期";
pub const NOTICE_TEXT: &str = "通知内容";

/// The line that ends the answer to a command sent while a dialogue is open (once, until the
/// person goes on with it).
pub fn still_open(name: DialogueName, how: GoOn) -> String {
    let name = match name {
        DialogueName::Checkin => "登记",
        DialogueName::Notice => "发布通知",
    };
    let how = match how {
        GoOn::Number => "回复序号继续".to_owned(),
        GoOn::NumberOrTime => "回复序号或发送时间继续".to_owned(),
        GoOn::Send(what) => format!("接着发送{what}即可"),
        GoOn::Resume => format!("发送「{RESUME_WORD}」回到这一步"),
    };
    format!("「{name}」还在进行：{how}，或发送「取消」退出。")
}

/// Above a step's question and options shown again, when what was sent is not one of them.
pub fn choose_below() -> String {
    "请回复下面选项的序号（或选项文字），或发送「取消」退出。".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_dialogue_and_how_to_go_on_or_leave() {
        assert_eq!(
            still_open(DialogueName::Notice, GoOn::Number),
            "「发布通知」还在进行：回复序号继续，或发送「取消」退出。"
        );
        assert_eq!(
            still_open(DialogueName::Checkin, GoOn::Send(DESCRIPTION)),
            "「登记」还在进行：接着发送活动内容即可，或发送「取消」退出。"
        );
        assert!(still_open(DialogueName::Notice, GoOn::Resume).contains("发送「继续」"));
    }
}
