//! The storage protocol: the striptease tutorial's four messages, byte for
//! byte, and the service's own messages from id 0x10 up.
//!
//! Every frame is a [`StdHeader`](codec::StdHeader) (u8 id, u16 big-endian
//! payload length) and a payload. Every request carries a `trans` byte that
//! its reply echoes, so requests can be pipelined and answered out of order.
//!
//! ```text
//! StoreRequest  0x01  trans u8 | name.len u8 | name | data.len u16 | data
//! StoreResponse 0x02  trans u8 | name.len u8 | name | status u8
//! FetchRequest  0x03  trans u8 | name.len u8 | name
//! FetchResponse 0x04  trans u8 | status u8 | name.len u8 | name | data.len u16 | data
//! ```
//!
//! The service's stats request (0x40) is answered by a list of named
//! counters (0x41):
//!
//! ```text
//! StatsRequest  0x40  trans u8
//! StatsResponse 0x41  trans u8 | status u8 | count u16 | count × (name.len u8 | name | value varint)
//! ```

use bytes::Bytes;
use codec::{Decode, Encode, Message, Protocol};

/// The largest payload a `StdHeader` frame carries.
pub const MAX_PAYLOAD: usize = u16::MAX as usize;

/// Bytes of value data sent per chunk in chunked transfers (a chunk
/// message stays well under one frame).
pub const CHUNK: usize = 60 * 1024;

/// The largest value the service stores: 1 GiB.
pub const MAX_VALUE: u64 = 1 << 30;

/// Outcome of a request (the tutorial's codes, plus the service's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[codec(repr = u8)]
pub enum Status {
    /// It worked.
    #[codec(id = 0x00)]
    Success,
    /// The database failed; nothing was changed.
    #[codec(id = 0x01)]
    Eio,
    /// No such key.
    #[codec(id = 0x02)]
    Ekey,
    /// The request is invalid (bad name, too large, unknown upload, ...).
    #[codec(id = 0x03)]
    Einval,
    /// The value changed during a chunked read; start again.
    #[codec(id = 0x04)]
    Echanged,
    /// Anything else went wrong (the tutorial's FAIL), including a value
    /// too large for a single `FetchResponse`.
    #[codec(id = 0xFF)]
    Fail,
    /// A status this version does not know.
    #[codec(other)]
    Other(u8),
}

/// Store `data` under `name` (tutorial 0x01).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x01, response = StoreResponse)]
pub struct StoreRequest {
    /// Transaction number, echoed by the reply.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// The value.
    #[codec(len = u16)]
    pub data: Vec<u8>,
}

/// Reply to [`StoreRequest`] (tutorial 0x02): sent only once the value is
/// durable.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x02)]
pub struct StoreResponse {
    /// The request's transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The request's key.
    #[codec(len = u8)]
    pub name: String,
    /// Outcome.
    pub status: Status,
}

/// Fetch the value of `name` (tutorial 0x03).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x03, response = FetchResponse)]
pub struct FetchRequest {
    /// Transaction number, echoed by the reply.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
}

/// Reply to [`FetchRequest`] (tutorial 0x04). A value too large for one
/// frame is answered `Fail` with no data: fetch it with [`GetChunk`]s.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x04)]
pub struct FetchResponse {
    /// The request's transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Outcome.
    pub status: Status,
    /// The request's key.
    #[codec(len = u8)]
    pub name: String,
    /// The value (empty unless `Success`): the stored buffer itself,
    /// shared, so the server sends it without copying it.
    #[codec(len = u16)]
    pub data: Bytes,
}

/// Delete `name` (0x10).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x10, response = DeleteResponse)]
pub struct DeleteRequest {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
}

/// Reply to [`DeleteRequest`] (0x11): `Success`, or `Ekey`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x11)]
pub struct DeleteResponse {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// Outcome.
    pub status: Status,
}

/// List keys starting with `prefix`, in order, after `after` (0x12).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x12, response = ListResponse)]
pub struct ListRequest {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Only keys starting with this.
    #[codec(len = u8)]
    pub prefix: String,
    /// Only keys after this one (the last key of the previous page; empty
    /// for the first page).
    #[codec(len = u8)]
    pub after: String,
    /// At most this many keys (the server may send fewer).
    pub limit: u16,
}

/// One key in a [`ListResponse`], with its value's size.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Entry {
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// Value length in bytes.
    #[codec(varint)]
    pub size: u64,
}

/// One page of keys (0x13).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x13)]
pub struct ListResponse {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Outcome.
    pub status: Status,
    /// More keys follow: ask again with `after` = the last key.
    pub more: bool,
    /// The keys, in order.
    #[codec(len = u16)]
    pub entries: Vec<Entry>,
}

/// Start (`watch = true`) or stop notifications for `name` (0x14).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x14, response = WatchResponse)]
pub struct WatchRequest {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Subscribe (true) or unsubscribe (false).
    pub watch: bool,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
}

/// Reply to [`WatchRequest`] (0x15).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x15)]
pub struct WatchResponse {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// Outcome.
    pub status: Status,
}

