//! Local endpoints: `ipinsights serve` processes, one per endpoint, recorded in `{local_root}/endpoints/`.
//!
//! An endpoint process is started with its standard input piped from the notebook kernel and never written to:
//! when the kernel exits, the pipe closes and the server stops (`--exit-with-stdin`), so no endpoint outlives the
//! notebook. `delete_endpoint` stops it earlier with SIGTERM and waits until it no longer answers.

use crate::error::{Result, WorkshopError};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where a local endpoint is: its record in the registry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndpointRecord {
    /// Endpoint name.
    pub name: String,
    /// Base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// Server process id.
    pub pid: u32,
    /// The model directory it serves.
    pub model_dir: PathBuf,
}

fn registry(root: &Path) -> PathBuf {
    root.join("endpoints")
}

fn record_path(root: &Path, name: &str) -> PathBuf {
    registry(root).join(format!("{name}.json"))
}

/// Starts an endpoint serving `model_dir`, printing `-` while it starts and `!` once it answers.
pub fn create(
    binary: &Path,
    root: &Path,
    name: &str,
    model_dir: &Path,
    out: &mut dyn FnMut(&str),
) -> Result<EndpointRecord> {
    let dir = registry(root);
    std::fs::create_dir_all(&dir)?;
    let ready = dir.join(format!("{name}.ready.json"));
    let _ = std::fs::remove_file(&ready);
    let log_path = dir.join(format!("{name}.log"));
    let log = std::fs::File::create(&log_path)?;
    let mut child = Command::new(binary)
        .args(["serve", "--port", "0", "--exit-with-stdin", "--name", name])
        .arg("--model-dir")
        .arg(model_dir)
        .arg("--ready-file")
        .arg(&ready)
        .stdin(Stdio::piped())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| WorkshopError::context(format!("cannot start {}", binary.display()), e))?;
    // Keep the write end of the server's stdin open for as long as this process lives (see the module docs).
    if let Some(stdin) = child.stdin.take() {
        std::mem::forget(stdin);
    }
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            let info: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| WorkshopError::context("bad ready file", e))?;
            let url = info["url"].as_str().unwrap_or_default().to_string();
            out("!");
            let record = EndpointRecord { name: name.into(), url, pid: child.id(), model_dir: model_dir.to_path_buf() };
            let path = record_path(root, name);
            ipinsights_engine::atomic::write_atomically(&path, |w| {
                serde_json::to_writer(w, &record).map_err(std::io::Error::other)
            })?;
            return Ok(record);
        }
        if let Some(status) = child.try_wait()? {
            out("*");
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let reason =
                log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output").trim_start_matches("error: ");
            return Err(WorkshopError::new(format!("endpoint {name} failed to start ({status}): {reason}")));
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            out("*");
            return Err(WorkshopError::new(format!(
                "endpoint {name} did not become ready within 120 s; see {}",
                log_path.display()
            )));
        }
        out("-");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The record of a live endpoint.
pub fn find(root: &Path, name: &str) -> Result<EndpointRecord> {
    let text = std::fs::read_to_string(record_path(root, name)).map_err(|_| {
        WorkshopError::new(format!("Could not find endpoint \"{name}\": it does not exist or was already deleted"))
    })?;
    serde_json::from_str(&text).map_err(|e| WorkshopError::context(format!("endpoint record of {name} is damaged"), e))
}

/// Stops an endpoint and removes its record; an unknown or already deleted endpoint is an error.
pub fn delete(root: &Path, name: &str) -> Result<()> {
    let record = find(root, name)?;
    let _ = std::fs::remove_file(record_path(root, name));
    if is_our_server(record.pid, name) {
        // SAFETY: kill(2) with a pid and a signal number has no memory-safety preconditions.
        unsafe {
            libc::kill(record.pid as libc::pid_t, libc::SIGTERM);
        }
    }
    let started = Instant::now();
    while answers(&record.url) {
        if started.elapsed() > Duration::from_secs(20) {
            return Err(WorkshopError::new(format!("endpoint {name} (pid {}) did not stop within 20 s", record.pid)));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reap(record.pid);
    Ok(())
}

/// Whether `pid` is still the `ipinsights serve` process of endpoint `name` (Linux: checked in /proc).
fn is_our_server(pid: u32, name: &str) -> bool {
    match std::fs::read(format!("/proc/{pid}/cmdline")) {
        Ok(cmdline) => {
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            args.contains(&b"serve".as_slice()) && args.contains(&name.as_bytes())
        }
        Err(_) => !Path::new("/proc/self").exists(), // no /proc: trust the record
    }
}

/// Whether the endpoint still accepts connections.
fn answers(url: &str) -> bool {
    let Some(addr) = url.strip_prefix("http://") else { return false };
    let Ok(addr) = addr.trim_end_matches('/').parse::<std::net::SocketAddr>() else { return false };
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Collects the exit status of a stopped child so it does not linger as a zombie (no-op if not our child).
fn reap(pid: u32) {
    let mut status = 0;
    for _ in 0..100 {
        // SAFETY: waitpid with WNOHANG on a pid only reads the status into a local integer.
        let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
        if r != 0 {
            return; // reaped, or not our child (-1)
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
