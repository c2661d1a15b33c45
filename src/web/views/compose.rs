//! 撰写通知: composing a notice at a desk, under the chat composer's rules and grammar.
//!
//! One form: the text, or a photo or file (uploaded from the PC, checked against every
//! platform in use) with its caption; the audience the viewer's role allows, each choice with
//! the number of people it reaches now; when (立即, or a time or schedule typed as in the chat:
//! `明天 09:00`, `每个工作日 09:00`, cron); 需确认 / 政策材料 / 紧急 / the reminder. 「预览」
//! shows the message as members will see it, its audience and next three send times, and the
//! pinyin-cleaning offer; 「确认发布」 publishes exactly what was previewed (a fingerprint of
//! it travels with the form) and only once: the form's nonce is the notice's source key, so
//! a double click or a re-sent form finds the notice it made before.
//!
//! The uploaded file waits in memory between 「预览」 and 「确认发布」 ([`Drafts`]), bound to
//! the person who uploaded it, for two hours at most.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::{Chrome, core_error, render};
use crate::domain::{LinkKind, Member, Role};
use crate::error::UserError;
use crate::notices::{self, Audience, Media, MediaKind, NoticeDraft, Schedule, pinyin};
use crate::texts::notices as notice_texts;
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// The largest request the form may send: the largest file any platform takes, and the words.
pub const MAX_UPLOAD: usize = 50 * 1024 * 1024 + 64 * 1024;
/// How long an uploaded file waits for 「确认发布」.
const DRAFT_LIFE: Duration = Duration::from_secs(2 * 3600);
/// Files kept at most at once, and per person (the oldest go first), and bytes in all: a few
/// people composing at once, not a store.
const MOST_DRAFTS: usize = 16;
const MOST_DRAFTS_EACH: usize = 2;
const MOST_DRAFT_BYTES: usize = 256 * 1024 * 1024;

/// A file uploaded with a notice being composed.
#[derive(Clone)]
pub struct DraftFile {
    member_id: i64,
    kind: MediaKind,
    name: String,
    content_type: &'static str,
    bytes: std::sync::Arc<[u8]>,
    at: Instant,
}

/// The files of notices being composed, by form nonce.
#[derive(Default)]
pub struct Drafts {
    files: Mutex<HashMap<String, DraftFile>>,
}

impl Drafts {
    fn put(&self, nonce: &str, file: DraftFile) {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.retain(|_, f| f.at.elapsed() < DRAFT_LIFE);
        files.remove(nonce);
        let over = |files: &HashMap<String, DraftFile>| {
            let mine = files.values().filter(|f| f.member_id == file.member_id).count();
            let bytes: usize = files.values().map(|f| f.bytes.len()).sum();
            files.len() >= MOST_DRAFTS
                || mine >= MOST_DRAFTS_EACH
                || bytes + file.bytes.len() > MOST_DRAFT_BYTES
        };
        while over(&files) {
            // This person's oldest first, then anyone's.
            let oldest = files
                .iter()
                .filter(|(_, f)| f.member_id == file.member_id)
                .min_by_key(|(_, f)| f.at)
                .or_else(|| files.iter().min_by_key(|(_, f)| f.at))
                .map(|(k, _)| k.clone());
            let Some(oldest) = oldest else { break };
            files.remove(&oldest);
        }
        files.insert(nonce.to_owned(), file);
    }

    /// The file of `nonce`, if `member_id` uploaded it and it has not expired.
    fn get(&self, nonce: &str, member_id: i64) -> Option<DraftFile> {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.get(nonce).filter(|f| f.member_id == member_id && f.at.elapsed() < DRAFT_LIFE).cloned()
    }

    fn drop_file(&self, nonce: &str, member_id: i64) {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if files.get(nonce).is_some_and(|f| f.member_id == member_id) {
            files.remove(nonce);
        }
    }
}

/// The form as sent: every field as typed, so a refused form comes back as it was.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComposeForm {
    pub nonce: String,
    pub body: String,
    /// all | units | links | roles (admins); own | own_roles (organisers).
    pub to: String,
    pub units: Vec<i64>,
    pub links: Vec<LinkKind>,
    pub roles: Vec<Role>,
    /// now | later.
    pub when: String,
    pub when_text: String,
    pub ack: bool,
    pub policy: bool,
    pub urgent: bool,
    pub remind: bool,
    pub use_cleaned: bool,
    pub drop_file: bool,
    /// The fingerprint of what the last preview showed.
    pub previewed: String,
    /// preview | cleaned | original | publish.
    pub action: String,
}

