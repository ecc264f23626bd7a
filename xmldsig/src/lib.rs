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
