//! The operator's HTTP endpoint (default 127.0.0.1:9898, `metrics_addr`, `off` to disable):
//!
//! - `GET /healthz`: 200 when the database answers and a Bot API call succeeded within
//!   `health_window_secs`; 503 otherwise, with the reason, as JSON.
//! - `GET /metrics`: the counters of [`crate::metrics`] in Prometheus text format.
//!
//! Neither ever shows the token or the webhook secret.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::core::Core;

/// The routes, for this server and for sharing a listener with the webhook.
pub fn routes(core: Core) -> Router {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(core)
}

/// Serves [`routes`] on `addr` until `shutdown`.
pub async fn serve(core: Core, addr: SocketAddr, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(address = %listener.local_addr()?, "health and metrics endpoint listening");
    axum::serve(listener, routes(core)).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
    Ok(())
}

async fn healthz(State(core): State<Core>) -> impl IntoResponse {
    let database = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(core.store.pool()),
    )
    .await;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let last_ok = core.metrics.last_api_ok_ms.load(Relaxed);
    let since = if last_ok > 0 { last_ok } else { core.metrics.started_ms.load(Relaxed) };
    let quiet_for = Duration::from_millis(u64::try_from(now_ms - since).unwrap_or(0));
    let reason = match database {
        Err(_) => Some("the database did not answer within 2 s".to_owned()),
        Ok(Err(e)) => Some(format!("the database failed: {e}")),
        Ok(Ok(_)) if quiet_for > core.config.health_window => Some(format!(
            "no successful Bot API call for {} s (limit {} s)",
            quiet_for.as_secs(),
            core.config.health_window.as_secs()
        )),
        Ok(Ok(_)) => None,
    };
    let last = (last_ok > 0).then(|| (now_ms - last_ok) / 1000);
    // The sender found the platform down: unhealthy, with since when and how much is waiting.
    let down_since = core.metrics.down_since_ms.load(Relaxed);
    if down_since > 0 && reason.is_none() {
        let backlog = core.store.outbox_backlog().await.unwrap_or(-1);
        let since = chrono::DateTime::from_timestamp_millis(down_since).map(|t| t.to_rfc3339());
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({
                "status": "unhealthy",
                "reason": "the Bot API is down: sends failed for several members in a row; probing until it answers",
                "since": since,
                "backlog": backlog,
                "last_bot_api_ok_seconds_ago": last,
            })),
        );
    }
    match reason {
        None => (StatusCode::OK, axum::Json(json!({"status": "ok", "last_bot_api_ok_seconds_ago": last}))),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "unhealthy", "reason": reason, "last_bot_api_ok_seconds_ago": last})),
        ),
    }
}

async fn metrics(State(core): State<Core>) -> impl IntoResponse {
    let backlog = core.store.outbox_backlog().await.unwrap_or(-1);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], core.metrics.render(backlog))
}
