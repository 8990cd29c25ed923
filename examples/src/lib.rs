//! Example protocols built on `codec`: the storage service.
#![warn(missing_docs)]

pub mod packetstream;
pub mod stockings;
pub mod storage;

/// The workspace README, compiled and run as a doctest so that its
/// examples stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
