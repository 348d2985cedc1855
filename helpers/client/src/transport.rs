//! The seam between splitting and sending: anything that can carry one invocation.

use crate::ClientError;

/// Carries one invocation to an endpoint and brings back its answer: HTTP ([`crate::EndpointClient`]), or
/// SageMaker's InvokeEndpoint. Free of HTTP types on purpose.
pub trait Transport: Sync {
    /// Sends `body` (of `content_type`, asking for `accept`) and returns the response body; an error answer is
    /// an `Err` ([`ClientError::Status`] when the endpoint gave a status and message).
    fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn invoke(&self, body: Vec<u8>, content_type: &str, accept: &str) -> Result<Vec<u8>, ClientError> {
        (**self).invoke(body, content_type, accept)
    }
}
