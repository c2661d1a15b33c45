//! Commands in the middle of a dialogue, written once and run on every platform (Telegram,
//! DingTalk, WeCom and the terminal): a command runs with its arguments where the step expects an
//! option, says once that the dialogue is still open, and the dialogue then goes on by the
//! number of its option; a confirmation presses the step's main option; a description that
//! starts with a command word stays a description.

use sansong::domain::Role;

use crate::support::driver::Platform;

/// The line under a command's answer while the notice is being composed.
const NOTICE_STILL_OPEN: &str = "「发布通知」还在进行：回复序号继续，或发送「取消」退出。";
const CHECKIN_STILL_OPEN: &str = "「登记」还在进行：回复序号继续，或发送「取消」退出。";

async fn join<P: Platform>(p: &P, user: &P::User, unit: &str, role: Role) {
    let code = p.invite(unit, role).await;
    p.ask(user, &format!("加入 {code}"), "欢迎您").await;
}

async fn scalar<P: Platform>(p: &P, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(p.core().store.pool()).await.unwrap()
}

async fn commands_typed_while_a_notice_is_composed_run_and_the_notice_goes_on_by_its_number<P: Platform>() {
    let p = P::spawn().await;
    let admin = P::person(11, "郑管理");
    join(&p, &admin, "人社局", Role::Admin).await;
    p.ask(&admin, "送政策 宣讲社保政策", "已登记").await;

    p.ask(&admin, "通知", "请发送通知内容").await;
    p.ask(&admin, "请各支部本周内完成走访", "全体成员").await;
    p.ask(&admin, "1", "立即发送").await;
    p.ask(&admin, "立即", "预览").await;
    let again = p.ask(&admin, "确认发布", "请回复下面选项的序号").await;
    let preview = p.ask(&admin, "下一步", "确认无误").await;
    let listed = p.ask(&admin, "通知列表", "还没有通知").await;
    let acked = p.ask(&admin, "收到", "目前没有需要确认收到的通知").await;
    let undone = p.ask(&admin, "撤销", "已撤销").await;
    let mark = p.mark();
    p.send(&admin, "导出");
    let exported = p.next_such(&admin, mark, |s| s.file).await;
    let reminder = p.ask(&admin, "提醒 关", "已关闭每周打卡提醒").await;
    let reminders = scalar(&p, "SELECT reminders FROM members").await;
    let notices_before = scalar(&p, "SELECT COUNT(*) FROM notices").await;
    let published = p.ask(&admin, "1", "已发布通知").await;

    let shows = |said: &crate::support::driver::Said, label: &str| {
        said.text.contains(label) || said.options.iter().any(|o| o.contains(label))
    };
    assert!(
        shows(&again, "预览"),
        "a step's own option the step does not show: its options again: {again:?}"
    );
    assert!(shows(&preview, "确认发布"), "下一步 pressed 预览: {preview:?}");
    assert!(listed.text.ends_with(NOTICE_STILL_OPEN), "{listed:?}");
    for said in [&acked, &undone, &exported, &reminder] {
        assert!(!said.text.contains("还在进行"), "said once, not after every command: {said:?}");
    }
    assert!(undone.text.contains("#1"), "{undone:?}");
    assert_eq!(reminders, 0, "the reminder is off");
    assert_eq!(notices_before, 0, "nothing published while the commands ran");
    assert!(published.text.contains("已发布通知 #1"), "the dialogue went on by its number: {published:?}");
    assert_eq!(scalar(&p, "SELECT COUNT(*) FROM dialogues").await, 0, "and is over");
}

