//! The crate graph's rules, checked on every CI run (docs/design.md, "Crates").
//!
//! The engine must stay a sans-IO library that nothing of the OS or the API leaks into; the
//! OS layer must not be tied to the engine's version; clients of the control API (the GUI)
//! must not see the engine at all, so that changing the engine is never an API change. Each
//! rule names every crate of ours a crate may depend on; an edge not listed fails here, with
//! the rule it breaks.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Each crate of ours, and the crates of ours it may depend on (normal, build and dev).
const ALLOWED: &[(&str, &[&str], &str)] = &[
    ("masq-vocab", &[], "the shared vocabulary is a leaf"),
    ("masq-paths", &[], "the file-location rule is a leaf"),
    (
        "masq-demo",
        &[],
        "the demo drives the masq binary as a user would; it uses none of its code",
    ),
    (
        "masq-engine",
        &["masq-vocab"],
        "the engine depends on nothing of ours but the vocabulary",
    ),
    (
        "masq-platform",
        &["masq-vocab"],
        "the OS layer depends on the vocabulary only, not on the engine",
    ),
    (
        "masq-control",
        &["masq-vocab"],
        "the control API owns its types: vocabulary only, never the engine",
    ),
    (
        "masq-services",
        &["masq-vocab", "masq-control", "masq-paths", "masq-platform"],
        "the LAN services report through the API's types, not the engine's",
    ),
    (
        "masq",
        &[
            "masq-vocab",
            "masq-engine",
            "masq-platform",
            "masq-control",
            "masq-paths",
            "masq-services",
            "masq-demo",
        ],
        "the daemon and CLI join everything",
    ),
    (
        "masq-gui",
        &["masq-control", "masq-paths"],
        "the GUI is a client of the control API only (and finds its socket by masq-paths)",
    ),
    (
        "masq-fuzz",
        &["masq-engine", "masq-services", "masq-control"],
        "the fuzz targets drive the parsers",
    ),
];

/// Our crates' dependencies on our crates, as cargo resolves the manifest.
fn our_edges(manifest: &Path) -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata for {} failed: {}",
        manifest.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let ours = |name: &str| name == "masq" || name.starts_with("masq-");
    let mut edges = BTreeMap::new();
    for package in meta["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().expect("package name");
        if !ours(name) {
            continue;
        }
        let deps: Vec<String> = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter_map(|d| d["name"].as_str())
            .filter(|d| ours(d))
            .map(str::to_owned)
            .collect();
        edges.insert(name.to_owned(), deps);
    }
    edges
}

#[test]
fn crates_depend_only_as_the_design_allows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut edges = our_edges(&root.join("Cargo.toml"));
    edges.extend(our_edges(&root.join("src-tauri/Cargo.toml")));
    edges.extend(our_edges(&root.join("fuzz/Cargo.toml")));
    for krate in [
        "masq-vocab",
        "masq-engine",
        "masq-platform",
        "masq-control",
        "masq",
        "masq-gui",
    ] {
        assert!(edges.contains_key(krate), "{krate} not found: {edges:?}");
    }
    let mut broken = Vec::new();
    for (krate, deps) in &edges {
        let Some((_, allowed, why)) = ALLOWED.iter().find(|(name, ..)| name == krate) else {
            broken.push(format!(
                "{krate} has no rule here: add it to ALLOWED and docs/design.md"
            ));
            continue;
        };
        for dep in deps {
            if !allowed.contains(&dep.as_str()) {
                broken.push(format!("{krate} → {dep} is not allowed: {why}"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
