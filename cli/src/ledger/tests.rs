//! The witness, the records check and receipt inclusion against a fake log.

use std::path::PathBuf;

use kelisim_core::sign::EdgeSigningKey;
use kelisim_ledger::api::InclusionAnswer;
use kelisim_ledger::checkpoint::CheckpointSigner;
use kelisim_ledger::leaf::leaf_hash;

use crate::error::{EXIT_BAD_SIGNATURE, EXIT_INCONSISTENT};
use crate::ledger::fake::{FakeLog, EDGE_SEED};
use crate::ledger::inclusion::{check_inclusion, Inclusion};
use crate::ledger::source::LogSource;
use crate::ledger::trust::checkpoint_verifier;
use crate::ledger::witness::{advance, check_records, latest_checkpoint, RecordProblem};

fn state_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kelisim-witness-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn the_state_file_advances_only_after_the_checks_pass() {
    let mut log = FakeLog::new();
    log.add_receipts(3, 'A');
    let path = state_file("advance");
    let verifier = log.verifier();

    let first = advance(&log, &verifier, "crm-demo", Some(&path)).unwrap();
    assert_eq!((first.previous, first.latest.size()), (None, 3));
    let after_first = std::fs::read(&path).unwrap();

    log.add_receipts(2, 'B');
    let second = advance(&log, &verifier, "crm-demo", Some(&path)).unwrap();
    assert_eq!((second.previous, second.latest.size()), (Some(3), 5));
    let after_second = std::fs::read(&path).unwrap();
    assert_ne!(after_first, after_second);

    // A fork at the same size, a shrunk log, a bad proof, a bad signature: refused, state kept.
    let mut fork = FakeLog::other_history();
    fork.add_receipts(5, 'A');
    let e = advance(&fork, &verifier, "crm-demo", Some(&path)).unwrap_err();
    assert_eq!(e.exit_code(), EXIT_INCONSISTENT, "{e}");
    log.published = Some(4);
    assert_eq!(advance(&log, &verifier, "crm-demo", Some(&path)).unwrap_err().exit_code(), EXIT_INCONSISTENT);
    log.published = None;
    log.add_receipts(1, 'C');
    log.tamper_consistency = true;
    assert_eq!(advance(&log, &verifier, "crm-demo", Some(&path)).unwrap_err().exit_code(), EXIT_INCONSISTENT);
    log.tamper_consistency = false;
    let forger = CheckpointSigner::from_seed(log.origin.clone(), &[9; 32]);
    let root = verifier.verify(&log.checkpoint_of(6)).unwrap().root();
    log.checkpoint_override = Some(forger.sign(6, root).unwrap().to_bytes().to_vec());
    assert_eq!(advance(&log, &verifier, "crm-demo", Some(&path)).unwrap_err().exit_code(), EXIT_BAD_SIGNATURE);
    assert_eq!(std::fs::read(&path).unwrap(), after_second);

    log.checkpoint_override = None;
    let third = advance(&log, &verifier, "crm-demo", Some(&path)).unwrap();
    assert_eq!((third.previous, third.latest.size()), (Some(5), 6));

    // A state file for another site is refused before anything is fetched.
    assert!(advance(&log, &verifier, "other-site", Some(&path)).is_err());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn the_edge_key_is_trusted_only_when_it_is_a_jwks_key() {
    let log = FakeLog::new();
    let verifier = checkpoint_verifier(&log, "crm-demo", None, &log.jwks()).unwrap();
    assert_eq!(verifier, log.verifier());
    let other = kelisim_core::sign::Jwks { keys: vec![EdgeSigningKey::from_seed("k1", [8; 32]).jwks_entry()] };
    assert_eq!(checkpoint_verifier(&log, "crm-demo", None, &other).unwrap_err().exit_code(), EXIT_BAD_SIGNATURE);
    assert!(checkpoint_verifier(&log, "other-site", None, &log.jwks()).is_err());
    // A pinned key is used as given, whatever the edge publishes.
    let pinned = log.verifier().verifier_key();
    assert_eq!(checkpoint_verifier(&log, "crm-demo", Some(&pinned), &other).unwrap(), log.verifier());
    assert!(checkpoint_verifier(&log, "other-site", Some(&pinned), &other).is_err());
}

#[test]
fn a_deleted_or_changed_kv_record_is_reported() {
    let mut log = FakeLog::new();
    let receipts = log.add_receipts(4, 'A');
    log.add_receipts(2, 'B');
    log.erase_subject('B');
    let checkpoint = latest_checkpoint(&log, &log.verifier(), None).unwrap();
    assert_eq!(check_records(&log, &checkpoint, &log.jwks()).unwrap(), []);

    let deleted = &receipts[1].receipt.claims.id;
    log.records.remove(deleted);
    let changed = &receipts[3].receipt.claims.id;
    log.records.insert(changed.clone(), receipts[0].jws.clone());
    let problems = check_records(&log, &checkpoint, &log.jwks()).unwrap();
    assert_eq!(
        problems,
        [
            RecordProblem { index: 1, id: deleted.clone(), problem: "the KV record is missing" },
            RecordProblem { index: 3, id: changed.clone(), problem: "the KV record is another receipt than the log's" },
        ]
    );

    // Entries that do not hash to the checkpoint are refused, not reported record by record.
    let key = EdgeSigningKey::from_seed("k1", EDGE_SEED);
    let other = log.receipt(2, 'C', &key);
    log.served[2] =
        kelisim_ledger::leaf::ReceiptEntry::new(2, &other.receipt.claims.id, &other.jws).unwrap().to_bytes();
    assert_eq!(check_records(&log, &checkpoint, &log.jwks()).unwrap_err().exit_code(), EXIT_INCONSISTENT);
}

#[test]
fn receipts_are_proven_in_the_log() {
    let mut log = FakeLog::new();
    let a = log.add_receipts(3, 'A');
    let b = log.add_receipts(2, 'B');
    log.erase_subject('A');
    let checkpoint = latest_checkpoint(&log, &log.verifier(), None).unwrap();
    assert_eq!(check_inclusion(&log, &checkpoint, &b[1]).unwrap(), Inclusion::Included { index: 4, size: 6 });
    assert_eq!(
        check_inclusion(&log, &checkpoint, &a[1]).unwrap(),
        Inclusion::Erased { index: 1, by: 5, time: "2026-12-02T10:00:00.000Z".into() }
    );

    // Another JWS for the same id and position: the log's leaf is another entry.
    let mut forged = b[1].clone();
    forged.jws = b[0].jws.clone();
    assert!(matches!(check_inclusion(&log, &checkpoint, &forged).unwrap(), Inclusion::Refused(_)));
    // Another log's receipt.
    let mut elsewhere = b[1].clone();
    elsewhere.receipt.log.as_mut().unwrap().origin = "edge.example/kelisim/crm-demo".into();
    assert!(matches!(check_inclusion(&log, &checkpoint, &elsewhere).unwrap(), Inclusion::Refused(_)));
    // Not covered by the checkpoint yet.
    let fresh = log.add_receipts(1, 'C');
    assert_eq!(check_inclusion(&log, &checkpoint, &fresh[0]).unwrap(), Inclusion::NotYet { index: 6, size: 6 });
    // Signed before the ledger.
    let mut old = b[0].clone();
    old.receipt.log = None;
    assert_eq!(check_inclusion(&log, &checkpoint, &old).unwrap(), Inclusion::NoPosition);
    assert!(log.checkpoint().is_ok());
}

#[test]
fn an_erased_receipts_proof_is_verified_not_believed() {
    let mut log = FakeLog::new();
    let a = log.add_receipts(3, 'A');
    log.add_receipts(2, 'B');
    log.erase_subject('A');
    let checkpoint = latest_checkpoint(&log, &log.verifier(), None).unwrap();
    let verdict = check_inclusion(&log, &checkpoint, &a[1]).unwrap();
    assert_eq!(
        verdict.describe(),
        "erased from the log: index 1, erased by the erasure at index 5 (2026-12-02T10:00:00.000Z)"
    );

    type Tamper = fn(&mut InclusionAnswer);
    let tampers: [(&str, Tamper); 6] = [
        ("tombstone not canonical", |a| a.erased.as_mut().unwrap().tombstone.push(' ')),
        ("tombstone names another erasure", |a| {
            let e = a.erased.as_mut().unwrap();
            e.tombstone = e.tombstone.replace(r#""erased_by":5"#, r#""erased_by":4"#);
        }),
        ("the tombstone keeps another leaf hash", |a| a.leaf_hash.0[0] ^= 1),
        ("entry does not name the index", |a| {
            let e = a.erased.as_mut().unwrap();
            e.erasure_entry = e.erasure_entry.replace(r#""erased":[0,1,2]"#, r#""erased":[0,2]"#);
            e.erasure_proof.leaf_hash = leaf_hash(e.erasure_entry.as_bytes());
        }),
        ("erasure proof altered", |a| a.erased.as_mut().unwrap().erasure_proof.hashes[0].0[0] ^= 1),
        ("leaf proof altered", |a| a.hashes[0].0[0] ^= 1),
    ];
    let mut reasons = Vec::new();
    for (what, tamper) in tampers {
        log.tamper_inclusion = Some(tamper);
        match check_inclusion(&log, &checkpoint, &a[1]).unwrap() {
            Inclusion::Refused(why) => reasons.push(why),
            other => panic!("{what}: {other:?}"),
        }
    }
    assert!(reasons[0].contains("tombstone is not canonical"), "{reasons:?}");
    assert!(reasons[1].contains("erasure entry 5 does not remove leaf 1"), "{reasons:?}");
    assert!(reasons[3].contains("erasure entry 5 does not remove leaf 1"), "{reasons:?}");
    assert!(reasons[4].starts_with("erased proof: "), "{reasons:?}");
}
