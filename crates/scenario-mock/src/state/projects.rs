//! Projects of the fake's team: created, listed, updated and deleted, with their
//! API keys (a secret shown once, at creation) and members. Their brief,
//! watermark, webhooks and documents are in `state::scoped`.

use std::collections::HashMap;

use scenario_api::types::{
    ApiKeyCreateRequest, ApiKeyCreated, ApiKeyProjectRole, ApiKeyStatus, HomepageSettings, Project,
    ProjectApiKey, ProjectMember, ProjectUpdateRequest, ScopeLevel, TeamProject,
};

use crate::builders::built;
use crate::clock::iso;
use crate::state::scoped::Scoped;
use crate::state::{State, Stores};

/// The role a key or member gets when the request names none.
const DEFAULT_ROLE: &str = "editor";

/// Why a project request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ProjectError {
    /// The project does not exist.
    Missing,
    /// The team does not exist.
    Team(String),
    /// This API key is not one of the project's.
    Key(String),
    /// This member is not one of the project's (or, when adding, of the team's).
    Member(String),
}

#[derive(Debug)]
struct ProjectEntry {
    project: Project,
    scoped: Scoped,
}

/// Every project, in creation order.
#[derive(Debug, Default)]
pub(crate) struct ProjectStore {
    entries: HashMap<String, ProjectEntry>,
    order: Vec<String>,
}

impl ProjectStore {
    /// Whether `id` is a project of the team.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    pub(crate) fn scoped_mut(&mut self, id: &str) -> Option<&mut Scoped> {
        self.entries.get_mut(id).map(|e| &mut e.scoped)
    }

    /// The projects as the team lists them, oldest first.
    pub(crate) fn team_projects(&self) -> Vec<TeamProject> {
        self.order
            .iter()
            .filter_map(|id| self.entries.get(id))
            .map(|e| {
                let p = &e.project;
                built(
                    TeamProject::builder()
                        .id(p.id.clone())
                        .name(p.name.clone())
                        .created_at(p.created_at.clone())
                        .updated_at(p.updated_at.clone())
                        .avatar(p.avatar.clone())
                        .disable_ip_detection(p.disable_ip_detection)
                        .quality_gate_auto_detect(p.quality_gate_auto_detect),
                )
            })
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds a project.
    pub(crate) fn insert(&mut self, project: Project) {
        self.order.push(project.id.clone());
        self.entries.insert(
            project.id.clone(),
            ProjectEntry {
                project,
                scoped: Scoped::default(),
            },
        );
    }

    /// Takes a member out of every project (they left the team).
    pub(crate) fn forget_member(&mut self, member: &str) {
        for entry in self.entries.values_mut() {
            entry.project.users.retain(|u| u.id != member);
        }
    }
}

/// A new project of `team_id`, named `name`, with `members` in it.
pub(crate) fn new_project(
    id: String,
    team_id: String,
    name: String,
    privacy_mode: bool,
    members: Vec<ProjectMember>,
    now_ms: u64,
) -> Project {
    built(
        Project::builder()
            .id(id)
            .team_id(team_id)
            .name(name)
            .privacy_mode(privacy_mode)
            .keys(Vec::new())
            .users(members)
            .created_at(iso(now_ms))
            .updated_at(iso(now_ms))
            .settings(Some(HomepageSettings::default())),
    )
}

impl State {
    /// Creates a project in the team; with `auto_join` the caller is its first member.
    pub(crate) fn create_project(
        &self,
        team_id: Option<String>,
        name: String,
        auto_join: bool,
        privacy_mode: bool,
    ) -> Result<Project, ProjectError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let Stores {
            projects,
            team,
            ids,
            ..
        } = &mut *stores;
        let team_id = team_id.unwrap_or_else(|| team.id().to_owned());
        if team_id != team.id() {
            return Err(ProjectError::Team(team_id));
        }
        let members = if auto_join {
            team.project_member(&self.identity.author_id, None, now_ms)
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        let project = new_project(
            ids.next("proj"),
            team_id,
            name,
            privacy_mode,
            members,
            now_ms,
        );
        projects.insert(project.clone());
        Ok(project)
    }

    pub(crate) fn project(&self, id: &str) -> Result<Project, ProjectError> {
        self.stores()
            .projects
            .entries
            .get(id)
            .map(|e| e.project.clone())
            .ok_or(ProjectError::Missing)
    }

    /// The projects of the team, oldest first; settings only come with one project.
    pub(crate) fn projects(&self, team_id: Option<&str>) -> Result<Vec<Project>, ProjectError> {
        let stores = self.stores();
        if let Some(team_id) = team_id
            && team_id != stores.team.id()
        {
            return Err(ProjectError::Team(team_id.to_owned()));
        }
        Ok(stores
            .projects
            .order
            .iter()
            .filter_map(|id| stores.projects.entries.get(id))
            .map(|e| {
                let mut project = e.project.clone();
                project.settings = None;
                project.description = None;
                project.description_date = None;
                project
            })
            .collect())
    }

