//! Topic names and filters (§4.7 of both specifications): validation and
//! matching, and shared subscriptions (`$share/GROUP/FILTER`, 5.0 §4.8.2).

/// An MQTT UTF-8 string's rule beyond Rust's own UTF-8 check: no U+0000
/// (3.1.1 §1.5.3, 5.0 §1.5.4).
pub fn valid_utf8(s: &str) -> bool {
    !s.contains('\0')
}

/// A topic name a PUBLISH may carry: no wildcard characters, UTF-8
/// without U+0000. Empty only when a 5.0 topic alias stands for it, which
/// the caller decides.
pub fn valid_topic_name(s: &str) -> bool {
    valid_utf8(s) && !s.contains(['+', '#'])
}

/// A topic filter: not empty; `#` only as the whole last level; `+` only
/// as a whole level.
pub fn valid_filter(s: &str) -> bool {
    if s.is_empty() || !valid_utf8(s) {
        return false;
    }
    let levels: Vec<&str> = s.split('/').collect();
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, level)| {
        if level.contains('#') {
            *level == "#" && i == last
        } else {
            !level.contains('+') || *level == "+"
        }
    })
}

/// A filter valid as a subscription: a plain filter, or (5.0) a shared
/// one whose group name has no wildcard or `/` and whose filter is valid.
pub fn valid_subscription(s: &str, v5: bool) -> bool {
    match shared(s) {
        Some((group, filter)) if v5 => {
            !group.is_empty() && !group.contains(['+', '#']) && valid_filter(filter)
        }
        Some(_) => valid_filter(s),
        None => !s.starts_with("$share/") && valid_filter(s),
    }
}

/// `$share/GROUP/FILTER` split into group and filter.
pub fn shared(s: &str) -> Option<(&str, &str)> {
    let rest = s.strip_prefix("$share/")?;
    rest.split_once('/')
}

/// Whether `topic` matches `filter` (§4.7.1, §4.7.2): `+` one level, `#`
/// the parent level and any below; a topic starting with `$` is not
/// matched by a filter starting with a wildcard.
pub fn matches(filter: &str, topic: &str) -> bool {
    // A topic name holds no wildcards, so a filter equal to it has none
    // either: the common exact subscription, without splitting levels.
    if filter == topic {
        return true;
    }
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of §4.7.1.2, §4.7.1.3 and §4.7.2.
    #[test]
    fn spec_examples() {
        for (filter, topic, m) in [
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/ranking",
                true,
            ),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
                true,
            ),
            ("sport/#", "sport", true),
            ("sport/tennis/+", "sport/tennis/player1", true),
            ("sport/tennis/+", "sport/tennis/player1/ranking", false),
            ("sport/+", "sport", false),
            ("sport/+", "sport/", true),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            ("#", "$SYS/uptime", false),
            ("+/monitor/Clients", "$SYS/monitor/Clients", false),
            ("$SYS/#", "$SYS/uptime", true),
            ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
            ("#", "a/b", true),
        ] {
            assert_eq!(matches(filter, topic), m, "{filter} vs {topic}");
        }
        for (filter, ok) in [
            ("sport/tennis#", false),
            ("sport/tennis/#/ranking", false),
            ("sport+", false),
            ("+/tennis/#", true),
            ("sport/+/player1", true),
            ("", false),
            ("#", true),
            ("a\0b", false),
        ] {
            assert_eq!(valid_filter(filter), ok, "{filter:?}");
        }
        assert!(valid_subscription("$share/g/a/+", true));
        assert!(!valid_subscription("$share/g+/a", true));
        assert!(!valid_subscription("$share/g", true));
        assert!(!valid_topic_name("a/+"));
        assert!(valid_topic_name("a/b"));
    }
}
