//! The weekly report's 补登 and holiday lines, the holiday calendar read again while the bot
//! runs, and a database of the previous release upgraded in place.

use std::path::Path;

use sansong::config::FontChoice;

use crate::support::{Conversation, Role, User, beijing, repo_path};

/// The weekly report texts queued for the members of `role` (the system notices' bodies).
async fn report_texts(c: &Conversation, audience_role: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT body FROM notices WHERE created_by = 'system:weekly_report' AND audience LIKE ? ORDER BY id",
    )
    .bind(format!("%{audience_role}%"))
    .fetch_all(c.core.store.pool())
    .await
    .unwrap()
}

/// Plans the report (the first tick only schedules it), then fires the one due at `at`.
async fn report_at(c: &Conversation, at: chrono::DateTime<chrono::Utc>) {
    sansong::reports::tick(&c.core).await.unwrap();
    c.set_now(at);
    sansong::reports::tick(&c.core).await.unwrap();
}

#[tokio::test]
async fn the_weekly_report_counts_the_entries_logged_after_their_week_and_after_the_last_report() {
    let c = Conversation::start_with(|config| config.report_font = FontChoice::Off).await;
    let (organiser, zhang) = (User::new(9400, "组织员老周"), User::new(9401, "张三"));
    c.register(&organiser, "人社局", Role::Organiser).await;
    c.register(&zhang, "人社局", Role::Member).await;
    c.say(&zhang, "/checkin 送政策 宣讲社保政策").await;
    // Monday 30 November, before the 09:00 report: Sunday's visit logged late.
    c.set_now(beijing(2026, 11, 30, 8, 0));
    c.say(&zhang, "/checkin 昨天 送服务 帮独居老人买药").await;
    report_at(&c, beijing(2026, 11, 30, 9, 0)).await;

    let first = report_texts(&c, "organiser").await.join("\n");
    assert!(first.contains("其中 1 次是一周结束后补登的"), "{first}");
    assert!(!first.contains("上次报告发出后"), "no report before this one: {first}");

    // After that report went out, one more of week 48's is logged; the next report says so.
    c.set_now(beijing(2026, 12, 2, 10, 0));
    c.say(&zhang, "/checkin 11月27日 送温暖 看望五保户").await;
    report_at(&c, beijing(2026, 12, 7, 9, 0)).await;

    let second = report_texts(&c, "organiser").await.pop().unwrap();
    assert!(second.contains("上次报告发出后，第48周又补登了 1 次"), "{second}");
    assert!(second.contains("2026年第49周"), "{second}");
}

#[tokio::test]
async fn the_admins_report_warns_while_next_years_holidays_are_missing_and_organisers_are_not_told() {
    let c = Conversation::start_with(|config| config.report_font = FontChoice::Off).await;
    c.register(&User::new(9410, "管理员"), "应急管理局", Role::Admin).await;
    c.register(&User::new(9411, "组织员"), "人社局", Role::Organiser).await;
    c.set_now(beijing(2026, 11, 29, 12, 0));
    report_at(&c, beijing(2026, 11, 30, 9, 0)).await;

    let admins = report_texts(&c, "admin").await.join("\n");
    let organisers = report_texts(&c, "organiser").await.join("\n");
    assert!(admins.contains("2027 年的节假日安排尚未载入"), "{admins}");
    assert!(!organisers.contains("节假日安排"), "{organisers}");
}

/// A conversation whose holidays folder is a copy of the shipped one (2026 only), to add to.
async fn with_own_holidays() -> (tempfile::TempDir, Conversation) {
    let holidays = tempfile::tempdir().unwrap();
    std::fs::copy(repo_path("config/holidays/2026.toml"), holidays.path().join("2026.toml")).unwrap();
    let dir = holidays.path().to_path_buf();
    let c = Conversation::start_with(|config| {
        config.calendar = sansong::schedule::calendar::HolidayCalendar::load_dir(&dir).unwrap();
        config.holidays_dir = dir.clone();
    })
    .await;
    (holidays, c)
}

