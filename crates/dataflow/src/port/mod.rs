//! Ports: how tasks pass values.
//!
//! A port has a sending side and a receiving side; the receiving side reads the last value the
//! sending side wrote. Like closures, each side comes in three trait families:
//! [`SenderOnce`]/[`SenderMut`]/[`Sender`] and [`ReceiverOnce`]/[`ReceiverMut`]/[`Receiver`]
//! (use once by value, use again through `&mut`, use again through `&`).
//!
//! Inside a graph a task receives single-use ports: [`In`] (a [`ReceiverOnce`]) for each input
//! and [`Out`] (a [`SenderOnce`]) for each output. Writing an `Out` stores the value in every
//! consumer's input cell and tells each consumer's [`Activator`](crate::Activator).
//! [`Port::split`] makes a free-standing port (the graph's outputs are such ports).

mod cell;
pub(crate) mod ring;
mod standalone;
mod task_ports;

use std::fmt;

pub use cell::InputCell;
pub use standalone::{Port, PortReceiver, PortSender};
pub(crate) use task_ports::Target;
pub use task_ports::{In, Out, OutPort};

/// Identifies a port of a graph (in error messages and `to_dot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortId(pub(crate) u32);

impl PortId {
    /// The port's index in its graph.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for PortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "port #{}", self.0)
    }
}

/// A port used the wrong way: what happened, and on which port (`None` for a free-standing
/// port made by [`Port::split`]).
///
/// Its `Debug` form carries the message too, so a task that `unwrap`s a port result panics
/// with `DoubleWrite(port #1 was written twice before its reader ran)`, which a run's error
/// then names fully (`port #1 (carry: adder (node #0) → join (node #1)) ...`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PortError {
    /// A read found no value: nothing was written yet, or the value was already taken.
    Empty(Option<PortId>),
    /// A second value arrived before the reading task ran (each activation of a node takes one
    /// value per input).
    DoubleWrite(Option<PortId>),
    /// A value arrived after the reading task of a single-use graph had already run.
    Closed(Option<PortId>),
    /// A bounded port had no free slot: its producer ran although its reader had not taken
    /// enough values (only a node with no other input, which runs once per run, or a node a
    /// task scheduled directly, can; see `GraphBuilder::bounded_port`).
    Full(Option<PortId>),
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, port) = match self {
            PortError::Empty(p) => ("was read while empty", p),
            PortError::DoubleWrite(p) => ("was written twice before its reader ran", p),
            PortError::Closed(p) => ("was written after its single-use reader had run", p),
            PortError::Full(p) => (
                "was written while full (its reader had not taken enough)",
                p,
            ),
        };
        match port {
            Some(p) => write!(f, "{p} {what}"),
            None => write!(f, "port {what}"),
        }
    }
}

impl fmt::Debug for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            PortError::Empty(_) => "Empty",
            PortError::DoubleWrite(_) => "DoubleWrite",
            PortError::Closed(_) => "Closed",
            PortError::Full(_) => "Full",
        };
        write!(f, "{variant}({self})")
    }
}

impl std::error::Error for PortError {}

/// The sending side of a port, used once.
pub trait SenderOnce<T> {
    /// Writes `value`, consuming the port.
    fn send_once(self, value: T) -> Result<(), PortError>;
}

/// The sending side of a port, usable many times through `&mut`.
pub trait SenderMut<T>: SenderOnce<T> {
    /// Writes `value`.
    fn send_mut(&mut self, value: T) -> Result<(), PortError>;
}

/// The sending side of a port, usable many times through `&`.
pub trait Sender<T>: SenderMut<T> {
    /// Writes `value`.
    fn send(&self, value: T) -> Result<(), PortError>;
}

/// The receiving side of a port, used once.
pub trait ReceiverOnce<T> {
    /// Takes the last value written, consuming the port.
    fn recv_once(self) -> Result<T, PortError>;
}

/// The receiving side of a port, usable many times through `&mut`.
pub trait ReceiverMut<T>: ReceiverOnce<T> {
    /// Takes the last value written, leaving the port empty.
    fn recv_mut(&mut self) -> Result<T, PortError>;
}

/// The receiving side of a port, usable many times through `&`.
pub trait Receiver<T>: ReceiverMut<T> {
    /// A copy of the last value written; the port keeps it.
    fn recv(&self) -> Result<T, PortError>;
}
