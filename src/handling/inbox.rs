//! The reading side every streaming platform shares (DingTalk, WeCom): the platform's inbox
//! read in order, each row handed to its chat's task, so one chat's messages stay in order
//! while other chats go on; a panic (a bug) in one message is logged and the row marked
//! failed, and that chat's next messages go on.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::core::Core;
use crate::domain::Platform;
use crate::store::UpdateKey;

/// One inbox row: its position, key and payload.
#[derive(Debug, Clone)]
pub struct Row {
    pub seq: i64,
    pub key: String,
    pub payload: String,
}

/// How long a chat's task waits for more before it ends (a new one starts when needed).
const IDLE: Duration = Duration::from_secs(300);

/// Reads `platform`'s inbox until shutdown. `chat_of` names a row's chat (its payload's
/// conversation); `handle` handles one row and marks it done.
pub async fn run<H, Fut>(
    core: Core,
    platform: Platform,
    notify: Arc<Notify>,
    shutdown: CancellationToken,
    chat_of: fn(&str) -> String,
    handle: H,
) where
    H: Fn(Row) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut cursor = 0i64;
    let mut chats: HashMap<String, mpsc::UnboundedSender<Row>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let rows = match core.store.inbox_pending(platform, cursor, 100).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::error!(error = %e, %platform, "could not read the inbox; retrying");
                Vec::new()
            }
        };
        if rows.is_empty() {
            tokio::select! {
                () = notify.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
                () = shutdown.cancelled() => break,
            }
            chats.retain(|_, tx| !tx.is_closed());
            continue;
        }
        while tasks.try_join_next().is_some() {}
        for row in rows {
            cursor = row.seq;
            let chat = chat_of(&row.payload);
            let mut item = Row { seq: row.seq, key: row.key, payload: row.payload };
            // A chat's task that ended (idle) refuses the row: a new one takes it. Nothing the
            // cursor has passed is left behind.
            loop {
                let tx = chats.entry(chat.clone()).or_insert_with(|| {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let task = chat_task(core.clone(), platform, rx, shutdown.clone(), handle.clone());
                    tasks.spawn(task);
                    tx
                });
                match tx.send(item) {
                    Ok(()) => break,
                    Err(mpsc::error::SendError(back)) => {
                        chats.remove(&chat);
                        item = back;
                    }
                }
            }
        }
    }
    drop(chats);
    while tasks.join_next().await.is_some() {}
}

/// One chat's messages, in order; ends when the chat is idle for a while or at shutdown.
async fn chat_task<H, Fut>(
    core: Core,
    platform: Platform,
    mut rx: mpsc::UnboundedReceiver<Row>,
    shutdown: CancellationToken,
    handle: H,
) where
    H: Fn(Row) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        let next = tokio::select! {
            n = rx.recv() => n,
            () = tokio::time::sleep(IDLE) => {
                // Idle: take no more, but handle what arrived meanwhile.
                rx.close();
                while let Ok(row) = rx.try_recv() {
                    guarded(&core, platform, &handle, row).await;
                }
                return;
            }
            () = shutdown.cancelled() => None,
        };
        let Some(row) = next else { return };
        guarded(&core, platform, &handle, row).await;
    }
}

/// Reads a row into what its handling needs (`read`: `Ok(None)` for a message that says
/// nothing to the bot). A payload that does not parse is skipped and the next ones go on; any
/// other failure (the database busy a moment) is tried again a few times before the row is
/// marked failed. `None` when the row is finished here (or shutdown came first: it stays).
pub async fn read<T, F, Fut>(
    core: &Core,
    update: &UpdateKey<'_>,
    shutdown: &CancellationToken,
    mut read: F,
) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let key = update.key;
    let mut attempt = 0u32;
    loop {
        match read().await {
            Ok(Some(read)) => return Some(read),
            Ok(None) => super::finish(core, update, "ignored", None).await,
            Err(e) if e.downcast_ref::<serde_json::Error>().is_some() => {
                tracing::warn!(update = key, platform = %update.platform, error = %e, "a message the bot cannot read was skipped");
                super::finish(core, update, "skipped", Some(&e.to_string())).await;
            }
            Err(e) if attempt < 6 => {
                attempt += 1;
                tracing::warn!(update = key, platform = %update.platform, error = %e, attempt, "could not read a message; retrying");
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))) => continue,
                    () = shutdown.cancelled() => {}
                }
            }
            Err(e) => super::finish(core, update, "failed", Some(&e.to_string())).await,
        }
        return None;
    }
}

/// `handle(row)`, with a panic (a bug) logged and the row marked failed.
async fn guarded<H, Fut>(core: &Core, platform: Platform, handle: &H, row: Row)
where
    H: Fn(Row) -> Fut,
    Fut: Future<Output = ()>,
{
    let key = row.key.clone();
    if std::panic::AssertUnwindSafe(handle(row)).catch_unwind().await.is_err() {
        tracing::error!(update = key, %platform, "handling a message panicked");
        super::finish(core, &UpdateKey { platform, key: &key }, "failed", Some("panicked")).await;
    }
}
