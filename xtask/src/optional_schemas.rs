//! JSON schemas of the generated types, behind scenario-api's `schemars` feature.
//!
//! progenitor derives `schemars::JsonSchema` on every type when asked to, and
//! then every user of the SDK compiles schemars and its derive macro although
//! only tests and the fake check JSON against the schemas. This pass turns each
//! derive (and each `#[schemars(..)]` helper attribute) into a `cfg_attr` on
//! the feature, decided once here rather than per type.

use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Attribute, Meta, Path, Token, parse_quote};

/// The feature of scenario-api that turns the schemas on.
const FEATURE: &str = "schemars";

/// Rewrites every `JsonSchema` derive and `schemars` attribute of `file`.
pub fn apply(file: &mut syn::File) {
    Rewrite.visit_file_mut(file);
}

struct Rewrite;

impl VisitMut for Rewrite {
    fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
        rewrite(&mut item.attrs);
        syn::visit_mut::visit_item_struct_mut(self, item);
        if !derives_serde(&item.attrs) {
            gate_serde(&mut item.attrs);
            for field in &mut item.fields {
                gate_serde(&mut field.attrs);
            }
        }
    }

    fn visit_item_enum_mut(&mut self, item: &mut syn::ItemEnum) {
        rewrite(&mut item.attrs);
        syn::visit_mut::visit_item_enum_mut(self, item);
        if !derives_serde(&item.attrs) {
            gate_serde(&mut item.attrs);
            for variant in &mut item.variants {
                gate_serde(&mut variant.attrs);
            }
        }
    }

    fn visit_field_mut(&mut self, field: &mut syn::Field) {
        rewrite(&mut field.attrs);
        syn::visit_mut::visit_field_mut(self, field);
    }

    fn visit_variant_mut(&mut self, variant: &mut syn::Variant) {
        rewrite(&mut variant.attrs);
        syn::visit_mut::visit_variant_mut(self, variant);
    }
}

/// Whether a type derives serde itself; the open enums implement serde by hand,
/// and their `#[serde(..)]` attributes are read by the schema derive alone.
fn derives_serde(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths.iter().any(|p| {
                        p.segments
                            .last()
                            .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
                    })
                })
        })
}

/// `#[serde(..)]` on a type without a serde derive: only the schema derive reads
/// it, so it goes behind the same feature.
fn gate_serde(attrs: &mut [Attribute]) {
    for attr in attrs.iter_mut() {
        if let (true, Meta::List(list)) = (attr.path().is_ident("serde"), &attr.meta) {
            let tokens = &list.tokens;
            *attr = parse_quote!(#[cfg_attr(feature = #FEATURE, serde(#tokens))]);
        }
    }
}

fn is_json_schema(path: &Path) -> bool {
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == "JsonSchema")
}

fn rewrite(attrs: &mut Vec<Attribute>) {
    let mut gated: Vec<Attribute> = Vec::new();
    attrs.retain_mut(|attr| {
        if attr.path().is_ident("schemars") {
            let Meta::List(list) = &attr.meta else {
                return true;
            };
            let tokens = &list.tokens;
            gated.push(parse_quote!(#[cfg_attr(feature = #FEATURE, schemars(#tokens))]));
            return false;
        }
        if !attr.path().is_ident("derive") {
            return true;
        }
        let Ok(paths) = attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
        else {
            return true;
        };
        if !paths.iter().any(is_json_schema) {
            return true;
        }
        gated.push(parse_quote!(#[cfg_attr(feature = #FEATURE, derive(schemars::JsonSchema))]));
        let rest: Vec<&Path> = paths.iter().filter(|p| !is_json_schema(p)).collect();
        if rest.is_empty() {
            return false;
        }
        *attr = parse_quote!(#[derive(#(#rest),*)]);
        true
    });
    attrs.extend(gated);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_and_helper_attributes_move_behind_the_feature() {
        let mut file: syn::File = parse_quote! {
            #[derive(Clone, Debug, schemars::JsonSchema)]
            pub enum Kind {
                Image,
                #[schemars(skip)]
                Unrecognized(String),
            }
            #[derive(schemars::JsonSchema)]
            pub struct Only;
        };
        apply(&mut file);
        let out = prettyplease::unparse(&file);
        assert!(out.contains("#[derive(Clone, Debug)]"), "{out}");
        assert!(
            out.contains("#[cfg_attr(feature = \"schemars\", derive(schemars::JsonSchema))]"),
            "{out}"
        );
        assert!(
            out.contains("#[cfg_attr(feature = \"schemars\", schemars(skip))]"),
            "{out}"
        );
        assert!(!out.contains("#[derive(schemars::JsonSchema)]"), "{out}");
    }
}
