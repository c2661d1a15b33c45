//! 组织, for admins: the units in the organisation's order with their sites, a form for each
//! change (add a unit, add a site with its link kind, rename, choose the default, archive or
//! bring back a site, a unit's DingTalk departments), the import (upload, preview, confirm) and
//! the exports.
//!
//! Every change calls the core's operation in [`crate::org::edit`], which checks the role,
//! the name and what is there already, and audits; a successful POST answers 303 back to the
//! page with a key of what was done (`?done=…&id=…`, the name read from the database, never
//! from the address). A refused change shows the page again with the chat's sentence and the
//! form as typed. The import carries the checked file from preview to confirm in the confirm
//! form itself (as an org file), so nothing is kept between the two.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, XLSX, core_error, download, render};
use crate::domain::LinkKind;
use crate::domain::OrgLoadReport;
use crate::error::{Error, UserError};
use crate::org::edit::{self, Outcome, UnitListing};
use crate::org::sheet::{self, SheetError};
use crate::org::{OrgPlan, parse_org};
use crate::texts::org as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// The largest file an import takes.
pub const MAX_FILE: usize = 2 << 20;

/// The body limit on the import's routes: the file and the multipart framing around it.
pub const MAX_UPLOAD: usize = MAX_FILE + (64 << 10);

/// A site on the page.
struct SiteView {
    id: i64,
    name: String,
    link: &'static str,
    is_default: bool,
    /// `11月24日归档`, for an archived site.
    archived_on: String,
    /// The rename form: open, with what was typed, after a refusal.
    rename_open: bool,
    rename_value: String,
}

struct LinkOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// A unit on the page, with its sites and its forms.
struct UnitView {
    id: i64,
    name: String,
    sites: Vec<SiteView>,
    archived: Vec<SiteView>,
    rename_open: bool,
    rename_value: String,
    add_value: String,
    links: Vec<LinkOption>,
    /// Its DingTalk departments as the page shows them (`12345、67890`), empty for none.
    departments: String,
    /// The departments form: its value (as typed after a refusal), and whether it is open.
    departments_value: String,
    departments_open: bool,
}

#[derive(Template)]
#[template(path = "org.html", config = "src/web/askama.toml")]
struct OrgPage {
    chrome: Chrome,
    intro: &'static str,
    archive_note: &'static str,
    no_units: &'static str,
    no_sites: &'static str,
    departments_note: &'static str,
    no_departments: &'static str,
    notice: Option<String>,
    problem: Option<String>,
    units: Vec<UnitView>,
    add_unit_value: String,
}

/// Which form a refusal is about, and what was typed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Typed {
    AddUnit {
        name: String,
    },
    RenameUnit {
        id: i64,
        name: String,
    },
    AddSite {
        unit: i64,
        name: String,
        link: String,
    },
    RenameSite {
        id: i64,
        name: String,
    },
    Departments {
        unit: i64,
        value: String,
    },
    /// A button with nothing typed (default, archive, restore).
    Button,
}

fn site_view(web: &Web, s: &crate::store::OrgSite, typed: &Typed) -> SiteView {
    let renamed = match typed {
        Typed::RenameSite { id, name } if *id == s.site.id => Some(name.clone()),
        _ => None,
    };
    SiteView {
        id: s.site.id,
        name: s.site.name.clone(),
        link: crate::texts::link_label(s.site.link),
        is_default: s.site.is_default,
        archived_on: s
            .archived_at
            .map(|t| texts::archived_on(&crate::texts::day(t, web.core.tz())))
            .unwrap_or_default(),
        rename_open: renamed.is_some(),
        rename_value: renamed.unwrap_or_else(|| s.site.name.clone()),
    }
}

