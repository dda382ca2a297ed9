//! The command line: clap types and the parsers of flag values, nothing else.
//!
//! The flags of an operation's query parameters come from the document
//! (`params::QueryArgs`); enum flags accept exactly the values the document
//! lists (the generated types' `VALUES`); anything else is a usage error
//! (exit 2) that lists them. A value the service adds later needs a newer
//! `scenario`.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{NonEmptyStringValueParser, PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueHint};
use scenario_sdk::ops;
use scenario_sdk::types::UploadKind;

use crate::params::QueryArgs;

const GLOBAL: &str = "Global options";

const ENVIRONMENT: &str = "\
Environment:
  SCENARIO_SDK_API_KEY     API key (--api-key overrides it)
  SCENARIO_SDK_API_SECRET  API secret (--api-secret overrides it)
  SCENARIO_SDK_JWT         a bearer token, used when no API key and secret are set
  SCENARIO_CUSTOM_HEADERS  extra headers for API requests, one `Name: value` per line
  SCENARIO_BASE_URL        API base URL (--base-url overrides it)
  SCENARIO_PROFILE         the profile of the config file (--profile overrides it)
  SCENARIO_CONFIG_FILE     the config file [default: $XDG_CONFIG_HOME/scenario/config.toml,
                           else ~/.config/scenario/config.toml]
  RUST_LOG                 with -v, which logs to show (e.g. scenario_sdk=trace)

Flags win over variables, which win over the profile (`scenario configure` writes it,
`scenario auth status` shows where each setting comes from).

Exit status: 0 success, 1 API, network or file error, 2 usage error, 130 interrupted.

Try it offline: `scenario mock serve` starts a fake of the API and prints the
variables to export.";

/// A command-line client of the Scenario API (generative assets for games).
#[derive(Debug, Parser)]
#[command(
    name = "scenario",
    version,
    propagate_version = true,
    after_help = ENVIRONMENT,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after the command's name.
#[derive(Args)]
pub struct GlobalArgs {
    /// The profile of the config file to use [default: $SCENARIO_PROFILE, else `default`]
    #[arg(long, global = true, value_name = "NAME", help_heading = GLOBAL)]
    pub profile: Option<String>,

    /// The API's base URL (`--base-url`), else `SCENARIO_BASE_URL`, else the SDK's default.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = GLOBAL,
        help = "The API's base URL [default: $SCENARIO_BASE_URL, else the profile's, else https://api.cloud.scenario.com/v1]"
    )]
    pub base_url: Option<String>,

    /// The API key [default: $SCENARIO_SDK_API_KEY, else the profile's]
    #[arg(long, global = true, value_name = "KEY", help_heading = GLOBAL)]
    pub api_key: Option<String>,

    /// The API secret [default: $SCENARIO_SDK_API_SECRET, else the profile's; either keeps it out of shell history]
    #[arg(long, global = true, value_name = "SECRET", help_heading = GLOBAL)]
    pub api_secret: Option<String>,

    /// Allow a plain http:// base URL to another machine (the credentials then cross the network in clear)
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub allow_insecure_http: bool,

    /// No account: list public assets with the public access token (no credentials needed)
    #[arg(long, global = true, help_heading = GLOBAL, conflicts_with_all = ["api_key", "api_secret"])]
    pub public: bool,

    /// Print results and errors only: no progress bar, no hints
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,

    /// Log requests and retries to stderr (-vv for more)
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,
}

