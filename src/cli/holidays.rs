//! `sansong holidays show [YEAR]` and `sansong holidays import FILE [--yes] [--year YEAR]`.
//!
//! An import never writes half a file or a file that does not read back: the year file is
//! checked by the calendar's own reader, written beside its place and renamed into it. A running
//! bot reads it at its next scheduler tick.

use std::io::BufRead as _;
use std::path::PathBuf;

use anyhow::Context;
use chrono::Datelike;

use super::{CliError, CliResult, clock_from_env};
use crate::config::Config;
use crate::schedule::arrangement::{ArrangementError, parse_arrangement};
use crate::schedule::calendar::HolidayCalendar;
use crate::system::checks::absolute;
use crate::texts;

pub async fn show(config: Config, year: Option<i32>) -> CliResult {
    let today = clock_from_env()?.now().with_timezone(&config.timezone).date_naive();
    let year = year.unwrap_or(today.year());
    let dir = absolute(&config.holidays_dir);
    if !config.calendar.knows_year(year) {
        return Err(CliError::Refused(texts::cli::year_not_loaded(year, &dir)));
    }
    let (days_off, workdays) = config.calendar.year(year);
    println!("{}", texts::cli::holiday_year(year, &days_off, &workdays, &dir));
    Ok(())
}

pub async fn import(config: Config, file: PathBuf, yes: bool, year: Option<i32>) -> CliResult {
    let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let arrangement = parse_arrangement(&text, year).map_err(|e| {
        CliError::Refused(match e {
            ArrangementError::NoYear => texts::cli::IMPORT_NO_YEAR.to_owned(),
            ArrangementError::NoHolidays => texts::cli::IMPORT_NO_HOLIDAYS.to_owned(),
            ArrangementError::Lines(lines) => texts::cli::import_lines_unread(&lines),
        })
    })?;
    let toml = arrangement.to_toml();
    // What is written must read back as the calendar will read it.
    let mut check = HolidayCalendar::default();
    check.add_year("import", &toml).context("the written year file would not read back")?;
    let dir = absolute(&config.holidays_dir);
    let target = dir.join(format!("{}.toml", arrangement.year));
    println!("{}", texts::cli::import_preview(&arrangement, &target, target.exists()));
    if !yes && !confirmed()? {
        return Err(CliError::Refused(texts::cli::IMPORT_NOT_CONFIRMED.into()));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let partial = target.with_extension("toml.partial");
    std::fs::write(&partial, &toml).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &target).with_context(|| format!("writing {}", target.display()))?;
    println!("{}", texts::cli::imported(arrangement.year, &target));
    Ok(())
}

/// Asks on the terminal; anything but a yes (or no answer at all) is a no.
fn confirmed() -> Result<bool, CliError> {
    eprint!("{}", texts::cli::IMPORT_CONFIRM);
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("reading the answer")?;
    Ok(matches!(crate::normalize::fold(answer.trim()).as_str(), "是" | "y" | "yes" | "确认" | "写入"))
}
