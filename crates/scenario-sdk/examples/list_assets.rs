//! List every asset of the project, page by page, with a filter.
//!
//! ```sh
//! cargo run -p scenario-sdk --example list_assets -- [private|public|unlisted]
//! ```

use scenario_sdk::prelude::*;

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _fake) = common::connect().await?;
    let mut listing = client.assets().list().page_size(20);
    if let Some(privacy) = std::env::args().nth(1) {
        listing = listing.privacy(privacy);
    }
    let mut pages = listing.pages();
    let mut total = 0;
    while let Some(page) = pages.try_next().await? {
        total += page.items.len();
        for asset in &page.items {
            println!(
                "{}\t{}\t{}\t{}",
                asset.id, asset.kind, asset.privacy, asset.mime_type
            );
        }
        eprintln!(
            "-- page of {} (request {})",
            page.items.len(),
            page.request_id.as_deref().unwrap_or("?")
        );
    }
    eprintln!("{total} assets");
    Ok(())
}
