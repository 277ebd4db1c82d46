//! The simulated pool's state: requests, workers, their stacks of frames and deques of forks.
//! The rules that move this state are in `engine.rs`; this file holds data and the small
//! invariant-keeping helpers.

use std::collections::VecDeque;

use smallvec::SmallVec;

use ontime_core::RequestFlags;

/// Worker index, as in the real pool.
pub(crate) type W = usize;

/// A request of the stream, as the simulated pool sees it.
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub(crate) items: u64,
    pub(crate) arrival: u64,
    pub(crate) start: Option<u64>,
    pub(crate) finish: Option<u64>,
    /// Rejected unrun (`StealPolicy::rejects_late`); its latency is reported as `u64::MAX`.
    pub(crate) rejected: bool,
    /// The worker that admitted it (where its work goes home when it stops sharing).
    pub(crate) home: W,
    /// What the policy's verdicts raised (core's `RequestFlags`, as a pool keeps them).
    pub(crate) flags: RequestFlags,
    /// Items finished and reported (loop progress, at block boundaries).
    pub(crate) done: u64,
    /// Items announced by its loop (the whole loop, when it starts).
    pub(crate) total: u64,
    /// Workers whose running frame belongs to this request (for live progress).
    pub(crate) runners: Vec<W>,
}

/// A fork: the right half of a split range, waiting in its owner's deque (pending, or shared
/// with thieves), handed back, or sent home.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Fork {
    pub(crate) req: usize,
    pub(crate) lo: u64,
    pub(crate) hi: u64,
    /// The frame that made it and waits for it: (worker, index in that worker's stack).
    pub(crate) parent: (W, usize),
    /// Eager splits its runner makes before waiting for heartbeats, unless it migrates.
    pub(crate) splits: u32,
}

/// Why a frame sits on top of another on the same stack.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Nesting {
    /// At the bottom of the stack, or a fork taken while blocked: not a queued task.
    None,
    /// A queued request admitted by a blocked worker (counts toward the admit depth).
    Admitted,
    /// A queued request run at a deprioritized loop's block boundary (counts toward the
    /// admit depth and the yield nesting).
    Yielded,
}

/// One frame of a worker's stack: a piece of a request's loop (or tree) being run.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub(crate) req: usize,
    /// The range this frame runs now (`lo` advances as blocks finish).
    pub(crate) lo: u64,
    pub(crate) hi: u64,
    /// When the block starting at `lo` started (valid while the frame runs).
    pub(crate) t0: u64,
    pub(crate) splits: u32,
    /// Forks of this frame that left its worker's deque (stolen, handed back, sent home)
    /// and have not finished.
    pub(crate) outstanding: u32,
    /// The frame waiting for this one, if it runs a fork.
    pub(crate) parent: Option<(W, usize)>,
    pub(crate) nesting: Nesting,
}

/// What an idle worker is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Running its top frame.
    Running,
    /// Took work (a steal or an admission) and starts it after the transfer latency.
    Starting,
    /// Found nothing: spinning (it reacts within `react`) or asleep (`wake` to wake up).
    Idle { sleeping: bool },
}

/// What a starting worker took.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Incoming {
    /// A fork from another worker's deque (migrated: splits eagerly again).
    Stolen(Fork),
    /// A request from the admission queue, nested as given.
    Root(usize, Nesting),
}

/// A simulated worker.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) stack: Vec<Frame>,
    /// Forks, oldest first. The first `shared` are stealable; the rest are pending (private).
    pub(crate) deque: VecDeque<Fork>,
    pub(crate) shared: usize,
    /// Forks handed back by thieves or sent home by other workers.
    pub(crate) returned: VecDeque<Fork>,
    /// The heartbeat flag.
    pub(crate) flag: bool,
    pub(crate) mode: Mode,
    pub(crate) incoming: Option<Incoming>,
    /// Generation of the worker's scheduled boundary (stale events are skipped).
    pub(crate) gen: u64,
    /// When the scheduled boundary fires (`u64::MAX`: none).
    pub(crate) next_at: u64,
    pub(crate) search_pending: bool,
    /// When it last searched and found nothing.
    pub(crate) failed_at: Option<u64>,
    pub(crate) idle_since: u64,
    /// Queued tasks running nested on its stack, and how many of them are yields.
    pub(crate) depth: u32,
    pub(crate) yields: u32,
}

impl Worker {
    pub(crate) fn new() -> Self {
        Worker {
            stack: Vec::new(),
            deque: VecDeque::new(),
            shared: 0,
            returned: VecDeque::new(),
            flag: false,
            mode: Mode::Idle { sleeping: true },
            incoming: None,
            gen: 0,
            next_at: u64::MAX,
            search_pending: false,
            failed_at: None,
            idle_since: 0,
            depth: 0,
            yields: 0,
        }
    }

    /// Pending (not yet shared) forks.
    pub(crate) fn pending(&self) -> usize {
        self.deque.len() - self.shared
    }

    /// Takes back the newest fork if it belongs to the top frame.
    pub(crate) fn pop_own(&mut self) -> Option<Fork> {
        let top = self.stack.len().checked_sub(1)?;
        let me = self.deque.back()?.parent.1;
        if me != top {
            return None;
        }
        if self.deque.len() == self.shared {
            self.shared -= 1;
        }
        self.deque.pop_back()
    }

