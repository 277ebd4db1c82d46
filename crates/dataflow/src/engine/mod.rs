//! The engines: [`single_use`](crate::single_use) and [`multiple_uses`](crate::multiple_uses),
//! each sequential and parallel, sharing one core (`core.rs`). Protocols: `README.md` here.

mod core;
mod initial;
pub mod multiple_uses;
mod parallel;
mod report;
mod sequential;
pub mod single_use;

pub(crate) use initial::{Initial, InitialValue};
pub use report::{NodeRef, RunError, RunReport};
