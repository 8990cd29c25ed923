//! How a message is handled: [`Handle`] (synchronous) and [`HandleAsync`]
//! on each message type say what it does given a context and what it
//! replies, striptease's `msg.process(handler)`; [`Dispatch`] and
//! [`DispatchAsync`] on a protocol enum forward each variant to its
//! message's handler with a `match`.
//!
//! ```
//! use codec::dispatch::{Dispatch, Handle};
//!
//! struct Counter { stores: u32 }
//! struct Store(u32);
//! struct Stat;
//!
//! impl Handle<Counter> for Store {
//!     type Reply = Option<u32>;
//!     fn handle(self, ctx: &mut Counter) -> Option<u32> {
//!         ctx.stores += self.0;
//!         None
//!     }
//! }
//! impl Handle<Counter> for Stat {
//!     type Reply = Option<u32>;
//!     fn handle(self, ctx: &mut Counter) -> Option<u32> {
//!         Some(ctx.stores)
//!     }
//! }
//!
//! // What `#[derive(Protocol)]` generates for `enum Msg { Store(Store), Stat(Stat) }`:
//! enum Msg { Store(Store), Stat(Stat) }
//! impl<Ctx: ?Sized, R> Dispatch<Ctx> for Msg
//! where
//!     Store: Handle<Ctx, Reply = R>,
//!     Stat: Handle<Ctx, Reply = R>,
//! {
//!     type Reply = R;
//!     fn dispatch(self, ctx: &mut Ctx) -> R {
//!         match self {
//!             Msg::Store(m) => Handle::handle(m, ctx),
//!             Msg::Stat(m) => Handle::handle(m, ctx),
//!         }
//!     }
//! }
//!
//! let mut ctx = Counter { stores: 0 };
//! assert_eq!(Msg::Store(Store(2)).dispatch(&mut ctx), None);
//! assert_eq!(Msg::Stat(Stat).dispatch(&mut ctx), Some(2));
//! ```
//!
//! # What the derive generates
//!
//! For `#[derive(Protocol)] enum P { A(MA), B(MB), #[codec(other)] O(RawFrame) }`,
//! both impls below, generic over the context and the reply so that no
//! attribute is needed; they apply wherever every variant's message (the
//! `other` variant's [`RawFrame`](crate::RawFrame) included) has a handler
//! for that context with one common reply type:
//!
//! ```text
//! impl<__Ctx: ?Sized, __R> Dispatch<__Ctx> for P
//! where MA: Handle<__Ctx, Reply = __R>, MB: Handle<__Ctx, Reply = __R>, RawFrame: Handle<__Ctx, Reply = __R>
//! {
//!     type Reply = __R;
//!     fn dispatch(self, ctx: &mut __Ctx) -> __R {
//!         match self { P::A(m) => Handle::handle(m, ctx), P::B(m) => .., P::O(m) => .. }
//!     }
//! }
//!
//! impl<__Ctx: ?Sized + Sync, __R> DispatchAsync<__Ctx> for P
//! where MA: HandleAsync<__Ctx, Reply = __R>, MB: .., RawFrame: ..
//! {
//!     type Reply = __R;
//!     fn dispatch(self, ctx: &__Ctx) -> impl Future<Output = __R> + Send {
//!         async move {
//!             match self { P::A(m) => HandleAsync::handle(m, ctx).await, P::B(m) => .., P::O(m) => .. }
//!         }
//!     }
//! }
//! ```
//!
//! The async impl needs the enum to be `Send` (its messages are, unless they
//! hold something like an `Rc`); a protocol with a lifetime adds it to the
//! impl's generics as usual. A message a side never expects (a response
//! arriving at a server) still needs a handler, which can reply with an
//! error; or split requests and responses into two protocols.

use core::future::Future;

/// A message's synchronous handler: what it does to a context `Ctx`, and
/// what it replies.
///
/// The reply is any type: another message, `Option<P>` for "maybe a reply",
/// a `Result`. All messages of a protocol handled through [`Dispatch`] must
/// agree on it.
pub trait Handle<Ctx: ?Sized> {
    /// What handling produces.
    type Reply;

    /// Handles the message, consuming it.
    fn handle(self, ctx: &mut Ctx) -> Self::Reply;
}

