//! The operations of the document as data: what the hand-written layers need
//! beside progenitor's client, generated so that nobody copies it by hand.
//!
//! For every operation this writes, into `crates/scenario-api/src/operations.rs`:
//! an owned request type (path parameters, a `…Query` struct of query parameters,
//! the body), setters with the document's descriptions, the limits as constants,
//! an `Operation` impl (method, path, idempotency, parameter table, output type)
//! and, for listings (`paginationToken` in, `nextPaginationToken` out), a
//! `Paginated` impl. Into `crates/scenario-sdk/src/request_setters.rs` it writes
//! the same setters on the SDK's `Request<Op>`, so a parameter added to the
//! document is a setter of the SDK, a flag of the CLI and a filter the fake
//! parses, with no hand edit.
//!
//! Shapes it does not know are refused with an error naming the operation and
//! the parameter, rather than generated approximately.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use heck::{ToPascalCase, ToSnakeCase};
use openapiv3::{
    IntegerFormat, OpenAPI, Operation, Parameter, ParameterData, ParameterSchemaOrContent,
    ReferenceOr, RequestBody, Response, Schema, SchemaKind, StatusCode, Type,
    VariantOrUnknownOrEmpty,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::areas::Gates;

/// One parameter, resolved.
struct ParamSpec {
    wire: String,
    field: Ident,
    required: bool,
    path: bool,
    doc: String,
    ty: ParamType,
}

enum ParamType {
    String,
    Bool,
    Integer {
        rust: Ident,
        min: Option<i64>,
        max: Option<i64>,
        default: Option<i64>,
    },
    Number,
    Enum(Ident),
    /// An array sent as one comma-separated value (`style: form`, `explode: false`).
    List(Box<ParamType>),
}

/// One operation, resolved.
struct OpSpec {
    id: String,
    name: Ident,
    method: String,
    path: String,
    idempotent: bool,
    doc: String,
    /// The document's summary, on one line.
    summary: String,
    /// The operation's first tag: its area of the API.
    tag: String,
    params: Vec<ParamSpec>,
    body: Option<Ident>,
    /// Whether the body's type has numbers the document bounds.
    body_bounded: bool,
    output: Ident,
    pagination: Option<Pagination>,
}

struct Pagination {
    items_field: Ident,
    /// The items' name on the wire, and whether the document requires them.
    items_wire: String,
    items_required: bool,
    item: Ident,
    cursor: Cursor,
}

/// How a listing says where its next page starts.
enum Cursor {
    /// A token in the query (`param`), answered under `next_wire`.
    Token {
        param: Ident,
        next_wire: &'static str,
    },
    /// An `offset` (and `limit`) in the body: the next page starts after the
    /// items received, and the token is that offset in decimal.
    Offset,
}

/// The query parameter a listing takes its token in, and the response field it
/// answers the next one under (the service has both spellings).
const TOKEN_NAMES: [(&str, &str); 2] = [
    ("paginationToken", "nextPaginationToken"),
    ("nextToken", "nextToken"),
];

/// The two generated files: scenario-api's operations and scenario-sdk's setters.
pub struct Rendered {
    /// `crates/scenario-api/src/operations.rs`.
    pub operations: TokenStream,
    /// `crates/scenario-sdk/src/request_setters.rs`.
    pub setters: TokenStream,
}

/// Every operation of a document, resolved, ready to render.
pub struct Resolved {
    ops: Vec<OpSpec>,
    /// The bounded numbers of each named schema that has any.
    bounds: BTreeMap<String, Vec<NumberBound>>,
}

/// A number property of a named schema with a `minimum` or `maximum`.
struct NumberBound {
    wire: String,
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
}

/// Resolves every operation of `spec`.
pub fn resolve_all(spec: &OpenAPI) -> Result<Resolved> {
    let bounds = number_bounds(spec)?;
    let mut ops = Vec::new();
    for (path, method, op) in spec.operations() {
        let id = op.operation_id.as_deref().unwrap_or_default();
        let mut resolved = resolve(spec, path, method, op)
            .with_context(|| format!("operation `{id}` ({} {path})", method.to_uppercase()))?;
        resolved.body_bounded = resolved
            .body
            .as_ref()
            .is_some_and(|body| bounds.contains_key(&body.to_string()));
        ops.push(resolved);
    }
    Ok(Resolved { ops, bounds })
}

/// The number properties of the named object schemas that carry a `minimum`
/// or `maximum`. A bound the generated check could not honour (exclusive, or
/// on an integer, which the generated types already narrow) is refused here
/// rather than silently dropped.
fn number_bounds(spec: &OpenAPI) -> Result<BTreeMap<String, Vec<NumberBound>>> {
    let mut all = BTreeMap::new();
    let Some(components) = &spec.components else {
        return Ok(all);
    };
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            continue;
        };
        let mut bounds = Vec::new();
        for (wire, property) in &object.properties {
            let ReferenceOr::Item(property) = property else {
                continue;
            };
            match &property.schema_kind {
                SchemaKind::Type(Type::Number(number))
                    if number.minimum.is_some() || number.maximum.is_some() =>
                {
                    if number.exclusive_minimum || number.exclusive_maximum {
                        bail!(
                            "{name}.{wire}: exclusive bounds are not supported; use minimum/maximum"
                        );
                    }
                    bounds.push(NumberBound {
                        wire: wire.clone(),
                        required: object.required.contains(wire),
                        min: number.minimum,
                        max: number.maximum,
                    });
                }
                SchemaKind::Type(Type::Integer(integer))
                    if integer.minimum.is_some() || integer.maximum.is_some() =>
                {
                    bail!("{name}.{wire}: bounds on an integer property are not checked yet");
                }
                _ => {}
            }
        }
        if !bounds.is_empty() {
            all.insert(name.to_pascal_case(), bounds);
        }
    }
    Ok(all)
}

