//! The `scenario` binary end to end, against a fake of the API started in the
//! test process. One test binary, so that it links once.

mod api;
mod assets;
mod collections;
mod completions;
mod downloads;
mod generate;
mod help;
mod hostile;
mod jobs;
mod mock;
mod models;
mod profiles;
mod search;
mod support;
mod uploads;
mod workflows;
