//! Serving a protocol: a service trait generated from the protocol enum,
//! with one typed method per request, and [`Dispatch`], which hands each
//! message to its method.
//!
//! `#[codec(service = Name)]` on a `#[derive(Protocol)]` enum generates a
//! trait `Name<Ctx>`. Each variant marked `#[codec(request)]` (its message
//! declares `#[codec(response = Reply)]`) gets a required method whose
//! future yields exactly that `Reply`: a handler answering with another
//! type does not compile. Every other variant (replies, notifications, the
//! `#[codec(other)]` catch-all holding a [`RawFrame`](crate::RawFrame))
//! gets a method with a default body that calls `unexpected`, whose own
//! default answers nothing. Methods are named after their variants in
//! `snake_case`.
//!
//! ```text
//! #[derive(Protocol)]
//! #[codec(service = KvService)]
//! enum Kv {
//!     #[codec(request)] Get(Get),       // Get: #[codec(response = Value)]
//!     Value(Value),
//!     #[codec(other)] Unknown(RawFrame),
//! }
//!
//! // generates:
//! trait KvService<Ctx: ?Sized + Sync>: Sync {
//!     fn get(&self, request: Get, ctx: &Ctx) -> impl Future<Output = Value> + Send;
//!     fn value(&self, msg: Value, ctx: &Ctx) -> impl Future<Output = Option<Kv>> + Send { /* unexpected */ }
//!     fn unknown(&self, msg: RawFrame, ctx: &Ctx) -> impl Future<Output = Option<Kv>> + Send { /* unexpected */ }
//!     fn unexpected(&self, msg: Kv, ctx: &Ctx) -> Option<Kv> { None }
//!     fn replied(&self, request_id: u64, reply: Option<Kv>, ctx: &Ctx) -> Option<Kv> { reply }
//! }
//! impl<S: KvService<Ctx> + ?Sized, Ctx: ?Sized + Sync> Dispatch<S, Ctx> for Kv { /* one match */ }
//! ```
//!
//! `Ctx` is what every method sees beside the message: the connection a
//! request came on ([`rpc::Peer`] when served by [`rpc::Server`] through
//! [`rpc::Dispatcher`]), or `()`. Methods take `&self`, as a server shares
//! one service across connections: state that changes lives behind a lock,
//! an atomic or a database handle. Implement them with `async fn` (one
//! that never waits is ready at once; the rpc server answers it without
//! spawning a task).
//!
//! [`Dispatch::dispatch`] is one `async` block around one `match`: the
//! handler's future is awaited in place (nothing is boxed per message),
//! then `replied` sees every reply, the one place for per-message
//! counting or logging.
//!
//! ```
//! use codec::{Decode, Dispatch, Encode, Message, Protocol, RawFrame};
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! /// Adds to the total (0x01), answered by a [`Total`].
//! #[derive(Debug, PartialEq, Encode, Decode, Message)]
//! #[codec(id = 0x01, response = Total)]
//! struct Add { #[codec(tag)] tag: u8, amount: u32 }
//!
//! /// The total after an [`Add`] (0x02).
//! #[derive(Debug, PartialEq, Encode, Decode, Message)]
//! #[codec(id = 0x02)]
//! struct Total { #[codec(tag)] tag: u8, total: u64 }
//!
//! #[derive(Debug, PartialEq, Protocol)]
//! #[codec(service = CounterService)]
//! enum Counter {
//!     #[codec(request)]
//!     Add(Add),
//!     Total(Total),
//!     #[codec(other)]
//!     Unknown(RawFrame),
//! }
//!
//! #[derive(Default)]
//! struct Adder { total: AtomicU64, unexpected: AtomicU64 }
//!
//! impl CounterService<()> for Adder {
//!     async fn add(&self, req: Add, _: &()) -> Total {
//!         let amount = u64::from(req.amount);
//!         let total = self.total.fetch_add(amount, Ordering::Relaxed) + amount;
//!         Total { tag: req.tag, total }
//!     }
//!
//!     // `total` and `unknown` keep their defaults, which come here.
//!     fn unexpected(&self, _: Counter, _: &()) -> Option<Counter> {
//!         self.unexpected.fetch_add(1, Ordering::Relaxed);
//!         None
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let adder = Adder::default();
//! let add = Counter::from(Add { tag: 1, amount: 5 });
//! assert_eq!(add.dispatch(&adder, &()).await, Some(Total { tag: 1, total: 5 }.into()));
//!
//! // A reply sent to the server, and a frame no variant claims: no answer.
//! assert_eq!(Counter::from(Total { tag: 2, total: 9 }).dispatch(&adder, &()).await, None);
//! let unknown = Counter::from_bytes(&[0x7f, 0x00, 0x01, 0xaa]).unwrap();
//! assert_eq!(unknown.dispatch(&adder, &()).await, None);
//! assert_eq!(adder.unexpected.load(Ordering::Relaxed), 2);
//! # });
//! ```
//!
//! A handler that answers with the wrong type is a compile error (here
//! `expected Total, found u64`):
//!
//! ```compile_fail
//! # use codec::{Decode, Encode, Message, Protocol};
//! # #[derive(Debug, Encode, Decode, Message)]
//! # #[codec(id = 0x01, response = Total)]
//! # struct Add { amount: u32 }
//! # #[derive(Debug, Encode, Decode, Message)]
//! # #[codec(id = 0x02)]
//! # struct Total { total: u64 }
//! # #[derive(Debug, Protocol)]
//! # #[codec(service = CounterService)]
//! # enum Counter { #[codec(request)] Add(Add), Total(Total) }
//! struct Adder;
//! impl CounterService<()> for Adder {
//!     async fn add(&self, req: Add, _: &()) -> u64 {
//!         u64::from(req.amount)
//!     }
//! }
//! ```
//!
//! [`rpc::Peer`]: crate::rpc::Peer
//! [`rpc::Server`]: crate::rpc::Server
//! [`rpc::Dispatcher`]: crate::rpc::Dispatcher

use core::future::Future;

use crate::protocol::Protocol;

/// A protocol whose messages service `S` handles, given a context `Ctx`.
///
/// Implemented by `#[derive(Protocol)]` with `#[codec(service = Name)]`
/// for every `S: Name<Ctx>`; see the [module docs](self).
pub trait Dispatch<S: ?Sized, Ctx: ?Sized>: Protocol {
    /// Hands this message to its method of `service`, then the reply to
    /// the service's `replied`; resolves to the reply to send, if any (a
    /// request's typed response, converted into the protocol).
    fn dispatch(self, service: &S, ctx: &Ctx) -> impl Future<Output = Option<Self>> + Send;
}
