//! `ipinsights-lambda`: the AWS Lambda function scoring GuardDuty findings (see `ipinsights_detect::lambda`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    ipinsights_detect::lambda::run().await
}