impl ComposeForm {
    fn fresh() -> ComposeForm {
        ComposeForm {
            nonce: crate::members::random_token(16),
            to: String::new(),
            when: "now".into(),
            remind: true,
            ..ComposeForm::default()
        }
    }

    /// One field of the form.
    fn set(&mut self, name: &str, value: String) {
        let on = || matches!(value.as_str(), "1" | "on" | "true");
        match name {
            "nonce" => self.nonce = value.chars().filter(char::is_ascii_alphanumeric).take(32).collect(),
            "body" => self.body = value,
            "to" => self.to = value,
            "unit" => self.units.extend(value.parse::<i64>().ok()),
            "link" => self.links.extend(value.parse::<LinkKind>().ok()),
            "role" => self.roles.extend(value.parse::<Role>().ok()),
            "when" => self.when = value,
            "when_text" => self.when_text = value,
            "ack" => self.ack = on(),
            "policy" => self.policy = on(),
            "urgent" => self.urgent = on(),
            "remind" => self.remind = on(),
            "use_cleaned" => self.use_cleaned = on(),
            "drop_file" => self.drop_file = on(),
            "previewed" => self.previewed = value,
            "action" => self.action = value,
            _ => {}
        }
    }
}

/// The audience the form names, for `member`. An organiser's choices are their own unit (all,
/// or some roles); anything else they send is passed on as asked, for the core to refuse.
pub fn audience_of(form: &ComposeForm, member: &Member) -> Result<Audience, UserError> {
    let roles = |a: Audience| {
        if form.roles.is_empty() {
            Err(UserError::EmptyAudience)
        } else {
            Ok(Audience { roles: form.roles.clone(), ..a })
        }
    };
    let own = Audience { units: vec![member.unit_id], ..Audience::default() };
    match form.to.as_str() {
        "own" => Ok(own),
        "own_roles" => roles(own),
        "all" => Ok(Audience { all: true, ..Audience::default() }),
        "units" if !form.units.is_empty() => {
            Ok(Audience { units: form.units.clone(), ..Audience::default() })
        }
        "links" if !form.links.is_empty() => {
            Ok(Audience { links: form.links.clone(), ..Audience::default() })
        }
        "roles" => roles(Audience::default()),
        _ => Err(UserError::EmptyAudience),
    }
}

/// When the form says to send: now, or what the person typed, read by the chat's grammar.
pub fn schedule_of(
    form: &ComposeForm,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Schedule, UserError> {
    match form.when.as_str() {
        "later" => Ok(crate::schedule::parse_schedule(&form.when_text, tz, now)?),
        _ => Ok(Schedule::Now),
    }
}

/// What a photo or file is, from its first bytes (never from the name or the browser's word):
/// a picture members see (JPEG, PNG, GIF), or a document (PDF, Office, WPS, plain text).
pub fn kind_of(bytes: &[u8]) -> Option<(MediaKind, &'static str)> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some((MediaKind::Photo, "image/jpeg"))
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some((MediaKind::Photo, "image/png"))
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some((MediaKind::Photo, "image/gif"))
    } else if starts(b"%PDF-") {
        Some((MediaKind::Document, "application/pdf"))
    } else if starts(b"PK\x03\x04") {
        // docx, xlsx, pptx, WPS's own: all zip files.
        Some((MediaKind::Document, "application/zip"))
    } else if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // doc, xls, ppt, wps: the old Office compound file.
        Some((MediaKind::Document, "application/x-ole-storage"))
    } else if !bytes.is_empty() && std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
        Some((MediaKind::Document, "text/plain"))
    } else {
        None
    }
}

