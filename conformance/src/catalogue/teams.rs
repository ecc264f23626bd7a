//! The teams the catalogue's scenarios share. A scenario that changes its team's state (a
//! script) has a team of its own instead.

use crate::scenario::{Scenario, Stimulus, TeamSetup};
use mock_idp::metadata::Published;

/// The okta preset's team: most faults are applied to its responses.
pub fn acme() -> TeamSetup {
    let issuer = mock_idp::presets::by_name("okta").map_or("", |p| p.issuer);
    TeamSetup::static_metadata("acme", issuer, Published::Current)
}

/// A second team, owning `OTHER_TEAM_ISSUER` and trusting the IdP's next key only: responses
/// naming it and signed with the current key belong to no one.
pub fn other() -> TeamSetup {
    TeamSetup::static_metadata(
        "other",
        mock_idp::faults::OTHER_TEAM_ISSUER,
        Published::Next,
    )
}

/// A team per IdP preset (presets of one IdP share its team).
pub fn for_preset(preset: &mock_idp::presets::Preset) -> TeamSetup {
    if preset.issuer == acme().issuer {
        return acme();
    }
    let idp = preset.name.split('-').next().unwrap_or(preset.name);
    TeamSetup::static_metadata(&format!("idp-{idp}"), preset.issuer, Published::Current)
}

/// The team mock-okta provisions for `profile` (one per profile: each has its own rate limit
/// and userNames).
pub fn scim(profile: mock_okta::Profile) -> TeamSetup {
    let mut team = TeamSetup::static_metadata(
        &format!("scim-{}", profile.name()),
        &format!("https://idp.mock.example/{}", profile.name()),
        Published::Current,
    );
    team.scim = true;
    team
}

/// Every team `scenario` uses.
pub fn of(scenario: &Scenario) -> Vec<TeamSetup> {
    match &scenario.stimulus {
        Stimulus::Post(post) => vec![post.team.clone()],
        Stimulus::Script(script) => std::iter::once(&script.team)
            .chain(&script.others)
            .cloned()
            .collect(),
        Stimulus::Okta { profile, .. } => vec![scim(*profile)],
    }
}
