//! The decision ([`super::decide`]) at every step of both dialogues — the guided check-in and
//! the notice composer — and with none open: command words alone and with arguments, numbers,
//! labels, confirmations, and free text that starts with a command word. The options on offer
//! are the keyboards the steps really show.

use chrono::Utc;

use super::buttons::{ButtonData, CheckinAction as C, ComposeAction as N};
use super::command::Command;
use super::composer::{self, Composer};
use super::dialogue::Dialogue;
use super::message::{ChatRef, Content, Incoming, Keyboard};
use super::wizard::{self, Wizard};
use super::{Decision, How, Situation, decide};
use crate::choices::Choice;
use crate::config::Config;
use crate::domain::{Account, LinkKind, Person, Platform, Site};
use crate::notices::MediaKind;
use crate::texts::notices as notice_texts;

const TYPED: How = How::Typed;

fn message(content: Content) -> Incoming {
    let person = Person {
        account: Account { platform: Platform::Terminal, person_id: 7 },
        name: "张三".into(),
        username: None,
    };
    Incoming {
        update_id: 1,
        chat: ChatRef { id: 7, private: true },
        from: person,
        message_id: 100,
        sent_at: Utc::now(),
        content,
        reply_to: None,
    }
}

/// Where a chat stands: its dialogue (if any) and the keyboard of the bot's newest message.
struct At {
    dialogue: Option<Dialogue>,
    offered: Vec<Choice>,
    config: Config,
}

impl At {
    fn new(dialogue: Option<Dialogue>, keyboard: Option<Keyboard>) -> At {
        At { dialogue, offered: keyboard.map(|k| k.choices()).unwrap_or_default(), config: Config::default() }
    }

    fn decide(&self, content: Content) -> Decision {
        let situation = Situation {
            dialogue: self.dialogue.as_ref(),
            offered: &self.offered,
            kinds: &self.config.kinds,
            username: Some("sansong_bot"),
        };
        decide(&message(content), &situation)
    }

    fn says(&self, text: &str) -> Decision {
        self.decide(Content::Text(text.into()))
    }

    fn presses(&self, data: &str) -> Decision {
        self.decide(Content::Button { callback_id: "cb".into(), data: data.into() })
    }
}

fn checkin_at(step: wizard::Step, keyboard: impl FnOnce(&Wizard) -> Keyboard) -> At {
    let mut w = Wizard::new();
    w.step = step;
    w.kind = Some("service".into());
    let k = keyboard(&w);
    At::new(Some(Dialogue::Checkin(w)), Some(k))
}

fn notice_at(step: composer::Step, keyboard: impl FnOnce(&Composer) -> Keyboard) -> At {
    let mut c = Composer::new();
    c.step = step;
    c.body = Some("请各支部本周内完成走访".into());
    let k = keyboard(&c);
    At::new(Some(Dialogue::Notice(c)), Some(k))
}

fn sites() -> Vec<Site> {
    [(1, "长沙临湘商会"), (2, "广东临湘商会")]
        .into_iter()
        .map(|(id, name)| Site {
            id,
            unit_id: 1,
            name: name.into(),
            link: LinkKind::Chamber,
            is_default: id == 1,
        })
        .collect()
}

fn command(c: Command) -> Decision {
    Decision::Command(c)
}

fn checkin(action: C) -> Decision {
    Decision::Checkin { action, how: TYPED }
}

fn compose(action: N) -> Decision {
    Decision::Compose { action, how: TYPED }
}

fn answer(text: &str) -> Decision {
    Decision::Answer(text.into())
}

const DESCRIPTION: &str = "撤销了原定的讲座，改为入户宣讲";

// ---------------------------------------------------------------- no dialogue

#[test]
fn with_no_dialogue_words_are_commands_a_kind_starts_the_check_in_and_other_text_gets_the_hint() {
    let at = At::new(None, None);
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(at.says("/remind off"), command(Command::Remind("off".into())));
    assert_eq!(at.says("取消"), Decision::Cancel);
    assert_eq!(at.says("送温暖"), Decision::StartWithKind("warmth".into()));
    assert_eq!(at.says("送温暖 看望五保户"), Decision::CheckinLine("送温暖 看望五保户".into()));
    for text in ["你好", "1", "确认", "好", "下一步", "继续", "通知各支部本周内完成走访"]
    {
        assert_eq!(at.says(text), Decision::TextHint, "{text}");
    }
}

