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
