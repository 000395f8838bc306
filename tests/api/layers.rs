//! The dependency direction of the code, read from its source: each top-level module's
//! `crate::…` paths are its imports. The layers are
//! `domain <- db <- tallies <- {offices, events, activations} <- reports <- web`:
//! a layer never imports one above it, directly or through any other module (which is what
//! keeps the write model out of the read feature, and `db` below every feature).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The top-level modules of `src/` (files and folders), `lib` and `main` excepted.
fn modules(src: &Path) -> BTreeSet<String> {
    std::fs::read_dir(src)
        .expect("read src/")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs").map(str::to_string)
            }
        })
        .filter(|m| m != "lib" && m != "main")
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules a piece of code names after `crate::` (in a path, or in a `use crate::{…}`
/// group, nested groups included). `crate::with_conn!` is the macro `db` exports.
fn named(code: &str, mods: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(i) = code[at..].find("crate::") {
        let start = at + i;
        at = start + "crate::".len();
        // `$crate::` inside a macro is the same crate; `jemput_crate::` is not a path.
        let before = start.checked_sub(1).map(|b| bytes[b] as char);
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at..];
        if let Some(group) = rest.strip_prefix('{') {
            // The balanced `{…}` group: its top-level names are modules.
            let mut depth = 1;
            let mut top = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                top.push(if depth == 1 { c } else { ' ' });
            }
            for item in top.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if mods.contains(&name) {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name == "with_conn" {
                found.insert("db".to_string());
            } else if mods.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

/// Which top-level module names which, from every `.rs` file under `src/` (comments left
/// out: a doc link is not an import).
fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let first = rel
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let me = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if !mods.contains(&me) {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read source");
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = g.entry(me.clone()).or_default();
        deps.extend(named(&code, &mods).into_iter().filter(|m| *m != me));
    }
    g
}

/// Every module `from` reaches through any chain of imports.
fn reach(g: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for d in g.get(&m).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

/// The layers, lowest first; a module of a layer may import only from layers below it.
const LAYERS: &[&[&str]] = &[
    &["domain"],
    &["db"],
    &["tallies"],
    &["offices", "events", "activations"],
    &["reports"],
    &["web"],
];

#[test]
fn the_scanner_sees_imports_in_every_form() {
    let mods: BTreeSet<String> = ["db", "tallies", "reports", "events", "error"]
        .map(String::from)
        .into();
    let code = "use crate::db::DbConn;\nuse crate::{tallies::{self, Sink}, error::AppError};\n\
                let x = crate::reports::service::rate(1, 2);\n$crate::events::x();";
    assert_eq!(
        named(code, &mods),
        ["db", "error", "events", "reports", "tallies"]
            .map(String::from)
            .into()
    );
    assert!(named("crate::with_conn!(c, |x| x)", &mods).contains("db"));
    assert!(named("my_crate::reports::x", &mods).is_empty());
}

#[test]
fn db_imports_no_feature() {
    let g = graph();
    let allowed: BTreeSet<&str> = ["error", "domain", "schema"].into();
    let direct: Vec<&String> = g["db"]
        .iter()
        .filter(|m| !allowed.contains(m.as_str()))
        .collect();
    assert!(direct.is_empty(), "src/db imports {direct:?}");
    let reached: Vec<String> = reach(&g, "db")
        .into_iter()
        .filter(|m| !allowed.contains(m.as_str()))
        .collect();
    assert!(
        reached.is_empty(),
        "src/db reaches {reached:?} through its imports"
    );
}

#[test]
fn tallies_stand_on_db_alone() {
    let g = graph();
    let allowed: BTreeSet<&str> = ["db", "domain", "error", "schema"].into();
    let extra: Vec<&String> = g["tallies"]
        .iter()
        .filter(|m| !allowed.contains(m.as_str()))
        .collect();
    assert!(extra.is_empty(), "src/tallies imports {extra:?}");
}

#[test]
fn no_layer_reaches_a_layer_above_it() {
    let g = graph();
    for (i, layer) in LAYERS.iter().enumerate() {
        for m in *layer {
            assert!(g.contains_key(*m), "no module `{m}` under src/");
            let reached = reach(&g, m);
            for above in LAYERS[i + 1..].iter().flat_map(|l| l.iter()) {
                assert!(
                    !reached.contains(*above),
                    "`{m}` reaches `{above}`, a layer above it: {:?}",
                    path(&g, m, above)
                );
            }
            // Within the features' layer, none imports another of them back.
            for other in layer.iter().filter(|o| *o != m) {
                assert!(
                    !(reached.contains(*other) && reach(&g, other).contains(*m)),
                    "`{m}` and `{other}` import each other"
                );
            }
        }
    }
}

#[test]
fn events_activations_and_offices_never_import_reports() {
    let g = graph();
    for m in ["events", "activations", "offices"] {
        assert!(!g[m].contains("reports"), "src/{m} imports reports");
        assert!(!reach(&g, m).contains("reports"), "src/{m} reaches reports");
    }
}

/// One chain of imports from `from` to `to`, for the failure message.
fn path(g: &Graph, from: &str, to: &str) -> Vec<String> {
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut todo = std::collections::VecDeque::from([from.to_string()]);
    while let Some(m) = todo.pop_front() {
        if m == to {
            let mut chain = vec![m.clone()];
            let mut at = m;
            while let Some(p) = prev.get(&at) {
                chain.push(p.clone());
                at = p.clone();
            }
            chain.reverse();
            return chain;
        }
        for d in g.get(&m).into_iter().flatten() {
            if d != from && !prev.contains_key(d) {
                prev.insert(d.clone(), m.clone());
                todo.push_back(d.clone());
            }
        }
    }
    Vec::new()
}

/// The groups of top-level modules that import each other (strongly connected components
/// of more than one module).
fn cycles(g: &Graph) -> Vec<BTreeSet<String>> {
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for m in g.keys() {
        if groups.iter().any(|c| c.contains(m)) {
            continue;
        }
        let reached = reach(g, m);
        let group: BTreeSet<String> = reached
            .iter()
            .filter(|o| *o != m && reach(g, o).contains(m))
            .cloned()
            .chain([m.clone()])
            .collect();
        if group.len() > 1 {
            groups.push(group);
        }
    }
    groups
}

/// Cycles left among the top-level modules, each for a reason outside the layers above;
/// no new one may appear (a cycle found must lie inside one of these):
/// - the signed-in user (`auth::AuthUser`, the request's extractor) carries the user's and
///   office's rows, and the features those rows belong to take it in their routes; the
///   application state holds auth's key ring and user cache;
/// - `docs` serves the OpenAPI document that `startup` assembles from the mounted routes.
const KNOWN_CYCLES: &[&[&str]] = &[
    &["audit", "auth", "offices", "state", "users"],
    &["docs", "startup"],
];

#[test]
fn no_new_cycle_among_the_top_level_modules() {
    let g = graph();
    for group in cycles(&g) {
        assert!(
            KNOWN_CYCLES
                .iter()
                .any(|known| group.iter().all(|m| known.contains(&m.as_str()))),
            "these modules import each other: {group:?}"
        );
    }
}