/// The bounds as constants on the generated type, and its `Limits` check.
fn render_bounds(ty: &str, bounds: &[NumberBound]) -> TokenStream {
    let ty = format_ident!("{ty}");
    let float = |value: f64| proc_macro2::Literal::f64_unsuffixed(value);
    let consts = bounds.iter().map(|b| {
        let upper = b.wire.to_snake_case().to_uppercase();
        let min = b.min.map(|min| {
            let ident = format_ident!("{upper}_MIN");
            let doc = format!(" The smallest `{}` the document allows.", b.wire);
            let value = float(min);
            quote!(#[doc = #doc] pub const #ident: f64 = #value;)
        });
        let max = b.max.map(|max| {
            let ident = format_ident!("{upper}_MAX");
            let doc = format!(" The largest `{}` the document allows.", b.wire);
            let value = float(max);
            quote!(#[doc = #doc] pub const #ident: f64 = #value;)
        });
        quote!(#min #max)
    });
    let checks = bounds.iter().map(|b| {
        let field = format_ident!("{}", b.wire.to_snake_case());
        let wire = &b.wire;
        let min = match b.min {
            Some(min) => {
                let value = float(min);
                quote!(Some(#value))
            }
            None => quote!(None),
        };
        let max = match b.max {
            Some(max) => {
                let value = float(max);
                quote!(Some(#value))
            }
            None => quote!(None),
        };
        if b.required {
            quote!(check_number(#wire, self.#field, #min, #max)?;)
        } else {
            quote! {
                if let Some(value) = self.#field {
                    check_number(#wire, value, #min, #max)?;
                }
            }
        }
    });
    quote! {
        impl types::#ty {
            #(#consts)*
        }
        impl Limits for types::#ty {
            fn check_limits(&self) -> ::std::result::Result<(), ParamError> {
                #(#checks)*
                Ok(())
            }
        }
    }
}

impl Resolved {
    /// The code of each operation (by its type name), ungated: what it names
    /// decides which types its area needs.
    pub fn tokens_by_op(&self) -> BTreeMap<String, TokenStream> {
        self.ops
            .iter()
            .map(|op| (op.name.to_string(), operation_items(op)))
            .collect()
    }

    /// Renders both files, each operation's code gated by its area.
    pub fn render(&self, spec: &OpenAPI, gates: &Gates) -> Rendered {
        let ops = &self.ops;
        let gated = |op: &OpSpec, tokens: TokenStream| {
            gate_items(tokens, gates.op_cfg(&op.name.to_string()))
        };
        let operations = ops.iter().map(|op| gated(op, operation_items(op)));
        let item_limits = item_limits(spec)
            .into_iter()
            .map(|(ty, tokens)| gate_items(tokens, gates.type_cfg(&ty)));
        let number_limits = self
            .bounds
            .iter()
            .map(|(ty, bounds)| gate_items(render_bounds(ty, bounds), gates.type_cfg(ty)));
        let version = &spec.info.version;
        let tags = spec.tags.iter().map(|tag| {
            let name = &tag.name;
            let description = tag
                .description
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            quote!((#name, #description))
        });
        let setters = ops.iter().map(|op| gated(op, sdk_setters(op)));
        let table = ops.iter().map(|op| {
            let row = table_row(op);
            let cfg = gates.op_cfg(&op.name.to_string());
            quote!(#cfg #row)
        });
        let ids = ops.iter().map(|op| {
            let cfg = gates.op_cfg(&op.name.to_string());
            let name = &op.name;
            let doc = format!(" `{}` (`{} {}`).", op.id, op.method, op.path);
            quote!(#[doc = #doc] #cfg #name)
        });
        Rendered {
            operations: quote! {
                use crate::operation::{BodyInfo, Location, Operation, OperationInfo, Paginated, Param, ParamError, ParamKind, RawPage, check_body, check_range, path_segment};
                // Only the bounded body types use these, and each may belong to an
                // optional area that is off.
                #[allow(unused_imports)]
                use crate::operation::{Limits, check_body_limits, check_number};
                use crate::types;

                /// The document's `info.version` (sent as no header: the document declares none).
                pub const API_VERSION: &str = #version;

                /// Every operation of the document, in its order, as data: what a
                /// generic caller (`scenario api`, the SDK's `call`) needs to send any
                /// of them without its type. Operations of the optional areas are
                /// here when their feature is on.
                pub static OPERATIONS: &[OperationInfo] = &[#(#table),*];

                /// The document's tags, in its order: each area's name (an
                /// [`OperationInfo::tag`]) and its description, on one line.
                pub static TAGS: &[(&str, &str)] = &[#(#tags),*];

                /// Which operation of the document a request is, as a value that can
                /// be matched, compared and hashed: one variant per operation, named
                /// as its type in this module. Operations of the optional areas are
                /// here when their feature is on.
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
                #[non_exhaustive]
                pub enum OperationId { #(#ids),* }

                #(#operations)*

                #(#item_limits)*

                #(#number_limits)*
            },
            setters: quote! {
                use scenario_api::{ops, types};
                use crate::request::Request;
                #(#setters)*
            },
        }
    }
}

/// Puts `cfg` on every item of `tokens`.
fn gate_items(tokens: TokenStream, cfg: Option<syn::Attribute>) -> TokenStream {
    let Some(cfg) = cfg else { return tokens };
    let file: syn::File = syn::parse2(tokens).expect("the generated items parse");
    file.items
        .into_iter()
        .map(|item| quote!(#cfg #item))
        .collect()
}

/// One row of the `OPERATIONS` table.
fn table_row(op: &OpSpec) -> TokenStream {
    let OpSpec {
        id,
        name,
        method,
        path,
        idempotent,
        summary,
        tag,
        ..
    } = op;
    let body = match &op.body {
        Some(ty) if op.body_bounded => {
            quote!(Some(BodyInfo { check: check_body_limits::<types::#ty> }))
        }
        Some(ty) => quote!(Some(BodyInfo { check: check_body::<types::#ty> })),
        None => quote!(None),
    };
    quote! {
        OperationInfo {
            id: #id,
            operation: OperationId::#name,
            method: #method,
            path: #path,
            idempotent: #idempotent,
            params: <#name as Operation>::PARAMS,
            summary: #summary,
            tag: #tag,
            body: #body,
        }
    }
}

/// The document's `maxItems` on the array properties of its named schemas, as
/// constants on the generated types (`ModelTrainingImageRequest::ASSET_IDS_MAX_ITEMS`),
/// so that a limit on a body is written once, in the document.
fn item_limits(spec: &OpenAPI) -> Vec<(String, TokenStream)> {
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let ReferenceOr::Item(schema) = schema else {
                return None;
            };
            let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
                return None;
            };
            let consts: Vec<TokenStream> = object
                .properties
                .iter()
                .filter_map(|(wire, property)| {
                    let ReferenceOr::Item(property) = property else {
                        return None;
                    };
                    let SchemaKind::Type(Type::Array(array)) = &property.schema_kind else {
                        return None;
                    };
                    let max = array.max_items?;
                    let ident = format_ident!("{}_MAX_ITEMS", wire.to_snake_case().to_uppercase());
                    let doc = format!(" The most items `{wire}` may hold, as the document says.");
                    Some(quote!(#[doc = #doc] pub const #ident: usize = #max;))
                })
                .collect();
            if consts.is_empty() {
                return None;
            }
            let ty = format_ident!("{}", name.to_pascal_case());
            Some((
                ty.to_string(),
                quote! {
                    impl types::#ty {
                        #(#consts)*
                    }
                },
            ))
        })
        .collect()
}

fn resolve(spec: &OpenAPI, path: &str, method: &str, op: &Operation) -> Result<OpSpec> {
    let id = op.operation_id.clone().context("no operationId")?;
    let mut params = Vec::new();
    for param in &op.parameters {
        let param = resolve_ref(spec, param, "parameters", |c| &c.parameters)?;
        let (data, path_param) = match param {
            Parameter::Query {
                parameter_data,
                style,
                ..
            } => {
                if !matches!(style, openapiv3::QueryStyle::Form) {
                    bail!(
                        "query parameter `{}` has style {style:?}; only `form` is supported",
                        parameter_data.name
                    );
                }
                (parameter_data, false)
            }
            Parameter::Path { parameter_data, .. } => (parameter_data, true),
            other => bail!(
                "parameter `{}` is in {}; only path and query parameters are supported",
                other.parameter_data_ref().name,
                location_name(other)
            ),
        };
        params.push(resolve_param(spec, data, path_param)?);
    }
    let body = match &op.request_body {
        None => None,
        Some(body) => Some(body_type(spec, body)?),
    };
    let output = output_type(spec, op)?;
    let idempotent = match op.extensions.get("x-idempotent") {
        Some(serde_json::Value::Bool(flag)) => *flag,
        Some(other) => bail!("x-idempotent must be true or false, found {other}"),
        None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
    };
    let pagination = pagination(spec, &params, body.as_ref(), &output)?;
    let summary = op
        .summary
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // The first tag names the operation's area; an untagged one has none ("").
    let tag = op.tags.first().cloned().unwrap_or_default();
    let mut doc = op.summary.clone().unwrap_or_default();
    if let Some(description) = &op.description {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(description.trim());
    }
    Ok(OpSpec {
        name: format_ident!("{}", id.to_pascal_case()),
        id,
        method: method.to_uppercase(),
        path: path.to_owned(),
        idempotent,
        doc,
        summary,
        tag,
        params,
        body,
        body_bounded: false,
        output,
        pagination,
    })
}

fn location_name(param: &Parameter) -> &'static str {
    match param {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "a header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "a cookie",
    }
}

/// Follows a `#/components/<kind>/<name>` reference (one level, as the document uses them).
fn resolve_ref<'a, T>(
    spec: &'a OpenAPI,
    item: &'a ReferenceOr<T>,
    kind: &str,
    pick: impl Fn(&'a openapiv3::Components) -> &'a indexmap::IndexMap<String, ReferenceOr<T>>,
) -> Result<&'a T> {
    match item {
        ReferenceOr::Item(item) => Ok(item),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix(&format!("#/components/{kind}/"))
                .with_context(|| format!("unsupported reference {reference:?}"))?;
            match spec
                .components
                .as_ref()
                .map(&pick)
                .and_then(|m| m.get(name))
            {
                Some(ReferenceOr::Item(item)) => Ok(item),
                Some(ReferenceOr::Reference { .. }) => {
                    bail!("{reference:?} is a reference to a reference; point it at the definition")
                }
                None => bail!("{reference:?} is not defined"),
            }
        }
    }
}

fn schema_name(reference: &str) -> Result<&str> {
    reference
        .strip_prefix("#/components/schemas/")
        .with_context(|| format!("unsupported schema reference {reference:?}"))
}

fn component_schema<'a>(spec: &'a OpenAPI, name: &str) -> Result<&'a Schema> {
    match spec
        .components
        .as_ref()
        .and_then(|c| c.schemas.get(name))
        .with_context(|| format!("schema {name:?} is not defined"))?
    {
        ReferenceOr::Item(schema) => Ok(schema),
        ReferenceOr::Reference { reference } => component_schema(spec, schema_name(reference)?),
    }
}

/// The Rust type progenitor generates for a component schema.
fn type_ident(name: &str) -> Ident {
    format_ident!("{}", name.to_pascal_case())
}

fn resolve_param(spec: &OpenAPI, data: &ParameterData, path: bool) -> Result<ParamSpec> {
    let name = &data.name;
    let ParameterSchemaOrContent::Schema(schema) = &data.format else {
        bail!("parameter `{name}` has `content`; give it a `schema`");
    };
    let ty = match schema {
        ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Array(array)),
            ..
        }) => {
            // `form` arrays explode by default (`k=a&k=b`); the service reads
            // one comma-separated value, which the document says with `explode: false`.
            if data.explode != Some(false) {
                bail!(
                    "array parameter `{name}` must say `explode: false`: arrays are sent as one \
                     comma-separated value"
                );
            }
            if data.required {
                bail!("array parameter `{name}` is required; only optional arrays are supported");
            }
            let items = array
                .items
                .as_ref()
                .with_context(|| format!("array parameter `{name}` has no `items`"))?;
            let items = match items {
                ReferenceOr::Reference { reference } => ReferenceOr::Reference {
                    reference: reference.clone(),
                },
                ReferenceOr::Item(schema) => ReferenceOr::Item((**schema).clone()),
            };
            match value_type(spec, name, &items)? {
                item @ (ParamType::String | ParamType::Enum(_)) => ParamType::List(Box::new(item)),
                _ => bail!(
                    "array parameter `{name}` has items that are not strings or string enums; \
                     only those can be joined with commas"
                ),
            }
        }
        schema => value_type(spec, name, schema)?,
    };
    if path && !matches!(ty, ParamType::String) {
        bail!("path parameter `{name}` must be a string");
    }
    let mut field = name.to_snake_case();
    if syn::parse_str::<Ident>(&field).is_err() {
        // A Rust keyword (`type`): progenitor's spelling, so both clients agree.
        field.push('_');
    }
    Ok(ParamSpec {
        wire: name.clone(),
        field: format_ident!("{field}"),
        required: data.required || path,
        path,
        doc: data
            .description
            .clone()
            .unwrap_or_else(|| format!("The `{name}` parameter."))
            .trim()
            .to_owned(),
        ty,
    })
}

/// The type of one value of a parameter (the parameter itself, or an array's item).
fn value_type(spec: &OpenAPI, name: &str, schema: &ReferenceOr<Schema>) -> Result<ParamType> {
    Ok(match schema {
        ReferenceOr::Reference { reference } => {
            let target = schema_name(reference)?;
            match &component_schema(spec, target)?.schema_kind {
                SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
                    ParamType::Enum(type_ident(target))
                }
                _ => bail!(
                    "parameter `{name}` refers to {target}, which is not a string enum; \
                     only string enums are supported by reference"
                ),
            }
        }
        ReferenceOr::Item(schema) => match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => bail!(
                "parameter `{name}` has an inline enum; move it to components/schemas and \
                 $ref it, so the CLI, the SDK and the fake share one type"
            ),
            SchemaKind::Type(Type::String(_)) => ParamType::String,
            SchemaKind::Type(Type::Boolean(_)) => ParamType::Bool,
            SchemaKind::Type(Type::Number(_)) => ParamType::Number,
            SchemaKind::Type(Type::Integer(int)) => {
                let unsigned = int.minimum.is_some_and(|min| min >= 0);
                let wide = matches!(
                    int.format,
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64)
                ) || matches!(&int.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "uint64");
                let rust = match (unsigned, wide) {
                    (true, false) => "u32",
                    (true, true) => "u64",
                    (false, _) => "i64",
                };
                let exclusive = |bound: Option<i64>, exclusive: bool, step: i64| {
                    bound.map(|b| if exclusive { b + step } else { b })
                };
                ParamType::Integer {
                    rust: format_ident!("{rust}"),
                    min: exclusive(int.minimum, int.exclusive_minimum, 1),
                    max: exclusive(int.maximum, int.exclusive_maximum, -1),
                    default: schema
                        .schema_data
                        .default
                        .as_ref()
                        .and_then(serde_json::Value::as_i64),
                }
            }
            _ => bail!(
                "parameter `{name}` is an array or object; only strings, booleans, numbers \
                 and string enums are supported in the query and path"
            ),
        },
    })
}

fn json_schema_ref<'a>(
    content: &'a indexmap::IndexMap<String, openapiv3::MediaType>,
    what: &str,
) -> Result<&'a str> {
    let media = content
        .get("application/json")
        .with_context(|| format!("the {what} is not application/json"))?;
    match &media.schema {
        Some(ReferenceOr::Reference { reference }) => schema_name(reference),
        Some(ReferenceOr::Item(_)) => {
            bail!("the {what} schema is inline; define it under components/schemas and $ref it")
        }
        None => bail!("the {what} has no schema"),
    }
}

fn body_type(spec: &OpenAPI, body: &ReferenceOr<RequestBody>) -> Result<Ident> {
    let body = resolve_ref(spec, body, "requestBodies", |c| &c.request_bodies)?;
    if !body.required {
        bail!("an optional request body is not supported; mark it `required: true`");
    }
    Ok(type_ident(json_schema_ref(&body.content, "request body")?))
}

fn output_type(spec: &OpenAPI, op: &Operation) -> Result<Ident> {
    let mut found = None;
    for (status, response) in &op.responses.responses {
        let success = match status {
            StatusCode::Code(code) => (200..300).contains(code),
            StatusCode::Range(range) => *range == 2,
        };
        if !success {
            continue;
        }
        let response: &Response = resolve_ref(spec, response, "responses", |c| &c.responses)?;
        let name = json_schema_ref(&response.content, "success response")?;
        if found.replace(name).is_some_and(|previous| previous != name) {
            bail!("success responses with different schemas are not supported");
        }
    }
    Ok(type_ident(found.context("no 2xx response")?))
}

/// A listing: a token in the query (`paginationToken`, answered as
/// `nextPaginationToken`; or `nextToken` both ways), or an `offset` and `limit`
/// in the body; and exactly one array of `$ref` items in the response.
fn pagination(
    spec: &OpenAPI,
    params: &[ParamSpec],
    body: Option<&Ident>,
    output: &Ident,
) -> Result<Option<Pagination>> {
    let token = TOKEN_NAMES.iter().find_map(|&(param, next)| {
        params
            .iter()
            .find(|p| p.wire == param && !p.path)
            .map(|p| (p, next))
    });
    let by_offset = match body {
        Some(body) => offset_body(spec, &body.to_string())?,
        None => false,
    };
    let cursor = match (token, by_offset) {
        (Some((param, next_wire)), _) => Cursor::Token {
            param: param.field.clone(),
            next_wire,
        },
        (None, true) => Cursor::Offset,
        (None, false) => return Ok(None),
    };
    let schema = component_schema(spec, &output.to_string())?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        bail!("a listing (it takes a page token or offset) must answer an object");
    };
    if let Cursor::Token { next_wire, .. } = &cursor
        && !object.properties.contains_key(*next_wire)
    {
        bail!("a listing that takes a page token must answer {next_wire}");
    }
    let mut arrays = object.properties.iter().filter_map(|(name, prop)| {
        let prop = match prop {
            ReferenceOr::Item(prop) => prop,
            ReferenceOr::Reference { .. } => return None,
        };
        match &prop.schema_kind {
            SchemaKind::Type(Type::Array(array)) => Some((name, array)),
            _ => None,
        }
    });
    let (Some((name, array)), None) = (arrays.next(), arrays.next()) else {
        bail!("a listing must answer exactly one array of items beside its page token or offset");
    };
    let item = match &array.items {
        Some(ReferenceOr::Reference { reference }) => type_ident(schema_name(reference)?),
        _ => bail!("the items of listing field `{name}` must be a $ref to a schema"),
    };
    Ok(Some(Pagination {
        items_field: format_ident!("{}", name.to_snake_case()),
        items_wire: name.clone(),
        items_required: object.required.contains(name),
        item,
        cursor,
    }))
}

/// Whether a request body pages by offset: it has numeric `offset` and `limit`.
fn offset_body(spec: &OpenAPI, name: &str) -> Result<bool> {
    let schema = component_schema(spec, name)?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return Ok(false);
    };
    let numeric = |field: &str| {
        matches!(
            object.properties.get(field),
            Some(ReferenceOr::Item(prop))
                if matches!(prop.schema_kind, SchemaKind::Type(Type::Number(_)))
        )
    };
    Ok(numeric("offset") && numeric("limit"))
}

/// The `Paginated` impl of a listing.
fn render_pagination(name: &Ident, pg: &Pagination) -> TokenStream {
    let items = &pg.items_field;
    let item = &pg.item;
    let items_wire = &pg.items_wire;
    // The same rules as the typed response: required or not as documented,
    // `null` as the empty list.
    let items_default = if pg.items_required {
        quote!()
    } else {
        quote!(default,)
    };
    let (token_fns, envelope_next, next_of) = match &pg.cursor {
        Cursor::Token { param, next_wire } => (
            quote! {
                fn pagination_token(&self) -> ::std::option::Option<::std::string::String> {
                    self.query.#param.clone()
                }
                fn set_pagination_token(&mut self, token: ::std::option::Option<::std::string::String>) {
                    self.query.#param = token;
                }
                fn trailing_token(&self, body: &[u8]) -> ::std::option::Option<::std::string::String> {
                    crate::operation::trailing_string_member(body, #next_wire)
                }
            },
            quote! {
                #[serde(rename = #next_wire, default)]
                next_token: ::std::option::Option<::std::string::String>,
            },
            quote!(envelope.next_token),
        ),
        Cursor::Offset => (
            quote! {
                /// The offset this request starts at, in decimal.
                fn pagination_token(&self) -> ::std::option::Option<::std::string::String> {
                    crate::operation::offset_token(self.body.offset)
                }
                /// Starts at the offset `token` gives (from [`Paginated::raw_page`]);
                /// `None`, or a token that is not an offset, starts at the first item.
                fn set_pagination_token(&mut self, token: ::std::option::Option<::std::string::String>) {
                    self.body.offset = crate::operation::offset_of(token.as_deref());
                }
            },
            quote!(),
            quote!(crate::operation::next_offset(
                self.body.offset,
                self.body.limit,
                envelope.items.len()
            )),
        ),
    };
    quote! {
        impl Paginated for #name {
            type Item = types::#item;
            #token_fns
            fn into_items(output: Self::Output) -> ::std::vec::Vec<Self::Item> {
                output.#items
            }
            fn raw_page<'b>(&self, body: &'b [u8]) -> ::serde_json::Result<RawPage<'b>> {
                #[derive(::serde::Deserialize)]
                struct Envelope<'a> {
                    #[serde(rename = #items_wire, borrow, #items_default deserialize_with = "crate::lenient::null_as_empty")]
                    items: ::std::vec::Vec<&'a ::serde_json::value::RawValue>,
                    #envelope_next
                }
                let envelope: Envelope<'b> = ::serde_json::from_slice(body)?;
                let next_token = #next_of;
                Ok(RawPage { items: envelope.items, next_token })
            }
        }
    }
}

fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        let line = format!(" {}", line.trim_end());
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

impl ParamType {
    /// The field's type (without `Option`).
    fn rust(&self) -> TokenStream {
        match self {
            ParamType::String => quote!(::std::string::String),
            ParamType::Bool => quote!(bool),
            ParamType::Integer { rust, .. } => quote!(#rust),
            ParamType::Number => quote!(f64),
            ParamType::Enum(name) => quote!(types::#name),
            ParamType::List(item) => {
                let item = item.rust();
                quote!(::std::vec::Vec<#item>)
            }
        }
    }

    /// The setter's argument type and how it becomes the field's value.
    fn setter_arg(&self) -> (TokenStream, TokenStream) {
        match self {
            ParamType::String => (
                quote!(impl ::std::convert::Into<::std::string::String>),
                quote!(value.into()),
            ),
            ParamType::Enum(name) => (
                quote!(impl ::std::convert::Into<types::#name>),
                quote!(value.into()),
            ),
            ParamType::List(item) => {
                let item = item.rust();
                (
                    quote!(impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#item>>),
                    quote!(value.into_iter().map(::std::convert::Into::into).collect()),
                )
            }
            other => (other.rust(), quote!(value)),
        }
    }

    fn kind(&self) -> TokenStream {
        match self {
            ParamType::String => quote!(ParamKind::String),
            ParamType::Bool => quote!(ParamKind::Boolean),
            ParamType::Number => quote!(ParamKind::Number),
            ParamType::Integer { min, max, .. } => {
                let min = option_tokens(*min);
                let max = option_tokens(*max);
                quote!(ParamKind::Integer { min: #min, max: #max })
            }
            ParamType::Enum(name) => quote!(ParamKind::Enum(types::#name::VALUES)),
            ParamType::List(item) => {
                let item = item.kind();
                quote!(ParamKind::List(&#item))
            }
        }
    }
}

fn option_tokens(value: Option<i64>) -> TokenStream {
    match value {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

fn operation_items(op: &OpSpec) -> TokenStream {
    let name = &op.name;
    let query_name = format_ident!("{}Query", op.name);
    let query: Vec<&ParamSpec> = op.params.iter().filter(|p| !p.path).collect();
    let path_params: Vec<&ParamSpec> = op.params.iter().filter(|p| p.path).collect();
    let has_query = !query.is_empty();

    let doc = doc_attrs(&format!(
        "`{} {}` (`{}`): {}",
        op.method, op.path, op.id, op.doc
    ));
    let query_doc = format!(" The query parameters of [`{name}`].");

    // The query struct: serde with the wire names, so a server can parse it too.
    let query_fields = query.iter().map(|p| {
        let field = &p.field;
        let wire = &p.wire;
        let ty = p.ty.rust();
        let doc = doc_attrs(&p.doc);
        if p.required {
            quote! { #doc #[serde(rename = #wire)] pub #field: #ty, }
        } else if matches!(p.ty, ParamType::List(_)) {
            quote! {
                #doc
                #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none", with = "crate::operation::comma_separated")]
                pub #field: ::std::option::Option<#ty>,
            }
        } else {
            quote! {
                #doc
                #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
                pub #field: ::std::option::Option<#ty>,
            }
        }
    });
    let query_setters = query.iter().map(|p| setter(p, quote!(self)));
    let required_query: Vec<&&ParamSpec> = query.iter().filter(|p| p.required).collect();
    let query_default = if required_query.is_empty() {
        quote!(Default,)
    } else {
        quote!()
    };
    let limits = query.iter().filter_map(|p| {
        let ParamType::Integer {
            rust,
            min,
            max,
            default,
        } = &p.ty
        else {
            return None;
        };
        let upper = p.field.to_string().trim_end_matches('_').to_uppercase();
        let min_const = min.map(|m| {
            let ident = format_ident!("{upper}_MIN");
            let value = proc_macro2::Literal::i64_unsuffixed(m);
            let doc = format!(" The smallest `{}` the document allows.", p.wire);
            quote!(#[doc = #doc] pub const #ident: #rust = #value;)
        });
        let max_const = max.map(|m| {
            let ident = format_ident!("{upper}_MAX");
            let value = proc_macro2::Literal::i64_unsuffixed(m);
            let doc = format!(" The largest `{}` the document allows.", p.wire);
            quote!(#[doc = #doc] pub const #ident: #rust = #value;)
        });
        let default_const = default.map(|d| {
            let ident = format_ident!("{upper}_DEFAULT");
            let value = proc_macro2::Literal::i64_unsuffixed(d);
            let doc = format!(" The `{}` the service uses when none is sent.", p.wire);
            quote!(#[doc = #doc] pub const #ident: #rust = #value;)
        });
        Some(quote!(#min_const #max_const #default_const))
    });
    let checks = query.iter().filter_map(|p| {
        let ParamType::Integer { min, max, .. } = &p.ty else {
            return None;
        };
        if min.is_none() && max.is_none() {
            return None;
        }
        let field = &p.field;
        let wire = &p.wire;
        let min = option_tokens(*min);
        let max = option_tokens(*max);
        Some(if p.required {
            quote!(check_range(#wire, i128::from(self.#field), #min, #max)?;)
        } else {
            quote! {
                if let Some(value) = self.#field {
                    check_range(#wire, i128::from(value), #min, #max)?;
                }
            }
        })
    });
    let pairs = query.iter().map(|p| {
        let field = &p.field;
        let wire = &p.wire;
        if p.required {
            quote!(pairs.push((#wire, self.#field.to_string()));)
        } else if matches!(p.ty, ParamType::List(_)) {
            quote! {
                if let Some(values) = &self.#field {
                    pairs.push((#wire, crate::operation::comma_separated::join(values)));
                }
            }
        } else {
            quote! {
                if let Some(value) = &self.#field {
                    pairs.push((#wire, value.to_string()));
                }
            }
        }
    });
    let query_struct = has_query.then(|| {
        let ctor = (!required_query.is_empty()).then(|| {
            let args = required_query.iter().map(|p| {
                let field = &p.field;
                let (arg, _) = p.ty.setter_arg();
                quote!(#field: #arg)
            });
            let inits = query.iter().map(|p| {
                let field = &p.field;
                if p.required {
                    quote!(#field: #field.into())
                } else {
                    quote!(#field: None)
                }
            });
            quote! {
                /// The query with its required parameters.
                pub fn new(#(#args),*) -> Self {
                    Self { #(#inits),* }
                }
            }
        });
        quote! {
            #[doc = #query_doc]
            #[derive(Clone, Debug, #query_default PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[non_exhaustive]
            pub struct #query_name {
                #(#query_fields)*
            }

            impl #query_name {
                #ctor
                #(#limits)*
                #(#query_setters)*

                /// Checks every value against the document's limits.
                pub fn validate(&self) -> ::std::result::Result<(), ParamError> {
                    #(#checks)*
                    Ok(())
                }

                /// The query string as name/value pairs, after [`Self::validate`].
                pub fn pairs(&self) -> ::std::result::Result<::std::vec::Vec<(&'static str, ::std::string::String)>, ParamError> {
                    self.validate()?;
                    let mut pairs = ::std::vec::Vec::new();
                    #(#pairs)*
                    Ok(pairs)
                }
            }
        }
    });

    // The operation struct.
    let mut fields = Vec::new();
    let mut ctor_args = Vec::new();
    let mut ctor_inits = Vec::new();
    for p in &path_params {
        let field = &p.field;
        let doc = doc_attrs(&p.doc);
        fields.push(quote!(#doc pub #field: ::std::string::String,));
        ctor_args.push(quote!(#field: impl ::std::convert::Into<::std::string::String>));
        ctor_inits.push(quote!(#field: #field.into()));
    }
    if has_query {
        fields.push(quote!(/// The query parameters.
            pub query: #query_name,));
        if required_query.is_empty() {
            ctor_inits.push(quote!(query: #query_name::default()));
        } else {
            ctor_args.push(quote!(query: #query_name));
            ctor_inits.push(quote!(query));
        }
    }
    if let Some(body) = &op.body {
        fields.push(quote!(/// The request body.
            pub body: types::#body,));
        ctor_args.push(quote!(body: impl ::std::convert::Into<types::#body>));
        ctor_inits.push(quote!(body: body.into()));
    }
    let op_setters = query.iter().map(|p| setter(p, quote!(self.query)));
    let derive_default = if path_params.is_empty() && op.body.is_none() && required_query.is_empty()
    {
        quote!(Default,)
    } else {
        quote!()
    };
    let path_template = &op.path;
    let path_expr = if path_params.is_empty() {
        quote!(Ok(#path_template.to_owned()))
    } else {
        let mut format = op.path.clone();
        let mut args = Vec::new();
        for p in &path_params {
            format = format.replace(&format!("{{{}}}", p.wire), "{}");
            let field = &p.field;
            let wire = &p.wire;
            args.push(quote!(path_segment(#wire, &self.#field)?));
        }
        quote!(Ok(format!(#format, #(#args),*)))
    };
    let query_expr = if has_query {
        quote!(self.query.pairs())
    } else {
        quote!(Ok(::std::vec::Vec::new()))
    };
    let check_body = op.body_bounded.then(|| {
        quote! {
            fn check_body(&self) -> ::std::result::Result<(), ParamError> {
                self.body.check_limits()
            }
        }
    });
    let body_expr = if op.body.is_some() {
        quote!(Some(::serde_json::to_vec(&self.body)))
    } else {
        quote!(None)
    };
    let id = &op.id;
    let method = &op.method;
    let idempotent = op.idempotent;
    let output = &op.output;
    let params_table = op.params.iter().map(|p| {
        let wire = &p.wire;
        let field = p.field.to_string();
        let location = if p.path {
            quote!(Location::Path)
        } else {
            quote!(Location::Query)
        };
        let required = p.required;
        let description = &p.doc;
        let kind = p.ty.kind();
        quote! {
            Param { name: #wire, field: #field, location: #location, required: #required, description: #description, kind: #kind }
        }
    });
    let paginated = op.pagination.as_ref().map(|pg| render_pagination(name, pg));
    quote! {
        #query_struct

        #doc
        #[derive(Clone, Debug, #derive_default)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            /// The request, with its required parameters.
            pub fn new(#(#ctor_args),*) -> Self {
                Self { #(#ctor_inits),* }
            }
            #(#op_setters)*
        }

        impl Operation for #name {
            const ID: &'static str = #id;
            const OPERATION: OperationId = OperationId::#name;
            const METHOD: &'static str = #method;
            const PATH: &'static str = #path_template;
            const IDEMPOTENT: bool = #idempotent;
            const PARAMS: &'static [Param] = &[#(#params_table),*];
            type Output = types::#output;

            fn path(&self) -> ::std::result::Result<::std::string::String, ParamError> {
                #path_expr
            }
            fn query(&self) -> ::std::result::Result<::std::vec::Vec<(&'static str, ::std::string::String)>, ParamError> {
                #query_expr
            }
            fn body(&self) -> ::std::option::Option<::serde_json::Result<::std::vec::Vec<u8>>> {
                #body_expr
            }
            #check_body
        }

        #paginated
    }
}

/// A by-value setter of one query parameter, writing to `target` (`self` or `self.query`).
fn setter(p: &ParamSpec, target: TokenStream) -> TokenStream {
    let field = &p.field;
    let doc = doc_attrs(&p.doc);
    let (arg, value) = p.ty.setter_arg();
    let assign = if p.required {
        quote!(#target.#field = #value;)
    } else {
        quote!(#target.#field = ::std::option::Option::Some(#value);)
    };
    quote! {
        #doc
        #[must_use]
        pub fn #field(mut self, value: #arg) -> Self {
            #assign
            self
        }
    }
}

/// The SDK's setters: `Request<ops::X>` forwards each query parameter to its operation.
fn sdk_setters(op: &OpSpec) -> TokenStream {
    let name = &op.name;
    let setters: Vec<TokenStream> = op
        .params
        .iter()
        .filter(|p| !p.path)
        .map(|p| {
            let field = &p.field;
            let doc = doc_attrs(&p.doc);
            let (arg, _) = p.ty.setter_arg();
            quote! {
                #doc
                pub fn #field(self, value: #arg) -> Self {
                    self.map_operation(|op| op.#field(value))
                }
            }
        })
        .collect();
    if setters.is_empty() {
        return quote!();
    }
    quote! {
        impl Request<ops::#name> {
            #(#setters)*
        }
    }
}
