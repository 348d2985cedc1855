//! `ipinsights transform`: a batch transform job, done the way SageMaker's batch transform drives the algorithm's
//! container.
//!
//! Every input object is split into records (`--split-type Line`: one record per non-blank line; `None`: the whole
//! object is one request), the records are batched into requests of at most `--max-payload` MB (`MultiRecord`) or
//! sent one per request (`SingleRecord`), each request is answered as the endpoint answers it (`--accept`, verbose
//! included), and the answers, each ended by a line break (`AssembleWith` `Line`), become `{relative}.out` under
//! `--output-dir`: written atomically once the whole object is done, never partially. Any failed request fails the
//! job. With `--ipv4-only` a record holding an IPv6 address fails it too, naming the object and line, as
//! SageMaker's IP Insights container would (the emulated AWS account runs with it).
//!
//! Stdout is the job's log for humans; programs read `--events FILE` (the process contract's
//! `TransformEvent`s: `started`, one `object` per output, then `completed` or `failed`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::commands::events::run_reporting;
use anyhow::{bail, Context, Result};
use ipinsights_contract::TransformEvent;
use ipinsights_engine::Model;
use ipinsights_protocol::{decode_request, encode_response, Prediction, RequestFormat, ResponseFormat, Scorer};
use ipinsights_sagemaker::limits::DEFAULT_TRANSFORM_PAYLOAD_MB;
use ipinsights_sagemaker::transform::{check_choice, check_max_payload, BATCH_STRATEGIES, OUTPUT_SUFFIX, SPLIT_TYPES};
use ipinsights_sagemaker::IPV4_ONLY;

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
    /// Score as SageMaker's IP Insights container does: a record holding an IPv6 address fails the job.
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

/// How requests are made from an object.
struct Plan {
    format: RequestFormat,
    accept: ResponseFormat,
    split_lines: bool,
    single_record: bool,
    max_bytes: usize,
    ipv4_only: bool,
}

impl Plan {
    fn new(args: &Args) -> Result<Plan> {
        check_choice("split_type", &args.split_type, &SPLIT_TYPES)?;
        check_choice("strategy", &args.strategy, &BATCH_STRATEGIES)?;
        check_max_payload(args.max_payload)?;
        let format = RequestFormat::from_content_type(&args.content_type)?;
        let accept = ResponseFormat::from_accept(Some(&args.accept))?;
        let split_lines = args.split_type == "Line";
        if split_lines && format == RequestFormat::Json {
            bail!("application/json records cannot be split by line: use --split-type None, or application/jsonlines");
        }
        Ok(Plan {
            format,
            accept,
            split_lines,
            single_record: args.strategy == "SingleRecord",
            max_bytes: args.max_payload as usize * 1024 * 1024,
            ipv4_only: args.ipv4_only,
        })
    }
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
    emit(TransformEvent::Started { objects: inputs.len() as u64 })?;
    let model = Model::load_dir(&args.model_dir)?;
    let started = Instant::now();
    let mut total = 0u64;
    for (path, relative) in &inputs {
        let output = args.output_dir.join(format!("{relative}{OUTPUT_SUFFIX}"));
        let (records, requests) = transform_object(&model, &plan, path, relative, &output)?;
        println!("{relative}: {} in {} -> {}", count(records, "record"), count(requests, "request"), output.display());
        total += records;
        emit(TransformEvent::Object { input: path.clone(), output, records, requests })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("Transformed {} of {} in {seconds:.1} s", count(total, "record"), count(inputs.len() as u64, "object"));
    emit(TransformEvent::Completed { records: total, seconds })
}

/// The input files with their paths relative to the input (a file: its own name), sorted.
fn list_inputs(input: &Path) -> Result<Vec<(PathBuf, String)>> {
    let meta = std::fs::metadata(input).with_context(|| format!("no input at {}", input.display()))?;
    if meta.is_file() {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok(vec![(input.to_path_buf(), name)]);
    }
    let mut found = Vec::new();
    let mut folders = vec![input.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).with_context(|| format!("cannot list {}", folder.display()))? {
            let path = entry.with_context(|| format!("cannot list {}", folder.display()))?.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let relative = path.strip_prefix(input).unwrap_or(&path).to_string_lossy().into_owned();
                found.push((path, relative));
            }
        }
    }
    if found.is_empty() {
        bail!("no input files under {}", input.display());
    }
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

/// One request: its body and the input line of each record it holds (1-based).
#[derive(Debug)]
struct Request<'a> {
    body: &'a [u8],
    lines: Vec<u64>,
}

impl Request<'_> {
    /// `lines A-B` of the request.
    fn span(&self) -> String {
        match (self.lines.first(), self.lines.last()) {
            (Some(a), Some(b)) if a != b => format!("lines {a}-{b}"),
            (Some(a), _) => format!("line {a}"),
            _ => "no lines".into(),
        }
    }
}

