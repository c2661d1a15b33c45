//! Counters for `/metrics` (Prometheus text format) and the facts `/healthz` judges by.
//!
//! Plain atomics, one set per [`crate::Core`]: cheap to bump from any task, read when scraped.
//! Nothing here ever holds the token.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the Bot API latency histogram's buckets.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Default)]
pub struct Histogram {
    /// Cumulative counts per bucket, then +Inf.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.buckets[BUCKETS.len()].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Relaxed);
    }
}

#[derive(Debug, Default)]
pub struct Metrics {
    pub updates_ok: AtomicU64,
    pub updates_ignored: AtomicU64,
    pub updates_failed: AtomicU64,
    pub checkins: AtomicU64,
    pub notices_fired: AtomicU64,
    pub deliveries_sent: AtomicU64,
    pub deliveries_failed: AtomicU64,
    pub deliveries_blocked: AtomicU64,
    pub deliveries_retried: AtomicU64,
    pub rate_limited: AtomicU64,
    pub api_latency: Histogram,
    pub api_errors: AtomicU64,
    /// Unix milliseconds of the last Bot API call that succeeded (0: none yet).
    pub last_api_ok_ms: AtomicI64,
    /// Unix milliseconds when the process started.
    pub started_ms: AtomicI64,
    /// Unix milliseconds since when the platform is down (0: it answers).
    pub down_since_ms: AtomicI64,
    /// Outages seen since start.
    pub outages: AtomicU64,
    /// Kept replies dropped after reply_give_up_minutes.
    pub replies_dropped: AtomicU64,
}

impl Metrics {
    pub fn new(now_ms: i64) -> Self {
        let m = Metrics::default();
        m.started_ms.store(now_ms, Relaxed);
        m
    }

    /// A Bot API call ended: its latency, and whether Telegram answered it properly.
    pub fn api_call(&self, took: Duration, ok: bool, now_ms: i64) {
        self.api_latency.observe(took);
        if ok {
            self.last_api_ok_ms.store(now_ms, Relaxed);
        } else {
            self.api_errors.fetch_add(1, Relaxed);
        }
    }

    /// The sender found the platform down.
    pub fn platform_down(&self, now_ms: i64) {
        if self.down_since_ms.compare_exchange(0, now_ms, Relaxed, Relaxed).is_ok() {
            self.outages.fetch_add(1, Relaxed);
        }
    }

    /// The platform answers again; since when it was down.
    pub fn platform_up(&self) -> i64 {
        self.down_since_ms.swap(0, Relaxed)
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition, with the outbox backlog read at scrape time.
    pub fn render(&self, backlog: i64) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, series: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, value) in series {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let get = |c: &AtomicU64| c.load(Relaxed);
        counter(
            "sansong_updates_handled_total",
            "Telegram updates handled, by outcome.",
            &[
                ("{outcome=\"ok\"}", get(&self.updates_ok)),
                ("{outcome=\"ignored\"}", get(&self.updates_ignored)),
                ("{outcome=\"failed\"}", get(&self.updates_failed)),
            ],
        );
        counter("sansong_checkins_recorded_total", "Check-ins recorded.", &[("", get(&self.checkins))]);
        counter("sansong_notices_fired_total", "Notice runs fired.", &[("", get(&self.notices_fired))]);
        counter(
            "sansong_deliveries_total",
            "Notice deliveries, by outcome.",
            &[
                ("{outcome=\"sent\"}", get(&self.deliveries_sent)),
                ("{outcome=\"failed\"}", get(&self.deliveries_failed)),
                ("{outcome=\"blocked\"}", get(&self.deliveries_blocked)),
                ("{outcome=\"retried\"}", get(&self.deliveries_retried)),
            ],
        );
        counter(
            "sansong_replies_dropped_total",
            "Replies kept through a platform failure and dropped after reply_give_up_minutes.",
            &[("", get(&self.replies_dropped))],
        );
        counter(
            "sansong_telegram_rate_limited_total",
            "Answers of 429 Too Many Requests from the Bot API.",
            &[("", get(&self.rate_limited))],
        );
        counter(
            "sansong_bot_api_errors_total",
            "Bot API calls that failed (network, 5xx, refusals).",
            &[("", get(&self.api_errors))],
        );
        let _ = writeln!(
            out,
            "# HELP sansong_bot_api_request_duration_seconds Bot API call latency.\n# TYPE sansong_bot_api_request_duration_seconds histogram"
        );
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "sansong_bot_api_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                self.api_latency.buckets[i].load(Relaxed)
            );
        }
        let count = self.api_latency.buckets[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "sansong_bot_api_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.api_latency.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "sansong_bot_api_request_duration_seconds_sum {sum}");
        let _ = writeln!(out, "sansong_bot_api_request_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP sansong_outbox_backlog Deliveries waiting to be sent.\n# TYPE sansong_outbox_backlog gauge\nsansong_outbox_backlog {backlog}"
        );
        let down = i64::from(self.down_since_ms.load(Relaxed) > 0);
        let _ = writeln!(
            out,
            "# HELP sansong_platform_down Whether sending found the platform down (1) or not (0).\n# TYPE sansong_platform_down gauge\nsansong_platform_down{{platform=\"telegram\"}} {down}"
        );
        let _ = writeln!(
            out,
            "# HELP sansong_platform_outages_total Outages the sender found.\n# TYPE sansong_platform_outages_total counter\nsansong_platform_outages_total{{platform=\"telegram\"}} {}",
            self.outages.load(Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_the_text_has_every_series() {
        let m = Metrics::new(0);
        m.api_call(Duration::from_millis(3), true, 1);
        m.api_call(Duration::from_millis(300), false, 2);
        Metrics::bump(&m.checkins);
        let text = m.render(7);
        assert!(text.contains("sansong_bot_api_request_duration_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("sansong_bot_api_request_duration_seconds_bucket{le=\"0.5\"} 2"), "{text}");
        assert!(text.contains("sansong_bot_api_request_duration_seconds_count 2"), "{text}");
        assert!(text.contains("sansong_checkins_recorded_total 1"), "{text}");
        assert!(text.contains("sansong_bot_api_errors_total 1"), "{text}");
        assert!(text.contains("sansong_outbox_backlog 7"), "{text}");
        assert_eq!(m.last_api_ok_ms.load(Relaxed), 1);
    }
}
