//! Requests HTTP clients will not send: a stalled head, a body announced but never sent, a trickled body.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connects, sends a request line and one header, then nothing; returns how long until the server closed the
/// connection (`None` if it was still open after `limit`).
pub async fn slowloris(addr: SocketAddr, limit: Duration) -> Result<Option<Duration>, String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    let sent = Instant::now();
    tcp.write_all(b"POST /invocations HTTP/1.1\r\nHost: loadgen\r\n").await.map_err(|e| e.to_string())?;
    Ok(wait_closed(&mut tcp, limit).await.map(|()| sent.elapsed()))
}

/// Reads until EOF or reset (`Some`), or until `limit` passes (`None`).
pub async fn wait_closed(tcp: &mut TcpStream, limit: Duration) -> Option<()> {
    let mut sink = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match tcp.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// Sends `head` (a complete request head) and the `pieces` of its body `pause` apart, then reads the whole answer
/// (the head must ask for `Connection: close`); returns the answer's status line.
pub async fn request(
    addr: SocketAddr,
    head: &[u8],
    pieces: &[&[u8]],
    pause: Duration,
    limit: Duration,
) -> Result<String, String> {
    let exchange = async {
        let mut tcp = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        tcp.write_all(head).await.map_err(|e| e.to_string())?;
        for piece in pieces {
            tokio::time::sleep(pause).await;
            if tcp.write_all(piece).await.is_err() {
                break; // the server answered early and closed; read what it said
            }
        }
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer);
        Ok::<_, String>(text.lines().next().unwrap_or("").to_string())
    };
    tokio::time::timeout(limit, exchange).await.map_err(|_| format!("no answer within {limit:?}"))?
}