/// `Debug` without the secret's value.
impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field("profile", &self.profile)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("public", &self.public)
            .field("quiet", &self.quiet)
            .field("verbose", &self.verbose)
            .finish()
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, download, delete, restore and tag the project's assets
    #[command(subcommand)]
    Assets(AssetsCommand),
    /// Upload files, import them from URLs, follow uploads
    #[command(subcommand)]
    Uploads(UploadsCommand),
    /// List jobs, follow them, wait for them, cancel them
    #[command(subcommand)]
    Jobs(crate::jobs::JobsCommand),
    /// List, show and cancel models; train one from a folder of images
    #[command(subcommand)]
    Models(crate::models::ModelsCommand),
    /// List, show, create, rename and delete collections; add assets and models to them
    #[command(subcommand)]
    Collections(crate::collections::CollectionsCommand),
    /// Search assets, models or workflows by text and filters
    #[command(subcommand)]
    Search(crate::search::SearchCommand),
    /// List and show workflows; run one (optionally waiting for what it makes)
    #[command(subcommand)]
    Workflows(crate::workflows::WorkflowsCommand),
    /// Run a model (optionally waiting for what it makes), or ask what it would cost
    Generate(Box<crate::generate::GenerateArgs>),
    /// Call any operation of the API by its operationId; prints the response body as JSON
    #[command(subcommand)]
    Api(crate::api::ApiCommand),
    /// Run a local fake of the API to try the CLI (or your scripts) offline
    #[command(subcommand)]
    Mock(MockCommand),
    /// Store a profile's base URL and credentials in the config file (owner-only)
    Configure(crate::auth::ConfigureArgs),
    /// Say where each setting comes from and check the credentials
    #[command(subcommand)]
    Auth(crate::auth::AuthCommand),
    /// Print the completion script of a shell, to install where the shell looks for it
    Completions(crate::completions::CompletionsArgs),
}

/// `scenario assets ...`
#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// List assets: a table for people, or one JSON object per line with --json
    List(Box<ListArgs>),
    /// Show an asset
    Get(crate::assets::AssetGetArgs),
    /// Download asset files into a directory (resuming partial files, skipping complete ones), or an archive
    Download(Box<crate::downloads::DownloadArgs>),
    /// Delete assets (restore brings them back while the service keeps them)
    Delete(crate::assets::AssetIdsArgs),
    /// Restore deleted assets
    Restore(crate::assets::AssetIdsArgs),
    /// Add or remove tags of an asset
    Tags(crate::assets::AssetTagsArgs),
}

/// `scenario uploads ...`
#[derive(Debug, Subcommand)]
pub enum UploadsCommand {
    /// Upload a local file (in parallel parts, with a progress bar)
    Create(CreateArgs),
    /// Show an upload: its status and what it created
    Get(GetArgs),
    /// Have the service download a file from a URL
    Import(ImportArgs),
}

/// `scenario mock ...`
#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Serve a fake of the API on 127.0.0.1 until Ctrl-C and print the variables to export
    ///
    /// The fake accepts the credentials given with --api-key and --api-secret, or
    /// mock-api-key / mock-api-secret; it ignores SCENARIO_SDK_API_KEY and
    /// SCENARIO_SDK_API_SECRET, so a real secret is never echoed.
    Serve(ServeArgs),
}

/// The flags of `scenario assets list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print one JSON object per line (each asset as the API sent it) instead of a table
    #[arg(long)]
    pub json: bool,

    /// Stop after this many assets
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    pub limit: Option<u64>,

    /// The query parameters of `GET /assets`, from the document.
    ///
    /// Without `--page-size`, a `--limit` that fits in one page becomes the page
    /// size; the date filters imply `--sort-by` with the same date.
    #[command(flatten)]
    pub query: QueryArgs<ops::ListAssets>,
}

/// The flags of `scenario uploads create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The file to upload
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,

    /// What the file becomes once the service has validated it
    #[arg(long, value_name = "KIND", value_parser = one_of::<UploadKind>(UploadKind::VALUES))]
    pub kind: UploadKind,

    /// Wait until the service has validated the upload; print its final status and asset id
    #[arg(long)]
    pub wait: bool,

    #[command(flatten)]
    pub pace: WaitPace<UploadWait>,

    /// Bytes per part, e.g. 8MiB or 16000000 [default: 8MiB, more for huge files]
    #[arg(long, value_name = "BYTES", value_parser = parse_part_size)]
    pub part_size: Option<u64>,

    /// Parts sent at the same time, 1 to 32
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_CONCURRENCY,
        value_parser = parse_concurrency
    )]
    pub concurrency: u16,

    /// Add the new asset to this collection (repeat for more)
    #[arg(long = "collection", value_name = "ID")]
    pub collections: Vec<String>,

    /// The asset the new one derives from
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,

    /// Hide the new asset
    #[arg(long)]
    pub hide: bool,

    /// Print the upload as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario uploads get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The upload's id (upload_...)
    #[arg(value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    pub id: String,

    /// Print the upload as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario uploads import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The URL of the file; the service downloads it, so it must be public
    #[arg(value_name = "URL", value_hint = ValueHint::Url)]
    pub url: String,

    /// What the file becomes once the service has imported it
    #[arg(long, value_name = "KIND", value_parser = one_of::<UploadKind>(UploadKind::VALUES))]
    pub kind: UploadKind,

    /// Wait until the service has imported the file; print its final status and asset id
    #[arg(long)]
    pub wait: bool,

    #[command(flatten)]
    pub pace: WaitPace<UploadWait>,

    /// Add the new asset to this collection (repeat for more)
    #[arg(long = "collection", value_name = "ID")]
    pub collections: Vec<String>,

    /// The asset the new one derives from
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,

    /// Hide the new asset
    #[arg(long)]
    pub hide: bool,

    /// Print the upload as one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

