//! ARCHITECTURE.md's seam rules, checked on the facade's sources: the backend is chosen in `Session::new` (and
//! the constructors it calls) and nowhere else asks which backend it is (no `BackendKind`, no `backend_kind()`:
//! what differs is a capability asked of the backend), and the `Backend` trait is the same in every build (no
//! method behind a `#[cfg(…)]`). Each offence is named by file and line.

use std::path::{Path, PathBuf};

/// Words that ask a backend for its kind.
const KIND_WORDS: [&str; 2] = ["BackendKind", "backend_kind"];

/// The one function allowed to choose by kind: `Session::new` in session.rs.
const CHOOSER: (&str, &str) = ("session.rs", "pub fn new() -> Result<Session>");

/// The facade's sources.
fn sources() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The lines (0-based, inclusive) of the item whose first line contains `signature`: up to its closing brace.
fn item_lines(lines: &[&str], signature: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| l.contains(signature))?;
    let mut depth = 0i32;
    for (i, line) in lines.iter().enumerate().skip(start) {
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if depth == 0 && line.contains('}') {
            return Some((start, i));
        }
    }
    None
}

/// Whether a line is only a comment.
fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with("//")
}

/// `file:line: text` for every line of `dir`'s sources that breaks a seam rule.
fn offences(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let name = file.strip_prefix(dir).unwrap_or(&file).display().to_string();
        let allowed = if name == CHOOSER.0 { item_lines(&lines, CHOOSER.1) } else { None };
        let backend_trait = item_lines(&lines, "pub trait Backend");
        for (i, line) in lines.iter().enumerate() {
            if is_comment(line) || allowed.is_some_and(|(a, b)| (a..=b).contains(&i)) {
                continue;
            }
            if KIND_WORDS.iter().any(|w| line.contains(w)) {
                found.push(format!("{name}:{}: asks the backend's kind: {}", i + 1, line.trim()));
            }
            if backend_trait.is_some_and(|(a, b)| (a..=b).contains(&i)) && line.contains("#[cfg(") {
                found.push(format!(
                    "{name}:{}: a Backend method that exists in some builds only: {}",
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn nothing_outside_session_new_asks_which_backend_it_is() {
    let found = offences(&sources());
    assert!(found.is_empty(), "the backend seam is broken (see ARCHITECTURE.md):\n{}", found.join("\n"));
}

#[test]
fn the_seam_check_finds_a_kind_match_and_a_feature_gated_method() {
    let dir = tempfile::tempdir().unwrap();
    let session = "impl Session {\n    pub fn new() -> Result<Session> {\n        let _ = BackendKind::Aws;\n    }\n\
                   \n    pub fn other(&self) {\n        // BackendKind in a comment is fine\n        \
                   if self.backend_kind() == BackendKind::Aws {}\n    }\n}\n";
    std::fs::write(dir.path().join("session.rs"), session).unwrap();
    let backend =
        "pub trait Backend {\n    fn name(&self) -> &str;\n    #[cfg(feature = \"aws\")]\n    fn x(&self);\n}\n";
    std::fs::write(dir.path().join("backend.rs"), backend).unwrap();
    let found = offences(dir.path());
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("backend.rs:3: a Backend method that exists in some builds only"), "{found:#?}");
    assert!(found[1].starts_with("session.rs:8: asks the backend's kind"), "{found:#?}");
}
