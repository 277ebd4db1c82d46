//! Helpers that make tasks read like ordinary functions.
//!
//! - [`StrictTask`] wraps a strict function (uses every input, defines every output).
//! - [`FnTask`] wraps a closure that gets the ports themselves, for tasks that use only some
//!   inputs or define only some outputs.
//! - [`Shared`] runs a [`Task`] where a [`TaskMut`] or [`TaskOnce`] is expected, [`Reused`]
//!   runs a [`TaskMut`] where a [`TaskOnce`] is expected.
//! - [`TaskNode`](crate::TaskNode) holds a task with its ports behind a trait object.
//!
//! Fan-out needs no helper: clone an `Rx` and give each copy to a consumer. Control-only
//! edges (no value) come from `GraphBuilder::precede`.

use std::fmt;

use crate::port::PortError;
use crate::scheduler::Scheduler;
use crate::task::{InputList, OutputList, Task, TaskMut, TaskOnce};

/// A strict function as a task: it reads every input, calls the function, writes every
/// output. The function returns a tuple of outputs.
///
/// ```
/// use ontime_dataflow::common::StrictTask;
/// use ontime_dataflow::single_use::GraphBuilder;
///
/// let mut g = GraphBuilder::new();
/// let x = g.input(2u64);
/// let y = g.input(3u64);
/// let (s_tx, s_rx) = g.port();
/// g.task(StrictTask::new(|x, y| (x + y,)), (x, y), (s_tx,));
/// let sum = g.output(s_rx);
/// g.build().unwrap().run_sequential().unwrap();
/// assert_eq!(sum.take(), Ok(5));
/// ```
///
/// # Arity
/// The closure takes 0 to 7 arguments (one per input port, in order, of the ports' types)
/// and returns a tuple of 0 to 4 values (one per output port; one output is `(x,)`). A
/// closure that does not fit is reported as "not a task taking inputs ... and giving outputs
/// ..."; for more ports, or to use only some of them, write a [`FnTask`].
///
/// ```compile_fail
/// use ontime_dataflow::common::StrictTask;
/// use ontime_dataflow::single_use::GraphBuilder;
/// let mut g = GraphBuilder::new();
/// let x = g.input(2u64);
/// let (tx, _rx) = g.port::<u64>();
/// // One output is a one-element tuple, `(x + 1,)`: a bare value is not a task.
/// g.task(StrictTask::new(|x: u64| x + 1), (x,), (tx,));
/// ```
///
/// # Panics
/// The run panics (and the engine reports the node) if a port misbehaves: an input without a
/// value, or an output written twice before its reader ran.
#[derive(Clone)]
pub struct StrictTask<F> {
    f: F,
}

impl<F> StrictTask<F> {
    /// Wraps `f`.
    pub fn new(f: F) -> Self {
        StrictTask { f }
    }
}

impl<F> fmt::Debug for StrictTask<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StrictTask")
    }
}

#[cold]
#[inline(never)]
fn port_failed(e: PortError) -> ! {
    panic!("ontime-dataflow: {e}")
}

/// A strict task's run: read every input, call, write every output.
#[inline]
fn run_strict<I: InputList, O: OutputList>(
    inputs: I::Ports,
    outputs: O::Ports<'_>,
    f: impl FnOnce(I) -> O,
) {
    let args = I::recv_all(inputs).unwrap_or_else(|e| port_failed(e));
    O::send_all(outputs, f(args)).unwrap_or_else(|e| port_failed(e));
}

macro_rules! strict_outs {
    ($ins:tt; $($outs:tt)*) => {$(
        strict_one!($ins; $outs);
    )*};
}

macro_rules! strict_one {
    ([$($A:ident $a:ident),*]; [$($O:ident),*]) => {
        impl<Fun, $($A: Send + 'static,)* $($O: Send + 'static,)*> TaskOnce<($($A,)*), ($($O,)*)> for StrictTask<Fun>
        where
            Fun: FnOnce($($A),*) -> ($($O,)*),
        {
            #[inline]
            fn run_once(self, _s: &dyn Scheduler, inputs: <($($A,)*) as InputList>::Ports, outputs: <($($O,)*) as OutputList>::Ports<'_>) {
                run_strict(inputs, outputs, |($($a,)*)| (self.f)($($a),*));
            }
        }

        impl<Fun, $($A: Send + 'static,)* $($O: Send + 'static,)*> TaskMut<($($A,)*), ($($O,)*)> for StrictTask<Fun>
        where
            Fun: FnMut($($A),*) -> ($($O,)*),
        {
            #[inline]
            fn run_mut(&mut self, _s: &dyn Scheduler, inputs: <($($A,)*) as InputList>::Ports, outputs: <($($O,)*) as OutputList>::Ports<'_>) {
                run_strict(inputs, outputs, |($($a,)*)| (self.f)($($a),*));
            }
        }

        impl<Fun, $($A: Send + 'static,)* $($O: Send + 'static,)*> Task<($($A,)*), ($($O,)*)> for StrictTask<Fun>
        where
            Fun: Fn($($A),*) -> ($($O,)*),
        {
            #[inline]
            fn run(&self, _s: &dyn Scheduler, inputs: <($($A,)*) as InputList>::Ports, outputs: <($($O,)*) as OutputList>::Ports<'_>) {
                run_strict(inputs, outputs, |($($a,)*)| (self.f)($($a),*));
            }
        }
    };
}

