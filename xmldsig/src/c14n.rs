//! Exclusive XML Canonicalization 1.0 without comments (<https://www.w3.org/TR/xml-exc-c14n/>)
//! of an element subtree, with the InclusiveNamespaces PrefixList and an optional excluded
//! element (the enveloped-signature transform).
//!
//! It works on the same roxmltree tree that verification and reading use. roxmltree resolves
//! names to namespace URIs; the prefixes that were written are recovered from the input text
//! through the byte positions the tree keeps, so output names are exactly the input's.
//!
//! What the rules come down to, per output element:
//! - a namespace declaration is rendered when its prefix is *visibly utilized* (the element's own
//!   prefix, or an attribute's) or named in the PrefixList, and the nearest output ancestor did
//!   not already render the same prefix with the same URI; the default namespace counts as
//!   prefix "" and an empty default is rendered as `xmlns=""` only to undo a rendered one;
//! - declarations are sorted by prefix, attributes by (namespace URI, local name);
//! - `xml:` attributes are not inherited (unlike inclusive c14n);
//! - comments are dropped; text and attribute values are escaped as §2.3 of C14N 1.0 says.

use crate::tree::{Edge, traverse};
use roxmltree::{Node, NodeType};

/// The prefix that `element` was written with ("" when none), read from the input text.
pub(crate) fn element_prefix<'input>(element: Node<'_, 'input>) -> &'input str {
    if !element.is_element() {
        return "";
    }
    let text = element.document().input_text();
    let start = element.range().start + 1; // skip '<'
    // Every delimiter is ASCII, so byte positions found in the bytes are char boundaries, and
    // no UTF-8 needs decoding on the way.
    let name = &text.as_bytes()[start..];
    let qname_len = name
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
        .unwrap_or(name.len());
    match name[..qname_len].iter().position(|&b| b == b':') {
        Some(colon) => &text[start..start + colon],
        None => &text[start..start],
    }
}

/// The empty string at `at`'s address, for "no prefix". Rust's `""` has the address 0x1, and
/// comparing two strings of which one is empty still calls memcmp with length 0, which glibc's
/// AVX-512 memcmp turned into a fault-suppressed load costing a few hundred nanoseconds on this
/// project's machines (docs/PERFORMANCE.md, "Hostile input (xmldsig)"). Canonicalization sorts
/// and compares prefixes at every element, so the empty prefix is always a slice of the input.
fn empty_at(at: &str) -> &str {
    &at[..0]
}

fn attribute_qname<'input>(
    element: Node<'_, 'input>,
    attr: &roxmltree::Attribute<'_, 'input>,
) -> &'input str {
    &element.document().input_text()[attr.range_qname()]
}

fn attribute_prefix<'input>(
    element: Node<'_, 'input>,
    attr: &roxmltree::Attribute<'_, 'input>,
) -> &'input str {
    attribute_qname(element, attr)
        .split_once(':')
        .map_or("", |(prefix, _)| prefix)
}

/// The binding of `prefix` in scope at `element`, as (prefix, URI) borrowed from the tree; the
/// default namespace is the empty prefix and, when absent, has the empty URI (both `prefix`
/// itself rather than `""`: see `empty_at`). Bindings are compared with `==`, which checks
/// lengths before calling memcmp; a binary search by `Ord` called it at every step and made
/// an element with 16 prefixed attributes three times slower.
fn in_scope<'a>(element: Node<'a, '_>, prefix: &'a str) -> Option<(&'a str, &'a str)> {
    if prefix.is_empty() {
        return Some((prefix, element.default_namespace().unwrap_or(prefix)));
    }
    element
        .namespaces()
        .find_map(|ns| Some((ns.name().filter(|n| *n == prefix)?, ns.uri())))
}

/// Parses an InclusiveNamespaces PrefixList: whitespace-separated, `#default` meaning "".
pub fn parse_prefix_list(list: &str) -> Vec<&str> {
    list.split_ascii_whitespace()
        .map(|p| if p == "#default" { "" } else { p })
        .collect()
}

