//! The client library against a real PostgreSQL 15 (started by the
//! tests, see support/pg.rs): every authentication method, simple and
//! extended queries (text and binary, NULL parameters, pipelining),
//! COPY both ways streamed, notices with every field, LISTEN/NOTIFY,
//! CancelRequest, ParameterStatus and BackendKeyData; and a recorded psql
//! session decoded message by message with the library's types.

mod support {
    pub mod apt;
    pub mod pg;
}

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codec::frame::FrameDecoder;
use codec_examples::pg::client::{Client, Config, ExtendedQuery, SslMode};
use codec_examples::pg::wire::{Backend, Frontend, PgHeader, Startup, StartupHeader};
use codec_examples::pg::Error;
use futures::StreamExt as _;
use support::pg::{server, USERS};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn config(user: &str) -> Config {
    let mut c = Config::new("127.0.0.1", server().port, user, "postgres");
    c.connect_timeout = Some(Duration::from_secs(10));
    c.password = USERS
        .iter()
        .find(|(u, _, _)| *u == user)
        .map(|(_, p, _)| p.to_string())
        .filter(|p| !p.is_empty());
    c
}

async fn connect(user: &str) -> Client {
    Client::connect(&config(user))
        .await
        .unwrap_or_else(|e| panic!("{user}: {e}"))
}

/// Every test is bounded: a stuck server or client fails it.
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test took over 60 s")
}

