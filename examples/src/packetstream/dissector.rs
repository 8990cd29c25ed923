//! The Wireshark dissector of cs.packetstream, generated from the layouts
//! by [`codec::wireshark`]: `packetstream-peer dissector --port PORT`.
//!
//! The header is a BSUInt (vlq) body length with no message id, so any
//! bytes look like a frame: the dissector is registered for the given
//! ports only, with no heuristic.

use codec::wireshark::{DissectHeader, Dissector, HeaderLua};

use super::wire::{PacketHeader, PacketStream};

impl DissectHeader for PacketHeader {
    /// A vlq length (at most 10 bytes) and no id.
    const LUA: HeaderLua = HeaderLua::Function(
        "  local v, n = vlq(tvb, off, off + avail)\n\
         \x20 if v == nil then\n\
         \x20   if avail >= 10 then return nil, 0 end\n\
         \x20   return nil, DESEGMENT_ONE_MORE_SEGMENT\n\
         \x20 end\n\
         \x20 return 0, n, v:tonumber()",
    );
}

/// The Lua script, registered for TCP `ports`.
///
/// ```
/// let lua = codec_examples::packetstream::dissector::lua(&[9999]);
/// assert!(lua.contains(r#"ProtoField.uint64("packetstream.Packet.flags""#));
/// assert!(!lua.contains("register_heuristic"));
/// ```
pub fn lua(ports: &[u16]) -> String {
    let d = Dissector::new("packetstream", "cs.packetstream").heuristic(false);
    ports
        .iter()
        .fold(d, |d, &p| d.port(p))
        .lua::<PacketStream>()
}
