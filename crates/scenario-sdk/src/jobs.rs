//! Jobs: `client.jobs()`: listing, reading, canceling and waiting for the jobs
//! that generations (and archives) run as.

use std::future::Future;
use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use scenario_api::ops;
use scenario_api::types::{Job, JobAction, JobStatus, JobTriggerActionRequest};
use tracing::Instrument;

use crate::error::{Error, Result, Work};
use crate::handle::Client;
use crate::poll::{Pace, Polled, until_settled};
use crate::request::Request;

/// How long [`Jobs::wait`] waits by default: most image generations take
/// seconds, videos and 3D minutes.
pub const DEFAULT_JOB_TIMEOUT: Duration = Duration::from_secs(300);
/// The first pause between two polls of [`Jobs::wait`] by default: short
/// enough that an image job of a fraction of a second is seen done at once;
/// later pauses grow with the time waited (see [`crate::Pace::pause_after`]).
pub const DEFAULT_JOB_INTERVAL: Duration = Duration::from_millis(250);
/// The longest pause between two polls of [`Jobs::wait`] by default.
pub const DEFAULT_JOB_MAX_INTERVAL: Duration = Duration::from_secs(10);

/// The jobs of the project: `client.jobs()`.
#[derive(Clone, Debug)]
pub struct Jobs {
    client: Client,
}

/// A listing of jobs: every query parameter of `GET /jobs` as a setter, then
/// [`Request::stream`] (every job) or [`Request::pages`].
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// use futures::TryStreamExt;
/// use scenario_sdk::types::JobStatus;
///
/// let mut jobs = client.jobs().list().status(JobStatus::InProgress).stream();
/// while let Some(job) = jobs.try_next().await? {
///     println!("{} {:.0}%", job.job_id, job.progress * 100.0);
/// }
/// # Ok(()) }
/// ```
pub type ListJobs = Request<ops::ListJobs>;

/// A callback of [`WaitForJob::on_progress`].
pub(crate) type ProgressFn = Arc<dyn Fn(&JobStatus, f64) + Send + Sync>;

impl Jobs {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists jobs, newest first: set filters on the returned request, then
    /// take [`Request::stream`] or [`Request::pages`].
    pub fn list(&self) -> ListJobs {
        self.client.request(ops::ListJobs::new())
    }

    /// Reads job `job_id` (`GET /jobs/{jobId}`).
    pub async fn get(&self, job_id: &str) -> Result<Job> {
        check_id(job_id)?;
        Ok(self
            .client
            .request(ops::GetJob::new(job_id))
            .send()
            .await?
            .job)
    }

    /// Cancels job `job_id` (`POST /jobs/{jobId}/action`, action `cancel`) and
    /// answers the job as the service left it. Most generation jobs cannot be
    /// canceled: the service answers 400 ([`Error::is_bad_request`]).
    pub async fn cancel(&self, job_id: &str) -> Result<Job> {
        check_id(job_id)?;
        let body = JobTriggerActionRequest {
            action: Some(JobAction::Cancel),
            ..JobTriggerActionRequest::default()
        };
        let op = ops::TriggerJobAction::new(job_id, body);
        Ok(self.client.request(op).send().await?.job)
    }

    /// Waits until job `job_id` is done: polls it with a growing pause until it
    /// succeeds (the job is answered), fails or is canceled
    /// ([`Error::WorkFailed`]) or the timeout passes ([`Error::WaitTimeout`]).
    /// A status this SDK does not know (newer than it) ends nothing: it is
    /// polled on, with one warning. Dropping the future stops polling.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// use std::time::Duration;
    ///
    /// let job = client
    ///     .jobs()
    ///     .wait("job_abc")
    ///     .timeout(Duration::from_secs(600))
    ///     .on_progress(|status, progress| eprintln!("{status} {:.0}%", progress * 100.0))
    ///     .await?;
    /// println!("assets: {:?}", job.metadata.asset_ids);
    /// # Ok(()) }
    /// ```
    pub fn wait(&self, job_id: impl Into<String>) -> WaitForJob {
        WaitForJob {
            jobs: self.clone(),
            job_id: job_id.into(),
            settings: JOB_PACE,
            on_progress: None,
        }
    }
}

fn check_id(job_id: &str) -> Result<()> {
    if job_id.trim().is_empty() {
        return Err(Error::InvalidInput("the job id is empty".into()));
    }
    Ok(())
}

/// How long, and how often, to poll a job by default.
pub(crate) const JOB_PACE: Pace = Pace {
    timeout: DEFAULT_JOB_TIMEOUT,
    interval: DEFAULT_JOB_INTERVAL,
    max_interval: DEFAULT_JOB_MAX_INTERVAL,
};

