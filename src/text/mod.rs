//! Text in: where it comes from ([`source`]) and how it is cut into fragments ([`segment`]).

pub mod count;
pub mod markdown;
pub mod pace;
pub mod segment;
pub mod source;
