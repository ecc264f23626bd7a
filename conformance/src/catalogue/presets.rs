//! Every IdP preset of mock-idp logs a member in: as the IdP signs by default, then signed on
//! the Response only, the Assertion only and both, each also with the Assertion encrypted to the
//! SP (SAML Core 2.0 §5.4 lets either element carry the signature; §6.2 encryption).

use super::teams;
use crate::scenario::{Post, Response, Scenario, Stimulus};
use mock_idp::expect::Expected;
use mock_idp::presets::PRESETS;
use mock_idp::spec::{EncryptTo, Encryption, Placement, ResponseSpec};
use xmldsig::{BlockCipher, DigestAlgorithm, KeyTransport};

const PLACEMENTS: [Placement; 3] = [Placement::Response, Placement::Assertion, Placement::Both];

pub fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for preset in PRESETS {
        let team = teams::for_preset(preset);
        let accepted = |id: String, title: String, spec: ResponseSpec| Scenario {
            id,
            title,
            source: preset.source.to_owned(),
            stimulus: Stimulus::Post(Box::new(Post {
                team: team.clone(),
                response: Response::valid(spec),
                via: None,
                expected: Expected::Accepted,
            })),
        };
        out.push(accepted(
            format!("saml.preset.{}", preset.name),
            format!("{} as it signs by default", preset.summary),
            preset.spec(),
        ));
        // The encrypted preset is the plain one with encryption; its variants are the plain one's.
        if preset.spec().encryption.is_some() {
            continue;
        }
        for placement in PLACEMENTS {
            for encrypted in [false, true] {
                let mut spec = preset.spec();
                spec.signing.placement = placement;
                let mut id = format!("saml.preset.{}.signed-{}", preset.name, placement.name());
                let mut title = format!(
                    "{} response, signature on {}",
                    preset.name,
                    match placement {
                        Placement::Response => "the Response only",
                        Placement::Assertion => "the Assertion only",
                        _ => "the Response and the Assertion",
                    }
                );
                if encrypted {
                    spec.encryption = Some(Encryption {
                        cipher: BlockCipher::Aes256Gcm,
                        transport: KeyTransport::RsaOaep {
                            digest: DigestAlgorithm::Sha256,
                            mgf: DigestAlgorithm::Sha256,
                        },
                        to: EncryptTo::Sp,
                    });
                    id.push_str("-encrypted");
                    title.push_str(", Assertion encrypted to the SP (AES-256-GCM, RSA-OAEP)");
                }
                out.push(accepted(id, title, spec));
            }
        }
    }
    out
}
