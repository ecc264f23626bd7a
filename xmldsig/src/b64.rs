//! Base64 as XML carries it: standard alphabet, whitespace and line breaks allowed inside.

use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub(crate) fn decode(text: &str, field: &'static str) -> Result<Vec<u8>, Error> {
    // Most values carry no whitespace: decode them as they are, and make a compact copy only
    // for those that do (the strict decoder refuses whitespace, so nothing else takes this path).
    if let Ok(bytes) = STANDARD.decode(text) {
        return Ok(bytes);
    }
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|_| Error::BadBase64 { field })
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
