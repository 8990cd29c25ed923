//! What `psql --csv` prints, reproduced: CSV fields quoted by psql's
//! rules, NULL as an empty unquoted field, command tags, notifications,
//! and error and notice text as libpq builds it at the default verbosity
//! (`ERROR:  message`, a `LINE n:` extract with a caret under the error
//! position, `DETAIL:`, `HINT:`, `QUERY:`, and `CONTEXT:` for errors).

use std::io::{self, Write};

use super::client::Notification;
use super::error::Notice;

/// Writes one CSV field as psql does (`csv_print_field`, separator `,`):
/// quoted, with quotes doubled, when it holds the separator, a quote, CR
/// or LF, or is exactly `\.`; as is otherwise (an empty string too).
///
/// ```
/// # use codec_examples::pg::psql::csv_field;
/// let mut out = Vec::new();
/// for f in ["a", "x,y", "q\"", "", "\\."] {
///     csv_field(&mut out, f.as_bytes()).unwrap();
///     out.push(b'|');
/// }
/// assert_eq!(out, b"a|\"x,y\"|\"q\"\"\"||\"\\.\"|");
/// ```
///
/// # Errors
///
/// The writer's.
pub fn csv_field(out: &mut impl Write, field: &[u8]) -> io::Result<()> {
    let quote = field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        || field == b"\\.";
    if !quote {
        return out.write_all(field);
    }
    out.write_all(b"\"")?;
    for part in field.split_inclusive(|&b| b == b'"') {
        out.write_all(part)?;
        if part.last() == Some(&b'"') {
            out.write_all(b"\"")?;
        }
    }
    out.write_all(b"\"")
}

/// Writes one CSV line of fields, `None` as an empty unquoted field.
///
/// # Errors
///
/// The writer's.
pub fn csv_line<'a>(
    out: &mut impl Write,
    fields: impl IntoIterator<Item = Option<&'a [u8]>>,
) -> io::Result<()> {
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if let Some(f) = f {
            csv_field(out, f)?;
        }
    }
    out.write_all(b"\n")
}

/// Whether psql prints a command tag after a result: always for a
/// statement without rows; after rows only for `INSERT`, `UPDATE` and
/// `DELETE` with `RETURNING` (psql's `PrintQueryResult`).
pub fn prints_tag(had_columns: bool, tag: &str) -> bool {
    !had_columns
        || ["INSERT", "UPDATE", "DELETE"]
            .iter()
            .any(|p| tag.starts_with(p))
}

/// psql's line for a notification received during a command.
pub fn notification_line(n: &Notification) -> String {
    if n.payload.is_empty() {
        format!(
            "Asynchronous notification \"{}\" received from server process with PID {}.",
            n.channel, n.process_id
        )
    } else {
        format!(
            "Asynchronous notification \"{}\" with payload \"{}\" received from server process with PID {}.",
            n.channel, n.payload, n.process_id
        )
    }
}

/// An error or notice as libpq's `pqBuildErrorMessage3` writes it at the
/// default verbosity, every line ended by `\n`. `query` is the command
/// that was sent, for the `LINE n:` extract of a position field;
/// `is_error` shows `CONTEXT:` (psql shows it for errors only).
pub fn error_text(n: &Notice, query: Option<&str>, is_error: bool) -> String {
    let mut out = format!("{}:  {}", n.severity(), n.message());
    let mut cursor = None;
    if let Some(p) = n.field(b'P') {
        match query {
            Some(q) => cursor = Some((q, atoi(p))),
            None => out.push_str(&format!(" at character {p}")),
        }
    } else if let Some(p) = n.field(b'p') {
        match n.field(b'q') {
            Some(q) => cursor = Some((q, atoi(p))),
            None => out.push_str(&format!(" at character {p}")),
        }
    }
    out.push('\n');
    if let Some((q, pos)) = cursor {
        if pos > 0 {
            report_position(&mut out, q, pos as usize);
        }
    }
    for (code, label) in [(b'D', "DETAIL"), (b'H', "HINT"), (b'q', "QUERY")] {
        if let Some(v) = n.field(code) {
            out.push_str(&format!("{label}:  {v}\n"));
        }
    }
    if is_error {
        if let Some(v) = n.field(b'W') {
            out.push_str(&format!("CONTEXT:  {v}\n"));
        }
    }
    out
}

