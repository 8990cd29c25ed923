//! Runs: consecutive fixed-width pieces (scalars, then at most one fixed
//! length prefix, as the model's `Packed` marks them) that generated code
//! writes into one stack array appended with one copy, or reads from one
//! slice after one bounds check. Encode and decode collect their pieces
//! here and each renders a flushed run its own way.

use proc_macro2::TokenStream;

/// The pieces of the current run, each with its size on the wire.
pub struct Run<P> {
    pieces: Vec<(TokenStream, P)>,
}

impl<P> Default for Run<P> {
    fn default() -> Self {
        Run { pieces: Vec::new() }
    }
}

impl<P> Run<P> {
    /// Adds a piece of `size` bytes (an expression) to the run.
    pub fn push(&mut self, size: TokenStream, piece: P) {
        self.pieces.push((size, piece));
    }

    /// Ends the run: its pieces' sizes and the pieces, in order, leaving
    /// the run empty for the next one.
    pub fn take(&mut self) -> (Vec<TokenStream>, Vec<P>) {
        std::mem::take(&mut self.pieces).into_iter().unzip()
    }
}
