//! `scenario collections list | get | create | update | delete | add | remove`:
//! the project's collections, and the assets and models in them.

use std::io::Write;

use clap::{ArgGroup, Args, Subcommand};
use scenario_sdk::ops;
use scenario_sdk::types::{
    AssetIdsRequest, Collection, CollectionCreateRequest, CollectionModelsRequest,
    CollectionUpdateRequest,
};

use crate::assets::print;
use crate::cli::GlobalArgs;
use crate::client::connect;
use crate::error::Failure;
use crate::listing::{self, Noun, Options};
use crate::output::{json_line, printable};
use crate::params::QueryArgs;

/// `scenario collections ...`
#[derive(Debug, Subcommand)]
pub enum CollectionsCommand {
    /// List collections, newest first: a table for people, or one JSON object per line with --json
    List(Box<CollectionListArgs>),
    /// Show a collection: its name and how many assets and models it holds
    Get(CollectionGetArgs),
    /// Create an empty collection
    Create(CollectionCreateArgs),
    /// Rename a collection or set its thumbnail
    Update(CollectionUpdateArgs),
    /// Delete a collection (its assets and models stay, out of it)
    Delete(CollectionDeleteArgs),
    /// Add assets and models to a collection (one already in stays once)
    Add(CollectionItemsArgs),
    /// Take assets and models out of a collection (they stay in the project)
    Remove(CollectionItemsArgs),
}

/// The flags of `scenario collections list`.
#[derive(Debug, Args)]
pub struct CollectionListArgs {
    /// Print one JSON object per line instead of a table
    #[arg(long)]
    pub json: bool,

    /// Stop after this many collections
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// The query parameters of `GET /collections`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::ListCollections>,
}

/// The flags of `scenario collections get`.
#[derive(Debug, Args)]
pub struct CollectionGetArgs {
    /// The collection's id
    #[arg(value_name = "ID")]
    pub id: String,

    /// Print the collection as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// The query parameters of `GET /collections/{collectionId}`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::GetCollection>,
}

/// The flags of `scenario collections create`.
#[derive(Debug, Args)]
pub struct CollectionCreateArgs {
    /// The new collection's name
    #[arg(long, value_name = "NAME")]
    pub name: String,

    /// Print the collection as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// The query parameters of `POST /collections`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::CreateCollection>,
}

/// The flags of `scenario collections update`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("change").required(true).multiple(true)))]
pub struct CollectionUpdateArgs {
    /// The collection's id
    #[arg(value_name = "ID")]
    pub id: String,

    /// The collection's new name
    #[arg(long, value_name = "NAME", group = "change")]
    pub name: Option<String>,

    /// The asset whose image becomes the collection's thumbnail
    #[arg(long, value_name = "ASSET_ID", group = "change")]
    pub thumbnail: Option<String>,

    /// Print the collection as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// The query parameters of `PUT /collections/{collectionId}`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::UpdateCollection>,
}

/// The flags of `scenario collections delete`.
#[derive(Debug, Args)]
pub struct CollectionDeleteArgs {
    /// The collection's id
    #[arg(value_name = "ID")]
    pub id: String,

    /// The query parameters of `DELETE /collections/{collectionId}`, from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::DeleteCollection>,
}

/// The flags of `scenario collections add` and `scenario collections remove`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("items").required(true).multiple(true)))]
pub struct CollectionItemsArgs {
    /// The collection's id
    #[arg(value_name = "ID")]
    pub id: String,

    /// An asset's id (repeat the flag, or give several ids after it)
    #[arg(long, value_name = "ASSET_ID", num_args = 1.., group = "items")]
    pub asset: Vec<String>,

    /// A model's id (repeat the flag, or give several ids after it)
    #[arg(long, value_name = "MODEL_ID", num_args = 1.., group = "items")]
    pub model: Vec<String>,

    /// Print the collection as one JSON object instead of text
    #[arg(long)]
    pub json: bool,

