//! Flags built from an operation's query parameters, as the document describes
//! them: one `--kebab-case` flag per parameter, its help the document's
//! description, its values checked by type, limits and documented enum values.
//!
//! A parameter added to the document becomes a flag here with no edit: the
//! flags come from `Operation::PARAMS`, and their values reach the SDK through
//! the operation's generated `…Query` type (serde, with the wire names).

use std::marker::PhantomData;

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches};
use scenario_sdk::{Location, Operation, Param, ParamKind};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// More values than this are not listed in `--help` (the asset types are 81).
const MAX_LISTED_VALUES: usize = 12;

/// The help heading of the generated flags.
const HEADING: &str = "Query parameters";

/// The query parameters of `Op` as flags; [`QueryArgs::query`] turns what was
/// given into the operation's query type.
#[derive(Clone, Debug)]
pub struct QueryArgs<Op> {
    values: Map<String, Value>,
    operation: PhantomData<fn() -> Op>,
}

impl<Op: Operation> QueryArgs<Op> {
    /// The flags given, as the operation's query type `Q` (its `…Query` struct).
    pub fn query<Q: DeserializeOwned>(&self) -> Result<Q, String> {
        serde_json::from_value(Value::Object(self.values.clone()))
            .map_err(|error| format!("invalid query parameters for {}: {error}", Op::ID))
    }

    /// Whether no flag was given.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn params() -> impl Iterator<Item = &'static Param> {
        Op::PARAMS
            .iter()
            .filter(|param| param.location == Location::Query)
    }
}

/// The flag of a parameter: `pageSize` becomes `--page-size`.
fn flag(param: &Param) -> String {
    param.field.trim_end_matches('_').replace('_', "-")
}

/// The flag of one parameter: its long name, help, value name and the
/// checks its kind, limits and documented values call for.
pub(crate) fn arg(param: &'static Param) -> Arg {
    let long = flag(param);
    let help = param.description.trim_end_matches('.').to_owned();
    let arg = Arg::new(param.field)
        .long(long)
        .help(help)
        .help_heading(HEADING)
        .required(param.required)
        .action(ArgAction::Set);
    match param.kind {
        ParamKind::String => {
            let name = if param.name.ends_with("Id") {
                "ID"
            } else {
                "TEXT"
            };
            arg.value_name(name)
        }
        ParamKind::Boolean => arg
            .value_name("BOOL")
            .num_args(0..=1)
            .default_missing_value("true")
            .require_equals(false)
            .value_parser(clap::value_parser!(bool)),
        ParamKind::Integer { min, max } => {
            let parser = clap::value_parser!(i64);
            let parser = match (min, max) {
                (Some(min), Some(max)) => parser.range(min..=max),
                (Some(min), None) => parser.range(min..),
                (None, Some(max)) => parser.range(..=max),
                (None, None) => parser.range(..),
            };
            arg.value_name("N").value_parser(parser)
        }
        ParamKind::Number => arg
            .value_name("NUMBER")
            .value_parser(clap::value_parser!(f64)),
        ParamKind::Enum(values) => arg
            .value_name(param.field.trim_end_matches('_').to_uppercase())
            .value_parser(PossibleValuesParser::new(values.iter().copied()))
            .hide_possible_values(values.len() > MAX_LISTED_VALUES),
        // A list: repeat the flag or separate values with commas, as the API
        // receives them; each value is checked like a single one.
        ParamKind::List(ParamKind::Enum(values)) => arg
            .value_name(param.field.trim_end_matches('_').to_uppercase())
            .action(ArgAction::Append)
            .value_delimiter(',')
            .value_parser(PossibleValuesParser::new(values.iter().copied()))
            .hide_possible_values(values.len() > MAX_LISTED_VALUES),
        ParamKind::List(_) => arg
            .value_name("VALUES")
            .action(ArgAction::Append)
            .value_delimiter(','),
        _ => arg.value_name("VALUE"),
    }
}

/// The value given to the flag of `param` ([`arg`]), as JSON.
pub(crate) fn value(param: &Param, matches: &ArgMatches) -> Option<Value> {
    let id = param.field;
    match param.kind {
        ParamKind::Boolean => matches.get_one::<bool>(id).map(|v| Value::Bool(*v)),
        ParamKind::Integer { .. } => matches.get_one::<i64>(id).map(|v| Value::from(*v)),
        ParamKind::Number => matches.get_one::<f64>(id).map(|v| Value::from(*v)),
        ParamKind::List(_) => matches
            .get_many::<String>(id)
            .map(|values| Value::String(values.cloned().collect::<Vec<_>>().join(","))),
        _ => matches
            .get_one::<String>(id)
            .map(|v| Value::String(v.clone())),
    }
}

impl<Op: Operation> FromArgMatches for QueryArgs<Op> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let values = Self::params()
            .filter_map(|param| Some((param.name.to_owned(), value(param, matches)?)))
            .collect();
        Ok(Self {
            values,
            operation: PhantomData,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<Op: Operation> Args for QueryArgs<Op> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        Self::params().fold(cmd, |cmd, param| cmd.arg(arg(param)))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use scenario_sdk::ops::{ListAssets, ListAssetsQuery};

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        query: QueryArgs<ListAssets>,
    }

    #[test]
    fn every_query_parameter_of_the_document_is_a_flag() {
        let cmd = <Probe as clap::CommandFactory>::command();
        for param in QueryArgs::<ListAssets>::params() {
            assert!(
                cmd.get_arguments()
                    .any(|arg| arg.get_long() == Some(flag(param).as_str())),
                "no flag for {}",
                param.name
            );
        }
    }

    #[test]
    fn flags_become_the_operations_query() {
        let probe = Probe::try_parse_from([
            "probe",
            "--page-size",
            "7",
            "--privacy",
            "unlisted",
            "--deleted",
            "--author-id",
            "a",
        ])
        .unwrap();
        let query: ListAssetsQuery = probe.query.query().unwrap();
        assert_eq!(query.page_size, Some(7));
        assert_eq!(query.privacy.as_deref(), Some("unlisted"));
        assert_eq!(query.deleted, Some(true));
        assert_eq!(query.author_id.as_deref(), Some("a"));
        assert_eq!(query.sort_by, None);
    }

    #[test]
    fn list_flags_repeat_or_take_commas_and_check_each_value() {
        use scenario_sdk::types::AssetType;
        let probe =
            Probe::try_parse_from(["probe", "--types", "img2img,txt2img", "--types", "upscale"])
                .unwrap();
        let query: ListAssetsQuery = probe.query.query().unwrap();
        assert_eq!(
            query.types,
            Some(vec![
                AssetType::Img2img,
                AssetType::Txt2img,
                AssetType::Upscale
            ])
        );
        assert!(Probe::try_parse_from(["probe", "--types", "img2img,nope"]).is_err());
    }

    #[test]
    fn limits_and_values_come_from_the_document() {
        let max = ListAssetsQuery::PAGE_SIZE_MAX;
        let err =
            Probe::try_parse_from(["probe", "--page-size", &(max + 1).to_string()]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        let err = Probe::try_parse_from(["probe", "--type", "hologram"]).unwrap_err();
        assert!(err.to_string().contains("img2img"), "{err}");
    }
}
