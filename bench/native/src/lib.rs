//! Nothing here: see benches/receipt.rs.
