//! Compile-fail tests: each `ui/<rule>.rs` breaks one rule of the attribute
//! language, and its committed `.stderr` pins the message and the token it
//! points at. Regenerate with `TRYBUILD=overwrite cargo test -p codec-tests
//! --test ui` on the pinned toolchain only, and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
