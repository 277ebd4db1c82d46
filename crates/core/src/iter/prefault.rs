//! Prefaulting the fresh output of an indexed `collect`, window by window.
//!
//! A large `Vec` straight from the allocator is usually memory the kernel has not mapped yet
//! (glibc, for one, maps every allocation above its mmap threshold afresh, and frees it back
//! to the kernel). Writing it then costs one page fault per 4 KiB page, each a trap into the
//! kernel: about half of a 10^7-item `map(..).collect()` on the 2-core development VM. Linux
//! (5.14 and later) can map a whole range in one call, `madvise(MADV_POPULATE_WRITE)`, which
//! faults the pages in as writes would without writing anything. So each block of the
//! collect maps the 256 KiB windows that start inside its own byte range just before it
//! writes, and the pages are there when it (and the blocks after it) write them.
//!
//! Why this is safe and loses nothing:
//! - **Contents never change.** `MADV_POPULATE_WRITE` writes no byte; it only sets up the
//!   page tables a write would. A window may cover the next blocks' positions while another
//!   worker writes them: that worker's write either faults the page in itself or finds it
//!   mapped, and the data it writes is the same either way.
//! - **Only the collect's own allocation.** The windows are clipped to the whole pages inside
//!   the `Vec`'s reserved capacity, so no call touches memory the collect does not own.
//! - **Each window is mapped once.** Windows are aligned to their size; a window is mapped by
//!   the block whose byte range holds its first byte (the block at offset 0 also maps the
//!   window that holds the buffer's start), and the blocks of a loop are disjoint and run
//!   once (`forall.rs`).
//! - **Only where it pays.** Mapping pages that are already there costs a page-table walk
//!   per page and a system call per window for nothing (an in-place update of a present
//!   buffer, windowed per block, took a third longer). So a collect prefaults only when its
//!   output is at least [`MIN_BYTES`] and the first whole page of the buffer is not resident
//!   (`mincore`, one call per collect), which is what the allocator returns for fresh memory.
//! - **Failure is harmless.** An error from either call (an older kernel answers `EINVAL`)
//!   leaves the pages to fault in as before; the first `EINVAL` turns prefaulting off for
//!   the process.
//!
//! No huge pages are asked for: mapping 2 MiB pages on first write (`MADV_HUGEPAGE`) halved
//! the same collect's median but doubled its slowest rounds (compaction and zeroing stalls;
//! `docs/benchmarks.md`), and this runtime is sold on its tail.

use std::mem::{size_of, size_of_val, MaybeUninit};
use std::ops::Range;

/// Outputs smaller than this are left to fault in page by page: they are likely to come from
/// memory the allocator already holds, and the residency check would cost more than it saves.
pub(crate) const MIN_BYTES: usize = 1 << 20;

/// The span of one populate call: 64 pages of 4 KiB.
const WINDOW: usize = 256 << 10;

/// Where a collect's output may be prefaulted: the whole pages of its buffer, or nothing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Prefault {
    /// The buffer's first byte.
    base: usize,
    /// The whole pages inside the buffer, `lo..hi` (empty when prefaulting is off).
    lo: usize,
    hi: usize,
    /// The size of one item of the buffer, in bytes.
    size: usize,
}

impl Prefault {
    /// Prefaulting off.
    pub(crate) const OFF: Prefault = Prefault {
        base: 0,
        lo: 0,
        hi: 0,
        size: 0,
    };

    /// Decides for `spare`, a collect's reserved, unwritten output.
    pub(crate) fn new<T>(spare: &[MaybeUninit<T>]) -> Prefault {
        let bytes = size_of_val(spare);
        if bytes < MIN_BYTES || !os::enabled() {
            return Prefault::OFF;
        }
        let page = os::page_size();
        let base = spare.as_ptr() as usize;
        let lo = base.next_multiple_of(page);
        let hi = (base + bytes) / page * page;
        if hi <= lo || os::resident(lo, page) {
            return Prefault::OFF;
        }
        let size = size_of::<T>();
        Prefault { base, lo, hi, size }
    }

    /// Whether the blocks will prefault.
    #[cfg(test)]
    pub(crate) fn is_on(&self) -> bool {
        self.hi > self.lo
    }

    /// Called by the block that is about to write the buffer's positions `items`: maps the
    /// windows that begin in their bytes.
    #[inline]
    pub(crate) fn block(&self, items: Range<usize>) {
        if self.hi > self.lo {
            self.windows(items.start * self.size, items.end * self.size, os::populate)
        }
    }

    /// The address ranges the block of bytes `start..end` (offsets from the buffer's first
    /// byte) maps, handed to `map` in order. Out of line: it runs once per block, outside
    /// the block's item loop.
    #[inline(never)]
    fn windows(&self, start: usize, end: usize, mut map: impl FnMut(usize, usize)) {
        let (a, b) = (self.base + start, self.base + end);
        // The block at offset 0 also maps the window holding the buffer's first byte.
        let mut w = if start == 0 {
            a / WINDOW * WINDOW
        } else {
            a.next_multiple_of(WINDOW)
        };
        while w < b {
            let (from, to) = (w.max(self.lo), (w + WINDOW).min(self.hi));
            if from < to {
                map(from, to);
            }
            w += WINDOW;
        }
    }
}

