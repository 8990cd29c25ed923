//! A run-time map from message id to decoder and handler, for protocols
//! assembled from several crates: each crate registers its messages, and
//! [`Registry::dispatch`] routes a frame to the right one.
//!
//! # The protocol enum is the registry; this one is for what no enum lists
//!
//! A protocol known when it is compiled needs no run-time registry: the
//! `#[derive(Protocol)]` enum *is* its registry. Its `match` maps an id to
//! a decoder ([`DecodeProtocol`](crate::DecodeProtocol)) and to a name
//! ([`Protocol::name_of`](crate::Protocol::name_of), which `explain`
//! uses); duplicate ids and ids too large for the header are compile
//! errors; and its service trait ([`dispatch`](crate::dispatch)) routes
//! each request to a handler typed by its response, with no allocation
//! or lookup. The storage example serves its protocol that way.
//!
//! A `Registry` is for a set of messages that no single enum can list:
//! crates that each contribute messages to one connection (plugins, an
//! application extending a base protocol), assembled when the program
//! starts. It checks at run time what the enum checks at compile time
//! (ids unique, each fits the header), and its handlers share one reply
//! type.
//!
//! Ids are unique: registering a second type under a taken id is an error
//! naming both types (striptease's `LookupError`, as a `Result`).
//!
//! ```
//! use codec::registry::{DispatchError, Registry};
//! use codec::{Encode, Message};
//!
//! /// What every handler sees: the application's state.
//! #[derive(Default)]
//! pub struct App { log: Vec<String> }
//!
//! /// One crate: the base protocol's messages, and how to register them.
//! mod base {
//!     use codec::{Decode, Encode, Message};
//!     use codec::registry::{Registry, RegistryError};
//!
//!     /// Liveness probe (0x01).
//!     #[derive(Encode, Decode, Message)]
//!     #[codec(id = 0x01)]
//!     pub struct Ping { pub seq: u8 }
//!
//!     pub fn register(reg: &mut Registry<super::App, String>) -> Result<(), RegistryError> {
//!         reg.register::<Ping>(|m, app| {
//!             app.log.push(format!("ping {}", m.seq));
//!             format!("pong {}", m.seq)
//!         })?;
//!         Ok(())
//!     }
//! }
//!
//! /// Another crate, written without knowing `base`'s messages.
//! mod metrics {
//!     use codec::{Decode, Encode, Message};
//!     use codec::registry::{Registry, RegistryError};
//!
//!     /// A named sample (0x40).
//!     #[derive(Encode, Decode, Message)]
//!     #[codec(id = 0x40)]
//!     pub struct Sample { #[codec(len = u8)] pub name: String, pub value: u32 }
//!
//!     /// Claims 0x01 too: the registry refuses it.
//!     #[derive(Encode, Decode, Message)]
//!     #[codec(id = 0x01)]
//!     pub struct Reset;
//!
//!     pub fn register(reg: &mut Registry<super::App, String>) -> Result<(), RegistryError> {
//!         reg.register::<Sample>(|m, app| {
//!             app.log.push(format!("{} = {}", m.name, m.value));
//!             "ok".into()
//!         })?;
//!         Ok(())
//!     }
//! }
//!
//! // The application assembles the protocol from both.
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut reg = Registry::<App, String>::new();
//! base::register(&mut reg)?;
//! metrics::register(&mut reg)?;
//! assert_eq!(reg.messages().collect::<Vec<_>>(), [(0x01, "Ping"), (0x40, "Sample")]);
//!
//! /// A frame as a peer sends it: StdHeader (id u8, length u16), payload.
//! fn frame<M: Message + Encode>(m: &M) -> Vec<u8> {
//!     let body = m.to_bytes().unwrap();
//!     let mut f = vec![M::ID as u8];
//!     f.extend((body.len() as u16).to_be_bytes());
//!     f.extend(body);
//!     f
//! }
//!
//! let mut app = App::default();
//! assert_eq!(reg.dispatch(&frame(&base::Ping { seq: 7 }), &mut app)?, "pong 7");
//! let sample = metrics::Sample { name: "load".into(), value: 3 };
//! assert_eq!(reg.dispatch(&frame(&sample), &mut app)?, "ok");
//! assert_eq!(app.log, ["ping 7", "load = 3"]);
//! assert_eq!(
//!     reg.dispatch(&[0x11, 0x00, 0x00], &mut app),
//!     Err(DispatchError::UnknownId { id: 0x11 })
//! );
//!
//! // A third crate's message under a taken id is refused, naming both.
//! let err = reg.register::<metrics::Reset>(|_, _| String::new()).unwrap_err();
//! assert_eq!(err.to_string(), "cannot register Reset under id 0x1: Ping already has it");
//! # Ok(())
//! # }
//! ```

