//! `scenario assets list | get | delete | restore | tags` (and `download`, in
//! `downloads.rs`).

use std::io::Write;

use futures::StreamExt;
use scenario_sdk::ops::{self, ListAssetsQuery};
use scenario_sdk::types::{
    Asset, AssetIdsRequest, AssetRestoreRequest, AssetSortBy, AssetUpdateTagsRequest,
};
use scenario_sdk::{Client, ListAssets};
use serde_json::value::RawValue;

use crate::cli::{GlobalArgs, ListArgs};
use crate::client::connect;
use crate::error::Failure;
use crate::output::{AssetTable, json_line, printable, raw_json_line};
use crate::params::QueryArgs;

/// The words of the assets listing's messages.
const ASSET_WORDS: crate::listing::Noun = crate::listing::Noun::new("asset", "an asset", "assets");

/// Lists assets page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: ListArgs) -> Result<(), Failure> {
    let query = query(&args.query)?;
    let client = connect(global)?;
    // JSON prints each asset as the server sent it, unknown fields and all,
    // and reads none of their fields: none is decoded.
    let listing = listing(&client, query, args.limit).raw_only(args.json);
    let mut pages = std::pin::pin!(listing.pages());
    let mut table = AssetTable::new();
    let mut printed: u64 = 0;
    let mut skipped: u64 = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| {
            let context = if printed == 0 {
                "cannot list assets".to_owned()
            } else {
                format!("the listing failed after {printed} assets")
            };
            Failure::sdk(context, &error)
        })?;
        let wanted = match args.limit {
            Some(limit) => usize::try_from(limit - printed).unwrap_or(usize::MAX),
            None => usize::MAX,
        };
        crate::listing::warn_skipped(skipped, &page.skipped, &ASSET_WORDS);
        skipped += page.skipped.len() as u64;
        let written = if args.json {
            let count = page.raw_items.len().min(wanted);
            write_raw(&page.raw_items[..count]).map(|()| count)
        } else {
            let count = page.items.len().min(wanted);
            write_table(&mut table, &page.items[..count]).map(|()| count)
        };
        let count = match written {
            Ok(count) => count,
            Err(error) => return Failure::output(error).map_or(Ok(()), Err),
        };
        printed += count as u64;
        if args.limit.is_some_and(|limit| printed >= limit) {
            // Dropping the stream stops any page fetched ahead.
            break;
        }
    }
    if skipped > 0 {
        return Err(Failure::new(format!(
            "{skipped} asset(s) could not be read and were left out (see the warnings above); \
             the service may be newer than this CLI: update it, or report the request id"
        )));
    }
    if printed == 0 && !args.json && !global.quiet {
        note!("no assets match");
    }
    Ok(())
}

/// The query of the flags, with what the CLI adds: the date filters need the
/// listing sorted by the same date, so they imply `--sort-by` when it is not
/// given, and creation and update dates cannot be mixed.
pub(crate) fn query(flags: &QueryArgs<ops::ListAssets>) -> Result<ListAssetsQuery, Failure> {
    let mut query: ListAssetsQuery = flags.query().map_err(Failure::usage)?;
    let created = query.created_after.is_some() || query.created_before.is_some();
    let updated = query.updated_after.is_some() || query.updated_before.is_some();
    if created && updated {
        return Err(Failure::usage(
            "the creation date filters (--created-after, --created-before) cannot be used with \
             the update date filters (--updated-after, --updated-before): the listing is sorted \
             by one date or the other",
        ));
    }
    if query.sort_by.is_none() {
        if created {
            query.sort_by = Some(AssetSortBy::CreatedAt.to_string());
        } else if updated {
            query.sort_by = Some(AssetSortBy::UpdatedAt.to_string());
        }
    }
    Ok(query)
}

/// The SDK listing for the query.
///
/// Without `--page-size`, a `--limit` that fits in a page becomes the page
/// size, so that one request is enough; no page is fetched ahead when the
/// limit fits in the first one.
pub(crate) fn listing(
    client: &Client,
    mut query: ListAssetsQuery,
    limit: Option<u64>,
) -> ListAssets {
    if query.page_size.is_none() {
        query.page_size = limit.map(|limit| {
            u32::try_from(limit)
                .unwrap_or(u32::MAX)
                .min(ListAssetsQuery::PAGE_SIZE_MAX)
        });
    }
    let fits =
        matches!((query.page_size, limit), (Some(size), Some(limit)) if limit <= u64::from(size));
    let mut operation = ops::ListAssets::new();
    operation.query = query;
    let listing = client.request(operation);
    if fits { listing.prefetch(0) } else { listing }
}

