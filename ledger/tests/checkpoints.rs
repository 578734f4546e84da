//! Checkpoints: the signed-note bytes pinned with a fixed key, cross-checked by hand; tampered
//! checkpoints, the wrong key or origin, and trees that do not extend each other are refused.

#![allow(clippy::unwrap_used, clippy::panic)]

mod reference;

use ed25519_dalek::{Signature, SigningKey, Verifier as _};
use kelisim_ledger::checkpoint::{CheckpointError, CheckpointSigner, CheckpointVerifier};
use kelisim_ledger::leaf::leaf_hash;
use kelisim_ledger::origin::{LogOrigin, OriginError};
use kelisim_ledger::tree::{prove_consistency, tree_hash, MemoryHashes};
use kelisim_ledger::{Hash, EMPTY_HASH};
use sha2::{Digest, Sha256};

/// The fixed test key (never used outside tests).
const SEED: [u8; 32] = [7; 32];
const HOST: &str = "consent.example.kz";
const SITE: &str = "acme";

/// The signed checkpoint of the log of leaves "leaf 0".."leaf 4" (five leaves) under the key of
/// [`SEED`]: origin, size, base64 root, blank line, one signature line.
const GOLDEN: &str = concat!(
    "consent.example.kz/kelisim/acme\n",
    "5\n",
    "NBUVmC1lDiNSDb1U1/zwr6G3DMOhakEdRk3JwayWwwE=\n",
    "\n",
    "— consent.example.kz/kelisim/acme ",
    "iejjS7H2I0T3jju0fIAghPZk1FdTPniKMn+9awRPEs+ndHxaIDLgt7m2launFM12PPIYCvvSlcHPdMW7kEanvsfv+wM=\n",
);

fn origin() -> LogOrigin {
    LogOrigin::new(HOST, SITE).unwrap()
}

fn signer() -> CheckpointSigner {
    CheckpointSigner::from_seed(origin(), &SEED)
}

fn log(n: usize) -> MemoryHashes {
    let mut log = MemoryHashes::new();
    for i in 0..n {
        log.push(leaf_hash(format!("leaf {i}").as_bytes())).unwrap();
    }
    log
}

fn signed(log: &MemoryHashes, size: u64) -> Vec<u8> {
    signer().sign(size, tree_hash(size, log).unwrap()).unwrap().to_bytes().to_vec()
}

#[test]
fn signed_note_bytes_are_pinned() {
    let bytes = signed(&log(5), 5);
    assert_eq!(String::from_utf8(bytes).unwrap(), GOLDEN);
    // The pinned root is the independent reference's MTH of the five leaves.
    let leaves = (0..5).map(|i| reference::leaf(format!("leaf {i}").as_bytes())).collect();
    let root = Hash(reference::Reference::new(leaves).mth(0, 5));
    assert!(GOLDEN.contains(&format!("\n{root}\n")));
}

#[test]
fn the_signature_line_is_the_signed_note_format_checked_by_hand() {
    let bytes = signed(&log(5), 5);
    let text = std::str::from_utf8(&bytes).unwrap();
    let (body, signature_line) = text.split_once("\n\n").unwrap();
    let root = tree_hash(5, &log(5)).unwrap();
    assert_eq!(body, format!("{HOST}/kelisim/{SITE}\n5\n{root}"));
    let b64 = signature_line.strip_prefix(&format!("— {HOST}/kelisim/{SITE} ")).unwrap().strip_suffix('\n').unwrap();
    let raw = base64_decode(b64);
    assert_eq!(raw.len(), 4 + 64);

    // key id = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian.
    let public = SigningKey::from_bytes(&SEED).verifying_key();
    let mut id_input = format!("{HOST}/kelisim/{SITE}\n").into_bytes();
    id_input.push(0x01);
    id_input.extend_from_slice(public.as_bytes());
    let digest = Sha256::digest(&id_input);
    assert_eq!(raw[..4], digest[..4]);
    assert_eq!(signer().verifier().key_id(), u32::from_be_bytes(digest[..4].try_into().unwrap()));

    // The signature covers the body with its final newline.
    let signature = Signature::from_slice(&raw[4..]).unwrap();
    public.verify(format!("{body}\n").as_bytes(), &signature).unwrap();

    // And the published verifier key is <name>+<id>+base64(0x01 || key).
    let vkey = signer().verifier().verifier_key();
    assert!(vkey.starts_with(&format!("{HOST}/kelisim/{SITE}+{}+", hex8(&digest[..4]))));
    assert!(signed_note::StandardVerifier::new(&vkey).is_ok());
}

#[test]
fn a_signed_checkpoint_verifies_and_parses() {
    let log = log(5);
    let bytes = signed(&log, 5);
    let checkpoint = signer().verifier().verify(&bytes).unwrap();
    assert_eq!(checkpoint.size(), 5);
    assert_eq!(checkpoint.root(), tree_hash(5, &log).unwrap());
    assert_eq!(checkpoint.origin(), &origin());
    assert_eq!(checkpoint.to_bytes(), &bytes[..]);

    // The verifier built from the public key alone is the same.
    let public = SigningKey::from_bytes(&SEED).verifying_key().to_bytes();
    let verifier = CheckpointVerifier::new(origin(), &public).unwrap();
    assert_eq!(verifier.verify(&bytes).unwrap(), checkpoint);

    // The empty log has a checkpoint too.
    let empty = signer().sign(0, EMPTY_HASH).unwrap();
    assert_eq!(verifier.verify(empty.to_bytes()).unwrap().size(), 0);
}

