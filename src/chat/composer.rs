//! `/notice`: composing a notice in the chat, step by step.
//!
//! content (text, or a photo/file with caption) → audience (everyone, units, link kinds or
//! roles; organisers: their own unit) → when (now, a date and time, or recurring) → options
//! (需确认, 政策材料, 紧急, reminder) → preview (the exact message, the audience size, the next
//! three fire times, and the pinyin-cleaned text to choose) → publish. `/cancel` leaves at any
//! step. Buttons carry a per-dialogue nonce, so buttons of an abandoned composer do nothing.

use serde::{Deserialize, Serialize};

use super::buttons::{ButtonData, ComposeAction};
use super::context::ChatContext;
use super::message::{Button, Incoming, Keyboard, Reply};
use super::outcome::Outcome;
use crate::core::Core;
use crate::domain::Member;
use crate::domain::{LinkKind, Platform, Role};
use crate::error::{Result, UserError};
use crate::members::{self, Actor};
use crate::notices::{self, Audience, Media, MediaKind, NoticeDraft, Schedule, pinyin};
use crate::schedule::parse_schedule;
use crate::texts::notices as texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Content,
    Audience,
    Units,
    Links,
    Roles,
    When,
    Options,
    Preview,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composer {
    pub nonce: String,
    pub step: Step,
    #[serde(default)]
    pub body: Option<String>,
    /// The text without pinyin annotations, when it had some.
    #[serde(default)]
    pub cleaned: Option<String>,
    #[serde(default)]
    pub use_cleaned: bool,
    #[serde(default)]
    pub media: Option<(MediaKind, String)>,
    /// The platform the picture or file came from, whose id `media` holds (none: Telegram,
    /// as composers saved before there were other platforms).
    #[serde(default)]
    pub media_from: Option<Platform>,
    /// The file's own name, where the platform gave one (a document's).
    #[serde(default)]
    pub media_name: Option<String>,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub schedule: Option<Schedule>,
    #[serde(default)]
    pub ack: bool,
    #[serde(default)]
    pub policy: bool,
    #[serde(default)]
    pub urgent: bool,
    #[serde(default = "yes")]
    pub remind: bool,
    /// The person was told, under a command's answer, that this dialogue is still open (told
    /// once, until they go on with it).
    #[serde(default)]
    pub told: bool,
}

fn yes() -> bool {
    true
}

impl Composer {
    pub(crate) fn new() -> Self {
        Composer {
            nonce: crate::members::random_token(6),
            step: Step::Content,
            body: None,
            cleaned: None,
            use_cleaned: false,
            media: None,
            media_from: None,
            media_name: None,
            audience: Audience::default(),
            schedule: None,
            ack: false,
            policy: false,
            urgent: false,
            remind: true,
            told: false,
        }
    }

    /// The text that will be sent.
    fn text(&self) -> &str {
        match (&self.cleaned, self.use_cleaned) {
            (Some(c), true) => c,
            _ => self.body.as_deref().unwrap_or(""),
        }
    }

    pub(super) fn button(&self, label: &str, action: ComposeAction) -> Button {
        Button::new(label, ButtonData::Compose { nonce: self.nonce.clone(), action }.encode())
    }

    pub(super) fn cancel_row(&self) -> Vec<Button> {
        vec![self.button(crate::texts::checkins::BUTTON_CANCEL, ComposeAction::Cancel)]
    }
}

/// `/notice`: organisers and admins only.
pub fn start(member: &Member) -> Result<Outcome<Composer>> {
    members::require_role(member, Role::Organiser)?;
    let c = Composer::new();
    let prompt = Reply::send_with(texts::compose_content(), Keyboard { rows: vec![c.cancel_row()] });
    Ok(Outcome::save(vec![prompt], c))
}

/// The step's own text: the content, or the time.
pub async fn on_text(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    mut c: Composer,
    text: &str,
) -> Result<Outcome<Composer>> {
    members::require_role(member, Role::Organiser)?;
    match c.step {
        Step::Content => on_content(core, member, msg, c, text, None),
        Step::When => {
            let schedule = parse_schedule(text, core.tz(), core.now()).map_err(UserError::from)?;
            c.schedule = Some(schedule);
            c.step = Step::Options;
            let prompt = Reply::send_with(
                texts::compose_options(),
                options_keyboard(&c, core.config.remind_after.num_hours()),
            );
            Ok(Outcome::save(vec![prompt], c))
        }
        _ => Ok(Outcome::unchanged(reprompt(core, member, &c).await?)),
    }
}

