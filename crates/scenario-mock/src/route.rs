//! What a request is about: the listener that took it ([`Target`]) and the modelled
//! route it matches ([`Route`]). Fault rules and the request log both key on these.
//!
//! The API's routes are the document's operations ([`OperationId`], generated);
//! only the storage and CDN listeners, which stand in for services the document
//! does not describe, have routes named here.

use scenario_api::ops::OperationId;

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
///
/// Every API operation is `Route::Api(OperationId::..)`, and an [`OperationId`]
/// converts into one, so rules and counts can name the operation alone:
/// `FaultRule::new(OperationId::ListAssets, Fault::Status(503))`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// An operation of the document, on the API listener.
    Api(OperationId),
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

impl From<OperationId> for Route {
    fn from(operation: OperationId) -> Self {
        Route::Api(operation)
    }
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