#[test]
fn tampered_checkpoints_are_refused() {
    let bytes = String::from_utf8(signed(&log(5), 5)).unwrap();
    let verifier = signer().verifier();
    let other_root = tree_hash(4, &log(4)).unwrap().to_string();
    let root = tree_hash(5, &log(5)).unwrap().to_string();

    let bigger = bytes.replacen("\n5\n", "\n6\n", 1);
    assert_eq!(verifier.verify(bigger.as_bytes()), Err(CheckpointError::BadSignature));
    let other = bytes.replacen(&root, &other_root, 1);
    assert_eq!(verifier.verify(other.as_bytes()), Err(CheckpointError::BadSignature));
    let extension = bytes.replacen("\n\n", "\nextra\n\n", 1);
    assert_eq!(verifier.verify(extension.as_bytes()), Err(CheckpointError::BadSignature));
    let truncated = &bytes[..bytes.len() - 1];
    assert_eq!(verifier.verify(truncated.as_bytes()), Err(CheckpointError::MalformedNote));
    let no_signature = bytes.split_once("\n\n").unwrap().0.to_owned() + "\n";
    assert_eq!(verifier.verify(no_signature.as_bytes()), Err(CheckpointError::MalformedNote));
    assert_eq!(verifier.verify(b""), Err(CheckpointError::MalformedNote));
    assert_eq!(verifier.verify(&[0xff, b'\n', b'\n']), Err(CheckpointError::MalformedNote));
}

#[test]
fn the_wrong_key_or_origin_is_refused() {
    let bytes = signed(&log(5), 5);

    // Another key under the same name: the key id differs, the note has no signature we know.
    let stranger = CheckpointSigner::from_seed(origin(), &[8; 32]);
    assert_eq!(stranger.verifier().verify(&bytes), Err(CheckpointError::NotSignedByLog));
    let forged = stranger.sign(5, tree_hash(5, &log(5)).unwrap()).unwrap();
    assert_eq!(signer().verifier().verify(forged.to_bytes()), Err(CheckpointError::NotSignedByLog));

    // The same key under another site's name: a different key name, so not this log's signature.
    let other_site = CheckpointSigner::from_seed(LogOrigin::new(HOST, "other").unwrap(), &SEED);
    assert_eq!(other_site.verifier().verify(&bytes), Err(CheckpointError::NotSignedByLog));
}

#[test]
fn a_checkpoint_with_extension_lines_is_refused_even_if_signed() {
    // Sign a body with an extension line using signed_note directly, under this log's key.
    let body = format!("{HOST}/kelisim/{SITE}\n5\n{}\nextension\n", tree_hash(5, &log(5)).unwrap());
    let mut note = signed_note::Note::new(body.as_bytes(), &[]).unwrap();
    note.add_sigs(&[&signer()]).unwrap();
    assert_eq!(signer().verifier().verify(&note.to_bytes()), Err(CheckpointError::Extensions));
}

#[test]
fn a_newer_checkpoint_must_extend_the_older_one() {
    let log = log(20);
    let verifier = signer().verifier();
    let at = |size: u64| verifier.verify(&signed(&log, size)).unwrap();
    let (old, new) = (at(7), at(20));

    old.check_extended_by(&new, &prove_consistency(7, 20, &log).unwrap()).unwrap();
    old.check_extended_by(&old, &prove_consistency(7, 7, &log).unwrap()).unwrap();

    // Shrinking.
    assert_eq!(new.check_extended_by(&old, &prove_consistency(7, 20, &log).unwrap()), Err(CheckpointError::Shrank));
    // A proof for other sizes.
    assert!(matches!(
        old.check_extended_by(&new, &prove_consistency(8, 20, &log).unwrap()),
        Err(CheckpointError::ProofSizes { .. })
    ));

    // A fork: a log whose first seven leaves differ, signed by the same key.
    let mut forked = MemoryHashes::new();
    for i in 0..20 {
        let data = if i == 3 { "rewritten".to_owned() } else { format!("leaf {i}") };
        forked.push(leaf_hash(data.as_bytes())).unwrap();
    }
    let forked_new = verifier.verify(&signed(&forked, 20)).unwrap();
    let forked_proof = prove_consistency(7, 20, &forked).unwrap();
    assert!(matches!(old.check_extended_by(&forked_new, &forked_proof), Err(CheckpointError::Inconsistent(_))));
    let forked_old = verifier.verify(&signed(&forked, 7)).unwrap();
    assert_eq!(
        old.check_extended_by(&forked_old, &prove_consistency(7, 7, &log).unwrap()),
        Err(CheckpointError::Forked)
    );
}

#[test]
fn origins_are_strict() {
    assert_eq!(origin().as_str(), "consent.example.kz/kelisim/acme");
    assert_eq!(origin().site(), "acme");
    assert_eq!(LogOrigin::parse("consent.example.kz/kelisim/acme").unwrap(), origin());
    assert!(LogOrigin::new("127.0.0.1:8787", "acme").is_ok());
    for host in
        ["", "Consent.example.kz", "a b", "a+b", "-a.kz", "a.kz.", "a.kz:", "a.kz:0", "a.kz:080", "a.kz:65536", "a/b"]
    {
        assert_eq!(LogOrigin::new(host, "acme"), Err(OriginError::InvalidHost), "{host:?}");
    }
    for site in ["", "Acme", "a b", "a+b", "-acme", "a/b"] {
        assert_eq!(LogOrigin::new(HOST, site), Err(OriginError::InvalidSite), "{site:?}");
    }
    assert!(LogOrigin::parse("consent.example.kz/acme").is_err());
    assert!(LogOrigin::parse("consent.example.kz/kelisim/acme/x").is_err());
}

fn hex8(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0_u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}
