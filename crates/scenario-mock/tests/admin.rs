//! Projects and the team in the fake: a created project is listed (across
//! pages) and retrievable; an API key's secret is shown at creation and nowhere
//! after, and a deleted key is gone; webhook endpoints round-trip (create with a
//! secret, list without, update, delete, 404s); members and invitations are
//! stored; briefs, watermarks and documents round-trip; the team's limits read;
//! a generation is announced to the subscribed endpoints; IP filters round-trip.

mod common;

use common::{Api, api_error};
use reqwest::Method;
use scenario_api::types::{
    ApiKeyCreated, BriefResponse, DeletedResponse, IpFilterListResponse, IpFilterResponse,
    MemoryResponse, MemoryUpdateResponse, Project, ProjectListResponse, ProjectResponse,
    RunModelResponse, TeamInvitationStatus, TeamLimits, TeamListResponse, TeamOverviewResponse,
    TeamResponse, WatermarkPlacement, WatermarkPreviewResponse, WatermarkResponse,
    WebhookEndpointListResponse, WebhookEndpointResponse, WebhookEndpointUpdateResponse,
    WebhookEventListResponse, WebhookEventResponse, WebhookEventStatus, WebhookEventType,
};
use serde_json::{Value, json};

async fn send(api: &Api, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
    let request = api
        .http
        .request(method, api.url(path))
        .basic_auth(api.server.api_key(), Some(api.server.api_secret()));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn ok<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn team_id(api: &Api) -> String {
    let teams: TeamListResponse = ok(send(api, Method::GET, "/teams", None).await).await;
    assert_eq!(teams.teams.len(), 1, "the fake's identity owns one team");
    teams.teams[0].id.clone()
}

async fn create_project(api: &Api, name: &str) -> Project {
    let created: ProjectResponse =
        ok(send(api, Method::POST, "/projects", Some(json!({"name": name}))).await).await;
    created.project
}

async fn all_projects(api: &Api, page_size: u32) -> Vec<Project> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut path = format!("/projects?pageSize={page_size}");
        if let Some(token) = &token {
            path.push_str(&format!("&paginationToken={token}"));
        }
        let page: ProjectListResponse = ok(send(api, Method::GET, &path, None).await).await;
        assert!(page.projects.len() <= page_size as usize);
        out.extend(page.projects);
        match page.next_pagination_token {
            Some(next) => token = Some(next),
            None => return out,
        }
    }
}

#[tokio::test]
async fn a_created_project_is_listed_and_retrievable() {
    let api = Api::start().await;
    let team = team_id(&api).await;
    let before = all_projects(&api, 100).await;
    assert_eq!(
        before.len(),
        1,
        "the default project the seeded assets belong to"
    );
    let mut names = Vec::new();
    for n in 0..3 {
        let project = create_project(&api, &format!("Level {n}")).await;
        assert_eq!(project.team_id, team);
        assert!(!project.privacy_mode);
        names.push(project.name);
    }
    let listed = all_projects(&api, 2).await;
    assert_eq!(listed.len(), 4);
    let listed_names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    for name in &names {
        assert!(
            listed_names.contains(&name.as_str()),
            "{name} in {listed_names:?}"
        );
    }
    let id = &listed[3].id;
    let got: ProjectResponse =
        ok(send(&api, Method::GET, &format!("/projects/{id}"), None).await).await;
    assert_eq!(got.project.name, listed[3].name);
    // The creator joined it: the team's projects and its members agree.
    assert_eq!(got.project.users.len(), 1);
    let full: TeamResponse =
        ok(send(&api, Method::GET, &format!("/teams/{team}"), None).await).await;
    assert_eq!(full.team.projects.len(), 4);
    assert_eq!(full.team.users[0].id, got.project.users[0].id);

    // Updated, then deleted.
    let updated: ProjectResponse = ok(send(
        &api,
        Method::PUT,
        &format!("/projects/{id}"),
        Some(json!({"name": "Renamed", "description": "# Notes", "privacyMode": true})),
    )
    .await)
    .await;
    assert_eq!(updated.project.name, "Renamed");
    assert_eq!(updated.project.description.as_deref(), Some("# Notes"));
    assert!(updated.project.privacy_mode);
    let deleted = send(&api, Method::DELETE, &format!("/projects/{id}"), None).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(all_projects(&api, 100).await.len(), 3);
    let gone = send(&api, Method::GET, &format!("/projects/{id}"), None).await;
    assert!(api_error(gone, 404).await.contains(id.as_str()));

    // Refusals: an empty name, another team.
    let empty = send(&api, Method::POST, "/projects", Some(json!({"name": " "}))).await;
    api_error(empty, 400).await;
    let elsewhere = send(
        &api,
        Method::POST,
        "/projects?teamId=team_other",
        Some(json!({"name": "x"})),
    )
    .await;
    api_error(elsewhere, 404).await;
}

