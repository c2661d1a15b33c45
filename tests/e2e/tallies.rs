//! Weekly tallies (`/tally`, `sansong tally`), who is missing, exports, the weekly report and
//! the gentle check-in reminder.

use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Utc};
use sansong::config::FontChoice;
use sansong::domain::Role;
use serde_json::Value;

use crate::support::fake_api::Outgoing;
use crate::support::{TestApp, TgUser, beijing, eventually, repo_path};

/// `user` sends `text` at `at`; waits for the bot's answer.
async fn say_at(app: &TestApp, user: &TgUser, text: &str, at: DateTime<Utc>) -> Outgoing {
    let mark = app.fake.mark();
    app.fake.text_at(user, text, Some(at));
    app.fake.next_to(user.id, mark).await
}

/// The line of a tally reply that starts with `label：`.
fn line<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{label}：")))
        .unwrap_or_else(|| panic!("no line for {label} in:\n{text}"))
}

fn xlsx_sheet(bytes: &[u8], name: &str) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a valid xlsx");
    let range = book.worksheet_range(name).expect("the sheet exists");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    // A real date cell (a number with a date format), shown as it reads in Excel.
                    Data::DateTime(d) => d.as_datetime().map_or_else(String::new, |t| {
                        format!(
                            "date:{}",
                            t.format(if t.time() == chrono::NaiveTime::MIN {
                                "%Y-%m-%d"
                            } else {
                                "%Y-%m-%d %H:%M"
                            })
                        )
                    }),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// 人社局: an organiser and two members with check-ins around the Monday 30 Nov boundary;
/// 科工局: one member with one check-in.
struct Week48 {
    app: TestApp,
    organiser: TgUser,
    a: TgUser,
    b: TgUser,
    other_unit: TgUser,
}

async fn week48() -> Week48 {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(9100, "组织员老周");
    let (a, b) = (TgUser::new(9101, "张三"), TgUser::new(9102, "李四"));
    let other_unit = TgUser::new(9103, "王五");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&a, "人社局", Role::Member).await;
    app.register(&b, "人社局", Role::Member).await;
    app.register(&other_unit, "科工局", Role::Member).await;
    app.set_now(beijing(2026, 11, 30, 8, 0));
    // W48: Wednesday, and Sunday 23:59 (the last minute of the week, in Beijing).
    say_at(&app, &a, "/checkin 送政策 宣讲社保政策，服务12人", beijing(2026, 11, 25, 10, 0)).await;
    say_at(&app, &a, "/checkin 送温暖 周日晚上看望独居老人", beijing(2026, 11, 29, 23, 59)).await;
    say_at(&app, &other_unit, "/checkin 送服务 帮企业办理手续，服务3人", beijing(2026, 11, 26, 9, 0)).await;
    // W49: Monday 00:00 is already the new week.
    say_at(&app, &b, "/checkin 送服务 新一周第一件事", beijing(2026, 11, 30, 0, 0)).await;
    Week48 { app, organiser, a, b, other_unit }
}

#[tokio::test]
async fn a_tally_counts_each_checkin_in_the_week_it_was_sent_either_side_of_monday_midnight() {
    let w = week48().await;

    let w48 = w.app.say(&w.organiser, "/tally 2026-W48").await;
    let w49 = w.app.say(&w.organiser, "/tally").await;

    assert!(w48.text.contains("2026年第48周"), "{}", w48.text);
    assert_eq!(
        line(&w48.text, "人社局"),
        "人社局：成员 3 人，已登记 1 人｜送政策 1 · 送服务 0 · 送温暖 1｜服务 12 人次｜合计 2"
    );
    assert!(w49.text.contains("2026年第49周"), "{}", w49.text);
    assert_eq!(
        line(&w49.text, "人社局"),
        "人社局：成员 3 人，已登记 1 人｜送政策 0 · 送服务 1 · 送温暖 0｜服务 0 人次｜合计 1"
    );
    // The organiser sees their own unit only.
    assert!(!w48.text.contains("科工局"), "{}", w48.text);
    let last = w.app.say(&w.organiser, "/tally last by:member").await;
    assert!(last.text.contains("2026年第48周"), "{}", last.text);
    assert!(line(&last.text, "张三（人社局）").ends_with("合计 2"), "{}", last.text);
    assert!(line(&last.text, "李四（人社局）").ends_with("合计 0"), "{}", last.text);
}

