//! Example protocols built on `codec`.
