//! The widget's controller: made from the tag, told what the browser did (the policy arrived, a
//! button was pressed, a key signed, the edge answered) and answering with what follows, asking
//! its [`Host`] for the browser operations it needs. Pure and generic over the host, so every
//! scenario (first visit, accept, signing, countersigning, the edge down, a material change,
//! storage that throws) is tested natively with a fake host; `web::widget` is the wasm-bindgen
//! shim over it with the loader's host. Borrows of its state are short and never held across a
//! call into the host, so the page may call back in (a `kelisim:change` listener calling
//! `kelisim.get`) at any time.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use crate::clock::Clock;
use crate::codec;
use crate::config::Config;
use crate::consent_mode;
use crate::i18n::{self, Strings};
use crate::json::{self, decimal};
use crate::model::{Action, Decisions, Served, NECESSARY};
use crate::outbox::{classify, Entry, Outbox, Outcome};
use crate::receipt::{self, Claims, Countersigned, Draft, Sent, Subject};
use crate::scripts::Queue;
use crate::sha256;
use crate::state::{self, Choice, Remembered, Status, DAY_MS};
use crate::ui::{self, SettingsModel};

/// Countersigned receipts kept in the browser (the newest; older ones stay at the edge).
pub const MAX_KEPT_RECEIPTS: usize = 50;
const UNFETCHED: &str = "the policy could not be fetched";
const NOT_KEPT: &str = "receipt not kept: ";

/// What is known on this page view.
#[derive(Default)]
struct Session {
    /// The visitor's languages, most wanted first.
    prefs: Vec<String>,
    lang: String,
    served: Option<Served>,
    remembered: Option<Remembered>,
    /// The decisions in force, once known.
    decisions: Option<Decisions>,
    /// `open()` was called before the policy arrived.
    open_pending: bool,
    /// `withdraw()` was called before the policy arrived.
    withdraw_pending: bool,
    /// The view (`settings`, `policy`) to show once the full policy arrives; the first layer
    /// lacks its text and Art. 8(4) details. Set while the full policy is being fetched.
    view_pending: Option<&'static str>,
}

/// A receipt waiting for the visitor key's signature.
struct Signing {
    claims: Claims,
    header: String,
    /// The device's time (the choice's expiry counts from it) and the edge's (the receipt's).
    now: u64,
    stamp: u64,
    ulid_random: [u8; 10],
    /// The outbox entry this receipt makes again on the edge's clock: its id and hash.
    replaces: Option<(String, String)>,
}

/// The browser operations a [`Controller`] asks for: in the page, the loader's (`js/loader.js`,
/// through `web::host`); in tests, a fake. None of them fails or throws.
pub trait Host {
    /// `localStorage[key]` (or the page's in-memory copy where storage throws).
    fn load(&self, key: &str) -> Option<String>;
    /// Stores `value` under `key`; `None` removes it.
    fn save(&self, key: &str, value: Option<&str>);
    /// Shows the banner (`"banner"`, with no tree: the loader builds it from the first layer it
    /// last handed over with the `policy` event, or keeps the one it painted from that same
    /// document before the wasm was ready) or a dialog of [`crate::ui`] (`"settings"`,
    /// `"policy"`; not twice), mounting the widget first.
    fn show(&self, kind: &str, tree: &str);
    /// Closes the banner and every dialog, returning focus where it was.
    fn close_all(&self);
    /// Says `message` in the widget's polite live region.
    fn status(&self, message: &str);
    /// Puts decisions in force on the page: `gtag('consent', 'update', update)`, the
    /// `kelisim:change` event and subscribers with `{decisions, action}`, then the marked scripts
    /// now allowed. `decisions` and `update` are JSON objects (`{name: "granted" | "denied"}`).
    fn apply(&self, decisions: &str, action: &str, update: &str);
    /// Starts loading (or making) the visitor key, so a choice does not wait for it.
    fn warm(&self);
    /// Records the queued choices (the `claims` event), then flushes the outbox.
    fn record(&self);
    /// The `kelisim:refused` event, with `detail` (JSON: `{id, status, code}`).
    fn refused(&self, detail: &str);
    /// `console.warn("[kelisim] " + message)`.
    fn warn(&self, message: &str);
    /// `N` bytes from `crypto.getRandomValues`, if the browser has it.
    fn random<const N: usize>(&self) -> Option<[u8; N]>;
    /// `Date.now()`.
    fn now(&self) -> u64;
    /// Fetches `url` from the edge; the answer comes back as the events `clock` and `full`.
    fn fetch(&self, url: &str);
}

pub struct Controller<H: Host> {
    host: H,
    config: Config,
    /// The edge's origin (the loader's).
    edge: String,
    gpc: bool,
    /// The edge's clock, learnt from its answers' `Date`.
    clock: Cell<Clock>,
    session: RefCell<Session>,
    choices: RefCell<Vec<(Decisions, Action)>>,
    signing: RefCell<Option<Signing>>,
    /// The outbox entry being posted.
    sending: RefCell<Option<Entry>>,
    /// The countersigned receipt whose edge signature the loader is verifying, its JWS and the
    /// outbox entry it answers (which leaves the outbox only once the signature checks).
    checking: RefCell<Option<(Countersigned, String, String)>>,
    /// Receipts made again on the edge's clock on this page: (old hash, new hash), so a receipt
    /// behind one names the new one as its `prev`.
    rehashed: RefCell<Vec<(String, String)>>,
    scripts: RefCell<Queue<u32>>,
    warned: Cell<bool>,
}

/// The URL of the current policy in `lang` (or the edge's default language): its first layer
/// (what the banner shows) when `banner`, else the whole. Revalidated on every page view, so a
/// new version is seen at once; the loader asks for the first layer while the wasm loads.
fn policy_url(edge: &str, site: &str, lang: Option<&str>, banner: bool) -> String {
    let mut url = [edge, "/v1/sites/", site, "/policy"].concat();
    let mut sep = '?';
    if let Some(lang) = lang {
        url.push_str("?lang=");
        url.push_str(lang);
        sep = '&';
    }
    if banner {
        url.push(sep);
        url.push_str("layer=banner");
    }
    url
}

