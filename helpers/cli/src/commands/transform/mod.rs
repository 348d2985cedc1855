//! `ipinsights transform`: a batch transform job, done the way SageMaker's batch transform drives the algorithm's
//! container.
//!
//! Every input object is split into records (`--split-type Line`: one record per non-blank line; `None`: the whole
//! object is one request), the records are batched into requests of at most `--max-payload` MB (`MultiRecord`) or
//! sent one per request (`SingleRecord`), each request is answered as the endpoint answers it (`--accept`, verbose
//! included), and the answers, each ended by a line break (`AssembleWith` `Line`), become `{relative}.out` under
//! `--output-dir`: streamed to a temporary file as each request is answered and renamed once the whole object is
//! done, never seen partially. Memory is one request's (at most `--max-payload`), whatever the input's size. Only
//! regular files are inputs (`inputs`: no link followed, FIFOs and devices never opened, each entry left out
//! reported). Any failed request fails the job. With `--ipv4-only` a record whose address is written in IPv6
//! notation (`::ffff:1.2.3.4` included: the one rule of `ipinsights_sagemaker_facts::ipv6_notation`, which training and
//! the endpoint apply too) fails it, naming the object and line, as SageMaker's IP Insights container would (the
//! emulated AWS account runs with it).
//!
//! Stdout is the job's log for humans; programs read `--events FILE` (the process contract's
//! `TransformEvent`s: `started`, one `object` per output, then `completed` or `failed`).

mod inputs;
mod requests;

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::commands::events::run_reporting;
use anyhow::{bail, Context, Result};
use inputs::list_inputs;
use ipinsights_contract::TransformEvent;
use ipinsights_engine::Model;
use ipinsights_protocol::{
    decode_request_of, max_rows_per_response, Addresses, Location, RequestError, RequestErrorKind, RequestFormat,
    ResponseFormat, ResponseWriter, Scorer, MAX_VECTOR_DIM,
};
use ipinsights_sagemaker_facts::limits::DEFAULT_TRANSFORM_PAYLOAD_MB;
use ipinsights_sagemaker_facts::transform::{check_max_payload, OUTPUT_SUFFIX};
use ipinsights_sagemaker_facts::{BatchStrategy, SplitType, ValueError};
use requests::{Block, Cut, Request, Requests};

/// Arguments of `transform`.
#[derive(clap::Args)]
pub struct Args {
    /// Model directory (holding model.ipinsights or model.tar.gz).
    #[arg(long)]
    model_dir: PathBuf,
    /// The input: one file, or a folder whose files (at any depth) are all inputs, their paths below it kept.
    #[arg(long)]
    input: PathBuf,
    /// Where `{relative path}.out` is written for every input file.
    #[arg(long)]
    output_dir: PathBuf,
    /// The records' format: text/csv, application/jsonlines (one record per line) or application/json (with
    /// --split-type None).
    #[arg(long, default_value = "text/csv")]
    content_type: String,
    /// `Line` (one record per line) or `None` (each input file is one request).
    #[arg(long, default_value = "Line")]
    split_type: String,
    /// The answers' format, as an endpoint's Accept header (`application/jsonlines; verbose=True` adds the
    /// embeddings).
    #[arg(long, default_value = "application/jsonlines")]
    accept: String,
    /// `MultiRecord` (as many records per request as fit --max-payload) or `SingleRecord`.
    #[arg(long, default_value = "MultiRecord")]
    strategy: String,
    /// Largest request, in MB (MiB): 1 to 100.
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_TRANSFORM_PAYLOAD_MB)]
    max_payload: u32,
    /// Score as SageMaker's IP Insights container does: an address in IPv6 notation (an IPv4-mapped one included)
    /// fails the job.
    #[arg(long)]
    ipv4_only: bool,
    /// Report the job's events for programs to this file, as JSON lines of the process contract.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
}

/// Runs `transform`; with `--events`, a failure is reported there too.
pub fn run(args: Args) -> Result<()> {
    run_reporting(args.events.as_deref(), |reason| TransformEvent::Failed { reason }, |emit| run_job(&args, emit))
}

/// Bytes read from an input file at a time.
const READ_BUFFER_BYTES: usize = 1 << 20;

/// The most bytes of records decoded at once (plus one line).
const DECODE_BLOCK_BYTES: usize = 1 << 20;

/// The most bytes of an answer computed before they are written out (verbose answers are mostly embeddings).
const ANSWER_BLOCK_BYTES: usize = 1 << 20;

