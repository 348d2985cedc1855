//! One Tokio runtime per call: built inside the call, dropped before it returns.

use std::future::Future;

use crate::AwsError;

/// Runs `fut` to completion on a fresh current-thread runtime and drops the runtime.
///
/// Refuses (instead of panicking) when the caller is already inside a Tokio runtime.
pub(crate) fn run<T>(fut: impl Future<Output = Result<T, AwsError>>) -> Result<T, AwsError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(AwsError::InsideAsyncRuntime);
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(AwsError::Runtime)?;
    let result = runtime.block_on(fut);
    drop(runtime);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_future_and_refuses_nested_runtimes() {
        assert_eq!(run(async { Ok(7) }).unwrap(), 7);
        let nested = run(async { Ok(run(async { Ok(1) })) }).unwrap();
        assert!(matches!(nested, Err(AwsError::InsideAsyncRuntime)), "{nested:?}");
    }
}
