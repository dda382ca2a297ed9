//! What projects and teams both have, kept the same way for each: a creative
//! brief, a watermark, webhook endpoints with the events sent to them, and text
//! documents (instructions, memory). Projects (`state::projects`) and the team
//! (`state::teams`) each hold one [`Scoped`]; [`State::scoped`] finds it.

use scenario_api::types::{
    Brief, BriefUpdateRequest, ScopeLevel, ScopeMemory, Watermark, WatermarkPlacement,
    WatermarkUpdateRequest, WebhookEndpoint, WebhookEndpointCreateRequest,
    WebhookEndpointUpdateRequest, WebhookEndpointWithSecret, WebhookEvent, WebhookEventAttempt,
    WebhookEventStatus, WebhookEventSummary, WebhookEventType,
};
use serde_json::Value;

use crate::builders::built;
use crate::clock::iso;
use crate::ids::Ids;
use crate::state::{State, Stores};

/// The owner of scoped settings: a project or a team, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Project(String),
    Team(String),
}

impl Scope {
    fn level(&self) -> ScopeLevel {
        match self {
            Scope::Project(_) => ScopeLevel::Project,
            Scope::Team(_) => ScopeLevel::Team,
        }
    }

    /// The id of the project or team.
    pub(crate) fn id(&self) -> &str {
        match self {
            Scope::Project(id) | Scope::Team(id) => id,
        }
    }
}

/// Why a request about scoped settings is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScopedError {
    /// The project or team does not exist.
    Owner,
    /// Nothing of this kind is set (no brief, no watermark...).
    Unset(&'static str),
    /// This webhook endpoint does not exist.
    Endpoint(String),
    /// This webhook event does not exist.
    Event(String),
}

/// A webhook endpoint, its signing secret and the events sent to it (oldest first).
#[derive(Debug)]
struct Hook {
    endpoint: WebhookEndpoint,
    secret: String,
    events: Vec<WebhookEvent>,
}

/// The settings of one project or team.
#[derive(Debug, Default)]
pub(crate) struct Scoped {
    brief: Option<Brief>,
    watermark: Option<Watermark>,
    hooks: Vec<Hook>,
    instructions: Option<ScopeMemory>,
    memory: Option<ScopeMemory>,
}

/// Which text document of a scope.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Document {
    Instructions,
    Memory,
}

/// What a request changes, with what it needs to do it.
pub(crate) struct Change<'a> {
    pub(crate) scope: &'a Scope,
    pub(crate) author: &'a str,
    pub(crate) ids: &'a mut Ids,
    pub(crate) now_ms: u64,
}

fn summary(event: &WebhookEvent) -> WebhookEventSummary {
    built(
        WebhookEventSummary::builder()
            .id(event.id.clone())
            .endpoint_id(event.endpoint_id.clone())
            .status(event.status.clone())
            .type_(event.type_.clone())
            .updated_at(event.updated_at.clone()),
    )
}

impl Scoped {
    pub(crate) fn brief(&self) -> Result<Brief, ScopedError> {
        self.brief.clone().ok_or(ScopedError::Unset("brief"))
    }

    pub(crate) fn set_brief(&mut self, request: BriefUpdateRequest, change: Change<'_>) -> Brief {
        let now = iso(change.now_ms);
        let (id, created_at, created_by) = match &self.brief {
            Some(brief) => (
                brief.id.clone(),
                brief.created_at.clone(),
                brief.created_by.clone(),
            ),
            None => (
                change.ids.next("brief"),
                now.clone(),
                change.author.to_owned(),
            ),
        };
        let brief: Brief = built(
            Brief::builder()
                .id(id)
                .body(request.body)
                .enabled(request.enabled.unwrap_or(true))
                .level(change.scope.level())
                .reference_asset_ids(request.reference_asset_ids)
                .scope_id(change.scope.id().to_owned())
                .sensitivity(request.sensitivity)
                .created_at(created_at)
                .created_by(created_by)
                .updated_at(now),
        );
        self.brief = Some(brief.clone());
        brief
    }

    pub(crate) fn delete_brief(&mut self) -> Result<(), ScopedError> {
        self.brief
            .take()
            .map(drop)
            .ok_or(ScopedError::Unset("brief"))
    }

    pub(crate) fn watermark(&self) -> Result<Watermark, ScopedError> {
        self.watermark
            .clone()
            .ok_or(ScopedError::Unset("watermark"))
    }

