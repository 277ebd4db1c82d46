//! loom models of the dataflow protocols (`cargo xtask loom`), on the shipping `Activator`
//! and `InputCell`:
//! - activator countdown: concurrent writes to a node's inputs schedule it exactly once, and
//!   the scheduled runner sees every value;
//! - multiple-use re-arming: a write for the next activation racing with the node's re-arm
//!   schedules it exactly once, never while it still runs;
//! - termination count: activations counted before the activating node finishes bring the
//!   count to zero only after every activated node finished (the parallel engine's count is
//!   the ontime-core scope latch, whose own model is in ontime-core's loom tests).

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use crate::activator::Activator;
use crate::port::{InputCell, PortId};
use crate::scheduler::{NodeId, Scheduler};

/// Records schedules; on a schedule, plays the runner: takes every input of the node.
struct Probe {
    activator: Activator,
    cells: Vec<Arc<InputCell<u32>>>,
    scheduled: AtomicUsize,
    running: AtomicBool,
    seen: AtomicUsize,
}

impl Scheduler for Probe {
    fn activator(&self, _node: NodeId) -> &Activator {
        &self.activator
    }
    fn schedule(&self, _node: NodeId) {
        assert!(
            !self.running.load(Ordering::Acquire),
            "scheduled while it still runs"
        );
        self.scheduled.fetch_add(1, Ordering::Relaxed);
        for c in &self.cells {
            // SAFETY: the activator chose this thread to run the node.
            let v = unsafe { c.take(false) }.expect("the runner sees every input");
            self.seen.fetch_add(v as usize, Ordering::Relaxed);
        }
    }
}

fn probe(inputs: usize, armed_at: usize) -> Arc<Probe> {
    let p = Probe {
        activator: Activator::new(NodeId(0), inputs),
        cells: (0..inputs)
            .map(|i| Arc::new(InputCell::new(PortId(i as u32))))
            .collect(),
        scheduled: AtomicUsize::new(0),
        running: AtomicBool::new(false),
        seen: AtomicUsize::new(0),
    };
    // Bring the count to `armed_at` missing inputs (0 = the node was scheduled and runs).
    for _ in armed_at..inputs {
        p.activator.notify(&NoSched);
    }
    Arc::new(p)
}

struct NoSched;
impl Scheduler for NoSched {
    fn activator(&self, _node: NodeId) -> &Activator {
        unreachable!()
    }
    fn schedule(&self, _node: NodeId) {}
}

