//! The runtime's top-level modules import each other one way: no cycles.
//!
//! Reads `codec/src/**/*.rs`, collects the `crate::<module>` references of
//! each top-level module (use lines and inline paths; a path through a
//! crate-root re-export such as `crate::Reader` counts as the module that
//! defines it), ignoring comments, doc comments, strings and
//! `#[cfg(test)]` items, and checks that the graph has no cycle. A failure
//! prints the cycle.
//!
//! Run it with `cargo test -p codec --test module_graph -- --nocapture`
//! (it also prints the graph).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn runtime_modules_form_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    for (module, deps) in &graph {
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        println!("{module} -> {}", deps.join(", "));
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between modules: {}", join(cycle.iter()));
    }
}

/// `explain` is a layer above decoding: decoders record into the
/// `Explainer` of the leaf module `explainer`, and nothing in the runtime
/// imports `explain` itself (only the crate root re-exports it).
#[test]
fn nothing_depends_on_explain() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let users: Vec<String> = module_graph(&src)
        .into_iter()
        .filter(|(_, deps)| deps.contains("explain"))
        .map(|(module, _)| module)
        .collect();
    assert!(users.is_empty(), "modules importing `explain`: {users:?}");
}

/// The dependencies of every top-level module of the crate at `src`.
fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(src, f)).collect();
    let lib = code_only(&fs::read_to_string(src.join("lib.rs")).unwrap());
    // `pub use crate::reader::Reader;` in lib.rs: `crate::Reader` is `reader`.
    let mut root = BTreeMap::new();
    for path in crate_paths(&lib) {
        if let [module, .., name] = path.as_slice() {
            if modules.contains(module) {
                root.insert(name.clone(), module.clone());
            }
        }
    }
    let mut graph = Graph::new();
    for file in &files {
        let Some(module) = top_module(src, file) else {
            continue;
        };
        let deps = graph.entry(module.clone()).or_default();
        let code = code_only(&fs::read_to_string(file).unwrap());
        for path in crate_paths(&code) {
            let first = &path[0];
            let dep = if modules.contains(first) {
                first
            } else if let Some(module) = root.get(first) {
                module
            } else {
                continue;
            };
            if *dep != module {
                deps.insert(dep.clone());
            }
        }
    }
    graph
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

/// `src/frame.rs` -> `frame`, `src/rpc/client.rs` -> `rpc`; `None` for the
/// crate root.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

/// The source with comments, strings and char literals blanked out, and
/// `#[cfg(test)]` items removed.
fn code_only(source: &str) -> String {
    drop_test_items(&strip_comments_and_literals(source))
}

