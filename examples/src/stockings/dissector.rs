//! The Wireshark dissector of Stockings, generated from the layouts by
//! [`codec::wireshark`]: `stockings-peer dissector --port PORT`.
//!
//! Any byte can start a Stockings header, so the dissector is registered
//! for the given ports only, with no heuristic.

use codec::wireshark::{DissectHeader, Dissector, HeaderLua};

use super::wire::{Stockings, StockingsHeader};

impl DissectHeader for StockingsHeader {
    /// Byte 0 `L T n n n n n n`, then `L n n n n n n n` groups, least
    /// significant first, at most 9 bytes (see [`super::wire`]).
    const LUA: HeaderLua = HeaderLua::Function(
        "  if avail < 1 then return nil, 1 end\n\
         \x20 local first = tvb(off, 1):uint()\n\
         \x20 local id = math.floor(first / 64) % 2\n\
         \x20 local len, mul, last, i = first % 64, 64, first >= 128, 1\n\
         \x20 while not last do\n\
         \x20   if i == 9 then return nil, 0 end\n\
         \x20   if i >= avail then return nil, 1 end\n\
         \x20   local b = tvb(off + i, 1):uint()\n\
         \x20   len = len + (b % 128) * mul\n\
         \x20   mul, last, i = mul * 128, b >= 128, i + 1\n\
         \x20 end\n\
         \x20 return id, i, len",
    );
}

/// The Lua script, registered for TCP `ports`.
///
/// ```
/// let lua = codec_examples::stockings::dissector::lua(&[9999]);
/// assert!(lua.contains(r#"ProtoField.string("stockings.Text.text""#));
/// assert!(lua.contains(r#"ProtoField.bytes("stockings.Bytes.data""#));
/// ```
pub fn lua(ports: &[u16]) -> String {
    let d = Dissector::new("stockings", "Stockings").heuristic(false);
    ports.iter().fold(d, |d, &p| d.port(p)).lua::<Stockings>()
}
