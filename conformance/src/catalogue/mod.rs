//! The scenario catalogue: every scenario, as data, in a fixed order. Each area is a module that
//! returns its scenarios; ids are unique (a test checks it) and stable (reports and CI history key
//! on them).

mod cross_team;
mod faults;
mod metadata;
mod okta;
mod presets;
mod reply_url;
mod scim_sso;
pub mod teams;

use crate::scenario::Scenario;

/// Every scenario, in catalogue order.
pub fn all() -> Vec<Scenario> {
    let mut scenarios = Vec::new();
    scenarios.extend(presets::scenarios());
    scenarios.extend(faults::scenarios());
    scenarios.extend(reply_url::scenarios());
    scenarios.extend(okta::scenarios());
    scenarios.extend(metadata::scenarios());
    scenarios.extend(scim_sso::scenarios());
    scenarios.extend(cross_team::scenarios());
    scenarios
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn ids_are_unique_dotted_lowercase_and_every_scenario_says_where_it_comes_from() {
        let all = all();
        let mut seen = HashSet::new();
        for s in &all {
            assert!(seen.insert(s.id.clone()), "duplicate id {}", s.id);
            assert!(
                s.id.split('.').count() >= 3
                    && s.id.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b"-._".contains(&b)),
                "id {:?} is not area.group.name in lower case",
                s.id
            );
            assert!(!s.title.trim().is_empty(), "{} has no title", s.id);
            assert!(!s.source.trim().is_empty(), "{} has no source", s.id);
        }
    }

    #[test]
    fn a_slug_names_one_team_setup() {
        let mut setups = HashMap::new();
        for s in all() {
            for team in teams::of(&s) {
                if let Some(earlier) = setups.insert(team.slug.clone(), team.clone()) {
                    assert_eq!(
                        earlier, team,
                        "{}: slug {} set up two ways",
                        s.id, team.slug
                    );
                }
            }
        }
    }
}
