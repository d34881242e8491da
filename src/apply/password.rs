//! Initial passwords for new users: random, to Entra's complexity rules, never printed.

use secrecy::SecretString;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGIT: &[u8] = b"23456789";
const SYMBOL: &[u8] = b"!#$%&*+-=?@^_~";

/// Length of generated passwords (Entra allows 8–256; longer is stronger).
pub const LENGTH: usize = 20;

/// Why a password could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The system random source failed.
    #[error("the system's secure random number generator failed")]
    Random,
}

fn random_bytes(n: usize) -> Result<Vec<u8>, PasswordError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut buf = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| PasswordError::Random)?;
    Ok(buf)
}

/// Pick uniformly from `set` using rejection sampling (no modulo bias).
fn pick(set: &[u8], bytes: &mut impl Iterator<Item = u8>) -> Option<u8> {
    let limit = 256 - (256 % set.len());
    bytes
        .find(|b| usize::from(*b) < limit)
        .map(|b| set[usize::from(b) % set.len()])
}

/// A random password of [`LENGTH`] characters with upper- and lower-case
/// letters, digits and symbols (Entra requires three of the four classes),
/// from the operating system's CSPRNG. Look-alike characters are left out.
pub fn generate() -> Result<SecretString, PasswordError> {
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    loop {
        let mut bytes = random_bytes(LENGTH * 8)?.into_iter();
        let mut chars = Vec::with_capacity(LENGTH);
        for set in [UPPER, LOWER, DIGIT, SYMBOL] {
            chars.extend(pick(set, &mut bytes));
        }
        while chars.len() < LENGTH {
            match pick(&all, &mut bytes) {
                Some(c) => chars.push(c),
                None => break,
            }
        }
        if chars.len() < LENGTH {
            continue; // ran out of random bytes after rejections; draw again
        }
        // Shuffle so the guaranteed classes are not always first (Fisher–Yates).
        let order = random_bytes(LENGTH * 4)?;
        for i in (1..chars.len()).rev() {
            let r = u32::from_le_bytes([
                order[i * 4],
                order[i * 4 + 1],
                order[i * 4 + 2],
                order[i * 4 + 3],
            ]);
            chars.swap(i, r as usize % (i + 1));
        }
        let s: String = chars.into_iter().map(char::from).collect();
        return Ok(SecretString::from(s));
    }
}

/// The initial passwords the operator supplies for new users (`password: {
/// env: VAR }`), by UPN: resolved by the caller before a run ([`resolve_env`]
/// at the CLI edge), so the executor never reads the environment.
#[derive(Default, Clone)]
pub struct InitialPasswords(std::collections::HashMap<crate::model::Upn, SecretString>);

impl std::fmt::Debug for InitialPasswords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl InitialPasswords {
    /// `upn`'s password.
    pub fn get(&self, upn: &crate::model::Upn) -> Option<&SecretString> {
        self.0.get(upn)
    }
    /// Give `upn` this initial password.
    pub fn insert(&mut self, upn: crate::model::Upn, password: SecretString) {
        self.0.insert(upn, password);
    }
    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The password of every create in `steps` whose YAML says `password: { env:
/// VAR }`, read through `get` (the environment), or every variable that is
/// unset, empty or unusable ([`env_problems`]).
pub fn resolve_env(
    steps: &[crate::plan::Step],
    get: impl Fn(&str) -> Option<String>,
) -> Result<InitialPasswords, Vec<EnvProblem>> {
    use crate::model::kinds::PasswordPolicy;
    use crate::plan::effect::NewObject;
    let problems = env_problems(steps, &get);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = InitialPasswords::default();
    for s in steps {
        if let Some(NewObject::User {
            upn,
            password: PasswordPolicy::Env(var),
        }) = s.op.new_object()
            && let Some(v) = get(var)
        {
            out.insert(upn.clone(), SecretString::from(v));
        }
    }
    Ok(out)
}

/// A new user whose `password: { env: VAR }` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvProblem {
    /// The user to be created.
    pub upn: crate::model::Upn,
    /// The environment variable named in the repo.
    pub var: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl std::fmt::Display for EnvProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: environment variable {} (its `password: {{ env: {} }}`) {}",
            self.upn, self.var, self.var, self.why
        )
    }
}

