//! Panic plumbing shared by jobs, scopes and handlers.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// Runs `f`, catching a panic. The closures we catch around are either consumed whole or
/// their state is discarded on panic, so asserting unwind safety is sound here.
#[inline]
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    panic::catch_unwind(AssertUnwindSafe(f))
}

/// Runs `f`, which must not unwind: if it does, prints `what` and aborts the process, the only
/// sound way on when other threads may still use memory in the frames it unwinds (rayon does
/// the same). Costs nothing unless `f` unwinds.
#[inline(always)]
pub(crate) fn abort_on_unwind<R>(what: &'static str, f: impl FnOnce() -> R) -> R {
    let guard = AbortOnUnwind(what);
    let r = f();
    std::mem::forget(guard);
    r
}

/// Aborts the process when dropped (see [`abort_on_unwind`], which forgets it on success).
struct AbortOnUnwind(&'static str);

impl Drop for AbortOnUnwind {
    #[cold]
    fn drop(&mut self) {
        eprintln!("ontime: fatal: {}; aborting", self.0);
        std::process::abort();
    }
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