#[tokio::test]
async fn an_undone_checkin_is_not_counted() {
    let app = TestApp::spawn().await;
    let organiser = TgUser::new(9110, "组织员");
    let member = TgUser::new(9111, "赵六");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&member, "人社局", Role::Member).await;
    app.say(&member, "/checkin 送政策 第一次宣讲").await;
    app.say(&member, "/checkin 送政策 登记错了").await;
    let undone = app.say(&member, "/undo").await;
    assert!(undone.text.contains("撤销"), "{}", undone.text);

    let tally = app.say(&organiser, "/tally").await;

    assert!(line(&tally.text, "人社局").contains("送政策 1 ·"), "{}", tally.text);
    assert!(line(&tally.text, "合计").ends_with("合计 1"), "{}", tally.text);
    let (_, json, _) = app.cli(&["tally", "--format", "json", "--by", "member"]).await;
    let json: Value = serde_json::from_str(&json).unwrap();
    let row = json["rows"].as_array().unwrap().iter().find(|r| r["name"] == "赵六").unwrap();
    assert_eq!((row["policy"].as_i64(), row["total"].as_i64()), (Some(1), Some(1)));
}

#[tokio::test]
async fn an_organiser_may_not_see_another_unit_and_a_member_may_not_see_tallies() {
    let w = week48().await;

    for command in ["/tally unit:科工局", "/missing unit:科工局", "/export unit:科工局"] {
        let reply = w.app.say(&w.organiser, command).await;
        assert!(reply.text.contains("只能管理本单位"), "{command}: {}", reply.text);
        assert!(reply.media.is_none(), "{command}: no file");
    }
    for command in ["/tally", "/missing", "/export", "/tally nonsense"] {
        let reply = w.app.say(&w.a, command).await;
        assert!(reply.text.contains("仅限组织员"), "{command}: {}", reply.text);
    }
    let own = w.app.say(&w.organiser, "/tally unit:人社局 2026-W48").await;
    assert!(line(&own.text, "人社局").ends_with("合计 2"), "{}", own.text);
    let _ = (&w.b, &w.other_unit);
}

