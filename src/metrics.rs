//! Counters for `/metrics` (Prometheus text format) and the facts `/healthz` judges by.
//!
//! Plain atomics, one set per [`crate::Core`]: cheap to bump from any task, read when scraped.
//! Nothing here ever holds the token.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::domain::Platform;

/// Upper bounds (seconds) of the API latency histogram's buckets.
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

/// What is counted for each platform: its API calls, and whether the sender finds it down.
#[derive(Debug, Default)]
pub struct PlatformMetrics {
    pub api_latency: Histogram,
    pub api_errors: AtomicU64,
    /// Flood-control answers (Telegram's 429, DingTalk's throttling).
    pub rate_limited: AtomicU64,
    /// Unix milliseconds when the platform last answered (0: not yet): a call that succeeded,
    /// or, for a stream, any frame.
    pub last_ok_ms: AtomicI64,
    /// Unix milliseconds since when the sender finds the platform down (0: it answers).
    pub down_since_ms: AtomicI64,
    /// Outages seen since start.
    pub outages: AtomicU64,
    /// The bot runs on it (set when its jobs start): only such platforms are shown and judged.
    pub serving: AtomicBool,
    /// The pace its sender keeps now, in thousandths of a send a second (0: unpaced), as learned
    /// from the platform's refusals.
    pub pace_milli: AtomicU64,
    /// Why the platform's connection stopped for good and waits for the operator (WeCom: a
    /// newer connection took the bot over; its credentials were refused), with since when.
    pub halted: std::sync::Mutex<Option<(String, i64)>>,
}

/// How a platform the bot runs on stands, as `/healthz` and the console's 系统 page judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformState {
    /// It answered within the health window.
    Up,
    /// Not heard from for longer than the health window (since it last answered, or since the
    /// start when it never has).
    Quiet { for_: Duration },
    /// The sender finds it down, since these Unix milliseconds.
    Down { since_ms: i64 },
}

impl PlatformMetrics {
    /// The platform's state at `now_ms`, the process having started at `started_ms`.
    pub fn state(&self, started_ms: i64, now_ms: i64, window: Duration) -> PlatformState {
        let down_since = self.down_since_ms.load(Relaxed);
        if down_since > 0 {
            return PlatformState::Down { since_ms: down_since };
        }
        let last_ok = self.last_ok_ms.load(Relaxed);
        let since = if last_ok > 0 { last_ok } else { started_ms };
        let quiet_for = Duration::from_millis(u64::try_from(now_ms - since).unwrap_or(0));
        if quiet_for > window { PlatformState::Quiet { for_: quiet_for } } else { PlatformState::Up }
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
    /// Unix milliseconds when the process started.
    pub started_ms: AtomicI64,
    /// Kept replies dropped after reply_give_up_minutes.
    pub replies_dropped: AtomicU64,
    /// One set per platform, in [`Platform::ALL`]'s order.
    platforms: [PlatformMetrics; Platform::ALL.len()],
}

impl Metrics {
    pub fn new(now_ms: i64) -> Self {
        let m = Metrics::default();
        m.started_ms.store(now_ms, Relaxed);
        m
    }

    /// One platform's counters.
    pub fn platform(&self, platform: Platform) -> &PlatformMetrics {
        let i = Platform::ALL.iter().position(|p| *p == platform).unwrap_or(0);
        &self.platforms[i]
    }

    /// The platforms the bot runs on, with their counters.
    pub fn serving(&self) -> impl Iterator<Item = (Platform, &PlatformMetrics)> {
        Platform::ALL.into_iter().zip(&self.platforms).filter(|(_, m)| m.serving.load(Relaxed))
    }

    /// A call to a platform's API ended: its latency, and whether the platform answered it.
    pub fn api_call(&self, platform: Platform, took: Duration, ok: bool, now_ms: i64) {
        let m = self.platform(platform);
        m.api_latency.observe(took);
        if ok {
            m.last_ok_ms.store(now_ms, Relaxed);
        } else {
            m.api_errors.fetch_add(1, Relaxed);
        }
    }