/// C's `atoi`: leading digits, 0 when there are none.
fn atoi(s: &str) -> i64 {
    let digits: String = s
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

/// libpq's `reportErrorPosition`: the line holding character `loc`
/// (1-based), cut to 60 columns around it with `...`, then a caret line.
/// Every character counts one column (libpq counts East Asian wide
/// characters as two; they are not handled here).
fn report_position(out: &mut String, query: &str, loc: usize) {
    const DISPLAY_SIZE: usize = 60;
    const MIN_RIGHT_CUT: usize = 10;
    let loc = loc - 1;
    // Tabs print as spaces.
    let chars: Vec<char> = query
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let mut loc_line = 1;
    let mut ibeg = 0;
    let mut iend = None;
    for (cno, &ch) in chars.iter().enumerate() {
        if ch == '\r' || ch == '\n' {
            if cno < loc {
                if ch == '\r' || cno == 0 || chars[cno - 1] != '\r' {
                    loc_line += 1;
                }
                ibeg = cno + 1;
            } else {
                iend = Some(cno);
                break;
            }
        }
    }
    let count = chars.len();
    let mut iend = iend.unwrap_or(count);
    if loc > count {
        return;
    }
    let (mut beg_trunc, mut end_trunc) = (false, false);
    if iend - ibeg > DISPLAY_SIZE {
        if ibeg + DISPLAY_SIZE >= loc + MIN_RIGHT_CUT {
            while iend - ibeg > DISPLAY_SIZE {
                iend -= 1;
            }
            end_trunc = true;
        } else {
            while loc + MIN_RIGHT_CUT < iend {
                iend -= 1;
                end_trunc = true;
            }
            while iend - ibeg > DISPLAY_SIZE {
                ibeg += 1;
                beg_trunc = true;
            }
        }
    }
    let prefix = format!("LINE {loc_line}: {}", if beg_trunc { "..." } else { "" });
    let indent = prefix.chars().count() + (loc - ibeg);
    out.push_str(&prefix);
    out.extend(&chars[ibeg..iend]);
    if end_trunc {
        out.push_str("...");
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push_str("^\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(fields: &[(u8, &str)]) -> Notice {
        Notice {
            fields: fields.iter().map(|(c, v)| (*c, v.to_string())).collect(),
        }
    }

    /// psql 15's output for the same errors (see pg_psql.rs for the live
    /// comparison).
    #[test]
    fn positions_like_libpq() {
        let n = notice(&[
            (b'S', "ERROR"),
            (b'M', "column \"nosuch\" does not exist"),
            (b'P', "18"),
        ]);
        assert_eq!(
            error_text(&n, Some("select 1; select nosuch; select 2"), true),
            "ERROR:  column \"nosuch\" does not exist\nLINE 1: select 1; select nosuch; select 2\n                         ^\n"
        );
        let n = notice(&[(b'S', "ERROR"), (b'M', "m"), (b'P', "18")]);
        assert_eq!(
            error_text(&n, Some("  select\n  1,\n   nosuch_col"), true),
            "ERROR:  m\nLINE 3:    nosuch_col\n           ^\n"
        );
        assert_eq!(error_text(&n, None, true), "ERROR:  m at character 18\n");
        let long = format!("select {} nosuch", "x, ".repeat(40));
        let n = notice(&[
            (b'S', "ERROR"),
            (b'M', "m"),
            (b'P', "128"),
            (b'D', "d"),
            (b'W', "c"),
        ]);
        let text = error_text(&n, Some(&long), false);
        assert!(text.starts_with("ERROR:  m\nLINE 1: ..., x, "), "{text}");
        assert!(text.ends_with("^\nDETAIL:  d\n"), "{text}");
    }
}
