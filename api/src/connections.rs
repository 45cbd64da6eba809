//! Connections per client address (`server.max_connections_per_ip`). actix accepts every
//! connection, so each one takes a slot in a shared table when it is accepted (`on_connect`)
//! and gives it back when it closes: the slot lives in the connection's data, dropped with the
//! connection. A request on a connection past the limit answers 429 `too_many_connections` and
//! closes it. Trusted proxies are exempt: every client behind them arrives on their connections;
//! so are providers' callbacks.

use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::body::MessageBody;
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::rt::net::TcpStream;
use ipnet::IpNet;

use crate::error::ApiError;
use crate::limits;

pub struct ConnectionTable {
    open: Mutex<HashMap<IpAddr, u32>>,
    limit: u32,
    exempt: Vec<IpNet>,
}

/// One open connection of `peer`; `over` when the peer already held `limit` others.
struct Slot {
    table: Arc<ConnectionTable>,
    peer: IpAddr,
    over: bool,
}

impl ConnectionTable {
    pub fn new(limit: u32, exempt: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::default(),
            limit,
            exempt,
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        // A panic elsewhere cannot leave a count half-written: the map stays usable.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(self: &Arc<Self>, peer: IpAddr) -> Option<Slot> {
        if self.exempt.iter().any(|net| net.contains(&peer)) {
            return None;
        }
        let mut counts = self.counts();
        let open = counts.entry(peer).or_default();
        *open += 1;
        Some(Slot {
            table: self.clone(),
            peer,
            over: *open > self.limit,
        })
    }

    /// For `HttpServer::on_connect`: records the slot of each accepted TCP connection.
    pub fn on_connect(self: Arc<Self>) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync {
        let table = self;
        move |connection, data| {
            let peer = connection
                .downcast_ref::<TcpStream>()
                .and_then(|stream| stream.peer_addr().ok());
            if let Some(slot) = peer.and_then(|peer| table.take(peer.ip())) {
                data.insert(slot);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.table.counts();
        if let Some(open) = counts.get_mut(&self.peer) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.peer);
            }
        }
    }
}

/// Refuses requests that arrive on a connection past its peer's limit, except providers'
/// callbacks: a burst of delivery reports opens many connections, and each must be taken.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let over = req.conn_data::<Slot>().is_some_and(|slot| slot.over);
    if over && !limits::is_provider_callback(req.path()) {
        return Err(ApiError::TooManyConnections.into());
    }
    next.call(req).await
}
