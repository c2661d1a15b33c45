//! `sansong check`: every setting, the environment, the database and the Bot API, each on its
//! own ✓/✗ line.

use super::{CliError, CliResult, clock_from_env, config_path, token_from_env};
use crate::config::Config;
use crate::texts;

pub async fn check(explicit: Option<&std::path::Path>) -> CliResult {
    let path = config_path(explicit);
    if !path.exists() && (explicit.is_some() || std::env::var_os("SANSONG_CONFIG").is_some()) {
        println!("{}", texts::cli::check_failed(texts::cli::CONFIG_FILE, &texts::cli::missing_file(&path)));
        return Err(CliError::Reported);
    }
    let token = token_from_env();
    let api_url = std::env::var("TELOXIDE_API_URL").ok();
    let secret = std::env::var(crate::config::DINGTALK_SECRET_ENV).ok();
    let env = super::checks::Environment {
        token: token.as_deref(),
        api_url: api_url.as_deref(),
        dingtalk_secret: secret.as_deref(),
    };
    let items =
        super::checks::run(Config::figment(&path), &path, Some(env), Some(clock_from_env()?.now())).await;
    let mut failed = 0;
    for item in &items {
        match &item.outcome {
            Ok(what) => println!("{}", texts::cli::check_passed(item.name, what)),
            Err(problem) => {
                failed += 1;
                println!("{}", texts::cli::check_failed(item.name, problem));
            }
        }
    }
    if failed == 0 {
        println!("{}", texts::cli::ALL_CHECKS_PASSED);
        Ok(())
    } else {
        println!("{}", texts::cli::checks_failed(failed));
        // Already said on stdout, line by line; the exit code says the rest.
        Err(CliError::Reported)
    }
}
