//! The progress of an upload: a bar on stderr for people, and what the upload
//! reached, so that Ctrl-C can say what it interrupted.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use console::Term;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use scenario_sdk::{Progress, UploadPhase};

const BAR_TEMPLATE: &str = "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} \
     {binary_bytes_per_sec}, ETA {eta}";
const SPINNER_TEMPLATE: &str = "{spinner} {msg} ({elapsed})";

/// How far an upload got, as its progress reports said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// The upload's id, once the service created it.
    pub upload_id: Option<String>,
    /// The last step reported, if any.
    pub phase: Option<UploadPhase>,
}

/// Follows one upload: draws the bar (unless hidden) and remembers how far it got.
#[derive(Clone, Debug)]
pub struct UploadProgress {
    bar: ProgressBar,
    name: String,
    reached: Arc<Mutex<Reached>>,
}

impl UploadProgress {
    /// A follower for the upload of `name`; the bar is drawn on stderr only if
    /// `visible` (callers pass false for `--quiet`, `-v` or a stderr that is not
    /// a terminal).
    pub fn new(name: &str, visible: bool) -> Self {
        let bar = if visible {
            let target = ProgressDrawTarget::term_like_with_hz(
                Box::new(EchoRoom(Term::buffered_stderr())),
                20,
            );
            ProgressBar::with_draw_target(Some(0), target)
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template(BAR_TEMPLATE) {
            bar.set_style(style.progress_chars("=> "));
        }
        let name = crate::output::printable(name);
        bar.set_message(format!("preparing {name}"));
        Self {
            bar,
            name,
            reached: Arc::new(Mutex::new(Reached::default())),
        }
    }

    /// The callback for the SDK's `on_progress`.
    pub fn callback(&self) -> impl Fn(&Progress) + Send + Sync + 'static {
        let this = self.clone();
        move |progress| this.update(progress)
    }

    /// Takes in one progress report.
    pub fn update(&self, progress: &Progress) {
        {
            let mut reached = self.reached.lock().unwrap_or_else(PoisonError::into_inner);
            if progress.upload_id.is_some() {
                reached.upload_id.clone_from(&progress.upload_id);
            }
            reached.phase = Some(progress.phase);
        }
        let bar = &self.bar;
        bar.set_length(progress.bytes_total);
        bar.set_position(progress.bytes_sent);
        let name = &self.name;
        match progress.phase {
            UploadPhase::Creating => bar.set_message(format!("creating the upload of {name}")),
            UploadPhase::Uploading => bar.set_message(format!(
                "uploading {name} ({}/{} parts)",
                progress.parts_done, progress.parts_total
            )),
            UploadPhase::Completing => {
                bar.set_message(format!("completing {name}"));
            }
            UploadPhase::Waiting => {
                if let Ok(style) = ProgressStyle::with_template(SPINNER_TEMPLATE) {
                    bar.set_style(style);
                }
                bar.set_message(format!("waiting for the service to validate {name}"));
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            // A step newer than this CLI: keep the bar as it is.
            _ => {}
        }
    }

    /// How far the upload got.
    pub fn reached(&self) -> Reached {
        self.reached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes the bar, so that what is printed next starts on a clean line.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// The terminal, two columns narrower than it is.
///
/// indicatif pads the bar's line to the terminal's width, leaving the cursor at
/// the right edge; the `^C` a terminal echoes on Ctrl-C then wraps onto a new
/// line, and clearing the bar clears that line instead of the bar's. Two spare
/// columns keep the echo on the bar's line, which clearing then removes.
#[derive(Debug)]
struct EchoRoom(Term);

impl TermLike for EchoRoom {
    fn width(&self) -> u16 {
        self.0.size().1.saturating_sub(2).max(1)
    }

    fn height(&self) -> u16 {
        self.0.size().0
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }

    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// What to say after Ctrl-C stopped an upload that had `reached` this far:
/// whether anything may have been completed depends on the step.
pub fn cancelled_message(reached: &Reached) -> String {
    let Some(id) = &reached.upload_id else {
        return "upload not started: cancelled; nothing was completed".to_owned();
    };
    match reached.phase {
        Some(UploadPhase::Completing) => format!(
            "upload {id} cancelled while it was being completed; \
             `scenario uploads get {id}` shows whether it was"
        ),
        Some(UploadPhase::Waiting) => format!(
            "stopped waiting for upload {id}; it was completed and the service goes on \
             validating it: `scenario uploads get {id}` shows how it ends"
        ),
        _ => format!("upload {id} cancelled; nothing was completed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_after_ctrl_c_tells_what_was_done() {
        let none = Reached::default();
        assert_eq!(
            cancelled_message(&none),
            "upload not started: cancelled; nothing was completed"
        );
        let sending = Reached {
            upload_id: Some("upload_1".into()),
            phase: Some(UploadPhase::Uploading),
        };
        assert_eq!(
            cancelled_message(&sending),
            "upload upload_1 cancelled; nothing was completed"
        );
        let completing = Reached {
            phase: Some(UploadPhase::Completing),
            ..sending.clone()
        };
        assert!(cancelled_message(&completing).contains("scenario uploads get upload_1"));
        let waiting = Reached {
            phase: Some(UploadPhase::Waiting),
            ..sending
        };
        assert!(cancelled_message(&waiting).starts_with("stopped waiting for upload upload_1"));
    }
}
