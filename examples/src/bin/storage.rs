//! `storage`: the storage service's server and client in one binary (see
//! `storage --help`).

fn main() -> std::process::ExitCode {
    codec_examples::storage::cli::main()
}