/// Writes one page as a table to stdout and flushes it, so that a reader sees
/// it at once.
fn write_table(table: &mut AssetTable, assets: &[Asset]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    table.write_page(&mut out, assets)?;
    out.flush()
}

/// Writes one page's assets, one JSON object per line as the server sent
/// them, to stdout and flushes it.
fn write_raw(assets: &[Box<RawValue>]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for asset in assets {
        raw_json_line(&mut out, asset.get())?;
    }
    out.flush()
}

/// The flags of `scenario assets get`.
#[derive(Debug, clap::Args)]
pub struct AssetGetArgs {
    /// The asset's id (asset_...)
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the asset as one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario assets delete` and `scenario assets restore`.
#[derive(Debug, clap::Args)]
pub struct AssetIdsArgs {
    /// The assets' ids (asset_...)
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<String>,

    /// Print the service's answer as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario assets tags`.
#[derive(Debug, clap::Args)]
pub struct AssetTagsArgs {
    /// The asset's id (asset_...)
    #[arg(value_name = "ID")]
    pub id: String,

    /// A tag to add (repeat for more)
    #[arg(long = "add", value_name = "TAG")]
    pub add: Vec<String>,

    /// A tag to remove (repeat for more)
    #[arg(long = "delete", value_name = "TAG")]
    pub delete: Vec<String>,

    /// Print the service's answer as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// Shows one asset.
pub async fn get(global: &GlobalArgs, args: AssetGetArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let context = format!("cannot read asset {}", printable(&args.id));
    let asset = client
        .request(ops::GetAsset::new(args.id.as_str()))
        .await
        .map_err(|error| Failure::sdk(&context, &error))?
        .asset;
    print(|out| {
        if args.json {
            json_line(out, &asset)
        } else {
            AssetTable::new().write_page(out, std::slice::from_ref(&asset))
        }
    })
}

/// Deletes assets (`DELETE /assets`, in one request).
pub async fn delete(global: &GlobalArgs, args: AssetIdsArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let body = AssetIdsRequest::new(args.ids.clone());
    let answer = client
        .request(ops::DeleteAssets::new(body))
        .await
        .map_err(|error| Failure::sdk("cannot delete the assets", &error))?;
    print(|out| {
        if args.json {
            json_line(out, &answer)
        } else {
            writeln!(
                out,
                "deleted {} asset(s); `scenario assets restore` brings them back while the service keeps them",
                args.ids.len()
            )
        }
    })
}

/// Restores deleted assets (`POST /assets/restore`): says which came back and
/// why the others did not; exits 1 if any did not.
pub async fn restore(global: &GlobalArgs, args: AssetIdsArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let body = AssetRestoreRequest::new(args.ids.clone());
    let answer = client
        .request(ops::RestoreAssets::new(body))
        .await
        .map_err(|error| Failure::sdk("cannot restore the assets", &error))?;
    print(|out| {
        if args.json {
            return json_line(out, &answer);
        }
        for id in &answer.restored_asset_ids {
            writeln!(out, "restored  {}", printable(id))?;
        }
        for skipped in &answer.skipped_assets {
            writeln!(
                out,
                "skipped   {} ({})",
                printable(&skipped.asset_id),
                printable(skipped.reason.as_str())
            )?;
        }
        Ok(())
    })?;
    if answer.skipped_assets.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "{} of {} asset(s) were not restored (see the reasons above)",
            answer.skipped_assets.len(),
            args.ids.len()
        )))
    }
}

/// Adds and removes tags of an asset (`PUT /assets/{assetId}/tags`).
pub async fn tags(global: &GlobalArgs, args: AssetTagsArgs) -> Result<(), Failure> {
    if args.add.is_empty() && args.delete.is_empty() {
        return Err(Failure::usage(
            "nothing to change: give --add TAG or --delete TAG (repeat for more)",
        ));
    }
    let client = connect(global)?;
    let body = AssetUpdateTagsRequest {
        add: args.add.clone(),
        delete: args.delete.clone(),
        ..AssetUpdateTagsRequest::default()
    };
    let context = format!("cannot change the tags of {}", printable(&args.id));
    let answer = client
        .request(ops::UpdateAssetTags::new(args.id.as_str(), body))
        .await
        .map_err(|error| Failure::sdk(&context, &error))?;
    print(|out| {
        if args.json {
            return json_line(out, &answer);
        }
        let list = |tags: &[String]| {
            if tags.is_empty() {
                "none".to_owned()
            } else {
                tags.iter()
                    .map(|t| printable(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        writeln!(out, "added    {}", list(&answer.added))?;
        writeln!(out, "removed  {}", list(&answer.deleted))
    })
}

/// Writes to stdout and flushes; a closed stdout ends quietly.
pub(crate) fn print(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'_>>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}