async fn undo_with_a_number_at_the_check_ins_kind_step_undoes_that_check_in<P: Platform>() {
    let p = P::spawn().await;
    let li = P::person(12, "李四");
    join(&p, &li, "人社局", Role::Member).await;
    for i in 1..=12 {
        p.ask(&li, &format!("送服务 第{i}次走访"), &format!("编号 #{i}")).await;
    }

    p.ask(&li, "登记", "请选择活动类型").await;
    let undone = p.ask(&li, "撤销 12", "已撤销").await;
    let kind = p.ask(&li, "2", "类型：送服务").await;

    assert!(undone.text.contains("#12"), "{undone:?}");
    assert!(undone.text.ends_with(CHECKIN_STILL_OPEN), "{undone:?}");
    assert!(kind.text.contains("请用一段文字说明"), "the check-in went on: {kind:?}");
    let undone_id = scalar(&p, "SELECT id FROM checkins WHERE deleted_at IS NOT NULL").await;
    assert_eq!(undone_id, 12);
    assert_eq!(scalar(&p, "SELECT COUNT(*) FROM checkins WHERE deleted_at IS NULL").await, 11);
}

async fn a_confirmation_at_the_check_ins_confirm_step_records_it<P: Platform>() {
    let p = P::spawn().await;
    let wang = P::person(13, "王五");
    join(&p, &wang, "人社局", Role::Member).await;

    p.ask(&wang, "登记", "请选择活动类型").await;
    p.ask(&wang, "2", "类型：送服务").await;
    p.ask(&wang, "帮独居老人买药", "下一步").await;
    let confirm = p.ask(&wang, "好", "请确认").await;
    let done = p.ask(&wang, "确认", "已登记").await;

    assert!(confirm.text.contains("内容：帮独居老人买药"), "好 pressed 下一步: {confirm:?}");
    assert!(done.text.contains("✅ 已登记，编号 #1"), "{done:?}");
    assert_eq!(scalar(&p, "SELECT COUNT(*) FROM checkins WHERE description = '帮独居老人买药'").await, 1);
    assert_eq!(scalar(&p, "SELECT COUNT(*) FROM dialogues").await, 0);
}

async fn a_description_that_starts_with_undo_stays_a_description<P: Platform>() {
    let p = P::spawn().await;
    let zhao = P::person(14, "赵六");
    join(&p, &zhao, "人社局", Role::Member).await;
    p.ask(&zhao, "送温暖 看望五保户王大爷", "编号 #1").await;

    p.ask(&zhao, "送政策", "请用一段文字说明").await;
    let extras = p.ask(&zhao, "撤销了原定的讲座，改为入户宣讲", "下一步").await;
    p.ask(&zhao, "下一步", "请确认").await;
    let done = p.ask(&zhao, "确认登记", "已登记").await;

    assert!(extras.text.contains("已记下内容"), "{extras:?}");
    assert!(done.text.contains("编号 #2"), "{done:?}");
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT description FROM checkins WHERE deleted_at IS NULL ORDER BY id")
            .fetch_all(p.core().store.pool())
            .await
            .unwrap();
    assert_eq!(kept, ["看望五保户王大爷", "撤销了原定的讲座，改为入户宣讲"], "nothing was undone");
}

/// Each behaviour above as a test on each platform: `midway::telegram::…`, `midway::dingtalk::…`,
/// `midway::wecom::…`, `midway::terminal::…`.
macro_rules! on_every_platform {
    ($($behaviour:ident),* $(,)?) => {
        mod telegram {
            $(#[tokio::test]
            async fn $behaviour() {
                super::$behaviour::<crate::support::TestApp>().await
            })*
        }
        mod dingtalk {
            $(#[tokio::test]
            async fn $behaviour() {
                super::$behaviour::<crate::support::dingtalk_app::DingTalkApp>().await
            })*
        }
        mod wecom {
            $(#[tokio::test]
            async fn $behaviour() {
                super::$behaviour::<crate::support::wecom_app::WeComApp>().await
            })*
        }
        mod terminal {
            $(#[tokio::test]
            async fn $behaviour() {
                super::$behaviour::<crate::support::terminal_app::TerminalApp>().await
            })*
        }
    };
}

on_every_platform!(
    commands_typed_while_a_notice_is_composed_run_and_the_notice_goes_on_by_its_number,
    undo_with_a_number_at_the_check_ins_kind_step_undoes_that_check_in,
    a_confirmation_at_the_check_ins_confirm_step_records_it,
    a_description_that_starts_with_undo_stays_a_description,
);
