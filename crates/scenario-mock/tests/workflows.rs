//! Workflows: their store (create, list, update, tags, delete, search) and their
//! runs as jobs, including the steps that wait for the user's decision.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Api, api_error, quick};
use scenario_api::types::{
    Job, JobFlowStatus, JobFlowType, JobResponse, JobStatus, JobType, SearchWorkflowsResponse,
    Workflow, WorkflowListResponse, WorkflowResponse, WorkflowRunResponse, WorkflowStatus,
    WorkflowTagsResponse,
};
use serde_json::{Value, json};

const PROJECT: &str = "?projectId=proj_1";

async fn send(
    api: &Api,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = api
        .http
        .request(method, api.url(path))
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn ok<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn create(api: &Api, name: &str) -> Workflow {
    let body = json!({"name": name, "description": format!("{name}, described")});
    let answer: WorkflowResponse =
        ok(send(api, reqwest::Method::POST, "/workflows", Some(body)).await).await;
    answer.workflow
}

async fn update(api: &Api, id: &str, body: Value) -> reqwest::Response {
    send(
        api,
        reqwest::Method::PUT,
        &format!("/workflows/{id}"),
        Some(body),
    )
    .await
}

fn step(id: &str, kind: JobFlowType, depends_on: &[&str]) -> Value {
    json!({"id": id, "type": kind.as_str(), "dependsOn": depends_on})
}

/// A workflow whose flow is `steps`, with a required `prompt` input.
async fn with_flow(api: &Api, name: &str, steps: Vec<Value>) -> Workflow {
    let workflow = create(api, name).await;
    let body = json!({
        "flow": steps,
        "inputs": [{"name": "prompt", "type": "string", "required": {"always": true}}],
    });
    let answer: WorkflowResponse = ok(update(api, &workflow.id, body).await).await;
    answer.workflow
}

async fn run(api: &Api, id: &str, body: Value) -> reqwest::Response {
    send(
        api,
        reqwest::Method::PUT,
        &format!("/workflows/{id}/run"),
        Some(body),
    )
    .await
}

async fn job(api: &Api, id: &str) -> Job {
    let answer: JobResponse = ok(api.get(&format!("/jobs/{id}")).send().await.unwrap()).await;
    answer.job
}

/// Polls the job until `done` says so (or panics after a while).
async fn until(api: &Api, id: &str, done: impl Fn(&Job) -> bool) -> Job {
    for _ in 0..400 {
        let job = job(api, id).await;
        if done(&job) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("job {id} never reached the expected state");
}

fn step_status(job: &Job, id: &str) -> JobFlowStatus {
    job.metadata
        .flow
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("step {id} in the job"))
        .status
        .clone()
}

fn finished(job: &Job) -> bool {
    matches!(
        job.status,
        JobStatus::Success | JobStatus::Failure | JobStatus::Canceled
    )
}

fn waiting_on(node: &'static str) -> impl Fn(&Job) -> bool {
    move |job| {
        job.metadata
            .flow
            .iter()
            .any(|s| s.id == node && s.status == JobFlowStatus::Processing)
    }
}

async fn decide(api: &Api, workflow: &str, what: &str, body: Value) -> reqwest::Response {
    send(
        api,
        reqwest::Method::PUT,
        &format!("/workflows/{workflow}/{what}{PROJECT}"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn created_workflows_are_retrieved_listed_in_pages_updated_and_deleted() {
    let api = Api::with(quick()).await;
    let first = create(&api, "Upscaler").await;
    assert_eq!(first.status, WorkflowStatus::Draft);
    assert!(!first.has_flow);
    assert!(first.id.starts_with("workflow_"));
    let mut ids = BTreeSet::new();
    ids.insert(first.id.clone());
    for n in 0..4 {
        ids.insert(create(&api, &format!("Workflow {n}")).await.id);
    }

    let got: WorkflowResponse = ok(api
        .get(&format!("/workflows/{}", first.id))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(got.workflow.name, "Upscaler");
    assert_eq!(got.workflow.description, "Upscaler, described");

    // Two pages of 3, then 2: every workflow once.
    let mut seen = BTreeSet::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("pageSize", "3".to_owned())];
        if let Some(token) = &token {
            query.push(("paginationToken", token.clone()));
        }
        let page: WorkflowListResponse =
            ok(api.get("/workflows").query(&query).send().await.unwrap()).await;
        pages += 1;
        for w in &page.workflows {
            assert!(seen.insert(w.id.clone()), "{} twice", w.id);
        }
        match page.next_pagination_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, ids);

    // An update changes what it sets, keeps the rest, and moves the workflow first.
    let body =
        json!({"status": "ready", "tagSet": ["upscale", "hd"], "shortDescription": "Bigger"});
    let updated: WorkflowResponse = ok(update(&api, &first.id, body).await).await;
    assert_eq!(updated.workflow.status, WorkflowStatus::Ready);
    assert_eq!(updated.workflow.name, "Upscaler");
    assert_eq!(updated.workflow.short_description, "Bigger");
    let listed: WorkflowListResponse = ok(api.get("/workflows").send().await.unwrap()).await;
    assert_eq!(listed.workflows[0].id, first.id);

    let tags: WorkflowTagsResponse = ok(api.get("/workflows/tags").send().await.unwrap()).await;
    assert_eq!(tags.tags, ["hd", "upscale"]);

    let found: SearchWorkflowsResponse = ok(api
        .post("/search/workflows")
        .json(&json!({"query": "UPSCAL"}))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(found.estimated_total_hits, Some(1));
    assert_eq!(found.hits[0].id, first.id);

    let deleted = send(
        &api,
        reqwest::Method::DELETE,
        &format!("/workflows/{}", first.id),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 200);
    let gone = api
        .get(&format!("/workflows/{}", first.id))
        .send()
        .await
        .unwrap();
    assert!(api_error(gone, 404).await.contains(&first.id));
    let listed: WorkflowListResponse = ok(api.get("/workflows").send().await.unwrap()).await;
    assert!(listed.workflows.iter().all(|w| w.id != first.id));
    assert_eq!(listed.workflows.len(), 4);
    let deleted_tags: WorkflowTagsResponse = ok(api
        .get("/workflows/tags?status=deleted")
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(deleted_tags.tags, ["hd", "upscale"]);
}

#[tokio::test]
async fn a_listing_without_full_leaves_out_the_flow() {
    let api = Api::with(quick()).await;
    with_flow(
        &api,
        "Two steps",
        vec![step("gen", JobFlowType::Model, &[])],
    )
    .await;
    let full: WorkflowListResponse = ok(api.get("/workflows").send().await.unwrap()).await;
    assert_eq!(full.workflows[0].flow.len(), 1);
    assert!(full.workflows[0].has_flow);
    let light: WorkflowListResponse =
        ok(api.get("/workflows?full=false").send().await.unwrap()).await;
    assert!(light.workflows[0].flow.is_empty());
    assert!(light.workflows[0].has_flow);
}

#[tokio::test]
async fn a_run_is_a_workflow_job_that_reaches_success_with_one_image_per_model_step() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(200))).await;
    let workflow = with_flow(
        &api,
        "Two images",
        vec![
            step("first", JobFlowType::Model, &[]),
            step("second", JobFlowType::CustomModel, &["first"]),
        ],
    )
    .await;
    let started: WorkflowRunResponse =
        ok(run(&api, &workflow.id, json!({"prompt": "a castle"})).await).await;
    let created = started.job;
    assert_eq!(started.workflow.id, workflow.id);
    assert_eq!(created.job_type, JobType::Workflow);
    assert_eq!(created.status, JobStatus::Queued);
    assert_eq!(
        created.metadata.workflow_id.as_deref(),
        Some(workflow.id.as_str())
    );
    assert_eq!(created.metadata.input["prompt"], "a castle");
    assert_eq!(step_status(&created, "first"), JobFlowStatus::Pending);

    let done = until(&api, &created.job_id, finished).await;
    assert_eq!(done.status, JobStatus::Success);
    assert_eq!(done.progress, 1.0);
    assert_eq!(done.metadata.asset_ids.len(), 2);
    assert!(
        done.metadata
            .flow
            .iter()
            .all(|s| s.status == JobFlowStatus::Success)
    );
    for id in &done.metadata.asset_ids {
        let asset = api.get(&format!("/assets/{id}")).send().await.unwrap();
        assert_eq!(asset.status(), 200, "asset {id} exists");
    }
    // The jobs of a workflow are found by its id.
    let listed: Value = ok(api
        .get(&format!("/jobs?workflowId={}", workflow.id))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(listed["jobs"][0]["jobId"], created.job_id.as_str());
}

#[tokio::test]
async fn a_dry_run_answers_269_with_the_cost_and_starts_nothing() {
    let api = Api::with(quick()).await;
    let workflow = with_flow(&api, "Cost", vec![step("gen", JobFlowType::Model, &[])]).await;
    let response = send(
        &api,
        reqwest::Method::PUT,
        &format!("/workflows/{}/run?dryRun=true", workflow.id),
        Some(json!({"prompt": "x"})),
    )
    .await;
    assert_eq!(response.status().as_u16(), 269);
    let answer: WorkflowRunResponse = response.json().await.unwrap();
    // The job it would start (never stored, so not listed below) and the workflow.
    assert_eq!(answer.workflow.id, workflow.id);
    assert!(answer.job.job_id.starts_with("job_"));
    assert_eq!(answer.creative_units_cost, Some(5.0));
    let jobs: Value = ok(api.get("/jobs").send().await.unwrap()).await;
    assert!(
        jobs["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["jobType"] != JobType::Workflow.as_str())
    );
}

#[tokio::test]
async fn an_approval_step_holds_the_job_until_the_user_approves() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(60))).await;
    let workflow = with_flow(
        &api,
        "Approved",
        vec![
            step("gen", JobFlowType::Model, &[]),
            step("check", JobFlowType::UserApproval, &["gen"]),
        ],
    )
    .await;
    let started: WorkflowRunResponse =
        ok(run(&api, &workflow.id, json!({"prompt": "a fox"})).await).await;
    let job_id = started.job.job_id;

    // Too early: the job has not reached the step.
    let early = decide(
        &api,
        &workflow.id,
        "user-approval",
        json!({"nodeId": "check", "workflowJobId": job_id}),
    )
    .await;
    assert!(api_error(early, 400).await.contains("check"));

    let waiting = until(&api, &job_id, waiting_on("check")).await;
    assert_eq!(waiting.status, JobStatus::InProgress);
    assert_eq!(step_status(&waiting, "gen"), JobFlowStatus::Success);
    // It waits, however long it takes.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(job(&api, &job_id).await.status, JobStatus::InProgress);

    let approved: JobResponse = ok(decide(
        &api,
        &workflow.id,
        "user-approval",
        json!({"nodeId": "check", "workflowJobId": job_id, "action": "approve"}),
    )
    .await)
    .await;
    assert_eq!(step_status(&approved.job, "check"), JobFlowStatus::Success);
    // A second decision on the same step is refused.
    let again = decide(
        &api,
        &workflow.id,
        "user-approval",
        json!({"nodeId": "check", "workflowJobId": job_id}),
    )
    .await;
    assert_eq!(again.status(), 400);

    let done = until(&api, &job_id, finished).await;
    assert_eq!(done.status, JobStatus::Success);
    assert_eq!(done.metadata.asset_ids.len(), 1);
}

#[tokio::test]
async fn rejecting_an_approval_step_cancels_the_job() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(40))).await;
    let workflow = with_flow(
        &api,
        "Rejected",
        vec![step("check", JobFlowType::UserApproval, &[])],
    )
    .await;
    let started: WorkflowRunResponse =
        ok(run(&api, &workflow.id, json!({"prompt": "x"})).await).await;
    let job_id = started.job.job_id;
    until(&api, &job_id, waiting_on("check")).await;
    let rejected: JobResponse = ok(decide(
        &api,
        &workflow.id,
        "user-approval",
        json!({"nodeId": "check", "workflowJobId": job_id, "action": "reject"}),
    )
    .await)
    .await;
    assert_eq!(rejected.job.status, JobStatus::Canceled);
    assert_eq!(step_status(&rejected.job, "check"), JobFlowStatus::Rejected);
    tokio::time::sleep(Duration::from_millis(80)).await;
    let later = job(&api, &job_id).await;
    assert_eq!(later.status, JobStatus::Canceled);
    assert!(later.metadata.asset_ids.is_empty());
}

