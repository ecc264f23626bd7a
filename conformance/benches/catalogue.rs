//! The whole catalogue's wall time, as `conformance run` spends it once built: the in-process SP
//! started on a fresh SQLite file, its teams made, every scenario run and the report rendered.
//! Runs the catalogue `SSOLAB_CATALOGUE_RUNS` times (default 5) and prints each run's time and the
//! median; a run in which any scenario does not pass is an error (a fast wrong answer is not a
//! figure). Target: under 10 s on 2 cores. Figures go into docs/PERFORMANCE.md.
//!
//! Run with `cargo bench -p conformance --bench catalogue`.

use conformance::inprocess::InProcess;
use conformance::report::{self, Format};
use conformance::runner;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

fn main() {
    let runs: usize = std::env::var("SSOLAB_CATALOGUE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let scenarios = conformance::catalogue::all();
    println!(
        "catalogue: {} scenarios, {} runs, {} cores",
        scenarios.len(),
        runs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for run in 1..=runs {
        let started = Instant::now();
        let report = runtime.block_on(async {
            let sp = InProcess::start(None, OffsetDateTime::now_utc())
                .await
                .expect("the in-process sp starts");
            sp.prepare(&scenarios).await.expect("teams are made");
            runner::run(&sp, &scenarios, None, String::new(), &mut |_| {}).await
        });
        let text = report::render(&report, Format::Text);
        let elapsed = started.elapsed();
        assert_eq!(
            report.summary.passed, report.summary.total,
            "run {run}: not every scenario passed:\n{text}"
        );
        println!(
            "run {run}: {:.2} s ({} scenarios passed; runner's own count {:.2} s)",
            elapsed.as_secs_f64(),
            report.summary.passed,
            report.summary.ms as f64 / 1000.0
        );
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "median wall time: {:.2} s (min {:.2} s, max {:.2} s); target < 10 s",
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    );
}
