//! The guided check-in (`/checkin` alone): kind → site → description (with the day of the work
//! as buttons, today unless another is chosen) → optional photo and location → confirm. Its state is stored per chat as JSON so it survives a restart, and its
//! buttons ([`ButtonData::Checkin`]) carry a per-dialogue nonce so a button from an abandoned
//! dialogue does nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::checkins::day::{DayWord, read_day, take_day};
use crate::checkins::{self, Evidence, NamedDay, ParsedCheckin, Source, Via};
use crate::core::Core;
use crate::domain::{Member, Site};
use crate::error::{Error, Result, UserError};
use crate::notices::Notice;
use crate::org;
use crate::texts::checkins::{self as texts, BUTTON_CANCEL, BUTTON_CONFIRM, BUTTON_NEXT, DraftSummary};

use super::buttons::{ButtonData, CheckinAction};
use super::message::{Button, Incoming, Keyboard, Reply};
use super::outcome::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Kind,
    Site,
    Description,
    Extras,
    Confirm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wizard {
    pub nonce: String,
    pub step: Step,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub site: Option<(i64, String)>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub people_served: Option<u32>,
    /// The description message: its id keys the check-in, its date is when it counts.
    #[serde(default)]
    pub source_message_id: Option<i64>,
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub photo_file_id: Option<String>,
    #[serde(default)]
    pub location: Option<(f64, f64)>,
    /// A 送政策 check-in started from a policy notice's 「去宣讲」 cites it.
    #[serde(default)]
    pub notice_id: Option<i64>,
    /// The day of the work, when one was chosen (昨天, 前天, another day); otherwise the work
    /// counts when the description was sent.
    #[serde(default)]
    pub day: Option<NaiveDate>,
    /// 「其他日期」 was pressed: the next text is the day, not the description.
    #[serde(default)]
    pub asking_day: bool,
    /// The person was told, under a command's answer, that this dialogue is still open (told
    /// once, until they go on with it).
    #[serde(default)]
    pub told: bool,
}

impl Wizard {
    pub(crate) fn new() -> Self {
        Wizard {
            nonce: crate::members::random_token(6),
            step: Step::Kind,
            kind: None,
            site: None,
            description: None,
            people_served: None,
            source_message_id: None,
            sent_at: None,
            photo_file_id: None,
            location: None,
            notice_id: None,
            day: None,
            asking_day: false,
            told: false,
        }
    }
}

/// A button of this dialogue: its data carries the dialogue's nonce.
fn button(label: &str, nonce: &str, action: CheckinAction) -> Button {
    Button::new(label, ButtonData::Checkin { nonce: nonce.to_owned(), action }.encode())
}

// ---------------------------------------------------------------- keyboards

fn cancel_button(nonce: &str) -> Button {
    button(BUTTON_CANCEL, nonce, CheckinAction::Cancel)
}

pub(super) fn kind_keyboard(kinds: &crate::checkins::kinds::Kinds, nonce: &str) -> Keyboard {
    let kinds: Vec<Button> =
        kinds.all().iter().map(|k| button(&k.label, nonce, CheckinAction::Kind(k.key.clone()))).collect();
    let mut rows: Vec<Vec<Button>> = kinds.chunks(3).map(<[Button]>::to_vec).collect();
    rows.push(vec![cancel_button(nonce)]);
    Keyboard { rows }
}

pub(super) fn site_keyboard(sites: &[Site], nonce: &str) -> Keyboard {
    let mut rows: Vec<Vec<Button>> =
        sites.iter().map(|s| vec![button(&s.name, nonce, CheckinAction::Site(s.id))]).collect();
    rows.push(vec![cancel_button(nonce)]);
    Keyboard { rows }
}

pub(super) fn extras_keyboard(nonce: &str) -> Keyboard {
    Keyboard { rows: vec![vec![button(BUTTON_NEXT, nonce, CheckinAction::Next), cancel_button(nonce)]] }
}

pub(super) fn confirm_keyboard(nonce: &str) -> Keyboard {
    Keyboard { rows: vec![vec![button(BUTTON_CONFIRM, nonce, CheckinAction::Confirm), cancel_button(nonce)]] }
}

/// The description step's keyboard: the day of the work (when back-dating is on) and 取消.
/// The day buttons are a choice, never a step: without one the work counts today.
fn describe_keyboard(core: &Core, w: &Wizard) -> Keyboard {
    day_keyboard(core.config.backdate_days, w)
}

