//! The one way this crate turns bytes into a tree: size cap first, UTF-8, no DOCTYPE, a node cap
//! and a depth cap, so that no input can exhaust memory or the stack later on.

use crate::error::Error;

/// Caps applied before and during parsing.
///
/// Parsing cost must grow with the size of the input and nothing else, since it is paid before
/// any signature says who sent the document. Most caps are enforced by a linear pre-scan of the
/// bytes (the `prescan` module) before the parser builds anything; the defaults below are set
/// from the real IdP responses and metadata in the project's corpus (shared/fixtures-real), with
/// room to spare, and each names the largest value seen there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Most nodes (elements, text, comments, PIs) in the tree, enforced by the parser. Real
    /// responses hold under 300, the 148 KB federation aggregate 3,050 (so a 1 MiB one about
    /// 21,000). Each node costs parse and walk work beyond its bytes: a comment is 7 bytes.
    pub max_nodes: u32,
    /// Deepest element nesting. Real responses nest 6 to 9 deep, metadata 6 to 9; the cap keeps
    /// recursive walks and ancestor walks short.
    pub max_depth: usize,
    /// Most elements in the document. Real responses hold 20 to 68 elements; a 148 KB
    /// federation aggregate holds 1,047, so a 1 MiB one about 7,000. Every element costs parse
    /// and canonicalization work beyond its bytes, so their number is capped apart from size.
    pub max_elements: usize,
    /// Most attributes (namespace declarations not counted) on one element. Real messages carry
    /// at most 6 (a SubjectConfirmationData, a Response), and no SAML or metadata element
    /// defines more than 8. The parser's duplicate check compares each attribute with those
    /// before it, and canonicalization sorts them, so an element's cost grows faster than
    /// this number.
    pub max_attributes_per_element: usize,
    /// Most namespace declarations on one element. Real messages declare at most 6 on one
    /// element (a metadata root). The parser checks each against those before it.
    pub max_namespaces_per_element: usize,
    /// Most namespace declarations in scope at any element: the sum of the declarations on it
    /// and on its open ancestors. Real messages reach 9. The parser copies and searches the
    /// bindings in scope at each element that declares one, and canonicalization searches them
    /// per rendered prefix, so this number multiplies per-element work.
    pub max_namespaces_in_scope: usize,
    /// Most `Signature` elements, counted by local name whatever their prefix or namespace.
    /// Real responses hold 1 or 2 (Response and Assertion), metadata 0 or 1.
    pub max_signatures: usize,
    /// Most `EncryptedKey` elements, counted by local name whatever their prefix or namespace.
    /// Real responses hold 0 or 1; one per recipient is the most a sender has reason for.
    pub max_encrypted_keys: usize,
    /// Most distinct namespace bindings (prefix and URI as written) declared in the whole
    /// document. Real messages declare at most 12 distinct ones (AD FS metadata), however
    /// often they repeat them (OpenSAML declares `xs` and `xsi` on every AttributeValue). The
    /// parser inserts each distinct binding into a sorted table, a cost in the square of this
    /// number.
    pub max_namespace_bindings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1024 * 1024,
            max_nodes: 50_000,
            max_depth: 64,
            max_elements: 20_000,
            max_attributes_per_element: 16,
            max_namespaces_per_element: 16,
            max_namespaces_in_scope: 32,
            max_signatures: 8,
            max_encrypted_keys: 4,
            max_namespace_bindings: 128,
        }
    }
}

