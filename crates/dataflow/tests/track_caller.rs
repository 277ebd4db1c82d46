//! A builder misuse panics at the user's line, not inside the library (`#[track_caller]`
//! through the whole wiring path). One test in this binary: the panic hook is the process's.

use std::sync::{Arc, Mutex};

use ontime_dataflow::common::StrictTask;
use ontime_dataflow::multiple_uses::GraphBuilder as Multi;
use ontime_dataflow::single_use::GraphBuilder as Single;
use ontime_dataflow::NodeId;

/// Runs `f`, which must panic, and returns the file and line the panic reports.
fn panic_site(seen: &Arc<Mutex<Option<(String, u32)>>>, f: impl FnOnce()) -> (String, u32) {
    *seen.lock().unwrap() = None;
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err());
    seen.lock().unwrap().take().expect("a panic location")
}

#[test]
fn builder_panics_point_at_the_callers_line() {
    let seen: Arc<Mutex<Option<(String, u32)>>> = Arc::default();
    let s = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(l) = info.location() {
            *s.lock().unwrap() = Some((l.file().to_owned(), l.line()));
        }
    }));
    let here = file!();

    // A port of another builder, as a task's input.
    let (l, line) = panic_site(&seen, || {
        let mut a = Multi::new();
        let mut b = Multi::new();
        let (_tx, rx) = a.port::<u32>();
        let (tx2, _rx2) = b.port::<u32>();
        b.task(StrictTask::new(|x: u32| (x,)), (rx,), (tx2,));
    });
    assert_eq!(l, here, "task with a foreign port");
    assert!(line > 0);

    // A second seed on a port.
    let (l, _) = panic_site(&seen, || {
        let mut g = Multi::new();
        let (tx, _rx) = g.port::<u32>();
        g.initial(&tx, 1);
        g.initial(&tx, 2);
    });
    assert_eq!(l, here, "second seed");

    // A node id not in the graph.
    let (l, _) = panic_site(&seen, || {
        let mut g = Single::new();
        g.precede(NodeId::from_index(3), NodeId::from_index(4));
    });
    assert_eq!(l, here, "precede");
    let (l, _) = panic_site(&seen, || {
        let mut g = Single::new();
        g.name(NodeId::from_index(0), "x");
    });
    assert_eq!(l, here, "name");

    // An output of another builder's port.
    let (l, _) = panic_site(&seen, || {
        let mut a = Single::new();
        let mut b = Single::new();
        let (_tx, rx) = a.port::<u32>();
        b.output(rx);
    });
    assert_eq!(l, here, "output");
    let _ = std::panic::take_hook();
}