fn unit_view(web: &Web, l: &UnitListing, typed: &Typed) -> UnitView {
    let (sites, archived): (Vec<_>, Vec<_>) = l.sites.iter().partition(|s| s.archived_at.is_none());
    let renamed = match typed {
        Typed::RenameUnit { id, name } if *id == l.unit.id => Some(name.clone()),
        _ => None,
    };
    // The link kind offered first: as typed, else that of the unit's first site (a unit's
    // sites are mostly of one kind).
    let (add_value, add_link) = match typed {
        Typed::AddSite { unit, name, link } if *unit == l.unit.id => (name.clone(), link.parse().ok()),
        _ => (String::new(), sites.first().map(|s| s.site.link)),
    };
    let typed_departments = match typed {
        Typed::Departments { unit, value } if *unit == l.unit.id => Some(value.clone()),
        _ => None,
    };
    let ids: Vec<String> = l.departments.iter().map(i64::to_string).collect();
    UnitView {
        id: l.unit.id,
        name: l.unit.name.clone(),
        sites: sites.into_iter().map(|s| site_view(web, s, typed)).collect(),
        archived: archived.into_iter().map(|s| site_view(web, s, typed)).collect(),
        rename_open: renamed.is_some(),
        rename_value: renamed.unwrap_or_else(|| l.unit.name.clone()),
        add_value,
        links: LinkKind::ALL
            .into_iter()
            .map(|k| LinkOption {
                value: k.as_str(),
                label: crate::texts::link_label(k),
                selected: add_link == Some(k),
            })
            .collect(),
        departments: texts::departments(&l.departments),
        departments_open: typed_departments.is_some(),
        departments_value: typed_departments.unwrap_or_else(|| ids.join(", ")),
    }
}

/// The page, with a notice of what was done or a refusal and the form as typed.
async fn org_page(
    web: &Web,
    viewer: &Viewer,
    notice: impl FnOnce(&[UnitListing]) -> Option<String>,
    problem: Option<String>,
    typed: Typed,
) -> Result<Html<String>, WebError> {
    let listed = edit::listing(&web.core, &viewer.actor()).await.map_err(|e| core_error(web, e))?;
    let page = OrgPage {
        chrome: Chrome::plain(viewer, "org"),
        intro: texts::INTRO,
        archive_note: texts::ARCHIVE_NOTE,
        no_units: texts::NO_UNITS,
        no_sites: texts::NO_SITES,
        departments_note: texts::DEPARTMENTS_NOTE,
        no_departments: texts::NO_DEPARTMENTS,
        notice: notice(&listed),
        problem,
        units: listed.iter().map(|l| unit_view(web, l, &typed)).collect(),
        add_unit_value: match &typed {
            Typed::AddUnit { name } => name.clone(),
            _ => String::new(),
        },
    };
    render(&page)
}

/// What the address says was done: `?done=<key>&id=<unit or site>`, or an import's counts.
fn done_notice(query: Option<&str>, listed: &[UnitListing]) -> Option<String> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let number = |k: &str| get(k).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
    let key = get("done")?;
    if key == "imported" {
        return Some(texts::imported(
            number("units"),
            number("sites"),
            number("changed"),
            number("departments"),
        ));
    }
    let id: i64 = get("id")?.parse().ok()?;
    let name = if key.starts_with("unit") {
        listed.iter().find(|l| l.unit.id == id).map(|l| l.unit.name.clone())
    } else {
        listed.iter().flat_map(|l| &l.sites).find(|s| s.site.id == id).map(|s| s.site.name.clone())
    };
    texts::done(key, &name?)
}

/// `GET /org`.
pub async fn page(
    viewer: Viewer,
    State(web): State<Web>,
    RawQuery(q): RawQuery,
) -> Result<Html<String>, WebError> {
    org_page(&web, &viewer, |listed| done_notice(q.as_deref(), listed), None, Typed::Button).await
}

