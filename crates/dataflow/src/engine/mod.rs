//! The engines: [`single_use`](crate::single_use) and [`multiple_uses`](crate::multiple_uses),
//! each sequential and parallel, sharing one core (`core.rs`). Protocols: `README.md` here.

/// The parts of a built `Graph` that both engines share: `Debug`, `len`, `is_empty` and
/// `to_dot`, all read from the graph's `engine` field.
macro_rules! graph_basics {
    ($debug_name:literal) => {
        impl std::fmt::Debug for Graph {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($debug_name)
                    .field("nodes", &self.engine.len())
                    .finish()
            }
        }

        impl Graph {
            /// Number of nodes.
            pub fn len(&self) -> usize {
                self.engine.len()
            }

            /// Whether the graph has no nodes.
            pub fn is_empty(&self) -> bool {
                self.engine.len() == 0
            }

            /// The graph in Graphviz format.
            pub fn to_dot(&self) -> String {
                self.engine.shape.to_dot()
            }
        }
    };
}

mod core;
mod initial;
pub mod multiple_uses;
mod options;
mod parallel;
mod report;
mod sequential;
pub mod single_use;
mod trace;

pub(crate) use initial::{Initial, InitialValue};
pub use options::{RunCancel, RunOptions};
pub use report::{NodeRef, RunError, RunErrorKind, RunReport};
pub use trace::{Span, Trace};
