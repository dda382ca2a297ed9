//! The areas of the API as Cargo features: what a user who needs only some of
//! the API compiles.
//!
//! An area is a tag of the document (an operation's first tag).
//! A tag marked `x-cargo-feature: true` is an optional area: its operations,
//! and every type that only optional areas use, compile only with the Cargo
//! feature of the same name. The other areas are the core that the SDK's own
//! helpers stand on, always compiled, as is an operation without a tag.
//!
//! Which types an area needs is computed, not declared: the types an operation
//! names (its parameters, body, output and errors, as progenitor's request
//! builder and our operation type spell them), then every type those name, to
//! the end. A type that a core operation reaches, or that no operation reaches
//! (so that nothing decides for it), is always compiled; any other is compiled
//! when one of the areas that reach it is on. Since everything a compiled type
//! names is reached by the same areas, the gated code always compiles whole.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use heck::ToPascalCase;
use openapiv3::OpenAPI;
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Attribute, Item, parse_quote};

/// The extension that marks a tag as an optional area.
pub const EXTENSION: &str = "x-cargo-feature";

/// Which code compiles under which area features.
#[derive(Debug, Default)]
pub struct Gates {
    /// Operation type name (`ListModels`) to its optional area.
    op_area: BTreeMap<String, String>,
    /// Type name to the optional areas that reach it, for the types that only
    /// optional areas reach.
    type_areas: BTreeMap<String, BTreeSet<String>>,
    /// Every optional area, in the document's order of tags.
    optional: Vec<String>,
}

impl Gates {
    /// Computes the gates of the document `spec`, whose types and request
    /// builders progenitor wrote into `client`; `op_tokens` holds the
    /// hand-rolled code of each operation (by type name), whose type names
    /// count as well.
    pub fn new(
        spec: &OpenAPI,
        client: &syn::File,
        op_tokens: &BTreeMap<String, TokenStream>,
    ) -> Result<Self> {
        let optional = optional_areas(spec)?;
        let mut op_area = BTreeMap::new();
        for (_, _, op) in spec.operations() {
            let id = op.operation_id.as_deref().unwrap_or_default();
            if let Some(tag) = op.tags.first().filter(|tag| optional.contains(tag)) {
                op_area.insert(id.to_pascal_case(), tag.clone());
            }
        }

        let types = types_module(client)?;
        let graph = type_graph(types);
        let mut roots: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for item in builder_module(client).into_iter().flatten() {
            if let Some(op) = builder_op(item) {
                roots
                    .entry(op)
                    .or_default()
                    .extend(named_types(item.to_token_stream()));
            }
        }
        for (op, tokens) in op_tokens {
            roots
                .entry(op.clone())
                .or_default()
                .extend(named_types(tokens.clone()));
        }

        let reach = |from: &mut dyn Iterator<Item = &String>| closure(&graph, from);
        let reached_by_any = reach(&mut roots.values().flatten());
        let orphans: Vec<String> = graph
            .keys()
            .filter(|ty| !reached_by_any.contains(*ty))
            .cloned()
            .collect();
        let core = reach(
            &mut roots
                .iter()
                .filter(|(op, _)| !op_area.contains_key(*op))
                .flat_map(|(_, types)| types)
                .chain(&orphans),
        );
        let mut type_areas: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for area in &optional {
            let reached = reach(
                &mut roots
                    .iter()
                    .filter(|(op, _)| op_area.get(*op) == Some(area))
                    .flat_map(|(_, types)| types),
            );
            for ty in reached.difference(&core) {
                type_areas
                    .entry(ty.clone())
                    .or_default()
                    .insert(area.clone());
            }
        }
        Ok(Self {
            op_area,
            type_areas,
            optional,
        })
    }

    /// Every optional area, in the document's order.
    pub fn optional_areas(&self) -> &[String] {
        &self.optional
    }

    /// The optional area of the operation named `op` (`ListModels`), if any.
    pub fn op_area(&self, op: &str) -> Option<&str> {
        self.op_area.get(op).map(String::as_str)
    }

