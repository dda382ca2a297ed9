//! Listings as streams, for every operation the document marks as one (it takes
//! `paginationToken` and answers `nextPaginationToken`): written once, generic
//! over the operation.

use std::collections::HashSet;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt, TryStreamExt, stream};
use scenario_api::Paginated;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::request::{Request, execute};

/// One page of a listing.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of the page, in the server's order.
    pub items: Vec<T>,
    /// The token that resumes the listing after this page (pass it to the
    /// listing's `pagination_token` setter); `None` on the last page.
    pub next_token: Option<String>,
    /// The server's id for the request that returned this page.
    pub request_id: Option<String>,
}

impl<Op: Paginated> Request<Op> {
    /// How many pages may be fetched ahead of the one being consumed (1 by
    /// default; 0 fetches each page only when the previous one is used up).
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    /// Every item of every page, in order.
    ///
    /// The stream ends after the last page, or after yielding an error.
    pub fn stream(self) -> impl Stream<Item = Result<Op::Item>> + Send + Unpin + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// The listing page by page; each page carries the token that resumes after it.
    ///
    /// The stream ends after the last page, or after yielding an error. While the
    /// caller works on a page, the next one is fetched (see [`Self::prefetch`]);
    /// dropping the stream stops all fetching. Polling it needs a Tokio runtime.
    pub fn pages(self) -> impl Stream<Item = Result<Page<Op::Item>>> + Send + Unpin + 'static {
        let prefetch = self.prefetch;
        let pager = Pager::new(self);
        if prefetch == 0 {
            Box::pin(stream::unfold(pager, |mut pager| async move {
                pager.next().await.map(|page| (page, pager))
            }))
            .left_stream()
        } else {
            Prefetched::Idle {
                pager: Box::new(pager),
                ahead: prefetch,
            }
            .right_stream()
        }
    }
}

/// Walks the pages: knows where it is and refuses to go round in circles.
struct Pager<Op> {
    request: Request<Op>,
    seen: HashSet<String>,
    done: bool,
}

impl<Op: Paginated> Pager<Op> {
    fn new(request: Request<Op>) -> Self {
        let seen = request
            .op
            .pagination_token()
            .map(str::to_owned)
            .into_iter()
            .collect();
        Self {
            request,
            seen,
            done: false,
        }
    }

    async fn next(&mut self) -> Option<Result<Page<Op::Item>>> {
        if self.done {
            return None;
        }
        let (reply, _) = execute(&self.request.client, &self.request.op, None).await;
        let page = reply.and_then(|reply| {
            // An empty token means "no more pages", like a missing one.
            let next_token = Op::next_token(&reply.value)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            match &next_token {
                None => self.done = true,
                Some(token) if !self.seen.insert(token.clone()) => {
                    return Err(Error::Pagination {
                        message: format!(
                            "the server returned the pagination token {token:?} a second time"
                        ),
                    });
                }
                Some(token) => self.request.op.set_pagination_token(Some(token.clone())),
            }
            Ok(Page {
                items: Op::into_items(reply.value),
                next_token,
                request_id: reply.request_id,
            })
        });
        if page.is_err() {
            self.done = true;
        }
        Some(page)
    }
}

/// The consumer's end of a prefetching task. The task starts on the first poll
/// (so building the stream needs no runtime) and stays at most `ahead` pages in
/// front of the consumer; dropping the stream aborts it, and with it any
/// request in flight.
enum Prefetched<Op: Paginated> {
    Idle {
        pager: Box<Pager<Op>>,
        ahead: usize,
    },
    Running {
        rx: mpsc::Receiver<Result<Page<Op::Item>>>,
        _task: AbortOnDrop,
    },
    /// No runtime to fetch on: the error was yielded, nothing more comes.
    Ended,
}

impl<Op: Paginated> Stream for Prefetched<Op> {
    type Item = Result<Page<Op::Item>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if matches!(this, Prefetched::Idle { .. }) {
            let Prefetched::Idle { pager, ahead } = std::mem::replace(this, Prefetched::Ended)
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
            let mut pager = pager;
            let task = runtime.spawn(async move {
                // Reserve a slot before fetching: a page is only fetched when there
                // is room for it, so no more than `ahead` pages wait for the consumer.
                while let Ok(slot) = tx.reserve().await {
                    match pager.next().await {
                        Some(page) => slot.send(page),
                        None => break,
                    }
                }
            });
            *this = Prefetched::Running {
                rx,
                _task: AbortOnDrop(task),
            };
        }
        match this {
            Prefetched::Running { rx, .. } => rx.poll_recv(cx),
            _ => Poll::Ready(None),
        }
    }
}

impl<Op: Paginated> Unpin for Prefetched<Op> {}

/// Aborts the prefetching task (and any request in flight) when the stream is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
