//! The catalogues as the CLI lists them: faults as a table for people or JSON for programs (the
//! JSON parses back, [`parse_json`], into the same typed values the catalogue holds), presets
//! as a table.

use crate::expect::Expected;
use crate::faults::{Class, FAULTS, Fault};
use crate::post::Redirect;
use crate::presets::PRESETS;
use serde::{Deserialize, Serialize};

/// One fault, as the JSON catalogue writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub class: String,
    pub summary: String,
    /// `accepted`, or the code a correct SP refuses with.
    pub expected: String,
    /// The exact HTTP status, for a diagnosis code (404, 405); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<u16>,
    pub note: String,
    pub posts: u8,
    /// The redirect the browser passes through before the Reply URL, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub via_redirect: Option<u16>,
}

impl Entry {
    pub fn of(fault: &Fault) -> Entry {
        Entry {
            name: fault.name.to_owned(),
            class: fault.class.name().to_owned(),
            summary: fault.summary.to_owned(),
            expected: fault.expected.as_str().to_owned(),
            status: match fault.expected {
                Expected::Refused(code) => code.diagnosis_status(),
                Expected::Accepted => None,
            },
            note: fault.note.to_owned(),
            posts: fault.posts,
            via_redirect: fault.via_redirect.map(Redirect::status),
        }
    }
}

/// Every fault as a JSON array, one object per fault, in catalogue order.
pub fn faults_json() -> String {
    let entries: Vec<Entry> = FAULTS.iter().map(Entry::of).collect();
    // Entries hold only strings and integers, and serde_json fails only on maps with non-string
    // keys or on a failing writer: neither can happen here.
    serde_json::to_string_pretty(&entries).expect("a Vec of plain structs serialises")
}

/// Why a JSON catalogue does not read back.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("the catalogue is not the expected JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("fault {fault:?}: {source}")]
    Name {
        fault: String,
        source: crate::names::UnknownName,
    },
    #[error(
        "fault {fault:?}: via_redirect {status} is not a redirect status (301, 302, 303, 307, 308)"
    )]
    Redirect { fault: String, status: u16 },
}

/// A fault as read back from JSON: the typed values, for comparison with [`FAULTS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub name: String,
    pub class: Class,
    pub expected: Expected,
    pub posts: u8,
    pub via_redirect: Option<Redirect>,
}

/// Reads a JSON catalogue back into typed values.
pub fn parse_json(text: &str) -> Result<Vec<Parsed>, CatalogueError> {
    let entries: Vec<Entry> = serde_json::from_str(text)?;
    entries
        .into_iter()
        .map(|entry| {
            let named = |source| CatalogueError::Name {
                fault: entry.name.clone(),
                source,
            };
            let via_redirect =
                match entry.via_redirect {
                    Some(status) => Some(Redirect::from_status(status).ok_or_else(|| {
                        CatalogueError::Redirect {
                            fault: entry.name.clone(),
                            status,
                        }
                    })?),
                    None => None,
                };
            Ok(Parsed {
                class: Class::parse(&entry.class).map_err(named)?,
                expected: Expected::parse(&entry.expected).map_err(named)?,
                posts: entry.posts,
                via_redirect,
                name: entry.name,
            })
        })
        .collect()
}

/// The table of `mock-idp faults`: name, class, summary, what a correct SP answers.
pub fn faults_table() -> String {
    let width = |f: fn(&Fault) -> usize, header: &str| {
        FAULTS
            .iter()
            .map(f)
            .max()
            .unwrap_or(0)
            .max(header.chars().count())
    };
    let name_width = width(|f| f.name.len(), "NAME");
    let class_width = width(|f| f.class.name().len(), "CLASS");
    // Summaries hold non-ASCII (→, …): widths and padding count characters, not bytes.
    let summary_width = width(|f| f.summary.chars().count(), "SUMMARY");
    let mut out = format!(
        "{:name_width$}  {:class_width$}  {:summary_width$}  A CORRECT SP ANSWERS\n",
        "NAME", "CLASS", "SUMMARY"
    );
    for fault in FAULTS {
        let pad = summary_width - fault.summary.chars().count();
        let answer = match fault.note {
            "" => fault.expected.as_str().to_owned(),
            note => format!("{} ({note})", fault.expected.as_str()),
        };
        out.push_str(&format!(
            "{:name_width$}  {:class_width$}  {}{}  {answer}\n",
            fault.name,
            fault.class.name(),
            fault.summary,
            " ".repeat(pad),
        ));
    }
    out
}

/// The table of `mock-idp presets`: name, issuer, summary, and where the shape comes from.
pub fn presets_table() -> String {
    let name_width = PRESETS
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let issuer_width = PRESETS
        .iter()
        .map(|p| p.issuer.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!(
        "{:name_width$}  {:issuer_width$}  SUMMARY / SOURCE\n",
        "NAME", "ISSUER"
    );
    for preset in PRESETS {
        let pad = issuer_width - preset.issuer.chars().count();
        out.push_str(&format!(
            "{:name_width$}  {}{}  {}\n{:name_width$}  {:issuer_width$}  source: {}\n",
            preset.name,
            preset.issuer,
            " ".repeat(pad),
            preset.summary,
            "",
            "",
            preset.source
        ));
    }
    out
}
