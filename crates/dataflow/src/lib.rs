//! # ontime-dataflow
//!
//! Dataflow graphs on the ontime-core work-stealing pool: a task runs once every input it
//! waits for has been written. The API follows the closure traits (`FnOnce`/`FnMut`/`Fn`):
//!
//! - **ports** ([`SenderOnce`]/[`SenderMut`]/[`Sender`], [`ReceiverOnce`]/[`ReceiverMut`]/
//!   [`Receiver`], [`Port::split`]): the receiver reads the last value the sender wrote;
//!   values are typed end to end;
//! - **tasks** ([`TaskOnce`]/[`TaskMut`]/[`Task`]): run with a [`Scheduler`], a tuple of
//!   single-use input ports and a tuple of single-use output ports;
//!   [`common::StrictTask`] turns a plain function into one;
//! - **nodes** ([`NodeOnce`]/[`NodeBox`]/[`NodeMut`]): [`TaskNode`] holds a task and its ports
//!   behind a trait object, so an engine keeps one list;
//! - **activators** ([`Activator`]): a node's counter of missing inputs; the write that brings
//!   it to zero schedules the node;
//! - a [`Scheduler`] trait, apart from the engines.
//!
//! Two engines, each sequential and parallel: [`single_use`] (each task at most once, no
//! cycles) and [`multiple_uses`] (tasks run once per activation, cycles allowed, no allocation
//! when a graph runs again). Parallel runs use an `ontime_core::ThreadPool` and end exactly
//! when no node is active or activatable.
//!
//! ```
//! use ontime_dataflow::common::StrictTask;
//! use ontime_dataflow::single_use::GraphBuilder;
//!
//! let mut g = GraphBuilder::new();
//! let x = g.input(2u64);
//! let y = g.input(3u64);
//! let (s_tx, s_rx) = g.port();
//! g.task(StrictTask::new(|x, y| (x + y,)), (x, y), (s_tx,));
//! let sum = g.output(s_rx);
//! let graph = g.build().unwrap();
//! println!("{}", graph.to_dot());
//! graph.run_parallel(&ontime_core::ThreadPool::new(2).unwrap()).unwrap();
//! assert_eq!(sum.take(), Ok(5));
//! ```
//!
//! Design notes: `engine/README.md` (activation, re-arming, termination) beside the code;
//! docs/dataflow.md in the repository.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

mod activator;
pub mod common;
mod engine;
mod graph;
mod node;
pub mod port;
mod scheduler;
mod sync;
mod task;

#[cfg(all(test, loom))]
mod loom_tests;

pub use activator::Activator;
pub use engine::{
    multiple_uses, single_use, NodeRef, RunCancel, RunError, RunErrorKind, RunOptions, RunReport,
    Span, Trace,
};
pub use graph::{BuildError, Condition, Emitter, GraphBuilder, Input, Rx, Signal, Tx, Wiring};
pub use node::{NodeBox, NodeMut, NodeOnce, TaskNode};
pub use port::{
    In, Out, Port, PortError, PortId, PortReceiver, PortSender, Receiver, ReceiverMut,
    ReceiverOnce, Sender, SenderMut, SenderOnce,
};
pub use scheduler::{NodeId, Scheduler};
pub use task::{InputHandles, InputList, OutputHandles, OutputList, Task, TaskMut, TaskOnce};
