//! `TerminalApp::spawn()`: the terminal platform (what `sansong chat --as <name>` runs,
//! [`sansong::terminal::run`]) in this process, one session per person, on a real SQLite file
//! with the example organisation loaded and the test's clock. Lines are typed into a session
//! and what it prints is read back, message by message, as a person at a terminal reads it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sansong::Core;
use sansong::clock::ShiftedClock;
use sansong::config::Config;
use sansong::domain::Role;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, mpsc};

use super::shared::{self, default_now};

/// How long a wait for something printed may take.
const DEADLINE: Duration = Duration::from_secs(20);

/// One thing a session printed (a reply, a notice), in the order printed.
#[derive(Debug, Clone)]
pub struct Printed {
    pub seq: usize,
    /// The name of the person at that terminal.
    pub to: String,
    pub text: String,
}

#[derive(Default)]
struct Screen {
    printed: Mutex<Vec<Printed>>,
    changed: Notify,
}

pub struct TerminalApp {
    pub core: Core,
    pub dir: TempDir,
    pub clock: ShiftedClock,
    screen: Arc<Screen>,
    /// Each person's session: where their typed lines go.
    sessions: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
}

impl TerminalApp {
    pub async fn spawn() -> TerminalApp {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("sansong.db").display());
        // Notices published in a session are looked for at once (the composer wakes the
        // scheduler); the short tick only matters for times that fall due.
        let config = Config { scheduler_tick: Duration::from_millis(50), ..shared::test_config(&db_url) };
        let clock = ShiftedClock::starting_at(default_now());
        let core = shared::core_with_org(config, &clock).await;
        TerminalApp { core, dir, clock, screen: Arc::default(), sessions: Mutex::default() }
    }

    /// An invite to `unit` in `role`, made as the command line makes it.
    pub async fn invite(&self, unit: &str, role: Role) -> String {
        super::app::invite_code(&self.core, unit, role, 50).await
    }

    /// A position in what every session has printed.
    pub fn mark(&self) -> usize {
        self.screen.printed.lock().unwrap().len()
    }

    /// `name` types `line` at their terminal (opened on first use, as `sansong chat --as name`).
    pub fn type_line(&self, name: &str, line: &str) {
        let mut sessions = self.sessions.lock().unwrap();
        let input = sessions.entry(name.to_owned()).or_insert_with(|| self.open(name));
        input.send(line.to_owned()).expect("the session is open");
    }

    /// Opens `name`'s session: its input fed from a channel, its output onto the screen.
    fn open(&self, name: &str) -> mpsc::UnboundedSender<String> {
        let (lines, mut typed) = mpsc::unbounded_channel::<String>();
        let (mut keyboard, input) = tokio::io::duplex(64 * 1024);
        tokio::spawn(async move {
            while let Some(line) = typed.recv().await {
                if keyboard.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        let output: sansong::terminal::Output = Arc::new(Mutex::new(Session {
            name: name.to_owned(),
            line: Vec::new(),
            screen: self.screen.clone(),
        }));
        let (core, name, files) = (self.core.clone(), name.to_owned(), self.dir.path().join("files"));
        tokio::spawn(async move {
            let input = tokio::io::BufReader::new(input);
            if let Err(e) = sansong::terminal::run(core, &name, input, output, files).await {
                panic!("the terminal session of {name} failed: {e:#}");
            }
        });
        lines
    }

    /// The first message printed for `name` from `after` on that `wanted` accepts, waited for.
    pub async fn next_such(&self, name: &str, after: usize, wanted: impl Fn(&Printed) -> bool) -> Printed {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let changed = self.screen.changed.notified();
            let found = {
                let printed = self.screen.printed.lock().unwrap();
                printed[after.min(printed.len())..].iter().find(|p| p.to == name && wanted(p)).cloned()
            };
            if let Some(found) = found {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let seen: Vec<String> =
                    self.screen.printed.lock().unwrap().iter().map(|p| p.text.clone()).collect();
                panic!(
                    "timed out waiting for a message to {name}; the terminals printed:\n{}",
                    seen.join("\n---\n")
                );
            }
        }
    }

    /// Everything printed for `name`, in order.
    pub fn printed_to(&self, name: &str) -> Vec<String> {
        self.screen.printed.lock().unwrap().iter().filter(|p| p.to == name).map(|p| p.text.clone()).collect()
    }
}

/// What one session prints: each flushed message (the terminal flushes after each) is one
/// [`Printed`]. The prompt and the echo of a typed line are the person's own, not the bot's.
struct Session {
    name: String,
    line: Vec<u8>,
    screen: Arc<Screen>,
}

impl Write for Session {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.line)).trim_end().to_owned();
        if text.is_empty() || text.starts_with(&format!("{}>", self.name)) {
            return Ok(());
        }
        let mut printed = self.screen.printed.lock().unwrap();
        let seq = printed.len();
        printed.push(Printed { seq, to: self.name.clone(), text });
        drop(printed);
        self.screen.changed.notify_waiters();
        Ok(())
    }
}
