//! What organisers and admins do in the chat: tallies, who is missing, exports, invites, roles;
//! and what a member is told when they try.

use crate::support::{BOT, Conversation, Reply, Role, User, beijing, is_polite_chinese, labels, text, texts};

/// The line of a tally that starts with `label：`.
fn line<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{label}：")))
        .unwrap_or_else(|| panic!("no line for {label} in:\n{text}"))
}

/// 人社局: an organiser and two members, one of whom checked in twice; 科工局: one member
/// who checked in once.
async fn renshe() -> (Conversation, User, User, User) {
    let c = Conversation::start().await;
    let organiser = User::new(9100, "组织员老周");
    let (zhang, li) = (User::new(9101, "张三"), User::new(9102, "李四"));
    let wang = User::new(9103, "王五");
    c.register(&organiser, "人社局", Role::Organiser).await;
    c.register(&zhang, "人社局", Role::Member).await;
    c.register(&li, "人社局", Role::Member).await;
    c.register(&wang, "科工局", Role::Member).await;
    c.say(&zhang, "/checkin 送政策 宣讲社保政策，服务12人").await;
    c.say(&zhang, "/checkin 送温暖 看望独居老人").await;
    c.say(&wang, "/checkin 送服务 帮企业办理手续").await;
    (c, organiser, zhang, li)
}

#[tokio::test]
async fn a_member_asking_for_a_tally_or_a_notice_is_refused_politely_while_an_organiser_gets_the_tally() {
    let (c, organiser, zhang, _) = renshe().await;

    for command in ["/tally", "/notice", "/missing", "/export", "/invite", "/members", "/tally unit:科工局"]
    {
        let refused = texts(&c.say(&zhang, command).await);
        assert_eq!(refused, ["抱歉，这项功能仅限组织员使用。"], "{command}");
        assert!(is_polite_chinese(&refused[0]));
    }
    assert_eq!(c.scalar("SELECT COUNT(*) FROM dialogues").await, 0, "/notice opened no composer");

    let tally = text(&c.say(&organiser, "/tally").await);
    assert!(
        tally.starts_with("📊 三送工作统计 · 人社局\n2026年第48周（11月23日—11月29日），按单位"),
        "{tally}"
    );
    assert_eq!(
        line(&tally, "人社局"),
        "人社局：成员 3 人，已登记 1 人｜送政策 1 · 送服务 0 · 送温暖 1｜服务 12 人次｜合计 2"
    );
    assert!(!tally.contains("科工局"), "only their own unit: {tally}");
    let other = text(&c.say(&organiser, "/tally unit:科工局").await);
    assert_eq!(other, "抱歉，您只能管理本单位的事务。");
    let by_member = text(&c.say(&organiser, "/tally by:member").await);
    assert!(line(&by_member, "张三（人社局）").ends_with("合计 2"), "{by_member}");
}

#[tokio::test]
async fn a_checkin_sent_late_on_sunday_counts_in_its_own_week_when_it_arrives_on_monday() {
    let (c, organiser, _, li) = renshe().await;
    c.set_now(beijing(2026, 11, 30, 8, 0));

    let receipt = c.say_at(&li, "/checkin 送服务 周日晚上帮居民修水管", beijing(2026, 11, 29, 23, 59)).await;

    assert!(text(&receipt).contains("2026年第48周您已登记 1 次"), "{receipt:#?}");
    let w48 = text(&c.say(&organiser, "/tally last").await);
    let w49 = text(&c.say(&organiser, "/tally").await);
    assert!(line(&w48, "人社局").ends_with("合计 3"), "{w48}");
    assert!(w49.contains("2026年第49周") && line(&w49, "人社局").ends_with("合计 0"), "{w49}");
}

#[tokio::test]
async fn missing_lists_the_members_of_the_unit_without_a_checkin_this_week() {
    let (c, organiser, _, _) = renshe().await;

    let missing = text(&c.say(&organiser, "/missing").await);
    let sites = text(&c.say(&organiser, "/missing sites 送服务").await);

    assert!(missing.contains("以下 2 位成员尚无登记（仅供了解情况，不作考核排名）"), "{missing}");
    assert!(missing.contains("人社局（2 人）：") && missing.contains("李四"), "{missing}");
    assert!(missing.contains("组织员老周"), "organisers are members too: {missing}");
    assert!(!missing.contains("张三") && !missing.contains("王五"), "{missing}");
    assert!(
        sites.contains("尚无「送服务」登记") && sites.contains("五里牌街道新球社区（联社区）"),
        "{sites}"
    );
}