    /// The pace a platform's sender keeps now, in sends (or batch calls) a second.
    pub fn pace(&self, platform: Platform, per_second: f64) {
        self.platform(platform).pace_milli.store((per_second * 1000.0).round() as u64, Relaxed);
    }

    /// The platform said something without being asked (a stream's frame): it is there.
    pub fn heard(&self, platform: Platform, now_ms: i64) {
        self.platform(platform).last_ok_ms.store(now_ms, Relaxed);
    }

    /// The platform's connection stopped for good, for `reason` (shown by /healthz).
    pub fn halt(&self, platform: Platform, reason: String, now_ms: i64) {
        *self.platform(platform).halted.lock().unwrap_or_else(|p| p.into_inner()) = Some((reason, now_ms));
    }

    /// The platform asked the bot to slow down.
    pub fn rate_limited(&self, platform: Platform) {
        self.platform(platform).rate_limited.fetch_add(1, Relaxed);
    }

    /// The sender found the platform down.
    pub fn platform_down(&self, platform: Platform, now_ms: i64) {
        let m = self.platform(platform);
        if m.down_since_ms.compare_exchange(0, now_ms, Relaxed, Relaxed).is_ok() {
            m.outages.fetch_add(1, Relaxed);
        }
    }

    /// The platform answers again; since when it was down.
    pub fn platform_up(&self, platform: Platform) -> i64 {
        self.platform(platform).down_since_ms.swap(0, Relaxed)
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition, with the outbox backlog read at scrape time. The
    /// platform series carry a `platform` label, for each platform the bot runs on.
    pub fn render(&self, backlog: i64) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, series: &[(String, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, value) in series {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let get = |c: &AtomicU64| c.load(Relaxed);
        let plain = |value: u64| vec![(String::new(), value)];
        counter(
            "sansong_updates_handled_total",
            "Updates (messages, presses) handled, by outcome.",
            &[
                ("{outcome=\"ok\"}".into(), get(&self.updates_ok)),
                ("{outcome=\"ignored\"}".into(), get(&self.updates_ignored)),
                ("{outcome=\"failed\"}".into(), get(&self.updates_failed)),
            ],
        );
        counter("sansong_checkins_recorded_total", "Check-ins recorded.", &plain(get(&self.checkins)));
        counter("sansong_notices_fired_total", "Notice runs fired.", &plain(get(&self.notices_fired)));
        counter(
            "sansong_deliveries_total",
            "Notice deliveries, by outcome.",
            &[
                ("{outcome=\"sent\"}".into(), get(&self.deliveries_sent)),
                ("{outcome=\"failed\"}".into(), get(&self.deliveries_failed)),
                ("{outcome=\"blocked\"}".into(), get(&self.deliveries_blocked)),
                ("{outcome=\"retried\"}".into(), get(&self.deliveries_retried)),
            ],
        );
        counter(
            "sansong_replies_dropped_total",
            "Replies kept through a platform failure and dropped after reply_give_up_minutes.",
            &plain(get(&self.replies_dropped)),
        );
        let serving: Vec<(Platform, &PlatformMetrics)> = self.serving().collect();
        let by_platform = |value: fn(&PlatformMetrics) -> u64| -> Vec<(String, u64)> {
            serving.iter().map(|(p, m)| (format!("{{platform=\"{}\"}}", p.as_str()), value(m))).collect()
        };
        counter(
            "sansong_rate_limited_total",
            "Flood-control answers from a platform (Telegram's 429, DingTalk's throttling).",
            &by_platform(|m| m.rate_limited.load(Relaxed)),
        );
        counter(
            "sansong_api_errors_total",
            "Platform API calls that failed (network, 5xx, refusals).",
            &by_platform(|m| m.api_errors.load(Relaxed)),
        );
        counter(
            "sansong_platform_outages_total",
            "Outages the sender found.",
            &by_platform(|m| m.outages.load(Relaxed)),
        );
        let name = "sansong_send_pace_per_second";
        let _ = writeln!(
            out,
            "# HELP {name} The pace each platform's sender keeps now (sends, or DingTalk batch calls, a second; 0: unpaced), learned from the platform's refusals.\n# TYPE {name} gauge"
        );
        for (platform, m) in &serving {
            let _ = writeln!(
                out,
                "{name}{{platform=\"{}\"}} {}",
                platform.as_str(),
                m.pace_milli.load(Relaxed) as f64 / 1000.0
            );
        }
        let name = "sansong_api_request_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Platform API call latency.\n# TYPE {name} histogram");
        for (platform, m) in &serving {
            let p = platform.as_str();
            for (i, bound) in BUCKETS.iter().enumerate() {
                let n = m.api_latency.buckets[i].load(Relaxed);
                let _ = writeln!(out, "{name}_bucket{{platform=\"{p}\",le=\"{bound}\"}} {n}");
            }
            let count = m.api_latency.buckets[BUCKETS.len()].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{platform=\"{p}\",le=\"+Inf\"}} {count}");
            let sum = m.api_latency.sum_micros.load(Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "{name}_sum{{platform=\"{p}\"}} {sum}");
            let _ = writeln!(out, "{name}_count{{platform=\"{p}\"}} {count}");
        }
        let _ = writeln!(
            out,
            "# HELP sansong_outbox_backlog Deliveries waiting to be sent.\n# TYPE sansong_outbox_backlog gauge\nsansong_outbox_backlog {backlog}"
        );
        let _ = writeln!(
            out,
            "# HELP sansong_platform_down Whether sending found the platform down (1) or not (0).\n# TYPE sansong_platform_down gauge"
        );
        for (platform, m) in &serving {
            let down = i64::from(m.down_since_ms.load(Relaxed) > 0);
            let _ = writeln!(out, "sansong_platform_down{{platform=\"{}\"}} {down}", platform.as_str());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_the_text_has_every_series() {
        let m = Metrics::new(0);
        m.platform(Platform::Telegram).serving.store(true, Relaxed);
        m.api_call(Platform::Telegram, Duration::from_millis(3), true, 1);
        m.api_call(Platform::Telegram, Duration::from_millis(300), false, 2);
        Metrics::bump(&m.checkins);
        let text = m.render(7);
        let t = "platform=\"telegram\"";
        assert!(
            text.contains(&format!("sansong_api_request_duration_seconds_bucket{{{t},le=\"0.005\"}} 1")),
            "{text}"
        );
        assert!(
            text.contains(&format!("sansong_api_request_duration_seconds_bucket{{{t},le=\"0.5\"}} 2")),
            "{text}"
        );
        assert!(text.contains(&format!("sansong_api_request_duration_seconds_count{{{t}}} 2")), "{text}");
        assert!(text.contains("sansong_checkins_recorded_total 1"), "{text}");
        assert!(text.contains(&format!("sansong_api_errors_total{{{t}}} 1")), "{text}");
        assert!(text.contains("sansong_outbox_backlog 7"), "{text}");
        assert_eq!(m.platform(Platform::Telegram).last_ok_ms.load(Relaxed), 1);
    }

    #[test]
    fn each_platform_counts_apart_and_only_platforms_in_use_are_shown() {
        let m = Metrics::new(0);
        for p in [Platform::Telegram, Platform::DingTalk] {
            m.platform(p).serving.store(true, Relaxed);
        }
        m.platform_down(Platform::DingTalk, 5);
        m.platform_down(Platform::Telegram, 6);
        assert_eq!(m.platform_up(Platform::DingTalk), 5);
        m.rate_limited(Platform::DingTalk);
        let text = m.render(0);
        assert!(text.contains("sansong_platform_down{platform=\"telegram\"} 1"), "{text}");
        assert!(text.contains("sansong_platform_down{platform=\"dingtalk\"} 0"), "{text}");
        assert!(text.contains("sansong_platform_outages_total{platform=\"dingtalk\"} 1"), "{text}");
        assert!(text.contains("sansong_rate_limited_total{platform=\"dingtalk\"} 1"), "{text}");
        assert!(text.contains("sansong_rate_limited_total{platform=\"telegram\"} 0"), "{text}");
        assert!(!text.contains("terminal"), "{text}");
    }
}
