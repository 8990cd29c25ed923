//! Integration tests for `codec` live in `tests/`.
