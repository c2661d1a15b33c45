//! The terminal platform: `sansong chat --as <name>`. What is typed (or piped) goes through the
//! same core as a person of that name writing in a private chat, and the bot's replies are
//! printed, with buttons as numbered options (typing the number presses it, as on every
//! platform: see [`crate::choices`]). No account and no network: a newcomer sees the whole bot
//! in a minute, and an admin can walk through the notice composer and its preview.
//!
//! It is a platform like any other, in one folder: each line is written to the inbox before it
//! is handled (keyed by platform), replies and notices to this person are printed by one
//! sending side, and its limits are the terminal's (none). Notices to terminal members who are
//! not at this terminal fail at once with that reason: there is nobody to print them for.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::chat::{ChatContext, ChatRef, Content, Incoming, Keyboard, Reply};
use crate::core::Core;
use crate::domain::{Account, Person, Platform};
use crate::jobs::{self, JobContext, Updates};
use crate::notices::sender::{Messenger, NoticeAction, OutMedia, Outgoing, SendOutcome, SenderSettings};
use crate::texts;

/// The terminal shows whatever it is given, and its options are typed as numbers.
pub const LIMITS: crate::limits::Limits = crate::limits::Limits {
    platform: Platform::Terminal,
    measure: crate::limits::Measure::Chars,
    text: None,
    caption: None,
    button_data: None,
    photo_bytes: None,
    file_bytes: None,
};

/// Where printed output goes (stdout in use, a buffer in tests).
pub type Output = Arc<Mutex<dyn Write + Send>>;

/// The chat, until the input ends or the person types 退出. Exports are saved in `files`.
pub async fn run(
    core: Core,
    name: &str,
    input: impl AsyncBufRead + Unpin,
    out: Output,
    files: PathBuf,
) -> anyhow::Result<()> {
    let person_id = core.store.handle(Platform::Terminal, name).await?;
    let person = Person {
        account: Account { platform: Platform::Terminal, person_id },
        name: name.to_owned(),
        username: None,
    };
    // Lines of an earlier session of this person killed mid-way: nobody waits for them now.
    core.store.inbox_abandon(Platform::Terminal, &format!("{person_id}:"), core.now()).await?;
    let interactive = std::io::stdin().is_terminal();
    let shutdown = CancellationToken::new();
    let scheduler_wake = Arc::new(Notify::new());
    let context = ChatContext::new(None, scheduler_wake.clone());
    // The notice scheduler and this platform's sender run while the chat is open, so a notice
    // composed here (or due now) arrives here.
    let messenger = Arc::new(Printer { person_id, out: out.clone() });
    let job_context = JobContext {
        core: core.clone(),
        platforms: vec![jobs::PlatformSides {
            updates: Arc::new(NoUpdates),
            inbox_notify: Arc::new(Notify::new()),
            messenger,
            settings: SenderSettings::at_rate(&core.config, 0.0),
            files: None,
            workbench: None,
        }],
        scheduler_wake,
        outbox_wake: Arc::new(Notify::new()),
        shutdown: shutdown.clone(),
    };
    let mut background = jobs::start(job_context, jobs::terminal_jobs());

    say(&out, &texts::cli::terminal_welcome(name));
    let mut lines = input.lines();
    loop {
        if interactive {
            prompt(&out, name);
        }
        let Some(line) = lines.next_line().await? else { break };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if texts::cli::TERMINAL_QUIT.contains(&line) {
            break;
        }
        if !interactive {
            // Piped input: echo it, so the transcript reads as a conversation.
            say(&out, &format!("{name}> {line}"));
        }
        let key = format!("{person_id}:{}", uuid_like());
        let seq = core.store.inbox_put_one(Platform::Terminal, &key, line, core.now()).await?;
        let incoming = Incoming {
            update_id: seq,
            chat: ChatRef { id: person_id, private: true },
            from: person.clone(),
            message_id: seq,
            sent_at: core.now(),
            content: Content::Text(line.to_owned()),
            reply_to: None,
        };
        // The steps every platform runs (see `crate::handling`); the terminal takes every reply.
        let handler = crate::handling::Handler {
            core: &core,
            context: &context,
            platform: Platform::Terminal,
            shutdown: &shutdown,
            flood_control: false,
        };
        handler
            .handle(&key, &incoming, |replies| {
                for reply in &replies {
                    show(&out, reply, &files);
                }
                async { Vec::new() }
            })
            .await;
    }
    // A notice published just now may still be on its way to this terminal.
    wait_for_own_notices(&core, person_id).await;
    shutdown.cancel();
    while background.join_next().await.is_some() {}
    Ok(())
}

