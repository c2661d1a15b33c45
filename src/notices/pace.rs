//! Learning a platform's real sending rate from its own refusals.
//!
//! The configured rate (`broadcast_rate`, `dingtalk_rate`) is a guess: Telegram does not publish
//! its limits exactly, DingTalk's flow control even less. [`Adaptive`] starts at the configured
//! rate and listens to the platform:
//!
//! - **A refusal** (Telegram's 429, DingTalk's flow control) lowers the rate at once, to just
//!   under what the platform let through in the second before it (about the real limit), or to
//!   half when nothing went through. The platform's own pause (`retry_after`) is kept as before;
//!   refusals of sends that were already under way before it ended are echoes of the same
//!   refusal, not news, and change nothing.
//! - **While sends succeed** the rate climbs back additively: quickly up to just under the
//!   limit it learned, then it holds there, and only after a while probes above it (5% of the
//!   limit a second). A
//!   probe the platform refuses near the same limit doubles the hold (20 s, 40 s, … up to two
//!   minutes), so a steady limit costs a refusal every few minutes at most. A probe that goes
//!   well past the old limit means the limit rose: the rate climbs freely again.
//! - Never above the configured rate, never below [`FLOOR`].
//!
//! Pure: every call is given the instant it happens at, so the tests control the clock.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The slowest the pace ever goes, in sends a second.
pub const FLOOR: f64 = 1.0;
/// How far under the learned limit the rate settles: the pacers keep sends exactly this far
/// apart (a timer late by up to 10 ms keeps the schedule), so a one-second window then holds at
/// most 1.01 × 0.99 of the limit — under it — and little of the platform's rate is given away.
const UNDER: f64 = 0.99;
/// How far under the configured rate the pace starts and tops out, for the same reason: the
/// configured rate may be the platform's own limit exactly.
const UNDER_CONFIGURED: f64 = 0.98;
/// The first hold at the learned limit before probing above it, and the longest.
/// A probe costs a pause (the refusal's `retry_after`, about a second of sending): at most one
/// in 20 s of sending at first, then fewer as the limit proves steady.
const FIRST_HOLD: Duration = Duration::from_secs(20);
const LONGEST_HOLD: Duration = Duration::from_secs(120);
/// How often the rate is raised while sends succeed.
const STEP: Duration = Duration::from_millis(250);

/// A platform's sending pace, learned from its refusals (see the module's documentation).
#[derive(Debug, Clone)]
pub struct Adaptive {
    configured: f64,
    rate: f64,
    /// The most the platform let through in a second when it last refused.
    limit: Option<f64>,
    /// Successful sends of the last two seconds, by when they were made.
    recent: VecDeque<Instant>,
    /// Refusals before this instant echo the last one (sends under way during its pause).
    quiet_until: Option<Instant>,
    last_raise: Instant,
    /// Since when the rate has stood at the learned limit (moved on by idle spells, which
    /// show nothing about the limit), and how long it holds there.
    holding_since: Option<Instant>,
    last_sent: Option<Instant>,
    hold: Duration,
}

impl Adaptive {
    /// Just under the configured rate (sends a second, above 0).
    pub fn new(configured: f64, now: Instant) -> Adaptive {
        let configured = (configured * UNDER_CONFIGURED).max(FLOOR);
        Adaptive {
            configured,
            rate: configured,
            limit: None,
            recent: VecDeque::new(),
            quiet_until: None,
            last_raise: now,
            holding_since: None,
            last_sent: None,
            hold: FIRST_HOLD,
        }
    }

    /// The rate to pace at now, in sends a second: the pacers keep sends exactly this far
    /// apart, with no margin of their own (the margins are here).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The limit learned from the last refusal, if any.
    pub fn learned_limit(&self) -> Option<f64> {
        self.limit
    }

    /// A send went through. `now` is when it was *made* (the request's start), the instant the
    /// platform judged it by: answers come back out of order and late, and counting them when
    /// they arrive would crowd more into a second than the platform let through.
    pub fn sent(&mut self, now: Instant) {
        // Between broadcasts nothing tests the limit: an idle spell does not count toward the
        // hold, so the next notice does not start with a probe.
        if let (Some(last), Some(since)) = (self.last_sent, self.holding_since) {
            let idle = now.duration_since(last);
            if idle > Duration::from_secs(1) {
                self.holding_since = Some(since + idle);
            }
        }
        self.last_sent = Some(now);
        self.recent.push_back(now);
        self.forget_before(now);
        self.raise(now);
    }