#[tokio::test]
async fn a_selection_step_keeps_the_chosen_candidates_in_order() {
    let api = Api::with(quick().validation_delay(Duration::from_millis(40))).await;
    let mut choose = step("choose", JobFlowType::UserSelection, &[]);
    choose["items"] = json!(["red", "green", "blue"]);
    let workflow = with_flow(&api, "Chosen", vec![choose]).await;
    let started: WorkflowRunResponse =
        ok(run(&api, &workflow.id, json!({"prompt": "x"})).await).await;
    let job_id = started.job.job_id;
    until(&api, &job_id, waiting_on("choose")).await;

    // An approval on a selection step, or positions out of range, are refused.
    let wrong = decide(
        &api,
        &workflow.id,
        "user-approval",
        json!({"nodeId": "choose", "workflowJobId": job_id}),
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let out_of_range = decide(
        &api,
        &workflow.id,
        "user-selection",
        json!({"nodeId": "choose", "workflowJobId": job_id, "action": "select", "selectedIndices": [3]}),
    )
    .await;
    assert!(
        api_error(out_of_range, 400)
            .await
            .contains("selectedIndices")
    );
    let none = decide(
        &api,
        &workflow.id,
        "user-selection",
        json!({"nodeId": "choose", "workflowJobId": job_id, "action": "select"}),
    )
    .await;
    assert_eq!(none.status(), 400);

    let selected: JobResponse = ok(decide(
        &api,
        &workflow.id,
        "user-selection",
        json!({"nodeId": "choose", "workflowJobId": job_id, "action": "select", "selectedIndices": [2, 0]}),
    )
    .await)
    .await;
    let node = selected
        .job
        .metadata
        .flow
        .iter()
        .find(|s| s.id == "choose")
        .unwrap();
    assert_eq!(node.status, JobFlowStatus::Success);
    assert_eq!(node.output, Some(json!(["blue", "red"])));
    let done = until(&api, &job_id, finished).await;
    assert_eq!(done.status, JobStatus::Success);
}

#[tokio::test]
async fn unknown_workflows_jobs_and_steps_answer_404_and_bad_runs_400() {
    let api = Api::with(quick()).await;
    for response in [
        api.get("/workflows/workflow_missing").send().await.unwrap(),
        update(&api, "workflow_missing", json!({"name": "x"})).await,
        send(
            &api,
            reqwest::Method::DELETE,
            "/workflows/workflow_missing",
            None,
        )
        .await,
        run(&api, "workflow_missing", json!({})).await,
        decide(
            &api,
            "workflow_missing",
            "user-approval",
            json!({"nodeId": "n", "workflowJobId": "job_1"}),
        )
        .await,
    ] {
        assert!(api_error(response, 404).await.contains("workflow_missing"));
    }

    let empty = create(&api, "Empty").await;
    assert!(
        api_error(run(&api, &empty.id, json!({})).await, 400)
            .await
            .contains("no flow")
    );
    let workflow = with_flow(
        &api,
        "Needs a prompt",
        vec![step("check", JobFlowType::UserApproval, &[])],
    )
    .await;
    assert!(
        api_error(run(&api, &workflow.id, json!({})).await, 400)
            .await
            .contains("prompt")
    );

    // A job of another workflow, and a step the job does not have.
    let other = with_flow(
        &api,
        "Other",
        vec![step("check", JobFlowType::UserApproval, &[])],
    )
    .await;
    let started: WorkflowRunResponse = ok(run(&api, &other.id, json!({"prompt": "x"})).await).await;
    let job_id = started.job.job_id;
    let foreign = decide(
        &api,
        &workflow.id,
        "user-approval",
        json!({"nodeId": "check", "workflowJobId": job_id}),
    )
    .await;
    assert!(api_error(foreign, 404).await.contains(&job_id));
    let no_step = decide(
        &api,
        &other.id,
        "user-approval",
        json!({"nodeId": "nope", "workflowJobId": job_id}),
    )
    .await;
    assert!(api_error(no_step, 404).await.contains("nope"));
    // projectId is required on decisions.
    let no_project = send(
        &api,
        reqwest::Method::PUT,
        &format!("/workflows/{}/user-approval", other.id),
        Some(json!({"nodeId": "check", "workflowJobId": job_id})),
    )
    .await;
    assert_eq!(no_project.status(), 400);
    // An update naming an asset that does not exist.
    let bad_thumbnail = update(&api, &other.id, json!({"thumbnail": "asset_missing"})).await;
    assert!(
        api_error(bad_thumbnail, 404)
            .await
            .contains("asset_missing")
    );
}

#[tokio::test]
async fn a_locked_workflow_changes_only_when_unlocked_or_the_lock_is_bypassed() {
    let api = Api::with(quick()).await;
    let workflow = create(&api, "Locked").await;
    let locked: WorkflowResponse =
        ok(update(&api, &workflow.id, json!({"isLocked": true})).await).await;
    assert_eq!(locked.workflow.is_locked, Some(true));
    assert!(locked.workflow.locked_state_changed_at.is_some());
    let refused = update(&api, &workflow.id, json!({"name": "Renamed"})).await;
    assert!(api_error(refused, 400).await.contains("locked"));
    let bypassed: WorkflowResponse = ok(update(
        &api,
        &workflow.id,
        json!({"name": "Renamed", "bypassLock": true}),
    )
    .await)
    .await;
    assert_eq!(bypassed.workflow.name, "Renamed");
    assert_eq!(bypassed.workflow.is_locked, Some(true));
    let unlocked: WorkflowResponse = ok(update(
        &api,
        &workflow.id,
        json!({"isLocked": false, "name": "Free"}),
    )
    .await)
    .await;
    assert_eq!(unlocked.workflow.is_locked, Some(false));
    assert_eq!(unlocked.workflow.name, "Free");
}

#[tokio::test]
async fn a_public_listing_holds_the_ready_public_workflows() {
    let api = Api::with(quick()).await;
    let draft = create(&api, "Public draft").await;
    let ready = create(&api, "Public ready").await;
    create(&api, "Private ready").await;
    ok::<WorkflowResponse>(update(&api, &draft.id, json!({"privacy": "public"})).await).await;
    ok::<WorkflowResponse>(
        update(
            &api,
            &ready.id,
            json!({"privacy": "public", "status": "ready"}),
        )
        .await,
    )
    .await;
    let public: WorkflowListResponse =
        ok(api.get("/workflows?privacy=public").send().await.unwrap()).await;
    let ids: Vec<_> = public.workflows.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(ids, [ready.id.as_str()]);
    let drafts: WorkflowListResponse = ok(api
        .get("/workflows?privacy=public&status=draft")
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(drafts.workflows.len(), 1);
    assert_eq!(drafts.workflows[0].id, draft.id);
}
