//! The SP's own metadata document, what a customer uploads to their IdP instead of typing the
//! entity ID and ACS URL.

use super::escape_xml;
use crate::config::SpConfig;

/// The SP metadata: entity ID, the one ACS (HTTP-POST), the NameID format it wants, and the
/// encryption certificate when the SP can decrypt assertions.
pub fn render(sp: &SpConfig, encryption_certificate_base64: Option<&str>) -> String {
    let key = match encryption_certificate_base64 {
        Some(cert) => format!(
            "    <md:KeyDescriptor use=\"encryption\">\n      <ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n        <ds:X509Data>\n          <ds:X509Certificate>{cert}</ds:X509Certificate>\n        </ds:X509Data>\n      </ds:KeyInfo>\n    </md:KeyDescriptor>\n"
        ),
        None => String::new(),
    };
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{entity}\">\n",
            "  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
            "{key}",
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n",
            "    <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{acs}\" index=\"0\" isDefault=\"true\"/>\n",
            "  </md:SPSSODescriptor>\n",
            "</md:EntityDescriptor>\n"
        ),
        entity = escape_xml(&sp.entity_id),
        acs = escape_xml(&sp.acs_url()),
        key = key,
    )
}
