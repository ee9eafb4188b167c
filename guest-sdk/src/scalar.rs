//! `Scalar`: the JSON-like value used in error params and auth conditions. It mirrors the WIT
//! `scalar` variant so authors never touch generated types.

/// A JSON-like scalar value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Boolean(bool),
    /// A whole number.
    Integer(i64),
    /// A number with a fraction.
    Float(f64),
    /// A string.
    Text(String),
}

impl Scalar {
    /// The text, when this is [`Scalar::Text`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Text(text) => Some(text),
            _ => None,
        }
    }
}

impl From<bool> for Scalar {
    fn from(value: bool) -> Self {
        Scalar::Boolean(value)
    }
}

impl From<&str> for Scalar {
    fn from(value: &str) -> Self {
        Scalar::Text(value.to_owned())
    }
}

impl From<String> for Scalar {
    fn from(value: String) -> Self {
        Scalar::Text(value)
    }
}

impl From<&String> for Scalar {
    fn from(value: &String) -> Self {
        Scalar::Text(value.clone())
    }
}

impl From<f64> for Scalar {
    fn from(value: f64) -> Self {
        Scalar::Float(value)
    }
}

impl From<f32> for Scalar {
    fn from(value: f32) -> Self {
        Scalar::Float(f64::from(value))
    }
}

macro_rules! integer_into_scalar {
    ($($int:ty),*) => {$(
        impl From<$int> for Scalar {
            fn from(value: $int) -> Self {
                Scalar::Integer(i64::from(value))
            }
        }
    )*};
}
integer_into_scalar!(i8, i16, i32, i64, u8, u16, u32);

impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(value: Option<T>) -> Self {
        value.map_or(Scalar::Null, Into::into)
    }
}