/// [`describe_keyboard`] with back-dating allowed `back` days.
pub(super) fn day_keyboard(back: u32, w: &Wizard) -> Keyboard {
    let mut rows = Vec::new();
    if back > 0 {
        let mut days: Vec<Button> = [texts::BUTTON_TODAY, texts::BUTTON_YESTERDAY, texts::BUTTON_DAY_BEFORE]
            .iter()
            .zip(0u8..)
            .filter(|(_, n)| u32::from(*n) <= back)
            .map(|(label, n)| button(label, &w.nonce, CheckinAction::DaysAgo(n)))
            .collect();
        if back > 2 {
            days.push(button(texts::BUTTON_OTHER_DAY, &w.nonce, CheckinAction::OtherDay));
        }
        rows.push(days);
    }
    rows.push(vec![cancel_button(&w.nonce)]);
    Keyboard { rows }
}

pub(super) fn cancel_keyboard(nonce: &str) -> Keyboard {
    Keyboard { rows: vec![vec![cancel_button(nonce)]] }
}

fn confirm_text(core: &Core, w: &Wizard) -> String {
    texts::wizard_confirm(&DraftSummary {
        kind: core.kinds().label(w.kind.as_deref().unwrap_or("")),
        site: w.site.as_ref().map(|(_, n)| n.as_str()),
        description: w.description.as_deref().unwrap_or(""),
        people_served: w.people_served,
        has_photo: w.photo_file_id.is_some(),
        has_location: w.location.is_some(),
        day: w.day.map(crate::texts::date),
    })
}

fn describe_prompt(core: &Core, w: &Wizard) -> String {
    texts::wizard_describe(
        core.kinds().label(w.kind.as_deref().unwrap_or("")),
        w.site.as_ref().map(|(_, n)| n.as_str()),
        w.day.map(crate::texts::date).as_deref(),
    )
}

/// `昨天 帮独居老人买药`: a day written before the description (or a photo's caption) is the day
/// of the work; the rest is the description.
fn strip_day<'t>(core: &Core, w: &mut Wizard, text: &'t str, sent_at: DateTime<Utc>) -> Result<&'t str> {
    // As after the kind in a one-line check-in: `3-5 户` is a description, not a date.
    match take_day(text).filter(|(day, _)| !day.is_bare_month_day()) {
        Some((day, rest)) if !rest.trim().is_empty() => {
            set_day(core, w, day.word, &day.written, sent_at)?;
            Ok(checkins::parse::after_kind(rest))
        }
        _ => Ok(text),
    }
}

/// The day chosen for the work, checked like a day written in a one-line check-in.
fn set_day(core: &Core, w: &mut Wizard, word: DayWord, written: &str, sent_at: DateTime<Utc>) -> Result<()> {
    let named = NamedDay { word, written: written.to_owned() };
    let (_, day) = checkins::day_of_work(core, Some(&named), sent_at)?;
    w.day = day;
    w.asking_day = false;
    Ok(())
}

// ---------------------------------------------------------------- transitions

/// `/checkin` alone: a fresh dialogue (replacing any earlier one, whose buttons stop working).
pub fn start(core: &Core) -> Outcome<Wizard> {
    let w = Wizard::new();
    let replies = vec![Reply::send_with(texts::wizard_kind(), kind_keyboard(core.kinds(), &w.nonce))];
    Outcome::save(replies, w)
}

/// A kind sent on its own (`送温暖`): a guided check-in with that kind already chosen.
pub async fn start_with_kind(core: &Core, member: &Member, key: &str) -> Result<Outcome<Wizard>> {
    let mut w = Wizard::new();
    let Some((prompt, keyboard)) = choose_kind(core, member, &mut w, key).await? else {
        return Ok(start(core));
    };
    Ok(Outcome::save(vec![Reply::send_with(prompt, keyboard)], w))
}

/// 「去宣讲」 on a policy notice: a guided check-in of the first kind (送政策), citing it.
pub async fn start_citing(core: &Core, member: &Member, notice: &Notice) -> Result<Outcome<Wizard>> {
    let mut w = Wizard::new();
    w.notice_id = Some(notice.id);
    let first = core.kinds().all().first().map(|k| k.key.clone()).unwrap_or_default();
    let Some((prompt, keyboard)) = choose_kind(core, member, &mut w, &first).await? else {
        return Ok(Outcome::unchanged(vec![Reply::send(texts::wizard_button_expired())]));
    };
    let text = format!("{}\n{prompt}", crate::texts::notices::citing_notice(notice.id, &notice.body));
    Ok(Outcome::save(vec![Reply::send_with(text, keyboard)], w))
}