/// The step's question and options again, for a message the step does not take.
pub async fn reprompt(core: &Core, member: &Member, c: &Composer) -> Result<Vec<Reply>> {
    let choose = crate::texts::dialogues::choose_below();
    let again =
        |prompt: String, keyboard: Keyboard| Reply::send_with(format!("{choose}\n{prompt}"), keyboard);
    Ok(match c.step {
        Step::Content => {
            vec![Reply::send_with(texts::compose_content(), Keyboard { rows: vec![c.cancel_row()] })]
        }
        Step::Audience => {
            vec![again(texts::compose_audience(&member.unit_name, member.role), audience_keyboard(c, member))]
        }
        Step::Units => vec![again(texts::compose_pick(texts::PICK_UNITS), units_keyboard(core, c).await?)],
        Step::Links => vec![again(texts::compose_pick(texts::PICK_LINKS), links_keyboard(c))],
        Step::Roles => vec![again(texts::compose_pick(texts::PICK_ROLES), roles_keyboard(c))],
        Step::When => vec![Reply::send_with(texts::compose_when(), when_keyboard(c))],
        Step::Options => {
            vec![again(texts::compose_options(), options_keyboard(c, core.config.remind_after.num_hours()))]
        }
        Step::Preview => {
            let mut shown = preview(core, c).await?;
            if let Some(Reply::Send { text, .. }) = shown.last_mut() {
                *text = format!("{choose}\n{text}");
            }
            shown
        }
    })
}

/// A photo or file while composing: at the content step it is the notice (its caption the text).
pub async fn on_media(
    core: &Core,
    ctx: &ChatContext,
    member: &Member,
    msg: &Incoming,
    mut c: Composer,
    (kind, file_id, name): (MediaKind, &str, Option<&str>),
    caption: Option<&str>,
) -> Result<Outcome<Composer>> {
    members::require_role(member, Role::Organiser)?;
    if c.step != Step::Content {
        return Ok(Outcome::unchanged(reprompt(core, member, &c).await?));
    }
    // The file is passed on to every platform from its bytes, fetched when the notice is
    // published; a platform whose files cannot be fetched keeps them to itself.
    if ctx.files.is_none() {
        return Ok(Outcome::unchanged(vec![Reply::send(texts::compose_media_not_here())]));
    }
    c.media_name = name.map(str::to_owned);
    on_content(core, member, msg, c, caption.unwrap_or(""), Some((kind, file_id.to_owned())))
}

fn on_content(
    core: &Core,
    member: &Member,
    msg: &Incoming,
    mut c: Composer,
    text: &str,
    media: Option<(MediaKind, String)>,
) -> Result<Outcome<Composer>> {
    let body = text.trim().to_owned();
    notices::check_body(core.limits(), &body, media.is_some())?;
    c.cleaned = pinyin::clean(&body);
    c.use_cleaned = false;
    c.body = Some(body);
    c.media_from = media.as_ref().map(|_| msg.from.account.platform);
    if media.is_none() {
        c.media_name = None;
    }
    c.media = media;
    c.step = Step::Audience;
    let prompt = Reply::send_with(
        texts::compose_audience(&member.unit_name, member.role),
        audience_keyboard(&c, member),
    );
    Ok(Outcome::save(vec![prompt], c))
}

fn audience_keyboard(c: &Composer, member: &Member) -> Keyboard {
    let rows = if member.role == Role::Admin {
        vec![
            vec![
                c.button(texts::AUDIENCE_ALL, ComposeAction::All),
                c.button(texts::AUDIENCE_UNITS, ComposeAction::PickUnits),
            ],
            vec![
                c.button(texts::AUDIENCE_LINKS, ComposeAction::PickLinks),
                c.button(texts::AUDIENCE_ROLES, ComposeAction::PickRoles),
            ],
            c.cancel_row(),
        ]
    } else {
        vec![
            vec![
                c.button(texts::AUDIENCE_OWN_UNIT, ComposeAction::All),
                c.button(texts::AUDIENCE_OWN_UNIT_ROLES, ComposeAction::PickRoles),
            ],
            c.cancel_row(),
        ]
    };
    Keyboard { rows }
}

async fn units_keyboard(core: &Core, c: &Composer) -> Result<Keyboard> {
    let units = crate::org::units(core).await?;
    let mut rows: Vec<Vec<Button>> = units
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|u| {
                    c.button(
                        &texts::tick(c.audience.units.contains(&u.id), &u.name),
                        ComposeAction::Unit(u.id),
                    )
                })
                .collect()
        })
        .collect();
    rows.push(vec![c.button(texts::BUTTON_DONE, ComposeAction::Done)]);
    rows.push(c.cancel_row());
    Ok(Keyboard { rows })
}