/// The flags of `scenario mock serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0 picks a free one)
    #[arg(long, value_name = "PORT", default_value_t = 4010)]
    pub port: u16,

    /// How many assets to seed
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub assets: usize,

    /// The seed of the seeded assets (the same seed gives the same assets)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// The port of the storage that part URLs point to (0 picks a free one)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub storage_port: u16,

    /// The port of the CDN that file URLs point to (0 picks a free one)
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub cdn_port: u16,

    /// Make file URLs go through a redirect on the CDN, as URLs that lead to a CDN through another host do
    #[arg(long)]
    pub cdn_redirects: bool,

    /// The size every part but the last must reach, e.g. 5MiB or 1 (tiny parts for tests)
    #[arg(long, value_name = "BYTES", default_value = "5MiB", value_parser = parse_size)]
    pub min_part_size: u64,

    /// How long uploads stay validating, imports pending and jobs running, e.g. 200ms or 2s
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = parse_duration)]
    pub validation_delay: Duration,

    /// How long part URLs stay valid, e.g. 15m
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub part_url_ttl: Duration,

    /// Inject random faults into this fraction (0 to 1) of the requests, on the API and on storage
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub fault_rate: f64,

    /// The seed of the random faults (the same seed and requests give the same faults)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fault_seed: u64,

    /// Count part bytes without hashing them (for benchmarks: the client's work is measured, not the fake's)
    #[arg(long)]
    pub no_part_digests: bool,
}

/// The most parts `--concurrency` sends at once: more only adds memory and
/// connections once the link is full.
const MAX_CONCURRENCY: u16 = 32;

/// Parts sent at once unless `--concurrency` says otherwise: the SDK's default.
const DEFAULT_CONCURRENCY: u16 = {
    let parts = scenario_sdk::UploadBuilder::DEFAULT_CONCURRENCY;
    if parts > MAX_CONCURRENCY as usize {
        MAX_CONCURRENCY
    } else {
        parts as u16
    }
};

/// Parses `--limit`: a count of assets, at least one.
fn parse_limit(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("--limit must be at least 1; leave it out to list every asset".into()),
        Ok(limit) => Ok(limit),
        Err(_) => Err(format!("{text:?} is not a number of assets: use e.g. 10")),
    }
}

/// Parses `--concurrency`: from 1 to [`MAX_CONCURRENCY`] parts at once.
fn parse_concurrency(text: &str) -> Result<u16, String> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|parts| (1..=MAX_CONCURRENCY).contains(parts))
        .ok_or_else(|| {
            format!(
                "--concurrency must be from 1 to {MAX_CONCURRENCY} (parts sent at once), \
                 e.g. {DEFAULT_CONCURRENCY}"
            )
        })
}

/// Parses a wait's duration or polling interval: above zero, since a zero
/// wait could only time out (after the paid work was started) and a zero
/// interval would poll without pause. Refused at parsing, before any request.
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!(
            "{text:?} is not above zero: use e.g. 90s or 10m, or leave the flag out for its default"
        ));
    }
    Ok(duration)
}

/// Where the defaults of a wait's flags come from: the SDK's defaults for
/// what is waited for, so `--help` shows what a wait does when a flag is left out.
pub trait WaitDefaults: Clone + Send + Sync + 'static {
    /// The wait's timeout.
    const TIMEOUT: Duration;
    /// The first pause between two polls.
    const INTERVAL: Duration;
    /// The longest pause between two polls.
    const MAX_INTERVAL: Duration;
}

/// A wait for a job (generate, jobs wait).
#[derive(Clone, Debug)]
pub struct JobWait;

