//! Listings as streams, for every operation the document marks as one (it takes
//! `paginationToken` and answers `nextPaginationToken`): written once, generic
//! over the operation.
//!
//! A page is decoded whole on the good path (one parse); when that fails, it
//! is decoded again item by item, so that one malformed item costs that item
//! and not the page (nor, on resuming, every later attempt at the page).

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt, stream};
use scenario_api::Paginated;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use crate::error::{BadItem, Error, Result};
use crate::http_text::{REQUEST_ID, header_str};
use crate::request::{RawItems, Request, decode_failure, exchange};

/// Empty pages in a row (each with a fresh token) after which a listing stops.
/// Generous: some listings of the service (jobs, say) legitimately answer a few
/// empty pages while they still have a token to follow.
pub(crate) const MAX_EMPTY_PAGES: usize = 100;

/// Pages in a row with items but none that decodes (each with a fresh token)
/// after which a listing stops: a service this SDK cannot read would otherwise
/// be listed to its end, one skipped item at a time.
pub(crate) const MAX_UNREADABLE_PAGES: usize = 10;

/// Pages in a row that repeat the previous page's items under a fresh token
/// after which a listing stops.
pub(crate) const MAX_REPEATED_PAGES: usize = 3;

/// How many of the latest tokens are remembered to catch a server going round
/// in circles: a cycle shorter than this is caught, and memory stays bounded on
/// a listing of any length.
pub(crate) const SEEN_TOKENS: usize = 4096;

/// One page of a listing.
///
/// Each page carries the token that resumes the listing after it, so a long
/// job can stop and go on later, in another process:
///
/// ```no_run
/// # async fn run(client: scenario_sdk::Client, saved: Option<String>) -> scenario_sdk::Result<()> {
/// use futures::TryStreamExt;
///
/// let mut listing = client.assets().list().page_size(100);
/// if let Some(token) = saved {
///     listing = listing.pagination_token(token); // resume after the last page done
/// }
/// let mut pages = listing.pages();
/// while let Some(page) = pages.try_next().await? {
///     for asset in &page.items {
///         println!("{}", asset.id);
///     }
///     // Store page.next_token: it is where to start next time (None: done).
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of the page that decoded, in the server's order.
    pub items: Vec<T>,
    /// The items of the page that did not decode (each with its index in the
    /// page, the failing field and its JSON), in order. Empty unless the server
    /// sent something the API description does not allow.
    pub skipped: Vec<BadItem>,
    /// The token that resumes the listing after this page (pass it to the
    /// listing's `pagination_token` setter); `None` on the last page.
    pub next_token: Option<String>,
    /// The server's id for the request that returned this page.
    pub request_id: Option<String>,
    /// With [`Request::keep_raw`], the JSON of each of `items` exactly as the
    /// server sent it (whitespace included), in the same order: fields this
    /// SDK does not know and numbers as written. With [`Request::raw_only`],
    /// the JSON of every item of the page, none decoded (`items` is empty).
    /// Empty otherwise.
    pub raw_items: Vec<Box<RawValue>>,
}

impl<T> Page<T> {
    /// The page's items and skipped items, in the server's order: what
    /// [`Request::stream`] yields for it.
    pub fn into_results(self) -> impl Iterator<Item = Result<T>> + Send
    where
        T: Send,
    {
        let mut items = self.items.into_iter();
        let mut skipped = self.skipped.into_iter().peekable();
        let mut position = 0;
        std::iter::from_fn(move || {
            let at = position;
            position += 1;
            let bad = |item: BadItem| Err(Error::Item(Box::new(item)));
            match skipped.peek() {
                Some(item) if item.index <= at => skipped.next().map(bad),
                _ => items.next().map(Ok).or_else(|| skipped.next().map(bad)),
            }
        })
    }
}

impl<Op: Paginated> Request<Op> {
    /// How many pages may be fetched ahead of the one being consumed. 2 by
    /// default: while the consumer decodes and works through a page, the next
    /// one waits and the one after it is asked for, so the server is never
    /// left idle (with 1, each request waits for the consumer to take the
    /// page before). 0 fetches each page only when the previous one is used up.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    /// Whether an item that does not decode stops the listing (`true`) or is
    /// reported and skipped (`false`, the default: see [`Page::skipped`]).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Whether each page also keeps its items' JSON as the server sent it
    /// ([`Page::raw_items`]), for callers that pass items on unchanged. Off by
    /// default: the pages are then decoded whole, without the copies.
    pub fn keep_raw(mut self, keep_raw: bool) -> Self {
        self.raw = if keep_raw {
            RawItems::Keep
        } else {
            RawItems::Off
        };
        self
    }

