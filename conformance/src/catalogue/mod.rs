//! The scenario catalogue: every scenario, as data, in a fixed order. Each area is a module that
//! returns its scenarios; ids are unique (a test checks it) and stable (reports and CI history key
//! on them).

mod cross_team;
mod faults;
pub mod fields;
mod metadata;
mod okta;
mod presets;
mod reply_url;
mod scim_sso;
pub mod teams;
mod xml_edit;

use crate::scenario::Scenario;

/// Every scenario, in catalogue order.
pub fn all() -> Vec<Scenario> {
    let mut scenarios = Vec::new();
    scenarios.extend(presets::scenarios());
    scenarios.extend(faults::scenarios());
    scenarios.extend(fields::scenarios());
    scenarios.extend(reply_url::scenarios());
    scenarios.extend(metadata::scenarios());
    scenarios.extend(cross_team::scenarios());
    scenarios.extend(scim_sso::scenarios());
    scenarios.extend(okta::scenarios());
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
    fn every_field_has_its_four_variants_or_says_why_not() {
        for field in fields::table() {
            for variant in fields::Variant::FOUR {
                let cases = field.cases.iter().filter(|c| c.variant == variant).count();
                let reasons = field.without.iter().filter(|(v, _)| *v == variant).count();
                assert_eq!(
                    cases + reasons,
                    1,
                    "{}: {} needs exactly one case or one reason why not",
                    field.slug,
                    variant.name()
                );
            }
            assert!(
                field.without.iter().all(|(_, why)| !why.trim().is_empty()),
                "{}: a variant left out without a reason",
                field.slug
            );
        }
    }

    #[test]
    fn the_catalogue_holds_over_200_scenarios_of_which_70_are_field_cases() {
        let all = all();
        let field_cases = all.iter().filter(|s| s.area() == "saml.field").count();
        assert!(all.len() > 200, "{} scenarios", all.len());
        assert!(field_cases >= 70, "{field_cases} field scenarios");
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