#[tokio::test]
async fn export_gives_a_file_upload_with_the_units_records() {
    let (c, organiser, _, _) = renshe().await;

    let xlsx = c.say(&organiser, "/export").await;
    let csv = c.say(&organiser, "/export csv").await;

    let [Reply::Upload { name, bytes, caption, .. }] = xlsx.as_slice() else { panic!("{xlsx:#?}") };
    assert!(name.ends_with(".xlsx"), "{name}");
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip");
    assert!(caption.contains("人社局：共 2 条登记记录"), "{caption}");
    let [Reply::Upload { name, bytes, .. }] = csv.as_slice() else { panic!("{csv:#?}") };
    assert!(name.ends_with(".csv"), "{name}");
    let csv = String::from_utf8(bytes.clone()).unwrap();
    assert!(csv.starts_with("\u{feff}编号,成员,单位"), "a BOM for Excel, then the header: {csv}");
    assert!(csv.contains("宣讲社保政策，服务12人") && !csv.contains("帮企业办理手续"), "{csv}");
    let audited = c.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export'").await;
    assert_eq!(audited, 2, "each export is audited");
}

#[tokio::test]
async fn remind_off_then_on_changes_the_members_own_setting() {
    let (c, _, zhang, _) = renshe().await;
    let reminders = || async { c.member(&zhang).await.unwrap().reminders };

    let status = texts(&c.say(&zhang, "/remind").await);
    let off = texts(&c.say(&zhang, "/remind off").await);
    let is_off = reminders().await;
    let off_status = texts(&c.say(&zhang, "/remind").await);
    let bad = text(&c.say(&zhang, "/remind maybe").await);
    let on = texts(&c.say(&zhang, "/remind 开启").await);

    assert!(status[0].starts_with("每周打卡提醒：已开启"), "{status:?}");
    assert!(off[0].starts_with("好的，已关闭每周打卡提醒"), "{off:?}");
    assert!(!is_off);
    assert!(off_status[0].starts_with("每周打卡提醒：已关闭"), "{off_status:?}");
    assert!(bad.contains("「maybe」看不懂") && bad.contains("提醒 开（开启提醒）"), "{bad}");
    assert_eq!(on, ["好的，已开启每周打卡提醒。"], "in Chinese too");
    assert!(reminders().await);
}

#[tokio::test]
async fn an_organisers_invite_made_in_the_chat_lets_a_newcomer_join_their_unit() {
    let c = Conversation::start_with(|config| config.bot_username = Some(BOT.into())).await;
    let organiser = User::new(9200, "李组织");
    c.register(&organiser, "人社局", Role::Organiser).await;

    let invite = text(&c.say(&organiser, "/invite 10次 7d").await);
    let higher = text(&c.say(&organiser, "/invite admin").await);

    assert!(invite.starts_with("邀请已生成：人社局 · 党员 · 可用 10 次"), "{invite}");
    let link = format!("https://t.me/{BOT}?start=");
    let code = invite.split(&link).nth(1).and_then(|r| r.split_whitespace().next()).expect("a deep link");
    assert_eq!(higher, "组织员只能邀请本单位的党员；邀请组织员或管理员，请联系管理员。");
    let newcomer = User::new(9201, "新同志");
    let welcome = c.register_with(code, &newcomer).await;
    assert!(text(&welcome).contains("您已加入「人社局」，身份：党员"), "{welcome:#?}");
}

#[tokio::test]
async fn an_admin_promotes_a_member_whose_menu_follows_while_an_organiser_is_refused() {
    let (c, organiser, zhang, li) = renshe().await;
    let admin = User::new(9104, "王管理");
    c.register(&admin, "科工局", Role::Admin).await;

    let refused = texts(&c.say(&organiser, "/promote 张三").await);
    let promoted = c.say(&admin, "/promote 张三").await;

    assert_eq!(refused, ["抱歉，这项功能仅限管理员使用。"]);
    assert_eq!(
        texts(&promoted),
        ["已将 张三（人社局）由党员调整为组织员。其命令菜单已随之更新；此操作已记入审计日志。"]
    );
    let Some(Reply::MenuFor { account, entries }) = promoted.get(1) else { panic!("{promoted:#?}") };
    assert_eq!(account.person_id, zhang.id);
    assert!(entries.iter().any(|(name, _)| *name == "tally"), "{entries:?}");
    assert_eq!(c.member(&zhang).await.unwrap().role, Role::Organiser);

    // A name that fits several: a list to choose from; pressing a name does it.
    c.register(&User::new(9105, "李四海"), "人社局", Role::Member).await;
    let choose = c.say(&admin, "/promote 李").await;
    assert!(text(&choose).starts_with("请选择要提升身份的成员"), "{choose:#?}");
    assert!(labels(&choose).iter().any(|l| l.starts_with("李四（人社局，党员）")), "{:?}", labels(&choose));
    let done = c.press(&admin, &choose, "李四").await;
    assert!(text(&done).contains("已将 李四（人社局）由党员调整为组织员"), "{done:#?}");
    assert_eq!(c.member(&li).await.unwrap().role, Role::Organiser);

    // In a group, as a reply to the person's message.
    let in_group = c.in_group_replying(&admin, -100_777, "/demote", &li).await;
    assert!(text(&in_group).contains("已将 李四（人社局）由组织员调整为党员"), "{in_group:#?}");
    assert_eq!(c.member(&li).await.unwrap().role, Role::Member);
}