    /// The platform refused a send made at `now` (the request's start, as for [`Adaptive::sent`])
    /// and asked for `pause`. True when this lowered the rate (false for an echo of a refusal
    /// already heard).
    pub fn refused(&mut self, now: Instant, pause: Duration) -> bool {
        if self.quiet_until.is_some_and(|q| now < q) {
            return false;
        }
        self.forget_before(now);
        // What went through in the second before this send was made (not sends made after it,
        // whose answers came first).
        let allowed = self
            .recent
            .iter()
            .filter(|t| **t <= now && now.duration_since(**t) <= Duration::from_secs(1))
            .count() as f64;
        let target = if allowed >= FLOOR { allowed.min(self.rate) * UNDER } else { self.rate / 2.0 };
        // Refused again near the same limit: the probe was too early; hold longer next time.
        let same_limit = self.limit.is_some_and(|l| allowed >= 0.9 * l && allowed <= 1.1 * l);
        self.hold = if same_limit { (self.hold * 2).min(LONGEST_HOLD) } else { FIRST_HOLD };
        // Nothing went through (the platform's own trouble, or a pause): the limit learned
        // before still stands.
        if allowed >= FLOOR {
            self.limit = Some(allowed);
        }
        self.rate = target.clamp(FLOOR, self.configured);
        self.quiet_until = Some(now + pause.max(Duration::from_millis(500)));
        self.holding_since = None;
        self.last_raise = now;
        self.recent.clear();
        true
    }