/// What happened to a watched key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[codec(repr = u8)]
pub enum ChangeKind {
    /// A new value was stored.
    Stored = 1,
    /// The key was deleted.
    Deleted = 2,
}

/// Pushed by the server to watchers after a change is committed (0x16);
/// has no `trans`: it answers no request.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x16)]
pub struct Changed {
    /// What happened.
    pub kind: ChangeKind,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// The commit's sequence number (increasing).
    #[codec(varint)]
    pub version: u64,
    /// The new value's size (0 when deleted).
    #[codec(varint)]
    pub size: u64,
}

/// Begin a chunked upload of `size` bytes to `name` (0x20).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x20, response = PutBeginResponse)]
pub struct PutBegin {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// Total value size.
    #[codec(varint)]
    pub size: u64,
}

/// Reply to [`PutBegin`] (0x21) with the upload's id.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x21)]
pub struct PutBeginResponse {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Outcome.
    pub status: Status,
    /// The upload to send chunks to.
    #[codec(varint)]
    pub upload: u64,
}

/// One chunk of an upload, at `offset` (0x22). Chunks may be pipelined.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x22, response = ChunkAck)]
pub struct PutChunk {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The upload.
    #[codec(varint)]
    pub upload: u64,
    /// Where the data goes in the value (a multiple of [`CHUNK`]).
    #[codec(varint)]
    pub offset: u64,
    /// The bytes ([`CHUNK`] bytes, fewer for the last chunk).
    #[codec(len = u16)]
    pub data: Vec<u8>,
}

/// Reply to [`PutChunk`] and [`PutAbort`] (0x23).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x23)]
pub struct ChunkAck {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Outcome.
    pub status: Status,
}

/// Make an upload the key's value, once every chunk has arrived (0x24).
/// Answered by a [`StoreResponse`] once durable.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x24, response = StoreResponse)]
pub struct PutCommit {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The upload.
    #[codec(varint)]
    pub upload: u64,
}

/// Abandon an upload (0x25), answered by a [`ChunkAck`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x25, response = ChunkAck)]
pub struct PutAbort {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The upload.
    #[codec(varint)]
    pub upload: u64,
}

/// Read `len` bytes of `name`'s value at `offset`, from the version
/// `version` (0: whatever is current) (0x26).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x26, response = GetChunkResponse)]
pub struct GetChunk {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// The key.
    #[codec(len = u8)]
    pub name: String,
    /// The version read so far (from the first reply); 0 for the first.
    #[codec(varint)]
    pub version: u64,
    /// Where to read (a multiple of [`CHUNK`]).
    #[codec(varint)]
    pub offset: u64,
}

/// Reply to [`GetChunk`] (0x27): the value's version and size, and up to
/// [`CHUNK`] bytes at the offset. `Echanged` when `version` is no longer
/// current.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x27)]
pub struct GetChunkResponse {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Outcome.
    pub status: Status,
    /// The value's version.
    #[codec(varint)]
    pub version: u64,
    /// The value's total size.
    #[codec(varint)]
    pub size: u64,
    /// The bytes (shared with the store, as [`FetchResponse::data`]).
    #[codec(len = u16)]
    pub data: Bytes,
}

/// The client's half of the access handshake (0x30).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x30)]
pub struct Hello {
    /// Protocol version the client speaks.
    pub version: u8,
    /// The shared secret (empty without one).
    #[codec(len = u8)]
    pub token: Vec<u8>,
}

/// The server's half of the handshake (0x31).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x31)]
pub struct Welcome {
    /// `Success`, or `Einval` for a wrong token or version.
    pub status: Status,
}

/// Ask for the server's counters, like Redis's `INFO` (0x40).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x40, response = StatsResponse)]
pub struct StatsRequest {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
}

/// One counter of a [`StatsResponse`]: a name and its value.
///
/// Names are `snake_case`; a per-message counter is `family.Message`
/// (`requests.FetchRequest`). The server's module
/// [`stats`](super::stats) lists them.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Stat {
    /// The counter's name.
    #[codec(len = u8)]
    pub name: String,
    /// Its value.
    #[codec(varint)]
    pub value: u64,
}

/// Reply to [`StatsRequest`] (0x41): the counters at one moment, in a
/// fixed order (server-wide first, then per message, then the engine's).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
#[codec(id = 0x41)]
pub struct StatsResponse {
    /// Transaction number.
    #[codec(tag)]
    pub trans: u8,
    /// Outcome (`Eio` when the database could not be measured).
    pub status: Status,
    /// The counters.
    #[codec(len = u16)]
    pub stats: Vec<Stat>,
}

/// Version spoken in [`Hello`].
pub const VERSION: u8 = 1;

