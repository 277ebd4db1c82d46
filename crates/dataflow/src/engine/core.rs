//! The engine core shared by the four engines: node slots, one activation, and the
//! bookkeeping before and after a run.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::Mutex;

use ontime_core::JobSlot;

use super::initial::Initial;
use super::options::{stop, Control, RunOptions};
use super::report::{NodeRef, RunError, RunErrorKind, RunReport};
use crate::activator::Activator;
use crate::graph::{spare, Arena, Built, Shape};
use crate::node::EngineNode;
use crate::port::ring::{OwnedRing, RingRef};
use crate::scheduler::{NodeId, Scheduler};
use crate::sync::{lock, AtomicU8, Ordering};

/// A node's run state (see `README.md`, "Who may run a node"): idle, queued by an accepted
/// `schedule`, or running. A single-use node stays `RUNNING` after its run, so it is never
/// queued twice; a multiple-use node goes back to `IDLE` just before it re-arms.
const IDLE: u8 = 0;
const QUEUED: u8 = 1;
const RUNNING: u8 = 2;

/// Single-use or multiple-use: whether a node runs again after re-arming.
pub(crate) trait Mode: Send + Sync + Sized + 'static {
    const REUSABLE: bool;
    /// An empty slot vector (this thread's spare, for single-use graphs: see `graph/spare.rs`).
    fn take_slots() -> Vec<JobSlot<Slot<Self>>>;
    /// Leaves an emptied slot vector for the next graph on this thread (single-use graphs).
    fn keep_slots(slots: Vec<JobSlot<Slot<Self>>>);
}

thread_local! {
    static SPARE_SLOTS: Cell<Option<Vec<JobSlot<Slot<SingleUse>>>>> = const { Cell::new(None) };
}

/// Single-use engines.
pub(crate) struct SingleUse;
/// Multiple-use engines.
pub(crate) struct MultipleUses;

impl Mode for SingleUse {
    const REUSABLE: bool = false;
    fn take_slots() -> Vec<JobSlot<Slot<Self>>> {
        spare::take_vec(&SPARE_SLOTS)
    }
    fn keep_slots(slots: Vec<JobSlot<Slot<Self>>>) {
        spare::keep_vec(&SPARE_SLOTS, slots);
    }
}

/// Multiple-use graphs live long and run many times: nothing to recycle.
impl Mode for MultipleUses {
    const REUSABLE: bool = true;
    fn take_slots() -> Vec<JobSlot<Slot<Self>>> {
        Vec::new()
    }
    fn keep_slots(_: Vec<JobSlot<Slot<Self>>>) {}
}

/// One node in an engine: its activator, the node, and per-run bookkeeping.
pub(crate) struct Slot<M: Mode> {
    pub(crate) activator: Activator,
    /// The node, in the engine's arena.
    node: NonNull<dyn EngineNode>,
    runs: UnsafeCell<u64>,
    /// Came up while the run was stopping, so its task did not run (`options.rs`); touched
    /// like `runs`.
    skipped: UnsafeCell<bool>,
    /// `IDLE`, `QUEUED` or `RUNNING`: a `schedule` is accepted only from `IDLE`.
    state: AtomicU8,
    /// The engine, for parallel runs (set at the start of each one).
    pub(crate) engine: *const Engine<M>,
    mode: PhantomData<M>,
}

// SAFETY: the node is run only by the thread its activator chose (unique at any time, see
// README.md) and `runs` is touched only by that thread or under `&mut Engine`; the node is
// `Sync` and lives in the engine's arena as long as the engine. `engine` is written only
// under `&mut Engine` and read by runners of that run.
unsafe impl<M: Mode> Sync for Slot<M> {}
// SAFETY: as above; the node is `Send`.
unsafe impl<M: Mode> Send for Slot<M> {}

/// The rings (`port/ring.rs`) one node reads and the ones that gate it as their producer.
#[derive(Default)]
pub(crate) struct NodeRings {
    reads: Vec<RingRef>,
    gates: Vec<RingRef>,
}

impl NodeRings {
    /// Rings gating this node that are full (after a run).
    #[cold]
    #[inline(never)]
    fn full_gates(&self) -> usize {
        self.gates
            .iter()
            // SAFETY: the engine owns the rings.
            .filter(|r| unsafe { r.ctl() }.is_full())
            .count()
    }

