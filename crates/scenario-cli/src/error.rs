//! How a command fails: one line for people (`error: <what went wrong>; <what
//! to do>`) and an exit status for scripts.

use std::fmt;
use std::process::ExitCode;

use scenario_sdk::{Error as SdkError, Work};

use crate::output::printable;

/// The exit status of an API, network, configuration or file error.
pub const EXIT_FAILURE: u8 = 1;
/// The exit status of a usage error (clap uses it for its own errors too).
pub const EXIT_USAGE: u8 = 2;
/// The exit status after Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A failed command: the line to print on stderr and the exit status.
#[derive(Debug)]
pub struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// An API, network, configuration or file error (exit status 1).
    pub fn new(message: impl Into<String>) -> Self {
        Self::with_code(message.into(), EXIT_FAILURE)
    }

    /// A usage error found after parsing (exit status 2, as clap's own).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::with_code(message.into(), EXIT_USAGE)
    }

    /// The user interrupted the command (exit status 130); `message` says what
    /// was left undone.
    pub fn interrupted(message: impl Into<String>) -> Self {
        Self::with_code(message.into(), EXIT_INTERRUPTED)
    }

    /// A failure is one line, and quotes server text: made printable here,
    /// whichever way it is shown.
    fn with_code(message: String, code: u8) -> Self {
        let one_line = message.replace("\r\n", " ").replace(['\n', '\r'], " ");
        Self {
            message: printable(&one_line),
            code,
        }
    }

    /// Whether the user interrupted the command (then the message is no error).
    pub fn is_interrupted(&self) -> bool {
        self.code == EXIT_INTERRUPTED
    }

    /// An SDK error, described for someone at a terminal, after `context` (such
    /// as "cannot upload hero.png"); the exit status is 1.
    pub fn sdk(context: impl fmt::Display, error: &SdkError) -> Self {
        Self::new(format!("{context}: {}", describe(error)))
    }

    /// A failed write to stdout; `None` when the reader went away (a closed
    /// pipe, as with `| head`), which is no error.
    pub fn output(error: std::io::Error) -> Option<Self> {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            return None;
        }
        Some(Self::new(format!(
            "cannot write the output: {error}; check the disk or the pipe it goes to"
        )))
    }

    /// The exit status.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the SDK's error says, with the advice fitted to the command line: the
/// SDK's own advice names Rust methods where a person at a terminal needs a
/// flag or a command, and some errors carry no advice at all.
pub fn describe(error: &SdkError) -> String {
    let one_line = |text: String| text.replace(['\n', '\r'], " ");
    if let SdkError::InUpload {
        upload_id,
        error: inner,
    } = error
    {
        let text = describe(inner);
        return if text.contains(upload_id.as_str()) {
            text
        } else {
            format!("{text} (upload {upload_id}: see it with `scenario uploads get {upload_id}`)")
        };
    }
    match error {
        SdkError::Listing {
            resume_token,
            source,
        } => {
            let cause = describe(source);
            match resume_token {
                Some(token) => format!(
                    "{cause}; to go on from there, run the same command with --pagination-token {}",
                    shell_word(token)
                ),
                None => cause,
            }
        }
        SdkError::Deadline { url, total, .. } => format!(
            "the request to {url} did not finish within {}s in all, retries included; \
             try again later",
            total.as_secs_f64()
        ),
        SdkError::RetryAfterTooLong {
            status,
            retry_after,
            ..
        } => format!(
            "the Scenario API answered {status} and asked to wait {}s before trying again, \
             longer than this command waits; try again after that",
            retry_after.as_secs()
        ),
        SdkError::Timeout { url, timeout } => format!(
            "the request to {url} timed out after {}s; check the network, or try again later",
            timeout.as_secs()
        ),
        SdkError::WaitTimeout {
            work: Work::Upload,
            id: upload_id,
            status,
            waited,
        } => format!(
            "upload {upload_id} is still {status} after {}s; follow it with `scenario uploads get {upload_id}`",
            waited.as_secs()
        ),
        SdkError::WorkFailed {
            work: Work::Upload,
            id: upload_id,
            message,
            ..
        } => one_line(format!(
            "upload {upload_id} failed: {message}; check that the file is of the --kind given"
        )),
        SdkError::InvalidInput(message) => one_line(format!("{message}; check the arguments")),
        SdkError::Io { source, .. } => {
            format!("{error}: {source}; check the path and its permissions")
        }
        SdkError::FileWrite { source, .. } => format!("{error} ({source})"),
        SdkError::Pagination { message } => one_line(format!(
            "the listing stopped: {message}; try again, or narrow it down with filters"
        )),
        SdkError::Decode { .. } | SdkError::ResponseTooLarge { .. } => format!(
            "{error}; the service may be newer than this CLI: update it, or report the request id"
        ),
        SdkError::Api { status, .. } if status.is_server_error() => {
            one_line(format!("{error}; the service failed, try again later"))
        }
        SdkError::Api { status, .. } if matches!(status.as_u16(), 400 | 409 | 422) => {
            one_line(format!("{error}; check the arguments"))
        }
        // The rest (auth, not found, rate limits, connection) already
        // says what to do in words that fit a terminal.
        _ => one_line(error.to_string()),
    }
}

/// `token` as one shell word, quoted when it holds anything but safe characters.
fn shell_word(token: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=+,".contains(c);
    if !token.is_empty() && token.chars().all(safe) {
        token.to_owned()
    } else {
        format!("'{}'", token.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn advice_fits_the_command_line() {
        let wait = SdkError::WaitTimeout {
            work: Work::Upload,
            id: "upload_1".into(),
            status: "validating".into(),
            waited: Duration::from_secs(300),
        };
        assert_eq!(
            describe(&wait),
            "upload upload_1 is still validating after 300s; follow it with `scenario uploads get upload_1`"
        );
        let timeout = SdkError::Timeout {
            url: "http://127.0.0.1:1/v1/assets".into(),
            timeout: Duration::from_secs(60),
        };
        assert!(!describe(&timeout).contains("ClientBuilder"));
        let failed = SdkError::WorkFailed {
            work: Work::Upload,
            id: "upload_2".into(),
            status: "failed".into(),
            message: "not an image\nat all".into(),
        };
        assert_eq!(
            describe(&failed),
            "upload upload_2 failed: not an image at all; check that the file is of the --kind given"
        );
    }

    #[test]
    fn every_message_is_one_line_with_advice() {
        let errors = [
            SdkError::InvalidInput("page_size must be between 1 and 100, got 0".into()),
            SdkError::Io {
                path: Some("missing.png".into()),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            SdkError::Pagination {
                message: "the token came back".into(),
            },
        ];
        for error in &errors {
            let text = describe(error);
            assert!(text.contains("; "), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
    }

    #[test]
    fn a_closed_pipe_is_not_a_failure() {
        assert!(Failure::output(std::io::ErrorKind::BrokenPipe.into()).is_none());
        let full = Failure::output(std::io::Error::other("disk full")).unwrap();
        assert_eq!(full.code, EXIT_FAILURE);
        assert!(
            full.to_string()
                .starts_with("cannot write the output: disk full")
        );
    }
}