#[tokio::test]
async fn a_holiday_file_added_while_the_bot_runs_is_read_at_the_next_scheduler_tick() {
    let (holidays, c) = with_own_holidays().await;
    let new_year = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    assert!(!c.core.calendar().knows_year(2027) && c.core.calendar().is_working_day(new_year));

    let file = "year = 2027\nholidays = [\"2027-01-01..2027-01-03\"]\nworkdays = []\n";
    std::fs::write(holidays.path().join("2027.toml"), file).unwrap();
    sansong::notices::scheduler::tick(&c.core).await.unwrap();

    assert!(c.core.calendar().knows_year(2027), "read again without a restart");
    assert!(!c.core.calendar().is_working_day(new_year));
    // A broken edit leaves the calendar as it was.
    std::fs::write(holidays.path().join("2027.toml"), "year = \"soon\"").unwrap();
    sansong::notices::scheduler::tick(&c.core).await.unwrap();
    assert!(c.core.calendar().knows_year(2027));
}

#[tokio::test]
async fn a_working_day_notice_planned_before_next_years_file_does_not_fire_on_its_holiday() {
    let (holidays, c) = with_own_holidays().await;
    c.register(&User::new(9420, "张三"), "人社局", Role::Member).await;
    // 31 December: with no 2027 file, the next working day looks like Friday 1 January.
    c.set_now(beijing(2026, 12, 31, 10, 0));
    let schedule = sansong::schedule::parse_schedule("每个工作日 09:00", c.core.tz(), c.now()).unwrap();
    let draft = sansong::notices::NoticeDraft {
        body: "每日提醒".into(),
        media: None,
        audience: sansong::notices::Audience { all: true, ..Default::default() },
        schedule,
        ack: false,
        policy: false,
        urgent: false,
        remind_after: None,
    };
    let notice =
        sansong::notices::create(&c.core, &sansong::members::Actor::Cli, &draft, None).await.unwrap();
    assert_eq!(notice.next_fire_at, Some(beijing(2027, 1, 1, 9, 0)));
    // The 2027 arrangement arrives that afternoon: 1 January is 元旦.
    let file = "year = 2027\nholidays = [\"2027-01-01..2027-01-03\"]\nworkdays = []\n";
    std::fs::write(holidays.path().join("2027.toml"), file).unwrap();

    c.set_now(beijing(2027, 1, 1, 9, 0));
    assert_eq!(c.fire_notices().await, 0, "not on 元旦");

    let next: i64 = c.scalar(&format!("SELECT next_fire_at FROM notices WHERE id = {}", notice.id)).await;
    assert_eq!(next, beijing(2027, 1, 4, 9, 0).timestamp(), "the next working day, Monday 4 January");
    assert_eq!(c.scalar("SELECT COUNT(*) FROM notice_runs").await, 0);
}

/// The migrations of the previous release (before back-dating, outages, flood counts in the
/// inbox and the reply outbox: migrations 5 to 8), applied to a new file.
async fn previous_release_database(path: &Path) -> sqlx::SqlitePool {
    release_database(path, 4).await
}

/// A database file with the first `migrations` migrations applied, as a release that had only
/// those made it.
async fn release_database(path: &Path, migrations: usize) -> sqlx::SqlitePool {
    let old = tempfile::tempdir().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(repo_path("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    for name in &names[..migrations] {
        std::fs::copy(repo_path("migrations").join(name), old.path().join(name)).unwrap();
    }
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path()).await.unwrap().run(&pool).await.unwrap();
    pool
}

