//! Local endpoints: one `ipinsights serve` process each, described by an [`EndpointRecord`] in
//! `{root}/endpoints/{name}.json`.
//!
//! A server is started with its standard input piped from the notebook kernel and never written to: when the
//! kernel exits, the pipe closes and the server stops (`--exit-with-stdin`), so no endpoint outlives its notebook.
//! `delete_endpoint` stops it earlier with SIGTERM, sent only to a process verified to be this endpoint's server
//! (see [`super::process`]), and waits until it no longer answers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use ipinsights_contract::{read_record, EndpointRecord, ReadyRecord};
use ipinsights_sagemaker_facts::utc::unix_millis;
use ipinsights_sagemaker_facts::validate_resource_name;

use super::process::EndpointProcess;
use crate::backend::Output;
use crate::error::{ErrorKind, Missing, Result, WorkshopError};

/// How long a server may take to load its model and answer `/ping`.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a stopped server may take to close its port.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The local endpoints under one root folder.
#[derive(Debug, Clone)]
pub struct Endpoints {
    dir: PathBuf,
}

/// Starts `binary serve` for `model_dir` under `name`, logging to `log_path`; it writes `ready_path` once it answers.
fn spawn_server(binary: &Path, name: &str, model_dir: &Path, ready_path: &Path, log_path: &Path) -> Result<Child> {
    let _ = std::fs::remove_file(ready_path);
    let log = std::fs::File::create(log_path).map_err(|e| WorkshopError::io("create", log_path, e))?;
    let mut child = Command::new(binary)
        .args(["serve", "--port", "0", "--exit-with-stdin", "--name", name])
        .arg("--model-dir")
        .arg(model_dir)
        .arg("--ready-file")
        .arg(ready_path)
        .stdin(Stdio::piped())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(|e| WorkshopError::io("start", binary, e))?;
    // Keep the write end of the server's stdin open for as long as this process lives (see the module docs).
    if let Some(stdin) = child.stdin.take() {
        std::mem::forget(stdin);
    }
    Ok(child)
}

/// Waits for `child`'s ready record (writing `-` every 250 ms): the record, once it names this process and endpoint;
/// an error (and `*`) when the server exits, names another, or is not ready within [`READY_TIMEOUT`].
fn wait_until_ready(
    child: &mut Child,
    name: &str,
    ready_path: &Path,
    log_path: &Path,
    out: Output<'_>,
) -> Result<ReadyRecord> {
    let started = Instant::now();
    loop {
        if ready_path.exists() {
            let ready: ReadyRecord = read_record(ready_path)
                .map_err(|e| WorkshopError::context(format!("endpoint {name} did not start cleanly"), e))?;
            if ready.pid != child.id() || ready.endpoint_name != name {
                let _ = child.kill();
                out("*\n");
                return Err(WorkshopError::new(format!(
                    "endpoint {name}: the ready record names endpoint {} in process {}, but the server started is \
                     process {}",
                    ready.endpoint_name,
                    ready.pid,
                    child.id()
                )));
            }
            return Ok(ready);
        }
        if let Some(status) = child.try_wait()? {
            out("*\n");
            let log = std::fs::read_to_string(log_path).unwrap_or_default();
            let reason = log.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no output");
            let message = format!("endpoint {name} failed to start ({status}): {reason}");
            let kind = ErrorKind::EndpointFailed { endpoint_name: name.to_string(), reason: reason.to_string() };
            return Err(WorkshopError::of(kind, message));
        }
        if started.elapsed() > READY_TIMEOUT {
            let _ = child.kill();
            out("*\n");
            return Err(WorkshopError::new(format!(
                "endpoint {name} did not become ready within {} s; see {}",
                READY_TIMEOUT.as_secs(),
                log_path.display()
            )));
        }
        out("-");
        std::thread::sleep(Duration::from_millis(250));
    }
}

impl Endpoints {
    /// The endpoints of the local backend rooted at `root`.
    pub fn new(root: &Path) -> Self {
        Endpoints { dir: root.join("endpoints") }
    }

    /// The file `{name}{suffix}` in the registry; names are SageMaker names, so they never leave the folder.
    fn file(&self, name: &str, suffix: &str) -> Result<PathBuf> {
        validate_resource_name("endpoint", name)?;
        Ok(self.dir.join(format!("{name}{suffix}")))
    }

    /// Starts a server for `model_dir` with `binary`, writing `-` while it starts and `!` once it answers.
    pub fn create(&self, binary: &Path, name: &str, model_dir: &Path, out: Output<'_>) -> Result<EndpointRecord> {
        let (ready_path, log_path, record_path) =
            (self.file(name, ".ready.json")?, self.file(name, ".log")?, self.file(name, ".json")?);
        if record_path.exists() {
            return Err(WorkshopError::new(format!("Cannot create already existing endpoint \"{name}\"")));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| WorkshopError::io("create", &self.dir, e))?;
        let mut child = spawn_server(binary, name, model_dir, &ready_path, &log_path)?;
        let ready = wait_until_ready(&mut child, name, &ready_path, &log_path, out)?;
        out("!\n");
        let record = EndpointRecord {
            endpoint_name: name.into(),
            url: ready.url,
            pid: ready.pid,
            model_dir: model_dir.to_path_buf(),
            creation_time: unix_millis(SystemTime::now()).0,
        };
        let json = ipinsights_contract::encode(&record);
        ipinsights_engine::atomic::write_atomically(&record_path, |w| std::io::Write::write_all(w, json.as_bytes()))?;
        Ok(record)
    }

