//! Every layer between a source and a sink, on one thread: the first layer ([`Front`]: link,
//! IP, fragments) and the rest ([`Back`]: TCP flows, TLS connections, the capture clock).
//! With a worker thread the two halves run on different threads (see [`super::worker`]).

use crate::conn::events::{Event, LinkTypeCount, SummaryEvent};
use crate::conn::{ConnTracker, PacketContext};
use crate::dtls::{DtlsConfig, DtlsTable};
use crate::net::{NetConfig, NetDecoder, NetError, NetOutcome, TcpSegment, UdpDatagram};
use crate::quic::{QuicConfig, QuicTable};
use crate::source::Packet;
use crate::tcp::FlowTable;
use crate::time::Timestamp;
use std::collections::BTreeMap;

use super::PipelineConfig;

#[derive(Debug, Default)]
struct SkippedLinks {
    counts: BTreeMap<u32, u64>,
}

/// What the first layer hands on.
pub(super) enum Transport<'a> {
    Tcp(TcpSegment<'a>),
    Udp(UdpDatagram<'a>),
}

/// The first layer (link and IP decoding, fragment reassembly) with the counters it keeps: on
/// the reader's thread with `parallel`, inside [`Stages`] otherwise.
pub(super) struct Front {
    net: NetDecoder,
    packets: u64,
    bytes: u64,
    malformed_packets: u64,
    non_tcp_packets: u64,
    skipped: SkippedLinks,
    /// Link types to report once on stderr (drained by the caller).
    pub(super) new_unsupported_links: Vec<u32>,
}

impl Front {
    pub(super) fn new(cfg: NetConfig) -> Self {
        Front {
            net: NetDecoder::new(cfg),
            packets: 0,
            bytes: 0,
            malformed_packets: 0,
            non_tcp_packets: 0,
            skipped: SkippedLinks::default(),
            new_unsupported_links: Vec::new(),
        }
    }

    /// Counts one captured packet and decodes it down to TCP or UDP: the segment or datagram,
    /// or None for anything else (counted by kind).
    pub(super) fn decode<'a>(&'a mut self, pkt: &Packet<'a>) -> Option<Transport<'a>> {
        self.packets += 1;
        self.bytes += pkt.data.len() as u64;
        match self.net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            Ok(NetOutcome::Tcp(seg)) => return Some(Transport::Tcp(seg)),
            Ok(NetOutcome::Udp(d)) => {
                // Still not TCP for the summary's count; QUIC may be inside.
                self.non_tcp_packets += 1;
                return Some(Transport::Udp(d));
            }
            Ok(NetOutcome::NotTcp) => self.non_tcp_packets += 1,
            Ok(NetOutcome::FragmentHeld) => {}
            Err(NetError::UnsupportedLink(lt)) => {
                let count = self.skipped.counts.entry(lt).or_insert(0);
                if *count == 0 {
                    self.new_unsupported_links.push(lt);
                }
                *count += 1;
            }
            Err(NetError::Malformed(_)) => self.malformed_packets += 1,
        }
        None
    }

    /// Its counters written into a summary.
    pub(super) fn fill(&self, summary: &mut SummaryEvent) {
        summary.packets = self.packets;
        summary.bytes = self.bytes;
        summary.malformed_packets = self.malformed_packets;
        summary.non_tcp_packets = self.non_tcp_packets;
        summary.evictions.fragments = self.net.stats().fragment_datagrams_evicted;
        summary.skipped_link_types =
            self.skipped.counts.iter().map(|(&linktype, &packets)| LinkTypeCount { linktype, packets }).collect();
    }
}

/// Everything after the first layer: TCP flows, TLS connections, and the capture clock that
/// expires idle flows.
pub(super) struct Back {
    flows: FlowTable,
    quic: QuicTable,
    dtls: DtlsTable,
    pub(super) conns: ConnTracker,
    last_expire_secs: Option<i64>,
    now: Timestamp,
    last_frame: u64,
    /// The TLS buffers' share of the memory budget.
    tls_buffers_limit: usize,
}

