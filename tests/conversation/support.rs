//! `Conversation::start()`: the platform-neutral conversation (`sansong::chat::handle`) on a real
//! SQLite file in a temp dir, with the example organisation loaded and a clock the test moves.
//! No HTTP, no Telegram, no background tasks: each event is handled before the call returns.
//!
//! The harness plays the platform's part: it numbers updates, messages and button presses,
//! gives every message the bot sends an id (so its buttons can be pressed later), and applies
//! edits to the messages it keeps, as a chat client would show them.

#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tempfile::TempDir;
use tokio::sync::Notify;

// Every path into the crate is here, so a move of a type is one line to change.
pub use crate::shared::{beijing, default_now, is_polite_chinese, listed_commands, repo_path};
use crate::shared::{core_with_org, counted_checkins, test_config};
pub use sansong::Core;
pub use sansong::chat::buttons::ButtonData;
pub use sansong::chat::{Button, ChatContext, ChatRef, Content, Handled, Incoming, Keyboard, Reply};
pub use sansong::clock::{Clock, ShiftedClock};
pub use sansong::config::Config;
use sansong::domain::Member;
pub use sansong::domain::{Account, Person, Platform, Role};
pub use sansong::members::{Actor, InviteRequest};
pub use sansong::texts::notices::{BUTTON_ACK, BUTTON_SPREAD};

/// The bot's username, as Telegram would report it.
pub const BOT: &str = "sansong_bot";

/// Someone writing to the bot. Their private chat with it has their id (the core's id for
/// them: their Telegram id, or a handle for another platform's string id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub platform: Platform,
}

impl User {
    /// Someone on Telegram.
    pub fn new(id: i64, name: &str) -> User {
        User { id, name: name.to_owned(), platform: Platform::Telegram }
    }

    pub fn person(&self) -> Person {
        Person {
            account: Account { platform: self.platform, person_id: self.id },
            name: self.name.clone(),
            username: None,
        }
    }
}

/// A message the bot sent, as it now shows in its chat (edits applied).
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub chat_id: i64,
    pub message_id: i64,
    /// The `Send`, `Media` or `Upload` that created it, with later edits applied to it.
    pub reply: Reply,
    /// As it was sent, before any edit: a client that has not refreshed can still press its
    /// buttons (a double tap, a stale screen).
    pub sent: Reply,
}

/// Something whose buttons can be pressed: replies just received, or one of them.
pub trait Pressable {
    fn replies(&self) -> &[Reply];
}

impl Pressable for [Reply] {
    fn replies(&self) -> &[Reply] {
        self
    }
}

impl Pressable for Vec<Reply> {
    fn replies(&self) -> &[Reply] {
        self
    }
}

impl Pressable for Reply {
    fn replies(&self) -> &[Reply] {
        std::slice::from_ref(self)
    }
}

pub struct Conversation {
    pub core: Core,
    pub chat: ChatContext,
    /// Real time shifted to the test's date: `handle` and the test read the same clock.
    pub clock: ShiftedClock,
    pub db_url: String,
    pub dir: TempDir,
    next_update: AtomicI64,
    /// One counter for every message, the person's and the bot's, as in a Telegram chat.
    next_message: AtomicI64,
    next_callback: AtomicI64,
    shown: Mutex<Vec<Shown>>,
}

