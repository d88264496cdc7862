//! The README stays true about configuration: every key of the shipped configuration files is in
//! its configuration reference, as `section.key`.

use std::collections::BTreeSet;

fn keys(path: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = BTreeSet::new();
    for (section, value) in &table {
        let Some(inner) = value.as_table() else {
            panic!("{path}: top-level key {section} outside a section");
        };
        for key in inner.keys() {
            out.insert(format!("{section}.{key}"));
        }
    }
    out
}

#[test]
fn every_configuration_key_is_in_the_readme() {
    let readme = std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR")))
        .expect("README.md");
    let reference = readme
        .split("## Configuration reference")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Configuration reference section");
    for file in ["config/hub.toml", "config/rig.toml"] {
        let all = keys(file);
        assert!(all.len() > 10, "{file}: {all:?}");
        let missing: Vec<_> = all
            .iter()
            .filter(|k| !reference.contains(&format!("`{k}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "{file}: keys missing from the README: {missing:?}"
        );
    }
}
