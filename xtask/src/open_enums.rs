//! Forward compatibility, decided once for every generated type.
//!
//! typify turns each string enum of the document into a closed Rust enum: a value
//! the service adds later (an asset kind, an upload status...) would make a whole
//! response fail to decode. The live service already sends such values, so every
//! string enum is rewritten here, by construction rather than per type:
//!
//! - the enum gets an `Unrecognized(String)` variant that keeps the value as sent and
//!   serializes it back unchanged, and is marked `#[non_exhaustive]` so that
//!   adding known variants later is not a breaking change for callers;
//! - typify's fallible conversions (`FromStr`, `TryFrom<&str>`, `TryFrom<String>`)
//!   are replaced by infallible ones (`From<&str>`, `From<String>`, `FromStr` with
//!   `Infallible`), `as_str()` and `is_unrecognized()`;
//! - serde is implemented by hand: a string in, a string out, no buffering;
//! - the JSON schema stays the documented (closed) set of values, so schema
//!   checks of what the fake sends still catch typos.
//!
//! Objects: `deny_unknown_fields` is removed wherever it appears, so fields the
//! document does not list are ignored.

use std::collections::BTreeSet;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Ident, Item, ItemEnum, LitStr, Meta, Token, parse_quote};

/// The name of the variant that holds values the client does not know.
const CATCH_ALL: &str = "Unrecognized";

/// Rewrites every string enum of `file` (in any module) to accept unknown values.
///
/// Fails when a documented value would take the catch-all variant's name.
pub fn apply(file: &mut syn::File) -> anyhow::Result<()> {
    rewrite_items(&mut file.items)
}

fn rewrite_items(items: &mut Vec<Item>) -> anyhow::Result<()> {
    for item in items.iter_mut() {
        match item {
            Item::Mod(module) => {
                if let Some((_, inner)) = &mut module.content {
                    rewrite_items(inner)?;
                }
            }
            Item::Struct(item) => strip_deny_unknown_fields(&mut item.attrs),
            Item::Enum(item) => strip_deny_unknown_fields(&mut item.attrs),
            _ => {}
        }
    }

    let string_enums: BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            Item::Enum(e) if is_unit_only(e) && has_from_str(items, &e.ident) => {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    if string_enums.is_empty() {
        return Ok(());
    }

    let old = std::mem::take(items);
    for item in old {
        match item {
            Item::Impl(ref imp) if is_replaced_conversion(imp, &string_enums) => {}
            Item::Enum(mut e) if string_enums.contains(&e.ident.to_string()) => {
                if let Some(v) = e.variants.iter().find(|v| v.ident == CATCH_ALL) {
                    anyhow::bail!(
                        "enum {} has a documented value named like the catch-all variant `{}`; \
                         rename the catch-all in xtask/src/open_enums.rs",
                        e.ident,
                        v.ident
                    );
                }
                let values = wire_values(&e);
                open_enum(&mut e);
                let support = support_items(&e.ident, &values);
                items.push(Item::Enum(e));
                items.extend(support);
            }
            other => items.push(other),
        }
    }
    items.extend(visitor_items());
    Ok(())
}

fn is_unit_only(e: &ItemEnum) -> bool {
    !e.variants.is_empty() && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit))
}

fn self_ident(imp: &syn::ItemImpl) -> Option<&Ident> {
    match &*imp.self_ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

fn trait_name(imp: &syn::ItemImpl) -> Option<String> {
    let (path, _) = imp.trait_.as_ref()?;
    path.segments.last().map(|s| s.ident.to_string())
}

fn has_from_str(items: &[Item], name: &Ident) -> bool {
    items.iter().any(|item| match item {
        Item::Impl(imp) => {
            self_ident(imp) == Some(name) && trait_name(imp).as_deref() == Some("FromStr")
        }
        _ => false,
    })
}

fn is_replaced_conversion(imp: &syn::ItemImpl, enums: &BTreeSet<String>) -> bool {
    let Some(name) = self_ident(imp) else {
        return false;
    };
    enums.contains(&name.to_string())
        && matches!(
            trait_name(imp).as_deref(),
            Some("Display" | "FromStr" | "TryFrom")
        )
}

/// `(variant, wire value)` pairs: the serde rename, or the variant name itself.
fn wire_values(e: &ItemEnum) -> Vec<(Ident, String)> {
    e.variants
        .iter()
        .map(|v| {
            let renamed = v
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("serde"))
                .find_map(|a| {
                    let mut value = None;
                    let _ = a.parse_nested_meta(|meta| {
                        if meta.path.is_ident("rename") {
                            value = Some(meta.value()?.parse::<LitStr>()?.value());
                        }
                        Ok(())
                    });
                    value
                });
            (
                v.ident.clone(),
                renamed.unwrap_or_else(|| v.ident.to_string()),
            )
        })
        .collect()
}

