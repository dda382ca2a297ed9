//! How the generated client sends its requests.
//!
//! progenitor lets a client run code around each request only through
//! `ClientHooks`, which must be implemented in the crate that defines the
//! generated `Client`. This module is that implementation, reduced to one
//! delegation: the client carries a [`Transport`], and every request goes
//! through it. A wrapper crate (scenario-sdk) plugs in authentication, retries,
//! timeouts and tracing by implementing [`SendRequest`], without touching the
//! generated code.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

/// A boxed future that resolves to the response of one request.
pub type ResponseFuture<'a> =
    Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>>;

/// Sends one request of an operation: the extension point of the raw client.
pub trait SendRequest: Send + Sync + fmt::Debug {
    /// Sends `request` with `http` and resolves to the response.
    ///
    /// `operation_id` names the operation in the OpenAPI document (e.g. `list_assets`).
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> ResponseFuture<'a>;
}

/// What the generated [`Client`](crate::Client) sends its requests through.
///
/// The default sends each request once, as built, with the client's `reqwest::Client`.
#[derive(Clone, Debug, Default)]
pub struct Transport {
    sender: Option<Arc<dyn SendRequest>>,
}

impl Transport {
    /// A transport that hands every request to `sender`.
    pub fn new(sender: Arc<dyn SendRequest>) -> Self {
        Self {
            sender: Some(sender),
        }
    }
}

impl ClientHooks<Transport> for crate::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = request;
        comma_join_arrays(request.url_mut());
        // progenitor adds `api-version` (the document's `info.version`) to every
        // request; the document declares no such header and the service's own
        // SDKs send none.
        request.headers_mut().remove("api-version");
        match &self.inner().sender {
            Some(sender) => sender.send(self.client(), request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}

/// Rewrites repeated query parameters (`types=a&types=b`, as progenitor
/// serializes arrays) into one comma-separated value (`types=a,b`): every query
/// array of the document is `explode: false`, which is how the service reads
/// them (the generator refuses exploded ones).
fn comma_join_arrays(url: &mut reqwest::Url) {
    let Some(query) = url.query() else {
        return;
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut repeated = false;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(&value);
                repeated = true;
            }
            None => pairs.push((key.into_owned(), value.into_owned())),
        }
    }
    if repeated {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
}

#[cfg(test)]
mod tests {
    use super::comma_join_arrays;

    #[test]
    fn repeated_query_parameters_become_one_comma_separated_value() {
        let mut url =
            reqwest::Url::parse("http://h/v1/assets?types=a&pageSize=2&types=b%20c&types=d")
                .unwrap();
        comma_join_arrays(&mut url);
        assert_eq!(url.query(), Some("types=a%2Cb+c%2Cd&pageSize=2"));
        let mut plain = reqwest::Url::parse("http://h/v1/assets?pageSize=2&x=%2F").unwrap();
        comma_join_arrays(&mut plain);
        assert_eq!(plain.query(), Some("pageSize=2&x=%2F"), "left as it was");
    }
}
