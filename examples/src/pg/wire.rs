//! Every message of the PostgreSQL frontend/backend protocol 3.0
//! (PostgreSQL 15 documentation, chapter "Frontend/Backend Protocol",
//! section "Message Formats"), described with the derive alone.
//!
//! ```text
//! typed message:   Byte1 type | Int32 length (counts itself, not the type) | body
//! untyped message: Int32 length (counts itself) | Int32 version or request code | body
//! String:          bytes, then NUL          Int32 value length: -1 is NULL
//! ```
//!
//! Three protocol enums frame them: [`Frontend`] and [`Backend`] (typed,
//! [`PgHeader`]) and [`Startup`] (untyped, [`StartupHeader`]: the
//! StartupMessage and the three request codes). The answer to an
//! SSLRequest or GSSENCRequest is a single byte (`S`/`G` or `N`), not a
//! message.
//!
//! PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse
//! share the type byte `p`: which one it is depends on the authentication
//! request it answers, so [`AuthResponse`] carries the body as bytes, and
//! [`PasswordBody`], [`SaslInitialResponse`] and [`SaslResponse`] are the
//! derived bodies that go in it.

use codec::{Decode, Encode, Message, Protocol};

/// The typed messages' header: the type byte, then an Int32 length that
/// counts itself but not the type byte.
#[derive(Debug, Default, Clone, PartialEq, Encode, Decode, codec::Header)]
pub struct PgHeader {
    /// The message type byte (`Q`, `T`, `D`, ...).
    #[codec(id)]
    pub kind: u8,
    /// The body's length plus the four bytes of this field.
    #[codec(payload_len, len_adds = 4)]
    pub len: u32,
}

/// The untyped messages' header: the Int32 length, which counts itself
/// and the version after it, then the version (or request code) that
/// says which message this is.
#[derive(Debug, Default, Clone, PartialEq, Encode, Decode, codec::Header)]
pub struct StartupHeader {
    /// The body's length plus the eight bytes of this header.
    #[codec(payload_len, len_adds = 8)]
    pub len: u32,
    /// The protocol version (196608 for 3.0) or a request code.
    #[codec(id)]
    pub version: u32,
}

// ---------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------

/// One value: an Int32 length, -1 for NULL, then the bytes (a DataRow's
/// column, a Bind parameter, a FunctionCall argument).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Column {
    /// The bytes, `None` for NULL.
    #[codec(len = i32, null = -1)]
    pub value: Option<Vec<u8>>,
}

/// CopyData ('d', both directions): a chunk of a COPY data stream.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'd')]
pub struct CopyData {
    /// The chunk, the rest of the message.
    #[codec(rest)]
    pub data: Vec<u8>,
}

/// CopyDone ('c', both directions): the COPY data stream ended.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'c')]
pub struct CopyDone {}

// ---------------------------------------------------------------------
// Untyped frontend messages
// ---------------------------------------------------------------------

/// One run-time parameter of a StartupMessage.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Param {
    /// The parameter's name (`user`, `database`, `client_encoding`, ...).
    #[codec(term)]
    pub name: String,
    /// Its value.
    #[codec(term)]
    pub value: String,
}

/// StartupMessage, protocol 3.0 (196608 = 3 << 16): the parameters, ended
/// by a NUL where the next name would start.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 196608)]
pub struct StartupMessage {
    /// Name/value pairs; `user` is required.
    #[codec(term)]
    pub params: Vec<Param>,
}

/// SSLRequest (80877103 = 1234 << 16 | 5679): the request code alone.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 80877103)]
pub struct SslRequest {}

/// GSSENCRequest (80877104 = 1234 << 16 | 5680): the request code alone.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 80877104)]
pub struct GssEncRequest {}

/// CancelRequest (80877102 = 1234 << 16 | 5678), sent on a new
/// connection: the target backend's process ID and secret key.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 80877102)]
pub struct CancelRequest {
    /// From the target connection's BackendKeyData.
    pub process_id: i32,
    /// From the target connection's BackendKeyData.
    pub secret_key: i32,
}

