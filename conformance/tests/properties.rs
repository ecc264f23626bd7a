//! Property tests of the catalogue's rules, against the in-process SP over real HTTP:
//!
//! 1. a response built from any valid spec logs its user in, on its own team;
//! 2. any attack fault applied to any valid response logs nobody in (for the reading faults:
//!    never the victim);
//! 3. random Okta and Entra SCIM sequences, sent as mock-okta sends them, keep the SP's users
//!    equal to a model.
//!
//! "Valid" is DESIGN.md's contract for a correct SP, not whatever `sp` happens to accept, so a
//! failure here is a disagreement between the SP and the contract. Who logged in is read from
//! the session the SP's cookie names, not from the page: "accepted" alone would not tell a
//! login as the victim from a login as the attacker.
//!
//! One SP and one runtime serve every case of a property. Each SAML case posts a response
//! numbered apart from every other, so the replay cache never sees one twice; the SCIM cases
//! share a team per client profile, emptied before each case.

#[path = "support/props_saml.rs"]
mod props_saml;
#[path = "support/props_scim.rs"]
mod props_scim;

use conformance::inprocess::InProcess;
use props_saml::{ValidShape, attack, valid_shape};
use props_scim::scim_case;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;
use time::macros::datetime;

/// The SP's clock at the start (it then runs in real time), inside the fixture certificates'
/// validity.
const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

/// Cases per property: enough to meet every preset, placement and fault class several times,
/// few enough that each property runs in seconds.
const CASES: u32 = 48;

/// One in-process SP and the runtime it runs on, shared by every case of a property.
struct Lab {
    sp: InProcess,
    client: reqwest::Client,
    numbers: AtomicU64,
    /// Declared last so that it is dropped last: the SP's tasks and pool live on it.
    runtime: tokio::runtime::Runtime,
}

impl Lab {
    fn start() -> Lab {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let sp = runtime
            .block_on(InProcess::start(None, NOW))
            .unwrap_or_else(|e| panic!("the in-process SP did not start: {e}"));
        let client = mock_idp::post::client().expect("an HTTP client");
        Lab {
            sp,
            client,
            numbers: AtomicU64::new(1),
            runtime,
        }
    }

    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// A number no other case of this SP has used, for response and assertion IDs.
    fn next(&self) -> u64 {
        self.numbers.fetch_add(1, Ordering::Relaxed)
    }
}

/// Runs `test` on `cases` values of `strategy`; a failure panics with proptest's report: the
/// reason and the smallest input that still fails.
fn check_all<S: Strategy>(
    cases: u32,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        // Each shrinking step posts over HTTP: bounded, so that a failure reports in seconds.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(strategy, test) {
        panic!("{e}");
    }
}

#[test]
fn a_response_from_any_valid_spec_logs_its_user_in() {
    let lab = Lab::start();
    check_all(CASES, &valid_shape(), |shape: ValidShape| {
        lab.block_on(props_saml::logs_its_user_in(&lab, &shape))
    });
}

#[test]
fn any_attack_fault_on_any_valid_response_logs_nobody_in() {
    let lab = Lab::start();
    check_all(CASES, &attack(), |(shape, fault)| {
        lab.block_on(props_saml::logs_nobody_in(&lab, &shape, fault))
    });
}

#[test]
fn random_okta_scim_sequences_keep_the_sp_equal_to_a_model() {
    let lab = Lab::start();
    let teams = lab.block_on(props_scim::Teams::new(&lab.sp));
    check_all(CASES, &scim_case(), |case| {
        lab.block_on(props_scim::keeps_the_model(&teams, &case))
    });
}