use alloc::boxed::Box;
use alloc::collections::btree_map::{BTreeMap, Entry};
use core::fmt;
use core::marker::PhantomData;

use crate::decode::Decode;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::frame::{decode_payload_exact, split_frame};
use crate::header::{Header, StdHeader};
use crate::message::Message;
use crate::reader::Reader;

/// Decodes a payload window, checks that nothing follows the frame (the
/// second reader), and runs the handler on the message.
type Run<Ctx, Reply> =
    dyn Fn(&mut Reader<'_>, &Reader<'_>, &mut Ctx) -> Result<Reply, DecodeError> + Send + Sync;

struct Slot<Ctx: ?Sized, Reply> {
    name: &'static str,
    run: Box<Run<Ctx, Reply>>,
}

/// Message ids mapped to a decoder and a handler each, for frames with
/// header `H`. Handlers take the message and `&mut Ctx` and return a
/// `Reply` (which may be a future, a boxed message, a `Result`, ...).
///
/// Handlers are `Send + Sync` closures, so a registry can be shared by
/// threads once built.
pub struct Registry<Ctx: ?Sized, Reply, H: Header = StdHeader> {
    slots: BTreeMap<u64, Slot<Ctx, Reply>>,
    header: PhantomData<fn() -> H>,
}

impl<Ctx: ?Sized, Reply, H: Header> Registry<Ctx, Reply, H> {
    /// An empty registry.
    pub fn new() -> Self {
        Registry {
            slots: BTreeMap::new(),
            header: PhantomData,
        }
    }

    /// Registers message type `M` under `M::ID`, handled by `handler`.
    /// Returns the registry, so that registrations chain with `?`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::DuplicateId`] if a type (possibly `M` itself) is
    /// already registered under `M::ID`; [`RegistryError::IdOutOfRange`] if
    /// the header `H` cannot carry `M::ID`. The registry is unchanged then.
    pub fn register<M>(
        &mut self,
        handler: impl Fn(M, &mut Ctx) -> Reply + Send + Sync + 'static,
    ) -> Result<&mut Self, RegistryError>
    where
        M: Message + for<'a> Decode<'a> + 'static,
    {
        if M::ID > H::MAX_ID {
            return Err(RegistryError::IdOutOfRange {
                id: M::ID,
                name: M::NAME,
                header: H::NAME,
                max: H::MAX_ID,
            });
        }
        match self.slots.entry(M::ID) {
            Entry::Occupied(taken) => Err(RegistryError::DuplicateId {
                id: M::ID,
                existing: taken.get().name,
                new: M::NAME,
            }),
            Entry::Vacant(slot) => {
                slot.insert(Slot {
                    name: M::NAME,
                    run: Box::new(move |payload, after, ctx| {
                        let msg = decode_payload_exact(payload, M::decode).map_err(|e| match e
                            .kind()
                        {
                            DecodeErrorKind::LengthMismatch { .. } => e.in_type(M::NAME),
                            _ => e,
                        })?;
                        after.finish()?;
                        Ok(handler(msg, ctx))
                    }),
                });
                Ok(self)
            }
        }
    }

    /// Decodes one whole frame (header, then the payload as the message
    /// registered under its id) and runs that message's handler.
    ///
    /// The handler runs only on a frame that decoded completely: payload
    /// length equal to the header's, no bytes after the frame.
    ///
    /// # Errors
    ///
    /// [`DispatchError::UnknownId`] for an id nobody registered;
    /// [`DispatchError::Decode`] for a short frame (with the exact number of
    /// bytes needed), a header/payload length mismatch, trailing bytes, or a
    /// message that does not decode.
    pub fn dispatch(&self, frame: &[u8], ctx: &mut Ctx) -> Result<Reply, DispatchError> {
        let mut r = Reader::new(frame);
        let (head, mut payload) = split_frame::<H>(&mut r)?;
        let slot = self
            .slots
            .get(&head.id)
            .ok_or(DispatchError::UnknownId { id: head.id })?;
        Ok((slot.run)(&mut payload, &r, ctx)?)
    }