#[cfg(all(target_os = "linux", not(miri), not(loom)))]
mod os {
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Off for the process once the kernel said it does not know `MADV_POPULATE_WRITE`.
    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

    pub(super) fn enabled() -> bool {
        !UNSUPPORTED.load(Ordering::Relaxed)
    }

    pub(super) fn page_size() -> usize {
        // SAFETY: `sysconf` only reads a configuration value.
        let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(p).ok().filter(|&p| p > 0).unwrap_or(4096)
    }

    /// Whether the page at `addr` (page-aligned, inside an allocation) is resident.
    pub(super) fn resident(addr: usize, page: usize) -> bool {
        let mut state = 0u8;
        // SAFETY: `addr..addr + page` is one whole page inside the collect's own allocation,
        // and `state` is the one byte `mincore` writes for one page.
        let r = unsafe { libc::mincore(addr as *mut libc::c_void, page, &mut state) };
        // On an error, assume resident: prefaulting is then left off.
        r != 0 || state & 1 != 0
    }

    /// Maps the whole pages `from..to` as writes would, writing nothing.
    pub(super) fn populate(from: usize, to: usize) {
        // SAFETY: `from..to` is whole pages inside the collect's own allocation
        // (`Prefault::windows` clips to them), and `MADV_POPULATE_WRITE` changes no byte of
        // it: it only faults the pages in.
        let r = unsafe {
            libc::madvise(
                from as *mut libc::c_void,
                to - from,
                libc::MADV_POPULATE_WRITE,
            )
        };
        if r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
            UNSUPPORTED.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
mod os {
    pub(super) fn enabled() -> bool {
        false
    }

    pub(super) fn page_size() -> usize {
        4096
    }

    pub(super) fn resident(_: usize, _: usize) -> bool {
        true
    }

    pub(super) fn populate(_: usize, _: usize) {}
}

#[cfg(test)]
mod tests {
    use super::{Prefault, WINDOW};

    /// Every block split of a buffer maps each whole page of it exactly once, and nothing
    /// outside it.
    #[test]
    fn windows_cover_the_buffer_once_whatever_the_blocks() {
        let page = 4096;
        for base in [0x10_0000usize, 0x10_0010, 0x13_f000 + 16, 0x20_0000 - 8] {
            for bytes in [2 * WINDOW, 5 * WINDOW + 4000, (1 << 20) + 123] {
                let lo = base.next_multiple_of(page);
                let hi = (base + bytes) / page * page;
                let pf = Prefault {
                    base,
                    lo,
                    hi,
                    size: 1,
                };
                for block in [8, 4096, 32 << 10, 100_000, WINDOW, 3 * WINDOW + 5] {
                    let mut mapped = Vec::new();
                    let mut start = 0;
                    while start < bytes {
                        let end = (start + block).min(bytes);
                        pf.windows(start, end, |f, t| mapped.push((f, t)));
                        start = end;
                    }
                    mapped.sort();
                    let mut at = lo;
                    for &(f, t) in &mapped {
                        assert_eq!(f, at, "gap or overlap at {f:#x} (base {base:#x})");
                        assert!(t > f && f % page == 0 && t % page == 0);
                        at = t;
                    }
                    assert_eq!(at, hi, "base {base:#x}, {bytes} bytes, blocks {block}");
                }
            }
        }
    }

    #[test]
    fn small_outputs_are_left_alone() {
        let mut v: Vec<u64> = Vec::with_capacity(1000);
        assert!(!Prefault::new(v.spare_capacity_mut()).is_on());
    }

    /// A buffer whose first page is already written is not prefaulted.
    #[test]
    fn resident_buffers_are_left_alone() {
        let mut v = vec![1u8; 4 << 20];
        v.clear();
        assert!(!Prefault::new(v.spare_capacity_mut()).is_on());
    }

    /// On Linux a fresh large allocation is prefaulted (its pages become resident), and
    /// prefaulting changes no byte. 64 MiB is above glibc's largest mmap threshold, so the
    /// allocation is always fresh from the kernel.
    #[cfg(all(target_os = "linux", not(miri), not(loom)))]
    #[test]
    fn a_fresh_buffer_is_prefaulted_and_keeps_its_contents() {
        let bytes = 64 << 20;
        let mut v: Vec<u8> = Vec::with_capacity(bytes);
        let pf = Prefault::new(&v.spare_capacity_mut()[..bytes]);
        assert!(
            pf.is_on(),
            "a fresh 64 MiB allocation should not be resident"
        );
        // Write part of the buffer, prefault all of it, and check nothing moved.
        let spare = v.spare_capacity_mut();
        for (i, b) in spare.iter_mut().enumerate().take(bytes / 2) {
            b.write(i as u8);
        }
        let last = pf.hi - 4096;
        assert!(
            !super::os::resident(last, 4096),
            "the last page is not written yet"
        );
        pf.block(0..bytes);
        assert!(
            super::os::resident(last, 4096),
            "prefaulting maps the last page"
        );
        // SAFETY: the first half was written just above.
        unsafe { v.set_len(bytes / 2) };
        assert!(v.iter().enumerate().all(|(i, &b)| b == i as u8));
    }
}
