//! Precise edits of a response's XML: one attribute or the content of one element, found by its
//! path of namespaced names from the root, never by a string match that might hit the same
//! text elsewhere (an Issuer value also sits in the Assertion, an instant in four places).
//!
//! Every byte the edit does not mean to change stays as it was, so an edit made before signing
//! leaves a response the IdP could have signed, and one made after signing changes only the
//! field it names.

use mock_idp::render::escape;
use roxmltree::Node;
use std::ops::Range;

/// One step of a path: the first child element with this namespace and local name, or, with
/// [`Step::having`], the first whose attribute has the given value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    ns: &'static str,
    name: &'static str,
    having: Option<(&'static str, &'static str)>,
}

impl Step {
    pub const fn new(ns: &'static str, name: &'static str) -> Step {
        Step {
            ns,
            name,
            having: None,
        }
    }

    /// The same step, restricted to the element whose `attribute` equals `value`.
    pub const fn having(self, attribute: &'static str, value: &'static str) -> Step {
        Step {
            having: Some((attribute, value)),
            ..self
        }
    }

    fn matches(&self, node: &Node) -> bool {
        node.is_element()
            && node.has_tag_name((self.ns, self.name))
            && self
                .having
                .is_none_or(|(attribute, value)| node.attribute(attribute) == Some(value))
    }
}

/// What is done to the element a path leads to.
#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// Sets an unqualified attribute, adding it when the element lacks it.
    SetAttribute(&'static str, &'static str),
    /// Rewrites an unqualified attribute's current (unescaped) value.
    MapAttribute(&'static str, fn(&str) -> String),
    RemoveAttribute(&'static str),
    /// Replaces the element's whole content with this text; `""` leaves it empty.
    SetText(&'static str),
    /// Rewrites the element's text content (the element must hold text only).
    MapText(fn(&str) -> String),
    RemoveElement,
}

/// Why an edit could not be made: the XML is not what the path expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("the XML to edit does not parse: {0}")]
    Parse(String),
    #[error("no element at {0}")]
    NoElement(String),
    #[error("the element at {path} has no attribute {attribute}")]
    NoAttribute {
        path: String,
        attribute: &'static str,
    },
    #[error("the element at {0} holds elements, not text")]
    NotText(String),
}

/// `xml` with `edit` made to the element at `path` (whose first step names the root).
pub fn apply(xml: &str, path: &[Step], edit: Edit) -> Result<String, EditError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| EditError::Parse(e.to_string()))?;
    let element = find(doc.root_element(), path).ok_or_else(|| EditError::NoElement(show(path)))?;
    let (range, with) = match edit {
        Edit::SetAttribute(name, value) => match attribute(element, name) {
            Some(a) => (a.range_value(), escape(value)),
            None => {
                let at = element.range().start + 1 + qname(xml, element).len();
                (at..at, format!(" {name}=\"{}\"", escape(value)))
            }
        },
        Edit::MapAttribute(name, map) => {
            let a = attribute(element, name).ok_or_else(|| EditError::NoAttribute {
                path: show(path),
                attribute: name,
            })?;
            (a.range_value(), escape(&map(a.value())))
        }
        Edit::RemoveAttribute(name) => {
            let a = attribute(element, name).ok_or_else(|| EditError::NoAttribute {
                path: show(path),
                attribute: name,
            })?;
            // With the space before it, so the tag reads as if the IdP never wrote it.
            let range = a.range();
            let start = xml[..range.start].trim_end().len();
            (start..range.end, String::new())
        }
        Edit::SetText(text) => content(xml, element, escape(text)),
        Edit::MapText(map) => {
            if element.children().any(|c| c.is_element()) {
                return Err(EditError::NotText(show(path)));
            }
            let text: String = element.children().filter_map(|c| c.text()).collect();
            content(xml, element, escape(&map(&text)))
        }
        Edit::RemoveElement => (element.range(), String::new()),
    };
    let mut out = xml.to_owned();
    out.replace_range(range, &with);
    Ok(out)
}

fn find<'a, 'i>(root: Node<'a, 'i>, path: &[Step]) -> Option<Node<'a, 'i>> {
    let (first, rest) = path.split_first()?;
    if !first.matches(&root) {
        return None;
    }
    rest.iter().try_fold(root, |parent, step| {
        parent.children().find(|child| step.matches(child))
    })
}

fn attribute<'a, 'i>(element: Node<'a, 'i>, name: &str) -> Option<roxmltree::Attribute<'a, 'i>> {
    element
        .attributes()
        .find(|a| a.namespace().is_none() && a.name() == name)
}

/// The element's name as written (`saml2:Issuer`).
fn qname<'x>(xml: &'x str, element: Node) -> &'x str {
    let start = element.range().start + 1;
    let rest = &xml[start..];
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The edit that makes `with` the element's whole content; a self-closed element is opened.
fn content(xml: &str, element: Node, with: String) -> (Range<usize>, String) {
    let range = element.range();
    if let (Some(first), Some(last)) = (element.first_child(), element.last_child()) {
        return (first.range().start..last.range().end, with);
    }
    let tag = &xml[range.clone()];
    if tag.ends_with("/>") {
        let end = range.end;
        return (end - 2..end, format!(">{with}</{}>", qname(xml, element)));
    }
    // `<a></a>`: the content goes before the end tag.
    let at = range.start + tag.rfind("</").unwrap_or(tag.len());
    (at..at, with)
}