    /// The query parameters of the assets' and the models' requests
    /// (`/collections/{collectionId}/assets`, `.../models`), from the document.
    #[command(flatten)]
    pub query: QueryArgs<ops::AddCollectionAssets>,
}

/// The words of the collections listing's messages.
const COLLECTIONS: Noun = Noun::new("collection", "a collection", "collections");

/// Lists collections page by page, printing each page as it arrives.
pub async fn list(global: &GlobalArgs, args: CollectionListArgs) -> Result<(), Failure> {
    let query: ops::ListCollectionsQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::ListCollections::new();
    operation.query = query;
    let options = Options {
        json: args.json,
        limit: args.limit,
        quiet: global.quiet,
    };
    listing::print(
        client.request(operation),
        COLLECTIONS,
        options,
        write_collections,
    )
    .await
}

/// Shows one collection.
pub async fn get(global: &GlobalArgs, args: CollectionGetArgs) -> Result<(), Failure> {
    let query: ops::GetCollectionQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::GetCollection::new(args.id.as_str());
    operation.query = query;
    let collection = client
        .request(operation)
        .await
        .map_err(|error| {
            Failure::sdk(
                format!("cannot get collection {}", printable(&args.id)),
                &error,
            )
        })?
        .collection;
    print_collection(&collection, args.json)
}

/// Creates a collection and shows it (its id first).
pub async fn create(global: &GlobalArgs, args: CollectionCreateArgs) -> Result<(), Failure> {
    let query: ops::CreateCollectionQuery = args.query.query().map_err(Failure::usage)?;
    let body = CollectionCreateRequest::new(args.name.clone());
    let client = connect(global)?;
    let mut operation = ops::CreateCollection::new(body);
    operation.query = query;
    let collection = client
        .request(operation)
        .await
        .map_err(|error| {
            Failure::sdk(
                format!("cannot create collection {}", printable(&args.name)),
                &error,
            )
        })?
        .collection;
    print_collection(&collection, args.json)
}

/// Renames a collection or sets its thumbnail, and shows it.
pub async fn update(global: &GlobalArgs, args: CollectionUpdateArgs) -> Result<(), Failure> {
    let query: ops::UpdateCollectionQuery = args.query.query().map_err(Failure::usage)?;
    let body = CollectionUpdateRequest {
        name: args.name.clone(),
        thumbnail: args.thumbnail.clone(),
        ..CollectionUpdateRequest::default()
    };
    let client = connect(global)?;
    let mut operation = ops::UpdateCollection::new(args.id.as_str(), body);
    operation.query = query;
    let collection = client
        .request(operation)
        .await
        .map_err(|error| {
            Failure::sdk(
                format!("cannot update collection {}", printable(&args.id)),
                &error,
            )
        })?
        .collection;
    print_collection(&collection, args.json)
}

/// Deletes a collection; says so on stdout.
pub async fn delete(global: &GlobalArgs, args: CollectionDeleteArgs) -> Result<(), Failure> {
    let query: ops::DeleteCollectionQuery = args.query.query().map_err(Failure::usage)?;
    let client = connect(global)?;
    let mut operation = ops::DeleteCollection::new(args.id.as_str());
    operation.query = query;
    client.request(operation).await.map_err(|error| {
        Failure::sdk(
            format!("cannot delete collection {}", printable(&args.id)),
            &error,
        )
    })?;
    print(|out| {
        writeln!(
            out,
            "deleted collection {}; its assets and models stay in the project",
            printable(&args.id)
        )
    })
}