impl Back {
    /// One packet past the first layer (`seg` is None when it was not TCP: it still moves the
    /// clock).
    pub(super) fn packet(&mut self, seg: Option<&TcpSegment<'_>>, ctx: PacketContext) {
        if ctx.ts > self.now {
            self.now = ctx.ts;
        }
        self.last_frame = ctx.frame;
        if let Some(seg) = seg {
            let conns = &mut self.conns;
            self.flows.process(seg, ctx.ts, &mut |ev| conns.on_stream_event(ev.into(), ctx));
            if self.conns.tls_buffers_over_limit() {
                self.evict_tls_buffers(ctx);
            }
        }
        self.maybe_expire(ctx);
    }

    /// One UDP datagram: QUIC connections' packets and DTLS records go to the connection layer.
    pub(super) fn datagram(&mut self, d: &UdpDatagram<'_>, ctx: PacketContext) {
        if ctx.ts > self.now {
            self.now = ctx.ts;
        }
        self.last_frame = ctx.frame;
        let conns = &mut self.conns;
        // QUIC first: its long header sets the top bit, which no DTLS content type (20-25) has;
        // the rest is DTLS when it starts like a DTLS record, else QUIC's (short headers).
        let quic_long_header = d.payload.first().is_some_and(|b| b & 0x80 != 0);
        // DTLS 1.3's unified header (001xxxxx) is taken only on a connection known from its hellos.
        let unified = d.payload.first().is_some_and(|&b| crate::dtls::is_unified_header(b)) && self.dtls.knows(d);
        if !quic_long_header && (crate::dtls::looks_like_dtls(d.payload) || unified) {
            self.dtls.datagram(d, ctx.ts, &mut |ev| conns.on_dtls_event(ev, ctx));
        } else {
            self.quic.datagram(d, ctx.ts, &mut conns.quic_input(ctx));
        }
        self.maybe_expire(ctx);
    }

    /// Closes the least recently active flows holding TLS buffers until those are back under
    /// seven eighths of their share (the margin spares a walk of the flow list per packet).
    fn evict_tls_buffers(&mut self, ctx: PacketContext) {
        let target = self.tls_buffers_limit / 8 * 7;
        let victims = self.conns.tls_buffer_victims(self.flows.least_recent(), target);
        let conns = &mut self.conns;
        self.flows.evict_for_memory(&victims, &mut |ev| conns.on_stream_event(ev.into(), ctx));
    }

    /// Idle flows are closed on capture time, checked at most once per capture second.
    fn maybe_expire(&mut self, ctx: PacketContext) {
        let secs = self.now.secs;
        if self.last_expire_secs.is_some_and(|last| secs <= last) {
            return;
        }
        self.last_expire_secs = Some(secs);
        let conns = &mut self.conns;
        self.flows.expire(self.now, &mut |ev| conns.on_stream_event(ev.into(), ctx));
    }

    /// Advances capture time without a packet (live capture while the wire is idle), so idle
    /// flows still expire on time.
    pub(super) fn advance_clock(&mut self, now: Timestamp) {
        if now > self.now {
            self.now = now;
        }
        self.maybe_expire(PacketContext { ts: self.now, frame: self.last_frame });
    }

    /// End of input: flushes every flow.
    pub(super) fn finish(&mut self) {
        let ctx = PacketContext { ts: self.now, frame: self.last_frame };
        let conns = &mut self.conns;
        self.flows.finish(&mut |ev| conns.on_stream_event(ev.into(), ctx));
        self.quic.finish(&mut conns.quic_input(ctx));
        self.dtls.finish(&mut |ev| conns.on_dtls_event(ev, ctx));
        self.conns.finish();
    }
}

/// Every layer between a source and a sink, on one thread.
pub(super) struct Stages {
    pub(super) front: Front,
    pub(super) back: Back,
    certs_enabled: bool,
    memory_limit: usize,
}

impl Stages {
    pub(super) fn new(cfg: PipelineConfig) -> Self {
        let budget = cfg.budget;
        let flows = budget.flow_config(&cfg.flows);
        let mut conns = ConnTracker::with_capacity(flows.max_flows);
        conns.shared.skip_roles = !cfg.output.roles;
        conns.shared.keep_bytes = cfg.output.bytes;
        conns.shared.tls_buffers_limit = Some(budget.share(crate::budget::Part::TlsBuffers));
        Stages {
            front: Front::new(budget.net_config(&cfg.net)),
            back: Back {
                quic: QuicTable::new(budget.quic_config(&QuicConfig::default(), flows.idle_timeout_secs)),
                dtls: DtlsTable::new(budget.dtls_config(&DtlsConfig::default(), flows.idle_timeout_secs)),
                flows: FlowTable::new(flows),
                conns,
                last_expire_secs: None,
                now: Timestamp::default(),
                last_frame: 0,
                tls_buffers_limit: budget.share(crate::budget::Part::TlsBuffers),
            },
            memory_limit: budget.total(),
            certs_enabled: false,
        }
    }

