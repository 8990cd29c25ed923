//! The derive against the crates people would pick instead (speedy, binrw,
//! deku, bin-proto, scroll, bincode 2, postcard) and hand-written
//! `byteorder` code, on the `wire` benchmark's three messages, in the same
//! run; and, against deku, binrw and hand-written code only, on issue 12's
//! real-world rows (`dns_header`: 12 bytes with 8 bit fields;
//! `pg_strings`: three NUL-terminated strings).
//!
//! ```text
//! cargo bench -p codec-benches --bench peers -- --warm-up-time 1 --measurement-time 3
//! cargo run -p codec-benches --bin peers-table -- target/criterion
//! ```
//!
//! Groups are named `peers/<routine>/<message>` with one function per
//! contender, e.g. `peers/decode_owned/store_large/speedy`. Routines are
//! those of the `wire` benchmark: `encode` (append to a reused, placed
//! `Vec`), `decode_owned` and `decode_borrowed` (the latter only for
//! contenders that can borrow: binrw, deku and bin-proto read from
//! `io::Read`/bit streams and cannot).
//!
//! Before measuring anything, every contender's codec is checked on every
//! message (`codec_benches::peers::check_store`/`check_mixed`): the
//! wire-compatible ones (speedy, binrw, deku, bin-proto, scroll) must write
//! exactly the derive's bytes; bincode and postcard (varint formats) must
//! round-trip the same values. Each benchmark runs a batch prepared by
//! `codec_benches::peers::run`, the same loop `peers-ops` times round-robin
//! and counts under callgrind; buffers are placed as in the `wire`
//! benchmark.

use std::time::Instant;

use codec_benches::peers::frames::{check_frame, Frame};
use codec_benches::peers::rows::check_rows;
use codec_benches::peers::run::{is_cell, prepare, Prepared, MESSAGES, ROUTINES};
use codec_benches::peers::{check_mixed, check_store, NAMES};
use codec_benches::rows::{dns_header, pg_strings};
use codec_benches::{mixed, store_large, store_small};
use criterion::{criterion_group, criterion_main, Criterion};

fn benches(c: &mut Criterion) {
    check_store(&store_small());
    check_store(&store_large());
    check_mixed(&mixed());
    check_rows(&dns_header(), &pg_strings());
    check_frame(&Frame::StoreRequest(store_small()));
    check_frame(&Frame::StoreRequest(store_large()));
    check_frame(&Frame::ManyFields(mixed()));
    for message in MESSAGES {
        for routine in ROUTINES {
            if !is_cell(routine, message) {
                continue;
            }
            let mut g = c.benchmark_group(format!("peers/{routine}/{message}"));
            for name in NAMES {
                match prepare(routine, message, name).expect("known benchmark") {
                    Prepared::Ready(mut batch) => {
                        g.bench_function(name, |b| {
                            b.iter_custom(|iters| {
                                let start = Instant::now();
                                batch(iters);
                                start.elapsed()
                            })
                        });
                    }
                    Prepared::Unsupported(why) => {
                        eprintln!("peers/{routine}/{message}/{name}: not run: {why}");
                    }
                }
            }
            g.finish();
        }
    }
}

criterion_group!(peers, benches);
criterion_main!(peers);
