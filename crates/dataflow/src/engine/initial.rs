//! Values a port's consumers receive at the start of every run: graph inputs, and seeds on
//! cycle edges (a register's reset value).

use std::any::Any;
use std::ptr::NonNull;

use crate::port::OutPort;
use crate::scheduler::Scheduler;

/// An initial value, type-erased so a graph keeps one list.
pub(crate) trait Initial: Send {
    /// Stores the value (a clone in multiple-use graphs, the value itself in single-use) in
    /// its readers, telling no activator: the run starts by storing every initial value, then
    /// announcing them, so no node runs while initial values are still being stored (a bounded
    /// port's ring may be written by its initial value and by its producer, never at once).
    fn put(&mut self);
    /// Tells the readers' activators that the value is in (after every `put`).
    fn announce(&self, sched: &dyn Scheduler);
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// An initial value with its own output port (wired to the port's readers when the graph is
/// built); it lives in the graph's arena.
pub(crate) struct InitialValue<T> {
    port: OutPort<T>,
    value: Option<T>,
    clone: Option<fn(&T) -> T>,
    /// This run's `put` stored a value (a single-use value is stored once).
    sent: bool,
}

impl<T> InitialValue<T> {
    pub(crate) fn new(port: OutPort<T>, value: T, clone: Option<fn(&T) -> T>) -> Self {
        InitialValue {
            port,
            value: Some(value),
            clone,
            sent: false,
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
    fn put(&mut self) {
        let value = match self.clone {
            Some(clone) => self.value.as_ref().map(clone),
            None => self.value.take(),
        };
        self.sent = value.is_some();
        if let Some(v) = value {
            self.port.seed_put(v);
        }
    }

    fn announce(&self, sched: &dyn Scheduler) {
        if self.sent {
            self.port.announce(sched);
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
