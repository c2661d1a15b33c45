//! The web console's speed on a city's data: 20,000 members in 200 units, 400 linked sites and
//! 1,000,000 check-ins over two years, generated into a temporary SQLite file. The console is
//! served on loopback exactly as `sansong run` serves it (the same router, a real session
//! cookie), and three pages are asked for 50 times each: the overview, the tally by member, and
//! the site coverage. Each page's median and p95 are printed beside the time of the SQL it runs
//! alone (the store's queries, no rendering), with the ratio, and the bytes each page sends
//! (with its stylesheet, gzipped as browsers ask for them). Tables of many rows (a tally by
//! member, the coverage of hundreds of sites) show 100 rows a page. Targets: every page <= 2 x its SQL and <= 100 ms at the median;
//! <= 200 KB with its assets.
//!
//! Run with `cargo bench --bench console` (generating the data takes about half a minute).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use sansong::clock::ShiftedClock;
use sansong::config::Config;
use sansong::domain::Grouping;
use sansong::members::Actor;
use sansong::store::{Span, Store};
use sansong::week::Week;
use sansong::{Core, checkins};

#[path = "support/city.rs"]
mod city;

const MEMBERS: i64 = 20_000;
const UNITS: i64 = 200;
/// Two a unit.
const SITES: i64 = 2 * UNITS;
const CHECKINS: i64 = 1_000_000;
const RUNS: usize = 50;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("console.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await.expect("database");
    let started = Instant::now();
    city::generate(&store, city::City { units: UNITS, members: MEMBERS, checkins: CHECKINS }).await;
    // The week the pages show: the last full week of the generated two years.
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).single().expect("now");
    let config = Config { database_url: url.clone(), web_addr: None, ..Config::default() };
    let core = Core::new(store, config, Arc::new(ShiftedClock::starting_at(now)), sansong::platform_limits());
    checkins::ensure_weeks(&core).await.expect("weeks");
    println!(
        "sansong console benchmark: {MEMBERS} members, {UNITS} units, {SITES} sites, {CHECKINS} check-ins (generated in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let admin = sansong::members::find_members(&core, &Actor::Cli, "党员1").await.expect("admin").remove(0);
    let link = sansong::logins::login_link(&core, &Actor::Member(admin), None).await.expect("link");
    let session = sansong::logins::log_in(&core, &link.token).await.expect("session").token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let web = sansong::web::Web::new(core.clone(), HashMap::new());
    tokio::spawn(async move { axum::serve(listener, sansong::web::router(web)).await });
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let css = http
        .get(format!("{base}/assets/console.css"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("css");
    let css = css.bytes().await.expect("css");

    let week = Week::new(2026, 48).expect("week");
    let keys: Vec<String> = core.kinds().all().iter().map(|k| k.key.clone()).collect();
    let store = core.store.clone();
    println!(
        "{:<26} {:>10} {:>10} {:>12} {:>8} {:>12}",
        "page", "median", "p95", "SQL alone", "ratio", "bytes+css"
    );
    let overview_sql = {
        let (store, keys) = (store.clone(), keys.clone());
        move || {
            let (store, keys) = (store.clone(), keys.clone());
            async move {
                for w in [week, week.previous()] {
                    store.tally_counts(Span::Week(w.key()), None, Grouping::Unit, &keys).await.expect("sql");
                }
                store.member_counts().await.expect("sql");
                store.units().await.expect("sql");
                store
                    .week_kinds(Week::new(2026, 37).expect("week").key(), week.key(), None)
                    .await
                    .expect("sql");
            }
        }
    };
    page(&http, &base, &session, "overview", "/?week=2026-W48", css.len(), overview_sql).await;
    let member_sql = {
        let (store, keys) = (store.clone(), keys.clone());
        move || {
            let (store, keys) = (store.clone(), keys.clone());
            async move {
                store.tally_counts(Span::Week(week.key()), None, Grouping::Member, &keys).await.expect("sql");
                store.tally_members(Span::Week(week.key()), None).await.expect("sql");
                store.member_counts().await.expect("sql");
                store.units().await.expect("sql");
            }
        }
    };
    page(&http, &base, &session, "tally by member", "/tally?week=2026-W48&by=member", css.len(), member_sql)
        .await;
    let coverage_sql = {
        let store = store.clone();
        move || {
            let store = store.clone();
            async move {
                store
                    .site_weeks(Week::new(2026, 41).expect("week").key(), week.key(), None)
                    .await
                    .expect("sql");
                store.units().await.expect("sql");
                store.all_sites().await.expect("sql");
            }
        }
    };
    page(&http, &base, &session, "coverage (8 weeks)", "/coverage?week=2026-W48", css.len(), coverage_sql)
        .await;
}

/// Asks for `path` RUNS times (after one warm-up) and prints its times beside `sql`'s.
async fn page<F, Fut>(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    name: &str,
    path: &str,
    css: usize,
    sql: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let get = || async {
        let response = http
            .get(format!("{base}{path}"))
            .header("cookie", format!("sansong_session={session}"))
            // As browsers ask: the size printed is what crosses the network.
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("page");
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.bytes().await.expect("body").len()
    };
    let bytes = get().await;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        get().await;
        times.push(t.elapsed());
    }
    sql().await;
    let mut sql_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        sql().await;
        sql_times.push(t.elapsed());
    }
    let (median, p95) = quantiles(&mut times);
    let (sql_median, _) = quantiles(&mut sql_times);
    println!(
        "{name:<26} {:>10} {:>10} {:>12} {:>7.2}x {:>9.1} KB   (targets: <= 2x SQL, <= 100 ms, <= 200 KB)",
        ms(median),
        ms(p95),
        ms(sql_median),
        median.as_secs_f64() / sql_median.as_secs_f64().max(1e-9),
        (bytes + css) as f64 / 1024.0
    );
}

fn quantiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[(times.len() * 95 / 100).min(times.len() - 1)])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