    /// Forgets sends too old to count for any refusal still to come: a refusal can be of a
    /// send made a while before the answers that came first, so two seconds are kept.
    fn forget_before(&mut self, now: Instant) {
        while self.recent.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(2)) {
            self.recent.pop_front();
        }
    }

    fn raise(&mut self, now: Instant) {
        let since = now.duration_since(self.last_raise);
        if since < STEP {
            return;
        }
        self.last_raise = now;
        let secs = since.as_secs_f64().min(1.0);
        match self.limit {
            // Nothing learned (or the limit rose past what was learned): back up quickly.
            None => self.rate += 0.1 * self.configured * secs,
            // Below the learned limit: back to just under it within a few seconds.
            Some(limit) if self.rate < UNDER * limit => {
                self.rate = (self.rate + 0.2 * limit * secs).min(UNDER * limit);
            }
            // At it: hold, then probe above it slowly.
            Some(limit) => {
                let since = *self.holding_since.get_or_insert(now);
                if now.duration_since(since) >= self.hold {
                    self.rate += 0.05 * limit * secs;
                    if self.rate > 1.2 * limit {
                        // Well past the old limit without a refusal: it has risen.
                        self.limit = None;
                        self.holding_since = None;
                        self.hold = FIRST_HOLD;
                    }
                }
            }
        }
        self.rate = self.rate.min(self.configured);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `per_second` a second for `seconds`, from `*t`, moving `*t` on.
    fn send_for(p: &mut Adaptive, t: &mut Instant, per_second: f64, seconds: f64) {
        let gap = Duration::from_secs_f64(1.0 / per_second);
        let end = *t + Duration::from_secs_f64(seconds);
        while *t < end {
            p.sent(*t);
            *t += gap;
        }
    }

    #[test]
    fn it_starts_just_under_the_configured_rate_and_never_goes_above_it() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        assert_eq!(p.rate(), 24.5);
        send_for(&mut p, &mut t, 24.5, 60.0);
        assert_eq!(p.rate(), 24.5);
    }

    #[test]
    fn a_refusal_lowers_the_rate_to_just_under_what_went_through() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        // The platform let ten through in the last second, then refused.
        send_for(&mut p, &mut t, 10.0, 1.0);
        assert!(p.refused(t, Duration::from_secs(1)));
        assert!((p.rate() - 9.9).abs() < 1e-9, "{}", p.rate());
        assert_eq!(p.learned_limit(), Some(10.0));
    }

    #[test]
    fn refusals_of_sends_already_under_way_are_one_refusal() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 10.0, 1.0);
        assert!(p.refused(t, Duration::from_secs(1)));
        let rate = p.rate();
        assert!(!p.refused(t + Duration::from_millis(30), Duration::from_secs(1)));
        assert!(!p.refused(t + Duration::from_millis(900), Duration::from_secs(1)));
        assert_eq!(p.rate(), rate);
    }

    #[test]
    fn with_nothing_let_through_a_refusal_halves_the_rate_but_never_below_the_floor() {
        let t = Instant::now();
        let mut p = Adaptive::new(3.0, t);
        assert!(p.refused(t, Duration::from_millis(10)));
        assert_eq!(p.rate(), 1.47, "half of 98% of 3");
        assert!(p.refused(t + Duration::from_secs(1), Duration::from_millis(10)));
        assert_eq!(p.rate(), FLOOR);
        assert!(p.refused(t + Duration::from_secs(2), Duration::from_millis(10)));
        assert_eq!(p.rate(), FLOOR);
    }

    #[test]
    fn it_holds_at_the_learned_limit_then_probes_slowly_and_holds_longer_after_a_failed_probe() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 10.0, 1.0);
        p.refused(t, Duration::from_secs(1));
        send_for(&mut p, &mut t, 9.9, 19.0);
        assert!((p.rate() - 9.9).abs() < 1e-9, "held at 9.9 for the first 20 s: {}", p.rate());
        send_for(&mut p, &mut t, 9.9, 3.0);
        let probed = p.rate();
        assert!(probed > 9.9 && probed < 12.0, "probing, not yet taken for a rise: {probed}");
        // Refused near the same limit (ten went through in the second before): hold twice as
        // long before the next probe.
        t += Duration::from_millis(1100);
        send_for(&mut p, &mut t, 10.0, 1.0);
        p.refused(t, Duration::from_secs(1));
        assert_eq!(p.learned_limit(), Some(10.0));
        send_for(&mut p, &mut t, 9.9, 39.0);
        assert!((p.rate() - 9.9).abs() < 1e-9, "held for 40 s now: {}", p.rate());
    }

    #[test]
    fn after_a_deep_cut_the_rate_climbs_back_to_the_limit_within_a_few_seconds() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 20.0, 1.0);
        p.refused(t, Duration::from_secs(1));
        // Then nothing went through in a second (the platform's own trouble).
        t += Duration::from_secs(2);
        p.refused(t, Duration::from_secs(1));
        assert!(p.rate() < 10.0);
        send_for(&mut p, &mut t, 10.0, 6.0);
        assert!(p.rate() > 0.9 * 19.0 * UNDER, "{}", p.rate());
    }

    #[test]
    fn a_limit_that_rose_is_found_by_probing_past_it() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 10.0, 1.0);
        p.refused(t, Duration::from_secs(1));
        // The platform now allows 20 a second: nothing refuses the probes.
        for _ in 0..200 {
            let rate = p.rate();
            send_for(&mut p, &mut t, rate, 0.5);
        }
        assert_eq!(p.learned_limit(), None, "the old limit is forgotten");
        assert_eq!(p.rate(), 24.5, "and the rate is back just under the configured one");
    }

    #[test]
    fn a_limit_that_fell_is_learned_from_the_next_refusal() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 20.0, 1.0);
        p.refused(t, Duration::from_secs(1));
        t += Duration::from_secs(1);
        // Now five a second go through, then a refusal.
        send_for(&mut p, &mut t, 5.0, 1.0);
        assert!(p.refused(t, Duration::from_secs(1)));
        assert!((p.rate() - 4.95).abs() < 1e-9, "{}", p.rate());
    }

    #[test]
    fn an_idle_spell_between_broadcasts_does_not_count_toward_the_hold() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 10.0, 1.0);
        p.refused(t, Duration::from_secs(1));
        send_for(&mut p, &mut t, 9.9, 15.0);
        // An hour without a notice, then the next broadcast: still 5 s of the hold to go.
        t += Duration::from_secs(3600);
        send_for(&mut p, &mut t, 9.9, 4.0);
        assert!((p.rate() - 9.9).abs() < 1e-9, "no probe at the start of the next notice: {}", p.rate());
        send_for(&mut p, &mut t, 9.9, 3.0);
        assert!(p.rate() > 9.9, "then the hold ends and it probes: {}", p.rate());
    }

    #[test]
    fn a_refusal_counts_what_went_through_before_the_refused_send_was_made() {
        let mut t = Instant::now();
        let mut p = Adaptive::new(25.0, t);
        send_for(&mut p, &mut t, 10.0, 1.0);
        let refused_at = t - Duration::from_millis(50);
        // Sends made after the refused one answered first (several in flight at once).
        for i in 1..=3 {
            p.sent(refused_at + Duration::from_millis(20 * i));
        }
        assert!(p.refused(refused_at, Duration::from_secs(1)));
        assert_eq!(p.learned_limit(), Some(10.0), "the ten made in the second before it, not thirteen");
    }
}