    /// The name of the type registered under `id`.
    pub fn name_of(&self, id: u64) -> Option<&'static str> {
        self.slots.get(&id).map(|slot| slot.name)
    }

    /// The registered `(id, name)` pairs, by increasing id.
    pub fn messages(&self) -> impl Iterator<Item = (u64, &'static str)> + '_ {
        self.slots.iter().map(|(&id, slot)| (id, slot.name))
    }

    /// How many types are registered.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

impl<Ctx: ?Sized, Reply, H: Header> Default for Registry<Ctx, Reply, H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Ctx: ?Sized, Reply, H: Header> fmt::Debug for Registry<Ctx, Reply, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.messages()).finish()
    }
}

/// Registering a message type failed; the registry is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Another type already has this id.
    #[error("cannot register {new} under id {id:#x}: {existing} already has it")]
    DuplicateId {
        /// The contested id.
        id: u64,
        /// The type registered first.
        existing: &'static str,
        /// The type that was refused.
        new: &'static str,
    },
    /// The header cannot carry the type's id.
    #[error("cannot register {name}: id {id:#x} does not fit {header} (max {max:#x})")]
    IdOutOfRange {
        /// The type's id.
        id: u64,
        /// The type that was refused.
        name: &'static str,
        /// The header's name.
        header: &'static str,
        /// The largest id the header carries.
        max: u64,
    },
}

