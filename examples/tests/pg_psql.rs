//! `pg-peer query --csv` against `psql --csv` (PostgreSQL 15) on the same
//! server and the same commands: stdout, stderr and the exit status must
//! be identical. Also the environment and password file, `copy-out` and
//! `copy-in`, and the exit status of failed connections.

mod support {
    pub mod apt;
    pub mod pg;
}

use support::pg::{server, Server};

/// Runs `commands` (one `-c` each) as `user` through both programs and
/// checks they print and exit alike; returns psql's stdout.
fn same(user: &str, commands: &[&str]) -> Vec<u8> {
    let s = server();
    let mut args = Vec::new();
    for c in commands {
        args.extend(["-c", *c]);
    }
    let env = password_env(user);
    let psql = s.psql_env(user, &args, &env, None);
    let mut peer_args = vec!["--csv"];
    peer_args.extend(&args);
    let peer = s.peer("query", user, &peer_args, &env, None);
    assert_eq!(
        String::from_utf8_lossy(&peer.stderr),
        String::from_utf8_lossy(&psql.stderr),
        "stderr of {commands:?}"
    );
    assert!(
        peer.stdout == psql.stdout,
        "stdout of {commands:?}: pg-peer {} bytes, psql {} bytes; first difference at {:?}\npg-peer: {:?}\npsql:    {:?}",
        peer.stdout.len(),
        psql.stdout.len(),
        peer.stdout.iter().zip(&psql.stdout).position(|(a, b)| a != b),
        String::from_utf8_lossy(&peer.stdout[..peer.stdout.len().min(2000)]),
        String::from_utf8_lossy(&psql.stdout[..psql.stdout.len().min(2000)]),
    );
    assert_eq!(
        peer.status.code(),
        psql.status.code(),
        "exit status of {commands:?}"
    );
    psql.stdout
}

fn password_env(user: &str) -> Vec<(&'static str, &'static str)> {
    support::pg::USERS
        .iter()
        .find(|(u, _, _)| *u == user)
        .filter(|(_, p, _)| !p.is_empty())
        .map(|(_, p, _)| vec![("PGPASSWORD", *p)])
        .unwrap_or_default()
}

#[test]
fn every_common_type_prints_as_psql_does() {
    let out = same(
        "postgres",
        &[
            "SELECT 1::int2 AS i2, (-2147483648)::int4 AS i4, 9223372036854775807::int8 AS i8, \
             12345678901234567890.123456789::numeric AS n, 'NaN'::numeric AS nn, \
             1.5::float4 AS f4, 0.1::float8 AS f8, 'NaN'::float8 AS nan, 'Infinity'::float8 AS inf, \
             '-Infinity'::float4 AS ninf, 1e300::float8 AS big",
            "SELECT 'plain' AS a, 'comma, inside' AS b, 'quote \" inside' AS c, E'new\\nline' AS d, \
             E'cr\\rhere' AS e, 'ünï©ødé ✓ 日本' AS f, '' AS empty, NULL AS null, ' spaced ' AS g, \
             E'tab\\there' AS h, '\\.' AS eod, 'semi;colon' AS i",
            "SELECT '\\x00ff10'::bytea AS b, ''::bytea AS e, true AS t, false AS f, NULL::bool AS n",
            "SELECT '2024-02-29'::date AS d, '23:59:59.999999'::time AS t, '10:00+02'::timetz AS tz, \
             '2024-01-01 12:34:56.789'::timestamp AS ts, '2024-01-01 12:34:56+00'::timestamptz AS tstz, \
             'infinity'::date AS inf, interval '1 year 2 mons 3 days 04:05:06.7' AS i, \
             interval '-1 day' AS neg",
            "SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, \
             '{\"k\": [1, \"two\", null], \"s\": \"x,y\"}'::json AS j, \
             '{\"b\": 1, \"a\": [true, null]}'::jsonb AS jb",
            "SELECT ARRAY[1,2,NULL] AS ints, ARRAY['a b','c,d','\"q\"',NULL] AS texts, \
             '{{1,2},{3,4}}'::int[][] AS matrix, '{}'::text[] AS empty, ARRAY[1.5,'NaN']::float8[] AS floats",
            "SELECT 'x'::\"char\" AS ch, 'abc'::varchar(2) AS v, 'ab'::char(4) AS c4, \
             '192.168.0.1/24'::inet AS ip, '(1,2)'::point AS pt, 12.34::money AS m, \
             B'1010' AS bits, 'a & b'::tsquery AS q",
        ],
    );
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("NaN,Infinity,-Infinity"), "{text}");
    assert!(text.contains("\"comma, inside\""), "{text}");
}

