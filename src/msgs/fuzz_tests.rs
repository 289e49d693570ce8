//! Hostile-input tests for every decoder: every truncation of every real message (the fixture
//! messages in tests/data/msgs), random bytes, random mutations of real messages and forged
//! length fields. Nothing may panic, and no single allocation may be driven by a length field
//! beyond the bytes actually present: a counting allocator records the largest allocation made
//! while decoding.

use super::extensions::{ExtContext, parse_extensions};
use super::tests::load;
use super::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct LargestAllocation;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed by this thread.
    static HELD: Cell<isize> = const { Cell::new(0) };
}

fn hold(n: isize) {
    let _ = HELD.try_with(|h| h.set(h.get() + n));
}

/// Heap bytes the calling thread holds (allocated minus freed since it started), to measure
/// what a structure costs.
pub(crate) fn heap_held() -> isize {
    HELD.with(Cell::get)
}

fn note(size: usize) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = TRACKING.try_with(|t| {
        if t.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

// SAFETY: forwards every call unchanged to the system allocator; only records sizes.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        hold(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        hold(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        hold(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        hold(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Largest single allocation made by `f`.
fn largest_allocation(f: impl FnOnce()) -> usize {
    LARGEST.with(|l| l.set(0));
    TRACKING.with(|t| t.set(true));
    f();
    TRACKING.with(|t| t.set(false));
    LARGEST.with(Cell::get)
}

/// What decoding `n` input bytes may allocate at once: output text (hex doubles the bytes,
/// JSON adds quoting and names) plus a fixed allowance for tables and small buffers. A
/// length field trusted beyond the input (up to 16 MiB for a 24-bit length) breaks it.
fn allowance(n: usize) -> usize {
    64 * 1024 + 16 * n
}

/// xorshift64*: deterministic, dependency-free randomness for reproducible failures.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const TYPES: [u8; 22] = [0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 13, 14, 15, 16, 20, 22, 24, 25, 67, 21, 23, 254];

fn contexts() -> Vec<DecodeContext> {
    let mut out = vec![DecodeContext::default()];
    for version in [0x0300, 0x0301, 0x0303, 0x0304, 0x7f12, 0xfeff, 0xfefd] {
        out.push(DecodeContext {
            version: Some(version),
            cipher_suite: Some(0xc02f),
            from_server: true,
            capture_time: Some(crate::time::Timestamp::new(1_600_000_000, 0, 6)),
            sni: Some("www.example.com".to_string()),
            certificate_type: None,
            // Not certificates: the OCSP judge must shrug off a chain that does not parse too.
            server_certificates: Some(Box::new(vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]])),
            ..Default::default()
        });
    }
    out.push(DecodeContext { version: Some(0x0304), certificate_type: Some(2), ..Default::default() });
    out
}

/// Decodes and serializes, checking the allocation bound.
fn exercise(msg_type: u8, body: &[u8], ctx: &DecodeContext) {
    let largest = largest_allocation(|| {
        let d = decode_handshake(msg_type, body, ctx);
        let json = serde_json::to_string(&d.body).unwrap_or_default();
        std::hint::black_box((json, d.error));
    });
    assert!(
        largest <= allowance(body.len()),
        "type {msg_type}, {} bytes, version {:?}: allocated {largest} at once",
        body.len(),
        ctx.version
    );
}

fn fixture_names() -> Vec<String> {
    let dir = format!("{}/tests/data/msgs", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".hex").map(str::to_string))
        .filter(|n| !n.ends_with("-alert"))
        .collect();
    names.sort();
    // The decoders must have real messages to chew on; an empty folder would pass silently.
    assert!(names.len() >= 50, "only {} messages in tests/data/msgs", names.len());
    names
}

#[test]
fn every_truncation_of_real_messages() {
    let contexts = contexts();
    for name in fixture_names() {
        let (msg_type, body) = load(&name);
        // Certificates are large: step through their truncations, but cover every length of
        // the first and last 300 bytes where the framing is.
        let step = if body.len() > 1200 { 7 } else { 1 };
        for len in 0..=body.len() {
            if step > 1 && len > 300 && len + 300 < body.len() && len % step != 0 {
                continue;
            }
            let prefix = &body[..len];
            for ctx in &contexts {
                exercise(msg_type, prefix, ctx);
            }
        }
    }
}

