//! How the console answers what it cannot do: a person's mistake (a bad parameter, a spent
//! link, a page their role does not open) is a polite page in Chinese with its status (400, 401,
//! 403, 404, 429); an internal failure is logged with its context and answered with the generic
//! apology (500) — never a stack trace, SQL or a token.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::config::Config;
use crate::error::{Error, UserError};
use crate::texts;

/// A failed request, as the person sees it.
#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    /// Answered as JSON (the API) rather than a page.
    pub json: bool,
}

impl WebError {
    pub fn new(status: StatusCode, message: String) -> WebError {
        WebError { status, message, json: false }
    }

    pub fn bad_request(message: String) -> WebError {
        WebError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: String) -> WebError {
        WebError::new(StatusCode::FORBIDDEN, message)
    }

    /// The same error, answered as JSON.
    pub fn as_json(mut self) -> WebError {
        self.json = true;
        self
    }

    /// A core error, in the words the chat would use.
    pub fn from_core(e: Error, config: &Config) -> WebError {
        match e {
            Error::User(u) => {
                let status = match &u {
                    UserError::Forbidden { .. }
                    | UserError::OtherUnit
                    | UserError::NoConsole
                    | UserError::Deactivated
                    | UserError::NotRegistered => StatusCode::FORBIDDEN,
                    UserError::NotYourCheckin(_)
                    | UserError::NoSuchNotice(_)
                    | UserError::NoSuchInvite
                    | UserError::NoSuchMember(_)
                    | UserError::NoSuchApiToken
                    | UserError::NoSuchUnit(_)
                    | UserError::NoSuchSite(_) => StatusCode::NOT_FOUND,
                    // The server could not write the copy: its failure, not the person's.
                    UserError::BackupFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    // Someone else (or a firing) changed it first: look again.
                    UserError::NoticeChanged(_) => StatusCode::CONFLICT,
                    _ => StatusCode::BAD_REQUEST,
                };
                if status == StatusCode::INTERNAL_SERVER_ERROR {
                    tracing::error!(error = %u, "console request failed");
                }
                WebError::new(status, texts::errors::user_error(&u, config, None))
            }
            other => {
                tracing::error!(error = %format!("{other:#}"), "console request failed");
                WebError::new(StatusCode::INTERNAL_SERVER_ERROR, texts::errors::sorry())
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.json {
            return (self.status, axum::Json(serde_json::json!({ "error": self.message }))).into_response();
        }
        let page =
            super::views::MessagePage { title: texts::web::TITLE, message: &self.message, error: true };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "rendering the error page");
                (self.status, self.message).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_there_is_404_and_a_failed_backup_is_500_with_its_polite_text() {
        let config = Config::default();
        let status = |u: UserError| WebError::from_core(u.into(), &config).status;
        for missing in [
            UserError::NoSuchNotice(7),
            UserError::NoSuchInvite,
            UserError::NoSuchMember("7".into()),
            UserError::NoSuchApiToken,
            UserError::NoSuchUnit(7),
            UserError::NoSuchSite(7),
            UserError::NotYourCheckin(7),
        ] {
            assert_eq!(status(missing.clone()), StatusCode::NOT_FOUND, "{missing:?}");
        }
        assert_eq!(status(UserError::NoSuchDay("明天".into())), StatusCode::BAD_REQUEST, "a typing error");
        let failed = WebError::from_core(UserError::BackupFailed("disk full".into()).into(), &config);
        assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(failed.message.contains("备份没有完成：disk full"), "{}", failed.message);
    }
}
