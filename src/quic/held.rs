//! Packets held while a connection's secrets are awaited from a key log still being written
//! (`tlstrace capture --keylog`, a browser's SSLKEYLOGFILE), as `conn::held` holds TCP's
//! records: a Handshake, 0-RTT or 1-RTT packet whose keys the key log has not delivered yet
//! waits, and every later packet of its connection queues behind it (so its events keep their
//! order). They are replayed in order, each with its own capture time and frame, as far as the
//! secrets have arrived; after [`HOLD_SECONDS`] of capture time, past the connection's byte
//! cap, on eviction or at the end of the capture the connection stops waiting: what is held is
//! handled as it is (sealed packets shown sealed), counted, and a note says why.

use super::{
    Conn, HANDSHAKE, MAX_ONE_RTT_OPENED, ONE_RTT, QuicEvent, QuicSink, QuicStats, handle_packet, index, packet,
    secret_of,
};
use crate::tcp::Side;
use crate::time::Timestamp;
use packet::{Framed, PacketType};
use std::collections::VecDeque;

/// How long (capture time) a connection waits for its secrets, as TCP's records do.
pub const HOLD_SECONDS: f64 = 10.0;

/// One packet (not a datagram: the packets before it in its datagram may have been handled).
struct HeldPacket {
    from: Side,
    bytes: Vec<u8>,
    ts: Timestamp,
    frame: u64,
}

/// What a held packet costs beside its bytes, counted against the caps (small packets would
/// otherwise cost several times what they count).
pub(super) const PACKET_OVERHEAD: usize = size_of::<HeldPacket>();

/// The memory a held packet of `len` bytes is charged.
fn cost(len: usize) -> usize {
    len.saturating_add(PACKET_OVERHEAD)
}

/// A connection's held packets (boxed in the connection: one pointer when nothing waits).
pub(super) struct Held {
    packets: VecDeque<HeldPacket>,
    /// The packets' bytes (as the give-up event says them), and what they are charged.
    bytes: usize,
    charged: usize,
    since: Timestamp,
}

/// Why a connection stopped waiting for its secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GiveUp {
    /// The secrets arrived: nothing is given up.
    No,
    TimedOut,
    OverCap,
    Evicted,
    CaptureEnd,
}

impl GiveUp {
    fn cause(self) -> &'static str {
        match self {
            GiveUp::No => "",
            GiveUp::TimedOut => "the key log did not bring their secrets within 10 s",
            GiveUp::OverCap => "they were over the bytes a connection, or all QUIC connections together, may hold",
            GiveUp::Evicted => "the connection was evicted from the full QUIC table",
            GiveUp::CaptureEnd => "the key log had not brought their secrets by the end of the capture",
        }
    }
}

/// The space a packet's keys belong to, when they come from the key log.
enum Needs {
    Nothing,
    Space(usize),
    Early,
}

fn needs(framed: &Framed<'_>) -> Needs {
    match framed {
        Framed::Short { .. } => Needs::Space(ONE_RTT),
        Framed::Long(p) => match p.ptype {
            Some(PacketType::Handshake) => Needs::Space(HANDSHAKE),
            Some(PacketType::ZeroRtt) => Needs::Early,
            _ => Needs::Nothing,
        },
    }
}

/// The packet would open with keys from secrets the key log does not have yet.
fn awaits_secrets(conn: &Conn, from: Side, framed: &Framed<'_>, out: &mut dyn QuicSink) -> bool {
    let d = index(from);
    let prot = conn.protected.as_deref();
    let have = match needs(framed) {
        Needs::Nothing => return false,
        // The server sends no 0-RTT packets: the QUIC layer leaves any such sealed.
        Needs::Early if from != Side::Initiator => return false,
        Needs::Early => prot.is_some_and(|p| p.early.is_some()),
        Needs::Space(space) => {
            // Past the first 1-RTT packets nothing is opened, so nothing is awaited.
            if space == ONE_RTT
                && prot.is_some_and(|p| p.one_rtt_opened.get(d).is_none_or(|n| *n >= MAX_ONE_RTT_OPENED))
            {
                return false;
            }
            prot.is_some_and(|p| p.keys.get(space).and_then(|k| k.get(d)).is_some_and(Option::is_some))
        }
    };
    if have {
        return false;
    }
    let Some(s) = out.secrets(conn.id) else { return true };
    let secret = match needs(framed) {
        Needs::Space(space) => secret_of(&s.secrets, space, from == Side::Initiator),
        _ => s.secrets.client_early.as_deref(),
    };
    secret.is_none()
}

