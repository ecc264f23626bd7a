//! The IdP's metadata document, as the SP's "dynamic metadata URL" serves it: entity ID, one or
//! more signing certificates (both during a rotation), and the SSO endpoints.

use crate::keys::{self, KeyError, KeyRole, KeyType};
use crate::render::escape;

/// Which certificates the metadata publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// The current key only.
    Current,
    /// Current and next (the overlap of a rotation).
    Both,
    /// The next key only (after the rotation).
    Next,
}

impl Published {
    pub const ALL: [Published; 3] = [Published::Current, Published::Both, Published::Next];

    pub fn name(self) -> &'static str {
        match self {
            Published::Current => "current",
            Published::Both => "both",
            Published::Next => "next",
        }
    }

    pub fn roles(self) -> &'static [KeyRole] {
        match self {
            Published::Current => &[KeyRole::Current],
            Published::Both => &[KeyRole::Current, KeyRole::Next],
            Published::Next => &[KeyRole::Next],
        }
    }
}

/// IdP metadata for `entity_id` with SSO at `sso_url` (HTTP-Redirect and HTTP-POST).
pub fn render(
    entity_id: &str,
    sso_url: &str,
    published: Published,
    key_type: KeyType,
) -> Result<String, KeyError> {
    let mut keys_xml = String::new();
    for role in published.roles() {
        let cert = keys::certificate(*role, key_type)?;
        let b64 = cert.to_base64().map_err(|source| KeyError::Key {
            path: role.name().to_owned(),
            source,
        })?;
        keys_xml.push_str(&format!(
            "    <md:KeyDescriptor use=\"signing\">\n      <ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n        <ds:X509Data>\n          <ds:X509Certificate>{b64}</ds:X509Certificate>\n        </ds:X509Data>\n      </ds:KeyInfo>\n    </md:KeyDescriptor>\n"
        ));
    }
    Ok(format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{entity}\">\n",
            "  <md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n",
            "{keys}",
            "    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n",
            "    <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{sso}\"/>\n",
            "    <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{sso}\"/>\n",
            "  </md:IDPSSODescriptor>\n",
            "</md:EntityDescriptor>\n"
        ),
        entity = escape(entity_id),
        sso = escape(sso_url),
        keys = keys_xml,
    ))
}