#[test]
fn nulls_empty_results_and_several_statements() {
    same(
        "postgres",
        &[
            "SELECT NULL AS a, NULL::int AS b",
            "SELECT 1 AS a WHERE false",
            "SELECT 1 AS one; SELECT 2 AS two, 3 AS three; SELECT 'x' AS x WHERE false",
            "",
            ";",
            "CREATE TEMP TABLE t(a int, b text); INSERT INTO t VALUES (1, 'x'), (2, NULL)",
            "INSERT INTO t VALUES (3, 'y') RETURNING *; UPDATE t SET b = b || '!' RETURNING a, b; \
             DELETE FROM t WHERE a = 1 RETURNING a",
            "SELECT * FROM t ORDER BY a",
            "BEGIN; SELECT 1; COMMIT",
            "SET application_name = 'x'; SHOW application_name",
            "COPY (SELECT generate_series(1, 3), 'x,y') TO STDOUT WITH (FORMAT csv)",
            "DO $$ BEGIN RAISE NOTICE 'notice %', 1; RAISE WARNING 'careful'; \
             RAISE NOTICE 'with detail' USING DETAIL = 'the detail', HINT = 'a hint'; END $$",
        ],
    );
}

#[test]
fn errors_print_and_exit_as_psql() {
    // A failing last command: exit 1; the statements before the error in
    // the same command print; later commands still run.
    same("postgres", &["SELECT 1/0"]);
    same("postgres", &["SELECT 1 AS a; SELECT nosuch; SELECT 2"]);
    same("postgres", &["SELECT 1/0", "SELECT 1 AS after"]);
    same(
        "postgres",
        &[
            "SELECT * FROM nosuch WHERE a = 1",
            "SELECT 1 +",
            "  SELECT\n  1,\n\tnosuch_col",
            "SELECT 'x'::int",
            "CREATE TEMP TABLE u(a int PRIMARY KEY); INSERT INTO u VALUES (1); INSERT INTO u VALUES (1)",
            "DO $$ BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'd', HINT = 'h'; END $$",
            &format!("SELECT {} nosuch_far_right", "1, ".repeat(30)),
            "BEGIN",
            "SELECT 1/0",
            "SELECT 1",
            "COMMIT",
        ],
    );
}

#[test]
fn a_hundred_thousand_rows_and_a_ten_megabyte_value() {
    let out = same(
        "postgres",
        &["SELECT g AS n, 'row ' || g AS label, CASE WHEN g % 7 = 0 THEN NULL ELSE g * 1.5 END AS x \
           FROM generate_series(1, 100000) g"],
    );
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 100_001);
    let out = same(
        "postgres",
        &["SELECT repeat('ab,\"c', 2 * 1024 * 1024) AS big, length(repeat('x', 10 * 1024 * 1024)) AS n"],
    );
    assert!(out.len() > 12 * 1024 * 1024, "{}", out.len());
}

#[test]
fn each_authentication_method() {
    for (user, _, _) in support::pg::USERS {
        same(user, &["SELECT current_user AS u, 1 AS one"]);
    }
}

