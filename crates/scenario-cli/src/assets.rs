//! `scenario assets list`.

use std::io::Write;

use futures::StreamExt;
use scenario_sdk::types::{Asset, AssetSortBy};
use scenario_sdk::{Client, ListAssets};

use crate::cli::{GlobalArgs, ListArgs};
use crate::client::connect;
use crate::error::Failure;
use crate::output::{AssetTable, json_line};

/// The largest page the API serves.
const MAX_PAGE_SIZE: u32 = 100;

/// Lists assets page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: ListArgs) -> Result<(), Failure> {
    let client = connect(global)?;
    let listing = listing(&client, &args);
    let mut pages = std::pin::pin!(listing.pages());
    let mut table = AssetTable::new();
    let mut printed: u64 = 0;
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
        let assets = &page.assets[..page.assets.len().min(wanted)];
        if let Err(error) = write_page(&mut table, assets, args.json) {
            return Failure::output(error).map_or(Ok(()), Err);
        }
        printed += assets.len() as u64;
        if args.limit.is_some_and(|limit| printed >= limit) {
            // Dropping the stream stops any page fetched ahead.
            break;
        }
    }
    if printed == 0 && !args.json && !global.quiet {
        note!("no assets match");
    }
    Ok(())
}

/// The SDK listing for the flags.
///
/// Without `--page-size`, a `--limit` of at most 100 becomes the page size, so
/// that one request is enough; no page is fetched ahead when the limit fits in
/// the first one. The date filters need the listing sorted by the same date:
/// they imply `--sort-by` when it is not given.
fn listing(client: &Client, args: &ListArgs) -> ListAssets {
    let mut list = client.assets().list();
    let page_size = args.page_size.or_else(|| {
        args.limit
            .map(|limit| u32::try_from(limit).unwrap_or(u32::MAX).min(MAX_PAGE_SIZE))
    });
    if let Some(size) = page_size {
        list = list.page_size(size);
        if args.limit.is_some_and(|limit| limit <= u64::from(size)) {
            list = list.prefetch(0);
        }
    }
    // Each flag has the name of the SDK's setter.
    macro_rules! strings {
        ($($field:ident),* $(,)?) => {$(
            if let Some(value) = &args.$field {
                list = list.$field(value.clone());
            }
        )*};
    }
    strings!(
        author_id,
        collection_id,
        created_after,
        created_before,
        inference_id,
        model_id,
        parent_asset_id,
        project_id,
        root_asset_id,
        updated_after,
        updated_before,
    );
    if args.deleted {
        list = list.deleted(true);
    }
    if args.original_assets {
        list = list.original_assets(true);
    }
    if let Some(privacy) = &args.privacy {
        list = list.privacy(privacy.clone());
    }
    if let Some(sort_by) = sort_by(args) {
        list = list.sort_by(sort_by);
    }
    if let Some(direction) = &args.sort_direction {
        list = list.sort_direction(direction.clone());
    }
    for tag in &args.tags {
        list = list.tag(tag);
    }
    if let Some(asset_type) = &args.asset_type {
        list = list.asset_type(asset_type.clone());
    }
    list
}

/// `--sort-by`, or the date the date filters need.
fn sort_by(args: &ListArgs) -> Option<AssetSortBy> {
    if args.sort_by.is_some() {
        return args.sort_by.clone();
    }
    if args.created_after.is_some() || args.created_before.is_some() {
        return Some(AssetSortBy::CreatedAt);
    }
    if args.updated_after.is_some() || args.updated_before.is_some() {
        return Some(AssetSortBy::UpdatedAt);
    }
    None
}

/// Writes one page to stdout and flushes it, so that a reader sees it at once.
fn write_page(table: &mut AssetTable, assets: &[Asset], json: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json {
        for asset in assets {
            json_line(&mut out, asset)?;
        }
    } else {
        table.write_page(&mut out, assets)?;
    }
    out.flush()
}
