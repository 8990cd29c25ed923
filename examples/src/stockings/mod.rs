//! Stockings (Warren Spencer's complete-message sockets), rebuilt on
//! `codec` and interoperable with the Python original.
//!
//! - [`wire`]: the header as a [`Header`](codec::Header)
//!   ([`StockingsHeader`]: a type bit that is the message id and a
//!   little-endian group length), the two message types derived.
//! - [`transport`]: blocking ([`BlockingStockings`]) and tokio
//!   ([`StockingsStream`]) transports. A `str` frame that is not UTF-8 is
//!   an error for that one call, not a dead connection.
//! - [`dissector`]: its Wireshark dissector, generated from the layouts.

pub mod dissector;
pub mod transport;
pub mod wire;

pub use self::transport::{connect_blocking, BlockingStockings, StockingsStream};
pub use self::wire::{Bytes, Stockings, StockingsHeader, Text};
