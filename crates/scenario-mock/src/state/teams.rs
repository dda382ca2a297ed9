//! The fake's one team: its members and invitations, its limits, its IP filters
//! and (in `state::scoped`) its brief, watermark and webhooks. Its projects are in
//! `state::projects`.

use scenario_api::types::{
    IpFilterCreateRequest, IpFilterUpdateRequest, ProjectMember, SearchIndexPair, Team,
    TeamContext, TeamInvitation, TeamInvitationStatus, TeamLimitValues, TeamLimits,
    TeamLimitsPeriod, TeamMember, TeamMemberCreateRequest, TeamMemberUpdateRequest, TeamOverview,
    TeamPaymentStatus, TeamPlan, TeamRole, TeamSearchIndexes, TeamType, TeamUpdateRequest,
    TeamUsageValues,
};
use serde_json::{Map, Value};

use crate::builders::built;
use crate::clock::iso;
use crate::state::projects::{ProjectStore, new_project, project_member};
use crate::state::scoped::Scoped;
use crate::state::{State, Stores};

/// A day, in milliseconds: the fake's billing periods last 30.
const DAY_MS: u64 = 86_400_000;

/// Why a team request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TeamError {
    /// The team does not exist (the fake has one).
    Missing,
    /// This member is not in the team.
    Member(String),
    /// No pending invitation to this email.
    Invitation(String),
    /// This IP filter does not exist.
    Filter(String),
    /// This project does not exist.
    Project(String),
}

/// The team, its IP filters (free-form objects with an `id`) and its settings.
#[derive(Debug)]
pub(crate) struct TeamStore {
    team: Team,
    scoped: Scoped,
    filters: Vec<Map<String, Value>>,
}

/// How many models the fake's team may train at once.
pub(crate) fn parallel_training_limit() -> u32 {
    // A small whole number in the fake's table.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let limit = limit_values().parallel_training as u32;
    limit
}

/// How many of each the fake's team may have or run at once.
fn limit_values() -> TeamLimitValues {
    built(
        TeamLimitValues::builder()
            .api_keys(20.0)
            .canvas_asset_layers(50.0)
            .canvas_assets(500.0)
            .collections(200.0)
            .creative_units(10_000.0)
            .default_seats(5.0)
            .download_assets(1000.0)
            .download_model(10.0)
            .inference_batch_size(8.0)
            .max_cooldown(60.0)
            .max_training_datasets(100.0)
            .min_cooldown(0.0)
            .models(100.0)
            .otp_sessions(5.0)
            .parallel_custom_jobs(4.0)
            .parallel_inferences(8.0)
            .parallel_training(2.0)
            .parallel_workflow_runs(4.0)
            .premium_generation_samples(100.0)
            .projects(20.0)
            .scaling_factor(1.0)
            .seats(10.0)
            .snapshots_retention(30.0)
            .upload(500.0),
    )
}

impl TeamStore {
    /// The team of the fake's identity (`author_id`, an admin), with the default
    /// project `project_id` (the owner of the seeded assets) in `projects`.
    pub(crate) fn seeded(
        author_id: &str,
        project_id: &str,
        projects: &mut ProjectStore,
        now_ms: u64,
    ) -> Self {
        let id = format!(
            "team_{}",
            project_id
                .split_once('_')
                .map_or(project_id, |(_, rest)| rest)
        );
        let index = |area: &str| -> SearchIndexPair {
            built(
                SearchIndexPair::builder()
                    .private(format!("{id}_{area}_private"))
                    .public(format!("{area}_public")),
            )
        };
        let admin: TeamMember = built(
            TeamMember::builder()
                .id(author_id.to_owned())
                .email(format!("{author_id}@example.com"))
                .role(TeamRole::Admin)
                .created_at(iso(now_ms))
                .updated_at(iso(now_ms)),
        );
        let team: Team = built(
            Team::builder()
                .id(id.clone())
                .name("Scenario mock team".to_owned())
                .created_at(iso(now_ms))
                .updated_at(iso(now_ms))
                .invitations(Vec::new())
                .keys(Vec::new())
                .payment_status(TeamPaymentStatus::Succeeded)
                .plan(TeamPlan::Enterprise)
                .projects(Vec::new())
                .search_host("http://127.0.0.1/search".to_owned())
                .search_indexes(built::<TeamSearchIndexes, _>(
                    TeamSearchIndexes::builder()
                        .assets(index("assets"))
                        .models(index("models"))
                        .workflows(index("workflows")),
                ))
                .type_(TeamType::Shared)
                .users(vec![admin]),
        );
        let store = Self {
            team,
            scoped: Scoped::default(),
            filters: Vec::new(),
        };
        let first = store
            .project_member(author_id, None, now_ms)
            .into_iter()
            .collect();
        projects.insert(new_project(
            project_id.to_owned(),
            id,
            "Default project".to_owned(),
            false,
            first,
            now_ms,
        ));
        store
    }

    pub(crate) fn id(&self) -> &str {
        &self.team.id
    }

