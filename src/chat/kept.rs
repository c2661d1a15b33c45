//! Replies a platform could not take (5xx, timeouts, an outage, flow control), kept and sent
//! when it answers again, marked 补发; after `reply_give_up_minutes` they are dropped with a
//! log line and a metric. The same for every platform: only the sending is the platform's.
//! The keeping itself is the core's ([`crate::replies`]); this side turns replies into what
//! is kept and back.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::message::Reply;
use crate::core::Core;
use crate::domain::Platform;
use crate::texts;

/// How a kept reply's new try went.
pub enum Resent {
    Sent,
    /// Still not now: tried again later.
    Later,
    /// Never (the person blocked the bot, the platform refuses it): dropped.
    Dropped,
}

/// Keeps what is left of a chat's replies. A button's answer is not kept: it is useless a
/// moment later; menus are set again at every start.
pub async fn keep(core: &Core, platform: Platform, chat_id: i64, left: &[Reply]) {
    let kept: Vec<String> = left
        .iter()
        .filter(|r| !matches!(r, Reply::Answer { .. } | Reply::Menu { .. } | Reply::MenuFor { .. }))
        .filter_map(|r| serde_json::to_string(r).ok())
        .collect();
    crate::replies::keep(core, platform, chat_id, &kept).await;
}

/// Sends the platform's kept replies with `send`, each chat's in order, marked 补发.
pub async fn resend<F, Fut>(
    core: Core,
    platform: Platform,
    shutdown: CancellationToken,
    send: F,
) -> anyhow::Result<()>
where
    F: Fn(i64, Reply) -> Fut,
    Fut: Future<Output = Resent>,
{
    crate::replies::resend(core, platform, shutdown, |chat_id, json| {
        let reply = serde_json::from_str::<Reply>(&json).ok().map(late);
        let sent = reply.map(|r| send(chat_id, r));
        async move {
            match sent {
                None => crate::replies::Outcome::Unreadable,
                Some(sent) => match sent.await {
                    Resent::Sent => crate::replies::Outcome::Sent,
                    Resent::Later => crate::replies::Outcome::Later,
                    Resent::Dropped => crate::replies::Outcome::Dropped,
                },
            }
        }
    })
    .await
}

/// A reply sent after the platform came back says so.
pub fn late(reply: Reply) -> Reply {
    let mark = |t: String| format!("{}{t}", texts::LATE_MARK);
    match reply {
        Reply::Send { text, keyboard } => Reply::Send { text: mark(text), keyboard },
        Reply::Edit { message_id, text, keyboard } => Reply::Edit { message_id, text: mark(text), keyboard },
        Reply::Media { kind, file_id, caption, keyboard } => {
            Reply::Media { kind, file_id, caption: mark(caption), keyboard }
        }
        Reply::Upload { kind, name, bytes, caption } => {
            Reply::Upload { kind, name, bytes, caption: mark(caption) }
        }
        other => other,
    }
}
