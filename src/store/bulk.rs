//! Rows written many to a statement. For a small row, most of what SQLite spends goes to
//! running the statement, not to the row: rows written in bulk go [`CHUNK`] to an `INSERT`.

use rusqlite::{Connection, Statement};

/// Rows per statement. 64 rows of 8 values stay far below SQLite's limit on parameters.
pub(super) const CHUNK: usize = 64;

/// Writes `rows` with `{head} VALUES (?, …), … {tail}`, [`CHUNK`] at a time and the rest one by
/// one. `bind` binds a row's `width` values from parameter `first` on (counted from 1).
pub(super) fn insert<R>(
    conn: &Connection,
    head: &str,
    width: usize,
    tail: &str,
    rows: &[R],
    mut bind: impl FnMut(&mut Statement<'_>, usize, &R) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut chunks = rows.chunks_exact(CHUNK);
    if chunks.len() > 0 {
        let mut many = conn.prepare_cached(&sql(head, width, CHUNK, tail))?;
        for chunk in &mut chunks {
            for (k, row) in chunk.iter().enumerate() {
                bind(&mut many, k * width + 1, row)?;
            }
            many.raw_execute()?;
        }
    }
    if !chunks.remainder().is_empty() {
        let mut one = conn.prepare_cached(&sql(head, width, 1, tail))?;
        for row in chunks.remainder() {
            bind(&mut one, 1, row)?;
            one.raw_execute()?;
        }
    }
    Ok(())
}

/// The statement for `n` rows of `width` values.
fn sql(head: &str, width: usize, n: usize, tail: &str) -> String {
    let row = format!("({})", vec!["?"; width].join(", "));
    format!("{head} VALUES {} {tail}", vec![row.as_str(); n].join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row arrives once with its own values, whatever the count against the chunk, and an
    /// upsert tail applies to each.
    #[test]
    fn rows_arrive_whole_in_chunks_and_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let c = crate::store::schema::open(&dir.path().join("t.db")).unwrap();
        for n in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 5] {
            c.execute("DELETE FROM boot_max", []).unwrap();
            let rows: Vec<(String, i64)> = (0..n as i64).map(|k| (format!("S{k}"), k)).collect();
            let bind = |s: &mut Statement<'_>, at: usize, r: &(String, i64)| {
                s.raw_bind_parameter(at, &r.0)?;
                s.raw_bind_parameter(at + 1, "b")?;
                s.raw_bind_parameter(at + 2, r.1)
            };
            let head = "INSERT INTO boot_max (site, boot, seq)";
            insert(&c, head, 3, "", &rows, bind).unwrap();
            let raise = "ON CONFLICT (site, boot) DO UPDATE SET seq = excluded.seq + 1000";
            insert(&c, head, 3, raise, &rows, bind).unwrap();
            let mut got: Vec<(String, i64)> = c
                .prepare("SELECT site, seq FROM boot_max")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            got.sort_by_key(|r| r.1);
            let want: Vec<(String, i64)> =
                rows.iter().map(|(s, k)| (s.clone(), k + 1000)).collect();
            assert_eq!(got, want, "{n} rows");
        }
    }
}
