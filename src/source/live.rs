//! Live capture from a network interface (Linux `AF_PACKET`).
//!
//! Interfaces are listed and validated with `pnet_datalink::interfaces()`. The capture channel
//! itself is a small packet-socket reader written over `libc`, because pnet's datalink channel
//! (0.35) lacks what a faithful tracer needs:
//! - kernel timestamps: pnet returns bare bytes, so times would be taken in user space after
//!   queueing; here `SO_TIMESTAMPNS` gives the kernel's receive time to the nanosecond;
//! - a filter hook: pnet binds its socket to `ETH_P_ALL` before a filter could be attached, and
//!   has no `SO_ATTACH_FILTER`; here the socket is created with protocol 0 (receiving nothing),
//!   the BPF program is attached, and only then is it bound, so no unfiltered frame slips in;
//! - direction: pnet discards `sockaddr_ll`, so on `lo`, where every frame is seen once outgoing
//!   and once incoming, duplicates cannot be dropped (`sll_pkttype == PACKET_OUTGOING`);
//! - full-size frames: pnet reads into a fixed buffer without `MSG_TRUNC`, so a 64 KiB
//!   loopback/GRO frame is cut silently; here a 256 KiB buffer is used and `MSG_TRUNC` reports
//!   the real length, so a cut shows up as a gap rather than as corrupt data;
//! - drop counters: `PACKET_STATISTICS` and VLAN tags from `PACKET_AUXDATA`.
//!
//! Socket kinds: Ethernet and loopback interfaces are read with `SOCK_RAW` and produce
//! LINKTYPE_ETHERNET frames. `any` (and interfaces of other hardware types) are read with a
//! cooked `SOCK_DGRAM` socket, which hands out the network-layer packet at offset 0 plus a
//! `sockaddr_ll`; each frame gets a synthesized LINKTYPE_LINUX_SLL2 header from it, so frames of
//! mixed link types share one capture. The filter is compiled for the matching framing (see
//! `bpf`). Promiscuous mode is per interface and is not available on `any`.
//!
//! Reads time out after 200 ms so the caller gets control back while the wire is idle (signals,
//! `--duration`, flow expiry). Nothing here grows per packet: one receive buffer is allocated
//! when the capture opens.

pub mod bpf;
pub mod frame;
mod interfaces;

use super::Packet;
use crate::time::Timestamp;
use bpf::{FilterError, FilterSpec, Framing};
use frame::{HEADROOM, LINKTYPE_LINUX_SLL2, LinkInfo};
pub use interfaces::{InterfaceInfo, interfaces, linktype_name};
use std::io;
use std::mem::{MaybeUninit, size_of};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Default and largest snap length (what tcpdump uses).
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Receive buffer: loopback and GRO hand out frames up to 64 KiB, a few kernels more.
const FRAME_BUFFER: usize = 256 << 10;
/// Socket receive queue asked for (the kernel may grant less without privilege).
const SOCKET_QUEUE_BYTES: libc::c_int = 32 << 20;
/// How long one read waits for a frame.
pub const READ_TIMEOUT: Duration = Duration::from_millis(200);
/// ARPHRD_* values that carry Ethernet headers on a raw packet socket.
const ARPHRD_ETHER: u16 = libc::ARPHRD_ETHER;
const ARPHRD_LOOPBACK: u16 = libc::ARPHRD_LOOPBACK;
/// Name of the pseudo-interface capturing on all interfaces.
pub const ANY: &str = "any";

/// What to capture.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    pub interface: String,
    pub promiscuous: bool,
    /// Frames are cut to this many bytes (the pipeline sees the rest as a gap).
    pub snaplen: u32,
    pub filter: FilterSpec,
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("capturing needs root or CAP_NET_RAW")]
    Permission,
    #[error("no such interface '{}'", crate::escape::controls(name))]
    NoInterface { name: String, available: Vec<String> },
    /// The interface exists but is administratively down: nothing could arrive.
    #[error(
        "interface {} is down; bring it up first (ip link set {} up)",
        crate::escape::controls(name),
        crate::escape::controls(name)
    )]
    Down { name: String },
    #[error("{0}")]
    Filter(#[from] FilterError),
    #[error("{what}: {source}")]
    Os { what: String, source: io::Error },
}