#[tokio::test]
async fn an_api_key_secret_is_shown_once_and_a_deleted_key_is_gone() {
    let api = Api::start().await;
    let project = create_project(&api, "Keys").await;
    let path = format!("/projects/{}/api-keys", project.id);
    let created: ApiKeyCreated = ok(send(
        &api,
        Method::POST,
        &path,
        Some(json!({"name": "ci", "role": "reader"})),
    )
    .await)
    .await;
    assert!(!created.secret.is_empty());
    assert_eq!(created.owner_id.as_deref(), Some(project.id.as_str()));

    let response = send(
        &api,
        Method::GET,
        &format!("/projects/{}", project.id),
        None,
    )
    .await;
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(&created.secret),
        "the secret is not listed: {text}"
    );
    let got: ProjectResponse = serde_json::from_str(&text).unwrap();
    assert_eq!(got.project.keys.len(), 1);
    let key = &got.project.keys[0];
    assert_eq!(key.api_key_id, created.id);
    assert_eq!(key.id, created.user_id);
    assert_eq!(key.name, "ci");
    assert_eq!(key.role, "reader");

    let other: ApiKeyCreated = ok(send(&api, Method::POST, &path, Some(json!({}))).await).await;
    assert_ne!(other.secret, created.secret);
    assert_ne!(other.id, created.id);

    let deleted = send(
        &api,
        Method::DELETE,
        &format!("{path}/{}", created.id),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 200);
    let got: ProjectResponse = ok(send(
        &api,
        Method::GET,
        &format!("/projects/{}", project.id),
        None,
    )
    .await)
    .await;
    let left: Vec<&str> = got
        .project
        .keys
        .iter()
        .map(|k| k.api_key_id.as_str())
        .collect();
    assert_eq!(left, [other.id.as_str()]);
    let again = send(
        &api,
        Method::DELETE,
        &format!("{path}/{}", created.id),
        None,
    )
    .await;
    api_error(again, 404).await;
    let nowhere = send(
        &api,
        Method::POST,
        "/projects/proj_none/api-keys",
        Some(json!({})),
    )
    .await;
    api_error(nowhere, 404).await;
}

