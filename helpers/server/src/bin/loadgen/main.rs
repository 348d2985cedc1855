//! `ipinsights-loadgen`: a bounded load test of an IP Insights endpoint over loopback.
//!
//! Without `--url` it starts an endpoint in a child process (a model from `--model-dir`, or a
//! workshop-sized model trained on synthetic data) and reads that process's RSS and file descriptors. Then it
//! measures throughput with the largest CSV requests whose answers fit in 6 MiB, latency with 64 concurrent
//! 1-pair clients, and a sustained run of many 1-pair requests, each bounded in count and time. Optional phases:
//! `--half-open N` holds N slowloris connections while timing normal requests and checks the server closes them
//! all and gives its descriptors back; `--soak-seconds S` mixes valid, malformed, oversize and slow requests for
//! S seconds and reports every outcome by kind, the 1-pair p99 and the server's RSS growth; `--slow-uploads N`
//! holds N connections that declared 6 MiB and sent 10 bytes while timing 1 MiB requests (alone, then beside them). Figures are printed,
//! never asserted: the exit status is non-zero only for unexpected errors.

mod child;
mod halfopen;
mod load;
mod raw;
mod slowupload;
mod soak;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Command-line options.
#[derive(Parser, Debug, Clone)]
#[command(name = "ipinsights-loadgen", about = "Load-test an IP Insights endpoint on loopback")]
pub struct Args {
    /// Endpoint base URL on loopback (e.g. http://127.0.0.1:8080); default: start one in a child process.
    #[arg(long)]
    url: Option<String>,
    /// PID of the server behind --url, to report its RSS.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Model directory for the child server (default: train a workshop-sized model on synthetic data).
    #[arg(long)]
    model_dir: Option<PathBuf>,
    /// Number of large CSV requests in the throughput phase.
    #[arg(long, default_value_t = 12)]
    big_requests: usize,
    /// Concurrent connections sending large requests.
    #[arg(long, default_value_t = 2)]
    big_clients: usize,
    /// Concurrent 1-pair clients in the latency and sustained phases.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// 1-pair requests in the latency phase.
    #[arg(long, default_value_t = 50_000)]
    latency_requests: usize,
    /// 1-pair requests in the sustained phase (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    sustained_requests: usize,
    /// Stop any phase after this many seconds.
    #[arg(long, default_value_t = 180)]
    max_seconds: u64,
    /// Worker threads of the child server's runtime (default: the server's, half the cores).
    #[arg(long)]
    server_threads: Option<usize>,
    /// Worker threads of the load generator's own runtime (default: half the cores, so that client and server
    /// together do not outnumber them).
    #[arg(long)]
    client_threads: Option<usize>,
    /// Half-open connections to hold in the half-open phase (0 skips it); raises the open-file limit.
    #[arg(long, default_value_t = 0)]
    half_open: usize,
    /// Connections that declare a 6 MiB body, send 10 bytes and stall, held while 1 MiB requests are timed (0 skips
    /// the phase).
    #[arg(long, default_value_t = 0)]
    slow_uploads: usize,
    /// Seconds of the soak phase (0 skips it).
    #[arg(long, default_value_t = 0)]
    soak_seconds: u64,
    /// Header timeout of the child server in seconds; also what the slow phases expect of a server at --url.
    #[arg(long, default_value_t = 10.0)]
    header_timeout: f64,
    /// Internal: run as the child server, print its address, exit when stdin closes.
    #[arg(long, hide = true)]
    serve_child: bool,
}

fn main() {
    let args = Args::parse();
    let result = if args.serve_child { child::serve_child(&args) } else { run(&args) };
    if let Err(e) = result {
        eprintln!("ipinsights-loadgen: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), String> {
    if args.half_open > 0 {
        let limit = stats::raise_fd_limit().ok_or("cannot raise the open-file limit")?;
        println!("open-file limit raised to {limit} (inherited by the child server)");
    }
    let (addr, pid, _child) = match &args.url {
        Some(url) => (loopback_addr(url)?, args.server_pid, None),
        None => {
            let child = child::ServerProcess::start(args)?;
            (child.addr, Some(child.pid()), Some(child))
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(args.client_threads.unwrap_or_else(ipinsights_server::default_worker_threads).max(1));
    let runtime = builder.enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(scenarios(args, addr, pid))
}

/// Runs the scenarios the arguments ask for against the endpoint at `addr` (server process `pid`, if known), and
/// fails when any request did.
async fn scenarios(args: &Args, addr: SocketAddr, pid: Option<u32>) -> Result<(), String> {
    let limit = Duration::from_secs(args.max_seconds);
    let target = load::Target::new(addr).await?;
    println!(
        "endpoint http://{addr}, {} pairs per large body ({:.2} MiB)",
        target.big_pairs(),
        target.big_bytes() as f64 / 1048576.0
    );
    let rss_before = pid.and_then(stats::rss_kib);
    let slow_limit = Duration::from_secs_f64(args.header_timeout + 30.0);
    let mut errors = 0;
    if args.half_open > 0 {
        let h = halfopen::half_open(&target, args.half_open, pid, slow_limit).await?;
        println!("{h}");
        errors += h.failures();
    }
    if args.slow_uploads > 0 {
        let s = slowupload::slow_uploads(&target, args.slow_uploads).await?;
        println!("{s}");
        errors += s.failures();
    }
    if args.soak_seconds > 0 {
        let soak_time = Duration::from_secs(args.soak_seconds);
        let s = soak::soak(&target, args.clients, soak_time, slow_limit, pid).await?;
        println!("{s}");
        errors += usize::try_from(s.unexpected()).unwrap_or(usize::MAX);
    }
    let t = load::throughput(&target, args.big_requests, args.big_clients, limit).await?;
    println!("{t}");
    let l = load::latency(&target, "latency", args.latency_requests, args.clients, limit).await?;
    println!("{l}");
    errors += l.errors();
    if args.sustained_requests > 0 {
        let rss_mid = pid.and_then(stats::rss_kib);
        let s = load::latency(&target, "sustained", args.sustained_requests, args.clients, limit).await?;
        println!("{s}");
        errors += s.errors();
        let rss_after = pid.and_then(stats::rss_kib);
        println!(
            "server RSS: {} at start, {} before the sustained run, {} after it",
            stats::mib(rss_before),
            stats::mib(rss_mid),
            stats::mib(rss_after)
        );
    }
    if errors > 0 {
        return Err(format!("{errors} requests failed"));
    }
    Ok(())
}

/// The socket address of a loopback `http://` URL (anything else is refused).
fn loopback_addr(url: &str) -> Result<SocketAddr, String> {
    let rest = url.strip_prefix("http://").ok_or("--url must be http://127.0.0.1:PORT")?;
    let host_port = rest.split('/').next().unwrap_or(rest).replace("localhost", "127.0.0.1");
    let addr: SocketAddr = host_port.parse().map_err(|e| format!("--url {url}: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("--url {url}: only loopback addresses may be load-tested"));
    }
    Ok(addr)
}
