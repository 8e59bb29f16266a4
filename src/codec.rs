//! Byte strings and numeric arrays in snapshots. Numeric arrays go as little-endian bytes (`serde(with = ...)`): a
//! MessagePack byte string instead of one tagged number per element, so a 512² grid
//! saves and loads at memory speed and compresses well.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Bytes, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// Byte-shuffle values of `width` bytes: all first bytes, then all second bytes, …
/// Sign and exponent bytes of neighbouring values are alike, so the shuffled array
/// compresses far better than the plain one.
pub fn shuffle(b: &[u8], width: usize) -> Vec<u8> {
    let n = b.len() / width;
    let mut out = vec![0u8; b.len()];
    for (i, v) in b.chunks_exact(width).enumerate() {
        for (k, &x) in v.iter().enumerate() {
            out[k * n + i] = x;
        }
    }
    out
}

/// Undo [`shuffle`] (a length that is not a multiple of `width` is returned as is).
pub fn unshuffle(b: &[u8], width: usize) -> Vec<u8> {
    if width == 0 || !b.len().is_multiple_of(width) {
        return b.to_vec();
    }
    let n = b.len() / width;
    let mut out = vec![0u8; b.len()];
    for i in 0..n {
        for k in 0..width {
            out[i * width + k] = b[k * n + i];
        }
    }
    out
}

macro_rules! le_module {
    ($name:ident, $t:ty, $n:expr) => {
        /// `Vec` of this type as little-endian bytes.
        pub mod $name {
            use super::*;

            /// Serialize.
            pub fn serialize<S: Serializer>(v: &[$t], s: S) -> Result<S::Ok, S::Error> {
                let mut b = Vec::with_capacity(v.len() * $n);
                for x in v {
                    b.extend_from_slice(&x.to_le_bytes());
                }
                s.serialize_bytes(&shuffle(&b, $n))
            }

            /// Deserialize.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<$t>, D::Error> {
                let b = Bytes::deserialize(d)?.0;
                if !b.len().is_multiple_of($n) {
                    return Err(serde::de::Error::custom(format!(
                        "{} bytes is not a whole number of {}-byte values",
                        b.len(),
                        $n
                    )));
                }
                let b = unshuffle(&b, $n);
                Ok(b.chunks_exact($n)
                    .map(|c| <$t>::from_le_bytes(c.try_into().expect("chunk of the right size")))
                    .collect())
            }
        }
    };
}

le_module!(f32s, f32, 4);
le_module!(f64s, f64, 8);
le_module!(u32s, u32, 4);
le_module!(u16s, u16, 2);

/// `Vec<bool>` as bytes (0 or 1).
pub mod bools {
    use super::*;

    /// Serialize.
    pub fn serialize<S: Serializer>(v: &[bool], s: S) -> Result<S::Ok, S::Error> {
        let b: Vec<u8> = v.iter().map(|&x| x as u8).collect();
        s.serialize_bytes(&b)
    }

    /// Deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<bool>, D::Error> {
        Ok(Bytes::deserialize(d)?
            .0
            .into_iter()
            .map(|x| x != 0)
            .collect())
    }
}
