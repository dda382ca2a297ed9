//! The route table: every modelled endpoint of the three listeners. Routing is built
//! from it, and so is the recognition of the [`Route`] that fault rules and the
//! request log key on, so the two cannot disagree.

use std::sync::Arc;

use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::http::app::App;
use crate::http::{
    assets, catalog, cdn, collections, generate, jobs, models, projects, search, storage, teams,
    uploads, workflows,
};
use crate::route::{Route, Target};

/// The methods the table uses.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Verb {
    /// `GET`, and `HEAD` with it (as axum routes them).
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }

    fn allows(self, method: &Method) -> bool {
        match self {
            Verb::Get => method == Method::GET || method == Method::HEAD,
            Verb::Post => method == Method::POST,
            Verb::Put => method == Method::PUT,
            Verb::Delete => method == Method::DELETE,
        }
    }
}

/// One endpoint: where it listens, what it is, and what handles it.
pub(crate) struct Endpoint {
    pub(crate) target: Target,
    pub(crate) route: Route,
    verb: Verb,
    /// In axum's syntax: `{name}` matches one non-empty segment, a last `{*name}`
    /// one or more.
    pub(crate) path: &'static str,
    handler: fn(MethodFilter) -> MethodRouter<Arc<App>>,
}

impl Endpoint {
    pub(crate) fn method_router(&self) -> MethodRouter<Arc<App>> {
        (self.handler)(self.verb.filter())
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        if !self.verb.allows(method) {
            return false;
        }
        let (Some(pattern), Some(path)) = (segments(self.path), segments(path)) else {
            return false;
        };
        if let Some((last, fixed)) = pattern.split_last()
            && last.starts_with("{*")
        {
            return path.len() > fixed.len()
                && fixed
                    .iter()
                    .zip(&path)
                    .all(|(expected, actual)| expected.starts_with('{') || expected == actual);
        }
        pattern.len() == path.len()
            && pattern
                .iter()
                .zip(&path)
                .all(|(expected, actual)| expected.starts_with('{') || expected == actual)
    }
}

