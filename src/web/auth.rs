//! Who is asking: the session cookie read into a [`Viewer`] on every request, with the member's
//! role and status as the database has them now (a demotion ends their rights at the next
//! request), and the cookie set at login and cleared at 「退出」. The JSON API also takes a
//! read-only token instead of the cookie ([`ApiViewer`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use cookie::{Cookie, SameSite};

use super::{Web, WebError};
use crate::domain::Member;
use crate::members::Actor;
use crate::texts::system as system_texts;
use crate::texts::web as texts;

pub const COOKIE: &str = "sansong_session";

/// An organiser or admin with a live session.
pub struct Viewer {
    pub member: Member,
}

impl Viewer {
    pub fn actor(&self) -> Actor {
        Actor::Member(self.member.clone())
    }
}

/// The session token a request carries, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
}

impl FromRequestParts<Web> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Viewer, WebError> {
        let token = session_token(&parts.headers)
            .ok_or_else(|| WebError::new(StatusCode::UNAUTHORIZED, texts::NOT_LOGGED_IN.to_owned()))?;
        let member = crate::logins::session(&web.core, &token)
            .await
            .map_err(|e| WebError::from_core(e, &web.core.config))?
            .ok_or_else(|| WebError::new(StatusCode::UNAUTHORIZED, texts::SESSION_ENDED.to_owned()))?;
        crate::logins::require_console(&member).map_err(|e| WebError::from_core(e, &web.core.config))?;
        Ok(Viewer { member: Member { on_web: true, ..member } })
    }
}

/// The same viewer, for the JSON API: its refusals are JSON too. Besides the session cookie,
/// the API takes a read-only token (`Authorization: Bearer <token>`, see [`crate::tokens`]): the
/// request then reads as the admin who created it. Only this extractor reads the header, and
/// only the API's GET routes use it: a token opens no console page and changes nothing.
pub struct ApiViewer(pub Viewer);

impl FromRequestParts<Web> for ApiViewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<ApiViewer, WebError> {
        let Some(authorization) = parts.headers.get(header::AUTHORIZATION) else {
            return Viewer::from_request_parts(parts, web).await.map(ApiViewer).map_err(WebError::as_json);
        };
        let refused = |message: &str| WebError::new(StatusCode::UNAUTHORIZED, message.to_owned()).as_json();
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            return Err(WebError::forbidden(system_texts::TOKEN_READS_ONLY.to_owned()).as_json());
        }
        let token = bearer(authorization).ok_or_else(|| refused(system_texts::NOT_BEARER))?;
        let member = crate::tokens::verify(&web.core, token)
            .await
            .map_err(|e| WebError::from_core(e, &web.core.config).as_json())?
            .ok_or_else(|| refused(system_texts::TOKEN_REFUSED))?;
        Ok(ApiViewer(Viewer { member: Member { on_web: true, ..member } }))
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// The `Set-Cookie` that starts a session.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let cookie = Cookie::build((COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` that removes it.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let cookie = Cookie::build((COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_header_gives_its_token_and_nothing_else_does() {
        let h = |v: &'static str| HeaderValue::from_static(v);
        assert_eq!(bearer(&h("Bearer sansong_abc")), Some("sansong_abc"));
        assert_eq!(bearer(&h("bearer  sansong_abc ")), Some("sansong_abc"));
        assert_eq!(bearer(&h("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer(&h("Bearer ")), None);
        assert_eq!(bearer(&h("sansong_abc")), None);
    }
}