/// A message's asynchronous handler, for handlers that do I/O.
///
/// The context is shared (`&Ctx`): a server handles many connections at
/// once, so state that changes lives behind a lock or in a database. The
/// future must be `Send` so that it can run on a multi-threaded runtime;
/// implement it with an `async fn`:
///
/// ```
/// use codec::dispatch::HandleAsync;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// struct Server { bytes: AtomicU64 }
/// struct Store(Vec<u8>);
///
/// impl HandleAsync<Server> for Store {
///     type Reply = u64;
///     async fn handle(self, ctx: &Server) -> u64 {
///         ctx.bytes.fetch_add(self.0.len() as u64, Ordering::Relaxed) + self.0.len() as u64
///     }
/// }
///
/// let server = Server { bytes: AtomicU64::new(0) };
/// assert_eq!(futures::executor::block_on(Store(vec![1, 2]).handle(&server)), 2);
/// ```
pub trait HandleAsync<Ctx: ?Sized> {
    /// What handling produces.
    type Reply;

    /// Handles the message, consuming it.
    fn handle(self, ctx: &Ctx) -> impl Future<Output = Self::Reply> + Send;
}

/// A protocol enum that forwards each variant to its message's [`Handle`]
/// impl. Derived by `#[derive(Protocol)]`; see the [module docs](self) for
/// the generated code.
pub trait Dispatch<Ctx: ?Sized> {
    /// The reply every variant's handler produces.
    type Reply;

    /// Handles the message held by this variant.
    fn dispatch(self, ctx: &mut Ctx) -> Self::Reply;
}

/// A protocol enum that forwards each variant to its message's
/// [`HandleAsync`] impl. Derived by `#[derive(Protocol)]`; see the
/// [module docs](self) for the generated code.
pub trait DispatchAsync<Ctx: ?Sized> {
    /// The reply every variant's handler produces.
    type Reply;

    /// Handles the message held by this variant.
    fn dispatch(self, ctx: &Ctx) -> impl Future<Output = Self::Reply> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_protocol::*;
    use crate::{Decode, Encode, Protocol};
    use alloc::collections::BTreeMap;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::pin::pin;
    use core::sync::atomic::{AtomicU32, Ordering};
    use core::task::{Context, Poll, Waker};

    /// The storage server's state, for the synchronous handlers.
    #[derive(Default)]
    struct Store {
        values: BTreeMap<String, Vec<u8>>,
        unexpected: u32,
    }

    impl Handle<Store> for StoreRequest {
        type Reply = Option<Storage>;
        fn handle(self, ctx: &mut Store) -> Option<Storage> {
            ctx.values.insert(self.name.clone(), self.data);
            Some(
                StoreResponse {
                    trans: self.trans,
                    name: self.name,
                    status: SUCCESS,
                }
                .into(),
            )
        }
    }

    impl Handle<Store> for FetchRequest {
        type Reply = Option<Storage>;
        fn handle(self, ctx: &mut Store) -> Option<Storage> {
            let status = if ctx.values.contains_key(&self.name) {
                SUCCESS
            } else {
                EKEY
            };
            Some(
                StoreResponse {
                    trans: self.trans,
                    name: self.name,
                    status,
                }
                .into(),
            )
        }
    }

    /// A server does not expect responses or pings: count and drop them.
    macro_rules! unexpected {
        ($($t:ty),*) => {$(
            impl Handle<Store> for $t {
                type Reply = Option<Storage>;
                fn handle(self, ctx: &mut Store) -> Option<Storage> {
                    ctx.unexpected += 1;
                    None
                }
            }
        )*};
    }
    unexpected!(StoreResponse, Ping);

    // Hand-written: exactly what the derive generates for `Storage`.
    impl<Ctx: ?Sized, R> Dispatch<Ctx> for Storage
    where
        StoreRequest: Handle<Ctx, Reply = R>,
        StoreResponse: Handle<Ctx, Reply = R>,
        FetchRequest: Handle<Ctx, Reply = R>,
        Ping: Handle<Ctx, Reply = R>,
    {
        type Reply = R;
        fn dispatch(self, ctx: &mut Ctx) -> R {
            match self {
                Storage::StoreRequest(m) => Handle::handle(m, ctx),
                Storage::StoreResponse(m) => Handle::handle(m, ctx),
                Storage::FetchRequest(m) => Handle::handle(m, ctx),
                Storage::Ping(m) => Handle::handle(m, ctx),
            }
        }
    }