fn os(what: impl Into<String>) -> impl FnOnce(io::Error) -> LiveError {
    let what = what.into();
    move |source| LiveError::Os { what, source }
}

/// Counters the kernel keeps for the socket (`PACKET_STATISTICS`), summed over the capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Frames that passed the filter, including those dropped (on `lo` every frame twice).
    pub received: u64,
    /// Frames the kernel dropped because the socket queue was full.
    pub dropped: u64,
}

/// Control-message space: a timespec and a tpacket_auxdata with their headers fit easily.
#[repr(C, align(8))]
struct ControlBuffer([u8; 256]);

/// An open capture on one interface (or on all of them).
pub struct LiveSource {
    fd: OwnedFd,
    name: String,
    linktype: u32,
    /// Packet at `buf[HEADROOM..]`; link headers are written in front of it.
    buf: Vec<u8>,
    control: Box<ControlBuffer>,
    snaplen: u32,
    frames: u64,
    kernel: KernelStats,
    /// Frames longer than the receive buffer (cut; the rest becomes a gap).
    cut_frames: u64,
}

/// A received frame, before it is handed out.
struct Received {
    /// Offset of the frame in `buf` and its captured length.
    start: usize,
    len: usize,
    orig_len: usize,
    ts: Timestamp,
}

impl LiveSource {
    /// Opens a capture. Errors: `NoInterface` for a name the system does not know, `Down` for
    /// an interface that is not up (as tcpdump: nothing would ever arrive), `Permission` without
    /// CAP_NET_RAW.
    pub fn open(cfg: &CaptureConfig) -> Result<LiveSource, LiveError> {
        let known = interfaces();
        let Some(iface) = known.iter().find(|i| i.name == cfg.interface) else {
            return Err(LiveError::NoInterface {
                name: cfg.interface.clone(),
                available: known.into_iter().map(|i| i.name).collect(),
            });
        };
        if !iface.up {
            return Err(LiveError::Down { name: cfg.interface.clone() });
        }
        let shown = crate::escape::controls(&cfg.interface);
        let cooked = iface.linktype == LINKTYPE_LINUX_SLL2;
        let ifindex = libc::c_int::try_from(iface.index)
            .map_err(|_| LiveError::NoInterface { name: cfg.interface.clone(), available: Vec::new() })?;
        let kind = if cooked { libc::SOCK_DGRAM } else { libc::SOCK_RAW };
        // Protocol 0: the socket receives nothing until bound, after the filter is in place.
        // SAFETY: plain system call with constant arguments.
        let raw = unsafe { libc::socket(libc::AF_PACKET, kind | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => LiveError::Permission,
                _ => LiveError::Os { what: "cannot open a packet socket".into(), source: e },
            });
        }
        // SAFETY: `raw` is a freshly created descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        // A deep queue rides out bursts; FORCE passes rmem_max when privileged.
        if set_option(&fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &SOCKET_QUEUE_BYTES).is_err() {
            let _ = set_option(&fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &SOCKET_QUEUE_BYTES);
        }
        let on: libc::c_int = 1;
        set_option(&fd, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &on).map_err(os("cannot enable kernel timestamps"))?;
        // VLAN tags stripped by the kernel come back through auxdata; capture works without.
        let _ = set_option(&fd, libc::SOL_PACKET, libc::PACKET_AUXDATA, &on);
        let timeout = libc::timeval { tv_sec: 0, tv_usec: READ_TIMEOUT.as_micros() as libc::suseconds_t };
        set_option(&fd, libc::SOL_SOCKET, libc::SO_RCVTIMEO, &timeout).map_err(os("cannot set a read timeout"))?;

        if !cfg.filter.is_empty() {
            let framing = if cooked { Framing::Cooked } else { Framing::Ethernet };
            let program = bpf::compile(&cfg.filter, framing, DEFAULT_SNAPLEN)?;
            attach_filter(&fd, &program).map_err(os("cannot attach the capture filter"))?;
        }