impl WaitDefaults for JobWait {
    const TIMEOUT: Duration = scenario_sdk::DEFAULT_JOB_TIMEOUT;
    const INTERVAL: Duration = scenario_sdk::DEFAULT_JOB_INTERVAL;
    const MAX_INTERVAL: Duration = scenario_sdk::DEFAULT_JOB_MAX_INTERVAL;
}

/// A wait for a training (models train).
#[derive(Clone, Debug)]
pub struct TrainingWait;

impl WaitDefaults for TrainingWait {
    const TIMEOUT: Duration = scenario_sdk::DEFAULT_TRAINING_TIMEOUT;
    const INTERVAL: Duration = scenario_sdk::DEFAULT_TRAINING_INTERVAL;
    const MAX_INTERVAL: Duration = scenario_sdk::DEFAULT_TRAINING_MAX_INTERVAL;
}

/// A wait for an upload or an import.
#[derive(Clone, Debug)]
pub struct UploadWait;

impl WaitDefaults for UploadWait {
    const TIMEOUT: Duration = scenario_sdk::DEFAULT_UPLOAD_WAIT_TIMEOUT;
    const INTERVAL: Duration = scenario_sdk::DEFAULT_UPLOAD_WAIT_INTERVAL;
    const MAX_INTERVAL: Duration = scenario_sdk::DEFAULT_UPLOAD_WAIT_MAX_INTERVAL;
}

fn timeout_help<D: WaitDefaults>() -> String {
    format!(
        "How long to wait, e.g. 90s or 10m [default: {}]",
        humantime::format_duration(D::TIMEOUT)
    )
}

fn interval_help<D: WaitDefaults>() -> String {
    format!(
        "The first pause between two polls, growing up to {} [default: {}]",
        humantime::format_duration(D::MAX_INTERVAL),
        humantime::format_duration(D::INTERVAL)
    )
}

/// How long and how often a wait polls: the same flags, parsed the same way,
/// for every command that waits.
#[derive(Debug, Args)]
pub struct WaitPace<D: WaitDefaults> {
    #[arg(
        long = "wait-timeout",
        value_name = "DURATION",
        value_parser = parse_positive_duration,
        help = timeout_help::<D>()
    )]
    pub timeout: Option<Duration>,

    #[arg(
        long = "poll-interval",
        value_name = "DURATION",
        value_parser = parse_positive_duration,
        help = interval_help::<D>()
    )]
    pub interval: Option<Duration>,

    #[arg(skip)]
    defaults: std::marker::PhantomData<D>,
}

impl<D: WaitDefaults> WaitPace<D> {
    /// Refuses the flags when the command will not wait (no `--wait`).
    pub fn only_with(&self, wait: bool) -> Result<(), crate::error::Failure> {
        if !wait && (self.timeout.is_some() || self.interval.is_some()) {
            return Err(crate::error::Failure::usage(
                "--wait-timeout and --poll-interval only apply with --wait",
            ));
        }
        Ok(())
    }
}

/// Parses `--part-size`: a size the storage accepts for a part, from the
/// SDK's limits. (Whether it cuts the file into few enough parts depends on
/// the file, and is checked once the file is known.)
fn parse_part_size(text: &str) -> Result<u64, String> {
    use scenario_sdk::UploadBuilder;
    let size = parse_size(text)?;
    if size < UploadBuilder::MIN_PART_SIZE {
        return Err(format!(
            "--part-size must be at least {} (the storage's minimum): use e.g. {}, \
             or leave it out to have it chosen",
            show_size(UploadBuilder::MIN_PART_SIZE),
            show_size(UploadBuilder::DEFAULT_PART_SIZE).replace(' ', ""),
        ));
    }
    if size > UploadBuilder::MAX_PART_SIZE {
        return Err(format!(
            "--part-size must be at most {} (the storage's maximum), or leave it out to have \
             it chosen",
            show_size(UploadBuilder::MAX_PART_SIZE)
        ));
    }
    Ok(size)
}

/// A byte count in the units [`parse_size`] reads: whole GiB or MiB when it
/// is one, else bytes.
pub fn show_size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match bytes {
        0 => "0 bytes".to_owned(),
        _ if bytes.is_multiple_of(GIB) => format!("{} GiB", bytes / GIB),
        _ if bytes.is_multiple_of(MIB) => format!("{} MiB", bytes / MIB),
        _ => format!("{bytes} bytes"),
    }
}

