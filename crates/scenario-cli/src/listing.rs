//! The printer every listing command shares (`jobs list`, `models list`,
//! `collections list`, `search ...`): pages printed as they arrive, `--limit`,
//! a warning for each item the service sent that did not decode (and a failure
//! at the end if there was any), "no X match", and the errors' context.

use std::io::{self, Write};

use futures::StreamExt;
use scenario_sdk::{Paginated, Request};
use serde::Serialize;

use crate::error::Failure;
use crate::output::json_line;

/// Skipped items warned about one by one; the rest are counted at the end,
/// so that a listing the CLI cannot read does not flood the terminal.
const SKIPPED_SHOWN: u64 = 5;

/// Warns of the items of a page that could not be read, after `before`
/// skipped earlier: the first few one by one, then once that the rest are
/// only counted.
pub fn warn_skipped(before: u64, skipped: &[scenario_sdk::BadItem], noun: &Noun) {
    for (n, bad) in (before..).zip(skipped) {
        if n < SKIPPED_SHOWN {
            // The item's JSON stays out: it can be long; -v logs the request.
            note!("warning: skipped {} the service sent: {bad}", noun.a_one);
        } else if n == SKIPPED_SHOWN {
            note!(
                "warning: more {} could not be read; they are counted, not shown",
                noun.many
            );
        }
    }
}

/// What a listing lists, for its messages: `Noun::new("job", "a job", "jobs")`.
#[derive(Clone, Copy, Debug)]
pub struct Noun {
    /// One item, bare: "job" (as in "3 job(s) could not be read").
    pub one: &'static str,
    /// One item, with its article: "a job".
    pub a_one: &'static str,
    /// Many items: "jobs".
    pub many: &'static str,
    /// What the command does, as in "cannot list jobs".
    pub verb: &'static str,
    /// What the command does, as in "the listing failed after 3 jobs".
    pub activity: &'static str,
}

impl Noun {
    /// The words of a listing's messages.
    pub const fn new(one: &'static str, a_one: &'static str, many: &'static str) -> Self {
        Self {
            one,
            a_one,
            many,
            verb: "list",
            activity: "listing",
        }
    }

    /// The same words for a search: "cannot search jobs", "the search failed
    /// after 3 jobs".
    pub const fn searched(self) -> Self {
        Self {
            verb: "search",
            activity: "search",
            ..self
        }
    }
}

/// Writes the table rows of one page of a listing.
pub trait Rows<T> {
    /// Writes the rows of `items` to `out`; `first`: no item was printed
    /// before (the table's header goes before the first row).
    fn write_rows(&mut self, out: &mut dyn Write, items: &[T], first: bool) -> io::Result<()>;
}

impl<T, F> Rows<T> for F
where
    F: FnMut(&mut dyn Write, &[T], bool) -> io::Result<()>,
{
    fn write_rows(&mut self, out: &mut dyn Write, items: &[T], first: bool) -> io::Result<()> {
        self(out, items, first)
    }
}

/// How a listing is printed: the flags every listing command has.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// One JSON object per line instead of a table.
    pub json: bool,
    /// Stop after this many items.
    pub limit: Option<u64>,
    /// No "no X match" hint.
    pub quiet: bool,
}

/// Prints the listing `request` page by page as the pages arrive: JSON lines,
/// or a table written by `rows`.
///
/// Stops after `options.limit` items. An item that does not decode is left
/// out with a warning on stderr, and the command then fails at the end (after
/// printing everything else): what was printed is not the whole listing. A
/// reader that goes away (`| head`) ends the listing without an error.
pub async fn print<Op>(
    request: Request<Op>,
    noun: Noun,
    options: Options,
    mut rows: impl Rows<Op::Item>,
) -> Result<(), Failure>
where
    Op: Paginated,
    Op::Item: Serialize,
{
    let mut pages = std::pin::pin!(request.pages());
    let mut printed: u64 = 0;
    let mut skipped: u64 = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| {
            let context = if printed == 0 {
                format!("cannot {} {}", noun.verb, noun.many)
            } else {
                format!("the {} failed after {printed} {}", noun.activity, noun.many)
            };
            Failure::sdk(context, &error)
        })?;
        warn_skipped(skipped, &page.skipped, &noun);
        skipped += page.skipped.len() as u64;
        let wanted = match options.limit {
            Some(limit) => usize::try_from(limit - printed).unwrap_or(usize::MAX),
            None => usize::MAX,
        };
        let items = &page.items[..page.items.len().min(wanted)];
        if let Err(error) = write_page(items, options.json, printed == 0, &mut rows) {
            return Failure::output(error).map_or(Ok(()), Err);
        }
        printed += items.len() as u64;
        if options.limit.is_some_and(|limit| printed >= limit) {
            // Dropping the stream stops any page fetched ahead.
            break;
        }
    }
    if skipped > 0 {
        return Err(Failure::new(format!(
            "{skipped} {}(s) could not be read and were left out (see the warnings above); \
             the service may be newer than this CLI: update it, or report the request id",
            noun.one
        )));
    }
    if printed == 0 && !options.json && !options.quiet {
        note!("no {} match", noun.many);
    }
    Ok(())
}

/// Writes one page to stdout and flushes it, so that a reader sees it at once.
fn write_page<T: Serialize>(
    items: &[T],
    json: bool,
    first: bool,
    rows: &mut impl Rows<T>,
) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if json {
        for item in items {
            json_line(&mut out, item)?;
        }
    } else {
        rows.write_rows(&mut out, items, first)?;
    }
    out.flush()
}

/// Table rows of fixed-width columns, for [`Rows`]: the header (before the
/// first row of the listing) and then one line per item, each made by `line`
/// from the cells `row` gives (already made printable).
pub fn fixed_rows<T, const N: usize>(
    out: &mut dyn Write,
    items: &[T],
    first: bool,
    header: [&str; N],
    row: impl Fn(&T) -> [String; N],
    line: impl Fn(&[String; N]) -> String,
) -> io::Result<()> {
    if first && !items.is_empty() {
        writeln!(out, "{}", line(&header.map(str::to_owned)).trim_end())?;
    }
    for item in items {
        writeln!(out, "{}", line(&row(item)).trim_end())?;
    }
    Ok(())
}
