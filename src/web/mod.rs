//! The web console: organisers and admins see the campaign at their desks (概览, 统计, 站点覆盖,
//! 未登记, 登记记录) and other systems read the same figures as JSON (`/api/v1/…`).
//!
//! An edge like `chat`: each handler reads its parameters into typed filters ([`params`]),
//! calls the core with the viewer's role (read from the database on every request, see
//! [`auth`]), and renders a template (a file per view under `views/`, askama templates compiled
//! into the binary). Pages change nothing; every state change is a POST whose origin is checked
//! ([`guard`]) on top of the `SameSite=Strict` session cookie. Charts are SVG drawn on the server
//! ([`charts`]); the pages need no script and load nothing from another origin, save one: the
//! workbench page opened inside DingTalk loads DingTalk's own script there to sign the official
//! in ([`Workbench`], `views::workbench`).

mod api;
mod assets;
mod auth;
pub mod charts;
mod error;
mod guard;
pub mod params;
mod views;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use crate::chat::FileSource;
use crate::core::Core;
use crate::domain::Platform;

pub use error::WebError;

/// What every handler shares.
#[derive(Clone)]
pub struct Web {
    pub core: Core,
    /// Where each running platform's files (check-in photos) can be fetched.
    files: Arc<HashMap<Platform, Arc<dyn FileSource>>>,
    /// Tries at login links per client address.
    limiter: Arc<guard::Limiter>,
    /// Poked when a notice is published, so the scheduler looks at once.
    scheduler_wake: Option<Arc<tokio::sync::Notify>>,
    /// Files of notices being composed, between 「预览」 and 「确认发布」.
    drafts: Arc<views::compose::Drafts>,
    /// The sign-in from inside a platform's own app (DingTalk's workbench), when it runs.
    workbench: Option<Arc<dyn Workbench>>,
}

/// A platform's sign-in from inside its own app (DingTalk's workbench page): the page asks
/// the app for a one-time code, the platform's side exchanges it for the user. Implemented by
/// the platform (the console knows it only by this).
pub trait Workbench: Send + Sync {
    fn platform(&self) -> Platform;
    /// The app's id, for the page's request for a code.
    fn client_id(&self) -> String;
    /// The platform's user id a one-time code stands for; `Ok(None)` for a code the platform
    /// does not know (forged, used, expired); `Err` when it could not be asked.
    fn user_of<'a>(&'a self, code: &'a str)
    -> futures::future::BoxFuture<'a, Result<Option<String>, String>>;
}

impl Web {
    pub fn new(core: Core, files: HashMap<Platform, Arc<dyn FileSource>>) -> Web {
        Web {
            core,
            files: Arc::new(files),
            limiter: Arc::new(guard::Limiter::default()),
            scheduler_wake: None,
            drafts: Arc::default(),
            workbench: None,
        }
    }

    /// The platform whose workbench page signs people in.
    pub fn with_workbench(mut self, workbench: Arc<dyn Workbench>) -> Web {
        self.workbench = Some(workbench);
        self
    }

    /// The scheduler to wake when a notice is published here.
    pub fn with_scheduler(mut self, wake: Arc<tokio::sync::Notify>) -> Web {
        self.scheduler_wake = Some(wake);
        self
    }

    fn notices_changed(&self) {
        if let Some(wake) = &self.scheduler_wake {
            wake.notify_one();
        }
    }

    /// The session cookie is `Secure` when people reach the console over https.
    fn secure(&self) -> bool {
        self.core.config.public_url.scheme() == "https"
    }
}

/// Every route of the console.
pub fn router(web: Web) -> Router {
    Router::new()
        .route("/", get(views::overview::page))
        .route("/tally", get(views::tally::page))
        .route("/tally/export.xlsx", get(views::tally::export_xlsx))
        .route("/tally/export.csv", get(views::tally::export_csv))
        .route("/coverage", get(views::coverage::page))
        .route("/missing", get(views::missing::page))
        .route("/checkins", get(views::checkins::page))
        .route("/photo/{id}", get(views::photo::photo))
        .route("/login/{token}", get(views::login::page).post(views::login::log_in))
        .route("/setup/{token}", get(views::setup::page).post(views::setup::set_up))
        .route("/logout", post(views::login::log_out))
        .route("/dingtalk", get(views::workbench::page))
        .route("/dingtalk/login", post(views::workbench::log_in))
        .route("/members", get(views::members::page))
        .route("/members/{id}/role", post(views::members::set_role))
        .route("/members/{id}/{action}", post(views::members::set_status))
        .route("/invites", get(views::invites::page).post(views::invites::create))
        .route("/invites/{id}", get(views::invites::show))
        .route("/invites/{id}/revoke", post(views::invites::revoke))
        .route("/notices", get(views::notices::page))
        .route(
            "/notices/new",
            get(views::compose::page)
                .post(views::compose::submit)
                .layer(axum::extract::DefaultBodyLimit::max(views::compose::MAX_UPLOAD)),
        )
        .route("/notices/draft/{nonce}/file", get(views::compose::draft_file))
        .route("/notices/{id}", get(views::notice::page))
        .route("/notices/{id}/{action}", post(views::notice::act))
        .route("/audit", get(views::audit::page))
        .route("/system", get(views::system::page))
        .route("/system/backup", post(views::system::backup))
        .route("/system/tokens", post(views::system::create_token))
        .route("/system/tokens/{id}/revoke", post(views::system::revoke_token))
        .route("/org", get(views::org::page))
        .route("/org/units", post(views::org::add_unit))
        .route("/org/units/{id}/rename", post(views::org::rename_unit))
        .route("/org/units/{id}/departments", post(views::org::set_departments))
        .route("/org/sites", post(views::org::add_site))
        .route("/org/sites/{id}/rename", post(views::org::rename_site))
        .route("/org/sites/{id}/default", post(views::org::set_default))
        .route("/org/sites/{id}/archive", post(views::org::archive))
        .route("/org/sites/{id}/restore", post(views::org::restore))
        .route(
            "/org/import",
            get(views::org::import_form)
                .post(views::org::import_preview)
                .layer(axum::extract::DefaultBodyLimit::max(views::org::MAX_UPLOAD)),
        )
        .route(
            "/org/import/confirm",
            post(views::org::import_confirm)
                .layer(axum::extract::DefaultBodyLimit::max(views::org::MAX_UPLOAD)),
        )
        .route("/org/template.xlsx", get(views::org::template))
        .route("/org/export.xlsx", get(views::org::export_xlsx))
        .route("/org/export.toml", get(views::org::export_toml))
        .route("/api/v1/tally", get(api::tally))
        .route("/api/v1/coverage", get(api::coverage))
        .route("/api/v1/missing", get(api::missing))
        .route("/api/v1/checkins", get(api::checkins))
        .route("/assets/console.css", get(assets::css))
        .route("/assets/dingtalk-login.js", get(assets::dingtalk_login))
        .fallback(views::not_found)
        .layer(axum::middleware::from_fn(guard::same_origin_posts))
        .layer(axum::middleware::map_response(guard::security_headers))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(web)
}

/// Serves the console on `addr` until `shutdown`.
pub async fn serve(web: Web, addr: SocketAddr, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(address = %listener.local_addr()?, "web console listening");
    axum::serve(listener, router(web).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    Ok(())
}
