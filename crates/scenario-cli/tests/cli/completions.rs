//! `scenario completions SHELL`: a script per shell that knows the commands
//! (the document's operations under `api` included), and bash completing with it.

use crate::support::{bare, stderr, stdout};

/// Each shell, and a line its script registers the completion with.
const SHELLS: [(&str, &str); 5] = [
    ("bash", "complete -F _scenario"),
    ("zsh", "#compdef scenario"),
    ("fish", "complete -c scenario"),
    (
        "powershell",
        "Register-ArgumentCompleter -Native -CommandName 'scenario'",
    ),
    ("elvish", "set edit:completion:arg-completer[scenario]"),
];

#[test]
fn every_shell_gets_a_script_that_names_the_commands() {
    for (shell, registers) in SHELLS {
        let output = bare(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        assert_eq!(stderr(&output), "", "{shell}");
        let script = stdout(&output);
        assert!(
            script.contains(registers),
            "{shell} script lacks {registers:?}"
        );
        // Commands, flags and an operation of the document under `api`.
        for word in [
            "assets",
            "uploads",
            "generate",
            "mock",
            "completions",
            "listAssets",
            "base-url",
        ] {
            assert!(script.contains(word), "{shell} script lacks {word:?}");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error_listing_the_shells() {
    let output = bare(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    for (shell, _) in SHELLS {
        assert!(err.contains(shell), "{err}");
    }
    assert_eq!(stdout(&output), "");
}

/// Sources the bash script and asks it for the completions of `words` (the
/// last one being completed); `None` when there is no bash.
fn bash_complete(script: &str, words: &[&str]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _scenario scenario '{}' '{}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let output = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .ok()?;
    assert!(output.status.success(), "{}", stderr(&output));
    Some(stdout(&output).lines().map(str::to_owned).collect())
}

#[test]
fn bash_completes_commands_subcommands_and_operations() {
    let output = bare(["completions", "bash"]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let script = stdout(&output);
    let Some(commands) = bash_complete(&script, &["scenario", "as"]) else {
        panic!("bash is needed to check the bash script (CI runs in bash)");
    };
    assert_eq!(commands, ["assets"]);
    let subcommands = bash_complete(&script, &["scenario", "uploads", ""]).unwrap();
    for sub in ["create", "get", "import"] {
        assert!(subcommands.iter().any(|s| s == sub), "{subcommands:?}");
    }
    let operations = bash_complete(&script, &["scenario", "api", "listAss"]).unwrap();
    let expected: Vec<&str> = scenario_sdk::ops::OPERATIONS
        .iter()
        .map(|op| op.id)
        .filter(|id| id.starts_with("listAss"))
        .collect();
    assert!(expected.len() > 1, "{expected:?}");
    assert_eq!(operations, expected);
}
