//! One way to drive the bot on any platform, so a behaviour every platform shares is written
//! once ([`crate::both`]) and run on each: a person says something and reads what comes back.

#![allow(dead_code)]
// Only ever used with generics in this test crate, never as a trait object.
#![allow(async_fn_in_trait)]

use sansong::Core;
use sansong::domain::Role;

use super::dingtalk_app::DingTalkApp;
use super::fake_dingtalk::DtUser;
use super::fake_wecom::WcUser;
use super::terminal_app::TerminalApp;
use super::wecom_app::WeComApp;
use super::{TestApp, TgUser};

/// A message the bot sent someone, as any platform shows it.
#[derive(Debug, Clone)]
pub struct Said {
    pub text: String,
    /// Its options (buttons), where the platform shows them apart from the text.
    pub options: Vec<String>,
    /// It is (or carries) a file.
    pub file: bool,
}

pub trait Platform: Sized {
    type User: Clone;

    async fn spawn() -> Self;
    /// The `n`th person of a test, with this display name.
    fn person(n: u32, name: &str) -> Self::User;
    fn core(&self) -> &Core;
    async fn invite(&self, unit: &str, role: Role) -> String;
    /// A position in what the bot has sent.
    fn mark(&self) -> usize;
    /// `user` sends `text`.
    fn send(&self, user: &Self::User, text: &str);
    /// The first message to `user` from `after` on that `wanted` accepts, waited for.
    async fn next_such(&self, user: &Self::User, after: usize, wanted: impl Fn(&Said) -> bool) -> Said;

    /// `user` says `text`; the bot's first answer.
    async fn say(&self, user: &Self::User, text: &str) -> Said {
        let mark = self.mark();
        self.send(user, text);
        self.next_such(user, mark, |_| true).await
    }

    /// `user` says `text`; the first answer containing `expected`.
    async fn ask(&self, user: &Self::User, text: &str, expected: &str) -> Said {
        let mark = self.mark();
        self.send(user, text);
        self.next_such(user, mark, |s| {
            s.text.contains(expected) || s.options.iter().any(|o| o.contains(expected))
        })
        .await
    }
}

impl Platform for TestApp {
    type User = TgUser;

    async fn spawn() -> Self {
        TestApp::spawn().await
    }

    fn person(n: u32, name: &str) -> TgUser {
        TgUser::new(80_000 + i64::from(n), name)
    }

    fn core(&self) -> &Core {
        &self.core
    }

    async fn invite(&self, unit: &str, role: Role) -> String {
        TestApp::invite(self, unit, role, 10).await
    }

    fn mark(&self) -> usize {
        self.fake.mark()
    }

    fn send(&self, user: &TgUser, text: &str) {
        self.fake.text(user, text);
    }

    async fn next_such(&self, user: &TgUser, after: usize, wanted: impl Fn(&Said) -> bool) -> Said {
        self.fake
            .wait_for(&format!("a message to {}", user.first_name), |v| {
                v.outgoing()
                    .iter()
                    .filter(|o| o.chat_id == user.id && o.seq >= after)
                    .map(|o| Said {
                        text: o.text.clone(),
                        options: o.labels().into_iter().map(str::to_owned).collect(),
                        file: o.media.as_ref().is_some_and(|m| m.0 == "document"),
                    })
                    .find(|s| wanted(s))
            })
            .await
    }
}

impl Platform for DingTalkApp {
    type User = DtUser;

    async fn spawn() -> Self {
        DingTalkApp::spawn().await
    }

    fn person(n: u32, name: &str) -> DtUser {
        DtUser::new(&format!("manager{n:04}"), name)
    }

    fn core(&self) -> &Core {
        &self.core
    }

    async fn invite(&self, unit: &str, role: Role) -> String {
        DingTalkApp::invite(self, unit, role).await
    }

    fn mark(&self) -> usize {
        self.fake.mark()
    }

    fn send(&self, user: &DtUser, text: &str) {
        self.fake.say(user, text);
    }

    async fn next_such(&self, user: &DtUser, after: usize, wanted: impl Fn(&Said) -> bool) -> Said {
        self.fake
            .wait_for(&format!("a message to {}", user.staff_id), |f| {
                f.sent()
                    .into_iter()
                    .filter(|s| s.to == user.staff_id && s.seq >= after)
                    .map(|s| Said { text: s.text.clone(), options: Vec::new(), file: s.key == "sampleFile" })
                    .find(|s| wanted(s))
            })
            .await
    }
}

impl Platform for WeComApp {
    type User = WcUser;

    async fn spawn() -> Self {
        WeComApp::spawn().await
    }

    /// WeCom's callbacks carry the userid and no name, so the bot calls a person by their
    /// userid until told otherwise: here the userid is the name the test expects.
    fn person(_n: u32, name: &str) -> WcUser {
        WcUser::new(name, name)
    }

    fn core(&self) -> &Core {
        &self.core
    }

    async fn invite(&self, unit: &str, role: Role) -> String {
        WeComApp::invite(self, unit, role).await
    }

    fn mark(&self) -> usize {
        self.fake.mark()
    }

    fn send(&self, user: &WcUser, text: &str) {
        self.fake.say(user, text);
    }

    async fn next_such(&self, user: &WcUser, after: usize, wanted: impl Fn(&Said) -> bool) -> Said {
        self.fake
            .wait_for(&format!("a message to {}", user.userid), |f| {
                f.sent()
                    .into_iter()
                    .filter(|s| s.to == user.userid && s.seq >= after && s.is_message())
                    .map(|s| Said { text: s.text.clone(), options: s.labels(), file: s.msgtype == "file" })
                    .find(|s| wanted(s))
            })
            .await
    }
}

impl Platform for TerminalApp {
    /// The name the person opened their terminal with (`sansong chat --as 张三`).
    type User = String;

    async fn spawn() -> Self {
        TerminalApp::spawn().await
    }

    fn person(_n: u32, name: &str) -> String {
        name.to_owned()
    }

    fn core(&self) -> &Core {
        &self.core
    }

    async fn invite(&self, unit: &str, role: Role) -> String {
        TerminalApp::invite(self, unit, role).await
    }

    fn mark(&self) -> usize {
        TerminalApp::mark(self)
    }

    fn send(&self, user: &String, text: &str) {
        self.type_line(user, text);
    }

    async fn next_such(&self, user: &String, after: usize, wanted: impl Fn(&Said) -> bool) -> Said {
        let said = |p: &super::terminal_app::Printed| Said {
            text: p.text.clone(),
            // The terminal prints options inside the text, as `[1] 预览`.
            options: Vec::new(),
            file: p.text.starts_with("[文件已保存"),
        };
        let found = TerminalApp::next_such(self, user, after, |p| wanted(&said(p))).await;
        said(&found)
    }
}
