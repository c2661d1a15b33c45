//! `sansong org load FILE` and `sansong org show`: the units and their linked sites.

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
