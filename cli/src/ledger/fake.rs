//! A site's log in memory for tests, built with `kelisim-ledger` exactly as the edge builds it:
//! receipts countersigned with a test edge key with their `log` position set, a real tree,
//! real signed checkpoints and proofs, tombstones after erasure. Knobs make it lie.

use std::cell::RefCell;
use std::collections::BTreeMap;

use kelisim_core::category::Decision;
use kelisim_core::receipt::{Action, LogPosition, PolicyRef, Receipt, ReceiptClaims, SignedReceipt, SubmitReceipt};
use kelisim_core::sign::{EdgeSigningKey, Jwks};
use kelisim_ledger::api::InclusionAnswer;
use kelisim_ledger::checkpoint::{CheckpointSigner, CheckpointVerifier};
use kelisim_ledger::erasure::{ErasedLeafProof, ServedEntry, Tombstone};
use kelisim_ledger::leaf::{leaf_hash, Entry, ErasureEntry, ReceiptEntry};
use kelisim_ledger::origin::LogOrigin;
use kelisim_ledger::tiles::{encode_entry_bundle, TilePath};
use kelisim_ledger::tree::{prove_consistency, prove_inclusion, tree_hash, ConsistencyProof, MemoryHashes};

use crate::error::{Error, Result};
use crate::ledger::source::{LogSource, Record};

pub const SITE: &str = "crm-demo";
pub const EDGE_SEED: [u8; 32] = [7; 32];

/// The fake log.
pub struct FakeLog {
    pub origin: LogOrigin,
    pub key: EdgeSigningKey,
    signer: CheckpointSigner,
    /// What bundles serve at each index: the entry, or its tombstone.
    pub served: Vec<Vec<u8>>,
    /// The entries as appended (the tree's leaves).
    entries: Vec<Vec<u8>>,
    subjects: Vec<Option<String>>,
    hashes: MemoryHashes,
    /// The KV records: receipt id → the stored JWS.
    pub records: BTreeMap<String, String>,
    /// Serve the checkpoint of this size instead of the latest.
    pub published: Option<u64>,
    /// Serve these bytes as the checkpoint.
    pub checkpoint_override: Option<Vec<u8>>,
    /// Flip a bit in every non-empty consistency proof.
    pub tamper_consistency: bool,
    /// Alter every inclusion answer this way before serving it.
    pub tamper_inclusion: Option<fn(&mut InclusionAnswer)>,
    /// Fail every bundle fetch after this many (a run killed half way).
    pub fail_after_bundles: Option<usize>,
    /// Paths of the bundles fetched, in order.
    pub fetched: RefCell<Vec<String>>,
    next_id: u64,
}

impl FakeLog {
    #[must_use]
    pub fn new() -> Self {
        let origin = LogOrigin::new("127.0.0.1:8787", SITE).unwrap();
        Self {
            signer: CheckpointSigner::from_seed(origin.clone(), &EDGE_SEED),
            origin,
            key: EdgeSigningKey::from_seed("k1", EDGE_SEED),
            served: Vec::new(),
            entries: Vec::new(),
            subjects: Vec::new(),
            hashes: MemoryHashes::new(),
            records: BTreeMap::new(),
            published: None,
            checkpoint_override: None,
            tamper_consistency: false,
            tamper_inclusion: None,
            fail_after_bundles: None,
            fetched: RefCell::new(Vec::new()),
            next_id: 0,
        }
    }

    /// A log whose receipt ids start elsewhere (another history of the same site).
    #[must_use]
    pub fn other_history() -> Self {
        let mut log = Self::new();
        log.next_id = 1_000_000;
        log
    }

    pub fn jwks(&self) -> Jwks {
        Jwks { keys: vec![self.key.jwks_entry()] }
    }

    pub fn verifier(&self) -> CheckpointVerifier {
        self.signer.verifier()
    }

    pub fn size(&self) -> u64 {
        self.hashes.size()
    }

    pub fn checkpoint_of(&self, size: u64) -> Vec<u8> {
        self.signer.sign(size, tree_hash(size, &self.hashes).unwrap()).unwrap().to_bytes().to_vec()
    }

    /// A receipt of `subject` (one letter) countersigned by `key` for position `index`.
    pub fn receipt(&mut self, index: u64, subject: char, key: &EdgeSigningKey) -> SignedReceipt {
        self.next_id += 1;
        let claims = ReceiptClaims {
            schema: 1,
            id: format!("01KAQ{:021}", self.next_id),
            site: SITE.into(),
            subject: subject.to_string().repeat(43),
            subject_key: None,
            policy: PolicyRef { version: 1, sha256: "0".repeat(64), language: "ru".into() },
            decisions: [("necessary".to_owned(), Decision::Granted)].into(),
            action: Action::RejectAll,
            gpc: false,
            client_time: "2026-11-23T10:00:00.000Z".into(),
            prev: None,
            widget_version: "0.1.0".into(),
        };
        let mut receipt =
            Receipt::accept(SubmitReceipt { claims, visitor_signature: None }, 1_795_000_000_000).unwrap();
        receipt.log = Some(LogPosition { index, origin: self.origin.to_string() });
        receipt.countersign(key).unwrap()
    }

    /// Appends entry bytes as they are (no record, no subject).
    pub fn append_raw(&mut self, entry: Vec<u8>) {
        self.push(entry, None);
    }

    /// The entry appended at `index`.
    pub fn entry(&self, index: u64) -> Vec<u8> {
        self.entries[index as usize].clone()
    }