    /// Takes back the newest fork, whoever on this stack made it (an idle worker's
    /// `find_work` pops its own deque first).
    pub(crate) fn pop_any(&mut self) -> Option<Fork> {
        if self.deque.len() == self.shared && self.shared > 0 {
            self.shared -= 1;
        }
        self.deque.pop_back()
    }

    /// The oldest shared fork, for a thief.
    pub(crate) fn steal(&mut self) -> Option<Fork> {
        if self.shared == 0 {
            return None;
        }
        self.shared -= 1;
        self.deque.pop_front()
    }

    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.mode, Mode::Idle { .. })
    }
}

/// `ceil(log2(threads))`, as the real loops' eager splits.
pub(crate) fn initial_splits(threads: usize) -> u32 {
    threads.next_power_of_two().trailing_zeros()
}

/// A set of worker indices as a bitset: membership changes and walks in ring order cost a
/// few word operations per member, where an ordered tree set cost most of a 256-worker run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Workers {
    words: Vec<u64>,
    len: usize,
}

impl Workers {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Workers {
            words: vec![0; n.div_ceil(64)],
            len: 0,
        }
    }

    pub(crate) fn set(&mut self, w: W, on: bool) {
        let (i, bit) = (w / 64, 1u64 << (w % 64));
        let was = self.words[i] & bit != 0;
        if on && !was {
            self.words[i] |= bit;
            self.len += 1;
        } else if !on && was {
            self.words[i] &= !bit;
            self.len -= 1;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The members in ring order from `start` (of `n` workers), each with its ring distance
    /// from `start`, as they are now (a snapshot: later changes to the set do not show).
    /// Lazy: a walk that stops early pays only for what it visited. The snapshot lives
    /// inline up to 256 workers, so a walk allocates nothing there.
    pub(crate) fn ring(&self, start: W, n: usize) -> impl Iterator<Item = (usize, W)> {
        Ring::new(SmallVec::<[u64; 4]>::from_slice(&self.words), start, n)
    }

    /// As [`Workers::ring`], reading the set in place, for walks that change no set.
    pub(crate) fn ring_now(&self, start: W, n: usize) -> impl Iterator<Item = (usize, W)> + '_ {
        Ring::new(self.words.as_slice(), start, n)
    }

    pub(crate) fn first(&self) -> Option<W> {
        let (i, w) = self.words.iter().enumerate().find(|(_, w)| **w != 0)?;
        Some(i * 64 + w.trailing_zeros() as usize)
    }
}

/// The set bits of `words` below `n` in ring order from `start`, with their distance from
/// it: the bits at or above `start`, then those below. Word `start / 64` is read twice, its
/// high part first and its low part last.
struct Ring<S> {
    words: S,
    start: W,
    n: usize,
    /// Words read so far; the walk reads `words + 1` of them (the first one twice).
    read: usize,
    /// The word being read, its index, and its bits not yet visited.
    i: usize,
    cur: u64,
}

impl<S: AsRef<[u64]>> Ring<S> {
    fn new(words: S, start: W, n: usize) -> Self {
        let i = start / 64;
        let cur = words
            .as_ref()
            .get(i)
            .map_or(0, |w| w & (!0u64 << (start % 64)));
        Ring {
            words,
            start,
            n,
            read: 1,
            i,
            cur,
        }
    }
}

impl<S: AsRef<[u64]>> Iterator for Ring<S> {
    type Item = (usize, W);

    #[inline]
    fn next(&mut self) -> Option<(usize, W)> {
        loop {
            if self.cur != 0 {
                let w = self.i * 64 + self.cur.trailing_zeros() as usize;
                self.cur &= self.cur - 1;
                if w < self.n {
                    let d = if w >= self.start {
                        w - self.start
                    } else {
                        w + self.n - self.start
                    };
                    return Some((d, w));
                }
                continue;
            }
            let words = self.words.as_ref();
            if self.read > words.len() {
                return None;
            }
            self.read += 1;
            self.i += 1;
            if self.i == words.len() {
                self.i = 0;
            }
            self.cur = words[self.i];
            if self.read > words.len() {
                // Back at the first word: only the bits below `start` are left.
                self.cur &= (1u64 << (self.start % 64)).wrapping_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_sets_walk_in_ring_order() {
        let mut s = Workers::with_capacity(200);
        for w in [3, 70, 150, 199] {
            s.set(w, true);
        }
        s.set(70, true);
        assert_eq!(s.len(), 4);
        assert_eq!(s.first(), Some(3));
        assert_eq!(
            s.ring(100, 200).collect::<Vec<_>>(),
            vec![(50, 150), (99, 199), (103, 3), (170, 70)]
        );
        assert_eq!(s.ring(0, 200).count(), 4);
        assert_eq!(
            s.ring_now(3, 200).collect::<Vec<_>>(),
            vec![(0, 3), (67, 70), (147, 150), (196, 199)]
        );
        assert_eq!(
            s.ring_now(199, 200).collect::<Vec<_>>(),
            vec![(0, 199), (4, 3), (71, 70), (151, 150)]
        );
        assert_eq!(
            s.ring(71, 200).collect::<Vec<_>>(),
            vec![(79, 150), (128, 199), (132, 3), (199, 70)]
        );
        s.set(3, false);
        s.set(3, false);
        assert_eq!((s.len(), s.first()), (3, Some(70)));
        assert!(!s.is_empty());
    }
}
