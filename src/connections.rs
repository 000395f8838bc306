//! Bounds on a connection's time between requests.
//!
//! actix-http times the head of a connection's *first* request and an idle kept-alive
//! connection, but once one byte of a later request arrives on a kept-alive connection no
//! timer runs any more (its h1 dispatcher arms the head timer only once per connection): a
//! client sending a byte every few seconds held the connection for ever. So every
//! connection carries a [`Watch`]: the [`track`] middleware counts the requests in flight and
//! notes when the last response body was done, and a sweeper thread shuts down any connection
//! that has had no request in flight for longer than keep-alive plus the head timeout, which
//! no client that sends its heads whole ever reaches.

use std::any::Any;
use std::net::{Shutdown, TcpStream as StdTcpStream};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::rt::net::TcpStream;
use bytes::Bytes;

type TlsStream = actix_tls::accept::rustls_0_23::TlsStream<TcpStream>;

/// How often the sweeper looks; a slow connection lives at most this much past its limit.
const SWEEP_EVERY: Duration = Duration::from_millis(500);

struct State {
    /// A duplicate of the connection's socket, only to shut it down; closed with the
    /// connection (see `Watch`'s `Drop`), so it never outlives it or names a reused fd.
    socket: Mutex<Option<StdTcpStream>>,
    in_flight: AtomicU32,
    /// Milliseconds since `epoch()` when the connection last had no request in flight.
    idle_since: AtomicU64,
    limit: Duration,
}

impl State {
    fn stale(&self, now: u64) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
            && now.saturating_sub(self.idle_since.load(Ordering::Acquire))
                > self.limit.as_millis() as u64
    }

    fn shut_down(&self) {
        if let Ok(guard) = self.socket.lock() {
            if let Some(socket) = guard.as_ref() {
                // The dispatcher's next read sees the end and drops the connection.
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }
}

/// Kept in the connection's data; dropped with the connection.
pub struct Watch(Arc<State>);

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(mut socket) = self.0.socket.lock() {
            socket.take();
        }
    }
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64
}

fn registry() -> &'static Mutex<Vec<Weak<State>>> {
    static REGISTRY: OnceLock<Mutex<Vec<Weak<State>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("connection-sweeper".into())
            .spawn(|| loop {
                std::thread::sleep(SWEEP_EVERY);
                sweep();
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the connection sweeper");
        }
        Mutex::new(Vec::new())
    })
}

fn sweep() {
    let now = now_ms();
    let stale: Vec<Arc<State>> = {
        let Ok(mut all) = registry().lock() else {
            return;
        };
        all.retain(|w| w.strong_count() > 0);
        all.iter()
            .filter_map(Weak::upgrade)
            .filter(|s| s.stale(now))
            .collect()
    };
    for state in stale {
        tracing::info!("closing a connection idle past its limit (a slow or stalled request head)");
        state.shut_down();
    }
}

/// `HttpServer::on_connect`: gives the connection its watch. `limit` is how long it may go
/// without a request in flight.
pub fn on_connect(io: &dyn Any, data: &mut Extensions, limit: Duration) {
    let tcp: Option<&TcpStream> = io
        .downcast_ref::<TcpStream>()
        .or_else(|| io.downcast_ref::<TlsStream>().map(|tls| tls.get_ref().0));
    let Some(tcp) = tcp else {
        return;
    };
    let socket = match tcp.as_fd().try_clone_to_owned() {
        Ok(fd) => StdTcpStream::from(fd),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch a connection");
            return;
        }
    };
    let state = Arc::new(State {
        socket: Mutex::new(Some(socket)),
        in_flight: AtomicU32::new(0),
        idle_since: AtomicU64::new(now_ms()),
        limit,
    });
    if let Ok(mut all) = registry().lock() {
        all.push(Arc::downgrade(&state));
    }
    data.insert(Watch(state));
}

/// A request in flight on a watched connection; its end (the response body done or
/// dropped) starts the idle clock again.
struct Busy(Arc<State>);

impl Busy {
    fn start(state: &Arc<State>) -> Busy {
        state.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(state.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.idle_since.store(now_ms(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The response body, holding the request's `Busy` until it is written whole.
struct Tracked {
    body: BoxBody,
    _busy: Busy,
}

impl MessageBody for Tracked {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// The middleware: marks a request in flight on its connection until its body is done.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let busy = req.conn_data::<Watch>().map(|w| Busy::start(&w.0));
    let res = next.call(req).await?;
    Ok(match busy {
        Some(busy) => res.map_body(|_, body| {
            EitherBody::left(Tracked {
                body: body.boxed(),
                _busy: busy,
            })
        }),
        None => res.map_body(|_, body| EitherBody::right(body)),
    })
}
