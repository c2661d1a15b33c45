//! `sansong audit [--since DAY] [--format json]`: role and status changes, invites, notices,
//! exports, backups.

use super::{CliResult, Format, date_arg, open, table_with};
use crate::config::Config;
use crate::texts;

pub async fn audit(config: Config, since: Option<String>, format: Format) -> CliResult {
    let core = open(config).await?;
    let since = match since.as_deref() {
        None => None,
        Some(day) => Some(crate::week::local_midnight(date_arg(day)?, core.tz())),
    };
    let entries = crate::audit::since(&core, since).await?;
    let tz = core.tz();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "at": e.at.with_timezone(&tz).to_rfc3339(),
                        "actor": e.actor, "action": e.action, "member": e.member,
                        "before": e.before, "after": e.after, "detail": e.detail,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Table => {
            let mut table = table_with(texts::cli::AUDIT_HEADERS);
            for e in &entries {
                table.add_row([
                    e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.member.clone().unwrap_or_default(),
                    e.before.clone().unwrap_or_default(),
                    e.after.clone().unwrap_or_default(),
                    e.detail.clone().unwrap_or_default(),
                ]);
            }
            println!("{table}");
            println!("{}", texts::cli::audit_count(entries.len()));
        }
    }
    Ok(())
}
