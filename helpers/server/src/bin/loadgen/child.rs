//! The endpoint under test, in a child process of its own (so its RSS is its own).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipinsights_engine::synth::{generate, SynthConfig};
use ipinsights_engine::{train, IpInsightsParams, Model, TrainOptions};
use ipinsights_server::{spawn_endpoint, EndpointState, ServerConfig};

use crate::Args;

const READY: &str = "LISTENING ";

/// A running child server; dropping it closes its stdin, which stops it.
pub struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `ipinsights-loadgen --serve-child` and waits for its address.
    pub fn start(args: &Args) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut command = Command::new(exe);
        command.arg("--serve-child").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        if let Some(dir) = &args.model_dir {
            command.arg("--model-dir").arg(dir);
        }
        if let Some(n) = args.server_threads {
            command.arg("--server-threads").arg(n.to_string());
        }
        command.arg("--header-timeout").arg(args.header_timeout.to_string());
        let mut child = command.spawn().map_err(|e| format!("starting the server process: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(addr) = line.strip_prefix(READY) {
                let addr = addr.parse().map_err(|e| format!("bad address {addr:?}: {e}"))?;
                return Ok(Self { child, stdin, addr });
            }
            println!("server: {line}");
        }
        let _ = child.wait();
        Err("the server process ended before listening".into())
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The child's side: load or train a model, serve it on 127.0.0.1:0, stop when stdin closes.
pub fn serve_child(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let model = match &args.model_dir {
        Some(dir) => Model::load_dir(dir).map_err(|e| e.to_string())?,
        None => train_synthetic()?,
    };
    let hp = &model.hyperparameters;
    println!(
        "model: vector_dim {}, num_entity_vectors {}, {} encoder layer(s), ready in {:.1} s",
        hp.vector_dim,
        hp.num_entity_vectors,
        hp.num_ip_encoder_layers,
        started.elapsed().as_secs_f64()
    );
    let mut config = ServerConfig { worker_threads: args.server_threads, ..ServerConfig::localhost(0) };
    config.timeouts.header_read = Duration::from_secs_f64(args.header_timeout);
    let server =
        spawn_endpoint(&config, EndpointState::ready("loadgen", Arc::new(model))).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    println!("connection cap {}, header timeout {} s", server.max_connections(), args.header_timeout);
    writeln!(out, "{READY}{}", server.addr()).and_then(|()| out.flush()).map_err(|e| e.to_string())?;
    let _ = std::io::stdin().read_to_end(&mut Vec::new()); // until the parent closes it
    server.shutdown().map_err(|e| e.to_string())
}

/// The workshop's hyperparameters (one epoch) on a 1,000-user synthetic data set.
fn train_synthetic() -> Result<Model, String> {
    let data = generate(&SynthConfig { users: 1000, seed: 1, test_samples: 0 });
    let hp = IpInsightsParams::new(20_000, 128)
        .epochs(1)
        .mini_batch_size(1000)
        .learning_rate(0.01)
        .random_negative_sampling_rate(5)
        .check()
        .map_err(|e| e.to_string())?;
    let outcome = train(&hp, &data.train, None, &TrainOptions::default(), &mut |_| {}).map_err(|e| e.to_string())?;
    Ok(outcome.model)
}