/// The strings of a JSON array of strings (others skipped; nothing for other JSON).
fn string_list(text: &str) -> Vec<String> {
    json::parse(text)
        .and_then(|v| Some(v.as_array()?.iter().filter_map(|s| s.as_str().map(String::from)).collect()))
        .unwrap_or_default()
}

impl<H: Host> Controller<H> {
    /// The widget for the tag with `attributes` (`{name: value}`, JSON), served by `edge`.
    ///
    /// # Errors
    /// When the tag lacks a valid `data-site`.
    pub fn new(host: H, edge: String, attributes: &str, gpc: bool) -> Result<Self, String> {
        let config = Config::from_attributes(codec::lookup(attributes)).map_err(|e| String::from(e.message()))?;
        let widget = Self {
            host,
            config,
            edge,
            gpc,
            clock: Cell::default(),
            session: RefCell::default(),
            choices: RefCell::default(),
            signing: RefCell::default(),
            sending: RefCell::default(),
            checking: RefCell::default(),
            rehashed: RefCell::default(),
            scripts: RefCell::default(),
            warned: Cell::new(false),
        };
        // Whatever waited from an earlier page view is due now.
        let mut outbox = widget.outbox();
        if !outbox.is_empty() {
            outbox.wake_all();
            widget.save_outbox(&outbox);
        }
        let remembered = widget.host.load(&widget.key("")).as_deref().and_then(codec::remembered);
        widget.session.borrow_mut().remembered = remembered;
        Ok(widget)
    }

    /// Tells the widget what happened in the browser (`event`, with arguments `a` and `b`, empty
    /// when unused) and returns its answer, if it has one. One export rather than one per event
    /// keeps the glue small. The events, in the order a page view meets them:
    ///
    /// | event | a, b | answer |
    /// |---|---|---|
    /// | `clock` | an edge answer's `Date` header (before `policy` or `answer`) | |
    /// | `languages` | `<html lang>`, `navigator.languages` (JSON) | the policy URL to fetch |
    /// | `policy`, `policy-again` | HTTP status (0: none), body (the first layer) | another URL to fetch, for a better language (then `policy-again`) |
    /// | `full` | HTTP status (0: none), body: the whole policy the loader fetched on `host.fetch` | |
    /// | `script` | a marked script's category, its handle | |
    /// | `next-script` | | the handle of the next script to run |
    /// | `copies` | an attribute name | `""` if a runnable copy gets it |
    /// | `press` | a button's `data-action`, the settings' switches on (JSON) | |
    /// | `open`, `withdraw` | | |
    /// | `get` | a category | `true` or `false`, none while undecided |
    /// | `receipts` | | the kept receipts (JSON) |
    /// | `claims` | the visitor key's public `x` (empty: none) | what the key signs; `""`: recorded unsigned; none: no choice waits (a receipt to make again on the edge's clock comes first) |
    /// | `signed` | the signature's bytes (JSON; empty: the key failed) | |
    /// | `due` | | `[id, body]` to post, or when to try again, or `null` (JSON) |
    /// | `answer` | HTTP status (0: none), body | `[kid, signing input, [signature]]` to verify (JSON) |
    /// | `verified` | `valid`, `invalid`, `unknown` (no such key), `unchecked` (no Ed25519 here) or `error` (the check threw) | |
    pub fn on(&self, event: &str, a: &str, b: &str) -> Option<String> {
        let status = || json::parse(a).and_then(|v| v.as_u64()).and_then(|s| u16::try_from(s).ok()).unwrap_or(0);
        match event {
            "clock" => {
                let mut clock = self.clock.get();
                clock.learn(a, self.now());
                self.clock.set(clock);
            }
            "languages" => return Some(self.policy_url(a, b)),
            "policy" | "policy-again" => return self.policy(status(), b, event == "policy-again"),
            "full" => self.full(status(), b),
            "script" => {
                if let Some(handle) = json::parse(b).and_then(|v| u32::try_from(v.as_u64()?).ok()) {
                    self.scripts.borrow_mut().add(a.into(), handle);
                }
            }
            "next-script" => return self.next_script().map(|h| decimal(h.into())),
            "copies" => return crate::scripts::copies_attribute(a).then(String::new),
            "press" => self.press(a, b),
            "open" => self.open(),
            "withdraw" => self.withdraw(),
            "get" => {
                let granted = state::get(self.session.borrow().decisions.as_ref(), a)?;
                return Some(String::from(if granted { "true" } else { "false" }));
            }
            "receipts" => return Some(codec::receipts(self.host.load(&self.key(":receipts")).as_deref())),
            "claims" => return self.claims((!a.is_empty()).then(|| a.into())),
            "signed" => self.signed(json::parse(a).and_then(|v| {
                v.as_array()?.iter().map(|b| u8::try_from(b.as_u64()?).ok()).collect::<Option<Vec<u8>>>()
            })),
            "due" => return Some(self.due()),
            "answer" => return self.answer(status(), b),
            "verified" => self.keep(a),
            _ => {}
        }
        None
    }
}

impl<H: Host> Controller<H> {
    /// The policy URL to fetch first: the visitor's language is the tag's, the page's
    /// (`html_lang`), then the browser's (`languages`, a JSON array), among those the policy
    /// offers.
    fn policy_url(&self, html_lang: &str, languages: &str) -> String {
        let prefs = i18n::preferences(self.config.lang.as_deref(), Some(html_lang), &string_list(languages));
        let url = policy_url(&self.edge, &self.config.site, prefs.first().map(String::as_str), true);
        self.session.borrow_mut().prefs = prefs;
        url
    }

