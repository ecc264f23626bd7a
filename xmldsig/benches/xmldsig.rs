//! How close verification and signing of a SAML response come to the raw RSA-2048 limit.
//!
//! Run with `cargo bench -p xmldsig --bench xmldsig`. Criterion measures each operation; the
//! summary at the end measures them again side by side, one core, and prints the rates with the
//! ratio to raw OpenSSL that docs/PERFORMANCE.md records. Target: verify ≥ 1/3 of raw verify.

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use xmldsig::{
    Certificate, Limits, Policy, PrivateKey, SignOptions, element_by_id, parse_str, sign, verify,
};

#[path = "../tests/common/mod.rs"]
mod common;

struct Setup {
    unsigned: String,
    signed: String,
    key: PrivateKey,
    certs: Vec<Certificate>,
    raw_key: openssl::pkey::PKey<openssl::pkey::Private>,
    raw_public: openssl::pkey::PKey<openssl::pkey::Public>,
    raw_signature: Vec<u8>,
}

fn setup() -> Setup {
    let unsigned = common::saml_response("_r1", "_a1");
    let key = common::key("idp-rsa-current");
    let signed = sign(&unsigned, "_a1", &key, &SignOptions::default()).expect("fixture signs");
    let pem = std::fs::read(common::fixture_path("idp-rsa-current.key")).expect("fixture key");
    let raw_key = openssl::pkey::PKey::private_key_from_pem(&pem).expect("fixture key parses");
    let raw_public =
        openssl::pkey::PKey::public_key_from_pem(&raw_key.public_key_to_pem().expect("pem"))
            .expect("public key");
    let raw_signature = raw_sign(&raw_key);
    Setup {
        unsigned,
        signed,
        key,
        certs: vec![common::cert("idp-rsa-current")],
        raw_key,
        raw_public,
        raw_signature,
    }
}

const RAW_MESSAGE: &[u8] = b"a SignedInfo is about this long once canonicalized, some 600 bytes";

fn raw_sign(key: &openssl::pkey::PKey<openssl::pkey::Private>) -> Vec<u8> {
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), key).expect("signer");
    signer.update(RAW_MESSAGE).expect("update");
    signer.sign_to_vec().expect("sign")
}

fn raw_verify(key: &openssl::pkey::PKey<openssl::pkey::Public>, signature: &[u8]) -> bool {
    let mut verifier = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), key)
        .expect("verifier");
    verifier.update(RAW_MESSAGE).expect("update");
    verifier.verify(signature).expect("verify")
}

fn verify_response(s: &Setup) -> bool {
    let doc = parse_str(&s.signed, &Limits::default()).expect("parses");
    let assertion = element_by_id(&doc, "_a1").expect("assertion");
    verify(assertion, &s.certs, &Policy::default()).is_ok()
}

fn bench(c: &mut Criterion, s: &Setup) {
    let mut group = c.benchmark_group("xmldsig");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_rsa2048_verify", |b| {
        b.iter(|| black_box(raw_verify(&s.raw_public, &s.raw_signature)))
    });
    group.bench_function("verify_response_4k", |b| {
        b.iter(|| black_box(verify_response(s)))
    });
    group.bench_function("parse_response_4k", |b| {
        b.iter(|| {
            black_box(
                parse_str(&s.signed, &Limits::default())
                    .expect("parses")
                    .descendants()
                    .count(),
            )
        })
    });
    group.bench_function("raw_rsa2048_sign", |b| {
        b.iter(|| black_box(raw_sign(&s.raw_key)))
    });
    group.bench_function("sign_assertion_4k", |b| {
        b.iter(|| {
            black_box(sign(&s.unsigned, "_a1", &s.key, &SignOptions::default()).expect("signs"))
        })
    });
    group.finish();
}

/// Operations per second of `op`, the best of five one-second rounds.
fn rate(mut op: impl FnMut() -> bool) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < Duration::from_secs(1) {
                assert!(op(), "the measured operation must succeed");
                n += 1;
            }
            n as f64 / start.elapsed().as_secs_f64()
        })
        .fold(0.0, f64::max)
}

fn main() {
    let s = setup();
    assert!(verify_response(&s), "the benchmark document must verify");
    println!("signed response: {} bytes", s.signed.len());
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &s);
    criterion.final_summary();

    let raw_v = rate(|| raw_verify(&s.raw_public, &s.raw_signature));
    let v = rate(|| verify_response(&s));
    let raw_s = rate(|| !raw_sign(&s.raw_key).is_empty());
    let sg = rate(|| sign(&s.unsigned, "_a1", &s.key, &SignOptions::default()).is_ok());
    println!("\nsummary (one core, best of 5 x 1 s):");
    println!("  raw OpenSSL RSA-2048 verify : {raw_v:>9.0} /s");
    println!(
        "  verify 4 KB response        : {v:>9.0} /s  = {:.2} of raw verify (target >= 0.33)",
        v / raw_v
    );
    println!("  raw OpenSSL RSA-2048 sign   : {raw_s:>9.0} /s");
    println!(
        "  sign 4 KB response          : {sg:>9.0} /s  = {:.2} of raw sign",
        sg / raw_s
    );
}
