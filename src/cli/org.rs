//! `sansong org load FILE` and `sansong org show`: the units and their linked sites; and
//! `sansong org dingtalk`: the DingTalk address book's departments, to map units to them.

use std::path::PathBuf;

use anyhow::Context;
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;

use super::{CliError, CliResult, open};
use crate::config::Config;
use crate::{org, texts};

pub async fn load(config: Config, file: PathBuf) -> CliResult {
    let source = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let plan = org::parse_org(&source)
        .map_err(|problems| CliError::Refused(texts::cli::org_file_refused(&file, &problems)))?;
    let core = open(config).await?;
    let report = org::apply(&core, &plan).await?;
    println!("{}", texts::cli::org_loaded(&report));
    Ok(())
}

pub async fn show(config: Config) -> CliResult {
    let core = open(config).await?;
    let units = org::units(&core).await?;
    let sites = org::all_sites(&core).await?;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(texts::cli::ORG_HEADERS);
    for unit in &units {
        let mine: Vec<_> = sites.iter().filter(|s| s.unit_id == unit.id).collect();
        if mine.is_empty() {
            table.add_row([unit.name.as_str(), "—", "", ""]);
        }
        for s in mine {
            table.add_row([
                unit.name.as_str(),
                &s.name,
                texts::link_label(s.link),
                if s.is_default { texts::cli::YES } else { "" },
            ]);
        }
    }
    println!("{table}");
    Ok(())
}

/// `sansong org dingtalk`: the departments the DingTalk app may see, as a tree with their ids
/// and member counts, those already a unit's marked, and the units without any.
pub async fn dingtalk(config: Config) -> CliResult {
    let Some(settings) = config.dingtalk.clone() else {
        return Err(CliError::Setup(texts::dingtalk::ORG_NO_DINGTALK.into()));
    };
    let Some(secret) =
        std::env::var(crate::config::DINGTALK_SECRET_ENV).ok().filter(|s| !s.trim().is_empty())
    else {
        return Err(CliError::Setup(texts::cli::NO_DINGTALK_SECRET.into()));
    };
    let core = open(config).await?;
    let (mapped, units) = (org::dingtalk_departments(&core).await?, org::units(&core).await?);
    let api = crate::dingtalk::api::Api::new(settings, secret)?;
    match crate::dingtalk::departments::tree(&api).await {
        Ok((lines, truncated)) => {
            println!("{}", texts::dingtalk::department_tree(&lines, truncated, &mapped, &units));
            Ok(())
        }
        Err(e) if e.code() == Some(crate::dingtalk::api::codes::NO_PERMISSION) => {
            Err(CliError::Refused(texts::dingtalk::tree_not_allowed()))
        }
        Err(e) => Err(CliError::Refused(texts::dingtalk::tree_failed(&e.to_string()))),
    }
}
