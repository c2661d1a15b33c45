//! Background jobs, declared in one table. Each runs under a supervisor that restarts it after
//! an error or a panic (with backoff), and all stop through the one shutdown token.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::core::Core;
use crate::notices::scheduler;
use crate::notices::sender::{self, Messenger, SenderSettings};

/// A platform's receiving side: takes what people send into the durable inbox (each update
/// stored before the platform is told it arrived) until shutdown; and sends the replies it could
/// not take at the time, once it does.
pub trait Updates: Send + Sync + 'static {
    fn redeliver(&self, core: Core, shutdown: CancellationToken) -> BoxFuture<'static, anyhow::Result<()>>;

    fn receive(
        &self,
        core: Core,
        inbox_notify: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> BoxFuture<'static, anyhow::Result<()>>;
}

#[derive(Clone)]
pub struct JobContext {
    pub core: Core,
    /// The platform's receiving side (for Telegram: long polling or the webhook).
    pub updates: Arc<dyn Updates>,
    /// Poked when new updates are in the inbox.
    pub inbox_notify: Arc<Notify>,
    /// Poked when a notice is created, so it need not wait for the next tick.
    pub scheduler_wake: Arc<Notify>,
    /// Poked when deliveries are queued.
    pub outbox_wake: Arc<Notify>,
    pub messenger: Arc<dyn Messenger>,
    pub shutdown: CancellationToken,
}

pub struct Job {
    pub name: &'static str,
    pub run: fn(JobContext) -> BoxFuture<'static, anyhow::Result<()>>,
}

/// Every background job of the bot.
pub fn jobs() -> Vec<Job> {
    vec![
        Job {
            // Updates into the inbox, by the platform's own means.
            name: "updates",
            run: |ctx| ctx.updates.receive(ctx.core, ctx.inbox_notify, ctx.shutdown),
        },
        Job {
            // Replies the platform could not take, sent when it answers (补发).
            name: "replies",
            run: |ctx| ctx.updates.redeliver(ctx.core, ctx.shutdown),
        },
        Job {
            name: "scheduler",
            run: |ctx| Box::pin(scheduler::run(ctx.core, ctx.scheduler_wake, ctx.outbox_wake, ctx.shutdown)),
        },
        Job {
            name: "sender",
            run: |ctx| {
                let settings = SenderSettings::from_config(&ctx.core.config);
                Box::pin(sender::run(ctx.core, ctx.messenger, settings, ctx.outbox_wake, ctx.shutdown))
            },
        },
        Job { name: "reports", run: |ctx| Box::pin(reports(ctx.core, ctx.scheduler_wake, ctx.shutdown)) },
        Job {
            name: "http",
            run: |ctx| {
                Box::pin(async move {
                    match ctx.core.config.metrics_addr {
                        Some(addr) => crate::http::serve(ctx.core, addr, ctx.shutdown).await,
                        None => {
                            ctx.shutdown.cancelled().await;
                            Ok(())
                        }
                    }
                })
            },
        },
        Job { name: "backups", run: |ctx| Box::pin(backups(ctx.core, ctx.shutdown)) },
        Job { name: "janitor", run: |ctx| Box::pin(janitor(ctx.core, ctx.shutdown)) },
    ]
}

/// The jobs of a terminal session (`sansong chat`): notices fire and reach the terminal while
/// it is open; the rest is the running bot's.
pub fn terminal_jobs() -> Vec<Job> {
    jobs().into_iter().filter(|j| matches!(j.name, "scheduler" | "sender")).collect()
}

/// Starts each job under supervision.
pub fn start(ctx: JobContext, jobs: Vec<Job>) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for job in jobs {
        set.spawn(supervise(job, ctx.clone()));
    }
    set
}

async fn supervise(job: Job, ctx: JobContext) {
    let mut failures: u32 = 0;
    loop {
        let result = AssertUnwindSafe((job.run)(ctx.clone())).catch_unwind().await;
        if ctx.shutdown.is_cancelled() {
            break;
        }
        match result {
            Ok(Ok(())) => tracing::warn!(job = job.name, "job stopped by itself; restarting"),
            Ok(Err(e)) => {
                tracing::error!(job = job.name, error = %format!("{e:#}"), "job failed; restarting")
            }
            Err(_) => tracing::error!(job = job.name, "job panicked; restarting"),
        }
        failures += 1;
        let wait = Duration::from_secs(2u64.pow(failures.min(6)));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = ctx.shutdown.cancelled() => break,
        }
    }
    tracing::debug!(job = job.name, "job stopped");
}

/// The weekly report and the check-in reminder: looks every scheduler tick whether one is
/// due, and pokes the notice scheduler when it queued messages.
async fn reports(core: Core, scheduler_wake: Arc<Notify>, shutdown: CancellationToken) -> anyhow::Result<()> {
    every_tick(&core, &shutdown, "report", || async {
        if crate::reports::tick(&core).await? > 0 {
            scheduler_wake.notify_one();
        }
        Ok(())
    })
    .await
}

/// The scheduled backup (`backup_cron`), looked at every scheduler tick.
async fn backups(core: Core, shutdown: CancellationToken) -> anyhow::Result<()> {
    every_tick(&core, &shutdown, "backup", || crate::backup::tick(&core)).await
}

/// Runs `tick` every scheduler tick until shutdown; a failed tick is logged and tried again at
/// the next one.
async fn every_tick<F, Fut>(
    core: &Core,
    shutdown: &CancellationToken,
    what: &str,
    mut tick: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<()>>,
{
    loop {
        if let Err(e) = tick().await {
            tracing::warn!(error = %e, job = what, "tick failed; trying again next tick");
        }
        tokio::select! {
            () = tokio::time::sleep(core.config.scheduler_tick) => {}
            () = shutdown.cancelled() => return Ok(()),
        }
    }
}

/// Hourly: forgets handled inbox rows past retention and dialogues abandoned past their TTL.
async fn janitor(core: Core, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shutdown.cancelled() => return Ok(()),
        }
        let inbox = core.store.inbox_prune(core.now() - core.config.inbox_retention).await?;
        let dialogues = core.store.prune_dialogues(core.now() - core.config.dialogue_ttl).await?;
        if inbox + dialogues > 0 {
            tracing::info!(inbox, dialogues, "pruned old inbox rows and abandoned dialogues");
        }
    }
}
