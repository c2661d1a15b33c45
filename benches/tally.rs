//! Tally speed on years of data: 20,000 members in 200 units and 2,000,000 check-ins spread
//! over two years (1% of them undone), generated here into a temporary SQLite file. Prints:
//! the weekly tally by unit and by member (target <= 20 ms each), `/week` for one member
//! (target <= 1 ms), a one-month xlsx export (target <= 2 s), and the same weekly tally as a
//! plain `GROUP BY` on the same file, so the ratio to the database's own speed is visible.
//!
//! Run with `cargo bench --bench tally` (generating the data takes a minute or so).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sansong::clock::SystemClock;
use sansong::config::Config;
use sansong::domain::Grouping;
use sansong::members::Actor;
use sansong::reports::export;
use sansong::store::{Span, Store};
use sansong::tally::args::ExportFormat;
use sansong::tally::{self, Period, Scope};
use sansong::week::Week;
use sansong::{Core, checkins};

#[path = "support/city.rs"]
mod city;

const MEMBERS: i64 = 20_000;
const UNITS: i64 = 200;
const CHECKINS: i64 = 2_000_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    // SANSONG_BENCH_DB=/tmp/tally.db keeps the generated file (and reuses it) between runs.
    let path = std::env::var("SANSONG_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("tally.db"));
    let reuse = path.exists();
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await.expect("database");
    let started = Instant::now();
    if !reuse {
        city::generate(&store, city::City { units: UNITS, members: MEMBERS, checkins: CHECKINS }).await;
    }
    println!(
        "sansong tally benchmark: {MEMBERS} members, {UNITS} units, {CHECKINS} check-ins over two years (generated in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let config = Config { database_url: url.clone(), ..Config::default() };
    let core = Core::new(store, config, Arc::new(SystemClock), sansong::platform_limits());
    // Generated rows carry no week yet: the bot fills them in at start, as after an upgrade.
    let t0 = Instant::now();
    checkins::ensure_weeks(&core).await.expect("weeks");
    println!(
        "filling in the week of {CHECKINS} check-ins (once, at start after an upgrade): {}",
        ms(t0.elapsed())
    );
    let tz = core.tz();
    let week = Week::new(2026, 20).expect("a week");
    let all = Scope::all();

    let by_unit = time(20, || async {
        tally::tally(&core, &all, Period::Week(week), Grouping::Unit).await.expect("tally");
    })
    .await;
    let t = tally::tally(&core, &all, Period::Week(week), Grouping::Unit).await.expect("tally");
    println!(
        "weekly tally by unit ({} check-ins in {week}): median {} (target <= 20 ms)",
        t.total.total,
        ms(by_unit)
    );
    let by_member = time(10, || async {
        tally::tally(&core, &all, Period::Week(week), Grouping::Member).await.expect("tally");
    })
    .await;
    println!("weekly tally by member ({MEMBERS} rows): median {} (target <= 20 ms)", ms(by_member));

    let (from, to) = week.utc_range(tz);
    if std::env::var_os("SANSONG_BENCH_PARTS").is_some() {
        let keys: Vec<String> = core.kinds().all().iter().map(|k| k.key.clone()).collect();
        for by in [Grouping::Unit, Grouping::Member] {
            let d = time(10, || async {
                core.store.tally_counts(Span::Week(week.key()), None, by, &keys).await.expect("counts");
            })
            .await;
            println!("  part: tally_counts {by:?}: {}", ms(d));
        }
        let d = time(10, || async {
            core.store.tally_members(Span::Week(week.key()), None).await.expect("members");
        })
        .await;
        println!("  part: tally_members: {}", ms(d));
        let d = time(10, || async {
            core.store.member_counts().await.expect("members");
        })
        .await;
        println!("  part: member_counts: {}", ms(d));
    }
    let plain = time(20, || async {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT unit_id, kind, COUNT(*), COALESCE(SUM(people_served), 0) FROM checkins
             WHERE sent_at >= ? AND sent_at < ? AND deleted_at IS NULL GROUP BY unit_id, kind",
        )
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_all(core.store.pool())
        .await
        .expect("group by");
        assert!(!rows.is_empty());
    })
    .await;
    let plain_week = time(20, || async {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT unit_id, kind, COUNT(*), COALESCE(SUM(people_served), 0) FROM checkins
             WHERE week = ? AND deleted_at IS NULL GROUP BY unit_id, kind",
        )
        .bind(week.key())
        .fetch_all(core.store.pool())
        .await
        .expect("group by");
        assert!(!rows.is_empty());
    })
    .await;
    println!(
        "the same week as a plain GROUP BY unit, kind: by time {} / by the stored week {} (the tally by unit takes {:.1}x the latter)",
        ms(plain),
        ms(plain_week),
        by_unit.as_secs_f64() / plain_week.as_secs_f64()
    );

    let member = core.store.member_by_person(10_000_123).await.expect("member").expect("exists");
    let week_view = time(200, || async {
        checkins::week_view(&core, &member, week).await.expect("week");
    })
    .await;
    println!("/week for one member: median {} (target <= 1 ms)", ms(week_view));

    let month = Period::Days {
        from: NaiveDate::from_ymd_opt(2026, 5, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 5, 31).expect("date"),
    };
    if std::env::var_os("SANSONG_BENCH_PARTS").is_some() {
        let (from, to) = month.utc_range(tz);
        let t0 = Instant::now();
        let rows = core.store.export_rows(from, to, None).await.expect("rows");
        println!("  part: export_rows ({} rows): {}", rows.len(), ms(t0.elapsed()));
        let t0 = Instant::now();
        tally::tally(&core, &all, month, Grouping::Unit).await.expect("summary");
        println!("  part: the month's tally for the summary sheet: {}", ms(t0.elapsed()));
    }
    let t0 = Instant::now();
    let file = export::export(&core, &Actor::Cli, &all, month, ExportFormat::Xlsx, export::Via::Chat)
        .await
        .expect("export");
    let took = t0.elapsed();
    println!(
        "one-month xlsx export (2026-05, {} records, {:.1} MB): {} (target <= 2 s)",
        file.records,
        file.bytes.len() as f64 / 1e6,
        ms(took)
    );
    let t0 = Instant::now();
    let file = export::export(&core, &Actor::Cli, &all, month, ExportFormat::Csv, export::Via::Chat)
        .await
        .expect("export");
    println!("the same month as CSV ({:.1} MB): {}", file.bytes.len() as f64 / 1e6, ms(t0.elapsed()));
}

/// The median of `runs` timed calls (after one warm-up).
async fn time<F, Fut>(runs: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed());
    }
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
