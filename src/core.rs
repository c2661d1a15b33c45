//! The context every core operation runs in: the store, the settings and the clock.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::checkins::kinds::Kinds;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::schedule::calendar::HolidayCalendar;
use crate::store::Store;
use crate::week::Week;

#[derive(Clone, Debug)]
pub struct Core {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    /// Counters for /metrics and the facts /healthz judges by.
    pub metrics: Arc<Metrics>,
}

impl Core {
    pub fn new(store: Store, config: Config, clock: SharedClock) -> Self {
        // Health is judged on the wall clock (a test or drill may move `clock`).
        let metrics = Arc::new(Metrics::new(chrono::Utc::now().timestamp_millis()));
        Core { store, config: Arc::new(config), clock, metrics }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn tz(&self) -> Tz {
        self.config.timezone
    }

    /// Today's date on the configured zone's wall clock.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.tz()).date_naive()
    }

    pub fn this_week(&self) -> Week {
        Week::containing(self.today())
    }

    pub fn kinds(&self) -> &Kinds {
        &self.config.kinds
    }

    pub fn calendar(&self) -> &HolidayCalendar {
        &self.config.calendar
    }
}
