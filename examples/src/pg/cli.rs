//! The `pg-peer` command line: `query` prints results as `psql --csv`
//! does, `copy-out` and `copy-in` stream COPY data through stdout and
//! stdin.
//!
//! ```text
//! pg-peer query    [-h HOST] [-p PORT] [-U USER] [-d DBNAME] [--csv] -c SQL [-c SQL]...
//! pg-peer copy-out [-h HOST] [-p PORT] [-U USER] [-d DBNAME] -c 'COPY ... TO STDOUT'
//! pg-peer copy-in  [-h HOST] [-p PORT] [-U USER] [-d DBNAME] -c 'COPY ... FROM STDIN'
//! ```
//!
//! Connection options fall back to libpq's environment
//! ([`libpq`]). As psql: every `-c` runs in one session, in
//! order, even after one fails; the exit status is 0 when the last one
//! succeeded, 1 when it failed, 2 when the connection or authentication
//! failed or the connection was lost. Notices and errors go to stderr
//! (`NOTICE:  ...`, `ERROR:  ...` with psql's `LINE n:` extract),
//! notifications to stdout after the command they arrived with. Output is
//! always psql's CSV format (`--csv` is accepted for compatibility; the
//! aligned table format is not implemented). A `COPY ... FROM STDIN` inside
//! `query` is refused with CopyFail (psql would read standard input): use
//! `copy-in`.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{ArgAction, Args, Parser, Subcommand};

use super::client::{Client, Config, Event};
use super::error::Error;
use super::libpq::{self, Flags};
use super::psql::{csv_line, error_text, notification_line, prints_tag};

/// A small psql on the codec PostgreSQL client.
#[derive(Debug, Parser)]
#[command(name = "pg-peer", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run SQL commands and print their results as `psql --csv`.
    Query(QueryArgs),
    /// Run `COPY ... TO STDOUT`, streaming the data to standard output.
    CopyOut(CopyArgs),
    /// Run `COPY ... FROM STDIN`, streaming standard input to the server.
    CopyIn(CopyArgs),
}

/// The connection flags, psql's letters (`-h` is the host, so help is
/// `--help` only); given twice, the last one counts, as in psql.
#[derive(Debug, Args)]
struct ConnArgs {
    /// Database server host or socket directory (PGHOST).
    #[arg(short = 'h', long = "host", overrides_with = "host")]
    host: Option<String>,
    /// Database server port (PGPORT).
    #[arg(short = 'p', long = "port", overrides_with = "port")]
    port: Option<String>,
    /// Database user name (PGUSER).
    #[arg(short = 'U', long = "username", overrides_with = "user")]
    user: Option<String>,
    /// Database name (PGDATABASE).
    #[arg(short = 'd', long = "dbname", overrides_with = "dbname")]
    dbname: Option<String>,
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    help: Option<bool>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
struct QueryArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// CSV output (the only format; accepted as psql's flag).
    #[arg(long)]
    csv: bool,
    /// A command to run; repeat for more, all in one session.
    #[arg(short = 'c', long = "command", required = true)]
    commands: Vec<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
struct CopyArgs {
    #[command(flatten)]
    conn: ConnArgs,
    /// The COPY statement.
    #[arg(short = 'c', long = "command")]
    command: String,
}

/// Runs the command line; the exit status as psql's.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pg-peer: error: {e}");
            return ExitCode::from(2);
        }
    };
    ExitCode::from(runtime.block_on(run(cli)))
}

async fn run(cli: Cli) -> u8 {
    let conn = match &cli.command {
        Command::Query(a) => &a.conn,
        Command::CopyOut(a) | Command::CopyIn(a) => &a.conn,
    };
    let mut client = match connect(conn).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    client.on_notice(|n| eprint!("{}", error_text(n, None, false)));
    let status = match &cli.command {
        Command::Query(a) => {
            let mut status = 0;
            for sql in &a.commands {
                status = match query(&mut client, sql).await {
                    Ok(()) => 0,
                    Err(code) => code,
                };
                if status == 2 {
                    return 2;
                }
            }
            status
        }
        Command::CopyOut(a) => copy_out(&mut client, &a.command).await,
        Command::CopyIn(a) => copy_in(&mut client, &a.command).await,
    };
    let _ = client.close().await;
    status
}

