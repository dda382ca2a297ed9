//! What a request is about: the listener that took it ([`Target`]) and the modelled
//! route it matches ([`Route`]). Fault rules and the request log both key on these.

/// Which of the three listeners a request went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The API (`base_url()`).
    Api,
    /// The storage standing in for S3 presigned URLs (`storage_url()`).
    Storage,
    /// The CDN serving asset files and archives (`cdn_url()`).
    Cdn,
}

/// What a fault rule (and a recorded request) is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// `GET /v1/assets`.
    ListAssets,
    /// `POST /v1/uploads`.
    CreateUpload,
    /// `GET /v1/uploads/{uploadId}`.
    GetUpload,
    /// `POST /v1/uploads/{uploadId}/action`.
    UploadAction,
    /// `GET /v1/assets/{assetId}`.
    GetAsset,
    /// `PUT /v1/assets/{assetId}`.
    UpdateAsset,
    /// `DELETE /v1/assets`.
    DeleteAssets,
    /// `POST /v1/assets`.
    CreateAsset,
    /// `POST /v1/assets/restore`.
    RestoreAssets,
    /// `POST /v1/assets/get-bulk`.
    GetAssetsBulk,
    /// `POST /v1/assets/{assetId}/copy`.
    CopyAsset,
    /// `PUT /v1/assets/{assetId}/lock`.
    LockAsset,
    /// `PUT /v1/assets/{assetId}/unlock`.
    UnlockAsset,
    /// `PUT /v1/assets/{assetId}/tags`.
    UpdateAssetTags,
    /// `GET /v1/assets/{assetId}/snapshots`.
    ListAssetSnapshots,
    /// `POST /v1/assets/{assetId}/download`.
    AssetDownload,
    /// `POST /v1/assets/download`.
    AssetsDownload,
    /// `GET /v1/assets/download/{jobId}`.
    AssetsDownloadStatus,
    /// `GET /v1/jobs`.
    ListJobs,
    /// `GET /v1/jobs/{jobId}`.
    GetJob,
    /// `POST /v1/jobs/{jobId}/action`.
    JobAction,
    /// `POST /v1/generate/custom/{modelId}`.
    RunModel,
    /// `POST /v1/generate/caption`.
    GenerateCaption,
    /// `POST /v1/generate/describe-style`.
    GenerateDescribeStyle,
    /// `POST /v1/generate/detect`.
    GenerateDetect,
    /// `POST /v1/generate/embed`.
    GenerateEmbed,
    /// `POST /v1/generate/ip-detection`.
    GenerateIpDetection,
    /// `POST /v1/generate/patch`.
    GeneratePatch,
    /// `POST /v1/generate/prompt`.
    GeneratePrompt,
    /// `POST /v1/generate/quality-gate`.
    GenerateQualityGate,
    /// `POST /v1/generate/translate`.
    GenerateTranslate,
    /// `GET /v1/models`.
    ListModels,
    /// `POST /v1/models`.
    CreateModel,
    /// `POST /v1/models/get-bulk`.
    GetModelsBulk,
    /// `GET /v1/models/{modelId}`.
    GetModel,
    /// `PUT /v1/models/{modelId}`.
    UpdateModel,
    /// `DELETE /v1/models/{modelId}`.
    DeleteModel,
    /// `POST /v1/models/{modelId}/copy`.
    CopyModel,
    /// `POST /v1/models/{modelId}/transfer`.
    TransferModel,
    /// `POST /v1/models/{modelId}/download`.
    DownloadModel,
    /// `POST /v1/models/{modelId}/restore`.
    RestoreModel,
    /// `DELETE /v1/models/{modelId}/images`.
    DeleteModelImages,
    /// `PUT /v1/models/{modelId}/tags`.
    UpdateModelTags,
    /// `PUT /v1/models/{modelId}/train`.
    TrainModel,
    /// `POST /v1/models/{modelId}/train/action`.
    ModelTrainAction,
    /// `POST /v1/models/{modelId}/training-images`.
    AddModelTrainingImages,
    /// `PUT /v1/models/{modelId}/training-images/pairs`.
    ReplaceModelTrainingImagePairs,
    /// `PUT /v1/models/{modelId}/training-images/{trainingImageId}`.
    ReplaceModelTrainingImage,
    /// `DELETE /v1/models/{modelId}/training-images/{trainingImageId}`.
    DeleteModelTrainingImage,
    /// `GET /v1/models/{modelId}/presets`.
    ListModelPresets,
    /// `POST /v1/models/{modelId}/presets`.
    CreateModelPreset,
    /// `PUT /v1/models/{modelId}/presets/{presetId}`.
    UpdateModelPreset,
    /// `DELETE /v1/models/{modelId}/presets/{presetId}`.
    DeleteModelPreset,
    /// `GET /v1/models/{modelId}/examples`.
    ListModelExamples,
    /// `PUT /v1/models/{modelId}/examples`.
    UpdateModelExamples,
    /// `GET /v1/models/{modelId}/description`.
    GetModelDescription,
    /// `PUT /v1/models/{modelId}/description`.
    UpdateModelDescription,
    /// `GET /v1/models/{modelId}/prompt-guide`.
    GetModelPromptGuide,
    /// `PUT /v1/models/{modelId}/prompt-guide`.
    UpdateModelPromptGuide,
    /// `GET /v1/models/{modelId}/scores/prompt`.
    GetModelPromptScore,
    /// `GET /v1/models/{modelId}/scores/training-dataset`.
    GetModelTrainingDatasetScore,
    /// `GET /v1/collections`.
    ListCollections,
    /// `POST /v1/collections`.
    CreateCollection,
    /// `GET /v1/collections/{collectionId}`.
    GetCollection,
    /// `PUT /v1/collections/{collectionId}`.
    UpdateCollection,
    /// `DELETE /v1/collections/{collectionId}`.
    DeleteCollection,
    /// `PUT /v1/collections/{collectionId}/assets`.
    AddCollectionAssets,
    /// `DELETE /v1/collections/{collectionId}/assets`.
    RemoveCollectionAssets,
    /// `PUT /v1/collections/{collectionId}/models`.
    AddCollectionModels,
    /// `DELETE /v1/collections/{collectionId}/models`.
    RemoveCollectionModels,
    /// `GET /v1/workflows`.
    ListWorkflows,
    /// `POST /v1/workflows`.
    CreateWorkflow,
    /// `GET /v1/workflows/tags`.
    ListWorkflowTags,
    /// `GET /v1/workflows/{workflowId}`.
    GetWorkflow,
    /// `PUT /v1/workflows/{workflowId}`.
    UpdateWorkflow,
    /// `DELETE /v1/workflows/{workflowId}`.
    DeleteWorkflow,
    /// `PUT /v1/workflows/{workflowId}/run`.
    RunWorkflow,
    /// `PUT /v1/workflows/{workflowId}/user-approval`.
    WorkflowUserApproval,
    /// `PUT /v1/workflows/{workflowId}/user-selection`.
    WorkflowUserSelection,
    /// `POST /v1/projects`.
    CreateProject,
    /// `GET /v1/projects`.
    ListProjects,
    /// `GET /v1/projects/{projectId}`.
    GetProject,
    /// `PUT /v1/projects/{projectId}`.
    UpdateProject,
    /// `DELETE /v1/projects/{projectId}`.
    DeleteProject,
    /// `POST /v1/projects/{projectId}/api-keys`.
    CreateProjectApiKey,
    /// `DELETE /v1/projects/{projectId}/api-keys/{keyId}`.
    DeleteProjectApiKey,
    /// `GET /v1/projects/{projectId}/instructions`.
    GetProjectInstructions,
    /// `PUT /v1/projects/{projectId}/instructions`.
    UpdateProjectInstructions,
    /// `GET /v1/projects/{projectId}/memory`.
    GetProjectMemory,
    /// `PUT /v1/projects/{projectId}/memory`.
    UpdateProjectMemory,
    /// `POST /v1/projects/{projectId}/members`.
    AddProjectMember,
    /// `PUT /v1/projects/{projectId}/members/{memberId}`.
    UpdateProjectMember,
    /// `DELETE /v1/projects/{projectId}/members/{memberId}`.
    RemoveProjectMember,
    /// `GET /v1/projects/{projectId}/brief`.
    GetProjectBrief,
    /// `PUT /v1/projects/{projectId}/brief`.
    UpdateProjectBrief,
    /// `DELETE /v1/projects/{projectId}/brief`.
    DeleteProjectBrief,
    /// `GET /v1/projects/{projectId}/watermark`.
    GetProjectWatermark,
    /// `PUT /v1/projects/{projectId}/watermark`.
    UpdateProjectWatermark,
    /// `DELETE /v1/projects/{projectId}/watermark`.
    DeleteProjectWatermark,
    /// `PUT /v1/projects/{projectId}/watermark/logo`.
    UpdateProjectWatermarkLogo,
    /// `DELETE /v1/projects/{projectId}/watermark/logo`.
    DeleteProjectWatermarkLogo,
    /// `POST /v1/projects/{projectId}/watermark/preview`.
    PreviewProjectWatermark,
    /// `POST /v1/projects/{projectId}/webhook-endpoints`.
    CreateProjectWebhookEndpoint,
    /// `GET /v1/projects/{projectId}/webhook-endpoints`.
    ListProjectWebhookEndpoints,
    /// `PUT /v1/projects/{projectId}/webhook-endpoints/{webhookEndpointId}`.
    UpdateProjectWebhookEndpoint,
    /// `DELETE /v1/projects/{projectId}/webhook-endpoints/{webhookEndpointId}`.
    DeleteProjectWebhookEndpoint,
    /// `GET /v1/projects/{projectId}/webhook-endpoints/{webhookEndpointId}/events`.
    ListProjectWebhookEvents,
    /// `GET /v1/projects/{projectId}/webhook-endpoints/{webhookEndpointId}/events/{eventId}`.
    GetProjectWebhookEvent,
    /// `GET /v1/teams`.
    ListTeams,
    /// `GET /v1/teams/{teamId}`.
    GetTeam,
    /// `PUT /v1/teams/{teamId}`.
    UpdateTeam,
    /// `DELETE /v1/teams/{teamId}/invitations`.
    WithdrawTeamInvitation,
    /// `GET /v1/teams/{teamId}/limits`.
    GetTeamLimits,
    /// `POST /v1/teams/{teamId}/members`.
    InviteTeamMember,
    /// `PUT /v1/teams/{teamId}/members/{memberId}`.
    UpdateTeamMember,
    /// `DELETE /v1/teams/{teamId}/members/{memberId}`.
    RemoveTeamMember,
    /// `POST /v1/teams/{teamId}/ip-filters`.
    CreateTeamIpFilter,
    /// `GET /v1/teams/{teamId}/ip-filters`.
    ListTeamIpFilters,
    /// `POST /v1/teams/{teamId}/ip-filters/draft-instruction`.
    DraftTeamIpFilterInstruction,
    /// `PUT /v1/teams/{teamId}/ip-filters/{filterId}`.
    UpdateTeamIpFilter,
    /// `DELETE /v1/teams/{teamId}/ip-filters/{filterId}`.
    DeleteTeamIpFilter,
    /// `GET /v1/teams/{teamId}/brief`.
    GetTeamBrief,
    /// `PUT /v1/teams/{teamId}/brief`.
    UpdateTeamBrief,
    /// `DELETE /v1/teams/{teamId}/brief`.
    DeleteTeamBrief,
    /// `GET /v1/teams/{teamId}/watermark`.
    GetTeamWatermark,
    /// `PUT /v1/teams/{teamId}/watermark`.
    UpdateTeamWatermark,
    /// `DELETE /v1/teams/{teamId}/watermark`.
    DeleteTeamWatermark,
    /// `PUT /v1/teams/{teamId}/watermark/logo`.
    UpdateTeamWatermarkLogo,
    /// `DELETE /v1/teams/{teamId}/watermark/logo`.
    DeleteTeamWatermarkLogo,
    /// `POST /v1/teams/{teamId}/watermark/preview`.
    PreviewTeamWatermark,
    /// `POST /v1/teams/{teamId}/webhook-endpoints`.
    CreateTeamWebhookEndpoint,
    /// `GET /v1/teams/{teamId}/webhook-endpoints`.
    ListTeamWebhookEndpoints,
    /// `PUT /v1/teams/{teamId}/webhook-endpoints/{webhookEndpointId}`.
    UpdateTeamWebhookEndpoint,
    /// `DELETE /v1/teams/{teamId}/webhook-endpoints/{webhookEndpointId}`.
    DeleteTeamWebhookEndpoint,
    /// `GET /v1/teams/{teamId}/webhook-endpoints/{webhookEndpointId}/events`.
    ListTeamWebhookEvents,
    /// `GET /v1/teams/{teamId}/webhook-endpoints/{webhookEndpointId}/events/{eventId}`.
    GetTeamWebhookEvent,
    /// `POST /v1/search/assets`.
    SearchAssets,
    /// `POST /v1/search/models`.
    SearchModels,
    /// `POST /v1/search/workflows`.
    SearchWorkflows,
    /// `GET /v1/recommendations/models`.
    ListRecommendedModels,
    /// `GET /v1/tags`.
    ListTags,
    /// `GET /v1/usages`.
    ListUsages,
    /// `GET /v1/oscu/prices`.
    GetOscuPrices,
    /// `PUT /parts/{uploadId}/{n}` on the storage listener (a presigned part URL).
    PartPut,
    /// `GET /files/{ownerId}/{file}` on the CDN listener: an asset's file.
    CdnFile,
    /// `GET /archives/{ownerId}/{file}` on the CDN listener: an archive a download job made.
    CdnArchive,
    /// `GET /redirect/{path..}` on the CDN listener: a redirect to `/{path..}`.
    CdnRedirect,
    /// Any request to the API listener, whatever its path (in rules and counts only).
    AnyApi,
    /// Any request to the storage listener, whatever its path (in rules and counts only).
    AnyStorage,
    /// Any request to the CDN listener, whatever its path (in rules and counts only).
    AnyCdn,
}

impl Route {
    /// Whether a request to `target`, recognised as `route`, is covered by `self`.
    pub(crate) fn covers(self, target: Target, route: Option<Route>) -> bool {
        match self {
            Route::AnyApi => target == Target::Api,
            Route::AnyStorage => target == Target::Storage,
            Route::AnyCdn => target == Target::Cdn,
            specific => route == Some(specific),
        }
    }
}
