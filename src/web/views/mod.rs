//! The console's pages, a file per view: each reads its filters, calls the core with the
//! viewer's role, and renders its template. What every page shares is here: the header
//! ([`Chrome`]), reading the filters, the scope, and rendering.

pub mod audit;
pub mod checkins;
pub mod compose;
pub mod coverage;
pub mod invites;
pub mod login;
pub mod members;
pub mod missing;
pub mod notice;
pub mod notices;
pub mod org;
pub mod overview;
pub mod photo;
pub mod setup;
pub mod system;
pub mod tally;
pub mod workbench;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Html;

use super::auth::Viewer;
use super::params::{self, Filters};
use super::{Web, WebError};
use crate::domain::{Role, Unit};
use crate::tally::Scope;
use crate::texts::web as texts;

/// The page header: the title, who is signed in, what they see, which tab is open.
pub struct Chrome {
    pub title: &'static str,
    pub viewer: String,
    pub scope: String,
    pub active: &'static str,
    /// Admins see 组织, 审计 and 系统 too.
    pub admin: bool,
}

impl Chrome {
    /// The header of a page that is not about one unit's figures: the viewer's own reach.
    pub fn plain(viewer: &Viewer, active: &'static str) -> Chrome {
        let m = &viewer.member;
        let unit = (m.role < Role::Admin).then(|| m.unit_name.clone());
        let units = unit.as_ref().map(|_| vec![m.unit_id]);
        Chrome::new(viewer, &Scope { units, unit_name: unit }, active)
    }

    pub fn new(viewer: &Viewer, scope: &Scope, active: &'static str) -> Chrome {
        let m = &viewer.member;
        Chrome {
            title: texts::TITLE,
            viewer: texts::signed_in(&m.name, &m.unit_name, m.role),
            scope: texts::scope_line(scope.unit_name.as_deref()),
            active,
            admin: m.role == Role::Admin,
        }
    }
}

/// The page's filters, or a polite 400 naming the parameter.
pub fn filters(web: &Web, query: Option<&str>) -> Result<Filters, WebError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect();
    params::parse(&pairs, web.core.today(), web.core.kinds()).map_err(|e| WebError::bad_request(e.message()))
}

/// A data page's filters and what the viewer may see of them: every data page starts so.
pub async fn filtered(web: &Web, viewer: &Viewer, query: Option<&str>) -> Result<(Filters, Scope), WebError> {
    let f = filters(web, query)?;
    let scope = scope(web, viewer, f.unit.as_deref()).await?;
    Ok((f, scope))
}

/// What the viewer may see for the unit asked for (403 for another unit, 400 for none such).
pub async fn scope(web: &Web, viewer: &Viewer, unit: Option<&str>) -> Result<Scope, WebError> {
    crate::tally::scope_for(&web.core, &viewer.actor(), unit).await.map_err(|e| core_error(web, e))
}

pub fn core_error(web: &Web, e: crate::Error) -> WebError {
    WebError::from_core(e, &web.core.config)
}

pub fn render(page: &impl Template) -> Result<Html<String>, WebError> {
    page.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "rendering a console page");
        WebError::new(StatusCode::INTERNAL_SERVER_ERROR, crate::texts::errors::sorry())
    })
}

/// The units the viewer may pick in a filter: all for an admin, their own for an organiser.
pub async fn unit_choices(web: &Web, viewer: &Viewer) -> Result<Vec<Unit>, WebError> {
    let units = crate::org::units(&web.core).await.map_err(|e| core_error(web, e.into()))?;
    Ok(match viewer.member.role {
        Role::Admin => units,
        _ => units.into_iter().filter(|u| u.id == viewer.member.unit_id).collect(),
    })
}

/// A query string of the pairs whose value is set, for links that keep the filters.
pub fn query(pairs: &[(&str, String)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    q.finish()
}

/// The filters as pairs (for links and forms that keep them).
pub fn filter_pairs(f: &Filters) -> Vec<(&'static str, String)> {
    let (from, to, week) = match f.period {
        crate::tally::Period::Days { from, to } => (from.to_string(), to.to_string(), String::new()),
        crate::tally::Period::Week(w) => (String::new(), String::new(), w.to_string()),
    };
    vec![
        ("week", week),
        ("from", from),
        ("to", to),
        ("unit", f.unit.clone().unwrap_or_default()),
        ("kind", f.kind.clone().unwrap_or_default()),
    ]
}

/// Where a long list stands: "共 N 条，第 p/P 页", and the links to the pages either side.
pub struct Pager {
    pub position: String,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Page `page` (from 1) of `total` rows, `per_page` a page; `link(p)` is page p's address.
    /// Returns the pager and the rows (as a range of indexes) the page shows.
    pub fn new(
        total: usize,
        page: u32,
        per_page: u32,
        link: impl Fn(u32) -> String,
    ) -> (Pager, std::ops::Range<usize>) {
        let per_page = per_page.max(1) as usize;
        let pages = total.div_ceil(per_page).max(1);
        let page = (page.max(1) as usize).min(pages);
        let rows = ((page - 1) * per_page).min(total)..(page * per_page).min(total);
        let pager = Pager {
            position: texts::records_position(total as i64, page as u32, pages as u32),
            previous: (page > 1).then(|| link(page as u32 - 1)),
            next: (page < pages).then(|| link(page as u32 + 1)),
        };
        (pager, rows)
    }
}

/// The address of `path` with the page's filters and `extra` pairs, at page `page`.
pub fn page_link(path: &str, pairs: &[(&'static str, String)], page: u32) -> String {
    let mut pairs = pairs.to_vec();
    pairs.push(("page", page.to_string()));
    format!("{path}?{}", query(&pairs))
}

#[derive(Template)]
#[template(path = "message.html", config = "src/web/askama.toml")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// Said as a refusal (red) rather than news.
    pub error: bool,
}

/// Any path the console does not have.
pub async fn not_found() -> WebError {
    WebError::new(StatusCode::NOT_FOUND, texts::NOT_FOUND.to_owned())
}

/// An xlsx workbook's content type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to save: `name` (Chinese) for the browsers that read `filename*`, `ascii` for those
/// that do not.
pub fn download(
    bytes: Vec<u8>,
    content_type: &'static str,
    name: &str,
    ascii: &str,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let ascii = ascii_name(ascii);
    let encoded: String =
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Both halves are ASCII by construction, so this cannot fail; were it to, the file still
    // downloads, only under the browser's own name.
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `name` with only ASCII letters, digits and `-_.` (the rest as `_`): safe in a header's quotes.
pub fn ascii_name(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_names_its_file_in_chinese_and_in_ascii_for_older_browsers() {
        let response = download(b"x".to_vec(), XLSX, "统计 2026-W49.xlsx", "统计 2026-W49.xlsx");
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(header("content-type"), XLSX);
        assert_eq!(
            header("content-disposition"),
            "attachment; filename=\"___2026-W49.xlsx\"; \
             filename*=UTF-8''%E7%BB%9F%E8%AE%A1%202026-W49.xlsx"
        );
    }

    #[test]
    fn an_ascii_name_keeps_letters_digits_and_dashes_and_nothing_a_header_could_misread() {
        assert_eq!(ascii_name("org-template.xlsx"), "org-template.xlsx");
        assert_eq!(ascii_name("a\"b;c\r\n.csv"), "a_b_c__.csv");
    }
}
