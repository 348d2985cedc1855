//! `ipinsights ingest`: CloudTrail logs or GuardDuty findings → headerless `entity,ip` tuple CSV.

use anyhow::Result;
use ipinsights_security::{write_tuples_csv, CloudTrailReader, GuardDutyReader, TupleMode};
use std::path::{Path, PathBuf};

/// Arguments of `ingest`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// CloudTrail log files (`{"Records": [...]}`, plain or gzip) or directories of them (S3 layout).
    Cloudtrail {
        /// Log files or directories (read recursively in sorted order); `-` reads one log from stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Keep each (entity, IP) pair once, in first-seen order (the workshop's rule).
        #[arg(long)]
        unique: bool,
        /// Output tuple CSV.
        #[arg(long)]
        output: PathBuf,
    },
    /// GuardDuty findings in any shape (EventBridge events, bare findings, arrays, GetFindings output; JSON or NDJSON).
    Guardduty {
        /// Findings files or directories; `-` reads stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output tuple CSV.
        #[arg(long)]
        output: PathBuf,
    },
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Runs `ingest`.
pub fn run(args: Args) -> Result<()> {
    let (summary, written, output) = match args.source {
        Source::Cloudtrail { paths, unique, output } => {
            let mut reader = CloudTrailReader::new(if unique { TupleMode::UniquePairs } else { TupleMode::AllEvents });
            for path in &paths {
                if is_stdin(path) {
                    reader.add_reader(std::io::stdin().lock(), "stdin")?;
                } else {
                    reader.add_path(path)?;
                }
            }
            let extract = reader.finish();
            let written = write_tuples_csv(&output, &extract.tuples)?;
            (extract.to_string(), written, output)
        }
        Source::Guardduty { paths, output } => {
            let mut reader = GuardDutyReader::new();
            for path in &paths {
                if is_stdin(path) {
                    reader.add_reader(std::io::stdin().lock(), "stdin")?;
                } else {
                    reader.add_path(path)?;
                }
            }
            let extract = reader.finish();
            let written = write_tuples_csv(&output, &extract.tuples)?;
            (extract.to_string(), written, output)
        }
    };
    println!("{summary}");
    println!("wrote {written} tuples to {}", output.display());
    if written == 0 {
        eprintln!("warning: no tuples extracted; {} is empty", output.display());
    }
    Ok(())
}