    /// The edge's answer to a policy request (`status` 0: no answer). Returns the URL to fetch
    /// instead when the policy offers a language the visitor prefers (`retry` is then set on the
    /// second answer).
    fn policy(&self, status: u16, text: &str, retry: bool) -> Option<String> {
        let Some(served) = (status == 200).then(|| codec::served(text)).flatten() else {
            self.warn(&match status {
                0 => String::from(UNFETCHED),
                200 => String::from("the policy could not be read"),
                s => [UNFETCHED, " (HTTP ", &decimal(s.into()), ")"].concat(),
            });
            // Without the policy nothing can be asked; a remembered choice that has not expired
            // still holds (a material change cannot be seen, so none is assumed).
            let remembered = self.session.borrow().remembered.clone();
            if let Some(r) = remembered.filter(|r| self.now() < r.expires) {
                self.apply(r.decisions, r.action);
            }
            return None;
        };
        let want = i18n::pick_language(&self.session.borrow().prefs, &served.policy.languages);
        if !retry && want != served.language {
            return Some(policy_url(&self.edge, &self.config.site, Some(&want), true));
        }
        let remembered = self.session.borrow().remembered.clone();
        let status = state::status(remembered.as_ref(), served.last_material_version, self.now());
        let categories = served.policy.categories.clone();
        {
            let mut s = self.session.borrow_mut();
            s.lang = served.language.clone();
            s.served = Some(served);
        }
        match (status, remembered) {
            (Status::Remembered, Some(r)) => self.apply(state::effective(&categories, &r.decisions), r.action),
            _ => {
                self.host.warm();
                self.host.show("banner", "");
            }
        }
        let (open, withdraw) = {
            let mut s = self.session.borrow_mut();
            (core::mem::take(&mut s.open_pending), core::mem::take(&mut s.withdraw_pending))
        };
        if withdraw {
            self.withdraw();
        }
        if open {
            self.open();
        }
        None
    }

    /// A button of the widget was pressed (`data-action`); `switches` (a JSON array) are the
    /// categories switched on in the settings.
    fn press(&self, name: &str, switches: &str) {
        let choice = match name {
            "accept" => Choice::AcceptAll,
            "reject" => Choice::RejectAll,
            "withdraw" => Choice::Withdraw,
            "save" => Choice::Custom(string_list(switches)),
            "settings" => return self.show_settings(),
            "policy" => return self.show_policy(),
            _ => return,
        };
        self.choose(choice);
    }

    /// `kelisim.open()` and `[data-kelisim-open]`: the settings, showing the current choice.
    fn open(&self) {
        if self.session.borrow().served.is_none() {
            self.session.borrow_mut().open_pending = true;
            return;
        }
        self.host.warm();
        self.show_settings();
    }

    /// `kelisim.withdraw()`: every optional category denied, recorded as `withdraw` (once the
    /// policy is known, if it is not yet).
    fn withdraw(&self) {
        if self.session.borrow().served.is_none() {
            self.session.borrow_mut().withdraw_pending = true;
            return;
        }
        self.choose(Choice::Withdraw);
    }

    /// The next marked script to run (its handle): the first in document order whose category is
    /// granted now (before any choice, only `necessary`).
    fn next_script(&self) -> Option<u32> {
        let granted =
            self.session.borrow().decisions.clone().unwrap_or_else(|| [(NECESSARY, true)].into_iter().collect());
        self.scripts.borrow_mut().next_runnable(&granted)
    }

    /// The next queued choice to record, made under the visitor key `x` (its public `x`, when the
    /// browser has one). Returns what that key must sign, `""` when the receipt was recorded
    /// without a key, nothing when no choice waits.
    fn claims(&self, x: Option<String>) -> Option<String> {
        if let Some(entry) = self.outbox().next_remake().cloned() {
            return Some(self.remake(&entry, x));
        }
        let next = {
            let mut choices = self.choices.borrow_mut();
            (!choices.is_empty()).then(|| choices.remove(0))
        };
        let (decisions, action) = next?;
        let policy =
            self.session.borrow().served.as_ref().map(|s| (s.policy.version, s.sha256.clone(), s.language.clone()));
        let (Some((version, sha256, language)), Some(ulid_random)) = (policy, self.random::<10>()) else {
            return Some(String::new());
        };
        let subject = match x {
            Some(x) => Subject::keyed(&x),
            None => match self.unsigned_subject() {
                Some(s) => s,
                None => return Some(String::new()),
            },
        };
        let draft = Draft {
            site: self.config.site.clone(),
            version,
            sha256,
            language,
            decisions,
            action,
            gpc: self.gpc,
            prev: self.prev(&subject),
        };
        Some(self.sign(draft, &subject, ulid_random, None))
    }

    /// Makes the receipt of `draft` by `subject`, stamped with the edge's time: returns what the
    /// visitor key signs, or `""` when recorded without a key. `replaces` names the outbox entry
    /// (id, hash) it makes again.
    fn sign(
        &self,
        draft: Draft,
        subject: &Subject,
        ulid_random: [u8; 10],
        replaces: Option<(String, String)>,
    ) -> String {
        let (now, stamp) = (self.now(), self.edge_now());
        let claims = receipt::claims(draft, subject, stamp, ulid_random);
        if subject.key.is_none() {
            self.finish(&claims, None, now, replaces);
            return String::new();
        }
        let header = receipt::visitor_header_b64(&subject.id);
        let input = receipt::signing_input(&header, &claims.canonical());
        *self.signing.borrow_mut() = Some(Signing { claims, header, now, stamp, ulid_random, replaces });
        input
    }

