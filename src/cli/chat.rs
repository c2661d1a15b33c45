//! `sansong chat --as <name>`: the terminal platform (see [`crate::terminal`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{CliError, CliResult, open};
use crate::config::Config;
use crate::texts;

pub async fn chat(config: Config, name: String, files: PathBuf) -> CliResult {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 32 {
        return Err(CliError::Refused(texts::cli::TERMINAL_BAD_NAME.into()));
    }
    let core = open(config).await?;
    let input = tokio::io::BufReader::new(tokio::io::stdin());
    let out: crate::terminal::Output = Arc::new(Mutex::new(std::io::stdout()));
    crate::terminal::run(core.clone(), &name, input, out, files).await?;
    core.store.close().await;
    Ok(())
}