#[tokio::test]
async fn each_authentication_method_and_the_session_state() {
    bounded(async {
        for (user, _, method) in USERS {
            for ssl in [SslMode::Prefer, SslMode::Disable] {
                let mut c = config(user);
                c.ssl_mode = ssl;
                c.application_name = Some("pg_client".into());
                let mut client = Client::connect(&c)
                    .await
                    .unwrap_or_else(|e| panic!("{method}: {e}"));
                let r = client
                    .simple_query("SELECT current_user, current_setting('application_name')")
                    .await
                    .unwrap();
                assert_eq!(r[0].rows[0].get(0), Some(user.as_bytes()));
                assert_eq!(r[0].rows[0].get(1), Some(&b"pg_client"[..]));
                // ParameterStatus and BackendKeyData are kept.
                assert!(client
                    .parameter("server_version")
                    .unwrap()
                    .starts_with("15"));
                assert_eq!(client.parameter("client_encoding"), Some("UTF8"));
                let pid = client.backend_key().unwrap().process_id;
                let r = client
                    .simple_query("SELECT pg_backend_pid()")
                    .await
                    .unwrap();
                assert_eq!(r[0].rows[0].get(0), Some(pid.to_string().as_bytes()));
                client.close().await.unwrap();
            }
        }
        // Wrong passwords: the server's FATAL with SQLSTATE 28P01.
        for user in ["pw_user", "md5_user", "scram_user"] {
            let mut c = config(user);
            c.password = Some("wrong".into());
            let e = Client::connect(&c).await.unwrap_err();
            let n = e.server().unwrap_or_else(|| panic!("{user}: {e}"));
            assert_eq!((n.severity(), n.code()), ("FATAL", "28P01"), "{user}");
            c.password = None;
            let e = Client::connect(&c).await.unwrap_err();
            assert!(matches!(e, Error::Auth(_)), "{user}: {e}");
        }
        // sslmode=require against a server without TLS: refused clearly.
        let mut c = config("trust_user");
        c.ssl_mode = SslMode::Require;
        let e = Client::connect(&c).await.unwrap_err();
        assert!(matches!(e, Error::Tls(_)), "{e}");
        assert!(e.to_string().contains("does not support TLS"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn simple_queries_empty_queries_and_notices() {
    bounded(async {
        let mut client = connect("postgres").await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        client.on_notice(move |n| sink.lock().unwrap().push(n.clone()));
        let r = client
            .simple_query("SELECT 1 AS a, NULL::text AS b; ; SELECT 'x' WHERE false; CREATE TEMP TABLE s(a int)")
            .await
            .unwrap();
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(r[0].rows[0].get(1), None);
        assert_eq!(r[0].tag.as_deref(), Some("SELECT 1"));
        assert_eq!((r[1].rows.len(), r[1].tag.as_deref()), (0, Some("SELECT 0")));
        assert_eq!((r[2].columns.len(), r[2].tag.as_deref()), (0, Some("CREATE TABLE")));
        let r = client.simple_query("").await.unwrap();
        assert_eq!(r, [Default::default()]);

        client
            .simple_query(
                "DO $$ BEGIN RAISE NOTICE 'n1' USING DETAIL = 'd', HINT = 'h', ERRCODE = '01000'; END $$",
            )
            .await
            .unwrap();
        let n = seen.lock().unwrap().pop().expect("a notice");
        assert_eq!((n.severity(), n.code(), n.message()), ("NOTICE", "01000", "n1"));
        assert_eq!((n.detail(), n.hint()), (Some("d"), Some("h")));
        assert_eq!(n.field(b'V'), Some("NOTICE"));
        assert!(n.field(b'W').unwrap().contains("PL/pgSQL"), "{n:?}");
        assert!(n.field(b'F').is_some() && n.field(b'L').is_some() && n.field(b'R').is_some());

        // An error with every field it has: schema, table, constraint.
        client
            .simple_query("CREATE TEMP TABLE uq(a int CONSTRAINT uq_a UNIQUE); INSERT INTO uq VALUES (1)")
            .await
            .unwrap();
        let e = client.simple_query("INSERT INTO uq VALUES (1)").await.unwrap_err();
        let n = e.server().unwrap();
        assert_eq!((n.code(), n.field(b'n'), n.field(b't')), ("23505", Some("uq_a"), Some("uq")));
        assert!(n.detail().unwrap().contains("already exists"));
        assert!(n.field(b's').unwrap().starts_with("pg_temp"));
        // The session goes on; the statements before an error produced
        // their results, but one Query is one implicit transaction, so the
        // INSERT is rolled back.
        let mut before = Vec::new();
        let e = client
            .simple_query_with("INSERT INTO uq VALUES (2); SELECT 5; SELECT 1/0", |ev| {
                before.push(format!("{ev:?}"));
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(e.server().unwrap().code(), "22012");
        assert_eq!(before.len(), 4, "{before:?}");
        assert!(before[0].contains("INSERT 0 1") && before[2] == r#"Row([Some("5")])"#, "{before:?}");
        let r = client.simple_query("SELECT count(*) FROM uq").await.unwrap();
        assert_eq!(r[0].rows[0].get(0), Some(&b"1"[..]));
        assert_eq!(client.transaction_status(), b'I');
    })
    .await;
}

#[tokio::test]
async fn extended_queries_text_binary_null_and_pipelined() {
    bounded(async {
        let mut client = connect("scram_user").await;
        let q = ExtendedQuery::new(
            "SELECT $1::int + 1 AS n, $2::text IS NULL AS isnull, $3::text AS t",
        )
        .param(Some("41"))
        .param(None)
        .param(Some("héllo"));
        let r = client.query(&q).await.unwrap();
        let row: Vec<_> = r.rows[0].iter().map(|v| v.map(<[u8]>::to_vec)).collect();
        assert_eq!(
            row,
            [
                Some(b"42".to_vec()),
                Some(b"t".to_vec()),
                Some("héllo".as_bytes().to_vec())
            ]
        );
        assert_eq!(r.columns[0].name, "n");
        assert_eq!(r.tag.as_deref(), Some("SELECT 1"));

        // Binary: an int8 parameter and int8/float8/bool results.
        let q = ExtendedQuery::new(
            "SELECT $1 * 2 AS big, 0.5::float8 AS f, true AS b, NULL::int4 AS n",
        )
        .binary_param(20, Some(4_000_000_000i64.to_be_bytes().to_vec()))
        .binary_results();
        let r = client.query(&q).await.unwrap();
        let c = &r.rows[0];
        assert_eq!(c.get(0), Some(&8_000_000_000i64.to_be_bytes()[..]));
        assert_eq!(c.get(1), Some(&0.5f64.to_be_bytes()[..]));
        assert_eq!(c.get(2), Some(&[1u8][..]));
        assert_eq!(c.get(3), None);
        assert!(r.columns.iter().all(|f| f.format == 1));

        // A row limit suspends the portal.
        let mut q = ExtendedQuery::new("SELECT generate_series(1, 10)");
        q.max_rows = 3;
        let r = client.query(&q).await.unwrap();
        assert_eq!((r.rows.len(), r.suspended), (3, true));

        // 2,000 statements pipelined in one write; a failing one in the
        // middle does not disturb the others.
        let queries: Vec<_> = (0..2000)
            .map(|i| {
                if i == 1000 {
                    ExtendedQuery::new("SELECT 1/0")
                } else {
                    ExtendedQuery::new("SELECT $1::int * 3").param(Some(&i.to_string()))
                }
            })
            .collect();
        let results = client.pipeline(&queries).await.unwrap();
        assert_eq!(results.len(), 2000);
        for (i, r) in results.iter().enumerate() {
            match r {
                Ok(r) => assert_eq!(r.rows[0].get(0), Some((i * 3).to_string().as_bytes())),
                Err(n) => assert_eq!((i, n.code()), (1000, "22012")),
            }
        }
        // A statement the server refuses to parse.
        let e = client
            .query(&ExtendedQuery::new("SELEC 1"))
            .await
            .unwrap_err();
        assert_eq!(e.server().unwrap().code(), "42601");
        assert_eq!(e.server().unwrap().position(), Some(1));
        let e = client
            .query(&ExtendedQuery::new("SELECT 'a\0b'"))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Encode(_)), "{e}");
        // Still usable after the refusal to encode.
        let r = client.query(&ExtendedQuery::new("SELECT 7")).await.unwrap();
        assert_eq!(r.rows[0].get(0), Some(&b"7"[..]));
    })
    .await;
}

#[tokio::test]
async fn copy_streams_both_ways() {
    bounded(async {
        let mut client = connect("postgres").await;
        client
            .simple_query("CREATE TEMP TABLE c(n int, t text)")
            .await
            .unwrap();
        // COPY FROM STDIN from a generator that never holds the data:
        // 300,000 rows through a 64 KiB pipe.
        let (mut w, r) = tokio::io::duplex(64 * 1024);
        let writer = tokio::spawn(async move {
            for i in 0..300_000u32 {
                let line = if i % 10 == 0 {
                    format!("{i}\t\\N\n")
                } else {
                    format!("{i}\trow {i}\n")
                };
                w.write_all(line.as_bytes()).await.unwrap();
            }
        });
        let rows = client.copy_in("COPY c FROM STDIN", r).await.unwrap();
        writer.await.unwrap();
        assert_eq!(rows, 300_000);

        let mut copy = client.copy_out("COPY c TO STDOUT").await.unwrap();
        let (mut n, mut bytes, mut nulls) = (0, 0, 0);
        while let Some(chunk) = copy.next().await.unwrap() {
            n += 1;
            bytes += chunk.len();
            nulls += usize::from(chunk.ends_with(b"\\N\n"));
        }
        assert_eq!((n, nulls), (300_000, 30_000));
        assert!(bytes > 3_000_000);
        assert_eq!(copy.tag(), Some("COPY 300000"));

        // A copy abandoned mid-way: the next command still works.
        let mut copy = client.copy_out("COPY c TO STDOUT").await.unwrap();
        copy.next().await.unwrap().unwrap();
        drop(copy);
        let r = client.simple_query("SELECT count(*) FROM c").await.unwrap();
        assert_eq!(r[0].rows[0].get(0), Some(&b"300000"[..]));

        // A bad row stops the sending early, with the server's error.
        let e = client
            .copy_in("COPY c FROM STDIN", &b"1\tok\nx\tbad\n"[..])
            .await
            .unwrap_err();
        assert_eq!(e.server().unwrap().code(), "22P02");
        // The wrong kind of statement for copy_out / copy_in.
        let e = client.copy_out("COPY nosuch TO STDOUT").await.unwrap_err();
        assert_eq!(e.server().unwrap().code(), "42P01");
        let r = client.simple_query("SELECT 1").await.unwrap();
        assert_eq!(r.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn listen_notify_arrives_on_the_stream() {
    bounded(async {
        let mut listener = connect("postgres").await;
        listener
            .simple_query("LISTEN chan_a; LISTEN \"chan b\"")
            .await
            .unwrap();
        let mut talker = connect("md5_user").await;
        let talker_pid = talker.backend_key().unwrap().process_id;
        talker
            .simple_query(
                "NOTIFY chan_a, 'one'; NOTIFY \"chan b\"; SELECT pg_notify('chan_a', 'thrée')",
            )
            .await
            .unwrap();
        let got: Vec<_> = listener
            .notifications()
            .take(3)
            .map(Result::unwrap)
            .collect()
            .await;
        let got: Vec<_> = got
            .iter()
            .map(|n| (n.process_id, n.channel.as_str(), n.payload.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (talker_pid, "chan_a", "one"),
                (talker_pid, "chan b", ""),
                (talker_pid, "chan_a", "thrée")
            ]
        );
        // One sent while the listener runs a query is queued, then read.
        let notify = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            talker
                .simple_query("NOTIFY chan_a, 'during'")
                .await
                .unwrap();
        };
        let (r, ()) = tokio::join!(listener.simple_query("SELECT pg_sleep(0.6)"), notify);
        r.unwrap();
        let n = listener.next_notification().await.unwrap();
        assert_eq!(n.payload, "during");
    })
    .await;
}

#[tokio::test]
async fn cancel_request_stops_a_running_query() {
    bounded(async {
        let mut client = connect("scram_user").await;
        let token = client.cancel_token().unwrap();
        let started = std::time::Instant::now();
        let cancel = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            token.cancel().await.unwrap();
        };
        let (r, ()) = tokio::join!(client.simple_query("SELECT pg_sleep(30)"), cancel);
        let e = r.unwrap_err();
        assert_eq!(e.server().unwrap().code(), "57014", "{e}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let r = client.simple_query("SELECT 1").await.unwrap();
        assert_eq!(r[0].rows.len(), 1);
    })
    .await;
}

/// A psql session recorded through a loopback proxy: every byte psql
/// sent decodes as the StartupMessage/SSLRequest then Frontend messages,
/// every byte the server sent as Backend messages, with nothing left
/// over; and re-encoding each message gives back its recorded bytes.
#[test]
fn a_recorded_psql_session_decodes_with_the_library_types() {
    let s = server();
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_port = proxy.local_addr().unwrap().port();
    let upstream = s.port;
    let recorded = std::thread::spawn(move || {
        let (client, _) = proxy.accept().unwrap();
        let server = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
        let pump = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut seen = Vec::new();
                let mut buf = [0u8; 16384];
                loop {
                    let n = from.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        let _ = to.shutdown(std::net::Shutdown::Write);
                        return seen;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if to.write_all(&buf[..n]).is_err() {
                        return seen;
                    }
                }
            })
        };
        let up = pump(client.try_clone().unwrap(), server.try_clone().unwrap());
        let down = pump(server, client);
        (up.join().unwrap(), down.join().unwrap())
    });
    let out = support::pg::run(
        std::process::Command::new(format!("{}/psql", support::pg::PG_BIN))
            .args(["-X", "--csv"])
            .args(support::pg::conn_args(proxy_port, "scram_user"))
            .args([
                "-c",
                "SELECT 1 AS a, NULL::text AS b; SELECT 1/0",
                "-c",
                "DO $$ BEGIN RAISE NOTICE 'n'; END $$",
            ])
            .args(["-c", "COPY (SELECT 1) TO STDOUT", "-c", ""])
            .env_clear()
            .env("PGPASSWORD", USERS[3].1)
            .env("PGSSLMODE", "prefer"),
        None,
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (up, down) = recorded.join().unwrap();

    // psql's first packet is an SSLRequest (answered 'N'), then the
    // StartupMessage, then typed messages.
    let mut frames = FrameDecoder::<StartupHeader>::new();
    frames.push(&up);
    let first: Startup = frames.next_message().unwrap().unwrap();
    assert!(matches!(first, Startup::SslRequest(_)), "{first:?}");
    let second: Startup = frames.next_message().unwrap().unwrap();
    let Startup::StartupMessage(startup) = second else {
        panic!("{second:?}")
    };
    assert!(startup
        .params
        .iter()
        .any(|p| p.name == "user" && p.value == "scram_user"));
    let consumed = up.len() - frames.buffered();
    let mut typed = FrameDecoder::<PgHeader>::new();
    typed.push(&up[consumed..]);
    let mut sent = Vec::new();
    while let Some(f) = typed.next_frame().unwrap() {
        let bytes = f.bytes().to_vec();
        let m = Frontend::from_bytes_frame(&bytes);
        sent.push(m);
    }
    typed.finish().unwrap();
    let kinds: Vec<_> = sent.iter().map(codec::Protocol::name).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "AuthResponse").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "Query").count(),
        4,
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&"Terminate"));

    assert_eq!(down[0], b'N');
    let mut frames = FrameDecoder::<PgHeader>::new();
    frames.push(&down[1..]);
    let mut got = Vec::new();
    while let Some(f) = frames.next_frame().unwrap() {
        got.push(Backend::from_bytes_frame(f.bytes()));
    }
    frames.finish().unwrap();
    let kinds: Vec<_> = got.iter().map(codec::Protocol::name).collect();
    for want in [
        "AuthenticationRequest",
        "ParameterStatus",
        "BackendKeyData",
        "ReadyForQuery",
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "ErrorResponse",
        "NoticeResponse",
        "CopyOutResponse",
        "CopyData",
        "CopyDone",
        "EmptyQueryResponse",
    ] {
        assert!(kinds.contains(&want), "{want} not in {kinds:?}");
    }
}

/// Decodes one recorded frame and checks that encoding gives it back.
trait FromFrame: Sized {
    fn from_bytes_frame(bytes: &[u8]) -> Self;
}

impl<P> FromFrame for P
where
    P: for<'a> codec::Decode<'a> + codec::Encode + std::fmt::Debug,
{
    fn from_bytes_frame(bytes: &[u8]) -> P {
        let m = P::from_bytes(bytes).unwrap_or_else(|e| panic!("{e} in {bytes:02x?}"));
        assert_eq!(m.to_bytes().unwrap(), bytes, "{m:?}");
        m
    }
}

#[tokio::test]
async fn connect_timeout_bounds_a_silent_server() {
    // A listener that accepts and never answers.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = [0u8; 64];
        while s.read(&mut buf).await.unwrap_or(0) > 0 {}
    });
    let mut c = Config::new("127.0.0.1", port, "u", "d");
    c.connect_timeout = Some(Duration::from_millis(500));
    let started = std::time::Instant::now();
    let e = Client::connect(&c).await.unwrap_err();
    assert!(matches!(e, Error::Timeout(_)), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    hold.abort();
}