/// The table's held packet bytes and their bounds.
pub(super) struct HoldBudget {
    pub(super) per_connection: usize,
    pub(super) total_max: usize,
    /// Bytes held now, all connections together.
    pub(super) total: usize,
    /// The CRYPTO reassembly cap packets are handled with.
    pub(super) crypto_cap: usize,
}

/// Holds the packet when its connection waits for secrets; false when it is to be handled now.
#[allow(clippy::too_many_arguments)] // one packet and where it goes; a struct would only rename them
pub(super) fn hold(
    conn: &mut Conn,
    stats: &mut QuicStats,
    budget: &mut HoldBudget,
    from: Side,
    framed: &Framed<'_>,
    bytes: &[u8],
    ts: Timestamp,
    out: &mut dyn QuicSink,
) -> bool {
    if conn.gave_up_waiting || (conn.held.is_none() && !awaits_secrets(conn, from, framed, out)) {
        return false;
    }
    let (charged, cost) = (conn.held.as_ref().map_or(0, |h| h.charged), cost(bytes.len()));
    if charged.saturating_add(cost) > budget.per_connection || budget.total.saturating_add(cost) > budget.total_max {
        // Over the cap: stop waiting, keep the order (this packet after the held ones).
        release(conn, stats, budget, ts, GiveUp::OverCap, out);
        return false;
    }
    budget.total = budget.total.saturating_add(cost);
    let frame = out.frame();
    let held =
        conn.held.get_or_insert_with(|| Box::new(Held { packets: VecDeque::new(), bytes: 0, charged: 0, since: ts }));
    held.bytes = held.bytes.saturating_add(bytes.len());
    held.charged = held.charged.saturating_add(cost);
    held.packets.push_back(HeldPacket { from, bytes: bytes.to_vec(), ts, frame });
    stats.packets_held = stats.packets_held.saturating_add(1);
    true
}

/// Replays held packets in order, as far as their secrets have arrived; all of them when
/// `give_up` says why the connection stops waiting (a note then says so). The sink is left on
/// the packet context it had.
pub(super) fn release(
    conn: &mut Conn,
    stats: &mut QuicStats,
    budget: &mut HoldBudget,
    now: Timestamp,
    give_up: GiveUp,
    out: &mut dyn QuicSink,
) {
    let Some(mut held) = conn.held.take() else { return };
    let give_up =
        if give_up == GiveUp::No && now.seconds_since(&held.since) > HOLD_SECONDS { GiveUp::TimedOut } else { give_up };
    let (count, bytes) = (held.packets.len(), held.bytes);
    let current = out.frame();
    while let Some(h) = held.packets.pop_front() {
        let Some((framed, _)) = packet::frame(&h.bytes) else { continue };
        if give_up == GiveUp::No && awaits_secrets(conn, h.from, &framed, out) {
            held.packets.push_front(h);
            break;
        }
        held.bytes = held.bytes.saturating_sub(h.bytes.len());
        held.charged = held.charged.saturating_sub(cost(h.bytes.len()));
        budget.total = budget.total.saturating_sub(cost(h.bytes.len()));
        out.set_packet(h.ts, h.frame);
        handle_packet(conn, stats, h.from, framed, budget.crypto_cap, out);
    }
    out.set_packet(now, current);
    if give_up != GiveUp::No {
        conn.gave_up_waiting = true;
        stats.packets_held_given_up = stats.packets_held_given_up.saturating_add(count as u64);
        out.event(QuicEvent::GaveUpWaiting { stream: conn.id, packets: count, bytes, cause: give_up.cause() });
    } else if !held.packets.is_empty() {
        conn.held = Some(held);
    }
}
