//! Verification of the enveloped `ds:Signature` of one element, under the SAML profile's rules.
//!
//! Rules, each with its own error:
//! - exactly one `ds:Signature` child of the element, holding SignedInfo, SignatureValue and an
//!   optional KeyInfo and nothing else (no ds:Object, no Manifest);
//! - SignedInfo holds CanonicalizationMethod (exc-c14n without comments), SignatureMethod and
//!   exactly one Reference, whose URI is `#` + the element's ID, an ID that occurs once in the
//!   whole document;
//! - transforms are exactly enveloped-signature then exc-c14n;
//! - SHA-2 digests and RSA/ECDSA signatures; SHA-1 only when the [`Policy`] allows it; HMAC never;
//! - the key comes from the trusted certificates only (KeyInfo is never read), each tried in turn,
//!   so that an IdP rolling its key over can publish two.
//!
//! Success yields a [`Verified`] handle to the element in the same tree: what is read afterwards
//! is exactly what was digested.

use crate::algorithm::{DigestAlgorithm, Policy, SignatureAlgorithm};
use crate::c14n::{canonicalize, parse_prefix_list};
use crate::error::{Error, QName};
use crate::keys::Certificate;
use crate::ns::{DS, ENVELOPED_SIGNATURE, EXC_C14N};
use crate::tree::children_named;
use crate::verified::Verified;
use roxmltree::Node;

/// Whether `attribute` carries an XML ID in the documents this crate sees: SAML's `ID`, the
/// `Id` and `id` that XML-DSig and other vocabularies use (all unqualified), and `xml:id`.
/// An ID must be unique among every one of these, whatever the attribute's spelling, or a
/// reference to it is ambiguous: this is the rule [`verify`] applies, and the one an SP should
/// use for its own duplicate-ID checks.
pub fn is_id_attribute(attribute: &roxmltree::Attribute) -> bool {
    match attribute.namespace() {
        None => matches!(attribute.name(), "ID" | "Id" | "id"),
        Some(namespace) => namespace == crate::ns::XML && attribute.name() == "id",
    }
}

/// The value of `element`'s SAML `ID` attribute.
pub fn element_id<'a>(element: Node<'a, '_>) -> Option<&'a str> {
    element.attribute("ID")
}

/// How many elements of the whole document carry `id` in an ID attribute.
fn id_count(element: Node, id: &str) -> usize {
    element
        .document()
        .descendants()
        .filter(|n| {
            n.is_element()
                && n.attributes()
                    .any(|a| a.value() == id && is_id_attribute(&a))
        })
        .count()
}

/// The only child element of `parent` with this DS name; an error when it is absent.
fn required<'a, 'input>(
    parent: Node<'a, 'input>,
    parent_name: &'static str,
    local: &'static str,
) -> Result<Node<'a, 'input>, Error> {
    let mut found = children_named(parent, DS, local);
    let first = found.next().ok_or(Error::MissingElement {
        parent: parent_name,
        name: local,
    })?;
    if found.next().is_some() {
        return Err(Error::UnexpectedStructure {
            context: parent_name,
            found: format!("a second {local}"),
        });
    }
    Ok(first)
}

fn algorithm_of<'a>(node: Node<'a, '_>, name: &'static str) -> Result<&'a str, Error> {
    node.attribute("Algorithm").ok_or(Error::MissingElement {
        parent: name,
        name: "Algorithm attribute",
    })
}

/// Only the listed DS children may appear under `node`.
fn only_children(node: Node, context: &'static str, allowed: &[&str]) -> Result<(), Error> {
    for child in node.children().filter(Node::is_element) {
        let name = child.tag_name();
        if name.namespace() != Some(DS) || !allowed.contains(&name.name()) {
            return Err(Error::UnexpectedStructure {
                context,
                found: format!("<{}>", QName(child)),
            });
        }
    }
    Ok(())
}

/// The PrefixList of an `ec:InclusiveNamespaces` child of a c14n method or transform.
fn inclusive_prefixes<'a>(
    method: Node<'a, '_>,
    context: &'static str,
) -> Result<Vec<&'a str>, Error> {
    let mut prefixes = Vec::new();
    for child in method.children().filter(Node::is_element) {
        if !child.has_tag_name((EXC_C14N, "InclusiveNamespaces")) {
            return Err(Error::UnexpectedStructure {
                context,
                found: format!("<{}>", QName(child)),
            });
        }
        prefixes.extend(parse_prefix_list(
            child.attribute("PrefixList").unwrap_or(""),
        ));
    }
    Ok(prefixes)
}

struct Reference<'a> {
    digest: DigestAlgorithm,
    digest_value: Vec<u8>,
    prefixes: Vec<&'a str>,
}

