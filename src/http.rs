//! The operator's HTTP endpoint (default 127.0.0.1:9898, `metrics_addr`, `off` to disable):
//!
//! - `GET /healthz`: 200 when the database answers and each platform the bot runs on answered
//!   within `health_window_secs` (Telegram: a Bot API call succeeded; DingTalk: a stream frame
//!   or an OpenAPI call) and the sender does not find it down; 503 otherwise, with the reason,
//!   as JSON. `platforms` shows each one's state.
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
use crate::domain::Platform;
use crate::metrics::PlatformState;

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
    let started = core.metrics.started_ms.load(Relaxed);
    let rfc3339 = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339());
    let mut platforms = serde_json::Map::new();
    // (reason, down since) of each platform found down; reasons of those merely quiet.
    let mut down: Vec<(String, i64)> = Vec::new();
    let mut quiet: Vec<String> = Vec::new();
    // The terminal has no server to lose.
    for (platform, m) in core.metrics.serving().filter(|(p, _)| *p != Platform::Terminal) {
        let last_ok = m.last_ok_ms.load(Relaxed);
        let down_since = m.down_since_ms.load(Relaxed);
        platforms.insert(
            platform.as_str().into(),
            json!({
                "last_ok_seconds_ago": (last_ok > 0).then(|| (now_ms - last_ok) / 1000),
                "down_since": (down_since > 0).then(|| rfc3339(down_since)),
            }),
        );
        let halted = m.halted.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((reason, since)) = halted {
            down.push((reason, since));
            continue;
        }
        match m.state(started, now_ms, core.config.health_window) {
            PlatformState::Down { since_ms } => down.push((down_reason(platform).to_owned(), since_ms)),
            PlatformState::Quiet { for_ } => {
                quiet.push(quiet_reason(platform, for_, core.config.health_window))
            }
            PlatformState::Up => {}
        }
    }
    let unhealthy = |body: serde_json::Value| (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body));
    match database {
        Err(_) => {
            let reason = "the database did not answer within 2 s";
            return unhealthy(json!({"status": "unhealthy", "reason": reason, "platforms": platforms}));
        }
        Ok(Err(e)) => {
            let reason = format!("the database failed: {e}");
            return unhealthy(json!({"status": "unhealthy", "reason": reason, "platforms": platforms}));
        }
        Ok(Ok(_)) => {}
    }
    // The sender found a platform down: unhealthy, with since when and how much is waiting.
    if let Some(since) = down.iter().map(|(_, since)| *since).min() {
        let backlog = core.store.outbox_backlog().await.unwrap_or(-1);
        let reason = down.into_iter().map(|(r, _)| r).collect::<Vec<_>>().join("; ");
        return unhealthy(json!({
            "status": "unhealthy",
            "reason": reason,
            "since": rfc3339(since),
            "backlog": backlog,
            "platforms": platforms,
        }));
    }
    if !quiet.is_empty() {
        return unhealthy(json!({"status": "unhealthy", "reason": quiet.join("; "), "platforms": platforms}));
    }
    (StatusCode::OK, axum::Json(json!({"status": "ok", "platforms": platforms})))
}

/// Why a platform the sender found down makes the bot unhealthy.
fn down_reason(platform: Platform) -> &'static str {
    match platform {
        Platform::Telegram => {
            "Telegram: the Bot API is down: sends failed for several members in a row; probing until it answers"
        }
        Platform::DingTalk => {
            "DingTalk: the OpenAPI is down: sends failed for several members in a row; probing until it answers"
        }
        Platform::WeCom => {
            "WeCom: the long connection is down: sends failed for several members in a row; probing until it answers"
        }
        Platform::Terminal => "the terminal is down",
    }
}

/// Why a platform not heard from for too long makes the bot unhealthy.
fn quiet_reason(platform: Platform, quiet_for: Duration, window: Duration) -> String {
    let (secs, limit) = (quiet_for.as_secs(), window.as_secs());
    match platform {
        Platform::Telegram => format!("Telegram: no successful Bot API call for {secs} s (limit {limit} s)"),
        Platform::DingTalk => {
            format!(
                "DingTalk: nothing heard on the stream or from the OpenAPI for {secs} s (limit {limit} s)"
            )
        }
        Platform::WeCom => {
            format!("WeCom: nothing heard on the long connection for {secs} s (limit {limit} s)")
        }
        Platform::Terminal => format!("the terminal: silent for {secs} s"),
    }
}

async fn metrics(State(core): State<Core>) -> impl IntoResponse {
    let backlog = core.store.outbox_backlog().await.unwrap_or(-1);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], core.metrics.render(backlog))
}
