//! `scenario api <operationId> [--<param> VALUE ...] [--body JSON|@FILE|-]`:
//! every operation of the document, built at run time from its table
//! (`scenario_sdk::ops::OPERATIONS`), so that an operation added to the
//! document is a command here with no edit.
//!
//! Each operation is a subcommand named by its `operationId` (its kebab-case
//! form works too), with a flag per path and query parameter (the same flags,
//! checks and enum values as the other commands, from `params.rs`) and, when
//! it takes one, `--body`. The response body is printed as the API sent it,
//! made terminal-safe.

use std::io::{Read, Write};

use clap::{Arg, ArgAction, ArgMatches, Command, FromArgMatches, Subcommand};
use scenario_sdk::ops::{OPERATIONS, TAGS};
use scenario_sdk::{Error as SdkError, Location, OperationInfo};

use crate::cli::GlobalArgs;
use crate::client::connect;
use crate::error::{Failure, describe};
use crate::output::{printable, raw_json_line};
use crate::params;

/// The id of the `--body` argument (no parameter's field starts with `-`).
const BODY: &str = "-body";

/// The help heading of path parameters (query parameters have `params.rs`'s).
const PATH_HEADING: &str = "Path parameters";

/// One operation to call, as the command line gave it.
#[derive(Debug)]
pub struct ApiCommand {
    op: &'static OperationInfo,
    /// Each parameter given: its wire name and its value as text.
    values: Vec<(&'static str, String)>,
    /// `--body` as given: JSON, `@FILE` or `-`.
    body: Option<String>,
}

/// `listAssets` as `list-assets`.
fn kebab(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + 4);
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the operation may be sent without `--body` (its body type accepts `{}`).
fn body_optional(op: &OperationInfo) -> bool {
    op.body.is_some_and(|body| (body.check)(b"{}").is_ok())
}

/// The subcommand of one operation.
fn command(op: &'static OperationInfo) -> Command {
    let route = format!("{} {}", op.method, op.path);
    let about = if op.summary.is_empty() {
        route.clone()
    } else {
        op.summary.to_owned()
    };
    let mut cmd = Command::new(op.id)
        .alias(kebab(op.id))
        .about(about.clone())
        .long_about(format!("{about}\n\n{route}"));
    for param in op.params {
        let mut arg = params::arg(param);
        if param.location == Location::Path {
            arg = arg.help_heading(PATH_HEADING);
        }
        cmd = cmd.arg(arg);
    }
    if op.body.is_some() {
        let optional = body_optional(op);
        let help = if optional {
            "The request body: JSON, @FILE to read it from a file, or - for stdin [default: {}]"
        } else {
            "The request body: JSON, @FILE to read it from a file, or - for stdin"
        };
        cmd = cmd.arg(
            Arg::new(BODY)
                .long("body")
                .value_name("JSON|@FILE|-")
                .help(help)
                .required(!optional)
                .action(ArgAction::Set),
        );
    }
    cmd
}

impl FromArgMatches for ApiCommand {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, sub)) = matches.subcommand() else {
            return Err(clap::Error::raw(
                clap::error::ErrorKind::MissingSubcommand,
                "an operation id is required; `scenario api --help` lists them",
            ));
        };
        let op = OPERATIONS.iter().find(|op| op.id == name).ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidSubcommand,
                format!("no operation {name:?}"),
            )
        })?;
        let values = op
            .params
            .iter()
            .filter_map(|param| {
                let value = match params::value(param, sub)? {
                    serde_json::Value::String(text) => text,
                    other => other.to_string(),
                };
                Some((param.name, value))
            })
            .collect();
        Ok(Self {
            op,
            values,
            // Asking for an argument the subcommand lacks panics in debug builds.
            body: op.body.and_then(|_| sub.get_one::<String>(BODY).cloned()),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// `scenario api --help`'s list of operations: grouped by area (the document's
/// tags, in its order), each with its summary, instead of clap's one list.
fn grouped_operations() -> String {
    let width = OPERATIONS.iter().map(|op| op.id.len()).max().unwrap_or(0);
    let untagged = |op: &&OperationInfo| !TAGS.iter().any(|(tag, _)| *tag == op.tag);
    let groups = TAGS
        .iter()
        .map(|(tag, description)| {
            let ops: Vec<&OperationInfo> = OPERATIONS.iter().filter(|op| op.tag == *tag).collect();
            (format!("{}: {description}", capitalised(tag)), ops)
        })
        .chain(std::iter::once((
            "Other: operations of no area of the document".to_owned(),
            OPERATIONS.iter().filter(untagged).collect(),
        )));
    let mut out = String::new();
    for (heading, ops) in groups {
        if ops.is_empty() {
            continue;
        }
        out.push_str(&heading);
        out.push('\n');
        for op in ops {
            out.push_str(&format!("  {:width$}  {}\n", op.id, op.summary));
        }
        out.push('\n');
    }
    out.push_str("`scenario api <OPERATION> --help` lists an operation's parameters.");
    out
}

/// `assets` as `Assets`.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

impl Subcommand for ApiCommand {
    fn augment_subcommands(cmd: Command) -> Command {
        OPERATIONS
            .iter()
            .fold(cmd, |cmd, op| cmd.subcommand(command(op)))
            .subcommand_required(true)
            .arg_required_else_help(true)
            .subcommand_value_name("OPERATION")
            .help_template("{about-with-newline}\n{usage-heading} {usage}\n\n{before-help}\n\nOptions:\n{options}")
            .before_help(grouped_operations())
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        OPERATIONS
            .iter()
            .any(|op| op.id == name || kebab(op.id) == name)
    }
}

/// The body `--body` names: the text itself, a file's content (`@FILE`) or stdin (`-`).
fn read_body(given: &str) -> Result<Vec<u8>, Failure> {
    if given == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::new(format!("cannot read the body from stdin: {e}")))?;
        return Ok(bytes);
    }
    if let Some(path) = given.strip_prefix('@') {
        return std::fs::read(path).map_err(|e| {
            Failure::new(format!(
                "cannot read the body from {}: {e}; check the path after @",
                printable(path)
            ))
        });
    }
    Ok(given.as_bytes().to_vec())
}

