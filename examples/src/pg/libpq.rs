//! libpq's connection defaults: the environment (`PGHOST`, `PGPORT`,
//! `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGPASSFILE`, `PGCONNECT_TIMEOUT`,
//! `PGSSLMODE`, `PGAPPNAME`) under the command line's flags, and the
//! password file (`~/.pgpass`) in libpq's format:
//!
//! ```text
//! hostname:port:database:username:password
//! ```
//!
//! one entry a line, `#` lines ignored, `*` matching anything in the first
//! four fields, `\:` and `\\` for a literal colon and backslash; the first
//! matching line wins. A file with group or world permissions is ignored
//! with a warning, as libpq does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::client::{Config, SslMode};

/// The connection options given on a command line; `None` falls back to
/// the environment, then to libpq's defaults.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `-h`
    pub host: Option<String>,
    /// `-p`
    pub port: Option<String>,
    /// `-U`
    pub user: Option<String>,
    /// `-d`
    pub dbname: Option<String>,
}

/// Builds a [`Config`] as libpq would, from `flags` over the environment
/// read through `env`. Warnings (an unsafe password file) are returned
/// for the caller to print.
///
/// # Errors
///
/// An invalid port or timeout.
pub fn resolve(
    flags: &Flags,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(Config, Vec<String>), String> {
    let get = |flag: &Option<String>, var: &str| {
        flag.clone().or_else(|| env(var)).filter(|v| !v.is_empty())
    };
    let host = get(&flags.host, "PGHOST").unwrap_or_else(|| "/var/run/postgresql".into());
    let port_text = get(&flags.port, "PGPORT").unwrap_or_else(|| "5432".into());
    let port: u16 = port_text
        .parse()
        .map_err(|_| format!("invalid port number: \"{port_text}\""))?;
    let user = get(&flags.user, "PGUSER")
        .or_else(|| env("USER"))
        .unwrap_or_else(|| "postgres".into());
    let dbname = get(&flags.dbname, "PGDATABASE").unwrap_or_else(|| user.clone());
    let mut config = Config::new(&host, port, &user, &dbname);
    config.application_name = Some(env("PGAPPNAME").unwrap_or_else(|| "pg-peer".into()));
    config.connect_timeout = match env("PGCONNECT_TIMEOUT") {
        Some(t) => {
            let secs: u64 = t.trim().parse().map_err(|_| {
                format!("invalid integer value \"{t}\" for connection option \"connect_timeout\"")
            })?;
            // libpq: 0 waits forever, and less than 2 seconds means 2.
            (secs > 0).then(|| Duration::from_secs(secs.max(2)))
        }
        None => None,
    };
    config.ssl_mode = match env("PGSSLMODE").as_deref() {
        Some("disable" | "allow") => SslMode::Disable,
        Some("require" | "verify-ca" | "verify-full") => SslMode::Require,
        _ => SslMode::Prefer,
    };
    let mut warnings = Vec::new();
    config.password = env("PGPASSWORD").filter(|p| !p.is_empty());
    if config.password.is_none() {
        let file = env("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")));
        if let Some(file) = file {
            config.password = password_from_file(&file, &config, &mut warnings);
        }
    }
    Ok((config, warnings))
}