    /// Whether an endpoint of that name exists (its record is there).
    pub fn exists(&self, name: &str) -> Result<bool> {
        Ok(self.file(name, ".json")?.is_file())
    }

    /// The record of a live endpoint.
    pub fn find(&self, name: &str) -> Result<EndpointRecord> {
        let path = self.file(name, ".json")?;
        if !path.is_file() {
            return Err(not_found(name));
        }
        read_record(&path).map_err(|e| WorkshopError::context(format!("endpoint record of {name}"), e))
    }

    /// Stops an endpoint's server and removes its record; an unknown or already deleted endpoint is an error. A
    /// record whose process is not (or no longer) this endpoint's server is removed without signalling anything.
    pub fn delete(&self, name: &str) -> Result<()> {
        let record = self.find(name)?;
        let path = self.file(name, ".json")?;
        std::fs::remove_file(&path).map_err(|e| WorkshopError::io("remove", &path, e))?;
        let _ = std::fs::remove_file(self.file(name, ".ready.json")?);
        let Some(server) = EndpointProcess::verify(record.pid, name, &record.model_dir) else {
            return Ok(()); // already gone with the kernel that started it, or a record that lies
        };
        server.terminate().map_err(|e| WorkshopError::context(format!("cannot stop endpoint {name}"), e))?;
        let started = Instant::now();
        while answers(&record.url) {
            if started.elapsed() > STOP_TIMEOUT {
                return Err(WorkshopError::new(format!(
                    "endpoint {name} (pid {}) did not stop within {} s",
                    server.pid(),
                    STOP_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server.reap();
        Ok(())
    }
}

/// The error for an endpoint that does not exist.
pub(crate) fn not_found(name: &str) -> WorkshopError {
    let message = format!("Could not find endpoint \"{name}\": it does not exist or was already deleted");
    WorkshopError::not_found(Missing::Endpoint, name, message)
}

/// Whether something still accepts connections at `url` (`http://IP:PORT`).
fn answers(url: &str) -> bool {
    let Some(addr) = url.strip_prefix("http://") else { return false };
    let Ok(addr) = addr.trim_end_matches('/').parse::<std::net::SocketAddr>() else { return false };
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record on disk claiming `pid` is the server of endpoint `name`.
    fn plant(endpoints: &Endpoints, name: &str, pid: u32, url: &str) {
        std::fs::create_dir_all(&endpoints.dir).unwrap();
        let record = EndpointRecord {
            endpoint_name: name.into(),
            url: url.into(),
            pid,
            model_dir: "/m".into(),
            creation_time: 0,
        };
        std::fs::write(endpoints.file(name, ".json").unwrap(), ipinsights_contract::encode(&record)).unwrap();
    }

    #[test]
    fn hostile_records_signal_nothing() {
        let root = tempfile::tempdir().unwrap();
        let endpoints = Endpoints::new(root.path());
        let mut bystander = Command::new("sleep").arg("30").spawn().unwrap();
        // A server-looking URL that answers, so a delete that trusted the record would wait on it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let pids = [0, u32::MAX, i32::MAX as u32 + 1, 1, std::process::id(), bystander.id()];
        for (i, pid) in pids.into_iter().enumerate() {
            let name = format!("hostile-{i}");
            plant(&endpoints, &name, pid, &url);
            endpoints.delete(&name).unwrap();
            assert!(endpoints.find(&name).is_err(), "the record is gone");
        }
        assert!(bystander.try_wait().unwrap().is_none(), "the bystander process was not signalled");
        bystander.kill().unwrap();
        bystander.wait().unwrap();
    }

    #[test]
    fn names_cannot_leave_the_registry_and_damaged_records_are_errors() {
        let root = tempfile::tempdir().unwrap();
        let endpoints = Endpoints::new(root.path());
        let err = endpoints.find("../../etc/passwd").unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Validation, "{err}");
        assert!(err.to_string().starts_with("invalid endpoint name"), "{err}");
        let err = endpoints.delete("no-such-endpoint").unwrap_err();
        let missing = ErrorKind::NotFound { what: Missing::Endpoint, name: "no-such-endpoint".into() };
        assert_eq!(err.kind(), &missing, "{err}");
        assert!(err.to_string().contains("does not exist or was already deleted"), "{err}");
        std::fs::create_dir_all(&endpoints.dir).unwrap();
        std::fs::write(endpoints.file("old", ".json").unwrap(), r#"{"name": "old", "url": "u", "pid": 7}"#).unwrap();
        let err = endpoints.find("old").unwrap_err().to_string();
        assert!(err.starts_with("endpoint record of old:") && err.contains("version"), "{err}");
    }
}
