//! Minifies `src/widget.css` into `OUT_DIR` (comments and layout whitespace out), so the sheet
//! the wasm carries is as small as it can be while the source stays readable.

use std::{env, fs, path::Path};

fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut prev = ' ';
            for d in chars.by_ref() {
                if prev == '*' && d == '/' {
                    break;
                }
                prev = d;
            }
            pending_space = true;
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = |x: char| matches!(x, '{' | '}' | ';' | ',' | ':' | '>');
        if pending_space && !out.is_empty() && !tight(c) && !out.ends_with(tight) {
            out.push(' ');
        }
        // A space before `:` matters in selectors (`a :hover`); none of ours has one.
        pending_space = false;
        if c == '}' && out.ends_with(';') {
            out.pop();
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
        out.push(c);
    }
    out
}

fn main() {
    println!("cargo:rerun-if-changed=src/widget.css");
    let css = fs::read_to_string("src/widget.css").expect("src/widget.css is readable");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out).join("widget.min.css"), minify(&css)).expect("OUT_DIR is writable");
}