/// SCRAM passwords go through SASLprep (RFC 4013) as in libpq, which
/// the server also applied when the password was set: a no-break space
/// (U+00A0) and a fullwidth digit (U+FF11) are hashed as `pa ss1`, so
/// pg-peer logs in with the password as typed and with its mapped form,
/// as psql does. A password SASLprep refuses (a control character) is
/// hashed as given, on both sides.
#[test]
fn scram_passwords_are_saslprepped() {
    let s = server();
    let users = [
        ("saslprep_user", "pa\u{a0}ss\u{ff11}", "pa ss1"),
        ("saslprep_raw_user", "bell\u{7}é", "bell\u{7}é"),
    ];
    let mut sql = String::from("SET password_encryption = 'scram-sha-256';");
    for (user, password, _) in users {
        sql.push_str(&format!(
            "DROP ROLE IF EXISTS {user}; CREATE ROLE {user} LOGIN PASSWORD '{password}';"
        ));
    }
    let out = s.psql("postgres", &["-v", "ON_ERROR_STOP=1", "-c", &sql], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let query = ["-c", "SELECT current_user AS u"];
    for (user, typed, mapped) in users {
        for password in [typed, mapped] {
            let env = [("PGPASSWORD", password)];
            let psql = s.psql_env(user, &query, &env, None);
            let mut args = vec!["--csv"];
            args.extend(query);
            let peer = s.peer("query", user, &args, &env, None);
            assert_eq!(
                (peer.status.code(), String::from_utf8_lossy(&peer.stderr)),
                (Some(0), "".into()),
                "{user} with {password:?}"
            );
            assert_eq!(peer.stdout, format!("u\n{user}\n").into_bytes());
            assert_eq!(peer.stdout, psql.stdout, "{user} with {password:?}");
        }
        // The hash is of the password, not of anything: a wrong one fails.
        let env = [("PGPASSWORD", "pa ss")];
        let peer = s.peer("query", user, &query, &env, None);
        assert_eq!(peer.status.code(), Some(2), "{user}");
    }
}

#[test]
fn notifications_print_after_their_command() {
    let s = server();
    let cmds = [
        "-c",
        "LISTEN ch",
        "-c",
        "NOTIFY ch",
        "-c",
        "NOTIFY ch, 'pay,load'",
        "-c",
        "SELECT 1 AS a",
    ];
    let psql = s.psql("postgres", &cmds, None);
    let peer = s.peer("query", "postgres", &cmds, &[], None);
    // The lines differ only in the backend's PID.
    let strip = |o: &[u8]| {
        String::from_utf8_lossy(o)
            .lines()
            .map(|l| match l.rfind("PID ") {
                Some(i) => l[..i].to_string(),
                None => l.to_string(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&peer.stdout), strip(&psql.stdout));
    assert!(strip(&peer.stdout)
        .iter()
        .any(|l| l.contains("with payload \"pay,load\"")));
}

/// Wrong passwords, an unknown database, a closed port: exit 2 for both
/// programs, with the server's message.
#[test]
fn failed_connections_exit_2() {
    let s = server();
    for (user, env) in [
        ("md5_user", vec![("PGPASSWORD", "wrong")]),
        ("scram_user", vec![("PGPASSWORD", "wrong")]),
        ("pw_user", vec![]),
    ] {
        let peer = s.peer("query", user, &["-c", "SELECT 1"], &env, None);
        assert_eq!(peer.status.code(), Some(2), "{user}");
        let err = String::from_utf8_lossy(&peer.stderr);
        assert!(
            err.contains("password authentication failed") || err.contains("no password supplied"),
            "{user}: {err}"
        );
    }
    let peer = s.peer(
        "query",
        "postgres",
        &["-d", "nosuch_db", "-c", "SELECT 1"],
        &[],
        None,
    );
    assert_eq!(peer.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&peer.stderr)
        .contains("FATAL:  database \"nosuch_db\" does not exist"));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = support::pg::run(
        std::process::Command::new(env!("CARGO_BIN_EXE_pg-peer"))
            .args([
                "query",
                "-h",
                "127.0.0.1",
                "-p",
                &closed.to_string(),
                "-c",
                "SELECT 1",
            ])
            .env_clear(),
        None,
        std::time::Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
}

/// Flags over the environment, PGHOST/PGPORT/PGUSER/PGDATABASE alone,
/// and the password file with escapes and wildcards.
#[test]
fn environment_and_password_file() {
    let s: &Server = server();
    let port = s.port.to_string();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pg-peer"));
        cmd.arg("query").args(args).env_clear();
        for (k, v) in env {
            cmd.env(k, v);
        }
        support::pg::run(&mut cmd, None, std::time::Duration::from_secs(60))
    };
    let env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "scram_user"),
        ("PGDATABASE", "postgres"),
        ("PGPASSWORD", "sc'r\"am pw"),
        ("PGCONNECT_TIMEOUT", "10"),
    ];
    let out = run(&["-c", "SELECT current_user AS u"], &env);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "u\nscram_user\n",
        "{out:?}"
    );
    // -U overrides PGUSER (and PGPASSWORD is then the wrong one for md5_user).
    let out = run(
        &["-U", "trust_user", "-c", "SELECT current_user AS u"],
        &env,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "u\ntrust_user\n",
        "{out:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pgpass");
    let file = format!(
        "# comments and non-matching lines first\n\
         127.0.0.1:1:*:*:wrong\n\
         127.0.0.1:{port}:postgres:md5_user:md5\\:pw\n\
         *:*:*:pw_user:clear pw\n"
    );
    std::fs::write(&pass, file).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pass_s = pass.to_str().unwrap();
    for user in ["md5_user", "pw_user"] {
        let env = [
            ("PGHOST", "127.0.0.1"),
            ("PGPORT", port.as_str()),
            ("PGUSER", user),
            ("PGDATABASE", "postgres"),
            ("PGPASSFILE", pass_s),
            ("PGCONNECT_TIMEOUT", "10"),
        ];
        let out = run(&["-c", "SELECT current_user AS u"], &env);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("u\n{user}\n"),
            "{out:?}"
        );
        // psql reads the same file the same way.
        let psql = support::pg::run(
            std::process::Command::new(format!("{}/psql", support::pg::PG_BIN))
                .args(["-X", "--csv", "-c", "SELECT current_user AS u"])
                .env_clear()
                .envs(env),
            None,
            std::time::Duration::from_secs(60),
        );
        assert_eq!(psql.stdout, out.stdout, "{psql:?}");
    }
    // A world-readable file is ignored, with libpq's warning.
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let env = [
        ("PGHOST", "127.0.0.1"),
        ("PGPORT", port.as_str()),
        ("PGUSER", "md5_user"),
        ("PGDATABASE", "postgres"),
        ("PGPASSFILE", pass_s),
    ];
    let out = run(&["-c", "SELECT 1"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has group or world access"),
        "{out:?}"
    );
}

