//! `build_global` sizes the global pool once, racing callers included. One test in this
//! binary: the global pool is the process's.

use ontime_core::{BuildError, ThreadPoolBuilder};

#[test]
fn build_global_takes_once_and_loses_nothing_in_a_race() {
    // Four threads race to build it: exactly one wins; the others get an error and their
    // pools are stopped.
    let results: Vec<Result<(), BuildError>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    ThreadPoolBuilder::new()
                        .num_threads(2)
                        .thread_name(|i| format!("my-global-{i}"))
                        .build_global()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, BuildError::GlobalPoolExists)));
    assert_eq!(ontime_core::current_num_threads(), 2);
    let name = ontime_core::join(|| std::thread::current().name().map(str::to_owned), || ()).0;
    assert!(name.unwrap().starts_with("my-global-"));
    // Refused settings leave the global pool as it is.
    assert!(ThreadPoolBuilder::new()
        .num_threads(1 << 20)
        .build_global()
        .is_err());
    let v: Vec<u32> = {
        use ontime_core::prelude::*;
        (0..100u32).into_par_iter().map(|x| x * 2).collect()
    };
    assert_eq!(v[99], 198);
}
