//! A single linear pass over the bytes of a document that enforces the structural caps of
//! [`Limits`] before the parser builds anything.
//!
//! roxmltree does work per element that grows with the element's attributes and with the
//! namespace bindings in scope (it compares each attribute with the ones before it, and copies
//! and searches the bindings of the parent at every element that declares one). Without caps a
//! 150 KB form post held a core for seconds. This scan reads each byte once, keeps one counter
//! per open element (so its memory is bounded by [`Limits::max_depth`]), and stops at the first
//! cap exceeded.
//!
//! It is not a validator: syntax it cannot follow is refused as malformed (the parser would
//! refuse it too), and everything else is left to the parser. Its counts err on the side of
//! refusing: every `xmlns` attribute counts as a declaration, and `Signature` and
//! `EncryptedKey` are counted by local name whatever their prefix.

use crate::error::Error;
use crate::parse::{Limit, Limits};
use std::collections::HashSet;

/// What the scan counted; the maxima are over the whole document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub elements: usize,
    pub depth: usize,
    pub attributes_per_element: usize,
    pub namespaces_per_element: usize,
    pub namespaces_in_scope: usize,
    pub signatures: usize,
    pub encrypted_keys: usize,
    pub namespace_bindings: usize,
}

/// Distinct (attribute name, value as written) pairs of namespace declarations: at least as
/// many as the parser's distinct (prefix, URI) bindings, since two spellings of one URI count
/// twice. Holds at most `Limits::max_namespace_bindings` + 1 entries.
type Bindings<'b> = HashSet<(&'b [u8], &'b [u8])>;

fn exceeded(limit: Limit, limits: &Limits, found: usize) -> Result<(), Error> {
    let max = limit.max(limits);
    if found > max {
        return Err(Error::LimitExceeded { limit, max, found });
    }
    Ok(())
}

fn malformed(what: &str, at: usize) -> Error {
    Error::Malformed(format!("{what} at byte {at}"))
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Ends a name: whitespace or one of the delimiters a start or end tag can hold.
fn ends_name(b: u8) -> bool {
    is_space(b) || matches!(b, b'>' | b'/' | b'=' | b'<' | b'"' | b'\'')
}

/// The position just after the first `needle` at or after `from`.
fn after(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i + needle.len())
}

/// Scans `bytes` and refuses the first cap of `limits` that it exceeds.
pub(crate) fn prescan(bytes: &[u8], limits: &Limits) -> Result<Counts, Error> {
    let mut counts = Counts::default();
    // Declarations made by each open element; bounded by `max_depth`, checked before a push.
    let mut open: Vec<usize> = Vec::new();
    let mut in_scope = 0usize;
    let mut bindings = Bindings::new();
    let mut i = 0usize;
    while let Some(lt) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'<'))
    {
        let at = i + lt;
        let rest = &bytes[at..];
        if rest.starts_with(b"<!--") {
            i = after(bytes, at + 4, b"-->").ok_or_else(|| malformed("unclosed comment", at))?;
        } else if rest.starts_with(b"<![CDATA[") {
            i = after(bytes, at + 9, b"]]>").ok_or_else(|| malformed("unclosed CDATA", at))?;
        } else if rest.starts_with(b"<?") {
            i = after(bytes, at + 2, b"?>")
                .ok_or_else(|| malformed("unclosed processing instruction", at))?;
        } else if rest.starts_with(b"<!DOCTYPE") {
            return Err(Error::DoctypeForbidden);
        } else if rest.starts_with(b"<!") {
            return Err(malformed("markup declaration outside a DTD", at));
        } else if rest.starts_with(b"</") {
            let close =
                after(bytes, at + 2, b">").ok_or_else(|| malformed("unclosed end tag", at))?;
            let declared = open
                .pop()
                .ok_or_else(|| malformed("end tag without a start tag", at))?;
            in_scope -= declared;
            i = close;
        } else {
            i = start_tag(
                bytes,
                at,
                limits,
                &mut counts,
                &mut open,
                &mut in_scope,
                &mut bindings,
            )?;
        }
    }
    Ok(counts)
}

