//! Text from scenarios made safe for markup. `got` and evidence carry whatever a target or an IdP
//! sent (SAML XML, HTML error pages, raw bytes), so every character that could open markup is
//! escaped, and characters the format cannot carry at all become U+FFFD instead of making the
//! file unreadable.

/// XML 1.0 (§2.2 Char) admits tab, LF, CR and U+0020 upwards except the two noncharacters
/// U+FFFE and U+FFFF; surrogates cannot occur in a Rust `char`.
fn forbidden_in_xml(c: char) -> bool {
    (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// The five markup characters, or `None` for a character that needs no escaping.
fn markup(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        // `&apos;` is not an HTML 4 entity; the numeric form is read alike by XML and HTML.
        '\'' => Some("&#39;"),
        _ => None,
    }
}

/// Escapes text for an XML element's content. A parser normalises a literal CR to LF (§2.11),
/// so CR is written as a reference to come back as itself; tab and LF stay literal and readable.
pub fn xml_text(text: &str) -> String {
    escape(text, |c, out| match c {
        '\r' => out.push_str("&#13;"),
        c => push_xml(c, out),
    })
}

/// Escapes text for a double- or single-quoted XML attribute value. Attribute-value
/// normalisation (§3.3.3) turns literal tab, LF and CR into spaces, so they are written as
/// references.
pub fn xml_attr(text: &str) -> String {
    escape(text, |c, out| match c {
        '\t' => out.push_str("&#9;"),
        '\n' => out.push_str("&#10;"),
        '\r' => out.push_str("&#13;"),
        c => push_xml(c, out),
    })
}

/// Escapes text for HTML content and quoted attribute values. The HTML report is also
/// well-formed XML (its tests parse it with an XML parser), so the XML rules apply, and C1
/// controls, which HTML forbids and a terminal would obey, go too.
pub fn html(text: &str) -> String {
    escape(text, |c, out| match c {
        '\r' => out.push_str("&#13;"),
        '\u{80}'..='\u{9F}' | '\u{7F}' => out.push('\u{FFFD}'),
        c => push_xml(c, out),
    })
}

fn push_xml(c: char, out: &mut String) {
    match markup(c) {
        Some(escaped) => out.push_str(escaped),
        None if forbidden_in_xml(c) => out.push('\u{FFFD}'),
        None => out.push(c),
    }
}

fn escape(text: &str, mut push: impl FnMut(char, &mut String)) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push(c, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_markup_and_replaces_forbidden_characters() {
        assert_eq!(
            xml_text("<a b=\"c\">&'\u{1}\u{FFFF}\tx\ny\rz"),
            "&lt;a b=&quot;c&quot;&gt;&amp;&#39;\u{FFFD}\u{FFFD}\tx\ny&#13;z"
        );
    }

    #[test]
    fn xml_attr_keeps_whitespace_through_attribute_normalisation() {
        assert_eq!(xml_attr("a\tb\nc\rd e"), "a&#9;b&#10;c&#13;d e");
    }

    #[test]
    fn xml_escapes_round_trip_through_a_parser() {
        let hostile = "<script>alert('x')</script> & \"q\"\t\r\n\u{1b}[2J end";
        let doc = format!("<r a=\"{}\">{}</r>", xml_attr(hostile), xml_text(hostile));
        let parsed = roxmltree::Document::parse(&doc).expect("escaped text is well-formed");
        let root = parsed.root_element();
        let expected = hostile.replace('\u{1b}', "\u{FFFD}");
        assert_eq!(root.attribute("a"), Some(expected.as_str()));
        assert_eq!(root.text(), Some(expected.as_str()));
    }

    #[test]
    fn html_replaces_c1_and_delete_controls() {
        assert_eq!(html("a\u{7F}b\u{9B}c\u{A0}"), "a\u{FFFD}b\u{FFFD}c\u{A0}");
        assert_eq!(html("<b>\n"), "&lt;b&gt;\n");
    }
}
