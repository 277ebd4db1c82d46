//! Everything a data-parallel program needs, in one import, with rayon's names:
//! `use ontime_core::prelude::*;` makes a rayon port a changed `use` line.
//!
//! ```
//! use ontime_core::prelude::*;
//! let mut v: Vec<u32> = (0..10_000).rev().collect();
//! v.par_sort_unstable();
//! let total: u64 = v.par_iter().map(|&x| u64::from(x)).sum();
//! assert_eq!(total, 49_995_000);
//! ```

pub use crate::iter::{
    FromParallelIterator, IndexedParallelIterator, IntoParallelIterator, IntoParallelRefIterator,
    IntoParallelRefMutIterator, ParallelExtend, ParallelIterator,
};
pub use crate::slice::{ParallelSlice, ParallelSliceMut};
