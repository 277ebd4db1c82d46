//! Panic plumbing shared by jobs, scopes and handlers.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Runs `f`, catching a panic. The closures we catch around are either consumed whole or
/// their state is discarded on panic, so asserting unwind safety is sound here.
#[inline]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    panic::catch_unwind(AssertUnwindSafe(f))
}

/// A panic payload's message (`&str` or `String` payloads), or a placeholder.
///
/// ```
/// let p = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
/// assert_eq!(ontime_core::panic_message(&*p), "boom 1");
/// ```
pub fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}
