//! `sansong backup FILE` and `sansong restore FILE`.

use std::path::PathBuf;

use super::{CliError, CliResult, clock_from_env, open};
use crate::config::Config;
use crate::members::Actor;
use crate::texts;

pub async fn backup(config: Config, file: PathBuf) -> CliResult {
    let core = open(config).await?;
    let r = crate::backup::backup(&core.store, &file)
        .await
        .map_err(|e| CliError::Refused(texts::cli::backup_failed(&format!("{e:#}"))))?;
    let detail = format!("{} ({} bytes, {} check-ins)", r.path.display(), r.bytes, r.checkins);
    crate::audit::record(&core, &Actor::Cli, "backup", &detail).await?;
    println!("{}", texts::cli::backed_up(&r.path, r.bytes, r.checkins));
    Ok(())
}

pub async fn restore(config: Config, file: PathBuf) -> CliResult {
    let now = clock_from_env()?.now();
    let (checkins, kept) = match crate::backup::restore(&config.database_url, &file, now).await {
        Ok(done) => done,
        Err(e) => {
            let held = e
                .downcast_ref::<crate::backup::LockError>()
                .is_some_and(|l| matches!(l, crate::backup::LockError::Held(_)));
            let why = if held {
                texts::cli::RESTORE_WHILE_RUNNING.to_owned()
            } else {
                texts::cli::restore_failed(&format!("{e:#}"))
            };
            return Err(CliError::Refused(why));
        }
    };
    // Logged in the restored database: the log then says where its contents came from.
    let core = open(config).await?;
    let detail = format!("from {} ({checkins} check-ins)", file.display());
    crate::audit::record(&core, &Actor::Cli, "restore", &detail).await?;
    core.store.close().await;
    println!("{}", texts::cli::restored(&file, checkins, kept.as_deref()));
    Ok(())
}