/// A button of this dialogue whose nonce matched, pressed (or typed: see [`super::decide`]).
/// `msg.message_id` is the message carrying the button, which is edited in place.
pub async fn on_button(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    mut w: Wizard,
    action: CheckinAction,
) -> Result<Outcome<Wizard>> {
    let answer = |text: Option<String>| Reply::Answer { callback_id: callback_id.to_owned(), text };
    let edit =
        |text: String, keyboard: Option<Keyboard>| Reply::Edit { message_id: msg.message_id, text, keyboard };
    Ok(match (w.step, action) {
        (_, CheckinAction::Cancel) => Outcome::end(vec![answer(None), edit(texts::wizard_cancelled(), None)]),
        (Step::Kind, CheckinAction::Kind(key)) => match choose_kind(core, member, &mut w, &key).await? {
            Some((text, keyboard)) => Outcome::save(vec![answer(None), edit(text, Some(keyboard))], w),
            None => Outcome::unchanged(vec![answer(Some(texts::wizard_button_expired()))]),
        },
        (Step::Site, CheckinAction::Site(id)) => {
            let sites = org::sites_of(core, member.unit_id).await?;
            let Some(site) = sites.iter().find(|s| s.id == id) else {
                return Ok(Outcome::unchanged(vec![answer(Some(texts::wizard_button_expired()))]));
            };
            w.site = Some((site.id, site.name.clone()));
            w.step = Step::Description;
            let prompt = edit(describe_prompt(core, &w), Some(describe_keyboard(core, &w)));
            Outcome::save(vec![answer(None), prompt], w)
        }
        (Step::Description, CheckinAction::DaysAgo(n)) => {
            // Counted back from the day of the press: 昨天 means the day before today.
            let word = match n {
                0 => DayWord::Today,
                1 => DayWord::Yesterday,
                _ => DayWord::DayBeforeYesterday,
            };
            if let Err(Error::User(e)) = set_day(core, &mut w, word, texts::days_ago_label(n), msg.sent_at) {
                let why = crate::texts::errors::user_error(&e, &core.config, None);
                return Ok(Outcome::unchanged(vec![answer(Some(why))]));
            }
            let prompt = edit(describe_prompt(core, &w), Some(describe_keyboard(core, &w)));
            Outcome::save(vec![answer(None), prompt], w)
        }
        (Step::Description, CheckinAction::OtherDay) => {
            w.asking_day = true;
            let text = texts::wizard_ask_day(core.config.backdate_days);
            let prompt = edit(text, Some(cancel_keyboard(&w.nonce)));
            Outcome::save(vec![answer(None), prompt], w)
        }
        (Step::Extras, CheckinAction::Next) => {
            w.step = Step::Confirm;
            let prompt = edit(confirm_text(core, &w), Some(confirm_keyboard(&w.nonce)));
            Outcome::save(vec![answer(None), prompt], w)
        }
        (Step::Confirm, CheckinAction::Confirm) => confirm(core, member, msg, w, callback_id).await?,
        // A button of an earlier step pressed again (a double tap, or a redelivered update).
        _ => Outcome::unchanged(vec![answer(None)]),
    })
}

/// 「确认登记」: the check-in recorded, and the dialogue over.
async fn confirm(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    mut w: Wizard,
    callback_id: &str,
) -> Result<Outcome<Wizard>> {
    let answer = |text: Option<String>| Reply::Answer { callback_id: callback_id.to_owned(), text };
    let edit =
        |text: String, keyboard: Option<Keyboard>| Reply::Edit { message_id: msg.message_id, text, keyboard };
    let (Some(kind), Some(description), Some(message_id), Some(sent_at)) =
        (w.kind.clone(), w.description.clone(), w.source_message_id, w.sent_at)
    else {
        return Ok(Outcome::end(vec![answer(Some(texts::wizard_button_expired()))]));
    };
    let day = w.day.map(|d| NamedDay { word: DayWord::Date(d), written: crate::texts::date(d) });
    let parsed = ParsedCheckin { kind, site: None, description, people_served: w.people_served, day };
    let recorded = checkins::record_at_site(
        core,
        member,
        &parsed,
        w.site.as_ref().map(|(id, _)| *id),
        Source { chat_id: msg.chat.id, message_id, sent_at },
        Evidence { photo_file_id: w.photo_file_id.clone(), location: w.location, cites_notice: w.notice_id },
        Via::Dialogue,
    )
    .await;
    match recorded {
        Ok(receipt) => Ok(Outcome::end(vec![
            answer(Some(texts::wizard_recorded_short())),
            edit(texts::receipt(&receipt, core.kinds(), &core.config), None),
        ])),
        // The day chosen is out of range for when the description was sent: back to the
        // description step, with the rest of the draft kept, to choose again.
        Err(Error::User(
            e @ (UserError::DayOutOfRange { .. } | UserError::BackdatingOff(_) | UserError::NoSuchDay(_)),
        )) => {
            w.step = Step::Description;
            w.day = None;
            let why = crate::texts::errors::user_error(&e, &core.config, None);
            let prompt =
                edit(format!("{why}\n\n{}", describe_prompt(core, &w)), Some(describe_keyboard(core, &w)));
            Ok(Outcome::save(vec![answer(None), prompt], w))
        }
        Err(e) => Err(e),
    }
}

