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
                    UserError::NotYourCheckin(_) => StatusCode::NOT_FOUND,
                    _ => StatusCode::BAD_REQUEST,
                };
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
