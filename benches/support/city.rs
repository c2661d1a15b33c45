//! A city's data for the benchmarks that read it (tallies, the console): units with two linked
//! sites each, members (the first an admin), and check-ins spread evenly over two years,
//! 2024-12-01 .. 2026-11-30, 1% of them undone. Written with recursive SQL in one transaction.

use chrono::{TimeZone, Utc};
use sansong::store::Store;

/// How big the city is.
pub struct City {
    pub units: i64,
    pub members: i64,
    pub checkins: i64,
}

pub async fn generate(store: &Store, City { units, members, checkins }: City) {
    let pool = store.pool();
    let start = Utc.with_ymd_and_hms(2024, 11, 30, 16, 0, 0).single().expect("start").timestamp();
    let span: i64 = 2 * 365 * 86_400;
    let mut tx = pool.begin().await.expect("tx");
    let statements = [
        format!(
            "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {units})
             INSERT INTO units (id, name, created_at) SELECT x, '单位' || x, 0 FROM seq"
        ),
        format!(
            "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {units} * 2)
             INSERT INTO sites (id, unit_id, name, link, is_default, created_at)
             SELECT x, (x + 1) / 2, '站点' || x,
                    CASE x % 4 WHEN 0 THEN 'village' WHEN 1 THEN 'community' WHEN 2 THEN 'enterprise' ELSE 'chamber' END,
                    x % 2, 0
             FROM seq"
        ),
        format!(
            "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {members})
             INSERT INTO members (id, registered_as, name, unit_id, role, registered_at)
             SELECT x, 10000000 + x, '党员' || x, 1 + (x - 1) % {units},
                    CASE x WHEN 1 THEN 'admin' ELSE 'member' END, 0
             FROM seq"
        ),
        "INSERT INTO accounts (person_id, platform, member_id, linked_at)
         SELECT registered_as, 'telegram', id, registered_at FROM members"
            .to_owned(),
        format!(
            "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < {checkins})
             INSERT INTO checkins (member_id, unit_id, site_id, kind, description, people_served, sent_at,
                                   source_chat_id, source_message_id, via, created_at, deleted_at)
             SELECT m, 1 + (m - 1) % {units}, 2 * (1 + (m - 1) % {units}) - (x % 2),
                    CASE x % 3 WHEN 0 THEN 'policy' WHEN 1 THEN 'service' ELSE 'warmth' END,
                    '为居民宣讲政策、办理事项、走访慰问', x % 10, {start} + x * {span} / {checkins},
                    10000000 + m, x, 'line', 0, CASE WHEN x % 100 = 0 THEN 1 END
             FROM (SELECT x, 1 + (x * 7919) % {members} AS m FROM seq)"
        ),
    ];
    for sql in &statements {
        sqlx::query(sql).execute(&mut *tx).await.expect("generate");
    }
    tx.commit().await.expect("commit");
}
