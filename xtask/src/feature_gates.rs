//! The parts of the generated client that only some users need, behind
//! scenario-api's Cargo features, so that a user of the SDK does not compile
//! them.
//!
//! progenitor's builder interface writes two large layers on top of the types:
//! the raw `Client` with one request builder per operation (`builder`), and a
//! builder per type (`types::builder`, `X::builder()`, the `From`/`TryFrom`
//! conversions). They are about three quarters of the generated lines and
//! most of its compile time, while scenario-sdk sends every operation through
//! the operation types of `ops` instead (see `operations.rs`). Both layers stay
//! whole; this pass only puts them behind a `#[cfg(feature = ..)]`, decided
//! once here rather than by hand.
//!
//! The optional areas of the API (see `areas.rs`) are gated here too: each
//! operation's method and request builder by its area, each type by the areas
//! that need it, and every impl by the types its head names.

use quote::ToTokens;
use syn::{Attribute, Item, ItemImpl, parse_quote};

use crate::areas::{Gates, builder_op, defined_type};

/// The feature of the raw client: `Client`, its methods, their request
/// builders and the prelude.
pub const RAW_CLIENT: &str = "raw-client";
/// The feature of the type builders (`types::builder`).
pub const TYPE_BUILDERS: &str = "type-builders";

/// Gates the raw client, the type builders and the optional areas of `file`.
pub fn apply(file: &mut syn::File, gates: &Gates) {
    for item in &mut file.items {
        match item {
            Item::Struct(s) if s.ident == "Client" => gate(&mut s.attrs, RAW_CLIENT),
            Item::Impl(i) if names_client(i) => {
                gate(&mut i.attrs, RAW_CLIENT);
                gate_client_methods(i, gates);
            }
            // progenitor's compile-time check that `Client` has its hooks.
            Item::Const(c) if c.ident == "_" => gate(&mut c.attrs, RAW_CLIENT),
            Item::Mod(m) if m.ident == "builder" => {
                gate(&mut m.attrs, RAW_CLIENT);
                for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                    let cfg = builder_op(item).and_then(|op| gates.op_cfg(&op));
                    add_attrs(item, cfg);
                }
            }
            Item::Mod(m) if m.ident == "prelude" => gate(&mut m.attrs, RAW_CLIENT),
            Item::Mod(m) if m.ident == "types" => {
                for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                    gate_type_builders(item);
                    gate_type_item(item, gates);
                }
            }
            _ => {}
        }
    }
}

/// `Client::list_models` returns `builder::ListModels`: the method is gated
/// with its operation.
fn gate_client_methods(item: &mut ItemImpl, gates: &Gates) {
    for item in &mut item.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let syn::ReturnType::Type(_, ty) = &f.sig.output else {
            continue;
        };
        let syn::Type::Path(p) = &**ty else { continue };
        let segments: Vec<_> = p.path.segments.iter().collect();
        if let [module, op] = segments[..]
            && module.ident == "builder"
            && let Some(cfg) = gates.op_cfg(&op.ident.to_string())
        {
            f.attrs.insert(0, cfg);
        }
    }
}

/// Gates an item of `types` (or of `types::builder`) by the areas of the type
/// it defines, or of the types its head names.
fn gate_type_item(item: &mut Item, gates: &Gates) {
    let cfgs = match &*item {
        Item::Mod(m) if m.ident == "builder" => {
            if let Item::Mod(m) = item {
                for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                    gate_type_item(item, gates);
                }
            }
            return;
        }
        Item::Impl(i) => {
            let mut head = i.self_ty.to_token_stream();
            if let Some((path, _)) = &i.trait_ {
                head.extend(path.to_token_stream());
            }
            gates.cfgs_for(head)
        }
        Item::Fn(f) => gates.cfgs_for(f.sig.to_token_stream()),
        other => defined_type(other)
            .and_then(|ty| gates.type_cfg(&ty))
            .into_iter()
            .collect(),
    };
    for cfg in cfgs {
        add_attrs(item, Some(cfg));
    }
}

fn add_attrs(item: &mut Item, cfg: Option<Attribute>) {
    let Some(cfg) = cfg else { return };
    let attrs = match item {
        Item::Struct(s) => &mut s.attrs,
        Item::Enum(e) => &mut e.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Fn(f) => &mut f.attrs,
        Item::Type(t) => &mut t.attrs,
        Item::Const(c) => &mut c.attrs,
        Item::Mod(m) => &mut m.attrs,
        _ => return,
    };
    attrs.insert(0, cfg);
}

fn gate_type_builders(item: &mut Item) {
    match item {
        Item::Mod(m) if m.ident == "builder" => gate(&mut m.attrs, TYPE_BUILDERS),
        // `impl From<builder::X> for X`, `impl TryFrom<builder::X> for X`, ...
        Item::Impl(i) if mentions_builder(i) => gate(&mut i.attrs, TYPE_BUILDERS),
        // `impl X { pub fn builder() -> builder::X }`, beside other items.
        Item::Impl(i) => {
            for item in &mut i.items {
                if let syn::ImplItem::Fn(f) = item
                    && f.sig.ident == "builder"
                {
                    gate(&mut f.attrs, TYPE_BUILDERS);
                }
            }
        }
        _ => {}
    }
}

fn names_client(item: &ItemImpl) -> bool {
    matches!(&*item.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}

fn mentions_builder(item: &ItemImpl) -> bool {
    let head = match &item.trait_ {
        Some((path, _)) => format!(
            "{} {}",
            path.to_token_stream(),
            item.self_ty.to_token_stream()
        ),
        None => item.self_ty.to_token_stream().to_string(),
    };
    head.contains("builder ::")
}

fn gate(attrs: &mut Vec<Attribute>, feature: &str) {
    attrs.insert(0, parse_quote!(#[cfg(feature = #feature)]));
}
