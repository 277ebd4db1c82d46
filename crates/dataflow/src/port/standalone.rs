//! Free-standing ports: [`Port::split`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use super::{PortError, Receiver, ReceiverMut, ReceiverOnce, Sender, SenderMut, SenderOnce};
use crate::sync::lock;

/// A free-standing port whose receiver reads the last value its sender wrote.
///
/// The graph's outputs are such ports (see `GraphBuilder::output`): a task writes them, the
/// program reads them after a run.
///
/// ```
/// use ontime_dataflow::{Port, Receiver, ReceiverMut, Sender};
///
/// let (tx, mut rx) = Port::split();
/// tx.send(1).unwrap();
/// tx.send(2).unwrap(); // the last value wins
/// assert_eq!(rx.recv(), Ok(2)); // a copy; the port keeps it
/// assert_eq!(rx.recv_mut(), Ok(2)); // taken
/// assert!(rx.recv().is_err()); // empty now
/// ```
#[derive(Debug)]
pub struct Port<T>(PhantomData<T>);

impl<T> Port<T> {
    /// A new empty port, as its two ends.
    pub fn split() -> (PortSender<T>, PortReceiver<T>) {
        let cell = Arc::new(Mutex::new(None));
        (
            PortSender {
                cell: Arc::clone(&cell),
            },
            PortReceiver { cell },
        )
    }
}

/// The sending end of a [`Port`]; clone it to write from several places.
pub struct PortSender<T> {
    cell: Arc<Mutex<Option<T>>>,
}

/// The receiving end of a [`Port`]; clone it to read from several places.
pub struct PortReceiver<T> {
    cell: Arc<Mutex<Option<T>>>,
}

impl<T> Clone for PortSender<T> {
    fn clone(&self) -> Self {
        PortSender {
            cell: Arc::clone(&self.cell),
        }
    }
}

impl<T> Clone for PortReceiver<T> {
    fn clone(&self) -> Self {
        PortReceiver {
            cell: Arc::clone(&self.cell),
        }
    }
}

impl<T> fmt::Debug for PortSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PortSender")
    }
}

impl<T> fmt::Debug for PortReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortReceiver")
            .field("full", &lock(&self.cell).is_some())
            .finish()
    }
}

impl<T> PortReceiver<T> {
    /// Whether a value is waiting.
    pub fn is_full(&self) -> bool {
        lock(&self.cell).is_some()
    }

    /// Takes the last value written, leaving the port empty (like
    /// [`recv_mut`](ReceiverMut::recv_mut), through `&self`).
    pub fn take(&self) -> Result<T, PortError> {
        lock(&self.cell).take().ok_or(PortError::Empty(None))
    }
}

impl<T> SenderOnce<T> for PortSender<T> {
    fn send_once(self, value: T) -> Result<(), PortError> {
        self.send(value)
    }
}

impl<T> SenderMut<T> for PortSender<T> {
    fn send_mut(&mut self, value: T) -> Result<(), PortError> {
        self.send(value)
    }
}

impl<T> Sender<T> for PortSender<T> {
    fn send(&self, value: T) -> Result<(), PortError> {
        *lock(&self.cell) = Some(value);
        Ok(())
    }
}

impl<T> ReceiverOnce<T> for PortReceiver<T> {
    fn recv_once(mut self) -> Result<T, PortError> {
        self.recv_mut()
    }
}

impl<T> ReceiverMut<T> for PortReceiver<T> {
    fn recv_mut(&mut self) -> Result<T, PortError> {
        self.take()
    }
}

impl<T: Clone> Receiver<T> for PortReceiver<T> {
    fn recv(&self) -> Result<T, PortError> {
        lock(&self.cell).clone().ok_or(PortError::Empty(None))
    }
}