#[tokio::test]
async fn a_database_of_the_previous_release_upgrades_in_place_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = previous_release_database(&path).await;
    let sent = beijing(2026, 11, 25, 10, 0).timestamp();
    for sql in [
        "INSERT INTO units (id, name, created_at) VALUES (1, '人社局', 0)".to_owned(),
        "INSERT INTO members (id, telegram_id, name, unit_id, role, registered_at) VALUES (1, 42, '张三', 1, 'member', 0)"
            .to_owned(),
        format!(
            "INSERT INTO checkins (member_id, unit_id, kind, description, sent_at, source_chat_id, source_message_id,
                                   via, created_at, week)
             VALUES (1, 1, 'policy', '宣讲社保政策', {sent}, 42, 7, 'line', {sent}, 202648)"
        ),
        format!(
            "INSERT INTO notices (created_by, body, audience, schedule, status, created_at)
             VALUES ('cli', '会议通知', '{{\"all\":true}}', '{{\"kind\":\"now\"}}', 'finished', {sent})"
        ),
        format!("INSERT INTO notice_runs (id, notice_id, due_at, fired_at, targeted) VALUES (1, 1, {sent}, {sent}, 1)"),
        format!(
            "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms,
                                     attempts, message_id, sent_at, acked_at)
             VALUES (1, 1, 42, 'notice', 'sent', 0, 0, 1, 99, {sent}, {sent})"
        ),
        format!(
            "INSERT INTO inbox (update_id, payload, received_at, handled_at, outcome)
             VALUES (5000, '{{}}', {sent}, {sent}, 'ok')"
        ),
    ] {
        sqlx::query(&sql).execute(&old).await.unwrap();
    }
    old.close().await;

    let c =
        Conversation::start_with(|config| config.database_url = format!("sqlite://{}", path.display())).await;
    let count = |table: &str| format!("SELECT COUNT(*) FROM {table}");

    assert_eq!(c.scalar(&count("checkins")).await, 1);
    assert_eq!(c.scalar(&count("notices")).await, 1);
    assert_eq!(
        c.scalar(
            "SELECT COUNT(*) FROM accounts WHERE person_id = 42 AND platform = 'telegram' AND member_id = 1"
        )
        .await,
        1,
        "the Telegram member is carried over as a Telegram account"
    );
    assert_eq!(c.scalar(&count("notice_runs")).await, 1);
    assert_eq!(
        c.scalar(&format!("SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND acked_at = {sent}"))
            .await,
        1,
        "the old delivery keeps its receipt"
    );
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM inbox WHERE platform = 'telegram' AND update_key = '5000' AND person_id IS NULL")
            .await,
        1,
        "an old inbox row stays, with no person (flood control does not count it)"
    );
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM deliveries WHERE platform = 'telegram' AND chat_id = 42").await,
        1
    );
    assert_eq!(c.scalar(&count("outages")).await, 0);
    assert_eq!(c.scalar(&count("reply_outbox")).await, 0);
    assert_eq!(
        c.scalar("SELECT logged_at FROM checkins").await,
        sent,
        "an old check-in was logged when sent"
    );
    assert_eq!(c.scalar("SELECT COUNT(*) FROM checkins WHERE done_on IS NULL").await, 1);
    let zhang = User::new(42, "张三");
    let week = crate::support::text(&c.say(&zhang, "/week 2026-W48").await);
    assert!(week.contains("宣讲社保政策") && week.contains("11月25日 周三 10:00"), "{week}");
}

