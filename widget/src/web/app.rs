//! The controller: boots from the script tag, loads the policy, decides what to show, applies and
//! records choices, and drives the outbox. State lives in one `Rc<App>` per page, held by the
//! closures the page calls (listeners and the `window.kelisim` functions); borrows are short and
//! never held across an `await`.

use alloc::borrow::ToOwned;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, Element, Event, HtmlScriptElement, KeyboardEvent};

use super::convert;
use super::dom::{get, listener, now_ms, object, parse, random, set, warn, window};
use super::keys::{self, Signer};
use super::net;
use super::store::{choice_key, outbox_key, receipts_key, Store};
use super::view::{Kind, View};
use crate::config::Config;
use crate::i18n::{self, Strings};
use crate::json::decimal;
use crate::model::{Action, Decisions, Served, NECESSARY};
use crate::outbox::{classify, Outbox, Outcome};
use crate::receipt::{self, Draft, Sent, Subject};
use crate::scripts::Queue;
use crate::sha256;
use crate::state::{self, Choice, Remembered, Status, DAY_MS};
use crate::ui::{self, SettingsModel};

/// Countersigned receipts kept in the browser (the newest; older ones stay at the edge).
pub const MAX_KEPT_RECEIPTS: u32 = 50;

/// What is known on this page view.
#[derive(Default)]
pub struct Session {
    pub lang: String,
    pub served: Option<Served>,
    pub remembered: Option<Remembered>,
    /// The decisions in force, once known.
    pub decisions: Option<Decisions>,
    pub action: Option<Action>,
    /// `open()` was called before the policy arrived.
    pub open_pending: bool,
    /// `withdraw()` was called before the policy arrived.
    pub withdraw_pending: bool,
}

pub struct App {
    pub config: Config,
    pub edge: String,
    pub doc: Document,
    pub store: Store,
    pub gpc: bool,
    report_fn: Function,
    /// The loader's `build(treeJson)`, for the view.
    build: Function,
    /// The loader's request for the policy, `[url, response promise]`, until it is used.
    early_policy: RefCell<JsValue>,
    pub session: RefCell<Session>,
    pub view: RefCell<Option<View>>,
    pub scripts: RefCell<Queue<HtmlScriptElement>>,
    pub scripts_running: Cell<bool>,
    pub subscribers: RefCell<Vec<(u32, Function)>>,
    next_subscriber: Cell<u32>,
    choices: RefCell<Vec<(Decisions, Action)>>,
    recording: Cell<bool>,
    flushing: Cell<bool>,
    timer: Cell<Option<i32>>,
    wake: RefCell<Option<Function>>,
    signer: RefCell<Option<Promise>>,
    /// Edge keys seen: (kid, public `x`).
    edge_keys: RefCell<Vec<(String, String)>>,
    warned: Cell<bool>,
}

/// Starts the widget for `script` (the tag). Errors here are configuration errors.
pub fn boot(
    script: &HtmlScriptElement,
    report: Function,
    build: Function,
    early_policy: JsValue,
) -> Result<Rc<App>, JsValue> {
    let config =
        Config::from_attributes(|name| script.get_attribute(name)).map_err(|e| JsValue::from_str(e.message()))?;
    let edge = web_sys::Url::new(&script.src())?.origin();
    let w = window().ok_or(JsValue::NULL)?;
    let doc = w.document().ok_or(JsValue::NULL)?;
    let gpc = get(&w.navigator(), "globalPrivacyControl") == JsValue::TRUE;
    let app = Rc::new(App {
        config,
        edge,
        doc,
        store: Store::new(),
        gpc,
        report_fn: report,
        build,
        early_policy: RefCell::new(early_policy),
        session: RefCell::default(),
        view: RefCell::new(None),
        scripts: RefCell::default(),
        scripts_running: Cell::new(false),
        subscribers: RefCell::default(),
        next_subscriber: Cell::new(1),
        choices: RefCell::default(),
        recording: Cell::new(false),
        flushing: Cell::new(false),
        timer: Cell::new(None),
        wake: RefCell::new(None),
        signer: RefCell::new(None),
        edge_keys: RefCell::default(),
        warned: Cell::new(false),
    });
    app.listen(&w)?;
    super::activate::watch(&app)?;
    app.run_scripts();
    spawn_local(app.clone().start());
    Ok(app)
}

