//! How close verification and signing of a SAML response come to the raw RSA-2048 limit.
//!
//! Run with `cargo bench -p xmldsig --bench xmldsig`. Criterion measures each operation; the
//! summary at the end measures them again side by side, one core, taking turns in 50 ms slices
//! within five rounds, and prints the best round's rates with the median of the rounds' ratios
//! to raw OpenSSL that docs/PERFORMANCE.md records. Target: verify ≥ 1/3 of raw verify.

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};
use xmldsig::{
    Certificate, Limits, Policy, PrivateKey, SignOptions, element_by_id, parse_str, sign, verify,
};

#[path = "../tests/common/mod.rs"]
mod common;

type RawPrivate = openssl::pkey::PKey<openssl::pkey::Private>;
type RawPublic = openssl::pkey::PKey<openssl::pkey::Public>;

struct Setup {
    /// An Okta-shaped response (email, firstName, lastName), Assertion signed: about 4.3 KB.
    unsigned: String,
    signed: String,
    /// The same with Entra's claim URIs and groups as well: about 6.6 KB signed.
    signed_large: String,
    key: PrivateKey,
    certs: Vec<Certificate>,
    raw_key: RawPrivate,
    raw_public: RawPublic,
    raw_signature: Vec<u8>,
}

fn setup() -> Setup {
    let key = common::key("idp-rsa-current");
    let unsigned = common::saml_response_with("_r1", "_a1", common::OKTA_ATTRIBUTES);
    let signed = sign(&unsigned, "_a1", &key, &SignOptions::default()).expect("fixture signs");
    let large = common::saml_response("_r1", "_a1");
    let signed_large = sign(&large, "_a1", &key, &SignOptions::default()).expect("fixture signs");
    let pem = std::fs::read(common::fixture_path("idp-rsa-current.key")).expect("fixture key");
    let raw_key = RawPrivate::private_key_from_pem(&pem).expect("fixture key parses");
    let public_pem = raw_key.public_key_to_pem().expect("public half");
    let raw_public = RawPublic::public_key_from_pem(&public_pem).expect("public key");
    let raw_signature = raw_sign(&raw_key);
    Setup {
        unsigned,
        signed,
        signed_large,
        key,
        certs: vec![common::cert("idp-rsa-current")],
        raw_key,
        raw_public,
        raw_signature,
    }
}

const RAW_MESSAGE: &[u8] = b"a SignedInfo is about this long once canonicalized, some 600 bytes";

fn raw_sign(key: &RawPrivate) -> Vec<u8> {
    let md = openssl::hash::MessageDigest::sha256();
    let mut signer = openssl::sign::Signer::new(md, key).expect("signer");
    signer.update(RAW_MESSAGE).expect("update");
    signer.sign_to_vec().expect("sign")
}

fn raw_verify(key: &RawPublic, signature: &[u8]) -> bool {
    let md = openssl::hash::MessageDigest::sha256();
    let mut verifier = openssl::sign::Verifier::new(md, key).expect("verifier");
    verifier.update(RAW_MESSAGE).expect("update");
    verifier.verify(signature).expect("verify")
}

/// What an SP does per response: parse, find the assertion, verify it.
fn verify_response(certs: &[Certificate], xml: &str) -> bool {
    let doc = parse_str(xml, &Limits::default()).expect("parses");
    let assertion = element_by_id(&doc, "_a1").expect("assertion");
    verify(assertion, certs, &Policy::default()).is_ok()
}

fn sign_response(s: &Setup) -> bool {
    sign(&s.unsigned, "_a1", &s.key, &SignOptions::default()).is_ok()
}