#[tokio::test]
async fn webhook_endpoints_round_trip_for_projects_and_teams() {
    let api = Api::start().await;
    let project = create_project(&api, "Hooks").await;
    let team = team_id(&api).await;
    for base in [
        format!("/projects/{}", project.id),
        format!("/teams/{team}"),
    ] {
        let hooks = format!("{base}/webhook-endpoints");
        let created: WebhookEndpointResponse = ok(send(
            &api,
            Method::POST,
            &hooks,
            Some(json!({
                "url": "https://example.com/hook",
                "enabledEvents": ["generation.completed", "model.training.failed"],
                "description": "builds"
            })),
        )
        .await)
        .await;
        let hook = created.webhook_endpoint;
        assert!(!hook.secret.is_empty());
        assert!(hook.enabled);
        assert_eq!(
            hook.enabled_events,
            [
                WebhookEventType::GenerationCompleted,
                WebhookEventType::ModelTrainingFailed
            ]
        );

        let response = send(&api, Method::GET, &hooks, None).await;
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(&hook.secret),
            "a listing has no secret: {text}"
        );
        let listed: WebhookEndpointListResponse = serde_json::from_str(&text).unwrap();
        assert_eq!(listed.webhook_endpoints.len(), 1);
        assert_eq!(listed.webhook_endpoints[0].id, hook.id);

        let one = format!("{hooks}/{}", hook.id);
        let updated: WebhookEndpointUpdateResponse = ok(send(
            &api,
            Method::PUT,
            &one,
            Some(json!({"enabled": false, "url": "https://example.com/other"})),
        )
        .await)
        .await;
        assert!(!updated.webhook_endpoint.enabled);
        assert_eq!(updated.webhook_endpoint.url, "https://example.com/other");
        assert_eq!(updated.webhook_endpoint.enabled_events, hook.enabled_events);

        let events: WebhookEventListResponse =
            ok(send(&api, Method::GET, &format!("{one}/events"), None).await).await;
        assert!(events.items.is_empty());
        assert!(events.next_pagination_token.is_none());
        let event = send(&api, Method::GET, &format!("{one}/events/evt_none"), None).await;
        api_error(event, 404).await;

        // The document declares no format for url: any string is kept.
        let plain = send(
            &api,
            Method::POST,
            &hooks,
            Some(json!({"url": "url", "enabledEvents": ["*"]})),
        )
        .await;
        assert_eq!(plain.status(), 200);
        let plain: WebhookEndpointResponse = plain.json().await.unwrap();
        assert_eq!(plain.webhook_endpoint.url, "url");
        let plain = format!("{hooks}/{}", plain.webhook_endpoint.id);
        assert_eq!(send(&api, Method::DELETE, &plain, None).await.status(), 200);
        let unknown_event = send(
            &api,
            Method::POST,
            &hooks,
            Some(json!({"url": "https://example.com/h", "enabledEvents": ["nope"]})),
        )
        .await;
        api_error(unknown_event, 400).await;

        assert_eq!(send(&api, Method::DELETE, &one, None).await.status(), 200);
        let listed: WebhookEndpointListResponse =
            ok(send(&api, Method::GET, &hooks, None).await).await;
        assert!(listed.webhook_endpoints.is_empty());
        for (method, path) in [
            (Method::DELETE, one.clone()),
            (Method::PUT, one.clone()),
            (Method::GET, format!("{one}/events")),
        ] {
            let body = (method == Method::PUT).then(|| json!({}));
            api_error(send(&api, method, &path, body).await, 404).await;
        }
    }
    let nowhere = send(
        &api,
        Method::GET,
        "/teams/team_none/webhook-endpoints",
        None,
    )
    .await;
    api_error(nowhere, 404).await;
}

#[tokio::test]
async fn the_team_limits_read() {
    let api = Api::start().await;
    let team = team_id(&api).await;
    let limits: TeamLimits =
        ok(send(&api, Method::GET, &format!("/teams/{team}/limits"), None).await).await;
    assert!(limits.limits.parallel_inferences >= 1.0);
    assert!(limits.limits.parallel_training >= 1.0);
    assert!(limits.limits.projects >= 1.0);
    assert!(limits.values.projects >= 1.0, "the default project counts");
    assert!(limits.period.start < limits.period.end);
    let nowhere = send(&api, Method::GET, "/teams/team_none/limits", None).await;
    api_error(nowhere, 404).await;
}

#[tokio::test]
async fn members_and_invitations_are_stored() {
    let api = Api::start().await;
    let team = team_id(&api).await;
    let invited: TeamOverviewResponse = ok(send(
        &api,
        Method::POST,
        &format!("/teams/{team}/members"),
        Some(json!({"email": "ada@example.com", "role": "member"})),
    )
    .await)
    .await;
    assert_eq!(invited.team.context.invitations_count, 1.0);
    let full: TeamResponse =
        ok(send(&api, Method::GET, &format!("/teams/{team}"), None).await).await;
    assert_eq!(full.team.invitations.len(), 1);
    assert_eq!(full.team.invitations[0].email, "ada@example.com");
    assert_eq!(
        full.team.invitations[0].status,
        TeamInvitationStatus::Pending
    );
    let withdraw = format!("/teams/{team}/invitations?email=ada@example.com");
    assert_eq!(
        send(&api, Method::DELETE, &withdraw, None).await.status(),
        200
    );
    api_error(send(&api, Method::DELETE, &withdraw, None).await, 404).await;

    // A team member joins a project, changes role, leaves.
    let member = full.team.users[0].id.clone();
    let project = create_project(&api, "Members").await;
    let members = format!("/projects/{}/members", project.id);
    let left: ProjectResponse =
        ok(send(&api, Method::DELETE, &format!("{members}/{member}"), None).await).await;
    assert!(left.project.users.is_empty());
    api_error(
        send(&api, Method::DELETE, &format!("{members}/{member}"), None).await,
        404,
    )
    .await;
    let added: ProjectResponse = ok(send(
        &api,
        Method::POST,
        &members,
        Some(json!({"userId": member, "role": "editor"})),
    )
    .await)
    .await;
    assert_eq!(added.project.users.len(), 1);
    let changed: ProjectResponse = ok(send(
        &api,
        Method::PUT,
        &format!("{members}/{member}"),
        Some(json!({"role": "reader"})),
    )
    .await)
    .await;
    assert_eq!(changed.project.users[0].role, "reader");
    let stranger = send(
        &api,
        Method::POST,
        &members,
        Some(json!({"userId": "user_none", "role": "editor"})),
    )
    .await;
    api_error(stranger, 404).await;
}

