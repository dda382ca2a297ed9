//! Assets: `client.assets()`.
//!
//! The listing is `Request<ops::ListAssets>`: its filters are the setters
//! generated from the document's query parameters, its stream and pages come
//! from the generic pagination of every listing.

use scenario_api::ops;
use scenario_api::types::AssetType;

use crate::handle::Client;
use crate::request::Request;

/// The assets of the project: `client.assets()`.
#[derive(Clone, Debug)]
pub struct Assets {
    client: Client,
}

/// A listing of assets: every query parameter of `GET /assets` as a setter,
/// then [`Request::stream`] (every asset) or [`Request::pages`].
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// use futures::TryStreamExt;
/// use scenario_sdk::types::{AssetPrivacy, AssetSortBy};
///
/// let mut assets = client
///     .assets()
///     .list()
///     .privacy(AssetPrivacy::Private.as_str())
///     .sort_by(AssetSortBy::CreatedAt.as_str())
///     .sort_direction("asc")
///     .created_after("2024-01-01T00:00:00.000Z")
///     .stream();
/// while let Some(asset) = assets.try_next().await? {
///     println!("{} {}", asset.id, asset.url);
/// }
/// # Ok(()) }
/// ```
pub type ListAssets = Request<ops::ListAssets>;

impl Assets {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// Lists assets: set filters on the returned request, then take
    /// [`Request::stream`] (every asset) or [`Request::pages`].
    pub fn list(&self) -> ListAssets {
        self.client.request(ops::ListAssets::new())
    }
}

impl Request<ops::ListAssets> {
    /// Adds a tag to the `tags` filter (call again for more: an asset with any
    /// of them matches). The document sends them comma separated.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        self.map_operation(|mut op| {
            let tag = tag.into();
            op.query.tags = Some(match op.query.tags.take() {
                Some(tags) if !tags.is_empty() => format!("{tags},{tag}"),
                _ => tag,
            });
            op
        })
    }

    /// Only assets of this type: the `type` parameter (`type_` is the same setter).
    pub fn asset_type(self, asset_type: AssetType) -> Self {
        self.type_(asset_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::builder()
            .api_key("k")
            .api_secret("s")
            .build()
            .unwrap()
    }

    #[test]
    fn listing_builders_are_send_and_static() {
        fn assert_send_static<T: Send + 'static>(_: &T) {}
        assert_send_static(&client().assets().list());
    }

    #[test]
    fn tags_accumulate_comma_separated() {
        let listing = client().assets().list().tag("a").tag("b");
        assert_eq!(listing.operation().query.tags.as_deref(), Some("a,b"));
    }
}
