//! A constructor per generated struct that has required fields:
//! `X::new(required..)`, every optional field unset.
//!
//! Code that builds a request body with a struct literal stops compiling the
//! day the document adds an optional field to it; `new` does not. typify's
//! type builders would do it too, but they are the largest part of the
//! generated code (see `feature_gates.rs`), so the SDK builds its bodies with
//! these instead and leaves the builders to users who ask for them.

use quote::format_ident;
use syn::{Attribute, Fields, Item, ItemStruct, Type, parse_quote};

/// Adds `impl X { pub fn new(..) }` after every struct of `types` with
/// named fields of which at least one is required (the others derive `Default`).
pub fn apply(file: &mut syn::File) {
    for item in &mut file.items {
        let Item::Mod(module) = item else { continue };
        if module.ident != "types" {
            continue;
        }
        let Some((_, items)) = &mut module.content else {
            continue;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.drain(..) {
            let constructor = match &item {
                Item::Struct(s) => constructor(s),
                _ => None,
            };
            out.push(item);
            out.extend(constructor);
        }
        *items = out;
    }
}

fn constructor(item: &ItemStruct) -> Option<Item> {
    let Fields::Named(fields) = &item.fields else {
        return None;
    };
    if !item.generics.params.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut inits = Vec::new();
    for field in &fields.named {
        let name = field.ident.as_ref()?;
        if let Some(default) = default_of(field) {
            inits.push(quote::quote!(#name: #default));
        } else {
            let ty = &field.ty;
            params.push(quote::quote!(#name: impl ::std::convert::Into<#ty>));
            inits.push(quote::quote!(#name: #name.into()));
        }
    }
    if params.is_empty() {
        return None;
    }
    let ident = &item.ident;
    let doc = format!(
        " `{ident}` from its required fields, in the order of its fields; the optional ones \
         start unset and are set by field, so that code building it keeps compiling when \
         the document adds one."
    );
    let new = format_ident!("new");
    Some(parse_quote! {
        impl #ident {
            #[doc = #doc]
            #[allow(clippy::too_many_arguments)]
            pub fn #new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
        }
    })
}

/// What an optional field starts as: `None`, its serde default, or `Default`.
fn default_of(field: &syn::Field) -> Option<proc_macro2::TokenStream> {
    if is_option(&field.ty) {
        return Some(quote::quote!(::std::option::Option::None));
    }
    for attr in serde_attrs(&field.attrs) {
        let mut found = None;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("default") {
                found = Some(match meta.value() {
                    Ok(value) => {
                        let path: syn::LitStr = value.parse()?;
                        let path: syn::ExprPath = path.parse()?;
                        quote::quote!(#path())
                    }
                    Err(_) => quote::quote!(::std::default::Default::default()),
                });
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        if found.is_some() {
            return found;
        }
    }
    None
}

fn serde_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("serde"))
}

fn is_option(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "Option")
}
