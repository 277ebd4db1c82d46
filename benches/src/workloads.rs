//! The workloads, one function per (workload, implementation), written the way a user of
//! each system would write them.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

/// Serial Fibonacci: the baseline with no fork at all.
pub fn fib_serial(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fib_serial(n - 1) + fib_serial(n - 2)
}

/// Fibonacci with an `ontime_core::join` at every call.
pub fn fib_ontime(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = ontime_core::join(|| fib_ontime(n - 1), || fib_ontime(n - 2));
    a + b
}

/// Fibonacci with a `rayon_core::join` at every call.
pub fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon_core::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

/// Fibonacci with a `chili` join at every call.
pub fn fib_chili(s: &mut chili::Scope<'_>, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = s.join(|s| fib_chili(s, n - 1), |s| fib_chili(s, n - 2));
    a + b
}

/// A heap-allocated binary tree node.
#[derive(Debug)]
pub struct Node {
    /// Payload.
    pub value: u64,
    /// Left subtree.
    pub left: Option<Box<Node>>,
    /// Right subtree.
    pub right: Option<Box<Node>>,
}

/// A complete binary tree of the given depth (2^depth - 1 nodes), values 0, 1, 2, ... in
/// pre-order. Nodes are allocated top-down (a node before its children), so a left-first
/// traversal walks memory forwards, and the case measures forks rather than the allocator's
/// layout.
pub fn make_tree(depth: u32) -> Option<Box<Node>> {
    fn build(depth: u32, next: &mut u64) -> Option<Box<Node>> {
        if depth == 0 {
            return None;
        }
        let mut node = Box::new(Node {
            value: *next,
            left: None,
            right: None,
        });
        *next += 1;
        node.left = build(depth - 1, next);
        node.right = build(depth - 1, next);
        Some(node)
    }
    build(depth, &mut 0)
}

/// Tree sum, serial.
pub fn tree_sum_serial(t: &Option<Box<Node>>) -> u64 {
    match t {
        None => 0,
        Some(n) => n.value + tree_sum_serial(&n.left) + tree_sum_serial(&n.right),
    }
}

/// Tree sum with an `ontime_core::join` per node.
pub fn tree_sum_ontime(t: &Option<Box<Node>>) -> u64 {
    match t {
        None => 0,
        Some(n) => {
            let (a, b) =
                ontime_core::join(|| tree_sum_ontime(&n.left), || tree_sum_ontime(&n.right));
            n.value + a + b
        }
    }
}

/// Tree sum with a `rayon_core::join` per node.
pub fn tree_sum_rayon(t: &Option<Box<Node>>) -> u64 {
    match t {
        None => 0,
        Some(n) => {
            let (a, b) = rayon_core::join(|| tree_sum_rayon(&n.left), || tree_sum_rayon(&n.right));
            n.value + a + b
        }
    }
}

/// Tree sum with a `chili` join per node.
pub fn tree_sum_chili(s: &mut chili::Scope<'_>, t: &Option<Box<Node>>) -> u64 {
    match t {
        None => 0,
        Some(n) => {
            let (a, b) = s.join(
                |s| tree_sum_chili(s, &n.left),
                |s| tree_sum_chili(s, &n.right),
            );
            n.value + a + b
        }
    }
}

/// The light per-element function of the 1-D map/sum.
#[inline]
pub fn light(x: u64) -> u64 {
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 7) ^ x
}

/// Block size of the 1-D map/sum for every implementation that takes one.
pub const MAP_GRAIN: usize = 4096;

/// 1-D map/sum, serial: `out[i] = light(x[i])`, returns the sum of `out`.
pub fn map_sum_serial(x: &[u64], out: &mut [u64]) -> u64 {
    let mut s = 0u64;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = light(v);
        s = s.wrapping_add(*o);
    }
    s
}

/// 1-D map/sum with `ontime_core::forall_chunked`; each block adds its partial sum once.
pub fn map_sum_ontime(x: &[u64], out: &mut [u64]) -> u64 {
    let total = AtomicU64::new(0);
    let out_ptr = ontime_core::SyncPtr::new(out.as_mut_ptr());
    assert_eq!(x.len(), out.len());
    ontime_core::forall_chunked(0..x.len(), MAP_GRAIN, |r| {
        // SAFETY: blocks are disjoint and within bounds (checked lengths above).
        let o = unsafe { std::slice::from_raw_parts_mut(out_ptr.get().add(r.start), r.len()) };
        let s = map_sum_serial(&x[r], o);
        total.fetch_add(s, Ordering::Relaxed);
    });
    total.into_inner()
}

