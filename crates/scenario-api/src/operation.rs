//! What every operation of the document is, as data: the traits and tables that
//! `src/operations.rs` (generated) implements once per operation.
//!
//! The generated progenitor client (`Client`) sends requests itself; these traits
//! let a wrapper (scenario-sdk) build, send, retry and decode any operation with
//! one generic code path, and let a CLI or a fake read an operation's parameters
//! (names, docs, types, limits, enum values) without copying them by hand.

use std::fmt;

use serde::de::DeserializeOwned;

/// One operation of the document: how to turn it into an HTTP request, and what
/// a successful response decodes to.
pub trait Operation: Clone + fmt::Debug + Send + Sync + 'static {
    /// The `operationId` in the document, e.g. `listAssets`.
    const ID: &'static str;
    /// The same operation as a value (`ops::OperationId`), for tables keyed on it.
    const OPERATION: crate::ops::OperationId;
    /// The HTTP method, e.g. `GET`.
    const METHOD: &'static str;
    /// The path template relative to the base URL, e.g. `/uploads/{uploadId}`.
    const PATH: &'static str;
    /// Whether sending the request twice has the effect of sending it once: true
    /// for GET, HEAD, PUT and DELETE, and for operations the document marks with
    /// `x-idempotent: true` (a POST that only reads, say).
    const IDEMPOTENT: bool;
    /// Every path and query parameter, in the document's order.
    const PARAMS: &'static [Param];
    /// What a successful response body decodes to.
    type Output: DeserializeOwned + Send + 'static;

    /// The path with its parameters filled in, each percent-encoded as one segment.
    fn path(&self) -> Result<String, ParamError>;
    /// The query string as name/value pairs, after checking every limit.
    fn query(&self) -> Result<Vec<(&'static str, String)>, ParamError>;
    /// The JSON request body, when the operation has one.
    fn body(&self) -> Option<serde_json::Result<Vec<u8>>>;
    /// Checks the body's numbers against the bounds the document gives them
    /// (see [`Limits`]); path and query parameters are checked by
    /// [`Operation::path`] and [`Operation::query`].
    fn check_body(&self) -> Result<(), ParamError> {
        Ok(())
    }
}

/// A body type whose numbers the document bounds (`minimum`, `maximum`): the
/// generated check, beside the bounds as constants (`OPACITY_MIN`, say), so
/// that a sender and a receiver refuse the same values without restating them.
pub trait Limits {
    /// The first field outside its bounds, if one is.
    fn check_limits(&self) -> Result<(), ParamError>;
}

/// An operation that lists items page by page. Where the next page starts is a
/// token: the one the service answers (`nextPaginationToken` for a request's
/// `paginationToken`, or `nextToken` both ways), or, for a listing paged by an
/// `offset` in its body (search), that offset in decimal. No token: the last page.
pub trait Paginated: Operation {
    /// One listed item.
    type Item: DeserializeOwned + Send + 'static;
    /// The token this request starts from (`None`: the first page).
    fn pagination_token(&self) -> Option<String>;
    /// Sets the token the next request starts from (one [`Paginated::raw_page`] gave).
    fn set_pagination_token(&mut self, token: Option<String>);
    /// The items of one page, in the server's order.
    fn into_items(output: Self::Output) -> Vec<Self::Item>;
    /// One page, answered to this request, with its items left as raw JSON, so
    /// that each can be decoded on its own (one malformed item then costs that
    /// item, not the page), and the token of the page after it. Fails only when
    /// the page itself (its token, its list) does not decode.
    fn raw_page<'b>(&self, body: &'b [u8]) -> serde_json::Result<RawPage<'b>>;
    /// The token of the page after this one, read from the end of `body`
    /// alone: so the next page can be asked for before this one is parsed.
    /// `None` when the body does not end with its token member as a plain
    /// string (then only [`Paginated::raw_page`] knows), or when the listing
    /// pages by offset. For valid JSON, a token found here is the one
    /// [`Paginated::raw_page`] finds; a body that is not valid JSON fails there.
    fn trailing_token(&self, body: &[u8]) -> Option<String> {
        let _ = body;
        None
    }
}