    /// Makes the outbox entry the edge refused for its time again: same decisions, policy and
    /// chain, a new id and time on the edge's clock, signed again (see [`crate::outbox`]). An
    /// entry that cannot be read back is refused for good.
    fn remake(&self, entry: &Entry, x: Option<String>) -> String {
        let sent = Sent::from_body(&entry.body);
        let parsed = sent.as_ref().and_then(|s| codec::draft(&s.claims));
        let subject = |unsigned_before: bool, old: &str| match &x {
            Some(x) => Some(Subject::keyed(x)),
            None if unsigned_before => Some(Subject { id: old.into(), key: None }),
            None => self.unsigned_subject(),
        };
        let made = sent.zip(parsed).and_then(|(sent, (draft, old))| {
            let subject = subject(sent.visitor_signature.is_none(), &old)?;
            Some((sent, draft, old, subject, self.random::<10>()?))
        });
        let Some((sent, mut draft, old_subject, subject, ulid_random)) = made else {
            let mut outbox = self.outbox();
            outbox.settle(&entry.id, Outcome::Rejected, self.now());
            self.save_outbox(&outbox);
            self.refused(&entry.id, &entry.body, 0, "the receipt could not be made again");
            return String::new();
        };
        draft.prev = if subject.id == old_subject {
            let rehashed = self.rehashed.borrow();
            draft.prev.map(|p| rehashed.iter().find(|(old, _)| *old == p).map_or(p, |(_, new)| new.clone()))
        } else {
            self.prev(&subject)
        };
        self.sign(draft, &subject, ulid_random, Some((entry.id.clone(), sent.hash)))
    }

    /// The visitor key's Ed25519 signature over what [`Controller::claims`] returned; `None` when the
    /// key could not sign (the receipt is then recorded without it rather than not at all).
    fn signed(&self, signature: Option<Vec<u8>>) {
        let Some(signing) = self.signing.borrow_mut().take() else { return };
        match signature {
            Some(sig) => {
                let jws = receipt::detached_jws(&signing.header, &sig);
                self.finish(&signing.claims, Some(&jws), signing.now, signing.replaces);
            }
            None => {
                let Some(plain) = self.unsigned_subject() else { return };
                let mut draft = signing.claims.draft;
                draft.prev = self.prev(&plain);
                let claims = receipt::claims(draft, &plain, signing.stamp, signing.ulid_random);
                self.finish(&claims, None, signing.now, signing.replaces);
            }
        }
    }

    /// JSON: the first outbox entry due now, `[id, body]`; else when one will be (ms since the
    /// epoch), or `null` when the outbox is empty.
    fn due(&self) -> String {
        let outbox = self.outbox();
        let mut out = String::new();
        match (outbox.next_due(self.now()), outbox.wake_at()) {
            (Some(e), _) => {
                out.push('[');
                json::string(&mut out, &e.id);
                out.push(',');
                json::string(&mut out, &e.body);
                out.push(']');
                *self.sending.borrow_mut() = Some(e.clone());
            }
            (None, Some(at)) => json::number(&mut out, at),
            (None, None) => out.push_str("null"),
        }
        out
    }

    /// The edge's answer to posting the entry [`Controller::due`] handed out (`status` 0: no
    /// answer). When the edge countersigned, returns `[kid, signing input, [signature bytes]]`
    /// (JSON) for the loader to verify with the edge's JWKS (then [`Controller::keep`]); the entry
    /// leaves the outbox only then. Refused for its time, the entry is made again on the edge's
    /// clock (once); refused for good, the choice it carried stops counting.
    fn answer(&self, status: u16, text: &str) -> Option<String> {
        let Entry { id, body, .. } = self.sending.borrow_mut().take()?;
        let outcome = match classify((status != 0).then_some(status), &codec::error_code(text)) {
            Outcome::Delivered => match self.countersigned(&body, text) {
                Some(check) => {
                    if let Some(c) = self.checking.borrow_mut().as_mut() {
                        c.2 = id;
                    }
                    return Some(check);
                }
                // Not proof: it waits and is sent again (the edge answers a repeat the same).
                None => Outcome::Retry,
            },
            other => other,
        };
        let mut outbox = self.outbox();
        let left = outbox.settle(&id, outcome, self.now());
        self.save_outbox(&outbox);
        match outcome {
            Outcome::Rejected => self.refused(&id, &body, status, text),
            Outcome::Clock if left => self.refused(&id, &body, status, text),
            Outcome::Clock => self.host.record(),
            _ => {}
        }
        None
    }

    /// The loader's verdict on the edge's signature: `valid`, `invalid`, `unknown` (no such key
    /// in the JWKS), `unchecked` (no Ed25519 in this browser: kept, it can be checked offline) or
    /// `error` (the check threw). Fails closed: only `valid` and `unchecked` make the receipt
    /// countersigned; otherwise it stays in the outbox and is sent again later.
    fn keep(&self, verdict: &str) {
        let Some((check, jws, id)) = self.checking.borrow_mut().take() else { return };
        let outcome = match verdict {
            "valid" | "unchecked" => {
                let key = self.key(":receipts");
                let kept =
                    codec::keep_receipt(self.host.load(&key).as_deref(), &check.payload, &jws, MAX_KEPT_RECEIPTS);
                self.host.save(&key, Some(&kept));
                Outcome::Delivered
            }
            "invalid" => {
                self.warn(&[NOT_KEPT, receipt::CheckError::Signature.message()].concat());
                Outcome::Retry
            }
            "unknown" => {
                self.warn(&[NOT_KEPT, "unknown edge key ", &check.kid].concat());
                Outcome::Retry
            }
            _ => {
                self.warn(&[NOT_KEPT, "the edge's signature could not be checked"].concat());
                Outcome::Retry
            }
        };
        let mut outbox = self.outbox();
        outbox.settle(&id, outcome, self.now());
        self.save_outbox(&outbox);
    }

    /// The edge refused the receipt `id` (`body`) for good (`status`, its answer `text`): says why
    /// (once per page), fires `kelisim:refused`, and if that receipt carried the choice in force,
    /// falls back to the last choice the edge recorded (or nothing optional granted, and the
    /// banner asks again on the next page view).
    fn refused(&self, id: &str, body: &str, status: u16, text: &str) {
        // Once per page: a refused receipt will not be sent again.
        if !self.warned.replace(true) {
            self.warn(&["the edge refused a receipt (HTTP ", &decimal(status.into()), "): ", text].concat());
        }
        let mut detail = String::from("{\"id\":");
        json::string(&mut detail, id);
        detail.push_str(",\"status\":");
        json::number(&mut detail, status.into());
        detail.push_str(",\"code\":");
        json::string(&mut detail, &codec::error_code(text));
        detail.push('}');
        let hash = Sent::from_body(body).map(|s| s.hash).unwrap_or_default();
        let in_force = self.session.borrow().remembered.as_ref().is_some_and(|r| r.hash == hash);
        if in_force {
            self.fall_back(&hash);
        }
        self.host.refused(&detail);
    }