/// 1-D map/sum with rayon's parallel iterators (the way a rayon user writes it).
pub fn map_sum_rayon_iter(x: &[u64], out: &mut [u64]) -> u64 {
    x.par_iter()
        .zip(out.par_iter_mut())
        .map(|(&v, o)| {
            *o = light(v);
            *o
        })
        .reduce(|| 0, u64::wrapping_add)
}

/// 1-D map/sum with a recursive `rayon_core::join` loop down to [`MAP_GRAIN`].
pub fn map_sum_rayon_join(x: &[u64], out: &mut [u64]) -> u64 {
    if x.len() <= MAP_GRAIN {
        return map_sum_serial(x, out);
    }
    let mid = x.len() / 2;
    let (xl, xr) = x.split_at(mid);
    let (ol, or) = out.split_at_mut(mid);
    let (a, b) = rayon_core::join(|| map_sum_rayon_join(xl, ol), || map_sum_rayon_join(xr, or));
    a.wrapping_add(b)
}

/// Tile edge of the blocked matrix product.
pub const MM_TILE: usize = 32;

/// One output tile of `C = A × B` (row-major `n × n`): rows `r`, columns `c`.
///
/// # Safety
/// `c_ptr` must point to an `n × n` buffer, and no other thread may touch this tile meanwhile.
pub unsafe fn matmul_tile(
    a: &[f64],
    b: &[f64],
    c_ptr: ontime_core::SyncPtr<f64>,
    n: usize,
    r: std::ops::Range<usize>,
    c: std::ops::Range<usize>,
) {
    for i in r {
        // SAFETY: row `i`, columns `c` lie inside the buffer and belong to this tile only.
        let row =
            unsafe { std::slice::from_raw_parts_mut(c_ptr.get().add(i * n + c.start), c.len()) };
        row.iter_mut().for_each(|x| *x = 0.0);
        for k in 0..n {
            let aik = a[i * n + k];
            let brow = &b[k * n + c.start..k * n + c.end];
            for (x, &bkj) in row.iter_mut().zip(brow) {
                *x += aik * bkj;
            }
        }
    }
}

fn tile_ranges(t: usize, n: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let per_row = n.div_ceil(MM_TILE);
    let (ti, tj) = (t / per_row, t % per_row);
    (
        ti * MM_TILE..((ti + 1) * MM_TILE).min(n),
        tj * MM_TILE..((tj + 1) * MM_TILE).min(n),
    )
}

/// Blocked matrix product, serial (tile by tile).
pub fn matmul_serial(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    let p = ontime_core::SyncPtr::new(c.as_mut_ptr());
    for t in 0..n.div_ceil(MM_TILE).pow(2) {
        let (r, cc) = tile_ranges(t, n);
        // SAFETY: one thread, each tile once.
        unsafe { matmul_tile(a, b, p, n, r, cc) };
    }
}

/// Blocked matrix product with `ontime_core::forall_2d`.
pub fn matmul_ontime(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    let p = ontime_core::SyncPtr::new(c.as_mut_ptr());
    ontime_core::forall_2d(0..n, 0..n, [MM_TILE, MM_TILE], |r, cc| {
        // SAFETY: forall_2d hands out each tile once.
        unsafe { matmul_tile(a, b, p, n, r, cc) }
    });
}

/// Blocked matrix product with rayon's parallel iterator over tiles.
pub fn matmul_rayon_iter(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    let p = ontime_core::SyncPtr::new(c.as_mut_ptr());
    (0..n.div_ceil(MM_TILE).pow(2))
        .into_par_iter()
        .for_each(|t| {
            let (r, cc) = tile_ranges(t, n);
            // SAFETY: each tile index is visited once.
            unsafe { matmul_tile(a, b, p, n, r, cc) }
        });
}

/// Blocked matrix product with a recursive `rayon_core::join` over tile indices.
pub fn matmul_rayon_join(a: &[f64], b: &[f64], c: &mut [f64], n: usize) {
    fn rec(
        a: &[f64],
        b: &[f64],
        p: ontime_core::SyncPtr<f64>,
        n: usize,
        tiles: std::ops::Range<usize>,
    ) {
        if tiles.len() == 1 {
            let (r, cc) = tile_ranges(tiles.start, n);
            // SAFETY: each tile index is visited once.
            unsafe { matmul_tile(a, b, p, n, r, cc) };
            return;
        }
        let mid = tiles.start + tiles.len() / 2;
        rayon_core::join(
            || rec(a, b, p, n, tiles.start..mid),
            || rec(a, b, p, n, mid..tiles.end),
        );
    }
    let p = ontime_core::SyncPtr::new(c.as_mut_ptr());
    rec(a, b, p, n, 0..n.div_ceil(MM_TILE).pow(2));
}

