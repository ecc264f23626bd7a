//! The one way this crate turns bytes into a tree: size cap first, UTF-8, no DOCTYPE, a node cap
//! and a depth cap, so that no input can exhaust memory or the stack later on.

use crate::error::Error;

/// Caps applied before and during parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Most nodes (elements, text, comments, PIs) in the tree.
    pub max_nodes: u32,
    /// Deepest element nesting. SAML responses nest about ten deep; the cap keeps recursive
    /// walks far from the stack limit.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1024 * 1024,
            max_nodes: 100_000,
            max_depth: 256,
        }
    }
}

/// Parses `bytes` as UTF-8 XML within `limits`.
///
/// DOCTYPE of any kind (and so every entity declaration) is refused with
/// [`Error::DoctypeForbidden`]. The returned document keeps byte positions, which canonicalization
/// needs to recover the prefixes that were written.
pub fn parse<'input>(
    bytes: &'input [u8],
    limits: &Limits,
) -> Result<roxmltree::Document<'input>, Error> {
    let text = check_text(bytes, limits)?;
    parse_str(text, limits)
}

/// [`parse`] for input that is already a `&str`.
pub fn parse_str<'input>(
    text: &'input str,
    limits: &Limits,
) -> Result<roxmltree::Document<'input>, Error> {
    // A `&str` is UTF-8 already: only its size is checked.
    check_size(text.len(), limits)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        entity_resolver: None,
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Error::DoctypeForbidden,
        roxmltree::Error::NodesLimitReached => Error::LimitExceeded {
            what: "node count",
            limit: limits.max_nodes as usize,
        },
        other => Error::Malformed(other.to_string()),
    })?;
    check_depth(&doc, limits.max_depth)?;
    Ok(doc)
}

fn check_size(len: usize, limits: &Limits) -> Result<(), Error> {
    if len > limits.max_bytes {
        return Err(Error::TooLarge {
            limit: limits.max_bytes,
            got: len,
        });
    }
    Ok(())
}

fn check_text<'a>(bytes: &'a [u8], limits: &Limits) -> Result<&'a str, Error> {
    check_size(bytes.len(), limits)?;
    std::str::from_utf8(bytes).map_err(|e| Error::NotUtf8(e.to_string()))
}

fn check_depth(doc: &roxmltree::Document, max_depth: usize) -> Result<(), Error> {
    let mut depth = 0usize;
    for edge in crate::tree::traverse(doc.root()) {
        match edge {
            crate::tree::Edge::Open(node) if node.is_element() => {
                depth += 1;
                if depth > max_depth {
                    return Err(Error::LimitExceeded {
                        what: "nesting depth",
                        limit: max_depth,
                    });
                }
            }
            crate::tree::Edge::Close(node) if node.is_element() => depth -= 1,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_doctype_with_its_own_error() {
        let xml = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>"#;
        assert_eq!(
            parse(xml, &Limits::default()).unwrap_err(),
            Error::DoctypeForbidden
        );
        let empty = b"<!DOCTYPE r><r/>";
        assert_eq!(
            parse(empty, &Limits::default()).unwrap_err(),
            Error::DoctypeForbidden
        );
        assert!(parse(b"<r/>", &Limits::default()).is_ok());
    }

    #[test]
    fn rejects_oversized_input_before_parsing() {
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse(b"<r>0123456789</r>", &limits).unwrap_err(),
            Error::TooLarge { limit: 10, got: 17 }
        );
    }

    #[test]
    fn rejects_deep_nesting_and_node_floods() {
        let deep = "<a>".repeat(300) + &"</a>".repeat(300);
        assert_eq!(
            parse(deep.as_bytes(), &Limits::default())
                .unwrap_err()
                .code(),
            "limit_exceeded"
        );
        let wide = format!("<r>{}</r>", "<a/>".repeat(200));
        let limits = Limits {
            max_nodes: 100,
            ..Limits::default()
        };
        assert_eq!(
            parse(wide.as_bytes(), &limits).unwrap_err().code(),
            "limit_exceeded"
        );
    }

    #[test]
    fn rejects_non_utf8_and_malformed() {
        assert_eq!(
            parse(b"<r>\xff</r>", &Limits::default())
                .unwrap_err()
                .code(),
            "not_utf8"
        );
        assert_eq!(
            parse(b"<r>", &Limits::default()).unwrap_err().code(),
            "malformed_xml"
        );
        assert_eq!(
            parse(b"<p:r/>", &Limits::default()).unwrap_err().code(),
            "malformed_xml"
        );
    }
}
