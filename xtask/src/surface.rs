//! A reviewer's summary of the generated client: each operation with its
//! parameters, body and response, each type with its fields and variants.
//!
//! The generated file is thousands of lines of builders and conversions; this
//! summary is what a spec change should be reviewed as, so it is what the insta
//! snapshot locks. Byte-exact freshness is `cargo xtask generate --check`'s job.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use quote::ToTokens;
use syn::{Attribute, Fields, ImplItem, Item, ItemMod, LitStr, ReturnType};

/// Renders the summary of a generated client's source.
pub fn render(generated: &str) -> Result<String> {
    let file = syn::parse_file(generated).context("the generated file does not parse")?;
    let mut out = String::new();
    operations(&file.items, &mut out)?;
    let types =
        find_mod(&file.items, "types").context("the generated file has no `types` module")?;
    types_section(types, &mut out);
    Ok(out)
}

fn find_mod<'a>(items: &'a [Item], name: &str) -> Option<&'a [Item]> {
    items.iter().find_map(|item| match item {
        Item::Mod(ItemMod {
            ident,
            content: Some((_, items)),
            ..
        }) if ident == name => Some(items.as_slice()),
        _ => None,
    })
}

fn operations(items: &[Item], out: &mut String) -> Result<()> {
    let builders =
        find_mod(items, "builder").context("the generated file has no `builder` module")?;
    out.push_str("# Operations\n");
    for item in items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || type_name(&imp.self_ty) != "Client" {
            continue;
        }
        for method in &imp.items {
            let ImplItem::Fn(f) = method else { continue };
            let ReturnType::Type(_, ret) = &f.sig.output else {
                continue;
            };
            let builder = type_name(ret);
            let docs = doc(&f.attrs);
            let Some(request) = docs.lines().find_map(|l| l.strip_prefix("Sends a ")) else {
                continue;
            };
            let request = request.replace('`', "").replace(" request to ", " ");
            writeln!(out, "\n{}: {request}{}", f.sig.ident, areas(&f.attrs)).unwrap();
            builder_summary(builders, &builder, out);
        }
    }
    Ok(())
}

fn builder_summary(builders: &[Item], name: &str, out: &mut String) {
    for item in builders {
        match item {
            Item::Struct(s) if s.ident == name => {
                for field in &s.fields {
                    let ident = field
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    if ident == "client" {
                        continue;
                    }
                    // Builder fields are `Result<T, String>` so that setters can defer errors.
                    let ty = simplify(&field.ty.to_token_stream().to_string());
                    let ty = ty
                        .strip_prefix("Result<")
                        .and_then(|t| t.strip_suffix(", String>"))
                        .unwrap_or(&ty)
                        .to_string();
                    writeln!(out, "  {ident}: {ty}").unwrap();
                }
            }
            Item::Impl(imp) if type_name(&imp.self_ty) == name => {
                for method in &imp.items {
                    if let ImplItem::Fn(f) = method
                        && f.sig.ident == "send"
                        && let ReturnType::Type(_, ret) = &f.sig.output
                    {
                        let ret = simplify(&ret.to_token_stream().to_string());
                        writeln!(out, "  -> {ret}").unwrap();
                    }
                }
            }
            _ => {}
        }
    }
}

fn types_section(items: &[Item], out: &mut String) {
    out.push_str("\n# Types\n");
    for item in items {
        match item {
            Item::Struct(s) if is_pub(&s.vis) => {
                writeln!(out, "\nstruct {}{}", s.ident, areas(&s.attrs)).unwrap();
                if let Fields::Named(fields) = &s.fields {
                    for field in &fields.named {
                        let ident = field
                            .ident
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        let wire = serde_rename(&field.attrs).unwrap_or_else(|| ident.clone());
                        let ty = simplify(&field.ty.to_token_stream().to_string());
                        writeln!(out, "  {ident}: {ty} = {wire:?}").unwrap();
                    }
                }
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let open = e.variants.iter().any(|v| v.ident == "Unrecognized");
                writeln!(
                    out,
                    "\nenum {}{}{}",
                    e.ident,
                    if open { " (open)" } else { "" },
                    areas(&e.attrs)
                )
                .unwrap();
                for v in &e.variants {
                    match &v.fields {
                        Fields::Unit => {
                            let wire =
                                serde_rename(&v.attrs).unwrap_or_else(|| v.ident.to_string());
                            writeln!(out, "  {} = {wire:?}", v.ident).unwrap();
                        }
                        fields => {
                            let fields = simplify(&fields.to_token_stream().to_string());
                            writeln!(out, "  {}{fields}", v.ident).unwrap();
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The optional areas an item compiles with (` [models, teams]`: with either),
/// from its `cfg` attributes; nothing for code that always compiles.
fn areas(attrs: &[Attribute]) -> String {
    let gates = [
        crate::feature_gates::RAW_CLIENT,
        crate::feature_gates::TYPE_BUILDERS,
    ];
    let mut names = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let tokens = attr.meta.to_token_stream().to_string();
        for part in tokens.split("feature = \"").skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            if !gates.contains(&name) {
                names.push(name.to_owned());
            }
        }
    }
    if names.is_empty() {
        String::new()
    } else {
        format!(" [{}]", names.join(", "))
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn doc(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The wire name of a field or variant: its `serde(rename)`, also when it sits
/// in a `cfg_attr` (the open enums' renames are read by the schema derive only).
fn serde_rename(attrs: &[Attribute]) -> Option<String> {
    let mut value = None;
    let mut read = |meta: syn::meta::ParseNestedMeta| {
        if meta.path.is_ident("rename") {
            value = Some(meta.value()?.parse::<LitStr>()?.value());
        } else if meta.input.peek(syn::Token![=]) {
            meta.value()?.parse::<syn::Expr>()?;
        }
        Ok(())
    };
    for attr in attrs {
        if attr.path().is_ident("serde") {
            let _ = attr.parse_nested_meta(&mut read);
        } else if attr.path().is_ident("cfg_attr") {
            let Ok(list) = attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            ) else {
                continue;
            };
            for meta in list.iter().skip(1) {
                if let syn::Meta::List(inner) = meta
                    && inner.path.is_ident("serde")
                {
                    let _ = inner.parse_nested_meta(&mut read);
                }
            }
        }
    }
    value
}

/// Token text to a type a reader would write: no spaces, no `::std::` paths.
fn simplify(tokens: &str) -> String {
    let compact: String = tokens.chars().filter(|c| !c.is_whitespace()).collect();
    let mut s = compact;
    for prefix in [
        "::std::option::",
        "::std::vec::",
        "::std::string::",
        "::std::num::",
        "::std::collections::",
        "::serde_json::",
        "::std::",
        "progenitor_client::",
        "types::",
        "super::",
    ] {
        s = s.replace(prefix, "");
    }
    s.replace(",>", ">").replace(',', ", ")
}