/// The release before this one had migrations 1–8 (through `reply_outbox`).
#[tokio::test]
async fn a_database_of_the_last_release_upgrades_in_place_with_its_dialogues_kept_replies_and_choices() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.db");
    // The release before the platforms (migration 10): migrations 1 to 9.
    let old = release_database(&path, 9).await;
    let sent = beijing(2026, 11, 25, 10, 0).timestamp();
    let now_ms = sent * 1000;
    for sql in [
        "INSERT INTO units (id, name, created_at) VALUES (1, '人社局', 0)".to_owned(),
        "INSERT INTO members (id, telegram_id, name, unit_id, role, registered_at) VALUES (1, 42, '张三', 1, 'member', 0)"
            .to_owned(),
        format!(
            "INSERT INTO checkins (member_id, unit_id, kind, description, sent_at, source_chat_id, source_message_id,
                                   via, created_at, week, logged_at)
             VALUES (1, 1, 'policy', '宣讲社保政策', {sent}, 42, 7, 'line', {sent}, 202648, {sent})"
        ),
        format!(
            "INSERT INTO notices (created_by, body, audience, schedule, status, created_at)
             VALUES ('cli', '会议通知', '{{\"all\":true}}', '{{\"kind\":\"now\"}}', 'finished', {sent})"
        ),
        format!("INSERT INTO notice_runs (id, notice_id, due_at, fired_at, targeted) VALUES (1, 1, {sent}, {sent}, 1)"),
        format!(
            "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms,
                                     attempts, message_id, sent_at, acked_at)
             VALUES (1, 1, 42, 'notice', 'sent', 0, 0, 1, 99, {sent}, {sent})"
        ),
        format!("INSERT INTO dialogues (chat_id, state, updated_at) VALUES (42, '{{\"dialogue\":\"gone\"}}', {sent})"),
        format!(
            "INSERT INTO reply_outbox (chat_id, reply, created_at, next_attempt_ms) VALUES (42, '{{}}', {sent}, {now_ms})"
        ),
        format!("INSERT INTO outages (platform, started_at, ended_at, reported) VALUES ('telegram', {sent}, {sent}, 1)"),
        format!("INSERT INTO choices (chat_id, buttons, offered_at) VALUES (42, '[[\"送政策\",\"ck:x\"]]', {sent})"),
        format!(
            "INSERT INTO inbox (update_id, payload, received_at, handled_at, outcome, person_id)
             VALUES (5000, '{{}}', {sent}, {sent}, 'ok', 42)"
        ),
    ] {
        sqlx::query(&sql).execute(&old).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    old.close().await;

    let c =
        Conversation::start_with(|config| config.database_url = format!("sqlite://{}", path.display())).await;

    for (table, rows) in [
        ("members", 1),
        ("checkins", 1),
        ("notices", 1),
        ("notice_runs", 1),
        ("dialogues", 1),
        ("reply_outbox", 1),
        ("outages", 1),
        ("choices", 1),
        ("inbox", 1),
    ] {
        assert_eq!(c.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, rows, "{table}");
    }
    assert_eq!(
        c.scalar(
            "SELECT COUNT(*) FROM accounts WHERE person_id = 42 AND platform = 'telegram' AND member_id = 1"
        )
        .await,
        1,
        "the Telegram member becomes a member with a Telegram account"
    );
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM inbox WHERE platform = 'telegram' AND update_key = '5000' AND person_id = 42")
            .await,
        1,
        "the inbox row keeps its update id (as its key) and its person"
    );
    assert_eq!(c.scalar("SELECT COUNT(*) FROM reply_outbox WHERE platform = 'telegram'").await, 1);
    assert_eq!(
        c.scalar(&format!(
            "SELECT COUNT(*) FROM deliveries WHERE platform = 'telegram' AND chat_id = 42 AND status = 'sent' AND acked_at = {sent}"
        ))
        .await,
        1,
        "the delivered, acknowledged notice keeps its receipt, on Telegram"
    );
    let zhang = User::new(42, "张三");
    let week = crate::support::text(&c.say(&zhang, "本周").await);
    assert!(week.contains("宣讲社保政策"), "{week}");
}