    impl<Ctx: ?Sized + Sync, R> DispatchAsync<Ctx> for Storage
    where
        StoreRequest: HandleAsync<Ctx, Reply = R>,
        StoreResponse: HandleAsync<Ctx, Reply = R>,
        FetchRequest: HandleAsync<Ctx, Reply = R>,
        Ping: HandleAsync<Ctx, Reply = R>,
    {
        type Reply = R;
        #[allow(clippy::manual_async_fn)] // spelled out as the derive does, Send bound visible
        fn dispatch(self, ctx: &Ctx) -> impl Future<Output = R> + Send {
            async move {
                match self {
                    Storage::StoreRequest(m) => HandleAsync::handle(m, ctx).await,
                    Storage::StoreResponse(m) => HandleAsync::handle(m, ctx).await,
                    Storage::FetchRequest(m) => HandleAsync::handle(m, ctx).await,
                    Storage::Ping(m) => HandleAsync::handle(m, ctx).await,
                }
            }
        }
    }

    #[test]
    fn sync_dispatch_routes_each_variant_and_replies() {
        let mut ctx = Store::default();
        let req = Storage::from_bytes(&[1, 0, 8, 7, 1, b'k', 0, 3, b'a', b'b', b'c']).unwrap();
        let reply = Dispatch::dispatch(req, &mut ctx).unwrap();
        assert_eq!(reply.to_bytes().unwrap(), [2, 0, 4, 7, 1, b'k', SUCCESS]);
        assert_eq!(ctx.values["k"], b"abc");

        let fetch = Storage::from(FetchRequest {
            trans: 8,
            name: "nope".into(),
        });
        let Some(Storage::StoreResponse(resp)) = Dispatch::dispatch(fetch, &mut ctx) else {
            panic!("wrong reply")
        };
        assert_eq!((resp.trans, resp.status), (8, EKEY));

        assert_eq!(
            Dispatch::dispatch(
                Storage::from(Ping {
                    seq: 1,
                    note: 2,
                    flag: 0
                }),
                &mut ctx
            ),
            None
        );
        assert_eq!(ctx.unexpected, 1);
        assert_eq!(reply.name(), "StoreResponse");
    }

    /// Shared state for the async handlers: atomics, since handlers run
    /// concurrently.
    #[derive(Default)]
    struct Counters {
        stored: AtomicU32,
        fetched: AtomicU32,
    }

    /// Returns `Pending` once, so handlers really suspend.
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: core::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    impl HandleAsync<Counters> for StoreRequest {
        type Reply = u32;
        async fn handle(self, ctx: &Counters) -> u32 {
            YieldOnce(false).await;
            ctx.stored
                .fetch_add(self.data.len() as u32, Ordering::Relaxed)
                + self.data.len() as u32
        }
    }
    impl HandleAsync<Counters> for FetchRequest {
        type Reply = u32;
        async fn handle(self, ctx: &Counters) -> u32 {
            ctx.fetched.fetch_add(1, Ordering::Relaxed) + 1
        }
    }
    impl HandleAsync<Counters> for StoreResponse {
        type Reply = u32;
        async fn handle(self, _: &Counters) -> u32 {
            u32::MAX
        }
    }
    impl HandleAsync<Counters> for Ping {
        type Reply = u32;
        async fn handle(self, _: &Counters) -> u32 {
            self.seq
        }
    }

    fn block_on<F: Future>(fut: F) -> F::Output {
        let mut fut = pin!(fut);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
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
    fn async_dispatch_routes_each_variant() {
        let ctx = Counters::default();
        let store = Storage::from(StoreRequest {
            trans: 1,
            name: "k".into(),
            data: alloc::vec![0; 5],
        });
        assert_eq!(
            block_on(assert_send(DispatchAsync::dispatch(store, &ctx))),
            5
        );
        let fetch = Storage::from(FetchRequest {
            trans: 2,
            name: "k".into(),
        });
        assert_eq!(block_on(DispatchAsync::dispatch(fetch, &ctx)), 1);
        let ping = Storage::from(Ping {
            seq: 42,
            note: 0,
            flag: 0,
        });
        assert_eq!(block_on(DispatchAsync::dispatch(ping, &ctx)), 42);
        let resp = StoreResponse {
            trans: 3,
            name: String::new(),
            status: FAIL,
        };
        assert_eq!(
            block_on(DispatchAsync::dispatch(Storage::from(resp), &ctx)),
            u32::MAX
        );
        assert_eq!(ctx.stored.load(Ordering::Relaxed), 5);
        assert_eq!(ctx.fetched.load(Ordering::Relaxed), 1);
    }
}
