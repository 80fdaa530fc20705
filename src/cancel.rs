//! The stop flag every stage watches: set once by Ctrl-C, never cleared.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cheap, cloneable "stop now" flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask every stage to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The running turn of a conversation: Ctrl-C during an answer silences that answer only,
/// and the conversation goes on with a fresh token for the next.
#[derive(Debug, Clone, Default)]
pub struct TurnCancel(Arc<std::sync::Mutex<Option<CancelToken>>>);

impl TurnCancel {
    /// A fresh token for a turn that starts now.
    pub fn begin(&self) -> CancelToken {
        let token = CancelToken::new();
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token.clone());
        token
    }

    /// The turn is over: Ctrl-C means the whole program again.
    pub fn end(&self) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Cancel the running turn; `false` when none runs (or it was already cancelled).
    pub fn interrupt(&self) -> bool {
        let current = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match current.as_ref() {
            Some(token) if !token.is_cancelled() => {
                token.cancel();
                true
            }
            _ => false,
        }
    }
}
