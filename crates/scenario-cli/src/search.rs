//! `scenario search assets | models | workflows`: the service's search, by
//! text and filters, printed page by page like the listings.

use std::io::Write;

use clap::{Args, Subcommand};
use scenario_sdk::types::{
    SearchAssetHit, SearchAssetsRequest, SearchModelHit, SearchWorkflowHit, SearchWorkflowsRequest,
};
use scenario_sdk::{Paginated, Request, ops};
use serde::de::DeserializeOwned;

use crate::cli::GlobalArgs;
use crate::client::connect;
use crate::error::Failure;
use crate::listing::{self, Noun, Options};
use crate::output::printable;
use crate::params::QueryArgs;

/// `scenario search ...`
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Search assets by text (names, prompts, descriptions, tags) and filters
    Assets(Box<SearchAssetsArgs>),
    /// Search models by text (names, descriptions, tags) and filters
    Models(Box<SearchModelsArgs>),
    /// Search workflows by text (names, descriptions, tags) and filters
    Workflows(Box<SearchWorkflowsArgs>),
}

/// The flags every search takes: the text, the filters of the request body,
/// and how the hits are printed.
#[derive(Debug, Args)]
pub struct SearchFlags {
    /// The text to search for (several words are one text); none: every item the filters let through
    #[arg(value_name = "QUERY")]
    pub text: Vec<String>,

    /// Print one JSON object per line instead of a table
    #[arg(long)]
    pub json: bool,

    /// Stop after this many hits
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// A filter expression, as the service's search reads it
    #[arg(long, value_name = "EXPRESSION")]
    pub filter: Option<String>,

    /// Sort the hits by this attribute, e.g. createdAt:desc (repeat for more)
    #[arg(long = "sort-by", value_name = "ATTRIBUTE")]
    pub sort_by: Vec<String>,

    /// Search the public items instead of the project's
    #[arg(long)]
    pub public_only: bool,

    /// Hits asked for per request [default: the service's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: Option<u32>,
}

impl SearchFlags {
    /// The text, or `None` when no word was given.
    fn text(&self) -> Option<String> {
        (!self.text.is_empty()).then(|| self.text.join(" "))
    }

    fn options(&self, global: &GlobalArgs) -> Options {
        Options {
            json: self.json,
            limit: self.limit,
            quiet: global.quiet,
        }
    }
}

/// The flags of `scenario search assets`.
#[derive(Debug, Args)]
pub struct SearchAssetsArgs {
    #[command(flatten)]
    pub flags: SearchFlags,

    /// The query parameters of `POST /search/assets`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::SearchAssets>,
}

/// The flags of `scenario search models`.
#[derive(Debug, Args)]
pub struct SearchModelsArgs {
    #[command(flatten)]
    pub flags: SearchFlags,

    /// The query parameters of `POST /search/models`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::SearchModels>,
}

/// The flags of `scenario search workflows`.
#[derive(Debug, Args)]
pub struct SearchWorkflowsArgs {
    #[command(flatten)]
    pub flags: SearchFlags,

    /// The query parameters of `POST /search/workflows`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::SearchWorkflows>,
}

/// The request body of an asset or model search (they share their type).
fn assets_body(flags: &SearchFlags) -> SearchAssetsRequest {
    SearchAssetsRequest {
        query: flags.text(),
        filter: flags.filter.clone(),
        sort_by: flags.sort_by.clone(),
        public: flags.public_only.then_some(true),
        limit: flags.page_size.map(f64::from),
        ..SearchAssetsRequest::default()
    }
}

/// The query of the flags, as the operation's query type.
fn query<Op: scenario_sdk::Operation, Q: DeserializeOwned>(
    flags: &QueryArgs<Op>,
) -> Result<Q, Failure> {
    flags.query().map_err(Failure::usage)
}