/// Transforms one object into `output`; returns (records, requests).
fn transform_object(model: &Model, plan: &Plan, path: &Path, relative: &str, output: &Path) -> Result<(u64, u64)> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let requests = batches(&data, plan).with_context(|| format!("input {relative}"))?;
    let mut out = Vec::with_capacity(data.len());
    let mut records = 0u64;
    for request in &requests {
        let at = |what: &str| format!("input {relative}, {}: {what}", request.span());
        let pairs = decode_request(plan.format, request.body).with_context(|| at("the request is invalid"))?;
        if plan.ipv4_only {
            if let Some(row) = pairs.iter().position(|(_, ip)| ip.is_ipv6()) {
                let (entity, ip) = &pairs[row];
                let line = match request.lines.get(row) {
                    Some(line) if plan.split_lines => format!("line {line}"),
                    _ => format!("record {}", row + 1),
                };
                bail!("input {relative}, {line}: {entity},{ip}: IPv6 address: {IPV4_ONLY}");
            }
        }
        let predictions: Vec<Prediction> = if plan.accept.verbose {
            model.verbose_predictions(&pairs).with_context(|| at("scoring failed"))?
        } else {
            model.score_pairs(&pairs).into_iter().map(Prediction::score).collect()
        };
        out.extend_from_slice(&encode_response(plan.accept, &predictions));
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        records += pairs.len() as u64;
    }
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    ipinsights_engine::atomic::write_atomically(output, |w| std::io::Write::write_all(w, &out))
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok((records, requests.len() as u64))
}

/// The requests of one object under the plan: whole (`None`), one per record (`SingleRecord`), or as many
/// records as fit the payload limit (`MultiRecord`). Blank lines are not records.
fn batches<'a>(data: &'a [u8], plan: &Plan) -> Result<Vec<Request<'a>>> {
    let too_large = |what: String, bytes: usize| {
        anyhow::anyhow!(
            "{what} is {bytes} bytes, more than the {} MB payload limit (max_payload)",
            plan.max_bytes / (1024 * 1024)
        )
    };
    if !plan.split_lines {
        if data.len() > plan.max_bytes {
            return Err(too_large("the object (split_type None: one request)".into(), data.len()));
        }
        return Ok(vec![Request { body: data, lines: vec![1] }]);
    }
    let mut requests: Vec<Request<'a>> = Vec::new();
    // The open request: where its body starts in `data`, where it ends, and its records' lines.
    let mut open: Option<(usize, usize, Vec<u64>)> = None;
    let mut offset = 0usize;
    for (index, raw) in data.split(|&b| b == b'\n').enumerate() {
        let (start, end) = (offset, offset + raw.len());
        offset = end + 1;
        let line = index as u64 + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if raw.len() > plan.max_bytes {
            return Err(too_large(format!("line {line}"), raw.len()));
        }
        match open.as_mut() {
            Some((from, to, lines)) if !plan.single_record && end - *from <= plan.max_bytes => {
                *to = end;
                lines.push(line);
            }
            _ => {
                if let Some((from, to, lines)) = open.take() {
                    requests.push(Request { body: &data[from..to], lines });
                }
                open = Some((start, end, vec![line]));
            }
        }
    }
    if let Some((from, to, lines)) = open {
        requests.push(Request { body: &data[from..to], lines });
    }
    if requests.is_empty() {
        bail!("no records (every line is blank)");
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(max_mb: u32, single: bool) -> Plan {
        Plan {
            format: RequestFormat::Csv,
            accept: ResponseFormat::from_accept(Some("application/jsonlines")).unwrap(),
            split_lines: true,
            single_record: single,
            max_bytes: max_mb as usize * 1024 * 1024,
            ipv4_only: false,
        }
    }

    #[test]
    fn records_are_batched_up_to_the_payload_and_blank_lines_skipped() {
        let data = b"a,1.1.1.1\n\nb,2.2.2.2\r\nc,3.3.3.3";
        let multi = batches(data, &plan(1, false)).unwrap();
        assert_eq!(multi.len(), 1);
        assert_eq!((multi[0].body, multi[0].lines.clone()), (&data[..], vec![1, 3, 4]));
        assert_eq!(multi[0].span(), "lines 1-4");
        let single = batches(data, &plan(1, true)).unwrap();
        let lines: Vec<_> = single.iter().map(|r| r.lines.clone()).collect();
        assert_eq!(lines, [vec![1], vec![3], vec![4]]);
        assert_eq!(single[1].body, b"b,2.2.2.2\r");
        // Requests never pass the payload limit.
        let row = "user,10.0.0.1\n".repeat(200_000); // 2.8 MB
        let parts = batches(row.as_bytes(), &plan(1, false)).unwrap();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|r| r.body.len() <= 1024 * 1024));
        assert_eq!(parts.iter().map(|r| r.lines.len()).sum::<usize>(), 200_000);
        assert!(batches(b"\n \n", &plan(1, false)).unwrap_err().to_string().contains("no records"));
    }
}
