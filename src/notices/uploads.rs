//! A notice's file, uploaded once to a platform that sends files by its own id for them
//! (DingTalk's and WeCom's media ids), however many deliveries ask for it at once; kept while
//! the platform keeps the upload, then uploaded again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// One notice's upload: what came of it, and when.
type Slot<T> = tokio::sync::Mutex<Option<(T, Instant)>>;

/// Each notice's upload (`T`: the platform's id for the file, or that it refused the file).
pub struct Uploads<T> {
    kept_for: Duration,
    slots: Mutex<HashMap<i64, Arc<Slot<T>>>>,
}

impl<T: Clone> Uploads<T> {
    /// Uploads are used for `kept_for`, then made again (platforms keep them a limited time).
    pub fn new(kept_for: Duration) -> Uploads<T> {
        Uploads { kept_for, slots: Mutex::default() }
    }

    /// The notice's upload, made by `upload` when there is none yet (or an old one). Each
    /// notice's lock is held through its upload, so deliveries asking at once upload it once,
    /// and a slow upload holds up no other notice. A failed upload is not kept: the next
    /// delivery tries again.
    pub async fn get<E, F, Fut>(&self, notice_id: i64, upload: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            // Notices nobody is sending whose upload is old are forgotten.
            slots.retain(|_, slot| {
                Arc::strong_count(slot) > 1
                    || slot
                        .try_lock()
                        .is_ok_and(|s| s.as_ref().is_some_and(|(_, at)| at.elapsed() < self.kept_for))
            });
            slots.entry(notice_id).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((kept, at)) = slot.as_ref()
            && at.elapsed() < self.kept_for
        {
            return Ok(kept.clone());
        }
        let made = upload().await?;
        *slot = Some((made.clone(), Instant::now()));
        Ok(made)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn twenty_deliveries_at_once_upload_a_notices_file_once_and_a_failure_is_tried_again() {
        let uploads: Arc<Uploads<String>> = Arc::new(Uploads::new(Duration::from_secs(3600)));
        let made = Arc::new(AtomicUsize::new(0));
        let asks = (0..20).map(|_| {
            let (uploads, made) = (uploads.clone(), made.clone());
            tokio::spawn(async move {
                uploads
                    .get(7, || async move {
                        made.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<_, ()>("media-7".to_owned())
                    })
                    .await
            })
        });
        for ask in futures::future::join_all(asks).await {
            assert_eq!(ask.ok(), Some(Ok("media-7".to_owned())));
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(uploads.get(8, || async { Err::<String, _>("down") }).await, Err("down"));
        assert_eq!(uploads.get(8, || async { Ok::<_, &str>("media-8".into()) }).await, Ok("media-8".into()));
    }

    #[tokio::test(start_paused = true)]
    async fn an_upload_older_than_the_platform_keeps_it_is_made_again() {
        let uploads: Uploads<u32> = Uploads::new(Duration::from_secs(60));
        assert_eq!(uploads.get(1, || async { Ok::<_, ()>(1) }).await, Ok(1));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(uploads.get(1, || async { Ok::<_, ()>(2) }).await, Ok(1));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(uploads.get(1, || async { Ok::<_, ()>(3) }).await, Ok(3));
    }
}
