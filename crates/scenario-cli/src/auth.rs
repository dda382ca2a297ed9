//! `scenario configure` (store a profile's base URL and credentials in the
//! config file) and `scenario auth status` (which profile, variable or flag
//! supplied each setting, and whether the service accepts the credentials).
//! The secret is never printed: `configure` reads it from stdin (without echo
//! at a terminal) unless `--api-secret` gives it.

use std::io::{IsTerminal, Read, Write};

use clap::{Args, Subcommand};
use scenario_sdk::{Operation, ops};

use crate::cli::GlobalArgs;
use crate::client::connect;
use crate::config::{self, Resolved, Secret, Source};
use crate::error::{Failure, describe};
use crate::generate::finish;
use crate::output::printable;

/// The flags of `scenario configure`.
#[derive(Debug, Args)]
#[command(after_help = "\
Stores what --base-url, --api-key and --api-secret give in the profile (--profile, else \
$SCENARIO_PROFILE, else `default`) of the config file ($SCENARIO_CONFIG_FILE, else \
$XDG_CONFIG_HOME/scenario/config.toml, else ~/.config/scenario/config.toml), written \
owner-only (0600). With --api-key and no --api-secret, the secret is read from stdin \
(typed without echo at a terminal, or piped: `scenario configure --api-key KEY < secret.txt`). \
Flags and environment variables still win over the profile.")]
pub struct ConfigureArgs {
    /// Remove the profile from the file instead
    #[arg(long, conflicts_with_all = ["base_url", "api_key", "api_secret"])]
    pub remove: bool,
}

/// `scenario auth ...`
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Say which profile, variable or flag supplies each setting, and check the credentials with one request
    Status,
}

/// Writes the profile, or removes it.
pub async fn configure(global: &GlobalArgs, args: ConfigureArgs) -> Result<(), Failure> {
    let name = global
        .profile
        .clone()
        .or_else(|| std::env::var(config::ENV_PROFILE).ok())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| config::DEFAULT_PROFILE.to_owned());
    let (path, is_override) = config::path()?;
    let shown = printable(&path.display().to_string());
    let mut file = config::load(&path)?;
    if args.remove {
        if file.profiles.remove(&name).is_none() {
            return Err(Failure::new(format!(
                "no profile {} in {shown} to remove",
                printable(&name)
            )));
        }
        config::save(&path, is_override, &file)?;
        if !global.quiet {
            note!("removed profile {} from {shown}", printable(&name));
        }
        return Ok(());
    }
    if global.base_url.is_none() && global.api_key.is_none() && global.api_secret.is_none() {
        return Err(Failure::usage(
            "nothing to store: give --api-key (the secret is then read from stdin), \
             --api-secret or --base-url",
        ));
    }
    let secret = match (&global.api_key, &global.api_secret) {
        (_, Some(secret)) => Some(secret.clone()),
        (Some(_), None) => Some(read_secret()?),
        (None, None) => None,
    };
    let profile = file.profiles.entry(name.clone()).or_default();
    if let Some(base_url) = &global.base_url {
        profile.base_url = Some(base_url.clone());
    }
    if let Some(key) = &global.api_key {
        profile.api_key = Some(key.clone());
    }
    if let Some(secret) = secret {
        let secret = secret.trim().to_owned();
        if secret.is_empty() {
            return Err(Failure::usage(
                "the API secret is empty; nothing was stored",
            ));
        }
        profile.api_secret = Some(Secret::new(secret));
    }
    config::save(&path, is_override, &file)?;
    if !global.quiet {
        note!(
            "saved profile {} in {shown} (readable by you only); `scenario auth status` checks it",
            printable(&name)
        );
    }
    Ok(())
}

/// Reads the secret from stdin: one line typed without echo at a terminal,
/// else everything piped in (surrounding whitespace dropped).
fn read_secret() -> Result<String, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return read_hidden_line();
    }
    let mut text = String::new();
    stdin
        .lock()
        .read_to_string(&mut text)
        .map_err(|error| Failure::new(format!("cannot read the API secret from stdin: {error}")))?;
    if text.trim().is_empty() {
        return Err(Failure::usage(
            "no API secret on stdin: pipe it in, or give --api-secret (which shell history keeps)",
        ));
    }
    Ok(text.trim().to_owned())
}