    /// Whether each page gives its items' JSON as the server sent it, and
    /// nothing else ([`Page::raw_items`], with [`Page::items`] and
    /// [`Page::skipped`] empty): for callers that pass the items on and read
    /// none of their fields, who then pay for no decoding of them. The pages
    /// themselves (their list, their token) are still read and checked; the
    /// items are not checked against the API description. For
    /// [`Self::pages`] and [`Self::first_page`]; [`Self::stream`], which
    /// yields decoded items, ignores it. Off by default.
    pub fn raw_only(mut self, raw_only: bool) -> Self {
        self.raw = if raw_only {
            RawItems::Only
        } else {
            RawItems::Off
        };
        self
    }

    /// The first page only (from [`Self::prefetch`]-free code: one request,
    /// nothing fetched ahead), with the token that goes on after it. For a
    /// caller who needs a handful of items, this costs one request where
    /// `stream().take(n)` with the default prefetch may start a second.
    ///
    /// ```no_run
    /// # async fn run(client: scenario_sdk::Client) -> scenario_sdk::Result<()> {
    /// let page = client.assets().list().page_size(10).first_page().await?;
    /// println!("{} assets, more: {}", page.items.len(), page.next_token.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn first_page(self) -> Result<Page<Op::Item>> {
        let mut pager = Pager::new(self);
        match pager.next(&mut Progress::default()).await {
            Some(page) => page,
            // A pager yields at least one page (or its error) before it is done.
            None => Err(Error::Pagination {
                message: "the listing ended before its first page".into(),
            }),
        }
    }

    /// Every item of every page, in order.
    ///
    /// An item that does not decode is yielded as an [`Error::Item`] in its
    /// place, and the stream goes on (unless the listing is [`Self::strict`]).
    /// Any other error ends the stream: it is an [`Error::Listing`] whose
    /// [`Error::resume_token`] says where to start again.
    ///
    /// The second page is requested once half of the first one's items have
    /// been taken (from then on, pages are fetched ahead as soon as their token
    /// is known): `stream().take(n)` within the first half of a page costs one
    /// request.
    pub fn stream(mut self) -> impl Stream<Item = Result<Op::Item>> + Send + Unpin + 'static {
        // The stream yields decoded items: a raw-only listing would yield none.
        if self.raw == RawItems::Only {
            self.raw = RawItems::Off;
        }
        let gate = FirstPageGate::default();
        let opener = gate.clone();
        let mut first = true;
        self.pages_with(Some(gate))
            .map_ok(move |page| {
                let len = page.items.len() + page.skipped.len();
                // Only the first page opens the gate; later ones do not wait on it.
                let opener = std::mem::take(&mut first).then(|| opener.clone());
                stream::iter(opener_at_half(page.into_results(), len, opener))
            })
            .try_flatten()
    }

    /// The listing page by page; each page carries the token that resumes after it.
    ///
    /// The stream ends after the last page, or after yielding an error (an
    /// [`Error::Listing`] naming the token to resume from). While the caller
    /// works on a page, the next one is fetched (see [`Self::prefetch`]);
    /// dropping the stream stops all fetching. Polling it needs a Tokio runtime.
    pub fn pages(self) -> impl Stream<Item = Result<Page<Op::Item>>> + Send + Unpin + 'static {
        self.pages_with(None)
    }

    /// [`Self::pages`], where fetching past the first page waits for `gate`
    /// to open, if there is one.
    fn pages_with(
        self,
        gate: Option<FirstPageGate>,
    ) -> impl Stream<Item = Result<Page<Op::Item>>> + Send + Unpin + 'static {
        let prefetch = self.prefetch;
        let pager = Pager::new(self);
        if prefetch == 0 {
            let state = (pager, Progress::default());
            Box::pin(stream::unfold(
                state,
                |(mut pager, mut progress)| async move {
                    let page = pager.next(&mut progress).await?;
                    Some((page, (pager, progress)))
                },
            ))
            .left_stream()
        } else {
            Prefetched::Idle {
                pager: Box::new(pager),
                ahead: prefetch,
                gate,
            }
            .right_stream()
        }
    }
}

