//! An independent RFC 6962 Merkle tree for the tests, written from the RFC's definitions
//! (§2.1 MTH, §2.1.1 PATH, §2.1.2 PROOF/SUBPROOF) with `sha2` directly: no code shared with
//! `tlog_tiles` or the crate under test.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;

use sha2::{Digest, Sha256};

pub type H = [u8; 32];

/// SHA-256(0x00 || data).
pub fn leaf(data: &[u8]) -> H {
    Sha256::new().chain_update([0x00]).chain_update(data).finalize().into()
}

/// SHA-256(0x01 || left || right).
pub fn node(left: &H, right: &H) -> H {
    Sha256::new().chain_update([0x01]).chain_update(left).chain_update(right).finalize().into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// A list of leaf hashes with memoised subtree hashes (the definitions are recursive; the memo
/// only saves recomputation and changes no result).
pub struct Reference {
    leaves: Vec<H>,
    memo: RefCell<HashMap<(usize, usize), H>>,
}

impl Reference {
    pub fn new(leaves: Vec<H>) -> Self {
        Self { leaves, memo: RefCell::new(HashMap::new()) }
    }

    pub fn push(&mut self, leaf_hash: H) {
        self.leaves.push(leaf_hash);
    }

    /// MTH(D[lo:hi]).
    pub fn mth(&self, lo: usize, hi: usize) -> H {
        let n = hi - lo;
        if n == 0 {
            return Sha256::digest([]).into();
        }
        if n == 1 {
            return self.leaves[lo];
        }
        if let Some(h) = self.memo.borrow().get(&(lo, hi)) {
            return *h;
        }
        let k = split(n);
        let h = node(&self.mth(lo, lo + k), &self.mth(lo + k, hi));
        self.memo.borrow_mut().insert((lo, hi), h);
        h
    }

    /// PATH(m, D[lo:hi]) with m relative to lo.
    pub fn path(&self, m: usize, lo: usize, hi: usize) -> Vec<H> {
        let n = hi - lo;
        if n == 1 {
            return vec![];
        }
        let k = split(n);
        if m < k {
            let mut p = self.path(m, lo, lo + k);
            p.push(self.mth(lo + k, hi));
            p
        } else {
            let mut p = self.path(m - k, lo + k, hi);
            p.push(self.mth(lo, lo + k));
            p
        }
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true), 0 < m <= n.
    pub fn proof(&self, m: usize, n: usize) -> Vec<H> {
        self.subproof(m, 0, n, true)
    }

    fn subproof(&self, m: usize, lo: usize, hi: usize, b: bool) -> Vec<H> {
        let n = hi - lo;
        if m == n {
            return if b { vec![] } else { vec![self.mth(lo, hi)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = self.subproof(m, lo, lo + k, b);
            p.push(self.mth(lo + k, hi));
            p
        } else {
            let mut p = self.subproof(m - k, lo + k, hi, false);
            p.push(self.mth(lo, lo + k));
            p
        }
    }
}

pub fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

pub fn hex32(s: &str) -> H {
    hex(s).try_into().expect("32 bytes")
}