/// With a `--limit`, no page is fetched ahead: the next one may not be needed.
fn paced<Op: Paginated>(request: Request<Op>, flags: &SearchFlags) -> Request<Op> {
    if flags.limit.is_some() {
        request.prefetch(0)
    } else {
        request
    }
}

/// Searches assets, printing the hits page by page.
pub async fn assets(global: &GlobalArgs, args: SearchAssetsArgs) -> Result<(), Failure> {
    let mut operation = ops::SearchAssets::new(assets_body(&args.flags));
    operation.query = query(&args.query)?;
    let client = connect(global)?;
    let request = paced(client.request(operation), &args.flags);
    let noun = Noun::new("asset", "an asset", "assets").searched();
    listing::print(request, noun, args.flags.options(global), write_assets).await
}

/// Searches models, printing the hits page by page.
pub async fn models(global: &GlobalArgs, args: SearchModelsArgs) -> Result<(), Failure> {
    let mut operation = ops::SearchModels::new(assets_body(&args.flags));
    operation.query = query(&args.query)?;
    let client = connect(global)?;
    let request = paced(client.request(operation), &args.flags);
    let noun = Noun::new("model", "a model", "models").searched();
    listing::print(request, noun, args.flags.options(global), write_models).await
}

/// Searches workflows, printing the hits page by page.
pub async fn workflows(global: &GlobalArgs, args: SearchWorkflowsArgs) -> Result<(), Failure> {
    let flags = &args.flags;
    let body = SearchWorkflowsRequest {
        query: flags.text(),
        filter: flags.filter.clone(),
        sort_by: flags.sort_by.clone(),
        public: flags.public_only.then_some(true),
        limit: flags.page_size.map(f64::from),
        ..SearchWorkflowsRequest::default()
    };
    let mut operation = ops::SearchWorkflows::new(body);
    operation.query = query(&args.query)?;
    let client = connect(global)?;
    let request = paced(client.request(operation), flags);
    let noun = Noun::new("workflow", "a workflow", "workflows").searched();
    listing::print(request, noun, flags.options(global), write_workflows).await
}

/// Every cell but the last padded to a fixed width, so that pages line up;
/// the name, of any length, comes last.
fn line(row: &[String; 5]) -> String {
    format!(
        "{:<28}  {:<22}  {:<8}  {:<24}  {}",
        row[0], row[1], row[2], row[3], row[4]
    )
}

fn write_assets(out: &mut dyn Write, hits: &[SearchAssetHit], first: bool) -> std::io::Result<()> {
    let header = ["ID", "KIND", "PRIVACY", "CREATED", "NAME"];
    let row = |hit: &SearchAssetHit| {
        [
            printable(&hit.id),
            printable(hit.metadata.kind.as_deref().unwrap_or("")),
            printable(&hit.privacy),
            printable(&hit.created_at),
            printable(hit.metadata.name.as_deref().unwrap_or("")),
        ]
    };
    listing::fixed_rows(out, hits, first, header, row, line)
}

fn write_models(out: &mut dyn Write, hits: &[SearchModelHit], first: bool) -> std::io::Result<()> {
    let header = ["ID", "TYPE", "PRIVACY", "CREATED", "NAME"];
    let row = |hit: &SearchModelHit| {
        [
            printable(&hit.id),
            printable(&hit.type_),
            printable(&hit.privacy),
            printable(&hit.created_at),
            printable(&hit.name),
        ]
    };
    listing::fixed_rows(out, hits, first, header, row, line)
}

fn write_workflows(
    out: &mut dyn Write,
    hits: &[SearchWorkflowHit],
    first: bool,
) -> std::io::Result<()> {
    let header = ["ID", "STATUS", "PRIVACY", "CREATED", "NAME"];
    let row = |hit: &SearchWorkflowHit| {
        [
            printable(&hit.id),
            printable(&hit.status),
            printable(&hit.privacy),
            printable(&hit.created_at),
            printable(&hit.name),
        ]
    };
    listing::fixed_rows(out, hits, first, header, row, line)
}