/// Holds back fetching ahead past the first page until the consumer has shown
/// it goes on (see [`Request::stream`]). Dropping the stream drops the task
/// waiting on it.
#[derive(Clone)]
struct FirstPageGate(std::sync::Arc<tokio::sync::Semaphore>);

impl Default for FirstPageGate {
    fn default() -> Self {
        Self(std::sync::Arc::new(tokio::sync::Semaphore::new(0)))
    }
}

impl FirstPageGate {
    fn open(&self) {
        self.0.add_permits(1);
    }

    async fn opened(&self) {
        // The semaphore is never closed; an error would mean it was, and then
        // there is nothing left to wait for.
        let _ = self
            .0
            .acquire()
            .await
            .map(tokio::sync::SemaphorePermit::forget);
    }
}

/// `results` (`len` of them), opening `gate` when the item at half of them is
/// taken (at once when there are none).
fn opener_at_half<T>(
    results: impl Iterator<Item = T>,
    len: usize,
    gate: Option<FirstPageGate>,
) -> impl Iterator<Item = T> {
    let half = len / 2;
    let mut gate = gate;
    if len == 0
        && let Some(gate) = gate.take()
    {
        gate.open();
    }
    results.enumerate().map(move |(at, item)| {
        if at == half
            && let Some(gate) = gate.take()
        {
            gate.open();
        }
        item
    })
}

/// Walks the pages: knows where it is, and refuses a token it has followed
/// already (a server going round in circles).
struct Pager<Op> {
    request: Request<Op>,
    /// The latest tokens, oldest first (at most [`SEEN_TOKENS`]), and the same as a set.
    recent: VecDeque<String>,
    seen: HashSet<String>,
    done: bool,
}

/// What the decoded pages show so far: a server that keeps answering new
/// tokens with nothing new (empty pages, or the same items again) is stopped.
/// Checked where pages are decoded, since it takes the item count; the token
/// of a page is followed before that (see [`Paginated::trailing_token`]).
#[derive(Default)]
struct Progress {
    /// Empty pages in a row.
    empty: usize,
    /// Pages in a row whose every item failed to decode.
    unreadable: usize,
    /// The previous page's body and token, and how many pages in a row repeated it.
    previous: Option<(Bytes, String)>,
    repeated: usize,
}

impl<Op: Paginated> Pager<Op> {
    fn new(request: Request<Op>) -> Self {
        let mut pager = Self {
            request,
            recent: VecDeque::new(),
            seen: HashSet::new(),
            done: false,
        };
        if let Some(token) = pager.request.op.pagination_token() {
            pager.remember(token);
        }
        pager
    }

    /// Adds `token` to the bounded memory; false when it is already there.
    fn remember(&mut self, token: String) -> bool {
        if !self.seen.insert(token.clone()) {
            return false;
        }
        self.recent.push_back(token);
        if self.recent.len() > SEEN_TOKENS
            && let Some(oldest) = self.recent.pop_front()
        {
            self.seen.remove(&oldest);
        }
        true
    }

    async fn next(&mut self, progress: &mut Progress) -> Option<Result<Page<Op::Item>>> {
        let fetched = self.next_raw().await?;
        Some(fetched.and_then(|fetched| fetched.decode().checked(progress)))
    }

    /// The next page's body, its token already read and followed (so the
    /// page after it can be asked for before this one is decoded); errors
    /// come as [`Error::Listing`] and end the listing.
    async fn next_raw(&mut self) -> Option<Result<Fetched<Op>>> {
        if self.done {
            return None;
        }
        let sent = self.send().await;
        Some(self.accept(sent))
    }

