//! Parallel iterators over `std` collections other than slices and `Vec`: `VecDeque` (its
//! two contiguous halves, chained, without copying), and the maps and sets (`HashMap`,
//! `HashSet`, `BTreeMap`, `BTreeSet`), whose items are first gathered into a `Vec` on the
//! calling thread (references for `par_iter()` and `par_iter_mut()`, the items themselves for
//! `into_par_iter()`), then run in parallel like a `Vec`'s. The gathering is a serial walk of
//! the collection, as cheap as a `for` loop over it; what runs in parallel is the work done
//! on the items. Items come in the collection's own iteration order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::segments::Chain;
use super::sources::{SliceIter, SliceIterMut, VecIter};
use super::IntoParallelIterator;

impl<'data, T: Sync> IntoParallelIterator for &'data VecDeque<T> {
    type Iter = Chain<SliceIter<'data, T>, SliceIter<'data, T>>;
    type Item = &'data T;

    fn into_par_iter(self) -> Self::Iter {
        let (a, b) = self.as_slices();
        Chain::new(a.into_par_iter(), b.into_par_iter())
    }
}

impl<'data, T: Send> IntoParallelIterator for &'data mut VecDeque<T> {
    type Iter = Chain<SliceIterMut<'data, T>, SliceIterMut<'data, T>>;
    type Item = &'data mut T;

    fn into_par_iter(self) -> Self::Iter {
        let (a, b) = self.as_mut_slices();
        Chain::new(a.into_par_iter(), b.into_par_iter())
    }
}

impl<T: Send> IntoParallelIterator for VecDeque<T> {
    type Iter = VecIter<T>;
    type Item = T;

    fn into_par_iter(self) -> Self::Iter {
        Vec::from(self).into_par_iter()
    }
}

/// `IntoParallelIterator` for a collection by way of a `Vec` of what its serial iterator
/// yields.
macro_rules! through_vec {
    ($(impl[$($g:tt)*] $coll:ty => $item:ty;)*) => {$(
        impl<$($g)*> IntoParallelIterator for $coll {
            type Iter = VecIter<$item>;
            type Item = $item;

            fn into_par_iter(self) -> Self::Iter {
                self.into_iter().collect::<Vec<_>>().into_par_iter()
            }
        }
    )*};
}

through_vec! {
    impl['data, K: Sync, V: Sync, S] &'data HashMap<K, V, S> => (&'data K, &'data V);
    impl['data, K: Sync, V: Send, S] &'data mut HashMap<K, V, S> => (&'data K, &'data mut V);
    impl[K: Send, V: Send, S] HashMap<K, V, S> => (K, V);
    impl['data, T: Sync, S] &'data HashSet<T, S> => &'data T;
    impl[T: Send, S] HashSet<T, S> => T;
    impl['data, K: Sync, V: Sync] &'data BTreeMap<K, V> => (&'data K, &'data V);
    impl['data, K: Sync, V: Send] &'data mut BTreeMap<K, V> => (&'data K, &'data mut V);
    impl[K: Send, V: Send] BTreeMap<K, V> => (K, V);
    impl['data, T: Sync] &'data BTreeSet<T> => &'data T;
    impl[T: Send] BTreeSet<T> => T;
}
