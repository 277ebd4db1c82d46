use std::time::Instant;
fn fib_serial(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_serial(n - 1) + fib_serial(n - 2)
    }
}
fn fib_ontime(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = ontime_core::join(|| fib_ontime(n - 1), || fib_ontime(n - 2));
    a + b
}
fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon_core::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}
fn fib_chili(s: &mut chili::Scope<'_>, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = s.join(|s| fib_chili(s, n - 1), |s| fib_chili(s, n - 2));
    a + b
}
fn med(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
fn main() {
    let n = 30;
    let pool = ontime_core::ThreadPool::new(2).unwrap();
    let rp = rayon_core::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let cp = chili::ThreadPool::with_config(chili::Config {
        thread_count: Some(std::num::NonZero::new(2).unwrap()),
        ..Default::default()
    });
    let (mut o, mut r, mut c, mut s) = (vec![], vec![], vec![], vec![]);
    for _ in 0..15 {
        let t = Instant::now();
        let x = pool.install(|| fib_ontime(n));
        o.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(x, 832040);
        let t = Instant::now();
        let x = rp.install(|| fib_rayon(n));
        r.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(x, 832040);
        let t = Instant::now();
        let mut sc = cp.scope();
        let x = fib_chili(&mut sc, n);
        c.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(x, 832040);
        let t = Instant::now();
        let x = fib_serial(std::hint::black_box(n));
        s.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(x, 832040);
    }
    println!(
        "fib(30) ms: ontime {:.2} rayon {:.2} chili {:.2} serial {:.2}",
        med(o),
        med(r),
        med(c),
        med(s)
    );
    println!("{:?}", pool.stats());
    let p1 = ontime_core::ThreadPool::new(1).unwrap();
    let rp1 = rayon_core::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let cp1 = chili::ThreadPool::with_config(chili::Config {
        thread_count: Some(std::num::NonZero::new(1).unwrap()),
        ..Default::default()
    });
    let (mut o, mut r, mut c) = (vec![], vec![], vec![]);
    for _ in 0..11 {
        let t = Instant::now();
        p1.install(|| fib_ontime(n));
        o.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        rp1.install(|| fib_rayon(n));
        r.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let mut sc = cp1.scope();
        fib_chili(&mut sc, n);
        c.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "1 thread fib(30) ms: ontime {:.2} rayon {:.2} chili {:.2}",
        med(o),
        med(r),
        med(c)
    );
}
#[allow(dead_code)]
fn one() {}
