//! What a run returns: [`RunReport`] on success, [`RunError`] when a task panicked.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::scheduler::NodeId;

/// A node, with its name if it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef {
    /// The node.
    pub id: NodeId,
    /// Its name (`GraphBuilder::name`).
    pub name: Option<Arc<str>>,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} ({})", self.id),
            None => write!(f, "{}", self.id),
        }
    }
}

/// What a finished run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Task executions in this run (a multiple-use node counts once per activation).
    pub executed: u64,
    /// Nodes that never became active in this run: some input was never written.
    pub never_ran: Vec<NodeRef>,
}

impl RunReport {
    /// Whether every node ran at least once.
    pub fn is_complete(&self) -> bool {
        self.never_ran.is_empty()
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task runs", self.executed)?;
        if !self.never_ran.is_empty() {
            write!(f, "; never active:")?;
            for n in &self.never_ran {
                write!(f, " {n}")?;
            }
        }
        Ok(())
    }
}

/// A task panicked during a run. The run still finished: every other activated node ran (the
/// panicking node's successors did not, as it wrote nothing more), and the pool is unharmed.
pub struct RunError {
    node: NodeRef,
    message: String,
    payload: Box<dyn Any + Send>,
    report: RunReport,
}

impl RunError {
    pub(crate) fn new(node: NodeRef, payload: Box<dyn Any + Send>, report: RunReport) -> Self {
        let message = ontime_core::panic_message(&*payload).to_owned();
        RunError {
            node,
            message,
            payload,
            report,
        }
    }

    /// The node whose task panicked (the first, if several did).
    pub fn node(&self) -> &NodeRef {
        &self.node
    }

    /// The panic message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the run did before it finished.
    pub fn report(&self) -> &RunReport {
        &self.report
    }

    /// The panic payload, e.g. for `std::panic::resume_unwind`.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunError")
            .field("node", &self.node)
            .field("message", &self.message)
            .field("report", &self.report)
            .finish()
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the task of {} panicked: {}", self.node, self.message)
    }
}

impl std::error::Error for RunError {}
