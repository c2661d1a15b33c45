//! The console's 组织 section, over HTTP against the real `sansong run` binary: admins only
//! (an organiser gets 403 on every page and POST), each change audited with its before and
//! after, a form sent twice doing nothing twice, an archived site no longer offered in the chat
//! while its check-ins still count, and the import: refused with row numbers and nothing
//! written, then previewed, accepted, and the same organisation exported back.

use std::io::Cursor;

use calamine::Reader;
use reqwest::StatusCode;
use sansong::domain::Role;

use crate::console::admin;
use crate::support::TgUser;
use crate::support::console::{Console, Page};

fn organiser() -> TgUser {
    TgUser::new(72_002, "钱组织")
}

fn member() -> TgUser {
    TgUser::new(72_003, "孙党员")
}

async fn scalar(c: &Console, sql: &str) -> i64 {
    c.app.scalar(sql).await
}

async fn id_of(c: &Console, table: &str, name: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE name = ?"))
        .bind(name)
        .fetch_one(c.app.core.store.pool())
        .await
        .unwrap_or_else(|e| panic!("{table} {name}: {e}"))
}

/// The organisation's audit entries: (action, before, after).
async fn org_audit(c: &Console) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as("SELECT action, before, after FROM audit_log WHERE action LIKE 'org_%' ORDER BY id")
        .fetch_all(c.app.core.store.pool())
        .await
        .unwrap()
}

/// Every unit and site as the database holds them, for "nothing was written".
async fn snapshot(c: &Console) -> Vec<(String, String, String, i64, Option<i64>)> {
    sqlx::query_as(
        "SELECT u.name, COALESCE(s.name, ''), COALESCE(s.link, ''), COALESCE(s.is_default, 0), s.archived_at
         FROM units u LEFT JOIN sites s ON s.unit_id = u.id ORDER BY u.id, s.id",
    )
    .fetch_all(c.app.core.store.pool())
    .await
    .unwrap()
}

fn location(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.headers["location"].to_str().unwrap().to_owned()
}

