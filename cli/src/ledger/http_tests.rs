//! The HTTP log source against a local server that answers the documented shapes of
//! docs/ledger.md §6 from a fake log: paths, query names, scopes and bodies as the edge serves
//! them, so the CLI's side of the wire is checked before the edge's routes exist here.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use kelisim_core::api::receipts::{ChainLink, ReceiptDetail};
use kelisim_core::receipt::{Receipt, SignedReceipt};
use kelisim_core::sign::b64url_decode;
use kelisim_ledger::api::ConsistencyAnswer;
use kelisim_ledger::tiles::TilePath;
use rusqlite::Connection;

use crate::client::Client;
use crate::error::EXIT_ERROR;
use crate::ledger::fake::FakeLog;
use crate::ledger::inclusion::{check_inclusion, Inclusion};
use crate::ledger::mirror::{db, mirror};
use crate::ledger::source::{HttpLogSource, LogSource};
use crate::ledger::trust::checkpoint_verifier;
use crate::ledger::witness::{check_records, latest_checkpoint};

const TOKEN: &str = "kls_test_token";

struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn json(status: u16, value: &impl serde::Serialize) -> Answer {
    Answer { status, content_type: "application/json", body: serde_json::to_vec(value).unwrap() }
}

fn error(status: u16, code: &str) -> Answer {
    json(status, &serde_json::json!({"error": {"code": code, "message": code}}))
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// What the edge would answer `path?query` (with or without a bearer token).
fn route(log: &FakeLog, path: &str, query: &str, authorized: bool) -> Answer {
    let text = |body: Vec<u8>| Answer { status: 200, content_type: "text/plain; charset=utf-8", body };
    if path == "/.well-known/jwks.json" {
        return json(200, &log.jwks());
    }
    let Some(rest) = path.strip_prefix("/v1/sites/crm-demo/") else { return error(404, "not_found") };
    match rest {
        "log/checkpoint" => text(LogSource::checkpoint(log).unwrap()),
        "log/key" => text(format!("{}\n", log.verifier().verifier_key()).into_bytes()),
        "log/proof/consistency" => {
            let from = query_param(query, "from").and_then(|v| v.parse().ok());
            let to = query_param(query, "to").and_then(|v| v.parse().ok());
            match (from, to) {
                (Some(from), Some(to)) => json(200, &ConsistencyAnswer::from(log.consistency(from, to).unwrap())),
                _ => error(400, "invalid_query"),
            }
        }
        "log/proof/inclusion" => {
            let (Some(id), Some(size)) = (query_param(query, "id"), query_param(query, "size")) else {
                return error(400, "invalid_query");
            };
            json(200, &log.inclusion(id, size.parse().unwrap()).unwrap())
        }
        _ if rest.starts_with("log/tile/entries/") => {
            if !authorized {
                return error(401, "unauthorized");
            }
            let tile = TilePath::parse(rest.strip_prefix("log/").unwrap()).unwrap();
            match log.entry_bundle(&tile) {
                Ok(bytes) => Answer { status: 200, content_type: "application/octet-stream", body: bytes },
                Err(_) => error(404, "tile_not_in_tree"),
            }
        }
        _ if rest.starts_with("receipts/") => {
            if !authorized {
                return error(401, "unauthorized");
            }
            let id = rest.strip_prefix("receipts/").unwrap();
            match log.records.get(id) {
                None => error(404, "receipt_not_found"),
                Some(jws) => {
                    let payload = b64url_decode(jws.split('.').nth(1).unwrap()).unwrap();
                    let receipt: Receipt = serde_json::from_slice(&payload).unwrap();
                    let signed = SignedReceipt { receipt, jws: jws.clone() };
                    let verification = signed.verify(&log.jwks());
                    let detail = ReceiptDetail {
                        valid: verification.is_valid(),
                        chain: ChainLink { prev: None, prev_found: None },
                        verification,
                        signed,
                    };
                    json(200, &detail)
                }
            }
        }
        _ => error(404, "not_found"),
    }
}

/// Serves `log` on 127.0.0.1 until the test ends; returns the base URL.
fn serve(log: Arc<Mutex<FakeLog>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut authorized = false;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header == "\r\n" || header.is_empty() {
                    break;
                }
                if header.to_ascii_lowercase().starts_with("authorization: bearer ") {
                    authorized = header.trim_end().ends_with(TOKEN);
                }
            }
            let target = request_line.split(' ').nth(1).unwrap_or_default();
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let answer = route(&log.lock().unwrap(), path, query, authorized);
            let head = format!(
                "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.status,
                answer.content_type,
                answer.body.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer.body));
        }
    });
    base
}

#[test]
fn the_http_source_mirrors_verifies_and_checks_records_over_the_documented_shapes() {
    let mut fake = FakeLog::new();
    let receipts = fake.add_receipts(260, 'A');
    fake.add_receipts(3, 'B');
    fake.erase_subject('B');
    let removed = receipts[7].receipt.claims.id.clone();
    fake.records.remove(&removed);
    let log = Arc::new(Mutex::new(fake));
    let base = serve(Arc::clone(&log));
    let client = Client::new(&base, Some(TOKEN.into())).unwrap();
    let source = HttpLogSource { client: &client, site: "crm-demo".into() };

    let jwks = source.jwks().unwrap();
    let verifier = checkpoint_verifier(&source, "crm-demo", None, &jwks).unwrap();
    let mut conn = Connection::open_in_memory().unwrap();
    db::init(&conn).unwrap();
    let report = mirror(&source, &mut conn, &verifier, &jwks).unwrap();
    assert_eq!((report.to, report.receipts, report.tombstones, report.erasures), (264, 260, 3, 1));

    let checkpoint = latest_checkpoint(&source, &verifier, None).unwrap();
    let problems = check_records(&source, &checkpoint, &jwks).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].index, problems[0].id.as_str()), (7, removed.as_str()));

    assert_eq!(
        check_inclusion(&source, &checkpoint, &receipts[9]).unwrap(),
        Inclusion::Included { index: 9, size: 264 }
    );

    // The entries need the token: without it the mirror stops with exit 2, the copy as it was.
    log.lock().unwrap().add_receipts(1, 'C');
    let anonymous = Client::new(&base, None).unwrap();
    let source = HttpLogSource { client: &anonymous, site: "crm-demo".into() };
    let e = mirror(&source, &mut conn, &verifier, &jwks).unwrap_err();
    assert_eq!(e.exit_code(), EXIT_ERROR);
    assert!(e.to_string().contains("token"), "{e}");
}

#[test]
fn keys_are_never_trusted_over_plain_http_from_another_machine() {
    // 192.0.2.0/24 is TEST-NET-1: were a request made, it would hang or fail as unreachable.
    let client = Client::new("http://192.0.2.1:9", None).unwrap();
    let source = HttpLogSource { client: &client, site: "crm-demo".into() };
    for e in [source.jwks().unwrap_err(), source.verifier_key().unwrap_err()] {
        assert!(matches!(e, crate::error::Error::Usage(_)) && e.to_string().contains("plain http"), "{e}");
    }
}