/// Appends the exclusive canonical form of the subtree rooted at `apex` to `out`, leaving out
/// `excluded` (and everything under it) when given.
pub fn canonicalize(
    apex: Node,
    inclusive_prefixes: &[&str],
    excluded: Option<Node>,
    out: &mut Vec<u8>,
) {
    let mut state = State::default();
    let inclusive = Inclusive::new(inclusive_prefixes);
    let mut skipping: Option<Node> = None;
    // The canonical form is about as long as the subtree's text: one allocation, not a
    // doubling series.
    out.reserve(apex.range().len() + apex.range().len() / 8);

    for edge in traverse(apex) {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                if excluded == Some(node) {
                    skipping = Some(node);
                    continue;
                }
                match node.node_type() {
                    NodeType::Element => state.open_element(node, &inclusive, out),
                    NodeType::Text => escape_text(node.text().unwrap_or(""), out),
                    NodeType::PI => {
                        if let Some(pi) = node.pi() {
                            write_pi(pi, out);
                        }
                    }
                    NodeType::Comment | NodeType::Root => {}
                }
            }
            Edge::Close(node) => {
                if let Some(skipped) = skipping {
                    if skipped == node {
                        skipping = None;
                    }
                    continue;
                }
                if node.is_element() {
                    state.close_element(node, out);
                }
            }
        }
    }
}

/// The canonical form of a whole document: the root element plus top-level processing
/// instructions, separated by line feeds as C14N 1.0 §2.3 says (comments are dropped).
pub fn canonicalize_document(doc: &roxmltree::Document, out: &mut Vec<u8>) {
    let root_element = doc.root_element();
    let mut after_root = false;
    for child in doc.root().children() {
        if child == root_element {
            canonicalize(child, &[], None, out);
            after_root = true;
        } else if let Some(pi) = child.pi() {
            if after_root {
                out.push(b'\n');
            }
            write_pi(pi, out);
            if !after_root {
                out.push(b'\n');
            }
        }
    }
}

fn write_pi(pi: roxmltree::PI, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<?");
    out.extend_from_slice(pi.target.as_bytes());
    if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
        out.push(b' ');
        // XML 1.0 §2.11 turns CRLF and lone CR into LF everywhere before anything else sees the
        // document; roxmltree does it for text and attributes but leaves PI content as written.
        // No character reference can put a real CR into a PI, so normalizing here is the whole rule.
        let mut bytes = value.bytes().peekable();
        while let Some(b) = bytes.next() {
            if b == b'\r' {
                bytes.next_if_eq(&b'\n');
                out.push(b'\n');
            } else {
                out.push(b);
            }
        }
    }
    out.extend_from_slice(b"?>");
}

/// An InclusiveNamespaces PrefixList, sorted for lookups, the default namespace apart.
struct Inclusive<'l> {
    default: bool,
    prefixes: Vec<&'l str>,
}