fn strip_comments_and_literals(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c[i] == 'r'
            && (i == 0 || !ident(c[i - 1]) || c[i - 1] == 'b')
            && matches!(next, Some('"' | '#'))
        {
            // r"..." or r#"..."#: ends at a quote followed by as many #.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            while j < c.len() {
                if c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c[i] == '\'' && next == Some('\\') {
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            // A lifetime's quote, or code.
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// Removes every item under `#[cfg(test)]` (with its other attributes): up
/// to a `;` or the end of a `{ }` block at the item's own depth.
fn drop_test_items(s: &str) -> String {
    const CFG_TEST: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(CFG_TEST) {
        out.push_str(&rest[..at]);
        let item = &rest[at + CFG_TEST.len()..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, ch) in item.char_indices() {
            match ch {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                '}' => {
                    depth = depth.saturating_sub(1);
                    // The attributes before the item close with `]`, so
                    // only a `}` can end a block item.
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Every path that starts with `crate::` (or `$crate::`), as its segments;
/// a `use crate::{a::X, b::{Y, Z}}` group gives one path per leaf.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let c: Vec<char> = code.chars().collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while let Some(at) = find(&c, i, "crate") {
        i = at + "crate".len();
        let before = at.checked_sub(1).map(|b| c[b]);
        if before.is_some_and(|b| b.is_alphanumeric() || b == '_') {
            continue;
        }
        let mut j = skip_ws(&c, i);
        if c.get(j) != Some(&':') || c.get(j + 1) != Some(&':') {
            continue;
        }
        j += 2;
        tree(&c, &mut j, &mut Vec::new(), &mut paths);
        i = j;
    }
    paths
}

/// Parses a use tree at `*j` (`a::b`, `a::{b, c::d}`, `*`), pushing one
/// path per leaf under `prefix`.
fn tree(c: &[char], j: &mut usize, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let depth = prefix.len();
    let mut group = false;
    loop {
        *j = skip_ws(c, *j);
        if c.get(*j) == Some(&'{') {
            group = true;
            *j += 1;
            loop {
                tree(c, j, prefix, out);
                *j = skip_ws(c, *j);
                match c.get(*j) {
                    Some(',') => *j += 1,
                    Some('}') => {
                        *j += 1;
                        break;
                    }
                    _ => break,
                }
                if c.get(skip_ws(c, *j)) == Some(&'}') {
                    *j = skip_ws(c, *j) + 1;
                    break;
                }
            }
            break;
        }
        let start = *j;
        while c
            .get(*j)
            .is_some_and(|ch| ch.is_alphanumeric() || *ch == '_')
        {
            *j += 1;
        }
        if *j == start {
            break;
        }
        prefix.push(c[start..*j].iter().collect());
        let k = skip_ws(c, *j);
        if c.get(k) == Some(&':') && c.get(k + 1) == Some(&':') {
            *j = k + 2;
        } else {
            break;
        }
    }
    if !group && prefix.len() > depth && prefix[depth] != "self" {
        out.push(prefix.clone());
    }
    prefix.truncate(depth);
}

fn find(c: &[char], from: usize, word: &str) -> Option<usize> {
    let w: Vec<char> = word.chars().collect();
    (from..c.len().saturating_sub(w.len() - 1)).find(|&i| c[i..i + w.len()] == w[..])
}

fn skip_ws(c: &[char], mut j: usize) -> usize {
    while c.get(j).is_some_and(|ch| ch.is_whitespace()) {
        j += 1;
    }
    j
}

/// A cycle in `graph`, as the modules along it with the first repeated at
/// the end (`a -> b -> a`), if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, State>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(State::Done) => return None,
            Some(State::Open) => {
                let from = stack.iter().position(|n| n == node).unwrap();
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node.to_string(), State::Open);
        stack.push(node.to_string());
        for dep in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(dep, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_string(), State::Done);
        None
    }
    let mut state = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut state, &mut Vec::new()))
}

fn join<'a>(items: impl Iterator<Item = &'a String>) -> String {
    items.map(String::as_str).collect::<Vec<_>>().join(" -> ")
}

// The checker itself: it must see what it is meant to see, and nothing else.

#[test]
fn paths_are_read_from_code_only() {
    let source = r##"
//! Links to [`x`](crate::doc_link) are not imports.
use crate::{a::X, b::{Y, Z}, self};
use crate::c::*;
fn f<'de>(r: &'de str) -> char {
    let _ = crate::d::call(r, "crate::in_string", r#"crate::raw"#);
    /* crate::block /* nested */ crate::still_comment */
    let _ = '"'; // a quote char must not open a string
    $crate::e::macro_path!();
    'x'
}
#[cfg(test)]
mod tests {
    use crate::test_only::T;
    fn g() { let _ = [0u8; 2]; }
}
#[cfg(test)]
#[path = "x.rs"]
mod other_tests;
use crate::f::after_tests;
"##;
    let code = code_only(source);
    let firsts: Vec<String> = crate_paths(&code)
        .into_iter()
        .map(|p| p[0].clone())
        .collect();
    assert_eq!(firsts, ["a", "b", "b", "c", "d", "e", "f"], "{code}");
}

#[test]
fn a_cycle_is_found_and_printed() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph.entry(from.into()).or_default().insert(to.into());
    }
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    graph.get_mut("c").unwrap().remove("a");
    assert_eq!(find_cycle(&graph), None);
}
