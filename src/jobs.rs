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

/// One platform's two sides, as the jobs use them.
#[derive(Clone)]
pub struct PlatformSides {
    /// The receiving side (for Telegram: long polling or the webhook; for DingTalk: the stream).
    pub updates: Arc<dyn Updates>,
    /// Poked when new updates of this platform are in the inbox.
    pub inbox_notify: Arc<Notify>,
    /// The sending side for deliveries.
    pub messenger: Arc<dyn Messenger>,
    /// How fast its sender may go.
    pub settings: SenderSettings,
    /// Where the files people sent on it can be fetched (the console shows check-in photos).
    pub files: Option<Arc<dyn crate::chat::FileSource>>,
    /// Its sign-in to the console from inside its own app (DingTalk's workbench), if it has one.
    pub workbench: Option<Arc<dyn crate::web::Workbench>>,
}

#[derive(Clone)]
pub struct JobContext {
    pub core: Core,
    /// Every platform the bot runs on.
    pub platforms: Vec<PlatformSides>,
    /// Poked when a notice is created, so it need not wait for the next tick.
    pub scheduler_wake: Arc<Notify>,
    /// Poked when deliveries are queued.
    pub outbox_wake: Arc<Notify>,
    pub shutdown: CancellationToken,
}

/// A job that runs once for the bot.
pub struct Job {
    pub name: &'static str,
    pub run: fn(JobContext) -> BoxFuture<'static, anyhow::Result<()>>,
}

/// A job that runs once for each platform.
pub struct PlatformJob {
    pub name: &'static str,
    pub run: fn(JobContext, PlatformSides) -> BoxFuture<'static, anyhow::Result<()>>,
}

/// The jobs each platform runs: its receiving side, its kept replies, its sender (so a
/// platform that is down holds up only its own deliveries).
pub fn platform_jobs() -> Vec<PlatformJob> {
    vec![
        PlatformJob {
            // Updates into the inbox, by the platform's own means.
            name: "updates",
            run: |ctx, p| p.updates.receive(ctx.core, p.inbox_notify, ctx.shutdown),
        },
        PlatformJob {
            // Replies the platform could not take, sent when it answers (补发).
            name: "replies",
            run: |ctx, p| p.updates.redeliver(ctx.core, ctx.shutdown),
        },
        PlatformJob {
            name: "sender",
            run: |ctx, p| {
                Box::pin(sender::run(ctx.core, p.messenger, p.settings, ctx.outbox_wake, ctx.shutdown))
            },
        },
    ]
}

/// Every background job of the bot that runs once, whatever the platforms.
pub fn jobs() -> Vec<Job> {
    vec![
        Job {
            name: "scheduler",
            run: |ctx| Box::pin(scheduler::run(ctx.core, ctx.scheduler_wake, ctx.outbox_wake, ctx.shutdown)),
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
        Job { name: "console", run: |ctx| Box::pin(console(ctx)) },
        Job { name: "backups", run: |ctx| Box::pin(backups(ctx.core, ctx.shutdown)) },
        Job { name: "janitor", run: |ctx| Box::pin(janitor(ctx.core, ctx.shutdown)) },
    ]
}

/// The jobs of a terminal session (`sansong chat`): notices fire and reach the terminal while
/// it is open; the rest is the running bot's.
pub fn terminal_jobs() -> (Vec<Job>, Vec<PlatformJob>) {
    (
        jobs().into_iter().filter(|j| j.name == "scheduler").collect(),
        platform_jobs().into_iter().filter(|j| j.name == "sender").collect(),
    )
}

/// Starts each job under supervision, the platform jobs once for each platform.
pub fn start(ctx: JobContext, (jobs, per_platform): (Vec<Job>, Vec<PlatformJob>)) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for job in jobs {
        let run = job.run;
        set.spawn(supervise(job.name, ctx.clone(), move |ctx| run(ctx)));
    }
    for platform in ctx.platforms.clone() {
        let serving = &ctx.core.metrics.platform(platform.messenger.platform()).serving;
        serving.store(true, std::sync::atomic::Ordering::Relaxed);
        for job in &per_platform {
            let (run, sides) = (job.run, platform.clone());
            set.spawn(supervise(job.name, ctx.clone(), move |ctx| run(ctx, sides.clone())));
        }
    }
    set
}

/// A platform as `sansong run` starts it: its sides for the jobs, and its handling (the inbox
/// through the conversation), which runs until shutdown.
pub struct Started {
    pub sides: PlatformSides,
    pub handling: BoxFuture<'static, ()>,
}

/// Runs the bot on the started platforms until `shutdown`: one set of jobs for all of them,
/// each platform's handling beside them. When one platform's handling ends, all stop.
pub async fn serve(
    core: Core,
    platforms: Vec<Started>,
    scheduler_wake: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let ctx = JobContext {
        core,
        platforms: platforms.iter().map(|p| p.sides.clone()).collect(),
        scheduler_wake,
        outbox_wake: Arc::new(Notify::new()),
        shutdown: shutdown.clone(),
    };
    let jobs = start(ctx, all());
    let handlings: Vec<_> = platforms.into_iter().map(|p| p.handling).collect();
    if handlings.is_empty() {
        // No chat platform: the console (and the jobs) run until the signal.
        shutdown.cancelled().await;
        jobs.join_all().await;
        return;
    }
    let (_, _, others) = futures::future::select_all(handlings).await;
    // The others finish what they have in hand (they see the same token), not dropped mid-way.
    shutdown.cancel();
    futures::future::join_all(others).await;
    jobs.join_all().await;
}

/// All the jobs `sansong run` starts.
pub fn all() -> (Vec<Job>, Vec<PlatformJob>) {
    (jobs(), platform_jobs())
}

async fn supervise(
    name: &'static str,
    ctx: JobContext,
    run: impl Fn(JobContext) -> BoxFuture<'static, anyhow::Result<()>>,
) {
    let job = Named { name };
    let mut failures: u32 = 0;
    loop {
        let result = AssertUnwindSafe(run(ctx.clone())).catch_unwind().await;
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

/// A job's name, for its log lines.
struct Named {
    name: &'static str,
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

/// The web console on `web_addr`, with each platform's files for the check-in photos.
async fn console(ctx: JobContext) -> anyhow::Result<()> {
    let Some(addr) = ctx.core.config.web_addr else {
        ctx.shutdown.cancelled().await;
        return Ok(());
    };
    let files =
        ctx.platforms.iter().filter_map(|p| Some((p.messenger.platform(), p.files.clone()?))).collect();
    let workbench = ctx.platforms.iter().find_map(|p| p.workbench.clone());
    let mut web = crate::web::Web::new(ctx.core, files).with_scheduler(ctx.scheduler_wake);
    if let Some(workbench) = workbench {
        web = web.with_workbench(workbench);
    }
    crate::web::serve(web, addr, ctx.shutdown).await
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
