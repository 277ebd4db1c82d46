//! A CPU-bound request server: a tokio front end on 127.0.0.1 awaiting ontime request handles,
//! a bounded queue, requests that can no longer meet their target answered "busy" instead of
//! computed late, and an open-loop load client that stops by itself.
//!
//! Protocol, one line each way: the client sends `scan <n>`; the server answers `ok <sum>`
//! (computed within the target), `late <sum>` (started in time, finished after the target),
//! `busy` (refused: the queue was full; or rejected unrun by the pool because, when a worker
//! came to it, it could no longer meet its target (`TargetLatency::reject_late`); or still
//! queued at its deadline and cancelled there), `cancelled` (cancelled while running: only
//! when the pool closes) or `error <message>`.
//!
//! `cargo run --release -p ontime-policies --example server -- [seconds] [requests per second]`
//! prints the client's tally. `tests/server_example.rs` runs it for a second and checks that
//! every request was answered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ontime_core::prelude::*;
use ontime_core::{CloseMode, Rejected, Request, ThreadPool, ThreadPoolBuilder};
use ontime_policies::TargetLatency;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the example runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long the client sends.
    pub duration: Duration,
    /// Requests per second, over all connections (open loop: sent on schedule, whatever the
    /// replies do).
    pub rate_per_s: f64,
    /// Client connections.
    pub connections: usize,
    /// Each request's target latency.
    pub target: Duration,
    /// The pool's queue bound (`try_submit` answers "busy" beyond it).
    pub max_queued: usize,
    /// Pool workers.
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            duration: Duration::from_secs(1),
            rate_per_s: 1500.0,
            connections: 4,
            target: Duration::from_millis(5),
            max_queued: 32,
            threads: 2,
        }
    }
}

/// The client's tally.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Requests sent.
    pub sent: u64,
    /// Answered within the target.
    pub ok: u64,
    /// Answered after the target.
    pub late: u64,
    /// Answered "busy".
    pub busy: u64,
    /// Of the "busy" answers, requests the pool rejected unrun as late (`PoolStats::rejected`).
    pub rejected: u64,
    /// Answered "cancelled".
    pub cancelled: u64,
    /// Answered "error".
    pub errors: u64,
    /// Sent and never answered.
    pub lost: u64,
}

impl Report {
    fn add(&mut self, other: &Report) {
        self.sent += other.sent;
        self.ok += other.ok;
        self.late += other.late;
        self.busy += other.busy;
        self.rejected += other.rejected;
        self.cancelled += other.cancelled;
        self.errors += other.errors;
        self.lost += other.lost;
    }

    /// Replies received.
    pub fn answered(&self) -> u64 {
        self.ok + self.late + self.busy + self.cancelled + self.errors
    }
}

/// The request's work: a parallel scan over `n` values.
fn scan(n: u64) -> u64 {
    (0..n).into_par_iter().map(|x| x ^ (x >> 3)).sum()
}

/// Answers one request line.
/// What the server knows about its requests.
#[derive(Copy, Clone, Debug)]
struct Service {
    /// Each request's target latency.
    target: Duration,
    /// Serial cost of scanning one value in seconds, measured at start-up: a request's cost
    /// hint, so the pool can tell when a queued request can no longer make its target.
    per_value_s: f64,
}

impl Service {
    fn measure(target: Duration) -> Self {
        let n = 200_000;
        let t0 = Instant::now();
        std::hint::black_box((0..n).fold(0u64, |acc, x| acc.wrapping_add(x ^ (x >> 3))));
        Service {
            target,
            per_value_s: t0.elapsed().as_secs_f64() / n as f64,
        }
    }
}

async fn answer(pool: &ThreadPool, line: &str, svc: Service) -> String {
    let target = svc.target;
    let n = match line
        .strip_prefix("scan ")
        .and_then(|n| n.trim().parse::<u64>().ok())
    {
        Some(n) if n <= 100_000_000 => n,
        _ => return format!("error bad request {line:?}"),
    };
    // The handle is cancelled if this connection's task is dropped (the client hung up).
    let req = Request::new(move || scan(n))
        .target(target)
        .cost_hint(Duration::from_secs_f64(svc.per_value_s * n as f64))
        .cancel_on_drop();
    let mut handle = match pool.try_submit(req) {
        Ok(h) => h,
        Err(Rejected(_)) => return "busy".into(),
    };
    let result = match tokio::time::timeout(target, &mut handle).await {
        Ok(r) => r,
        // Deadline reached: a request that has not even started is answered "busy" (and never
        // runs); one already running is worth its late answer.
        Err(_) if !handle.is_started() && handle.cancel() => return "busy".into(),
        Err(_) => handle.await,
    };
    match result {
        Ok(done) if done.outcome.met() => format!("ok {}", done.value),
        Ok(done) => format!("late {}", done.value),
        // Rejected by the pool: it could no longer make its target when a worker came to it.
        Err(e) if e.is_rejected() => "busy".into(),
        Err(e) if e.is_cancelled() => "cancelled".into(),
        Err(e) => format!("error {e}"),
    }
}

