//! The shared budget of request-body memory: large bodies are read only within it, so many concurrent uploads
//! cannot exhaust memory, and nobody waits for room longer than a deadline.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// KiB of request bodies held at once by all requests (sixteen maximal 6 MiB bodies).
pub(crate) const BODY_BUDGET_KIB: u32 = 16 * 6 * 1024;

/// The endpoint's body budget, in KiB.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    kib: Arc<Semaphore>,
}

/// Room for a body of some size, returned to the budget when dropped.
#[derive(Debug, Default)]
pub(crate) struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    bytes: usize,
}

/// No room came free before the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoRoom;

impl BodyBudget {
    pub(crate) fn new() -> Self {
        Self { kib: Arc::new(Semaphore::new(BODY_BUDGET_KIB as usize)) }
    }

    /// Grows `reservation` to cover `bytes` (at most the whole budget), waiting for room until `deadline`.
    pub(crate) async fn grow(
        &self,
        reservation: &mut Reservation,
        bytes: usize,
        deadline: Instant,
    ) -> Result<(), NoRoom> {
        let want = kib(bytes);
        let have = kib(reservation.bytes);
        if want > have {
            let more = self.kib.clone().acquire_many_owned(want - have);
            // The semaphore is never closed, so acquiring can only time out.
            let permit = tokio::time::timeout_at(deadline, more).await.map_err(|_| NoRoom)?.map_err(|_| NoRoom)?;
            match &mut reservation.permit {
                Some(held) => held.merge(permit),
                None => reservation.permit = Some(permit),
            }
        }
        reservation.bytes = reservation.bytes.max(bytes);
        Ok(())
    }

    /// KiB free right now.
    #[cfg(test)]
    pub(crate) fn available_kib(&self) -> usize {
        self.kib.available_permits()
    }
}

impl Reservation {
    /// Bytes covered.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

/// KiB needed for `bytes`, at most the whole budget.
fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).min(BODY_BUDGET_KIB)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn reservations_grow_return_and_time_out() {
        let budget = BodyBudget::new();
        let soon = || Instant::now() + Duration::from_millis(50);
        let mut a = Reservation::default();
        budget.grow(&mut a, 4 << 20, soon()).await.unwrap();
        budget.grow(&mut a, 2 << 20, soon()).await.unwrap(); // already covered
        assert_eq!((a.bytes(), budget.available_kib()), (4 << 20, BODY_BUDGET_KIB as usize - 4096));
        let mut b = Reservation::default();
        budget.grow(&mut b, usize::MAX, soon()).await.unwrap_err(); // the whole budget is not free
        assert_eq!(budget.available_kib(), BODY_BUDGET_KIB as usize - 4096, "a failed wait takes nothing");
        drop(a);
        budget.grow(&mut b, usize::MAX, soon()).await.unwrap();
        assert_eq!(budget.available_kib(), 0);
        drop(b);
        assert_eq!(budget.available_kib(), BODY_BUDGET_KIB as usize);
    }
}