    fn push(&mut self, entry: Vec<u8>, subject: Option<String>) {
        self.hashes.push(leaf_hash(&entry)).unwrap();
        self.served.push(entry.clone());
        self.entries.push(entry);
        self.subjects.push(subject);
    }

    /// Appends a receipt signed by `key`, stores its KV record; returns it.
    pub fn add_receipt_signed_by(&mut self, subject: char, key: &EdgeSigningKey) -> SignedReceipt {
        let index = self.size();
        let signed = self.receipt(index, subject, key);
        let entry = ReceiptEntry::new(index, &signed.receipt.claims.id, &signed.jws).unwrap();
        self.records.insert(signed.receipt.claims.id.clone(), signed.jws.clone());
        self.push(entry.to_bytes(), Some(signed.receipt.claims.subject.clone()));
        signed
    }

    /// Appends `count` receipts of `subject`.
    pub fn add_receipts(&mut self, count: usize, subject: char) -> Vec<SignedReceipt> {
        let key = EdgeSigningKey::from_seed("k1", EDGE_SEED);
        (0..count).map(|_| self.add_receipt_signed_by(subject, &key)).collect()
    }

    /// Erases every present receipt of `subject`: an erasure entry, tombstones, records deleted.
    pub fn erase_subject(&mut self, subject: char) -> Vec<u64> {
        let subject = subject.to_string().repeat(43);
        let index = self.size();
        let erased: Vec<u64> = (0..index)
            .filter(|&i| {
                self.subjects[i as usize].as_deref() == Some(&subject)
                    && matches!(ServedEntry::parse_at(i, &self.served[i as usize]), Ok(ServedEntry::Present(_)))
            })
            .collect();
        self.next_id += 1;
        let erasure =
            ErasureEntry::new(index, &format!("01KAQ{:021}", self.next_id), erased.clone(), "2026-12-02T10:00:00.000Z")
                .unwrap();
        for &i in &erased {
            if let Ok(Entry::Receipt(r)) = Entry::parse(&self.entries[i as usize]) {
                self.records.remove(r.id());
            }
            self.served[i as usize] =
                Tombstone::new(i, leaf_hash(&self.entries[i as usize]), index).unwrap().to_bytes();
        }
        self.push(erasure.to_bytes(), None);
        erased
    }

    fn index_of(&self, id: &str) -> Option<u64> {
        self.entries
            .iter()
            .position(|e| matches!(Entry::parse(e), Ok(Entry::Receipt(r)) if r.id() == id))
            .map(|i| i as u64)
    }
}

impl LogSource for FakeLog {
    fn checkpoint(&self) -> Result<Vec<u8>> {
        if let Some(bytes) = &self.checkpoint_override {
            return Ok(bytes.clone());
        }
        Ok(self.checkpoint_of(self.published.unwrap_or(self.size())))
    }

    fn verifier_key(&self) -> Result<String> {
        Ok(self.verifier().verifier_key())
    }

    fn jwks(&self) -> Result<Jwks> {
        Ok(self.jwks())
    }

    fn entry_bundle(&self, tile: &TilePath) -> Result<Vec<u8>> {
        let mut fetched = self.fetched.borrow_mut();
        if self.fail_after_bundles.is_some_and(|n| fetched.len() >= n) {
            return Err(Error::Unreachable { url: "fake".into(), reason: "killed".into() });
        }
        fetched.push(tile.path());
        let range = tile.leaf_range();
        let entries = self.served.get(range.start as usize..range.end as usize).ok_or_else(|| Error::Api {
            status: 404,
            code: "tile_not_in_tree".into(),
            message: tile.path(),
        })?;
        Ok(encode_entry_bundle(entries).unwrap())
    }

    fn consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof> {
        let mut proof = prove_consistency(old, new, &self.hashes).map_err(|e| Error::Protocol(e.to_string()))?;
        if self.tamper_consistency {
            if let Some(first) = proof.hashes.first_mut() {
                first.0[0] ^= 1;
            }
        }
        Ok(proof)
    }

    fn inclusion(&self, id: &str, size: u64) -> Result<InclusionAnswer> {
        let index = self.index_of(id).ok_or_else(|| Error::Api {
            status: 404,
            code: "receipt_not_found".into(),
            message: id.into(),
        })?;
        let proof = prove_inclusion(index, size, &self.hashes).map_err(|e| Error::Protocol(e.to_string()))?;
        let mut answer = match ServedEntry::parse_at(index, &self.served[index as usize]).unwrap() {
            ServedEntry::Present(entry) => InclusionAnswer::present(proof, entry.leaf_hash()),
            ServedEntry::Erased(tombstone) => {
                let Entry::Erasure(erasure) = Entry::parse(&self.entries[tombstone.erased_by() as usize]).unwrap()
                else {
                    panic!("not an erasure")
                };
                let erased = ErasedLeafProof {
                    erasure_proof: prove_inclusion(tombstone.erased_by(), size, &self.hashes).unwrap(),
                    tombstone,
                    leaf_proof: proof,
                    erasure,
                };
                InclusionAnswer::erased(&erased)
            }
        };
        if let Some(tamper) = self.tamper_inclusion {
            tamper(&mut answer);
        }
        Ok(answer)
    }

    fn record(&self, id: &str) -> Result<Record> {
        Ok(self.records.get(id).map_or(Record::Missing, |jws| Record::Held(jws.clone())))
    }
}
