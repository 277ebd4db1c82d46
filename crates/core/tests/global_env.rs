//! `ONTIME_NUM_THREADS` sizes pools built with the default thread count, the global pool
//! included; a bad value is an error. One test in this binary: the environment is the
//! process's.

use ontime_core::{BuildError, ThreadPoolBuilder, NUM_THREADS_ENV};

#[test]
fn the_environment_sizes_default_pools_and_bad_values_are_refused() {
    std::env::set_var(NUM_THREADS_ENV, "two");
    let err = ThreadPoolBuilder::new().build().unwrap_err();
    assert!(matches!(err, BuildError::Env(_)), "{err:?}");
    assert!(
        err.to_string().contains("ONTIME_NUM_THREADS=\"two\""),
        "{err}"
    );
    // An explicit count does not read the environment.
    assert_eq!(
        ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .current_num_threads(),
        2
    );
    std::env::set_var(NUM_THREADS_ENV, "5000");
    assert!(matches!(
        ThreadPoolBuilder::new().build(),
        Err(BuildError::TooManyThreads(5000))
    ));
    std::env::set_var(NUM_THREADS_ENV, " 3 ");
    assert_eq!(
        ThreadPoolBuilder::new()
            .build()
            .unwrap()
            .current_num_threads(),
        3
    );
    // The global pool, built on first use, follows it too.
    assert_eq!(ontime_core::current_num_threads(), 3);
    let s: u64 = {
        use ontime_core::prelude::*;
        (0..1000u64).into_par_iter().sum()
    };
    assert_eq!(s, 499_500);
    // Built already: `build_global` refuses, and the global pool is unchanged.
    assert!(matches!(
        ThreadPoolBuilder::new().num_threads(1).build_global(),
        Err(BuildError::GlobalPoolExists)
    ));
    assert_eq!(ontime_core::current_num_threads(), 3);
    std::env::set_var(NUM_THREADS_ENV, "0");
    let auto = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        ThreadPoolBuilder::new()
            .build()
            .unwrap()
            .current_num_threads(),
        auto
    );
}
