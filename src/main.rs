//! The `tlstrace` binary: everything lives in the library; this only sets the exit code.

fn main() {
    configure_allocator();
    // Decoders never panic on input by design; should a bug slip through anyway, the user gets
    // one line and a documented exit code, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
        let loc = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        tlstrace::cli::warn(&format!(
            "internal error{loc}: {} (please report this with the capture)",
            msg.unwrap_or("panic")
        ));
    }));
    let code = std::panic::catch_unwind(|| tlstrace::cli::main_with_args(std::env::args_os()))
        .unwrap_or(tlstrace::cli::exit::INTERNAL);
    std::process::exit(code);
}

/// mimalloc instead of glibc's malloc: decoding allocates many small short-lived objects, and
/// with the decoding thread every event is allocated on one thread and freed on the other,
/// which glibc serialises on an arena lock (BENCHMARKS.md has the measurements).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns freed memory to the system at once rather than after mimalloc's default second:
/// peak memory then follows what tlstrace holds (3-4 MB less on the benchmark workloads, and a
/// steady peak under floods instead of one that depended on when a purge happened to run).
fn configure_allocator() {
    // `mi_option_purge_delay` in mimalloc's option enum (libmimalloc-sys does not name it; the
    // same index in mimalloc 2 and 3, whose `mimalloc.h` lists it after `eager_commit_delay`).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets a process-wide option before any other thread exists; mimalloc documents
    // options as settable at any time, and reads this one at each purge.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}