    /// Feeds one captured packet.
    pub(super) fn process(&mut self, pkt: Packet<'_>) {
        let ctx = PacketContext { ts: pkt.ts, frame: pkt.frame };
        match self.front.decode(&pkt) {
            Some(Transport::Tcp(seg)) => self.back.packet(Some(&seg), ctx),
            Some(Transport::Udp(d)) => self.back.datagram(&d, ctx),
            None => self.back.packet(None, ctx),
        }
    }

    /// `--certs DIR`: write every certificate seen as PEM, named by fingerprint.
    pub(super) fn write_certificates_to(&mut self, dir: std::path::PathBuf) {
        self.certs_enabled = true;
        self.back.conns.write_certificates_to(dir);
    }

    /// The key log is still being written (live capture): hold a connection's records briefly
    /// when its secrets are not there yet.
    pub(super) fn wait_for_keys(&mut self, yes: bool) {
        self.back.conns.shared.wait_for_keys = yes;
        self.back.quic.wait_for_keys(yes);
        if yes {
            self.back.conns.enable_decryption();
        }
    }

    /// Replays held records whose secrets arrived; `now` is the current capture time.
    pub(super) fn release_held_records(&mut self, now: Timestamp) {
        let ctx = PacketContext { ts: now, frame: self.back.last_frame };
        self.back.quic.release_held(now, &mut self.back.conns.quic_input(ctx));
        self.back.conns.release_held_records(now);
    }

    /// Show up to `limit` bytes of decrypted application data in message events.
    pub(super) fn show_data(&mut self, limit: Option<usize>) {
        self.back.conns.shared.show_data = limit;
    }

    /// Events produced so far, in order.
    pub(super) fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.back.conns.drain_events()
    }

    /// Unsupported link types seen for the first time since the last call.
    pub(super) fn take_new_unsupported_links(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.front.new_unsupported_links)
    }

    pub(super) fn summary(&self) -> SummaryEvent {
        let s = self.back.conns.stats();
        let t = self.back.flows.stats();
        let mut summary = SummaryEvent {
            packets: 0,
            bytes: 0,
            connections: s.flows,
            dtls_connections: s.dtls_flows,
            tls_connections: s.tls_connections,
            unconfirmed_connections: s.unconfirmed_connections,
            messages: s.messages,
            gaps: s.gaps,
            gap_bytes: s.gap_bytes,
            malformed_packets: 0,
            non_tcp_packets: 0,
            skipped_link_types: Vec::new(),
            malformed_messages: s.malformed_messages,
            evicted_connections: s.evicted.max(t.flows_evicted),
            evicted_flows: s.evicted_flows,
            evicted_flows_unlisted: s.evicted_flows_unlisted,
            gap_bytes_by_cause: s.gap_bytes_by_cause.clone(),
            input_error: None,
            kernel: None,
            quic: Some(self.back.quic.stats().clone()).filter(|q| q.connections > 0),
            dtls: Some(self.back.dtls.stats().clone()).filter(|d| d.connections > 0),
            decryption: self.back.conns.decrypt_stats(),
            key_log: self.back.conns.shared.keys.key_log_summary(),
            rsa_keys: self.back.conns.rsa_key_uses(),
            handshakes: s.handshakes.clone(),
            certificates_written: self.certs_enabled.then_some(s.certificates_written),
            certificate_error: self.back.conns.certificate_error(),
            memory_limit: self.memory_limit as u64,
            evictions: crate::budget::Evictions {
                flows: t.flows_evicted,
                reassembly: t.reassembly_evictions,
                tls_buffers: t.flows_evicted_for_memory,
                fragments: 0,
                caches: crate::budget::cache_evictions(),
            },
        };
        self.front.fill(&mut summary);
        summary
    }
}
