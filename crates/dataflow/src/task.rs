//! Tasks: the code a node runs, in three trait families like closures.
//!
//! A task runs with a [`Scheduler`], a tuple of single-use input ports ([`In`]) and a tuple of
//! single-use output ports ([`Out`]). [`TaskOnce`] runs once by value (single-use graphs),
//! [`TaskMut`] again and again through `&mut` (multiple-use graphs, state kept between runs),
//! [`Task`] through `&`. Input and output lists are tuples of value types, `(A, B)` for two
//! inputs; [`StrictTask`](crate::common::StrictTask) turns a plain function into a task.
//!
//! A task that uses only some inputs, defines only some outputs, or uses its ports in a set
//! order implements the traits directly:
//!
//! ```
//! use ontime_dataflow::{In, Out, ReceiverOnce, Scheduler, SenderOnce, TaskMut};
//!
//! /// Passes its input on only while it is below a limit.
//! struct Below(u32);
//! impl TaskMut<(u32,), (u32,)> for Below {
//!     fn run_mut(&mut self, _s: &dyn Scheduler, (x,): (In<u32>,), (out,): (Out<'_, u32>,)) {
//!         let x = x.recv_once().unwrap();
//!         if x < self.0 {
//!             out.send_once(x).unwrap();
//!         }
//!     }
//! }
//! ```

use std::ptr::NonNull;

use crate::graph::{Rx, Tx, Wiring};
use crate::port::{In, InputCell, Out, OutPort, PortError, ReceiverOnce, SenderOnce};
use crate::scheduler::{NodeId, Scheduler};

/// A task run at most once.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a task taking inputs `{I}` and giving outputs `{O}`",
    label = "not a task for these ports",
    note = "a `StrictTask` closure takes one argument per input port (up to 7) and returns a tuple with one value per output port (up to 4; one output is `(x,)`); the types must match the ports'",
    note = "for more ports, or to use only some of them, write a `FnTask` (tuples of up to 8 `In` and `Out` ports)"
)]
pub trait TaskOnce<I: InputList, O: OutputList> {
    /// Runs the task.
    fn run_once(self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>);
}

/// A task that may run many times and may change its own state.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a reusable task taking inputs `{I}` and giving outputs `{O}`",
    label = "not a task for these ports",
    note = "a `StrictTask` closure takes one argument per input port (up to 7) and returns a tuple with one value per output port (up to 4; one output is `(x,)`); the types must match the ports'",
    note = "for more ports, or to use only some of them, write a `FnTask` (tuples of up to 8 `In` and `Out` ports)"
)]
pub trait TaskMut<I: InputList, O: OutputList> {
    /// Runs the task.
    fn run_mut(&mut self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>);
}

/// A task that may run many times without changing its own state.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a shared task taking inputs `{I}` and giving outputs `{O}`",
    label = "not a task for these ports",
    note = "a `StrictTask` closure takes one argument per input port (up to 7) and returns a tuple with one value per output port (up to 4; one output is `(x,)`); the types must match the ports'",
    note = "for more ports, or to use only some of them, write a `FnTask` (tuples of up to 8 `In` and `Out` ports)"
)]
pub trait Task<I: InputList, O: OutputList> {
    /// Runs the task.
    fn run(&self, sched: &dyn Scheduler, inputs: I::Ports, outputs: O::Ports<'_>);
}

/// A tuple of input value types, `()` to `(A, B, C, D, E, F, G, H)`.
pub trait InputList: Sized + Send + 'static {
    /// The single-use ports a task gets: `(In<A>, In<B>, ...)`.
    type Ports;
    /// Where a node keeps its inputs: one [`InputCell`] per input.
    type Cells: Send + Sync + 'static;
    /// Number of inputs.
    const LEN: usize;
    /// Reads every port (a strict task uses all its inputs).
    fn recv_all(ports: Self::Ports) -> Result<Self, PortError>;
    #[doc(hidden)]
    /// # Safety
    /// Only the node's runner, while it runs the node.
    unsafe fn take(cells: &Self::Cells, close: bool) -> Self::Ports;
    #[doc(hidden)]
    /// # Safety
    /// Exclusive access to the graph.
    unsafe fn reset(cells: &Self::Cells);
}

/// A tuple of output value types, `()` to `(A, B, C, D, E, F, G, H)`.
pub trait OutputList: Sized + Send + 'static {
    /// The single-use ports a task gets: `(Out<'a, A>, Out<'a, B>, ...)`.
    type Ports<'a>;
    /// Where a node keeps its outputs: one [`OutPort`] per output.
    type Senders: Send + Sync + 'static;
    /// Number of outputs.
    const LEN: usize;
    /// Writes every port (a strict task defines all its outputs).
    fn send_all(ports: Self::Ports<'_>, values: Self) -> Result<(), PortError>;
    #[doc(hidden)]
    /// `local`: the graph runs on one thread (`Scheduler::single_threaded`).
    fn ports<'a>(
        senders: &'a Self::Senders,
        sched: &'a dyn Scheduler,
        local: bool,
    ) -> Self::Ports<'a>;
}

/// A tuple of input handles `(Rx<A>, Rx<B>, ...)`, as given to a graph builder.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of input ports",
    label = "expected a tuple of `Rx` handles",
    note = "a task's inputs are a tuple of up to 8 `Rx` handles: `()`, `(rx,)`, `(a, b)`, ..."
)]
pub trait InputHandles {
    /// The value types: `(A, B, ...)`.
    type Values: InputList;
    #[doc(hidden)]
    /// Panics if a handle belongs to another builder.
    #[track_caller]
    fn check(&self, wiring: &Wiring);
    #[doc(hidden)]
    fn cells(&self) -> <Self::Values as InputList>::Cells;
    #[doc(hidden)]
    /// # Safety
    /// `cells` are the cells `cells()` made, inside `node`, in the builder's arena.
    unsafe fn attach(
        self,
        wiring: &mut Wiring,
        node: NodeId,
        cells: NonNull<<Self::Values as InputList>::Cells>,
    );
}

