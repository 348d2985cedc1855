//! Binding, readiness, graceful shutdown.

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use ipinsights_protocol::{Pair, ScoreError};
use ipinsights_server::{spawn_endpoint, EndpointState, Scorer, ServerConfig};

use crate::common::{get, post, start, NAME};

#[test]
fn port_zero_binds_loopback_and_shutdown_frees_the_port() {
    let server = start();
    let addr = server.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    assert_eq!(get(&format!("{}/ping", server.url())).status, 200);
    let taken = spawn_endpoint(&ServerConfig::localhost(addr.port()), EndpointState::loading(NAME));
    assert_eq!(taken.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    server.shutdown().unwrap();
    assert!(TcpStream::connect(addr).is_err(), "nothing listens after shutdown");
    TcpListener::bind(addr).expect("the port is free again");
}

#[test]
fn dropping_the_handle_stops_the_server() {
    let addr = start().addr();
    assert!(TcpStream::connect(addr).is_err());
}

/// Blocks in `score_pairs` until released, telling the test when it got there.
struct Gate {
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
}

impl Scorer for Gate {
    fn describe(&self) -> String {
        "gate".into()
    }
    fn dot_products(&self, pairs: &[Pair<'_>]) -> Result<Vec<f32>, ScoreError> {
        self.entered.lock().unwrap().send(()).unwrap();
        self.release.lock().unwrap().recv().unwrap();
        Ok(vec![0.5; pairs.len()])
    }
}

#[test]
fn shutdown_lets_in_flight_requests_finish() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let gate = Gate { entered: Mutex::new(entered_tx), release: Mutex::new(release_rx) };
    let server = spawn_endpoint(&ServerConfig::localhost(0), EndpointState::ready(NAME, Arc::new(gate))).unwrap();
    let url = format!("{}/invocations", server.url());
    let addr = server.addr();
    let request = std::thread::spawn(move || post(&url, Some("text/csv"), None, b"a,1.2.3.4\n"));
    entered_rx.recv().unwrap(); // the request is being scored
    let stopping = std::thread::spawn(move || server.shutdown());
    // New connections are refused once the server stops accepting (it does so before draining).
    while TcpStream::connect(addr).is_ok() {
        std::thread::yield_now();
    }
    release_tx.send(()).unwrap();
    let answer = request.join().unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, br#"{"predictions":[{"dot_product":0.5}]}"#);
    stopping.join().unwrap().unwrap();
}