/// Waiting for a job: [`Jobs::wait`]. Set the timeout, the polling pace and a
/// progress callback, then `.await` it (or call [`Self::send`]).
#[derive(Clone)]
#[must_use = "waiting does nothing until you .await it"]
pub struct WaitForJob {
    pub(crate) jobs: Jobs,
    pub(crate) job_id: String,
    pub(crate) settings: Pace,
    pub(crate) on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for WaitForJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForJob")
            .field("job_id", &self.job_id)
            .field("settings", &self.settings)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl WaitForJob {
    /// How long to wait before giving up with [`Error::WaitTimeout`] (300 s
    /// by default). It is a deadline: a poll still in flight when it passes is
    /// abandoned (the first poll gets at least 1 s, so that a zero timeout
    /// reads the job once).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The first pause between two polls (250 ms by default, at least 10 ms); each
    /// later pause is a tenth of the time waited so far, up to
    /// [`Self::max_interval`] (see [`Pace::pause_after`]; an interval above
    /// that is kept as it is).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.settings.interval = interval;
        self
    }

    /// The longest pause between two polls (10 s by default).
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.settings.max_interval = max_interval;
        self
    }

    /// Called with the job's status and progress (0 to 1) whenever either
    /// changes, the first poll included. The progress reported never goes
    /// backwards, even if the service's does.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&JobStatus, f64) + Send + Sync + 'static,
    ) -> Self {
        self.on_progress = Some(Arc::new(callback));
        self
    }

    /// Polls until the job is done; the same as `.await`.
    pub async fn send(self) -> Result<Job> {
        check_id(&self.job_id)?;
        let span = tracing::info_span!("scenario_job_wait", job_id = %self.job_id);
        poll(&self.jobs, &self.job_id, self.settings, self.on_progress)
            .instrument(span)
            .await
    }
}

impl IntoFuture for WaitForJob {
    type Output = Result<Job>;
    type IntoFuture = BoxFuture<'static, Result<Job>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Reports status and progress changes, keeping the progress monotonic.
struct Reporter {
    callback: Option<ProgressFn>,
    last: Option<(JobStatus, f64)>,
}

impl Reporter {
    fn report(&mut self, job: &Job) {
        let floor = self.last.as_ref().map_or(0.0, |(_, p)| *p);
        let progress = if job.progress.is_finite() {
            job.progress.clamp(0.0, 1.0).max(floor)
        } else {
            floor
        };
        // Success means done, whatever the last progress the service sent.
        let progress = if job.status == JobStatus::Success {
            1.0
        } else {
            progress
        };
        let changed = self
            .last
            .as_ref()
            .is_none_or(|(status, p)| *status != job.status || *p != progress);
        if changed {
            if let Some(callback) = &self.callback {
                callback(&job.status, progress);
            }
            self.last = Some((job.status.clone(), progress));
        }
    }
}

async fn poll(
    jobs: &Jobs,
    job_id: &str,
    pace: Pace,
    on_progress: Option<ProgressFn>,
) -> Result<Job> {
    let reporter = Reporter {
        callback: on_progress,
        last: None,
    };
    until_settled(
        JobPoll {
            jobs,
            job_id,
            reporter,
        },
        pace,
        None,
    )
    .await
}

/// A job, as the wait polls it, reporting progress as it goes.
struct JobPoll<'a> {
    jobs: &'a Jobs,
    job_id: &'a str,
    reporter: Reporter,
}

impl Polled for JobPoll<'_> {
    type Item = Job;

    fn get(&self) -> impl Future<Output = Result<Job>> + Send {
        self.jobs.get(self.job_id)
    }

    fn settled(&self, job: &Job) -> Option<Result<()>> {
        settled(job)
    }

    fn seen(&mut self, job: &Job) {
        self.reporter.report(job);
    }

    fn unrecognized(job: &Job) -> bool {
        job.status.is_unrecognized()
    }

    fn timed_out(&self, last: Option<&Job>, waited: Duration) -> Error {
        Error::WaitTimeout {
            work: Work::Job,
            id: self.job_id.to_owned(),
            status: last.map_or_else(|| "not yet known".to_owned(), |j| j.status.to_string()),
            waited,
        }
    }

    fn status(job: &Job) -> String {
        job.status.to_string()
    }
}