    /// Runs `f` on a project and stamps it as updated.
    fn change_project<R>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Project, &mut Stores) -> Result<R, ProjectError>,
    ) -> Result<R, ProjectError> {
        let now_ms = self.clock.now_ms();
        let mut stores = self.stores();
        let mut entry = stores
            .projects
            .entries
            .remove(id)
            .ok_or(ProjectError::Missing)?;
        let result = f(&mut entry.project, &mut stores);
        if result.is_ok() {
            entry.project.updated_at = iso(now_ms);
        }
        stores.projects.entries.insert(id.to_owned(), entry);
        result
    }

    pub(crate) fn update_project(
        &self,
        id: &str,
        request: ProjectUpdateRequest,
    ) -> Result<Project, ProjectError> {
        let now_ms = self.clock.now_ms();
        self.change_project(id, |project, _| {
            if let Some(name) = request.name {
                project.name = name;
            }
            if let Some(description) = request.description {
                project.description = Some(description);
                project.description_date = Some(iso(now_ms));
            }
            if let Some(privacy) = request.privacy_mode {
                project.privacy_mode = privacy;
            }
            if request.disable_ip_detection.is_some() {
                project.disable_ip_detection = request.disable_ip_detection;
            }
            if request.quality_gate_auto_detect.is_some() {
                project.quality_gate_auto_detect = request.quality_gate_auto_detect;
            }
            if request.max_consumption.is_some() {
                project.max_consumption = request.max_consumption;
            }
            if let Some(settings) = request.settings {
                let homepage = settings.homepage.and_then(|h| match h {
                    serde_json::Value::Object(map) => Some(map),
                    _ => None,
                });
                project.settings = Some(built(
                    HomepageSettings::builder().homepage(homepage.unwrap_or_default()),
                ));
            }
            Ok(project.clone())
        })
    }

    pub(crate) fn delete_project(&self, id: &str) -> Result<(), ProjectError> {
        let mut stores = self.stores();
        stores
            .projects
            .entries
            .remove(id)
            .ok_or(ProjectError::Missing)?;
        stores.projects.order.retain(|p| p != id);
        Ok(())
    }

    /// Creates an API key of a project; the secret is in the answer and nowhere else.
    pub(crate) fn create_api_key(
        &self,
        id: &str,
        request: ApiKeyCreateRequest,
    ) -> Result<ApiKeyCreated, ProjectError> {
        let now_ms = self.clock.now_ms();
        let author = self.identity.author_id.clone();
        self.change_project(id, |project, stores| {
            let key_id = stores.ids.next("api");
            let member_id = stores.ids.next("apiu");
            let secret = format!("{}{}", stores.ids.next("sk"), stores.ids.next("x"));
            let role = request.role.unwrap_or_else(|| DEFAULT_ROLE.to_owned());
            let key: ProjectApiKey = built(
                ProjectApiKey::builder()
                    .id(member_id.clone())
                    .api_key_id(key_id.clone())
                    .api_key_status(ApiKeyStatus::Active)
                    .name(request.name.unwrap_or_else(|| key_id.clone()))
                    .role(role.clone())
                    .scope(ScopeLevel::Project)
                    .author_id(Some(author.clone()))
                    .owner_id(Some(project.id.clone()))
                    .max_consumption(request.max_consumption.filter(|m| *m >= 0.0))
                    .projects(vec![built::<ApiKeyProjectRole, _>(
                        ApiKeyProjectRole::builder()
                            .project_id(project.id.clone())
                            .role(role),
                    )])
                    .created_at(iso(now_ms))
                    .updated_at(iso(now_ms)),
            );
            project.keys.push(key);
            Ok(built(
                ApiKeyCreated::builder()
                    .id(key_id)
                    .author_id(author)
                    .created_at(iso(now_ms))
                    .owner_type(ScopeLevel::Project)
                    .owner_id(Some(project.id.clone()))
                    .team_id(Some(project.team_id.clone()))
                    .user_id(member_id)
                    .secret(secret),
            ))
        })
    }

    /// Revokes an API key of a project, by its key id (`api_...`).
    pub(crate) fn delete_api_key(&self, id: &str, key: &str) -> Result<(), ProjectError> {
        self.change_project(id, |project, _| {
            let before = project.keys.len();
            project.keys.retain(|k| k.api_key_id != key);
            if project.keys.len() == before {
                return Err(ProjectError::Key(key.to_owned()));
            }
            Ok(())
        })
    }

    /// Gives a team member a role in a project.
    pub(crate) fn add_project_member(
        &self,
        id: &str,
        member: &str,
        role: String,
    ) -> Result<Project, ProjectError> {
        let now_ms = self.clock.now_ms();
        self.change_project(id, |project, stores| {
            let joined = stores
                .team
                .project_member(member, Some(role.clone()), now_ms)
                .ok_or_else(|| ProjectError::Member(member.to_owned()))?;
            match project.users.iter_mut().find(|u| u.id == member) {
                Some(user) => user.role = role,
                None => project.users.push(joined),
            }
            Ok(project.clone())
        })
    }

    pub(crate) fn update_project_member(
        &self,
        id: &str,
        member: &str,
        role: Option<String>,
    ) -> Result<Project, ProjectError> {
        let now_ms = self.clock.now_ms();
        self.change_project(id, |project, _| {
            let user = project
                .users
                .iter_mut()
                .find(|u| u.id == member)
                .ok_or_else(|| ProjectError::Member(member.to_owned()))?;
            if let Some(role) = role {
                user.role = role;
            }
            user.updated_at = iso(now_ms);
            Ok(project.clone())
        })
    }

    pub(crate) fn remove_project_member(
        &self,
        id: &str,
        member: &str,
    ) -> Result<Project, ProjectError> {
        self.change_project(id, |project, _| {
            let before = project.users.len();
            project.users.retain(|u| u.id != member);
            if project.users.len() == before {
                return Err(ProjectError::Member(member.to_owned()));
            }
            Ok(project.clone())
        })
    }
}

/// The member a project shows for a team member.
pub(crate) fn project_member(
    id: &str,
    email: &str,
    role: Option<String>,
    now_ms: u64,
) -> ProjectMember {
    built(
        ProjectMember::builder()
            .id(id.to_owned())
            .email(email.to_owned())
            .role(role.unwrap_or_else(|| DEFAULT_ROLE.to_owned()))
            .created_at(iso(now_ms))
            .updated_at(iso(now_ms)),
    )
}