    pub(crate) fn scoped_mut(&mut self, id: &str) -> Option<&mut Scoped> {
        (id == self.team.id).then_some(&mut self.scoped)
    }

    /// How team member `id` appears in a project (with `role` there); `None` if
    /// they are not in the team.
    pub(crate) fn project_member(
        &self,
        id: &str,
        role: Option<String>,
        now_ms: u64,
    ) -> Option<ProjectMember> {
        self.team
            .users
            .iter()
            .find(|u| u.id == id)
            .map(|u| project_member(&u.id, &u.email, role, now_ms))
    }

    fn full(&self, projects: &ProjectStore) -> Team {
        let mut team = self.team.clone();
        team.projects = projects.team_projects();
        team
    }

    fn overview(&self, projects: &ProjectStore) -> TeamOverview {
        let t = &self.team;
        let pending = t
            .invitations
            .iter()
            .filter(|i| i.status == TeamInvitationStatus::Pending)
            .count();
        // Counts of the fake's team stay far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let context: TeamContext = built(
            TeamContext::builder()
                .invitations_count(pending as f64)
                .keys_count(t.keys.len() as f64)
                .users_count(t.users.len() as f64)
                .user_role(TeamRole::Admin),
        );
        built(
            TeamOverview::builder()
                .id(t.id.clone())
                .name(t.name.clone())
                .created_at(t.created_at.clone())
                .updated_at(t.updated_at.clone())
                .context(context)
                .plan(t.plan.clone())
                .type_(t.type_.clone())
                .projects(projects.team_projects())
                .avatar(t.avatar.clone())
                .byok(t.byok.clone())
                .default_user_max_consumption(t.default_user_max_consumption)
                .ip_detection_enforcement(t.ip_detection_enforcement.clone())
                .quality_gate_auto_detect(t.quality_gate_auto_detect)
                .settings(t.settings.clone()),
        )
    }
}