async fn connect(conn: &ConnArgs) -> Result<Client, u8> {
    let flags = Flags {
        host: conn.host.clone(),
        port: conn.port.clone(),
        user: conn.user.clone(),
        dbname: conn.dbname.clone(),
    };
    let (config, warnings): (Config, _) = match libpq::resolve(&flags, |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pg-peer: error: {e}");
            return Err(2);
        }
    };
    for w in warnings {
        eprintln!("{w}");
    }
    Client::connect(&config).await.map_err(|e| {
        let what = match &e {
            Error::Server(n) => error_text(n, None, true).trim_end().to_string(),
            other => other.to_string(),
        };
        let place = if config.host.starts_with('/') {
            format!(
                "connection to server on socket \"{}/.s.PGSQL.{}\" failed",
                config.host, config.port
            )
        } else {
            format!(
                "connection to server at \"{}\", port {} failed",
                config.host, config.port
            )
        };
        eprintln!("pg-peer: error: {place}: {what}");
        2
    })
}

/// Runs one `-c` command: Ok, or the exit status it leaves (1 for the
/// server's error, 2 for a lost connection).
async fn query(client: &mut Client, sql: &str) -> Result<(), u8> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut had_columns = false;
    let mut copying = false;
    let result = client
        .simple_query_with(sql, |ev| {
            match ev {
                Event::Columns(cols) => {
                    had_columns = true;
                    csv_line(&mut out, cols.iter().map(|c| Some(c.name.as_bytes())))?;
                }
                Event::Row(row) => csv_line(&mut out, row.iter())?,
                Event::Complete(tag) => {
                    if !copying && prints_tag(had_columns, tag) {
                        writeln!(out, "{tag}")?;
                    }
                    had_columns = false;
                    copying = false;
                }
                Event::EmptyQuery => {}
                Event::CopyOut => copying = true,
                Event::CopyData(d) => out.write_all(d)?,
            }
            Ok(())
        })
        .await;
    let flushed = out.flush();
    drop(out);
    let notes = client.take_notifications();
    if !notes.is_empty() {
        let mut o = io::stdout().lock();
        for n in notes {
            let _ = writeln!(o, "{}", notification_line(&n));
        }
    }
    match result {
        Ok(()) => flushed.map_err(|e| {
            eprintln!("pg-peer: error: {e}");
            1
        }),
        Err(Error::Server(n)) => {
            eprint!("{}", error_text(&n, Some(sql), true));
            Err(1)
        }
        Err(Error::Io(e)) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("pg-peer: error: connection to server was lost: {e}");
            Err(2)
        }
        Err(e @ (Error::Protocol(_) | Error::Unexpected(_))) => {
            eprintln!("pg-peer: error: {e}");
            Err(2)
        }
        Err(e) => {
            eprintln!("pg-peer: error: {e}");
            Err(1)
        }
    }
}

async fn copy_out(client: &mut Client, sql: &str) -> u8 {
    let mut copy = match client.copy_out(sql).await {
        Ok(c) => c,
        Err(e) => return report(&e, sql),
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    loop {
        match copy.next().await {
            Ok(Some(chunk)) => {
                if let Err(e) = out.write_all(&chunk) {
                    eprintln!("pg-peer: error: could not write COPY data: {e}");
                    return 1;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = out.flush();
                return report(&e, sql);
            }
        }
    }
    match out.flush() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pg-peer: error: could not write COPY data: {e}");
            1
        }
    }
}

async fn copy_in(client: &mut Client, sql: &str) -> u8 {
    match client.copy_in(sql, tokio::io::stdin()).await {
        Ok(rows) => {
            println!("COPY {rows}");
            0
        }
        Err(e) => report(&e, sql),
    }
}

/// Prints an error as psql would and gives its exit status.
fn report(e: &Error, sql: &str) -> u8 {
    match e {
        Error::Server(n) => {
            eprint!("{}", error_text(n, Some(sql), true));
            1
        }
        Error::Io(_) | Error::Protocol(_) | Error::Unexpected(_) => {
            eprintln!("pg-peer: error: {e}");
            2
        }
        other => {
            eprintln!("pg-peer: error: {other}");
            1
        }
    }
}
