//! Compile-fail tests for what needs rustc: where derive errors point
//! (`spans`, `several_errors`), a field type without `Encode`, and the
//! compile-time protocol checks. The error texts themselves are pinned by
//! the unit tests in `codec-derive/src/tests.rs`. Each case's committed
//! `.stderr` pins rustc's output. Regenerate with `TRYBUILD=overwrite cargo
//! test -p codec-tests --test ui` on the pinned toolchain only, and review
//! the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