    /// The request for the page the pager stands at. It owns what it needs,
    /// so it can be out while the previous page is decoded.
    fn send(&self) -> impl Future<Output = Sent<Op>> + Send + 'static {
        let client = self.request.client.clone();
        // The request as sent: a page is read against it (an offset listing
        // counts from the offset it asked for).
        let asked = self.request.op.clone();
        async move {
            let (exchange, _) = exchange(&client, &asked, None).await;
            Sent { asked, exchange }
        }
    }

    /// The page a [`Self::send`] brought, its token checked and followed;
    /// an error is an [`Error::Listing`] that ends the listing.
    fn accept(&mut self, sent: Sent<Op>) -> Result<Fetched<Op>> {
        let resume_token = sent.asked.pagination_token();
        self.read(sent, resume_token.clone()).map_err(|err| {
            self.done = true;
            Error::Listing {
                resume_token,
                source: Box::new(err),
            }
        })
    }

    fn read(&mut self, sent: Sent<Op>, resume_token: Option<String>) -> Result<Fetched<Op>> {
        let Sent { asked, exchange } = sent;
        let exchange = exchange?;
        let request_id = header_str(&exchange.headers, REQUEST_ID).map(str::to_owned);
        let body = exchange.body;
        // The token from the end of the body when it is there (nearly always),
        // else from a scan that decodes no item: either way the next page can
        // be asked for while this one is decoded.
        let next_token = match asked.trailing_token(&body) {
            Some(token) => Some(token),
            None => {
                asked
                    .raw_page(&body)
                    .map_err(|_| Error::Decode {
                        status: exchange.status,
                        request_id: request_id.clone(),
                        message: decode_failure::<Op::Output>(&body),
                    })?
                    .next_token
            }
        };
        // An empty token means "no more pages", like a missing one.
        let next_token = next_token.filter(|t| !t.is_empty());
        match &next_token {
            None => self.done = true,
            Some(token) => {
                if !self.remember(token.clone()) {
                    return Err(Error::Pagination {
                        message: format!(
                            "the server returned the pagination token {token:?} a second time"
                        ),
                    });
                }
                self.request.op.set_pagination_token(Some(token.clone()));
            }
        }
        Ok(Fetched {
            body,
            status: exchange.status,
            request_id,
            next_token,
            resume_token,
            raw: self.request.raw,
            strict: self.request.strict,
            asked,
        })
    }
}

impl Progress {
    /// Refuses a page of `count` items followed by `token` that makes no
    /// progress: too many empty pages in a row, or the previous page's items again.
    /// Answers whether the page repeats the previous page's items (they were
    /// given already: the caller leaves them out).
    fn check(&mut self, body: &Bytes, good: usize, bad: usize, token: &str) -> Result<bool> {
        let count = good + bad;
        self.unreadable = if good == 0 && bad > 0 {
            self.unreadable + 1
        } else {
            0
        };
        if self.unreadable >= MAX_UNREADABLE_PAGES {
            return Err(Error::Pagination {
                message: format!(
                    "none of the items of the last {MAX_UNREADABLE_PAGES} pages could be read; \
                     the service may be newer than this SDK"
                ),
            });
        }
        self.empty = if count == 0 { self.empty + 1 } else { 0 };
        if self.empty >= MAX_EMPTY_PAGES {
            return Err(Error::Pagination {
                message: format!(
                    "the server sent {MAX_EMPTY_PAGES} empty pages in a row, each with a new token"
                ),
            });
        }
        let same = count > 0
            && self
                .previous
                .as_ref()
                .is_some_and(|(previous, previous_token)| {
                    same_but_token(previous, previous_token, body, token)
                });
        self.repeated = if same { self.repeated + 1 } else { 0 };
        self.previous = Some((body.clone(), token.to_owned()));
        if self.repeated >= MAX_REPEATED_PAGES {
            return Err(Error::Pagination {
                message: format!(
                    "the server sent the same items {} times in a row, each time with a new token",
                    MAX_REPEATED_PAGES + 1
                ),
            });
        }
        Ok(same)
    }
}

/// A listing request as sent, and what came back.
struct Sent<Op> {
    asked: Op,
    exchange: Result<crate::attempt::Exchange>,
}

/// A page as it arrived: its body, not decoded yet, and where it sits in the
/// listing.
struct Fetched<Op: Paginated> {
    body: Bytes,
    status: reqwest::StatusCode,
    request_id: Option<String>,
    /// The token of the page after it (already checked and followed).
    next_token: Option<String>,
    /// The token this page was asked for with: where to resume if it fails.
    resume_token: Option<String>,
    raw: RawItems,
    strict: bool,
    /// The request this page answers.
    asked: Op,
}

impl<Op: Paginated> Fetched<Op> {
    /// The page decoded: whole on the good path (one parse), else item by
    /// item; its progress is checked by whoever takes it, in order.
    fn decode(self) -> Unchecked<Op::Item> {
        let resume_token = self.resume_token.clone();
        let body = self.body.clone();
        Unchecked {
            page: self.decode_page(),
            body,
            resume_token,
        }
    }

