//! The DNS forwarder: pure parts ([`cache`], [`local`], [`wire`], [`resolv`] parsing) and
//! the shells that talk to the network ([`upstream`], [`listen`]), joined by [`resolver`].

pub mod cache;
pub mod listen;
pub mod local;
pub mod resolv;
pub mod resolver;
pub mod upstream;
pub mod wire;
