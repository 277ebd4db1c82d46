//! A worker's private list of pending forks: a stack with a second index for promotion.
//!
//! Entries `[bottom, top)` are the un-promoted forks of the join frames active on this thread,
//! oldest at `bottom`; the frame at nesting depth `d` owns slot `d`. `join` pushes at `top`
//! and pops from `top`; a heartbeat promotes the entry at `bottom` and moves `bottom` up.
//! When a frame at depth `d` ends, `top - 1 == d`; its fork was never shared iff
//! `d >= bottom`. If it was shared, so was every older fork (promotion goes oldest first),
//! and `bottom` is lowered to `d`, restoring the invariant `bottom <= top`.
//!
//! Only the owning thread touches this structure, so it needs no atomics; the common path is
//! a bounds check, two stores, and one compare.

use std::mem::MaybeUninit;

use crate::job::JobRef;

pub(crate) struct PendingForks {
    buf: Box<[MaybeUninit<JobRef>]>,
    top: usize,
    bottom: usize,
}

impl PendingForks {
    pub(crate) fn with_capacity(cap: usize) -> Self {
        PendingForks {
            buf: new_buf(cap.max(1)),
            top: 0,
            bottom: 0,
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, job: JobRef) {
        if self.top == self.buf.len() {
            self.grow();
        }
        // SAFETY: `top < buf.len()` after the check above.
        unsafe { self.buf.get_unchecked_mut(self.top).write(job) };
        self.top += 1;
    }

    /// Removes the newest entry; true if its fork was never promoted (still private).
    #[inline]
    pub(crate) fn pop(&mut self) -> bool {
        debug_assert!(self.top > 0, "ontime: pending fork popped twice");
        self.top -= 1;
        if self.top >= self.bottom {
            true
        } else {
            self.bottom = self.top;
            false
        }
    }

    /// Takes the oldest un-promoted fork, if any.
    #[inline]
    pub(crate) fn take_oldest(&mut self) -> Option<JobRef> {
        if self.bottom < self.top {
            // SAFETY: slots in `[bottom, top)` were written by `push` and not yet taken.
            let job = unsafe { self.buf.get_unchecked(self.bottom).assume_init() };
            self.bottom += 1;
            Some(job)
        } else {
            None
        }
    }

    /// Number of un-promoted forks.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.top - self.bottom
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.top == self.bottom
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let mut bigger = new_buf(self.buf.len() * 2);
        bigger[..self.top].copy_from_slice(&self.buf[..self.top]);
        self.buf = bigger;
    }
}

fn new_buf(cap: usize) -> Box<[MaybeUninit<JobRef>]> {
    (0..cap).map(|_| MaybeUninit::uninit()).collect()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::job::{Job, JobRef};

    // Non-zero-sized, so each dummy has its own address.
    #[allow(dead_code)]
    struct Dummy(u8);
    impl Job for Dummy {
        unsafe fn execute(_: *const Self) {}
    }

    /// A pending list holding one fork per dummy, oldest first.
    fn filled(d: &[Dummy], cap: usize) -> PendingForks {
        let mut p = PendingForks::with_capacity(cap);
        for x in d {
            // SAFETY: never executed.
            p.push(unsafe { JobRef::new(x) });
        }
        p
    }

    #[test]
    fn private_forks_pop_as_private() {
        let d = [Dummy(0), Dummy(1), Dummy(2)];
        let mut p = filled(&d, 1);
        assert_eq!(p.len(), 3);
        assert!(p.pop() && p.pop() && p.pop());
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn promotion_takes_oldest_and_frames_see_it() {
        let d = [Dummy(0), Dummy(1), Dummy(2)];
        let mut p = filled(&d, 4);
        let oldest = p.take_oldest().unwrap();
        assert_eq!(oldest.id(), &d[0] as *const Dummy as *const ());
        assert_eq!(
            p.take_oldest().unwrap().id(),
            &d[1] as *const Dummy as *const ()
        );
        assert!(p.pop(), "depth 2 was never promoted");
        assert!(!p.pop(), "depth 1 was promoted");
        assert!(!p.pop(), "depth 0 was promoted");
        assert_eq!(p.len(), 0);
        assert!(p.take_oldest().is_none());
        // Reusable afterwards.
        // SAFETY: never executed.
        p.push(unsafe { JobRef::new(&d[0]) });
        assert!(p.pop());
    }
}
