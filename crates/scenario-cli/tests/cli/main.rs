//! The `scenario` binary end to end, against a fake of the API started in the
//! test process. One test binary, so that it links once.

mod assets;
mod help;
mod hostile;
mod mock;
mod support;
mod uploads;