pub(crate) static ENDPOINTS: [Endpoint; 147] = [
    Endpoint {
        target: Target::Api,
        route: Route::ListAssets,
        verb: Verb::Get,
        path: "/v1/assets",
        handler: |filter| on(filter, assets::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateUpload,
        verb: Verb::Post,
        path: "/v1/uploads",
        handler: |filter| on(filter, uploads::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetUpload,
        verb: Verb::Get,
        path: "/v1/uploads/{upload_id}",
        handler: |filter| on(filter, uploads::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UploadAction,
        verb: Verb::Post,
        path: "/v1/uploads/{upload_id}/action",
        handler: |filter| on(filter, uploads::action),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetAsset,
        verb: Verb::Get,
        path: "/v1/assets/{asset_id}",
        handler: |filter| on(filter, catalog::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateAsset,
        verb: Verb::Put,
        path: "/v1/assets/{asset_id}",
        handler: |filter| on(filter, catalog::update),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteAssets,
        verb: Verb::Delete,
        path: "/v1/assets",
        handler: |filter| on(filter, catalog::delete),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateAsset,
        verb: Verb::Post,
        path: "/v1/assets",
        handler: |filter| on(filter, catalog::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RestoreAssets,
        verb: Verb::Post,
        path: "/v1/assets/restore",
        handler: |filter| on(filter, catalog::restore),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetAssetsBulk,
        verb: Verb::Post,
        path: "/v1/assets/get-bulk",
        handler: |filter| on(filter, catalog::get_bulk),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CopyAsset,
        verb: Verb::Post,
        path: "/v1/assets/{asset_id}/copy",
        handler: |filter| on(filter, catalog::copy),
    },
    Endpoint {
        target: Target::Api,
        route: Route::LockAsset,
        verb: Verb::Put,
        path: "/v1/assets/{asset_id}/lock",
        handler: |filter| on(filter, catalog::lock),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UnlockAsset,
        verb: Verb::Put,
        path: "/v1/assets/{asset_id}/unlock",
        handler: |filter| on(filter, catalog::unlock),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateAssetTags,
        verb: Verb::Put,
        path: "/v1/assets/{asset_id}/tags",
        handler: |filter| on(filter, catalog::tags),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListAssetSnapshots,
        verb: Verb::Get,
        path: "/v1/assets/{asset_id}/snapshots",
        handler: |filter| on(filter, catalog::snapshots),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AssetDownload,
        verb: Verb::Post,
        path: "/v1/assets/{asset_id}/download",
        handler: |filter| on(filter, catalog::download),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AssetsDownload,
        verb: Verb::Post,
        path: "/v1/assets/download",
        handler: |filter| on(filter, catalog::download_batch),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AssetsDownloadStatus,
        verb: Verb::Get,
        path: "/v1/assets/download/{job_id}",
        handler: |filter| on(filter, catalog::download_status),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListJobs,
        verb: Verb::Get,
        path: "/v1/jobs",
        handler: |filter| on(filter, jobs::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetJob,
        verb: Verb::Get,
        path: "/v1/jobs/{job_id}",
        handler: |filter| on(filter, jobs::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::JobAction,
        verb: Verb::Post,
        path: "/v1/jobs/{job_id}/action",
        handler: |filter| on(filter, jobs::action),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RunModel,
        verb: Verb::Post,
        path: "/v1/generate/custom/{model_id}",
        handler: |filter| on(filter, generate::run_model),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateCaption,
        verb: Verb::Post,
        path: "/v1/generate/caption",
        handler: |filter| on(filter, generate::caption),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateDescribeStyle,
        verb: Verb::Post,
        path: "/v1/generate/describe-style",
        handler: |filter| on(filter, generate::describe_style),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateDetect,
        verb: Verb::Post,
        path: "/v1/generate/detect",
        handler: |filter| on(filter, generate::detect),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateEmbed,
        verb: Verb::Post,
        path: "/v1/generate/embed",
        handler: |filter| on(filter, generate::embed),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateIpDetection,
        verb: Verb::Post,
        path: "/v1/generate/ip-detection",
        handler: |filter| on(filter, generate::ip_detection),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GeneratePatch,
        verb: Verb::Post,
        path: "/v1/generate/patch",
        handler: |filter| on(filter, generate::patch),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GeneratePrompt,
        verb: Verb::Post,
        path: "/v1/generate/prompt",
        handler: |filter| on(filter, generate::prompt),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateQualityGate,
        verb: Verb::Post,
        path: "/v1/generate/quality-gate",
        handler: |filter| on(filter, generate::quality_gate),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GenerateTranslate,
        verb: Verb::Post,
        path: "/v1/generate/translate",
        handler: |filter| on(filter, generate::translate),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListModels,
        verb: Verb::Get,
        path: "/v1/models",
        handler: |filter| on(filter, models::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateModel,
        verb: Verb::Post,
        path: "/v1/models",
        handler: |filter| on(filter, models::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetModelsBulk,
        verb: Verb::Post,
        path: "/v1/models/get-bulk",
        handler: |filter| on(filter, models::get_bulk),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetModel,
        verb: Verb::Get,
        path: "/v1/models/{model_id}",
        handler: |filter| on(filter, models::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateModel,
        verb: Verb::Put,
        path: "/v1/models/{model_id}",
        handler: |filter| on(filter, models::update),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteModel,
        verb: Verb::Delete,
        path: "/v1/models/{model_id}",
        handler: |filter| on(filter, models::delete),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CopyModel,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/copy",
        handler: |filter| on(filter, models::copy),
    },
    Endpoint {
        target: Target::Api,
        route: Route::TransferModel,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/transfer",
        handler: |filter| on(filter, models::transfer),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DownloadModel,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/download",
        handler: |filter| on(filter, models::download),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RestoreModel,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/restore",
        handler: |filter| on(filter, models::restore),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteModelImages,
        verb: Verb::Delete,
        path: "/v1/models/{model_id}/images",
        handler: |filter| on(filter, models::delete_images),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateModelTags,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/tags",
        handler: |filter| on(filter, models::tags),
    },
    Endpoint {
        target: Target::Api,
        route: Route::TrainModel,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/train",
        handler: |filter| on(filter, models::train),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ModelTrainAction,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/train/action",
        handler: |filter| on(filter, models::train_action),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AddModelTrainingImages,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/training-images",
        handler: |filter| on(filter, models::add_training_images),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ReplaceModelTrainingImagePairs,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/training-images/pairs",
        handler: |filter| on(filter, models::replace_training_pairs),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ReplaceModelTrainingImage,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/training-images/{training_image_id}",
        handler: |filter| on(filter, models::replace_training_image),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteModelTrainingImage,
        verb: Verb::Delete,
        path: "/v1/models/{model_id}/training-images/{training_image_id}",
        handler: |filter| on(filter, models::delete_training_image),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListModelPresets,
        verb: Verb::Get,
        path: "/v1/models/{model_id}/presets",
        handler: |filter| on(filter, models::list_presets),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateModelPreset,
        verb: Verb::Post,
        path: "/v1/models/{model_id}/presets",
        handler: |filter| on(filter, models::create_preset),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateModelPreset,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/presets/{preset_id}",
        handler: |filter| on(filter, models::update_preset),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteModelPreset,
        verb: Verb::Delete,
        path: "/v1/models/{model_id}/presets/{preset_id}",
        handler: |filter| on(filter, models::delete_preset),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListModelExamples,
        verb: Verb::Get,
        path: "/v1/models/{model_id}/examples",
        handler: |filter| on(filter, models::list_examples),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateModelExamples,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/examples",
        handler: |filter| on(filter, models::update_examples),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetModelDescription,
        verb: Verb::Get,
        path: "/v1/models/{model_id}/description",
        handler: |filter| on(filter, models::get_description),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateModelDescription,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/description",
        handler: |filter| on(filter, models::update_description),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetModelPromptGuide,
        verb: Verb::Get,
        path: "/v1/models/{model_id}/prompt-guide",
        handler: |filter| on(filter, models::get_prompt_guide),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateModelPromptGuide,
        verb: Verb::Put,
        path: "/v1/models/{model_id}/prompt-guide",
        handler: |filter| on(filter, models::update_prompt_guide),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetModelPromptScore,
        verb: Verb::Get,
        path: "/v1/models/{model_id}/scores/prompt",
        handler: |filter| on(filter, models::prompt_score),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetModelTrainingDatasetScore,
        verb: Verb::Get,
        path: "/v1/models/{model_id}/scores/training-dataset",
        handler: |filter| on(filter, models::training_dataset_score),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListCollections,
        verb: Verb::Get,
        path: "/v1/collections",
        handler: |filter| on(filter, collections::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateCollection,
        verb: Verb::Post,
        path: "/v1/collections",
        handler: |filter| on(filter, collections::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetCollection,
        verb: Verb::Get,
        path: "/v1/collections/{collection_id}",
        handler: |filter| on(filter, collections::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateCollection,
        verb: Verb::Put,
        path: "/v1/collections/{collection_id}",
        handler: |filter| on(filter, collections::update),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteCollection,
        verb: Verb::Delete,
        path: "/v1/collections/{collection_id}",
        handler: |filter| on(filter, collections::delete),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AddCollectionAssets,
        verb: Verb::Put,
        path: "/v1/collections/{collection_id}/assets",
        handler: |filter| on(filter, collections::add_assets),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RemoveCollectionAssets,
        verb: Verb::Delete,
        path: "/v1/collections/{collection_id}/assets",
        handler: |filter| on(filter, collections::remove_assets),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AddCollectionModels,
        verb: Verb::Put,
        path: "/v1/collections/{collection_id}/models",
        handler: |filter| on(filter, collections::add_models),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RemoveCollectionModels,
        verb: Verb::Delete,
        path: "/v1/collections/{collection_id}/models",
        handler: |filter| on(filter, collections::remove_models),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListWorkflows,
        verb: Verb::Get,
        path: "/v1/workflows",
        handler: |filter| on(filter, workflows::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateWorkflow,
        verb: Verb::Post,
        path: "/v1/workflows",
        handler: |filter| on(filter, workflows::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListWorkflowTags,
        verb: Verb::Get,
        path: "/v1/workflows/tags",
        handler: |filter| on(filter, workflows::tags),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetWorkflow,
        verb: Verb::Get,
        path: "/v1/workflows/{workflow_id}",
        handler: |filter| on(filter, workflows::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateWorkflow,
        verb: Verb::Put,
        path: "/v1/workflows/{workflow_id}",
        handler: |filter| on(filter, workflows::update),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteWorkflow,
        verb: Verb::Delete,
        path: "/v1/workflows/{workflow_id}",
        handler: |filter| on(filter, workflows::delete),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RunWorkflow,
        verb: Verb::Put,
        path: "/v1/workflows/{workflow_id}/run",
        handler: |filter| on(filter, workflows::run),
    },
    Endpoint {
        target: Target::Api,
        route: Route::WorkflowUserApproval,
        verb: Verb::Put,
        path: "/v1/workflows/{workflow_id}/user-approval",
        handler: |filter| on(filter, workflows::user_approval),
    },
    Endpoint {
        target: Target::Api,
        route: Route::WorkflowUserSelection,
        verb: Verb::Put,
        path: "/v1/workflows/{workflow_id}/user-selection",
        handler: |filter| on(filter, workflows::user_selection),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateProject,
        verb: Verb::Post,
        path: "/v1/projects",
        handler: |filter| on(filter, projects::create),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListProjects,
        verb: Verb::Get,
        path: "/v1/projects",
        handler: |filter| on(filter, projects::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetProject,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}",
        handler: |filter| on(filter, projects::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProject,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}",
        handler: |filter| on(filter, projects::update),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteProject,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}",
        handler: |filter| on(filter, projects::delete),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateProjectApiKey,
        verb: Verb::Post,
        path: "/v1/projects/{project_id}/api-keys",
        handler: |filter| on(filter, projects::create_api_key),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteProjectApiKey,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}/api-keys/{key_id}",
        handler: |filter| on(filter, projects::delete_api_key),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetProjectInstructions,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/instructions",
        handler: |filter| on(filter, projects::get_instructions),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectInstructions,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/instructions",
        handler: |filter| on(filter, projects::update_instructions),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetProjectMemory,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/memory",
        handler: |filter| on(filter, projects::get_memory),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectMemory,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/memory",
        handler: |filter| on(filter, projects::update_memory),
    },
    Endpoint {
        target: Target::Api,
        route: Route::AddProjectMember,
        verb: Verb::Post,
        path: "/v1/projects/{project_id}/members",
        handler: |filter| on(filter, projects::add_member),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectMember,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/members/{member_id}",
        handler: |filter| on(filter, projects::update_member),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RemoveProjectMember,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}/members/{member_id}",
        handler: |filter| on(filter, projects::remove_member),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetProjectBrief,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/brief",
        handler: |filter| on(filter, projects::get_brief),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectBrief,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/brief",
        handler: |filter| on(filter, projects::update_brief),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteProjectBrief,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}/brief",
        handler: |filter| on(filter, projects::delete_brief),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetProjectWatermark,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/watermark",
        handler: |filter| on(filter, projects::get_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectWatermark,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/watermark",
        handler: |filter| on(filter, projects::update_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteProjectWatermark,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}/watermark",
        handler: |filter| on(filter, projects::delete_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectWatermarkLogo,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/watermark/logo",
        handler: |filter| on(filter, projects::update_watermark_logo),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteProjectWatermarkLogo,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}/watermark/logo",
        handler: |filter| on(filter, projects::delete_watermark_logo),
    },
    Endpoint {
        target: Target::Api,
        route: Route::PreviewProjectWatermark,
        verb: Verb::Post,
        path: "/v1/projects/{project_id}/watermark/preview",
        handler: |filter| on(filter, projects::preview_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateProjectWebhookEndpoint,
        verb: Verb::Post,
        path: "/v1/projects/{project_id}/webhook-endpoints",
        handler: |filter| on(filter, projects::create_webhook_endpoint),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListProjectWebhookEndpoints,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/webhook-endpoints",
        handler: |filter| on(filter, projects::list_webhook_endpoints),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateProjectWebhookEndpoint,
        verb: Verb::Put,
        path: "/v1/projects/{project_id}/webhook-endpoints/{hook_id}",
        handler: |filter| on(filter, projects::update_webhook_endpoint),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteProjectWebhookEndpoint,
        verb: Verb::Delete,
        path: "/v1/projects/{project_id}/webhook-endpoints/{hook_id}",
        handler: |filter| on(filter, projects::delete_webhook_endpoint),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListProjectWebhookEvents,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/webhook-endpoints/{hook_id}/events",
        handler: |filter| on(filter, projects::list_webhook_events),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetProjectWebhookEvent,
        verb: Verb::Get,
        path: "/v1/projects/{project_id}/webhook-endpoints/{hook_id}/events/{event_id}",
        handler: |filter| on(filter, projects::get_webhook_event),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListTeams,
        verb: Verb::Get,
        path: "/v1/teams",
        handler: |filter| on(filter, teams::list),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetTeam,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}",
        handler: |filter| on(filter, teams::get),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeam,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}",
        handler: |filter| on(filter, teams::update),
    },
    Endpoint {
        target: Target::Api,
        route: Route::WithdrawTeamInvitation,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/invitations",
        handler: |filter| on(filter, teams::withdraw_invitation),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetTeamLimits,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/limits",
        handler: |filter| on(filter, teams::limits),
    },
    Endpoint {
        target: Target::Api,
        route: Route::InviteTeamMember,
        verb: Verb::Post,
        path: "/v1/teams/{team_id}/members",
        handler: |filter| on(filter, teams::invite_member),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeamMember,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}/members/{member_id}",
        handler: |filter| on(filter, teams::update_member),
    },
    Endpoint {
        target: Target::Api,
        route: Route::RemoveTeamMember,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/members/{member_id}",
        handler: |filter| on(filter, teams::remove_member),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateTeamIpFilter,
        verb: Verb::Post,
        path: "/v1/teams/{team_id}/ip-filters",
        handler: |filter| on(filter, teams::create_ip_filter),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListTeamIpFilters,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/ip-filters",
        handler: |filter| on(filter, teams::list_ip_filters),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DraftTeamIpFilterInstruction,
        verb: Verb::Post,
        path: "/v1/teams/{team_id}/ip-filters/draft-instruction",
        handler: |filter| on(filter, teams::draft_ip_filter_instruction),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeamIpFilter,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}/ip-filters/{filter_id}",
        handler: |filter| on(filter, teams::update_ip_filter),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteTeamIpFilter,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/ip-filters/{filter_id}",
        handler: |filter| on(filter, teams::delete_ip_filter),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetTeamBrief,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/brief",
        handler: |filter| on(filter, teams::get_brief),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeamBrief,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}/brief",
        handler: |filter| on(filter, teams::update_brief),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteTeamBrief,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/brief",
        handler: |filter| on(filter, teams::delete_brief),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetTeamWatermark,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/watermark",
        handler: |filter| on(filter, teams::get_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeamWatermark,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}/watermark",
        handler: |filter| on(filter, teams::update_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteTeamWatermark,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/watermark",
        handler: |filter| on(filter, teams::delete_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeamWatermarkLogo,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}/watermark/logo",
        handler: |filter| on(filter, teams::update_watermark_logo),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteTeamWatermarkLogo,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/watermark/logo",
        handler: |filter| on(filter, teams::delete_watermark_logo),
    },
    Endpoint {
        target: Target::Api,
        route: Route::PreviewTeamWatermark,
        verb: Verb::Post,
        path: "/v1/teams/{team_id}/watermark/preview",
        handler: |filter| on(filter, teams::preview_watermark),
    },
    Endpoint {
        target: Target::Api,
        route: Route::CreateTeamWebhookEndpoint,
        verb: Verb::Post,
        path: "/v1/teams/{team_id}/webhook-endpoints",
        handler: |filter| on(filter, teams::create_webhook_endpoint),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListTeamWebhookEndpoints,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/webhook-endpoints",
        handler: |filter| on(filter, teams::list_webhook_endpoints),
    },
    Endpoint {
        target: Target::Api,
        route: Route::UpdateTeamWebhookEndpoint,
        verb: Verb::Put,
        path: "/v1/teams/{team_id}/webhook-endpoints/{hook_id}",
        handler: |filter| on(filter, teams::update_webhook_endpoint),
    },
    Endpoint {
        target: Target::Api,
        route: Route::DeleteTeamWebhookEndpoint,
        verb: Verb::Delete,
        path: "/v1/teams/{team_id}/webhook-endpoints/{hook_id}",
        handler: |filter| on(filter, teams::delete_webhook_endpoint),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListTeamWebhookEvents,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/webhook-endpoints/{hook_id}/events",
        handler: |filter| on(filter, teams::list_webhook_events),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetTeamWebhookEvent,
        verb: Verb::Get,
        path: "/v1/teams/{team_id}/webhook-endpoints/{hook_id}/events/{event_id}",
        handler: |filter| on(filter, teams::get_webhook_event),
    },
    Endpoint {
        target: Target::Api,
        route: Route::SearchAssets,
        verb: Verb::Post,
        path: "/v1/search/assets",
        handler: |filter| on(filter, search::assets),
    },
    Endpoint {
        target: Target::Api,
        route: Route::SearchModels,
        verb: Verb::Post,
        path: "/v1/search/models",
        handler: |filter| on(filter, search::models),
    },
    Endpoint {
        target: Target::Api,
        route: Route::SearchWorkflows,
        verb: Verb::Post,
        path: "/v1/search/workflows",
        handler: |filter| on(filter, search::workflows),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListRecommendedModels,
        verb: Verb::Get,
        path: "/v1/recommendations/models",
        handler: |filter| on(filter, search::recommendations),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListTags,
        verb: Verb::Get,
        path: "/v1/tags",
        handler: |filter| on(filter, search::tags),
    },
    Endpoint {
        target: Target::Api,
        route: Route::ListUsages,
        verb: Verb::Get,
        path: "/v1/usages",
        handler: |filter| on(filter, search::usages),
    },
    Endpoint {
        target: Target::Api,
        route: Route::GetOscuPrices,
        verb: Verb::Get,
        path: "/v1/oscu/prices",
        handler: |filter| on(filter, search::prices),
    },
    Endpoint {
        target: Target::Storage,
        route: Route::PartPut,
        verb: Verb::Put,
        path: "/parts/{upload_id}/{part_number}",
        handler: |filter| on(filter, storage::put_part),
    },
    Endpoint {
        target: Target::Cdn,
        route: Route::CdnFile,
        verb: Verb::Get,
        path: "/files/{owner_id}/{file}",
        handler: |filter| on(filter, cdn::file),
    },
    Endpoint {
        target: Target::Cdn,
        route: Route::CdnArchive,
        verb: Verb::Get,
        path: "/archives/{owner_id}/{file}",
        handler: |filter| on(filter, cdn::archive),
    },
    Endpoint {
        target: Target::Cdn,
        route: Route::CdnRedirect,
        verb: Verb::Get,
        path: "/redirect/{*rest}",
        handler: |filter| on(filter, cdn::redirect),
    },
];

/// The route of a request to `target` (`None` for what the table does not have).
pub(crate) fn recognise(target: Target, method: &Method, path: &str) -> Option<Route> {
    ENDPOINTS
        .iter()
        .find(|endpoint| endpoint.target == target && endpoint.matches(method, path))
        .map(|endpoint| endpoint.route)
}

/// The non-empty segments of a path, or `None` if one is empty (`//`, trailing `/`).
fn segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    segments.iter().all(|s| !s.is_empty()).then_some(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_recognised() {
        assert_eq!(
            recognise(Target::Api, &Method::GET, "/v1/assets"),
            Some(Route::ListAssets)
        );
        assert_eq!(
            recognise(Target::Api, &Method::POST, "/v1/assets"),
            Some(Route::CreateAsset)
        );
        assert_eq!(recognise(Target::Api, &Method::PATCH, "/v1/assets"), None);
        assert_eq!(
            recognise(Target::Api, &Method::GET, "/v1/assets/download/job_1"),
            Some(Route::AssetsDownloadStatus)
        );
        assert_eq!(
            recognise(Target::Api, &Method::POST, "/v1/generate/custom/model_1"),
            Some(Route::RunModel)
        );
        assert_eq!(
            recognise(Target::Api, &Method::POST, "/v1/uploads/u1/action"),
            Some(Route::UploadAction)
        );
        assert_eq!(recognise(Target::Api, &Method::GET, "/v1/uploads/"), None);
        assert_eq!(
            recognise(Target::Api, &Method::GET, "/v1/workflows/tags"),
            Some(Route::ListWorkflowTags)
        );
        assert_eq!(
            recognise(Target::Api, &Method::GET, "/v1/workflows/workflow_1"),
            Some(Route::GetWorkflow)
        );
        assert_eq!(
            recognise(Target::Storage, &Method::PUT, "/parts/u1/3"),
            Some(Route::PartPut)
        );
        assert_eq!(
            recognise(Target::Storage, &Method::GET, "/parts/u1/3"),
            None
        );
        assert_eq!(
            recognise(Target::Cdn, &Method::GET, "/files/proj_1/asset_1.png"),
            Some(Route::CdnFile)
        );
        assert_eq!(
            recognise(
                Target::Cdn,
                &Method::GET,
                "/redirect/files/proj_1/asset_1.png"
            ),
            Some(Route::CdnRedirect)
        );
        assert_eq!(recognise(Target::Cdn, &Method::GET, "/redirect"), None);
    }
}
