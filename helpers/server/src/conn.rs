//! One connection's life: hyper serves its requests while a watchdog closes it when a phase overruns.
//!
//! A connection is always in one phase, each with a deadline counted from when the phase began:
//!
//! | phase | begins | deadline |
//! |---|---|---|
//! | head | at accept, or at the first byte of a later request | `header_read` (slowloris) |
//! | idle | when an answer has been written (keep-alive) | `keep_alive_idle` |
//! | busy | when a request head is complete | `invocation + response_write` (a backstop: the handler answers within `invocation`) |
//!
//! A client that half-closes (shuts down its sending side after a complete request) still gets its answer;
//! the connection closes once it is written. Deadlines are not reset by activity, so trickling bytes buys nothing. Past a deadline the connection is
//! dropped, which closes the socket. hyper's own `header_read_timeout` is not used: it also starts when a
//! connection goes idle, which would make the keep-alive idle time equal the head time.
//!
//! A phase change costs two atomic stores: the watchdog is not woken by it, but re-reads the deadline at least
//! every `step`, the shortest phase. That closes every connection exactly on time: a phase that begins at `t`
//! ends no earlier than `t + step`, and the watchdog's next look is no later than that.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::Response;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::Timeouts;

const HEAD: u8 = 0;
const IDLE: u8 = 1;
const BUSY: u8 = 2;

/// Largest request head (request line and headers); SageMaker's requests carry a few short headers.
const MAX_HEAD_BYTES: usize = 32 * 1024;

/// The phase of one connection and when it began, shared by its socket, its service and its watchdog.
#[derive(Debug)]
pub(crate) struct Clock {
    epoch: Instant,
    phase: AtomicU8,
    since_ms: AtomicU64,
}

impl Clock {
    /// A connection accepted now: waiting for its first head.
    pub(crate) fn new() -> Self {
        Self { epoch: Instant::now(), phase: AtomicU8::new(HEAD), since_ms: AtomicU64::new(0) }
    }

    fn enter(&self, phase: u8) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(now, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// When the current phase ends.
    fn deadline(&self, timeouts: &Timeouts) -> Instant {
        let since = self.epoch + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        since
            + match self.phase.load(Ordering::Acquire) {
                HEAD => timeouts.header_read,
                IDLE => timeouts.keep_alive_idle,
                _ => timeouts.invocation + timeouts.response_write,
            }
    }
}

/// The socket, telling the clock when a kept-alive connection starts receiving its next request.
pub(crate) struct Watched {
    io: TcpStream,
    clock: Arc<Clock>,
}

impl Watched {
    pub(crate) fn new(io: TcpStream, clock: Arc<Clock>) -> Self {
        Self { io, clock }
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before && self.clock.phase.load(Ordering::Acquire) == IDLE {
            self.clock.enter(HEAD);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The router as one connection's hyper service: a request makes the connection busy until its answer's body
/// has been handed to the socket.
#[derive(Clone)]
struct Service {
    router: Router,
    clock: Arc<Clock>,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Service {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.clock.enter(BUSY);
        let busy = Busy(self.clock.clone());
        // A Router is always ready (its poll_ready returns Ready), so it may be called directly.
        let answer = tower_service::Service::call(&mut self.router.clone(), request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| Body::new(Tracked { body, _busy: busy })))
        })
    }
}

/// Marks the connection idle when dropped (with the answer's body, or with an abandoned request).
struct Busy(Arc<Clock>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.enter(IDLE);
    }
}

/// An answer's body that keeps its connection busy while it is being written.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }
    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Serves one accepted connection until the client closes it, a phase overruns, or shutdown finishes it.
pub(crate) async fn serve_connection(
    tcp: TcpStream,
    router: Router,
    timeouts: Timeouts,
    mut shutdown: watch::Receiver<bool>,
) {
    let clock = Arc::new(Clock::new());
    let io = hyper_util::rt::TokioIo::new(Watched::new(tcp, clock.clone()));
    let service = Service { router, clock: clock.clone() };
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        // A client may shut down its sending side once its request is complete (`nc -N`, socat, some proxies) and
        // still wait for the answer: an end of input is not the end of the exchange.
        .half_close(true)
        .max_header_size(MAX_HEAD_BYTES)
        .header_read_timeout(None)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut draining = *shutdown.borrow();
    if draining {
        connection.as_mut().graceful_shutdown();
    }
    let step = timeouts.header_read.min(timeouts.keep_alive_idle).min(timeouts.invocation + timeouts.response_write);
    let next_check = |now: Instant| clock.deadline(&timeouts).min(now + step);
    let watchdog = tokio::time::sleep_until(next_check(Instant::now()));
    tokio::pin!(watchdog);
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            () = watchdog.as_mut() => {
                let now = Instant::now();
                if clock.deadline(&timeouts) <= now {
                    return; // dropping the connection closes the socket
                }
                watchdog.as_mut().reset(next_check(now));
            }
            _ = shutdown.changed(), if !draining => {
                // Shutdown began (or the server is gone): finish the request in progress, take no other.
                draining = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