#[test]
fn joining_and_binding_are_read_wherever_they_are_said() {
    let code = "PvDfVj6c4ME4MSPvvq2h5X";
    for at in
        [At::new(None, None), notice_at(composer::Step::Content, |c| Keyboard { rows: vec![c.cancel_row()] })]
    {
        assert_eq!(at.says(&format!("加入 {code}")), Decision::Join(Some(code.into())));
        assert_eq!(at.says(&format!("/start {code}")), Decision::Join(Some(code.into())));
        assert_eq!(at.says("绑定 ab12cd"), Decision::LinkAccount("ab12cd".into()));
    }
}

// ---------------------------------------------------------------- the guided check-in

#[test]
fn at_the_kind_step_a_number_or_label_picks_a_kind_and_a_command_runs_with_its_arguments() {
    let config = Config::default();
    let at = checkin_at(wizard::Step::Kind, |w| wizard::kind_keyboard(&config.kinds, &w.nonce));
    assert_eq!(at.says("2"), checkin(C::Kind("service".into())));
    assert_eq!(at.says("送温暖"), checkin(C::Kind("warmth".into())));
    assert_eq!(at.says("取消"), checkin(C::Cancel), "取消 is an option here");
    assert_eq!(at.says("/cancel"), Decision::Cancel);
    assert_eq!(at.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(at.says("提醒 关"), command(Command::Remind("关".into())));
    assert_eq!(at.says("统计 上周"), command(Command::Tally("上周".into())));
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("收到"), command(Command::Acknowledge(None)));
    assert_eq!(
        at.says(DESCRIPTION),
        answer(DESCRIPTION),
        "text glued to a command word is for the step (which reads kinds) to make of, not 撤销"
    );
    assert_eq!(at.says("政策"), answer("政策"), "a kind written out is the step's own answer");
    assert_eq!(at.says("随便写点什么"), answer("随便写点什么"));
    for text in ["确认", "好", "是", "下一步", "继续"] {
        assert_eq!(at.says(text), Decision::Reprompt, "{text}: no main option to press");
    }
}

#[test]
fn at_the_site_step_a_site_is_picked_by_number_label_or_part_of_its_name() {
    let at = checkin_at(wizard::Step::Site, |w| wizard::site_keyboard(&sites(), &w.nonce));
    assert_eq!(at.says("2"), checkin(C::Site(2)));
    assert_eq!(at.says("长沙临湘商会"), checkin(C::Site(1)));
    assert_eq!(at.says("广东"), answer("广东"), "the step reads part of a name itself");
    assert_eq!(at.says("统计局"), answer("统计局"), "a name glued to a command word is the name");
    assert_eq!(at.says("统计 上周"), command(Command::Tally("上周".into())));
    assert_eq!(at.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("确认"), Decision::Reprompt);
    assert_eq!(at.says("3"), checkin(C::Cancel), "the third option is 取消");
}

#[test]
fn at_the_description_step_only_a_word_alone_is_a_command_and_longer_text_is_the_description() {
    let at = checkin_at(wizard::Step::Description, |w| wizard::day_keyboard(7, w));
    assert_eq!(at.says(DESCRIPTION), answer(DESCRIPTION));
    assert_eq!(at.says("撤销 12"), answer("撤销 12"));
    assert_eq!(at.says("提醒 关"), answer("提醒 关"));
    assert_eq!(at.says("通知各支部本周内完成走访"), answer("通知各支部本周内完成走访"));
    assert_eq!(at.says("帮独居老人买药"), answer("帮独居老人买药"));
    assert_eq!(at.says("撤销"), command(Command::Undo(String::new())));
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("收到 #12"), command(Command::Acknowledge(Some(12))));
    assert_eq!(at.says("2"), checkin(C::DaysAgo(1)), "the day buttons are options");
    assert_eq!(at.says("昨天"), checkin(C::DaysAgo(1)));
    assert_eq!(at.says("其他日期"), checkin(C::OtherDay));
    assert_eq!(at.says("取消"), checkin(C::Cancel));
    for text in ["确认", "好", "是", "下一步", "继续"] {
        assert_eq!(at.says(text), Decision::Reprompt, "{text} describes nothing");
    }
}

