//! The command line as an admin meets it from one year to the next: the holiday calendar
//! (show, import the State Council's notice, the warning from 1 November), `sansong check`'s
//! words for wrong settings, and cron schedules as Unix cron users write them.

use crate::support::shared::ACCOUNTS_FOR_NEW_MEMBERS;
use crate::support::{cli, cli_env, repo_path};

/// A fresh database file in a temp dir (the CLI creates and migrates it).
fn fresh_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sansong.db").display());
    (dir, url)
}

/// The 2025 arrangement as published (国务院办公厅, 12 November 2024), as a unit test of the
/// parser reads it too.
const NOTICE_2025: &str = include_str!("../fixtures/holidays/2025-notice.txt");

const TOML_2025: &str = "# 国务院办公厅关于2025年部分节假日安排的通知（2024年11月12日）
# Days off, and the weekend days that are working days (调休上班).
# Written by `sansong holidays import` from the notice's text; check it against the notice.
year = 2025

holidays = [
  \"2025-01-01\", # 元旦
  \"2025-01-28..2025-02-04\", # 春节
  \"2025-04-04..2025-04-06\", # 清明节
  \"2025-05-01..2025-05-05\", # 劳动节
  \"2025-05-31..2025-06-02\", # 端午节
  \"2025-10-01..2025-10-08\", # 国庆节、中秋节
]

workdays = [
  \"2025-01-26\", # 春节调休，周日上班
  \"2025-02-08\", # 春节调休，周六上班
  \"2025-04-27\", # 劳动节调休，周日上班
  \"2025-09-28\", # 国庆节、中秋节调休，周日上班
  \"2025-10-11\", # 国庆节、中秋节调休，周六上班
]
";

#[tokio::test]
async fn importing_the_state_councils_notice_writes_exactly_the_year_file_after_yes() {
    let (dir, db) = fresh_db();
    let holidays = dir.path().join("holidays");
    let notice = dir.path().join("notice.txt");
    std::fs::write(&notice, NOTICE_2025).unwrap();
    let env = [("SANSONG_HOLIDAYS_DIR", holidays.to_str().unwrap())];

    let (code, out, err) =
        cli_env(&db, &["holidays", "import", notice.to_str().unwrap(), "--yes"], &env).await;

    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "春节：放假 1月28日（周二） 至 2月4日（周二），8天；调休上班 1月26日（周日）、2月8日（周六）"
        ),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(holidays.join("2025.toml")).unwrap(), TOML_2025);
    let (code, shown, _) = cli_env(&db, &["holidays", "show", "2025"], &env).await;
    assert_eq!(code, 0);
    assert!(
        shown.contains("1月1日（周三），1天") && shown.contains("10月1日（周三） 至 10月8日（周三），8天"),
        "{shown}"
    );
    assert!(shown.contains("调休上班：\n  1月26日（周日）"), "{shown}");
}

#[tokio::test]
async fn a_broken_line_is_named_with_its_number_and_nothing_is_written() {
    let (dir, db) = fresh_db();
    let holidays = dir.path().join("holidays");
    let notice = dir.path().join("notice.txt");
    std::fs::write(&notice, NOTICE_2025.replace("共8天。1月26日", "共7天。1月26日")).unwrap();
    let env = [("SANSONG_HOLIDAYS_DIR", holidays.to_str().unwrap())];

    let (code, out, err) =
        cli_env(&db, &["holidays", "import", notice.to_str().unwrap(), "--yes"], &env).await;

    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("第 5 行：二、春节") && err.contains("未写入任何内容"), "{err}");
    assert!(!holidays.join("2025.toml").exists());
}

#[tokio::test]
async fn without_yes_or_a_typed_confirmation_nothing_is_written() {
    let (dir, db) = fresh_db();
    let holidays = dir.path().join("holidays");
    let notice = dir.path().join("notice.txt");
    std::fs::write(&notice, NOTICE_2025).unwrap();
    let env = [("SANSONG_HOLIDAYS_DIR", holidays.to_str().unwrap())];

    // No terminal: the question meets the end of its input, which is a no.
    let (code, out, err) = cli_env(&db, &["holidays", "import", notice.to_str().unwrap()], &env).await;

    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("将写入") && err.contains("未确认，未写入任何内容"), "{out}{err}");
    assert!(!holidays.exists() || std::fs::read_dir(&holidays).unwrap().next().is_none());
}