#[tokio::test]
async fn briefs_watermarks_and_documents_round_trip() {
    let api = Api::start().await;
    let project = create_project(&api, "Settings").await;
    let team = team_id(&api).await;
    for base in [
        format!("/projects/{}", project.id),
        format!("/teams/{team}"),
    ] {
        let brief = format!("{base}/brief");
        api_error(send(&api, Method::GET, &brief, None).await, 404).await;
        let set: BriefResponse = ok(send(
            &api,
            Method::PUT,
            &brief,
            Some(json!({"body": "Pastel, low poly", "sensitivity": "high"})),
        )
        .await)
        .await;
        let got: BriefResponse = ok(send(&api, Method::GET, &brief, None).await).await;
        assert_eq!(
            serde_json::to_value(&got.brief).unwrap(),
            serde_json::to_value(&set.brief).unwrap()
        );
        assert_eq!(got.brief.body, "Pastel, low poly");
        let deleted: DeletedResponse = ok(send(&api, Method::DELETE, &brief, None).await).await;
        assert!(deleted.deleted);
        api_error(send(&api, Method::GET, &brief, None).await, 404).await;

        let watermark = format!("{base}/watermark");
        let saved: WatermarkResponse = ok(send(
            &api,
            Method::PUT,
            &watermark,
            Some(json!({"enabled": true, "text": "WIP", "placement": "tiled"})),
        )
        .await)
        .await;
        assert_eq!(saved.watermark.placement, WatermarkPlacement::Tiled);
        let logo: WatermarkResponse = ok(send(
            &api,
            Method::PUT,
            &format!("{watermark}/logo"),
            Some(json!({"logo": "iVBORw0KGgo="})),
        )
        .await)
        .await;
        assert!(logo.watermark.logo_key.is_some());
        assert!(logo.watermark.version > saved.watermark.version);
        let got: WatermarkResponse = ok(send(&api, Method::GET, &watermark, None).await).await;
        assert_eq!(
            serde_json::to_value(&got.watermark).unwrap(),
            serde_json::to_value(&logo.watermark).unwrap()
        );
        let preview: WatermarkPreviewResponse = ok(send(
            &api,
            Method::POST,
            &format!("{watermark}/preview"),
            Some(json!({"text": "draft"})),
        )
        .await)
        .await;
        assert!(preview.image.starts_with("data:image/png;base64,"));
        let bad = send(
            &api,
            Method::PUT,
            &watermark,
            Some(json!({"enabled": true, "opacity": 3})),
        )
        .await;
        api_error(bad, 400).await;
        let _: DeletedResponse = ok(send(&api, Method::DELETE, &watermark, None).await).await;
        api_error(send(&api, Method::GET, &watermark, None).await, 404).await;
    }
    for document in ["instructions", "memory"] {
        let path = format!("/projects/{}/{document}", project.id);
        let empty: MemoryResponse = ok(send(&api, Method::GET, &path, None).await).await;
        assert_eq!(empty.memory.content, "");
        let set: MemoryUpdateResponse = ok(send(
            &api,
            Method::PUT,
            &path,
            Some(json!({"content": "Always square images."})),
        )
        .await)
        .await;
        assert_eq!(set.memory.unwrap().size_bytes, 21.0);
        let got: MemoryResponse = ok(send(&api, Method::GET, &path, None).await).await;
        assert_eq!(got.memory.content, "Always square images.");
    }
}

