//! Shared state of a running endpoint: its name, its model (once loaded), its worker permits and body budget.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::budget::BodyBudget;
use crate::Scorer;

/// Cheaply clonable handle on the endpoint's state; the model can be set after the server starts.
#[derive(Clone)]
pub struct EndpointState {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    scorer: OnceLock<Arc<dyn Scorer>>,
    heavy: Arc<Semaphore>,
    budget: BodyBudget,
}

impl EndpointState {
    /// An endpoint named `name` serving `scorer` (ready at once).
    pub fn ready(name: impl Into<String>, scorer: Arc<dyn Scorer>) -> Self {
        let state = Self::loading(name);
        state.set_scorer(scorer);
        state
    }

    /// An endpoint named `name` whose model is still loading: `/ping` and invocations answer 503
    /// until [`EndpointState::set_scorer`].
    pub fn loading(name: impl Into<String>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            inner: Arc::new(Inner {
                name: name.into(),
                scorer: OnceLock::new(),
                heavy: Arc::new(Semaphore::new(cores)),
                budget: BodyBudget::new(),
            }),
        }
    }

    /// Installs the model; returns false (and changes nothing) if one was already set.
    pub fn set_scorer(&self, scorer: Arc<dyn Scorer>) -> bool {
        self.inner.scorer.set(scorer).is_ok()
    }

    /// The endpoint name the runtime API path must use.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The model, if loaded.
    pub fn scorer(&self) -> Option<&Arc<dyn Scorer>> {
        self.inner.scorer.get()
    }

    /// The request-body budget.
    pub(crate) fn budget(&self) -> &BodyBudget {
        &self.inner.budget
    }

    /// Waits for one of the per-core permits that large requests hold while scoring.
    pub(crate) async fn heavy_permit(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed, so acquiring cannot fail.
        self.inner.heavy.clone().acquire_owned().await.expect("semaphore is never closed")
    }
}
