//! The fixture keys of `fixtures/keys/`, read once.

use std::path::PathBuf;
use std::sync::OnceLock;
use xmldsig::{Certificate, PrivateKey};

fn read(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn load(stem: &str) -> (PrivateKey, Certificate) {
    let key = PrivateKey::from_pem(
        &read(&format!("{stem}.key")),
        Some(&read(&format!("{stem}.crt"))),
    )
    .expect("fixture key and certificate match");
    let cert =
        Certificate::from_pem(&read(&format!("{stem}.crt"))).expect("fixture certificate parses");
    (key, cert)
}

/// An IdP signing key of the fixtures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixtureKey {
    RsaCurrent,
    RsaNext,
    /// Same subject as `RsaCurrent`, different key: what certificate injection uses.
    RsaAttacker,
    EcCurrent,
    /// Its certificate expired in 2021 (fixtures/README.md).
    RsaExpired,
}

impl FixtureKey {
    pub const ALL: [FixtureKey; 4] = [
        FixtureKey::RsaCurrent,
        FixtureKey::RsaNext,
        FixtureKey::RsaAttacker,
        FixtureKey::EcCurrent,
    ];

    pub fn stem(self) -> &'static str {
        match self {
            FixtureKey::RsaCurrent => "idp-rsa-current",
            FixtureKey::RsaNext => "idp-rsa-next",
            FixtureKey::RsaAttacker => "idp-rsa-attacker",
            FixtureKey::EcCurrent => "idp-ec-current",
            FixtureKey::RsaExpired => "idp-rsa-expired",
        }
    }

    fn loaded(self) -> &'static (PrivateKey, Certificate) {
        static LOADED: [OnceLock<(PrivateKey, Certificate)>; 5] = [const { OnceLock::new() }; 5];
        LOADED[self as usize].get_or_init(|| load(self.stem()))
    }

    /// The private key, with its certificate for KeyInfo.
    pub fn private_key(self) -> &'static PrivateKey {
        &self.loaded().0
    }

    pub fn certificate(self) -> Certificate {
        self.loaded().1.clone()
    }
}

/// The SP's key pair (`sp-rsa`): assertions are encrypted to its certificate.
fn sp() -> &'static (PrivateKey, Certificate) {
    static SP: OnceLock<(PrivateKey, Certificate)> = OnceLock::new();
    SP.get_or_init(|| load("sp-rsa"))
}

pub fn sp_certificate() -> &'static Certificate {
    &sp().1
}

pub fn sp_decryption_key() -> PrivateKey {
    sp().0.clone()
}