    /// The node's activation ended: its ring inputs now missing (see `RingCtl::settle`).
    ///
    /// # Safety
    /// Called by the node's runner at the end of its activation, before it re-arms.
    #[inline]
    unsafe fn settle(&self) -> usize {
        let mut missing = 0;
        for r in &self.reads {
            // SAFETY: the engine owns the rings; the caller is this
            // node's runner, and this node is the ring's consumer.
            missing += unsafe { r.ctl().settle() };
        }
        for r in &self.gates {
            // SAFETY: as above; this node is the ring's producer.
            missing += unsafe { r.ctl() }.take_spent();
        }
        missing
    }
}

/// Nodes, their control successors, and the first failure of the current run.
pub(crate) struct Engine<M: Mode> {
    pub(crate) nodes: Vec<JobSlot<Slot<M>>>,
    /// `precede` successors of each node (empty when the graph has no control edges).
    successors: Box<[Box<[NodeId]>]>,
    /// Nodes with no inputs at all: scheduled at the start of every run.
    pub(crate) roots: Box<[u32]>,
    /// Targets of seeded condition branches: notified once at the start of every run.
    seeded: Box<[u32]>,
    /// Per node, its bounded ports' rings (empty when the graph has none).
    rings: Box<[NodeRings]>,
    /// Every ring (to reset the producers' counts before a run), owned here.
    all_rings: Box<[OwnedRing]>,
    /// Nodes whose drop is not a no-op even after they ran (sorted).
    owning: Box<[u32]>,
    /// Single-use: the last run ran every node (so only `owning` needs dropping).
    all_ran: bool,
    /// The sequential engine's ready stack (capacity: one entry per node, reserved by the
    /// first sequential run).
    pub(crate) ready: Vec<u32>,
    failure: Mutex<Option<(NodeId, Box<dyn Any + Send>)>>,
    /// The current run's options and stop state.
    control: Control,
    pub(crate) shape: Shape,
    pub(crate) graph: u64,
    /// Owns the nodes and initial values; dropped last (fields drop in order).
    arena: Arena,
}

impl<M: Mode> Engine<M> {
    pub(crate) fn new(built: Built) -> Self {
        let Built {
            arena,
            inputs,
            successors,
            seeded,
            rings: all_rings,
            owning,
            shape,
            graph,
        } = built;
        let n = inputs.len();
        let roots = (0..n as u32).filter(|&i| inputs[i as usize] == 0).collect();
        let mut rings: Vec<NodeRings> = Vec::new();
        if !all_rings.is_empty() {
            rings.resize_with(n, NodeRings::default);
            for owned in all_rings.iter() {
                let r = owned.get();
                // SAFETY: built rings, owned by the engine, fixed from now on.
                let ctl = unsafe { r.ctl() };
                rings[ctl.consumer.index()].reads.push(r);
                if let Some(p) = ctl.producer {
                    rings[p.index()].gates.push(r);
                }
            }
        }
        let mut nodes = M::take_slots();
        nodes.reserve_exact(n);
        nodes.extend(
            arena
                .nodes
                .iter()
                .zip(inputs)
                .enumerate()
                .map(|(i, (&node, inputs))| {
                    JobSlot::new(Slot {
                        activator: Activator::new(NodeId::from_index(i), inputs as usize),
                        node,
                        runs: UnsafeCell::new(0),
                        skipped: UnsafeCell::new(false),
                        state: AtomicU8::new(IDLE),
                        engine: std::ptr::null(),
                        mode: PhantomData,
                    })
                }),
        );
        // Nodes reading or gated by rings re-arm by what their rings say (`activator.rs`).
        for (i, r) in rings.iter().enumerate() {
            if !(r.reads.is_empty() && r.gates.is_empty()) {
                let a = &mut nodes[i].task_mut().activator;
                *a = Activator::with_rings(a.node(), a.inputs(), r.reads.len(), r.gates.len());
            }
        }
        Engine {
            nodes,
            successors: successors.into_boxed_slice(),
            roots,
            seeded,
            rings: rings.into_boxed_slice(),
            all_rings: all_rings.into_boxed_slice(),
            owning: owning.into_boxed_slice(),
            all_ran: false,
            ready: Vec::new(),
            failure: Mutex::new(None),
            control: Control::default(),
            shape,
            graph,
            arena,
        }
    }