/// Reads the start tag at `at` (`bytes[at] == b'<'`), counts it, and returns the position after
/// its `>`.
fn start_tag<'b>(
    bytes: &'b [u8],
    at: usize,
    limits: &Limits,
    counts: &mut Counts,
    open: &mut Vec<usize>,
    in_scope: &mut usize,
    bindings: &mut Bindings<'b>,
) -> Result<usize, Error> {
    let name_start = at + 1;
    let mut i = name_start;
    while bytes.get(i).is_some_and(|&b| !ends_name(b)) {
        i += 1;
    }
    if i == name_start {
        return Err(malformed("'<' without an element name", at));
    }
    let name = &bytes[name_start..i];
    let local = name
        .iter()
        .rposition(|&b| b == b':')
        .map_or(name, |colon| &name[colon + 1..]);

    counts.elements += 1;
    exceeded(Limit::Elements, limits, counts.elements)?;
    let depth = open.len() + 1;
    exceeded(Limit::Depth, limits, depth)?;
    counts.depth = counts.depth.max(depth);
    if local == b"Signature" {
        counts.signatures += 1;
        exceeded(Limit::Signatures, limits, counts.signatures)?;
    } else if local == b"EncryptedKey" {
        counts.encrypted_keys += 1;
        exceeded(Limit::EncryptedKeys, limits, counts.encrypted_keys)?;
    }

    let mut attributes = 0usize;
    let mut declarations = 0usize;
    let empty = loop {
        while bytes.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(malformed("unclosed start tag", at)),
            Some(b'>') => break false,
            Some(b'/') if bytes.get(i + 1) == Some(&b'>') => {
                i += 1;
                break true;
            }
            Some(_) => {}
        }
        let attr_start = i;
        while bytes.get(i).is_some_and(|&b| !ends_name(b)) {
            i += 1;
        }
        let attr_name = &bytes[attr_start..i];
        if attr_name.is_empty() {
            return Err(malformed("start tag with a stray character", i));
        }
        while bytes.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(malformed("attribute without '='", attr_start));
        }
        i += 1;
        while bytes.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        let quote = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err(malformed("attribute value without quotes", attr_start)),
        };
        let value_end = bytes
            .get(i + 1..)
            .and_then(|rest| rest.iter().position(|&b| b == quote))
            .ok_or_else(|| malformed("unclosed attribute value", attr_start))?;
        let value = &bytes[i + 1..i + 1 + value_end];
        i += 1 + value_end + 1;
        if attr_name == b"xmlns" || attr_name.starts_with(b"xmlns:") {
            declarations += 1;
            // The parser keeps the distinct bindings in a sorted table, inserting each new
            // one by shifting the rest: a cost in the square of their number.
            if bindings.insert((attr_name, value)) {
                counts.namespace_bindings = bindings.len();
                exceeded(Limit::NamespaceBindings, limits, bindings.len())?;
            }
        } else {
            attributes += 1;
        }
    };
    exceeded(Limit::AttributesPerElement, limits, attributes)?;
    exceeded(Limit::NamespacesPerElement, limits, declarations)?;
    exceeded(Limit::NamespacesInScope, limits, *in_scope + declarations)?;
    counts.attributes_per_element = counts.attributes_per_element.max(attributes);
    counts.namespaces_per_element = counts.namespaces_per_element.max(declarations);
    counts.namespaces_in_scope = counts.namespaces_in_scope.max(*in_scope + declarations);
    if !empty {
        open.push(declarations);
        *in_scope += declarations;
    }
    Ok(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Caps no generated document reaches, so that the scan reports its counts.
    const UNBOUNDED: Limits = Limits {
        max_bytes: usize::MAX,
        max_nodes: u32::MAX,
        max_depth: usize::MAX,
        max_elements: usize::MAX,
        max_attributes_per_element: usize::MAX,
        max_namespaces_per_element: usize::MAX,
        max_namespaces_in_scope: usize::MAX,
        max_signatures: usize::MAX,
        max_encrypted_keys: usize::MAX,
        max_namespace_bindings: usize::MAX,
    };

    /// The counts of the scan, taken from roxmltree's tree instead. Declarations per element
    /// are the growth of the bindings in scope, which holds when no prefix is redeclared (the
    /// generator never does).
    fn counts_of_tree(doc: &roxmltree::Document) -> Counts {
        let scope =
            |n: roxmltree::Node| n.namespaces().filter(|ns| ns.name() != Some("xml")).count();
        let mut counts = Counts::default();
        for node in doc.descendants().filter(roxmltree::Node::is_element) {
            counts.elements += 1;
            counts.depth = counts
                .depth
                .max(node.ancestors().filter(|a| a.is_element()).count());
            counts.attributes_per_element =
                counts.attributes_per_element.max(node.attributes().len());
            let declared = scope(node) - node.parent_element().map_or(0, scope);
            counts.namespaces_per_element = counts.namespaces_per_element.max(declared);
            // Every generated declaration binds a fresh prefix, so all are distinct.
            counts.namespace_bindings += declared;
            counts.namespaces_in_scope = counts.namespaces_in_scope.max(scope(node));
            match node.tag_name().name() {
                "Signature" => counts.signatures += 1,
                "EncryptedKey" => counts.encrypted_keys += 1,
                _ => {}
            }
        }
        counts
    }

    #[derive(Debug, Clone)]
    enum Item {
        Element(Element),
        Text(&'static str),
        Comment(&'static str),
        CData(&'static str),
        Pi(&'static str),
    }

    #[derive(Debug, Clone)]
    struct Element {
        local: &'static str,
        prefixed: bool,
        attributes: Vec<&'static str>,
        declarations: usize,
        children: Vec<Item>,
    }

    /// Text, comments, CDATA and PIs that hold the characters a naive scanner trips on.
    const TEXTS: [&str; 5] = ["x", " a > b ", "&lt;e/&gt;", "]]", "'\"/>"];
    const COMMENTS: [&str; 3] = ["", " <e a='>'/> ", "a - > b"];
    const CDATAS: [&str; 3] = ["", "<e>", "]] > <!-- -->"];
    const PIS: [&str; 2] = ["pi", "pi <e/> \"?"];
    /// Attribute values with quoted `>`, `<`-free (XML forbids a raw `<` in a value).
    const VALUES: [&str; 4] = ["", "a>b", "/>", "x'y"];
    const LOCALS: [&str; 4] = ["e", "Signature", "EncryptedKey", "Assertion"];

    fn element() -> impl Strategy<Value = Element> {
        let leaf = (
            prop::sample::select(&LOCALS[..]),
            any::<bool>(),
            prop::collection::vec(prop::sample::select(&VALUES[..]), 0..5),
            0usize..4,
        )
            .prop_map(|(local, prefixed, attributes, declarations)| Element {
                local,
                prefixed,
                attributes,
                declarations,
                children: Vec::new(),
            });
        leaf.prop_recursive(5, 64, 6, |inner| {
            let item = prop_oneof![
                3 => inner.prop_map(Item::Element),
                1 => prop::sample::select(&TEXTS[..]).prop_map(Item::Text),
                1 => prop::sample::select(&COMMENTS[..]).prop_map(Item::Comment),
                1 => prop::sample::select(&CDATAS[..]).prop_map(Item::CData),
                1 => prop::sample::select(&PIS[..]).prop_map(Item::Pi),
            ];
            (
                prop::sample::select(&LOCALS[..]),
                any::<bool>(),
                prop::collection::vec(prop::sample::select(&VALUES[..]), 0..5),
                0usize..4,
                prop::collection::vec(item, 0..6),
            )
                .prop_map(|(local, prefixed, attributes, declarations, children)| {
                    Element {
                        local,
                        prefixed,
                        attributes,
                        declarations,
                        children,
                    }
                })
        })
    }

    /// Writes `element` with fresh prefixes `p0`, `p1`, … so that no prefix is redeclared.
    fn write(element: &Element, next_prefix: &mut usize, out: &mut String) {
        let first = *next_prefix;
        *next_prefix += element.declarations;
        let name = if element.prefixed && element.declarations > 0 {
            format!("p{first}:{}", element.local)
        } else {
            element.local.to_owned()
        };
        out.push('<');
        out.push_str(&name);
        for (n, value) in element.attributes.iter().enumerate() {
            let quote = if value.contains('\'') { '"' } else { '\'' };
            out.push_str(&format!(" a{n} = {quote}{value}{quote}"));
        }
        for p in first..*next_prefix {
            out.push_str(&format!("\n xmlns:p{p}=\"urn:{p}>\""));
        }
        if element.children.is_empty() {
            out.push_str(" />");
            return;
        }
        out.push('>');
        for child in &element.children {
            match child {
                Item::Element(e) => write(e, next_prefix, out),
                Item::Text(t) => out.push_str(t),
                Item::Comment(t) => out.push_str(&format!("<!--{t}-->")),
                Item::CData(t) => out.push_str(&format!("<![CDATA[{t}]]>")),
                Item::Pi(t) => out.push_str(&format!("<?{t}?>")),
            }
        }
        out.push_str(&format!("</{name} >"));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = prescan(&bytes, &Limits::default());
        }

        #[test]
        fn markup_shaped_bytes_never_panic(
            bytes in prop::collection::vec(prop::sample::select(&b"<>/=\"' !-?[]CDATA:xmlnse\n"[..]), 0..256)
        ) {
            let _ = prescan(&bytes, &Limits::default());
            let _ = prescan(&bytes, &UNBOUNDED);
        }

        #[test]
        fn counts_equal_the_parsed_tree(root in element()) {
            let mut xml = String::from("<?xml version=\"1.0\"?><!-- head -->");
            write(&root, &mut 0, &mut xml);
            let doc = roxmltree::Document::parse(&xml).expect("generated XML is well-formed");
            prop_assert_eq!(prescan(xml.as_bytes(), &UNBOUNDED), Ok(counts_of_tree(&doc)), "{}", xml);
        }
    }

    #[test]
    fn quoted_angle_brackets_and_comments_do_not_open_elements() {
        let xml = br#"<r a='<b>' c="x>y"><!-- <Signature> --><![CDATA[<Signature>]]><?p <Signature>?></r>"#;
        let counts = prescan(xml, &UNBOUNDED).expect("scans");
        assert_eq!(
            (
                counts.elements,
                counts.signatures,
                counts.attributes_per_element
            ),
            (1, 0, 2)
        );
    }

    #[test]
    fn unterminated_constructs_are_malformed_not_skipped() {
        for xml in [
            &b"<r><!-- x</r>"[..],
            b"<r><![CDATA[x</r>",
            b"<r a='x></r>",
            b"<r a></r>",
            b"</r>",
            b"< r/>",
        ] {
            assert_eq!(
                prescan(xml, &UNBOUNDED).map_err(|e| e.code()),
                Err("malformed_xml"),
                "{}",
                String::from_utf8_lossy(xml)
            );
        }
        assert_eq!(
            prescan(b"<!DOCTYPE r><r/>", &UNBOUNDED),
            Err(Error::DoctypeForbidden)
        );
    }
}