/// Back to the page after a change, pointing at what it was about; or, refused, the page
/// again with the chat's words and the form as typed.
async fn answer(
    web: &Web,
    viewer: &Viewer,
    result: crate::Result<Outcome>,
    keys: [&str; 2],
    anchor: &str,
    typed: Typed,
) -> Result<Response, WebError> {
    let [done, already] = keys;
    match result {
        Ok(outcome) => {
            let key = match outcome {
                Outcome::Done(_) => done,
                Outcome::Already(_) => already,
                Outcome::Restored(_) => "site_restored",
            };
            let id = outcome.id();
            Ok(Redirect::to(&format!("/org?done={key}&id={id}#{anchor}-{id}")).into_response())
        }
        // Rights are no form mistake: those are the refusal page (403).
        Err(Error::User(
            e @ (UserError::Forbidden { .. } | UserError::NoConsole | UserError::Deactivated),
        )) => Err(core_error(web, e.into())),
        Err(Error::User(e)) => {
            let problem = crate::texts::errors::user_error(&e, &web.core.config, None);
            Ok(org_page(web, viewer, |_| None, Some(problem), typed).await?.into_response())
        }
        Err(e) => Err(core_error(web, e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    link: String,
}

/// `POST /org/units`: 添加单位.
pub async fn add_unit(
    viewer: Viewer,
    State(web): State<Web>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    let result = edit::add_unit(&web.core, &viewer.actor(), &f.name).await;
    answer(&web, &viewer, result, ["unit_added", "unit_exists"], "unit", Typed::AddUnit { name: f.name })
        .await
}

/// `POST /org/units/{id}/rename`.
pub async fn rename_unit(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    let result = edit::rename_unit(&web.core, &viewer.actor(), id, &f.name).await;
    answer(
        &web,
        &viewer,
        result,
        ["unit_renamed", "unit_already"],
        "unit",
        Typed::RenameUnit { id, name: f.name },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct DepartmentsForm {
    #[serde(default)]
    departments: String,
}

/// `POST /org/units/{id}/departments`: the unit's DingTalk departments, exactly as given.
pub async fn set_departments(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
    Form(f): Form<DepartmentsForm>,
) -> Result<Response, WebError> {
    let actor = viewer.actor();
    // The role first, so that nobody else learns anything from how a form is refused.
    let result = match edit::require_admin(&actor) {
        Err(e) => Err(e.into()),
        Ok(()) => match edit::parse_departments(&f.departments) {
            Err(e) => Err(e.into()),
            Ok(ids) => edit::set_departments(&web.core, &actor, id, &ids).await,
        },
    };
    let typed = Typed::Departments { unit: id, value: f.departments };
    answer(&web, &viewer, result, ["unit_departments_set", "unit_departments_unchanged"], "unit", typed).await
}

/// `POST /org/sites`: 添加站点 to the unit of the form.
pub async fn add_site(
    viewer: Viewer,
    State(web): State<Web>,
    Form(f): Form<SiteForm>,
) -> Result<Response, WebError> {
    let actor = viewer.actor();
    // The role first, so that nobody else learns anything from how a form is refused.
    let result = match edit::require_admin(&actor) {
        Err(e) => Err(e.into()),
        Ok(()) => match (f.unit.trim().parse::<i64>(), edit::parse_link(&f.link)) {
            (Err(_), _) => Err(UserError::NoSuchUnit(0).into()),
            (_, Err(e)) => Err(e.into()),
            (Ok(unit), Ok(link)) => edit::add_site(&web.core, &actor, unit, &f.name, link).await,
        },
    };
    let unit = f.unit.trim().parse().unwrap_or(0);
    let typed = Typed::AddSite { unit, name: f.name, link: f.link };
    answer(&web, &viewer, result, ["site_added", "site_exists"], "site", typed).await
}

/// `POST /org/sites/{id}/rename`.
pub async fn rename_site(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
    Form(f): Form<NameForm>,
) -> Result<Response, WebError> {
    let result = edit::rename_site(&web.core, &viewer.actor(), id, &f.name).await;
    answer(&web, &viewer, result, ["site_renamed", "already"], "site", Typed::RenameSite { id, name: f.name })
        .await
}

/// `POST /org/sites/{id}/default`.
pub async fn set_default(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let result = edit::set_default_site(&web.core, &viewer.actor(), id).await;
    answer(&web, &viewer, result, ["default_set", "already"], "site", Typed::Button).await
}

/// `POST /org/sites/{id}/archive`.
pub async fn archive(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let result = edit::archive_site(&web.core, &viewer.actor(), id).await;
    answer(&web, &viewer, result, ["site_archived", "already"], "site", Typed::Button).await
}

/// `POST /org/sites/{id}/restore`.
pub async fn restore(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let result = edit::restore_site(&web.core, &viewer.actor(), id).await;
    answer(&web, &viewer, result, ["site_restored", "already"], "site", Typed::Button).await
}

// ---------------------------------------------------------------- import

/// What an import would do, as the preview lists it.
struct Preview {
    /// The checked file as an org file, for the confirm form.
    plan: String,
    units_added: Vec<String>,
    sites_added: Vec<String>,
    changes: Vec<String>,
    kept: Vec<String>,
    nothing: bool,
}

#[derive(Template)]
#[template(path = "org_import.html", config = "src/web/askama.toml")]
struct ImportPage {
    chrome: Chrome,
    intro: &'static str,
    template_note: &'static str,
    lead: &'static str,
    nothing: &'static str,
    /// Why the file gives nothing to preview.
    message: Option<String>,
    refused: String,
    problems: Vec<String>,
    file_name: Option<String>,
    preview: Option<Preview>,
}

fn import_page(viewer: &Viewer) -> ImportPage {
    ImportPage {
        chrome: Chrome::plain(viewer, "org"),
        intro: texts::IMPORT_INTRO,
        template_note: texts::TEMPLATE_NOTE,
        lead: texts::PREVIEW_LEAD,
        nothing: texts::PREVIEW_NOTHING,
        message: None,
        refused: String::new(),
        problems: Vec::new(),
        file_name: None,
        preview: None,
    }
}

fn admin_only(web: &Web, viewer: &Viewer) -> Result<(), WebError> {
    edit::require_admin(&viewer.actor()).map_err(|e| core_error(web, e.into()))
}

/// `GET /org/import`.
pub async fn import_form(viewer: Viewer, State(web): State<Web>) -> Result<Html<String>, WebError> {
    admin_only(&web, &viewer)?;
    render(&import_page(&viewer))
}

/// The named field of a multipart form (its bytes and file name), the rest read past. A body
/// over the routes' limit is a polite 413.
async fn field(mut form: Multipart, wanted: &str) -> Result<Option<(Vec<u8>, Option<String>)>, WebError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::new(status, texts::too_large())
        } else {
            WebError::bad_request(texts::NO_FILE.to_owned())
        }
    };
    let mut found = None;
    while let Some(f) = form.next_field().await.map_err(broken)? {
        if f.name() == Some(wanted) && found.is_none() {
            let name = f.file_name().map(str::to_owned);
            found = Some((f.bytes().await.map_err(broken)?.to_vec(), name));
        }
    }
    Ok(found)
}

/// The preview of a checked plan: what loading it would add and change, computed by the core
/// without writing.
async fn preview_of(web: &Web, viewer: &Viewer, plan: &OrgPlan) -> Result<Preview, WebError> {
    let report: OrgLoadReport =
        edit::preview(&web.core, &viewer.actor(), plan).await.map_err(|e| core_error(web, e))?;
    let added: Vec<String> = report.added_sites.iter().map(texts::site_added).collect();
    Ok(Preview {
        plan: sheet::to_toml(plan, ""),
        nothing: !report.changed_anything(),
        units_added: report.units_added.clone(),
        sites_added: added,
        changes: report
            .site_changes
            .iter()
            .map(texts::site_changed)
            .chain(report.departments_changed.iter().map(texts::departments_changed))
            .collect(),
        kept: report.sites_not_in_file.clone(),
    })
}

/// `POST /org/import`: the uploaded file checked, and what importing it would do.
pub async fn import_preview(
    viewer: Viewer,
    State(web): State<Web>,
    form: Multipart,
) -> Result<Response, WebError> {
    admin_only(&web, &viewer)?;
    let mut page = import_page(&viewer);
    let Some((bytes, file_name)) = field(form, "file").await?.filter(|(b, _)| !b.is_empty()) else {
        page.message = Some(texts::NO_FILE.to_owned());
        return Ok(render(&page)?.into_response());
    };
    if bytes.len() > MAX_FILE {
        page.message = Some(texts::too_large());
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, render(&page)?).into_response());
    }
    let is_sheet = bytes.starts_with(b"PK");
    // Reading a workbook is CPU work of up to a few hundred milliseconds: off the async threads.
    let read = tokio::task::spawn_blocking(move || sheet::read_upload(&bytes))
        .await
        .map_err(|e| core_error(&web, Error::Internal(anyhow::anyhow!("reading an upload: {e}"))))?;
    match read {
        Ok(plan) => {
            page.preview = Some(preview_of(&web, &viewer, &plan).await?);
            page.file_name = file_name;
        }
        Err(SheetError::Problems(problems)) => {
            page.refused = texts::refused(problems.len());
            page.problems = problems.iter().map(|p| texts::problem(p, is_sheet)).collect();
        }
        Err(SheetError::NotAnOrgFile) => page.message = Some(texts::NOT_AN_ORG_FILE.to_owned()),
        Err(SheetError::Unreadable(why)) => {
            tracing::info!(why, "an uploaded workbook could not be read");
            page.message = Some(texts::UNREADABLE.to_owned());
        }
        Err(SheetError::TooLarge) => page.message = Some(texts::too_large()),
    }
    Ok(render(&page)?.into_response())
}

