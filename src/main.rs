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
static GLOBAL: Mimalloc = Mimalloc;

/// mimalloc's plain entry points wherever they already give the alignment asked for, its
/// aligned ones otherwise. Written here rather than taken from the `mimalloc` crate, whose
/// allocator sends every request to `mi_malloc_aligned`: in mimalloc 3 that takes an
/// over-allocating slow path whenever the size class has no free block at hand and its block
/// size is not a power of two (`alloc-aligned.c`), even for alignments of 8, which every block
/// has anyway (BENCHMARKS.md has the measurement).
struct Mimalloc;

/// Whether a plain mimalloc block of `size` bytes is always aligned to `align`. Blocks start at
/// 16-byte aligned page areas (`MI_PAGE_MIN_START_BLOCK_ALIGN`) and are multiples of 8 bytes in
/// size, and of 16 from 16 bytes up when the size asked for is a multiple of 16.
fn plain_block_aligned(size: usize, align: usize) -> bool {
    align <= 8 || (align == 16 && size.is_multiple_of(16))
}

// SAFETY: every entry point forwards to mimalloc with the size and alignment of the layout;
// `plain_block_aligned` only picks the plain ones where their blocks meet the alignment, and
// `mi_free`/`mi_realloc` accept blocks from either family.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if plain_block_aligned(layout.size(), layout.align()) {
                libmimalloc_sys::mi_malloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: see the impl.
        unsafe {
            if plain_block_aligned(layout.size(), layout.align()) {
                libmimalloc_sys::mi_zalloc(layout.size()).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: see the impl; `ptr` came from this allocator with `layout`.
        unsafe {
            if plain_block_aligned(new_size, layout.align()) {
                libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

/// Returns freed memory to the system at once rather than after mimalloc's default second:
/// peak memory then follows what tlstrace holds, and stays steady under floods instead of
/// depending on when a purge happened to run.
fn configure_allocator() {
    // `mi_option_purge_delay` in mimalloc's option enum (libmimalloc-sys does not name it; the
    // same index in mimalloc 2 and 3, whose `mimalloc.h` lists it after `eager_commit_delay`).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets a process-wide option before any other thread exists; mimalloc documents
    // options as settable at any time, and reads this one at each purge.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    /// Every layout gets a block aligned as asked, whichever entry point serves it, and keeps
    /// its bytes through a reallocation.
    #[test]
    fn blocks_are_aligned_as_asked() {
        let alloc = super::Mimalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..600).chain([1000, 1024, 4000, 4096, 10_000, 70_000, 1 << 20]) {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // SAFETY: a non-zero-sized layout; the block is freed with the same layout.
                unsafe {
                    let p = alloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xa5, size);
                    let grown = alloc.realloc(p, layout, size * 2 + 8);
                    assert_eq!(grown as usize % align, 0, "realloc: size {size} align {align}");
                    assert_eq!(*grown.add(size - 1), 0xa5);
                    alloc.dealloc(grown, Layout::from_size_align(size * 2 + 8, align).unwrap());
                    let z = alloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed: size {size} align {align}");
                    assert_eq!(*z.add(size - 1), 0);
                    alloc.dealloc(z, layout);
                }
            }
        }
    }
}
