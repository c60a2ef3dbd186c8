//! The code's shape, checked: data flows one way (wire ← domain ← store and views ← ingest,
//! state and the services ← api and the sink ← server ← main), and only the store's schema
//! owner creates tables, only the store's repositories read them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each module may use only those before it.
const ORDER: &[&str] = &[
    "wire",
    "clock",
    "broker",
    "domain",
    "config",
    "metrics",
    "store",
    "views",
    "coverage",
    "checklist",
    "state",
    "ingest",
    "rollout",
    "access",
    "api",
    "sink",
    "server",
    "sim",
    "demo",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Code lines of a file, comments left out.
fn code(p: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_uses_one_later_in_the_data_flow() {
    let root = src();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let rank: BTreeMap<&str, usize> = ORDER.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap();
        let top = rel.iter().next().unwrap().to_str().unwrap();
        let module = top.strip_suffix(".rs").unwrap_or(top);
        // `vendor` holds a patched dependency, not a module of this crate.
        if module == "lib" || module == "main" || module == "vendor" {
            continue;
        }
        let me = *rank
            .get(module)
            .unwrap_or_else(|| panic!("module `{module}` is not in ORDER; place it in the flow"));
        for (n, line) in code(f) {
            for (i, _) in line.match_indices("crate::") {
                let used: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(&r) = rank.get(used.as_str())
                    && r > me
                {
                    wrong.push(format!("{}:{n}: {module} uses {used}", rel.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "against the flow:\n{}", wrong.join("\n"));
}

#[test]
fn tables_are_created_by_the_schema_owner_and_read_by_the_store_only() {
    let root = src();
    let mut files = Vec::new();
    sources(&root, &mut files);
    let tables = [
        "status",
        "status_key",
        "status_keys",
        "key_runs",
        "boot_max",
        "meta",
        "site_state",
        "sites",
        "stage_changes",
        "site_day",
        "quarantine",
        "plan",
        "milestones",
        "obstacles",
        "checklist_closed",
        "areas",
        "agent_keys",
        "tokens",
        "objections",
        "audit",
        "outbox",
        "outbox_dead",
    ];
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_path_buf();
        let in_store = rel.starts_with("store");
        for (n, line) in code(f) {
            let upper = line.to_uppercase();
            if (upper.contains("CREATE TABLE") || upper.contains("ALTER TABLE"))
                && rel != Path::new("store/schema.rs")
            {
                wrong.push(format!("{}:{n}: creates a table", rel.display()));
            }
            if !in_store {
                for t in tables {
                    for kw in ["FROM ", "INTO ", "UPDATE ", "JOIN "] {
                        if line.contains(&format!("{kw}{t} "))
                            || line.ends_with(&format!("{kw}{t}"))
                        {
                            wrong.push(format!("{}:{n}: reads or writes `{t}`", rel.display()));
                        }
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "outside the store's repositories:\n{}",
        wrong.join("\n")
    );
}
