//! `ipinsights-lambda`: the AWS Lambda function scoring GuardDuty findings (see `ipinsights_detect::lambda`); packaged
//! as `bootstrap` for the `provided.al2023` runtime by `scripts/package-lambda`.

use std::process::ExitCode;

// One worker runs the runtime loop and the AWS calls; scoring runs on a blocking thread that waits on them.
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    match ipinsights_detect::lambda::function::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
