//! The web console in a real headless Chromium (Debian's, through chromedriver): an admin logs
//! in through the link a chat gave them, opens every page, changes the week, follows a
//! drill-down, downloads an export and opens it, and no page asks anything of another origin.
//! Screenshots of each page at 1366×768 and 390×844 are saved under
//! `target/browser-screenshots/console/`. Without Chromium the test says it was skipped (and
//! fails under CI, which installs it).

use calamine::Reader;
use sansong::week::Week;

use crate::console::{admin, campaign};
use crate::support::browser;

#[tokio::test]
async fn an_admin_walks_the_console_in_a_browser_from_a_chat_link() {
    let Some(b) = browser::start("console").await else { return };
    let (c, _, _) = campaign().await;
    let link = c.link_from_chat(&admin()).await;

    b.goto(&c.url(&link)).await;
    assert!(b.text().await.contains("您将以「韩管理」的身份登录管理后台"));
    b.screenshots("login").await;
    b.click_button("登录").await;
    let overview = b.text().await;
    assert!(
        overview.contains("概览")
            && overview.contains("人社局")
            && overview.contains("韩管理（人社局·管理员）"),
        "{overview}"
    );
    b.assert_same_origin(&c.base).await;
    b.screenshots("overview").await;

    let this_week =
        Week::containing(chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive());
    b.click_link("← 上周").await;
    let previous = b.text().await;
    assert!(previous.contains(&sansong::texts::week_title(this_week.previous())), "{previous}");
    b.click_link("下周 →").await;
    b.click_link("人社局").await;
    let drill = b.text().await;
    assert!(drill.contains("吴党员") && drill.contains("按成员") || drill.contains("吴党员"), "{drill}");
    b.screenshots("tally-by-member").await;
    b.click_link("吴党员").await;
    let records = b.text().await;
    assert!(
        records.contains("为新球社区居民宣讲社保政策") && records.contains("<script>alert(1)</script>"),
        "{records}"
    );
    assert!(!records.contains("帮企业办理社保登记"), "the drill-down shows one member's records");
    b.assert_same_origin(&c.base).await;
    b.screenshots("checkins").await;

    b.click_link("统计").await;
    b.select("select[name=by]", "按联系类型").await;
    b.click_button("查看").await;
    assert!(b.text().await.contains("联社区"));
    b.screenshots("tally").await;
    b.click_download("导出 Excel").await;
    let file = b.wait_for_download(".xlsx").await;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).expect("the download is a workbook");
    let first = book.sheet_names()[0].clone();
    assert_eq!(book.worksheet_range(&first).unwrap().rows().count(), 1 + 4);

    for (tab, says, shot) in [("站点覆盖", "联系点", "coverage"), ("未登记", "没有登记的成员", "missing")]
    {
        b.click_link(tab).await;
        assert!(b.text().await.contains(says), "{tab}");
        b.assert_same_origin(&c.base).await;
        b.screenshots(shot).await;
    }
    b.click_button("退出").await;
    assert!(b.text().await.contains("您已退出管理后台"));
    b.goto(&c.url("/")).await;
    assert!(b.text().await.contains("请先登录"));
    b.close().await;
}

/// The smallest PNG: one red pixel, as a file on disk for the browser to upload.
fn photo_file(dir: &std::path::Path) -> std::path::PathBuf {
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &[200, 30, 30],
        1,
        1,
        image::ColorType::Rgb8,
    )
    .unwrap();
    let path = dir.join("活动照片.png");
    std::fs::write(&path, png).unwrap();
    path
}

#[tokio::test]
async fn an_admin_publishes_a_notice_with_a_photo_and_invites_a_member_in_a_browser() {
    let Some(b) = browser::start("console-run").await else { return };
    let (c, _, _) = campaign().await;
    let link = c.link_from_chat(&admin()).await;
    b.goto(&c.url(&link)).await;
    b.click_button("登录").await;

    b.click_link("通知").await;
    assert!(b.text().await.contains("未来 14 天的发送安排"));
    b.screenshots("notices").await;
    b.click_link("撰写通知").await;
    b.fill("textarea[name=body]", "本周五下午三点在三楼会议室学习《社保新政》，请准时参加。").await;
    let photo = photo_file(c.app.dir.path());
    b.choose_file("input[type=file]", &photo).await;
    b.click_css("input[name=to][value=all]").await;
    b.click_css("input[name=ack]").await;
    b.click_css("input[name=urgent]").await;
    b.screenshots("compose").await;
    b.click_button("预览").await;
    let preview = b.text().await;
    assert!(preview.contains("预览：成员收到的样子") && preview.contains("全体成员"), "{preview}");
    let loaded = "return document.images.length > 0 \
        && [...document.images].every(i => i.complete && i.naturalWidth > 0)";
    b.wait_until("the preview to show the uploaded photo", loaded).await;
    b.screenshots("compose-preview").await;
    b.click_button("确认发布").await;
    let receipts = b.text().await;
    assert!(receipts.contains("通知已发布") && receipts.contains("回执"), "{receipts}");
    let sent = c
        .app
        .fake
        .wait_for_outgoing("the photo to reach a member", |o| {
            o.chat_id == crate::console::member_a_id() && o.media.is_some()
        })
        .await;
    assert!(sent.text.contains("社保新政"), "{sent:#?}");
    b.goto(&b.url().await).await;
    b.screenshots("notice").await;
    b.assert_same_origin(&c.base).await;

    b.click_link("成员").await;
    assert!(b.text().await.contains("吴党员"));
    b.screenshots("members").await;
    b.click_link("邀请成员").await;
    b.screenshots("invites").await;
    b.select("select[name=unit]", "科工局").await;
    b.fill("input[name=uses]", "3").await;
    b.click_button("生成邀请").await;
    let invite = b.text().await;
    assert!(invite.contains("邀请：科工局") && invite.contains("邀请码"), "{invite}");
    let qr = b.client().find(fantoccini::Locator::Css("figure.qr svg")).await;
    assert!(qr.is_ok(), "the invite shows its QR code");
    b.screenshots("invite").await;

    b.click_link("组织").await;
    b.fill("form[action='/org/sites'] input[name=name]", "城南社区").await;
    b.click_button("添加站点").await;
    let org = b.text().await;
    assert!(org.contains("城南社区"), "{org}");
    b.screenshots("org").await;
    b.click_link("导入…").await;
    b.screenshots("org-import").await;

    b.click_link("审计").await;
    let audit = b.text().await;
    assert!(audit.contains("网页") && audit.contains("添加站点"), "{audit}");
    b.screenshots("audit").await;
    b.click_link("系统").await;
    assert!(b.text().await.contains("立即备份"));
    b.screenshots("system").await;
    b.assert_same_origin(&c.base).await;
    b.close().await;
}
