//! Binding and serving, zero-to-production style: `build` binds (port 0 allowed) so that the
//! caller learns the port before anything is served.

use std::net::TcpListener;
use std::sync::Mutex;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::callbacks::Courier;
use crate::faults::{self, Faults};
use crate::inbox::Inbox;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{actions, africastalking, checkout_page, cinetpay, paygate, phone, stripe, twilio};

pub struct Sandbox {
    port: u16,
    public_url: String,
    server: Server,
}

impl Sandbox {
    /// Binds `settings.bind` and prepares the server; call it inside a Tokio runtime.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)?;
        let address = listener.local_addr()?;
        let port = address.port();
        let public_url = match &settings.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            // A wildcard address is no place to send a browser to.
            None if address.ip().is_unspecified() => format!("http://127.0.0.1:{port}"),
            None => format!("http://{address}"),
        };
        let state = web::Data::new(AppState {
            courier: Courier::new(settings.callback_retry_base)?,
            faults: Faults::default(),
            settings,
            public_url: public_url.clone(),
            stripe: Mutex::new(stripe::Store::default()),
            cinetpay: Mutex::new(cinetpay::Store::default()),
            paygate: Mutex::new(paygate::Store::default()),
            inbox: Mutex::new(Inbox::default()),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(faults::inject))
                .configure(routes)
        })
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            public_url,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base of the checkout URLs it hands out.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(stripe::routes)
        .configure(cinetpay::routes)
        .configure(paygate::routes)
        .configure(twilio::routes)
        .configure(africastalking::routes)
        .service(
            web::resource("/checkout/{provider}/{id}")
                .get(checkout_page::show_hosted)
                .post(checkout_page::act_hosted),
        )
        .service(
            web::resource("/paygate/approve/{id}")
                .get(checkout_page::show_paygate)
                .post(checkout_page::act_paygate),
        )
        .route("/sandbox/health", web::get().to(actions::health))
        .route("/sandbox/faults", web::post().to(faults::start))
        .route("/sandbox/sms", web::get().to(phone::list))
        .route("/sandbox/phone", web::get().to(phone::show))
        .route(
            "/sandbox/{provider}/{id}/{action}",
            web::post().to(actions::test_hook),
        );
}