#[test]
fn after_other_day_the_day_typed_is_the_steps_text() {
    let at = checkin_at(wizard::Step::Description, |w| wizard::cancel_keyboard(&w.nonce));
    let Some(Dialogue::Checkin(mut w)) = at.dialogue.clone() else { unreachable!() };
    w.asking_day = true;
    let at = At { dialogue: Some(Dialogue::Checkin(w)), ..at };
    assert_eq!(at.says("11月28日"), answer("11月28日"));
    assert_eq!(at.says("1"), answer("1"), "a lone option is never picked by a number");
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("取消"), checkin(C::Cancel));
}

#[test]
fn at_the_extras_step_a_confirmation_presses_next_and_commands_run_with_their_arguments() {
    let at = checkin_at(wizard::Step::Extras, |w| wizard::extras_keyboard(&w.nonce));
    for text in ["1", "下一步", "确认", "好", "是", "好的！", "確認"] {
        assert_eq!(at.says(text), checkin(C::Next), "{text}");
    }
    assert_eq!(at.says("2"), checkin(C::Cancel));
    assert_eq!(at.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(at.says("统计 上周"), command(Command::Tally("上周".into())));
    assert_eq!(at.says("提醒 关"), command(Command::Remind("关".into())));
    assert_eq!(at.says("我的登记 2026-W47"), command(Command::Week("2026-W47".into())));
    assert_eq!(at.says("帮独居老人买药"), Decision::Reprompt, "not an option: the options again");
    assert_eq!(at.says("继续"), Decision::Reprompt);
}

#[test]
fn at_the_confirm_step_a_confirmation_records_the_check_in() {
    let at = checkin_at(wizard::Step::Confirm, |w| wizard::confirm_keyboard(&w.nonce));
    for text in ["1", "确认", "确认登记", "好", "是", "下一步", "OK"] {
        assert_eq!(at.says(text), checkin(C::Confirm), "{text}");
    }
    assert_eq!(at.says("取消"), checkin(C::Cancel));
    assert_eq!(at.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("确认发布"), Decision::Reprompt, "another step's option");
}

#[test]
fn photos_and_locations_go_to_the_check_in_only_at_the_steps_that_take_them() {
    let photo = || Content::Photo { file_id: "p1".into(), caption: None, album: None };
    let location = || Content::Location { latitude: 29.4, longitude: 113.4 };
    let kind = checkin_at(wizard::Step::Kind, |w| wizard::cancel_keyboard(&w.nonce));
    assert!(matches!(kind.decide(photo()), Decision::PhotoCheckin { .. }));
    assert_eq!(kind.decide(location()), Decision::LocationHint);
    for step in [wizard::Step::Description, wizard::Step::Extras] {
        let at = checkin_at(step, |w| wizard::cancel_keyboard(&w.nonce));
        assert!(matches!(at.decide(photo()), Decision::WizardPhoto { .. }), "{step:?}");
        assert_eq!(at.decide(location()), Decision::WizardLocation { latitude: 29.4, longitude: 113.4 });
    }
}

// ---------------------------------------------------------------- the notice composer

#[test]
fn at_the_content_step_any_text_is_the_notice_unless_it_is_a_word_alone() {
    let at = notice_at(composer::Step::Content, |c| Keyboard { rows: vec![c.cancel_row()] });
    for text in [DESCRIPTION, "通知各支部本周内完成走访", "提醒 关", "撤销 12", "1", "绑定政务钉钉账号的通知"]
    {
        assert_eq!(at.says(text), answer(text), "{text}");
    }
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("通知列表"), command(Command::Notices));
    assert_eq!(at.says("取消"), compose(N::Cancel));
    assert_eq!(at.says("确认"), Decision::Reprompt);
    let picture =
        at.decide(Content::Photo { file_id: "p".into(), caption: Some("海报".into()), album: None });
    assert_eq!(
        picture,
        Decision::NoticeMedia {
            kind: MediaKind::Photo,
            file_id: "p".into(),
            name: None,
            caption: Some("海报".into())
        }
    );
}

