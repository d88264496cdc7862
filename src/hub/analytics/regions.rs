//! `[regions]`: which fields make up which region. A field no region names is in
//! [`UNASSIGNED`], so every rig is rolled up somewhere.

use std::collections::{BTreeMap, HashMap};

/// The region of every field `[regions]` does not name.
pub const UNASSIGNED: &str = "unassigned";

/// Fields to regions, matched without regard to case or surrounding spaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Regions {
    by_field: HashMap<String, String>,
}

fn key(field: &str) -> String {
    field.trim().to_lowercase()
}

impl Regions {
    /// Build from `region = [fields]`; a field in two regions, or a region named
    /// [`UNASSIGNED`] or blank, is refused with what is wrong.
    pub fn new(map: &BTreeMap<String, Vec<String>>) -> Result<Self, String> {
        let mut by_field = HashMap::new();
        for (region, fields) in map {
            let name = region.trim();
            if name.is_empty() || name.eq_ignore_ascii_case(UNASSIGNED) {
                return Err(format!(
                    "regions: {region:?} cannot be a region's name (blank, or the name of the \
                     region of unmapped fields)"
                ));
            }
            for field in fields {
                if let Some(other) = by_field.insert(key(field), name.to_owned()) {
                    return Err(format!(
                        "regions: field {field:?} is in both {other:?} and {name:?}"
                    ));
                }
            }
        }
        Ok(Self { by_field })
    }

    /// The region of `field`.
    pub fn of<'a>(&'a self, field: &str) -> &'a str {
        self.by_field
            .get(&key(field))
            .map_or(UNASSIGNED, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_map_to_their_region_and_the_rest_to_unassigned() {
        let map = BTreeMap::from([
            (
                "North Sea".to_owned(),
                vec!["Volve".to_owned(), "Sleipner".to_owned()],
            ),
            ("Gulf".to_owned(), vec!["Mars".to_owned()]),
        ]);
        let r = Regions::new(&map).unwrap();
        assert_eq!(r.of("volve "), "North Sea");
        assert_eq!(r.of("Mars"), "Gulf");
        assert_eq!(r.of("Johan Sverdrup"), UNASSIGNED);
    }

    #[test]
    fn a_field_in_two_regions_is_refused() {
        let map = BTreeMap::from([
            ("A".to_owned(), vec!["Volve".to_owned()]),
            ("B".to_owned(), vec!["VOLVE".to_owned()]),
        ]);
        assert!(Regions::new(&map).unwrap_err().contains("both"));
        let map = BTreeMap::from([("Unassigned".to_owned(), vec!["X".to_owned()])]);
        assert!(Regions::new(&map).is_err());
    }
}