fn open_enum(e: &mut ItemEnum) {
    for attr in &mut e.attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        // serde is written by hand below; a String variant cannot be Copy.
        let kept: Vec<&syn::Path> = paths
            .iter()
            .filter(|p| {
                let last = p
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                !matches!(last.as_str(), "Serialize" | "Deserialize" | "Copy")
            })
            .collect();
        *attr = parse_quote!(#[derive(#(#kept),*)]);
    }
    e.attrs.push(parse_quote!(#[non_exhaustive]));
    e.variants.push(parse_quote! {
        /// A value this client does not know yet (the service added it after this
        /// client was generated), kept exactly as the service sent it.
        #[schemars(skip)]
        Unrecognized(::std::string::String)
    });
}

fn support_items(name: &Ident, values: &[(Ident, String)]) -> Vec<Item> {
    let variants: Vec<&Ident> = values.iter().map(|(v, _)| v).collect();
    let wires: Vec<LitStr> = values
        .iter()
        .map(|(_, w)| LitStr::new(w, Span::call_site()))
        .collect();
    let expecting = format!("a string for {name}");
    let file: syn::File = syn::parse2(quote! {
        impl #name {
            /// Every value the document lists, as the API spells them.
            pub const VALUES: &'static [&'static str] = &[#(#wires),*];
            /// The value as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #wires,)*
                    Self::Unrecognized(value) => value.as_str(),
                }
            }
            /// Whether the value is one this client does not know.
            pub fn is_unrecognized(&self) -> bool {
                matches!(self, Self::Unrecognized(_))
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => Self::#variants,)*
                    other => Self::Unrecognized(other.to_owned()),
                }
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unrecognized(_) => Self::Unrecognized(value),
                    known => known,
                }
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                deserializer.deserialize_str(OpenEnumVisitor::<Self>::new(#expecting, Self::VALUES))
            }
        }
    })
    .expect("the open enum support code parses");
    file.items
}

fn visitor_items() -> Vec<Item> {
    let tokens: TokenStream = quote! {
        /// Decodes any string into an open enum: known values to their variant,
        /// others to `Unrecognized`.
        /// In `scenario_api::strict_enums` (servers), values the document does
        /// not list are refused instead.
        struct OpenEnumVisitor<T> {
            expecting: &'static str,
            values: &'static [&'static str],
            marker: ::std::marker::PhantomData<T>,
        }
        impl<T> OpenEnumVisitor<T> {
            fn new(expecting: &'static str, values: &'static [&'static str]) -> Self {
                Self { expecting, values, marker: ::std::marker::PhantomData }
            }
            fn check<E: ::serde::de::Error>(&self, value: &str) -> ::std::result::Result<(), E> {
                if crate::enums_are_strict() && !self.values.contains(&value) {
                    return Err(E::custom(::std::format!(
                        "must be one of: {}, got {value:?}",
                        self.values.join(", ")
                    )));
                }
                Ok(())
            }
        }
        impl<'de, T> ::serde::de::Visitor<'de> for OpenEnumVisitor<T>
        where
            T: for<'a> ::std::convert::From<&'a str> + ::std::convert::From<::std::string::String>,
        {
            type Value = T;
            fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.expecting)
            }
            fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<T, E> {
                self.check(value)?;
                Ok(T::from(value))
            }
            fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<T, E> {
                self.check(&value)?;
                Ok(T::from(value))
            }
        }
    };
    let file: syn::File = syn::parse2(tokens).expect("the visitor parses");
    file.items
}

