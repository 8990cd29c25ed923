//! Example protocols built on `codec`: the storage service.
#![warn(missing_docs)]

pub mod storage;
