//! The progress of an upload or a download: a bar on stderr for people, and
//! what an upload reached, so that Ctrl-C can say what it interrupted.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use console::Term;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use scenario_sdk::{DownloadProgress, Progress, UploadPhase};

/// A template, and the columns of everything in it but `{msg}` and
/// `{wide_bar}` at their widest: byte counts like `1023.99 MiB`, a rate like
/// `1023.99 MiB/s`, durations like `3m` (`999y` at most).
type Template = (&'static str, usize);

/// The bar as it fits a terminal, widest first: byte counts, rate and ETA
/// from 77 columns (an 80-column terminal has 78, see [`EchoRoom`]), then
/// the counts, then a share.
const BAR_TEMPLATES: [Template; 3] = [
    (
        "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}, ETA {eta}",
        " [] 1023.99 MiB/1023.99 MiB 1023.99 MiB/s, ETA 999y".len(),
    ),
    (
        "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes}",
        " [] 1023.99 MiB/1023.99 MiB".len(),
    ),
    ("{msg} [{wide_bar}] {percent:>3}%", " [] 100%".len()),
];
/// Without room for a bar: the share and the message.
const TINY_TEMPLATE: Template = ("{percent:>3}% {msg}", "100% ".len());
/// While the service validates the upload.
const SPINNER_TEMPLATE: Template = ("{spinner} {msg} ({elapsed})", "- (999y)".len());
/// The least a bar and a message get before a narrower template is used.
const MIN_BAR: usize = 10;
const MIN_MESSAGE: usize = 16;

/// The bar's template for a terminal `width` columns wide, and the most
/// columns the message may take so that the line stays within the width.
fn bar_layout(width: usize) -> (&'static str, usize) {
    BAR_TEMPLATES
        .iter()
        .find(|(_, fixed)| width >= fixed + MIN_BAR + MIN_MESSAGE)
        .map(|&(template, fixed)| (template, width - fixed - MIN_BAR))
        .unwrap_or_else(|| spare(TINY_TEMPLATE, width))
}

fn spare((template, fixed): Template, width: usize) -> (&'static str, usize) {
    (template, width.saturating_sub(fixed).max(1))
}

/// `message` cut to `columns` columns, with an ellipsis when it was cut.
fn fit(message: &str, columns: usize) -> String {
    console::truncate_str(message, columns, "…").into_owned()
}

/// How far an upload got, as its progress reports said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// The upload's id, once the service created it.
    pub upload_id: Option<String>,
    /// The last step reported, if any.
    pub phase: Option<UploadPhase>,
}

/// The columns the bar may use now (the terminal can be resized).
type Columns = Arc<dyn Fn() -> u16 + Send + Sync>;

/// Follows one upload (and remembers how far it got) or one download: draws
/// the bar unless hidden.
#[derive(Clone)]
pub struct TransferProgress {
    bar: ProgressBar,
    name: String,
    reached: Arc<Mutex<Reached>>,
    /// The width the bar is drawn in, when it is drawn.
    columns: Option<Columns>,
    /// The template in use, so that the style is only replaced when it changes.
    template: Arc<Mutex<&'static str>>,
}

impl std::fmt::Debug for TransferProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferProgress")
            .field("name", &self.name)
            .field("reached", &self.reached)
            .finish_non_exhaustive()
    }
}

