//! `scenario-mock`: runs the fake Scenario API until Ctrl-C.
//!
//! ```text
//! $ cargo run -p scenario-mock -- --port 4010 --assets 1000
//! SCENARIO_BASE_URL=http://127.0.0.1:4010/v1
//! SCENARIO_SDK_API_KEY=mock-api-key
//! SCENARIO_SDK_API_SECRET=mock-api-secret
//! SCENARIO_MOCK_STORAGE_URL=http://127.0.0.1:40321
//! ```
//!
//! Put `export` before those lines in another shell to point an SDK at the fake.

use std::time::Duration;

use clap::Parser;
use scenario_mock::{MockServer, RandomFaults, run_until_ctrl_c};

/// A stateful fake of the Scenario API (and of its upload storage) on 127.0.0.1.
///
/// Prints SCENARIO_BASE_URL=..., SCENARIO_SDK_API_KEY=... and
/// SCENARIO_SDK_API_SECRET=... lines, then serves until Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "scenario-mock", version)]
struct Args {
    /// Port of the API (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Port of the storage that part URLs point to (0: any free port).
    #[arg(long, default_value_t = 0)]
    storage_port: u16,
    /// How many assets to seed.
    #[arg(long, default_value_t = 100)]
    assets: usize,
    /// Seed of the seeded assets.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The API key to accept.
    #[arg(long, default_value = scenario_mock::DEFAULT_API_KEY)]
    api_key: String,
    /// The API secret to accept.
    #[arg(long, default_value = scenario_mock::DEFAULT_API_SECRET)]
    api_secret: String,
    /// Minimum size of every part but the last, in bytes.
    #[arg(long, default_value_t = 5 * 1024 * 1024)]
    min_part_size: u64,
    /// How long uploads stay validating (and imports pending), in milliseconds.
    #[arg(long, default_value_t = 200)]
    validation_delay_ms: u64,
    /// How long part URLs stay valid, in seconds.
    #[arg(long, default_value_t = 900)]
    part_url_ttl_secs: u64,
    /// Inject random faults into this fraction (0.0 to 1.0) of the requests, on
    /// the API and on storage.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Seed of the random faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut builder = MockServer::builder()
        .api_port(args.port)
        .storage_port(args.storage_port)
        .assets(args.assets)
        .seed(args.seed)
        .credentials(args.api_key, args.api_secret)
        .min_part_size(args.min_part_size)
        .validation_delay(Duration::from_millis(args.validation_delay_ms))
        .part_url_ttl(Duration::from_secs(args.part_url_ttl_secs));
    if args.fault_rate > 0.0 {
        builder = builder.random_faults(RandomFaults {
            seed: args.fault_seed,
            api_rate: args.fault_rate,
            storage_rate: args.fault_rate,
            ..RandomFaults::default()
        });
    }
    run_until_ctrl_c(builder).await
}