    fn decode_page(self) -> Result<Page<Op::Item>> {
        if self.raw == RawItems::Only {
            return self.raw_page();
        }
        // The raw items come from the item-by-item decoding only.
        let whole = if self.raw == RawItems::Keep {
            None
        } else {
            serde_json::from_slice::<Op::Output>(&self.body).ok()
        };
        let Decoded {
            items,
            skipped,
            raw_items,
        } = match whole {
            Some(output) => Decoded {
                items: Op::into_items(output),
                skipped: Vec::new(),
                raw_items: Vec::new(),
            },
            None => self.decode_items()?,
        };
        if self.strict
            && let Some(first) = skipped.first()
        {
            return Err(Error::Item(Box::new(first.clone())));
        }
        Ok(Page {
            items,
            skipped,
            next_token: self.next_token,
            request_id: self.request_id,
            raw_items,
        })
    }

    /// The page with its items as sent, none decoded ([`Request::raw_only`]).
    fn raw_page(self) -> Result<Page<Op::Item>> {
        let raw = self.asked.raw_page(&self.body).map_err(|_| Error::Decode {
            status: self.status,
            request_id: self.request_id.clone(),
            message: decode_failure::<Op::Output>(&self.body),
        })?;
        let raw_items = raw.items.into_iter().map(ToOwned::to_owned).collect();
        Ok(Page {
            items: Vec::new(),
            skipped: Vec::new(),
            next_token: self.next_token,
            request_id: self.request_id,
            raw_items,
        })
    }

    /// The page decoded item by item: the page itself (its token, its list)
    /// must decode; each item that does not becomes an [`Error::Item`]. Each
    /// item that does keeps its JSON with [`Request::keep_raw`].
    fn decode_items(&self) -> Result<Decoded<Op::Item>> {
        let (body, status, request_id) = (&self.body[..], self.status, self.request_id.as_deref());
        let raw = self.asked.raw_page(body).map_err(|_| Error::Decode {
            status,
            request_id: request_id.map(str::to_owned),
            message: decode_failure::<Op::Output>(body),
        })?;
        let mut items = Vec::with_capacity(raw.items.len());
        let mut skipped = Vec::new();
        let mut raw_items = Vec::new();
        for (index, item) in raw.items.iter().enumerate() {
            let mut deserializer = serde_json::Deserializer::from_str(item.get());
            match serde_path_to_error::deserialize::<_, Op::Item>(&mut deserializer) {
                Ok(decoded) => {
                    items.push(decoded);
                    if self.raw == RawItems::Keep {
                        raw_items.push((*item).to_owned());
                    }
                }
                Err(err) => {
                    let path = err.path().to_string();
                    skipped.push(BadItem {
                        index,
                        path,
                        message: err.into_inner().to_string(),
                        raw: item.get().to_owned(),
                        request_id: request_id.map(str::to_owned),
                    });
                }
            }
        }
        Ok(Decoded {
            items,
            skipped,
            raw_items,
        })
    }
}

/// A page decoded, before the check that it moves the listing on (which
/// takes the pages in order: see [`Progress`]).
struct Unchecked<T> {
    page: Result<Page<T>>,
    body: Bytes,
    resume_token: Option<String>,
}

impl<T> Unchecked<T> {
    /// The page, or an [`Error::Listing`] naming the token to resume from.
    fn checked(self, progress: &mut Progress) -> Result<Page<T>> {
        let Unchecked {
            page,
            body,
            resume_token,
        } = self;
        let page = page.and_then(|mut page| {
            if let Some(token) = &page.next_token
                // Raw-only pages have their items in raw_items alone.
                && progress.check(
                    &body,
                    page.items.len().max(page.raw_items.len()),
                    page.skipped.len(),
                    token,
                )?
            {
                // The same items again: given once, never twice.
                page.items.clear();
                page.skipped.clear();
                page.raw_items.clear();
            }
            Ok(page)
        });
        page.map_err(|err| Error::Listing {
            resume_token,
            source: Box::new(err),
        })
    }
}

/// A page's body, decoded.
struct Decoded<T> {
    items: Vec<T>,
    skipped: Vec<BadItem>,
    raw_items: Vec<Box<RawValue>>,
}

/// Whether two page bodies differ in no more than their tokens: the bytes
/// between their common prefix and common suffix fit in each token. The
/// comparison stops at the first differing byte from each end, so two pages of
/// different items cost a few bytes to tell apart.
fn same_but_token(a: &[u8], a_token: &str, b: &[u8], b_token: &str) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let room = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    // A token may be escaped on the wire (`\u00e9`): up to 6 bytes a character.
    let fits = |len: usize, token: &str| len - prefix - suffix <= token.len() * 6;
    fits(a.len(), a_token) && fits(b.len(), b_token)
}

