//! `sansong tally` and `sansong export`.

use std::path::PathBuf;

use anyhow::Context;

use super::{ByArg, CliError, CliResult, ExportArg, TallyFormat, date_arg, open, table_with};
use crate::config::Config;
use crate::core::Core;
use crate::domain::Grouping;
use crate::members::Actor;
use crate::reports::export::{self as export_file, table_cells, table_csv};
use crate::tally::{self, Period, Tally, TallyRow};
use crate::texts;
use crate::texts::tallies::{row_label, table_header};

fn week_of(core: &Core, week: Option<&str>) -> Result<Period, CliError> {
    let week = crate::week::parse_week_arg(week.unwrap_or(""), core.today())
        .map_err(crate::error::UserError::from)?;
    Ok(Period::Week(week))
}

pub async fn tally(
    config: Config,
    week: Option<String>,
    unit: Option<String>,
    by: ByArg,
    format: TallyFormat,
) -> CliResult {
    let core = open(config).await?;
    let period = week_of(&core, week.as_deref())?;
    let scope = tally::scope_for(&core, &Actor::Cli, unit.as_deref()).await?;
    let t = tally::tally(&core, &scope, period, by.into()).await?;
    match format {
        TallyFormat::Json => println!("{}", serde_json::to_string_pretty(&tally_json(&t, core.tz()))?),
        TallyFormat::Csv => print!("{}", table_csv(&t)?),
        TallyFormat::Table => {
            let mut table = table_with(table_header(&t));
            for row in t.rows.iter().chain(std::iter::once(&t.total)) {
                table.add_row(table_cells(&t, row));
            }
            println!("{}", texts::period_label(t.period));
            println!("{table}");
        }
    }
    Ok(())
}

/// Rows keyed for scripts: per-kind counts under the kinds' config keys (policy, service, warmth).
fn tally_json(t: &Tally, tz: chrono_tz::Tz) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let row_json = |row: &TallyRow, is_total: bool| {
        let mut m = Map::new();
        match (t.by, is_total) {
            (_, true) => {
                m.insert("members".into(), json!(row.members.unwrap_or(0)));
            }
            (Grouping::Unit, _) => {
                m.insert("unit".into(), json!(row_label(row)));
                m.insert("members".into(), json!(row.members.unwrap_or(0)));
            }
            (Grouping::Member, _) => {
                m.insert("telegram_id".into(), json!(row.telegram_id));
                m.insert("dingtalk_id".into(), json!(row.dingtalk_id));
                m.insert("name".into(), json!(row_label(row)));
                m.insert("unit".into(), json!(row.unit));
            }
            (Grouping::Site, _) => {
                m.insert("site".into(), json!(row_label(row)));
                m.insert("unit".into(), json!(row.unit));
                m.insert("link".into(), json!(row.link.map(|l| l.as_str())));
            }
            (Grouping::Link, _) => {
                m.insert("link".into(), json!(row.link.map(|l| l.as_str())));
                m.insert("label".into(), json!(row_label(row)));
            }
        }
        m.insert("active_members".into(), json!(row.active_members));
        for ((key, _), n) in t.kinds.iter().zip(&row.counts) {
            m.insert(key.clone(), json!(n));
        }
        if t.total.other > 0 {
            m.insert("other".into(), json!(row.other));
        }
        m.insert("people_served".into(), json!(row.people_served));
        m.insert("total".into(), json!(row.total));
        Value::Object(m)
    };
    let (from, to) = t.period.utc_range(tz);
    json!({
        "period": match t.period { Period::Week(w) => w.to_string(), p => p.slug() },
        "from": from.with_timezone(&tz).to_rfc3339(),
        "to": to.with_timezone(&tz).to_rfc3339(),
        "unit": t.scope.unit_name,
        "by": t.by.as_str(),
        "rows": t.rows.iter().map(|r| row_json(r, false)).collect::<Vec<_>>(),
        "total": row_json(&t.total, true),
    })
}

pub async fn export(
    config: Config,
    (from, to, week): (Option<String>, Option<String>, Option<String>),
    unit: Option<String>,
    format: ExportArg,
    out: PathBuf,
) -> CliResult {
    let core = open(config).await?;
    let period = match (from, to) {
        (Some(from), Some(to)) => {
            let (from, to) = (date_arg(&from)?, date_arg(&to)?);
            if to < from {
                return Err(CliError::Refused(texts::cli::to_before_from(from, to)));
            }
            Period::Days { from, to }
        }
        _ => week_of(&core, week.as_deref())?,
    };
    let scope = tally::scope_for(&core, &Actor::Cli, unit.as_deref()).await?;
    let format = match format {
        ExportArg::Xlsx => tally::args::ExportFormat::Xlsx,
        ExportArg::Csv => tally::args::ExportFormat::Csv,
    };
    let file =
        export_file::export(&core, &Actor::Cli, &scope, period, format, export_file::Via::File(&out)).await?;
    // Written beside the target and renamed, so a reader never sees half a file.
    let partial = out.with_extension("partial");
    std::fs::write(&partial, &file.bytes).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &out).with_context(|| format!("writing {}", out.display()))?;
    println!("{}", texts::cli::exported(period, file.records, &out));
    Ok(())
}