fn bench(c: &mut Criterion, s: &Setup) {
    let mut group = c.benchmark_group("xmldsig");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_rsa2048_verify", |b| {
        b.iter(|| black_box(raw_verify(&s.raw_public, &s.raw_signature)))
    });
    group.bench_function("verify_response_4k", |b| {
        b.iter(|| black_box(verify_response(&s.certs, &s.signed)))
    });
    group.bench_function("verify_response_6k", |b| {
        b.iter(|| black_box(verify_response(&s.certs, &s.signed_large)))
    });
    group.bench_function("parse_response_4k", |b| {
        b.iter(|| {
            black_box(parse_str(&s.signed, &Limits::default()).map(|d| d.descendants().count()))
        })
    });
    group.bench_function("raw_rsa2048_sign", |b| {
        b.iter(|| black_box(raw_sign(&s.raw_key)))
    });
    group.bench_function("sign_assertion_4k", |b| {
        b.iter(|| black_box(sign_response(s)))
    });
    group.finish();
}

const ROUNDS: usize = 5;
const SLICES: u32 = 20;
const ROUND: Duration = Duration::from_secs(1);

/// Rounds of one second per operation in which `ops` take turns in 50 ms slices, so that the
/// machine's noise (neighbours' bursts last from a fraction of a second to several) hits them
/// alike within a round. Per operation: the best round's rate, and the median over rounds of
/// its ratio to the first operation's rate in the same round.
fn interleaved<const N: usize>(ops: &mut [&mut dyn FnMut() -> bool; N]) -> [(f64, f64); N] {
    let mut best = [0.0f64; N];
    let mut ratios: [Vec<f64>; N] = std::array::from_fn(|_| Vec::new());
    for _ in 0..ROUNDS {
        let mut totals = [(0u64, Duration::ZERO); N];
        for _ in 0..SLICES {
            for (op, total) in ops.iter_mut().zip(totals.iter_mut()) {
                let start = Instant::now();
                while start.elapsed() < ROUND / SLICES {
                    assert!(op(), "the measured operation must succeed");
                    total.0 += 1;
                }
                total.1 += start.elapsed();
            }
        }
        let rates = totals.map(|(n, t)| n as f64 / t.as_secs_f64());
        for i in 0..N {
            best[i] = best[i].max(rates[i]);
            ratios[i].push(rates[i] / rates[0]);
        }
    }
    std::array::from_fn(|i| {
        let mut r = std::mem::take(&mut ratios[i]);
        r.sort_by(f64::total_cmp);
        (best[i], r[r.len() / 2])
    })
}

fn main() {
    let s = setup();
    assert!(
        verify_response(&s.certs, &s.signed),
        "benchmark document must verify"
    );
    assert!(
        verify_response(&s.certs, &s.signed_large),
        "benchmark document must verify"
    );
    let kb = |xml: &str| xml.len() as f64 / 1024.0;
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, &s);
    criterion.final_summary();

    let [(raw_v, _), (v, v_ratio), (v_large, v_large_ratio)] = interleaved(&mut [
        &mut || raw_verify(&s.raw_public, &s.raw_signature),
        &mut || verify_response(&s.certs, &s.signed),
        &mut || verify_response(&s.certs, &s.signed_large),
    ]);
    let [(raw_s, _), (sg, sg_ratio)] =
        interleaved(&mut [&mut || !raw_sign(&s.raw_key).is_empty(), &mut || {
            sign_response(&s)
        }]);
    println!(
        "\nsummary (one core; rates: best of {ROUNDS} rounds; ratios: median of the rounds' ratios, operations interleaved in 50 ms slices):"
    );
    println!("  raw OpenSSL RSA-2048 verify   : {raw_v:>8.0} /s");
    println!(
        "  verify {:.1} KB response (Okta) : {v:>8.0} /s, {v_ratio:.2} of raw verify (target >= 0.33)",
        kb(&s.signed),
    );
    println!(
        "  verify {:.1} KB response (+Entra claims, groups): {v_large:>8.0} /s, {v_large_ratio:.2} of raw verify",
        kb(&s.signed_large),
    );
    println!("  raw OpenSSL RSA-2048 sign     : {raw_s:>8.0} /s");
    println!(
        "  sign {:.1} KB response          : {sg:>8.0} /s, {sg_ratio:.2} of raw sign",
        kb(&s.signed),
    );
}
