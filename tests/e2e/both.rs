//! What people do on every platform, written once and run on each (Telegram, DingTalk and
//! WeCom, each against its fake): joining with an invite, checking in by a line and by the guided
//! dialogue typed, a notice composed by typing and acknowledged with 收到, the tally and the
//! export, the strictest platform's limit on a notice, and a pasted burst delayed, never
//! dropped (the steps every platform shares, `sansong::handling`). Typed Chinese words work
//! everywhere, so the same words drive them all.
use sansong::domain::Role;

use crate::support::driver::Platform;

async fn join<P: Platform>(p: &P, user: &P::User, name: &str, unit: &str, role: Role) {
    let code = p.invite(unit, role).await;
    let welcome = p.ask(user, &format!("加入 {code}"), "欢迎您").await;
    assert!(welcome.text.starts_with(&format!("欢迎您，{name}！")), "{welcome:?}");
}

async fn a_person_joins_with_an_invite_and_checks_in_by_a_line<P: Platform>() {
    let p = P::spawn().await;
    let zhang = P::person(1, "张三");
    join(&p, &zhang, "张三", "人社局", Role::Member).await;

    let receipt = p.say(&zhang, "送温暖 看望五保户王大爷").await;
    let week = p.ask(&zhang, "本周", "本周").await;

    assert!(receipt.text.starts_with("✅ 已登记，编号 #1"), "{receipt:?}");
    assert!(week.text.contains("看望五保户王大爷") && week.text.contains("共 1 次"), "{week:?}");
}

async fn the_guided_check_in_is_done_by_typing_its_options<P: Platform>() {
    let p = P::spawn().await;
    let li = P::person(2, "李四");
    join(&p, &li, "李四", "人社局", Role::Member).await;

    p.ask(&li, "登记", "请选择活动类型").await;
    p.ask(&li, "2", "类型：送服务").await;
    p.ask(&li, "帮独居老人买药", "下一步").await;
    p.ask(&li, "下一步", "确认登记").await;
    let done = p.ask(&li, "1", "已登记").await;

    assert!(done.text.contains("类型：送服务"), "{done:?}");
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM checkins WHERE kind = 'service' AND description = '帮独居老人买药'",
    )
    .fetch_one(p.core().store.pool())
    .await
    .unwrap();
    assert_eq!(n, 1);
}

async fn a_notice_composed_by_typing_is_received_and_acknowledged_with_shou_dao<P: Platform>() {
    let p = P::spawn().await;
    let organiser = P::person(3, "李组织");
    let member = P::person(4, "王五");
    join(&p, &organiser, "李组织", "人社局", Role::Organiser).await;
    join(&p, &member, "王五", "人社局", Role::Member).await;

    p.ask(&organiser, "通知", "请发送通知内容").await;
    p.ask(&organiser, "关于冬季走访的安排", "本单位全体").await;
    p.ask(&organiser, "1", "立即发送").await;
    p.ask(&organiser, "立即发送", "预览").await;
    p.ask(&organiser, "需确认", "☑ 需确认").await;
    p.ask(&organiser, "预览", "确认发布").await;
    let mark = p.mark();
    p.send(&organiser, "确认发布");
    p.next_such(&organiser, mark, |s| s.text.contains("已发布通知 #")).await;
    p.next_such(&member, mark, |s| s.text.contains("关于冬季走访的安排")).await;
    let ack = p.ask(&member, "收到", "已确认收到").await;
    let receipts = p.ask(&organiser, "回执 1", "已确认").await;

    assert!(ack.text.contains("关于冬季走访的安排"), "{ack:?}");
    assert!(receipts.text.contains("已确认 1"), "{receipts:?}");
}

async fn an_admin_reads_the_tally_and_gets_the_export_as_a_file<P: Platform>() {
    let p = P::spawn().await;
    let admin = P::person(5, "郑管理");
    join(&p, &admin, "郑管理", "人社局", Role::Admin).await;
    p.say(&admin, "送政策 宣讲社保政策").await;

    let tally = p.ask(&admin, "统计", "人社局").await;
    let mark = p.mark();
    p.send(&admin, "导出");
    let file = p.next_such(&admin, mark, |s| s.file).await;

    assert!(tally.text.contains("送政策"), "{tally:?}");
    assert!(file.file);
}