#[tokio::test]
async fn check_warns_about_next_years_holidays_from_the_first_of_november() {
    let (_dir, db) = fresh_db();
    let on = |now: &'static str| [("SANSONG_NOW", now)];

    let (_, october, _) = cli_env(&db, &["check"], &on("2026-10-31T18:00:00+08:00")).await;
    let (_, november, _) = cli_env(&db, &["check"], &on("2026-11-01T09:00:00+08:00")).await;

    assert!(!october.contains("年度安排"), "{october}");
    let folder = repo_path("config/holidays");
    let warning = format!(
        "✗ 节假日 年度安排：2027 年的节假日安排尚未载入：国务院办公厅的通知发布后，请用 sansong holidays import 导入，写入 {}",
        folder.join("2027.toml").display()
    );
    assert!(november.contains(&warning), "{november}");
    assert!(
        november.contains(&format!("✓ 节假日 holidays_dir：{}：2026", folder.display())),
        "the absolute folder: {november}"
    );
}

#[tokio::test]
async fn check_names_each_wrong_setting_with_its_value_and_what_is_allowed_once() {
    let (_dir, db) = fresh_db();
    let bad = [
        ("SANSONG_BROADCAST_RATE", "-3"),
        ("SANSONG_TIMEZONE", "Mars/Olympus"),
        ("SANSONG_HOLIDAYS_DIR", "no-such-holidays"),
        ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
    ];

    let (code, out, _) = cli_env(&db, &["check"], &bad).await;

    assert_eq!(code, 1);
    assert!(
        out.contains("✗ 发送速率 broadcast_rate：broadcast_rate = -3 超出范围：应在 0 到 100000 条/秒之间（0 表示不限速）"),
        "{out}"
    );
    assert_eq!(out.matches("Mars/Olympus").count(), 1, "the zone is named once, on its own line: {out}");
    assert!(out.contains("✓ 其他设置：OK"), "{out}");
    let missing = repo_path("no-such-holidays");
    assert!(out.contains(&format!("✗ 节假日 holidays_dir：{} 不存在", missing.display())), "absolute: {out}");
    assert!(!out.contains("must be") && !out.contains("between"), "no English: {out}");
}

#[tokio::test]
async fn cron_ranges_that_wrap_round_are_accepted_and_one_that_never_fires_is_called_that() {
    let (_dir, db) = fresh_db();
    let add = |cron: &'static str| ["notice", "add", "--text", "值班提醒", "--to", "all", "--cron", cron];
    let now = [("SANSONG_NOW", "2026-11-25T12:00:00+08:00")];

    let (code, _, night) = cli_env(&db, &add("0 22-2 * * *"), &now).await;
    assert_eq!(code, 0, "{night}");
    assert!(
        night.contains("接下来：2026-11-25 周三 22:00；2026-11-25 周三 23:00；2026-11-26 周四 00:00"),
        "{night}"
    );
    let (code, _, weekend) = cli_env(&db, &add("0 9 * * 5-1"), &now).await;
    assert_eq!(code, 0, "{weekend}");
    assert!(
        weekend.contains("2026-11-27 周五 09:00；2026-11-28 周六 09:00；2026-11-29 周日 09:00"),
        "{weekend}"
    );
    let (code, _, never) = cli_env(&db, &add("0 0 30 2 *"), &now).await;
    assert_eq!(code, 1);
    assert!(never.contains("「0 0 30 2 *」永远不会触发") && !never.contains("已经过去"), "{never}");
}