/// The fingerprint of what would be published: changing anything after 「预览」 means looking
/// again before 「确认发布」.
fn fingerprint(draft: &NoticeDraft, file: Option<&DraftFile>) -> String {
    let mut h = Sha256::new();
    h.update(
        format!(
            "{:?}|{:?}|{}|{}|{}|{:?}",
            draft.audience, draft.schedule, draft.ack, draft.policy, draft.urgent, draft.remind_after
        )
        .as_bytes(),
    );
    h.update(draft.body.as_bytes());
    if let Some(f) = file {
        h.update(f.name.as_bytes());
        h.update(&f.bytes);
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A choice of audience with how many it reaches now.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub size: i64,
    pub checked: bool,
}

/// What 「预览」 shows.
pub struct Preview {
    pub text: String,
    pub photo: Option<String>,
    pub file: Option<String>,
    pub buttons: Vec<&'static str>,
    pub audience: String,
    pub size: i64,
    pub schedule: String,
    pub next: Vec<String>,
    pub held: Option<String>,
    pub options: Vec<String>,
    pub pinyin: Option<String>,
    pub using_cleaned: bool,
}

#[derive(Template)]
#[template(path = "compose.html", config = "src/web/askama.toml")]
struct ComposePage {
    chrome: Chrome,
    f: ComposeForm,
    admin: bool,
    own_unit: String,
    own_size: i64,
    all_size: i64,
    units: Vec<Choice>,
    links: Vec<Choice>,
    roles: Vec<Choice>,
    file: Option<String>,
    problem: Option<String>,
    preview: Option<Preview>,
    fingerprint: String,
    remind_label: String,
    when_help: &'static str,
    file_help: String,
    previewed_changed: bool,
}

async fn compose_page(
    web: &Web,
    viewer: &Viewer,
    f: ComposeForm,
    problem: Option<String>,
    preview: Option<(Preview, String)>,
    previewed_changed: bool,
) -> Result<Response, WebError> {
    let core = &web.core;
    let m = &viewer.member;
    let size =
        |a: Audience| async move { notices::audience_size(core, &a).await.map_err(|e| core_error(web, e)) };
    let admin = m.role == Role::Admin;
    let mut units = Vec::new();
    let mut links = Vec::new();
    if admin {
        for u in crate::org::units(core).await.map_err(|e| core_error(web, e.into()))? {
            units.push(Choice {
                value: u.id.to_string(),
                checked: f.units.contains(&u.id),
                size: size(Audience { units: vec![u.id], ..Audience::default() }).await?,
                label: u.name,
            });
        }
        for l in LinkKind::ALL {
            links.push(Choice {
                value: l.as_str().to_owned(),
                label: crate::texts::link_label(l).to_owned(),
                size: size(Audience { links: vec![l], ..Audience::default() }).await?,
                checked: f.links.contains(&l),
            });
        }
    }
    let mut roles = Vec::new();
    for r in Role::ALL {
        let base = if admin {
            Audience::default()
        } else {
            Audience { units: vec![m.unit_id], ..Audience::default() }
        };
        roles.push(Choice {
            value: r.as_str().to_owned(),
            label: crate::texts::role_label(r).to_owned(),
            size: size(Audience { roles: vec![r], ..base }).await?,
            checked: f.roles.contains(&r),
        });
    }
    let file = web.drafts.get(&f.nonce, m.id).map(|d| texts::attachment(d.kind, Some(&d.name)));
    let limits: Vec<_> = core.limits().to_vec();
    let (preview, fingerprint) = match preview {
        Some((p, fp)) => (Some(p), fp),
        None => (None, String::new()),
    };
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = ComposePage {
        chrome: Chrome::plain(viewer, "notices"),
        admin,
        own_unit: m.unit_name.clone(),
        own_size: size(Audience { units: vec![m.unit_id], ..Audience::default() }).await?,
        all_size: size(Audience { all: true, ..Audience::default() }).await?,
        units,
        links,
        roles,
        file,
        problem,
        preview,
        fingerprint,
        remind_label: notice_texts::remind_option(core.config.remind_after.num_hours()),
        when_help: texts::WHEN_HELP,
        file_help: texts::file_help(&limits),
        previewed_changed,
        f,
    };
    Ok((status, render(&page)?).into_response())
}

/// `GET /notices/new`: an empty form with its own nonce.
pub async fn page(viewer: Viewer, State(web): State<Web>) -> Result<Response, WebError> {
    crate::members::require_role(&viewer.member, Role::Organiser).map_err(|e| core_error(&web, e.into()))?;
    compose_page(&web, &viewer, ComposeForm::fresh(), None, None, false).await
}

/// A picture of a notice being composed, for its preview: only to whoever uploaded it.
pub async fn draft_file(
    viewer: Viewer,
    State(web): State<Web>,
    Path(nonce): Path<String>,
) -> Result<Response, WebError> {
    let file = web
        .drafts
        .get(&nonce, viewer.member.id)
        .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, texts::NOT_FOUND.to_owned()))?;
    Ok((
        [(header::CONTENT_TYPE, file.content_type), (header::CACHE_CONTROL, "private, no-store")],
        file.bytes.to_vec(),
    )
        .into_response())
}

