//! Conformance checked by tools we did not write.
//!
//! - Prism (`@stoplight/prism-cli`) mocks `openapi/scenario.yaml` with `--errors`:
//!   every request the SDK sends is validated against the document, and the SDK
//!   must decode every answer Prism builds from the document's schemas.
//! - schemathesis fuzzes scenario-mock with the document and checks status
//!   codes, content types and response schemas.
//!
//! The tools are found through `PRISM_BIN` / `SCHEMATHESIS_BIN`, else under
//! `.tools/` (where `.ci/run` installs them). Without them these tests print that
//! they skipped and pass, unless `SCENARIO_CONFORMANCE=1`, where a missing tool
//! is a failure.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use scenario_sdk::types::{
    AssetPrivacy, AssetSortBy, AssetType, SortDirection, UploadCreateRequest, UploadKind,
};
use scenario_testkit::client_builder;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec() -> PathBuf {
    root().join("openapi/scenario.yaml")
}

/// The tool's path, or `None` (after saying so) when it is not installed and
/// conformance is not required.
fn tool(env: &str, under_tools: &str) -> Option<PathBuf> {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools").join(under_tools));
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("SCENARIO_CONFORMANCE").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "SCENARIO_CONFORMANCE=1 but {} is missing (set {env} or install it under .tools/, see .ci/run)",
        path.display()
    );
    eprintln!(
        "skipped: {} not found (set {env} or run .ci/run to install it)",
        path.display()
    );
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A child process that is killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16, child: &mut Child, within: Duration) {
    let deadline = Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "nothing listened on port {port} within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_requests_conform_to_the_document_under_prism() {
    let Some(prism) = tool("PRISM_BIN", "node_modules/.bin/prism") else {
        return;
    };
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new(&prism)
        .args([
            "mock",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .arg(spec())
        .stdout(log.reopen().unwrap())
        .stderr(log.reopen().unwrap())
        .spawn()
        .expect("starting prism");
    let mut prism = Guard(child);
    wait_for_port(port, &mut prism.0, Duration::from_secs(60));

    // Prism serves the document's paths at the root, without the servers' /v1.
    let client = client_builder(
        &format!("http://127.0.0.1:{port}"),
        "conformance-key",
        "conformance-secret",
    )
    .max_retries(0)
    .build()
    .unwrap();

    let mut outcomes = Vec::new();

    // listAssets with every query parameter set.
    let mut listing = client
        .assets()
        .list()
        .author_id("user_1")
        .collection_id("col_1")
        .created_after("2024-01-01T00:00:00.000Z")
        .created_before("2025-01-01T00:00:00.000Z")
        .deleted(false)
        .inference_id("inf_1")
        .model_id("model_1")
        .original_assets(true)
        .page_size(10)
        .pagination_token("token_1")
        .parent_asset_id("asset_parent")
        .privacy(AssetPrivacy::Private.as_str())
        .project_id("proj_1")
        .root_asset_id("asset_root")
        .sort_by(AssetSortBy::CreatedAt.as_str())
        .sort_direction("asc")
        .tag("sci-fi")
        .asset_type(AssetType::X3dTexture)
        .updated_after("2024-01-01T00:00:00.000Z")
        .updated_before("2025-01-01T00:00:00.000Z")
        .prefetch(0)
        .pages();
    // Prism always answers with a next token: one page is the whole check.
    let page = listing.try_next().await;
    outcomes.push((
        "listAssets",
        page.map(|p| p.map_or(0, |p| p.items.len()))
            .map_err(|e| e.to_string()),
    ));
    drop(listing);

    // createUpload, multipart body.
    let multipart = client
        .uploads()
        .create(UploadCreateRequest {
            file_name: Some("hero.png".into()),
            content_type: Some("image/png".into()),
            file_size: Some(12_345),
            kind: Some(UploadKind::Image),
            parts: Some(1),
            ..UploadCreateRequest::default()
        })
        .await;
    let upload_id = multipart.as_ref().map(|u| u.id.clone()).ok();
    outcomes.push((
        "createUpload (multipart)",
        multipart.map(|_| 1).map_err(|e| e.to_string()),
    ));

    // createUpload, url import body.
    let import = client
        .uploads()
        .create(UploadCreateRequest {
            url: Some("https://example.com/hero.png".into()),
            kind: Some(UploadKind::Image),
            ..UploadCreateRequest::default()
        })
        .await;
    outcomes.push((
        "createUpload (url import)",
        import.map(|_| 1).map_err(|e| e.to_string()),
    ));

    let id = upload_id.unwrap_or_else(|| "upload_1".into());
    let got = client.uploads().get(&id).await;
    outcomes.push(("getUpload", got.map(|_| 1).map_err(|e| e.to_string())));
    let completed = client.uploads().complete(&id).await;
    outcomes.push((
        "triggerUploadAction",
        completed.map(|_| 1).map_err(|e| e.to_string()),
    ));

    every_new_operation(&client, &mut outcomes).await;
    every_models_operation(&client, &mut outcomes).await;
    every_workflows_operation(&client, &mut outcomes).await;
    every_admin_operation(&client, &mut outcomes).await;

    drop(prism);
    let log = std::fs::read_to_string(log.path()).unwrap();
    let violations: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Violation") || l.contains("[VALIDATOR] ✖"))
        .collect();
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|(op, r)| r.as_ref().err().map(|e| format!("{op}: {e}")))
        .collect();
    assert!(
        violations.is_empty() && failures.is_empty(),
        "Prism found violations:\n{}\nfailed operations:\n{}\n--- prism log ---\n{log}",
        violations.join("\n"),
        failures.join("\n"),
    );
    // Each outcome is named by its operation's id (and a variant after a space).
    let sent: std::collections::BTreeSet<&str> = outcomes
        .iter()
        .map(|(name, _)| name.split(' ').next().unwrap_or(name))
        .collect();
    let unsent: Vec<&str> = scenario_api::ops::OPERATIONS
        .iter()
        .map(|op| op.id)
        .filter(|id| !sent.contains(id))
        .collect();
    assert!(
        unsent.is_empty(),
        "operations of the document the check sends no request for: {unsent:?}"
    );
}

/// A request body from JSON, so the test names only the fields it sets.
fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a body the document allows")
}

