//! Where the detail of a connection comes from: its packets, read again from the capture file
//! when it can be read again, else from the frames kept in memory (standard input, gzip,
//! live capture) within a byte budget, the oldest dropped first.

use crate::source::Packet;
use crate::time::Timestamp;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A captured frame, owned.
#[derive(Clone, Debug)]
pub struct Frame {
    pub frame: u64,
    pub ts: Timestamp,
    pub linktype: u32,
    pub data: Box<[u8]>,
    pub orig_len: u32,
}

impl Frame {
    pub fn of(pkt: &Packet<'_>) -> Frame {
        Frame { frame: pkt.frame, ts: pkt.ts, linktype: pkt.linktype, data: pkt.data.into(), orig_len: pkt.orig_len }
    }

    pub fn packet(&self) -> Packet<'_> {
        Packet { frame: self.frame, ts: self.ts, linktype: self.linktype, data: &self.data, orig_len: self.orig_len }
    }
}

/// Bookkeeping per kept frame, besides its bytes.
const FRAME_OVERHEAD: usize = std::mem::size_of::<Frame>() + 16;

/// The most recent frames of a capture that cannot be read twice, within `limit` bytes.
#[derive(Debug)]
pub struct FrameRing {
    frames: VecDeque<Frame>,
    bytes: usize,
    limit: usize,
    /// Frames dropped to stay within the limit (the oldest).
    pub dropped: u64,
}

impl FrameRing {
    pub fn new(limit: usize) -> Self {
        FrameRing { frames: VecDeque::new(), bytes: 0, limit, dropped: 0 }
    }

    pub fn push(&mut self, pkt: &Packet<'_>) {
        let frame = Frame::of(pkt);
        self.bytes += frame.data.len() + FRAME_OVERHEAD;
        self.frames.push_back(frame);
        while self.bytes > self.limit {
            let Some(old) = self.frames.pop_front() else { break };
            self.bytes -= old.data.len() + FRAME_OVERHEAD;
            self.dropped += 1;
        }
    }

    /// The first frame still kept (None when none is).
    pub fn first_kept(&self) -> Option<u64> {
        self.frames.front().map(|f| f.frame)
    }

    /// Hands the kept frames from `first` on to `each` until it breaks.
    pub fn each_from(&self, first: u64, each: &mut dyn FnMut(Packet<'_>) -> std::ops::ControlFlow<()>) {
        let start = self.frames.partition_point(|f| f.frame < first);
        for f in self.frames.range(start..) {
            if each(f.packet()).is_break() {
                break;
            }
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Where a connection's packets are read again from.
#[derive(Clone, Debug)]
pub enum PacketOrigin {
    /// A capture file that is not compressed: read again from where the connection starts.
    File(String),
    /// Frames kept in memory.
    Kept(Arc<Mutex<FrameRing>>),
}
