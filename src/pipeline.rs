//! Wires the layers together: packets in, events out.

use crate::conn::events::{Event, LinkTypeCount, SummaryEvent};
use crate::conn::{ConnTracker, PacketContext};
use crate::net::{NetConfig, NetDecoder, NetError, NetOutcome};
use crate::source::Packet;
use crate::tcp::{FlowConfig, FlowTable};
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// Limits and knobs of one run.
#[derive(Clone, Debug, Default)]
pub struct PipelineConfig {
    pub net: NetConfig,
    pub flows: FlowConfig,
}

/// Link types met that are not supported, with a flag for "already reported".
#[derive(Debug, Default)]
struct SkippedLinks {
    counts: BTreeMap<u32, u64>,
}

/// The packet-to-event pipeline (everything between a source and a sink).
pub struct Pipeline {
    net: NetDecoder,
    flows: FlowTable,
    conns: ConnTracker,
    packets: u64,
    bytes: u64,
    malformed_packets: u64,
    non_tcp_packets: u64,
    skipped: SkippedLinks,
    /// Link types to report once on stderr (drained by the caller).
    new_unsupported_links: Vec<u32>,
    last_expire_secs: Option<i64>,
    now: Timestamp,
    last_frame: u64,
    certs_enabled: bool,
}

impl Pipeline {
    pub fn new(cfg: PipelineConfig) -> Self {
        Pipeline {
            net: NetDecoder::new(cfg.net),
            flows: FlowTable::new(cfg.flows),
            conns: ConnTracker::new(),
            packets: 0,
            bytes: 0,
            malformed_packets: 0,
            non_tcp_packets: 0,
            skipped: SkippedLinks::default(),
            new_unsupported_links: Vec::new(),
            last_expire_secs: None,
            now: Timestamp::default(),
            last_frame: 0,
            certs_enabled: false,
        }
    }

    /// Feeds one captured packet.
    pub fn process(&mut self, pkt: Packet<'_>) {
        self.packets += 1;
        self.bytes += pkt.data.len() as u64;
        if pkt.ts > self.now {
            self.now = pkt.ts;
        }
        self.last_frame = pkt.frame;
        let ctx = PacketContext { ts: pkt.ts, frame: pkt.frame };
        match self.net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            Ok(NetOutcome::Tcp(seg)) => {
                let conns = &mut self.conns;
                self.flows.process(&seg, pkt.ts, &mut |ev| conns.on_flow_event(ev, ctx));
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
        self.maybe_expire(ctx);
    }

    /// Idle flows are closed on capture time, checked at most once per capture second.
    fn maybe_expire(&mut self, ctx: PacketContext) {
        let secs = self.now.secs;
        if self.last_expire_secs.is_some_and(|last| secs <= last) {
            return;
        }
        self.last_expire_secs = Some(secs);
        let conns = &mut self.conns;
        self.flows.expire(self.now, &mut |ev| conns.on_flow_event(ev, PacketContext { ts: ctx.ts, frame: ctx.frame }));
    }

    /// Advances capture time without a packet (live capture while the wire is idle), so idle
    /// flows still expire on time.
    pub fn advance_clock(&mut self, now: Timestamp) {
        if now > self.now {
            self.now = now;
        }
        self.maybe_expire(PacketContext { ts: self.now, frame: self.last_frame });
    }

    /// End of input: flushes every flow.
    pub fn finish(&mut self) {
        let ctx = PacketContext { ts: self.now, frame: self.last_frame };
        let conns = &mut self.conns;
        self.flows.finish(&mut |ev| conns.on_flow_event(ev, ctx));
    }

    /// Adds key log text (a file, or a pcapng Decryption Secrets Block); returns the bad lines.
    /// The text is parsed here; the secrets go to the connection layer.
    pub fn add_key_log(&mut self, text: &[u8]) -> Vec<crate::crypto::KeyLogIssue> {
        let (log, issues) = crate::crypto::KeyLog::parse(text);
        self.conns.add_key_log(log);
        issues
    }

    /// `--certs DIR`: write every certificate seen as PEM, named by fingerprint.
    pub fn write_certificates_to(&mut self, dir: std::path::PathBuf) {
        self.certs_enabled = true;
        self.conns.write_certificates_to(dir);
    }

    /// The key log is still being written (live capture): hold a connection's records briefly
    /// when its secrets are not there yet.
    pub fn wait_for_keys(&mut self, yes: bool) {
        self.conns.shared.wait_for_keys = yes;
        if yes {
            self.conns.enable_decryption();
        }
    }

    /// Replays held records whose secrets arrived; `now` is the current capture time.
    pub fn release_held_records(&mut self, now: Timestamp) {
        self.conns.release_held_records(now);
    }

    /// Show up to `limit` bytes of decrypted application data in message events.
    pub fn show_data(&mut self, limit: Option<usize>) {
        self.conns.shared.show_data = limit;
    }

    /// Events produced so far, in order.
    pub fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.conns.drain_events()
    }

    /// Unsupported link types seen for the first time since the last call.
    pub fn take_new_unsupported_links(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.new_unsupported_links)
    }

    pub fn summary(&self) -> SummaryEvent {
        let s = self.conns.stats();
        let t = self.flows.stats();
        SummaryEvent {
            packets: self.packets,
            bytes: self.bytes,
            connections: s.flows,
            tls_connections: s.tls_connections,
            messages: s.messages,
            gaps: s.gaps,
            gap_bytes: s.gap_bytes,
            malformed_packets: self.malformed_packets,
            non_tcp_packets: self.non_tcp_packets,
            skipped_link_types: self
                .skipped
                .counts
                .iter()
                .map(|(&linktype, &packets)| LinkTypeCount { linktype, packets })
                .collect(),
            malformed_messages: s.malformed_messages,
            evicted_connections: s.evicted.max(t.flows_evicted),
            input_error: None,
            kernel: None,
            decryption: self.conns.decrypt_stats(),
            handshakes: s.handshakes.clone(),
            certificates_written: self.certs_enabled.then_some(s.certificates_written),
            certificate_error: self.conns.certificate_error(),
        }
    }
}
