//! Signing an element by ID with an enveloped `ds:Signature`, placed where the SAML schema wants
//! it: right after the element's `saml:Issuer`, or first when it has none.
//!
//! The input text is kept byte for byte; the signature is spliced in without any whitespace
//! around it, since whitespace text beside it would be part of the digested content. SignedInfo
//! is canonicalized by parsing the spliced document and running the same code the verifier runs,
//! so signer and verifier cannot disagree on it.

use crate::algorithm::{DigestAlgorithm, SignatureAlgorithm};
use crate::c14n::canonicalize;
use crate::error::{Error, QName};
use crate::keys::PrivateKey;
use crate::ns::{DS, ENVELOPED_SIGNATURE, EXC_C14N, SAML_ASSERTION};
use crate::parse::{Limits, parse_str};
use crate::tree::{child, children_named};

/// How to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOptions {
    pub signature: SignatureAlgorithm,
    pub digest: DigestAlgorithm,
    /// Publish the signer's certificate in KeyInfo, as real IdPs do (verifiers must ignore it).
    pub include_certificate: bool,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            signature: SignatureAlgorithm::RsaSha256,
            digest: DigestAlgorithm::Sha256,
            include_certificate: true,
        }
    }
}

/// The element whose SAML `ID` attribute is `id`; an error when none has it or several do.
pub fn element_by_id<'a, 'input>(
    doc: &'a roxmltree::Document<'input>,
    id: &str,
) -> Result<roxmltree::Node<'a, 'input>, Error> {
    let mut matches = doc
        .descendants()
        .filter(|n| n.is_element() && n.attribute("ID") == Some(id));
    let element = matches
        .next()
        .ok_or_else(|| Error::IdNotFound { id: id.to_owned() })?;
    let extra = matches.count();
    if extra > 0 {
        return Err(Error::DuplicateId {
            id: id.to_owned(),
            count: extra + 1,
        });
    }
    Ok(element)
}

/// Byte offset just past the `>` of `element`'s start tag, and whether the tag is self-closing.
pub(crate) fn start_tag_end(text: &str, element: roxmltree::Node) -> (usize, bool) {
    let start = element.range().start;
    let mut quote: Option<u8> = None;
    for (i, b) in text.as_bytes()[start..].iter().enumerate() {
        match (quote, *b) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(*b),
            (None, b'>') => {
                let end = start + i + 1;
                return (end, text.as_bytes()[end - 2] == b'/');
            }
            _ => {}
        }
    }
    // roxmltree accepted the document, so every start tag is closed; this is unreachable.
    (element.range().end, false)
}

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Prefixes used inside `xsi:type` values under `element` (`xs:string`). Exclusive c14n only
/// renders bindings that names use, not values, so without the PrefixList the binding of `xs`
/// would be left unsigned and could be rebound after signing, changing what `xsi:type` means.
/// Okta names them in the PrefixList for the same reason.
fn qname_value_prefixes<'a>(element: roxmltree::Node<'a, '_>) -> Vec<&'a str> {
    let mut prefixes: Vec<&str> = element
        .descendants()
        .filter_map(|n| {
            let (prefix, _) = n.attribute((XSI, "type"))?.split_once(':')?;
            n.lookup_namespace_uri(Some(prefix)).map(|_| prefix)
        })
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    prefixes
}

pub(crate) fn escape_attribute_value(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// Returns `xml` with the element whose `ID` is `id` signed by `key`.
pub fn sign(xml: &str, id: &str, key: &PrivateKey, options: &SignOptions) -> Result<String, Error> {
    let limits = Limits::default();
    let doc = parse_str(xml, &limits)?;
    let element = element_by_id(&doc, id)?;
    if children_named(element, DS, "Signature").next().is_some() {
        return Err(Error::AlreadySigned {
            element: QName(element).to_string(),
        });
    }

    let prefixes = qname_value_prefixes(element);
    let mut canonical = Vec::with_capacity(element.range().len());
    canonicalize(element, &prefixes, None, &mut canonical);
    let c14n_transform = if prefixes.is_empty() {
        format!(r#"<ds:Transform Algorithm="{EXC_C14N}"/>"#)
    } else {
        format!(
            r#"<ds:Transform Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{}"/></ds:Transform>"#,
            prefixes.join(" ")
        )
    };
    let digest = options.digest.hash(&canonical);

    let key_info = match (options.include_certificate, key.certificate()) {
        (true, Some(cert)) => format!(
            "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>",
            cert.to_base64()?
        ),
        _ => String::new(),
    };
    let head = format!(
        concat!(
            r#"<ds:Signature xmlns:ds="{ds}"><ds:SignedInfo>"#,
            r#"<ds:CanonicalizationMethod Algorithm="{c14n}"/>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"/>"#,
            r##"<ds:Reference URI="#{id}"><ds:Transforms>"##,
            r#"<ds:Transform Algorithm="{env}"/>{c14n_transform}"#,
            r#"</ds:Transforms><ds:DigestMethod Algorithm="{dig}"/>"#,
            r#"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>"#,
            r#"<ds:SignatureValue>"#
        ),
        ds = DS,
        c14n = EXC_C14N,
        sig = options.signature.uri(),
        id = escape_attribute_value(id),
        env = ENVELOPED_SIGNATURE,
        c14n_transform = c14n_transform,
        dig = options.digest.uri(),
        digest = crate::b64::encode(&digest),
    );
    let tail = format!("</ds:SignatureValue>{key_info}</ds:Signature>");

    let (tag_end, self_closing) = start_tag_end(xml, element);
    let (before, after) = if self_closing {
        let qname = &xml[element.range().start + 1..]
            .split(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .next()
            .unwrap_or("");
        (
            format!("{}>", &xml[..tag_end - 2]),
            format!("</{qname}>{}", &xml[tag_end..]),
        )
    } else {
        let at = match element.first_element_child() {
            Some(first) if first.has_tag_name((SAML_ASSERTION, "Issuer")) => first.range().end,
            _ => tag_end,
        };
        (xml[..at].to_owned(), xml[at..].to_owned())
    };

    // Canonicalize SignedInfo in place, in its final context, with the verifier's own code.
    let unsigned = format!("{before}{head}{tail}{after}");
    let value = {
        let doc = parse_str(&unsigned, &limits)?;
        let element = element_by_id(&doc, id)?;
        let signature = child(element, DS, "Signature").ok_or(Error::MissingElement {
            parent: "element",
            name: "Signature",
        })?;
        let signed_info = child(signature, DS, "SignedInfo").ok_or(Error::MissingElement {
            parent: "Signature",
            name: "SignedInfo",
        })?;
        canonical.clear();
        canonicalize(signed_info, &[], None, &mut canonical);
        crate::b64::encode(&key.sign(options.signature, &canonical)?)
    };
    Ok(format!("{before}{head}{value}{tail}{after}"))
}