/// The first message a client sends on a connection.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = StartupHeader)]
pub enum Startup {
    /// Start a session.
    StartupMessage(StartupMessage),
    /// Ask for TLS (answered by one byte).
    SslRequest(SslRequest),
    /// Ask for GSSAPI encryption (answered by one byte).
    GssEncRequest(GssEncRequest),
    /// Cancel another connection's query.
    CancelRequest(CancelRequest),
}

// ---------------------------------------------------------------------
// Typed frontend messages
// ---------------------------------------------------------------------

/// Bind ('B'): a portal from a prepared statement and parameter values.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'B')]
pub struct Bind {
    /// The destination portal (empty: the unnamed portal).
    #[codec(term)]
    pub portal: String,
    /// The source prepared statement (empty: the unnamed statement).
    #[codec(term)]
    pub statement: String,
    /// Parameter format codes: none (all text), one (for all) or one each;
    /// 0 text, 1 binary.
    #[codec(len = i16)]
    pub param_formats: Vec<i16>,
    /// The parameter values.
    #[codec(len = i16)]
    pub params: Vec<Column>,
    /// Result column format codes, as `param_formats`.
    #[codec(len = i16)]
    pub result_formats: Vec<i16>,
}

/// Close ('C'): close a prepared statement (`S`) or portal (`P`).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'C')]
pub struct Close {
    /// `b'S'` statement or `b'P'` portal.
    pub kind: u8,
    /// Its name (empty: the unnamed one).
    #[codec(term)]
    pub name: String,
}

/// CopyFail ('f'): abort COPY FROM STDIN with a message.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'f')]
pub struct CopyFail {
    /// Why (reported back in the ErrorResponse).
    #[codec(term)]
    pub message: String,
}

/// Describe ('D'): describe a prepared statement (`S`) or portal (`P`).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'D')]
pub struct Describe {
    /// `b'S'` statement or `b'P'` portal.
    pub kind: u8,
    /// Its name (empty: the unnamed one).
    #[codec(term)]
    pub name: String,
}

/// Execute ('E'): run a portal.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'E')]
pub struct Execute {
    /// The portal (empty: the unnamed portal).
    #[codec(term)]
    pub portal: String,
    /// Most rows to return, 0 for no limit.
    pub max_rows: i32,
}

/// Flush ('H'): ask the backend to send what it has buffered.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'H')]
pub struct Flush {}

/// FunctionCall ('F'): the legacy fast-path function call.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'F')]
pub struct FunctionCall {
    /// The function's OID.
    pub function: u32,
    /// Argument format codes, as Bind's.
    #[codec(len = i16)]
    pub arg_formats: Vec<i16>,
    /// The arguments.
    #[codec(len = i16)]
    pub args: Vec<Column>,
    /// The result's format code.
    pub result_format: i16,
}

/// PasswordMessage, SASLInitialResponse, SASLResponse or GSSResponse
/// ('p'): the body depends on the authentication request being answered,
/// so it travels as bytes; [`PasswordBody`], [`SaslInitialResponse`] and
/// [`SaslResponse`] are the bodies.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'p')]
pub struct AuthResponse {
    /// The encoded body.
    #[codec(rest)]
    pub body: Vec<u8>,
}

/// PasswordMessage's body: the password (cleartext or md5-hashed).
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PasswordBody {
    /// The password, NUL-terminated.
    #[codec(term)]
    pub password: String,
}

/// SASLInitialResponse's body: the chosen mechanism and the client's
/// first message.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct SaslInitialResponse {
    /// The mechanism (`SCRAM-SHA-256`).
    #[codec(term)]
    pub mechanism: String,
    /// The initial response, -1 length when there is none.
    #[codec(len = i32, null = -1)]
    pub data: Option<Vec<u8>>,
}

