//! `ipinsights ingest`: CloudTrail logs or GuardDuty findings → headerless `entity,ip` tuple CSV.
//!
//! Entities follow the one entity rule (`ipinsights_security_logs::entity_of`: the principal id, a service role's session
//! counted as its role, surrounding whitespace trimmed), so the file trains exactly as the endpoint scores; records
//! without a usable pair are counted by reason in the summary line, and so are role sessions folded into their role.
//! Inputs are streamed and bounded: a decompression bomb or an oversized file is an error naming the file.

use anyhow::Result;
use ipinsights_engine::tuples::write_tuples;
use ipinsights_security_logs::{CloudTrailReader, GuardDutyReader, TupleMode};
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

/// A reader that takes log files, directories or stdin (`-`), whichever the user names.
trait AddSource {
    /// Reads one named file or directory.
    fn add_path(&mut self, path: &Path) -> Result<()>;
    /// Reads standard input.
    fn add_stdin(&mut self) -> Result<()>;

    /// Reads every path in order, `-` meaning standard input.
    fn add_all(&mut self, paths: &[PathBuf]) -> Result<()> {
        for path in paths {
            if path.as_os_str() == "-" {
                self.add_stdin()?;
            } else {
                self.add_path(path)?;
            }
        }
        Ok(())
    }
}

impl AddSource for CloudTrailReader {
    fn add_path(&mut self, path: &Path) -> Result<()> {
        Ok(CloudTrailReader::add_path(self, path)?)
    }
    fn add_stdin(&mut self) -> Result<()> {
        Ok(self.add_reader(std::io::stdin().lock(), "stdin")?)
    }
}

impl AddSource for GuardDutyReader {
    fn add_path(&mut self, path: &Path) -> Result<()> {
        Ok(GuardDutyReader::add_path(self, path)?)
    }
    fn add_stdin(&mut self) -> Result<()> {
        Ok(self.add_reader(std::io::stdin().lock(), "stdin")?)
    }
}

/// Runs `ingest`.
pub fn run(args: Args) -> Result<()> {
    let (summary, written, output) = match args.source {
        Source::Cloudtrail { paths, unique, output } => {
            let mut reader = CloudTrailReader::new(if unique { TupleMode::UniquePairs } else { TupleMode::AllEvents });
            reader.add_all(&paths)?;
            let extract = reader.finish();
            (extract.to_string(), write_tuples(&output, extract.pairs())?, output)
        }
        Source::Guardduty { paths, output } => {
            let mut reader = GuardDutyReader::pairs_only();
            reader.add_all(&paths)?;
            let extract = reader.finish();
            (extract.to_string(), write_tuples(&output, extract.pairs())?, output)
        }
    };
    println!("{summary}");
    println!("wrote {written} tuples to {}", output.display());
    if written == 0 {
        eprintln!("warning: no tuples extracted; {} is empty", output.display());
    }
    Ok(())
}