impl App {
    /// Reports an unexpected error once (the loader's `report`).
    pub fn report(&self, e: &JsValue) {
        let _ = self.report_fn.call1(&JsValue::NULL, e);
    }

    fn listen(self: &Rc<Self>, w: &web_sys::Window) -> Result<(), JsValue> {
        // Page links with data-kelisim-open (capture: before the page's own handlers).
        let app = self.clone();
        let open = listener(move |e: JsValue| {
            let e: Event = e.unchecked_into();
            let opener = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("[data-kelisim-open]").ok().flatten());
            if opener.is_some() {
                e.prevent_default();
                app.open();
            }
        });
        self.doc.add_event_listener_with_callback_and_bool("click", &open, true)?;
        // Esc and the focus trap, wherever focus is while a dialog is open.
        let app = self.clone();
        let keys = listener(move |e: JsValue| app.on_key(e.unchecked_ref()));
        self.doc.add_event_listener_with_callback_and_bool("keydown", &keys, true)?;
        // Back online: deliver what waits.
        let app = self.clone();
        w.add_event_listener_with_callback("online", &listener(move |_| app.flush()))?;
        let app = self.clone();
        *self.wake.borrow_mut() = Some(listener(move |_| {
            app.timer.set(None);
            app.flush();
        }));
        Ok(())
    }

    async fn start(self: Rc<Self>) {
        // Whatever waited from an earlier page view is due now.
        let mut outbox = self.outbox();
        if !outbox.is_empty() {
            outbox.wake_all();
            self.save_outbox(&outbox);
        }
        self.flush();

        let remembered = convert::remembered(&self.store.get_json(&choice_key(&self.config.site)));
        self.session.borrow_mut().remembered = remembered.clone();

        match self.load_policy().await {
            Ok(served) => {
                let status = state::status(remembered.as_ref(), served.last_material_version, now_ms());
                let categories = served.policy.categories.clone();
                {
                    let mut s = self.session.borrow_mut();
                    s.lang = served.language.clone();
                    s.served = Some(served);
                }
                match (status, remembered) {
                    (Status::Remembered, Some(r)) => self.apply(state::effective(&categories, &r.decisions), r.action),
                    _ => {
                        self.warm_signer();
                        if let Err(e) = self.show_banner().await {
                            self.report(&e);
                        }
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
            }
            Err(message) => {
                // Without the policy nothing can be asked; a remembered choice that has not
                // expired still holds (a material change cannot be seen, so none is assumed).
                warn(&[message.as_str()]);
                if let Some(r) = remembered.filter(|r| now_ms() < r.expires) {
                    self.apply(r.decisions, r.action);
                }
            }
        }
    }

    /// The policy in the visitor's language: the tag's, the page's, then the browser's, among
    /// those the policy offers. The first request is usually the loader's, already under way.
    async fn load_policy(&self) -> Result<Served, String> {
        let html_lang = self.doc.document_element().and_then(|e| e.get_attribute("lang"));
        let navigator: Vec<String> = window()
            .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
            .unwrap_or_default();
        let prefs = i18n::preferences(self.config.lang.as_deref(), html_lang.as_deref(), &navigator);
        let (edge, site) = (&self.edge, &self.config.site);
        let url = net::policy_url(edge, site, prefs.first().map(String::as_str));
        // The loader's request counts only if it asked for exactly this URL.
        let early = self.early_policy.replace(JsValue::UNDEFINED);
        let early = (get(&early, "0").as_string().as_deref() == Some(url.as_str()))
            .then(|| get(&early, "1").dyn_into::<Promise>().ok())
            .flatten();
        let served = net::policy(&url, early).await?;
        let want = i18n::pick_language(&prefs, &served.policy.languages);
        if want == served.language {
            Ok(served)
        } else {
            net::policy(&net::policy_url(edge, site, Some(&want)), None).await
        }
    }

    pub fn strings(&self) -> &'static Strings {
        i18n::strings(&self.session.borrow().lang)
    }

    /// The decisions scripts run under now: the current ones, or only `necessary` before any.
    pub fn granted_now(&self) -> Decisions {
        self.session.borrow().decisions.clone().unwrap_or_else(|| [(NECESSARY, true)].into_iter().collect())
    }

    pub fn run_scripts(self: &Rc<Self>) {
        spawn_local(super::activate::run(self.clone()));
    }

    /// Puts `decisions` in force: Consent Mode update, `kelisim:change`, subscribers, scripts.
    fn apply(self: &Rc<Self>, decisions: Decisions, action: Action) {
        {
            let mut s = self.session.borrow_mut();
            s.decisions = Some(decisions.clone());
            s.action = Some(action);
        }
        super::api::announce(self, &decisions, action);
        self.run_scripts();
    }

    // --- the view ---------------------------------------------------------------------------

    /// Mounts the view if needed (waiting for `<body>` if the tag ran before it was parsed).
    async fn ensure_view(self: &Rc<Self>) -> Result<(), JsValue> {
        if self.view.borrow().is_some() {
            return Ok(());
        }
        if self.doc.body().is_none() {
            let ready = Promise::new(&mut |resolve, _| {
                let _ = self.doc.add_event_listener_with_callback("DOMContentLoaded", &resolve);
            });
            JsFuture::from(ready).await?;
        }
        if self.view.borrow().is_some() {
            return Ok(());
        }
        let lang = self.session.borrow().lang.clone();
        let view = View::mount(&self.doc, &self.config, &lang, self.build.clone())?;
        let app = self.clone();
        let click = listener(move |e: JsValue| app.on_click(e.unchecked_ref()));
        view.root.add_event_listener_with_callback("click", &click)?;
        *self.view.borrow_mut() = Some(view);
        Ok(())
    }

    async fn show_banner(self: &Rc<Self>) -> Result<(), JsValue> {
        self.ensure_view().await?;
        let s = self.session.borrow();
        let Some(served) = &s.served else { return Ok(()) };
        let mut view = self.view.borrow_mut();
        let Some(view) = view.as_mut() else { return Ok(()) };
        view.show_banner(&self.doc, &ui::banner(&served.policy, i18n::strings(&s.lang), self.config.position.class()))
    }

    /// `open()` and `[data-kelisim-open]`: the settings, showing the current choice.
    pub fn open(self: &Rc<Self>) {
        if self.session.borrow().served.is_none() {
            self.session.borrow_mut().open_pending = true;
            return;
        }
        self.warm_signer();
        let app = self.clone();
        spawn_local(async move {
            let shown = match app.ensure_view().await {
                Ok(()) => app.open_dialog(Kind::Settings),
                Err(e) => Err(e),
            };
            if let Err(e) = shown {
                app.report(&e);
            }
        });
    }

    fn open_dialog(&self, kind: Kind) -> Result<(), JsValue> {
        let s = self.session.borrow();
        let Some(served) = &s.served else { return Ok(()) };
        let strings = i18n::strings(&s.lang);
        let mut view = self.view.borrow_mut();
        let Some(view) = view.as_mut() else { return Ok(()) };
        if view.dialogs.iter().any(|d| d.kind == kind) {
            return Ok(());
        }
        let tree = match kind {
            Kind::Settings => {
                let current = s.decisions.as_ref();
                let switches = state::initial_switches(&served.policy.categories, current);
                let can_withdraw = current.is_some_and(|d| state::grants_optional(&served.policy.categories, d));
                ui::settings(&SettingsModel {
                    policy: &served.policy,
                    lang: &s.lang,
                    strings,
                    switches: &switches,
                    gpc: self.gpc,
                    can_withdraw,
                })
            }
            Kind::Policy => ui::policy(&served.policy, &s.lang, strings),
        };
        view.push_dialog(&self.doc, kind, &tree)
    }

    fn on_click(self: &Rc<Self>, e: &Event) {
        let action = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-action]").ok().flatten())
            .and_then(|b| b.get_attribute("data-action"));
        let Some(action) = action else { return };
        let choice = match action.as_str() {
            "accept" => Choice::AcceptAll,
            "reject" => Choice::RejectAll,
            "withdraw" => Choice::Withdraw,
            "save" => Choice::Custom(self.view.borrow().as_ref().map(View::switches).unwrap_or_default()),
            other => {
                let result = match other {
                    "settings" => self.open_dialog(Kind::Settings),
                    "policy" => self.open_dialog(Kind::Policy),
                    "close" => self.view.borrow_mut().as_mut().map_or(Ok(()), View::pop_dialog),
                    _ => Ok(()),
                };
                if let Err(e) = result {
                    self.report(&e);
                }
                return;
            }
        };
        self.choose(choice);
    }

    fn on_key(&self, e: &KeyboardEvent) {
        let mut view = self.view.borrow_mut();
        let Some(view) = view.as_mut() else { return };
        if view.top().is_none() {
            return;
        }
        match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                e.stop_propagation();
                if let Err(err) = view.pop_dialog() {
                    self.report(&err);
                }
            }
            // Keeps focus inside the dialog (moving it at the edges).
            "Tab" if view.trap_tab(&self.doc, e.shift_key()) => e.prevent_default(),
            _ => {}
        }
    }

    // --- choices and receipts ----------------------------------------------------------------

    /// A choice from the banner, the settings or `withdraw()`: in force at once, recorded next.
    pub fn choose(self: &Rc<Self>, choice: Choice) {
        let decisions = {
            let s = self.session.borrow();
            let Some(served) = &s.served else { return };
            state::decisions(&served.policy.categories, &choice)
        };
        if let Some(view) = self.view.borrow_mut().as_mut() {
            view.close_all();
            view.announce(self.strings().saved);
        }
        let action = choice.action();
        self.apply(decisions.clone(), action);
        self.choices.borrow_mut().push((decisions, action));
        spawn_local(self.clone().record_all());
    }

    /// Records queued choices one at a time, so each receipt's `prev` is the one before it.
    async fn record_all(self: Rc<Self>) {
        if self.recording.replace(true) {
            return;
        }
        loop {
            let next = {
                let mut choices = self.choices.borrow_mut();
                (!choices.is_empty()).then(|| choices.remove(0))
            };
            let Some((decisions, action)) = next else { break };
            if let Err(e) = self.record(decisions, action).await {
                self.report(&e);
            }
        }
        self.recording.set(false);
        self.flush();
    }

    /// Loads (or makes) the visitor key in the background, so a choice does not wait for it.
    fn warm_signer(&self) {
        let _ = self.signer_promise();
    }

    fn signer_promise(&self) -> Promise {
        let mut slot = self.signer.borrow_mut();
        if let Some(p) = slot.as_ref() {
            return p.clone();
        }
        let site = self.config.site.clone();
        let p = wasm_bindgen_futures::future_to_promise(async move {
            Ok(keys::load_or_create(&site).await.ok().flatten().unwrap_or(JsValue::NULL))
        });
        *slot = Some(p.clone());
        p
    }

    async fn signer(&self) -> Option<Signer> {
        let record = JsFuture::from(self.signer_promise()).await.ok()?;
        Signer::from_record(&record)
    }

    async fn record(&self, decisions: Decisions, action: Action) -> Result<(), JsValue> {
        let Some((version, sha256, language)) =
            self.session.borrow().served.as_ref().map(|s| (s.policy.version, s.sha256.clone(), s.language.clone()))
        else {
            return Ok(());
        };
        let remembered = self.session.borrow().remembered.clone();
        let signer = self.signer().await;
        let now = now_ms();
        let unsigned = || match remembered.as_ref().filter(|r| !r.keyed) {
            Some(r) => Some(Subject { id: r.subject.clone(), key: None }),
            None => random::<32>().map(|b| Subject::unsigned(&b)),
        };
        let subject = match &signer {
            Some(s) => s.subject.clone(),
            None => unsigned().ok_or(JsValue::NULL)?,
        };
        let draft = |subject: &Subject| Draft {
            site: self.config.site.clone(),
            version,
            sha256: sha256.clone(),
            language: language.clone(),
            decisions: decisions.clone(),
            action,
            gpc: self.gpc,
            prev: remembered.as_ref().filter(|r| r.subject == subject.id).map(|r| r.hash.clone()),
        };
        let ulid_random = random::<10>().ok_or(JsValue::NULL)?;
        let mut claims = receipt::claims(draft(&subject), &subject, now, ulid_random);
        let mut canonical = claims.canonical();
        let mut visitor_signature = None;
        if let Some(s) = &signer {
            let header = receipt::visitor_header_b64(&subject.id);
            match s.sign(&receipt::signing_input(&header, &canonical)).await {
                Ok(sig) => visitor_signature = Some(receipt::detached_jws(&header, &sig)),
                Err(_) => {
                    // The key is unusable: record unsigned rather than not at all.
                    let plain = unsigned().ok_or(JsValue::NULL)?;
                    claims = receipt::claims(draft(&plain), &plain, now, ulid_random);
                    canonical = claims.canonical();
                }
            }
        }
        let hash = sha256::hex(canonical.as_bytes());
        let keyed = visitor_signature.is_some();
        let body = receipt::body(&canonical, visitor_signature.as_deref());

        // The outbox first: from here on the receipt cannot be lost.
        let mut outbox = self.outbox();
        outbox.push(claims.id, body);
        self.save_outbox(&outbox);

        let expires = now.saturating_add(u64::from(self.config.expiry_days).saturating_mul(DAY_MS));
        let r = Remembered {
            version,
            decisions,
            action,
            gpc: self.gpc,
            at: now,
            expires,
            subject: claims.subject.id,
            keyed,
            hash,
        };
        self.store.set_json(&choice_key(&self.config.site), &convert::remembered_js(&r));
        self.session.borrow_mut().remembered = Some(r);
        Ok(())
    }

    /// Delivers due outbox entries in order; schedules the next retry.
    pub fn flush(self: &Rc<Self>) {
        spawn_local(self.clone().flush_loop());
    }

    async fn flush_loop(self: Rc<Self>) {
        if self.flushing.replace(true) {
            return;
        }
        loop {
            let outbox = self.outbox();
            let Some(entry) = outbox.next_due(now_ms()).cloned() else {
                self.schedule(outbox.wake_at());
                break;
            };
            let answer = net::post_receipt(&self.edge, &self.config.site, &entry.body).await;
            let outcome = classify(answer.as_ref().ok().map(|a| a.status));
            match (outcome, &answer) {
                (Outcome::Delivered, Ok(a)) => self.keep_countersigned(&entry.body, &a.text).await,
                // Once per page: a refused receipt will not be sent again.
                (Outcome::Rejected, Ok(a)) if !self.warned.replace(true) => {
                    warn(&["the edge refused a receipt (HTTP ", &decimal(a.status.into()), "): ", &a.text]);
                }
                _ => {}
            }
            let mut outbox = self.outbox();
            outbox.settle(&entry.id, outcome, now_ms());
            self.save_outbox(&outbox);
        }
        self.flushing.set(false);
    }

    fn schedule(&self, at: Option<u64>) {
        let Some(w) = window() else { return };
        if let Some(t) = self.timer.take() {
            w.clear_timeout_with_handle(t);
        }
        let Some(at) = at else { return };
        let delay = i32::try_from(at.saturating_sub(now_ms())).unwrap_or(i32::MAX);
        if let Some(cb) = self.wake.borrow().as_ref() {
            if let Ok(t) = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb, delay) {
                self.timer.set(Some(t));
            }
        }
    }

    fn outbox(&self) -> Outbox {
        convert::outbox(&self.store.get_json(&outbox_key(&self.config.site)))
    }

    fn save_outbox(&self, outbox: &Outbox) {
        let key = outbox_key(&self.config.site);
        if outbox.is_empty() {
            self.store.remove(&key);
        } else {
            self.store.set_json(&key, &convert::outbox_js(outbox));
        }
    }

    /// Checks the edge's countersignature (a canonical header, a payload that is exactly the
    /// receipt sent, an Ed25519 signature by a key of the edge's JWKS) and keeps the receipt.
    async fn keep_countersigned(&self, body: &str, answer: &str) {
        const NOT_KEPT: &str = "receipt not kept: ";
        let jws = get(&parse(answer), "jws").as_string().unwrap_or_default();
        let Some(sent) = Sent::from_body(body) else { return };
        let check = match receipt::check_countersigned(&sent, &jws) {
            Ok(c) => c,
            Err(e) => return warn(&[NOT_KEPT, e.message()]),
        };
        match self.edge_key(&check.kid).await {
            Some(x) => {
                // `Err`: no Ed25519 in this browser; keep the receipt, it can be checked offline.
                if net::verify(&x, &check.signing_input, &check.signature).await == Ok(false) {
                    return warn(&[NOT_KEPT, receipt::CheckError::Signature.message()]);
                }
            }
            None => return warn(&[NOT_KEPT, "unknown edge key ", &check.kid]),
        }
        let key = receipts_key(&self.config.site);
        let kept = self.store.get_json(&key).dyn_into::<js_sys::Array>().unwrap_or_default();
        let signed = object();
        set(&signed, "receipt", &parse(&check.payload));
        set(&signed, "jws", &JsValue::from_str(&jws));
        kept.push(&signed);
        let excess = kept.length().saturating_sub(MAX_KEPT_RECEIPTS);
        self.store.set_json(&key, &kept.slice(excess, kept.length()));
    }

    /// The public key `x` of the edge key `kid`, asking the JWKS for a key not seen yet.
    async fn edge_key(&self, kid: &str) -> Option<String> {
        if let Some((_, x)) = self.edge_keys.borrow().iter().find(|(k, _)| k == kid) {
            return Some(x.clone());
        }
        let x = net::jwks_key(&self.edge, kid).await?;
        self.edge_keys.borrow_mut().push((kid.to_owned(), x.clone()));
        Some(x)
    }

    // --- window.kelisim ----------------------------------------------------------------------

    pub fn get(&self, category: &str) -> Option<bool> {
        state::get(self.session.borrow().decisions.as_ref(), category)
    }

    pub fn subscribe(&self, f: Function) -> u32 {
        let id = self.next_subscriber.get();
        self.next_subscriber.set(id.wrapping_add(1));
        self.subscribers.borrow_mut().push((id, f));
        id
    }

    pub fn unsubscribe(&self, id: u32) {
        self.subscribers.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// `withdraw()`: every optional category denied, recorded as `withdraw` (once the policy
    /// is known, if it is not yet).
    pub fn withdraw(self: &Rc<Self>) {
        if self.session.borrow().served.is_none() {
            self.session.borrow_mut().withdraw_pending = true;
            return;
        }
        self.choose(Choice::Withdraw);
    }

    /// The receipts kept in this browser, oldest first: `[{receipt, jws}]`.
    pub fn receipts(&self) -> JsValue {
        let kept = self.store.get_json(&receipts_key(&self.config.site));
        if js_sys::Array::is_array(&kept) {
            kept
        } else {
            js_sys::Array::new().into()
        }
    }
}
