//! A write request and its completion. Each [`Write`] carries the
//! [`Reply`] its caller waits on, typed by what the write returns, and
//! each [`Answer`] pairs that reply with a result of the same type: which
//! answer belongs to which write is in the types, not matched at run time.

use tokio::sync::oneshot;

use super::schema::INLINE;
use super::types::{Change, DbError, Meta};

/// Whoever waits for a write's result, if anyone does.
pub(super) struct Reply<T>(Option<Waiter<T>>);

/// Called with a write's result ([`Reply::call`]).
pub(super) type Then<T> = Box<dyn FnOnce(Result<T, DbError>) + Send>;

enum Waiter<T> {
    /// A future awaiting the receiver.
    Channel(oneshot::Sender<Result<T, DbError>>),
    /// A function to call with the result, on the answering task (no
    /// future, no channel: the server's durable stores answer through it).
    Call(Then<T>),
}

impl<T> Reply<T> {
    /// A reply sent on `tx`.
    pub(super) fn to(tx: oneshot::Sender<Result<T, DbError>>) -> Reply<T> {
        Reply(Some(Waiter::Channel(tx)))
    }

    /// A reply given by calling `then`.
    pub(super) fn call(then: Then<T>) -> Reply<T> {
        Reply(Some(Waiter::Call(then)))
    }

    /// A reply nobody waits for (an abandoned upload).
    pub(super) fn nobody() -> Reply<T> {
        Reply(None)
    }

    fn send(mut self, result: Result<T, DbError>) {
        match self.0.take() {
            // A receiver that went away (its client disconnected) needs
            // nothing.
            Some(Waiter::Channel(tx)) => {
                let _ = tx.send(result);
            }
            Some(Waiter::Call(then)) => then(result),
            None => {}
        }
    }
}

/// A write dropped unanswered (the writer stopped with it queued) fails:
/// a channel's receiver sees its sender dropped, a function is called
/// with the error.
impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(Waiter::Call(then)) = self.0.take() {
            then(Err(DbError::new("the writer has stopped")));
        }
    }
}

/// What the handles send the writer thread.
pub(super) enum Command {
    /// A write to apply.
    Write(Write),
    /// Commit what came before, then stop the writer; answered once the
    /// writer has let go of the database.
    Close(oneshot::Sender<()>),
}

/// A write and whoever waits for its result.
pub(super) enum Write {
    Store {
        name: String,
        data: Vec<u8>,
        reply: Reply<Meta>,
    },
    Delete {
        name: String,
        reply: Reply<Option<u64>>,
    },
    NewBlob {
        reply: Reply<u64>,
    },
    Chunk {
        blob: u64,
        index: u64,
        data: Vec<u8>,
        reply: Reply<()>,
    },
    Commit {
        name: String,
        blob: u64,
        size: u64,
        reply: Reply<Meta>,
    },
    /// Nobody waits for it.
    DropBlob {
        blob: u64,
    },
}

impl Write {
    /// Whether the caller waits for the write to be on disk.
    pub(super) fn durable(&self) -> bool {
        matches!(
            self,
            Write::Store { .. } | Write::Delete { .. } | Write::Commit { .. }
        )
    }

    /// Whether the write goes to the log: an inline store or a delete
    /// (what a flush on the runtime may settle itself).
    pub(super) fn inline(&self) -> bool {
        match self {
            Write::Store { data, .. } => data.len() <= INLINE,
            Write::Delete { .. } => true,
            _ => false,
        }
    }

    /// Whether the write goes through redb durably rather than through the
    /// log: an upload's commit, a value too large to be inline.
    pub(super) fn through_redb(&self) -> bool {
        match self {
            Write::Commit { .. } => true,
            Write::Store { data, .. } => data.len() > INLINE,
            _ => false,
        }
    }

    /// The write, failed with `e`.
    pub(super) fn fail(self, e: &DbError) -> Answer {
        match self {
            Write::Store { reply, .. } | Write::Commit { reply, .. } => {
                Answer::Meta(reply, Err(e.clone()))
            }
            Write::Delete { reply, .. } => Answer::Deleted(reply, Err(e.clone())),
            Write::NewBlob { reply } => Answer::Blob(reply, Err(e.clone())),
            Write::Chunk { reply, .. } => Answer::Unit(reply, Err(e.clone())),
            Write::DropBlob { .. } => Answer::Unit(Reply::nobody(), Err(e.clone())),
        }
    }
}

/// A write's result, with whoever waits for it: each variant pairs a reply
/// with a result of the type that reply carries.
pub(super) enum Answer {
    /// A store or an upload's commit.
    Meta(Reply<Meta>, Result<Meta, DbError>),
    /// A delete: the version, or `None` if the key did not exist.
    Deleted(Reply<Option<u64>>, Result<Option<u64>, DbError>),
    /// A new blob id.
    Blob(Reply<u64>, Result<u64, DbError>),
    /// A chunk written or an upload dropped.
    Unit(Reply<()>, Result<(), DbError>),
}

impl Answer {
    /// The error this answer carries, if it is one.
    pub(super) fn error(&self) -> Option<&DbError> {
        match self {
            Answer::Meta(_, r) => r.as_ref().err(),
            Answer::Deleted(_, r) => r.as_ref().err(),
            Answer::Blob(_, r) => r.as_ref().err(),
            Answer::Unit(_, r) => r.as_ref().err(),
        }
    }

    /// The same reply, failed with `e` (the batch committed nothing).
    fn fail(self, e: &DbError) -> Answer {
        match self {
            Answer::Meta(reply, _) => Answer::Meta(reply, Err(e.clone())),
            Answer::Deleted(reply, _) => Answer::Deleted(reply, Err(e.clone())),
            Answer::Blob(reply, _) => Answer::Blob(reply, Err(e.clone())),
            Answer::Unit(reply, _) => Answer::Unit(reply, Err(e.clone())),
        }
    }

    pub(super) fn send(self) {
        match self {
            Answer::Meta(reply, r) => reply.send(r),
            Answer::Deleted(reply, r) => reply.send(r),
            Answer::Blob(reply, r) => reply.send(r),
            Answer::Unit(reply, r) => reply.send(r),
        }
    }
}

/// A settled batch: an answer per write, in order, and the changes it
/// committed.
pub(super) struct Settled {
    pub(super) answers: Vec<Answer>,
    pub(super) changes: Vec<Change>,
}

/// A batch that committed nothing: why, and every write answered with it.
pub(super) struct Failed {
    pub(super) error: DbError,
    pub(super) answers: Vec<Answer>,
}

impl Failed {
    /// `answers` and then `writes`, all failed with `error`.
    pub(super) fn new(
        error: DbError,
        answers: impl IntoIterator<Item = Answer>,
        writes: impl IntoIterator<Item = Write>,
    ) -> Failed {
        let answers = answers
            .into_iter()
            .map(|a| a.fail(&error))
            .chain(writes.into_iter().map(|w| w.fail(&error)))
            .collect();
        Failed { error, answers }
    }
}