/// The value of `body`'s last member when `body` is a JSON object whose last
/// member is `"<key>": "<string without escapes>"`, read backwards from the
/// end. Exact for valid JSON: the string's opening quote is the last quote
/// before its closing one (any quote inside would be escaped, and escapes are
/// refused), a `:` before it makes it a member's value, the key must be
/// spelled plainly, and a `,` or `{` before the key puts the member in the
/// object the final `}` closes, the outermost one.
#[doc(hidden)]
pub fn trailing_string_member(body: &[u8], key: &str) -> Option<String> {
    fn trim_end(bytes: &[u8]) -> &[u8] {
        let end = bytes
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .map_or(0, |at| at + 1);
        &bytes[..end]
    }
    let rest = trim_end(body).strip_suffix(b"}")?;
    let rest = trim_end(rest).strip_suffix(b"\"")?;
    let open = rest.iter().rposition(|&b| b == b'"')?;
    let value = &rest[open + 1..];
    if value.is_empty() || value.contains(&b'\\') {
        return None;
    }
    let rest = trim_end(&rest[..open]).strip_suffix(b":")?;
    let rest = trim_end(rest)
        .strip_suffix(b"\"")?
        .strip_suffix(key.as_bytes())?
        .strip_suffix(b"\"")?;
    if !matches!(trim_end(rest).last(), Some(b',' | b'{')) {
        return None;
    }
    std::str::from_utf8(value).ok().map(str::to_owned)
}

/// The token of a listing paged by offset: the offset in decimal (`None` at 0).
#[doc(hidden)]
#[allow(
    dead_code,
    reason = "offset listings belong to optional areas (search)"
)]
pub fn offset_token(offset: Option<f64>) -> Option<String> {
    offset
        .filter(|o| o.is_finite() && *o >= 1.0)
        .map(|o| format!("{}", o.trunc() as u64))
}

/// The offset a token of a listing paged by offset stands for (`None`: the start).
#[doc(hidden)]
#[allow(
    dead_code,
    reason = "offset listings belong to optional areas (search)"
)]
pub fn offset_of(token: Option<&str>) -> Option<f64> {
    token
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|&o| o > 0)
        .map(|o| o as f64)
}

/// The token of the page after one of `count` items asked for at `offset` with
/// `limit`: none after an empty page, or a page shorter than the limit asked for.
#[doc(hidden)]
#[allow(
    dead_code,
    reason = "offset listings belong to optional areas (search)"
)]
pub fn next_offset(offset: Option<f64>, limit: Option<f64>, count: usize) -> Option<String> {
    let short = limit.is_some_and(|limit| (count as f64) < limit);
    if count == 0 || short {
        return None;
    }
    let start = offset_token(offset).map_or(0, |o| o.parse::<u64>().unwrap_or(0));
    Some((start + count as u64).to_string())
}

/// A page of a listing whose items are not decoded yet (see [`Paginated::raw_page`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct RawPage<'a> {
    /// Each item's JSON, in the server's order.
    pub items: Vec<&'a serde_json::value::RawValue>,
    /// The token of the next page, if the server sent one.
    pub next_token: Option<String>,
}

/// One operation of the document as a value: what [`Operation`] says as
/// constants, for a caller that picks the operation at run time (by its id).
/// The table of all of them is `ops::OPERATIONS`; [`crate::operation()`] finds one.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct OperationInfo {
    /// The `operationId` in the document, e.g. `listAssets`.
    pub id: &'static str,
    /// The same operation as a value, for tables keyed on it.
    pub operation: crate::ops::OperationId,
    /// The HTTP method, e.g. `GET`.
    pub method: &'static str,
    /// The path template relative to the base URL, e.g. `/uploads/{uploadId}`.
    pub path: &'static str,
    /// Whether sending the request twice has the effect of sending it once
    /// (see [`Operation::IDEMPOTENT`]).
    pub idempotent: bool,
    /// Every path and query parameter, in the document's order.
    pub params: &'static [Param],
    /// The document's summary, on one line (empty when it has none).
    pub summary: &'static str,
    /// The operation's area: its first tag in the document (see `ops::TAGS`),
    /// empty when it has none.
    pub tag: &'static str,
    /// The request body, when the operation takes one.
    pub body: Option<BodyInfo>,
}

/// The request body of an [`OperationInfo`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct BodyInfo {
    /// Decodes JSON bytes as the operation's body type: `Err` says what is
    /// wrong (a missing field, a wrong type, malformed JSON) and where.
    pub check: fn(&[u8]) -> Result<(), String>,
}

/// Decodes `bytes` as a `T`, for [`BodyInfo::check`].
#[doc(hidden)]
pub fn check_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<T>(bytes)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Decodes `bytes` as a `T` and checks its [`Limits`], for [`BodyInfo::check`].
#[doc(hidden)]
#[allow(
    dead_code,
    reason = "the bounded bodies belong to optional areas (projects, teams)"
)]
pub fn check_body_limits<T: DeserializeOwned + Limits>(bytes: &[u8]) -> Result<(), String> {
    let body = serde_json::from_slice::<T>(bytes).map_err(|e| e.to_string())?;
    body.check_limits()
        .map_err(|e| format!("`{}` {}", e.name, e.message))
}

