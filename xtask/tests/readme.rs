//! Which lines of a README `cargo xtask readme` runs: shell blocks only, not the skipped
//! ones, no comments or blank lines, continuations joined; and the real README's picks.

use xtask::readme::{Line, README, lines};

fn texts(readme: &str) -> Vec<(usize, String)> {
    lines(readme)
        .into_iter()
        .map(|Line { number, text }| (number, text))
        .collect()
}

#[test]
fn shell_blocks_run_and_the_rest_does_not() {
    let readme = "\
# Title

```sh
cargo install --path crates/scenario-cli --locked
# a comment on its own

scenario assets list --limit 5   # a trailing comment stays
```

```rust
fn main() {}
```

```toml
a = 1
```

```bash
echo bash
```

```
echo no language
```
";
    assert_eq!(
        texts(readme),
        [
            (
                4,
                "cargo install --path crates/scenario-cli --locked".to_owned()
            ),
            (
                7,
                "scenario assets list --limit 5   # a trailing comment stays".to_owned()
            ),
            (19, "echo bash".to_owned()),
        ]
    );
}

#[test]
fn a_marked_block_is_skipped_and_only_that_one() {
    let readme = "\
<!-- xtask readme: skip (the whole test suite) -->

```sh
cargo test --workspace
```

<!-- xtask readme: skip -->
Some text in between cancels the marker.

```sh
echo runs
```
";
    assert_eq!(texts(readme), [(11, "echo runs".to_owned())]);
}

#[test]
fn continuations_are_one_line() {
    let readme = "\
```sh
scenario generate model_abc \\
  --prompt \"a castle gate\" \\
  --wait
echo after
```
";
    assert_eq!(
        texts(readme),
        [
            (
                2,
                "scenario generate model_abc \\\n  --prompt \"a castle gate\" \\\n  --wait"
                    .to_owned()
            ),
            (5, "echo after".to_owned()),
        ]
    );
}

#[test]
fn the_readme_installs_the_cli_before_using_it_and_skips_the_slow_blocks() {
    let text = std::fs::read_to_string(xtask::workspace_root().join(README)).unwrap();
    let picked = lines(&text);
    let install = picked
        .iter()
        .position(|l| {
            l.text
                .starts_with("cargo install --path crates/scenario-cli")
        })
        .expect("the README installs the CLI");
    let first_use = picked
        .iter()
        .position(|l| l.text.starts_with("scenario "))
        .expect("the README uses the CLI");
    assert!(install < first_use);
    for slow in ["cargo test --workspace", "cargo xtask bench", "npm install"] {
        assert!(
            picked.iter().all(|l| !l.text.starts_with(slow)),
            "{slow} is not run"
        );
    }
    // No line still goes through cargo run to reach the CLI.
    assert!(
        picked
            .iter()
            .all(|l| !l.text.contains("-p scenario-cli --"))
    );
}