pub(super) fn links_keyboard(c: &Composer) -> Keyboard {
    let mut rows: Vec<Vec<Button>> = LinkKind::ALL
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|l| {
                    c.button(
                        &texts::tick(c.audience.links.contains(l), crate::texts::link_label(*l)),
                        ComposeAction::Link(*l),
                    )
                })
                .collect()
        })
        .collect();
    rows.push(vec![c.button(texts::BUTTON_DONE, ComposeAction::Done)]);
    rows.push(c.cancel_row());
    Keyboard { rows }
}

pub(super) fn roles_keyboard(c: &Composer) -> Keyboard {
    let row = Role::ALL
        .iter()
        .map(|r| {
            c.button(
                &texts::tick(c.audience.roles.contains(r), crate::texts::role_label(*r)),
                ComposeAction::Role(*r),
            )
        })
        .collect();
    Keyboard { rows: vec![row, vec![c.button(texts::BUTTON_DONE, ComposeAction::Done)], c.cancel_row()] }
}

pub(super) fn when_keyboard(c: &Composer) -> Keyboard {
    Keyboard { rows: vec![vec![c.button(texts::BUTTON_NOW, ComposeAction::Now)], c.cancel_row()] }
}

pub(super) fn options_keyboard(c: &Composer, remind_hours: i64) -> Keyboard {
    let mut rows = vec![
        vec![c.button(&texts::tick(c.ack, texts::OPTION_ACK), ComposeAction::ToggleAck)],
        vec![c.button(&texts::tick(c.policy, texts::OPTION_POLICY), ComposeAction::TogglePolicy)],
        vec![c.button(&texts::tick(c.urgent, texts::OPTION_URGENT), ComposeAction::ToggleUrgent)],
    ];
    if c.ack {
        rows.push(vec![c.button(
            &texts::tick(c.remind, &texts::remind_option(remind_hours)),
            ComposeAction::ToggleRemind,
        )]);
    }
    rows.push(vec![c.button(texts::BUTTON_PREVIEW, ComposeAction::Preview)]);
    rows.push(c.cancel_row());
    Keyboard { rows }
}

/// The notice as members will see it (its buttons inert here), then the summary to confirm.
async fn preview(core: &Core, c: &Composer) -> Result<Vec<Reply>> {
    let mut notice_buttons = Vec::new();
    if c.ack {
        notice_buttons.push(vec![Button::new(texts::BUTTON_ACK, ButtonData::Preview.encode())]);
    }
    if c.policy {
        notice_buttons.push(vec![Button::new(texts::BUTTON_SPREAD, ButtonData::Preview.encode())]);
    }
    let keyboard = (!notice_buttons.is_empty()).then_some(Keyboard { rows: notice_buttons });
    let shown = match &c.media {
        Some((kind, file_id)) => {
            Reply::Media { kind: *kind, file_id: file_id.clone(), caption: c.text().to_owned(), keyboard }
        }
        None => Reply::Send { text: c.text().to_owned(), keyboard },
    };
    let schedule = c.schedule.clone().unwrap_or(Schedule::Now);
    let size = notices::audience_size(core, &c.audience).await?;
    let audience = texts::audience(&notices::audience_names(core, &c.audience).await?);
    let next = schedule.upcoming(core.now(), 3, core.tz(), &core.calendar());
    let summary = texts::compose_summary(&texts::NoticeSummary {
        audience: &audience,
        size,
        schedule: &texts::schedule_label(&schedule, core.tz()),
        next: &next,
        ack: c.ack,
        policy: c.policy,
        urgent: c.urgent,
        remind: c.ack && c.remind,
        remind_hours: core.config.remind_after.num_hours(),
        has_pinyin: c.cleaned.is_some(),
        using_cleaned: c.use_cleaned,
        quiet: core.config.quiet_hours.map(|q| q.to_string()),
        tz: core.tz(),
        seconds: schedule.has_seconds(),
    });
    Ok(vec![shown, Reply::send_with(summary, publish_keyboard(c))])
}

