//! How the output's work is shared between the threads: the worker prepares a share of the
//! events, adjusted so that both threads use the same CPU time.

use std::time::Duration;

/// Which events the worker prepares: a share out of [`SHARE_STEPS`] (half at first), raised
/// while the worker has used less CPU time than the reader over the last batches and lowered
/// while it has used more, so that the two threads end up equally busy. (Waiting times make a
/// poor signal: both threads wait for each other in turn, the reader while it reads ahead and
/// the worker while the reader writes.) Events are picked evenly at that rate. Who prepares an
/// event changes nothing in the output, only which thread spends the time.
pub(super) const SHARE_STEPS: u32 = 16;

/// Batches between two comparisons of the threads' CPU time.
const BALANCE_WINDOW: u32 = 8;

#[derive(Default)]
pub(super) struct Balance {
    share: u32,
    credit: u32,
    batches: u32,
    /// Both threads' CPU time at the last comparison.
    worker_cpu: Duration,
    reader_cpu: Duration,
}

impl Balance {
    /// Starting at `share` (half when not given).
    pub(super) fn new(share: Option<u32>) -> Self {
        Balance { share: share.unwrap_or(SHARE_STEPS / 2), ..Balance::default() }
    }

    /// After each batch, with the reader's CPU time as it last reported it.
    pub(super) fn after_batch(&mut self, reader_cpu: Duration) {
        self.batches += 1;
        if self.batches < BALANCE_WINDOW {
            return;
        }
        self.batches = 0;
        let worker_cpu = thread_cpu_time();
        let worker = worker_cpu.saturating_sub(self.worker_cpu);
        let reader = reader_cpu.saturating_sub(self.reader_cpu);
        self.worker_cpu = worker_cpu;
        self.reader_cpu = reader_cpu;
        if worker < reader {
            self.share = (self.share + 1).min(SHARE_STEPS);
        } else {
            self.share = self.share.saturating_sub(1);
        }
    }

    pub(super) fn take_next(&mut self) -> bool {
        self.credit += self.share;
        if self.credit >= SHARE_STEPS {
            self.credit -= SHARE_STEPS;
            true
        } else {
            false
        }
    }
}

/// CPU time the calling thread has used (zero if the system cannot say).
pub(super) fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec for the call to fill; the clock id is a constant.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(u64::try_from(ts.tv_sec).unwrap_or(0), u32::try_from(ts.tv_nsec).unwrap_or(0))
}