        // SAFETY: all-zero is a valid sockaddr_ll.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as libc::c_ushort;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = ifindex;
        // SAFETY: `addr` is a valid sockaddr_ll and its exact size is passed.
        let rc = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENODEV) {
                return Err(LiveError::NoInterface {
                    name: cfg.interface.clone(),
                    available: interfaces().into_iter().map(|i| i.name).collect(),
                });
            }
            return Err(LiveError::Os { what: format!("cannot bind to {shown}"), source: e });
        }

        if cfg.promiscuous && ifindex != 0 {
            // SAFETY: all-zero is a valid packet_mreq.
            let mut mreq: libc::packet_mreq = unsafe { std::mem::zeroed() };
            mreq.mr_ifindex = ifindex;
            mreq.mr_type = libc::PACKET_MR_PROMISC as libc::c_ushort;
            set_option(&fd, libc::SOL_PACKET, libc::PACKET_ADD_MEMBERSHIP, &mreq)
                .map_err(os(format!("cannot enable promiscuous mode on {shown} (try -p)")))?;
        }

        Ok(LiveSource {
            fd,
            name: cfg.interface.clone(),
            linktype: iface.linktype,
            buf: vec![0; HEADROOM + FRAME_BUFFER],
            control: Box::new(ControlBuffer([0; 256])),
            snaplen: cfg.snaplen.clamp(1, DEFAULT_SNAPLEN),
            frames: 0,
            kernel: KernelStats::default(),
            cut_frames: 0,
        })
    }

    /// Interface name as given.
    pub fn interface(&self) -> &str {
        &self.name
    }

    /// pcap link type of every frame this source hands out.
    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// Frames handed out so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames longer than the receive buffer.
    pub fn cut_frames(&self) -> u64 {
        self.cut_frames
    }

    /// Calls `f` with the next frame. With `wait`, blocks up to `READ_TIMEOUT` for one;
    /// without, returns at once. `Ok(None)`: nothing arrived (or a signal interrupted the wait).
    pub fn next_with<T>(&mut self, wait: bool, f: impl FnOnce(Packet<'_>) -> T) -> Result<Option<T>, LiveError> {
        loop {
            let Some(r) = self.receive(wait)? else {
                return Ok(None);
            };
            let Received { start, len, orig_len, ts } = r;
            let captured = len.min(self.snaplen as usize);
            let Some(data) = self.buf.get(start..start.saturating_add(captured)) else {
                continue;
            };
            self.frames = self.frames.saturating_add(1);
            let pkt = Packet {
                frame: self.frames,
                ts,
                linktype: self.linktype,
                data,
                orig_len: u32::try_from(orig_len).unwrap_or(u32::MAX),
            };
            return Ok(Some(f(pkt)));
        }
    }

    /// One `recvmsg`. Returns `None` on timeout or interruption; skips loopback's outgoing
    /// copies by returning `Some` only for frames to keep.
    fn receive(&mut self, wait: bool) -> Result<Option<Received>, LiveError> {
        loop {
            let Some(space) = self.buf.get_mut(HEADROOM..) else {
                return Ok(None);
            };
            let mut iov = libc::iovec { iov_base: space.as_mut_ptr().cast(), iov_len: space.len() };
            let mut from = MaybeUninit::<libc::sockaddr_ll>::zeroed();
            // SAFETY: all-zero is a valid msghdr.
            let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
            msg.msg_name = from.as_mut_ptr().cast();
            msg.msg_namelen = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = self.control.0.as_mut_ptr().cast();
            msg.msg_controllen = self.control.0.len() as _;
            let flags = libc::MSG_TRUNC | if wait { 0 } else { libc::MSG_DONTWAIT };
            // SAFETY: every pointer in `msg` refers to live buffers of the stated sizes.
            let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, flags) };
            if n < 0 {
                let e = io::Error::last_os_error();
                return match e.raw_os_error() {
                    Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(None),
                    Some(libc::ENETDOWN) => Err(LiveError::Os {
                        what: format!("interface {} went down", crate::escape::controls(&self.name)),
                        source: e,
                    }),
                    _ => Err(LiveError::Os { what: "capture read failed".into(), source: e }),
                };
            }
            // With MSG_TRUNC a packet socket returns the packet's full length.
            let full = n as usize;
            let space_len = iov.iov_len;
            let copied = full.min(space_len);
            if full > space_len {
                self.cut_frames = self.cut_frames.saturating_add(1);
            }
            // SAFETY: the kernel filled `from` (or left it zeroed, which is valid).
            let from = unsafe { from.assume_init() };
            let (ts, aux) = read_control(&msg);
            let info = link_info(&from);
            if info.pkttype == libc::PACKET_OUTGOING && info.hatype == ARPHRD_LOOPBACK {
                // The same frame comes back as incoming: keep that copy only.
                continue;
            }
            let ts = ts.unwrap_or_else(wall_clock);
            let received = if self.linktype == LINKTYPE_LINUX_SLL2 {
                match frame::write_sll2_header(&mut self.buf, &info) {
                    Some(start) => Received {
                        start,
                        len: copied.saturating_add(frame::SLL2_HEADER_LEN),
                        orig_len: full.saturating_add(frame::SLL2_HEADER_LEN),
                        ts,
                    },
                    None => continue,
                }
            } else {
                match aux.filter(|a| a.tp_status & libc::TP_STATUS_VLAN_VALID != 0) {
                    Some(a) => {
                        let tpid = if a.tp_status & libc::TP_STATUS_VLAN_TPID_VALID != 0 && a.tp_vlan_tpid != 0 {
                            a.tp_vlan_tpid
                        } else {
                            0x8100
                        };
                        match frame::insert_vlan_tag(&mut self.buf, copied, tpid, a.tp_vlan_tci) {
                            Some(start) => Received {
                                start,
                                len: copied.saturating_add(frame::VLAN_TAG_LEN),
                                orig_len: full.saturating_add(frame::VLAN_TAG_LEN),
                                ts,
                            },
                            None => Received { start: HEADROOM, len: copied, orig_len: full, ts },
                        }
                    }
                    None => Received { start: HEADROOM, len: copied, orig_len: full, ts },
                }
            };
            return Ok(Some(received));
        }
    }

    /// Kernel counters summed since the capture opened. The kernel resets its counters on every
    /// read, so this is called periodically (and at the end) to keep the sums whole.
    pub fn kernel_stats(&mut self) -> KernelStats {
        let mut stats = MaybeUninit::<libc::tpacket_stats>::zeroed();
        let mut len = size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `stats` has room for a tpacket_stats and `len` says so.
        let rc = unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                stats.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc == 0 {
            // SAFETY: zero-initialised and possibly filled by the kernel: valid either way.
            let s = unsafe { stats.assume_init() };
            self.kernel.received = self.kernel.received.saturating_add(u64::from(s.tp_packets));
            self.kernel.dropped = self.kernel.dropped.saturating_add(u64::from(s.tp_drops));
        }
        self.kernel
    }
}