/// The preview's options: the text cleaned of pinyin (or back to the original), publish, cancel.
pub(super) fn publish_keyboard(c: &Composer) -> Keyboard {
    let mut rows = Vec::new();
    if c.cleaned.is_some() {
        rows.push(vec![if c.use_cleaned {
            c.button(texts::BUTTON_ORIGINAL, ComposeAction::UseOriginal)
        } else {
            c.button(texts::BUTTON_CLEANED, ComposeAction::UseCleaned)
        }]);
    }
    rows.push(vec![c.button(texts::BUTTON_PUBLISH, ComposeAction::Publish)]);
    rows.push(c.cancel_row());
    Keyboard { rows }
}

/// A button of the composer whose nonce matched, pressed (or typed: see [`super::decide`]).
pub async fn on_button(
    core: &Core,
    ctx: &ChatContext,
    member: &Member,
    msg: &Incoming,
    callback_id: &str,
    mut c: Composer,
    action: ComposeAction,
) -> Result<Outcome<Composer>> {
    let answer = |text: Option<String>| Reply::Answer { callback_id: callback_id.to_owned(), text };
    members::require_role(member, Role::Organiser)?;
    let edit = |text: String, keyboard: Keyboard| Reply::Edit {
        message_id: msg.message_id,
        text,
        keyboard: Some(keyboard),
    };
    let is_admin = member.role == Role::Admin;
    let replies = match (c.step, action) {
        (_, ComposeAction::Cancel) => {
            return Ok(Outcome::end(vec![
                answer(None),
                Reply::Edit { message_id: msg.message_id, text: texts::compose_cancelled(), keyboard: None },
            ]));
        }
        (Step::Audience, ComposeAction::All) => {
            c.audience =
                if is_admin { Audience { all: true, ..Audience::default() } } else { own_unit(member) };
            c.step = Step::When;
            vec![edit(texts::compose_when(), when_keyboard(&c))]
        }
        (Step::Audience, ComposeAction::PickUnits) if is_admin => {
            c.step = Step::Units;
            vec![edit(texts::compose_pick(texts::PICK_UNITS), units_keyboard(core, &c).await?)]
        }
        (Step::Audience, ComposeAction::PickLinks) if is_admin => {
            c.step = Step::Links;
            vec![edit(texts::compose_pick(texts::PICK_LINKS), links_keyboard(&c))]
        }
        (Step::Audience, ComposeAction::PickRoles) => {
            if !is_admin {
                c.audience = own_unit(member);
            }
            c.step = Step::Roles;
            vec![edit(texts::compose_pick(texts::PICK_ROLES), roles_keyboard(&c))]
        }
        (Step::Units, ComposeAction::Unit(id)) => {
            toggle(&mut c.audience.units, id);
            vec![edit(texts::compose_pick(texts::PICK_UNITS), units_keyboard(core, &c).await?)]
        }
        (Step::Links, ComposeAction::Link(link)) => {
            toggle(&mut c.audience.links, link);
            vec![edit(texts::compose_pick(texts::PICK_LINKS), links_keyboard(&c))]
        }
        (Step::Roles, ComposeAction::Role(role)) => {
            toggle(&mut c.audience.roles, role);
            vec![edit(texts::compose_pick(texts::PICK_ROLES), roles_keyboard(&c))]
        }
        (Step::Units | Step::Links | Step::Roles, ComposeAction::Done) => {
            let chosen = match c.step {
                Step::Units => !c.audience.units.is_empty(),
                Step::Links => !c.audience.links.is_empty(),
                _ => !c.audience.roles.is_empty(),
            };
            if !chosen {
                return Ok(Outcome::unchanged(vec![answer(Some(texts::compose_choose_one()))]));
            }
            c.step = Step::When;
            vec![edit(texts::compose_when(), when_keyboard(&c))]
        }
        (Step::When, ComposeAction::Now) => {
            c.schedule = Some(Schedule::Now);
            c.step = Step::Options;
            vec![edit(texts::compose_options(), options_keyboard(&c, core.config.remind_after.num_hours()))]
        }
        (
            Step::Options,
            ComposeAction::ToggleAck
            | ComposeAction::TogglePolicy
            | ComposeAction::ToggleUrgent
            | ComposeAction::ToggleRemind,
        ) => {
            match action {
                ComposeAction::ToggleAck => c.ack = !c.ack,
                ComposeAction::TogglePolicy => c.policy = !c.policy,
                ComposeAction::ToggleUrgent => c.urgent = !c.urgent,
                _ => c.remind = !c.remind,
            }
            vec![edit(texts::compose_options(), options_keyboard(&c, core.config.remind_after.num_hours()))]
        }
        (Step::Options, ComposeAction::Preview) => {
            c.step = Step::Preview;
            preview(core, &c).await?
        }
        (Step::Preview, ComposeAction::UseCleaned | ComposeAction::UseOriginal) => {
            c.use_cleaned = action == ComposeAction::UseCleaned;
            preview(core, &c).await?
        }
        (Step::Preview, ComposeAction::Publish) => {
            return publish(core, ctx, member, msg, c, callback_id).await;
        }
        // A button of an earlier step (a double tap or a redelivered update).
        _ => return Ok(Outcome::unchanged(vec![answer(None)])),
    };
    Ok(Outcome::save(replies, c).after(vec![answer(None)]))
}

