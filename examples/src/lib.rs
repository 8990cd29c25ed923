//! Example protocols built on `codec`: the storage service.
#![warn(missing_docs)]

pub mod packetstream;
pub mod stockings;
pub mod storage;