macro_rules! strict_ins {
    ($([$($A:ident $a:ident),*])*) => {$(
        strict_outs!([$($A $a),*]; [] [P] [P, Q] [P, Q, R] [P, Q, R, S]);
    )*};
}

strict_ins!(
    []
    [A a]
    [A a, B b]
    [A a, B b, C c]
    [A a, B b, C c, D d]
    [A a, B b, C c, D d, E e]
    [A a, B b, C c, D d, E e, G g]
    [A a, B b, C c, D d, E e, G g, H h]
);

/// A closure that receives the scheduler and the port tuples, as a task: for tasks that use
/// only some inputs, define only some outputs, or order their port uses.
///
/// ```
/// use ontime_dataflow::common::FnTask;
/// use ontime_dataflow::single_use::GraphBuilder;
/// use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce};
///
/// let mut g = GraphBuilder::new();
/// let x = g.input(7i32);
/// let (pos_tx, pos_rx) = g.port();
/// let (neg_tx, neg_rx) = g.port();
/// // Writes only one of its two outputs.
/// g.task(
///     FnTask::new(|_s: &dyn Scheduler, (x,): (In<i32>,), (pos, neg): (Out<'_, i32>, Out<'_, i32>)| {
///         let x = x.recv_once().unwrap();
///         if x >= 0 { pos.send_once(x).unwrap() } else { neg.send_once(x).unwrap() }
///     }),
///     (x,),
///     (pos_tx, neg_tx),
/// );
/// let pos = g.output(pos_rx);
/// let neg = g.output(neg_rx);
/// g.build().unwrap().run_sequential().unwrap();
/// assert_eq!((pos.take(), neg.is_full()), (Ok(7), false));
/// ```
#[derive(Clone)]
pub struct FnTask<F> {
    f: F,
}

impl<F> FnTask<F> {
    /// Wraps `f`.
    pub fn new(f: F) -> Self {
        FnTask { f }
    }
}

impl<F> fmt::Debug for FnTask<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnTask")
    }
}

impl<I: InputList, O: OutputList, F> TaskOnce<I, O> for FnTask<F>
where
    F: FnOnce(&dyn Scheduler, I::Ports, O::Ports<'_>),
{
    fn run_once(self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        (self.f)(sched, inputs, outputs)
    }
}

impl<I: InputList, O: OutputList, F> TaskMut<I, O> for FnTask<F>
where
    F: FnMut(&dyn Scheduler, I::Ports, O::Ports<'_>),
{
    fn run_mut(&mut self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        (self.f)(sched, inputs, outputs)
    }
}

impl<I: InputList, O: OutputList, F> Task<I, O> for FnTask<F>
where
    F: Fn(&dyn Scheduler, I::Ports, O::Ports<'_>),
{
    fn run(&self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        (self.f)(sched, inputs, outputs)
    }
}

/// Runs a [`Task`] (shared, `&self`) where a [`TaskMut`] or [`TaskOnce`] is expected.
#[derive(Clone, Debug)]
pub struct Shared<T>(pub T);

impl<I: InputList, O: OutputList, T: Task<I, O>> TaskMut<I, O> for Shared<T> {
    fn run_mut(&mut self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        self.0.run(sched, inputs, outputs)
    }
}

impl<I: InputList, O: OutputList, T: Task<I, O>> TaskOnce<I, O> for Shared<T> {
    fn run_once(self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        self.0.run(sched, inputs, outputs)
    }
}

/// Runs a [`TaskMut`] where a [`TaskOnce`] is expected (in a single-use graph).
#[derive(Clone, Debug)]
pub struct Reused<T>(pub T);

impl<I: InputList, O: OutputList, T: TaskMut<I, O>> TaskOnce<I, O> for Reused<T> {
    fn run_once(mut self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>) {
        self.0.run_mut(sched, inputs, outputs)
    }
}
