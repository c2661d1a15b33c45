//! The kinds of activity members check in (送政策, 送服务, 送温暖 by default, configurable), and
//! matching what people type against them: the label, the key, aliases, in either script.
//! Pure: the config loads the definitions, check-ins and tallies use them.

use serde::{Deserialize, Serialize};

use crate::normalize::{fold, strip_prefix_folded};

/// Why a list of kinds cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindsError {
    #[error("at least one kind is needed")]
    None,
    #[error("key {0:?} must be 1-24 characters of a-z, 0-9 and _")]
    BadKey(String),
    #[error("kind {0} has an empty label")]
    EmptyLabel(String),
    #[error("{word:?} names both {first} and {second}")]
    Shared { word: String, first: String, second: String },
}

/// One kind of activity members check in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindDef {
    /// Stored in the database and used in exports: `[a-z0-9_]`, at most 24 characters.
    pub key: String,
    /// What people read, e.g. 送政策.
    pub label: String,
    /// Other words accepted when typing, besides the label and the key.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl KindDef {
    pub fn new(key: &str, label: &str, aliases: &[&str]) -> Self {
        KindDef {
            key: key.into(),
            label: label.into(),
            aliases: aliases.iter().map(|a| (*a).into()).collect(),
        }
    }
}

/// The configured kinds, with their spellings folded for matching.
#[derive(Debug, Clone)]
pub struct Kinds {
    defs: Vec<KindDef>,
    /// (folded spelling, index into defs), longest spelling first.
    spellings: Vec<(String, usize)>,
}

impl Kinds {
    pub fn new(defs: Vec<KindDef>) -> Result<Kinds, KindsError> {
        if defs.is_empty() {
            return Err(KindsError::None);
        }
        let mut spellings: Vec<(String, usize)> = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let key_ok = !def.key.is_empty()
                && def.key.len() <= 24
                && def.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                return Err(KindsError::BadKey(def.key.clone()));
            }
            if def.label.trim().is_empty() {
                return Err(KindsError::EmptyLabel(def.key.clone()));
            }
            let words =
                std::iter::once(&def.key).chain(std::iter::once(&def.label)).chain(def.aliases.iter());
            for word in words {
                let folded = fold(word.trim());
                if folded.is_empty() {
                    continue;
                }
                match spellings.iter().find(|(s, _)| *s == folded) {
                    Some((_, j)) if *j != i => {
                        return Err(KindsError::Shared {
                            word: word.clone(),
                            first: defs[*j].key.clone(),
                            second: def.key.clone(),
                        });
                    }
                    Some(_) => {}
                    None => spellings.push((folded, i)),
                }
            }
        }
        spellings.sort_by_key(|(s, _)| std::cmp::Reverse(s.chars().count()));
        Ok(Kinds { defs, spellings })
    }

    pub fn all(&self) -> &[KindDef] {
        &self.defs
    }

    pub fn get(&self, key: &str) -> Option<&KindDef> {
        self.defs.iter().find(|d| d.key == key)
    }

    /// The label for a stored key; a key no longer configured shows as itself.
    pub fn label<'a>(&'a self, key: &'a str) -> &'a str {
        self.get(key).map(|d| d.label.as_str()).unwrap_or(key)
    }

    /// The kind a whole word names (`服務`, `Policy`, `#送温暖`).
    pub fn lookup(&self, word: &str) -> Option<&KindDef> {
        let folded = fold(word.trim().trim_start_matches(['#', '＃']));
        self.spellings.iter().find(|(s, _)| *s == folded).map(|(_, i)| &self.defs[*i])
    }

    /// The kind `text` starts with, and the rest of the text. The longest spelling wins, and a
    /// Latin spelling must end at a word boundary (`policy` matches, `policymaker` does not).
    pub fn match_prefix<'t>(&self, text: &'t str) -> Option<(&KindDef, &'t str)> {
        for (spelling, i) in &self.spellings {
            if let Some(rest) = strip_prefix_folded(text, spelling) {
                let latin_tail = spelling.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
                let glued = rest.chars().next().is_some_and(|c| c.is_alphanumeric());
                if latin_tail && glued {
                    continue;
                }
                return Some((&self.defs[*i], rest));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spelling_claimed_by_two_kinds_is_refused() {
        let err = Kinds::new(vec![KindDef::new("a", "送学习", &["学习"]), KindDef::new("b", "学习", &[])])
            .unwrap_err();
        assert!(err.to_string().contains("学习"), "{err}");
    }

    #[test]
    fn kind_keys_must_be_plain_identifiers() {
        assert!(Kinds::new(vec![KindDef::new("Policy!", "送政策", &[])]).is_err());
        assert!(Kinds::new(vec![]).is_err());
    }
}