/// Waits (a few seconds at most) until no notice for this person is due and unsent.
async fn wait_for_own_notices(core: &Core, person_id: i64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline {
        match core.store.pending_deliveries_to(Platform::Terminal, person_id, core.now()).await {
            Ok(0) | Err(_) => return,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
}

/// A key for an inbox row that no other line, of this or any earlier chat, has had.
fn uuid_like() -> String {
    format!(
        "{}-{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
        crate::members::random_token(8)
    )
}

fn say(out: &Output, text: &str) {
    let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

fn prompt(out: &Output, name: &str) {
    let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
    let _ = write!(out, "{name}> ");
    let _ = out.flush();
}

/// Buttons as numbered options, in the order the core numbers them.
fn options(keyboard: &Keyboard) -> String {
    let labels: Vec<String> =
        keyboard.rows.iter().flatten().enumerate().map(|(i, b)| format!("[{}] {}", i + 1, b.label)).collect();
    format!("  {}", labels.join("  "))
}

fn show(out: &Output, reply: &Reply, files: &std::path::Path) {
    let mut text = String::new();
    let mut add = |s: &str| {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(s);
    };
    match reply {
        Reply::Send { text: t, keyboard } | Reply::Edit { text: t, keyboard, .. } => {
            add(t);
            if let Some(k) = keyboard {
                add(&options(k));
            }
        }
        Reply::Answer { text: Some(t), .. } => add(&format!("（{t}）")),
        Reply::Answer { text: None, .. } | Reply::Menu { .. } | Reply::MenuFor { .. } => {}
        Reply::EditButtons { keyboard, .. } => add(&options(keyboard)),
        Reply::Media { kind, caption, keyboard, .. } => {
            add(&texts::cli::terminal_media(*kind, caption));
            if let Some(k) = keyboard {
                add(&options(k));
            }
        }
        Reply::Upload { name, bytes, caption, .. } => {
            let path = files.join(name);
            let saved = std::fs::create_dir_all(files).and_then(|()| std::fs::write(&path, bytes));
            add(&match saved {
                Ok(()) => texts::cli::terminal_file_saved(&path.display().to_string(), caption),
                Err(e) => texts::cli::terminal_file_failed(&path.display().to_string(), &e.to_string()),
            });
        }
    }
    if !text.is_empty() {
        say(out, &text);
    }
}

/// The terminal's sending side for notices: printed for the person at this terminal.
struct Printer {
    person_id: i64,
    out: Output,
}

impl Messenger for Printer {
    fn send<'a>(&'a self, chat_id: i64, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(async move {
            if chat_id != self.person_id {
                return SendOutcome::Permanent(texts::cli::TERMINAL_NOT_HERE.into());
            }
            let media = message.media.as_ref().map(|m| match m {
                OutMedia::FileId { kind, .. } | OutMedia::Upload { kind, .. } => *kind,
            });
            let acknowledge = message.actions.iter().any(|a| matches!(a, NoticeAction::Acknowledge { .. }));
            say(&self.out, &texts::cli::terminal_notice(&message.text, message.reminder, media, acknowledge));
            SendOutcome::Sent { message_id: 0, file_id: None }
        })
    }

    fn probe(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { true })
    }

    fn platform(&self) -> Platform {
        Platform::Terminal
    }
}

/// The terminal receives in [`run`] itself, not in a background job.
struct NoUpdates;

impl Updates for NoUpdates {
    fn redeliver(&self, _core: Core, shutdown: CancellationToken) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            shutdown.cancelled().await;
            Ok(())
        })
    }

    fn receive(
        &self,
        _core: Core,
        _inbox_notify: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async move {
            shutdown.cancelled().await;
            Ok(())
        })
    }
}
