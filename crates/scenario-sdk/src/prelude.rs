//! What most programs using the SDK import: `use scenario_sdk::prelude::*;`.
//!
//! The client, the modules of generated types and operations, and the stream
//! traits of the `futures` crate that listings are consumed with (`try_next`,
//! `take`, `try_collect`...), so that a program needs no direct dependency on
//! `futures` (nor a version of it to match).
//!
//! ```no_run
//! use scenario_sdk::prelude::*;
//!
//! # async fn run() -> scenario_sdk::Result<()> {
//! let client = Client::from_env()?;
//! let mut assets = client.assets().list().page_size(100).stream();
//! while let Some(asset) = assets.try_next().await? {
//!     println!("{} {}", asset.id, asset.kind);
//! }
//! let first: Vec<types::Asset> = client.assets().list().stream().take(5).try_collect().await?;
//! println!("{} assets", first.len());
//! # Ok(()) }
//! ```

// Not `Result` nor `Error`: a glob import of them would shadow the standard
// library's `Result` and the program's own `Error`.
pub use crate::{Client, ops, types};
/// The traits of the `futures` crate that listings (`impl Stream`) are
/// consumed with, re-exported.
pub use futures::{Stream, StreamExt, TryStream, TryStreamExt};
