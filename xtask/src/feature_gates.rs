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

use quote::ToTokens;
use syn::{Attribute, Item, ItemImpl, parse_quote};

/// The feature of the raw client: `Client`, its methods, their request
/// builders and the prelude.
pub const RAW_CLIENT: &str = "raw-client";
/// The feature of the type builders (`types::builder`).
pub const TYPE_BUILDERS: &str = "type-builders";

/// Gates the raw client and the type builders of `file`.
pub fn apply(file: &mut syn::File) {
    for item in &mut file.items {
        match item {
            Item::Struct(s) if s.ident == "Client" => gate(&mut s.attrs, RAW_CLIENT),
            Item::Impl(i) if names_client(i) => gate(&mut i.attrs, RAW_CLIENT),
            // progenitor's compile-time check that `Client` has its hooks.
            Item::Const(c) if c.ident == "_" => gate(&mut c.attrs, RAW_CLIENT),
            Item::Mod(m) if m.ident == "builder" || m.ident == "prelude" => {
                gate(&mut m.attrs, RAW_CLIENT);
            }
            Item::Mod(m) if m.ident == "types" => {
                for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
                    gate_type_builders(item);
                }
            }
            _ => {}
        }
    }
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
