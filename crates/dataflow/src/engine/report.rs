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
    /// Nodes the run left holding inputs no task read: some of their inputs arrived but not
    /// all (a stall: a producer never wrote), or all arrived but the run was stopping
    /// ([`RunOptions`](crate::RunOptions)) and skipped them.
    pub pending: Vec<NodeRef>,
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
        if !self.pending.is_empty() {
            write!(f, "; left holding inputs:")?;
            for n in &self.pending {
                write!(f, " {n}")?;
            }
        }
        Ok(())
    }
}

/// Why a run failed ([`RunError::kind`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunErrorKind {
    /// A task panicked (or broke a rule the engine enforces, such as writing a port twice).
    TaskPanicked,
    /// The run reached [`RunOptions::max_activations`](crate::RunOptions::max_activations).
    ActivationLimit,
    /// The run was cancelled ([`RunCancel`](crate::RunCancel)).
    Cancelled,
}

/// A run failed: a task panicked, or the run was stopped ([`RunOptions`](crate::RunOptions)).
/// After a panic the run still finished (unless `stop_on_error`): every other activated node
/// ran (the panicking node's successors did not, as it wrote nothing more), and the pool is
/// unharmed.
pub struct RunError {
    kind: RunErrorKind,
    node: NodeRef,
    message: String,
    payload: Box<dyn Any + Send>,
    /// Boxed: keeps `Result<RunReport, RunError>` small.
    report: Box<RunReport>,
}

impl RunError {
    pub(crate) fn new(node: NodeRef, payload: Box<dyn Any + Send>, report: RunReport) -> Self {
        let message = ontime_core::panic_message(&*payload).to_owned();
        RunError {
            kind: RunErrorKind::TaskPanicked,
            node,
            message,
            payload,
            report: Box::new(report),
        }
    }

    /// A stopped run's error: `node` is the first node it skipped.
    pub(crate) fn stopped(
        kind: RunErrorKind,
        node: NodeRef,
        message: String,
        report: RunReport,
    ) -> Self {
        RunError {
            kind,
            node,
            payload: Box::new(message.clone()),
            message,
            report: Box::new(report),
        }
    }

    pub(crate) fn set_message(&mut self, message: String) {
        self.message = message;
    }

    /// Why the run failed.
    pub fn kind(&self) -> RunErrorKind {
        self.kind
    }

    /// The node whose task panicked (the first, if several did); for a stopped run, the
    /// first node it skipped.
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

    /// The panic payload, e.g. for `std::panic::resume_unwind` (for a stopped run, its
    /// message as a `String`).
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        self.payload
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunError")
            .field("kind", &self.kind)
            .field("node", &self.node)
            .field("message", &self.message)
            .field("report", &self.report)
            .finish()
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RunErrorKind::TaskPanicked => {
                write!(f, "the task of {} panicked: {}", self.node, self.message)
            }
            _ => write!(f, "{} (stopped before {})", self.message, self.node),
        }
    }
}

impl std::error::Error for RunError {}
