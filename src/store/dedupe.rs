//! Keys `(site, boot, seq)` of reports stored but not yet in the key index, and the highest
//! indexed sequence per `(site, boot)`: what the embedded store needs to decide "stored before?"
//! without a write to a scattered index for every report.
//!
//! The store appends reports to its table in arrival order and adds their keys to the index in
//! bulk, sorted, every few tens of thousands of reports (see `sqlite.rs`). Until then a key lives
//! here. A report is new when its key is neither here nor in the index; the index is only read
//! when the sequence is not above the highest one indexed for its `(site, boot)`, which in a
//! healthy stream means only for redeliveries and late reports.
//!
//! One hash lookup per report: sites are hashed once (foldhash, seeded per process, so agents
//! cannot choose colliding ids), a site's boots are a short list, and a boot's sequences a
//! sorted list that a healthy stream only appends to.

/// The keys of one site's boot.
#[derive(Debug)]
struct Boot {
    name: Box<str>,
    /// Highest sequence in the key index: `None` until read, then `Some(None)` when the index
    /// holds nothing for the pair.
    indexed_max: Option<Option<u64>>,
    /// `(seq, status.id)` stored since the last index, ascending by `seq`.
    tail: Vec<(u64, i64)>,
}

/// Every site's keys since the last index, with the indexed maxima read so far.
#[derive(Debug, Default)]
pub struct Keys {
    /// Per site, its boots; the one last written to is last.
    sites: foldhash::HashMap<Box<str>, Vec<Boot>>,
    len: usize,
    span: Option<Span>,
}

/// One `(site, boot)` and its keys since the last index, `(seq, status.id)` ascending by `seq`.
pub type BootKeys<'k> = (&'k str, &'k str, &'k [(u64, i64)]);

/// The rows and agent times the keys since the last index cover: what the next run of the
/// index records. A key taken back does not narrow it; the span may be wider than the keys,
/// never narrower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first_id: i64,
    pub last_id: i64,
    pub min_ts: i64,
    pub max_ts: i64,
}

impl Keys {
    fn boot(&self, site: &str, boot: &str) -> Option<&Boot> {
        self.sites
            .get(site)
            .and_then(|b| b.iter().rev().find(|b| &*b.name == boot))
    }

    /// The boot's entry, created when new, moved last (the one written to now).
    fn boot_mut(&mut self, site: &str, boot: &str) -> &mut Boot {
        if !self.sites.contains_key(site) {
            self.sites.insert(site.into(), Vec::new());
        }
        let boots = self.sites.get_mut(site).expect("inserted");
        match boots.iter().rposition(|b| &*b.name == boot) {
            Some(i) if i + 1 == boots.len() => {}
            Some(i) => {
                let b = boots.remove(i);
                boots.push(b);
            }
            None => boots.push(Boot {
                name: boot.into(),
                indexed_max: None,
                tail: Vec::new(),
            }),
        }
        boots.last_mut().expect("pushed")
    }

    pub fn contains(&self, site: &str, boot: &str, seq: u64) -> bool {
        self.id(site, boot, seq).is_some()
    }

    /// The row holding the report of this key, if the key is here.
    pub fn id(&self, site: &str, boot: &str, seq: u64) -> Option<i64> {
        let tail = &self.boot(site, boot)?.tail;
        match tail.last() {
            Some(&(last, _)) if seq > last => None,
            _ => tail
                .binary_search_by_key(&seq, |&(s, _)| s)
                .ok()
                .map(|i| tail[i].1),
        }
    }

    /// Adds a key stored in row `id`, a report of agent time `ts` (ms); false if the key was
    /// already there.
    pub fn insert(&mut self, site: &str, boot: &str, seq: u64, id: i64, ts: i64) -> bool {
        let tail = &mut self.boot_mut(site, boot).tail;
        match tail.last() {
            Some(&(last, _)) if seq <= last => match tail.binary_search_by_key(&seq, |&(s, _)| s) {
                Ok(_) => return false,
                Err(i) => tail.insert(i, (seq, id)),
            },
            _ => tail.push((seq, id)),
        }
        self.len += 1;
        let s = self.span.get_or_insert(Span {
            first_id: id,
            last_id: id,
            min_ts: ts,
            max_ts: ts,
        });
        s.first_id = s.first_id.min(id);
        s.last_id = s.last_id.max(id);
        s.min_ts = s.min_ts.min(ts);
        s.max_ts = s.max_ts.max(ts);
        true
    }

    /// What the keys held cover; `None` when there are none.
    pub fn span(&self) -> Option<Span> {
        self.span.filter(|_| self.len > 0)
    }