/// Serves one connection: each line is answered in its own task, in completion order.
async fn connection(stream: TcpStream, pool: Arc<ThreadPool>, svc: Service) {
    let (read, write) = stream.into_split();
    let write = Arc::new(tokio::sync::Mutex::new(write));
    let mut lines = BufReader::new(read).lines();
    let mut tasks = tokio::task::JoinSet::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let (pool, write) = (pool.clone(), write.clone());
        tasks.spawn(async move {
            let reply = answer(&pool, &line, svc).await;
            let mut w = write.lock().await;
            let _ = w.write_all(format!("{reply}\n").as_bytes()).await;
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn serve(listener: TcpListener, pool: Arc<ThreadPool>, svc: Service) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(stream, pool.clone(), svc));
    }
}

/// One client connection: sends on schedule for `cfg.duration`, reads every reply (giving
/// up on the missing ones 10 s after the last send: those count as lost).
async fn client(addr: SocketAddr, cfg: Config, seed: u64) -> Report {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (read, mut write) = stream.into_split();
    let per_conn = cfg.rate_per_s / cfg.connections as f64;
    let reader = tokio::spawn(async move {
        let mut r = Report::default();
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match line.split(' ').next() {
                Some("ok") => r.ok += 1,
                Some("late") => r.late += 1,
                Some("busy") => r.busy += 1,
                Some("cancelled") => r.cancelled += 1,
                _ => r.errors += 1,
            }
        }
        r
    });
    let start = Instant::now();
    let mut rng = seed | 1;
    let mut next = Duration::ZERO;
    let mut sent = 0u64;
    while next < cfg.duration {
        tokio::time::sleep_until(tokio::time::Instant::from_std(start + next)).await;
        // xorshift: a heavy-tailed size (1 in 10 requests is 20x larger) and exponential gaps.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let n = if rng % 10 == 0 { 400_000 } else { 20_000 };
        if write
            .write_all(format!("scan {n}\n").as_bytes())
            .await
            .is_err()
        {
            break;
        }
        sent += 1;
        let u = (rng >> 11) as f64 / (1u64 << 53) as f64;
        next += Duration::from_secs_f64(-(1.0 - u).ln() / per_conn);
    }
    // Half-close: the server answers what it has and then sees the end of the stream.
    let _ = write.shutdown().await;
    let mut r = match tokio::time::timeout(Duration::from_secs(10), reader).await {
        Ok(Ok(r)) => r,
        _ => Report::default(),
    };
    r.sent = sent;
    r.lost = sent.saturating_sub(r.answered());
    r
}

/// Runs the server and the client for `cfg.duration`, then closes the pool; returns the
/// client's tally.
pub fn run(cfg: Config) -> Report {
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(cfg.threads)
            // The default target-latency policy, rejecting requests that can no longer make
            // it when a worker comes to them: the server answers those "busy" at once.
            .policy(TargetLatency::new().reject_late(true))
            .max_queued(cfg.max_queued)
            .build()
            .expect("pool"),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let svc = Service::measure(cfg.target);
        let server = tokio::spawn(serve(listener, pool.clone(), svc));
        let clients: Vec<_> = (0..cfg.connections)
            .map(|i| tokio::spawn(client(addr, cfg.clone(), 0x9e37_79b9 + i as u64)))
            .collect();
        let mut total = Report::default();
        for c in clients {
            total.add(&c.await.expect("client task"));
        }
        server.abort();
        // Every request was answered; close the pool without blocking the runtime.
        total.rejected = pool.stats().rejected;
        pool.close(CloseMode::Cancel).await;
        total
    });
    report
}

#[allow(dead_code)] // unused when the test includes this file as a module
fn main() {
    let mut args = std::env::args().skip(1);
    let mut cfg = Config::default();
    if let Some(s) = args.next().and_then(|a| a.parse::<f64>().ok()) {
        cfg.duration = Duration::from_secs_f64(s);
    }
    if let Some(r) = args.next().and_then(|a| a.parse::<f64>().ok()) {
        cfg.rate_per_s = r;
    }
    let r = run(cfg.clone());
    println!(
        "{} requests in {:?} at {}/s on {} workers (target {:?}, queue bound {}):",
        r.sent, cfg.duration, cfg.rate_per_s, cfg.threads, cfg.target, cfg.max_queued
    );
    println!(
        "  ok {}  late {}  busy {} ({} rejected as late)  cancelled {}  errors {}  lost {}",
        r.ok, r.late, r.busy, r.rejected, r.cancelled, r.errors, r.lost
    );
}