/// A parser that accepts one of `values` (anything else is a usage error that
/// lists them) and converts it to the SDK's open enum `T`.
pub(crate) fn one_of<T>(values: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: for<'a> From<&'a str> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(values.iter().copied()).map(|value| T::from(value.as_str()))
}

/// Parses a duration such as `90s`, `10m` or `1h 30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|error| format!("{text:?} is not a duration ({error}): use e.g. 90s, 10m or 1h"))
}

/// Parses a probability: a number from 0 to 1.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| format!("{text:?} is not a rate: use a number from 0 to 1, e.g. 0.1"))
}

/// Parses a byte count: a whole number, optionally followed by a unit: `K`/`KiB`,
/// `M`/`MiB`, `G`/`GiB` (powers of 1024) or `KB`, `MB`, `GB` (powers of 1000).
/// Case and a space before the unit do not matter; `B` alone means bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    let usage = || {
        format!(
            "{text:?} is not a size: use a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB)"
        )
    };
    if digits.is_empty() {
        return Err(usage());
    }
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is too large"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(usage()),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn enum_flags_parse_into_sdk_values() {
        use scenario_sdk::ops::ListAssetsQuery;
        use scenario_sdk::types::AssetType;

        let cli = Cli::try_parse_from([
            "scenario",
            "assets",
            "list",
            "--privacy",
            "unlisted",
            "--type",
            "img2img",
            "--sort-by",
            "updatedAt",
            "--sort-direction",
            "asc",
        ])
        .unwrap();
        let Command::Assets(AssetsCommand::List(args)) = cli.command else {
            panic!("parsed another command: {:?}", cli.command);
        };
        let query: ListAssetsQuery = args.query.query().unwrap();
        assert_eq!(query.privacy.as_deref(), Some("unlisted"));
        assert_eq!(query.type_, Some(AssetType::Img2img));
        assert_eq!(query.sort_by.as_deref(), Some("updatedAt"));
        assert_eq!(query.sort_direction.as_deref(), Some("asc"));
    }

    #[test]
    fn unknown_enum_values_are_usage_errors_listing_the_known_ones() {
        let error = Cli::try_parse_from(["scenario", "uploads", "create", "f", "--kind", "imag"])
            .unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
        assert_eq!(error.exit_code(), 2);
        let text = error.to_string();
        assert!(text.contains("image"), "{text}");
        assert!(text.contains("model"), "{text}");
    }

    #[test]
    fn global_flags_go_before_or_after_the_command() {
        let before = Cli::try_parse_from([
            "scenario",
            "--base-url",
            "http://x",
            "-q",
            "uploads",
            "get",
            "u",
        ])
        .unwrap();
        let after = Cli::try_parse_from([
            "scenario",
            "uploads",
            "get",
            "u",
            "--base-url",
            "http://x",
            "-vv",
        ])
        .unwrap();
        assert_eq!(before.global.base_url.as_deref(), Some("http://x"));
        assert!(before.global.quiet);
        assert_eq!(after.global.base_url.as_deref(), Some("http://x"));
        assert_eq!(after.global.verbose, 2);
    }

    #[test]
    fn debug_never_shows_the_secret_flag() {
        let cli = Cli::try_parse_from([
            "scenario",
            "--api-key",
            "the-key",
            "--api-secret",
            "hunter2-secret",
            "auth",
            "status",
        ])
        .unwrap();
        let debug = format!("{cli:?} {cli:#?}");
        assert!(!debug.contains("hunter2-secret"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert!(debug.contains("the-key"), "{debug}");
    }

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("8 mib"), Ok(8 << 20));
        assert_eq!(parse_size("5M"), Ok(5 << 20));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("16MB"), Ok(16_000_000));
        assert_eq!(parse_size("3kb"), Ok(3_000));
        assert_eq!(parse_size("12B"), Ok(12));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("is not a duration")
        );
    }

    #[test]
    fn bad_sizes_are_rejected_with_a_reason() {
        for bad in ["", "MiB", "-1", "1.5MiB", "8 parsecs", "0x10"] {
            let error = parse_size(bad).unwrap_err();
            assert!(error.contains("is not a size"), "{bad}: {error}");
        }
        assert!(
            parse_size("99999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            parse_size("17179869184GiB")
                .unwrap_err()
                .contains("too large")
        );
    }
}