fn strip_deny_unknown_fields(attrs: &mut Vec<Attribute>) {
    attrs.retain_mut(|attr| {
        if !attr.path().is_ident("serde") {
            return true;
        }
        let Ok(metas) = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            return true;
        };
        let kept: Vec<&Meta> = metas
            .iter()
            .filter(|m| !m.path().is_ident("deny_unknown_fields"))
            .collect();
        if kept.len() == metas.len() {
            return true;
        }
        if kept.is_empty() {
            return false;
        }
        *attr = parse_quote!(#[serde(#(#kept),*)]);
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(src: &str) -> String {
        let mut file: syn::File = syn::parse_str(src).unwrap();
        apply(&mut file).unwrap();
        prettyplease::unparse(&file)
    }

    #[test]
    fn string_enums_gain_an_unknown_variant_and_infallible_conversions() {
        let out = rewrite(
            r#"
            pub mod types {
                #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug, schemars::JsonSchema)]
                pub enum Kind {
                    #[serde(rename = "3d")]
                    X3d,
                    Plain,
                }
                impl ::std::str::FromStr for Kind {
                    type Err = String;
                    fn from_str(v: &str) -> Result<Self, String> { todo!() }
                }
                impl ::std::convert::TryFrom<&str> for Kind {
                    type Error = String;
                    fn try_from(v: &str) -> Result<Self, String> { todo!() }
                }
            }
            "#,
        );
        assert!(
            out.contains("#[derive(Clone, Debug, schemars::JsonSchema)]"),
            "{out}"
        );
        assert!(out.contains("#[non_exhaustive]"), "{out}");
        assert!(out.contains("Unrecognized(::std::string::String)"), "{out}");
        assert!(out.contains("\"3d\" => Self::X3d"), "{out}");
        assert!(out.contains("\"Plain\" => Self::Plain"), "{out}");
        assert!(!out.contains("TryFrom<&str>"), "{out}");
        assert!(
            !out.contains("todo!"),
            "typify's conversions are replaced: {out}"
        );
        assert!(out.contains("impl ::serde::Serialize for Kind"), "{out}");
        assert_eq!(out.matches("struct OpenEnumVisitor").count(), 1, "{out}");
    }

    #[test]
    fn enums_with_data_and_other_items_are_left_alone() {
        let src = r#"
            #[derive(::serde::Deserialize)]
            #[serde(untagged)]
            pub enum Either { A(String), B(u32) }
            #[derive(::serde::Deserialize)]
            pub enum NoFromStr { A, B }
        "#;
        let out = rewrite(src);
        assert!(!out.contains("Unrecognized"), "{out}");
        assert!(!out.contains("OpenEnumVisitor"), "{out}");
    }

    #[test]
    fn deny_unknown_fields_is_removed_from_objects() {
        let out = rewrite(
            r#"
            #[derive(::serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            pub struct A { x: u32 }
            #[derive(::serde::Deserialize)]
            #[serde(rename_all = "camelCase", deny_unknown_fields)]
            pub struct B { x: u32 }
            "#,
        );
        assert!(!out.contains("deny_unknown_fields"), "{out}");
        assert!(
            out.contains("#[serde(rename_all = \"camelCase\")]"),
            "{out}"
        );
    }
}

#[cfg(test)]
mod collision_tests {
    #[test]
    fn a_documented_value_named_like_the_catch_all_is_an_error() {
        let mut file: syn::File = syn::parse_str(
            r#"
            pub enum Kind { Unrecognized, Known }
            impl ::std::str::FromStr for Kind { type Err = (); fn from_str(v: &str) -> Result<Self, ()> { Err(()) } }
            "#,
        )
        .unwrap();
        let err = super::apply(&mut file).unwrap_err().to_string();
        assert!(err.contains("enum Kind"), "{err}");
    }
}
