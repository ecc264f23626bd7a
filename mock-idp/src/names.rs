//! Looking things up by name, with an error that lists the valid choices.

/// A name that is not one of the choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}; choose one of: {}", .choices.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub choices: Vec<&'static str>,
}

/// The item of `items` whose name is `name`.
pub fn find<'a, T>(
    items: &'a [T],
    name: &str,
    what: &'static str,
    name_of: impl Fn(&T) -> &'static str,
) -> Result<&'a T, UnknownName> {
    items
        .iter()
        .find(|i| name_of(i) == name)
        .ok_or_else(|| UnknownName {
            what,
            name: name.to_owned(),
            choices: items.iter().map(&name_of).collect(),
        })
}