/// Prompts on stderr and reads a line from the terminal with echo off,
/// restoring the terminal's settings afterwards.
#[cfg(unix)]
fn read_hidden_line() -> Result<String, Failure> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let failed =
        |error: std::io::Error| Failure::new(format!("cannot read the API secret: {error}"));
    let saved = tcgetattr(&stdin).map_err(|e| failed(e.into()))?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    eprint!("API secret (not shown): ");
    let _ = std::io::stderr().flush();
    tcsetattr(&stdin, OptionalActions::Flush, &quiet).map_err(|e| failed(e.into()))?;
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    let restored = tcsetattr(&stdin, OptionalActions::Now, &saved);
    read.map_err(failed)?;
    restored.map_err(|e| failed(e.into()))?;
    if line.trim().is_empty() {
        return Err(Failure::usage("no API secret typed; nothing was stored"));
    }
    Ok(line.trim().to_owned())
}

#[cfg(not(unix))]
fn read_hidden_line() -> Result<String, Failure> {
    Err(Failure::usage(
        "cannot hide the secret as it is typed here: pipe it in \
         (`scenario configure --api-key KEY < secret.txt`)",
    ))
}

/// The API key as shown: its last four characters, the rest masked.
fn masked(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len().max(4));
    }
    let shown: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{}", "*".repeat(chars.len() - 4), printable(&shown))
}

/// Prints where each setting comes from, then checks the credentials with
/// one request (one asset of the listing); exit 1 when they are missing or
/// refused.
pub async fn status(global: &GlobalArgs) -> Result<(), Failure> {
    let resolved = config::resolve(global)?;
    let lines = status_lines(global, &resolved);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (label, value) in &lines {
        let written = writeln!(out, "{label:<width$}  {}", printable(value));
        finish(written.and_then(|()| out.flush()))?;
    }
    let client = connect(global)?;
    let check = format!("{} {}", ops::ListAssets::METHOD, ops::ListAssets::PATH);
    match client.assets().list().page_size(1).send().await {
        Ok(_) => {
            let written = writeln!(
                out,
                "{:<width$}  accepted ({check} answered)",
                "credentials"
            );
            finish(written.and_then(|()| out.flush()))
        }
        Err(error) => Err(Failure::new(format!(
            "the credentials were not accepted ({check}): {}",
            describe(&error)
        ))),
    }
}

/// The lines of `auth status` before the check: label and value.
fn status_lines(global: &GlobalArgs, resolved: &Resolved) -> Vec<(&'static str, String)> {
    let profile = match (&resolved.profile.source, resolved.profile_found) {
        (Source::Default, true) => format!("{} (the default)", resolved.profile.value),
        (Source::Default, false) => format!(
            "{} (the default; not in the file: `scenario configure` writes it)",
            resolved.profile.value
        ),
        (source, _) => format!("{} ({source})", resolved.profile.value),
    };
    let mut lines = vec![
        ("profile", profile),
        ("config file", resolved.file.display().to_string()),
        (
            "base URL",
            match &resolved.base_url {
                Some(url) => format!("{} ({})", redact_url(&url.value), url.source),
                None => format!("{} (the default)", scenario_sdk::DEFAULT_BASE_URL),
            },
        ),
    ];
    if global.public {
        lines.push((
            "credentials",
            "none: --public sends the public access token".to_owned(),
        ));
        return lines;
    }
    if resolved.jwt {
        lines.push((
            "bearer token",
            format!("set (from ${})", scenario_sdk::ENV_JWT),
        ));
        return lines;
    }
    lines.push((
        "API key",
        match &resolved.api_key {
            Some(key) => format!("{} ({})", masked(&key.value), key.source),
            None => "not set".to_owned(),
        },
    ));
    lines.push((
        "API secret",
        match &resolved.api_secret {
            Some(secret) => format!("set ({})", secret.source),
            None => "not set".to_owned(),
        },
    ));
    lines
}

/// A URL with any password in it replaced.
fn redact_url(url: &str) -> String {
    match scenario_sdk::reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_masked_but_for_their_end() {
        assert_eq!(masked("mock-api-key"), "********-key");
        assert_eq!(masked("short"), "*****");
        assert_eq!(masked(""), "****");
    }

    #[test]
    fn a_password_in_the_url_is_hidden() {
        assert_eq!(
            redact_url("https://user:pw@example.com/v1"),
            "https://user:***@example.com/v1"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:4010/v1"),
            "http://127.0.0.1:4010/v1"
        );
    }
}
