//! `sansong`: load config, open and migrate the database, run the chosen command.

use std::process::ExitCode;

use clap::Parser;
use sansong::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The bot logs at info; one-shot commands keep their output clean unless RUST_LOG says so.
    let default_level = if matches!(cli.command, Command::Run) { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // At trace level the WebSocket library logs every frame's bytes, WeCom's subscribe (with
    // its secret) among them: never below info, whatever RUST_LOG says.
    let filter = match "tungstenite=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(sansong::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}：{e:#}", sansong::texts::cli::INTERNAL_ERROR);
            ExitCode::FAILURE
        }
    }
}