/// Sends `request` and records whether its answer decoded.
macro_rules! check {
    ($outcomes:expr, $name:expr, $request:expr) => {
        let outcome = $request.await.map(|_| 1).map_err(|e| e.to_string());
        $outcomes.push(($name, outcome));
    };
}

/// Every operation of the projects and teams areas, through `Client::request`,
/// with a body and the query parameters each takes.
async fn every_admin_operation(
    client: &scenario_sdk::Client,
    outcomes: &mut Vec<(&'static str, Result<usize, String>)>,
) {
    use scenario_sdk::ops;
    use serde_json::json;

    check!(
        outcomes,
        "createProject",
        client
            .request(ops::CreateProject::new(body::<
                scenario_sdk::types::ProjectCreateRequest,
            >(
                json!({"name": "Level 1", "autoJoin": true, "privacyMode": false})
            )))
            .team_id("team_1")
    );
    check!(
        outcomes,
        "listProjects",
        client
            .request(ops::ListProjects::new())
            .page_size(10)
            .pagination_token("token_1")
            .team_id("team_1")
    );
    check!(
        outcomes,
        "getProject",
        client.request(ops::GetProject::new("proj_1"))
    );
    check!(outcomes, "updateProject", client.request(ops::UpdateProject::new("proj_1", body::<scenario_sdk::types::ProjectUpdateRequest>(json!({"name": "Renamed", "description": "# Notes", "maxConsumption": 100.0, "settings": {"homepage": {"blocks": []}}})))));
    check!(
        outcomes,
        "deleteProject",
        client.request(ops::DeleteProject::new("proj_1"))
    );
    check!(
        outcomes,
        "createProjectApiKey",
        client.request(ops::CreateProjectApiKey::new(
            "proj_1",
            body::<scenario_sdk::types::ApiKeyCreateRequest>(
                json!({"name": "ci", "role": "reader", "maxConsumption": -1.0})
            )
        ))
    );
    check!(
        outcomes,
        "deleteProjectApiKey",
        client.request(ops::DeleteProjectApiKey::new("proj_1", "api_1"))
    );
    check!(
        outcomes,
        "getProjectInstructions",
        client.request(ops::GetProjectInstructions::new("proj_1"))
    );
    check!(
        outcomes,
        "updateProjectInstructions",
        client.request(ops::UpdateProjectInstructions::new(
            "proj_1",
            body::<scenario_sdk::types::MemoryUpdateRequest>(json!({"content": "Square images."}))
        ))
    );
    check!(
        outcomes,
        "getProjectMemory",
        client.request(ops::GetProjectMemory::new("proj_1"))
    );
    check!(
        outcomes,
        "updateProjectMemory",
        client.request(ops::UpdateProjectMemory::new(
            "proj_1",
            body::<scenario_sdk::types::MemoryUpdateRequest>(json!({"content": "Likes pastel."}))
        ))
    );
    check!(
        outcomes,
        "addProjectMember",
        client.request(ops::AddProjectMember::new(
            "proj_1",
            body::<scenario_sdk::types::ProjectMemberCreateRequest>(
                json!({"userId": "user_1", "role": "editor"})
            )
        ))
    );
    check!(
        outcomes,
        "updateProjectMember",
        client.request(ops::UpdateProjectMember::new(
            "proj_1",
            "user_1",
            body::<scenario_sdk::types::ProjectMemberUpdateRequest>(json!({"role": "reader"}))
        ))
    );
    check!(
        outcomes,
        "removeProjectMember",
        client.request(ops::RemoveProjectMember::new("proj_1", "user_1"))
    );
    check!(outcomes, "listTeams", client.request(ops::ListTeams::new()));
    check!(
        outcomes,
        "getTeam",
        client.request(ops::GetTeam::new("team_1"))
    );
    check!(outcomes, "updateTeam", client.request(ops::UpdateTeam::new("team_1", body::<scenario_sdk::types::TeamUpdateRequest>(json!({"name": "Studio", "ipDetectionEnforcement": "active-fail-open", "settings": {"homepage": null}})))));
    check!(
        outcomes,
        "getTeamLimits",
        client.request(ops::GetTeamLimits::new("team_1"))
    );
    check!(outcomes, "inviteTeamMember", client.request(ops::InviteTeamMember::new("team_1", body::<scenario_sdk::types::TeamMemberCreateRequest>(json!({"email": "ada@example.com", "role": "member", "projectIds": ["proj_1", "proj_2"]})))));
    check!(
        outcomes,
        "updateTeamMember",
        client.request(ops::UpdateTeamMember::new(
            "team_1",
            "user_1",
            body::<scenario_sdk::types::TeamMemberUpdateRequest>(
                json!({"role": "admin", "maxConsumption": 50.0})
            )
        ))
    );
    check!(
        outcomes,
        "removeTeamMember",
        client.request(ops::RemoveTeamMember::new("team_1", "user_1"))
    );
    check!(outcomes, "createTeamIpFilter", client.request(ops::CreateTeamIpFilter::new("team_1", body::<scenario_sdk::types::IpFilterCreateRequest>(json!({"category": "custom", "name": "Mascot", "instruction": "Flag the mascot", "sourceAssetIds": ["asset_1"]})))));
    check!(
        outcomes,
        "listTeamIpFilters",
        client.request(ops::ListTeamIpFilters::new("team_1"))
    );
    check!(
        outcomes,
        "updateTeamIpFilter",
        client.request(ops::UpdateTeamIpFilter::new(
            "team_1",
            "ipf_1",
            body::<scenario_sdk::types::IpFilterUpdateRequest>(json!({"enabled": false}))
        ))
    );
    check!(
        outcomes,
        "deleteTeamIpFilter",
        client.request(ops::DeleteTeamIpFilter::new("team_1", "ipf_1"))
    );
    check!(
        outcomes,
        "draftTeamIpFilterInstruction",
        client.request(ops::DraftTeamIpFilterInstruction::new(
            "team_1",
            body::<scenario_sdk::types::IpFilterDraftRequest>(
                json!({"assetIds": ["asset_1", "asset_2"]})
            )
        ))
    );
    check!(
        outcomes,
        "getProjectBrief",
        client.request(ops::GetProjectBrief::new("proj_1"))
    );
    check!(outcomes, "updateProjectBrief", client.request(ops::UpdateProjectBrief::new("proj_1", body::<scenario_sdk::types::BriefUpdateRequest>(json!({"body": "Pastel, low poly", "sensitivity": "medium", "referenceAssetIds": ["asset_1"]})))));
    check!(
        outcomes,
        "deleteProjectBrief",
        client.request(ops::DeleteProjectBrief::new("proj_1"))
    );
    check!(
        outcomes,
        "getProjectWatermark",
        client.request(ops::GetProjectWatermark::new("proj_1"))
    );
    check!(
        outcomes,
        "updateProjectWatermark",
        client.request(ops::UpdateProjectWatermark::new(
            "proj_1",
            body::<scenario_sdk::types::WatermarkUpdateRequest>(
                json!({"enabled": true, "text": "WIP", "placement": "tiled", "opacity": 0.4})
            )
        ))
    );
    check!(
        outcomes,
        "deleteProjectWatermark",
        client.request(ops::DeleteProjectWatermark::new("proj_1"))
    );
    check!(
        outcomes,
        "updateProjectWatermarkLogo",
        client.request(ops::UpdateProjectWatermarkLogo::new(
            "proj_1",
            body::<scenario_sdk::types::WatermarkLogoRequest>(json!({"logo": "iVBORw0KGgo="}))
        ))
    );
    check!(
        outcomes,
        "deleteProjectWatermarkLogo",
        client.request(ops::DeleteProjectWatermarkLogo::new("proj_1"))
    );
    check!(
        outcomes,
        "previewProjectWatermark",
        client.request(ops::PreviewProjectWatermark::new(
            "proj_1",
            body::<scenario_sdk::types::WatermarkPreviewRequest>(
                json!({"text": "draft", "placement": "center"})
            )
        ))
    );
    check!(outcomes, "createProjectWebhookEndpoint", client.request(ops::CreateProjectWebhookEndpoint::new("proj_1", body::<scenario_sdk::types::WebhookEndpointCreateRequest>(json!({"url": "https://example.com/hook", "enabledEvents": ["generation.completed", "*"], "description": "builds"})))));
    check!(
        outcomes,
        "listProjectWebhookEndpoints",
        client.request(ops::ListProjectWebhookEndpoints::new("proj_1"))
    );
    check!(
        outcomes,
        "updateProjectWebhookEndpoint",
        client.request(ops::UpdateProjectWebhookEndpoint::new(
            "proj_1",
            "whe_1",
            body::<scenario_sdk::types::WebhookEndpointUpdateRequest>(
                json!({"enabled": false, "enabledEvents": ["model.training.failed"]})
            )
        ))
    );
    check!(
        outcomes,
        "deleteProjectWebhookEndpoint",
        client.request(ops::DeleteProjectWebhookEndpoint::new("proj_1", "whe_1"))
    );
    check!(
        outcomes,
        "listProjectWebhookEvents",
        client
            .request(ops::ListProjectWebhookEvents::new("proj_1", "whe_1"))
            .pagination_token("token_1")
    );
    check!(
        outcomes,
        "getProjectWebhookEvent",
        client.request(ops::GetProjectWebhookEvent::new("proj_1", "whe_1", "evt_1"))
    );
    check!(
        outcomes,
        "getTeamBrief",
        client.request(ops::GetTeamBrief::new("team_1"))
    );
    check!(outcomes, "updateTeamBrief", client.request(ops::UpdateTeamBrief::new("team_1", body::<scenario_sdk::types::BriefUpdateRequest>(json!({"body": "Pastel, low poly", "sensitivity": "medium", "referenceAssetIds": ["asset_1"]})))));
    check!(
        outcomes,
        "deleteTeamBrief",
        client.request(ops::DeleteTeamBrief::new("team_1"))
    );
    check!(
        outcomes,
        "getTeamWatermark",
        client.request(ops::GetTeamWatermark::new("team_1"))
    );
    check!(
        outcomes,
        "updateTeamWatermark",
        client.request(ops::UpdateTeamWatermark::new(
            "team_1",
            body::<scenario_sdk::types::WatermarkUpdateRequest>(
                json!({"enabled": true, "text": "WIP", "placement": "tiled", "opacity": 0.4})
            )
        ))
    );
    check!(
        outcomes,
        "deleteTeamWatermark",
        client.request(ops::DeleteTeamWatermark::new("team_1"))
    );
    check!(
        outcomes,
        "updateTeamWatermarkLogo",
        client.request(ops::UpdateTeamWatermarkLogo::new(
            "team_1",
            body::<scenario_sdk::types::WatermarkLogoRequest>(json!({"logo": "iVBORw0KGgo="}))
        ))
    );
    check!(
        outcomes,
        "deleteTeamWatermarkLogo",
        client.request(ops::DeleteTeamWatermarkLogo::new("team_1"))
    );
    check!(
        outcomes,
        "previewTeamWatermark",
        client.request(ops::PreviewTeamWatermark::new(
            "team_1",
            body::<scenario_sdk::types::WatermarkPreviewRequest>(
                json!({"text": "draft", "placement": "center"})
            )
        ))
    );
    check!(outcomes, "createTeamWebhookEndpoint", client.request(ops::CreateTeamWebhookEndpoint::new("team_1", body::<scenario_sdk::types::WebhookEndpointCreateRequest>(json!({"url": "https://example.com/hook", "enabledEvents": ["generation.completed", "*"], "description": "builds"})))));
    check!(
        outcomes,
        "listTeamWebhookEndpoints",
        client.request(ops::ListTeamWebhookEndpoints::new("team_1"))
    );
    check!(
        outcomes,
        "updateTeamWebhookEndpoint",
        client.request(ops::UpdateTeamWebhookEndpoint::new(
            "team_1",
            "whe_1",
            body::<scenario_sdk::types::WebhookEndpointUpdateRequest>(
                json!({"enabled": false, "enabledEvents": ["model.training.failed"]})
            )
        ))
    );
    check!(
        outcomes,
        "deleteTeamWebhookEndpoint",
        client.request(ops::DeleteTeamWebhookEndpoint::new("team_1", "whe_1"))
    );
    check!(
        outcomes,
        "listTeamWebhookEvents",
        client
            .request(ops::ListTeamWebhookEvents::new("team_1", "whe_1"))
            .pagination_token("token_1")
    );
    check!(
        outcomes,
        "getTeamWebhookEvent",
        client.request(ops::GetTeamWebhookEvent::new("team_1", "whe_1", "evt_1"))
    );
    check!(
        outcomes,
        "withdrawTeamInvitation",
        client.request(ops::WithdrawTeamInvitation::new(
            "team_1",
            body::<ops::WithdrawTeamInvitationQuery>(json!({"email": "ada@example.com"}))
        ))
    );
}

/// Every operation of the jobs, generate and asset areas, through `Client::request`
/// with its parameters set (arrays in the query included).
async fn every_new_operation(
    client: &scenario_sdk::Client,
    outcomes: &mut Vec<(&'static str, Result<usize, String>)>,
) {
    use scenario_sdk::ops;
    use scenario_sdk::types::{DryRun, JobListType, JobStatus};

    let image = "data:image/png;base64,iVBORw0KGgo=";
    // `types` goes without `type`: the document says not both.
    check!(
        outcomes,
        "listAssets (types)",
        client.request(ops::ListAssets::new()).types([
            scenario_sdk::types::AssetType::Detection,
            scenario_sdk::types::AssetType::Txt2img
        ])
    );
    check!(
        outcomes,
        "listJobs",
        client
            .request(ops::ListJobs::new())
            .author_id("user_1")
            .created_after("2024-01-01T00:00:00.000Z")
            .hide_results(false)
            .page_size(10)
            .pagination_token("token_1")
            .project_id("proj_1")
            .status(JobStatus::Success)
            .type_(JobListType::Caption)
            .types([JobListType::Caption, JobListType::Detection])
            .updated_after("2024-01-01T00:00:00.000Z")
            .workflow_id("workflow_1")
    );
    check!(
        outcomes,
        "getJob",
        client
            .request(ops::GetJob::new("job_1"))
            .project_id("proj_1")
    );
    check!(
        outcomes,
        "triggerJobAction",
        client.request(ops::TriggerJobAction::new(
            "job_1",
            body::<scenario_sdk::types::JobTriggerActionRequest>(
                serde_json::json!({"action": "cancel"})
            )
        ))
    );

    check!(
        outcomes,
        "runModel",
        client
            .request(ops::RunModel::new(
                "model_1",
                body::<scenario_sdk::types::RunModelRequest>(
                    serde_json::json!({"prompt": "a castle", "numOutputs": 2})
                )
            ))
            .dry_run(DryRun::True)
            .ip_detection(false)
            .project_id("proj_1")
    );
    check!(
        outcomes,
        "generateCaption",
        client
            .request(ops::GenerateCaption::new(body::<
                scenario_sdk::types::GenerateCaptionRequest,
            >(
                serde_json::json!({"images": [image], "detailsLevel": "action", "temperature": 0.5})
            )))
            .dry_run(DryRun::Api)
            .project_id("proj_1")
    );
    check!(
        outcomes,
        "generateDescribeStyle",
        client.request(ops::GenerateDescribeStyle::new(body::<
            scenario_sdk::types::GenerateDescribeStyleRequest,
        >(
            serde_json::json!({"assetIds": ["asset_1"]})
        )))
    );
    check!(
        outcomes,
        "generateDetect",
        client
            .request(ops::GenerateDetect::new(body::<
                scenario_sdk::types::GenerateDetectRequest,
            >(
                serde_json::json!({"image": "asset_1", "modality": "canny", "lowThreshold": 100.0})
            )))
            .original_assets(true)
    );
    check!(
        outcomes,
        "generateEmbed",
        client.request(ops::GenerateEmbed::new(body::<
            scenario_sdk::types::GenerateEmbedRequest,
        >(
            serde_json::json!({"text": "a castle"})
        )))
    );
    check!(
        outcomes,
        "generateIpDetection",
        client.request(ops::GenerateIpDetection::new(body::<
            scenario_sdk::types::GenerateIpDetectionRequest,
        >(
            serde_json::json!({"prompts": ["a mouse"], "assetIds": ["asset_1"]})
        )))
    );
    check!(outcomes, "generatePatch", client.request(ops::GeneratePatch::new(body::<scenario_sdk::types::GeneratePatchRequest>(
        serde_json::json!({"image": "asset_1", "format": "png", "crop": {"height": 10.0, "left": 0.0, "top": 0.0, "width": 10.0}})))));
    check!(
        outcomes,
        "generatePrompt",
        client.request(ops::GeneratePrompt::new(body::<
            scenario_sdk::types::GeneratePromptRequest,
        >(
            serde_json::json!({"mode": "completion", "prompt": "a castle", "numResults": 2})
        )))
    );
    check!(
        outcomes,
        "generateQualityGate",
        client.request(ops::GenerateQualityGate::new(body::<
            scenario_sdk::types::GenerateQualityGateRequest,
        >(
            serde_json::json!({"image": "asset_1", "sensitivity": "medium"})
        )))
    );
    check!(
        outcomes,
        "generateTranslate",
        client.request(ops::GenerateTranslate::new(body::<
            scenario_sdk::types::GenerateTranslateRequest,
        >(
            serde_json::json!({"prompt": "un château"})
        )))
    );

    check!(
        outcomes,
        "getAsset",
        client
            .request(ops::GetAsset::new("asset_1"))
            .original_assets(false)
            .with_embedding(true)
            .with_quality_gate_details(true)
    );
    check!(
        outcomes,
        "updateAsset",
        client.request(ops::UpdateAsset::new(
            "asset_1",
            body::<scenario_sdk::types::AssetUpdateRequest>(
                serde_json::json!({"name": "hero", "lockId": "lock_1"})
            )
        ))
    );
    check!(
        outcomes,
        "deleteAssets",
        client.request(ops::DeleteAssets::new(body::<
            scenario_sdk::types::AssetIdsRequest,
        >(
            serde_json::json!({"assetIds": ["asset_1"]})
        )))
    );
    check!(
        outcomes,
        "createAsset",
        client.request(ops::CreateAsset::new(body::<
            scenario_sdk::types::AssetCreateRequest,
        >(
            serde_json::json!({"name": "hero", "image": image})
        )))
    );
    check!(
        outcomes,
        "restoreAssets",
        client.request(ops::RestoreAssets::new(body::<
            scenario_sdk::types::AssetRestoreRequest,
        >(
            serde_json::json!({"assetIds": ["asset_1"]})
        )))
    );
    check!(
        outcomes,
        "getAssetsBulk",
        client.request(ops::GetAssetsBulk::new(body::<
            scenario_sdk::types::AssetGetBulkRequest,
        >(
            serde_json::json!({"assetIds": ["asset_1", "asset_2"]})
        )))
    );
    check!(
        outcomes,
        "copyAsset",
        client.request(ops::CopyAsset::new(
            "asset_1",
            body::<scenario_sdk::types::AssetCopyRequest>(
                serde_json::json!({"targetProjectId": "proj_2"})
            )
        ))
    );
    check!(
        outcomes,
        "lockAsset",
        client.request(ops::LockAsset::new(
            "asset_1",
            body::<scenario_sdk::types::AssetLockRequest>(
                serde_json::json!({"lockExpiresAt": "2030-01-01T00:00:00.000Z"})
            )
        ))
    );
    check!(
        outcomes,
        "unlockAsset",
        client.request(ops::UnlockAsset::new(
            "asset_1",
            body::<scenario_sdk::types::AssetUnlockRequest>(
                serde_json::json!({"lockId": "lock_1"})
            )
        ))
    );
    check!(
        outcomes,
        "updateAssetTags",
        client.request(ops::UpdateAssetTags::new(
            "asset_1",
            body::<scenario_sdk::types::AssetUpdateTagsRequest>(
                serde_json::json!({"add": ["hero"], "strict": true})
            )
        ))
    );
    check!(
        outcomes,
        "listAssetSnapshots",
        client
            .request(ops::ListAssetSnapshots::new("asset_1"))
            .page_size(5)
            .pagination_token("token_1")
    );
    check!(
        outcomes,
        "requestAssetDownload",
        client.request(ops::RequestAssetDownload::new(
            "asset_1",
            body::<scenario_sdk::types::AssetDownloadRequest>(
                serde_json::json!({"targetFormat": "webp"})
            )
        ))
    );
    check!(
        outcomes,
        "requestAssetsDownload",
        client.request(ops::RequestAssetsDownload::new(body::<
            scenario_sdk::types::AssetsDownloadRequest,
        >(
            serde_json::json!({
            "options": {"fileNameTemplate": "<id>", "flat": true},
            "query": {"assetIds": ["asset_1"], "inferenceIds": [], "modelIds": []},
        })
        )))
    );
    check!(
        outcomes,
        "getAssetsDownload",
        client.request(ops::GetAssetsDownload::new("job_1"))
    );
}

/// Every operation of the models, collections, search, recommendations, tags,
/// usages and pricing areas, through `Client::request` with parameters set.
async fn every_models_operation(
    client: &scenario_sdk::Client,
    outcomes: &mut Vec<(&'static str, Result<usize, String>)>,
) {
    use scenario_sdk::ops;
    use scenario_sdk::types::{
        DryRun, ModelCapabilities, ModelListStatus, ModelPrivacy, ModelSortBy, ModelType,
        UsageTimeRange, UsageType,
    };
    use serde_json::json;

    let m = "model_1";
    check!(
        outcomes,
        "listModels",
        client
            .request(ops::ListModels::new())
            .blacklisted(false)
            .collection_id("col_1")
            .created_after("2024-01-01T00:00:00.000Z")
            .original_assets(true)
            .page_size(10)
            .pagination_token("token_1")
            .privacy(ModelPrivacy::Private)
            .project_id("proj_1")
            .sort_by(ModelSortBy::CreatedAt)
            .sort_direction(SortDirection::Desc)
            .status(ModelListStatus::Trained)
            .tags("hero")
            .types([ModelType::Flux1Lora, ModelType::Custom])
    );
    check!(outcomes, "createModel", client.request(ops::CreateModel::new(body::<scenario_sdk::types::ModelCreateRequest>(
        json!({"name": "Hero", "type": "flux.1-lora", "concepts": [{"modelId": "model_2", "scale": 0.8}], "collectionIds": ["col_1"]})))));
    check!(
        outcomes,
        "getModel",
        client
            .request(ops::GetModel::new(m))
            .original_assets(false)
            .project_id("proj_1")
    );
    check!(outcomes, "updateModel", client.request(ops::UpdateModel::new(m, body::<scenario_sdk::types::ModelUpdateRequest>(
        json!({"name": "Hero 2", "shortDescription": "a hero", "parameters": {"maxTrainSteps": 500.0, "lrScheduler": "cosine"}})))));
    check!(
        outcomes,
        "deleteModel",
        client.request(ops::DeleteModel::new(m))
    );
    check!(
        outcomes,
        "getModelsBulk",
        client.request(ops::GetModelsBulk::new(body::<
            scenario_sdk::types::ModelGetBulkRequest,
        >(
            json!({"modelIds": ["model_1", "model_2"], "minimal": true})
        )))
    );
    check!(
        outcomes,
        "copyModel",
        client.request(ops::CopyModel::new(
            m,
            body::<scenario_sdk::types::ModelCopyRequest>(
                json!({"copyAsTrained": true, "copyExamples": false})
            )
        ))
    );
    check!(
        outcomes,
        "transferModel",
        client.request(ops::TransferModel::new(
            m,
            body::<scenario_sdk::types::ModelTransferRequest>(
                json!({"destinationProjectId": "proj_2"})
            )
        ))
    );
    check!(
        outcomes,
        "downloadModel",
        client
            .request(ops::DownloadModel::new(
                m,
                body::<scenario_sdk::types::ModelDownloadRequest>(json!({"modelEpoch": "000001"}))
            ))
            .dry_run(DryRun::True)
    );
    check!(
        outcomes,
        "restoreModel",
        client.request(ops::RestoreModel::new(m))
    );
    check!(
        outcomes,
        "deleteModelImages",
        client
            .request(ops::DeleteModelImages::new(m))
            .ids(["asset_1".to_owned(), "asset_2".to_owned()])
    );
    check!(
        outcomes,
        "updateModelTags",
        client.request(ops::UpdateModelTags::new(
            m,
            body::<scenario_sdk::types::AssetUpdateTagsRequest>(
                json!({"add": ["hero"], "delete": ["old"]})
            )
        ))
    );
    check!(
        outcomes,
        "trainModel",
        client
            .request(ops::TrainModel::new(
                m,
                body::<scenario_sdk::types::ModelTrainRequest>(
                    json!({"parameters": {"nbEpochs": 10.0}})
                )
            ))
            .dry_run(DryRun::Api)
            .training_images_count(12)
    );
    check!(
        outcomes,
        "triggerModelTrainAction",
        client.request(ops::TriggerModelTrainAction::new(
            m,
            body::<scenario_sdk::types::ModelTrainActionRequest>(json!({"action": "cancel"}))
        ))
    );
    check!(
        outcomes,
        "addModelTrainingImages",
        client.request(ops::AddModelTrainingImages::new(
            m,
            body::<scenario_sdk::types::ModelTrainingImageRequest>(
                json!({"assetIds": ["asset_1", "asset_2"], "preset": "style"})
            )
        ))
    );
    check!(
        outcomes,
        "replaceModelTrainingImage",
        client.request(ops::ReplaceModelTrainingImage::new(
            m,
            "asset_1",
            body::<scenario_sdk::types::ModelTrainingImageRequest>(json!({"assetId": "asset_3"}))
        ))
    );
    check!(outcomes, "replaceModelTrainingImagePairs", client.request(ops::ReplaceModelTrainingImagePairs::new(m, body::<scenario_sdk::types::ModelTrainingImagePairsRequest>(
        json!([{"sourceId": "asset_1", "targetId": "asset_2", "instruction": "make it night"}])))));
    check!(
        outcomes,
        "deleteModelTrainingImage",
        client.request(ops::DeleteModelTrainingImage::new(m, "asset_1"))
    );
    check!(
        outcomes,
        "listModelPresets",
        client.request(ops::ListModelPresets::new(m))
    );
    check!(
        outcomes,
        "createModelPreset",
        client.request(ops::CreateModelPreset::new(
            m,
            body::<scenario_sdk::types::ModelPresetCreateRequest>(
                json!({"inferenceId": "job_1", "isDefault": true})
            )
        ))
    );
    check!(
        outcomes,
        "updateModelPreset",
        client.request(ops::UpdateModelPreset::new(
            m,
            "preset_1",
            body::<scenario_sdk::types::ModelPresetUpdateRequest>(json!({"isDefault": false}))
        ))
    );
    check!(
        outcomes,
        "deleteModelPreset",
        client.request(ops::DeleteModelPreset::new(m, "preset_1"))
    );
    check!(
        outcomes,
        "listModelExamples",
        client.request(ops::ListModelExamples::new(m))
    );
    check!(
        outcomes,
        "updateModelExamples",
        client.request(ops::UpdateModelExamples::new(
            m,
            body::<scenario_sdk::types::AssetIdsRequest>(json!({"assetIds": ["asset_1"]}))
        ))
    );
    check!(
        outcomes,
        "getModelDescription",
        client.request(ops::GetModelDescription::new(m))
    );
    check!(
        outcomes,
        "updateModelDescription",
        client.request(ops::UpdateModelDescription::new(
            m,
            body::<scenario_sdk::types::ModelDescriptionUpdateRequest>(
                json!({"description": "A hero model"})
            )
        ))
    );
    check!(
        outcomes,
        "getModelPromptGuide",
        client.request(ops::GetModelPromptGuide::new(m))
    );
    check!(
        outcomes,
        "updateModelPromptGuide",
        client.request(ops::UpdateModelPromptGuide::new(
            m,
            body::<scenario_sdk::types::ModelPromptGuideUpdateRequest>(
                json!({"promptGuide": "Say sks hero"})
            )
        ))
    );
    check!(
        outcomes,
        "getModelPromptScore",
        client
            .request(ops::GetModelPromptScore::new(m))
            .prompt("a sks hero")
    );
    check!(
        outcomes,
        "getModelTrainingDatasetScore",
        client.request(ops::GetModelTrainingDatasetScore::new(m))
    );

    let c = "col_1";
    check!(
        outcomes,
        "listCollections",
        client
            .request(ops::ListCollections::new())
            .page_size(5)
            .pagination_token("token_1")
    );
    check!(
        outcomes,
        "createCollection",
        client.request(ops::CreateCollection::new(body::<
            scenario_sdk::types::CollectionCreateRequest,
        >(
            json!({"name": "Heroes"})
        )))
    );
    check!(
        outcomes,
        "getCollection",
        client.request(ops::GetCollection::new(c))
    );
    check!(
        outcomes,
        "updateCollection",
        client.request(ops::UpdateCollection::new(
            c,
            body::<scenario_sdk::types::CollectionUpdateRequest>(
                json!({"name": "Villains", "thumbnail": "asset_1"})
            )
        ))
    );
    check!(
        outcomes,
        "deleteCollection",
        client.request(ops::DeleteCollection::new(c))
    );
    check!(
        outcomes,
        "addCollectionAssets",
        client.request(ops::AddCollectionAssets::new(
            c,
            body::<scenario_sdk::types::AssetIdsRequest>(json!({"assetIds": ["asset_1"]}))
        ))
    );
    check!(
        outcomes,
        "removeCollectionAssets",
        client.request(ops::RemoveCollectionAssets::new(
            c,
            body::<scenario_sdk::types::AssetIdsRequest>(json!({"assetIds": ["asset_1"]}))
        ))
    );
    check!(
        outcomes,
        "addCollectionModels",
        client.request(ops::AddCollectionModels::new(
            c,
            body::<scenario_sdk::types::CollectionModelsRequest>(json!({"modelIds": ["model_1"]}))
        ))
    );
    check!(
        outcomes,
        "removeCollectionModels",
        client.request(ops::RemoveCollectionModels::new(
            c,
            body::<scenario_sdk::types::CollectionModelsRequest>(json!({"modelIds": ["model_1"]}))
        ))
    );

    check!(outcomes, "searchAssets", client.request(ops::SearchAssets::new(body::<scenario_sdk::types::SearchAssetsRequest>(
        json!({"query": "castle", "limit": 10.0, "offset": 0.0, "images": {"like": ["asset_1"]}, "sortBy": ["createdAt:desc"]}))))
        .original_assets(true));
    check!(
        outcomes,
        "searchModels",
        client.request(ops::SearchModels::new(body::<
            scenario_sdk::types::SearchAssetsRequest,
        >(
            json!({"query": "hero", "page": 1.0, "hitsPerPage": 5.0})
        )))
    );
    check!(
        outcomes,
        "searchWorkflows",
        client.request(ops::SearchWorkflows::new(body::<
            scenario_sdk::types::SearchWorkflowsRequest,
        >(
            json!({"query": "upscale"})
        )))
    );
    check!(
        outcomes,
        "listRecommendedModels",
        client
            .request(ops::ListRecommendedModels::new())
            .capabilities([ModelCapabilities::Txt2img, ModelCapabilities::Img2img])
            .limit(5.0)
            .next_token("token_1")
            .privacy(ModelPrivacy::Private)
            .type_(ModelType::Flux1Lora)
    );
    check!(
        outcomes,
        "listTags",
        client.request(ops::ListTags::new()).page_size(20)
    );
    check!(
        outcomes,
        "listUsages",
        client
            .request(ops::ListUsages::new())
            .time_range(UsageTimeRange::LastDay)
            .type_([UsageType::Usages, UsageType::Consumption])
            .start_date("2024-01-01T00:00:00.000Z")
    );
    check!(
        outcomes,
        "getOscuPrices",
        client.request(ops::GetOscuPrices::new())
    );
}

/// Every operation of the workflows area, with its parameters set.
async fn every_workflows_operation(
    client: &scenario_sdk::Client,
    outcomes: &mut Vec<(&'static str, Result<usize, String>)>,
) {
    use scenario_sdk::ops;
    use scenario_sdk::types::{
        DryRun, JobFlowType, SortDirection, WorkflowEditStatus, WorkflowPrivacy, WorkflowStatus,
    };
    use serde_json::json;

    let w = "workflow_1";
    check!(
        outcomes,
        "listWorkflows",
        client
            .request(ops::ListWorkflows::new())
            .full(false)
            .page_size(5)
            .pagination_token("token_1")
            .privacy(WorkflowPrivacy::Private)
            .project_id("proj_1")
            .sort_direction(SortDirection::Asc)
            .status(WorkflowEditStatus::Ready)
            .tags("a,b")
    );
    check!(
        outcomes,
        "createWorkflow",
        client
            .request(ops::CreateWorkflow::new(body::<
                scenario_sdk::types::WorkflowCreateRequest,
            >(
                json!({"name": "Foxes", "description": "Makes foxes"})
            )))
            .project_id("proj_1")
    );
    check!(
        outcomes,
        "listWorkflowTags",
        client
            .request(ops::ListWorkflowTags::new())
            .status(WorkflowStatus::Draft)
    );
    check!(
        outcomes,
        "getWorkflow",
        client.request(ops::GetWorkflow::new(w))
    );
    check!(
        outcomes,
        "updateWorkflow",
        client.request(ops::UpdateWorkflow::new(
            w,
            body::<scenario_sdk::types::WorkflowUpdateRequest>(json!({
                "name": "Foxes 2",
                "status": "ready",
                "tagSet": ["fox"],
                "flow": [{"id": "a", "type": JobFlowType::Model.as_str(), "modelId": "model_1"}],
                "inputs": [{"name": "prompt", "type": "string", "required": {"always": true}}],
            }))
        ))
    );
    check!(
        outcomes,
        "deleteWorkflow",
        client.request(ops::DeleteWorkflow::new(w))
    );
    check!(
        outcomes,
        "runWorkflow",
        client
            .request(ops::RunWorkflow::new(
                w,
                body::<scenario_sdk::types::RunWorkflowRequest>(json!({"prompt": "a fox"}))
            ))
            .dry_run(DryRun::Api)
            .project_id("proj_1")
    );
    check!(
        outcomes,
        "workflowUserApproval",
        client.request(ops::WorkflowUserApproval::new(
            w,
            ops::WorkflowUserApprovalQuery::new("proj_1"),
            body::<scenario_sdk::types::WorkflowUserApprovalRequest>(
                json!({"nodeId": "ok", "workflowJobId": "job_1", "action": "reject"})
            )
        ))
    );
    check!(
        outcomes,
        "workflowUserSelection",
        client.request(ops::WorkflowUserSelection::new(
            w,
            ops::WorkflowUserSelectionQuery::new("proj_1"),
            body::<scenario_sdk::types::WorkflowUserSelectionRequest>(json!({
                "nodeId": "pick",
                "workflowJobId": "job_1",
                "action": "select",
                "selectedIndices": [1, 0]
            }))
        ))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mock_passes_schemathesis() {
    let Some(schemathesis) = tool("SCHEMATHESIS_BIN", "venv/bin/schemathesis") else {
        return;
    };
    let mock = scenario_mock::MockServer::builder()
        .assets(50)
        .start()
        .await
        .unwrap();
    let base_url = mock.base_url();
    let auth = format!("{}:{}", mock.api_key(), mock.api_secret());
    let spec = spec();
    let log = tempfile::NamedTempFile::new().unwrap();
    let log_file = log.reopen().unwrap();
    let log_err = log.reopen().unwrap();
    // schemathesis keeps a cache directory in its working directory.
    let workdir = tempfile::tempdir().unwrap();
    let cwd = workdir.path().to_path_buf();
    let status = tokio::task::spawn_blocking(move || {
        let child = Command::new(schemathesis)
            .current_dir(&cwd)
            .args(["run", "--no-color"])
            .arg(&spec)
            .args(["--url", &base_url, "--auth", &auth])
            .args([
                "--checks",
                "status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["--max-examples", "25", "--request-timeout", "10"])
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .expect("starting schemathesis");
        let mut guard = Guard(child);
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Some(status) = guard.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "schemathesis ran over 600 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .await
    .unwrap();
    mock.shutdown().await;
    let report = std::fs::read_to_string(log.path()).unwrap();
    eprintln!("{report}");
    assert!(
        status.success(),
        "schemathesis found failures ({status}):\n{report}"
    );
}