impl<'l> Inclusive<'l> {
    fn new(list: &[&'l str]) -> Self {
        let mut prefixes: Vec<&str> = list.iter().copied().filter(|p| !p.is_empty()).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        Inclusive {
            default: list.contains(&""),
            prefixes,
        }
    }

    fn contains(&self, prefix: &str) -> bool {
        self.prefixes.binary_search(&prefix).is_ok()
    }
}

/// What the walk remembers between elements; the scratch vectors are reused for every element
/// so that canonicalizing allocates a handful of times, not a handful per element.
#[derive(Default)]
struct State<'a, 'input> {
    /// (prefix, URI) pairs rendered by open output ancestors, innermost last.
    rendered: Vec<(&'a str, &'a str)>,
    /// Per open element: its written prefix and how many renderings it pushed.
    open: Vec<(&'input str, usize)>,
    utilized: Vec<&'a str>,
    declarations: Vec<(&'a str, &'a str)>,
    attributes: Vec<roxmltree::Attribute<'a, 'input>>,
}

impl<'a, 'input> State<'a, 'input> {
    fn open_element(&mut self, node: Node<'a, 'input>, inclusive: &Inclusive, out: &mut Vec<u8>) {
        let own_prefix = element_prefix(node);
        self.utilized.clear();
        self.utilized.push(own_prefix);
        self.attributes.clear();
        self.attributes.extend(node.attributes());
        for attr in &self.attributes {
            let p = attribute_prefix(node, attr);
            if !p.is_empty() {
                self.utilized.push(p);
            }
        }
        if inclusive.default {
            self.utilized.push(empty_at(own_prefix));
        }
        // The bindings in scope are few (Limits::max_namespaces_in_scope) while a PrefixList
        // is as long as its sender likes: walking the list at every element made its cost the
        // product of the two.
        if !inclusive.prefixes.is_empty() {
            for ns in node.namespaces() {
                if let Some(prefix) = ns.name().filter(|p| inclusive.contains(p)) {
                    self.utilized.push(prefix);
                }
            }
        }
        self.utilized.sort_unstable();
        self.utilized.dedup();

        self.declarations.clear();
        for &prefix in &self.utilized {
            if prefix == "xml" {
                continue;
            }
            let Some((prefix, uri)) = in_scope(node, prefix) else {
                continue;
            };
            let previous = self
                .rendered
                .iter()
                .rev()
                .find(|(p, _)| *p == prefix)
                .map(|(_, u)| *u);
            let already = match previous {
                Some(prev) => prev == uri,
                // Nothing rendered yet for the default namespace means "no default".
                None => prefix.is_empty() && uri.is_empty(),
            };
            if !already {
                self.declarations.push((prefix, uri));
            }
        }
        // `utilized` was sorted, so declarations are already in prefix order, default first.

        out.push(b'<');
        write_qname(own_prefix, node.tag_name().name(), out);
        for (prefix, uri) in &self.declarations {
            if prefix.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(prefix.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attribute(uri, out);
            out.push(b'"');
        }

        if self.attributes.len() > 1 {
            // "No namespace" sorts first as `None` (a namespaced attribute's URI is never
            // empty), not as `""`: see `empty_at`. With `""`, 32 unprefixed attributes took
            // 50 µs to sort instead of about one.
            self.attributes
                .sort_unstable_by_key(|a| (a.namespace(), a.name()));
        }
        for attr in &self.attributes {
            out.push(b' ');
            out.extend_from_slice(attribute_qname(node, attr).as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attribute(attr.value(), out);
            out.push(b'"');
        }
        out.push(b'>');

        self.open.push((own_prefix, self.declarations.len()));
        self.rendered.extend_from_slice(&self.declarations);
    }

    fn close_element(&mut self, node: Node, out: &mut Vec<u8>) {
        let (prefix, pushed) = self.open.pop().unwrap_or(("", 0));
        out.extend_from_slice(b"</");
        write_qname(prefix, node.tag_name().name(), out);
        out.push(b'>');
        self.rendered.truncate(self.rendered.len() - pushed);
    }
}

fn write_qname(prefix: &str, local: &str, out: &mut Vec<u8>) {
    if !prefix.is_empty() {
        out.extend_from_slice(prefix.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

/// Bytes that need escaping: bit 0 in text, bit 1 in attribute values (C14N 1.0 §2.3).
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'&' as usize] = 0b11;
    table[b'<' as usize] = 0b11;
    table[b'\r' as usize] = 0b11;
    table[b'>' as usize] = 0b01;
    table[b'"' as usize] = 0b10;
    table[b'\t' as usize] = 0b10;
    table[b'\n' as usize] = 0b10;
    table
};

const IN_TEXT: u8 = 0b01;
const IN_ATTRIBUTE: u8 = 0b10;

/// Copies `text` to `out` with the escapes of `context`; runs of ordinary bytes, which are
/// nearly everything, are copied at once.
fn escape(text: &str, context: u8, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if ESCAPES[usize::from(b)] & context == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run_start..i]);
        out.extend_from_slice(match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            _ => b"&#xD;",
        });
        run_start = i + 1;
    }
    out.extend_from_slice(&bytes[run_start..]);
}

fn escape_text(text: &str, out: &mut Vec<u8>) {
    escape(text, IN_TEXT, out);
}

fn escape_attribute(value: &str, out: &mut Vec<u8>) {
    escape(value, IN_ATTRIBUTE, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n_of(xml: &str, id: Option<&str>, prefixes: &[&str]) -> String {
        let doc = roxmltree::Document::parse(xml).expect("test XML parses");
        let apex = match id {
            Some(id) => doc
                .descendants()
                .find(|n| n.attribute("ID") == Some(id))
                .expect("test element exists"),
            None => doc.root_element(),
        };
        let mut out = Vec::new();
        canonicalize(apex, prefixes, None, &mut out);
        String::from_utf8(out).expect("canonical form is UTF-8")
    }

    #[test]
    fn subtree_renders_only_visibly_utilized_ancestor_namespaces() {
        let xml = r#"<samlp:Response xmlns:samlp="urn:p" xmlns:saml="urn:a" xmlns:unused="urn:u"><saml:Assertion ID="a" Version="2.0"><saml:Issuer>x</saml:Issuer></saml:Assertion></samlp:Response>"#;
        assert_eq!(
            c14n_of(xml, Some("a"), &[]),
            r#"<saml:Assertion xmlns:saml="urn:a" ID="a" Version="2.0"><saml:Issuer>x</saml:Issuer></saml:Assertion>"#
        );
    }

    #[test]
    fn prefix_list_renders_named_namespaces_even_when_unused() {
        let xml = r#"<r xmlns:xs="urn:xs" xmlns:saml="urn:a"><saml:A ID="a"><v/></saml:A></r>"#;
        assert_eq!(
            c14n_of(xml, Some("a"), &["xs"]),
            r#"<saml:A xmlns:saml="urn:a" xmlns:xs="urn:xs" ID="a"><v></v></saml:A>"#
        );
    }

    #[test]
    fn prefix_list_repeats_and_unbound_prefixes_change_nothing() {
        let xml = r#"<r xmlns:xs="urn:xs" xmlns="urn:d"><A ID="a"><v/></A></r>"#;
        let long: Vec<String> = (0..500).map(|i| format!("p{i}")).collect();
        let mut list: Vec<&str> = long.iter().map(String::as_str).collect();
        list.extend(["xs", "xs", "", "xs"]);
        assert_eq!(
            c14n_of(xml, Some("a"), &list),
            c14n_of(xml, Some("a"), &["xs"])
        );
        assert_eq!(
            c14n_of(xml, Some("a"), &list),
            r#"<A xmlns="urn:d" xmlns:xs="urn:xs" ID="a"><v></v></A>"#
        );
    }

    #[test]
    fn default_namespace_is_undone_with_empty_declaration_only_when_rendered() {
        let xml = r#"<a xmlns="urn:d"><b xmlns=""><c/></b></a>"#;
        assert_eq!(
            c14n_of(xml, None, &[]),
            r#"<a xmlns="urn:d"><b xmlns=""><c></c></b></a>"#
        );
        let xml = r#"<a><b xmlns=""/></a>"#;
        assert_eq!(c14n_of(xml, None, &[]), r#"<a><b></b></a>"#);
    }

    #[test]
    fn attributes_sort_by_namespace_uri_then_local_name() {
        let xml = r#"<e xmlns:z="urn:a" xmlns:a="urn:b" b="1" a:x="2" z:y="3" a="4"/>"#;
        assert_eq!(
            c14n_of(xml, None, &[]),
            r#"<e xmlns:a="urn:b" xmlns:z="urn:a" a="4" b="1" z:y="3" a:x="2"></e>"#
        );
    }

    #[test]
    fn escapes_text_and_attributes_and_drops_comments() {
        let xml = "<e a=\"&lt;&amp;&quot;&#9;&#10;&#13;>\">&lt;&amp;&gt;&#13;\"<!-- gone --></e>";
        assert_eq!(
            c14n_of(xml, None, &[]),
            "<e a=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;>\">&lt;&amp;&gt;&#xD;\"</e>"
        );
    }

    #[test]
    fn excluded_element_is_left_out_with_its_subtree() {
        let xml = r#"<r ID="r"><a/><ds:Signature xmlns:ds="urn:ds"><x/></ds:Signature><b/></r>"#;
        let doc = roxmltree::Document::parse(xml).expect("parses");
        let sig = doc
            .descendants()
            .find(|n| n.tag_name().name() == "Signature")
            .expect("sig");
        let mut out = Vec::new();
        canonicalize(doc.root_element(), &[], Some(sig), &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            r#"<r ID="r"><a></a><b></b></r>"#
        );
    }

    #[test]
    fn redeclaration_with_same_uri_is_not_repeated_but_a_new_uri_is() {
        let xml = r#"<p:a xmlns:p="urn:1"><p:b xmlns:p="urn:1"><p:c xmlns:p="urn:2"/></p:b></p:a>"#;
        assert_eq!(
            c14n_of(xml, None, &[]),
            r#"<p:a xmlns:p="urn:1"><p:b><p:c xmlns:p="urn:2"></p:c></p:b></p:a>"#
        );
    }
}