/// How requests are made from an object and answered.
struct Plan {
    format: RequestFormat,
    accept: ResponseFormat,
    cut: Cut,
    ipv4_only: bool,
}

impl Plan {
    fn new(args: &Args) -> Result<Plan> {
        // SageMaker's rules, reported with the flag that broke one.
        let split_type: SplitType = args.split_type.parse().map_err(flag("--split-type"))?;
        let strategy: BatchStrategy = args.strategy.parse().map_err(flag("--strategy"))?;
        check_max_payload(args.max_payload)
            .map_err(|e| anyhow::anyhow!("invalid --max-payload \"{}\": {}", args.max_payload, e.rule))?;
        let format = RequestFormat::from_content_type(&args.content_type)?;
        let accept = ResponseFormat::from_accept(Some(&args.accept))?;
        let split_lines = split_type == SplitType::Line;
        if split_lines && format == RequestFormat::Json {
            bail!("application/json records cannot be split by line: use --split-type None, or application/jsonlines");
        }
        let cut = Cut {
            split_lines,
            single_record: strategy == BatchStrategy::SingleRecord,
            max_bytes: args.max_payload as usize * 1024 * 1024,
        };
        Ok(Plan { format, accept, cut, ipv4_only: args.ipv4_only })
    }
}

/// A value SageMaker would refuse, named by its flag: `invalid --split-type "RecordIO": …`.
fn flag(name: &'static str) -> impl Fn(ValueError) -> anyhow::Error {
    move |e| anyhow::anyhow!("invalid {name} {:?}: use one of {}", e.value, e.allowed.join(", "))
}

/// `n` and its noun, plural unless `n` is 1 ("1 request", "3 requests").
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The job itself: list the inputs, transform each, report.
fn run_job(args: &Args, emit: &mut dyn FnMut(TransformEvent) -> Result<()>) -> Result<()> {
    let plan = Plan::new(args)?;
    let inputs = list_inputs(&args.input)?;
    let skipped = inputs.skipped_report();
    if !skipped.is_empty() {
        println!("{skipped}");
    }
    emit(TransformEvent::Started { objects: inputs.files.len() as u64 })?;
    let model = Model::load_dir(&args.model_dir)?;
    let started = Instant::now();
    let mut total = 0u64;
    for (path, relative) in &inputs.files {
        let output = args.output_dir.join(format!("{relative}{OUTPUT_SUFFIX}"));
        let (records, requests) = transform_object(&model, &plan, path, relative, &output)?;
        println!("{relative}: {} in {} -> {}", count(records, "record"), count(requests, "request"), output.display());
        total += records;
        emit(TransformEvent::Object { input: path.clone(), output, records, requests })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let objects = count(inputs.files.len() as u64, "object");
    println!("Transformed {} of {objects} in {seconds:.1} s", count(total, "record"));
    emit(TransformEvent::Completed { records: total, seconds })
}

/// Opens a listed input, refusing anything but a regular file that took its place since the listing: the open
/// never blocks (a FIFO opened for reading would wait for a writer), and what it opened is checked.
fn open_regular(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file.metadata().with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("cannot read {}: no longer a regular file", path.display());
    }
    Ok(file)
}

/// Transforms one object into `output`, streamed to a temporary file renamed once the object is done (never a
/// partial output); returns (records, requests).
fn transform_object(model: &Model, plan: &Plan, path: &Path, relative: &str, output: &Path) -> Result<(u64, u64)> {
    let file = open_regular(path)?;
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut requests = Requests::new(BufReader::with_capacity(READ_BUFFER_BYTES, file), plan.cut);
    let mut failure = None;
    let mut counts = (0, 0);
    let written = ipinsights_engine::atomic::write_atomically(output, |w| {
        match answer_requests(model, plan, relative, &mut requests, w) {
            Ok(done) => {
                counts = done;
                Ok(())
            }
            Err(error) => {
                failure = Some(error);
                Err(std::io::Error::other("the transform failed"))
            }
        }
    });
    if let Some(error) = failure {
        return Err(error);
    }
    written.with_context(|| format!("cannot write {}", output.display()))?;
    Ok(counts)
}

