//! Minimal DER writing helpers for the few structures certdesk encodes by hand (PKCS#12
//! containers, a CSR attribute). Reading always goes through real parsers.

use der::asn1::ObjectIdentifier;

/// One DER tag-length-value with a definite length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// SEQUENCE of already-encoded parts.
pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// SET OF already-encoded parts, sorted as DER requires.
pub(crate) fn set_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut sorted: Vec<&[u8]> = parts.to_vec();
    sorted.sort();
    tlv(0x31, &sorted.concat())
}

/// `[0] EXPLICIT` wrapper (constructed context tag 0).
pub(crate) fn explicit0(inner: &[u8]) -> Vec<u8> {
    tlv(0xA0, inner)
}

/// OCTET STRING.
pub(crate) fn octet_string(content: &[u8]) -> Vec<u8> {
    tlv(0x04, content)
}

/// Non-negative INTEGER.
pub(crate) fn integer(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut content = bytes[skip..].to_vec();
    if content[0] & 0x80 != 0 {
        content.insert(0, 0);
    }
    tlv(0x02, &content)
}

/// OBJECT IDENTIFIER.
pub(crate) fn oid(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(0x06, oid.as_bytes())
}

/// NULL.
pub(crate) fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// BMPString (UTF-16BE), as PKCS#12 friendlyName wants.
pub(crate) fn bmp_string(s: &str) -> Vec<u8> {
    let content: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
    tlv(0x1E, &content)
}

/// UTF8String.
pub(crate) fn utf8_string(s: &str) -> Vec<u8> {
    tlv(0x0C, s.as_bytes())
}

/// DER INTEGER of a big-endian unsigned number (RSA modulus, ECDSA r and s): leading zeros
/// dropped, one zero put back when the top bit is set.
pub(crate) fn unsigned_integer(big_endian: &[u8]) -> Vec<u8> {
    let digits: &[u8] = match big_endian.iter().position(|b| *b != 0) {
        Some(first) => &big_endian[first..],
        None => &[0],
    };
    let mut content = Vec::with_capacity(digits.len() + 1);
    if digits[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(digits);
    tlv(0x02, &content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    #[test]
    fn lengths_use_long_form_past_127_bytes() {
        assert_eq!(tlv(0x04, &[0; 3])[..2], [0x04, 3]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2C]);
    }

    #[test]
    fn integers_match_the_der_crate() {
        for v in [0u64, 1, 127, 128, 255, 256, 600_000, u64::from(u32::MAX)] {
            assert_eq!(integer(v), v.to_der().expect("der"), "{v}");
        }
    }

    #[test]
    fn oid_matches_the_der_crate() {
        let o = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
        assert_eq!(oid(&o), o.to_der().expect("der"));
    }

    #[test]
    fn unsigned_integers_are_minimal_and_positive() {
        assert_eq!(unsigned_integer(&[0, 0, 5]), vec![0x02, 1, 5]);
        assert_eq!(unsigned_integer(&[0x80]), vec![0x02, 2, 0, 0x80]);
        assert_eq!(unsigned_integer(&[0, 0]), vec![0x02, 1, 0]);
        assert_eq!(unsigned_integer(&[]), vec![0x02, 1, 0]);
    }
}
