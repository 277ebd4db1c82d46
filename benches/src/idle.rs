//! CPU time burnt by threads, from `/proc/self/task/*/schedstat` (nanosecond precision).

use std::time::{Duration, Instant};

/// Total on-CPU time, in nanoseconds, of this process's threads whose name starts with
/// `prefix`. `None` where `/proc` is not available.
pub fn thread_cpu_ns(prefix: &str) -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = entry.ok()?.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if !name.trim_end().starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
        total += stat
            .split_whitespace()
            .next()
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
}

/// Fraction of one core that the threads named `prefix*` use over `window`, starting now.
pub fn idle_cpu_fraction(prefix: &str, window: Duration) -> Option<f64> {
    let before = thread_cpu_ns(prefix)?;
    let t = Instant::now();
    std::thread::sleep(window);
    let after = thread_cpu_ns(prefix)?;
    Some((after - before) as f64 / t.elapsed().as_nanos() as f64)
}

#[cfg(test)]
mod tests {
    use super::thread_cpu_ns;

    #[test]
    fn a_spinning_named_thread_is_counted() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let h = std::thread::Builder::new()
            .name("idletest-spin".into())
            .spawn(move || {
                // Spin until this thread itself has used 20 ms of CPU, then wait.
                while thread_cpu_ns("idletest-spin").unwrap() < 20_000_000 {
                    std::hint::spin_loop();
                }
                ready_tx.send(()).unwrap();
                rx.recv().unwrap();
            })
            .unwrap();
        ready_rx.recv().unwrap();
        assert!(thread_cpu_ns("idletest-spin").unwrap() >= 20_000_000);
        assert_eq!(thread_cpu_ns("no-such-thread-prefix"), Some(0));
        tx.send(()).unwrap();
        h.join().unwrap();
    }
}
