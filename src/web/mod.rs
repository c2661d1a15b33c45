//! The web console: organisers and admins see the campaign at their desks (概览, 统计, 站点覆盖,
//! 未登记, 登记记录) and other systems read the same figures as JSON (`/api/v1/…`).
//!
//! An edge like `chat`: each handler reads its parameters into typed filters ([`params`]),
//! calls the core with the viewer's role (read from the database on every request, see
//! [`auth`]), and renders a template (a file per view under `views/`, askama templates compiled
//! into the binary). Pages change nothing; every state change is a POST whose origin is checked
//! ([`guard`]) on top of the `SameSite=Strict` session cookie. Charts are SVG drawn on the server
//! ([`charts`]); the pages need no script and load nothing from another origin.

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
}

impl Web {
    pub fn new(core: Core, files: HashMap<Platform, Arc<dyn FileSource>>) -> Web {
        Web { core, files: Arc::new(files), limiter: Arc::new(guard::Limiter::default()) }
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
        .route("/api/v1/tally", get(api::tally))
        .route("/api/v1/coverage", get(api::coverage))
        .route("/api/v1/missing", get(api::missing))
        .route("/api/v1/checkins", get(api::checkins))
        .route("/assets/console.css", get(assets::css))
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