/// Reads the multipart form: its fields, and the file if one was chosen (checked for kind and
/// size before it is kept).
async fn read_form(
    web: &Web,
    viewer: &Viewer,
    mut multipart: Multipart,
) -> Result<(ComposeForm, Option<String>), WebError> {
    let mut form = ComposeForm::default();
    let mut upload: Option<(String, Vec<u8>)> = None;
    let bad = |_| WebError::bad_request(texts::UPLOAD_BROKEN.to_owned());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() {
                upload = Some((file_name, bytes.to_vec()));
            }
        } else {
            let value = field.text().await.map_err(bad)?;
            form.set(&name, value);
        }
    }
    if form.nonce.len() < 16 {
        form.nonce = crate::members::random_token(16);
    }
    let m = &viewer.member;
    if form.drop_file {
        web.drafts.drop_file(&form.nonce, m.id);
        form.drop_file = false;
    }
    let mut problem = None;
    if let Some((name, bytes)) = upload {
        match kind_of(&bytes) {
            None => problem = Some(texts::FILE_KIND.to_owned()),
            Some((kind, content_type)) => {
                match crate::limits::too_big(web.core.limits(), kind == MediaKind::Photo, bytes.len()) {
                    Some((platform, limit)) => {
                        problem = Some(texts::file_too_big(platform, limit, bytes.len()))
                    }
                    None => {
                        let name = clean_name(&name, kind);
                        web.drafts.put(
                            &form.nonce,
                            DraftFile {
                                member_id: m.id,
                                kind,
                                name,
                                content_type,
                                bytes: bytes.into(),
                                at: Instant::now(),
                            },
                        );
                    }
                }
            }
        }
    }
    Ok((form, problem))
}

/// The notice's source key: the form's nonce comes from the page, so it is scoped to the
/// person and names only their own forms.
fn source_key(member_id: i64, nonce: &str) -> String {
    format!("web:{member_id}:{nonce}")
}

/// A file's name as members will see it: its last path part, without control characters.
fn clean_name(name: &str, kind: MediaKind) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if cleaned.trim().is_empty() {
        match kind {
            MediaKind::Photo => notice_texts::PICTURE_FILE_NAME.to_owned(),
            MediaKind::Document => notice_texts::FILE_NAME.to_owned(),
        }
    } else {
        cleaned
    }
}