fn check_reference<'a>(
    reference: Node<'a, '_>,
    element: Node<'a, '_>,
    policy: &Policy,
) -> Result<Reference<'a>, Error> {
    only_children(
        reference,
        "Reference",
        &["Transforms", "DigestMethod", "DigestValue"],
    )?;
    let id = element_id(element).ok_or_else(|| Error::MissingId {
        element: QName(element).to_string(),
    })?;
    let got = reference.attribute("URI").unwrap_or("");
    if got.strip_prefix('#') != Some(id) {
        return Err(Error::ReferenceMismatch {
            expected: format!("#{id}"),
            got: got.to_owned(),
        });
    }
    let count = id_count(element, id);
    if count != 1 {
        return Err(Error::DuplicateId {
            id: id.to_owned(),
            count,
        });
    }

    let transforms = required(reference, "Reference", "Transforms")?;
    only_children(transforms, "Transforms", &["Transform"])?;
    let mut algorithms = Vec::new();
    let mut prefixes = Vec::new();
    for transform in children_named(transforms, DS, "Transform") {
        let algorithm = algorithm_of(transform, "Transform")?;
        match algorithm {
            ENVELOPED_SIGNATURE => {
                if let Some(child) = transform.children().find(Node::is_element) {
                    return Err(Error::UnexpectedStructure {
                        context: "enveloped-signature Transform",
                        found: format!("<{}>", QName(child)),
                    });
                }
            }
            EXC_C14N => prefixes = inclusive_prefixes(transform, "exc-c14n Transform")?,
            other => {
                return Err(Error::TransformForbidden {
                    algorithm: other.to_owned(),
                });
            }
        }
        algorithms.push(algorithm);
    }
    if algorithms != [ENVELOPED_SIGNATURE, EXC_C14N] {
        return Err(Error::TransformChainInvalid {
            found: algorithms.join(", "),
        });
    }

    let digest = DigestAlgorithm::from_uri(
        algorithm_of(
            required(reference, "Reference", "DigestMethod")?,
            "DigestMethod",
        )?,
        policy,
    )?;
    let digest_text = required(reference, "Reference", "DigestValue")?;
    let digest_value = crate::b64::decode(
        &crate::verified::text_content(digest_text, None),
        "DigestValue",
    )?;
    Ok(Reference {
        digest,
        digest_value,
        prefixes,
    })
}

/// Verifies the signature that is a direct child of `element` against `trusted`, and returns the
/// element as [`Verified`].
pub fn verify<'a, 'input>(
    element: Node<'a, 'input>,
    trusted: &[Certificate],
    policy: &Policy,
) -> Result<Verified<'a, 'input>, Error> {
    if trusted.is_empty() {
        return Err(Error::NoTrustedCertificates);
    }
    if !element.is_element() {
        return Err(Error::MissingSignature {
            element: format!("{:?} node", element.node_type()),
        });
    }
    let mut signatures = children_named(element, DS, "Signature");
    let signature = signatures.next().ok_or_else(|| Error::MissingSignature {
        element: QName(element).to_string(),
    })?;
    let extra = signatures.count();
    if extra > 0 {
        return Err(Error::MultipleSignatures {
            element: QName(element).to_string(),
            count: extra + 1,
        });
    }
    only_children(
        signature,
        "Signature",
        &["SignedInfo", "SignatureValue", "KeyInfo"],
    )?;
    let signed_info = required(signature, "Signature", "SignedInfo")?;
    only_children(
        signed_info,
        "SignedInfo",
        &["CanonicalizationMethod", "SignatureMethod", "Reference"],
    )?;

    let c14n_method = required(signed_info, "SignedInfo", "CanonicalizationMethod")?;
    let c14n_algorithm = algorithm_of(c14n_method, "CanonicalizationMethod")?;
    if c14n_algorithm != EXC_C14N {
        return Err(Error::CanonicalizationForbidden {
            algorithm: c14n_algorithm.to_owned(),
        });
    }
    let signed_info_prefixes = inclusive_prefixes(c14n_method, "CanonicalizationMethod")?;

    let signature_method = required(signed_info, "SignedInfo", "SignatureMethod")?;
    if let Some(child) = signature_method.children().find(Node::is_element) {
        // HMACOutputLength is the only child the schema allows, and HMAC is refused anyway.
        if child.tag_name().name() == "HMACOutputLength" {
            return Err(Error::HmacForbidden {
                algorithm: algorithm_of(signature_method, "SignatureMethod")?.to_owned(),
            });
        }
        return Err(Error::UnexpectedStructure {
            context: "SignatureMethod",
            found: format!("<{}>", QName(child)),
        });
    }
    let algorithm =
        SignatureAlgorithm::from_uri(algorithm_of(signature_method, "SignatureMethod")?, policy)?;

    let references: Vec<_> = children_named(signed_info, DS, "Reference").collect();
    let [reference] = references[..] else {
        return Err(Error::ReferenceCount {
            found: references.len(),
        });
    };
    let reference = check_reference(reference, element, policy)?;

    let mut canonical = Vec::with_capacity(element.range().len());
    canonicalize(
        element,
        &reference.prefixes,
        Some(signature),
        &mut canonical,
    );
    let digest = reference.digest.hash(&canonical);
    if digest.len() != reference.digest_value.len()
        || !openssl::memcmp::eq(&digest, &reference.digest_value)
    {
        return Err(Error::DigestMismatch);
    }

    let signature_value = crate::b64::decode(
        &crate::verified::text_content(required(signature, "Signature", "SignatureValue")?, None),
        "SignatureValue",
    )?;
    canonical.clear();
    canonicalize(signed_info, &signed_info_prefixes, None, &mut canonical);

    let candidates: Vec<(usize, &Certificate)> = trusted
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind() == algorithm.key_kind())
        .collect();
    if candidates.is_empty() {
        return Err(Error::NoCompatibleCertificate {
            algorithm: algorithm.uri().to_owned(),
            needed: algorithm.key_kind().name(),
        });
    }
    for (index, certificate) in &candidates {
        if certificate.verify(algorithm, &canonical, &signature_value)? {
            return Ok(Verified::new(
                element,
                signature,
                algorithm,
                reference.digest,
                *index,
            ));
        }
    }
    Err(Error::SignatureInvalid {
        tried: candidates.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::is_id_attribute;

    #[test]
    fn id_attributes_are_the_three_unqualified_spellings_and_xml_id() {
        let doc = roxmltree::Document::parse(
            r#"<e xmlns:p="urn:p" ID="1" Id="2" id="3" xml:id="4" p:ID="5" p:id="6" iD="7" ids="8"/>"#,
        )
        .expect("parses");
        let ids: Vec<&str> = doc
            .root_element()
            .attributes()
            .filter(|a| is_id_attribute(a))
            .map(|a| a.value())
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
    }
}