/// The password for `config`'s host, port, database and user from the
/// password file at `path`, if the file exists, is safe and has a
/// matching line.
pub fn password_from_file(
    path: &Path,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        warnings.push(format!(
            "WARNING: password file \"{}\" is not a plain file",
            path.display()
        ));
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if meta.permissions().mode() & 0o077 != 0 {
            warnings.push(format!(
                "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            ));
            return None;
        }
    }
    let text = std::fs::read(path).ok()?;
    // A Unix-socket directory matches as "localhost", as in libpq.
    let host = if config.host.starts_with('/') {
        "localhost"
    } else {
        config.host.as_str()
    };
    let port = config.port.to_string();
    lookup(
        &String::from_utf8_lossy(&text),
        [host, &port, &config.dbname, &config.user],
    )
}

/// The password of the first line of `file` whose four fields match
/// `want` (host, port, database, user).
///
/// ```
/// # use codec_examples::pg::libpq::lookup;
/// let file = "# comment\nother:*:*:*:no\n*:5432:*:ann:p\\:w\\\\d\n";
/// assert_eq!(lookup(file, ["h", "5432", "db", "ann"]).as_deref(), Some("p:w\\d"));
/// assert_eq!(lookup(file, ["h", "5433", "db", "ann"]), None);
/// ```
pub fn lookup(file: &str, want: [&str; 4]) -> Option<String> {
    for line in file.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for w in want {
            let Some((field, wildcard, after)) = next_field(rest) else {
                matched = false;
                break;
            };
            if !wildcard && field != w {
                matched = false;
                break;
            }
            rest = after;
        }
        if matched {
            return Some(unescape(rest));
        }
    }
    None
}

/// The field up to the next unescaped `:` (unescaped), whether it was a
/// bare `*`, and the text after the colon.
fn next_field(s: &str) -> Option<(String, bool, &str)> {
    let mut field = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, n)) => field.push(n),
                None => field.push('\\'),
            },
            ':' => {
                let wildcard = &s[..i] == "*";
                return Some((field, wildcard, &s[i + 1..]));
            }
            c => field.push(c),
        }
    }
    None
}

/// Drops each backslash, keeping the character after it.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_environment() {
        let env = |k: &str| match k {
            "PGHOST" => Some("10.0.0.1".to_string()),
            "PGPORT" => Some("6000".to_string()),
            "PGUSER" => Some("envuser".to_string()),
            "PGPASSWORD" => Some("pw".to_string()),
            "PGCONNECT_TIMEOUT" => Some("1".to_string()),
            _ => None,
        };
        let flags = Flags {
            host: Some("127.0.0.1".into()),
            ..Flags::default()
        };
        let (c, _) = resolve(&flags, env).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str(), c.dbname.as_str()),
            ("127.0.0.1", 6000, "envuser", "envuser")
        );
        assert_eq!(c.password.as_deref(), Some("pw"));
        assert_eq!(c.connect_timeout, Some(Duration::from_secs(2)));
        assert!(resolve(
            &Flags {
                port: Some("x".into()),
                ..Flags::default()
            },
            |_| None
        )
        .is_err());
    }

    #[test]
    fn passfile_format_and_escapes() {
        let file = "\
# host:port:db:user:password
127.0.0.1:5432:db:bob:first
*:*:*:bob:second
host\\:x:*:*:*:colon
*:*:*:*:a\\:b\\\\c\\
";
        assert_eq!(
            lookup(file, ["127.0.0.1", "5432", "db", "bob"]).as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup(file, ["127.0.0.1", "5433", "db", "bob"]).as_deref(),
            Some("second")
        );
        assert_eq!(
            lookup(file, ["host:x", "1", "d", "u"]).as_deref(),
            Some("colon")
        );
        assert_eq!(
            lookup(file, ["h", "1", "d", "u"]).as_deref(),
            Some("a:b\\c")
        );
        // An escaped star is a literal star, not a wildcard.
        assert_eq!(lookup("\\*:*:*:*:x\n", ["h", "1", "d", "u"]), None);
        assert_eq!(
            lookup("\\*:*:*:*:x\n", ["*", "1", "d", "u"]).as_deref(),
            Some("x")
        );
        // Too few fields: no match.
        assert_eq!(lookup("h:1:d\n", ["h", "1", "d", "u"]), None);
    }

    #[test]
    fn unsafe_passfile_is_ignored_with_a_warning() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, "*:*:*:*:secret\n").unwrap();
        let config = Config::new("/tmp", 5432, "u", "d");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut warnings = Vec::new();
        assert_eq!(password_from_file(&path, &config, &mut warnings), None);
        assert!(
            warnings[0].contains("has group or world access"),
            "{warnings:?}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            password_from_file(&path, &config, &mut Vec::new()).as_deref(),
            Some("secret")
        );
    }
}
