//! Running a server: on the caller's runtime ([`serve`]) or on its own thread ([`spawn_endpoint`]).
//!
//! The accept loop hands each connection to [`crate::conn`] (timeouts of every phase) up to the connection cap;
//! past it, a connection gets a short 503 answer with `Retry-After` and is closed. Shutdown stops accepting at
//! once, lets in-flight requests finish for the grace period, then returns.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify, Semaphore};

use crate::config::default_worker_threads;
use crate::conn::serve_connection;
use crate::error::RETRY_AFTER_SECS;
use crate::{router, ApiError, EndpointState, ServerConfig};

/// Refused connections being answered at once; more are closed without an answer.
const MAX_REFUSALS: usize = 64;
/// Longest time spent answering a refused connection.
const REFUSAL_TIME: Duration = Duration::from_secs(1);
/// Pause after the process ran out of file descriptors before accepting again.
const FD_EXHAUSTED_PAUSE: Duration = Duration::from_millis(20);

/// Serves the endpoint on `listener` until `shutdown` completes, then drains in-flight requests
/// for at most `config.shutdown_grace`. The listener's address must pass [`ServerConfig::validate`].
pub async fn serve(
    listener: TcpListener,
    state: EndpointState,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    ServerConfig { addr: listener.local_addr()?, ..config.clone() }.validate()?;
    let cap = crate::limits::connection_cap(config.max_connections);
    serve_with_cap(listener, state, config, cap, shutdown).await
}

async fn serve_with_cap(
    listener: TcpListener,
    state: EndpointState,
    config: &ServerConfig,
    cap: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let app = router(state, config);
    let open = Arc::new(OpenConnections::default());
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, _)) => {
                let _ = tcp.set_nodelay(true);
                match open.enter(cap) {
                    Some(guard) => {
                        let (app, stop_rx) = (app.clone(), stop_rx.clone());
                        let timeouts = config.timeouts;
                        tokio::spawn(async move {
                            let _guard = guard;
                            serve_connection(tcp, app, timeouts, stop_rx).await;
                        });
                    }
                    None => refuse(tcp, &refusals, cap),
                }
            }
            Err(e) if out_of_descriptors(&e) => tokio::time::sleep(FD_EXHAUSTED_PAUSE).await,
            Err(_) => {} // the client gave up before we accepted it (ECONNABORTED and the like)
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(config.shutdown_grace, open.all_closed()).await;
    Ok(())
}

/// Counts open connections and wakes whoever waits for none.
#[derive(Default)]
struct OpenConnections {
    count: AtomicUsize,
    none: Notify,
}

/// One open connection; dropping it closes the count.
struct Open(Arc<OpenConnections>);

impl OpenConnections {
    /// Counts a new connection, unless `cap` are open.
    fn enter(self: &Arc<Self>, cap: usize) -> Option<Open> {
        self.count.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < cap).then_some(n + 1)).ok()?;
        Some(Open(self.clone()))
    }

    async fn all_closed(&self) {
        loop {
            let notified = self.none.notified();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.none.notify_waiters();
        }
    }
}

/// Answers a connection past the cap with 503 `ServiceUnavailable`, `Retry-After` and `Connection: close`, then
/// closes it; the request is read and dropped (briefly) so the client sees the answer, not a reset.
fn refuse(mut tcp: TcpStream, refusals: &Arc<Semaphore>, cap: usize) {
    let Ok(permit) = refusals.clone().try_acquire_owned() else { return };
    let error = ApiError::overloaded(format!("the endpoint is serving its maximum of {cap} connections, retry later"));
    let body = error.body();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nx-amzn-errortype: {}\r\n\
         retry-after: {RETRY_AFTER_SECS}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        error.error_type,
        body.len()
    );
    tokio::spawn(async move {
        let _permit = permit;
        let _ = tokio::time::timeout(REFUSAL_TIME, async {
            tcp.write_all(answer.as_bytes()).await?;
            tcp.shutdown().await?;
            let mut sink = [0u8; 4096];
            while tcp.read(&mut sink).await? > 0 {}
            Ok::<_, io::Error>(())
        })
        .await;
    });
}

/// Whether accepting failed because the process or the system has no file descriptor left.
fn out_of_descriptors(e: &io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// A server running on its own thread and runtime; dropping it shuts the server down gracefully.
#[derive(Debug)]
pub struct EndpointHandle {
    addr: SocketAddr,
    max_connections: usize,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

/// Binds `config.addr` and serves `state` on a new thread with its own tokio runtime; returns once
/// the socket is bound (the handle reports the real port when `config.addr` has port 0).
pub fn spawn_endpoint(config: &ServerConfig, state: EndpointState) -> io::Result<EndpointHandle> {
    config.validate()?;
    let config = config.clone();
    let cap = crate::limits::connection_cap(config.max_connections);
    let (bound_tx, bound_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("ipinsights-endpoint".into()).spawn(move || {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(config.worker_threads.unwrap_or_else(default_worker_threads).max(1));
        let runtime = builder.thread_name("ipinsights-endpoint-worker").enable_all().build()?;
        let result = runtime.block_on(async {
            let listener = match TcpListener::bind(config.addr).await.and_then(|l| Ok((l.local_addr()?, l))) {
                Ok((addr, listener)) => {
                    let _ = bound_tx.send(Ok(addr));
                    listener
                }
                Err(e) => {
                    let _ = bound_tx.send(Err(e));
                    return Ok(());
                }
            };
            let ctrl_c = config.shutdown_on_ctrl_c;
            let shutdown = async move {
                tokio::select! {
                    _ = stop_rx => {}
                    Ok(()) = tokio::signal::ctrl_c(), if ctrl_c => {}
                }
            };
            serve_with_cap(listener, state, &config, cap, shutdown).await
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
        result
    })?;
    match bound_rx.recv() {
        Ok(Ok(addr)) => Ok(EndpointHandle { addr, max_connections: cap, stop: Some(stop_tx), thread: Some(thread) }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(thread.join().map_or_else(
            |_| io::Error::other("the endpoint thread panicked"),
            |r| r.err().unwrap_or_else(|| io::Error::other("the endpoint thread ended before binding")),
        )),
    }
}

impl EndpointHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL (`/ping`, `/invocations`, `/endpoints/{name}/invocations`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The connection cap in force: the configured one, lowered to fit the process's open-file limit.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// Shuts the server down gracefully and waits for its thread.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    /// Waits until the server stops by itself (ctrl-c, if configured), without asking it to stop.
    pub fn join(mut self) -> io::Result<()> {
        let _keep_running = self.stop.take(); // dropping the sender would stop the server
        self.join_thread()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join_thread()
    }

    fn join_thread(&mut self) -> io::Result<()> {
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_else(|_| Err(io::Error::other("the endpoint thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for EndpointHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}
