//! What the console shows beside the tally: which linked sites were visited in which weeks
//! (site coverage), the weekly trend of each kind, the check-in records page by page, and a
//! check-in's photo. Every function takes the caller's [`Scope`] from [`super::scope_for`], so
//! an organiser sees their own unit here as everywhere.

use std::collections::HashMap;

use crate::core::Core;
use crate::domain::ExportRow;
use crate::domain::{LinkKind, Site, Unit};
use crate::error::{Result, UserError};
use crate::members::Actor;
use crate::store::RecordFilter;
use crate::week::Week;

use super::{Period, Scope};

/// The most weeks a coverage or trend covers.
pub const MAX_WEEKS: u32 = 26;

/// `count` weeks ending with `last`, oldest first.
pub fn weeks_ending(last: Week, count: u32) -> Vec<Week> {
    let mut weeks = Vec::with_capacity(count as usize);
    let mut w = last;
    for _ in 0..count.clamp(1, MAX_WEEKS) {
        weeks.push(w);
        w = w.previous();
    }
    weeks.reverse();
    weeks
}

/// Linked sites × weeks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub weeks: Vec<Week>,
    /// (key, label) of each kind, in the configured order.
    pub kinds: Vec<(String, String)>,
    /// Units in the organisation's order, each with its sites.
    pub units: Vec<(Unit, Vec<SiteWeeks>)>,
}

/// One site's weeks: for each week, the check-ins of each kind there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteWeeks {
    pub site: Site,
    /// `counts[week][kind]`, in the order of [`Coverage::weeks`] and [`Coverage::kinds`].
    pub counts: Vec<Vec<i64>>,
}

impl SiteWeeks {
    /// Weeks in which nobody came with `kind` (its index).
    pub fn weeks_without(&self, kind: usize) -> usize {
        self.counts.iter().filter(|w| w.get(kind).copied().unwrap_or(0) == 0).count()
    }
}

/// Which of the scope's sites (of one link kind, if given) were visited in each of the
/// `count` weeks ending with `last`, and with which kinds.
pub async fn coverage(
    core: &Core,
    scope: &Scope,
    last: Week,
    count: u32,
    link: Option<LinkKind>,
) -> Result<Coverage> {
    crate::checkins::ensure_weeks(core).await?;
    let weeks = weeks_ending(last, count);
    let kinds = kinds(core);
    let (first_key, last_key) = (weeks[0].key(), last.key());
    let (rows, units, sites, archived) = tokio::try_join!(
        core.store.site_weeks(first_key, last_key, scope.units.as_deref()),
        core.store.units(),
        core.store.all_sites(),
        core.store.archived_site_ids(),
    )?;
    let week_index: HashMap<i64, usize> = weeks.iter().enumerate().map(|(i, w)| (w.key(), i)).collect();
    let kind_index: HashMap<&str, usize> =
        kinds.iter().enumerate().map(|(i, (k, _))| (k.as_str(), i)).collect();
    let mut per_site: HashMap<i64, Vec<Vec<i64>>> = HashMap::new();
    for (site, week, kind, n) in rows {
        let (Some(&w), Some(&k)) = (week_index.get(&week), kind_index.get(kind.as_str())) else { continue };
        per_site.entry(site).or_insert_with(|| vec![vec![0; kinds.len()]; weeks.len()])[w][k] += n;
    }
    let units = units
        .into_iter()
        .filter(|u| scope.includes(u.id))
        .map(|u| {
            let sites = sites
                .iter()
                .filter(|s| s.unit_id == u.id && link.is_none_or(|l| s.link == l))
                // An archived site shows only while the weeks shown hold a visit to it.
                .filter(|s| !archived.contains(&s.id) || per_site.contains_key(&s.id))
                .map(|s| SiteWeeks {
                    site: s.clone(),
                    counts: per_site
                        .get(&s.id)
                        .cloned()
                        .unwrap_or_else(|| vec![vec![0; kinds.len()]; weeks.len()]),
                })
                .collect();
            (u, sites)
        })
        .collect();
    Ok(Coverage { weeks, kinds, units })
}