async fn a_notice_too_long_for_any_platform_is_refused_naming_that_platform<P: Platform>() {
    let p = P::spawn().await;
    let organiser = P::person(6, "钱组织");
    join(&p, &organiser, "钱组织", "人社局", Role::Organiser).await;

    p.ask(&organiser, "通知", "请发送通知内容").await;
    // Written on DingTalk or not, a notice may reach a member on Telegram, whose limit
    // (4,096 UTF-16 units) is the strictest any platform declares.
    let refused = p.ask(&organiser, &"字".repeat(4097), "上限").await;

    assert!(refused.text.contains("有 4097 个字符，超过了 Telegram 4096 个字符的上限"), "{refused:?}");
    let notices: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notices").fetch_one(p.core().store.pool()).await.unwrap();
    assert_eq!(notices, 0);
}

async fn thirty_check_ins_pasted_at_once_are_all_recorded_in_order_while_others_are_answered<P: Platform>() {
    let p = P::spawn().await;
    let flooder = P::person(7, "刷屏者");
    let other = P::person(8, "旁人");
    join(&p, &flooder, "刷屏者", "人社局", Role::Member).await;
    join(&p, &other, "旁人", "人社局", Role::Member).await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM checkins")
            .fetch_one(p.core().store.pool())
            .await
            .unwrap()
    };

    for i in 0..30 {
        p.send(&flooder, &format!("送服务 第{i}条"));
    }
    let answer = p.ask(&other, "本周", "本周").await;
    let recorded_then = count().await;
    crate::support::eventually("all thirty to be recorded", std::time::Duration::from_secs(40), || async {
        (count().await == 30).then_some(())
    })
    .await;

    assert!(answer.text.contains("本周"), "{answer:?}");
    assert!(recorded_then < 30, "the other person was not kept waiting behind the flood");
    let descriptions: Vec<String> = sqlx::query_scalar("SELECT description FROM checkins ORDER BY id")
        .fetch_all(p.core().store.pool())
        .await
        .unwrap();
    let expected: Vec<String> = (0..30).map(|i| format!("第{i}条")).collect();
    assert_eq!(descriptions, expected, "every one, in the order sent, none refused");
}

async fn an_organisers_console_link_logs_them_in_once_and_a_member_has_none<P: Platform>() {
    let p = P::spawn().await;
    let organiser = P::person(7, "赵组织");
    let member = P::person(8, "钱党员");
    join(&p, &organiser, "赵组织", "科工局", Role::Organiser).await;
    join(&p, &member, "钱党员", "科工局", Role::Member).await;

    let answer = p.ask(&organiser, "后台", "管理后台登录链接").await;
    let refused = p.ask(&member, "后台", "管理后台").await;

    let token = answer
        .text
        .split("/login/")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_alphanumeric).collect::<String>())
        .unwrap_or_else(|| panic!("no login link in {answer:?}"));
    assert!(answer.text.contains("http://127.0.0.1:8080/login/"), "{answer:?}");
    assert_eq!(token.len(), 32);
    let looked = sansong::logins::look(p.core(), &token).await.unwrap();
    assert_eq!(looked, sansong::logins::LinkView::Login { name: "赵组织".into() });
    let session = sansong::logins::log_in(p.core(), &token).await.unwrap();
    assert_eq!(session.member.name, "赵组织");
    assert!(sansong::logins::log_in(p.core(), &token).await.is_err(), "a link works once");
    assert!(
        refused.text.contains("供组织员和管理员使用") && !refused.text.contains("/login/"),
        "{refused:?}"
    );
}

/// Each behaviour above as a test on each platform: `both::telegram::…`, `both::dingtalk::…`,
/// `both::wecom::…`.
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
    };
}

on_every_platform!(
    a_person_joins_with_an_invite_and_checks_in_by_a_line,
    the_guided_check_in_is_done_by_typing_its_options,
    a_notice_composed_by_typing_is_received_and_acknowledged_with_shou_dao,
    an_admin_reads_the_tally_and_gets_the_export_as_a_file,
    a_notice_too_long_for_any_platform_is_refused_naming_that_platform,
    thirty_check_ins_pasted_at_once_are_all_recorded_in_order_while_others_are_answered,
    an_organisers_console_link_logs_them_in_once_and_a_member_has_none,
);
