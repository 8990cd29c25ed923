//! `#[codec(service = Name)]`: the generated service trait and `Dispatch`.
//! Each request reaches its own method and its typed reply comes back as
//! the protocol's variant; replies, notifications and `other` frames reach
//! their defaults (`unexpected`, which answers nothing) unless the service
//! overrides them; `replied` sees every reply. (A wrong reply type is the
//! trybuild case `ui/service_wrong_reply.rs`.)

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use codec::{Decode, Dispatch, Encode, Message, Protocol, RawFrame};

/// Store a value (0x01), answered by [`Stored`].
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x01, response = Stored)]
struct Put {
    #[codec(tag)]
    tag: u8,
    #[codec(len = u8)]
    key: String,
    value: u32,
}

/// Reply to [`Put`] (0x02).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x02)]
struct Stored {
    #[codec(tag)]
    tag: u8,
    total: u32,
}

/// Read a value (0x03), answered by [`Value`].
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x03, response = Value)]
struct Get {
    #[codec(tag)]
    tag: u8,
    #[codec(len = u8)]
    key: String,
}

/// Reply to [`Get`] (0x04).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x04)]
struct Value {
    #[codec(tag)]
    tag: u8,
    value: Option<u32>,
}

/// A notification, server to client (0x05).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x05)]
struct Changed {
    #[codec(len = u8)]
    key: String,
}

/// A greeting with no declared response (0x06): its method may answer
/// anything, or nothing.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x06)]
struct Hello {
    version: u8,
}

#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(service = KvService)]
enum Kv {
    #[codec(request)]
    Put(Put),
    Stored(Stored),
    #[codec(request)]
    Get(Get),
    Value(Value),
    Changed(Changed),
    Hello(Hello),
    #[codec(other)]
    Unknown(RawFrame),
}

/// What a connection carries as context: its number.
struct Conn(u32);

/// Records every call, by method, with the connection it came on.
#[derive(Default)]
struct Store {
    values: Mutex<Vec<(String, u32)>>,
    calls: Mutex<Vec<String>>,
}

