//! Jobs and generations against the fake: waiting with progress, failures,
//! cancels, deadlines, and a model run fetching its assets in one request.

use std::future::IntoFuture;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route};
use scenario_sdk::types::JobStatus;
use scenario_sdk::{Client, Error, Work};
use scenario_testkit::start_mock;

async fn mock(job_duration: Duration) -> (MockServer, Client) {
    start_mock(
        MockServer::builder()
            .assets(5)
            .validation_delay(job_duration),
    )
    .await
}

async fn start_job(client: &Client, image: Option<&str>) -> String {
    let mut run = client.generate().custom("model_test").prompt("a red fox");
    if let Some(image) = image {
        run = run.param("image", image);
    }
    run.await.unwrap().job.job_id
}

#[tokio::test]
async fn a_job_is_waited_to_success_with_rising_progress() {
    let (_server, client) = mock(Duration::from_millis(400)).await;
    let job_id = start_job(&client, None).await;
    let seen: Arc<Mutex<Vec<(JobStatus, f64)>>> = Arc::default();
    let log = seen.clone();
    let job = client
        .jobs()
        .wait(&job_id)
        .interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(40))
        .on_progress(move |status, progress| log.lock().unwrap().push((status.clone(), progress)))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Success);
    assert_eq!(job.metadata.asset_ids.len(), 1);
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] != w[1]),
        "only changes: {seen:?}"
    );
    assert!(
        seen.iter().any(|(s, _)| *s == JobStatus::InProgress),
        "{seen:?}"
    );
    let distinct_in_progress = seen
        .iter()
        .filter(|(s, p)| *s == JobStatus::InProgress && *p > 0.0)
        .count();
    assert!(
        distinct_in_progress >= 2,
        "progress rose in steps: {seen:?}"
    );
    assert_eq!(seen.last().unwrap(), &(JobStatus::Success, 1.0));
}

#[tokio::test]
async fn a_failed_job_is_job_failed_with_the_services_message() {
    let (_server, client) = mock(Duration::from_millis(50)).await;
    let job_id = start_job(&client, Some("asset_missing")).await;
    let err = client
        .jobs()
        .wait(&job_id)
        .interval(Duration::from_millis(10))
        .await
        .unwrap_err();
    match &err {
        Error::WorkFailed {
            work: Work::Job,
            id,
            status,
            message,
        } => {
            assert_eq!(id, &job_id);
            assert_eq!(status, "failure");
            assert!(message.contains("asset_missing"), "{message}");
        }
        other => panic!("expected WorkFailed, got {other:?}"),
    }
    assert_eq!(err.job_id(), Some(job_id.as_str()));
}

#[tokio::test]
async fn a_canceled_job_ends_the_wait_as_canceled() {
    let (_server, client) = mock(Duration::from_secs(60)).await;
    let job_id = start_job(&client, None).await;
    let canceled = client.jobs().cancel(&job_id).await.unwrap();
    assert_eq!(canceled.status, JobStatus::Canceled);
    let err = client.jobs().wait(&job_id).await.unwrap_err();
    assert!(
        matches!(&err, Error::WorkFailed { work: Work::Job, status, .. } if status == "canceled"),
        "{err:?}"
    );
    let again = client.jobs().cancel(&job_id).await.unwrap_err();
    assert!(
        again.is_bad_request() || again.status().is_some(),
        "{again}"
    );
}