/// Answers every request of an object into `out`, each answer ended by a line break (`AssembleWith` `Line`);
/// returns (records, requests).
fn answer_requests<R: std::io::BufRead>(
    model: &Model,
    plan: &Plan,
    relative: &str,
    requests: &mut Requests<R>,
    out: &mut dyn Write,
) -> Result<(u64, u64)> {
    let mut out = Assembled { out, last: None };
    let (mut records, mut sent) = (0u64, 0u64);
    while let Some(request) = requests.next_request().with_context(|| format!("input {relative}"))? {
        records += answer(model, plan, relative, &request, &mut out)?;
        sent += 1;
        if out.last != Some(b'\n') {
            out.put(b"\n")?;
        }
    }
    Ok((records, sent))
}

/// The output of one object, remembering its last byte.
struct Assembled<'a> {
    out: &'a mut dyn Write,
    last: Option<u8>,
}

impl Assembled<'_> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(&last) = bytes.last() {
            self.out.write_all(bytes)?;
            self.last = Some(last);
        }
        Ok(())
    }
}

impl Write for Assembled<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.put(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A block the decoder refused. An address in IPv6 notation (under `--ipv4-only`, by the one rule training's reader
/// and the endpoint use) is named by its input line; anything else by the block's lines and the row in it.
fn refused(relative: &str, block: &Block<'_>, error: RequestError) -> anyhow::Error {
    if let RequestErrorKind::Ipv6Refused { .. } = error.kind {
        let place = match error.location {
            Location::Row(line) | Location::Line(line) => format!("line {}", block.first_line + line as u64 - 1),
            Location::Instance(index) => format!("record {}", index + 1),
            Location::Body => "the request body".into(),
        };
        return anyhow::anyhow!("input {relative}, {place}: {}", error.kind);
    }
    anyhow::Error::new(error).context(format!("input {relative}, {}: the request is invalid", block.span()))
}

/// Answers one request as the endpoint would, written to `out` a block of predictions at a time (the same bytes
/// as the whole answer at once); returns its records. CSV and JSON Lines records are decoded a block of lines at a
/// time too, so memory is a block's pairs, not the request's.
fn answer(model: &Model, plan: &Plan, relative: &str, request: &Request, out: &mut Assembled<'_>) -> Result<u64> {
    // CSV and JSON Lines records are lines (a CSV quoted field may span some): decoded a block at a time.
    let mut blocks = match plan.format {
        RequestFormat::Json => Vec::new(),
        format => request.blocks(DECODE_BLOCK_BYTES, format == RequestFormat::Csv),
    };
    if blocks.is_empty() {
        blocks.push(request.whole()); // JSON, or no record at all: the decoder has the last word
    }
    let dim = Scorer::vector_dim(model).unwrap_or(MAX_VECTOR_DIM);
    let rows_at_once = max_rows_per_response(plan.accept, dim, ANSWER_BLOCK_BYTES);
    let addresses = if plan.ipv4_only { Addresses::Ipv4Only } else { Addresses::Both };
    let mut writer = ResponseWriter::new(plan.accept, usize::MAX);
    let mut records = 0u64;
    for block in blocks {
        let at = |what: &str| format!("input {relative}, {}: {what}", block.span());
        let pairs = decode_request_of(plan.format, block.body, addresses).map_err(|e| refused(relative, &block, e))?;
        for pairs in pairs.chunks(rows_at_once) {
            if plan.accept.verbose {
                for prediction in model.verbose_predictions(pairs).with_context(|| at("scoring failed"))? {
                    let _ = writer.push(&prediction); // nothing is over an unlimited size
                }
            } else {
                for score in model.score_pairs(pairs) {
                    let _ = writer.push_score(score);
                }
            }
            writer.write_pending(out)?;
        }
        records += pairs.len() as u64;
    }
    out.put(&writer.finish())?;
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::open_regular;
    use std::time::Duration;

    #[test]
    fn a_fifo_that_took_a_listed_files_place_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("input.csv");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads one NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
        let (done, answer) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(open_regular(&fifo).map(|_| ()).map_err(|e| format!("{e:#}"))));
        let result = answer.recv_timeout(Duration::from_secs(20)).expect("opening a FIFO blocked");
        let error = result.expect_err("a FIFO is not a regular file");
        assert!(error.contains("no longer a regular file"), "{error}");
    }

    #[test]
    fn a_regular_file_opens_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.csv");
        std::fs::write(&path, "alice,1.2.3.4\n").unwrap();
        let text = std::io::read_to_string(open_regular(&path).unwrap()).unwrap();
        assert_eq!(text, "alice,1.2.3.4\n");
    }
}