/// `POST /notices/new`: 预览, 使用清理后的文本 / 改回原文, or 确认发布.
pub async fn submit(
    viewer: Viewer,
    State(web): State<Web>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    crate::members::require_role(&viewer.member, Role::Organiser).map_err(|e| core_error(&web, e.into()))?;
    let (mut f, problem) = read_form(&web, &viewer, multipart).await?;
    if let Some(problem) = problem {
        return compose_page(&web, &viewer, f, Some(problem), None, false).await;
    }
    match f.action.as_str() {
        "cleaned" => f.use_cleaned = true,
        "original" => f.use_cleaned = false,
        _ => {}
    }
    let core = &web.core;
    let m = &viewer.member;
    if f.action == "publish"
        && let Some(notice) = notices::made_by_key(core, &viewer.actor(), &source_key(m.id, &f.nonce))
            .await
            .map_err(|e| core_error(&web, e))?
    {
        // Sent again (a double click, back and re-send): the notice it made, nothing new.
        return Ok(Redirect::to(&format!("/notices/{}?done=published", notice.id)).into_response());
    }
    let file = web.drafts.get(&f.nonce, m.id);
    let body = f.body.trim().to_owned();
    let cleaned = pinyin::clean(&body);
    let text = match (&cleaned, f.use_cleaned) {
        (Some(c), true) => c.clone(),
        _ => body.clone(),
    };
    let checked = (|| -> Result<NoticeDraft, UserError> {
        notices::check_body(core.limits(), &text, file.is_some())?;
        let audience = audience_of(&f, m)?;
        let schedule = schedule_of(&f, core.tz(), core.now())?;
        Ok(NoticeDraft {
            body: text.clone(),
            media: None,
            audience,
            schedule,
            ack: f.ack,
            policy: f.policy,
            urgent: f.urgent,
            remind_after: (f.ack && f.remind).then_some(core.config.remind_after),
        })
    })();
    let mut draft = match checked {
        Ok(d) => d,
        Err(e) => {
            let problem = crate::texts::errors::user_error(&e, &core.config, None);
            return compose_page(&web, &viewer, f, Some(problem), None, false).await;
        }
    };
    match notices::check(core, &viewer.actor(), &draft, file.is_some()).await {
        Ok(_) => {}
        Err(crate::Error::User(e)) => {
            let problem = crate::texts::errors::user_error(&e, &core.config, None);
            return compose_page(&web, &viewer, f, Some(problem), None, false).await;
        }
        Err(e) => return Err(core_error(&web, e)),
    }
    let fp = fingerprint(&draft, file.as_ref());
    if f.action == "publish" && f.previewed == fp {
        draft.media =
            file.map(|d| Media { kind: d.kind, file_id: None, upload: Some((d.name, d.bytes.to_vec())) });
        return match notices::create(core, &viewer.actor(), &draft, Some(source_key(m.id, &f.nonce))).await {
            Ok(notice) => {
                web.notices_changed();
                // Published: the file is in the notice now. A form sent again finds the notice
                // by its key (see `submit`) and needs the file no more.
                web.drafts.drop_file(&f.nonce, m.id);
                Ok(Redirect::to(&format!("/notices/{}?done=published", notice.id)).into_response())
            }
            Err(crate::Error::User(e)) => {
                let problem = crate::texts::errors::user_error(&e, &core.config, None);
                compose_page(&web, &viewer, f, Some(problem), None, false).await
            }
            Err(e) => Err(core_error(&web, e)),
        };
    }
    // Anything else (or a form changed since its preview): show the preview.
    let changed = f.action == "publish";
    let preview = preview(&web, &f, &draft, file.as_ref(), cleaned.as_deref()).await?;
    compose_page(&web, &viewer, f, None, Some((preview, fp)), changed).await
}

