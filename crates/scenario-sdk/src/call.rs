//! [`RawCall`]: any operation of the document picked by its `operationId` at
//! run time, with its parameters and body as text and its answer as bytes,
//! sent through the same attempt loop, retries and errors as a typed
//! [`crate::Request`].

use scenario_api::{Location, OperationInfo, Param, ParamError, ParamKind};

use crate::attempt::RetryClass;
use crate::error::{Error, Result};
use crate::handle::Client;
use crate::request::{self, Reply};

/// One operation, picked by its id ([`Client::call`]): set its parameters by
/// their wire names and its body as JSON bytes, then [`RawCall::send`] it.
///
/// A setter that is given something the operation does not take keeps the
/// first such mistake, and [`RawCall::send`] reports it without sending.
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
/// let reply = client.call("getAsset")?.param("assetId", "asset_abc").send().await?;
/// println!("{}", String::from_utf8_lossy(&reply.value));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a call does nothing until you send() it"]
pub struct RawCall {
    client: Client,
    op: &'static OperationInfo,
    values: Vec<(&'static Param, String)>,
    body: Option<bytes::Bytes>,
    /// The first mistake a setter met, reported by `send`.
    error: Option<String>,
}

impl Client {
    /// The operation whose `operationId` is `id` (as the document spells it,
    /// e.g. `listAssets`), to call with parameters and a body given as text.
    /// `scenario api --help` lists the ids, as does `scenario_api::ops::OPERATIONS`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the document has no such operation.
    pub fn call(&self, id: &str) -> Result<RawCall> {
        let op = scenario_api::operation(id).ok_or_else(|| {
            Error::InvalidInput(format!(
                "no operation `{}` in the API document; `scenario api --help` lists the \
                 operation ids (so does `scenario_api::ops::OPERATIONS`)",
                id.escape_debug()
            ))
        })?;
        Ok(RawCall {
            client: self.clone(),
            op,
            values: Vec::new(),
            body: None,
            error: None,
        })
    }
}

impl RawCall {
    /// The operation as the document describes it.
    pub fn operation(&self) -> &'static OperationInfo {
        self.op
    }

    /// Sets the path or query parameter called `name` on the wire (e.g.
    /// `pageSize`) to `value`, replacing an earlier value.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        match self.op.params.iter().find(|p| p.name == name) {
            Some(param) => {
                self.values.retain(|(p, _)| p.name != param.name);
                self.values.push((param, value.into()));
            }
            None => {
                let known: Vec<&str> = self.op.params.iter().map(|p| p.name).collect();
                let known = if known.is_empty() {
                    "it takes none".to_owned()
                } else {
                    format!("it takes {}", known.join(", "))
                };
                self.fail(format!(
                    "{} has no parameter `{}`; {known}",
                    self.op.id,
                    name.escape_debug()
                ));
            }
        }
        self
    }

    /// Sets the JSON request body, which must decode as the operation's body type.
    pub fn body(mut self, body: impl Into<bytes::Bytes>) -> Self {
        let body = body.into();
        match &self.op.body {
            None => self.fail(format!("{} takes no request body", self.op.id)),
            Some(info) => match (info.check)(&body) {
                Ok(()) => self.body = Some(body),
                Err(why) => self.fail(format!("the body of {} is not valid: {why}", self.op.id)),
            },
        }
        self
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    /// Sends the call with the client's credentials, timeouts and retries (as
    /// the document's idempotency allows, as for a typed request); the body as
    /// the server sent it, the status and the request id on success.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a mistake in the call (an unknown or missing
    /// parameter, a value out of range, a missing or invalid body), and the
    /// SDK's usual errors for a failed request or a non-2xx answer.
    pub async fn send(self) -> Result<Reply<bytes::Bytes>> {
        if let Some(message) = self.error {
            return Err(Error::InvalidInput(message));
        }
        let op = self.op;
        let invalid = |err: ParamError| {
            Error::InvalidInput(format!("`{}` of {} {}", err.name, op.id, err.message))
        };
        let mut path = op.path.to_owned();
        let mut query = Vec::new();
        for param in op.params {
            let value = self
                .values
                .iter()
                .find(|(p, _)| p.name == param.name)
                .map(|(_, v)| v.as_str());
            let Some(value) = value else {
                if param.required {
                    return Err(Error::InvalidInput(format!(
                        "{} needs the parameter `{}`",
                        op.id, param.name
                    )));
                }
                continue;
            };
            check_value(param, value).map_err(invalid)?;
            match param.location {
                Location::Path => {
                    let segment = scenario_api::path_segment(param.name, value).map_err(invalid)?;
                    path = path.replace(&format!("{{{}}}", param.name), &segment);
                }
                _ => query.push((param.name, value.to_owned())),
            }
        }
        let body = match (&op.body, self.body) {
            (Some(_), None) => {
                return Err(Error::InvalidInput(format!(
                    "{} needs a request body (JSON)",
                    op.id
                )));
            }
            (_, body) => body,
        };
        let prepared = request::prepare_parts(&self.client, op.id, op.method, &path, &query, body)?;
        let class = RetryClass::from_idempotent(op.idempotent);
        let (exchange, _) = request::send_prepared(&self.client, op.id, &prepared, class).await;
        let exchange = exchange?;
        Ok(Reply {
            request_id: crate::http_text::header_str(
                &exchange.headers,
                crate::http_text::REQUEST_ID,
            )
            .map(str::to_owned),
            status: exchange.status,
            value: exchange.body,
        })
    }
}

/// Checks a value given as text against the kind and limits the document gives.
fn check_value(param: &Param, value: &str) -> std::result::Result<(), ParamError> {
    let wrong = |what: &str| ParamError {
        name: param.name,
        message: format!("must be {what}, got {:?}", value),
    };
    match param.kind {
        ParamKind::Boolean if !matches!(value, "true" | "false") => Err(wrong("true or false")),
        ParamKind::Number if value.parse::<f64>().is_err() => Err(wrong("a number")),
        ParamKind::Integer { min, max } => match value.parse::<i128>() {
            Ok(n) => scenario_api::check_range(param.name, n, min, max),
            Err(_) => Err(wrong("a whole number")),
        },
        _ => Ok(()),
    }
}
