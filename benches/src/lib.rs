//! Benchmarks for `codec`.