/// The step's own text: a kind or a site typed, the description, or the day of the work.
pub async fn on_text(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    mut w: Wizard,
    text: &str,
) -> Result<Outcome<Wizard>> {
    match w.step {
        Step::Kind => {
            // Typing the kind instead of pressing its button works too (政策, 送服務, policy).
            let key = core.kinds().lookup(text).map(|k| k.key.clone());
            if let Some(key) = key
                && let Some((prompt, keyboard)) = choose_kind(core, member, &mut w, &key).await?
            {
                return Ok(Outcome::save(vec![Reply::send_with(prompt, keyboard)], w));
            }
            Ok(Outcome::unchanged(reprompt(core, member, &w).await?))
        }
        Step::Site => {
            let sites = org::sites_of(core, member.unit_id).await?;
            match checkins::resolve_site(&sites, Some(text)) {
                Ok(Some(site)) => {
                    w.site = Some((site.id, site.name.clone()));
                    w.step = Step::Description;
                    let prompt = Reply::send_with(describe_prompt(core, &w), describe_keyboard(core, &w));
                    Ok(Outcome::save(vec![prompt], w))
                }
                _ => Ok(Outcome::unchanged(reprompt(core, member, &w).await?)),
            }
        }
        Step::Description => {
            // After 「其他日期」, or a day typed on its own: the day of the work.
            if let Some(word) = read_day(text).filter(|_| core.config.backdate_days > 0 || w.asking_day) {
                set_day(core, &mut w, word, text.trim(), msg.sent_at)?;
                let prompt = Reply::send_with(describe_prompt(core, &w), describe_keyboard(core, &w));
                return Ok(Outcome::save(vec![prompt], w));
            }
            if w.asking_day {
                return Err(UserError::NoSuchDay(text.trim().chars().take(20).collect()).into());
            }
            let replies = describe(core, msg, &mut w, text)?;
            Ok(Outcome::save(replies, w))
        }
        Step::Extras | Step::Confirm => Ok(Outcome::unchanged(reprompt(core, member, &w).await?)),
    }
}

/// The step's question and options again, for a message the step does not take.
pub async fn reprompt(core: &Core, member: &Member, w: &Wizard) -> Result<Vec<Reply>> {
    let choose = crate::texts::dialogues::choose_below();
    Ok(vec![match w.step {
        Step::Kind => Reply::send_with(
            format!("{choose}\n{}", texts::wizard_pick_kind()),
            kind_keyboard(core.kinds(), &w.nonce),
        ),
        Step::Site => {
            let sites = org::sites_of(core, member.unit_id).await?;
            let kind = core.kinds().label(w.kind.as_deref().unwrap_or(""));
            Reply::send_with(
                format!("{choose}\n{}", texts::wizard_site(kind)),
                site_keyboard(&sites, &w.nonce),
            )
        }
        Step::Description if w.asking_day => {
            Reply::send_with(texts::wizard_ask_day(core.config.backdate_days), cancel_keyboard(&w.nonce))
        }
        Step::Description => Reply::send_with(describe_prompt(core, w), describe_keyboard(core, w)),
        Step::Extras => Reply::send_with(texts::wizard_expect_extras(), extras_keyboard(&w.nonce)),
        Step::Confirm => Reply::send_with(
            format!("{}\n{}", texts::wizard_expect_confirm(), confirm_text(core, w)),
            confirm_keyboard(&w.nonce),
        ),
    }])
}

