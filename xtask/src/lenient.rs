//! What the live service sends beside the document, decided once for every
//! generated type: an integer field also accepts a float with no fractional
//! part (`1024.0`: the service's numbers may have gone through a float), and a
//! list field accepts `null` as the empty list. Anything else the document
//! does not allow is still refused.
//!
//! The rules themselves live in `crates/scenario-api/src/lenient.rs`; this pass
//! points each such field of every deserialized struct at them with
//! `deserialize_with`, so no generated file is edited by hand.

use syn::punctuated::Punctuated;
use syn::{Attribute, Field, Fields, GenericArgument, Item, Meta, PathArguments, Token, Type};

/// The module of scenario-api that holds the rules, as the generated code names it.
const RULES: &str = "crate::lenient";

/// Rewrites every deserialized struct of `file` (in any module).
pub fn apply(file: &mut syn::File) {
    rewrite_items(&mut file.items, &Marked::new());
}

/// Like [`apply`], and the string properties the document marks
/// `x-lenient: true` (a field no flow of the SDK needs, such as a part URL's
/// expiry) decode whatever the service sends: missing, `null` or a number
/// become a string (empty when absent), so that one odd field never fails a
/// whole answer.
pub fn apply_with_spec(file: &mut syn::File, spec: &openapiv3::OpenAPI) -> anyhow::Result<()> {
    let marked = Marked::from_spec(spec)?;
    rewrite_items(&mut file.items, &marked);
    Ok(())
}

/// The `(type, field)` pairs the document marks `x-lenient`.
struct Marked(std::collections::BTreeSet<(String, String)>);

impl Marked {
    fn new() -> Self {
        Self(std::collections::BTreeSet::new())
    }

    fn from_spec(spec: &openapiv3::OpenAPI) -> anyhow::Result<Self> {
        use heck::{ToPascalCase, ToSnakeCase};
        use openapiv3::{ReferenceOr, SchemaKind, Type as SchemaType};
        let mut marked = Self::new();
        let schemas = spec.components.iter().flat_map(|c| c.schemas.iter());
        for (name, schema) in schemas {
            let ReferenceOr::Item(schema) = schema else {
                continue;
            };
            let SchemaKind::Type(SchemaType::Object(object)) = &schema.schema_kind else {
                continue;
            };
            for (property, value) in &object.properties {
                let ReferenceOr::Item(value) = value else {
                    continue;
                };
                if value.schema_data.extensions.get("x-lenient")
                    != Some(&serde_json::Value::Bool(true))
                {
                    continue;
                }
                if !matches!(value.schema_kind, SchemaKind::Type(SchemaType::String(_))) {
                    anyhow::bail!(
                        "{name}.{property} is marked x-lenient, which only string properties may be"
                    );
                }
                marked
                    .0
                    .insert((name.to_pascal_case(), property.to_snake_case()));
            }
        }
        Ok(marked)
    }

    fn contains(&self, ty: &syn::Ident, field: Option<&syn::Ident>) -> bool {
        field.is_some_and(|field| {
            self.0.contains(&(
                ty.to_string(),
                field.to_string().trim_end_matches('_').to_owned(),
            ))
        })
    }
}

fn rewrite_items(items: &mut [Item], marked: &Marked) {
    for item in items {
        match item {
            Item::Mod(module) => {
                if let Some((_, inner)) = &mut module.content {
                    rewrite_items(inner, marked);
                }
            }
            Item::Struct(item) if derives_deserialize(&item.attrs) => {
                let ty = item.ident.clone();
                if let Fields::Named(fields) = &mut item.fields {
                    for field in &mut fields.named {
                        if marked.contains(&ty, field.ident.as_ref()) {
                            let path = format!("{RULES}::string_or_empty");
                            field.attrs.push(syn::parse_quote!(
                                #[serde(default, deserialize_with = #path)]
                            ));
                        } else {
                            rewrite_field(field);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn derives_deserialize(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == "Deserialize"))
                })
        })
}

/// The shapes a field can take that a rule applies to.
enum Shape {
    Integer,
    OptionalInteger,
    List,
}

fn rewrite_field(field: &mut Field) {
    let Some(shape) = shape(&field.ty) else {
        return;
    };
    let metas = serde_metas(&field.attrs);
    if metas
        .iter()
        .any(|m| m.path().is_ident("deserialize_with") || m.path().is_ident("with"))
    {
        return;
    }
    let function = match shape {
        Shape::Integer => "integer",
        Shape::OptionalInteger => "option_integer",
        Shape::List => "null_as_empty",
    };
    let path = format!("{RULES}::{function}");
    field
        .attrs
        .push(syn::parse_quote!(#[serde(deserialize_with = #path)]));
    // serde gives a missing `Option` field `None` by itself, but not once the
    // field has its own `deserialize_with`.
    if matches!(shape, Shape::OptionalInteger)
        && !metas.iter().any(|m| m.path().is_ident("default"))
    {
        field.attrs.push(syn::parse_quote!(#[serde(default)]));
    }
}

fn serde_metas(attrs: &[Attribute]) -> Vec<Meta> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| {
            a.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .collect()
}

fn shape(ty: &Type) -> Option<Shape> {
    let (name, argument) = last_segment(ty)?;
    match name.as_str() {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => Some(Shape::Integer),
        "Option" => {
            let (inner, _) = last_segment(argument?)?;
            matches!(
                inner.as_str(),
                "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64"
            )
            .then_some(Shape::OptionalInteger)
        }
        "Vec" => Some(Shape::List),
        _ => None,
    }
}

/// The last segment of a type's path, and its first generic type argument.
fn last_segment(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    let argument = match &segment.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    };
    Some((segment.ident.to_string(), argument))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(src: &str) -> String {
        let mut file: syn::File = syn::parse_str(src).unwrap();
        apply(&mut file);
        prettyplease::unparse(&file)
    }

    #[test]
    fn integers_and_lists_of_deserialized_structs_get_the_rules() {
        let out = rewrite(
            r#"
            pub mod types {
                #[derive(::serde::Deserialize, Clone)]
                pub struct A {
                    size: u64,
                    #[serde(rename = "parts", skip_serializing_if = "::std::option::Option::is_none")]
                    parts: ::std::option::Option<u32>,
                    #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                    tags: ::std::vec::Vec<::std::string::String>,
                    ratio: f64,
                    name: ::std::option::Option<::std::string::String>,
                }
                #[derive(Clone)]
                pub struct NotDecoded { size: u64 }
            }
            "#,
        );
        assert!(
            out.contains(r#"#[serde(deserialize_with = "crate::lenient::integer")]"#),
            "{out}"
        );
        assert!(
            out.contains(r#"#[serde(deserialize_with = "crate::lenient::option_integer")]"#),
            "{out}"
        );
        assert_eq!(out.matches("#[serde(default)]").count(), 1, "{out}");
        assert!(
            out.contains(r#"#[serde(deserialize_with = "crate::lenient::null_as_empty")]"#),
            "{out}"
        );
        assert_eq!(out.matches("deserialize_with").count(), 3, "{out}");
    }
}
