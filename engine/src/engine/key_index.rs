//! Finding a flow by its [`FlowKey`] (what every packet from the LAN is looked up by)
//! without storing the key a second time.
//!
//! A `HashMap<FlowKey, FlowId>` held its own copy of the 68-byte key beside the one in the
//! flow's entry: with the table's spare capacity, about 130 bytes per flow, the largest
//! index the engine keeps. This one holds only the flow id and compares candidates against
//! the key in the flow table (hashbrown's `HashTable`, the building block std's `HashMap`
//! is made of), so an idle flow costs a fifth of that.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use super::Entry;
use super::id_hash::IdHash;

/// The engine's flow table, which holds the keys.
type FlowTable = HashMap<FlowId, Entry, IdHash>;
use crate::flow::{FlowId, FlowKey};

/// The flows' ids, hashed by their keys.
#[derive(Debug, Default)]
pub(super) struct KeyIndex {
    table: HashTable<FlowId>,
    /// Keyed per engine: a LAN host cannot aim its flows at one bucket.
    hasher: RandomState,
}

impl KeyIndex {
    /// The flow whose key is `key`.
    pub(super) fn get(&self, key: &FlowKey, flows: &FlowTable) -> Option<FlowId> {
        self.table
            .find(self.hasher.hash_one(key), |id| {
                flows.get(id).is_some_and(|e| e.key == *key)
            })
            .copied()
    }

    /// Indexes `fid` under `key`, in place of any flow the key found before. `flows` holds
    /// every other indexed flow (their keys are hashed again when the table grows).
    pub(super) fn insert(&mut self, key: &FlowKey, fid: FlowId, flows: &FlowTable) {
        let hash = self.hasher.hash_one(key);
        let same = |id: &FlowId| flows.get(id).is_some_and(|e| e.key == *key);
        if let Some(slot) = self.table.find_mut(hash, same) {
            *slot = fid;
            return;
        }
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, fid, |id| match flows.get(id) {
                Some(e) => hasher.hash_one(e.key),
                // Only the flow being inserted may be missing from the table yet.
                None => hasher.hash_one(key),
            });
    }

    /// Forgets `fid`, indexed under `key`; a newer flow that took the key over stays.
    pub(super) fn remove(&mut self, key: &FlowKey, fid: FlowId) {
        if let Ok(entry) = self
            .table
            .find_entry(self.hasher.hash_one(key), |&id| id == fid)
        {
            entry.remove();
        }
    }

    /// Whether a flow has `key`.
    pub(super) fn contains(&self, key: &FlowKey, flows: &FlowTable) -> bool {
        self.get(key, flows).is_some()
    }
}
