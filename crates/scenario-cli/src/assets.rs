//! `scenario assets list`.

use std::io::Write;

use futures::StreamExt;
use scenario_sdk::ops::{self, ListAssetsQuery};
use scenario_sdk::types::{Asset, AssetSortBy};
use scenario_sdk::{Client, ListAssets};
use serde_json::value::RawValue;

use crate::cli::{GlobalArgs, ListArgs};
use crate::client::connect;
use crate::error::Failure;
use crate::output::{AssetTable, raw_json_line};

/// Lists assets page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: ListArgs) -> Result<(), Failure> {
    let query = query(&args)?;
    let client = connect(global)?;
    // JSON prints each asset as the server sent it, unknown fields and all.
    let listing = listing(&client, query, args.limit).keep_raw(args.json);
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
        for bad in &page.skipped {
            // The item's JSON stays out: it can be long; -v logs the request.
            note!("warning: skipped an asset the service sent: {bad}");
        }
        skipped += page.skipped.len() as u64;
        let count = page.items.len().min(wanted);
        let written = if args.json {
            write_raw(&page.raw_items[..count])
        } else {
            write_table(&mut table, &page.items[..count])
        };
        if let Err(error) = written {
            return Failure::output(error).map_or(Ok(()), Err);
        }
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
fn query(args: &ListArgs) -> Result<ListAssetsQuery, Failure> {
    let mut query: ListAssetsQuery = args.query.query().map_err(Failure::usage)?;
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
            query.sort_by = Some(AssetSortBy::CreatedAt);
        } else if updated {
            query.sort_by = Some(AssetSortBy::UpdatedAt);
        }
    }
    Ok(query)
}

/// The SDK listing for the query.
///
/// Without `--page-size`, a `--limit` that fits in a page becomes the page
/// size, so that one request is enough; no page is fetched ahead when the
/// limit fits in the first one.
fn listing(client: &Client, mut query: ListAssetsQuery, limit: Option<u64>) -> ListAssets {
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
