//! 登录 and 退出. Opening a login link shows one 「登录」 button and spends nothing (a chat app's
//! preview opens links too); only the button's POST spends the link and starts the session.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::{MessagePage, core_error, render};
use crate::logins::{self, LinkView};
use crate::texts::web as texts;
use crate::web::auth::{cleared_cookie, session_cookie, session_token};
use crate::web::guard::{ClientIp, count_try};
use crate::web::{Web, WebError};

#[derive(Template)]
#[template(path = "login.html", config = "src/web/askama.toml")]
struct LoginPage<'a> {
    title: &'a str,
    who: String,
    note: &'a str,
    token: &'a str,
}

/// Every request on a link: counted against the client's address, and a token that cannot be
/// ours (tokens are 32 letters and digits) refused as a spent link, without asking the database.
pub fn link_try(web: &Web, ip: std::net::IpAddr, token: &str) -> Result<(), WebError> {
    count_try(&web.limiter, ip)?;
    if token.len() == 32 && token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(WebError::bad_request(crate::texts::errors::user_error(
            &crate::UserError::WebLinkGone,
            &web.core.config,
            None,
        )))
    }
}

pub async fn page(
    State(web): State<Web>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    link_try(&web, ip, &token)?;
    match logins::look(&web.core, &token).await.map_err(|e| core_error(&web, e))? {
        LinkView::Login { name } => {
            let page = LoginPage {
                title: texts::TITLE,
                who: texts::login_as(&name),
                note: texts::LOGIN_NOTE,
                token: &token,
            };
            Ok(render(&page)?.into_response())
        }
        LinkView::Setup => Ok(Redirect::to(&format!("/setup/{token}")).into_response()),
    }
}

pub async fn log_in(
    State(web): State<Web>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    link_try(&web, ip, &token)?;
    let session = logins::log_in(&web.core, &token).await.map_err(|e| core_error(&web, e))?;
    Ok(signed_in(&web, &session.token))
}

/// A new session's cookie, and on to the overview.
pub fn signed_in(web: &Web, token: &str) -> Response {
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(token, web.secure()));
    response
}

pub async fn log_out(State(web): State<Web>, headers: HeaderMap) -> Result<Response, WebError> {
    if let Some(token) = session_token(&headers) {
        logins::log_out(&web.core, &token).await.map_err(|e| core_error(&web, e))?;
    }
    let page = render(&MessagePage { title: texts::TITLE, message: texts::LOGGED_OUT, error: false })?;
    let mut response = (StatusCode::OK, page).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cleared_cookie(web.secure()));
    Ok(response)
}