/// Adds (`add: true`) or removes assets and models: the assets in one request,
/// then the models in another; shows the collection as the last one left it.
pub async fn change(
    global: &GlobalArgs,
    args: CollectionItemsArgs,
    add: bool,
) -> Result<(), Failure> {
    let client = connect(global)?;
    let (verb, done, preposition) = if add {
        ("add", "added", "to")
    } else {
        ("remove", "removed", "from")
    };
    let id = printable(&args.id);
    let mut last = None;
    if !args.asset.is_empty() {
        let body = AssetIdsRequest::new(args.asset.clone());
        let sent = if add {
            let mut operation = ops::AddCollectionAssets::new(args.id.as_str(), body);
            operation.query = convert(&args.query)?;
            client.request(operation).await
        } else {
            let mut operation = ops::RemoveCollectionAssets::new(args.id.as_str(), body);
            operation.query = convert(&args.query)?;
            client.request(operation).await
        };
        let context = format!("cannot {verb} the assets {preposition} collection {id}");
        last = Some(sent.map_err(|error| Failure::sdk(context, &error))?);
    }
    if !args.model.is_empty() {
        let body = CollectionModelsRequest::new(args.model.clone());
        let sent = if add {
            let mut operation = ops::AddCollectionModels::new(args.id.as_str(), body);
            operation.query = convert(&args.query)?;
            client.request(operation).await
        } else {
            let mut operation = ops::RemoveCollectionModels::new(args.id.as_str(), body);
            operation.query = convert(&args.query)?;
            client.request(operation).await
        };
        let mut context = format!("cannot {verb} the models {preposition} collection {id}");
        if last.is_some() {
            context.push_str(&format!(
                " (the assets were {done}); run the command again with the --model flags only"
            ));
        }
        last = Some(sent.map_err(|error| Failure::sdk(context, &error))?);
    }
    // clap requires --asset or --model: one request at least was sent.
    match last {
        Some(answer) => print_collection(&answer.collection, args.json),
        None => Err(Failure::usage("give --asset ID or --model ID")),
    }
}

/// The query flags as the query type of any of the four operations: they
/// take the same query parameters.
fn convert<Q: serde::de::DeserializeOwned>(
    flags: &QueryArgs<ops::AddCollectionAssets>,
) -> Result<Q, Failure> {
    flags.query().map_err(Failure::usage)
}

const HEADER: [&str; 5] = ["ID", "ASSETS", "MODELS", "UPDATED", "NAME"];

fn count(n: f64) -> String {
    format!("{}", n.max(0.0).round() as u64)
}

fn collection_row(collection: &Collection) -> [String; 5] {
    [
        printable(&collection.id),
        count(collection.asset_count),
        count(collection.model_count),
        printable(&collection.updated_at),
        printable(&collection.name),
    ]
}

/// Writes the table rows of collections (with the header before the first page).
fn write_collections(
    out: &mut dyn Write,
    collections: &[Collection],
    first: bool,
) -> std::io::Result<()> {
    // The name, of any length, comes last so that the other columns line up.
    listing::fixed_rows(out, collections, first, HEADER, collection_row, |row| {
        format!(
            "{:<28}  {:>6}  {:>6}  {:<24}  {}",
            row[0], row[1], row[2], row[3], row[4]
        )
    })
}

/// Writes a collection as aligned `label  value` lines.
fn write_collection(out: &mut impl Write, collection: &Collection) -> std::io::Result<()> {
    let mut fields: Vec<(&str, String)> = vec![
        ("collection", collection.id.clone()),
        ("name", collection.name.clone()),
        ("assets", count(collection.asset_count)),
        ("models", count(collection.model_count)),
    ];
    if let Some(thumbnail) = &collection.thumbnail {
        fields.push(("thumbnail", thumbnail.asset_id.clone()));
    }
    fields.push(("created", collection.created_at.clone()));
    fields.push(("updated", collection.updated_at.clone()));
    let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, value) in fields {
        writeln!(out, "{label:<width$}  {}", printable(&value))?;
    }
    Ok(())
}

fn print_collection(collection: &Collection, json: bool) -> Result<(), Failure> {
    print(|out| {
        if json {
            json_line(out, collection)
        } else {
            write_collection(out, collection)
        }
    })
}
