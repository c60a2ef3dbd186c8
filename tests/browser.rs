//! A real browser for the web pages' tests: Debian's chromium, headless, driven over the
//! DevTools protocol, with every error the page logs collected.

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Log, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Page {
    // Kept so the browser lives as long as the page.
    _browser: Browser,
    pub tab: Arc<Tab>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Page {
    /// A new browser with one tab, `width`×`height`, errors collected from the start.
    pub fn new(width: u32, height: u32) -> Page {
        assert!(
            std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"
        );
        let browser = Browser::new(
            LaunchOptions::default_builder()
                .path(Some(CHROMIUM.into()))
                .sandbox(false)
                .window_size(Some((width, height)))
                .args(vec![
                    std::ffi::OsStr::new("--disable-gpu"),
                    std::ffi::OsStr::new("--no-first-run"),
                ])
                .build()
                .unwrap(),
        )
        .unwrap();
        let tab = browser.new_tab().unwrap();
        let errors = Arc::new(Mutex::new(Vec::<String>::new()));
        tab.enable_log().unwrap();
        tab.enable_runtime().unwrap();
        let sink = errors.clone();
        tab.add_event_listener(Arc::new(move |e: &Event| {
            let msg = match e {
                Event::LogEntryAdded(x) if x.params.entry.level == Log::LogEntryLevel::Error => {
                    Some(format!(
                        "log: {} {:?}",
                        x.params.entry.text, x.params.entry.url
                    ))
                }
                Event::RuntimeExceptionThrown(x) => Some(format!(
                    "exception: {:?}",
                    x.params
                        .exception_details
                        .exception
                        .as_ref()
                        .and_then(|o| o.description.clone())
                )),
                Event::RuntimeConsoleAPICalled(x)
                    if x.params.Type == Runtime::ConsoleAPICalledEventTypeOption::Error =>
                {
                    Some(format!(
                        "console.error: {:?}",
                        x.params
                            .args
                            .iter()
                            .map(|a| a.value.clone())
                            .collect::<Vec<_>>()
                    ))
                }
                _ => None,
            };
            if let Some(m) = msg {
                sink.lock().unwrap().push(m);
            }
        }))
        .unwrap();
        Page {
            _browser: browser,
            tab,
            errors,
        }
    }

    pub fn goto(&self, url: &str) {
        self.tab
            .navigate_to(url)
            .unwrap()
            .wait_until_navigated()
            .unwrap();
    }

    /// Evaluates `expr` in the page; a string that holds JSON is parsed.
    pub fn eval(&self, expr: &str) -> Value {
        let r = self.tab.evaluate(expr, false).unwrap();
        match r.value {
            Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
            Some(v) => v,
            None => Value::Null,
        }
    }

    /// Waits (at most a minute) until `expr` is `true`.
    pub fn wait_for(&self, what: &str, expr: &str) {
        let start = Instant::now();
        while self.eval(expr) != Value::Bool(true) {
            let errors = self.errors();
            assert!(
                errors.is_empty(),
                "{what}: the page logged errors: {errors:?}"
            );
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{what}: timed out"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits (at most a minute) until `expr` is `true`, whatever the page logs meanwhile (a
    /// refused request logs its status as an error).
    pub fn wait_quietly(&self, what: &str, expr: &str) {
        let start = Instant::now();
        while self.eval(expr) != Value::Bool(true) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{what}: timed out"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The errors logged so far, forgotten: those a step was expected to log.
    pub fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut *self.errors.lock().unwrap())
    }

    /// Saves a PNG of the viewport as `name` under `$SITEPULSE_SCREENSHOTS`, when that is set
    /// (for looking at the page; nothing is asserted).
    pub fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("SITEPULSE_SCREENSHOTS") else {
            return;
        };
        use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption as Png;
        let png = self
            .tab
            .capture_screenshot(Png::Png, None, None, true)
            .unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
    }

    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().unwrap().clone()
    }
}
