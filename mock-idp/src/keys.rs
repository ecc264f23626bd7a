//! The IdP's keys: the published test keys of `fixtures/keys`, by role and kind.

use std::path::PathBuf;
use xmldsig::{Certificate, PrivateKey};

/// Which of the IdP's keys signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// The key in force, whose certificate the SP has from metadata.
    Current,
    /// The next key of a rotation.
    Next,
    /// An attacker's key (same certificate subject as the current one).
    Attacker,
    /// A key whose certificate expired in 2021 (RSA only).
    Expired,
}

/// RSA-2048 or EC P-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    Rsa,
    Ec,
}

impl KeyType {
    pub const ALL: [KeyType; 2] = [KeyType::Rsa, KeyType::Ec];

    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ec => "ec",
        }
    }
}

impl KeyRole {
    pub const ALL: [KeyRole; 4] = [
        KeyRole::Current,
        KeyRole::Next,
        KeyRole::Attacker,
        KeyRole::Expired,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyRole::Current => "current",
            KeyRole::Next => "next",
            KeyRole::Attacker => "attacker",
            KeyRole::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<KeyRole> {
        KeyRole::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// Where the fixture keys live: `SSOLAB_FIXTURES` or the workspace's `fixtures/keys`.
pub fn keys_dir() -> PathBuf {
    match std::env::var_os("SSOLAB_FIXTURES") {
        Some(dir) => PathBuf::from(dir).join("keys"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keys"),
    }
}

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no {role} key of type {kind}: the fixtures have an expired key for RSA only")]
    Unavailable {
        role: &'static str,
        kind: &'static str,
    },
    #[error("cannot read {path}: {reason} (set SSOLAB_FIXTURES to the fixtures folder)")]
    Read { path: String, reason: String },
    #[error("{path}: {source}")]
    Key {
        path: String,
        source: xmldsig::Error,
    },
}

fn stem(role: KeyRole, kind: KeyType) -> Result<String, KeyError> {
    let kind_name = match kind {
        KeyType::Rsa => "rsa",
        KeyType::Ec => "ec",
    };
    if role == KeyRole::Expired && kind == KeyType::Ec {
        return Err(KeyError::Unavailable {
            role: role.name(),
            kind: kind_name,
        });
    }
    Ok(format!("idp-{kind_name}-{}", role.name()))
}

fn read(name: &str) -> Result<Vec<u8>, KeyError> {
    let path = keys_dir().join(name);
    std::fs::read(&path).map_err(|e| KeyError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The signing key with its certificate.
pub fn signing_key(role: KeyRole, kind: KeyType) -> Result<PrivateKey, KeyError> {
    let stem = stem(role, kind)?;
    PrivateKey::from_pem(
        &read(&format!("{stem}.key"))?,
        Some(&read(&format!("{stem}.crt"))?),
    )
    .map_err(|source| KeyError::Key { path: stem, source })
}

/// The certificate of a signing key.
pub fn certificate(role: KeyRole, kind: KeyType) -> Result<Certificate, KeyError> {
    let stem = stem(role, kind)?;
    Certificate::from_pem(&read(&format!("{stem}.crt"))?)
        .map_err(|source| KeyError::Key { path: stem, source })
}

/// The SP's encryption certificate (`sp-rsa.crt`), which assertions are encrypted to.
pub fn sp_certificate() -> Result<Certificate, KeyError> {
    Certificate::from_pem(&read("sp-rsa.crt")?).map_err(|source| KeyError::Key {
        path: "sp-rsa.crt".into(),
        source,
    })
}