/// Dispatching a frame failed; no handler ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// No type is registered under the frame's id.
    #[error("no handler registered for message id {id:#x}")]
    UnknownId {
        /// The frame's id.
        id: u64,
    },
    /// The frame or its payload did not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::WideHeader;
    use crate::test_protocol::*;
    use crate::Encode;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use alloc::vec::Vec;

    #[derive(Default)]
    struct Log {
        seen: Vec<String>,
    }

    fn registry() -> Registry<Log, u8> {
        let mut reg = Registry::new();
        reg.register::<StoreRequest>(|m, log: &mut Log| {
            log.seen.push(alloc::format!("store {}", m.name));
            m.trans
        })
        .unwrap()
        .register::<FetchRequest>(|m, log| {
            log.seen.push(alloc::format!("fetch {}", m.name));
            m.trans + 100
        })
        .unwrap();
        reg
    }

    fn frame(msg: impl Into<Storage>) -> Vec<u8> {
        msg.into().to_bytes().unwrap()
    }

    #[test]
    fn dispatches_to_the_registered_handler() {
        let reg = registry();
        let mut log = Log::default();
        let store = frame(StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        });
        assert_eq!(reg.dispatch(&store, &mut log), Ok(7));
        let fetch = frame(FetchRequest {
            trans: 8,
            name: "key".into(),
        });
        assert_eq!(reg.dispatch(&fetch, &mut log), Ok(108));
        assert_eq!(log.seen, ["store key", "fetch key"]);
        assert_eq!(reg.name_of(3), Some("FetchRequest"));
        assert_eq!(
            reg.messages().collect::<Vec<_>>(),
            [(1, "StoreRequest"), (3, "FetchRequest")]
        );
        assert_eq!(
            alloc::format!("{reg:?}"),
            "{1: \"StoreRequest\", 3: \"FetchRequest\"}"
        );
    }

    #[test]
    fn duplicate_id_names_both_types_and_changes_nothing() {
        struct Impostor;
        impl Message for Impostor {
            const ID: u64 = 0x01;
            const NAME: &'static str = "Impostor";
            const FIELDS: &'static [crate::message::FieldLayout] = &[];
        }
        impl<'de> Decode<'de> for Impostor {
            fn decode_with(_: &mut Reader<'de>, _: crate::Endian) -> Result<Self, DecodeError> {
                Ok(Impostor)
            }
        }
        let mut reg = registry();
        let err = reg.register::<Impostor>(|_, _| 0).unwrap_err();
        assert_eq!(
            err,
            RegistryError::DuplicateId {
                id: 1,
                existing: "StoreRequest",
                new: "Impostor"
            }
        );
        assert_eq!(
            err.to_string(),
            "cannot register Impostor under id 0x1: StoreRequest already has it"
        );
        let err = reg.register::<StoreRequest>(|_, _| 0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot register StoreRequest under id 0x1: StoreRequest already has it"
        );
        // The first registration still handles id 1.
        let mut log = Log::default();
        let store = frame(StoreRequest {
            trans: 9,
            name: "k".into(),
            data: vec![],
        });
        assert_eq!(reg.dispatch(&store, &mut log), Ok(9));
        assert_eq!(reg.len(), 2);
    }

    #[test]
    fn id_must_fit_the_header() {
        struct Big;
        impl Message for Big {
            const ID: u64 = 0x1234;
            const NAME: &'static str = "Big";
            const FIELDS: &'static [crate::message::FieldLayout] = &[];
        }
        impl<'de> Decode<'de> for Big {
            fn decode_with(_: &mut Reader<'de>, _: crate::Endian) -> Result<Self, DecodeError> {
                Ok(Big)
            }
        }
        let mut reg = Registry::<(), u64>::new();
        let err = reg.register::<Big>(|_, _| 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot register Big: id 0x1234 does not fit StdHeader (max 0xff)"
        );
        assert!(reg.is_empty());

        let mut wide = Registry::<(), u64, WideHeader>::new();
        wide.register::<Big>(|_, _| 1).unwrap();
        assert_eq!(wide.dispatch(&[0x12, 0x34, 0, 0, 0, 0], &mut ()), Ok(1));
    }

    #[test]
    fn bad_frames_run_no_handler() {
        let reg = registry();
        let mut log = Log::default();
        let good = frame(StoreRequest {
            trans: 7,
            name: "key".into(),
            data: b"hello".to_vec(),
        });

        let mut unknown = good.clone();
        unknown[0] = 0x42;
        assert_eq!(
            reg.dispatch(&unknown, &mut log),
            Err(DispatchError::UnknownId { id: 0x42 })
        );
        assert_eq!(
            DispatchError::UnknownId { id: 0x42 }.to_string(),
            "no handler registered for message id 0x42"
        );

        for cut in 0..good.len() {
            let Err(DispatchError::Decode(e)) = reg.dispatch(&good[..cut], &mut log) else {
                panic!("cut {cut} dispatched")
            };
            let need = if cut < 3 { 3 - cut } else { good.len() - cut };
            assert_eq!(e.bytes_needed(), Some(need as u64));
        }

        let mut short = good.clone();
        short[2] -= 1;
        let Err(DispatchError::Decode(e)) = reg.dispatch(&short, &mut log) else {
            panic!()
        };
        assert_eq!(
            e.to_string(),
            "header declares 11 payload bytes, message used 12 at byte 10 in StoreRequest.data"
        );

        let mut long = good.clone();
        long[2] += 1;
        long.push(0);
        let Err(DispatchError::Decode(e)) = reg.dispatch(&long, &mut log) else {
            panic!()
        };
        assert_eq!(
            e.to_string(),
            "header declares 13 payload bytes, message used 12 at byte 15 in StoreRequest"
        );

        let mut trailing = good.clone();
        trailing.push(0);
        let Err(DispatchError::Decode(e)) = reg.dispatch(&trailing, &mut log) else {
            panic!()
        };
        assert_eq!(e.kind(), &DecodeErrorKind::TrailingBytes { count: 1 });

        assert!(log.seen.is_empty());
    }

    #[test]
    fn registry_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Registry<Log, u8>>();
        check::<Registry<dyn core::any::Any, ()>>();
    }

    #[test]
    fn error_chains_print_each_cause_once() {
        let e = RegistryError::DuplicateId {
            id: 1,
            existing: "StoreRequest",
            new: "Other",
        };
        assert_eq!(
            crate::error::assert_each_cause_once(&e),
            ["cannot register Other under id 0x1: StoreRequest already has it"]
        );
        let e = DispatchError::UnknownId { id: 9 };
        assert_eq!(
            crate::error::assert_each_cause_once(&e),
            ["no handler registered for message id 0x9"]
        );
        // Transparent: the decode error's own text, once.
        let e = DispatchError::from(DecodeError::new(DecodeErrorKind::UnknownId(9), 0));
        assert_eq!(
            crate::error::assert_each_cause_once(&e),
            ["unknown message id 0x9 at byte 0"]
        );
    }
}