async fn preview(
    web: &Web,
    f: &ComposeForm,
    draft: &NoticeDraft,
    file: Option<&DraftFile>,
    cleaned: Option<&str>,
) -> Result<Preview, WebError> {
    let core = &web.core;
    let tz = core.tz();
    let names = notices::audience_names(core, &draft.audience).await.map_err(|e| core_error(web, e))?;
    let size = notices::audience_size(core, &draft.audience).await.map_err(|e| core_error(web, e))?;
    let seconds = draft.schedule.has_seconds();
    let upcoming = draft.schedule.upcoming(core.now(), 3, tz, &core.calendar());
    let first = upcoming.first().copied().unwrap_or_else(|| core.now());
    let out = notices::agenda::goes_out(first, draft.urgent, core.config.quiet_hours, tz);
    let mut buttons = Vec::new();
    if draft.ack {
        buttons.push(notice_texts::BUTTON_ACK);
    }
    if draft.policy {
        buttons.push(notice_texts::BUTTON_SPREAD);
    }
    let mut options = Vec::new();
    if draft.ack {
        options.push(notice_texts::OPTION_ACK.to_owned());
        if draft.remind_after.is_some() {
            options.push(notice_texts::remind_option(core.config.remind_after.num_hours()));
        }
    }
    if draft.policy {
        options.push(notice_texts::OPTION_POLICY.to_owned());
    }
    if draft.urgent {
        options.push(notice_texts::OPTION_URGENT.to_owned());
    }
    Ok(Preview {
        text: draft.body.clone(),
        photo: file
            .filter(|d| d.kind == MediaKind::Photo)
            .map(|_| format!("/notices/draft/{}/file", f.nonce)),
        file: file
            .filter(|d| d.kind == MediaKind::Document)
            .map(|d| texts::attachment(d.kind, Some(&d.name))),
        buttons,
        audience: notice_texts::audience(&names),
        size,
        schedule: notice_texts::schedule_label(&draft.schedule, tz),
        next: if upcoming.is_empty() {
            vec![texts::SENDS_NOW.to_owned()]
        } else {
            upcoming.iter().map(|t| crate::texts::fire_time(*t, tz, seconds)).collect()
        },
        held: (out != first).then(|| texts::held_until(&crate::texts::moment(out, tz))),
        options,
        pinyin: cleaned.map(|_| texts::PINYIN_FOUND.to_owned()),
        using_cleaned: f.use_cleaned && cleaned.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Account, MemberStatus, Platform};

    fn organiser() -> Member {
        Member {
            id: 7,
            account: Account { platform: Platform::Telegram, person_id: 7 },
            name: "周组织".into(),
            username: None,
            unit_id: 3,
            unit_name: "科工局".into(),
            role: Role::Organiser,
            status: MemberStatus::Active,
            reminders: true,
            registered_at: chrono::Utc::now(),
            unreachable: false,
            on_web: true,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> ComposeForm {
        let mut f = ComposeForm::default();
        for (k, v) in pairs {
            f.set(k, (*v).to_owned());
        }
        f
    }

    #[test]
    fn an_organisers_own_unit_choices_name_their_unit_and_nothing_else() {
        let m = organiser();
        assert_eq!(
            audience_of(&form(&[("to", "own")]), &m),
            Ok(Audience { units: vec![3], ..Audience::default() })
        );
        assert_eq!(
            audience_of(&form(&[("to", "own_roles"), ("role", "organiser")]), &m),
            Ok(Audience { units: vec![3], roles: vec![Role::Organiser], ..Audience::default() })
        );
        assert_eq!(
            audience_of(&form(&[("to", "own_roles")]), &m),
            Err(UserError::EmptyAudience),
            "no role ticked"
        );
        // Whatever else is sent is passed on as asked: the core refuses it for an organiser.
        assert_eq!(
            audience_of(&form(&[("to", "units"), ("unit", "1"), ("unit", "x")]), &m),
            Ok(Audience { units: vec![1], ..Audience::default() })
        );
        assert_eq!(audience_of(&form(&[("to", "units")]), &m), Err(UserError::EmptyAudience));
        assert_eq!(audience_of(&form(&[]), &m), Err(UserError::EmptyAudience));
    }

    #[test]
    fn the_time_is_read_by_the_chats_grammar_and_now_needs_no_words() {
        let tz = chrono_tz::Asia::Shanghai;
        let now = chrono::Utc::now();
        assert_eq!(schedule_of(&form(&[("when", "now"), ("when_text", "乱写")]), tz, now), Ok(Schedule::Now));
        assert!(matches!(
            schedule_of(&form(&[("when", "later"), ("when_text", "每个工作日 09:00")]), tz, now),
            Ok(Schedule::Workdays { .. })
        ));
        assert!(schedule_of(&form(&[("when", "later"), ("when_text", "下辈子")]), tz, now).is_err());
    }

    #[test]
    fn a_files_kind_is_read_from_its_bytes_not_its_name() {
        assert_eq!(kind_of(b"\xFF\xD8\xFF\xE0rest").map(|k| k.0), Some(MediaKind::Photo));
        assert_eq!(kind_of(b"\x89PNG\r\n\x1a\nrest").map(|k| k.0), Some(MediaKind::Photo));
        assert_eq!(kind_of(b"%PDF-1.7").map(|k| k.0), Some(MediaKind::Document));
        assert_eq!(kind_of(b"PK\x03\x04docx").map(|k| k.0), Some(MediaKind::Document));
        assert_eq!(kind_of("会议纪要".as_bytes()).map(|k| k.0), Some(MediaKind::Document));
        assert_eq!(kind_of(b"MZ\x90\x00\x03\x00\x00\x00"), None, "a program is refused");
        assert_eq!(kind_of(b""), None);
    }

    #[test]
    fn a_files_name_keeps_its_last_part_without_control_characters() {
        assert_eq!(clean_name("C:\\文件\\通知.pdf", MediaKind::Document), "通知.pdf");
        assert_eq!(clean_name("a/b\u{7}.png", MediaKind::Photo), "b.png");
        assert_eq!(clean_name("", MediaKind::Photo), notice_texts::PICTURE_FILE_NAME);
    }

    #[test]
    fn fields_are_read_as_typed_and_unknown_values_dropped() {
        let f = form(&[
            ("link", "village"),
            ("link", "moon"),
            ("role", "member"),
            ("ack", "1"),
            ("nonce", "ab<c>"),
        ]);
        assert_eq!(f.links, vec![LinkKind::Village]);
        assert_eq!(f.roles, vec![Role::Member]);
        assert!(f.ack && !f.policy);
        assert_eq!(f.nonce, "abc");
    }
}
