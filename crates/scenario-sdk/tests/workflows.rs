//! `client.workflows()`: running a workflow against the fake, waiting for its
//! job and fetching what it made; user steps decided through `Client::request`.

use std::time::Duration;

use scenario_mock::{Fault, FaultRule, MockServer, OperationId, Route};
use scenario_sdk::types::{
    JobFlowStatus, JobFlowType, JobStatus, JobType, Workflow, WorkflowCreateRequest,
    WorkflowUpdateRequest, WorkflowUserApprovalRequest,
};
use scenario_sdk::{Client, ops};
use scenario_testkit::start_mock;
use serde_json::json;

async fn mock(job_duration: Duration) -> (MockServer, Client) {
    start_mock(
        MockServer::builder()
            .assets(3)
            .validation_delay(job_duration),
    )
    .await
}

/// A workflow whose flow is `steps` (id and type each).
async fn workflow(client: &Client, steps: &[(&str, JobFlowType)]) -> Workflow {
    let create: WorkflowCreateRequest =
        serde_json::from_value(json!({"name": "Fox maker", "description": "Makes foxes"})).unwrap();
    let created = client
        .request(ops::CreateWorkflow::new(create))
        .send()
        .await
        .unwrap()
        .workflow;
    let flow: Vec<_> = steps
        .iter()
        .map(|(id, kind)| json!({"id": id, "type": kind.as_str()}))
        .collect();
    let update: WorkflowUpdateRequest = serde_json::from_value(json!({"flow": flow})).unwrap();
    client
        .request(ops::UpdateWorkflow::new(&created.id, update))
        .send()
        .await
        .unwrap()
        .workflow
}

#[tokio::test]
async fn a_run_with_wait_ends_in_success_with_its_assets() {
    let (server, client) = mock(Duration::from_millis(100)).await;
    let workflow = workflow(
        &client,
        &[("a", JobFlowType::Model), ("b", JobFlowType::CustomModel)],
    )
    .await;
    let made = client
        .workflows()
        .run(&workflow.id)
        .input("prompt", "a red fox")
        .query(|q| q.project_id("proj_test"))
        .wait(true)
        .interval(Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(made.job.status, JobStatus::Success);
    assert_eq!(made.job.job_type, JobType::Workflow);
    assert_eq!(
        made.job.metadata.workflow_id.as_deref(),
        Some(workflow.id.as_str())
    );
    assert_eq!(made.job.metadata.input["prompt"], "a red fox");
    assert_eq!(made.assets.len(), 2);
    let ids: Vec<_> = made.assets.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids, made.job.metadata.asset_ids);
    assert_eq!(made.response.workflow.id, workflow.id);
    let run = server
        .requests()
        .into_iter()
        .find(|r| r.route == Some(Route::Api(OperationId::RunWorkflow)))
        .expect("a run request");
    assert_eq!(run.method, "PUT");
    assert!(run.query.unwrap_or_default().contains("proj_test"));
    assert_eq!(server.request_count(OperationId::GetAssetsBulk), 1);
}

#[tokio::test]
async fn a_run_without_wait_answers_the_started_job() {
    let (_server, client) = mock(Duration::from_millis(500)).await;
    let workflow = workflow(&client, &[("a", JobFlowType::Model)]).await;
    let started = client
        .workflows()
        .run(&workflow.id)
        .input("prompt", "x")
        .await
        .unwrap();
    assert_eq!(started.job.status, JobStatus::Queued);
    assert!(started.assets.is_empty());
}

#[tokio::test]
async fn the_wait_lasts_until_the_user_approves() {
    let (_server, client) = mock(Duration::from_millis(60)).await;
    let workflow = workflow(
        &client,
        &[("a", JobFlowType::Model), ("ok", JobFlowType::UserApproval)],
    )
    .await;
    let started = client
        .workflows()
        .run(&workflow.id)
        .input("prompt", "x")
        .await
        .unwrap();
    let job_id = started.job.job_id.clone();
    let waiting = tokio::spawn(
        client
            .jobs()
            .wait(&job_id)
            .interval(Duration::from_millis(20))
            .max_interval(Duration::from_millis(20))
            .into_future(),
    );
    // The job reaches the approval step and stays there.
    loop {
        let job = client.jobs().get(&job_id).await.unwrap();
        let step = job.metadata.flow.iter().find(|s| s.id == "ok").unwrap();
        if step.status == JobFlowStatus::Processing {
            assert_eq!(job.status, JobStatus::InProgress);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!waiting.is_finished(), "the job waits for the user");

    let approval: WorkflowUserApprovalRequest =
        serde_json::from_value(json!({"nodeId": "ok", "workflowJobId": job_id})).unwrap();
    let approved = client
        .request(ops::WorkflowUserApproval::new(
            &workflow.id,
            ops::WorkflowUserApprovalQuery::new("proj_test"),
            approval,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.job.job_id, job_id);
    let done = waiting.await.unwrap().unwrap();
    assert_eq!(done.status, JobStatus::Success);
    assert_eq!(done.metadata.asset_ids.len(), 1);
}

#[tokio::test]
async fn a_dry_run_answers_the_cost_and_starts_no_job() {
    let (server, client) = mock(Duration::from_millis(100)).await;
    let workflow = workflow(&client, &[("a", JobFlowType::Model)]).await;
    let estimate = client
        .workflows()
        .run(&workflow.id)
        .input("prompt", "x")
        .dry_run()
        .await
        .unwrap();
    assert_eq!(estimate.workflow.id, workflow.id);
    assert!(estimate.creative_units_cost.is_some_and(|c| c > 0.0));
    assert_eq!(server.request_count(OperationId::GetJob), 0);
    // Awaiting a run that is a dry run says so instead of waiting for nothing.
    let error = client
        .workflows()
        .run(&workflow.id)
        .query(|q| q.dry_run(scenario_sdk::types::DryRun::True))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("dry_run"), "{error}");
}

#[tokio::test]
async fn a_run_that_may_have_acted_is_not_sent_again() {
    let (server, client) = mock(Duration::from_millis(100)).await;
    let workflow = workflow(&client, &[("a", JobFlowType::Model)]).await;
    server.inject(FaultRule::new(
        OperationId::RunWorkflow,
        Fault::ActThenStatus(503),
    ));
    let error = client
        .with_max_retries(3)
        .workflows()
        .run(&workflow.id)
        .input("prompt", "x")
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.request_count(OperationId::RunWorkflow), 1);
}

#[tokio::test]
async fn running_a_missing_workflow_is_not_found() {
    let (_server, client) = mock(Duration::from_millis(100)).await;
    let error = client.workflows().run("workflow_nope").await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}