/// SASLResponse's (and GSSResponse's) body: mechanism data.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct SaslResponse {
    /// The data, the rest of the message.
    #[codec(rest)]
    pub data: Vec<u8>,
}

/// Parse ('P'): prepare a statement.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'P')]
pub struct Parse {
    /// The statement's name (empty: the unnamed statement).
    #[codec(term)]
    pub name: String,
    /// The query text.
    #[codec(term)]
    pub query: String,
    /// Parameter type OIDs (0: let the server infer).
    #[codec(len = i16)]
    pub param_types: Vec<u32>,
}

/// Query ('Q'): a simple query, one or more statements.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'Q')]
pub struct Query {
    /// The SQL text.
    #[codec(term)]
    pub query: String,
}

/// Sync ('S'): end an extended-query batch.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'S')]
pub struct Sync {}

/// Terminate ('X'): close the session.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'X')]
pub struct Terminate {}

/// The typed messages a client sends.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = PgHeader)]
pub enum Frontend {
    /// 'B'
    Bind(Bind),
    /// 'C'
    Close(Close),
    /// 'd'
    CopyData(CopyData),
    /// 'c'
    CopyDone(CopyDone),
    /// 'f'
    CopyFail(CopyFail),
    /// 'D'
    Describe(Describe),
    /// 'E'
    Execute(Execute),
    /// 'H'
    Flush(Flush),
    /// 'F'
    FunctionCall(FunctionCall),
    /// 'p'
    AuthResponse(AuthResponse),
    /// 'P'
    Parse(Parse),
    /// 'Q'
    Query(Query),
    /// 'S'
    Sync(Sync),
    /// 'X'
    Terminate(Terminate),
}

// ---------------------------------------------------------------------
// Backend messages
// ---------------------------------------------------------------------

/// One mechanism name of AuthenticationSASL.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct SaslMechanism {
    /// `SCRAM-SHA-256`, `SCRAM-SHA-256-PLUS`, ...
    #[codec(term)]
    pub name: String,
}

/// The request inside an Authentication message, chosen by its Int32
/// code.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[codec(repr = u32)]
pub enum Authentication {
    /// 0: authentication succeeded.
    #[codec(id = 0)]
    Ok,
    /// 2: Kerberos V5 (no longer supported by servers).
    #[codec(id = 2)]
    KerberosV5,
    /// 3: send the password in clear text.
    #[codec(id = 3)]
    CleartextPassword,
    /// 5: send the md5-hashed password with this salt.
    #[codec(id = 5)]
    Md5Password {
        /// The salt.
        salt: [u8; 4],
    },
    /// 7: GSSAPI.
    #[codec(id = 7)]
    Gss,
    /// 8: GSSAPI or SSPI continuation data.
    #[codec(id = 8)]
    GssContinue {
        /// The data.
        #[codec(rest)]
        data: Vec<u8>,
    },
    /// 9: SSPI.
    #[codec(id = 9)]
    Sspi,
    /// 10: SASL, with the mechanisms offered, ended by a NUL.
    #[codec(id = 10)]
    Sasl {
        /// The mechanisms in the server's order of preference.
        #[codec(term)]
        mechanisms: Vec<SaslMechanism>,
    },
    /// 11: a SASL challenge.
    #[codec(id = 11)]
    SaslContinue {
        /// The server's message.
        #[codec(rest)]
        data: Vec<u8>,
    },
    /// 12: the SASL outcome (the server's final message).
    #[codec(id = 12)]
    SaslFinal {
        /// The server's final message.
        #[codec(rest)]
        data: Vec<u8>,
    },
}

/// AuthenticationOk, ...SASLFinal ('R'): an authentication request or
/// outcome.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'R')]
pub struct AuthenticationRequest {
    /// The request.
    pub auth: Authentication,
}

/// BackendKeyData ('K'): what a CancelRequest for this session needs.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'K')]
pub struct BackendKeyData {
    /// The backend's process ID.
    pub process_id: i32,
    /// The secret key.
    pub secret_key: i32,
}

