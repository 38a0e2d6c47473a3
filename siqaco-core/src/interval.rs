//! Arithmetic on lists of half-open intervals `[start, end)` of `i64` (nanoseconds, or
//! sample indices): shared by the merge (superseded, kept, added and replaced samples),
//! the update (missing data against what a source holds) and the QC (epoch coverage).

/// The union of `v`: sorted, with overlapping or touching intervals made one. Empty
/// intervals (`start == end`) are kept when they touch nothing.
pub(crate) fn union(mut v: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// `a` minus `b`, both sorted and disjoint (unions); sorted and disjoint. Linear in the
/// lengths of both.
pub(crate) fn subtract(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut k = 0;
    for &(mut s, e) in a {
        while k < b.len() && b[k].1 <= s {
            k += 1;
        }
        let mut j = k;
        while s < e {
            match b.get(j) {
                Some(&(bs, be)) if bs < e => {
                    if bs > s {
                        out.push((s, bs));
                    }
                    s = s.max(be);
                    j += 1;
                }
                _ => {
                    out.push((s, e));
                    break;
                }
            }
        }
    }
    out
}

/// `a` ∩ `b`, both sorted and disjoint (unions); sorted and disjoint. Linear in the
/// lengths of both.
pub(crate) fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if s < e {
            out.push((s, e));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn interval_arithmetic() {
        assert_eq!(
            union(vec![(5, 8), (0, 3), (2, 4), (8, 9)]),
            vec![(0, 4), (5, 9)]
        );
        assert_eq!(union(vec![(9, 9), (1, 3)]), vec![(1, 3), (9, 9)]);
        assert_eq!(
            subtract(&[(0, 10)], &[(2, 3), (5, 12)]),
            vec![(0, 2), (3, 5)]
        );
        assert_eq!(subtract(&[(0, 10)], &[(-5, 20)]), vec![]);
        assert_eq!(subtract(&[(0, 10), (20, 30)], &[]), vec![(0, 10), (20, 30)]);
        assert_eq!(
            intersect(&[(0, 10), (20, 30)], &[(5, 25)]),
            vec![(5, 10), (20, 25)]
        );
        assert_eq!(intersect(&[(0, 10)], &[(10, 20)]), vec![]);
    }

    /// A union of up to 6 non-empty intervals within 0..60.
    fn a_union() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec((0..60i64, 1..12i64), 0..6)
            .prop_map(|v| union(v.into_iter().map(|(s, n)| (s, s + n)).collect()))
    }

    proptest! {
        /// Point by point, `subtract` and `intersect` are set difference and intersection.
        #[test]
        fn subtract_and_intersect_are_the_set_operations(a in a_union(), b in a_union()) {
            let has = |v: &[(i64, i64)], t: i64| v.iter().any(|&(s, e)| s <= t && t < e);
            let (d, i) = (subtract(&a, &b), intersect(&a, &b));
            for t in -1..75 {
                prop_assert_eq!(has(&d, t), has(&a, t) && !has(&b, t), "difference at {}", t);
                prop_assert_eq!(has(&i, t), has(&a, t) && has(&b, t), "intersection at {}", t);
            }
            prop_assert!(d.windows(2).all(|w| w[0].1 <= w[1].0) && d.iter().all(|x| x.0 < x.1));
            prop_assert!(i.windows(2).all(|w| w[0].1 <= w[1].0) && i.iter().all(|x| x.0 < x.1));
        }
    }
}