    /// The attribute that gates the code of operation `op`, if it is optional.
    pub fn op_cfg(&self, op: &str) -> Option<Attribute> {
        let area = self.op_area(op)?;
        Some(parse_quote!(#[cfg(feature = #area)]))
    }

    /// The attribute that gates the type named `ty`, if only optional areas reach it.
    pub fn type_cfg(&self, ty: &str) -> Option<Attribute> {
        let areas = self.type_areas.get(ty)?;
        Some(if areas.len() == 1 {
            let area = areas.first().expect("one area");
            parse_quote!(#[cfg(feature = #area)])
        } else {
            let areas = areas.iter();
            parse_quote!(#[cfg(any(#(feature = #areas),*))])
        })
    }

    /// The attributes that gate code which names the types in `tokens`: one
    /// per distinct gate (several `cfg` attributes must all hold).
    pub fn cfgs_for(&self, tokens: TokenStream) -> Vec<Attribute> {
        let mut seen = BTreeSet::new();
        let mut mentioned = BTreeSet::new();
        idents(tokens, &mut |ident| {
            mentioned.insert(ident);
        });
        mentioned
            .iter()
            .filter_map(|ty| self.type_areas.get(ty).map(|areas| (ty, areas)))
            .filter(|(_, areas)| seen.insert((*areas).clone()))
            .filter_map(|(ty, _)| self.type_cfg(ty))
            .collect()
    }
}

/// The crates whose Cargo features mirror the optional areas, and what each
/// area's feature must turn on there (`{}` is the area).
const FEATURE_CRATES: [(&str, Option<&str>); 2] = [
    ("scenario-api", None),
    ("scenario-sdk", Some("scenario-api/{}")),
];

/// Checks that the Cargo features of scenario-api and scenario-sdk are the
/// optional areas of `spec`: a feature per area (the SDK's turning on
/// scenario-api's), and `full` with them all. A tag newly marked in the
/// document thus fails generation with what to add, rather than compiling
/// nowhere.
pub fn check_cargo_features(root: &std::path::Path, spec: &OpenAPI) -> Result<()> {
    let optional = optional_areas(spec)?;
    let metadata = cargo_metadata(root)?;
    let mut problems = Vec::new();
    for (krate, implies) in FEATURE_CRATES {
        let features = package_features(&metadata, krate)?;
        let enables = |feature: &str| -> Option<Vec<&str>> {
            Some(
                features
                    .get(feature)?
                    .as_array()?
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .collect(),
            )
        };
        let full = enables("full").unwrap_or_default();
        for area in &optional {
            let wanted: Vec<String> = implies.map(|i| i.replace("{}", area)).into_iter().collect();
            match enables(area) {
                None => problems.push(format!(
                    "{krate} has no feature `{area}`: add `{area} = {wanted:?}`"
                )),
                Some(on) if wanted.iter().any(|w| !on.contains(&w.as_str())) => problems.push(
                    format!("{krate}'s feature `{area}` must turn on {wanted:?}"),
                ),
                Some(_) => {}
            }
            if !full.contains(&area.as_str()) {
                problems.push(format!("{krate}'s feature `full` must list `{area}`"));
            }
        }
        for listed in &full {
            if !optional.iter().any(|area| area == listed) {
                problems.push(format!(
                    "{krate}'s feature `full` lists `{listed}`, which is no optional area of the document"
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "the Cargo features do not match the document's optional areas (tags with `{EXTENSION}: true`):\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// `cargo metadata` (no dependencies) of the workspace at `root`.
pub fn cargo_metadata(root: &std::path::Path) -> Result<serde_json::Value> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .context("running `cargo metadata`")?;
    if !output.status.success() {
        bail!(
            "`cargo metadata` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("reading `cargo metadata`")
}

/// The `features` table of package `krate` in `metadata`.
pub fn package_features<'a>(
    metadata: &'a serde_json::Value,
    krate: &str,
) -> Result<&'a serde_json::Value> {
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == krate)
        .map(|p| &p["features"])
        .with_context(|| format!("`cargo metadata` lists no package {krate}"))
}

/// How many operations of `spec` compile with the optional areas `on`.
pub fn compiled_operations(spec: &OpenAPI, on: &[String]) -> Result<usize> {
    let optional = optional_areas(spec)?;
    Ok(spec
        .operations()
        .filter(|(_, _, op)| {
            op.tags
                .first()
                .is_none_or(|tag| !optional.contains(tag) || on.contains(tag))
        })
        .count())
}

/// The SDK's TLS stacks, one Cargo feature each.
const TLS_FEATURES: &[&str] = &[
    "rustls-graviola",
    "rustls-ring",
    "rustls-aws-lc-rs",
    "native-tls",
];

/// `cargo xtask check-features`: clippy (warnings denied) over scenario-sdk,
/// and through it scenario-api, with no optional area, with each alone and
/// with the defaults, so that no combination a user may pick fails to build.
pub fn check_each(root: &std::path::Path) -> Result<()> {
    let path = root.join(crate::SPEC_PATH);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let spec = crate::codegen::parse_spec(&text)?;
    check_cargo_features(root, &spec)?;
    let mut sets: Vec<Vec<String>> = vec![vec!["--no-default-features".into()]];
    for area in optional_areas(&spec)? {
        sets.push(vec![
            "--no-default-features".into(),
            "--features".into(),
            area,
        ]);
    }
    // Each TLS stack alone (their code is cfg'd in the SDK's tls.rs), and the
    // default set. The TLS features are the SDK's, not the document's.
    let metadata = cargo_metadata(root)?;
    let sdk_features = package_features(&metadata, "scenario-sdk")?;
    for tls in TLS_FEATURES {
        if sdk_features.get(*tls).is_none() {
            bail!("scenario-sdk has no feature `{tls}`; update TLS_FEATURES in xtask/src/areas.rs");
        }
        sets.push(vec![
            "--no-default-features".into(),
            "--features".into(),
            (*tls).into(),
        ]);
    }
    sets.push(Vec::new());
    for set in sets {
        println!("clippy -p scenario-sdk {}", set.join(" "));
        let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
            .args(["clippy", "--quiet", "-p", "scenario-sdk", "--lib"])
            .args(&set)
            .args(["--", "-D", "warnings"])
            .current_dir(root)
            .status()
            .context("running `cargo clippy`")?;
        if !status.success() {
            bail!("scenario-sdk does not build cleanly with {}", set.join(" "));
        }
    }
    Ok(())
}

/// The tags marked `x-cargo-feature: true`, checked to be Cargo feature names.
pub fn optional_areas(spec: &OpenAPI) -> Result<Vec<String>> {
    let mut optional = Vec::new();
    for tag in &spec.tags {
        match tag.extensions.get(EXTENSION) {
            None | Some(serde_json::Value::Bool(false)) => {}
            Some(serde_json::Value::Bool(true)) => {
                let valid = tag
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !valid || tag.name.is_empty() {
                    bail!(
                        "tag {:?} is marked `{EXTENSION}` but is not a Cargo feature name \
                         (lower-case letters, digits and `-`)",
                        tag.name
                    );
                }
                optional.push(tag.name.clone());
            }
            Some(other) => bail!(
                "tag {:?}: `{EXTENSION}` must be true or false, found {other}",
                tag.name
            ),
        }
    }
    Ok(optional)
}

fn types_module(file: &syn::File) -> Result<&[Item]> {
    file.items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|(_, items)| &items[..]),
            _ => None,
        })
        .context("progenitor wrote no `types` module")
}

fn builder_module(file: &syn::File) -> Option<&[Item]> {
    file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| &items[..]),
        _ => None,
    })
}

/// The operation a request builder item belongs to: progenitor names each
/// builder after its operation.
pub fn builder_op(item: &Item) -> Option<String> {
    let ident = match item {
        Item::Struct(s) => &s.ident,
        Item::Impl(i) => match &*i.self_ty {
            syn::Type::Path(p) => &p.path.segments.last()?.ident,
            _ => return None,
        },
        _ => return None,
    };
    Some(ident.to_string())
}

/// The name a type definition of the `types` module defines.
pub fn defined_type(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

/// Each type of the `types` module to the other types its definition names.
fn type_graph(types: &[Item]) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = types.iter().filter_map(defined_type).collect();
    types
        .iter()
        .filter_map(|item| {
            let name = defined_type(item)?;
            let mut edges = BTreeSet::new();
            idents(item.to_token_stream(), &mut |ident| {
                if ident != name && names.contains(&ident) {
                    edges.insert(ident);
                }
            });
            Some((name, edges))
        })
        .collect()
}

/// The types reachable from `from` (included) in `graph`.
fn closure(
    graph: &BTreeMap<String, BTreeSet<String>>,
    from: &mut dyn Iterator<Item = &String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = from.cloned().collect();
    while let Some(ty) = stack.pop() {
        if !graph.contains_key(&ty) || !seen.insert(ty.clone()) {
            continue;
        }
        stack.extend(graph[&ty].iter().cloned());
    }
    seen
}

/// The names that follow `types ::` in `tokens`: the generated types that
/// code outside the `types` module names.
fn named_types(tokens: TokenStream) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut path = Vec::new();
    walk(tokens, &mut |tree| {
        match tree {
            TokenTree::Ident(ident) => {
                let ident = ident.to_string();
                if path.len() == 3 && path[0] == "types" {
                    found.insert(ident.clone());
                }
                path = vec![ident];
                return;
            }
            TokenTree::Punct(p) if p.as_char() == ':' && !path.is_empty() && path.len() < 3 => {
                path.push(":".to_owned());
                return;
            }
            _ => {}
        }
        path.clear();
    });
    found
}

fn idents(tokens: TokenStream, found: &mut dyn FnMut(String)) {
    walk(tokens, &mut |tree| {
        if let TokenTree::Ident(ident) = tree {
            found(ident.to_string());
        }
    });
}

fn walk(tokens: TokenStream, visit: &mut dyn FnMut(&TokenTree)) {
    for tree in tokens {
        visit(&tree);
        if let TokenTree::Group(group) = &tree {
            walk(group.stream(), visit);
        }
    }
}