#[tokio::test]
async fn a_six_field_schedule_shows_its_seconds_and_notice_show_lists_the_next_three_times() {
    let (_dir, db) = fresh_db();
    let now = [("SANSONG_NOW", "2026-11-25T12:00:00+08:00")];

    let (code, id, added) =
        cli_env(&db, &["notice", "add", "--text", "周例会", "--to", "all", "--cron", "30 0 9 * * 1"], &now)
            .await;
    assert_eq!(code, 0, "{added}");
    assert!(added.contains("2026-11-30 周一 09:00:30"), "{added}");
    let (code, shown, err) = cli_env(&db, &["notice", "show", id.trim()], &now).await;

    assert_eq!(code, 0, "{err}");
    assert!(
        shown
            .contains("接下来：2026-11-30 周一 09:00:30；2026-12-07 周一 09:00:30；2026-12-14 周一 09:00:30"),
        "{shown}"
    );
    let (_, plain, _) = cli(&db, &["notice", "list"]).await;
    assert!(plain.contains("09:00:30"), "{plain}");
}

#[tokio::test]
async fn a_setting_of_the_wrong_type_gets_its_own_line_and_the_rest_is_still_checked() {
    let (_dir, db) = fresh_db();
    let bad = [
        ("SANSONG_UNDO_WINDOW_HOURS", "-3"),
        ("SANSONG_BACKDATE_DAYS", "soon"),
        ("SANSONG_INVITE_USES", "0"),
        ("SANSONG_DIALOGUE_TTL_HOURS", "9999"),
        ("SANSONG_NOW", "2026-10-20T10:00:00+08:00"),
    ];

    let (code, out, _) = cli_env(&db, &["check"], &bad).await;

    assert_eq!(code, 1);
    for line in [
        "✗ 设置：undo_window_hours = -3 的类型不对：应为0 或正整数",
        "✗ 设置：backdate_days = \"soon\" 的类型不对：应为0 或正整数",
        "✗ 其他设置：invite_uses = 0 超出范围：应在 1 到 10000 之间",
        "✗ 其他设置：dialogue_ttl_hours = 9999 超出范围：应在 1 到 720 之间",
        "✓ 时区 timezone：Asia/Shanghai",
        "✓ 配置文件：",
    ] {
        assert!(out.contains(line), "{line} in:\n{out}");
    }
}

#[tokio::test]
async fn a_typed_yes_at_the_question_writes_the_year_file() {
    use tokio::io::AsyncWriteExt as _;
    let (dir, db) = fresh_db();
    let holidays = dir.path().join("holidays");
    let notice = dir.path().join("notice.txt");
    std::fs::write(&notice, NOTICE_2025).unwrap();

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sansong"))
        .args(["holidays", "import", notice.to_str().unwrap()])
        .env("SANSONG_DATABASE_URL", &db)
        .env("SANSONG_CONFIG", repo_path("config/default.toml"))
        .env("SANSONG_HOLIDAYS_DIR", &holidays)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("是\n".as_bytes()).await.unwrap();
    let out = child.wait_with_output().await.unwrap();

    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("核对无误后输入「是」写入"));
    assert_eq!(std::fs::read_to_string(holidays.join("2025.toml")).unwrap(), TOML_2025);
}

#[tokio::test]
async fn check_says_paid_broadcasts_are_on_and_what_a_notice_to_everyone_costs() {
    let (_dir, db) = fresh_db();
    cli(&db, &["org", "load", repo_path("config/org.example.toml").to_str().unwrap()]).await;
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    sqlx::query(
        "INSERT INTO members (registered_as, name, unit_id, role, registered_at)
         SELECT 70000 + u.id, '党员' || u.id, u.id, 'member', 0 FROM units u",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(ACCOUNTS_FOR_NEW_MEMBERS).execute(&pool).await.unwrap();
    pool.close().await;
    let on = [("SANSONG_BROADCAST_PAID", "true"), ("SANSONG_BROADCAST_RATE", "1000")];

    let (_, out, _) = cli_env(&db, &["check"], &on).await;
    let (_, off, _) = cli(&db, &["check"]).await;

    assert!(out.contains("✓ 付费广播 broadcast_paid：已开启（每条 0.1 Telegram Star"), "{out}");
    assert!(out.contains("向全体 4 名成员发送一次约 0.4 Stars"), "one member in each of the 4 units: {out}");
    assert!(out.contains("✓ 发送速率 broadcast_rate：1000 条/秒"), "{out}");
    assert!(!off.contains("付费广播"), "{off}");
}
