//! Values a port's consumers receive at the start of every run: graph inputs, and seeds on
//! cycle edges (a register's reset value).

use std::any::Any;
use std::ptr::NonNull;

use crate::port::OutPort;
use crate::scheduler::Scheduler;

/// An initial value, type-erased so a graph keeps one list.
pub(crate) trait Initial: Send {
    /// Delivers the value (a clone in multiple-use graphs, the value itself in single-use).
    fn emit(&mut self, sched: &dyn Scheduler);
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// An initial value with its own output port (wired to the port's readers when the graph is
/// built); it lives in the graph's arena.
pub(crate) struct InitialValue<T> {
    port: OutPort<T>,
    value: Option<T>,
    clone: Option<fn(&T) -> T>,
}

impl<T> InitialValue<T> {
    pub(crate) fn new(port: OutPort<T>, value: T, clone: Option<fn(&T) -> T>) -> Self {
        InitialValue {
            port,
            value: Some(value),
            clone,
        }
    }

    /// Its output port, for the builder to wire.
    pub(crate) fn out_ptr(this: NonNull<Self>) -> NonNull<OutPort<T>> {
        // SAFETY: a field of a live value.
        unsafe { NonNull::new_unchecked(std::ptr::addr_of_mut!((*this.as_ptr()).port)) }
    }

    pub(crate) fn set(&mut self, value: T) {
        self.value = Some(value);
    }
}

impl<T: Send + 'static> Initial for InitialValue<T> {
    fn emit(&mut self, sched: &dyn Scheduler) {
        let value = match self.clone {
            Some(clone) => self.value.as_ref().map(clone),
            None => self.value.take(),
        };
        if let Some(v) = value {
            // Every input cell is empty at the start of a run and a port has at most one
            // initial value (the builder refuses a second), so this cannot be a double write.
            if let Err(e) = self.port.send(sched, v) {
                unreachable!("ontime-dataflow: initial value of {}: {e}", self.port.id());
            }
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
