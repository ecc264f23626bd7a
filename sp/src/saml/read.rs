//! Reading the assertion that was vouched for, and nothing else.
//!
//! Everything the pipeline consumes comes through [`Vouched`]: either a node of a subtree whose
//! signature verified ([`xmldsig::VerifiedNode`]), or the root of an assertion decrypted from
//! ciphertext that sat inside a verified Response (the signature covered the ciphertext, and
//! the ciphertext determines the plaintext). No other way of reading exists, so an unsigned
//! wrapper element can never end up in a login.

use xmldsig::VerifiedNode;

/// An element whose content a verified signature covers.
#[derive(Debug, Clone, Copy)]
pub enum Vouched<'a, 'input> {
    Signed(VerifiedNode<'a, 'input>),
    /// Built only by the pipeline, for the decrypted root described in the module docs.
    SignedCiphertext(roxmltree::Node<'a, 'input>),
    /// Built only by `validate::explain`, after a signature failed, to report what else is wrong
    /// with a response that will not log anyone in. Never reaches a login.
    Unverified(roxmltree::Node<'a, 'input>),
}

impl<'a, 'input> Vouched<'a, 'input> {
    pub fn has_name(&self, namespace: &str, local: &str) -> bool {
        match self {
            Vouched::Signed(n) => n.has_name(namespace, local),
            Vouched::SignedCiphertext(n) | Vouched::Unverified(n) => {
                n.has_tag_name((namespace, local))
            }
        }
    }

    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        match self {
            Vouched::Signed(n) => n.attribute(name),
            Vouched::SignedCiphertext(n) | Vouched::Unverified(n) => n.attribute(name),
        }
    }

    /// Child elements with this name, the enveloped signature excluded.
    pub fn children_named(
        &self,
        namespace: &'static str,
        local: &'static str,
    ) -> Vec<Vouched<'a, 'input>> {
        match self {
            Vouched::Signed(n) => n
                .children_named(namespace, local)
                .map(Vouched::Signed)
                .collect(),
            Vouched::SignedCiphertext(n) => element_children(*n, namespace, local)
                .map(Vouched::SignedCiphertext)
                .collect(),
            Vouched::Unverified(n) => element_children(*n, namespace, local)
                .map(Vouched::Unverified)
                .collect(),
        }
    }

    pub fn child(
        &self,
        namespace: &'static str,
        local: &'static str,
    ) -> Option<Vouched<'a, 'input>> {
        self.children_named(namespace, local).into_iter().next()
    }

    /// All character data below, read as signed: a comment cannot cut it short.
    pub fn text(&self) -> String {
        match self {
            Vouched::Signed(n) => n.text(),
            Vouched::SignedCiphertext(n) | Vouched::Unverified(n) => {
                xmldsig::text_content(*n, None)
            }
        }
    }
}

fn element_children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    namespace: &'static str,
    local: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(move |c| c.is_element() && c.has_tag_name((namespace, local)))
}
