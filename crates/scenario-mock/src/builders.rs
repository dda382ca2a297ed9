//! Values of the generated types, made through their builders.
//!
//! A struct literal names every field, so a property the document adds would break
//! the fake; a builder leaves an optional one at its default.

use std::any::type_name;
use std::fmt::Display;

/// The value a builder describes.
///
/// # Panics
/// If a required field was not set: the fake sets every required field it knows, so
/// only a field the document made required since can be missing, and the fake has
/// to be taught about it.
pub(crate) fn built<T, B>(builder: B) -> T
where
    B: TryInto<T>,
    B::Error: Display,
{
    match builder.try_into() {
        Ok(value) => value,
        Err(error) => panic!("scenario-mock builds {}: {error}", type_name::<T>()),
    }
}