/// `POST /org/import/confirm`: the previewed file, checked again, imported in one transaction
/// and audited. Sent twice, the second changes nothing.
pub async fn import_confirm(
    viewer: Viewer,
    State(web): State<Web>,
    form: Multipart,
) -> Result<Response, WebError> {
    admin_only(&web, &viewer)?;
    let text = field(form, "plan").await?.and_then(|(b, _)| String::from_utf8(b).ok()).unwrap_or_default();
    let plan = match parse_org(&text) {
        Ok(plan) => plan,
        Err(problems) => {
            let mut page = import_page(&viewer);
            page.refused = texts::refused(problems.len());
            page.problems = problems.iter().map(|p| texts::problem(p, false)).collect();
            return Ok(render(&page)?.into_response());
        }
    };
    let report = edit::import(&web.core, &viewer.actor(), &plan).await.map_err(|e| core_error(&web, e))?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut to = format!(
        "/org?done=imported&units={}&sites={}&changed={}",
        count(report.units_added.len()),
        count(report.sites_added.len()),
        count(report.site_changes.len())
    );
    // Said only when a file changed some unit's DingTalk departments (a sheet never does).
    if !report.departments_changed.is_empty() {
        to.push_str(&format!("&departments={}", count(report.departments_changed.len())));
    }
    Ok(Redirect::to(&to).into_response())
}

