//! The per-worker deques and the admission queue.
//!
//! Normally these are crossbeam-deque's `Worker` (owner end, LIFO), `Stealer` (thieves'
//! end, FIFO) and `Injector`. crossbeam-deque has no loom support, so under `cfg(loom)` the
//! same API is modelled by a loom `Mutex<VecDeque>`: the protocols built on top (promotion,
//! stealing, sleep) are then checked with every interleaving loom can find.

#[cfg(not(loom))]
mod imp {
    use crossbeam_deque::Steal;

    /// The owner's end of a worker deque.
    pub(crate) struct LocalQueue<T>(crossbeam_deque::Worker<T>);
    /// A thief's handle on a worker deque.
    pub(crate) struct StealQueue<T>(crossbeam_deque::Stealer<T>);
    /// A multi-producer multi-consumer admission queue.
    pub(crate) struct Injector<T>(crossbeam_deque::Injector<T>);

    pub(crate) fn new_local<T>() -> (LocalQueue<T>, StealQueue<T>) {
        let w = crossbeam_deque::Worker::new_lifo();
        let s = w.stealer();
        (LocalQueue(w), StealQueue(s))
    }

    impl<T> LocalQueue<T> {
        #[inline]
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        #[inline]
        pub(crate) fn pop(&self) -> Option<T> {
            self.0.pop()
        }
    }

    impl<T> StealQueue<T> {
        /// Registers the calling thread with crossbeam-epoch, which every steal pins: the
        /// first pin of a thread allocates its epoch record (about 2.3 KB). A worker calls
        /// this on its own, still empty, deque when it starts, so its first real steal, in
        /// the middle of work, allocates nothing.
        pub(crate) fn register_thread(&self) {
            let _ = self.0.steal();
        }

        /// Whether the deque holds nothing to steal (a snapshot, for steering).
        pub(crate) fn is_empty(&self) -> bool {
            self.0.is_empty()
        }

        /// Takes the oldest item; retries while the deque reports a lost race.
        pub(crate) fn steal(&self) -> Option<T> {
            loop {
                match self.0.steal() {
                    Steal::Success(t) => return Some(t),
                    Steal::Empty => return None,
                    Steal::Retry => std::hint::spin_loop(),
                }
            }
        }
    }

    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(crossbeam_deque::Injector::new())
        }
        pub(crate) fn push(&self, t: T) {
            self.0.push(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            loop {
                match self.0.steal() {
                    Steal::Success(t) => return Some(t),
                    Steal::Empty => return None,
                    Steal::Retry => std::hint::spin_loop(),
                }
            }
        }
        pub(crate) fn len(&self) -> usize {
            self.0.len()
        }
    }
}

#[cfg(loom)]
mod imp {
    use crate::sync::{lock, Arc, Mutex};
    use std::collections::VecDeque;

    pub(crate) struct LocalQueue<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct StealQueue<T>(Arc<Mutex<VecDeque<T>>>);
    pub(crate) struct Injector<T>(Mutex<VecDeque<T>>);

    pub(crate) fn new_local<T>() -> (LocalQueue<T>, StealQueue<T>) {
        let q = Arc::new(Mutex::new(VecDeque::new()));
        (LocalQueue(q.clone()), StealQueue(q))
    }

    impl<T> LocalQueue<T> {
        pub(crate) fn push(&self, t: T) {
            lock(&self.0).push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_back()
        }
    }
    impl<T> StealQueue<T> {
        /// Nothing to register under loom (no epochs).
        pub(crate) fn register_thread(&self) {}
        pub(crate) fn is_empty(&self) -> bool {
            lock(&self.0).is_empty()
        }
        pub(crate) fn steal(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
    }
    impl<T> Injector<T> {
        pub(crate) fn new() -> Self {
            Injector(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, t: T) {
            lock(&self.0).push_back(t)
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
        pub(crate) fn len(&self) -> usize {
            lock(&self.0).len()
        }
    }
}

pub(crate) use imp::{new_local, Injector, LocalQueue, StealQueue};
