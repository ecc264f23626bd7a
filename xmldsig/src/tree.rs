//! Tree walking without recursion, so that no document depth can overflow the stack.

use roxmltree::Node;

/// One step of a depth-first walk: entering a node, or leaving it after its children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge<'a, 'input> {
    Open(Node<'a, 'input>),
    Close(Node<'a, 'input>),
}

/// Every node of the subtree at `apex`, in document order, as open and close edges.
pub(crate) fn traverse<'a, 'input>(apex: Node<'a, 'input>) -> Traverse<'a, 'input> {
    Traverse {
        apex,
        next: Some(Edge::Open(apex)),
    }
}

pub(crate) struct Traverse<'a, 'input> {
    apex: Node<'a, 'input>,
    next: Option<Edge<'a, 'input>>,
}

impl<'a, 'input> Iterator for Traverse<'a, 'input> {
    type Item = Edge<'a, 'input>;

    fn next(&mut self) -> Option<Self::Item> {
        let current = self.next?;
        self.next = match current {
            Edge::Open(node) => Some(match node.first_child() {
                Some(child) => Edge::Open(child),
                None => Edge::Close(node),
            }),
            Edge::Close(node) if node == self.apex => None,
            Edge::Close(node) => match node.next_sibling() {
                Some(sibling) => Some(Edge::Open(sibling)),
                None => node.parent().map(Edge::Close),
            },
        };
        Some(current)
    }
}

/// Elements with the given namespace and local name among `node`'s children.
pub(crate) fn children_named<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    local: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children()
        .filter(move |c| c.is_element() && c.has_tag_name((namespace, local)))
}

/// The first child element with the given name.
pub(crate) fn child<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    local: &'static str,
) -> Option<Node<'a, 'input>> {
    children_named(node, namespace, local).next()
}