/// A tuple of output handles `(Tx<A>, Tx<B>, ...)`, as given to a graph builder.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of output ports",
    label = "expected a tuple of `Tx` handles",
    note = "a task's outputs are a tuple of up to 8 `Tx` handles: `()`, `(tx,)`, `(a, b)`, ..."
)]
pub trait OutputHandles {
    /// The value types: `(A, B, ...)`.
    type Values: OutputList;
    #[doc(hidden)]
    /// Panics if a handle belongs to another builder.
    #[track_caller]
    fn check(&self, wiring: &Wiring);
    #[doc(hidden)]
    fn senders(&self) -> <Self::Values as OutputList>::Senders;
    #[doc(hidden)]
    /// # Safety
    /// `senders` are the ports `senders()` made, inside `node`, in the builder's arena.
    unsafe fn attach(
        self,
        wiring: &mut Wiring,
        node: NodeId,
        senders: NonNull<<Self::Values as OutputList>::Senders>,
    );
}

macro_rules! lists {
    ($len:expr; $($T:ident $i:tt),*) => {
        impl<$($T: Send + 'static),*> InputList for ($($T,)*) {
            type Ports = ($(In<$T>,)*);
            type Cells = ($(InputCell<$T>,)*);
            const LEN: usize = $len;
            #[allow(clippy::unused_unit)]
            fn recv_all(_ports: Self::Ports) -> Result<Self, PortError> {
                Ok(($(_ports.$i.recv_once()?,)*))
            }
            #[allow(clippy::unused_unit)]
            unsafe fn take(_cells: &Self::Cells, _close: bool) -> Self::Ports {
                // SAFETY: forwarded contract.
                ($(In { value: unsafe { _cells.$i.take(_close) }, port: _cells.$i.port() },)*)
            }
            unsafe fn reset(_cells: &Self::Cells) {
                // SAFETY: forwarded contract.
                $(unsafe { _cells.$i.reset() };)*
            }
        }

        impl<$($T: Send + 'static),*> OutputList for ($($T,)*) {
            type Ports<'a> = ($(Out<'a, $T>,)*);
            type Senders = ($(OutPort<$T>,)*);
            const LEN: usize = $len;
            fn send_all(_ports: Self::Ports<'_>, _values: Self) -> Result<(), PortError> {
                $(_ports.$i.send_once(_values.$i)?;)*
                Ok(())
            }
            #[allow(clippy::unused_unit)]
            fn ports<'a>(
                _senders: &'a Self::Senders,
                _sched: &'a dyn Scheduler,
                _local: bool,
            ) -> Self::Ports<'a> {
                ($(Out { port: &_senders.$i, sched: _sched, local: _local },)*)
            }
        }

        impl<$($T: Send + 'static),*> InputHandles for ($(Rx<$T>,)*) {
            type Values = ($($T,)*);
            #[track_caller]
            fn check(&self, _wiring: &Wiring) {
                $(_wiring.check(self.$i.graph, self.$i.port);)*
            }
            #[allow(clippy::unused_unit)]
            fn cells(&self) -> <Self::Values as InputList>::Cells {
                ($(InputCell::new(self.$i.port),)*)
            }
            #[inline(always)]
            unsafe fn attach(
                self,
                _wiring: &mut Wiring,
                _node: NodeId,
                _cells: NonNull<<Self::Values as InputList>::Cells>,
            ) {
                $(
                    // SAFETY: `_cells` points to a live tuple in the arena; a field of it is
                    // not null.
                    let field = unsafe {
                        NonNull::new_unchecked(std::ptr::addr_of_mut!((*_cells.as_ptr()).$i))
                    };
                    _wiring.consume(self.$i, _node, field);
                )*
            }
        }

        impl<$($T: Send + 'static),*> OutputHandles for ($(Tx<$T>,)*) {
            type Values = ($($T,)*);
            #[track_caller]
            fn check(&self, _wiring: &Wiring) {
                $(_wiring.check(self.$i.graph, self.$i.port);)*
            }
            #[allow(clippy::unused_unit)]
            fn senders(&self) -> <Self::Values as OutputList>::Senders {
                ($(OutPort::new(self.$i.port),)*)
            }
            #[inline(always)]
            unsafe fn attach(
                self,
                _wiring: &mut Wiring,
                _node: NodeId,
                _senders: NonNull<<Self::Values as OutputList>::Senders>,
            ) {
                $(
                    // SAFETY: `_senders` points to a live tuple in the arena; a field of it is
                    // not null.
                    let field = unsafe {
                        NonNull::new_unchecked(std::ptr::addr_of_mut!((*_senders.as_ptr()).$i))
                    };
                    _wiring.produce(self.$i, _node, field);
                )*
            }
        }
    };
}

lists!(0;);
lists!(1; A 0);
lists!(2; A 0, B 1);
lists!(3; A 0, B 1, C 2);
lists!(4; A 0, B 1, C 2, D 3);
lists!(5; A 0, B 1, C 2, D 3, E 4);
lists!(6; A 0, B 1, C 2, D 3, E 4, F 5);
lists!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
lists!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