/// BindComplete ('2').
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'2')]
pub struct BindComplete {}

/// CloseComplete ('3').
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'3')]
pub struct CloseComplete {}

/// CommandComplete ('C'): a statement finished; its command tag.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'C')]
pub struct CommandComplete {
    /// `SELECT 3`, `INSERT 0 1`, `CREATE TABLE`, ...
    #[codec(term)]
    pub tag: String,
}

/// The body of CopyInResponse, CopyOutResponse and CopyBothResponse.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct CopyFormat {
    /// 0 text, 1 binary (for the whole copy).
    pub format: i8,
    /// Each column's format code.
    #[codec(len = i16)]
    pub columns: Vec<i16>,
}

/// CopyInResponse ('G'): the backend is ready for COPY FROM STDIN data.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'G')]
pub struct CopyInResponse {
    /// The formats.
    pub format: CopyFormat,
}

/// CopyOutResponse ('H'): COPY TO STDOUT data follows.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'H')]
pub struct CopyOutResponse {
    /// The formats.
    pub format: CopyFormat,
}

/// CopyBothResponse ('W'): streaming replication's copy in both
/// directions.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'W')]
pub struct CopyBothResponse {
    /// The formats.
    pub format: CopyFormat,
}

/// One row of a result ('D'): an Int16 count of columns.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'D')]
pub struct DataRow {
    /// The values, in RowDescription's order.
    #[codec(len = i16)]
    pub columns: Vec<Column>,
}

/// One value of a [`DataRowRef`], borrowed from the message: an Int32
/// length, -1 for NULL, then the bytes ([`Column`]'s layout).
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub struct ColumnRef<'a> {
    /// The bytes, `None` for NULL.
    #[codec(len = i32, null = -1)]
    pub value: Option<&'a [u8]>,
}

/// DataRow ('D') decoded without copying its values: the same bytes as
/// [`DataRow`], each column a slice of the message. The client's fetch
/// path reads the same layout with each [`ColumnRef`] kept as a span of
/// the message instead of a slice, so that narrow rows need no `Vec`
/// (see [`Row`](super::row::Row)).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'D')]
pub struct DataRowRef<'a> {
    /// The values, in RowDescription's order.
    #[codec(len = i16)]
    pub columns: Vec<ColumnRef<'a>>,
}

/// EmptyQueryResponse ('I'): the query string was empty.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'I')]
pub struct EmptyQueryResponse {}

/// One field of an ErrorResponse or NoticeResponse: a code byte (`S`
/// severity, `C` SQLSTATE, `M` message, `D` detail, `H` hint, `P`
/// position, ...) and its value.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct NoticeField {
    /// The field's code; 0 would end the list, so it cannot be written.
    pub code: u8,
    /// The value.
    #[codec(term)]
    pub value: String,
}

/// ErrorResponse ('E'): fields, ended by a NUL where the next code would
/// be.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'E')]
pub struct ErrorResponse {
    /// The fields in the order sent.
    #[codec(term)]
    pub fields: Vec<NoticeField>,
}

/// NoticeResponse ('N'): the same fields as ErrorResponse.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'N')]
pub struct NoticeResponse {
    /// The fields in the order sent.
    #[codec(term)]
    pub fields: Vec<NoticeField>,
}

/// FunctionCallResponse ('V'): the fast-path call's result.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'V')]
pub struct FunctionCallResponse {
    /// The result, `None` for NULL.
    pub result: Column,
}

/// One option name of NegotiateProtocolVersion.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct OptionName {
    /// The unrecognised `_pq_.` option.
    #[codec(term)]
    pub name: String,
}

/// NegotiateProtocolVersion ('v'): the newest minor version the server
/// speaks and the protocol options it did not recognise.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'v')]
pub struct NegotiateProtocolVersion {
    /// The newest minor protocol version supported.
    pub newest_minor: i32,
    /// The options not recognised (an Int32 count).
    #[codec(len = i32)]
    pub options: Vec<OptionName>,
}

