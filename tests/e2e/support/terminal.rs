//! `sansong chat --as <name>` driven like a person at a terminal: a line typed, then the output
//! read until what is expected has been printed (with a deadline), then the next line.

// The benches include this support folder but do not drive a terminal.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

use super::repo_path;

const DEADLINE: Duration = Duration::from_secs(20);

pub struct Terminal {
    child: Child,
    stdin: Option<ChildStdin>,
    output: mpsc::UnboundedReceiver<String>,
    /// Everything printed so far.
    pub printed: String,
    /// Where `printed` stood when the last line was typed.
    mark: usize,
}

impl Terminal {
    /// Opens `sansong chat --as <name>` on the database, saving files in `files`.
    pub fn open(db_url: &str, name: &str, files: &std::path::Path) -> Terminal {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sansong"))
            .args(["chat", "--as", name, "--files", files.to_str().unwrap()])
            .env("SANSONG_DATABASE_URL", db_url)
            .env("SANSONG_CONFIG", repo_path("config/default.toml"))
            .env("SANSONG_HOLIDAYS_DIR", repo_path("config/holidays"))
            // The session runs on the real clock: a notice composed at night is not held.
            .env("SANSONG_QUIET_HOURS", "off")
            .env_remove("TELOXIDE_TOKEN")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the sansong binary runs");
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("stdout");
        let (tx, output) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            let mut pending = Vec::new();
            loop {
                match stdout.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        pending.extend_from_slice(&buf[..n]);
                        // Hand on whole UTF-8 only.
                        let upto = match std::str::from_utf8(&pending) {
                            Ok(_) => pending.len(),
                            Err(e) => e.valid_up_to(),
                        };
                        let text = String::from_utf8_lossy(&pending[..upto]).into_owned();
                        pending.drain(..upto);
                        if tx.send(text).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Terminal { child, stdin, output, printed: String::new(), mark: 0 }
    }

    /// Types a line.
    pub async fn say(&mut self, line: &str) {
        self.mark = self.printed.len();
        let stdin = self.stdin.as_mut().expect("the terminal is open");
        stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// Waits until `text` has been printed since the last line typed; returns that output.
    pub async fn expect(&mut self, text: &str) -> String {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(found) = self.printed[self.mark..].find(text) {
                return self.printed[self.mark..self.mark + found + text.len()].to_owned();
            }
            match tokio::time::timeout_at(deadline, self.output.recv()).await {
                Ok(Some(more)) => self.printed.push_str(&more),
                Ok(None) => {
                    panic!("the terminal closed before printing {text:?}; it printed:\n{}", self.printed)
                }
                Err(_) => panic!("timed out waiting for {text:?}; the terminal printed:\n{}", self.printed),
            }
        }
    }

    /// Types `line` and waits for `text` in the answer.
    pub async fn ask(&mut self, line: &str, text: &str) -> String {
        self.say(line).await;
        self.expect(text).await
    }

    /// Ends the input and waits for the process to exit; its exit code.
    pub async fn close(mut self) -> i32 {
        drop(self.stdin.take());
        let status = tokio::time::timeout(DEADLINE, self.child.wait()).await.expect("exits").expect("status");
        status.code().unwrap_or(-1)
    }
}
