use ontime_benches::load::Spin;
use std::time::{Duration, Instant};
fn main() {
    let spin = Spin::calibrate(Duration::from_micros(2));
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..100 {
            std::hint::black_box(spin.spin(1));
        }
        println!("100 items serial: {:?}", t.elapsed());
    }
    let pool = ontime_core::ThreadPool::new(2).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        pool.install(|| {
            ontime_core::forall_chunked(0..100, 1, |r| {
                std::hint::black_box(spin.spin(r.len() as u64));
            })
        });
        println!("100 items on pool: {:?}", t.elapsed());
    }
    let mut over = Duration::ZERO;
    for _ in 0..100 {
        let t = Instant::now();
        std::thread::sleep(Duration::from_micros(100));
        over += t.elapsed() - Duration::from_micros(100);
    }
    println!("sleep(100us) mean overshoot {:?}", over / 100);
}