/// One of the caps of [`Limits`], as carried by [`Error::LimitExceeded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_nodes`], enforced by the parser.
    Nodes,
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_elements`].
    Elements,
    /// [`Limits::max_attributes_per_element`].
    AttributesPerElement,
    /// [`Limits::max_namespaces_per_element`].
    NamespacesPerElement,
    /// [`Limits::max_namespaces_in_scope`].
    NamespacesInScope,
    /// [`Limits::max_signatures`].
    Signatures,
    /// [`Limits::max_encrypted_keys`].
    EncryptedKeys,
    /// [`Limits::max_namespace_bindings`].
    NamespaceBindings,
}

impl Limit {
    pub const ALL: [Limit; 9] = [
        Limit::Nodes,
        Limit::Depth,
        Limit::Elements,
        Limit::AttributesPerElement,
        Limit::NamespacesPerElement,
        Limit::NamespacesInScope,
        Limit::Signatures,
        Limit::EncryptedKeys,
        Limit::NamespaceBindings,
    ];

    /// The stable snake_case code of this cap.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Nodes => "nodes",
            Limit::Depth => "depth",
            Limit::Elements => "elements",
            Limit::AttributesPerElement => "attributes_per_element",
            Limit::NamespacesPerElement => "namespaces_per_element",
            Limit::NamespacesInScope => "namespaces_in_scope",
            Limit::Signatures => "signatures",
            Limit::EncryptedKeys => "encrypted_keys",
            Limit::NamespaceBindings => "namespace_bindings",
        }
    }

    /// The [`Limits`] field that sets this cap.
    pub fn field(self) -> &'static str {
        match self {
            Limit::Nodes => "max_nodes",
            Limit::Depth => "max_depth",
            Limit::Elements => "max_elements",
            Limit::AttributesPerElement => "max_attributes_per_element",
            Limit::NamespacesPerElement => "max_namespaces_per_element",
            Limit::NamespacesInScope => "max_namespaces_in_scope",
            Limit::Signatures => "max_signatures",
            Limit::EncryptedKeys => "max_encrypted_keys",
            Limit::NamespaceBindings => "max_namespace_bindings",
        }
    }

    /// What is counted, for messages.
    pub fn counted(self) -> &'static str {
        match self {
            Limit::Nodes => "nodes",
            Limit::Depth => "levels of element nesting",
            Limit::Elements => "elements",
            Limit::AttributesPerElement => "attributes on one element",
            Limit::NamespacesPerElement => "namespace declarations on one element",
            Limit::NamespacesInScope => "namespace declarations in scope at one element",
            Limit::Signatures => "Signature elements",
            Limit::EncryptedKeys => "EncryptedKey elements",
            Limit::NamespaceBindings => "distinct namespace bindings",
        }
    }

    /// The value of this cap in `limits`.
    pub fn max(self, limits: &Limits) -> usize {
        match self {
            Limit::Nodes => limits.max_nodes as usize,
            Limit::Depth => limits.max_depth,
            Limit::Elements => limits.max_elements,
            Limit::AttributesPerElement => limits.max_attributes_per_element,
            Limit::NamespacesPerElement => limits.max_namespaces_per_element,
            Limit::NamespacesInScope => limits.max_namespaces_in_scope,
            Limit::Signatures => limits.max_signatures,
            Limit::EncryptedKeys => limits.max_encrypted_keys,
            Limit::NamespaceBindings => limits.max_namespace_bindings,
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses `bytes` as UTF-8 XML within `limits`.
///
/// DOCTYPE of any kind (and so every entity declaration) is refused with
/// [`Error::DoctypeForbidden`]. The structural caps of `limits` are checked by a linear scan
/// of the bytes before the parser runs, so that no document within
/// [`Limits::max_bytes`] costs more than a bounded amount per byte. The returned document keeps byte positions, which canonicalization
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
    crate::prescan::prescan(text.as_bytes(), limits)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        entity_resolver: None,
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Error::DoctypeForbidden,
        roxmltree::Error::NodesLimitReached => Error::LimitExceeded {
            limit: Limit::Nodes,
            max: Limit::Nodes.max(limits),
            found: Limit::Nodes.max(limits) + 1,
        },
        other => Error::Malformed(other.to_string()),
    })
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
            parse(deep.as_bytes(), &Limits::default()).unwrap_err(),
            Error::LimitExceeded {
                limit: Limit::Depth,
                max: 64,
                found: 65
            }
        );
        // Comments are nodes but not elements: only the parser's node cap sees them.
        let wide = format!("<r>{}</r>", "<!---->".repeat(200));
        let limits = Limits {
            max_nodes: 100,
            ..Limits::default()
        };
        assert_eq!(
            parse(wide.as_bytes(), &limits).unwrap_err(),
            Error::LimitExceeded {
                limit: Limit::Nodes,
                max: 100,
                found: 101
            }
        );
        let fewer = format!("<r>{}</r>", "<!---->".repeat(90));
        assert!(parse(fewer.as_bytes(), &limits).is_ok());
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