/// The description (a typed text or a photo's caption), with a day written before it.
fn describe(core: &Core, msg: &Incoming, w: &mut Wizard, text: &str) -> Result<Vec<Reply>> {
    let text = strip_day(core, w, text, msg.sent_at)?;
    let (description, people) = checkins::parse_description(text)?;
    w.description = Some(description);
    w.people_served = people;
    w.source_message_id = Some(msg.message_id);
    w.sent_at = Some(msg.sent_at);
    w.step = Step::Extras;
    Ok(vec![Reply::send_with(
        texts::wizard_extras(w.photo_file_id.is_some(), w.location.is_some()),
        extras_keyboard(&w.nonce),
    )])
}

/// Records the kind and moves to the site step (several sites) or straight to the description
/// (one site or none). Returns the next prompt, or `None` for a kind that is not configured.
async fn choose_kind(
    core: &Core,
    member: &Member,
    w: &mut Wizard,
    key: &str,
) -> Result<Option<(String, Keyboard)>> {
    let Some(kind) = core.kinds().get(key) else {
        return Ok(None);
    };
    w.kind = Some(kind.key.clone());
    let sites = org::sites_of(core, member.unit_id).await?;
    if sites.len() > 1 {
        w.step = Step::Site;
        return Ok(Some((texts::wizard_site(&kind.label), site_keyboard(&sites, &w.nonce))));
    }
    w.site = sites.first().map(|s| (s.id, s.name.clone()));
    w.step = Step::Description;
    Ok(Some((describe_prompt(core, w), describe_keyboard(core, w))))
}

/// Whether the dialogue would take a photo or location now.
pub fn wants_evidence(w: &Wizard) -> bool {
    matches!(w.step, Step::Description | Step::Extras)
}

/// A photo sent while the dialogue wants evidence; at the description step its caption can be
/// the description. `answer`: false for the rest of an album, which updates the draft quietly
/// (one answer per album).
pub async fn on_photo(
    core: &Core,
    msg: &Incoming,
    mut w: Wizard,
    file_id: &str,
    caption: Option<&str>,
    answer: bool,
) -> Result<Outcome<Wizard>> {
    w.photo_file_id = Some(file_id.to_owned());
    let caption = caption.map(str::trim).filter(|c| !c.is_empty());
    let replies = match (w.step, caption) {
        (Step::Description, Some(caption)) => match describe(core, msg, &mut w, caption) {
            Ok(replies) => replies,
            // The photo is kept even if its caption is refused (a day out of range).
            Err(Error::User(e)) => {
                vec![Reply::send(crate::texts::errors::user_error(&e, &core.config, None))]
            }
            Err(e) => return Err(e),
        },
        (Step::Description, None) => {
            vec![Reply::send_with(texts::wizard_photo_needs_text(), cancel_keyboard(&w.nonce))]
        }
        _ => vec![Reply::send_with(
            texts::wizard_extras(true, w.location.is_some()),
            extras_keyboard(&w.nonce),
        )],
    };
    Ok(Outcome::save(if answer || caption.is_some() { replies } else { vec![] }, w))
}

/// A location sent while the dialogue wants evidence.
pub fn on_location(core: &Core, mut w: Wizard, lat: f64, lon: f64) -> Outcome<Wizard> {
    w.location = Some((lat, lon));
    let reply = if w.step == Step::Description {
        Reply::send_with(describe_prompt(core, &w), describe_keyboard(core, &w))
    } else {
        Reply::send_with(texts::wizard_extras(w.photo_file_id.is_some(), true), extras_keyboard(&w.nonce))
    };
    Outcome::save(vec![reply], w)
}

/// Whether a button of this dialogue is its step's main option: what 确认, 好 or 下一步 press.
pub fn is_main(action: &CheckinAction) -> bool {
    matches!(action, CheckinAction::Next | CheckinAction::Confirm)
}

/// 「这个选项已失效」 for a button of a check-in that is no longer open.
pub fn expired(callback_id: &str) -> Vec<Reply> {
    vec![Reply::Answer { callback_id: callback_id.to_owned(), text: Some(texts::wizard_button_expired()) }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_survives_a_json_round_trip() {
        let mut w = Wizard::new();
        w.step = Step::Extras;
        w.kind = Some("policy".into());
        w.site = Some((3, "新球社区".into()));
        w.location = Some((29.48, 113.45));
        w.told = true;
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<Wizard>(&json).unwrap(), w);
    }

    #[test]
    fn a_state_saved_before_the_told_mark_still_reads() {
        let json = r#"{"nonce":"abc123","step":"Kind"}"#;
        let w: Wizard = serde_json::from_str(json).unwrap();
        assert!(!w.told);
    }
}