impl Conversation {
    /// The example organisation loaded and the clock at [`default_now`].
    pub async fn start() -> Conversation {
        Conversation::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Conversation {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        let mut config = test_config(&db_url);
        adjust(&mut config);
        let clock = ShiftedClock::starting_at(default_now());
        let db_url = config.database_url.clone();
        let core = core_with_org(config, &clock).await;
        let chat = ChatContext::new(Some(BOT.into()), Arc::new(Notify::new()));
        Conversation {
            core,
            chat,
            clock,
            db_url,
            dir,
            next_update: AtomicI64::new(1),
            next_message: AtomicI64::new(1),
            next_callback: AtomicI64::new(1),
            shown: Mutex::new(Vec::new()),
        }
    }

    // ------------------------------------------------------------ the clock

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn set_now(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    // ------------------------------------------------------------ sending events

    /// Handles one event from `user` in `chat`, exactly as the bot would, and records what the
    /// bot sent. Returns the whole outcome, failure included.
    pub async fn handle(
        &self,
        user: &User,
        chat: ChatRef,
        content: Content,
        reply_to: Option<&User>,
    ) -> Handled {
        let message_id = match &content {
            // A press carries the id of the message with the button: use `press_raw` to name it.
            Content::Button { .. } => 0,
            _ => self.next_message_id(),
        };
        self.handle_on(user, chat, message_id, content, reply_to).await
    }

    async fn handle_on(
        &self,
        user: &User,
        chat: ChatRef,
        message_id: i64,
        content: Content,
        reply_to: Option<&User>,
    ) -> Handled {
        let msg = Incoming {
            update_id: self.next_update.fetch_add(1, Ordering::SeqCst),
            chat,
            from: user.person(),
            message_id,
            sent_at: self.now(),
            content,
            reply_to: reply_to.map(User::person),
        };
        self.deliver(&msg).await
    }

    /// Someone on another platform, known there by the string `external_id` (a DingTalk staff
    /// id): the core's id for them is the handle the platform would get for it.
    pub async fn user_on(&self, platform: Platform, external_id: &str, name: &str) -> User {
        let id = self.core.store.handle(platform, external_id).await.unwrap();
        User { id, name: name.to_owned(), platform }
    }

    /// The event `user` would send in their private chat, numbered like the next one, to hand
    /// to [`Conversation::deliver`] (once, or twice as a redelivery).
    pub fn incoming(&self, user: &User, content: Content) -> Incoming {
        Incoming {
            update_id: self.next_update.fetch_add(1, Ordering::SeqCst),
            chat: private(user),
            from: user.person(),
            message_id: self.next_message_id(),
            sent_at: self.now(),
            content,
            reply_to: None,
        }
    }

    /// Handles an event built beforehand, as given.
    pub async fn deliver(&self, msg: &Incoming) -> Handled {
        let handled = sansong::chat::handle(&self.core, &self.chat, msg).await;
        self.record(msg.chat.id, &handled.replies);
        handled
    }

    /// Like [`Conversation::handle`] in the user's private chat, insisting that nothing broke
    /// inside (a polite refusal is fine; an apology for an internal error is not).
    async fn in_private(&self, user: &User, content: Content) -> Vec<Reply> {
        let msg = self.incoming(user, content);
        let handled = self.deliver(&msg).await;
        assert_eq!(handled.failure, None, "{:?} from {} failed inside: {handled:#?}", msg.content, user.name);
        handled.replies
    }

    /// `user` wrote `text` at `sent_at` and it arrives now (late, after an outage, or across a
    /// week boundary).
    pub async fn say_at(&self, user: &User, text: &str, sent_at: DateTime<Utc>) -> Vec<Reply> {
        let msg = Incoming { sent_at, ..self.incoming(user, Content::Text(text.to_owned())) };
        let handled = self.deliver(&msg).await;
        assert_eq!(handled.failure, None, "{text:?} from {} failed inside: {handled:#?}", user.name);
        handled.replies
    }

    /// `user` writes `text` to the bot in their private chat.
    pub async fn say(&self, user: &User, text: &str) -> Vec<Reply> {
        self.in_private(user, Content::Text(text.to_owned())).await
    }

    /// `user` sends a photo, with or without a caption.
    pub async fn photo(&self, user: &User, file_id: &str, caption: Option<&str>) -> Vec<Reply> {
        let content =
            Content::Photo { file_id: file_id.to_owned(), caption: caption.map(str::to_owned), album: None };
        self.in_private(user, content).await
    }

    /// `user` shares a location.
    pub async fn location(&self, user: &User, latitude: f64, longitude: f64) -> Vec<Reply> {
        self.in_private(user, Content::Location { latitude, longitude }).await
    }

    /// `user` writes `text` in the group `group_id` (negative, as Telegram's are).
    pub async fn in_group(&self, user: &User, group_id: i64, text: &str) -> Vec<Reply> {
        self.in_group_content(user, group_id, Content::Text(text.to_owned()), None).await
    }

    /// `user` writes `text` in a group as a reply to a message of `to`.
    pub async fn in_group_replying(&self, user: &User, group_id: i64, text: &str, to: &User) -> Vec<Reply> {
        self.in_group_content(user, group_id, Content::Text(text.to_owned()), Some(to)).await
    }

    pub async fn in_group_content(
        &self,
        user: &User,
        group_id: i64,
        content: Content,
        reply_to: Option<&User>,
    ) -> Vec<Reply> {
        assert!(group_id < 0, "group chats have negative ids");
        let chat = ChatRef { id: group_id, private: false };
        let handled = self.handle(user, chat, content, reply_to).await;
        assert_eq!(handled.failure, None, "{handled:#?}");
        handled.replies
    }

    /// `user` presses the button whose label contains `label` on one of `on` (the last one
    /// that has such a button), in their private chat.
    pub async fn press(&self, user: &User, on: &(impl Pressable + ?Sized), label: &str) -> Vec<Reply> {
        let (message_id, data) = self.find_button(user.id, on.replies(), label);
        self.press_data(user, message_id, &data).await
    }

    /// `user` presses a button with this callback data on message `message_id` (a stale or
    /// forged button, or one a test builds itself).
    pub async fn press_data(&self, user: &User, message_id: i64, data: &str) -> Vec<Reply> {
        let handled = self.press_raw(user, message_id, data).await;
        assert_eq!(handled.failure, None, "pressing {data:?} failed inside: {handled:#?}");
        handled.replies
    }

    pub async fn press_raw(&self, user: &User, message_id: i64, data: &str) -> Handled {
        let callback_id = format!("cb-{}", self.next_callback.fetch_add(1, Ordering::SeqCst));
        let content = Content::Button { callback_id: callback_id.clone(), data: data.to_owned() };
        let handled = self.handle_on(user, private(user), message_id, content, None).await;
        let answers = handled
            .replies
            .iter()
            .filter(|r| matches!(r, Reply::Answer { callback_id: c, .. } if *c == callback_id))
            .count();
        assert_eq!(answers, 1, "a press is answered exactly once (or the client spins): {handled:#?}");
        handled
    }

    // ------------------------------------------------------------ what the bot sent

    /// The bot shows `reply` in `user`'s private chat as if another part of it had sent it (a
    /// notice from the outbox); returns it as sent, so its buttons can be pressed.
    pub fn bot_sends(&self, user: &User, reply: Reply) -> Vec<Reply> {
        let replies = vec![reply];
        self.record(user.id, &replies);
        replies
    }

    /// Every message the bot sent to `chat_id`, oldest first, as it shows now.
    pub fn shown_in(&self, chat_id: i64) -> Vec<Shown> {
        self.shown.lock().unwrap().iter().filter(|s| s.chat_id == chat_id).cloned().collect()
    }

    /// A message as it shows now.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Shown> {
        self.shown
            .lock()
            .unwrap()
            .iter()
            .find(|s| s.chat_id == chat_id && s.message_id == message_id)
            .cloned()
    }

    /// The id the bot's message got: the latest message in the chat that is, or was sent as,
    /// `reply`.
    pub fn message_id_of(&self, chat_id: i64, reply: &Reply) -> Option<i64> {
        self.shown
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s.chat_id == chat_id && (s.reply == *reply || s.sent == *reply))
            .map(|s| s.message_id)
    }