#[test]
fn at_the_audience_step_numbers_and_labels_pick_and_commands_run() {
    let at = notice_at(composer::Step::Audience, |c| Keyboard {
        rows: vec![
            vec![
                c.button(notice_texts::AUDIENCE_ALL, N::All),
                c.button(notice_texts::AUDIENCE_UNITS, N::PickUnits),
            ],
            vec![
                c.button(notice_texts::AUDIENCE_LINKS, N::PickLinks),
                c.button(notice_texts::AUDIENCE_ROLES, N::PickRoles),
            ],
            c.cancel_row(),
        ],
    });
    assert_eq!(at.says("1"), compose(N::All));
    assert_eq!(at.says("全体成员"), compose(N::All));
    assert_eq!(at.says("按身份"), compose(N::PickRoles));
    assert_eq!(at.says("提醒 关"), command(Command::Remind("关".into())));
    assert_eq!(at.says("统计 上周"), command(Command::Tally("上周".into())));
    assert_eq!(at.says("导出"), command(Command::Export(String::new())));
    for text in ["确认", "好", "是", "下一步", "各支部", "继续"] {
        assert_eq!(at.says(text), Decision::Reprompt, "{text}");
    }
    let photo = at.decide(Content::Photo { file_id: "p".into(), caption: None, album: None });
    assert_eq!(photo, Decision::Reprompt, "a picture is the content, not an audience");
}

#[test]
fn at_the_units_links_and_roles_steps_options_toggle_and_done_is_typed_not_confirmed() {
    let units = notice_at(composer::Step::Units, |c| Keyboard {
        rows: vec![
            vec![c.button("☐ 人社局", N::Unit(1)), c.button("☐ 科工局", N::Unit(2))],
            vec![c.button(notice_texts::BUTTON_DONE, N::Done)],
            c.cancel_row(),
        ],
    });
    assert_eq!(units.says("2"), compose(N::Unit(2)));
    assert_eq!(units.says("人社局"), compose(N::Unit(1)));
    assert_eq!(units.says("完成"), compose(N::Done));
    assert_eq!(units.says("确认"), Decision::Reprompt);
    assert_eq!(units.says("撤销 12"), command(Command::Undo("12".into())));
    let links = notice_at(composer::Step::Links, composer::links_keyboard);
    assert_eq!(links.says("联社区"), compose(N::Link(LinkKind::Community)));
    assert_eq!(links.says("好"), Decision::Reprompt);
    let roles = notice_at(composer::Step::Roles, composer::roles_keyboard);
    assert_eq!(roles.says("1"), compose(N::Role(crate::domain::Role::Member)));
    assert_eq!(roles.says("本周"), command(Command::Week(String::new())));
}

#[test]
fn at_the_when_step_a_time_is_the_steps_text_and_now_is_an_option() {
    let at = notice_at(composer::Step::When, composer::when_keyboard);
    assert_eq!(at.says("1"), compose(N::Now));
    assert_eq!(at.says("立即发送"), compose(N::Now));
    assert_eq!(at.says("每天 08:30"), answer("每天 08:30"));
    assert_eq!(at.says("立即"), answer("立即"), "the schedule grammar reads it");
    assert_eq!(
        at.says("统计 上周"),
        command(Command::Tally("上周".into())),
        "no time starts with a command word"
    );
    assert_eq!(at.says("提醒 关"), command(Command::Remind("关".into())));
    assert_eq!(at.says("2026-12-08 15:00"), answer("2026-12-08 15:00"));
    assert_eq!(at.says("通知列表"), command(Command::Notices));
    assert_eq!(at.says("确认"), Decision::Reprompt);
}

