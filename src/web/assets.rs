//! The console's one stylesheet and its one script (the workbench page's, run only inside
//! DingTalk), compiled into the binary (a county intranet has no CDN).

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("console.css");

pub async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        CSS,
    )
}

const DINGTALK_LOGIN: &str = include_str!("dingtalk-login.js");

pub async fn dingtalk_login() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        DINGTALK_LOGIN,
    )
}
