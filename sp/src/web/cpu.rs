//! The bounded pool on which the SP parses, verifies and decrypts: never on the async workers,
//! so that a flood of costly posts queues here while `GET /login` and every other page stay
//! responsive. At most `workers` jobs run at once; a job that cannot start within `max_wait` is
//! refused as `busy` (503, Retry-After) instead of piling up without end.

use crate::saml::rejection::{Code, Rejection};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
    workers: usize,
    max_wait: Duration,
}

/// Why a job did not run to completion.
#[derive(Debug)]
pub enum PoolError {
    /// Every worker stayed busy for `max_wait`.
    Busy(Rejection),
    /// The job panicked (a bug): its detail is for the log.
    Panicked(String),
}

impl CpuPool {
    /// A pool of `workers` (at least one) that queues a job for at most `max_wait`.
    pub fn new(workers: usize, max_wait: Duration) -> CpuPool {
        let workers = workers.max(1);
        CpuPool {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            max_wait,
        }
    }

    /// One worker per core, ten seconds of queueing.
    pub fn per_core() -> CpuPool {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        CpuPool::new(cores, Duration::from_secs(10))
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `job` on a blocking thread once a worker is free.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit =
            match tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                // The semaphore is never closed; a timeout is the only way to get here.
                _ => {
                    return Err(PoolError::Busy(
                        Rejection::new(Code::Busy)
                            .expected(format!(
                                "a free worker within {} s ({} workers)",
                                self.max_wait.as_secs(),
                                self.workers
                            ))
                            .got("every worker busy"),
                    ));
                }
            };
        tokio::task::spawn_blocking(move || {
            let _held = permit;
            job()
        })
        .await
        .map_err(|e| PoolError::Panicked(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_refuses_as_busy_when_every_worker_stays_taken() {
        let pool = CpuPool::new(1, Duration::from_millis(50));
        assert_eq!(pool.run(|| 7).await.ok(), Some(7));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let blocker = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move || wait.recv().is_ok()).await })
        };
        // Let the blocker take the only worker.
        tokio::time::sleep(Duration::from_millis(10)).await;
        match pool.run(|| ()).await {
            Err(PoolError::Busy(r)) => assert_eq!(r.code, Code::Busy),
            other => panic!("expected busy, got {other:?}"),
        }
        release.send(()).expect("blocker waits");
        assert!(matches!(blocker.await, Ok(Ok(true))));
        // The worker is free again.
        assert_eq!(pool.run(|| 8).await.ok(), Some(8));
    }

    #[tokio::test]
    async fn a_panicking_job_is_reported_and_frees_its_worker() {
        let pool = CpuPool::new(1, Duration::from_millis(50));
        let result: Result<(), _> = pool.run(|| panic!("bug")).await;
        assert!(matches!(result, Err(PoolError::Panicked(_))));
        assert_eq!(pool.run(|| 1).await.ok(), Some(1));
    }
}
