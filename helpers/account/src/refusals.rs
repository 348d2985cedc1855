//! Calls the account refuses for a moment after a change it has not seen everywhere yet (IAM is eventually
//! consistent; SQS keeps a deleted queue's name for 60 s): sent again 2, 4, … 32 s apart, about a minute in all.

use std::future::Future;
use std::time::Duration;

use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};

/// The longest wait between two attempts; the waits double from 2 s up to it.
const LONGEST_WAIT: Duration = Duration::from_secs(32);

/// Sends `call` until it is accepted, refused for another reason than a `passing` one (given the service's error
/// code and message), or the waits are used up; `waiting` hears of each wait before it starts.
pub(crate) async fn until_accepted<T, E, F, Fut>(
    mut call: F,
    passing: impl Fn(&str, &str) -> bool,
    mut waiting: impl FnMut(Duration),
) -> Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata,
{
    let mut wait = Duration::from_secs(2);
    loop {
        match call().await {
            Err(e)
                if wait <= LONGEST_WAIT
                    && e.as_service_error()
                        .is_some_and(|s| passing(s.code().unwrap_or(""), s.message().unwrap_or(""))) =>
            {
                waiting(wait);
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            answer => return answer,
        }
    }
}

/// A Lambda refusal that passes once IAM has caught up: `InvalidParameterValueException` saying `says`.
pub(crate) fn lambda_refusal(says: &'static str) -> impl Fn(&str, &str) -> bool {
    move |code, message| code == "InvalidParameterValueException" && message.contains(says)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_lambda_refusal_passes() {
        let passes = lambda_refusal("cannot be assumed");
        assert!(passes(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda."
        ));
        assert!(!passes("InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes"));
        assert!(!passes("AccessDeniedException", "cannot be assumed"));
    }
}