#[test]
fn activator_countdown_schedules_exactly_once_and_the_runner_sees_every_input() {
    loom::model(|| {
        let p = probe(3, 3);
        let writers: Vec<_> = (0..3)
            .map(|i| {
                let p = p.clone();
                thread::spawn(move || {
                    p.cells[i].put(1 << i).unwrap();
                    p.activator.notify(&*p);
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(p.scheduled.load(Ordering::Relaxed), 1);
        assert_eq!(p.seen.load(Ordering::Relaxed), 0b111);
    });
}

#[test]
fn rearming_races_the_next_write_and_schedules_once_never_while_running() {
    loom::model(|| {
        // The node has one input; it was scheduled (count 0), took its input and runs.
        let p = probe(1, 0);
        p.running.store(true, Ordering::Release);
        let writer = {
            let p = p.clone();
            thread::spawn(move || {
                // The producer's next activation writes while the node still runs.
                p.cells[0].put(5).unwrap();
                p.activator.notify(&*p);
            })
        };
        // The node finishes, then re-arms (its last step).
        p.running.store(false, Ordering::Release);
        p.activator.rearm(&*p);
        writer.join().unwrap();
        assert_eq!(
            p.scheduled.load(Ordering::Relaxed),
            1,
            "the next activation runs once"
        );
        assert_eq!(p.seen.load(Ordering::Relaxed), 5);
    });
}

#[test]
fn termination_count_reaches_zero_only_after_every_activated_node() {
    // Diamond a -> (b, c) -> d. The run holds one count; `a` runs on the main thread and
    // activates `b` and `c` (counting each before `a` finishes); `b` and `c` run on their own
    // threads and write `d`'s two inputs; whoever completes `d`'s countdown runs it (counted
    // first). The count hits zero once, and only when `d` has run.
    loom::model(|| {
        struct Run {
            pending: AtomicUsize,
            d: Activator,
            d_ran: AtomicBool,
            zero_seen: AtomicUsize,
        }
        impl Run {
            fn finish_one(&self) {
                if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
                    assert!(self.d_ran.load(Ordering::Acquire), "ended before d ran");
                    self.zero_seen.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        impl Scheduler for Run {
            fn activator(&self, _n: NodeId) -> &Activator {
                &self.d
            }
            fn schedule(&self, _n: NodeId) {
                // Count `d` before the activating node finishes, then run it here.
                self.pending.fetch_add(1, Ordering::Relaxed);
                self.d_ran.store(true, Ordering::Release);
                self.finish_one();
            }
        }
        let run = Arc::new(Run {
            pending: AtomicUsize::new(1),
            d: Activator::new(NodeId(3), 2),
            d_ran: AtomicBool::new(false),
            zero_seen: AtomicUsize::new(0),
        });
        // `a` activates b and c: count them first.
        run.pending.fetch_add(2, Ordering::Relaxed);
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let run = run.clone();
                thread::spawn(move || {
                    run.d.notify(&*run);
                    run.finish_one();
                })
            })
            .collect();
        // `a` (and the run's own count) finishes.
        run.finish_one();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(run.zero_seen.load(Ordering::Relaxed), 1);
        assert!(run.d_ran.load(Ordering::Relaxed));
    });
}

/// Two nodes behind a condition: `target` (branch 0; one data input and the branch edge) and
/// `other` (branch 1; the branch edge only).
struct CondProbe {
    target: Activator,
    other: Activator,
    cell: Arc<InputCell<u32>>,
    scheduled: [AtomicUsize; 2],
    seen: AtomicUsize,
}

impl Scheduler for CondProbe {
    fn activator(&self, node: NodeId) -> &Activator {
        match node.0 {
            0 => &self.target,
            _ => &self.other,
        }
    }
    fn schedule(&self, node: NodeId) {
        self.scheduled[node.0 as usize].fetch_add(1, Ordering::Relaxed);
        if node.0 == 0 {
            // SAFETY: the activator chose this thread to run the node.
            let v = unsafe { self.cell.take(false) }.expect("the runner sees its data input");
            self.seen.store(v as usize, Ordering::Relaxed);
        }
    }
}

/// A condition's choice (`graph/condition.rs`) races a data write to the chosen target: the
/// target is scheduled exactly once and sees its input; the branch not chosen is never
/// scheduled.
#[test]
fn a_chosen_branch_and_a_data_input_schedule_the_target_once() {
    use crate::graph::condition::{activate, Branches};
    loom::model(|| {
        let p = Arc::new(CondProbe {
            target: Activator::new(NodeId(0), 2),
            other: Activator::new(NodeId(1), 1),
            cell: Arc::new(InputCell::new(PortId(0))),
            scheduled: [AtomicUsize::new(0), AtomicUsize::new(0)],
            seen: AtomicUsize::new(0),
        });
        let branches: Branches = std::sync::Arc::default();
        let table: Box<[Box<[NodeId]>]> = vec![
            vec![NodeId(0)].into_boxed_slice(),
            vec![NodeId(1)].into_boxed_slice(),
        ]
        .into_boxed_slice();
        let _ = branches.set(table);
        let producer = {
            let p = p.clone();
            thread::spawn(move || {
                p.cell.put(7).unwrap();
                p.target.notify(&*p);
            })
        };
        // The condition task returned branch 0.
        activate(&branches, 0, &*p);
        producer.join().unwrap();
        assert_eq!(
            p.scheduled[0].load(Ordering::Relaxed),
            1,
            "target runs once"
        );
        assert_eq!(
            p.scheduled[1].load(Ordering::Relaxed),
            0,
            "the other branch never"
        );
        assert_eq!(p.seen.load(Ordering::Relaxed), 7);
    });
}

/// `Activator::notify_bounded` (signals, `graph/signal.rs`): a one-input listener that is
/// queued for one emission takes one more ahead; of two more emissions racing, exactly one is
/// refused, and neither schedules it again while it is queued.
#[test]
fn a_listener_takes_one_emission_ahead_and_refuses_the_next() {
    loom::model(|| {
        // Scheduled for the first emission (count 0), not yet run.
        let p = probe(1, 0);
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let p = p.clone();
                thread::spawn(move || p.activator.notify_bounded(&*p).is_err())
            })
            .collect();
        let refused = racers
            .into_iter()
            .map(|r| r.join().unwrap())
            .filter(|&e| e)
            .count();
        assert_eq!(refused, 1, "one emission ahead is taken, the next refused");
        assert_eq!(
            p.scheduled.load(Ordering::Relaxed),
            0,
            "not scheduled while queued"
        );
    });
}

/// A bounded port of capacity 1 (`port/ring.rs`) between a producer `p` (node 0: one plain
/// input, its own count, fed back to itself) and a consumer `c` (node 1: the ring), each run
/// on its own thread whenever its activator schedules it. Two values pass. Checked: each node
/// is scheduled exactly once per activation and never while queued or running; the producer
/// never writes a full ring (a push would fail with `Full`); the consumer sees every value, in
/// order; and both counters end where they started.
#[test]
fn a_bounded_port_hands_every_value_over_in_order_and_never_overfills() {
    use crate::port::ring::Ring;
    const N: u32 = 2;
    struct Pair {
        acts: [Activator; 2],
        queued: [AtomicBool; 2],
        count: InputCell<u32>,
        ring: Ring<u32>,
    }
    impl Scheduler for Pair {
        fn activator(&self, node: NodeId) -> &Activator {
            &self.acts[node.index()]
        }
        fn schedule(&self, node: NodeId) {
            let was = self.queued[node.index()].swap(true, Ordering::AcqRel);
            assert!(!was, "{node} scheduled while queued or running");
        }
    }
    loom::model(|| {
        let (p, c) = (NodeId(0), NodeId(1));
        let mut ring = Ring::new(1, PortId(1), c, std::ptr::null());
        ring.ctl.producer = Some(p);
        let pair = Arc::new(Pair {
            acts: [
                Activator::with_rings(p, 1, 0, 1),
                Activator::with_rings(c, 1, 1, 0),
            ],
            queued: [AtomicBool::new(false), AtomicBool::new(false)],
            count: InputCell::new(PortId(0)),
            ring,
        });
        // SAFETY: no thread runs yet.
        unsafe { pair.ring.reset() };
        // The run starts: the producer's count is seeded.
        pair.count.put(0).unwrap();
        pair.acts[0].notify(&*pair);
        let wait = |pair: &Pair, node: usize| {
            while !pair.queued[node].load(Ordering::Acquire) {
                thread::yield_now();
            }
        };
        let producer = {
            let pair = pair.clone();
            thread::spawn(move || {
                for _ in 0..N {
                    wait(&pair, 0);
                    // SAFETY: the activator chose this thread to run the producer.
                    let i = unsafe { pair.count.take(false) }.expect("the count is in");
                    // SAFETY: this thread runs the ring's producer.
                    unsafe { pair.ring.push(&*pair, i) }.expect("never written while full");
                    if i + 1 < N {
                        pair.count.put(i + 1).unwrap();
                        pair.acts[0].notify(&*pair);
                    }
                    let missing = pair.ring.ctl.take_spent();
                    pair.queued[0].store(false, Ordering::Release);
                    pair.acts[0].rearm_with(&*pair, missing);
                }
            })
        };
        for want in 0..N {
            wait(&pair, 1);
            // SAFETY: the activator chose this thread to run the consumer.
            let v = unsafe { pair.ring.pop(&*pair) };
            assert_eq!(v, Some(want), "every value, in order");
            // SAFETY: this thread runs the consumer, at the end of its activation.
            let missing = unsafe { pair.ring.ctl.settle() };
            pair.queued[1].store(false, Ordering::Release);
            pair.acts[1].rearm_with(&*pair, missing);
        }
        producer.join().unwrap();
        assert!(!pair.queued[0].load(Ordering::Relaxed));
        assert!(!pair.queued[1].load(Ordering::Relaxed));
        // Both nodes wait again with every input missing: the producer its count (the slot is
        // free), the consumer its value.
        assert_eq!(pair.acts[0].missing(), 1);
        assert_eq!(pair.acts[1].missing(), 1);
    });
}
