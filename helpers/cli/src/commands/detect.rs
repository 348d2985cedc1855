//! `ipinsights detect`: score GuardDuty findings live, NDJSON records out (workshop step 6).

use anyhow::{Context, Result};
use ipinsights_client::EndpointClient;
use ipinsights_detect::{DetectSummary, Detector, Familiarity, Scorer, Verdict};
use ipinsights_engine::Model;
use ipinsights_security_logs::guardduty::is_findings_path;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where scores come from: `--endpoint URL` or `--model-dir DIR` (exactly one).
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct ScorerArgs {
    /// Endpoint speaking the inference protocol, e.g. from `ipinsights serve` (`/invocations` appended unless present).
    #[arg(long)]
    endpoint: Option<String>,
    /// Model directory, scored in this process.
    #[arg(long)]
    model_dir: Option<PathBuf>,
}

impl ScorerArgs {
    /// The scorer (`dot_product`, higher = more normal).
    pub fn scorer(&self) -> Result<Box<dyn Scorer>> {
        match (&self.endpoint, &self.model_dir) {
            (Some(url), _) => Ok(Box::new(EndpointClient::new(url))),
            (None, Some(dir)) => Ok(Box::new(Model::load_dir(dir)?)),
            (None, None) => anyhow::bail!("give --endpoint or --model-dir"),
        }
    }
}

/// Arguments of `detect`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    scorer: ScorerArgs,
    /// Anomaly-score threshold: alert when score = −dot_product > T (see `ipinsights threshold`).
    #[arg(long, allow_negative_numbers = true)]
    threshold: f64,
    /// Training tuples (`entity,ip` CSV): explain verdicts with each principal's usual networks.
    #[arg(long)]
    training: Option<PathBuf>,
    /// Usual networks listed per principal.
    #[arg(long, default_value_t = 3)]
    top_networks: usize,
    /// Print only `alert` records (the summary still counts everything).
    #[arg(long)]
    alerts_only: bool,
    /// Findings files or directories (JSON or NDJSON, plain or gzip, any finding shape); `-` or none reads stdin.
    inputs: Vec<PathBuf>,
}

/// Runs `detect`: one JSON record per line on stdout, a summary line on stderr.
pub fn run(args: Args) -> Result<()> {
    let mut detector = Detector::new(args.scorer.scorer()?, args.threshold)?.with_top_networks(args.top_networks);
    if let Some(path) = &args.training {
        let familiarity = Familiarity::from_tuple_file(path)?;
        eprintln!(
            "familiarity: {} principals, {} events from {}",
            familiarity.principals(),
            familiarity.events(),
            path.display()
        );
        detector = detector.with_familiarity(familiarity);
    }
    let inputs = if args.inputs.is_empty() { vec![PathBuf::from("-")] } else { args.inputs.clone() };
    let mut summary = DetectSummary::default();
    let result = detect_all(&detector, &inputs, args.alerts_only, &mut summary);
    eprintln!("{summary}");
    result
}

fn detect_all(detector: &Detector, inputs: &[PathBuf], alerts_only: bool, summary: &mut DetectSummary) -> Result<()> {
    let stdout = std::io::stdout();
    let mut emit = |record: &ipinsights_detect::Detection| -> std::io::Result<()> {
        if alerts_only && record.verdict != Verdict::Alert {
            return Ok(());
        }
        let mut out = stdout.lock();
        serde_json::to_writer(&mut out, record)?;
        out.write_all(b"\n")?;
        out.flush()
    };
    for input in inputs {
        if input.as_os_str() == "-" {
            detector.detect_reader(std::io::stdin().lock(), "stdin", summary, &mut emit)?;
            continue;
        }
        let (files, ignored) = findings_files(input)?;
        if !ignored.is_empty() {
            eprintln!(
                "{}: ignored {} files without a findings name (.json, .jsonl, .ndjson, optionally .gz)",
                input.display(),
                ignored.len()
            );
        }
        for file in files {
            let name = file.display().to_string();
            let reader = std::fs::File::open(&file).with_context(|| format!("cannot open {name}"))?;
            detector.detect_reader(reader, &name, summary, &mut emit)?;
        }
    }
    Ok(())
}

/// `path` itself if it is a file, else the findings files under it (recursively, sorted) and the other files.
fn findings_files(path: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    if !meta.is_dir() {
        return Ok((vec![path.to_path_buf()], Vec::new()));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot list {}", path.display()))?;
    entries.sort();
    let (mut files, mut ignored) = (Vec::new(), Vec::new());
    for entry in entries {
        if entry.is_dir() {
            let (f, i) = findings_files(&entry)?;
            files.extend(f);
            ignored.extend(i);
        } else if is_findings_path(&entry) {
            files.push(entry);
        } else {
            ignored.push(entry);
        }
    }
    Ok((files, ignored))
}