    /// Graph input (or seed) `index`, to change its value between runs.
    pub(crate) fn initial_mut(&mut self, index: usize) -> &mut dyn Initial {
        // SAFETY: a live object in the arena, and `&mut self` excludes every other use.
        unsafe { self.arena.initials[index].as_mut() }
    }

    /// Delivers every initial value (at the start of a run).
    ///
    /// # Safety
    /// Called once per run, by the thread that starts it: nobody else touches the initial
    /// values during a run (tasks reach only cells and activators).
    pub(crate) unsafe fn emit_initials(&self, sched: &dyn Scheduler) {
        for init in &self.arena.initials {
            // SAFETY: a live object in the arena (the engine outlives the run), used by this
            // thread alone (the contract).
            unsafe { (*init.as_ptr()).put() };
        }
        for init in &self.arena.initials {
            // SAFETY: as above.
            unsafe { init.as_ref().announce(sched) };
        }
        // Seeded condition branches start their loops (`graph/condition.rs`).
        for &t in self.seeded.iter() {
            sched.activator(NodeId(t)).notify(sched);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Before a run: counters to zero, and for reusable nodes, activators armed and stale
    /// inputs dropped (a run that failed may have left some).
    pub(crate) fn prepare(&mut self, opts: &RunOptions, workers: usize) {
        self.control.reset(opts, workers);
        if let Some(t) = self.control.tracing() {
            let names = (0..self.nodes.len())
                .map(|i| self.shape.name(NodeId::from_index(i)).cloned())
                .collect();
            t.trace().set_names(names);
        }
        let me: *const Engine<M> = self;
        for slot in self.nodes.iter_mut() {
            let s = slot.task_mut();
            *s.runs.get_mut() = 0;
            *s.skipped.get_mut() = false;
            s.state = AtomicU8::new(IDLE);
            s.engine = me;
            if M::REUSABLE {
                s.activator.arm();
                // SAFETY: `&mut self`: no run in progress.
                unsafe { s.node.as_ref().clear_inputs() };
            }
        }
        // Every ring empty (its initial value's slot reserved); a ring its initial value
        // fills leaves its producer one input short (`port/ring.rs`).
        for r in self.all_rings.iter() {
            // SAFETY: the engine owns the rings; `&mut self`: no run in progress.
            let ctl = unsafe {
                r.get().reset();
                r.get().ctl()
            };
            if let (Some(p), true) = (ctl.producer, ctl.is_full()) {
                self.nodes[p.index()].task_mut().activator.arm_one_more();
            }
        }
        *self.failure_slot() = None;
    }

    /// Runs node `i` once: its task, then its control successors, then (reusable) re-arms it.
    ///
    /// Called only by the thread the node's activator (or the engine's start) scheduled it on.
    /// `local`: the run is on one thread (the sequential engine, `Scheduler::single_threaded`).
    #[inline]
    pub(crate) fn execute(&self, i: usize, sched: &dyn Scheduler, local: bool) {
        let slot = self.nodes[i].task();
        slot.state.store(RUNNING, Ordering::Relaxed);
        // One load and a branch unless some `RunOptions` is set (`options.rs`).
        let mut tracing = None;
        if let Some(state) = self.control.active() {
            if self.control.skip_slow(state) {
                // The run is stopping: this activation ends without its task.
                // SAFETY: as `runs` below.
                unsafe { *slot.skipped.get() = true };
                if M::REUSABLE {
                    slot.state.store(IDLE, Ordering::Release);
                }
                return;
            }
            tracing = self.control.tracing().map(|t| (t, t.now()));
        }
        // Bounded ports: the oldest value of each ring moves into its input cell.
        if let Some(r) = self.rings.get(i) {
            for ring in &r.reads {
                // SAFETY: the engine owns the ring; this thread runs node `i`, its reader,
                // before the task takes its inputs.
                unsafe { ring.stage(sched) };
            }
        }
        // SAFETY: the node lives in the arena as long as the engine. The activator scheduled
        // node `i` exactly once for this activation, and it cannot be scheduled again before
        // the `rearm` below: this thread alone runs the node.
        let result = catch_unwind(AssertUnwindSafe(|| unsafe {
            slot.node.as_ref().run(sched, local)
        }));
        if let Some((t, start)) = tracing {
            t.record(i as u32, start);
        }
        // SAFETY: as above.
        unsafe { *slot.runs.get() += 1 };
        match result {
            Ok(()) => {
                if let Some(succ) = self.successors.get(i) {
                    for s in succ.iter() {
                        sched.activator(*s).notify(sched);
                    }
                }
            }
            Err(p) => {
                let mut f = lock(&self.failure);
                if f.is_none() {
                    *f = Some((NodeId::from_index(i), p));
                }
                drop(f);
                self.control.task_failed();
            }
        }
        if M::REUSABLE {
            match self.rings.get(i) {
                // Idle again before the re-arm, which may schedule it. Last use of the slot:
                // once re-armed, the node may run on another thread.
                None => {
                    slot.state.store(IDLE, Ordering::Release);
                    if local {
                        slot.activator.rearm_local(sched);
                    } else {
                        slot.activator.rearm(sched);
                    }
                }
                Some(r) => {
                    // Bounded ports: the ring inputs now missing (`port/ring.rs`).
                    // SAFETY: this thread runs node `i` (above), before its re-arm.
                    let missing = unsafe { r.settle() };
                    slot.state.store(IDLE, Ordering::Release);
                    slot.activator.rearm_with(sched, missing);
                }
            }
        }
    }

    /// The activator of `node`, or a panic naming the bad id (inside a task, the panic
    /// becomes that task's `RunError`).
    #[inline]
    pub(crate) fn activator_of(&self, node: NodeId) -> &Activator {
        match self.nodes.get(node.index()) {
            Some(slot) => &slot.task().activator,
            None => self.no_such_node(node),
        }
    }

    #[cold]
    fn no_such_node(&self, node: NodeId) -> ! {
        panic!(
            "ontime-dataflow: there is no {node} in this graph (it has {} nodes)",
            self.nodes.len()
        )
    }

    /// Accepts a request to queue `node` if it exists and is idle (see `IDLE`). A refusal does
    /// not queue anything: it becomes the run's failure, blamed on `caller` (the node whose
    /// task asked, if any) and the run goes on. So a task can never make a node run while it
    /// is queued or running, and a bad id never reaches the engine's own indexing.
    #[inline]
    pub(crate) fn claim(&self, node: NodeId, caller: Option<u32>) -> bool {
        self.claim_with(node, caller, false)
    }

    /// [`claim`](Self::claim); `local`: the run is on one thread (the sequential engine), so a
    /// plain load and store replace the CAS.
    #[inline]
    pub(crate) fn claim_with(&self, node: NodeId, caller: Option<u32>, local: bool) -> bool {
        let accepted = self.nodes.get(node.index()).is_some_and(|slot| {
            let state = &slot.task().state;
            if local {
                let idle = state.load(Ordering::Relaxed) == IDLE;
                if idle {
                    state.store(QUEUED, Ordering::Relaxed);
                }
                idle
            } else {
                state
                    .compare_exchange(IDLE, QUEUED, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            }
        });
        if !accepted {
            self.refuse(node, caller);
        }
        accepted
    }

    #[cold]
    #[inline(never)]
    fn refuse(&self, node: NodeId, caller: Option<u32>) {
        let why = if node.index() >= self.nodes.len() {
            format!(
                "there is no {node} in this graph (it has {} nodes)",
                self.nodes.len()
            )
        } else {
            format!(
                "{} was scheduled while it was queued or running (only its activator may \
                 schedule a node, once per activation)",
                self.node_ref(node)
            )
        };
        let blamed = caller.map_or(node, NodeId);
        let message = match caller {
            Some(c) => format!(
                "ontime-dataflow: {} called schedule: {why}",
                self.node_ref(NodeId(c))
            ),
            None => format!("ontime-dataflow: {why}"),
        };
        let blamed = if blamed.index() < self.nodes.len() {
            blamed
        } else {
            NodeId(0)
        };
        let mut f = lock(&self.failure);
        if f.is_none() {
            *f = Some((blamed, Box::new(message)));
        }
    }

    /// The first failure of the run, through `&mut` (no lock; poisoning ignored).
    fn failure_slot(&mut self) -> &mut Option<(NodeId, Box<dyn Any + Send>)> {
        self.failure.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    /// `finish`'s rare case: a node that never ran or holds inputs.
    #[cold]
    fn note_node(
        &self,
        i: usize,
        runs: u64,
        holds: bool,
        never_ran: &mut Vec<NodeRef>,
        pending: &mut Vec<NodeRef>,
    ) {
        let id = NodeId::from_index(i);
        if holds {
            pending.push(self.node_ref(id));
        }
        if runs == 0 {
            never_ran.push(self.node_ref(id));
        }
    }

    pub(crate) fn node_ref(&self, id: NodeId) -> NodeRef {
        NodeRef {
            id,
            name: self.shape.name(id).cloned(),
        }
    }

    /// After a run: what ran, and the first panic if any.
    pub(crate) fn finish(&mut self) -> Result<RunReport, RunError> {
        let stopped = self.control.stopped();
        let mut executed = 0;
        let mut never_ran = Vec::new();
        let mut pending = Vec::new();
        let mut first_skipped = None;
        let no_rings = self.rings.is_empty();
        for i in 0..self.nodes.len() {
            let s = self.nodes[i].task_mut();
            let runs = *s.runs.get_mut();
            executed += runs;
            // A single-use node that ran took all its inputs and gets no more, and was not
            // skipped unless the run was stopping: nothing to look at (the common case).
            if !M::REUSABLE && runs != 0 && stopped == stop::NO {
                continue;
            }
            // Some inputs in, not all: the node holds values no task read (a stall). A node
            // with no inputs counts 0 missing, one fully re-armed counts all of them. A
            // single-use node that ran took all its inputs and gets no more: only the nodes
            // that never ran need looking at.
            let partial = (M::REUSABLE || runs == 0) && {
                let missing = s.activator.missing_now();
                // A producer waiting for a free slot counts it as one missing input, but holds
                // no value for it (`port/ring.rs`).
                let held = if no_rings {
                    missing
                } else {
                    missing.wrapping_sub(self.rings[i].full_gates())
                };
                missing != 0 && held != s.activator.inputs()
            };
            // Skipped (stopping runs only): all its inputs in, its task not run.
            let skipped = stopped != stop::NO && *s.skipped.get_mut();
            if runs == 0 || partial || skipped {
                self.note_node(i, runs, partial || skipped, &mut never_ran, &mut pending);
                if skipped && first_skipped.is_none() {
                    first_skipped = Some(NodeId::from_index(i));
                }
            }
        }
        self.all_ran = !M::REUSABLE && executed == self.nodes.len() as u64;
        let report = RunReport {
            executed,
            never_ran,
            pending,
        };
        if let Some(node) = first_skipped {
            let node = self.node_ref(node);
            match stopped {
                stop::LIMIT => {
                    let limit = self.control.limit();
                    return Err(RunError::stopped(
                        RunErrorKind::ActivationLimit,
                        node,
                        format!(
                            "the run reached its limit of {limit} task runs                              (RunOptions::max_activations); a cycle with no exit condition?"
                        ),
                        report,
                    ));
                }
                stop::CANCELLED => {
                    return Err(RunError::stopped(
                        RunErrorKind::Cancelled,
                        node,
                        "the run was cancelled (RunCancel::cancel)".into(),
                        report,
                    ));
                }
                _ => {}
            }
        }
        let failure = self.failure_slot().take();
        match failure {
            None => Ok(report),
            // The run belongs to a cancelled request (a loop in a task unwound): go on
            // unwinding to the request's root, as any loop there would, rather than report
            // the cancellation as a task's panic.
            Some((_, payload)) if ontime_core::is_cancellation(&*payload) => {
                std::panic::resume_unwind(payload)
            }
            Some((node, payload)) => {
                let mut err = RunError::new(self.node_ref(node), payload, report);
                // Port errors say `port #i`: name the port and the nodes on it.
                if err.message().contains("port #") {
                    let named = self.shape.annotate_ports(err.message());
                    err.set_message(named);
                }
                Err(err)
            }
        }
    }
}

impl<M: Mode> Drop for Engine<M> {
    fn drop(&mut self) {
        M::keep_slots(std::mem::take(&mut self.nodes));
        if self.all_ran {
            // SAFETY: every node of this single-use graph ran, so only the listed ones own
            // anything (`README.md`, "Dropping a single-use graph"); the engine is going away.
            unsafe { self.arena.drop_only(&self.owning) };
        }
    }
}
