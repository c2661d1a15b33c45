//! `sansong notice add|list|show|pause|resume|cancel|status`.

use anyhow::Context;

use super::{CliError, CliResult, Format, NoticeCommand, open};
use crate::config::Config;
use crate::core::Core;
use crate::domain::RunReport;
use crate::domain::{LinkKind, Role};
use crate::members::{self, Actor};
use crate::notices::{self, Audience, Management, Media, MediaKind, NoticeDraft};
use crate::{schedule, texts};

pub async fn notice(config: Config, action: NoticeCommand) -> CliResult {
    let core = open(config).await?;
    match action {
        NoticeCommand::Add { text, photo, document, to, at, cron, now, ack, policy, urgent, remind } => {
            let mut audience = Audience::default();
            for t in &to {
                add_target(&core, &mut audience, t).await?;
            }
            let when = match (at, cron, now) {
                (Some(at), _, _) => at,
                (_, Some(cron), _) => cron,
                (_, _, true) => "now".to_owned(),
                _ => return Err(CliError::Refused(texts::cli::NO_WHEN.into())),
            };
            let schedule = schedule::parse_schedule(&when, core.tz(), core.now())
                .map_err(crate::error::UserError::BadSchedule)?;
            let media = match (photo, document) {
                (Some(path), _) => Some((MediaKind::Photo, path)),
                (_, Some(path)) => Some((MediaKind::Document, path)),
                _ => None,
            };
            let media = match media {
                None => None,
                Some((kind, path)) => {
                    let bytes =
                        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                    let name = path
                        .file_name()
                        .map_or_else(|| "attachment".into(), |n| n.to_string_lossy().into_owned());
                    Some(Media { kind, file_id: None, upload: Some((name, bytes)) })
                }
            };
            let remind_after = match remind.as_deref().map(str::trim) {
                Some("off" | "no" | "none") => None,
                Some(d) => Some(
                    members::parse_duration(d)
                        .ok_or_else(|| CliError::Refused(texts::cli::BAD_REMIND.into()))?,
                ),
                None => Some(core.config.remind_after),
            };
            let draft =
                NoticeDraft { body: text, media, audience, schedule, ack, policy, urgent, remind_after };
            let notice = notices::create(&core, &Actor::Cli, &draft, None).await?;
            let next = notice.schedule.upcoming(core.now(), 3, core.tz(), &core.calendar());
            // The id alone on stdout, for scripts; the rest for people, on stderr.
            println!("{}", notice.id);
            eprintln!("{}", describe(&core, &notice, &next).await?);
        }
        NoticeCommand::List { format } => list(&core, format).await?,
        NoticeCommand::Show { id } => {
            let n = notices::get(&core, &Actor::Cli, id).await?;
            // The next three times it will go out, as `add` shows them (a paused notice: when
            // it would have gone out next).
            let next = notices::agenda::next_sends(&n, 3, None, core.tz(), &core.calendar());
            println!("{}", describe(&core, &n, &next).await?);
            println!("\n{}", n.body);
        }
        NoticeCommand::Pause { id } => manage(&core, id, Management::Pause).await?,
        NoticeCommand::Resume { id } => manage(&core, id, Management::Resume).await?,
        NoticeCommand::Cancel { id } => manage(&core, id, Management::Cancel).await?,
        NoticeCommand::Status { id, format } => {
            let (notice, report) = notices::report(&core, &Actor::Cli, id).await?;
            match format {
                Format::Table => println!("{}", texts::notices::receipts(&notice, &report, core.tz())),
                Format::Json => {
                    println!("{}", serde_json::to_string_pretty(&status_json(&notice, &report, core.tz()))?)
                }
            }
        }
    }
    Ok(())
}

/// A notice's head as printed: status, audience and its size now, schedule, next times.
async fn describe(
    core: &Core,
    n: &notices::Notice,
    next: &[chrono::DateTime<chrono::Utc>],
) -> Result<String, CliError> {
    let audience = texts::notices::audience(&notices::audience_names(core, &n.audience).await?);
    let size = notices::audience_size(core, &n.audience).await?;
    Ok(texts::cli::notice_created(n, &audience, size, next, core.tz()))
}

async fn manage(core: &Core, id: i64, action: Management) -> CliResult {
    let notice = notices::manage(core, &Actor::Cli, id, action).await?;
    println!("{}", texts::notices::notice_status_changed(&notice));
    Ok(())
}

async fn list(core: &Core, format: Format) -> CliResult {
    let tz = core.tz();
    let all = notices::list(core, &Actor::Cli).await?;
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|n| {
                    serde_json::json!({
                        "id": n.id, "status": n.status.as_str(),
                        "schedule": texts::notices::schedule_label(&n.schedule, tz),
                        "next_fire_at": n.next_fire_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
                        "audience": n.audience, "ack": n.ack, "policy": n.policy, "urgent": n.urgent,
                        "text": n.body,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Table => {
            let mut described = Vec::new();
            for n in &all {
                described
                    .push((n, texts::notices::audience(&notices::audience_names(core, &n.audience).await?)));
            }
            println!("{}", texts::notices::notice_list(&described, tz));
        }
    }
    Ok(())
}

/// One `--to` value into the audience: `all`, `unit:人社局`, `role:organiser`, `link:community`.
async fn add_target(core: &Core, audience: &mut Audience, to: &str) -> CliResult {
    let to = to.trim();
    let (kind, value) = to.split_once([':', '：']).unwrap_or((to, ""));
    match kind.trim().to_ascii_lowercase().as_str() {
        "all" | "全体" => audience.all = true,
        "unit" | "单位" => audience.units.push(members::resolve_unit(core, value).await?.id),
        "role" | "身份" => match value.parse::<Role>() {
            Ok(r) => audience.roles.push(r),
            Err(()) => return Err(CliError::Refused(texts::cli::bad_target_role(to))),
        },
        "link" | "联系类型" => match value.parse::<LinkKind>() {
            Ok(l) => audience.links.push(l),
            Err(()) => return Err(CliError::Refused(texts::cli::bad_target_link(to))),
        },
        _ => return Err(CliError::Refused(texts::cli::bad_target(to))),
    }
    Ok(())
}

fn status_json(n: &notices::Notice, r: &RunReport, tz: chrono_tz::Tz) -> serde_json::Value {
    let people = |list: &[(String, String)]| -> Vec<serde_json::Value> {
        list.iter().map(|(name, unit)| serde_json::json!({"name": name, "unit": unit})).collect()
    };
    serde_json::json!({
        "notice_id": n.id,
        "status": n.status.as_str(),
        "next_fire_at": n.next_fire_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
        "run": (r.run_id > 0).then(|| serde_json::json!({
            "id": r.run_id,
            "due_at": r.due_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
            "fired_at": r.fired_at.map(|t| t.with_timezone(&tz).to_rfc3339()),
            "targeted": r.targeted,
            "sent": r.sent,
            "pending": r.pending,
            "failed": r.failed.iter().map(|(name, unit, reason, platform)| serde_json::json!({"name": name, "unit": unit, "reason": reason, "platform": platform.as_str()})).collect::<Vec<_>>(),
            "blocked": r.blocked.iter().map(|(name, unit, platform)| serde_json::json!({"name": name, "unit": unit, "platform": platform.as_str()})).collect::<Vec<_>>(),
            "acknowledged": r.acknowledged,
            "not_acknowledged": people(&r.not_acknowledged),
            "reminded": r.reminded,
        })),
        "delivered_onward": {"members": r.onward_members, "sites": r.onward_sites},
    })
}
