//! Keys `(site, boot, seq)` of reports stored but not yet in the key index, and the highest
//! indexed sequence per `(site, boot)`: what the embedded store needs to decide "stored before?"
//! without a write to a scattered index for every report.
//!
//! The store appends reports to its table in arrival order and adds their keys to the index in
//! bulk, sorted, every few hundred thousand reports (see `sqlite.rs`). Until then a key lives
//! here. A report is new when its key is neither here nor in the index; the index is only read
//! when the sequence is not above the highest one indexed for its `(site, boot)`, which in a
//! healthy stream means only for redeliveries and late reports.

use std::collections::HashMap;

/// Keys per site and boot, each with the row (`status.id`) that holds its report.
#[derive(Debug, Default)]
pub struct Tail {
    keys: HashMap<String, HashMap<String, HashMap<u64, i64>>>,
    len: usize,
}

impl Tail {
    pub fn contains(&self, site: &str, boot: &str, seq: u64) -> bool {
        self.id(site, boot, seq).is_some()
    }

    /// The row holding the report of this key, if the key is here.
    pub fn id(&self, site: &str, boot: &str, seq: u64) -> Option<i64> {
        self.keys
            .get(site)
            .and_then(|b| b.get(boot))
            .and_then(|s| s.get(&seq))
            .copied()
    }

    /// Adds a key stored in row `id`; false if the key was already there.
    pub fn insert(&mut self, site: &str, boot: &str, seq: u64, id: i64) -> bool {
        let boots = match self.keys.get_mut(site) {
            Some(b) => b,
            None => self.keys.entry(site.to_string()).or_default(),
        };
        let seqs = match boots.get_mut(boot) {
            Some(s) => s,
            None => boots.entry(boot.to_string()).or_default(),
        };
        let new = !seqs.contains_key(&seq);
        if new {
            seqs.insert(seq, id);
            self.len += 1;
        }
        new
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Moves every key of `other` into this tail.
    pub fn absorb(&mut self, other: Tail) {
        for (site, boots) in other.keys {
            for (boot, seqs) in boots {
                for (seq, id) in seqs {
                    self.insert(&site, &boot, seq, id);
                }
            }
        }
    }

    /// Empties the tail, returning the highest sequence per `(site, boot)` it held.
    pub fn drain_max(&mut self) -> Vec<(String, String, u64)> {
        self.len = 0;
        let mut out = Vec::new();
        for (site, boots) in self.keys.drain() {
            for (boot, seqs) in boots {
                if let Some(max) = seqs.into_keys().max() {
                    out.push((site.clone(), boot, max));
                }
            }
        }
        out
    }
}

/// Highest sequence in the key index per `(site, boot)`, loaded lazily; `None` when the index
/// holds nothing for the pair.
#[derive(Debug, Default)]
pub struct IndexedMax {
    max: HashMap<String, HashMap<String, Option<u64>>>,
}

impl IndexedMax {
    /// The cached value, if loaded.
    pub fn get(&self, site: &str, boot: &str) -> Option<Option<u64>> {
        self.max.get(site).and_then(|b| b.get(boot)).copied()
    }

    pub fn set(&mut self, site: &str, boot: &str, max: Option<u64>) {
        let boots = match self.max.get_mut(site) {
            Some(b) => b,
            None => self.max.entry(site.to_string()).or_default(),
        };
        boots.insert(boot.to_string(), max);
    }

    /// Raises the cached maximum after keys were indexed (only for pairs already loaded; the
    /// others load the right value when first needed).
    pub fn raise(&mut self, site: &str, boot: &str, seq: u64) {
        if let Some(slot) = self.max.get_mut(site).and_then(|b| b.get_mut(boot)) {
            *slot = Some(slot.map_or(seq, |m| m.max(seq)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tail_counts_distinct_keys_and_drains_their_maxima() {
        let mut t = Tail::default();
        assert!(t.insert("A", "b1", 3, 10));
        assert!(!t.insert("A", "b1", 3, 11));
        assert_eq!(t.id("A", "b1", 3), Some(10), "the first row stays");
        assert!(t.insert("A", "b1", 9, 12));
        assert!(t.insert("A", "b2", 1, 13));
        assert!(t.contains("A", "b1", 9) && !t.contains("A", "b1", 4) && !t.contains("B", "b1", 3));
        assert_eq!(t.len(), 3);
        let mut max = t.drain_max();
        max.sort();
        assert_eq!(
            max,
            vec![("A".into(), "b1".into(), 9), ("A".into(), "b2".into(), 1)]
        );
        assert!(t.is_empty() && !t.contains("A", "b1", 9));
    }

    #[test]
    fn indexed_max_raises_only_loaded_pairs() {
        let mut m = IndexedMax::default();
        m.raise("A", "b", 5);
        assert_eq!(m.get("A", "b"), None, "not loaded: left for a lazy load");
        m.set("A", "b", None);
        m.raise("A", "b", 5);
        m.raise("A", "b", 2);
        assert_eq!(m.get("A", "b"), Some(Some(5)));
    }

    proptest! {
        /// The tail behaves as a set of keys.
        #[test]
        fn tail_is_a_set(keys in proptest::collection::vec((0u8..4, 0u8..3, 0u64..20), 0..200)) {
            let mut t = Tail::default();
            let mut model = std::collections::HashSet::new();
            for (s, b, q) in keys {
                let (s, b) = (s.to_string(), b.to_string());
                prop_assert_eq!(t.contains(&s, &b, q), model.contains(&(s.clone(), b.clone(), q)));
                prop_assert_eq!(t.insert(&s, &b, q, 0), model.insert((s, b, q)));
                prop_assert_eq!(t.len(), model.len());
            }
        }
    }
}