impl State {
    /// Runs `f` on the team `id` (refused unless it is the fake's team) and its
    /// projects, with the time.
    fn with_team<R>(
        &self,
        id: &str,
        f: impl FnOnce(
            &mut TeamStore,
            &mut ProjectStore,
            &mut crate::ids::Ids,
            u64,
        ) -> Result<R, TeamError>,
    ) -> Result<R, TeamError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            team,
            projects,
            ids,
            ..
        } = &mut *stores;
        if id != team.id() {
            return Err(TeamError::Missing);
        }
        f(team, projects, ids, now_ms)
    }

    pub(crate) fn teams(&self) -> Vec<TeamOverview> {
        let stores = self.stores();
        vec![stores.team.overview(&stores.projects)]
    }

    pub(crate) fn team(&self, id: &str) -> Result<Team, TeamError> {
        self.with_team(id, |team, projects, _, _| Ok(team.full(projects)))
    }

    pub(crate) fn update_team(
        &self,
        id: &str,
        request: TeamUpdateRequest,
    ) -> Result<TeamOverview, TeamError> {
        self.with_team(id, |store, projects, _, now_ms| {
            let team = &mut store.team;
            if let Some(name) = request.name {
                team.name = name;
            }
            if request.default_user_max_consumption.is_some() {
                team.default_user_max_consumption = request.default_user_max_consumption;
            }
            if request.ip_detection_enforcement.is_some() {
                team.ip_detection_enforcement = request.ip_detection_enforcement;
            }
            if request.quality_gate_auto_detect.is_some() {
                team.quality_gate_auto_detect = request.quality_gate_auto_detect;
            }
            if let Some(settings) = request.settings {
                let homepage = settings.homepage.and_then(|h| match h {
                    Value::Object(map) => Some(map),
                    _ => None,
                });
                team.settings = Some(built(
                    scenario_api::types::HomepageSettings::builder()
                        .homepage(homepage.unwrap_or_default()),
                ));
            }
            team.updated_at = iso(now_ms);
            Ok(store.overview(projects))
        })
    }

    /// The limits of the team, and what it uses now.
    pub(crate) fn team_limits(&self, id: &str) -> Result<TeamLimits, TeamError> {
        self.with_team(id, |store, projects, _, now_ms| {
            let t = &store.team;
            // Counts of the fake's team stay far below 2^53.
            #[allow(clippy::cast_precision_loss)]
            let values: TeamUsageValues = built(
                TeamUsageValues::builder()
                    .api_keys(t.keys.len() as f64)
                    .canvas_assets(0.0)
                    .collections(0.0)
                    .creative_units(0.0)
                    .projects(projects.len() as f64)
                    .seats(t.users.len() as f64),
            );
            let start = now_ms - now_ms % (30 * DAY_MS);
            Ok(built(
                TeamLimits::builder()
                    .limits(limit_values())
                    .one_shot_creative_units(Vec::new())
                    .period(built::<TeamLimitsPeriod, _>(
                        TeamLimitsPeriod::builder()
                            .start(iso(start))
                            .end(iso(start + 30 * DAY_MS)),
                    ))
                    .plan(t.plan.clone())
                    .values(values),
            ))
        })
    }

    /// Invites a person by email (into some projects of the team).
    pub(crate) fn invite_team_member(
        &self,
        id: &str,
        request: TeamMemberCreateRequest,
        url_base: &str,
    ) -> Result<TeamOverview, TeamError> {
        self.with_team(id, |store, projects, ids, now_ms| {
            if let Some(missing) = request
                .project_ids
                .iter()
                .find(|p| projects.scoped_mut(p).is_none())
            {
                return Err(TeamError::Project(missing.clone()));
            }
            let invitation: TeamInvitation = built(
                TeamInvitation::builder()
                    .email(request.email)
                    .role(
                        request
                            .role
                            .map_or(TeamRole::Member, |r| TeamRole::from(r.as_str())),
                    )
                    .status(TeamInvitationStatus::Pending)
                    .project_ids(request.project_ids)
                    .created_at(iso(now_ms))
                    .url(format!("{url_base}/invitations/{}", ids.next("inv"))),
            );
            store.team.invitations.push(invitation);
            Ok(store.overview(projects))
        })
    }

    /// Withdraws the pending invitation sent to `email`.
    pub(crate) fn withdraw_invitation(&self, id: &str, email: &str) -> Result<(), TeamError> {
        self.with_team(id, |store, _, _, _| {
            let invitation = store
                .team
                .invitations
                .iter_mut()
                .find(|i| i.email == email && i.status == TeamInvitationStatus::Pending)
                .ok_or_else(|| TeamError::Invitation(email.to_owned()))?;
            invitation.status = TeamInvitationStatus::Withdrawn;
            Ok(())
        })
    }

    pub(crate) fn update_team_member(
        &self,
        id: &str,
        member: &str,
        request: TeamMemberUpdateRequest,
    ) -> Result<(), TeamError> {
        self.with_team(id, |store, _, _, now_ms| {
            let user = store
                .team
                .users
                .iter_mut()
                .find(|u| u.id == member)
                .ok_or_else(|| TeamError::Member(member.to_owned()))?;
            if let Some(role) = request.role {
                user.role = TeamRole::from(role);
            }
            if request.max_consumption.is_some() {
                user.max_consumption = request.max_consumption.filter(|m| *m >= 0.0);
            }
            user.updated_at = iso(now_ms);
            Ok(())
        })
    }

    /// Takes a member out of the team and of its projects.
    pub(crate) fn remove_team_member(&self, id: &str, member: &str) -> Result<(), TeamError> {
        self.with_team(id, |store, projects, _, _| {
            let before = store.team.users.len();
            store.team.users.retain(|u| u.id != member);
            if store.team.users.len() == before {
                return Err(TeamError::Member(member.to_owned()));
            }
            projects.forget_member(member);
            Ok(())
        })
    }

    pub(crate) fn create_ip_filter(
        &self,
        id: &str,
        request: IpFilterCreateRequest,
    ) -> Result<Value, TeamError> {
        self.with_team(id, |store, _, ids, now_ms| {
            let mut filter = match serde_json::to_value(&request) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            filter.insert("id".to_owned(), Value::String(ids.next("ipf")));
            filter.insert("createdAt".to_owned(), Value::String(iso(now_ms)));
            filter.insert("updatedAt".to_owned(), Value::String(iso(now_ms)));
            store.filters.push(filter.clone());
            Ok(Value::Object(filter))
        })
    }

    pub(crate) fn ip_filters(&self, id: &str) -> Result<Vec<Value>, TeamError> {
        self.with_team(id, |store, _, _, _| {
            Ok(store.filters.iter().cloned().map(Value::Object).collect())
        })
    }

    pub(crate) fn update_ip_filter(
        &self,
        id: &str,
        filter: &str,
        request: IpFilterUpdateRequest,
    ) -> Result<Value, TeamError> {
        self.with_team(id, |store, _, _, now_ms| {
            let kept = store
                .filters
                .iter_mut()
                .find(|f| f.get("id").and_then(Value::as_str) == Some(filter))
                .ok_or_else(|| TeamError::Filter(filter.to_owned()))?;
            if let Ok(Value::Object(changes)) = serde_json::to_value(&request) {
                kept.extend(changes);
            }
            kept.insert("updatedAt".to_owned(), Value::String(iso(now_ms)));
            Ok(Value::Object(kept.clone()))
        })
    }

    pub(crate) fn delete_ip_filter(&self, id: &str, filter: &str) -> Result<(), TeamError> {
        self.with_team(id, |store, _, _, _| {
            let before = store.filters.len();
            store
                .filters
                .retain(|f| f.get("id").and_then(Value::as_str) != Some(filter));
            if store.filters.len() == before {
                return Err(TeamError::Filter(filter.to_owned()));
            }
            Ok(())
        })
    }

    /// Whether `id` is the fake's team (for answers that need nothing else).
    pub(crate) fn team_exists(&self, id: &str) -> bool {
        self.stores().team.id() == id
    }
}