    /// Every `(site, boot)` with keys held, ascending by site then boot (bytewise, as SQLite
    /// orders text), each with its `(seq, id)` ascending by `seq`: the order of the index.
    pub fn sorted(&self) -> Vec<BootKeys<'_>> {
        let mut out: Vec<BootKeys<'_>> = self
            .sites
            .iter()
            .flat_map(|(site, boots)| {
                boots
                    .iter()
                    .filter(|b| !b.tail.is_empty())
                    .map(move |b| (&**site, &*b.name, &b.tail[..]))
            })
            .collect();
        out.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        out
    }

    /// Takes back a key inserted by a batch that did not commit.
    pub fn remove(&mut self, site: &str, boot: &str, seq: u64) {
        if let Some(b) = self
            .sites
            .get_mut(site)
            .and_then(|b| b.iter_mut().rev().find(|b| &*b.name == boot))
            && let Ok(i) = b.tail.binary_search_by_key(&seq, |&(s, _)| s)
        {
            b.tail.remove(i);
            self.len -= 1;
        }
    }

    /// Keys held since the last index.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The cached highest indexed sequence of the pair, if read.
    pub fn indexed_max(&self, site: &str, boot: &str) -> Option<Option<u64>> {
        self.boot(site, boot).and_then(|b| b.indexed_max)
    }

    pub fn set_indexed_max(&mut self, site: &str, boot: &str, max: Option<u64>) {
        self.boot_mut(site, boot).indexed_max = Some(max);
    }

    /// Every key held is in the index now: the cached maxima rise to the tails' (pairs not read
    /// yet read the right value when first needed), the tails empty, and each site keeps only
    /// its latest boot, so reboots do not pile up.
    pub fn indexed(&mut self) {
        self.len = 0;
        self.span = None;
        for boots in self.sites.values_mut() {
            let keep = boots.len().saturating_sub(1);
            boots.drain(..keep);
            for b in boots.iter_mut() {
                if let (Some(max), Some(&(top, _))) = (&mut b.indexed_max, b.tail.last()) {
                    *max = Some(max.map_or(top, |m| m.max(top)));
                }
                b.tail = Vec::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_count_distinct_keys_and_raise_only_read_maxima() {
        let mut t = Keys::default();
        assert!(t.insert("A", "b1", 3, 10, 0));
        assert!(!t.insert("A", "b1", 3, 11, 0));
        assert_eq!(t.id("A", "b1", 3), Some(10), "the first row stays");
        assert!(t.insert("A", "b1", 9, 12, 0));
        assert!(t.insert("A", "b1", 5, 14, 0), "a late key in the middle");
        assert!(t.insert("A", "b2", 1, 13, 0));
        assert!(t.contains("A", "b1", 5) && !t.contains("A", "b1", 4) && !t.contains("B", "b1", 3));
        assert_eq!(t.len(), 4);
        t.remove("A", "b1", 5);
        assert!(!t.contains("A", "b1", 5) && t.contains("A", "b1", 9));
        assert_eq!(t.len(), 3);
        assert_eq!(
            t.indexed_max("A", "b2"),
            None,
            "not read: left for a lazy read"
        );
        t.set_indexed_max("A", "b2", None);
        t.indexed();
        assert!(t.is_empty() && !t.contains("A", "b1", 9));
        assert_eq!(t.indexed_max("A", "b2"), Some(Some(1)));
        assert_eq!(
            t.indexed_max("A", "b1"),
            None,
            "an earlier boot is forgotten"
        );
    }

    /// The next run of the index comes from here: sorted as the index is, with the rows and
    /// times it covers.
    #[test]
    fn keys_come_out_in_the_index_order_with_their_span() {
        let mut t = Keys::default();
        assert_eq!(t.span(), None);
        t.insert("B", "x", 2, 7, 500);
        t.insert("A", "y", 1, 8, 100);
        t.insert("A", "x", 5, 9, 900);
        t.insert("A", "x", 4, 10, 300);
        t.insert("B", "x", 1, 11, 200);
        let sorted = t.sorted();
        assert_eq!(
            sorted,
            vec![
                ("A", "x", &[(4, 10), (5, 9)][..]),
                ("A", "y", &[(1, 8)][..]),
                ("B", "x", &[(1, 11), (2, 7)][..]),
            ]
        );
        assert_eq!(
            t.span(),
            Some(Span {
                first_id: 7,
                last_id: 11,
                min_ts: 100,
                max_ts: 900
            })
        );
        t.indexed();
        assert_eq!(t.span(), None);
        assert!(t.sorted().is_empty());
    }

    proptest! {
        /// The keys behave as a set, whatever order they come in and whatever is taken back.
        #[test]
        fn keys_are_a_set(ops in proptest::collection::vec((0u8..4, 0u8..3, 0u64..20, proptest::bool::weighted(0.2)), 0..200)) {
            let mut t = Keys::default();
            let mut model = std::collections::HashSet::new();
            for (s, b, q, remove) in ops {
                let (s, b) = (s.to_string(), b.to_string());
                prop_assert_eq!(t.contains(&s, &b, q), model.contains(&(s.clone(), b.clone(), q)));
                if remove {
                    t.remove(&s, &b, q);
                    model.remove(&(s, b, q));
                } else {
                    prop_assert_eq!(t.insert(&s, &b, q, 0, 0), model.insert((s, b, q)));
                }
                prop_assert_eq!(t.len(), model.len());
            }
        }
    }
}
