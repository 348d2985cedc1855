//! Running a server: on the caller's runtime ([`serve`]) or on its own thread ([`spawn_endpoint`]).

use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::{router, EndpointState, ServerConfig};

/// Serves the endpoint on `listener` until `shutdown` completes, then drains in-flight requests
/// for at most `config.shutdown_grace`.
pub async fn serve(
    listener: TcpListener,
    state: EndpointState,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (began_tx, began_rx) = oneshot::channel::<()>();
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = router(state, config.max_body_bytes);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = began_tx.send(());
    });
    let grace = config.shutdown_grace;
    tokio::select! {
        result = server.into_future() => result,
        () = async move {
            match began_rx.await {
                Ok(()) => tokio::time::sleep(grace).await,
                Err(_) => std::future::pending().await,
            }
        } => Ok(()),
    }
}

/// A server running on its own thread and runtime; dropping it shuts the server down gracefully.
#[derive(Debug)]
pub struct EndpointHandle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

/// Binds `config.addr` and serves `state` on a new thread with its own tokio runtime; returns once
/// the socket is bound (the handle reports the real port when `config.addr` has port 0).
pub fn spawn_endpoint(config: &ServerConfig, state: EndpointState) -> io::Result<EndpointHandle> {
    let config = config.clone();
    let (bound_tx, bound_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name("ipinsights-endpoint".into()).spawn(move || {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = config.worker_threads {
            builder.worker_threads(n.max(1));
        }
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
            serve(listener, state, &config, shutdown).await
        });
        runtime.shutdown_timeout(Duration::from_secs(1));
        result
    })?;
    match bound_rx.recv() {
        Ok(Ok(addr)) => Ok(EndpointHandle { addr, stop: Some(stop_tx), thread: Some(thread) }),
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