/// Calls the operation and prints the response body.
pub async fn run(global: &GlobalArgs, command: ApiCommand) -> Result<(), Failure> {
    let ApiCommand { op, values, body } = command;
    let body = match (&op.body, body) {
        (Some(info), given) => {
            let bytes = match given {
                Some(given) => read_body(&given)?,
                None => b"{}".to_vec(),
            };
            (info.check)(&bytes).map_err(|why| {
                Failure::usage(format!(
                    "the --body of {} is not valid: {why}; `scenario api {} --help` shows the operation",
                    op.id, op.id
                ))
            })?;
            Some(bytes)
        }
        (None, _) => None,
    };
    let client = connect(global)?;
    let mut call = client
        .call(op.id)
        .map_err(|e| Failure::usage(describe(&e)))?;
    for (name, value) in values {
        call = call.param(name, value);
    }
    if let Some(body) = body {
        call = call.body(body);
    }
    let reply = call.send().await.map_err(|error| match error {
        SdkError::InvalidInput(_) => Failure::usage(describe(&error)),
        _ => Failure::sdk(format!("{} failed", op.id), &error),
    })?;
    print_body(&reply.value).or_else(|e| Failure::output(e).map_or(Ok(()), Err))
}

/// Writes a response body: JSON on one line with unsafe characters escaped,
/// other text with them replaced, nothing for an empty body.
fn print_body(body: &[u8]) -> std::io::Result<()> {
    if body.is_empty() {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let text = String::from_utf8_lossy(body);
    if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
        raw_json_line(&mut out, &text)?;
    } else {
        writeln!(out, "{}", printable(&text))?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_operation_once_under_its_area_with_its_summary() {
        let mut cmd = ApiCommand::augment_subcommands(Command::new("api"));
        let help = cmd.render_help().to_string();
        let mut area = None;
        let mut listed = Vec::new();
        for line in help.lines() {
            if let Some((heading, _)) = line.split_once(": ")
                && !line.starts_with(' ')
            {
                area = TAGS
                    .iter()
                    .find(|(tag, _)| capitalised(tag) == heading)
                    .map(|(tag, _)| *tag);
            } else if let Some(op) = line
                .split_whitespace()
                .next()
                .and_then(|id| OPERATIONS.iter().find(|op| op.id == id))
            {
                assert_eq!(area, Some(op.tag), "{} listed under {area:?}", op.id);
                assert!(line.ends_with(op.summary), "{line}");
                listed.push(op.id);
            }
        }
        assert_eq!(listed.len(), OPERATIONS.len(), "{help}");
        assert!(help.contains("Options:"), "{help}");
    }

    #[test]
    fn every_operation_is_a_subcommand_without_clashing_flags() {
        let cmd = ApiCommand::augment_subcommands(Command::new("api"));
        assert_eq!(cmd.get_subcommands().count(), OPERATIONS.len());
        cmd.debug_assert();
        for op in OPERATIONS {
            assert!(ApiCommand::has_subcommand(op.id));
            assert!(ApiCommand::has_subcommand(&kebab(op.id)));
        }
    }

    #[test]
    fn ids_become_kebab_case() {
        assert_eq!(kebab("listAssets"), "list-assets");
        assert_eq!(kebab("getAsset"), "get-asset");
    }
}