#[tokio::test]
async fn a_generation_is_announced_to_subscribed_endpoints() {
    let api = Api::start().await;
    let team = team_id(&api).await;
    let projects = all_projects(&api, 100).await;
    let default = &projects[0].id;
    let mut hooks = Vec::new();
    for (base, events) in [
        (
            format!("/projects/{default}"),
            json!(["generation.created"]),
        ),
        (format!("/teams/{team}"), json!(["*"])),
        (format!("/teams/{team}"), json!(["model.training.failed"])),
    ] {
        let created: WebhookEndpointResponse = ok(send(
            &api,
            Method::POST,
            &format!("{base}/webhook-endpoints"),
            Some(json!({"url": "https://example.com/hook", "enabledEvents": events})),
        )
        .await)
        .await;
        hooks.push(format!(
            "{base}/webhook-endpoints/{}",
            created.webhook_endpoint.id
        ));
    }
    let run: RunModelResponse = ok(send(
        &api,
        Method::POST,
        "/generate/custom/model_1",
        Some(json!({"prompt": "a castle"})),
    )
    .await)
    .await;
    for (hook, expected) in hooks.iter().zip([1, 1, 0]) {
        let events: WebhookEventListResponse =
            ok(send(&api, Method::GET, &format!("{hook}/events"), None).await).await;
        assert_eq!(events.items.len(), expected, "{hook}");
        if let Some(item) = events.items.first() {
            assert_eq!(item.type_, WebhookEventType::GenerationCreated);
            let one: WebhookEventResponse = ok(send(
                &api,
                Method::GET,
                &format!("{hook}/events/{}", item.id),
                None,
            )
            .await)
            .await;
            let event = one.webhook_event;
            assert_eq!(event.status, WebhookEventStatus::Success);
            assert_eq!(event.attempts.len(), 1);
            assert_eq!(event.payload["jobId"], json!(run.job.job_id));
        }
    }
}

#[tokio::test]
async fn ip_filters_round_trip_and_the_team_updates() {
    let api = Api::start().await;
    let team = team_id(&api).await;
    let filters = format!("/teams/{team}/ip-filters");
    let created: IpFilterResponse = ok(send(
        &api,
        Method::POST,
        &filters,
        Some(json!({"category": "custom", "name": "Mascot", "instruction": "Flag the fox"})),
    )
    .await)
    .await;
    let id = created.filter["id"].as_str().unwrap().to_owned();
    assert_eq!(created.filter["name"], "Mascot");
    let updated: IpFilterResponse = ok(send(
        &api,
        Method::PUT,
        &format!("{filters}/{id}"),
        Some(json!({"enabled": false})),
    )
    .await)
    .await;
    assert_eq!(updated.filter["enabled"], false);
    assert_eq!(updated.filter["name"], "Mascot");
    let listed: IpFilterListResponse = ok(send(&api, Method::GET, &filters, None).await).await;
    assert_eq!(listed.filters.len(), 1);
    let bad = send(
        &api,
        Method::POST,
        &filters,
        Some(json!({"category": "nope", "name": "x"})),
    )
    .await;
    api_error(bad, 400).await;
    let deleted: DeletedResponse =
        ok(send(&api, Method::DELETE, &format!("{filters}/{id}"), None).await).await;
    assert!(deleted.deleted);
    api_error(
        send(&api, Method::DELETE, &format!("{filters}/{id}"), None).await,
        404,
    )
    .await;

    let renamed: TeamOverviewResponse = ok(send(
        &api,
        Method::PUT,
        &format!("/teams/{team}"),
        Some(json!({"name": "Studio", "ipDetectionEnforcement": "active-fail-open"})),
    )
    .await)
    .await;
    assert_eq!(renamed.team.name, "Studio");
    let full: TeamResponse =
        ok(send(&api, Method::GET, &format!("/teams/{team}"), None).await).await;
    assert_eq!(full.team.name, "Studio");
    api_error(send(&api, Method::GET, "/teams/team_none", None).await, 404).await;
}