/// The release before the console (migration 11): migrations 1–10, with a member on each of two
/// platforms, check-ins (one with a photo), a notice delivered on DingTalk, and every table the
/// console's release leaves as it was.
#[tokio::test]
async fn a_database_of_the_release_before_the_console_upgrades_in_place_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release10.db");
    let old = release_database(&path, 10).await;
    let sent = beijing(2026, 11, 25, 10, 0).timestamp();
    let handle = 1_152_921_504_606_846_976_i64;
    for sql in [
        "INSERT INTO units (id, name, created_at) VALUES (1, '人社局', 0), (2, '科工局', 0)".to_owned(),
        "INSERT INTO sites (id, unit_id, name, link, is_default, created_at) VALUES (1, 1, '新球社区', 'community', 1, 0)".to_owned(),
        format!("INSERT INTO handles (id, platform, external_id) VALUES ({handle}, 'dingtalk', 'manager0001')"),
        format!(
            "INSERT INTO members (id, registered_as, reached_on, name, unit_id, role, registered_at)
             VALUES (1, 42, 42, '张三', 1, 'admin', 0), (2, {handle}, {handle}, '李四', 2, 'member', 0)"
        ),
        format!(
            "INSERT INTO accounts (person_id, platform, member_id, linked_at, last_seen_at)
             VALUES (42, 'telegram', 1, 0, {sent}), ({handle}, 'dingtalk', 2, 0, {sent})"
        ),
        format!("INSERT INTO link_codes (code, member_id, created_at, expires_at) VALUES ('ABCD2345', 1, {sent}, {sent})"),
        format!(
            "INSERT INTO checkins (member_id, unit_id, site_id, kind, description, photo_file_id, sent_at, source_chat_id,
                                   source_message_id, via, created_at, week, logged_at)
             VALUES (1, 1, 1, 'policy', '宣讲社保政策', 'AgAD-old', {sent}, 42, 7, 'photo', {sent}, 202648, {sent}),
                    (2, 2, NULL, 'warmth', '看望五保户', NULL, {sent}, {handle}, 8, 'line', {sent}, 202648, {sent})"
        ),
        format!(
            "INSERT INTO notices (created_by, body, audience, schedule, status, created_at)
             VALUES ('cli', '会议通知', '{{\"all\":true}}', '{{\"kind\":\"now\"}}', 'finished', {sent})"
        ),
        format!("INSERT INTO notice_runs (id, notice_id, due_at, fired_at, targeted) VALUES (1, 1, {sent}, {sent}, 2)"),
        format!(
            "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms,
                                     attempts, message_id, sent_at, acked_at, platform)
             VALUES (1, 1, 42, 'notice', 'sent', 0, 0, 1, 99, {sent}, {sent}, 'telegram'),
                    (1, 2, {handle}, 'notice', 'sent', 0, 0, 1, 100, {sent}, NULL, 'dingtalk')"
        ),
        format!(
            "INSERT INTO inbox (platform, update_key, payload, received_at, handled_at, outcome, person_id)
             VALUES ('dingtalk', 'msg-1', '{{}}', {sent}, {sent}, 'ok', {handle})"
        ),
        format!("INSERT INTO audit_log (at, actor, action, detail) VALUES ({sent}, 'cli', 'export', 'x.xlsx')"),
    ] {
        sqlx::query(&sql).execute(&old).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    old.close().await;

    let c =
        Conversation::start_with(|config| config.database_url = format!("sqlite://{}", path.display())).await;

    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM units WHERE (id, name) IN (VALUES (1, '人社局'), (2, '科工局'))")
            .await,
        2
    );
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM sites WHERE id = 1 AND name = '新球社区' AND is_default = 1").await,
        1
    );
    for (table, rows) in [
        ("handles", 1),
        ("members", 2),
        ("accounts", 2),
        ("link_codes", 1),
        ("checkins", 2),
        ("notices", 1),
        ("notice_runs", 1),
        ("deliveries", 2),
        ("inbox", 1),
        ("audit_log", 1),
        ("web_links", 0),
        ("web_sessions", 0),
        ("checkin_photos", 0),
    ] {
        assert_eq!(c.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, rows, "{table}");
    }
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM deliveries WHERE platform = 'dingtalk' AND acked_at IS NULL").await,
        1,
        "the DingTalk delivery keeps its platform and its missing acknowledgement"
    );
    // The old admin can use the console at once, and sees the old check-ins there.
    let admin = sansong::members::find_members(&c.core, &sansong::members::Actor::Cli, "张三")
        .await
        .unwrap()
        .remove(0);
    let link = sansong::logins::login_link(&c.core, &sansong::members::Actor::Member(admin.clone()), None)
        .await
        .unwrap();
    let session = sansong::logins::log_in(&c.core, &link.token).await.unwrap();
    assert_eq!(session.member.id, admin.id);
    let scope = sansong::tally::scope_for(&c.core, &sansong::members::Actor::Member(admin.clone()), None)
        .await
        .unwrap();
    let week = sansong::tally::Period::Week(sansong::week::Week::new(2026, 48).unwrap());
    let records =
        sansong::tally::views::records(&c.core, &scope, week, Default::default(), 1, 50).await.unwrap();
    assert_eq!(records.total, 2);
    let photo = sansong::tally::views::photo(
        &c.core,
        &sansong::members::Actor::Member(admin),
        records.rows[1].id.min(records.rows[0].id),
    )
    .await
    .unwrap();
    assert_eq!(
        photo,
        sansong::tally::views::Photo::AtPlatform(sansong::domain::Platform::Telegram, "AgAD-old".into())
    );
    let zhang = User::new(42, "张三");
    let week = crate::support::text(&c.say(&zhang, "本周").await);
    assert!(week.contains("宣讲社保政策"), "{week}");
}

