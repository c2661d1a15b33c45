//! Telegram updates into platform-neutral [`Incoming`] events.

use chrono::{DateTime, Utc};
use teloxide::types::{CallbackQuery, Message, MessageKind, MessageOrigin, Update, UpdateKind, User};

use crate::chat::{ChatRef, Content, Incoming};
use crate::domain::{Account, Person, Platform};

/// The event an update carries, or `None` for updates the bot does not act on (edits, channel
/// posts, service messages, other bots, membership changes).
pub fn incoming(update: &Update, now: DateTime<Utc>) -> Option<Incoming> {
    let update_id = i64::from(update.id.0);
    match &update.kind {
        UpdateKind::Message(m) => message(update_id, m),
        UpdateKind::CallbackQuery(q) => callback(update_id, q, now),
        UpdateKind::MyChatMember(change) if change.chat.is_private() => Some(Incoming {
            update_id,
            chat: ChatRef { id: change.chat.id.0, private: true },
            from: person(&change.from),
            message_id: 0,
            sent_at: change.date,
            // In a private chat, "banned" is how Telegram says the person blocked the bot.
            content: Content::Membership { blocked: change.new_chat_member.is_banned() },
            reply_to: None,
        }),
        _ => None,
    }
}

fn person(user: &User) -> Person {
    Person {
        // Telegram ids fit in 52 bits; the cast cannot wrap. They serve as the core's own ids
        // for Telegram people and chats (see `domain::Account`).
        account: Account { platform: Platform::Telegram, person_id: user.id.0 as i64 },
        name: user.full_name().trim().to_owned(),
        username: user.username.clone(),
    }
}

fn message(update_id: i64, m: &Message) -> Option<Incoming> {
    let from = m.from.as_ref().filter(|u| !u.is_bot)?;
    if !matches!(m.kind, MessageKind::Common(_)) {
        return None;
    }
    let content = if let Some(text) = m.text() {
        Content::Text(text.to_owned())
    } else if let Some(sizes) = m.photo() {
        // Telegram lists sizes smallest first; the last is the original.
        let largest = sizes.last()?;
        Content::Photo {
            file_id: largest.file.id.0.clone(),
            caption: m.caption().map(str::to_owned),
            album: m.media_group_id().map(|g| g.0.clone()),
        }
    } else if let Some(loc) = m.location() {
        Content::Location { latitude: loc.latitude, longitude: loc.longitude }
    } else if m.sticker().is_some() {
        Content::Other("sticker")
    } else if m.voice().is_some() {
        Content::Other("voice")
    } else if let Some(doc) = m.document() {
        Content::Document {
            file_id: doc.file.id.0.clone(),
            name: doc.file_name.clone(),
            caption: m.caption().map(str::to_owned),
        }
    } else {
        Content::Other("other")
    };
    Some(Incoming {
        update_id,
        chat: ChatRef { id: m.chat.id.0, private: m.chat.is_private() },
        from: person(from),
        message_id: i64::from(m.id.0),
        sent_at: m.date,
        content,
        reply_to: m.reply_to_message().and_then(author),
    })
}

/// Who wrote a message: the original author of a forwarded message when Telegram reveals them
/// (an admin forwards a member's message to the bot and replies to it), otherwise its sender.
/// Never a bot.
fn author(m: &Message) -> Option<Person> {
    let user = match m.forward_origin() {
        Some(MessageOrigin::User { sender_user, .. }) => Some(sender_user),
        Some(_) => None,
        None => m.from.as_ref(),
    };
    user.filter(|u| !u.is_bot).map(person)
}

fn callback(update_id: i64, q: &CallbackQuery, now: DateTime<Utc>) -> Option<Incoming> {
    let message = q.message.as_ref()?;
    Some(Incoming {
        update_id,
        chat: ChatRef { id: message.chat().id.0, private: message.chat().is_private() },
        from: person(&q.from),
        message_id: i64::from(message.id().0),
        sent_at: now,
        content: Content::Button { callback_id: q.id.0.clone(), data: q.data.clone().unwrap_or_default() },
        reply_to: None,
    })
}