    /// Puts the last choice the edge recorded (other than receipt `refused`) back in force, if it
    /// still holds for the policy; else nothing optional, and the choice is forgotten.
    fn fall_back(&self, refused: &str) {
        let recorded =
            codec::last_recorded(self.host.load(&self.key(":receipts")).as_deref(), refused, self.config.expiry_days);
        let policy = self.with_served(|_, s| (s.policy.categories.clone(), s.last_material_version));
        let now = self.now();
        let holds = recorded.filter(|r| match &policy {
            Some((_, last_material)) => state::status(Some(r), *last_material, now) == Status::Remembered,
            None => now < r.expires,
        });
        let categories = policy.map(|(c, _)| c);
        match holds {
            Some(r) => {
                self.host.save(&self.key(""), Some(&codec::remembered_json(&r)));
                let decisions = categories.map_or_else(|| r.decisions.clone(), |c| state::effective(&c, &r.decisions));
                let action = r.action;
                self.session.borrow_mut().remembered = Some(r);
                self.apply(decisions, action);
            }
            None => {
                self.host.save(&self.key(""), None);
                let current = self.session.borrow_mut().remembered.take().map(|r| r.decisions);
                let decisions = match categories {
                    Some(c) => state::nothing_optional(&c),
                    None => current.unwrap_or_default().iter().map(|(c, _)| (c, c == NECESSARY)).collect(),
                };
                self.apply(decisions, Action::Withdraw);
            }
        }
    }

    fn warn(&self, message: &str) {
        self.host.warn(message);
    }

    /// The device's time: what the page's own schedule (expiry, retries) counts in.
    fn now(&self) -> u64 {
        self.host.now()
    }

    /// The edge's time, as far as its answers told: what receipts are stamped with.
    fn edge_now(&self) -> u64 {
        self.clock.get().edge_now(self.now())
    }

    /// The storage key `kelisim:{site}{suffix}`: the choice (no suffix), `:outbox`, `:receipts`.
    fn key(&self, suffix: &str) -> String {
        ["kelisim:", &self.config.site, suffix].concat()
    }

    fn random<const N: usize>(&self) -> Option<[u8; N]> {
        self.host.random::<N>()
    }