/// `Some` once the job is done: `Ok` on success, [`Error::WorkFailed`] with the
/// service's reason on failure or cancel; `None` for any other status, one
/// this SDK does not know included.
fn settled(job: &Job) -> Option<Result<()>> {
    match &job.status {
        JobStatus::Success => Some(Ok(())),
        status @ (JobStatus::Failure | JobStatus::Canceled) => Some(Err(Error::WorkFailed {
            work: Work::Job,
            id: job.job_id.clone(),
            status: status.to_string(),
            message: job
                .metadata
                .error
                .clone()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| {
                    if *status == JobStatus::Canceled {
                        "the job was canceled".to_owned()
                    } else {
                        "the service gave no reason".to_owned()
                    }
                }),
        })),
        // A status newer than the SDK may well be one on the way (the paid job
        // runs on): it is polled on to a known end or the deadline.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use reqwest::StatusCode;

    use super::*;
    use crate::poll::tests::Work;
    use crate::poll::until_settled;

    fn client() -> Client {
        Client::builder()
            .api_key("k")
            .api_secret("s")
            .build()
            .unwrap()
    }

    #[test]
    fn builders_are_send_and_static() {
        fn assert_send_static<T: Send + 'static>(_: &T) {}
        assert_send_static(&client().jobs().list());
        assert_send_static(&client().jobs().wait("job_a").into_future());
    }

    #[tokio::test]
    async fn an_empty_id_is_refused_before_any_request() {
        let err = client().jobs().wait(" ").await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }

    fn job_pace() -> Pace {
        JOB_PACE
    }

    /// Waits for work of `length` as a job wait does right after the create
    /// (the job as created is known, not done): how late it was seen, and
    /// how many reads that took.
    async fn wait_for(length: Duration) -> (Duration, usize) {
        let work = Work::new(length);
        let pace = Pace {
            timeout: length * 2,
            ..job_pace()
        };
        until_settled(&work, pace, Some(false)).await.unwrap();
        (
            work.started.elapsed() - length,
            work.polls.load(Ordering::Relaxed),
        )
    }

    // The clock is tokio's paused one: these are the pacing's figures, exact,
    // whatever the machine's load.
    #[tokio::test(start_paused = true)]
    async fn short_medium_and_long_jobs_are_seen_at_most_300_ms_and_a_tenth_of_their_age_late() {
        for (length, most_polls) in [
            (Duration::from_millis(200), 1),
            (Duration::from_secs(5), 20),
            (Duration::from_secs(300), 75),
        ] {
            let (late, polls) = wait_for(length).await;
            let allowed = Duration::from_millis(300) + length / 10;
            assert!(
                late <= allowed,
                "a {length:?} job was seen {late:?} late (allowed {allowed:?})"
            );
            assert!(
                polls <= most_polls,
                "a {length:?} job took {polls} polls (at most {most_polls})"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_wait_polls_no_more_often_than_its_longest_pause() {
        let (late, polls) = wait_for(Duration::from_secs(3600)).await;
        assert!(late <= DEFAULT_JOB_MAX_INTERVAL, "seen {late:?} late");
        // 100 s of growing pauses, then one poll per 10 s.
        assert!(polls <= 50 + 350, "{polls} polls in an hour");
    }

    #[tokio::test(start_paused = true)]
    async fn too_many_requests_slows_the_wait_down_instead_of_ending_it() {
        let work = Work::new(Duration::from_secs(2));
        *work.refusals.lock().unwrap() = vec![
            Error::Api {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: "slow down".into(),
                request_id: None,
                body: None,
            },
            Error::RetryAfterTooLong {
                status: StatusCode::TOO_MANY_REQUESTS,
                retry_after: Duration::from_secs(30),
                limit: Duration::from_secs(20),
                request_id: None,
                body: None,
            },
        ];
        until_settled(&work, job_pace(), Some(false)).await.unwrap();
        // The first poll (at 250 ms) is told to come back in 30 s; the second
        // is refused with no delay named, so the pause is twice the usual one
        // (2 x 3.025 s, a tenth of the 30.25 s waited); the third sees it done.
        let waited = work.started.elapsed();
        assert!(
            waited >= Duration::from_millis(36_300) && waited < Duration::from_millis(36_400),
            "{waited:?}"
        );
        assert_eq!(work.polls.load(Ordering::Relaxed), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_other_than_too_many_requests_ends_the_wait() {
        let work = Work::new(Duration::from_secs(2));
        *work.refusals.lock().unwrap() = vec![Error::Api {
            status: StatusCode::FORBIDDEN,
            message: "no".into(),
            request_id: None,
            body: None,
        }];
        let err = until_settled(&work, job_pace(), Some(false))
            .await
            .unwrap_err();
        assert!(err.is_auth(), "{err}");
    }
}