/// The consumer's end of a prefetching task. The task starts on the first poll
/// (so building the stream needs no runtime) and stays at most `ahead` pages in
/// front of the consumer; dropping the stream aborts it, and with it any
/// request in flight.
///
/// The task follows each page's token as soon as the page arrives (read from
/// the end of its body, see [`Paginated::trailing_token`]), and asks for the
/// next page while this one is decoded. Who decodes depends on who waits:
/// when the consumer keeps up, it decodes the page it takes, as a `json()`
/// call would, while the task's next request is out; when it is behind (no
/// room ahead, so the task would only wait), the task decodes the page
/// meanwhile, and the consumer gets it ready. Decoding on the blocking pool
/// measured slower: its thread competed with the fetching on a busy machine,
/// and every page crossed threads twice.
enum Prefetched<Op: Paginated> {
    Idle {
        pager: Box<Pager<Op>>,
        ahead: usize,
        gate: Option<FirstPageGate>,
    },
    Running {
        rx: mpsc::Receiver<Result<Delivery<Op>>>,
        /// A page taken as it arrived, decoded on the next poll: in between,
        /// the consumer's task yields once, so that the prefetching task
        /// (woken by the room just made) sends its next request first.
        taken: Option<Fetched<Op>>,
        progress: Progress,
        _task: AbortOnDropHandle<()>,
    },
    /// No runtime to fetch on, or an error ended the listing: nothing more comes.
    Ended,
}

/// A page on its way to the consumer.
enum Delivery<Op: Paginated> {
    /// As it arrived: the consumer decodes it.
    Arrived(Fetched<Op>),
    /// Decoded by the task while the consumer was behind.
    Decoded(Unchecked<Op::Item>),
}

impl<Op: Paginated> Stream for Prefetched<Op> {
    type Item = Result<Page<Op::Item>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if matches!(this, Prefetched::Idle { .. }) {
            let Prefetched::Idle { pager, ahead, gate } =
                std::mem::replace(this, Prefetched::Ended)
            else {
                return Poll::Ready(None);
            };
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return Poll::Ready(Some(Err(Error::InvalidInput(
                    "a listing's stream must be polled inside a Tokio runtime \
                     (the SDK's HTTP client needs one)"
                        .into(),
                ))));
            };
            let (tx, rx) = mpsc::channel(ahead);
            let task = runtime.spawn(prefetch(*pager, tx, gate));
            *this = Prefetched::Running {
                rx,
                taken: None,
                progress: Progress::default(),
                _task: AbortOnDropHandle::new(task),
            };
        }
        let Prefetched::Running {
            rx,
            taken,
            progress,
            ..
        } = this
        else {
            return Poll::Ready(None);
        };
        let page = match taken.take() {
            Some(fetched) => fetched.decode().checked(progress),
            None => match std::task::ready!(rx.poll_recv(cx)) {
                Some(Ok(Delivery::Arrived(fetched))) => {
                    *taken = Some(fetched);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Some(Ok(Delivery::Decoded(page))) => page.checked(progress),
                Some(Err(err)) => Err(err),
                None => return Poll::Ready(None),
            },
        };
        if page.is_err() {
            // An error ends the listing: stop the task fetching ahead.
            *this = Prefetched::Ended;
        }
        Poll::Ready(Some(page))
    }
}

impl<Op: Paginated> Unpin for Prefetched<Op> {}

/// The prefetching task: fetches and follows pages into `tx`, one slot of it
/// reserved per page before its request, so no more than the channel's
/// capacity are ever ahead of the consumer. Fetching past the first page waits
/// for `gate`, if there is one.
async fn prefetch<Op: Paginated>(
    mut pager: Pager<Op>,
    tx: mpsc::Sender<Result<Delivery<Op>>>,
    mut gate: Option<FirstPageGate>,
) {
    let mut fetched_first = false;
    while let Ok(slot) = tx.reserve().await {
        if std::mem::replace(&mut fetched_first, true)
            && let Some(gate) = gate.take()
        {
            gate.opened().await;
        }
        let Some(fetched) = pager.next_raw().await else {
            break;
        };
        let delivery = fetched.map(|fetched| {
            // No room for another page: the consumer is behind, and this task
            // would only wait for it.
            if tx.capacity() == 0 {
                Delivery::Decoded(fetched.decode())
            } else {
                Delivery::Arrived(fetched)
            }
        });
        slot.send(delivery);
    }
}
