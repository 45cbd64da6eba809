//! Included by the console's browser test only (`#[path]`), so no other test links WebDriver.
//! A real headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`, which scripts/services.sh installs), with screenshots kept in a folder.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::support::free_port;
use comptoir_testkit::wait_until;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const WAIT: Duration = Duration::from_secs(60);

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    /// Where [`Browser::screenshot`] writes.
    pub shots: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless session with a fresh profile.
    /// The flags keep Chromium off the network (this machine has none) and quiet.
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (scripts/services.sh installs chromium-driver)");
        let run = uuid::Uuid::now_v7();
        let profile = std::env::temp_dir().join(format!("comptoir-chromium-{run}"));
        let shots = std::env::temp_dir().join(format!("comptoir-console-shots-{run}"));
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                    // Room for whole-page screenshots: a window is never taller than the screen.
                    "--screen-info={1280x3200}",
                    "--window-size=1280,900",
                ],
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let url = format!("http://127.0.0.1:{port}");
        let client = wait_until("chromedriver to open a session", WAIT, || {
            let (capabilities, url) = (capabilities.clone(), url.clone());
            async move {
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&url)
                    .await
                    .ok()
            }
        })
        .await;
        println!("console screenshots: {}", shots.display());
        Browser {
            client,
            driver,
            profile,
            shots,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigates");
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// The text of the first element `css` matches, if there is one (a refresh may be swapping
    /// it at that moment: then none).
    pub async fn text(&self, css: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.text().await.ok()
    }

    /// Waits until the element `css` reads `wanted`'s way, and returns its text.
    pub async fn wait_for_text(
        &self,
        what: &str,
        css: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> String {
        wait_until(what, WAIT, || async {
            self.text(css).await.filter(|text| wanted(text))
        })
        .await
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.send_keys(value).await.expect("typed");
    }

    pub async fn click(&self, css: &str) {
        let target = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .expect(css);
        target.click().await.expect("clicked");
    }

    /// A PNG of the window at `width` (the page's whole height, up to 3000 px), in `shots`.
    pub async fn screenshot(&self, name: &str, width: u32) {
        self.client
            .set_window_size(width, 900)
            .await
            .expect("resized");
        let height = self
            .client
            // The page's height plus the browser's own frame.
            .execute(
                "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
                vec![],
            )
            .await
            .ok()
            .and_then(|height| height.as_u64())
            .map_or(900, |height| height.clamp(400, 3000) as u32);
        self.client
            .set_window_size(width, height)
            .await
            .expect("resized");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("written");
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resized");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