#[tokio::test]
async fn the_deadline_names_the_job_and_its_last_status() {
    let (_server, client) = mock(Duration::from_secs(60)).await;
    let job_id = start_job(&client, None).await;
    let started = Instant::now();
    let err = client
        .jobs()
        .wait(&job_id)
        .timeout(Duration::from_millis(150))
        .interval(Duration::from_millis(20))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    match &err {
        Error::WaitTimeout {
            work: Work::Job,
            id,
            status,
            ..
        } => {
            assert_eq!(id, &job_id);
            assert_eq!(status, "queued");
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
}

#[tokio::test]
async fn the_deadline_includes_a_poll_in_flight() {
    let (server, client) = mock(Duration::from_secs(60)).await;
    let job_id = start_job(&client, None).await;
    client.jobs().get(&job_id).await.unwrap();
    server.inject(
        FaultRule::new(OperationId::GetJob, Fault::Delay(Duration::from_secs(30)))
            .times(usize::MAX),
    );
    let started = Instant::now();
    let err = client
        .jobs()
        .wait(&job_id)
        .timeout(Duration::from_millis(1200))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            Error::WaitTimeout {
                work: Work::Job,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn jobs_are_listed_and_read() {
    let (_server, client) = mock(Duration::from_secs(60)).await;
    let first = start_job(&client, None).await;
    let second = start_job(&client, None).await;
    let jobs: Vec<_> = client.jobs().list().stream().try_collect().await.unwrap();
    let ids: Vec<_> = jobs.iter().map(|j| j.job_id.clone()).collect();
    assert_eq!(ids, vec![second.clone(), first]);
    let queued: Vec<_> = client
        .jobs()
        .list()
        .status(JobStatus::Success)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(queued.is_empty());
    assert_eq!(client.jobs().get(&second).await.unwrap().job_id, second);
    assert!(
        client
            .jobs()
            .get("job_nope")
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn generate_and_wait_fetches_every_asset_in_one_request() {
    let (server, client) = mock(Duration::from_millis(100)).await;
    let made = client
        .generate()
        .custom("model_test")
        .prompt("a red fox")
        .param("numOutputs", 3)
        .wait(true)
        .interval(Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(made.job.status, JobStatus::Success);
    assert_eq!(made.assets.len(), 3);
    let ids: Vec<_> = made.assets.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids, made.job.metadata.asset_ids);
    let bulk = server
        .requests()
        .iter()
        .filter(|r| r.route == Some(Route::Api(OperationId::GetAssetsBulk)))
        .count();
    assert_eq!(bulk, 1);
    assert_eq!(server.request_count(OperationId::GetAsset), 0);
}

#[tokio::test]
async fn a_dry_run_answers_the_cost_and_starts_no_job() {
    let (server, client) = mock(Duration::from_millis(100)).await;
    let estimate = client
        .generate()
        .custom("model_test")
        .prompt("a red fox")
        .param("numOutputs", 2)
        .dry_run()
        .await
        .unwrap();
    // The job it would start: never started, so never listed.
    assert!(estimate.job.job_id.starts_with("job_"));
    assert!(estimate.creative_units_cost.is_some_and(|c| c > 0.0));
    let statuses: Vec<_> = server
        .requests()
        .iter()
        .filter(|r| r.route == Some(Route::Api(OperationId::RunModel)))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![Some(269)]);
    let jobs: Vec<_> = client.jobs().list().stream().try_collect().await.unwrap();
    assert!(jobs.is_empty());
}

/// A job as the service sends it, with this status and progress.
fn job_json(status: &str, progress: f64) -> scenario_testkit::Reply {
    let body = serde_json::json!({
        "job": {
            "jobId": "job_scripted",
            "jobType": "custom",
            "createdAt": "2026-01-01T00:00:00.000Z",
            "updatedAt": "2026-01-01T00:00:00.000Z",
            "metadata": {},
            "progress": progress,
            "status": status,
            "statusHistory": [],
        }
    });
    scenario_testkit::Reply::json(body.to_string())
}

#[tokio::test]
async fn a_status_the_sdk_does_not_know_is_polled_on_to_the_jobs_end() {
    let server = scenario_testkit::ScriptedServer::start(vec![
        job_json("in-progress", 0.2),
        job_json("paused-for-review", 0.2),
        job_json("paused-for-review", 0.4),
        job_json("success", 1.0),
    ])
    .await;
    let job = server
        .client()
        .jobs()
        .wait("job_scripted")
        .interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Success);
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn a_status_the_sdk_does_not_know_ends_only_at_the_deadline_naming_it() {
    let server =
        scenario_testkit::ScriptedServer::start(vec![job_json("paused-for-review", 0.2)]).await;
    let err = server
        .client()
        .jobs()
        .wait("job_scripted")
        .timeout(Duration::from_millis(300))
        .interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(20))
        .await
        .unwrap_err();
    match &err {
        Error::WaitTimeout {
            work: Work::Job,
            id,
            status,
            ..
        } => {
            assert_eq!(id, "job_scripted");
            assert_eq!(status, "paused-for-review");
        }
        other => panic!("expected WaitTimeout, got {other:?}"),
    }
    assert!(server.hits() > 2, "polled on: {}", server.hits());
}

#[tokio::test]
async fn the_progress_reported_never_goes_backwards() {
    let server = scenario_testkit::ScriptedServer::start(vec![
        job_json("in-progress", 0.5),
        job_json("in-progress", 0.3),
        job_json("finalizing", 0.0),
        job_json("success", 0.9),
    ])
    .await;
    let seen: Arc<Mutex<Vec<(JobStatus, f64)>>> = Arc::default();
    let log = seen.clone();
    server
        .client()
        .jobs()
        .wait("job_scripted")
        .interval(Duration::from_millis(10))
        .on_progress(move |status, progress| log.lock().unwrap().push((status.clone(), progress)))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            (JobStatus::InProgress, 0.5),
            (JobStatus::Finalizing, 0.5),
            (JobStatus::Success, 1.0),
        ]
    );
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let server = scenario_testkit::ScriptedServer::start(vec![job_json("in-progress", 0.1)]).await;
    let client = server.client();
    let wait = client
        .jobs()
        .wait("job_scripted")
        .interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(10))
        .into_future();
    let outcome = tokio::time::timeout(Duration::from_millis(200), wait).await;
    assert!(outcome.is_err(), "still waiting when dropped");
    // A poll already on the wire when the wait was dropped still reaches the
    // server: let it land before counting (polling on would make 5 more).
    tokio::time::sleep(Duration::from_millis(50)).await;
    let hits = server.hits();
    assert!(hits >= 2, "it polled: {hits}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.hits(), hits, "no poll after the drop");
}

#[tokio::test]
async fn a_zero_wait_is_refused_before_the_paid_run_is_started() {
    let (server, client) = mock(Duration::from_millis(50)).await;
    let zero_timeout = client
        .generate()
        .custom("model_test")
        .prompt("a fox")
        .wait(true)
        .timeout(Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(zero_timeout, Error::InvalidInput(_)),
        "{zero_timeout:?}"
    );
    assert!(
        zero_timeout.to_string().contains("above zero"),
        "{zero_timeout}"
    );
    let zero_interval = client
        .generate()
        .custom("model_test")
        .prompt("a fox")
        .wait(true)
        .interval(Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(zero_interval, Error::InvalidInput(_)),
        "{zero_interval:?}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");

    // Without waiting, the same settings start the run.
    let started = client
        .generate()
        .custom("model_test")
        .prompt("a fox")
        .timeout(Duration::ZERO)
        .await
        .unwrap();
    assert!(!started.job.job_id.is_empty());
}
