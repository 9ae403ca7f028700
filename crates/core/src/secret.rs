//! Secret values (passwords, passphrases, wrapping keys) that zeroize on drop and never print.

use std::fmt;

use rand::Rng;
use zeroize::Zeroizing;

/// A password or passphrase. Zeroized on drop; `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(Zeroizing::new(value.into()))
    }

    /// Reads a secret from a file: the first line, without its line ending (so that a file
    /// written by `echo` works as the user expects).
    pub fn from_file(path: &std::path::Path) -> crate::Result<Self> {
        let raw =
            Zeroizing::new(std::fs::read_to_string(path).map_err(crate::Error::io("read", path))?);
        let first = raw.lines().next().unwrap_or("");
        Ok(SecretString::new(first))
    }

    /// The secret itself. Callers must not log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The alphabet of generated passwords: no 0/O, 1/l/I, so a person can copy one by hand.
const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479";

/// Generates a password for a PKCS#12 export: five groups of five characters from a
/// 49-letter alphabet (about 140 bits), separated by dashes for reading aloud.
pub fn generate_password() -> SecretString {
    let mut rng = rand::rngs::OsRng;
    let mut out = String::with_capacity(29);
    for group in 0..5 {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..5 {
            let i = rng.gen_range(0..PASSWORD_ALPHABET.len());
            out.push(char::from(PASSWORD_ALPHABET[i]));
        }
    }
    SecretString::new(out)
}

/// Random bytes from the OS generator.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretString::new("hunter2");
        assert_eq!(format!("{s:?}"), "[redacted]");
    }

    #[test]
    fn generated_passwords_have_the_documented_shape() {
        let a = generate_password();
        let b = generate_password();
        assert_ne!(a.expose(), b.expose());
        let groups: Vec<&str> = a.expose().split('-').collect();
        assert_eq!(groups.len(), 5);
        for g in groups {
            assert_eq!(g.len(), 5);
            assert!(g.bytes().all(|c| PASSWORD_ALPHABET.contains(&c)), "{g}");
        }
    }

    #[test]
    fn from_file_takes_the_first_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\nignored\n").expect("write");
        assert_eq!(
            SecretString::from_file(&p).expect("read").expose(),
            "s3cret"
        );
    }
}