#[test]
fn random_bytes_for_every_decoder() {
    let contexts = contexts();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for &msg_type in &TYPES {
        for _ in 0..400 {
            let len = rng.below(300);
            let body = rng.bytes(len);
            let ctx = &contexts[rng.below(contexts.len())];
            exercise(msg_type, &body, ctx);
        }
    }
    for _ in 0..2000 {
        let len = rng.below(200);
        let body = rng.bytes(len);
        let ctxs = [
            ExtContext::ClientHello,
            ExtContext::ServerHello,
            ExtContext::HelloRetryRequest,
            ExtContext::EncryptedExtensions,
            ExtContext::Certificate,
            ExtContext::CertificateRequest,
            ExtContext::NewSessionTicket,
        ];
        let ext_ctx = ctxs[rng.below(ctxs.len())];
        // A valid extension header around random data, so every extension decoder sees it.
        let typ = [
            0u16, 1, 5, 10, 11, 13, 15, 16, 17, 18, 19, 20, 21, 27, 28, 35, 40, 41, 42, 43, 44, 45, 46, 47, 51, 54, 57,
            13172, 17513, 17613, 0xfe0d, 0xffa5, 0xff01,
        ][rng.below(33)];
        let mut block = typ.to_be_bytes().to_vec();
        block.extend_from_slice(&(body.len() as u16).to_be_bytes());
        block.extend_from_slice(&body);
        let largest = largest_allocation(|| {
            if let Ok(exts) = parse_extensions(&block, ext_ctx) {
                std::hint::black_box(serde_json::to_string(&exts).unwrap_or_default());
            }
        });
        assert!(largest <= allowance(block.len()), "extension {typ}: {largest}");
        assert_eq!(decode_alert(&body).is_some(), body.len() == 2);
    }
}

#[test]
fn mutations_of_real_messages() {
    let contexts = contexts();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for name in fixture_names() {
        let (msg_type, body) = load(&name);
        for _ in 0..60 {
            let mut mutated = body.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(mutated.len());
                if let Some(b) = mutated.get_mut(i) {
                    *b = match rng.below(3) {
                        0 => rng.next() as u8,
                        1 => 0xff,
                        _ => 0x00,
                    };
                }
            }
            let ctx = &contexts[rng.below(contexts.len())];
            exercise(msg_type, &mutated, ctx);
        }
    }
}

#[test]
fn forged_lengths_do_not_allocate() {
    // Every vector length set to its maximum over a few bytes of input.
    let cases: [(u8, &[u8]); 12] = [
        (1, &[3, 3, 0, 0]),
        (2, &[3, 3]),
        (11, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        (11, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        (12, &[3, 0, 23, 0xff]),
        (12, &[0xff, 0xff, 1]),
        (13, &[0xff, 1]),
        (4, &[0, 0, 0, 1, 0xff, 0xff]),
        (4, &[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff]),
        (16, &[0xff, 0xff]),
        (22, &[1, 0xff, 0xff, 0xff]),
        (25, &[0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (msg_type, body) in cases {
        for ctx in contexts() {
            let largest = largest_allocation(|| {
                std::hint::black_box(decode_handshake(msg_type, body, &ctx));
            });
            assert!(largest <= allowance(body.len()), "type {msg_type}: {largest}");
        }
    }
    // A QUIC transport parameter claiming a 2^62-byte value.
    let params = [0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    let block = [&[0u8, 57, 0, params.len() as u8][..], &params].concat();
    let exts = parse_extensions(&block, ExtContext::ClientHello).unwrap();
    assert_eq!(
        exts[0].body,
        super::extensions::ExtensionBody::Malformed {
            hex: hex::encode(params),
            malformed: "transport parameter value",
        }
    );
}

#[test]
fn the_allocation_probe_sees_allocations() {
    let largest = largest_allocation(|| {
        std::hint::black_box(Vec::<u8>::with_capacity(1 << 20));
    });
    assert!(largest >= 1 << 20);
    assert!(largest > allowance(0));
}