impl Store {
    fn log(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
    fn calls(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl KvService<Conn> for Store {
    async fn put(&self, req: Put, conn: &Conn) -> Stored {
        self.log(format!("put {} on {}", req.key, conn.0));
        Yield(false).await;
        let mut values = self.values.lock().unwrap();
        values.push((req.key, req.value));
        Stored {
            tag: req.tag,
            total: values.iter().map(|(_, v)| v).sum(),
        }
    }

    async fn get(&self, req: Get, conn: &Conn) -> Value {
        self.log(format!("get {} on {}", req.key, conn.0));
        let values = self.values.lock().unwrap();
        Value {
            tag: req.tag,
            value: values
                .iter()
                .rev()
                .find(|(k, _)| *k == req.key)
                .map(|(_, v)| *v),
        }
    }

    // A message without a declared response may still answer.
    async fn hello(&self, m: Hello, conn: &Conn) -> Option<Kv> {
        self.log(format!("hello {} on {}", m.version, conn.0));
        Some(
            Changed {
                key: "welcome".into(),
            }
            .into(),
        )
    }

    fn unexpected(&self, msg: Kv, conn: &Conn) -> Option<Kv> {
        self.log(format!(
            "unexpected {} {:#x} on {}",
            msg.name(),
            msg.id(),
            conn.0
        ));
        None
    }

    fn replied(&self, id: u64, reply: Option<Kv>, _: &Conn) -> Option<Kv> {
        let answer = reply.as_ref().map_or("nothing", |r| r.name());
        self.log(format!("replied to {id:#x} with {answer}"));
        reply
    }
}

/// Returns `Pending` once: a handler that really waits.
struct Yield(bool);
impl Future for Yield {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("future did not finish");
}

fn assert_send<T: Send>(t: T) -> T {
    t
}

#[test]
fn each_request_reaches_its_method_and_gets_its_typed_reply() {
    let store = Store::default();
    let put = Kv::from(Put {
        tag: 7,
        key: "a".into(),
        value: 5,
    });
    let reply = block_on(assert_send(put.dispatch(&store, &Conn(1))));
    assert_eq!(reply, Some(Kv::Stored(Stored { tag: 7, total: 5 })));

    let get = Kv::from(Get {
        tag: 8,
        key: "a".into(),
    });
    let reply = block_on(get.dispatch(&store, &Conn(2)));
    assert_eq!(
        reply,
        Some(Kv::Value(Value {
            tag: 8,
            value: Some(5)
        }))
    );
    assert_eq!(
        store.calls(),
        [
            "put a on 1",
            "replied to 0x1 with Stored",
            "get a on 2",
            "replied to 0x3 with Value",
        ]
    );
}

#[test]
fn decoded_frames_dispatch_like_built_ones() {
    let store = Store::default();
    // 01 | 00 07 | 09 | 01 6b | 00 00 00 2a: Put { tag 9, "k", 42 }
    let put =
        Kv::from_bytes(&[0x01, 0x00, 0x07, 0x09, 0x01, b'k', 0x00, 0x00, 0x00, 0x2a]).unwrap();
    let reply = block_on(put.dispatch(&store, &Conn(3))).unwrap();
    // 02 | 00 05 | 09 | 00 00 00 2a: Stored { tag 9, total 42 }
    assert_eq!(
        reply.to_bytes().unwrap(),
        [0x02, 0x00, 0x05, 0x09, 0x00, 0x00, 0x00, 0x2a]
    );
}

#[test]
fn replies_notifications_and_other_frames_reach_the_default() {
    let store = Store::default();
    let stored = Kv::from(Stored { tag: 1, total: 0 });
    assert_eq!(block_on(stored.dispatch(&store, &Conn(1))), None);
    let changed = Kv::from(Changed { key: "k".into() });
    assert_eq!(block_on(changed.dispatch(&store, &Conn(1))), None);
    // 7f | 00 02 | aa bb: no variant claims 0x7f.
    let unknown = Kv::from_bytes(&[0x7f, 0x00, 0x02, 0xaa, 0xbb]).unwrap();
    assert!(matches!(unknown, Kv::Unknown(_)));
    assert_eq!(block_on(unknown.dispatch(&store, &Conn(4))), None);
    assert_eq!(
        store.calls(),
        [
            "unexpected Stored 0x2 on 1",
            "replied to 0x2 with nothing",
            "unexpected Changed 0x5 on 1",
            "replied to 0x5 with nothing",
            "unexpected RawFrame 0x7f on 4",
            "replied to 0x7f with nothing",
        ]
    );
    assert!(store.values.lock().unwrap().is_empty());
}

#[test]
fn a_message_without_a_response_may_answer() {
    let store = Store::default();
    let reply = block_on(Kv::from(Hello { version: 2 }).dispatch(&store, &Conn(5)));
    assert_eq!(
        reply,
        Some(Kv::Changed(Changed {
            key: "welcome".into()
        }))
    );
    assert_eq!(
        store.calls(),
        ["hello 2 on 5", "replied to 0x6 with Changed"]
    );
}

/// The defaults need nothing but the requests: `unexpected` answers
/// nothing, `replied` passes the reply on; an `other` frame reaches its
/// own method when the service overrides it.
#[test]
fn the_least_service_and_an_other_handler() {
    struct Echo {
        raw: Mutex<Vec<(u64, Vec<u8>)>>,
    }
    impl KvService<()> for Echo {
        async fn put(&self, req: Put, _: &()) -> Stored {
            Stored {
                tag: req.tag,
                total: req.value,
            }
        }
        async fn get(&self, req: Get, _: &()) -> Value {
            Value {
                tag: req.tag,
                value: None,
            }
        }
        async fn unknown(&self, frame: RawFrame, _: &()) -> Option<Kv> {
            self.raw
                .lock()
                .unwrap()
                .push((frame.id, frame.payload.clone()));
            Some(Kv::Unknown(frame))
        }
    }
    let echo = Echo {
        raw: Mutex::new(Vec::new()),
    };
    let put = Kv::from(Put {
        tag: 1,
        key: String::new(),
        value: 3,
    });
    assert_eq!(
        block_on(put.dispatch(&echo, &())),
        Some(Kv::Stored(Stored { tag: 1, total: 3 }))
    );
    assert_eq!(
        block_on(Kv::from(Hello { version: 1 }).dispatch(&echo, &())),
        None
    );
    let unknown = Kv::from_bytes(&[0x7f, 0x00, 0x01, 0xcc]).unwrap();
    let back = block_on(unknown.clone().dispatch(&echo, &())).unwrap();
    assert_eq!(back, unknown);
    assert_eq!(*echo.raw.lock().unwrap(), [(0x7f, vec![0xcc])]);
}
