//! Building graphs: port handles, the wiring table, the builder, and the graph's shape
//! (for `to_dot` and the cycle check).

mod arena;
mod builder;
pub(crate) mod condition;
mod gather;
mod shape;
mod signal;
pub(crate) mod spare;
mod wiring;

pub(crate) use arena::Arena;
pub(crate) use builder::Built;
pub use builder::{BuildError, GraphBuilder, Input};
pub use condition::Condition;
pub(crate) use shape::Shape;
pub use signal::{Emitter, Signal};
pub use wiring::{Rx, Tx, Wiring};
