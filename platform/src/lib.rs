//! OS backends for masq (to be written).
