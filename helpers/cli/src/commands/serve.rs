//! `ipinsights serve`: a model behind SageMaker's inference protocol on HTTP.
//!
//! Prints `Endpoint NAME listening on http://ADDR` once the model is loaded and `/ping` answers 200. For tools that
//! start it as a child process (the notebooks' local `deploy`): `--ready-file` receives the process contract's
//! `ReadyRecord` (`{"version", "endpoint_name", "url", "pid"}`, see `ipinsights-contract`) atomically at that
//! moment, and `--exit-with-stdin` stops the server when its standard input closes (so an
//! endpoint never outlives the process that started it). SIGTERM and ctrl-c stop it gracefully.
//!
//! It listens on 127.0.0.1 only, unless `--host` names another address *and* `--allow-remote` is given (the
//! endpoint has no authentication; a warning says so). Every phase of a connection has a deadline (see
//! `ipinsights_server::Timeouts` for the defaults), and connections are capped (`--max-connections`).

use anyhow::{Context, Result};
use ipinsights_contract::ReadyRecord;
use ipinsights_engine::Model;
use ipinsights_server::{spawn_endpoint, EndpointState, ServerConfig, Timeouts};
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Model directory (holding model.ipinsights or model.tar.gz).
    #[arg(long)]
    model_dir: PathBuf,
    /// Port to listen on; 0 picks a free port.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to bind; anything but loopback also needs --allow-remote.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Allow a non-loopback --host. The endpoint has no authentication: anyone who reaches the port can use it.
    #[arg(long)]
    allow_remote: bool,
    /// Most connections served at once (503 with Retry-After past it); lowered to fit the open-file limit.
    #[arg(long, default_value_t = ServerConfig::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send a complete request head (slowloris protection), 1 to 3600.
    #[arg(long, value_name = "SECONDS", value_parser = seconds("--header-timeout"), default_value = "10")]
    header_timeout: Duration,
    /// Seconds an idle kept-alive connection stays open, 1 to 3600.
    #[arg(long, value_name = "SECONDS", value_parser = seconds("--idle-timeout"), default_value = "60")]
    idle_timeout: Duration,
    /// Seconds one invocation may take, body to answer (SageMaker's limit is 60), 1 to 3600.
    #[arg(long, value_name = "SECONDS", value_parser = seconds("--invocation-timeout"), default_value = "60")]
    invocation_timeout: Duration,
    /// Endpoint name (the `{name}` of `/endpoints/{name}/invocations`), by SageMaker's rule: 1 to 63 letters,
    /// digits and hyphens, starting and ending with a letter or digit.
    #[arg(long, default_value = "local", value_parser = endpoint_name)]
    name: String,
    /// Write the endpoint's ready record (JSON of the process contract: version, endpoint_name, url, pid) to this
    /// file once the endpoint is ready.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Stop when standard input is closed (for endpoints started by another process).
    #[arg(long)]
    exit_with_stdin: bool,
    /// Answer as SageMaker's IP Insights container does: a request holding an IPv6 address is refused (400,
    /// naming the row). The emulated AWS account's endpoints run with this.
    #[arg(long)]
    ipv4_only: bool,
}

/// The seconds every timeout flag takes: at least a second (a client on a slow link still sends a request head
/// within one; less would cut off honest clients), at most an hour (SageMaker's longest, asynchronous, invocation).
const TIMEOUT_SECONDS: std::ops::RangeInclusive<f64> = 1.0..=3600.0;

/// The parser of timeout flag `flag`: a number of seconds within [`TIMEOUT_SECONDS`]; the message names the flag
/// and the range.
fn seconds(flag: &'static str) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |text| match text.trim().parse::<f64>() {
        Ok(s) if TIMEOUT_SECONDS.contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "{flag} takes a number of seconds from {} to {}, not {text:?}",
            TIMEOUT_SECONDS.start(),
            TIMEOUT_SECONDS.end()
        )),
    }
}

/// An endpoint name SageMaker would accept (its rule, in `ipinsights_sagemaker_facts`): anything else could never match
/// a `/endpoints/{name}/invocations` path.
fn endpoint_name(text: &str) -> Result<String, String> {
    ipinsights_sagemaker_facts::validate_resource_name("endpoint", text).map_err(|e| e.to_string())?;
    Ok(text.to_string())
}

/// Runs `serve`.
pub fn run(args: Args) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("cannot install signal handlers")?;
    }
    if args.exit_with_stdin {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            stop.store(true, Ordering::SeqCst);
        });
    }
    let timeouts = Timeouts {
        header_read: args.header_timeout,
        keep_alive_idle: args.idle_timeout,
        invocation: args.invocation_timeout,
        ..Timeouts::default()
    };
    let config = ServerConfig {
        addr: (args.host, args.port).into(),
        allow_remote: args.allow_remote,
        max_connections: args.max_connections,
        ipv4_only: args.ipv4_only,
        timeouts,
        ..ServerConfig::default()
    };
    config.validate()?;
    if !args.host.is_loopback() {
        eprintln!(
            "warning: listening on {} beyond this machine: the endpoint has no authentication, so anyone who can \
             reach this port can score pairs and read embeddings",
            config.addr
        );
    }
    let state = EndpointState::loading(args.name.clone());
    let handle = spawn_endpoint(&config, state.clone()).with_context(|| format!("cannot listen on {}", config.addr))?;
    let model = Model::load_dir(&args.model_dir)?;
    state.set_scorer(Arc::new(model));
    let url = handle.url();
    println!("Endpoint {} listening on {url}", args.name);
    if let Some(path) = &args.ready_file {
        let ready = ReadyRecord { endpoint_name: args.name.clone(), url: url.clone(), pid: std::process::id() };
        let json = ipinsights_contract::encode(&ready);
        ipinsights_engine::atomic::write_atomically(path, |w| std::io::Write::write_all(w, json.as_bytes()))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("Endpoint {} shutting down", args.name);
    handle.shutdown().context("the server did not shut down cleanly")
}