#[test]
fn at_the_options_step_a_confirmation_presses_preview_and_commands_run_with_their_arguments() {
    let at = notice_at(composer::Step::Options, |c| composer::options_keyboard(c, 24));
    for text in ["4", "预览", "确认", "好", "是", "下一步"] {
        assert_eq!(at.says(text), compose(N::Preview), "{text}");
    }
    assert_eq!(at.says("需确认"), compose(N::ToggleAck));
    assert_eq!(at.says("1"), compose(N::ToggleAck));
    assert_eq!(at.says("确认发布"), Decision::Reprompt, "the next step's option: this step's again");
    assert_eq!(at.says("通知列表"), command(Command::Notices));
    assert_eq!(at.says("收到"), command(Command::Acknowledge(None)));
    assert_eq!(at.says("撤销"), command(Command::Undo(String::new())));
    assert_eq!(at.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(at.says("导出"), command(Command::Export(String::new())));
    assert_eq!(at.says("提醒 关"), command(Command::Remind("关".into())));
    assert_eq!(at.says("统计 上周"), command(Command::Tally("上周".into())));
    assert_eq!(at.says("本周"), command(Command::Week(String::new())));
    assert_eq!(at.says("取消"), compose(N::Cancel));
    assert_eq!(at.says("继续"), Decision::Reprompt);
}

#[test]
fn at_the_preview_a_confirmation_publishes_even_beside_the_cleaned_text_option() {
    let plain = notice_at(composer::Step::Preview, composer::publish_keyboard);
    for text in ["1", "确认", "确认发布", "好", "是", "下一步"] {
        assert_eq!(plain.says(text), compose(N::Publish), "{text}");
    }
    let with_pinyin = notice_at(composer::Step::Preview, |c| {
        let mut c = c.clone();
        c.cleaned = Some("发展".into());
        composer::publish_keyboard(&c)
    });
    assert_eq!(with_pinyin.says("确认"), compose(N::Publish));
    assert_eq!(with_pinyin.says("1"), compose(N::UseCleaned));
    assert_eq!(with_pinyin.says("撤销 12"), command(Command::Undo("12".into())));
    assert_eq!(with_pinyin.says(DESCRIPTION), command(Command::Undo("了原定的讲座，改为入户宣讲".into())));
}

// ---------------------------------------------------------------- buttons and stale offers

#[test]
fn a_button_of_a_dialogue_no_longer_open_is_expired_and_other_buttons_are_pressed() {
    let at = checkin_at(wizard::Step::Kind, |w| wizard::cancel_keyboard(&w.nonce));
    let nonce = match &at.dialogue {
        Some(Dialogue::Checkin(w)) => w.nonce.clone(),
        _ => unreachable!(),
    };
    let pressed = How::Pressed("cb".into());
    assert_eq!(
        at.presses(&format!("ck:{nonce}:k:policy")),
        Decision::Checkin { action: C::Kind("policy".into()), how: pressed.clone() }
    );
    assert_eq!(at.presses("ck:other1:k:policy"), Decision::Expired { notice: false, how: pressed.clone() });
    assert_eq!(at.presses("nc:other1:ok"), Decision::Expired { notice: true, how: pressed.clone() });
    assert_eq!(at.presses("zz:1"), Decision::Expired { notice: false, how: pressed.clone() });
    assert_eq!(
        at.presses("ak:17"),
        Decision::Press { button: ButtonData::Ack { delivery_id: 17 }, how: pressed }
    );
}

#[test]
fn when_a_commands_own_options_are_on_offer_numbers_pick_them_and_a_confirmation_shows_the_step_again() {
    let mut at = notice_at(composer::Step::Options, |c| composer::options_keyboard(c, 24));
    at.offered = vec![("暂停 #1".into(), "nm:p:1".into()), ("取消 #1".into(), "nm:c:1".into())];
    assert!(matches!(at.says("1"), Decision::Press { button: ButtonData::Manage { .. }, .. }));
    assert_eq!(at.says("确认"), Decision::Reprompt);
    assert_eq!(at.says("继续"), Decision::Reprompt);
    assert_eq!(at.says("2·zzzz"), Decision::StaleOption, "an older message's link");
}

#[test]
fn in_a_group_only_a_role_command_replying_to_someone_is_read() {
    let mut msg = message(Content::Text("/promote".into()));
    msg.chat.private = false;
    let config = Config::default();
    let at = Situation { dialogue: None, offered: &[], kinds: &config.kinds, username: Some("sansong_bot") };
    assert_eq!(decide(&msg, &at), Decision::InGroup { command: true });
    msg.reply_to = Some(msg.from.clone());
    assert_eq!(decide(&msg, &at), Decision::RoleByReply(Command::Promote(String::new())));
    msg.content = Content::Text("/help@other_bot".into());
    assert_eq!(decide(&msg, &at), Decision::NotForUs);
    msg.content = Content::Text("本周".into());
    assert_eq!(decide(&msg, &at), Decision::InGroup { command: false });
}