    fn next_message_id(&self) -> i64 {
        self.next_message.fetch_add(1, Ordering::SeqCst)
    }

    fn record(&self, chat_id: i64, replies: &[Reply]) {
        let mut shown = self.shown.lock().unwrap();
        for reply in replies {
            match reply {
                Reply::Send { .. } | Reply::Media { .. } | Reply::Upload { .. } => {
                    let message_id = self.next_message_id();
                    shown.push(Shown { chat_id, message_id, reply: reply.clone(), sent: reply.clone() });
                }
                Reply::Edit { message_id, text, keyboard } => {
                    if let Some(s) =
                        shown.iter_mut().find(|s| s.chat_id == chat_id && s.message_id == *message_id)
                    {
                        s.reply = Reply::Send { text: text.clone(), keyboard: keyboard.clone() };
                    }
                }
                Reply::EditButtons { message_id, keyboard } => {
                    if let Some(s) =
                        shown.iter_mut().find(|s| s.chat_id == chat_id && s.message_id == *message_id)
                    {
                        match &mut s.reply {
                            Reply::Send { keyboard: k, .. } | Reply::Media { keyboard: k, .. } => {
                                *k = Some(keyboard.clone());
                            }
                            _ => {}
                        }
                    }
                }
                Reply::Answer { .. } | Reply::Menu { .. } | Reply::MenuFor { .. } => {}
            }
        }
    }

