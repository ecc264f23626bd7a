//! The proof that an element's signature verified, and the only way to read it afterwards.
//!
//! [`Verified`] can only be made by [`crate::verify`]. [`VerifiedNode`] lets a caller walk down
//! from the verified element, never up or sideways, so nothing outside the signed subtree can be
//! read through it by mistake.
//!
//! # Text and comments
//! [`VerifiedNode::text`] returns the concatenation of *every* text node below the element, in
//! document order, with comments and processing instructions skipped. That is exactly the
//! character data exclusive c14n without comments signed. So
//! `<NameID>alice@corp.com<!---->.evil.com</NameID>` reads as `alice@corp.com.evil.com`, the
//! value the IdP signed, and never as `alice@corp.com`, the first text node that a naive
//! "first text child" reader (the CVE-2017-11427 family) returns.

use crate::algorithm::{DigestAlgorithm, SignatureAlgorithm};
use crate::tree::{Edge, traverse};
use roxmltree::Node;

/// All character data below `node`, comments and PIs skipped (see the module docs), leaving
/// out the subtree of `excluded`. Public for content that is vouched for otherwise (a decrypted
/// assertion whose ciphertext sat inside a verified Response); it reads exactly as
/// [`VerifiedNode::text`] does.
pub fn text_content(node: Node, excluded: Option<Node>) -> String {
    let mut text = String::new();
    let mut skipping = false;
    for edge in traverse(node) {
        match edge {
            Edge::Open(n) if Some(n) == excluded => skipping = true,
            Edge::Close(n) if Some(n) == excluded => skipping = false,
            Edge::Open(n) if !skipping && n.is_text() => text.push_str(n.text().unwrap_or("")),
            _ => {}
        }
    }
    text
}

/// An element whose enveloped signature verified.
#[derive(Debug, Clone, Copy)]
pub struct Verified<'a, 'input> {
    element: Node<'a, 'input>,
    signature: Node<'a, 'input>,
    algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
    certificate_index: usize,
}

impl<'a, 'input> Verified<'a, 'input> {
    pub(crate) fn new(
        element: Node<'a, 'input>,
        signature: Node<'a, 'input>,
        algorithm: SignatureAlgorithm,
        digest: DigestAlgorithm,
        certificate_index: usize,
    ) -> Self {
        Verified {
            element,
            signature,
            algorithm,
            digest,
            certificate_index,
        }
    }

    /// The verified element, readable downwards only.
    pub fn element(&self) -> VerifiedNode<'a, 'input> {
        VerifiedNode {
            node: self.element,
            signature: self.signature,
        }
    }

    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    /// Which of the trusted certificates verified it (for rollover reporting).
    pub fn certificate_index(&self) -> usize {
        self.certificate_index
    }

    /// Whether `node` was covered by the digest: inside the verified element (itself included)
    /// and outside its enveloped signature, whose KeyInfo nobody signed.
    pub fn contains(&self, node: Node) -> bool {
        // `ancestors` starts at the node itself; the signature is a child of the element, so a
        // node inside it meets the signature first on the way up.
        node.ancestors()
            .find(|a| *a == self.signature || *a == self.element)
            .is_some_and(|a| a == self.element)
    }
}

/// An element inside a verified subtree. Navigation goes to children only.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedNode<'a, 'input> {
    node: Node<'a, 'input>,
    signature: Node<'a, 'input>,
}

impl<'a, 'input> VerifiedNode<'a, 'input> {
    pub fn namespace(&self) -> Option<&'a str> {
        self.node.tag_name().namespace()
    }

    pub fn name(&self) -> &'a str {
        self.node.tag_name().name()
    }

    pub fn has_name(&self, namespace: &str, local: &str) -> bool {
        self.node.has_tag_name((namespace, local))
    }

    /// An attribute without namespace, by local name.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        self.node.attribute(name)
    }

    /// An attribute in a namespace.
    pub fn attribute_ns(&self, namespace: &str, name: &str) -> Option<&'a str> {
        self.node.attribute((namespace, name))
    }

    /// Child elements, the enveloped signature excluded (it was not part of what was digested).
    pub fn children(&self) -> impl Iterator<Item = VerifiedNode<'a, 'input>> + use<'a, 'input> {
        let signature = self.signature;
        self.node
            .children()
            .filter(move |c| c.is_element() && *c != signature)
            .map(move |node| VerifiedNode { node, signature })
    }

    /// Child elements with this namespace and local name.
    pub fn children_named<'s>(
        &self,
        namespace: &'s str,
        local: &'s str,
    ) -> impl Iterator<Item = VerifiedNode<'a, 'input>> + use<'a, 'input, 's> {
        self.children()
            .filter(move |c| c.has_name(namespace, local))
    }

    /// The first child element with this namespace and local name.
    pub fn child(&self, namespace: &str, local: &str) -> Option<VerifiedNode<'a, 'input>> {
        self.children_named(namespace, local).next()
    }

    /// All character data below this element; see the module docs for why comments cannot cut it.
    pub fn text(&self) -> String {
        text_content(self.node, Some(self.signature))
    }

    /// Byte range of the element in the input, for error reports.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.node.range()
    }
}
