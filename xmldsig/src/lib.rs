//! placeholder
pub mod algorithm;
mod b64;
pub mod c14n;
pub mod error;
pub mod keys;
pub mod ns;
pub mod parse;
pub mod sign;
pub(crate) mod tree;
pub mod verified;
pub mod verify;

pub use algorithm::{BlockCipher, DigestAlgorithm, KeyKind, KeyTransport, Policy, SignatureAlgorithm};
pub use c14n::{canonicalize, canonicalize_document};
pub use error::Error;
pub use keys::{Certificate, PrivateKey};
pub use parse::{Limits, parse, parse_str};
pub use sign::{SignOptions, element_by_id, sign};
pub use verified::{Verified, VerifiedNode};
pub use verify::verify;
