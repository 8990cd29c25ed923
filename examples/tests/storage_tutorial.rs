//! A client written only from the tutorial's description: frames built by
//! hand on a raw `TcpStream`, requests pipelined, replies (in whatever
//! order the server sends them) matched by `trans`.
//!
//! ```text
//! header        u8 id | u16 big-endian payload length
//! StoreRequest  0x01  trans | name.len u8 | name | data.len u16 | data
//! StoreResponse 0x02  trans | name.len u8 | name | status
//! FetchRequest  0x03  trans | name.len u8 | name
//! FetchResponse 0x04  trans | status | name.len u8 | name | data.len u16 | data
//! status        SUCCESS 0x00, EIO 0x01, EKEY 0x02, FAIL 0xFF
//! ```

mod support {
    pub mod storage;
}

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use codec_examples::storage::client::{Options, StorageClient};
use support::storage::*;

const SUCCESS: u8 = 0x00;
const EKEY: u8 = 0x02;
const FAIL: u8 = 0xFF;

fn store(trans: u8, name: &str, data: &[u8]) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(&(data.len() as u16).to_be_bytes());
    p.extend_from_slice(data);
    frame(0x01, &p)
}

fn fetch(trans: u8, name: &str) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name.as_bytes());
    frame(0x03, &p)
}

/// A decoded reply, as a tutorial client would parse it.
#[derive(Debug, PartialEq)]
enum Reply {
    Stored {
        name: String,
        status: u8,
    },
    Fetched {
        status: u8,
        name: String,
        data: Vec<u8>,
    },
}

fn parse(id: u8, p: &[u8]) -> (u8, Reply) {
    let trans = p[0];
    match id {
        0x02 => {
            let n = p[1] as usize;
            let name = String::from_utf8(p[2..2 + n].to_vec()).unwrap();
            assert_eq!(p.len(), 2 + n + 1, "StoreResponse layout");
            (
                trans,
                Reply::Stored {
                    name,
                    status: p[2 + n],
                },
            )
        }
        0x04 => {
            let status = p[1];
            let n = p[2] as usize;
            let name = String::from_utf8(p[3..3 + n].to_vec()).unwrap();
            let len = u16::from_be_bytes([p[3 + n], p[4 + n]]) as usize;
            let data = p[5 + n..].to_vec();
            assert_eq!(data.len(), len, "FetchResponse layout");
            (trans, Reply::Fetched { status, name, data })
        }
        other => panic!("unexpected frame id 0x{other:02x}"),
    }
}

/// Sends every request in one write, then reads as many replies; returns
/// them by trans, and the order they came in.
fn pipeline(s: &mut TcpStream, requests: &[Vec<u8>]) -> (HashMap<u8, Reply>, Vec<u8>) {
    s.write_all(&requests.concat()).unwrap();
    let mut replies = HashMap::new();
    let mut order = Vec::new();
    for _ in requests {
        let (id, p) = read_frame(s).expect("a reply for each request");
        let (trans, reply) = parse(id, &p);
        assert!(
            replies.insert(trans, reply).is_none(),
            "trans {trans} answered twice"
        );
        order.push(trans);
    }
    (replies, order)
}

#[test]
fn a_hand_written_tutorial_client_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let server = ServerProc::start(&["--db", db.to_str().unwrap()]);

    // Set up with the library: a value too large for one FetchResponse.
    let huge = pattern(3, 100_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = StorageClient::connect(server.addr.as_str(), Options::default())
            .await
            .unwrap();
        c.put_bytes("huge", &huge).await.unwrap();
        c.put_bytes("pre", b"stored before").await.unwrap();
        c.close().await;
    });

    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();

    // The tutorial's own example frame, byte for byte, and its reply.
    s.write_all(&[
        0x01, 0x00, 0x0C, 0x07, 0x03, 0x6B, 0x65, 0x79, 0x00, 0x05, 0x68, 0x65, 0x6C, 0x6C, 0x6F,
    ])
    .unwrap();
    assert_eq!(
        read_frame(&mut s).unwrap(),
        (0x02, vec![0x07, 0x03, 0x6B, 0x65, 0x79, 0x00])
    );

    // Pipelined stores and fetches; the stores wait for the disk, the
    // fetches do not, so replies usually come back out of order. Several
    // rounds, so that at least one shows it.
    let mut out_of_order = 0;
    for round in 0..5u8 {
        let base = round.wrapping_mul(50).wrapping_add(200); // wraps past 255
        let t = |i: u8| base.wrapping_add(i);
        let names: Vec<String> = (0..3).map(|i| format!("r{round}-{i}")).collect();
        let requests = vec![
            store(t(0), &names[0], b"alpha"),
            store(t(1), &names[1], b"beta"),
            store(t(2), &names[2], &[0u8; 0]),
            fetch(t(3), "pre"),
            fetch(t(4), "huge"),
            fetch(t(5), "missing"),
            store(t(6), "", b"no name"),
        ];
        let (replies, order) = pipeline(&mut s, &requests);
        if order.windows(2).any(|w| w[0] != w[1].wrapping_sub(1)) {
            out_of_order += 1;
        }
        for i in 0..3 {
            assert_eq!(
                replies[&t(i)],
                Reply::Stored {
                    name: names[i as usize].clone(),
                    status: SUCCESS
                }
            );
        }
        assert_eq!(
            replies[&t(3)],
            Reply::Fetched {
                status: SUCCESS,
                name: "pre".into(),
                data: b"stored before".to_vec()
            }
        );
        // Too large for one frame: FAIL with empty data; the connection
        // goes on.
        assert_eq!(
            replies[&t(4)],
            Reply::Fetched {
                status: FAIL,
                name: "huge".into(),
                data: vec![]
            }
        );
        assert_eq!(
            replies[&t(5)],
            Reply::Fetched {
                status: EKEY,
                name: "missing".into(),
                data: vec![]
            }
        );
        // An invalid request is answered too, with its trans and name.
        match &replies[&t(6)] {
            Reply::Stored { name, status } => {
                assert!(name.is_empty());
                assert_ne!(*status, SUCCESS);
            }
            other => panic!("{other:?}"),
        }

        // What was stored reads back.
        let (replies, _) = pipeline(
            &mut s,
            &[
                fetch(t(7), &names[0]),
                fetch(t(8), &names[1]),
                fetch(t(9), &names[2]),
            ],
        );
        for (i, data) in [&b"alpha"[..], b"beta", b""].into_iter().enumerate() {
            assert_eq!(
                replies[&t(7 + i as u8)],
                Reply::Fetched {
                    status: SUCCESS,
                    name: names[i].clone(),
                    data: data.to_vec()
                }
            );
        }
    }
    assert!(
        out_of_order > 0,
        "pipelined replies always came back in request order"
    );
}