/// One index of the triangular loop: `i + 1` steps of a dependent multiply-add chain, so
/// index `i` costs `i + 1` units (about a nanosecond each) and the last indices dominate.
pub fn triangle_cell(i: usize) -> u64 {
    let mut x = i as u64;
    for k in 0..=i as u64 {
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(k);
    }
    x
}

/// Triangular loop, serial: `out[i] = triangle_cell(i)`.
pub fn triangle_serial(out: &mut [u64]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = triangle_cell(i);
    }
}

/// Triangular loop with `ontime_core::forall` (automatic block size).
pub fn triangle_ontime(out: &mut [u64]) {
    let p = ontime_core::SyncPtr::new(out.as_mut_ptr());
    ontime_core::forall(0..out.len(), |i| {
        // SAFETY: each index is visited once, so each element has one writer.
        unsafe { *p.get().add(i) = triangle_cell(i) }
    });
}

/// Triangular loop with rayon's parallel iterator (automatic splitting).
pub fn triangle_rayon_iter(out: &mut [u64]) {
    out.par_iter_mut()
        .enumerate()
        .for_each(|(i, o)| *o = triangle_cell(i));
}

/// Triangular loop with a recursive `rayon_core::join` down to single indices.
pub fn triangle_rayon_join(out: &mut [u64]) {
    fn rec(out: &mut [u64], base: usize) {
        if out.len() == 1 {
            out[0] = triangle_cell(base);
            return;
        }
        let mid = out.len() / 2;
        let (l, r) = out.split_at_mut(mid);
        rayon_core::join(|| rec(l, base), || rec(r, base + mid));
    }
    if !out.is_empty() {
        rec(out, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fib_agrees() {
        let pool = chili::ThreadPool::new();
        let mut s = pool.scope();
        assert_eq!(fib_serial(20), 6765);
        assert_eq!(fib_ontime(20), 6765);
        assert_eq!(fib_rayon(20), 6765);
        assert_eq!(fib_chili(&mut s, 20), 6765);
    }

    #[test]
    fn every_tree_sum_agrees() {
        let t = make_tree(12);
        let n = (1u64 << 12) - 1;
        let expected = n * (n - 1) / 2;
        let pool = chili::ThreadPool::new();
        assert_eq!(tree_sum_serial(&t), expected);
        assert_eq!(tree_sum_ontime(&t), expected);
        assert_eq!(tree_sum_rayon(&t), expected);
        assert_eq!(tree_sum_chili(&mut pool.scope(), &t), expected);
    }

    #[test]
    fn every_map_sum_agrees() {
        let x: Vec<u64> = (0..100_003).collect();
        let mut o1 = vec![0; x.len()];
        let want = map_sum_serial(&x, &mut o1);
        for f in [map_sum_ontime, map_sum_rayon_iter, map_sum_rayon_join] {
            let mut o = vec![0; x.len()];
            assert_eq!(f(&x, &mut o), want);
            assert_eq!(o, o1);
        }
    }

    #[test]
    fn every_triangle_agrees() {
        let mut want = vec![0; 1001];
        triangle_serial(&mut want);
        assert_eq!(want[3], triangle_cell(3));
        for f in [triangle_ontime, triangle_rayon_iter, triangle_rayon_join] {
            let mut o = vec![0; want.len()];
            f(&mut o);
            assert_eq!(o, want);
        }
    }

    #[test]
    fn every_matmul_agrees() {
        let n = 70;
        let a: Vec<f64> = (0..n * n).map(|i| (i % 7) as f64).collect();
        let b: Vec<f64> = (0..n * n).map(|i| (i % 5) as f64 - 2.0).collect();
        let mut want = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                want[i * n + j] = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
            }
        }
        let mut c = vec![0.0; n * n];
        matmul_serial(&a, &b, &mut c, n);
        assert_eq!(c, want);
        for f in [matmul_ontime, matmul_rayon_iter, matmul_rayon_join] {
            let mut c = vec![1.0; n * n];
            f(&a, &b, &mut c, n);
            assert_eq!(c, want);
        }
    }
}
