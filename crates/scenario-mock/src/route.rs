//! What a request is about: the listener that took it ([`Target`]) and the modelled
//! route it matches ([`Route`]). Fault rules and the request log both key on these.

/// Which of the two listeners a request went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// The API (`base_url()`).
    Api,
    /// The storage standing in for S3 presigned URLs (`storage_url()`).
    Storage,
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
    /// `PUT /parts/{uploadId}/{n}` on the storage listener (a presigned part URL).
    PartPut,
    /// Any request to the API listener, whatever its path (in rules and counts only).
    AnyApi,
    /// Any request to the storage listener, whatever its path (in rules and counts only).
    AnyStorage,
}

impl Route {
    /// Whether a request to `target`, recognised as `route`, is covered by `self`.
    pub(crate) fn covers(self, target: Target, route: Option<Route>) -> bool {
        match self {
            Route::AnyApi => target == Target::Api,
            Route::AnyStorage => target == Target::Storage,
            specific => route == Some(specific),
        }
    }
}
