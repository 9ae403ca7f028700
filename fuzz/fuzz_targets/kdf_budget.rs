//! Skips inputs whose key-derivation parameters ask for more work than a fuzz run affords.
//!
//! Reading an encrypted key or a PKCS#12 file costs what the file asks for, up to designed
//! limits: certdesk accepts 10,000,000 PBKDF2 rounds in a key file (`key::MAX_PBKDF2_ITERATIONS`,
//! a few seconds) and scrypt up to 256 MiB; p12-keystore 1,000,000 rounds per PKCS#12 operation
//! and scrypt up to 1 GiB. The instrumented fuzz build is about ten times slower (10,000,000
//! rounds: 39 s), over libFuzzer's `-timeout=10`, and libFuzzer's comparison tracing finds those
//! limits quickly. So the targets that derive keys skip inputs with a SEQUENCE in which a salt
//! (OCTET STRING) is followed by INTEGERs (rounds; scrypt's N, r, p) above [`MAX_ROUNDS`] or
//! multiplying to more than [`MAX_PRODUCT`]; a timeout is then a real hang. The refusal of costs
//! over the limits is covered by unit tests (core's key tests, p12-keystore's own).

/// Largest round count (or scrypt parameter) fuzzed.
pub const MAX_ROUNDS: u64 = 10_000;
/// Largest product of the INTEGERs after one salt (rounds × key length; scrypt N × r × p).
pub const MAX_PRODUCT: u64 = 1 << 20;

/// True when `der`, or DER nested in its OCTET STRINGs (as PKCS#12 nests its contents), asks
/// for more key-derivation work than the budget.
pub fn too_costly(der: &[u8]) -> bool {
    scan(der, 0)
}

/// One TLV: (tag, contents, rest). Definite lengths only.
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn scan(mut data: &[u8], depth: u32) -> bool {
    if depth > 32 {
        return false;
    }
    while let Some((tag, contents, rest)) = tlv(data) {
        if tag == 0x30 && sequence_too_costly(contents) {
            return true;
        }
        if (tag & 0x20 != 0 || tag == 0x04) && scan(contents, depth + 1) {
            return true;
        }
        data = rest;
    }
    false
}

fn sequence_too_costly(mut contents: &[u8]) -> bool {
    let mut after_salt = false;
    let mut product: u64 = 1;
    while let Some((tag, value, rest)) = tlv(contents) {
        match tag {
            0x04 => {
                after_salt = true;
                product = 1;
            }
            0x02 if after_salt => {
                // Negative or oversized INTEGERs count as huge (the parsers refuse them anyway).
                let n = if value.len() > 8 || value.first().is_some_and(|b| b & 0x80 != 0) {
                    u64::MAX
                } else {
                    value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
                };
                product = product.saturating_mul(n.max(1));
                if n > MAX_ROUNDS || product > MAX_PRODUCT {
                    return true;
                }
            }
            _ => after_salt = false,
        }
        contents = rest;
    }
    false
}