fn show(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s.having {
            Some((a, v)) => format!("{}[@{a}={v:?}]", s.name),
            None => s.name.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "urn:p";
    const A: &str = "urn:a";
    const XML: &str = r#"<p:R xmlns:p="urn:p" xmlns:a="urn:a" ID="r1" V="2.0"><a:Issuer>idp</a:Issuer><a:As ID="a1"><a:Issuer>idp</a:Issuer><a:Attr Name="x"><a:V>one</a:V></a:Attr><a:Attr Name="email"><a:V>one</a:V></a:Attr><a:Empty/><a:Open></a:Open></a:As></p:R>"#;

    const R: Step = Step::new(P, "R");
    const AS: Step = Step::new(A, "As");
    const ISSUER: Step = Step::new(A, "Issuer");

    fn edited(path: &[Step], edit: Edit) -> String {
        apply(XML, path, edit).expect("edit applies")
    }

    #[test]
    fn an_attribute_is_changed_on_its_own_element_only() {
        let out = edited(&[R, AS], Edit::SetAttribute("ID", ""));
        assert!(out.contains(r#"<a:As ID="">"#), "{out}");
        assert!(out.contains(r#"ID="r1""#), "{out}");
    }

    #[test]
    fn a_missing_attribute_is_added_and_a_present_one_removed_with_its_space() {
        let out = edited(&[R, AS], Edit::SetAttribute("Extra", "a&b"));
        assert!(out.contains(r#"<a:As Extra="a&amp;b" ID="a1">"#), "{out}");
        let out = edited(&[R], Edit::RemoveAttribute("ID"));
        assert!(
            out.starts_with(r#"<p:R xmlns:p="urn:p" xmlns:a="urn:a" V="2.0">"#),
            "{out}"
        );
    }

    #[test]
    fn a_mapped_attribute_sees_its_value() {
        let out = edited(&[R], Edit::MapAttribute("V", |v| format!(" {v} ")));
        assert!(out.contains(r#"V=" 2.0 ""#), "{out}");
    }

    #[test]
    fn text_is_set_in_the_element_the_path_names_and_not_in_its_namesake() {
        let out = edited(&[R, AS, ISSUER], Edit::SetText(""));
        assert!(
            out.contains("<a:Issuer>idp</a:Issuer><a:As ID=\"a1\"><a:Issuer></a:Issuer>"),
            "{out}"
        );
        let out = edited(&[R, ISSUER], Edit::MapText(|t| format!("  {t}\n")));
        assert!(out.contains("<a:Issuer>  idp\n</a:Issuer><a:As"), "{out}");
    }

    #[test]
    fn an_element_chosen_by_attribute_is_the_one_edited() {
        let email = Step::new(A, "Attr").having("Name", "email");
        let out = edited(&[R, AS, email, Step::new(A, "V")], Edit::SetText("two"));
        assert!(
            out.contains(
                r#"<a:Attr Name="x"><a:V>one</a:V></a:Attr><a:Attr Name="email"><a:V>two</a:V>"#
            ),
            "{out}"
        );
    }

    #[test]
    fn empty_elements_are_filled_whether_self_closed_or_open() {
        let out = edited(&[R, AS, Step::new(A, "Empty")], Edit::SetText("x"));
        assert!(out.contains("<a:Empty>x</a:Empty>"), "{out}");
        let out = edited(&[R, AS, Step::new(A, "Open")], Edit::SetText("y"));
        assert!(out.contains("<a:Open>y</a:Open>"), "{out}");
    }

    #[test]
    fn an_element_is_removed_whole_and_content_can_be_emptied() {
        let out = edited(&[R, AS], Edit::RemoveElement);
        assert_eq!(
            out,
            r#"<p:R xmlns:p="urn:p" xmlns:a="urn:a" ID="r1" V="2.0"><a:Issuer>idp</a:Issuer></p:R>"#
        );
        let out = edited(&[R, AS], Edit::SetText(""));
        assert!(out.ends_with(r#"<a:As ID="a1"></a:As></p:R>"#), "{out}");
    }

    #[test]
    fn a_path_that_leads_nowhere_is_an_error_naming_it() {
        assert_eq!(
            apply(XML, &[R, Step::new(A, "Nothing")], Edit::RemoveElement),
            Err(EditError::NoElement("R/Nothing".to_owned()))
        );
        assert_eq!(
            apply(XML, &[AS], Edit::RemoveElement),
            Err(EditError::NoElement("As".to_owned()))
        );
        assert_eq!(
            apply(XML, &[R], Edit::RemoveAttribute("Missing")),
            Err(EditError::NoAttribute {
                path: "R".to_owned(),
                attribute: "Missing"
            })
        );
        assert_eq!(
            apply(XML, &[R, AS], Edit::MapText(|t| t.to_owned())),
            Err(EditError::NotText("R/As".to_owned()))
        );
        assert!(matches!(
            apply("<a>", &[R], Edit::RemoveElement),
            Err(EditError::Parse(_))
        ));
    }
}