/// A workbook of `rows` (the header first) on its first sheet.
fn workbook(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in (0u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(row) {
            if !cell.is_empty() {
                sheet.write_string(r, col, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The first sheet's rows as text.
fn sheet_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
    let first = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&first).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// The confirm form's org file, as the browser would send it back.
fn plan_in(page: &str) -> String {
    let start = page.find("<textarea name=\"plan\" hidden>").expect("a confirm form") + 29;
    let end = start + page[start..].find("</textarea>").unwrap();
    page[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn an_organiser_gets_403_on_every_org_page_and_post_and_changes_nothing() {
    let c = Console::start().await;
    let session = c.session_for(&organiser(), "科工局", Role::Organiser).await;
    let before = snapshot(&c).await;
    let site = id_of(&c, "sites", "湖南维摩新材料有限公司").await;
    let unit = id_of(&c, "units", "科工局").await;

    for path in ["/org", "/org/import", "/org/template.xlsx", "/org/export.xlsx", "/org/export.toml"] {
        let page = c.get(Some(&session), path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        assert!(page.body.contains("仅限管理员使用"), "{path}: {}", page.body);
    }
    let unit_s = unit.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/org/units".into(), vec![("name", "财政局")]),
        (format!("/org/units/{unit}/rename"), vec![("name", "科技局")]),
        ("/org/sites".into(), vec![("unit", unit_s.as_str()), ("name", "某公司"), ("link", "enterprise")]),
        (format!("/org/sites/{site}/rename"), vec![("name", "维摩公司")]),
        (format!("/org/sites/{site}/default"), vec![]),
        (format!("/org/sites/{site}/archive"), vec![]),
        (format!("/org/sites/{site}/restore"), vec![]),
        (format!("/org/units/{unit}/departments"), vec![("departments", "12345")]),
    ];
    for (path, form) in &posts {
        let page = c.post(Some(&session), path, form, None).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    let file = sansong::org::sheet::to_xlsx(&sansong::org::OrgPlan {
        units: vec!["财政局".into()],
        sites: Vec::new(),
        departments: Vec::new(),
    })
    .unwrap();
    let preview = c.post_multipart(&session, "/org/import", &[], Some(("org.xlsx", file))).await;
    let confirm = c
        .post_multipart(&session, "/org/import/confirm", &[("plan", "[[units]]\nname = \"财政局\"\n")], None)
        .await;
    let overview = c.get(Some(&session), "/").await;

    assert_eq!(preview.status, StatusCode::FORBIDDEN, "{}", preview.body);
    assert_eq!(confirm.status, StatusCode::FORBIDDEN, "{}", confirm.body);
    assert_eq!(snapshot(&c).await, before, "nothing was written");
    assert!(org_audit(&c).await.is_empty());
    assert!(!overview.body.contains("href=\"/org\""), "no 组织 in an organiser's menu");
}

#[tokio::test]
async fn adding_renaming_the_default_and_archiving_work_and_each_is_audited_with_before_and_after() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;

    let added = c.post(Some(&session), "/org/units", &[("name", " 财政局 ")], None).await;
    let unit = id_of(&c, "units", "财政局").await;
    assert_eq!(location(&added), format!("/org?done=unit_added&id={unit}#unit-{unit}"));
    let shown = c.get(Some(&session), &location(&added)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("已添加单位「财政局」。"), "{}", shown.body);
    let order: Vec<usize> = ["应急管理局", "人社局", "贸促会", "科工局", "财政局"]
        .iter()
        .map(|u| shown.body.find(&format!("<h2>{u}</h2>")).unwrap_or_else(|| panic!("{u}")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "units in the order they were added");

    let unit_s = unit.to_string();
    for (name, link) in [("城南社区", "community"), ("城北村", "联乡村")] {
        let page = c
            .post(Some(&session), "/org/sites", &[("unit", &unit_s), ("name", name), ("link", link)], None)
            .await;
        assert!(location(&page).starts_with("/org?done=site_added&id="), "{name}");
    }
    let (south, north) = (id_of(&c, "sites", "城南社区").await, id_of(&c, "sites", "城北村").await);
    let renamed = c
        .post(Some(&session), &format!("/org/sites/{south}/rename"), &[("name", "城南街道社区")], None)
        .await;
    assert_eq!(location(&renamed), format!("/org?done=site_renamed&id={south}#site-{south}"));
    location(&c.post(Some(&session), &format!("/org/sites/{north}/default"), &[], None).await);
    location(&c.post(Some(&session), &format!("/org/sites/{south}/default"), &[], None).await);

    // Refusals: the chat's words on the page, and the form as it was typed.
    let taken = c
        .post(Some(&session), &format!("/org/sites/{north}/rename"), &[("name", "城南街道社區")], None)
        .await;
    let empty = c.post(Some(&session), "/org/units", &[("name", "   ")], None).await;
    let long = "很".repeat(41);
    let too_long = c.post(Some(&session), "/org/units", &[("name", &long)], None).await;
    let bad_link = c
        .post(
            Some(&session),
            "/org/sites",
            &[("unit", &unit_s), ("name", "某学校"), ("link", "school")],
            None,
        )
        .await;
    let renamed_unit =
        c.post(Some(&session), &format!("/org/units/{unit}/rename"), &[("name", "人社局")], None).await;
    for page in [&taken, &empty, &too_long, &bad_link, &renamed_unit] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("class=\"message error\" role=\"alert\""), "{}", page.body);
    }
    assert!(taken.body.contains("已有名为「城南街道社区」的站点"), "{}", taken.body);
    assert!(taken.body.contains("value=\"城南街道社區\""), "the form as typed: {}", taken.body);
    assert!(empty.body.contains("不能用作名称"), "{}", empty.body);
    assert!(too_long.body.contains(&format!("value=\"{long}\"")), "{}", too_long.body);
    assert!(
        bad_link.body.contains("联系类型「school」无法识别") && bad_link.body.contains("value=\"某学校\"")
    );
    assert!(renamed_unit.body.contains("已有名为「人社局」的单位"), "{}", renamed_unit.body);

    let archived = c.post(Some(&session), &format!("/org/sites/{north}/archive"), &[], None).await;
    assert_eq!(location(&archived), format!("/org?done=site_archived&id={north}#site-{north}"));
    let default_archived = c.post(Some(&session), &format!("/org/sites/{north}/default"), &[], None).await;
    assert!(default_archived.body.contains("已归档，不能设为默认"), "{}", default_archived.body);
    let page = c.get(Some(&session), "/org").await.body;
    assert!(
        page.contains("已归档的站点（1 个）") && page.contains("/org/sites/") && page.contains("恢复"),
        "{page}"
    );

    let rows: Vec<(String, String, i64, bool)> = sqlx::query_as(
        "SELECT name, link, is_default, archived_at IS NOT NULL FROM sites WHERE unit_id = ? ORDER BY id",
    )
    .bind(unit)
    .fetch_all(c.app.core.store.pool())
    .await
    .unwrap();
    assert_eq!(
        rows,
        [("城南街道社区".into(), "community".into(), 1, false), ("城北村".into(), "village".into(), 0, true)]
    );
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        org_audit(&c).await,
        [
            ("org_unit_added".into(), None, s("财政局")),
            ("org_site_added".into(), None, s("城南社区 [community]")),
            ("org_site_added".into(), None, s("城北村 [village]")),
            ("org_site_renamed".into(), s("城南社区"), s("城南街道社区")),
            ("org_default_site".into(), None, s("城北村")),
            ("org_default_site".into(), s("城北村"), s("城南街道社区")),
            ("org_site_archived".into(), s("城北村 [village]"), s("城北村 [village archived]")),
        ]
    );
    let actors: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT actor FROM audit_log WHERE action LIKE 'org_%'")
            .fetch_all(c.app.core.store.pool())
            .await
            .unwrap();
    assert_eq!(actors.len(), 1);
    assert!(actors[0].starts_with("网页 ") && actors[0].ends_with("韩管理"), "{actors:?}");

    // Brought back, it is a site like the others again.
    location(&c.post(Some(&session), &format!("/org/sites/{north}/restore"), &[], None).await);
    assert_eq!(
        scalar(&c, &format!("SELECT COUNT(*) FROM sites WHERE id = {north} AND archived_at IS NULL")).await,
        1
    );
}

#[tokio::test]
async fn an_archived_site_is_no_longer_offered_for_check_ins_but_its_check_ins_still_count() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    c.app.register(&member(), "贸促会", Role::Member).await;
    let done = c.app.say(&member(), "/checkin 送服务 @广东临湘商会 召开乡友座谈会，服务30人").await;
    assert!(done.text.contains("已登记"), "{}", done.text);
    let guangdong = id_of(&c, "sites", "广东临湘商会").await;

    location(&c.post(Some(&session), &format!("/org/sites/{guangdong}/archive"), &[], None).await);

    let refused = c.app.say(&member(), "/checkin 送服务 @广东临湘商会 又一次座谈").await;
    assert!(!refused.text.contains("已登记"), "{}", refused.text);
    let offered = refused.text.split_once("请从以下站点中选择：").map_or("", |x| x.1).to_owned();
    assert!(offered.contains("长沙临湘商会") && !offered.contains("广东临湘商会"), "{}", refused.text);
    let kinds = c.app.say(&member(), "/checkin").await;
    let sites = c.app.press(&member(), &kinds, "送服务").await;
    assert_eq!(sites.labels(), ["长沙临湘商会", "武汉岳阳企业商会", "取消"]);
    c.app.press(&member(), &sites, "取消").await;

    let tally: serde_json::Value = serde_json::from_str(
        &c.get(Some(&session), &format!("/api/v1/tally?by=site&unit={}", urlencode("贸促会"))).await.body,
    )
    .unwrap();
    let row = |name: &str| tally["rows"].as_array().unwrap().iter().find(|r| r["name"] == name).cloned();
    assert_eq!(row("广东临湘商会").expect("the archived site's row")["total"], 1, "{tally}");
    assert_eq!(tally["total"]["total"], 1);
    let page = c.get(Some(&session), "/tally?by=site").await.body;
    assert!(page.contains("广东临湘商会"), "still in the tally");
    let missing: serde_json::Value =
        serde_json::from_str(&c.get(Some(&session), "/api/v1/missing").await.body).unwrap();
    let missing_names: Vec<&str> =
        missing["sites"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(
        missing_names.contains(&"长沙临湘商会") && missing_names.contains(&"武汉岳阳企业商会"),
        "{missing_names:?}"
    );
    assert!(!missing_names.contains(&"广东临湘商会"), "an archived site is not to visit any more");

    // Coverage keeps an archived site while the weeks shown hold a visit to it, and no longer.
    let wuhan = id_of(&c, "sites", "武汉岳阳企业商会").await;
    location(&c.post(Some(&session), &format!("/org/sites/{wuhan}/archive"), &[], None).await);
    let coverage: serde_json::Value =
        serde_json::from_str(&c.get(Some(&session), "/api/v1/coverage").await.body).unwrap();
    let covered: Vec<&str> =
        coverage["sites"].as_array().unwrap().iter().filter_map(|s| s["site"].as_str()).collect();
    assert!(covered.contains(&"广东临湘商会") && covered.contains(&"长沙临湘商会"), "{covered:?}");
    assert!(!covered.contains(&"武汉岳阳企业商会"), "{covered:?}");
    assert_eq!(scalar(&c, "SELECT COUNT(*) FROM checkins WHERE deleted_at IS NULL").await, 1);
}

#[tokio::test]
async fn a_form_sent_twice_adds_once_and_is_audited_once() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let unit = id_of(&c, "units", "科工局").await.to_string();
    let add_unit = [("name", "财政局")];
    let add_site = [("unit", unit.as_str()), ("name", "岳阳某某科技有限公司"), ("link", "enterprise")];

    let (a, b) = tokio::join!(
        c.post(Some(&session), "/org/units", &add_unit, None),
        c.post(Some(&session), "/org/units", &add_unit, None)
    );
    let (x, y) = tokio::join!(
        c.post(Some(&session), "/org/sites", &add_site, None),
        c.post(Some(&session), "/org/sites", &add_site, None)
    );

    let mut said = vec![location(&a), location(&b), location(&x), location(&y)];
    said.sort();
    assert!(said[0].contains("done=site_added") && said[1].contains("done=site_exists"), "{said:?}");
    assert!(said[2].contains("done=unit_added") && said[3].contains("done=unit_exists"), "{said:?}");
    let second = c.get(Some(&session), &said[3]).await.body;
    assert!(second.contains("单位「财政局」已经有了，没有重复添加。"), "{second}");
    assert_eq!(scalar(&c, "SELECT COUNT(*) FROM units WHERE name = '财政局'").await, 1);
    assert_eq!(scalar(&c, "SELECT COUNT(*) FROM sites WHERE name = '岳阳某某科技有限公司'").await, 1);
    let actions: Vec<String> = org_audit(&c).await.into_iter().map(|(a, _, _)| a).collect();
    assert_eq!(actions, ["org_unit_added", "org_site_added"]);
}

#[tokio::test]
async fn org_import_is_refused_with_row_numbers_and_nothing_written_then_accepted_and_the_same_org_exported_back()
 {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let (status, _, template) = c.get_bytes(&session, "/org/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sheet_rows(template), [["单位", "站点", "联系类型", "默认"]]);

    // What is there, as the sheet holds it, and more: a unit with two sites, and 人社局's only
    // site made its default.
    let (_, headers, current) = c.get_bytes(&session, "/org/export.xlsx").await;
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let mut wanted = sheet_rows(current);
    let header_and_rows = wanted.len();
    for row in &mut wanted {
        if row[1] == "五里牌街道新球社区" {
            row[3] = "是".into();
        }
    }
    let extra = |cells: [&str; 4]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<String>>();
    wanted.push(extra(["财政局", "城南社区", "联社区", "是"]));
    wanted.push(extra(["财政局", "城北村", "联乡村", ""]));
    let good: Vec<Vec<String>> = wanted;
    let mut bad = good.clone();
    bad.push(extra(["财政局", "某学校", "联学校", ""]));
    bad.push(extra(["", "无主村", "联乡村", ""]));
    let cells = |rows: &[Vec<String>]| {
        workbook(&rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect::<Vec<_>>())
    };
    let before = snapshot(&c).await;

    let refused = c.post_multipart(&session, "/org/import", &[], Some(("组织.xlsx", cells(&bad)))).await;
    let not_a_sheet = c
        .post_multipart(&session, "/org/import", &[], Some(("a.png", b"\x89PNG\r\n\x1a\n\0\0".to_vec())))
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    let (first_bad, second_bad) = (header_and_rows + 3, header_and_rows + 4);
    assert!(refused.body.contains("文件有 2 处问题，没有写入任何内容"), "{}", refused.body);
    assert!(
        refused.body.contains(&format!("第 {first_bad} 行：站点「某学校」的联系类型「联学校」无法识别")),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(&format!("第 {second_bad} 行：站点「无主村」没有填写所属单位")),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("确认导入"), "no confirm for a refused file");
    assert!(
        not_a_sheet.body.contains("只能上传 Excel 表格（.xlsx）或组织文件（.toml）"),
        "{}",
        not_a_sheet.body
    );
    assert_eq!(snapshot(&c).await, before, "nothing written");

    let preview = c.post_multipart(&session, "/org/import", &[], Some(("组织.xlsx", cells(&good)))).await;
    assert_eq!(preview.status, StatusCode::OK);
    for said in [
        "预览：组织.xlsx",
        "新增单位（1 个）",
        "<li>财政局</li>",
        "新增站点（2 个）",
        "财政局 → 城南社区（联社区，默认）",
        "修改站点（1 处）",
        "人社局 → 五里牌街道新球社区：联社区 改为 联社区，默认",
        "确认导入",
    ] {
        assert!(preview.body.contains(said), "{said}: {}", preview.body);
    }
    assert_eq!(snapshot(&c).await, before, "a preview writes nothing");

    let plan = plan_in(&preview.body);
    let confirmed = c.post_multipart(&session, "/org/import/confirm", &[("plan", &plan)], None).await;
    assert_eq!(location(&confirmed), "/org?done=imported&units=1&sites=2&changed=1");
    let again = c.post_multipart(&session, "/org/import/confirm", &[("plan", &plan)], None).await;
    assert_eq!(location(&again), "/org?done=imported&units=0&sites=0&changed=0", "sent twice, once done");
    let shown = c.get(Some(&session), "/org?done=imported&units=1&sites=2&changed=1").await.body;
    assert!(shown.contains("导入完成：新增单位 1 个、站点 2 个，修改站点 1 处。"), "{shown}");

    let (_, _, exported) = c.get_bytes(&session, "/org/export.xlsx").await;
    assert_eq!(sheet_rows(exported), good, "the same organisation exported back");
    let (_, headers, toml) = c.get_bytes(&session, "/org/export.toml").await;
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/toml"));
    let toml = String::from_utf8(toml).unwrap();
    assert!(toml.starts_with("# 组织文件"), "{toml}");
    let from_toml = sansong::org::parse_org(&toml).unwrap();
    let from_sheet = sansong::org::sheet::read_xlsx(&cells(&good)).unwrap();
    assert_eq!(from_toml.units, from_sheet.units);
    assert_eq!(from_toml.sites.len(), from_sheet.sites.len());
    let unchanged =
        c.post_multipart(&session, "/org/import", &[], Some(("组织.toml", toml.into_bytes()))).await;
    assert!(unchanged.body.contains("文件与现有组织一致，导入不会改动任何内容。"), "{}", unchanged.body);

    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        org_audit(&c).await,
        [
            ("org_unit_added".into(), None, s("财政局")),
            ("org_site_added".into(), None, s("城南社区 [community default]")),
            ("org_site_added".into(), None, s("城北村 [village]")),
            (
                "org_site_changed".into(),
                s("五里牌街道新球社区 [community]"),
                s("五里牌街道新球社区 [community default]")
            ),
        ]
    );
}

#[tokio::test]
async fn an_import_spelling_units_and_sites_in_traditional_characters_finds_those_there() {
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let (_, _, exported) = c.get_bytes(&session, "/org/export.toml").await;
    let traditional = String::from_utf8(exported)
        .unwrap()
        .replace("应急管理局", "應急管理局")
        .replace("新球社区", "新球社區")
        .replace("贸促会", "貿促會")
        .replace("长沙临湘商会", "長沙臨湘商會");
    assert!(traditional.contains("應急管理局") && traditional.contains("新球社區"), "{traditional}");
    let before = snapshot(&c).await;

    let same = c
        .post_multipart(&session, "/org/import", &[], Some(("組織.toml", traditional.clone().into_bytes())))
        .await;
    assert!(same.body.contains("文件与现有组织一致，导入不会改动任何内容。"), "{}", same.body);
    let confirmed = c.post_multipart(&session, "/org/import/confirm", &[("plan", &traditional)], None).await;
    assert_eq!(location(&confirmed), "/org?done=imported&units=0&sites=0&changed=0");
    assert_eq!(snapshot(&c).await, before, "no second unit nor site in the other script");

    // A change to a site named in Traditional, and a new site of a unit named so: under the
    // ones there, in their spelling.
    let changes = "[[units]]\nname = \"應急管理局\"\n\n[[units]]\nname = \"人社局\"\n\n\
                   [[sites]]\nunit = \"應急管理局\"\nname = \"城東村\"\nlink = \"village\"\n\n\
                   [[sites]]\nunit = \"人社局\"\nname = \"五里牌街道新球社區\"\nlink = \"community\"\ndefault = true\n";
    let preview = c
        .post_multipart(&session, "/org/import", &[], Some(("組織.toml", changes.as_bytes().to_vec())))
        .await;
    assert!(!preview.body.contains("新增单位"), "{}", preview.body);
    for said in [
        "新增站点（1 个）",
        "应急管理局 → 城東村（联乡村）",
        "修改站点（1 处）",
        "人社局 → 五里牌街道新球社区：联社区 改为 联社区，默认",
    ] {
        assert!(preview.body.contains(said), "{said}: {}", preview.body);
    }
    let confirmed = c.post_multipart(&session, "/org/import/confirm", &[("plan", changes)], None).await;
    assert_eq!(location(&confirmed), "/org?done=imported&units=0&sites=1&changed=1");
    assert_eq!(scalar(&c, "SELECT COUNT(*) FROM units").await, 4);
    let unit = id_of(&c, "units", "应急管理局").await;
    assert_eq!(scalar(&c, "SELECT unit_id FROM sites WHERE name = '城東村'").await, unit);
    assert_eq!(scalar(&c, "SELECT is_default FROM sites WHERE name = '五里牌街道新球社区'").await, 1);
    assert_eq!(scalar(&c, "SELECT COUNT(*) FROM sites WHERE name LIKE '%社區'").await, 0);
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        org_audit(&c).await,
        [
            ("org_site_added".into(), None, s("城東村 [village]")),
            (
                "org_site_changed".into(),
                s("五里牌街道新球社区 [community]"),
                s("五里牌街道新球社区 [community default]")
            ),
        ]
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_units_dingtalk_departments_are_set_on_the_org_page_refused_for_another_unit_audited_and_exported()
{
    let c = Console::start().await;
    let session = c.session_for(&admin(), "人社局", Role::Admin).await;
    let (renshe, kegong) = (id_of(&c, "units", "人社局").await, id_of(&c, "units", "科工局").await);

    let set = c
        .post(
            Some(&session),
            &format!("/org/units/{renshe}/departments"),
            &[("departments", "67890，12345")],
            None,
        )
        .await;
    let shown = c.get(Some(&session), &location(&set)).await;
    let taken = c
        .post(
            Some(&session),
            &format!("/org/units/{kegong}/departments"),
            &[("departments", "12345 55555")],
            None,
        )
        .await;
    let typo = c
        .post(Some(&session), &format!("/org/units/{kegong}/departments"), &[("departments", "人社局")], None)
        .await;
    let exported = c.get(Some(&session), "/org/export.toml").await;
    // The export imported back (the confirm form carries it) changes nothing; a file moving a
    // department to another unit is previewed as such.
    let moved =
        exported.body.replace("dingtalk_departments = [12345, 67890]", "dingtalk_departments = [67890]");
    let moved =
        moved.replacen("name = \"科工局\"\n", "name = \"科工局\"\ndingtalk_departments = [12345]\n", 1);
    let preview =
        c.post_multipart(&session, "/org/import", &[], Some(("org.toml", moved.into_bytes()))).await;

    assert_eq!(location(&set), format!("/org?done=unit_departments_set&id={renshe}#unit-{renshe}"));
    assert!(shown.body.contains("已更新「人社局」对应的钉钉部门。"), "{}", shown.body);
    assert!(shown.body.contains("钉钉部门：12345、67890"), "{}", shown.body);
    assert_eq!(taken.status, StatusCode::OK, "refused on the page: {}", taken.body);
    assert!(taken.body.contains("钉钉部门 12345 已属于单位「人社局」"), "{}", taken.body);
    assert!(taken.body.contains(r#"value="12345 55555""#), "the form as typed: {}", taken.body);
    assert!(typo.body.contains("「人社局」不是钉钉部门编号"), "{}", typo.body);
    assert!(
        exported.body.contains("name = \"人社局\"\ndingtalk_departments = [12345, 67890]\n"),
        "{}",
        exported.body
    );
    assert!(preview.body.contains("人社局 的钉钉部门：12345、67890 改为 67890"), "{}", preview.body);
    assert!(preview.body.contains("科工局 的钉钉部门：无 改为 12345"), "{}", preview.body);
    assert_eq!(
        org_audit(&c).await,
        [("org_departments".to_owned(), Some(String::new()), Some("12345,67890".to_owned()))],
        "one change, before and after; the refusals wrote nothing"
    );
    assert_eq!(
        scalar(&c, "SELECT COUNT(*) FROM unit_dingtalk_departments").await,
        2,
        "the preview wrote nothing"
    );
}