#[tokio::test]
async fn a_database_of_the_release_before_the_console_could_run_the_campaign_upgrades_in_place_with_every_row()
 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release11.db");
    let old = release_database(&path, 11).await;
    let sent = beijing(2026, 12, 2, 10, 0).timestamp();
    let later = beijing(2027, 6, 1, 0, 0).timestamp();
    for sql in [
        "INSERT INTO units (id, name, created_at) VALUES (1, '人社局', 0), (2, '科工局', 0)".to_owned(),
        "INSERT INTO sites (id, unit_id, name, link, is_default, created_at) VALUES (1, 1, '新球社区', 'community', 1, 0), (2, 2, '东坑村', 'village', 0, 0)".to_owned(),
        "INSERT INTO members (id, registered_as, reached_on, name, unit_id, role, registered_at) VALUES (1, 42, 42, '张三', 1, 'admin', 0)".to_owned(),
        format!("INSERT INTO accounts (person_id, platform, member_id, linked_at, last_seen_at) VALUES (42, 'telegram', 1, 0, {sent})"),
        format!(
            "INSERT INTO invites (code, unit_id, role, max_uses, uses, expires_at, created_at, created_by)
             VALUES ('OldInviteCode000000001', 2, 'member', 5, 1, {later}, {sent}, 'cli')"
        ),
        format!(
            "INSERT INTO checkins (member_id, unit_id, site_id, kind, description, sent_at, source_chat_id,
                                   source_message_id, via, created_at, week, logged_at)
             VALUES (1, 1, 1, 'policy', '宣讲社保政策', {sent}, 42, 7, 'line', {sent}, 202649, {sent})"
        ),
        format!(
            "INSERT INTO web_sessions (token_hash, member_id, created_at, last_seen_at) VALUES ('ab', 1, {sent}, {sent})"
        ),
        format!("INSERT INTO audit_log (at, actor, action, detail) VALUES ({sent}, 'cli', 'export', 'x.xlsx')"),
        format!(
            "INSERT INTO notices (id, created_by, creator_member_id, body, audience, schedule, status, created_at, ack_required)
             VALUES (1, 'tg:42', 1, '周五前报送三送情况', '{{\"all\":true}}', '{{\"kind\":\"now\"}}', 'finished', {sent}, 1)"
        ),
        format!("INSERT INTO notice_runs (id, notice_id, due_at, fired_at, targeted) VALUES (1, 1, {sent}, {sent}, 1)"),
        format!(
            "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms,
                                     attempts, message_id, sent_at, acked_at, platform)
             VALUES (1, 1, 42, 'notice', 'sent', 0, 0, 1, 99, {sent}, NULL, 'telegram')"
        ),
    ] {
        sqlx::query(&sql).execute(&old).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    old.close().await;

    let c =
        Conversation::start_with(|config| config.database_url = format!("sqlite://{}", path.display())).await;

    // The test's set-up loads the example organisation on top: the old units and sites are there
    // with their ids, beside the example's.
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM units WHERE (id, name) IN (VALUES (1, '人社局'), (2, '科工局'))")
            .await,
        2
    );
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM sites WHERE (id, name) IN (VALUES (1, '新球社区'), (2, '东坑村'))")
            .await,
        2
    );
    for (table, rows) in [
        ("members", 1),
        ("invites", 1),
        ("checkins", 1),
        ("web_sessions", 1),
        ("audit_log", 1),
        ("notices", 1),
        ("notice_runs", 1),
        ("deliveries", 1),
        ("api_tokens", 0),
        ("unit_dingtalk_departments", 0),
    ] {
        assert_eq!(c.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, rows, "{table}");
    }
    assert_eq!(
        c.scalar("SELECT COUNT(*) FROM sites WHERE archived_at IS NOT NULL").await,
        0,
        "no site is archived"
    );
    // The old invite is still open, and still lets someone join.
    let open = sansong::members::open_invites(&c.core, &sansong::members::Actor::Cli).await.unwrap();
    assert_eq!(open.len(), 1);
    let joined =
        crate::support::text(&c.say(&User::new(77, "新成员"), "/start OldInviteCode000000001").await);
    assert!(joined.contains("科工局"), "{joined}");
    // The old sites are offered as before.
    let sites = sansong::org::sites_of(&c.core, 2).await.unwrap();
    assert!(sites.iter().any(|s| s.name == "东坑村"), "{sites:?}");
    // The old notice's receipts read by unit, as the console shows them, and it can be reminded.
    let cli = sansong::members::Actor::Cli;
    let (_, report, units) = sansong::notices::receipts(&c.core, &cli, 1).await.unwrap();
    assert_eq!((report.sent, report.acknowledged), (1, 0));
    assert_eq!(units.iter().map(|u| (u.unit.as_str(), u.sent)).collect::<Vec<_>>(), [("人社局", 1)]);
    assert_eq!(
        sansong::notices::remind_now(&c.core, &cli, 1).await.unwrap(),
        sansong::notices::Reminded::Queued(1)
    );
}

