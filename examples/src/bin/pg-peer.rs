//! `pg-peer`: a small `psql` on the `codec` PostgreSQL client (see
//! `pg-peer --help` and `codec_examples::pg::cli`).

fn main() -> std::process::ExitCode {
    codec_examples::pg::cli::main()
}