    /// The message id and data of the button labelled (in part) `label`.
    fn find_button(&self, chat_id: i64, replies: &[Reply], label: &str) -> (i64, String) {
        for reply in replies.iter().rev() {
            let (message_id, keyboard) = match reply {
                Reply::Edit { message_id, keyboard: Some(k), .. } => (Some(*message_id), k),
                Reply::EditButtons { message_id, keyboard } => (Some(*message_id), keyboard),
                Reply::Send { keyboard: Some(k), .. } | Reply::Media { keyboard: Some(k), .. } => {
                    (self.message_id_of(chat_id, reply), k)
                }
                _ => continue,
            };
            if let Some(button) = keyboard.rows.iter().flatten().find(|b| b.label.contains(label)) {
                let message_id = message_id.unwrap_or_else(|| panic!("{reply:#?} was never sent"));
                return (message_id, button.data.clone());
            }
        }
        panic!("no button {label:?} in {replies:#?}")
    }

    // ------------------------------------------------------------ setting up

    /// An invite code for `unit` and `role`, as `sansong invite` makes it.
    pub async fn invite(&self, unit: &str, role: Role, uses: u32) -> String {
        let request = InviteRequest {
            unit: Some(unit.to_owned()),
            role: Some(role),
            uses: Some(uses),
            expires_in: None,
        };
        sansong::members::create_invite(&self.core, &Actor::Cli, &request, None).await.unwrap().code
    }

    /// Registers `user` through the chat (`/start <code>`); returns the welcome.
    pub async fn register(&self, user: &User, unit: &str, role: Role) -> Vec<Reply> {
        let code = self.invite(unit, role, 1).await;
        self.register_with(&code, user).await
    }

    /// `user` opens an invite link: `/start <code>`; returns the welcome.
    pub async fn register_with(&self, code: &str, user: &User) -> Vec<Reply> {
        let welcome = self.say(user, &format!("/start {code}")).await;
        assert!(text(&welcome).contains(&format!("欢迎您，{}", user.name)), "{welcome:#?}");
        welcome
    }

    /// `user`'s membership, as stored.
    pub async fn member(&self, user: &User) -> Option<Member> {
        self.core.store.member_by_person(user.id).await.unwrap()
    }

    // ------------------------------------------------------------ looking at the database

    /// `user`'s counted (not undone) check-ins: (id, kind, description).
    pub async fn checkins_of(&self, user: &User) -> Vec<(i64, String, String)> {
        counted_checkins(&self.core, user.id).await
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        crate::shared::scalar(&self.core, sql).await
    }

    /// One scheduler tick: fires due notices into deliveries (nothing is sent: no sender runs).
    pub async fn fire_notices(&self) -> usize {
        sansong::notices::scheduler::tick(&self.core).await.unwrap()
    }