    /// Saves a watermark configuration; what the request leaves out keeps its
    /// value (or the default of a first configuration).
    pub(crate) fn set_watermark(
        &mut self,
        request: WatermarkUpdateRequest,
        change: Change<'_>,
    ) -> Watermark {
        let now = iso(change.now_ms);
        let previous = self.watermark.take();
        let watermark: Watermark = match previous {
            Some(mut watermark) => {
                watermark.enabled = request.enabled;
                watermark.opacity = request.opacity.unwrap_or(watermark.opacity);
                watermark.placement = request.placement.unwrap_or(watermark.placement);
                watermark.rotation = request.rotation.unwrap_or(watermark.rotation);
                watermark.scale = request.scale.unwrap_or(watermark.scale);
                watermark.spacing = request.spacing.unwrap_or(watermark.spacing);
                watermark.text = request.text.or(watermark.text);
                watermark.version += 1.0;
                watermark.updated_at = now;
                watermark
            }
            None => built(
                Watermark::builder()
                    .id(change.ids.next("wm"))
                    .created_at(now.clone())
                    .created_by(change.author.to_owned())
                    .enabled(request.enabled)
                    .level(change.scope.level())
                    .opacity(request.opacity.unwrap_or(0.5))
                    .placement(request.placement.unwrap_or(WatermarkPlacement::BottomRight))
                    .rotation(request.rotation.unwrap_or(0.0))
                    .scale(request.scale.unwrap_or(0.2))
                    .spacing(request.spacing.unwrap_or(0.5))
                    .scope_id(change.scope.id().to_owned())
                    .text(request.text)
                    .updated_at(now)
                    .version(1.0),
            ),
        };
        self.watermark = Some(watermark.clone());
        watermark
    }

    pub(crate) fn delete_watermark(&mut self) -> Result<(), ScopedError> {
        self.watermark
            .take()
            .map(drop)
            .ok_or(ScopedError::Unset("watermark"))
    }

    /// Sets (`Some`) or removes (`None`) the logo of the watermark.
    pub(crate) fn set_logo(
        &mut self,
        logo: Option<String>,
        now_ms: u64,
    ) -> Result<Watermark, ScopedError> {
        let watermark = self
            .watermark
            .as_mut()
            .ok_or(ScopedError::Unset("watermark"))?;
        watermark.logo_is_opaque = logo.as_ref().map(|_| false);
        watermark.logo_key = logo;
        watermark.version += 1.0;
        watermark.updated_at = iso(now_ms);
        Ok(watermark.clone())
    }

    pub(crate) fn create_hook(
        &mut self,
        request: WebhookEndpointCreateRequest,
        change: Change<'_>,
    ) -> WebhookEndpointWithSecret {
        let now = iso(change.now_ms);
        let endpoint: WebhookEndpoint = built(
            WebhookEndpoint::builder()
                .id(change.ids.next("whe"))
                .created_at(now.clone())
                .updated_at(now)
                .enabled(true)
                .enabled_events(request.enabled_events)
                .nb_failed_calls(0.0)
                .nb_total_calls(0.0)
                .owner_id(change.scope.id().to_owned())
                .owner_type(change.scope.level())
                .url(request.url)
                .description(request.description),
        );
        let hook = Hook {
            secret: format!("whsec_{}", change.ids.next("s")),
            endpoint,
            events: Vec::new(),
        };
        let shown = with_secret(&hook);
        self.hooks.push(hook);
        shown
    }

    pub(crate) fn hooks(&self) -> Vec<WebhookEndpoint> {
        self.hooks.iter().map(|h| h.endpoint.clone()).collect()
    }

    fn hook_mut(&mut self, id: &str) -> Result<&mut Hook, ScopedError> {
        self.hooks
            .iter_mut()
            .find(|h| h.endpoint.id == id)
            .ok_or_else(|| ScopedError::Endpoint(id.to_owned()))
    }

    pub(crate) fn update_hook(
        &mut self,
        id: &str,
        request: WebhookEndpointUpdateRequest,
        now_ms: u64,
    ) -> Result<WebhookEndpoint, ScopedError> {
        let endpoint = &mut self.hook_mut(id)?.endpoint;
        if let Some(url) = request.url {
            endpoint.url = url;
        }
        if let Some(enabled) = request.enabled {
            endpoint.enabled = enabled;
        }
        if !request.enabled_events.is_empty() {
            endpoint.enabled_events = request.enabled_events;
        }
        if request.description.is_some() {
            endpoint.description = request.description;
        }
        endpoint.updated_at = iso(now_ms);
        Ok(endpoint.clone())
    }

    pub(crate) fn delete_hook(&mut self, id: &str) -> Result<(), ScopedError> {
        let before = self.hooks.len();
        self.hooks.retain(|h| h.endpoint.id != id);
        if self.hooks.len() == before {
            return Err(ScopedError::Endpoint(id.to_owned()));
        }
        Ok(())
    }

