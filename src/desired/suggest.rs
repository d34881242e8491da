//! "Did you mean …?" for misspelt keys and names.

/// Edit distance between two strings (Levenshtein, by characters).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
///
/// Case and `_`/`-` differences match first (`display_name` → `displayName`),
/// then the smallest edit distance within a third of the word's length.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let w = squash(word);
    if let Some(c) = candidates.iter().find(|c| squash(c) == w) {
        return Some(c);
    }
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (distance(&w, &squash(c)), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        let keys = ["displayName", "department", "manager", "upn"];
        assert_eq!(did_you_mean("displayname", &keys), Some("displayName"));
        assert_eq!(did_you_mean("display_name", &keys), Some("displayName"));
        assert_eq!(did_you_mean("departmnet", &keys), Some("department"));
        assert_eq!(did_you_mean("manger", &keys), Some("manager"));
        assert_eq!(did_you_mean("salary", &keys), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