/// The time now, as a capture timestamp (nanosecond precision): for frames the kernel did not
/// stamp, and for the capture clock while the wire is idle.
pub fn wall_clock() -> Timestamp {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp::new(i64::try_from(now.as_secs()).unwrap_or(i64::MAX), now.subsec_nanos(), 9)
}

fn link_info(from: &libc::sockaddr_ll) -> LinkInfo {
    let halen = from.sll_halen.min(8);
    let mut addr = [0u8; 8];
    for (dst, src) in addr.iter_mut().zip(from.sll_addr.iter()).take(usize::from(halen)) {
        *dst = *src;
    }
    LinkInfo {
        protocol: u16::from_be(from.sll_protocol),
        ifindex: from.sll_ifindex,
        hatype: from.sll_hatype,
        pkttype: from.sll_pkttype,
        halen,
        addr,
    }
}

/// Kernel receive time and auxdata from the control messages of one `recvmsg`.
fn read_control(msg: &libc::msghdr) -> (Option<Timestamp>, Option<libc::tpacket_auxdata>) {
    let mut ts = None;
    let mut aux = None;
    // SAFETY: `msg` was filled by recvmsg; the CMSG_* macros walk only within msg_controllen,
    // and payloads are read unaligned after checking their length.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            let hdr = std::ptr::read_unaligned(cmsg);
            let data = libc::CMSG_DATA(cmsg);
            let data_len = (hdr.cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize);
            if hdr.cmsg_level == libc::SOL_SOCKET
                && hdr.cmsg_type == libc::SCM_TIMESTAMPNS
                && data_len >= size_of::<libc::timespec>()
            {
                let t = std::ptr::read_unaligned(data.cast::<libc::timespec>());
                ts = Some(Timestamp::new(t.tv_sec, u32::try_from(t.tv_nsec).unwrap_or(0), 9));
            } else if hdr.cmsg_level == libc::SOL_PACKET
                && hdr.cmsg_type == libc::PACKET_AUXDATA
                && data_len >= size_of::<libc::tpacket_auxdata>()
            {
                aux = Some(std::ptr::read_unaligned(data.cast::<libc::tpacket_auxdata>()));
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    (ts, aux)
}

fn set_option<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live T and its exact size is passed.
    let rc = unsafe {
        libc::setsockopt(fd.as_raw_fd(), level, name, (value as *const T).cast(), size_of::<T>() as libc::socklen_t)
    };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

fn attach_filter(fd: &OwnedFd, program: &[bpf::Insn]) -> io::Result<()> {
    let mut insns: Vec<libc::sock_filter> =
        program.iter().map(|i| libc::sock_filter { code: i.code, jt: i.jt, jf: i.jf, k: i.k }).collect();
    let len = u16::try_from(insns.len()).map_err(|_| io::Error::other("filter program too long"))?;
    let prog = libc::sock_fprog { len, filter: insns.as_mut_ptr() };
    // The kernel copies the program during the call; `insns` outlives it.
    set_option(fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_interface_is_reported_with_the_known_ones() {
        let cfg = CaptureConfig {
            interface: "nosuch0".into(),
            promiscuous: false,
            snaplen: DEFAULT_SNAPLEN,
            filter: FilterSpec::default(),
        };
        match LiveSource::open(&cfg) {
            Err(LiveError::NoInterface { name, available }) => {
                assert_eq!(name, "nosuch0");
                assert!(available.iter().any(|n| n == "lo"), "{available:?}");
                assert!(available.iter().any(|n| n == ANY));
            }
            other => panic!("expected NoInterface, got {:?}", other.map(|_| ())),
        }
    }

    /// Real capture on `lo` when privileged: frames sent to a local UDP port come back once
    /// each (outgoing duplicates dropped), with kernel timestamps inside the sending window.
    #[test]
    fn loopback_capture_when_privileged() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("live loopback test SKIPPED: not root");
            return;
        }
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = receiver.local_addr().unwrap().port();
        let cfg =
            CaptureConfig { interface: "lo".into(), promiscuous: false, snaplen: 100, filter: FilterSpec::default() };
        let mut src = LiveSource::open(&cfg).unwrap();
        let before = wall_clock();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let payload = vec![0x5a; 3000];
        for _ in 0..3 {
            sender.send_to(&payload, ("127.0.0.1", port)).unwrap();
        }
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while seen.len() < 3 && std::time::Instant::now() < deadline {
            let got = src
                .next_with(true, |p| {
                    let d = p.data;
                    let is_ours = p.linktype == 1
                        && d.len() >= 42
                        && d[12..14] == [8, 0]
                        && d[23] == 17
                        && u16::from_be_bytes([d[36], d[37]]) == port;
                    is_ours.then_some((p.ts, d.len(), p.orig_len))
                })
                .unwrap();
            if let Some(Some(x)) = got {
                seen.push(x);
            }
        }
        let after = wall_clock();
        assert_eq!(seen.len(), 3, "each datagram once");
        for (ts, len, orig) in seen {
            assert_eq!(ts.digits, 9);
            assert!(ts >= before && ts <= after, "{ts} not in {before}..{after}");
            assert_eq!(len, 100, "snaplen");
            assert_eq!(orig, 14 + 20 + 8 + 3000);
        }
        // Nothing more from us: a non-waiting read finds no duplicate.
        let extra = src.next_with(false, |p| p.data.get(36..38).map(|b| u16::from_be_bytes([b[0], b[1]]))).unwrap();
        assert_ne!(extra, Some(Some(port)));
        let k = src.kernel_stats();
        assert!(k.received >= 6, "the kernel counts both copies: {k:?}");
    }

    /// The compiled filter attached to a real socket on `lo`: the kernel accepts the program,
    /// passes TCP to the port and holds back UDP to the same port and TCP to other ports.
    #[test]
    fn kernel_runs_the_compiled_filter_when_privileged() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("live filter test SKIPPED: not root");
            return;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let cfg = CaptureConfig {
            interface: "lo".into(),
            promiscuous: true,
            snaplen: DEFAULT_SNAPLEN,
            filter: FilterSpec { ports: vec![port], hosts: vec!["127.0.0.1".parse().unwrap()] },
        };
        let mut src = LiveSource::open(&cfg).unwrap();
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        // UDP to another port is filtered out; to the port it is kept (QUIC's transport).
        udp.send_to(b"not this port", other.local_addr().unwrap()).unwrap();
        udp.send_to(b"udp too", ("127.0.0.1", port)).unwrap();
        let _elsewhere = std::net::TcpStream::connect(other.local_addr().unwrap()).unwrap();
        let _ours = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < deadline && seen.len() < 4 {
            if let Some(p) = src.next_with(true, |p| p.data.to_vec()).unwrap() {
                seen.push(p);
            }
        }
        assert_eq!(seen.len(), 4, "the datagram to the port, then SYN, SYN-ACK, ACK of the connection to it");
        for f in &seen {
            let ports = [u16::from_be_bytes([f[34], f[35]]), u16::from_be_bytes([f[36], f[37]])];
            assert!(ports.contains(&port), "{ports:?} vs {port}");
        }
        assert_eq!(seen[0][23], 17, "first the UDP datagram");
        assert_eq!(&seen[0][42..], b"udp too");
        assert!(seen[1..].iter().all(|f| f[23] == 6), "then TCP only (no ICMP)");
        assert_eq!(seen[1][47] & 0x12, 0x02, "then the SYN");
    }

    /// `any`: a cooked socket, the filter compiled for cooked framing, SLL2 headers
    /// synthesized, and loopback's outgoing copies dropped.
    #[test]
    fn any_interface_gives_sll2_frames_when_privileged() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("live any-interface test SKIPPED: not root");
            return;
        }
        let listener = std::net::TcpListener::bind("[::1]:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cfg = CaptureConfig {
            interface: ANY.into(),
            promiscuous: true,
            snaplen: DEFAULT_SNAPLEN,
            filter: FilterSpec { ports: vec![port], hosts: vec![] },
        };
        let mut src = LiveSource::open(&cfg).unwrap();
        assert_eq!(src.linktype(), LINKTYPE_LINUX_SLL2);
        let _client = std::net::TcpStream::connect(("::1", port)).unwrap();
        let _accepted = listener.accept().unwrap();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < deadline && seen.len() < 4 {
            if let Some(p) = src.next_with(true, |p| (p.data.to_vec(), p.orig_len)).unwrap() {
                seen.push(p);
            }
        }
        assert_eq!(seen.len(), 3, "SYN, SYN-ACK, ACK, each once");
        for (f, orig) in &seen {
            assert_eq!(&f[0..2], &[0x86, 0xdd], "protocol: IPv6");
            assert_eq!(&f[8..10], &ARPHRD_LOOPBACK.to_be_bytes());
            assert_eq!(f[10], 0, "PACKET_HOST: the outgoing copy was dropped");
            assert_eq!(f[20] >> 4, 6, "IPv6 right after the 20-byte header");
            assert_eq!(f[20 + 6], 6, "TCP");
            assert_eq!(*orig as usize, f.len());
            let ports = [u16::from_be_bytes([f[60], f[61]]), u16::from_be_bytes([f[62], f[63]])];
            assert!(ports.contains(&port));
        }
    }

    /// Loopback hands out frames near 64 KiB: they arrive whole, not cut at some small buffer.
    #[test]
    fn jumbo_loopback_frames_arrive_whole_when_privileged() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("live jumbo-frame test SKIPPED: not root");
            return;
        }
        let receiver = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = receiver.local_addr().unwrap().port();
        let cfg = CaptureConfig {
            interface: "lo".into(),
            promiscuous: false,
            snaplen: DEFAULT_SNAPLEN,
            filter: FilterSpec::default(),
        };
        let mut src = LiveSource::open(&cfg).unwrap();
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sender.send_to(&vec![0x42; 60_000], ("127.0.0.1", port)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        let mut got = None;
        while got.is_none() && std::time::Instant::now() < deadline {
            got = src
                .next_with(true, |p| {
                    let d = p.data;
                    let ours = d.len() >= 42 && d[23] == 17 && u16::from_be_bytes([d[36], d[37]]) == port;
                    ours.then_some((d.len(), p.orig_len, d.last().copied()))
                })
                .unwrap()
                .flatten();
        }
        assert_eq!(got, Some((60_042, 60_042, Some(0x42))));
        assert_eq!(src.cut_frames(), 0);
    }
}