#[tokio::test]
async fn chat_command_line_and_export_summary_give_the_same_numbers() {
    let w = week48().await;
    let admin = TgUser::new(9120, "管理员");
    w.app.register(&admin, "应急管理局", Role::Admin).await;

    let chat = w.app.say(&admin, "/tally 2026-W48").await;
    let (code, out, err) = w.app.cli(&["tally", "--week", "2026-W48", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let cli: Value = serde_json::from_str(&out).unwrap();
    let export = w.app.say(&admin, "/export 2026-W48").await;
    let (name, bytes) = w.app.fake.file(&export.media.as_ref().unwrap().1).unwrap_or_else(|| {
        panic!("the export was uploaded: {export:?} {:?}", w.app.fake.calls("sendDocument"))
    });
    assert!(name.ends_with(".xlsx"), "{name}");
    let summary = xlsx_sheet(&bytes, "汇总");

    for unit in ["人社局", "科工局", "应急管理局", "贸促会"] {
        let cli_row = cli["rows"].as_array().unwrap().iter().find(|r| r["unit"] == unit).unwrap();
        let sheet_row = summary.iter().find(|r| r[0] == unit).unwrap();
        let numbers = |r: &Value| {
            ["members", "active_members", "policy", "service", "warmth", "people_served", "total"]
                .map(|k| r[k].as_i64().unwrap().to_string())
        };
        let from_cli = numbers(cli_row);
        assert_eq!(sheet_row[1..8], from_cli, "{unit}: sheet {sheet_row:?} vs cli {cli_row}");
        let chat_line = line(&chat.text, unit);
        let expected = format!(
            "{unit}：成员 {} 人，已登记 {} 人｜送政策 {} · 送服务 {} · 送温暖 {}｜服务 {} 人次｜合计 {}",
            from_cli[0], from_cli[1], from_cli[2], from_cli[3], from_cli[4], from_cli[5], from_cli[6]
        );
        assert_eq!(chat_line, expected);
    }
    assert_eq!(cli["total"]["total"], 3);
    assert_eq!(cli["total"]["people_served"], 15);
    assert_eq!(summary.iter().find(|r| r[0] == "合计").unwrap()[7], "3");

    let (_, out, _) = w.app.cli(&["tally", "--week", "2026-W48", "--by", "member", "--format", "json"]).await;
    let by_member: Value = serde_json::from_str(&out).unwrap();
    let rows = by_member["rows"].as_array().unwrap();
    let zhang = rows.iter().find(|r| r["name"] == "张三").unwrap();
    for key in ["telegram_id", "name", "unit", "policy", "service", "warmth", "people_served", "total"] {
        assert!(zhang.get(key).is_some(), "{key} in {zhang}");
    }
    assert_eq!((zhang["telegram_id"].as_i64(), zhang["total"].as_i64()), (Some(9101), Some(2)));
    // Rows follow units and names, never how much someone did: no ranking.
    let names: Vec<&str> =
        rows.iter().filter(|r| r["unit"] == "人社局").map(|r| r["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn missing_lists_members_without_a_checkin_and_sites_nobody_brought_a_kind_to() {
    let w = week48().await;
    let admin = TgUser::new(9130, "管理员");
    w.app.register(&admin, "应急管理局", Role::Admin).await;

    let members = w.app.say(&w.organiser, "/missing 2026-W48").await;
    let sites = w.app.say(&admin, "/missing sites 2026-W48 送温暖").await;
    let any_kind = w.app.say(&admin, "/missing sites 2026-W48").await;

    assert!(members.text.contains("人社局（2 人）"), "{}", members.text);
    assert!(members.text.contains("李四") && members.text.contains("组织员老周"), "{}", members.text);
    assert!(!members.text.contains("张三"), "checked in: {}", members.text);
    assert!(!members.text.contains("王五"), "another unit: {}", members.text);
    // 张三 brought 送温暖 to 人社局's community; nobody brought it to 科工局's enterprises.
    assert!(!sites.text.contains("新球社区"), "{}", sites.text);
    assert!(sites.text.contains("湖南维摩新材料有限公司（联企业）"), "{}", sites.text);
    assert!(sites.text.contains("「送温暖」"), "{}", sites.text);
    // 科工局's default site had a 送服务 visit, so it is not missing when any kind counts.
    assert!(!any_kind.text.contains("湖南维摩新材料有限公司"), "{}", any_kind.text);
    assert!(any_kind.text.contains("岳阳福瑞材料科技有限公司"), "{}", any_kind.text);
}

#[tokio::test]
async fn the_export_opens_back_with_every_record_and_csv_starts_with_a_bom() {
    let w = week48().await;

    let xlsx = w.app.say(&w.organiser, "/export 2026-11-23..2026-11-30").await;
    let csv = w.app.say(&w.organiser, "/export csv 2026-W48").await;

    let (media_kind, file_id) = xlsx.media.clone().expect("a file");
    assert_eq!(media_kind, "document");
    assert!(xlsx.text.contains("共 3 条登记记录"), "{}", xlsx.text);
    let (_, bytes) = w.app.fake.file(&file_id).unwrap();
    let records = xlsx_sheet(&bytes, "登记记录");
    assert_eq!(
        records[0].join(","),
        "编号,成员,单位,联点站点,四联类型,类型,登记时间,活动日期,服务人数,内容,照片,位置"
    );
    assert_eq!(records.len(), 4, "three records of 人社局, none of 科工局: {records:?}");
    let first = &records[1];
    assert_eq!(
        first[1..9],
        [
            "张三",
            "人社局",
            "五里牌街道新球社区",
            "联社区",
            "送政策",
            "date:2026-11-25 10:00",
            "date:2026-11-25",
            "12"
        ]
    );
    assert_eq!(first[9], "宣讲社保政策，服务12人");
    assert_eq!(first[10], "无");
    assert_eq!(records[2][6..8], ["date:2026-11-29 23:59", "date:2026-11-29"]);
    // Midnight is still a date-time cell; a date cell has no time of day.
    assert_eq!(
        records[3][1..8],
        ["李四", "人社局", "五里牌街道新球社区", "联社区", "送服务", "date:2026-11-30", "date:2026-11-30"]
    );

    let (name, bytes) = w.app.fake.file(&csv.media.as_ref().unwrap().1).unwrap();
    assert!(name.ends_with(".csv"), "{name}");
    assert!(bytes.starts_with("\u{feff}编号,成员,单位".as_bytes()), "UTF-8 BOM then the header");
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 3, "header and two W48 records: {text}");
}

/// `count` members of 人社局 named 党员0001…, with Telegram ids from `first_id` + 1.
async fn add_members(app: &TestApp, count: i64, first_id: i64) {
    sqlx::query(
        "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?1)
         INSERT INTO members (registered_as, name, unit_id, role, registered_at)
         SELECT ?2 + x, '党员' || printf('%04d', x), (SELECT id FROM units WHERE name = '人社局'), 'member', 0
         FROM seq",
    )
    .bind(count)
    .bind(first_id)
    .execute(app.core.store.pool())
    .await
    .unwrap();
    sqlx::query(crate::support::shared::ACCOUNTS_FOR_NEW_MEMBERS)
        .execute(app.core.store.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_3000_member_tally_by_member_arrives_whole_in_messages_under_the_limit() {
    let app = TestApp::spawn().await;
    let admin = TgUser::new(9140, "管理员");
    app.register(&admin, "应急管理局", Role::Admin).await;
    add_members(&app, 3000, 5_000_000).await;
    let mark = app.fake.mark();

    app.fake.text(&admin, "/tally by:member");
    let parts = app
        .fake
        .wait_for("the whole tally", |v| {
            let mine: Vec<String> = v.outgoing()[mark..]
                .iter()
                .filter(|o| o.chat_id == admin.id)
                .map(|o| o.text.clone())
                .collect();
            mine.iter().any(|t| t.contains("\n合计：") || t.starts_with("合计：")).then_some(mine)
        })
        .await;

    assert!(parts.len() > 1, "split into several messages");
    for p in &parts {
        assert!(p.encode_utf16().count() <= 4096, "a part of {} units", p.encode_utf16().count());
    }
    let all = parts.join("\n");
    for i in [1, 1500, 3000] {
        assert!(all.contains(&format!("党员{i:04}（人社局）：")), "member {i} is listed");
    }
    let member_lines = all.lines().filter(|l| l.contains("（人社局）：")).count();
    assert_eq!(member_lines, 3000);
}

#[tokio::test]
async fn a_tally_too_long_for_fifty_messages_arrives_whole_as_one_csv_file() {
    let app = TestApp::spawn().await;
    let admin = TgUser::new(9141, "管理员");
    app.register(&admin, "应急管理局", Role::Admin).await;
    add_members(&app, 6000, 6_000_000).await;
    sqlx::query("UPDATE members SET name = '=危险公式' WHERE registered_as = 6000007")
        .execute(app.core.store.pool())
        .await
        .unwrap();

    let reply = app.say(&admin, "/tally by:member").await;

    let (name, bytes) = app.fake.file(&reply.media.as_ref().expect("a file").1).expect("uploaded");
    assert!(name.starts_with("tally-") && name.ends_with("-by-member.csv"), "{name}");
    assert!(reply.text.contains("6001 行") && reply.text.contains("CSV"), "{}", reply.text);
    let text = String::from_utf8(bytes).unwrap();
    let body = text.strip_prefix('\u{feff}').expect("a BOM, so Excel reads the Chinese right");
    let mut csv = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6001 + 1, "every member, then the total");
    assert_eq!(&rows[6001][0], "合计");
    assert!(rows.iter().any(|r| &r[0] == "'=危险公式"), "a formula-like name is defused");
    assert!(app.fake.outgoing_to(admin.id).iter().filter(|o| o.text.contains("党员0001")).count() == 0);
}

#[tokio::test]
async fn remind_turns_the_weekly_reminder_off_and_on() {
    let app = TestApp::spawn().await;
    let member = TgUser::new(9150, "钱八");
    app.register(&member, "人社局", Role::Member).await;

    let status = app.say(&member, "/remind").await;
    let off = app.say(&member, "/remind off").await;
    let off_status = app.say(&member, "/remind").await;
    let bad = app.say(&member, "/remind maybe").await;

    assert!(status.text.contains("已开启"), "{}", status.text);
    assert!(off.text.contains("已关闭"), "{}", off.text);
    assert!(off_status.text.contains("已关闭"), "{}", off_status.text);
    assert!(bad.text.contains("提醒 关（关闭提醒）"), "{}", bad.text);
    assert_eq!(app.scalar("SELECT reminders FROM members WHERE registered_as = 9150").await, 0);
    app.say(&member, "/remind on").await;
    assert_eq!(app.scalar("SELECT reminders FROM members WHERE registered_as = 9150").await, 1);
}

#[tokio::test]
async fn the_weekly_report_reaches_organisers_and_admins_at_its_cron_with_a_chart() {
    let app = TestApp::spawn_with(|c| {
        c.report_font = FontChoice::File(repo_path("tests/fixtures/fonts/wqy-microhei-subset.ttf"));
    })
    .await;
    let organiser = TgUser::new(9160, "组织员老周");
    let admin = TgUser::new(9161, "管理员");
    let member = TgUser::new(9162, "张三");
    app.register(&organiser, "人社局", Role::Organiser).await;
    app.register(&admin, "应急管理局", Role::Admin).await;
    app.register(&member, "人社局", Role::Member).await;
    app.say(&member, "/checkin 送政策 宣讲社保政策，服务12人").await;
    app.say(&member, "/checkin 送温暖 看望困难群众").await;
    // The report job has planned its next tick: Monday 30 November, 09:00 Beijing.
    wait_scheduled(&app, "weekly_report").await;
    assert_eq!(
        app.scalar("SELECT next_fire_at FROM periodic_jobs WHERE job = 'weekly_report'").await,
        beijing(2026, 11, 30, 9, 0).timestamp()
    );
    let mark = app.fake.mark();

    app.set_now(beijing(2026, 11, 30, 9, 0));
    let chart = app
        .fake
        .wait_for_outgoing("the organiser's chart", |o| {
            o.seq >= mark && o.chat_id == organiser.id && o.media.is_some()
        })
        .await;
    let detail = app
        .fake
        .wait_for_outgoing("the organiser's detail", |o| {
            o.seq >= mark && o.chat_id == organiser.id && o.media.is_none()
        })
        .await;
    let admin_chart = app
        .fake
        .wait_for_outgoing("the admin's chart", |o| {
            o.seq >= mark && o.chat_id == admin.id && o.media.is_some()
        })
        .await;

    let (kind, file_id) = chart.media.clone().unwrap();
    assert_eq!(kind, "photo");
    let (_, png) = app.fake.file(&file_id).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG chart");
    if let Ok(path) = std::env::var("SANSONG_TEST_CHART_OUT") {
        // To look at the chart: SANSONG_TEST_CHART_OUT=/tmp/chart.png cargo test weekly_report
        std::fs::write(path, &png).unwrap();
    }
    assert!(chart.text.contains("每周三送工作报告 · 人社局"), "{}", chart.text);
    assert!(chart.text.contains("2026年第48周"), "{}", chart.text);
    assert!(chart.text.contains("登记 2 次（较上周 +2）"), "{}", chart.text);
    assert!(line(&detail.text, "人社局").ends_with("合计 2（+2）"), "with the change: {}", detail.text);
    assert!(admin_chart.text.contains("全部单位"), "{}", admin_chart.text);
    assert!(app.fake.outgoing()[mark..].iter().all(|o| o.chat_id != member.id), "members get no report");
    // Once per tick, also when a restart finds the tick due again (a crash after it fired).
    let mut app = app;
    app.stop().await;
    sqlx::query("UPDATE periodic_jobs SET next_fire_at = ? WHERE job = 'weekly_report'")
        .bind(beijing(2026, 11, 30, 9, 0).timestamp())
        .execute(app.core.store.pool())
        .await
        .unwrap();
    app.start().await;
    wait_next_week(&app).await;
    app.settle().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM periodic_runs WHERE job = 'weekly_report'").await, 1);
    let charts =
        app.fake.outgoing()[mark..].iter().filter(|o| o.chat_id == organiser.id && o.media.is_some()).count();
    assert_eq!(charts, 1);
}

/// Waits until a periodic job has planned its next tick.
async fn wait_scheduled(app: &TestApp, job: &str) {
    let sql = format!("SELECT COUNT(*) FROM periodic_jobs WHERE job = '{job}'");
    eventually(&format!("{job} to be scheduled"), Duration::from_secs(20), || async {
        (app.scalar(&sql).await > 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn without_a_usable_font_the_weekly_report_goes_out_as_text() {
    let app = TestApp::spawn_with(|c| {
        c.report_font = FontChoice::File(std::path::PathBuf::from("/nonexistent/wqy-microhei.ttc"))
    })
    .await;
    let organiser = TgUser::new(9170, "组织员");
    app.register(&organiser, "科工局", Role::Organiser).await;
    wait_scheduled(&app, "weekly_report").await;
    let mark = app.fake.mark();

    app.set_now(beijing(2026, 11, 30, 9, 0));
    let report =
        app.fake.wait_for_outgoing("the text report", |o| o.seq >= mark && o.chat_id == organiser.id).await;

    assert!(report.media.is_none());
    assert!(report.text.contains("每周三送工作报告 · 科工局"), "{}", report.text);
    assert!(report.text.contains("科工局：成员 1 人"), "{}", report.text);
}

#[tokio::test]
async fn the_reminder_skips_those_who_checked_in_turned_it_off_or_are_in_units_without_it() {
    let app = TestApp::spawn_with(|c| c.reminder_units = vec!["人社局".into()]).await;
    let done = TgUser::new(9180, "已登记");
    let opted_out = TgUser::new(9181, "不要提醒");
    let reminded = TgUser::new(9182, "该提醒");
    let elsewhere = TgUser::new(9183, "别的单位");
    for u in [&done, &opted_out, &reminded] {
        app.register(u, "人社局", Role::Member).await;
    }
    app.register(&elsewhere, "科工局", Role::Member).await;
    app.say(&done, "/checkin 送服务 帮助居民办理医保").await;
    app.say(&opted_out, "/remind off").await;
    wait_scheduled(&app, "checkin_reminder").await;
    assert_eq!(
        app.scalar("SELECT next_fire_at FROM periodic_jobs WHERE job = 'checkin_reminder'").await,
        beijing(2026, 11, 27, 16, 0).timestamp(),
        "Friday 16:00"
    );
    let mark = app.fake.mark();

    app.set_now(beijing(2026, 11, 27, 16, 0));
    let reminder =
        app.fake.wait_for_outgoing("the reminder", |o| o.seq >= mark && o.chat_id == reminded.id).await;

    assert!(reminder.text.contains("温馨提醒"), "{}", reminder.text);
    assert!(
        reminder.text.contains("不作考核") && reminder.text.contains("请发送「提醒 关」"),
        "{}",
        reminder.text
    );
    let outcome: String =
        sqlx::query_scalar("SELECT outcome FROM periodic_runs WHERE job = 'checkin_reminder'")
            .fetch_one(app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(outcome, "1 reminded");
    // The run queued deliveries for the one member it reminds, and nobody else.
    let others = app
        .scalar(
            "SELECT COUNT(*) FROM deliveries d JOIN members m ON m.id = d.member_id
         WHERE m.registered_as IN (9180, 9181, 9183)",
        )
        .await;
    assert_eq!(others, 0);
    for u in [&done, &opted_out, &elsewhere] {
        assert!(
            app.fake.outgoing()[mark..].iter().all(|o| o.chat_id != u.id),
            "{} not reminded",
            u.first_name
        );
    }
}

#[tokio::test]
async fn with_report_cron_off_no_weekly_report_is_planned_or_sent_and_the_reminder_still_goes() {
    let app = TestApp::spawn_with(|c| {
        c.report_schedule = None;
        c.reminder_units = vec!["人社局".into()];
    })
    .await;
    let admin = TgUser::new(9190, "管理员");
    let reminded = TgUser::new(9191, "该提醒");
    // In a unit without the reminder: whatever reaches them would be the report.
    app.register(&admin, "科工局", Role::Admin).await;
    app.register(&reminded, "人社局", Role::Member).await;
    wait_scheduled(&app, "checkin_reminder").await;
    let mark = app.fake.mark();

    // Friday 16:00, the reminder's time: the ticks have run, and planned no report (were it
    // on, its next Monday would be planned since the first tick).
    app.set_now(beijing(2026, 11, 27, 16, 0));
    app.fake.wait_for_outgoing("the reminder", |o| o.seq >= mark && o.chat_id == reminded.id).await;

    assert_eq!(app.scalar("SELECT COUNT(*) FROM periodic_jobs WHERE job = 'weekly_report'").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM periodic_runs WHERE job = 'weekly_report'").await, 0);
    let to_admin: Vec<_> =
        app.fake.outgoing()[mark..].iter().filter(|o| o.chat_id == admin.id).cloned().collect();
    assert!(to_admin.is_empty(), "no report: {to_admin:#?}");
}

#[tokio::test]
async fn checkins_written_before_weeks_were_stored_are_counted_once_the_bot_fills_them_in() {
    let w = week48().await;
    // As after an upgrade: rows from an older version carry no week.
    sqlx::query("UPDATE checkins SET week = NULL").execute(w.app.core.store.pool()).await.unwrap();

    let tally = w.app.say(&w.organiser, "/tally 2026-W48").await;

    assert!(line(&tally.text, "人社局").ends_with("合计 2"), "{}", tally.text);
    assert_eq!(w.app.scalar("SELECT COUNT(*) FROM checkins WHERE week IS NULL").await, 0);
    assert_eq!(w.app.scalar("SELECT COUNT(*) FROM checkins WHERE week = 202648").await, 3);
    assert_eq!(w.app.scalar("SELECT COUNT(*) FROM checkins WHERE week = 202649").await, 1);
}

#[tokio::test]
async fn a_report_missed_while_the_bot_was_down_goes_out_late_that_week_and_not_once_the_week_is_over() {
    let mut app = TestApp::spawn_with(|c| c.report_font = FontChoice::Off).await;
    let organiser = TgUser::new(9190, "组织员");
    app.register(&organiser, "科工局", Role::Organiser).await;
    wait_scheduled(&app, "weekly_report").await;
    app.stop().await;
    let mark = app.fake.mark();

    // Down from before Monday 09:00 until Wednesday: the report still goes out, late.
    app.set_now(beijing(2026, 12, 2, 11, 0));
    app.start().await;
    let late =
        app.fake.wait_for_outgoing("the late report", |o| o.seq >= mark && o.chat_id == organiser.id).await;
    assert!(late.text.contains("2026年第48周"), "{}", late.text);

    // Down across the whole next week: that report is skipped, not sent a week late.
    app.stop().await;
    let mark = app.fake.mark();
    app.set_now(beijing(2026, 12, 15, 11, 0));
    app.start().await;
    eventually("the missed report to be moved on to 21 December", Duration::from_secs(20), || async {
        let next = app.scalar("SELECT next_fire_at FROM periodic_jobs WHERE job = 'weekly_report'").await;
        (next == beijing(2026, 12, 21, 9, 0).timestamp()).then_some(())
    })
    .await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM periodic_runs WHERE job = 'weekly_report'").await, 1);
    assert!(app.fake.outgoing()[mark..].iter().all(|o| o.chat_id != organiser.id));
}

#[tokio::test]
async fn the_command_line_exports_a_date_range_to_a_file_and_prints_tallies_as_csv() {
    let w = week48().await;
    let out = w.app.dir.path().join("november.xlsx");
    let out_csv = w.app.dir.path().join("november.csv");

    let (code, stdout, err) = w
        .app
        .cli(&[
            "export",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-29",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("3 条记录"), "{stdout}");
    assert_eq!(
        w.app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND actor = 'cli'").await,
        1
    );
    let records = xlsx_sheet(&std::fs::read(&out).unwrap(), "登记记录");
    assert_eq!(records.len(), 4, "all units' three November records: {records:?}");
    assert!(records.iter().any(|r| r[1] == "王五" && r[2] == "科工局"), "{records:?}");
    let (code, _, err) = w
        .app
        .cli(&[
            "export",
            "--week",
            "2026-W49",
            "--unit",
            "人社局",
            "--format",
            "csv",
            "--out",
            out_csv.to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("新一周第一件事"), "{csv}");

    let (code, table, _) =
        w.app.cli(&["tally", "--week", "2026-W48", "--unit", "科工局", "--format", "csv"]).await;
    assert_eq!(code, 0);
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("单位,成员,已登记成员,送政策,送服务,送温暖,服务人次,合计"));
    assert_eq!(lines.next(), Some("科工局,1,1,0,1,0,3,1"));
    assert_eq!(lines.next(), Some("合计,1,1,0,1,0,3,1"));
    let (code, _, err) = w.app.cli(&["tally", "--unit", "不存在的局"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("没有找到单位"), "{err}");
}

/// Waits until the report job has moved on to Monday 7 December.
async fn wait_next_week(app: &TestApp) {
    eventually("the report job to move on to 7 December", Duration::from_secs(20), || async {
        let next = app.scalar("SELECT next_fire_at FROM periodic_jobs WHERE job = 'weekly_report'").await;
        (next == beijing(2026, 12, 7, 9, 0).timestamp()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn tallies_by_site_and_by_link_kind_count_where_the_work_was_done() {
    let w = week48().await;
    let admin = TgUser::new(9195, "管理员");
    w.app.register(&admin, "应急管理局", Role::Admin).await;

    let by_site = w.app.say(&admin, "/tally 2026-W48 by:site").await;
    let by_link = w.app.say(&admin, "/tally 2026-W48 按四联").await;
    let own_sites = w.app.say(&w.organiser, "/tally 2026-W48 by:site").await;

    assert_eq!(
        line(&by_site.text, "五里牌街道新球社区（人社局）"),
        "五里牌街道新球社区（人社局）：参与 1 人｜送政策 1 · 送服务 0 · 送温暖 1｜服务 12 人次｜合计 2"
    );
    assert!(
        line(&by_site.text, "湖南维摩新材料有限公司（科工局）").ends_with("服务 3 人次｜合计 1"),
        "{}",
        by_site.text
    );
    assert!(
        line(&by_site.text, "岳阳福瑞材料科技有限公司（科工局）").ends_with("合计 0"),
        "{}",
        by_site.text
    );
    assert!(line(&by_link.text, "联社区").ends_with("合计 2"), "{}", by_link.text);
    assert!(line(&by_link.text, "联企业").ends_with("合计 1"), "{}", by_link.text);
    assert!(line(&by_link.text, "联乡村").ends_with("合计 0"), "{}", by_link.text);
    assert!(line(&by_link.text, "合计").ends_with("合计 3"), "{}", by_link.text);
    assert!(!own_sites.text.contains("科工局"), "an organiser's sites only: {}", own_sites.text);

    let (_, out, _) = w.app.cli(&["tally", "--week", "2026-W48", "--by", "link", "--format", "json"]).await;
    let json: Value = serde_json::from_str(&out).unwrap();
    let community = json["rows"].as_array().unwrap().iter().find(|r| r["link"] == "community").unwrap();
    assert_eq!((community["policy"].as_i64(), community["warmth"].as_i64()), (Some(1), Some(1)));
    let (_, out, _) = w.app.cli(&["tally", "--week", "2026-W48", "--by", "site", "--format", "json"]).await;
    let json: Value = serde_json::from_str(&out).unwrap();
    let site =
        json["rows"].as_array().unwrap().iter().find(|r| r["site"] == "湖南维摩新材料有限公司").unwrap();
    assert_eq!(
        (site["unit"].as_str(), site["link"].as_str(), site["total"].as_i64()),
        (Some("科工局"), Some("enterprise"), Some(1))
    );
}

#[tokio::test]
async fn a_tally_still_counts_a_retired_kind_a_checkin_without_a_site_and_a_deactivated_members_work() {
    let w = week48().await;
    let admin = TgUser::new(9196, "管理员");
    w.app.register(&admin, "应急管理局", Role::Admin).await;
    // A kind since removed from the config, with no site (written by an older version): the
    // week column is left empty, as after an upgrade, for the tally to fill in.
    sqlx::query(
        "INSERT INTO checkins (member_id, unit_id, site_id, kind, description, people_served, sent_at,
                               source_chat_id, source_message_id, via, created_at)
         SELECT id, unit_id, NULL, 'culture', '送文化下乡', 4, ?1, registered_as, 999999, 'line', ?1
         FROM members WHERE registered_as = 9103",
    )
    .bind(beijing(2026, 11, 27, 15, 0).timestamp())
    .execute(w.app.core.store.pool())
    .await
    .unwrap();
    let deactivated = w.app.say(&w.organiser, "/deactivate 张三").await;
    assert!(deactivated.text.contains("已停用 张三"), "{}", deactivated.text);

    let (code, out, err) = w.app.cli(&["tally", "--week", "2026-W48", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let by_unit: Value = serde_json::from_str(&out).unwrap();
    let kegong = by_unit["rows"].as_array().unwrap().iter().find(|r| r["unit"] == "科工局").unwrap();
    let counts = ["service", "other", "people_served", "total"].map(|k| kegong[k].as_i64().unwrap());
    assert_eq!(counts, [1, 1, 7, 2], "{kegong}");
    assert_eq!((by_unit["total"]["total"].as_i64(), by_unit["total"]["other"].as_i64()), (Some(4), Some(1)));

    let (_, out, _) = w.app.cli(&["tally", "--week", "2026-W48", "--by", "member", "--format", "json"]).await;
    let by_member: Value = serde_json::from_str(&out).unwrap();
    let rows = by_member["rows"].as_array().unwrap();
    let zhang = rows.iter().find(|r| r["name"] == "张三").expect("a deactivated member's work still shows");
    assert_eq!((zhang["policy"].as_i64(), zhang["warmth"].as_i64()), (Some(1), Some(1)));
    let wang = rows.iter().find(|r| r["name"] == "王五").unwrap();
    assert_eq!((wang["other"].as_i64(), wang["total"].as_i64()), (Some(1), Some(2)));

    let by_site = w.app.say(&admin, "/tally 2026-W48 by:site").await;
    assert!(line(&by_site.text, "未指定站点").ends_with("其他 1｜服务 4 人次｜合计 1"), "{}", by_site.text);
    let chat = w.app.say(&admin, "/tally 2026-W48").await;
    assert!(line(&chat.text, "科工局").contains("其他 1"), "{}", chat.text);
}