/// Every create in `steps` whose password variable is unset, empty or unusable
/// (`get` reads the environment), so a run can refuse before its first write
/// instead of failing mid-apply.
pub fn env_problems(
    steps: &[crate::plan::Step],
    get: impl Fn(&str) -> Option<String>,
) -> Vec<EnvProblem> {
    use crate::model::kinds::PasswordPolicy;
    use crate::plan::effect::NewObject;
    steps
        .iter()
        .filter_map(|s| match s.op.new_object() {
            Some(NewObject::User {
                upn,
                password: PasswordPolicy::Env(var),
            }) => {
                let why = match get(var) {
                    None => "is not set (or not valid UTF-8)",
                    Some(v) if v.is_empty() => "is empty",
                    Some(v) if v.contains(['\t', '\n', '\r']) => {
                        "contains a TAB or a line break (not allowed in a password)"
                    }
                    Some(_) => return None,
                };
                Some(EnvProblem {
                    upn: upn.clone(),
                    var: var.clone(),
                    why,
                })
            }
            Some(NewObject::User {
                password: PasswordPolicy::Generate,
                ..
            })
            | Some(NewObject::Group { .. } | NewObject::Guest { .. })
            | None => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn every_unusable_password_variable_is_found() {
        use crate::model::kinds::PasswordPolicy;
        use crate::plan::{Op, Step};
        let create = |id: usize, upn: &str, password: PasswordPolicy| Step {
            id,
            wave: 0,
            op: Op::CreateUser {
                upn: crate::model::Upn::new_unchecked(upn),
                attributes: Default::default(),
                enabled: true,
                password,
            },
            depends_on: Vec::new(),
        };
        let steps = vec![
            create(0, "a@contoso.com", PasswordPolicy::Env("A_PW".into())),
            create(1, "b@contoso.com", PasswordPolicy::Env("B_PW".into())),
            create(2, "c@contoso.com", PasswordPolicy::Env("C_PW".into())),
            create(3, "d@contoso.com", PasswordPolicy::Env("D_PW".into())),
            create(4, "e@contoso.com", PasswordPolicy::Generate),
        ];
        let env = |v: &str| match v {
            "B_PW" => Some(String::new()),
            "C_PW" => Some("has\ttab".to_string()),
            "D_PW" => Some("Fine-Pass-42!".to_string()),
            _ => None,
        };
        let found: Vec<(String, &str)> = env_problems(&steps, env)
            .into_iter()
            .map(|p| (p.var, p.why))
            .collect();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0], ("A_PW".into(), "is not set (or not valid UTF-8)"));
        assert_eq!(found[1], ("B_PW".into(), "is empty"));
        assert!(found[2].1.contains("TAB"), "{found:?}");
        assert_eq!(resolve_env(&steps, env).unwrap_err().len(), 3);
        // Resolved when every variable is usable: by UPN, generated ones left out.
        let fine = |_: &str| Some("Fine-Pass-42!".to_string());
        let resolved = resolve_env(&steps, fine).unwrap();
        assert_eq!(resolved.len(), 4);
        let a = crate::model::Upn::new_unchecked("a@contoso.com");
        assert_eq!(resolved.get(&a).unwrap().expose_secret(), "Fine-Pass-42!");
        assert!(
            !format!("{resolved:?}").contains("Fine-Pass"),
            "{resolved:?}"
        );
    }

    #[test]
    fn generated_passwords_meet_entra_rules_and_differ() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        let s = a.expose_secret();
        assert_eq!(s.len(), LENGTH);
        assert!(s.bytes().any(|c| UPPER.contains(&c)));
        assert!(s.bytes().any(|c| LOWER.contains(&c)));
        assert!(s.bytes().any(|c| DIGIT.contains(&c)));
        assert!(s.bytes().any(|c| SYMBOL.contains(&c)));
        assert_ne!(s, b.expose_secret());
        assert!(
            !format!("{a:?}").contains(s),
            "Debug must not show the password"
        );
    }
}
