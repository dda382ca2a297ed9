//! The `scenario-mock` binary prints exportable settings and serves them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use scenario_api::types::AssetListResponse;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_settings_and_serves() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_scenario-mock"))
            .args([
                "--assets",
                "3",
                "--seed",
                "9",
                "--api-key",
                "k",
                "--api-secret",
                "s",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let lines: Vec<String> = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(4)
            .map(Result::unwrap)
            .collect()
    })
    .await
    .unwrap();
    let value = |name: &str| {
        lines
            .iter()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {lines:?}"))
            .to_owned()
    };
    let base_url = value("SCENARIO_BASE_URL");
    assert!(base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1"));
    assert_eq!(value("SCENARIO_SDK_API_KEY"), "k");
    assert_eq!(value("SCENARIO_SDK_API_SECRET"), "s");
    assert!(value("SCENARIO_MOCK_STORAGE_URL").starts_with("http://127.0.0.1:"));

    let page: AssetListResponse = reqwest::Client::new()
        .get(format!("{base_url}/assets"))
        .basic_auth("k", Some("s"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.assets.len(), 3);
}