/// A parameter of an operation, as the document describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Param {
    /// The name on the wire, e.g. `pageSize`.
    pub name: &'static str,
    /// The name of the Rust field and setter, e.g. `page_size`.
    pub field: &'static str,
    /// Where the parameter goes.
    pub location: Location,
    /// Whether a request must carry it.
    pub required: bool,
    /// The document's description.
    pub description: &'static str,
    /// The type of its value, with its limits.
    pub kind: ParamKind,
}

/// Where a parameter goes in the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A segment of the path.
    Path,
    /// A pair of the query string.
    Query,
}

/// The type of a parameter's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamKind {
    /// Any string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A whole number within the bounds the document gives.
    Integer {
        /// The smallest value allowed.
        min: Option<i64>,
        /// The largest value allowed.
        max: Option<i64>,
    },
    /// A number.
    Number,
    /// One of the documented values (the API may add more later).
    Enum(&'static [&'static str]),
    /// Several values of the item kind, sent as one comma-separated value.
    List(&'static ParamKind),
}

/// A parameter value the document does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The parameter's wire name.
    pub name: &'static str,
    /// What is wrong with the value.
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.message)
    }
}

impl std::error::Error for ParamError {}

/// Checks an integer against the bounds the document gives (used by the
/// generated `validate` methods).
#[doc(hidden)]
pub fn check_range(
    name: &'static str,
    value: i128,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<(), ParamError> {
    let below = min.is_some_and(|min| value < i128::from(min));
    let above = max.is_some_and(|max| value > i128::from(max));
    if !(below || above) {
        return Ok(());
    }
    let message = match (min, max) {
        (Some(min), Some(max)) => format!("must be between {min} and {max}, got {value}"),
        (Some(min), None) => format!("must be at least {min}, got {value}"),
        (None, Some(max)) => format!("must be at most {max}, got {value}"),
        (None, None) => format!("is out of range, got {value}"),
    };
    Err(ParamError { name, message })
}

/// Checks a number against the bounds the document gives (used by the
/// generated [`Limits`] impls). NaN is out of every range.
#[doc(hidden)]
pub fn check_number(
    name: &'static str,
    value: f64,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<(), ParamError> {
    let below = min.is_some_and(|min| value.is_nan() || value < min);
    let above = max.is_some_and(|max| value.is_nan() || value > max);
    if !(below || above) {
        return Ok(());
    }
    let message = match (min, max) {
        (Some(min), Some(max)) => format!("must be between {min} and {max}, got {value}"),
        (Some(min), None) => format!("must be at least {min}, got {value}"),
        (None, Some(max)) => format!("must be at most {max}, got {value}"),
        (None, None) => format!("is out of range, got {value}"),
    };
    Err(ParamError { name, message })
}

/// Percent-encodes a path parameter as one segment, refusing an empty value
/// (which would turn `/uploads/{id}` into `/uploads/`, another endpoint) and
/// `.` or `..` (which a URL resolves to the segment itself or its parent).
#[doc(hidden)]
pub fn path_segment(name: &'static str, value: &str) -> Result<String, ParamError> {
    if value.trim().is_empty() {
        return Err(ParamError {
            name,
            message: "is empty".into(),
        });
    }
    if matches!(value, "." | "..") {
        return Err(ParamError {
            name,
            message: format!("cannot be {value:?}, which a URL reads as a relative path"),
        });
    }
    Ok(progenitor_client::encode_path(value))
}

/// Serde for a query array sent as one comma-separated value (`style: form`,
/// `explode: false`), used by the generated `…Query` types so that a server
/// parsing a query string and a client building one agree.
#[doc(hidden)]
pub mod comma_separated {
    use std::fmt::{self, Display};
    use std::marker::PhantomData;

    use serde::de::{self, Deserializer, SeqAccess, Visitor};
    use serde::{Deserialize, Serializer};

    /// The values, joined with commas.
    pub fn join<T: Display>(values: &[T]) -> String {
        values
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Serializes `Some(values)` as one comma-separated string.
    pub fn serialize<T: Display, S: Serializer>(
        values: &Option<Vec<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match values {
            Some(values) => serializer.serialize_str(&join(values)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a comma-separated string (empty items dropped), or a sequence.
    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
    where
        T: From<String> + Deserialize<'de>,
        D: Deserializer<'de>,
    {
        struct Values<T>(PhantomData<T>);

        impl<'de, T: From<String> + Deserialize<'de>> Visitor<'de> for Values<T> {
            type Value = Option<Vec<T>>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("comma-separated values")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Some(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(|item| T::from(item.to_owned()))
                        .collect(),
                ))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut values = Vec::new();
                while let Some(value) = seq.next_element()? {
                    values.push(value);
                }
                Ok(Some(values))
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D2: Deserializer<'de>>(
                self,
                inner: D2,
            ) -> Result<Self::Value, D2::Error> {
                inner.deserialize_any(self)
            }
        }

        deserializer.deserialize_any(Values(PhantomData))
    }
}