/// NoData ('n'): the statement or portal returns no rows.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'n')]
pub struct NoData {}

/// NotificationResponse ('A'): a NOTIFY on a channel this session
/// listens to.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'A')]
pub struct NotificationResponse {
    /// The notifying backend's process ID.
    pub process_id: i32,
    /// The channel.
    #[codec(term)]
    pub channel: String,
    /// The payload.
    #[codec(term)]
    pub payload: String,
}

/// ParameterDescription ('t'): a prepared statement's parameter types.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b't')]
pub struct ParameterDescription {
    /// One type OID per parameter.
    #[codec(len = i16)]
    pub types: Vec<u32>,
}

/// ParameterStatus ('S'): a run-time parameter's current value.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'S')]
pub struct ParameterStatus {
    /// `server_version`, `client_encoding`, `DateStyle`, ...
    #[codec(term)]
    pub name: String,
    /// Its value.
    #[codec(term)]
    pub value: String,
}

/// ParseComplete ('1').
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'1')]
pub struct ParseComplete {}

/// PortalSuspended ('s'): Execute's row limit was reached.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b's')]
pub struct PortalSuspended {}

/// ReadyForQuery ('Z'): the backend awaits a new query.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'Z')]
pub struct ReadyForQuery {
    /// `b'I'` idle, `b'T'` in a transaction, `b'E'` in a failed
    /// transaction.
    pub status: u8,
}

/// One field of a RowDescription.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct FieldDescription {
    /// The column's name.
    #[codec(term)]
    pub name: String,
    /// The table's OID, 0 when the field is not a table column.
    pub table_oid: u32,
    /// The column's attribute number, 0 when not a table column.
    pub column: i16,
    /// The data type's OID.
    pub type_oid: u32,
    /// `pg_type.typlen`: negative for variable-width types.
    pub type_size: i16,
    /// `pg_attribute.atttypmod`.
    pub type_modifier: i32,
    /// 0 text, 1 binary.
    pub format: i16,
}

/// RowDescription ('T'): an Int16 count of fields.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = b'T')]
pub struct RowDescription {
    /// The fields.
    #[codec(len = i16)]
    pub fields: Vec<FieldDescription>,
}

/// The messages a server sends after the SSLRequest answer.
#[derive(Debug, Clone, PartialEq, Protocol)]
#[codec(header = PgHeader)]
pub enum Backend {
    /// 'R'
    Authentication(AuthenticationRequest),
    /// 'K'
    BackendKeyData(BackendKeyData),
    /// '2'
    BindComplete(BindComplete),
    /// '3'
    CloseComplete(CloseComplete),
    /// 'C'
    CommandComplete(CommandComplete),
    /// 'd'
    CopyData(CopyData),
    /// 'c'
    CopyDone(CopyDone),
    /// 'G'
    CopyInResponse(CopyInResponse),
    /// 'H'
    CopyOutResponse(CopyOutResponse),
    /// 'W'
    CopyBothResponse(CopyBothResponse),
    /// 'D'
    DataRow(DataRow),
    /// 'I'
    EmptyQueryResponse(EmptyQueryResponse),
    /// 'E'
    ErrorResponse(ErrorResponse),
    /// 'V'
    FunctionCallResponse(FunctionCallResponse),
    /// 'v'
    NegotiateProtocolVersion(NegotiateProtocolVersion),
    /// 'n'
    NoData(NoData),
    /// 'N'
    NoticeResponse(NoticeResponse),
    /// 'A'
    NotificationResponse(NotificationResponse),
    /// 't'
    ParameterDescription(ParameterDescription),
    /// 'S'
    ParameterStatus(ParameterStatus),
    /// '1'
    ParseComplete(ParseComplete),
    /// 's'
    PortalSuspended(PortalSuspended),
    /// 'Z'
    ReadyForQuery(ReadyForQuery),
    /// 'T'
    RowDescription(RowDescription),
}