#[tokio::test]
async fn a_database_of_the_release_before_wecom_upgrades_in_place_with_every_row_and_keeps_wecom_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release12.db");
    let old = release_database(&path, 12).await;
    let sent = beijing(2026, 11, 25, 10, 0).timestamp();
    for sql in [
        "INSERT INTO units (id, name, created_at) VALUES (1, '人社局', 0), (2, '科工局', 0)".to_owned(),
        "INSERT INTO sites (id, unit_id, name, link, is_default, created_at, archived_at) VALUES (1, 1, '新球社区', 'community', 1, 0, NULL), (2, 2, '旧厂区', 'enterprise', 0, 0, 5)".to_owned(),
        "INSERT INTO members (id, registered_as, reached_on, name, unit_id, role, registered_at) VALUES (1, 42, 42, '张三', 1, 'admin', 0)".to_owned(),
        format!("INSERT INTO accounts (person_id, platform, member_id, linked_at, last_seen_at) VALUES (42, 'telegram', 1, 0, {sent})"),
        format!(
            "INSERT INTO checkins (member_id, unit_id, site_id, kind, description, photo_file_id, sent_at, source_chat_id,
                                   source_message_id, via, created_at, week, logged_at)
             VALUES (1, 1, 1, 'warmth', '看望困难党员', 'dt:old-code', {sent}, 42, 7, 'photo', {sent}, 202648, {sent})"
        ),
        format!("INSERT INTO api_tokens (name, token_hash, created_by, created_at) VALUES ('统计大屏', 'ff', 1, {sent})"),
        format!("INSERT INTO unit_dingtalk_departments (department_id, unit_id, added_at) VALUES (12345, 2, {sent})"),
        format!(
            "INSERT INTO notices (id, created_by, creator_member_id, body, audience, schedule, status, created_at, ack_required)
             VALUES (1, 'tg:42', 1, '周五前报送三送情况', '{{\"all\":true}}', '{{\"kind\":\"now\"}}', 'finished', {sent}, 1)"
        ),
        format!("INSERT INTO notice_runs (id, notice_id, due_at, fired_at, targeted) VALUES (1, 1, {sent}, {sent}, 1)"),
        format!(
            "INSERT INTO deliveries (run_id, member_id, chat_id, kind, status, not_before_ms, next_attempt_ms,
                                     attempts, message_id, sent_at, acked_at, platform)
             VALUES (1, 1, 42, 'notice', 'sent', 0, 0, 1, 99, {sent}, {sent}, 'telegram')"
        ),
    ] {
        sqlx::query(&sql).execute(&old).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    old.close().await;

    let c =
        Conversation::start_with(|config| config.database_url = format!("sqlite://{}", path.display())).await;

    for (table, rows) in [
        ("members", 1),
        ("accounts", 1),
        ("checkins", 1),
        ("api_tokens", 1),
        ("unit_dingtalk_departments", 1),
        ("notices", 1),
        ("notice_runs", 1),
        ("deliveries", 1),
        ("received_files", 0),
    ] {
        assert_eq!(c.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, rows, "{table}");
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM sites WHERE id = 2 AND archived_at = 5").await, 1);
    // The old check-in's photo is still DingTalk's, and its week reads as before.
    assert_eq!(sansong::tally::views::photo_platform("dt:old-code"), sansong::domain::Platform::DingTalk);
    let week = crate::support::text(&c.say(&User::new(42, "张三"), "本周").await);
    assert!(week.contains("看望困难党员"), "{week}");
    let cli = sansong::members::Actor::Cli;
    let (_, report, _) = sansong::notices::receipts(&c.core, &cli, 1).await.unwrap();
    assert_eq!((report.sent, report.acknowledged), (1, 1));
    // A file received on WeCom is kept, once, and read back by its id.
    let store = &c.core.store;
    let now = c.core.now();
    let wecom = sansong::domain::Platform::WeCom;
    store.put_received_file(wecom, "wc:msg1", "现场.jpg", b"jpeg bytes", now).await.unwrap();
    store.put_received_file(wecom, "wc:msg1", "again.jpg", b"other", now).await.unwrap();
    assert_eq!(
        store.received_file(wecom, "wc:msg1").await.unwrap(),
        Some(("现场.jpg".to_owned(), b"jpeg bytes".to_vec()))
    );
    assert_eq!(sansong::tally::views::photo_platform("wc:msg1"), wecom);
}
