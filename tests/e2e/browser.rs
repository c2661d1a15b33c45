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
