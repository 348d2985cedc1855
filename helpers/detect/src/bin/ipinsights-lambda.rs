//! `ipinsights-lambda`: the AWS Lambda function scoring GuardDuty findings (see `ipinsights_detect::lambda`).

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match ipinsights_detect::lambda::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