    /// Sends an event to every enabled endpoint subscribed to its type (or to
    /// every type): the fake's deliveries succeed at once, on the first attempt.
    pub(crate) fn deliver(
        &mut self,
        type_: &WebhookEventType,
        payload: &Value,
        ids: &mut Ids,
        now_ms: u64,
    ) {
        let now = iso(now_ms);
        for hook in &mut self.hooks {
            let endpoint = &mut hook.endpoint;
            let subscribed = endpoint
                .enabled_events
                .iter()
                .any(|e| e == type_ || *e == WebhookEventType::X);
            if !endpoint.enabled || !subscribed {
                continue;
            }
            endpoint.nb_total_calls += 1.0;
            hook.events.push(built(
                WebhookEvent::builder()
                    .id(ids.next("evt"))
                    .endpoint_id(endpoint.id.clone())
                    .type_(type_.clone())
                    .status(WebhookEventStatus::Success)
                    .payload(payload.clone())
                    .attempts(vec![built::<WebhookEventAttempt, _>(
                        WebhookEventAttempt::builder()
                            .response_status_code(200.0)
                            .sent_at(now.clone()),
                    )])
                    .created_at(now.clone())
                    .sent_at(now.clone())
                    .updated_at(now.clone()),
            ));
        }
    }

    /// The events of an endpoint, newest first.
    pub(crate) fn events(&mut self, id: &str) -> Result<Vec<WebhookEventSummary>, ScopedError> {
        Ok(self
            .hook_mut(id)?
            .events
            .iter()
            .rev()
            .map(summary)
            .collect())
    }

    pub(crate) fn event(&mut self, id: &str, event: &str) -> Result<WebhookEvent, ScopedError> {
        self.hook_mut(id)?
            .events
            .iter()
            .find(|e| e.id == event)
            .cloned()
            .ok_or_else(|| ScopedError::Event(event.to_owned()))
    }

    /// A text document; an empty one when nothing was written yet.
    pub(crate) fn document(&self, which: Document, scope: &Scope, now_ms: u64) -> ScopeMemory {
        let kept = match which {
            Document::Instructions => &self.instructions,
            Document::Memory => &self.memory,
        };
        kept.clone()
            .unwrap_or_else(|| document(which, scope, String::new(), "", now_ms))
    }

    pub(crate) fn set_document(
        &mut self,
        which: Document,
        content: String,
        change: Change<'_>,
    ) -> ScopeMemory {
        let slot = match which {
            Document::Instructions => &mut self.instructions,
            Document::Memory => &mut self.memory,
        };
        let mut kept = document(which, change.scope, content, change.author, change.now_ms);
        if let Some(previous) = slot.as_ref() {
            kept.created_at.clone_from(&previous.created_at);
        }
        *slot = Some(kept.clone());
        kept
    }
}

fn document(
    which: Document,
    scope: &Scope,
    content: String,
    author: &str,
    now_ms: u64,
) -> ScopeMemory {
    let kind = match which {
        Document::Instructions => "instructions",
        Document::Memory => "memory",
    };
    // Byte counts of the fake's documents stay far below 2^53.
    #[allow(clippy::cast_precision_loss)]
    let size = content.len() as f64;
    built(
        ScopeMemory::builder()
            .id(format!("mem_{kind}_{}", scope.id()))
            .content(content)
            .created_at(iso(now_ms))
            .updated_at(iso(now_ms))
            .updated_by(author.to_owned())
            .size_bytes(size),
    )
}

fn with_secret(hook: &Hook) -> WebhookEndpointWithSecret {
    let e = &hook.endpoint;
    built(
        WebhookEndpointWithSecret::builder()
            .id(e.id.clone())
            .created_at(e.created_at.clone())
            .updated_at(e.updated_at.clone())
            .enabled(e.enabled)
            .enabled_events(e.enabled_events.clone())
            .nb_failed_calls(e.nb_failed_calls)
            .nb_total_calls(e.nb_total_calls)
            .owner_id(e.owner_id.clone())
            .owner_type(e.owner_type.clone())
            .url(e.url.clone())
            .description(e.description.clone())
            .secret(hook.secret.clone()),
    )
}

/// Sends an event about project `project` to the endpoints of the project and
/// of its team.
pub(super) fn notify(
    stores: &mut Stores,
    project: &str,
    type_: &WebhookEventType,
    payload: &Value,
    now_ms: u64,
) {
    let Stores {
        projects,
        team,
        ids,
        ..
    } = stores;
    if let Some(scoped) = projects.scoped_mut(project) {
        scoped.deliver(type_, payload, ids, now_ms);
    }
    let team_id = team.id().to_owned();
    if let Some(scoped) = team.scoped_mut(&team_id) {
        scoped.deliver(type_, payload, ids, now_ms);
    }
}

impl State {
    /// Runs `f` on the settings of `scope` (a missing owner is refused), with the
    /// ids, the author and the time a change needs.
    pub(crate) fn scoped<R>(
        &self,
        scope: &Scope,
        f: impl FnOnce(&mut Scoped, Change<'_>) -> Result<R, ScopedError>,
    ) -> Result<R, ScopedError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            projects,
            team,
            ids,
            ..
        } = &mut *stores;
        let scoped = match scope {
            Scope::Project(id) => projects.scoped_mut(id),
            Scope::Team(id) => team.scoped_mut(id),
        }
        .ok_or(ScopedError::Owner)?;
        f(
            scoped,
            Change {
                scope,
                author: &self.identity.author_id,
                ids,
                now_ms,
            },
        )
    }
}
