//! Namespace and algorithm URIs, in one place so that a typo cannot hide in a comparison.
//! Code outside this crate that reads SAML should take its namespaces from here too.

/// XML Signature (`ds:`).
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML Encryption 1.0 (`xenc:`).
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// XML Encryption 1.1 (`xenc11:`): its MGF and rsa-oaep URIs.
pub const XENC11: &str = "http://www.w3.org/2009/xmlenc11#";
/// Exclusive XML canonicalization 1.0, without comments; also the InclusiveNamespaces namespace.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Exclusive XML canonicalization 1.0 with comments (refused: comments are never signed).
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// The enveloped-signature transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// SAML 2.0 assertions (`saml:`): Assertion, Issuer, Subject, Conditions, Attribute, …
pub const SAML_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 protocol (`samlp:`): Response, Status, AuthnRequest, …
pub const SAML_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The `xml:` prefix's namespace (`xml:id`, `xml:lang`), bound by definition.
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