impl TransferProgress {
    /// A follower for the upload of `name`; the bar is drawn on stderr only if
    /// `visible` (callers pass false for `--quiet`, `-v` or a stderr that is not
    /// a terminal).
    pub fn new(name: &str, visible: bool) -> Self {
        if !visible {
            return Self::with_target(name, ProgressBar::hidden(), None);
        }
        let term = EchoRoom(Term::buffered_stderr());
        let width = term.0.clone();
        let columns: Columns = Arc::new(move || EchoRoom(width.clone()).width());
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(term), 20);
        let bar = ProgressBar::with_draw_target(Some(0), target);
        Self::with_target(name, bar, Some(columns))
    }

    fn with_target(name: &str, bar: ProgressBar, columns: Option<Columns>) -> Self {
        let this = Self {
            bar,
            name: crate::output::printable(name),
            reached: Arc::new(Mutex::new(Reached::default())),
            columns,
            template: Arc::new(Mutex::new("")),
        };
        this.show(false, format!("preparing {}", this.name));
        this
    }

    /// Shows `message` with the bar (or the spinner) laid out for the
    /// terminal's width now, the message cut to fit.
    fn show(&self, spinner: bool, message: String) {
        let width = self
            .columns
            .as_ref()
            .map_or(usize::MAX, |columns| usize::from(columns()));
        let (template, room) = if spinner {
            spare(SPINNER_TEMPLATE, width)
        } else {
            bar_layout(width)
        };
        let mut current = self.template.lock().unwrap_or_else(PoisonError::into_inner);
        if *current != template
            && let Ok(style) = ProgressStyle::with_template(template)
        {
            self.bar.set_style(style.progress_chars("=> "));
            *current = template;
        }
        drop(current);
        self.bar.set_message(fit(&message, room));
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
            UploadPhase::Creating => self.show(false, format!("creating the upload of {name}")),
            UploadPhase::Uploading => self.show(
                false,
                format!(
                    "uploading {name} ({}/{} parts)",
                    progress.parts_done, progress.parts_total
                ),
            ),
            UploadPhase::Completing => self.show(false, format!("completing {name}")),
            UploadPhase::Waiting => {
                self.show(true, format!("waiting for the service to validate {name}"));
                bar.enable_steady_tick(Duration::from_millis(120));
            }
            // A step newer than this CLI: keep the bar as it is.
            _ => {}
        }
    }

    /// The callback for a download's `on_progress`.
    pub fn download_callback(&self) -> impl Fn(&DownloadProgress) + Send + Sync + 'static {
        let this = self.clone();
        move |progress| this.update_download(progress)
    }

    /// Takes in one download report.
    pub fn update_download(&self, progress: &DownloadProgress) {
        self.bar.set_length(progress.bytes_expected);
        self.bar.set_position(progress.bytes_done);
        let files = match progress.files_total {
            Some(total) => format!("{}/{total} files", progress.files_done),
            None => format!("{} files", progress.files_done),
        };
        let failed = match progress.files_failed {
            0 => String::new(),
            n => format!(", {n} failed"),
        };
        self.show(
            false,
            format!("downloading to {} ({files}{failed})", self.name),
        );
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

    /// A terminal of `width` columns that keeps what is drawn on it.
    #[derive(Debug, Clone)]
    struct Screen {
        width: u16,
        lines: Arc<Mutex<Vec<String>>>,
    }

    impl Screen {
        fn new(width: u16) -> Self {
            Self {
                width,
                lines: Arc::default(),
            }
        }

        fn lines(&self) -> Vec<String> {
            self.lines.lock().unwrap().clone()
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            self.width
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.lines.lock().unwrap().push(s.to_owned());
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.write_line(s)
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Draws every phase of a large upload of a long-named file on a screen of
    /// `width` columns and returns what was drawn.
    fn draw(width: u16) -> Vec<String> {
        let screen = Screen::new(width);
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let bar = ProgressBar::with_draw_target(Some(0), target);
        let columns: Columns = Arc::new(move || width);
        let progress = TransferProgress::with_target(
            "textures/characters/hero-walk-cycle-final-v2.png",
            bar,
            Some(columns),
        );
        let total: u64 = 1023 * 1024 * 1024 + 1000 * 1024 * 1024 / 100;
        progress.bar.set_length(total);
        let name = &progress.name;
        for (spinner, sent, message) in [
            (false, 0, format!("creating the upload of {name}")),
            (
                false,
                total / 2 + 12_345,
                format!("uploading {name} (61/128 parts)"),
            ),
            (false, total, format!("uploading {name} (128/128 parts)")),
            (false, total, format!("completing {name}")),
            (
                true,
                total,
                format!("waiting for the service to validate {name}"),
            ),
        ] {
            progress.bar.set_position(sent);
            progress.show(spinner, message);
            // Past the draw target's rate limit, so that each state is drawn.
            std::thread::sleep(Duration::from_millis(60));
            progress.bar.tick();
        }
        progress.bar.abandon();
        screen.lines()
    }

    #[test]
    fn the_bar_fills_the_terminal_and_never_wraps() {
        for width in [80, 40, 20, 120] {
            let lines = draw(width);
            assert!(lines.len() >= 5, "{width}: {lines:#?}");
            for line in &lines {
                let columns = console::measure_text_width(line);
                assert!(
                    columns <= usize::from(width),
                    "{width}: {columns}: {line:?}"
                );
            }
            let bars: Vec<&String> = lines.iter().filter(|l| l.contains("[=")).collect();
            assert!(!bars.is_empty() || width < 28, "{width}: {lines:#?}");
            for bar in bars {
                // The wide bar takes what the rest leaves: the line is full.
                assert_eq!(
                    console::measure_text_width(bar.trim_end()),
                    usize::from(width),
                    "{bar:?}"
                );
            }
        }
        let wide = draw(120).join("\n");
        assert!(wide.contains("ETA") && wide.contains("iB/s"), "{wide}");
        let narrow = draw(40).join("\n");
        assert!(narrow.contains('%'), "{narrow}");
    }

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
