//! Key names: every key of one subject carries the same hash tag, `{sub}`, so
//! each script touches keys of one Redis Cluster hash slot.

use std::fmt::Write;

/// Builds key names under one prefix.
#[derive(Clone, Debug)]
pub(super) struct Keys {
    prefix: Box<str>,
}

impl Keys {
    /// `prefix` must hold no `{` or `}` (checked by the builder): a brace in
    /// it would become the hash tag of every key.
    pub(super) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The channel every revoking script publishes the subject on, for the
    /// local caches of every instance.
    pub(super) fn channel(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    /// `<prefix>{<sub>}:`: the start of every key of `sub`.
    pub(super) fn subject_base(&self, sub: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + sub.len() + 4);
        key.push_str(&self.prefix);
        key.push('{');
        push_tag(&mut key, sub);
        key.push_str("}:");
        key
    }

    /// A revoked token: a string holding its `expires_at`.
    pub(super) fn token(&self, sub: &str, jti: &str) -> String {
        self.join(sub, "t:", jti)
    }

    /// A session: a hash (current and previous refresh `jti`, rotation time,
    /// idle and absolute expiry, start, revoked flag).
    pub(super) fn session(&self, sub: &str, sid: &str) -> String {
        self.join(sub, "s:", sid)
    }

    /// The prefix of every session key of `sub` (`session(sub, sid)` is this
    /// followed by `sid`), for the logout-everywhere script.
    pub(super) fn session_base(&self, sub: &str) -> String {
        self.join(sub, "s:", "")
    }

    /// A subject's logout-everywhere cutoff: a hash (`cut`, `cutexp`).
    pub(super) fn cutoff(&self, sub: &str) -> String {
        self.join(sub, "u", "")
    }

    /// A subject's live sessions: a sorted set of `sid` by absolute expiry.
    pub(super) fn live_sessions(&self, sub: &str) -> String {
        self.join(sub, "l", "")
    }

    fn join(&self, sub: &str, kind: &str, id: &str) -> String {
        let mut key = self.subject_base(sub);
        key.reserve(kind.len() + id.len());
        key.push_str(kind);
        key.push_str(id);
        key
    }
}

/// Writes `sub` so that it is a whole, non-empty hash tag: Redis takes the
/// tag up to the first `}`, and an empty `{}` is no tag at all, so `%`, `{`
/// and `}` are percent-escaped and the empty subject is written `%` (which no
/// escaped subject can be, as `%` itself is escaped).
fn push_tag(key: &mut String, sub: &str) {
    if sub.is_empty() {
        key.push('%');
        return;
    }
    for c in sub.chars() {
        match c {
            '%' | '{' | '}' => {
                let _ = write!(key, "%{:02X}", c as u32);
            }
            c => key.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash tag as Redis Cluster reads it (the key-hash rules of the
    /// Redis Cluster specification).
    fn hash_tag(key: &str) -> &str {
        let Some(open) = key.find('{') else {
            return key;
        };
        match key[open + 1..].find('}') {
            Some(0) | None => key,
            Some(len) => &key[open + 1..open + 1 + len],
        }
    }

    #[test]
    fn every_key_of_a_subject_shares_one_hash_tag() {
        let keys = Keys::new("app:");
        for sub in ["alice", "", "}", "{x}", "a}b", "%7D", "%"] {
            let all = [
                keys.token(sub, "j"),
                keys.session(sub, "s"),
                keys.cutoff(sub),
                keys.live_sessions(sub),
            ];
            let tag = hash_tag(&all[0]);
            assert!(!tag.is_empty() && tag != all[0], "{sub:?} has no tag");
            for key in &all {
                assert_eq!(hash_tag(key), tag, "{key}");
            }
            assert_eq!(keys.session(sub, "s"), keys.session_base(sub) + "s");
        }
    }

    #[test]
    fn different_subjects_never_share_keys() {
        let keys = Keys::new("p:");
        let subs = ["}", "%7D", "%", "", "a", "%25"];
        for (i, a) in subs.iter().enumerate() {
            for b in &subs[i + 1..] {
                assert_ne!(keys.cutoff(a), keys.cutoff(b), "{a:?} vs {b:?}");
            }
        }
        assert_eq!(keys.session("alice", "s1"), "p:{alice}:s:s1");
    }
}