/// COPY both ways through pg-peer, checked against psql's view of the
/// same table.
#[test]
fn copy_out_and_copy_in_stream() {
    let s = server();
    let setup = s.psql(
        "postgres",
        &["-c", "DROP TABLE IF EXISTS copy_src, copy_dst; \
           CREATE TABLE copy_src AS SELECT g AS n, md5(g::text) AS h, CASE WHEN g % 5 = 0 THEN NULL ELSE 'v,' || g END AS v FROM generate_series(1, 200000) g; \
           CREATE TABLE copy_dst (LIKE copy_src)"],
        None,
    );
    assert!(setup.status.success(), "{setup:?}");
    let out = s.peer(
        "copy-out",
        "postgres",
        &["-c", "COPY copy_src TO STDOUT"],
        &[],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let psql_out = s.psql("postgres", &["-c", "COPY copy_src TO STDOUT"], None);
    assert_eq!(out.stdout, psql_out.stdout);
    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 200_000);

    let inp = s.peer(
        "copy-in",
        "postgres",
        &["-c", "COPY copy_dst FROM STDIN"],
        &[],
        Some(&out.stdout),
    );
    assert!(
        inp.status.success(),
        "{}",
        String::from_utf8_lossy(&inp.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&inp.stdout), "COPY 200000\n");
    let check = s.psql(
        "postgres",
        &[
            "-c",
            "SELECT count(*) AS c FROM (SELECT * FROM copy_src EXCEPT SELECT * FROM copy_dst) d",
        ],
        None,
    );
    assert_eq!(String::from_utf8_lossy(&check.stdout), "c\n0\n");

    // A bad row: the server's error, exit 1, nothing stored.
    let bad = s.peer(
        "copy-in",
        "postgres",
        &["-c", "COPY copy_dst FROM STDIN"],
        &[],
        Some(b"1\tx\tok\nnot a number\tx\tbad\n"),
    );
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.starts_with("ERROR:  invalid input syntax for type integer: \"not a number\""),
        "{err}"
    );
    assert!(err.contains("CONTEXT:  COPY copy_dst, line 2"), "{err}");
}