// ---------------------------------------------------------------- files

fn sheet_error(web: &Web, e: rust_xlsxwriter::XlsxError) -> WebError {
    core_error(web, Error::Internal(anyhow::anyhow!("writing the organisation's workbook: {e}")))
}

/// `GET /org/template.xlsx`: the sheet to fill in, with its notes.
pub async fn template(viewer: Viewer, State(web): State<Web>) -> Result<Response, WebError> {
    admin_only(&web, &viewer)?;
    let bytes = sheet::template(texts::TEMPLATE_NOTES_TITLE, &texts::TEMPLATE_NOTES)
        .map_err(|e| sheet_error(&web, e))?;
    Ok(download(bytes, XLSX, "组织表格模板.xlsx", "org-template.xlsx"))
}

/// `GET /org/export.xlsx`: the organisation as it is, in the import's layout.
pub async fn export_xlsx(viewer: Viewer, State(web): State<Web>) -> Result<Response, WebError> {
    let plan = edit::current_plan(&web.core, &viewer.actor()).await.map_err(|e| core_error(&web, e))?;
    let bytes = sheet::to_xlsx(&plan).map_err(|e| sheet_error(&web, e))?;
    Ok(download(bytes, XLSX, "组织.xlsx", "org.xlsx"))
}

/// `GET /org/export.toml`: the organisation as an org file (`sansong org load` reads it).
pub async fn export_toml(viewer: Viewer, State(web): State<Web>) -> Result<Response, WebError> {
    let plan = edit::current_plan(&web.core, &viewer.actor()).await.map_err(|e| core_error(&web, e))?;
    let text = sheet::to_toml(&plan, texts::TOML_COMMENT);
    Ok(download(text.into_bytes(), "application/toml; charset=utf-8", "组织.toml", "org.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Site, Unit};
    use crate::store::OrgSite;

    fn listed() -> Vec<UnitListing> {
        vec![UnitListing {
            departments: vec![],
            unit: Unit { id: 2, name: "人社局".into() },
            sites: vec![OrgSite {
                site: Site {
                    id: 7,
                    unit_id: 2,
                    name: "新球社区".into(),
                    link: LinkKind::Community,
                    is_default: true,
                },
                archived_at: None,
            }],
        }]
    }

    #[test]
    fn the_notice_names_what_the_database_holds_never_what_the_address_says() {
        let l = listed();
        assert_eq!(done_notice(Some("done=site_added&id=7"), &l).unwrap(), "已添加站点「新球社区」。");
        assert_eq!(done_notice(Some("done=unit_renamed&id=2"), &l).unwrap(), "单位已改名为「人社局」。");
        // Renamed to its own name: the unit's sentence, not a site's of the same id.
        assert_eq!(
            done_notice(Some("done=unit_already&id=2"), &l).unwrap(),
            "「人社局」已是这样，无需更改。"
        );
        assert_eq!(
            done_notice(Some("done=site_added&id=7&name=<b>x</b>"), &l).unwrap(),
            "已添加站点「新球社区」。"
        );
        assert_eq!(done_notice(Some("done=site_added&id=99"), &l), None);
        assert_eq!(done_notice(Some("done=whatever&id=7"), &l), None);
        assert_eq!(done_notice(None, &l), None);
        assert!(
            done_notice(Some("done=imported&units=1&sites=x"), &l)
                .unwrap()
                .contains("新增单位 1 个、站点 0 个")
        );
    }
}