    /// Plays the outbox sender for `user`'s oldest pending notice: shows it in their chat with
    /// the buttons the sender puts on it (`ak:<delivery>` for 「收到」, `gx:<notice>` for
    /// 「去宣讲」) and marks the delivery sent. Returns it as shown, so it can be pressed.
    pub async fn deliver_notice(&self, user: &User) -> Vec<Reply> {
        let (delivery, notice, body, ack, policy): (i64, i64, String, bool, bool) = sqlx::query_as(
            "SELECT d.id, n.id, n.body, n.ack_required, n.policy
             FROM deliveries d JOIN notice_runs r ON r.id = d.run_id JOIN notices n ON n.id = r.notice_id
             JOIN members m ON m.id = d.member_id
             WHERE m.registered_as = ? AND d.kind = 'notice' AND d.status = 'pending' ORDER BY d.id LIMIT 1",
        )
        .bind(user.id)
        .fetch_optional(self.core.store.pool())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no pending notice for {}", user.name));
        let mut rows = Vec::new();
        if ack {
            rows.push(vec![Button::new(BUTTON_ACK, ButtonData::Ack { delivery_id: delivery }.encode())]);
        }
        if policy {
            rows.push(vec![Button::new(BUTTON_SPREAD, ButtonData::Spread { notice_id: notice }.encode())]);
        }
        let keyboard = (!rows.is_empty()).then_some(Keyboard { rows });
        let shown = self.bot_sends(user, Reply::Send { text: body, keyboard });
        let message_id = self.message_id_of(user.id, &shown[0]).unwrap();
        self.core.store.delivery_sent(delivery, message_id, self.now()).await.unwrap();
        shown
    }

    /// The notice deliveries queued for `user`, oldest first.
    pub async fn deliveries_to(&self, user: &User) -> Vec<i64> {
        sqlx::query_scalar(
            "SELECT d.id FROM deliveries d JOIN members m ON m.id = d.member_id
             WHERE m.registered_as = ? AND d.kind = 'notice' ORDER BY d.id",
        )
        .bind(user.id)
        .fetch_all(self.core.store.pool())
        .await
        .unwrap()
    }
}

/// `user`'s private chat with the bot.
pub fn private(user: &User) -> ChatRef {
    ChatRef { id: user.id, private: true }
}

/// The text of each `Send`, `Edit` and `Answer` (with a text), in order.
pub fn texts(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .filter_map(|r| match r {
            Reply::Send { text, .. } | Reply::Edit { text, .. } => Some(text.clone()),
            Reply::Answer { text, .. } => text.clone(),
            _ => None,
        })
        .collect()
}

/// All of [`texts`] in one string, for `contains`.
pub fn text(replies: &[Reply]) -> String {
    texts(replies).join("\n")
}

/// The keyboards in `replies`, in order.
pub fn keyboards(replies: &[Reply]) -> impl Iterator<Item = &Keyboard> {
    replies.iter().filter_map(|r| match r {
        Reply::Send { keyboard: Some(k), .. }
        | Reply::Edit { keyboard: Some(k), .. }
        | Reply::Media { keyboard: Some(k), .. }
        | Reply::EditButtons { keyboard: k, .. } => Some(k),
        _ => None,
    })
}

/// The callback data of the (last) button labelled, in part, `label`.
pub fn button_data(replies: &[Reply], label: &str) -> String {
    let keyboards: Vec<&Keyboard> = keyboards(replies).collect();
    keyboards
        .into_iter()
        .rev()
        .find_map(|k| k.rows.iter().flatten().find(|b| b.label.contains(label)))
        .map(|b| b.data.clone())
        .unwrap_or_else(|| panic!("no button {label:?} in {replies:#?}"))
}

/// The labels of every button in `replies`, in order.
pub fn labels(replies: &[Reply]) -> Vec<String> {
    keyboards(replies).flat_map(|k| k.rows.iter().flatten().map(|b| b.label.clone())).collect()
}

/// The number after `#` in a text (a check-in's or notice's id).
pub fn number_after_hash(text: &str) -> i64 {
    let digits: String = text
        .split('#')
        .nth(1)
        .unwrap_or_else(|| panic!("no # in {text}"))
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or_else(|_| panic!("no number after # in {text}"))
}