/// Check-ins of each kind, week by week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trend {
    pub weeks: Vec<Week>,
    pub kinds: Vec<(String, String)>,
    /// `counts[week][kind]`.
    pub counts: Vec<Vec<i64>>,
}

/// The scope's counted check-ins of each kind in the `count` weeks ending with `last`.
pub async fn trend(core: &Core, scope: &Scope, last: Week, count: u32) -> Result<Trend> {
    crate::checkins::ensure_weeks(core).await?;
    let weeks = weeks_ending(last, count);
    let kinds = kinds(core);
    let rows = core.store.week_kinds(weeks[0].key(), last.key(), scope.units.as_deref()).await?;
    let week_index: HashMap<i64, usize> = weeks.iter().enumerate().map(|(i, w)| (w.key(), i)).collect();
    let mut counts = vec![vec![0; kinds.len()]; weeks.len()];
    for (week, kind, n) in rows {
        let (Some(&w), Some(k)) = (week_index.get(&week), kinds.iter().position(|(key, _)| *key == kind))
        else {
            continue;
        };
        counts[w][k] += n;
    }
    Ok(Trend { weeks, kinds, counts })
}

/// One page of check-in records.
#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    pub rows: Vec<ExportRow>,
    /// How many records pass the filter in all.
    pub total: i64,
}

/// The scope's counted check-ins of `period` passing `filter`, newest first: page `page`
/// (from 1) of `per_page`. The scope's units always apply, whatever the filter asks.
pub async fn records(
    core: &Core,
    scope: &Scope,
    period: Period,
    filter: RecordFilter,
    page: u32,
    per_page: u32,
) -> Result<Records> {
    let (from, to) = period.utc_range(core.tz());
    let filter = RecordFilter { units: scope.units.clone(), ..filter };
    let offset = i64::from(page.max(1) - 1) * i64::from(per_page);
    let (rows, total) = core.store.checkin_records(from, to, &filter, offset, i64::from(per_page)).await?;
    Ok(Records { rows, total })
}

/// A check-in's photo, as the console can show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Photo {
    /// Fetched before and kept: (content type, bytes).
    Kept(String, Vec<u8>),
    /// Still only on its platform, under this file id.
    AtPlatform(crate::domain::Platform, String),
}

/// The photo of check-in `id`, if the caller's scope covers it. (A check-in outside the scope
/// reads as one without a photo: nothing tells the caller it exists.)
pub async fn photo(core: &Core, actor: &Actor, id: i64) -> Result<Photo> {
    let scope = super::scope_for(core, actor, None).await?;
    let row = core.store.checkin_photo(id).await?.filter(|p| scope.includes(p.unit_id));
    let row = row.ok_or(UserError::NotYourCheckin(id))?;
    Ok(match row.kept {
        Some((content_type, bytes)) => Photo::Kept(content_type, bytes),
        None => Photo::AtPlatform(photo_platform(&row.file_id), row.file_id),
    })
}

/// Keeps a photo fetched from its platform, so it opens without the platform next time.
pub async fn keep_photo(core: &Core, id: i64, content_type: &str, bytes: &[u8]) -> Result<()> {
    Ok(core.store.keep_checkin_photo(id, content_type, bytes, core.now()).await?)
}

/// The platform a photo's file id belongs to: DingTalk's download codes are kept as `dt:<code>`,
/// WeCom's received files as `wc:<id>`; every other id is Telegram's.
pub fn photo_platform(file_id: &str) -> crate::domain::Platform {
    if file_id.starts_with("dt:") {
        crate::domain::Platform::DingTalk
    } else if file_id.starts_with("wc:") {
        crate::domain::Platform::WeCom
    } else {
        crate::domain::Platform::Telegram
    }
}

fn kinds(core: &Core) -> Vec<(String, String)> {
    core.kinds().all().iter().map(|k| (k.key.clone(), k.label.clone())).collect()
}