    fn strings(&self) -> &'static Strings {
        i18n::strings(&self.session.borrow().lang)
    }

    /// `f` over the session and its policy, if the policy is known.
    fn with_served<T>(&self, f: impl FnOnce(&Session, &Served) -> T) -> Option<T> {
        let s = self.session.borrow();
        s.served.as_ref().map(|served| f(&s, served))
    }

    /// Whether the whole policy is here; if not, fetches it (once) and shows `view` when it
    /// arrives.
    fn has_full(&self, view: &'static str) -> bool {
        let mut s = self.session.borrow_mut();
        let Some(served) = s.served.as_ref() else { return false };
        if served.full {
            return true;
        }
        let url = policy_url(&self.edge, &self.config.site, Some(&served.language), false);
        if s.view_pending.replace(view).is_none() {
            drop(s);
            self.host.fetch(&url);
        }
        false
    }

    /// The whole policy the loader fetched for a view: it replaces the first layer if it is the
    /// same document (same content hash); then the view waiting for it is shown (with what is
    /// known, if the fetch failed).
    fn full(&self, status: u16, text: &str) {
        let full = (status == 200).then(|| codec::served(text)).flatten();
        let view = {
            let mut s = self.session.borrow_mut();
            let same = |f: &Served| s.served.as_ref().is_some_and(|now| now.sha256 == f.sha256 && f.full);
            // Otherwise the view shows what is known (the policy view says the text could not be
            // loaded), and the next open asks again.
            if let Some(f) = full.filter(same) {
                s.served = Some(f);
            }
            s.view_pending.take()
        };
        match view {
            Some("policy") => self.render_policy(),
            Some(_) => self.render_settings(),
            None => {}
        }
    }

    fn show_policy(&self) {
        if self.has_full("policy") {
            self.render_policy();
        }
    }

    fn show_settings(&self) {
        if self.has_full("settings") {
            self.render_settings();
        }
    }

    fn render_policy(&self) {
        let tree = self.with_served(|s, served| ui::policy(&served.policy, &s.lang, i18n::strings(&s.lang)));
        if let Some(tree) = tree {
            self.host.show("policy", &tree);
        }
    }

    fn render_settings(&self) {
        let tree = self.with_served(|s, served| {
            let current = s.decisions.as_ref();
            let categories = &served.policy.categories;
            let switches = state::initial_switches(categories, current);
            ui::settings(&SettingsModel {
                policy: &served.policy,
                lang: &s.lang,
                strings: i18n::strings(&s.lang),
                switches: &switches,
                gpc: self.gpc,
                can_withdraw: current.is_some_and(|d| state::grants_optional(categories, d)),
            })
        });
        if let Some(tree) = tree {
            self.host.show("settings", &tree);
        }
    }

    /// Puts `decisions` in force: Consent Mode update, `kelisim:change`, subscribers, scripts.
    fn apply(&self, decisions: Decisions, action: Action) {
        let json = codec::decisions_json(decisions.iter());
        let update = codec::decisions_json(consent_mode::update(&decisions));
        self.session.borrow_mut().decisions = Some(decisions);
        self.host.apply(&json, action.as_str(), &update);
    }

    /// A choice from the banner, the settings or `withdraw()`: in force at once, recorded next.
    fn choose(&self, choice: Choice) {
        let Some(decisions) =
            self.with_served(|_, served| state::decisions(&served.policy.categories, &choice, self.gpc))
        else {
            return;
        };
        self.host.close_all();
        self.host.status(self.strings().saved);
        let action = choice.action();
        self.apply(decisions.clone(), action);
        self.choices.borrow_mut().push((decisions, action));
        self.host.record();
    }

    /// The subject of a receipt without a key: this browser's earlier one, or 32 random bytes.
    fn unsigned_subject(&self) -> Option<Subject> {
        let earlier = self.session.borrow().remembered.as_ref().filter(|r| !r.keyed).map(|r| r.subject.clone());
        match earlier {
            Some(id) => Some(Subject { id, key: None }),
            None => self.random::<32>().map(|b| Subject::unsigned(&b)),
        }
    }

    /// The hash of this browser's last receipt, if `subject` made it: the next one's `prev`.
    fn prev(&self, subject: &Subject) -> Option<String> {
        self.session.borrow().remembered.as_ref().filter(|r| r.subject == subject.id).map(|r| r.hash.clone())
    }

    /// Queues the receipt in the outbox (from here on it cannot be lost) and remembers the choice;
    /// or, when it makes the entry `replaces` (id, hash) again, puts it in that entry's place and
    /// moves the remembered chain link to it.
    fn finish(&self, claims: &Claims, visitor_signature: Option<&str>, now: u64, replaces: Option<(String, String)>) {
        let canonical = claims.canonical();
        let mut outbox = self.outbox();
        let body = receipt::body(&canonical, visitor_signature);
        if let Some((old_id, old_hash)) = replaces {
            outbox.replace(&old_id, claims.id.clone(), body);
            self.save_outbox(&outbox);
            let hash = sha256::hex(canonical.as_bytes());
            self.rehashed.borrow_mut().push((old_hash.clone(), hash.clone()));
            let moved = {
                let mut s = self.session.borrow_mut();
                s.remembered.as_mut().filter(|r| r.hash == old_hash).map(|r| {
                    r.hash = hash;
                    r.subject.clone_from(&claims.subject.id);
                    r.keyed = visitor_signature.is_some();
                    codec::remembered_json(r)
                })
            };
            if let Some(json) = moved {
                self.host.save(&self.key(""), Some(&json));
            }
            return;
        }
        outbox.push(claims.id.clone(), body);
        self.save_outbox(&outbox);
        let d = &claims.draft;
        let r = Remembered {
            version: d.version,
            decisions: d.decisions.clone(),
            action: d.action,
            gpc: d.gpc,
            at: now,
            expires: now.saturating_add(u64::from(self.config.expiry_days).saturating_mul(DAY_MS)),
            subject: claims.subject.id.clone(),
            keyed: visitor_signature.is_some(),
            hash: sha256::hex(canonical.as_bytes()),
        };
        self.host.save(&self.key(""), Some(&codec::remembered_json(&r)));
        self.session.borrow_mut().remembered = Some(r);
    }

    fn outbox(&self) -> Outbox {
        self.host.load(&self.key(":outbox")).map(|t| codec::outbox(&t)).unwrap_or_default()
    }

    fn save_outbox(&self, outbox: &Outbox) {
        let text = (!outbox.is_empty()).then(|| codec::outbox_json(outbox));
        self.host.save(&self.key(":outbox"), text.as_deref());
    }

    /// Checks the edge's countersignature of `body` (a canonical header, a payload that is
    /// exactly the receipt sent) and returns what the loader verifies with the JWKS.
    fn countersigned(&self, body: &str, answer: &str) -> Option<String> {
        let jws = json::parse(answer).and_then(|v| Some(String::from(v.get("jws")?.as_str()?))).unwrap_or_default();
        let sent = Sent::from_body(body)?;
        match receipt::check_countersigned(&sent, &jws) {
            Ok(check) => {
                let mut out = String::from("[");
                json::string(&mut out, &check.kid);
                out.push(',');
                json::string(&mut out, &check.signing_input);
                out.push_str(",[");
                for (i, b) in check.signature.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json::number(&mut out, u64::from(*b));
                }
                out.push_str("]]");
                *self.checking.borrow_mut() = Some((check, jws, String::new()));
                Some(out)
            }
            Err(e) => {
                self.warn(&[NOT_KEPT, e.message()].concat());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Scenarios of page views, natively: a fake host (storage, what is shown and applied, the
    //! clock, randomness) and a fake edge made of kelisim-core (validate, accept, countersign).

    use super::*;
    use core::cell::RefCell;
    use kelisim_core::policy::Policy as CorePolicy;
    use kelisim_core::receipt::{Receipt, SignedReceipt, SubmitReceipt};
    use kelisim_core::sign::{b64url_decode, EdgeSigningKey, JwsHeader, PublicJwk};
    use std::collections::BTreeMap;
    use std::rc::Rc;

    const EDGE: &str = "https://edge.test";
    const TAG: &str = r#"{"data-site":"crm-demo","src":"https://edge.test/v1/kelisim.js"}"#;
    const NOW: u64 = 1_795_398_005_123;

    /// What the fake host saw; `storage` outlives a page view unless a test drops it.
    #[derive(Default)]
    struct Seen {
        storage: BTreeMap<String, String>,
        shown: Vec<(String, String)>,
        applied: Vec<(String, String)>,
        fetched: Vec<String>,
        warnings: Vec<String>,
        refused: Vec<String>,
        records: usize,
        now: u64,
    }

    #[derive(Clone, Default)]
    struct FakeHost(Rc<RefCell<Seen>>);

    impl Host for FakeHost {
        fn load(&self, key: &str) -> Option<String> {
            self.0.borrow().storage.get(key).cloned()
        }
        fn save(&self, key: &str, value: Option<&str>) {
            let mut seen = self.0.borrow_mut();
            match value {
                Some(v) => seen.storage.insert(key.into(), v.into()),
                None => seen.storage.remove(key),
            };
        }
        fn show(&self, kind: &str, tree: &str) {
            self.0.borrow_mut().shown.push((kind.into(), tree.into()));
        }
        fn close_all(&self) {}
        fn status(&self, _: &str) {}
        fn apply(&self, decisions: &str, action: &str, _: &str) {
            self.0.borrow_mut().applied.push((decisions.into(), action.into()));
        }
        fn warm(&self) {}
        fn record(&self) {
            self.0.borrow_mut().records += 1;
        }
        fn refused(&self, detail: &str) {
            self.0.borrow_mut().refused.push(detail.into());
        }
        fn warn(&self, message: &str) {
            self.0.borrow_mut().warnings.push(message.into());
        }
        fn random<const N: usize>(&self) -> Option<[u8; N]> {
            let n = self.0.borrow().records as u8;
            Some([n.wrapping_add(7); N])
        }
        fn now(&self) -> u64 {
            self.0.borrow().now
        }
        fn fetch(&self, url: &str) {
            self.0.borrow_mut().fetched.push(url.into());
        }
    }

    fn policy() -> CorePolicy {
        crate::state::tests::with_terms()
    }

    /// The edge's answer for `policy`: its first layer (as edge/src/first_layer.rs) or the whole.
    fn answer(policy: &CorePolicy, last_material_version: u32, banner: bool) -> String {
        let mut shown = serde_json::to_value(policy.localized("ru")).unwrap();
        let mut body = serde_json::json!({
            "sha256": policy.content_hash().unwrap(),
            "last_material_version": last_material_version,
            "language": "ru",
        });
        if banner {
            let members = shown.as_object_mut().unwrap();
            members.remove("text");
            members.remove("consent");
            body["layer"] = "banner".into();
        }
        body["policy"] = shown;
        body.to_string()
    }

    fn edge_key() -> EdgeSigningKey {
        EdgeSigningKey::from_seed("k20261123", [3; 32])
    }

    /// The edge: validates the posted body against `policy`, countersigns, answers 201.
    fn edge(policy: &CorePolicy, body: &str, now: u64) -> String {
        let submit: SubmitReceipt = serde_json::from_str(body).unwrap();
        submit.claims.validate("crm-demo", policy, now as i64).unwrap();
        submit.claims.verify_visitor_signature(submit.visitor_signature.as_deref()).unwrap();
        let signed: SignedReceipt = Receipt::accept(submit, now as i64).unwrap().countersign(&edge_key()).unwrap();
        serde_json::to_string(&signed).unwrap()
    }

    /// A visitor key signing as WebCrypto does: plain Ed25519 over the signing input's bytes.
    fn visitor() -> EdgeSigningKey {
        EdgeSigningKey::from_seed("visitor", [9; 32])
    }

    fn sign(key: &EdgeSigningKey, input: &str) -> String {
        let (h, p) = input.split_once('.').unwrap();
        let header: JwsHeader = serde_json::from_slice(&b64url_decode(h).unwrap()).unwrap();
        let jws = key.sign_compact(&header, &b64url_decode(p).unwrap());
        serde_json::to_string(&b64url_decode(jws.rsplit('.').next().unwrap()).unwrap()).unwrap()
    }

    fn page(host: &FakeHost) -> Controller<FakeHost> {
        Controller::new(host.clone(), EDGE.into(), TAG, false).unwrap()
    }

    /// A page view up to the policy's answer: returns the controller.
    fn view(host: &FakeHost, policy: &CorePolicy, last_material: u32) -> Controller<FakeHost> {
        let c = page(host);
        let url = c.on("languages", "ru", "[]").unwrap();
        assert_eq!(url, "https://edge.test/v1/sites/crm-demo/policy?lang=ru&layer=banner");
        assert_eq!(c.on("policy", "200", &answer(policy, last_material, true)), None);
        c
    }

    /// Records the queued choice with `key` (or none), posts it, and answers like `edge`; returns
    /// the verdict the loader is asked to check, verified here against the edge's public key.
    fn record_and_deliver(
        c: &Controller<FakeHost>,
        host: &FakeHost,
        policy: &CorePolicy,
        key: Option<&EdgeSigningKey>,
    ) {
        let x = key.map(|k| k.public_jwk().x).unwrap_or_default();
        let input = c.on("claims", &x, "").expect("a choice waits");
        match key {
            Some(k) => assert_eq!(c.on("signed", &sign(k, &input), ""), None),
            None => assert_eq!(input, "", "recorded without a key"),
        }
        assert_eq!(c.on("claims", &x, ""), None, "nothing else waits");
        let due: serde_json::Value = serde_json::from_str(&c.on("due", "", "").unwrap()).unwrap();
        let body = due[1].as_str().unwrap();
        let now = host.0.borrow().now;
        let check: serde_json::Value =
            serde_json::from_str(&c.on("answer", "201", &edge(policy, body, now)).unwrap()).unwrap();
        assert_eq!(check[0], "k20261123");
        let signature: Vec<u8> = serde_json::from_value(check[2].clone()).unwrap();
        let jwk: PublicJwk = edge_key().public_jwk();
        let jws = [check[1].as_str().unwrap(), &kelisim_core::sign::b64url_encode(&signature)].join(".");
        kelisim_core::sign::verify_compact_with_key(&jws, &jwk, Some("k20261123")).expect("the edge's signature");
        assert_eq!(c.on("verified", "valid", ""), None);
    }

    fn host() -> FakeHost {
        let host = FakeHost::default();
        host.0.borrow_mut().now = NOW;
        host
    }

    fn kept(host: &FakeHost) -> usize {
        host.0
            .borrow()
            .storage
            .get("kelisim:crm-demo:receipts")
            .map_or(0, |k| serde_json::from_str::<Vec<serde_json::Value>>(k).unwrap().len())
    }

    fn outbox_len(host: &FakeHost) -> usize {
        host.0
            .borrow()
            .storage
            .get("kelisim:crm-demo:outbox")
            .map_or(0, |o| serde_json::from_str::<Vec<serde_json::Value>>(o).unwrap().len())
    }

    fn banners(host: &FakeHost) -> usize {
        host.0.borrow().shown.iter().filter(|(k, _)| k == "banner").count()
    }

    #[test]
    fn first_visit_accept_signed_countersigned_kept_and_remembered_next_time() {
        let (host, p) = (host(), policy());
        let c = view(&host, &p, 1);
        assert_eq!(banners(&host), 1);
        assert!(host.0.borrow().applied.is_empty(), "nothing decided before the visitor");
        c.on("press", "accept", "");
        let (decisions, action) = host.0.borrow().applied.last().cloned().unwrap();
        assert_eq!(action, "accept_all");
        assert!(!decisions.contains("denied"), "{decisions}");
        assert_eq!(c.on("get", "marketing", ""), Some("true".into()));
        assert_eq!(host.0.borrow().records, 1);
        record_and_deliver(&c, &host, &p, Some(&visitor()));
        assert_eq!((outbox_len(&host), kept(&host)), (0, 1), "countersigned, verified, kept");
        assert!(host.0.borrow().warnings.is_empty(), "{:?}", host.0.borrow().warnings);

        // The next page view: no banner, the choice in force at once.
        host.0.borrow_mut().now += 60_000;
        let next = view(&host, &p, 1);
        assert_eq!(banners(&host), 1, "no second banner");
        assert_eq!(host.0.borrow().applied.last().unwrap().1, "accept_all");
        assert_eq!(next.on("get", "analytics", ""), Some("true".into()));
    }

    #[test]
    fn with_the_edge_down_the_choice_waits_in_the_outbox_and_is_delivered_later() {
        let (host, p) = (host(), policy());
        let c = view(&host, &p, 1);
        c.on("press", "reject", "");
        let input = c.on("claims", &visitor().public_jwk().x, "").unwrap();
        c.on("signed", &sign(&visitor(), &input), "");
        assert!(c.on("due", "", "").unwrap().starts_with('['));
        assert_eq!(c.on("answer", "0", ""), None, "no answer: nothing to verify");
        assert_eq!((outbox_len(&host), kept(&host)), (1, 0));
        assert_eq!(host.0.borrow().applied.last().unwrap().1, "reject_all", "still in force: waiting in the outbox");
        let retry_at: u64 = c.on("due", "", "").unwrap().parse().expect("a time to try again");
        assert!(retry_at > NOW);

        // A later page view, after the backoff: the entry is due at once and delivered once.
        host.0.borrow_mut().now = retry_at + 1;
        let later = view(&host, &p, 1);
        assert_eq!(banners(&host), 1, "the choice is remembered");
        let due: serde_json::Value = serde_json::from_str(&later.on("due", "", "").unwrap()).unwrap();
        let answer = edge(&p, due[1].as_str().unwrap(), retry_at + 1);
        assert!(later.on("answer", "201", &answer).is_some());
        later.on("verified", "valid", "");
        assert_eq!((outbox_len(&host), kept(&host)), (0, 1));
        assert_eq!(later.on("due", "", ""), Some("null".into()));
    }

    #[test]
    fn a_material_version_asks_again_and_a_non_material_one_does_not() {
        let (host, p) = (host(), policy());
        let c = view(&host, &p, 1);
        c.on("press", "reject", "");
        record_and_deliver(&c, &host, &p, None);
        let mut v2 = p.clone();
        v2.version = 2;
        view(&host, &v2, 1);
        assert_eq!(banners(&host), 1, "not material: the rejection holds");
        let mut v3 = p.clone();
        v3.version = 3;
        v3.material = true;
        view(&host, &v3, 3);
        assert_eq!(banners(&host), 2, "material: asked again");
    }

    #[test]
    fn storage_that_throws_keeps_the_page_working_and_asks_again_on_the_next_view() {
        // The loader keeps state in memory where storage throws: one page view's worth.
        let (host, p) = (host(), policy());
        let c = view(&host, &p, 1);
        c.on("press", "accept", "");
        // No visitor key either (IndexedDB throws too): recorded without one.
        record_and_deliver(&c, &host, &p, None);
        assert_eq!(kept(&host), 1);
        host.0.borrow_mut().storage.clear();
        view(&host, &p, 1);
        assert_eq!(banners(&host), 2, "nothing remembered: the banner asks again");
    }

    #[test]
    fn the_views_load_the_whole_policy_once_and_say_so_when_it_cannot_be_had() {
        let (host, p) = (host(), policy());
        let c = view(&host, &p, 1);
        c.on("press", "policy", "");
        c.on("press", "settings", "");
        assert_eq!(host.0.borrow().fetched, ["https://edge.test/v1/sites/crm-demo/policy?lang=ru"], "fetched once");
        assert_eq!(host.0.borrow().shown.len(), 1, "only the banner until it arrives");
        c.on("full", "200", &answer(&p, 1, false));
        let (kind, tree) = host.0.borrow().shown.last().cloned().unwrap();
        assert_eq!(kind, "settings", "the last view asked for");
        assert!(tree.contains("Срок согласия"), "the Art. 8(4) terms came with it");
        c.on("press", "policy", "");
        assert_eq!(host.0.borrow().fetched.len(), 1, "kept");
        let heading = match &p.text["ru"][0] {
            kelisim_core::policy::Block::Heading { text, .. } => text.clone(),
            other => panic!("the demo policy starts with a heading: {other:?}"),
        };
        let (kind, tree) = host.0.borrow().shown.last().cloned().unwrap();
        assert_eq!(kind, "policy");
        assert!(tree.contains(&heading), "the policy's own text is shown");

        // The fetch fails: the policy view still opens and says so; the next open asks again.
        let (host, p) = (self::host(), policy());
        let c = view(&host, &p, 1);
        c.on("press", "policy", "");
        c.on("full", "0", "");
        let (kind, tree) = host.0.borrow().shown.last().cloned().unwrap();
        assert_eq!(kind, "policy");
        assert!(tree.contains(crate::i18n::strings("ru").loading_failed));
        c.on("press", "policy", "");
        assert_eq!(host.0.borrow().fetched.len(), 2);
        // A different document (a new version published meanwhile) is not mixed in.
        let mut v2 = p.clone();
        v2.version = 2;
        c.on("full", "200", &answer(&v2, 1, false));
        assert!(host.0.borrow().shown.last().unwrap().1.contains(crate::i18n::strings("ru").loading_failed));
    }
}