/// Whether a button of this dialogue is its step's main option: what 确认, 好 or 下一步 press.
pub fn is_main(action: ComposeAction) -> bool {
    matches!(action, ComposeAction::Preview | ComposeAction::Publish)
}

/// 「这个选项已失效」 for a button of a composer that is no longer open.
pub fn expired(callback_id: &str) -> Vec<Reply> {
    vec![Reply::Answer {
        callback_id: callback_id.to_owned(),
        text: Some(texts::wizard_button_expired_notice()),
    }]
}

fn own_unit(member: &Member) -> Audience {
    Audience { units: vec![member.unit_id], ..Audience::default() }
}

fn toggle<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if let Some(i) = list.iter().position(|x| *x == item) {
        list.remove(i);
    } else {
        list.push(item);
    }
}

/// A notice's picture or file as every platform needs it: Telegram's own id where it came
/// from Telegram (Telegram sends it again by that id), and its bytes (which the other
/// platforms upload). A Telegram file is fetched only when another platform runs beside it,
/// and one that cannot be fetched still goes by its id (people on other platforms are told
/// to ask for it); a file from another platform must be fetched.
async fn notice_media(
    core: &Core,
    ctx: &ChatContext,
    c: &Composer,
    kind: MediaKind,
    file_id: &str,
) -> Result<Media> {
    let from = c.media_from.unwrap_or(Platform::Telegram);
    let elsewhere = core.metrics.serving().any(|(p, _)| p != from && p != Platform::Terminal);
    if from == Platform::Telegram && !elsewhere {
        return Ok(Media { kind, file_id: Some(file_id.to_owned()), upload: None });
    }
    let fetched = match &ctx.files {
        Some(files) => files.fetch(kind, file_id).await,
        None => Err("this platform's files cannot be fetched".to_owned()),
    };
    let upload = match fetched {
        Ok((name, bytes)) if bytes.len() <= super::message::MAX_FILE_BYTES => {
            Some((c.media_name.clone().unwrap_or(name), bytes))
        }
        Ok((_, bytes)) => {
            tracing::warn!(bytes = bytes.len(), "a notice's file is too large to pass on");
            None
        }
        Err(e) => {
            tracing::warn!(platform = from.as_str(), error = %e, "could not fetch a notice's file");
            None
        }
    };
    match (from, upload) {
        (Platform::Telegram, upload) => Ok(Media { kind, file_id: Some(file_id.to_owned()), upload }),
        (_, Some(upload)) => Ok(Media { kind, file_id: None, upload: Some(upload) }),
        (_, None) => Err(UserError::MediaUnavailable.into()),
    }
}

async fn publish(
    core: &Core,
    ctx: &ChatContext,
    member: &Member,
    msg: &Incoming,
    c: Composer,
    callback_id: &str,
) -> Result<Outcome<Composer>> {
    let media = match &c.media {
        Some((kind, file_id)) => Some(notice_media(core, ctx, &c, *kind, file_id).await?),
        None => None,
    };
    let draft = NoticeDraft {
        body: c.text().to_owned(),
        media,
        audience: c.audience.clone(),
        schedule: c.schedule.clone().unwrap_or(Schedule::Now),
        ack: c.ack,
        policy: c.policy,
        urgent: c.urgent,
        remind_after: (c.ack && c.remind).then_some(core.config.remind_after),
    };
    // Keyed by the composer, so a second press (or a redelivered press) publishes nothing new.
    let key = format!("tg:{}:{}", msg.chat.id, c.nonce);
    let notice = notices::create(core, &Actor::Member(member.clone()), &draft, Some(key)).await?;
    ctx.notices_changed();
    Ok(Outcome::end(vec![
        Reply::Answer { callback_id: callback_id.to_owned(), text: Some(texts::notice_published_short()) },
        Reply::Edit {
            message_id: msg.message_id,
            text: texts::notice_published(&notice, core.tz()),
            keyboard: None,
        },
    ]))
}
