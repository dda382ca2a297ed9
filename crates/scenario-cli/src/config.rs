//! Profiles: a config file holding, per named profile, a base URL and
//! credentials, and where each setting a command uses comes from.
//!
//! The file is `$SCENARIO_CONFIG_FILE` when set, else
//! `$XDG_CONFIG_HOME/scenario/config.toml`, else `~/.config/scenario/config.toml`:
//!
//! ```toml
//! [profiles.default]
//! base_url = "https://api.cloud.scenario.com/v1"
//! api_key = "..."
//! api_secret = "..."
//! ```
//!
//! The profile is `--profile`, else `$SCENARIO_PROFILE`, else `default`. Each
//! setting is taken from its flag, else its environment variable, else the
//! profile: the profile never overrides what a command line or an environment
//! says. A bearer token in the environment (`SCENARIO_SDK_JWT`) wins over the
//! profile's key and secret when no flag or variable gives either of those.
//!
//! The file is written with owner-only permissions (0600, its directory 0700)
//! and the secret shows in no `Debug`, message or output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use scenario_sdk::{ENV_API_KEY, ENV_API_SECRET, ENV_BASE_URL, ENV_JWT};
use serde::{Deserialize, Serialize};

use crate::cli::GlobalArgs;
use crate::error::Failure;
use crate::output::printable;

/// The variable naming the profile when `--profile` is not given.
pub const ENV_PROFILE: &str = "SCENARIO_PROFILE";
/// The variable naming the config file itself (for tests, and to keep several).
pub const ENV_CONFIG_FILE: &str = "SCENARIO_CONFIG_FILE";
/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// A secret: shown as `[redacted]` by `Debug`, never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret itself, to hand to the SDK (which keeps it out of its logs).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One profile of the file. Fields this version does not know are kept as
/// they are when the file is rewritten.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Profile {
    /// The API's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The API secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<Secret>,
    /// Whatever else the profile holds (written back untouched).
    #[serde(flatten)]
    pub other: toml::Table,
}

/// The config file: its profiles by name, and whatever else it holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Whatever else the file holds (written back untouched).
    #[serde(flatten)]
    pub other: toml::Table,
}

/// Where the config file is: `$SCENARIO_CONFIG_FILE`, else under
/// `$XDG_CONFIG_HOME`, else under `~/.config`. The flag says whether it is
/// the override (whose directory is not ours to change the permissions of).
pub fn path() -> Result<(PathBuf, bool), Failure> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(file) = var(ENV_CONFIG_FILE) {
        return Ok((PathBuf::from(file), true));
    }
    // The XDG base directory rules: a relative XDG_CONFIG_HOME is ignored.
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| std::env::home_dir().map(|home| home.join(".config")))
        .ok_or_else(|| {
            Failure::new(format!(
                "cannot tell where the config file goes: neither XDG_CONFIG_HOME nor HOME is \
                 set; set one, or name the file with {ENV_CONFIG_FILE}"
            ))
        })?;
    Ok((base.join("scenario").join("config.toml"), false))
}

/// Reads the config file; an absent file is an empty one.
pub fn load(path: &Path) -> Result<ConfigFile, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ConfigFile::default());
        }
        Err(error) => {
            return Err(Failure::new(format!(
                "cannot read the config file {}: {error}; check its permissions",
                printable(&path.display().to_string())
            )));
        }
    };
    warn_if_readable_by_others(path);
    // toml's error quotes the line, which may hold the secret: only its place is shown.
    toml::from_str(&text).map_err(|error| {
        let place = error
            .span()
            .map(|span| {
                let line = text[..span.start].matches('\n').count() + 1;
                format!(" (line {line})")
            })
            .unwrap_or_default();
        Failure::new(format!(
            "the config file {} is not valid TOML{place}; fix it, or write it again with \
             `scenario configure`",
            printable(&path.display().to_string())
        ))
    })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        note!(
            "warning: the config file {} can be read by other users; `chmod 600` it \
             (scenario configure writes it owner-only)",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Writes the config file with owner-only permissions: a new file beside it,
/// made 0600 before anything is written to it, renamed over the old one. The
/// default directory is made (or kept) 0700; a directory named with
/// `$SCENARIO_CONFIG_FILE` is created 0700 if missing, else left as it is.
pub fn save(path: &Path, is_override: bool, config: &ConfigFile) -> Result<(), Failure> {
    let shown = printable(&path.display().to_string());
    let failed = |what: &str, error: std::io::Error| {
        Failure::new(format!(
            "cannot {what} the config file {shown}: {error}; check the directory's permissions"
        ))
    };
    let text = toml::to_string(config)
        .map_err(|error| Failure::new(format!("cannot write the config file: {error}")))?;
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder
            .create(dir)
            .map_err(|e| failed("create the directory of", e))?;
        if !is_override {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| failed("restrict the directory of", e))?;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = is_override;
        builder
            .create(dir)
            .map_err(|e| failed("create the directory of", e))?;
    }
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        use std::io::Write;
        let mut file = options.open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed("write", error));
    }
    Ok(())
}