/// Every message of the storage protocol.
///
/// The server implements the generated [`StorageService`]: one method per
/// `request` variant, answering the message's `response`.
#[derive(Debug, Clone, PartialEq, Eq, Protocol)]
#[codec(service = StorageService)]
#[allow(
    missing_docs,
    reason = "each variant is its message type, documented there"
)]
pub enum Storage {
    #[codec(request)]
    StoreRequest(StoreRequest),
    StoreResponse(StoreResponse),
    #[codec(request)]
    FetchRequest(FetchRequest),
    FetchResponse(FetchResponse),
    #[codec(request)]
    DeleteRequest(DeleteRequest),
    DeleteResponse(DeleteResponse),
    #[codec(request)]
    ListRequest(ListRequest),
    ListResponse(ListResponse),
    #[codec(request)]
    WatchRequest(WatchRequest),
    WatchResponse(WatchResponse),
    Changed(Changed),
    #[codec(request)]
    PutBegin(PutBegin),
    PutBeginResponse(PutBeginResponse),
    #[codec(request)]
    PutChunk(PutChunk),
    ChunkAck(ChunkAck),
    #[codec(request)]
    PutCommit(PutCommit),
    #[codec(request)]
    PutAbort(PutAbort),
    #[codec(request)]
    GetChunk(GetChunk),
    GetChunkResponse(GetChunkResponse),
    Hello(Hello),
    Welcome(Welcome),
    #[codec(request)]
    StatsRequest(StatsRequest),
    StatsResponse(StatsResponse),
}

/// Checks a key: 1 to 255 bytes of UTF-8 (the type guarantees UTF-8).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= u8::MAX as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::{Decode, Encode};

    #[test]
    fn tutorial_frames_are_byte_for_byte() {
        // 01 | 00 0C | 07 | 03 6B 65 79 | 00 05 68 65 6C 6C 6F
        let store = Storage::from(StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        });
        assert_eq!(
            store.to_bytes().unwrap(),
            [
                0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C,
                0x6F
            ]
        );
        // 02 | 00 06 | 07 | 03 6B 65 79 | 00
        let resp = Storage::from(StoreResponse {
            trans: 7,
            name: "key".into(),
            status: Status::Success,
        });
        assert_eq!(
            resp.to_bytes().unwrap(),
            [0x02, 0x00, 0x06, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00]
        );
        // 03 | 00 05 | 09 | 03 6B 65 79
        let fetch = Storage::from(FetchRequest {
            trans: 9,
            name: "key".into(),
        });
        assert_eq!(
            fetch.to_bytes().unwrap(),
            [0x03, 0x00, 0x05, 0x09, 0x03, 0x6B, 0x65, 0x79]
        );
        // 04 | 00 08 | 09 | 02 | 03 6B 65 79 | 00 00
        let missing = Storage::from(FetchResponse {
            trans: 9,
            status: Status::Ekey,
            name: "key".into(),
            data: Bytes::new(),
        });
        assert_eq!(
            missing.to_bytes().unwrap(),
            [0x04, 0x00, 0x08, 0x09, 0x02, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x00]
        );
        for frame in [store, resp, fetch, missing] {
            assert_eq!(
                Storage::from_bytes(&frame.to_bytes().unwrap()).unwrap(),
                frame
            );
        }
    }

    #[test]
    fn stats_frames() {
        // 40 | 00 01 | 05
        let req = Storage::from(StatsRequest { trans: 5 });
        assert_eq!(req.to_bytes().unwrap(), [0x40, 0x00, 0x01, 0x05]);
        // 41 | 00 0B | 05 | 00 | 00 01 | 04 6B 65 79 73 | AC 02 (300)
        let resp = Storage::from(StatsResponse {
            trans: 5,
            status: Status::Success,
            stats: vec![Stat {
                name: "keys".into(),
                value: 300,
            }],
        });
        assert_eq!(
            resp.to_bytes().unwrap(),
            [0x41, 0x00, 0x0B, 0x05, 0x00, 0x00, 0x01, 0x04, 0x6B, 0x65, 0x79, 0x73, 0xAC, 0x02]
        );
        for frame in [req, resp] {
            assert_eq!(
                Storage::from_bytes(&frame.to_bytes().unwrap()).unwrap(),
                frame
            );
        }
    }

    #[test]
    fn status_codes_are_the_tutorials() {
        for (status, byte) in [
            (Status::Success, 0u8),
            (Status::Eio, 1),
            (Status::Ekey, 2),
            (Status::Fail, 0xFF),
        ] {
            assert_eq!(status.to_bytes().unwrap(), [byte]);
        }
        assert_eq!(Status::from_bytes(&[0x42]).unwrap(), Status::Other(0x42));
    }

    #[test]
    fn the_largest_chunk_fits_one_frame() {
        let chunk = PutChunk {
            trans: 0,
            upload: u64::MAX,
            offset: MAX_VALUE,
            data: vec![0; CHUNK],
        };
        assert!(Storage::from(chunk).to_bytes().is_ok());
        let reply = GetChunkResponse {
            trans: 0,
            status: Status::Success,
            version: u64::MAX,
            size: MAX_VALUE,
            data: vec![0; CHUNK].into(),
        };
        assert!(Storage::from(reply).to_bytes().is_ok());
    }
}
