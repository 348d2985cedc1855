//! Writes a simulated account and reads it back, timing both.
//! Usage: `cargo run --release -p ipinsights-simulated-account --example simulate -- OUT_DIR [EVENTS]`.

use std::path::PathBuf;
use std::time::Instant;

use ipinsights_security_logs::{read_cloudtrail, read_guardduty, TupleMode};
use ipinsights_simulated_account::{SimAccount, SimConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().ok_or("usage: simulate OUT_DIR [EVENTS]")?);
    let events = match args.next() {
        Some(n) => n.parse()?,
        None => SimConfig::default().events,
    };
    let config = SimConfig { events, ..SimConfig::default() };

    let start = Instant::now();
    let account = SimAccount::generate(&config)?;
    let generated = start.elapsed().as_secs_f64();
    let summary = account.write(&root)?;
    let total = start.elapsed().as_secs_f64();
    println!("{summary}\nsimulated in {total:.3} s (generate {generated:.3} s, write {:.3} s)", total - generated);

    let start = Instant::now();
    let trail = read_cloudtrail(&summary.cloudtrail_dir, TupleMode::AllEvents)?;
    println!("{trail}\nread in {:.3} s", start.elapsed().as_secs_f64());
    let findings = read_guardduty(&summary.findings_path)?;
    println!("{findings}");
    Ok(())
}
