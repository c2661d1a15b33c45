//! 钉钉工作台: the console as the DingTalk app's workbench page (`/dingtalk`, configured as
//! `https://<console>/dingtalk?corpid=$CORPID$`). Opened inside DingTalk, the page loads
//! DingTalk's JSAPI (its one script from another origin, allowed by this response's policy
//! alone) and our `dingtalk-login.js`, which asks DingTalk for a one-time auth code and posts
//! it here; the server exchanges it with DingTalk for the user and opens a session for the
//! organiser or admin with that DingTalk account. Opened anywhere else, the page is plain text
//! with the console's usual policy: no script, no request to another origin.
//!
//! A code works once (DingTalk's rule, kept here too); a forged or replayed one logs nobody
//! in, and a DingTalk user who is not an organiser or admin gets the polite "no console" page.
//! Tries are counted per address, as for login links.

use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{MessagePage, core_error, render};
use crate::logins;
use crate::texts::dingtalk as texts;
use crate::texts::web::TITLE;
use crate::web::auth::session_token;
use crate::web::guard::{ClientIp, DINGTALK_PAGE_CSP, OwnPolicy, count_try};
use crate::web::views::login::signed_in;
use crate::web::{Web, WebError};

/// DingTalk's JSAPI, as its "网页应用开发前必读" page gives it for a page without a bundler.
pub const JSAPI: &str = "https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js";

#[derive(Template)]
#[template(path = "workbench.html", config = "src/web/askama.toml")]
struct WorkbenchPage<'a> {
    title: &'a str,
    jsapi: &'a str,
    corp_id: String,
    client_id: String,
    signing_in: &'a str,
    failed: &'a str,
}

/// Whether DingTalk's own browser opened the page (its user agent says `DingTalk`, as DingTalk's
/// web-view page tests it).
pub fn in_dingtalk(headers: &HeaderMap) -> bool {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.to_ascii_lowercase().contains("dingtalk"))
}

/// The organisation's corp id as DingTalk puts it in the page's address (`$CORPID$`): letters
/// and digits, or nothing (the script then asks DingTalk for it).
fn corp_id(query: Option<&str>) -> String {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "corpid" || k == "corpId")
        .map(|(_, v)| v.into_owned())
        .filter(|v| (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_default()
}

/// `GET /dingtalk`.
pub async fn page(
    State(web): State<Web>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, WebError> {
    // Signed in already (an organiser or admin): straight on.
    if let Some(token) = session_token(&headers)
        && let Ok(Some(member)) = logins::session(&web.core, &token).await
        && logins::require_console(&member).is_ok()
    {
        return Ok(Redirect::to("/").into_response());
    }
    let Some(workbench) = web.workbench.as_ref().filter(|_| in_dingtalk(&headers)) else {
        let page = MessagePage { title: TITLE, message: texts::WORKBENCH_OUTSIDE, error: false };
        return Ok(render(&page)?.into_response());
    };
    let page = WorkbenchPage {
        title: TITLE,
        jsapi: JSAPI,
        corp_id: corp_id(q.as_deref()),
        client_id: workbench.client_id(),
        signing_in: texts::WORKBENCH_SIGNING_IN,
        failed: texts::WORKBENCH_FAILED,
    };
    let mut response = render(&page)?.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DINGTALK_PAGE_CSP));
    response.extensions_mut().insert(OwnPolicy);
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /dingtalk/login`: the auth code, exchanged once.
pub async fn log_in(
    State(web): State<Web>,
    ClientIp(ip): ClientIp,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    count_try(&web.limiter, ip)?;
    let Some(workbench) = web.workbench.clone() else {
        return Err(WebError::new(StatusCode::NOT_FOUND, crate::texts::web::NOT_FOUND.to_owned()));
    };
    let code = f.code.trim();
    // DingTalk's codes are short strings of letters and digits: anything else is not asked about.
    let plausible = (1..=128).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Err(WebError::forbidden(texts::WORKBENCH_CODE_REFUSED.to_owned()));
    }
    let user = match workbench.user_of(code).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            tracing::warn!(%ip, "a DingTalk auth code that DingTalk does not know (forged, used or expired)");
            return Err(WebError::forbidden(texts::WORKBENCH_CODE_REFUSED.to_owned()));
        }
        Err(why) => {
            tracing::warn!(%why, "could not exchange a DingTalk auth code");
            return Err(WebError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                texts::WORKBENCH_UNAVAILABLE.to_owned(),
            ));
        }
    };
    let session = logins::log_in_from_platform(&web.core, workbench.platform(), &user)
        .await
        .map_err(|e| core_error(&web, e))?;
    Ok(signed_in(&web, &session.token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corp_id_is_taken_from_the_address_only_when_it_can_be_one() {
        assert_eq!(corp_id(Some("corpid=ding0123abc")), "ding0123abc");
        assert_eq!(corp_id(Some("corpid=%24CORPID%24")), "", "not substituted: left to the script");
        assert_eq!(corp_id(Some("corpid=x%22%3E%3Cscript")), "");
        assert_eq!(corp_id(None), "");
    }

    #[test]
    fn dingtalks_browser_is_told_by_its_user_agent() {
        let mut h = HeaderMap::new();
        assert!(!in_dingtalk(&h));
        h.insert(
            header::USER_AGENT,
            HeaderValue::from_static("Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36"),
        );
        assert!(!in_dingtalk(&h));
        h.insert(
            header::USER_AGENT,
            HeaderValue::from_static(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AliApp(DingTalk/7.6.0) DingTalk(7.6.0)",
            ),
        );
        assert!(in_dingtalk(&h));
    }
}