/// Where a setting came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag, such as `--api-key`.
    Flag(&'static str),
    /// An environment variable, such as `SCENARIO_SDK_API_KEY`.
    Env(&'static str),
    /// The profile of this name in the config file.
    Profile(String),
    /// Nothing said: the default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag(flag) => write!(f, "from {flag}"),
            Self::Env(var) => write!(f, "from ${var}"),
            Self::Profile(name) => write!(f, "from profile {}", printable(name)),
            Self::Default => f.write_str("the default"),
        }
    }
}

/// A setting's value and where it came from.
#[derive(Clone, Debug)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

/// Every setting a command connects with, each with its source.
#[derive(Debug)]
pub struct Resolved {
    /// The profile's name and what chose it.
    pub profile: Setting<String>,
    /// The config file.
    pub file: PathBuf,
    /// Whether the file holds the profile.
    pub profile_found: bool,
    /// The base URL, unless the SDK's default applies.
    pub base_url: Option<Setting<String>>,
    /// The API key.
    pub api_key: Option<Setting<String>>,
    /// The API secret.
    pub api_secret: Option<Setting<Secret>>,
    /// Whether a bearer token (`SCENARIO_SDK_JWT`) is used instead of a key and secret.
    pub jwt: bool,
}

/// Resolves every setting from the flags, the environment and the profile.
///
/// A profile named by `--profile` or `$SCENARIO_PROFILE` must exist; the
/// default one may be absent (then only flags and variables count).
pub fn resolve(global: &GlobalArgs) -> Result<Resolved, Failure> {
    let env = |name: &'static str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|value| Setting {
                value,
                source: Source::Env(name),
            })
    };
    let flag = |value: &Option<String>, name: &'static str| {
        value
            .clone()
            .filter(|v| !v.trim().is_empty())
            .map(|value| Setting {
                value,
                source: Source::Flag(name),
            })
    };
    let profile = flag(&global.profile, "--profile")
        .or_else(|| env(ENV_PROFILE))
        .unwrap_or(Setting {
            value: DEFAULT_PROFILE.to_owned(),
            source: Source::Default,
        });
    let (file, _) = path()?;
    let mut config = load(&file)?;
    let stored = config.profiles.remove(&profile.value);
    if stored.is_none() && profile.source != Source::Default {
        return Err(Failure::new(format!(
            "no profile {} in {} ({}); create it with `scenario configure --profile {} \
             --api-key KEY` (the secret is read from stdin)",
            printable(&profile.value),
            printable(&file.display().to_string()),
            profile.source,
            printable(&profile.value),
        )));
    }
    let profile_found = stored.is_some();
    let stored = stored.unwrap_or_default();
    let from_profile = |value: Option<String>| {
        value.filter(|v| !v.trim().is_empty()).map(|value| Setting {
            value,
            source: Source::Profile(profile.value.clone()),
        })
    };
    let base_url = flag(&global.base_url, "--base-url")
        .or_else(|| env(ENV_BASE_URL))
        .or_else(|| from_profile(stored.base_url));
    let api_key = flag(&global.api_key, "--api-key").or_else(|| env(ENV_API_KEY));
    let api_secret = flag(&global.api_secret, "--api-secret").or_else(|| env(ENV_API_SECRET));
    let jwt = api_key.is_none() && api_secret.is_none() && env(ENV_JWT).is_some();
    let (api_key, api_secret) = if jwt {
        (None, None)
    } else {
        (
            api_key.or_else(|| from_profile(stored.api_key)),
            api_secret.or_else(|| from_profile(stored.api_secret.map(|s| s.0))),
        )
    };
    Ok(Resolved {
        profile,
        file,
        profile_found,
        base_url,
        api_key,
        api_secret: api_secret.map(|s| Setting {
            value: Secret(s.value),
            source: s.source,
        }),
        jwt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_shows_in_no_debug() {
        let profile = Profile {
            api_key: Some("key".into()),
            api_secret: Some(Secret::new("hunter2-secret".into())),
            ..Profile::default()
        };
        let mut config = ConfigFile::default();
        config.profiles.insert("default".into(), profile);
        let debug = format!("{config:?} {:#?}", config);
        assert!(!debug.contains("hunter2-secret"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[test]
    fn the_file_round_trips_keeping_what_it_does_not_know() {
        let text = "\
color = \"never\"

[profiles.default]
api_key = \"k\"
api_secret = \"s\"
region = \"eu\"

[profiles.work]
base_url = \"http://127.0.0.1:4010/v1\"
";
        let config: ConfigFile = toml::from_str(text).unwrap();
        assert_eq!(
            config.profiles["default"]
                .api_secret
                .as_ref()
                .unwrap()
                .expose(),
            "s"
        );
        assert_eq!(
            config.profiles["work"].base_url.as_deref(),
            Some("http://127.0.0.1:4010/v1")
        );
        let again: ConfigFile = toml::from_str(&toml::to_string(&config).unwrap()).unwrap();
        assert_eq!(again.other["color"].as_str(), Some("never"));
        assert_eq!(
            again.profiles["default"].other["region"].as_str(),
            Some("eu")
        );
        assert_eq!(again.profiles["default"].api_key.as_deref(), Some("k"));
    }
}
