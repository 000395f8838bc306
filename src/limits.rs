//! Bounds on what a request body may cost before any handler sees it: its size after
//! decompression and the time it may take to arrive.
//!
//! actix-web inflates a `Content-Encoding: gzip` body a whole network chunk at a time into
//! an unbounded buffer, and only then do the extractors compare the size with their limit:
//! a 63 KiB gzip bomb became 200 MiB of memory. Here the body is inflated by us instead,
//! into a sink that refuses to grow past the body limit, and the header is removed so
//! nothing inflates it again. A body must also arrive whole within the body timeout: a
//! client sending a byte every few seconds would otherwise hold a connection (and a worker's
//! buffer) for as long as it likes.

use std::future::Future as _;
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};
use bytes::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::AppError;
use crate::state::AppState;

/// The body timeout when the app state is missing (never in the server).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
const DEFAULT_LIMIT: usize = 4 * 1024 * 1024;

/// Content codings we inflate; anything else but `identity` answers 415.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Deflate,
}

fn coding(value: Option<&header::HeaderValue>) -> Result<Coding, ()> {
    let Some(value) = value else {
        return Ok(Coding::Identity);
    };
    let v = value.to_str().map_err(|_| ())?.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("identity") {
        Ok(Coding::Identity)
    } else if v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip") {
        Ok(Coding::Gzip)
    } else if v.eq_ignore_ascii_case("deflate") {
        Ok(Coding::Deflate)
    } else {
        Err(())
    }
}

/// The middleware: replaces the request's payload with a bounded one (see the module docs).
pub async fn bound_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (limit, timeout) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| {
            (
                usize::try_from(s.settings.body_limit).unwrap_or(DEFAULT_LIMIT),
                Duration::from_secs(s.settings.body_timeout),
            )
        })
        .unwrap_or((DEFAULT_LIMIT, DEFAULT_TIMEOUT));
    let Ok(coding) = coding(req.headers().get(header::CONTENT_ENCODING)) else {
        return Ok(req
            .error_response(AppError::UnsupportedMediaType)
            .map_into_right_body());
    };
    if coding != Coding::Identity {
        // The body handed on is the inflated one: nothing may inflate it again, and its
        // declared length no longer describes it.
        req.headers_mut().remove(header::CONTENT_ENCODING);
        req.headers_mut().remove(header::CONTENT_LENGTH);
    }
    let inner = req.take_payload();
    let bounded = BoundedBody::new(inner, coding, limit, Instant::now() + timeout);
    req.set_payload(Payload::from(
        Box::pin(bounded) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Collects inflated output up to a budget; writing past it fails, which stops the
/// decoder after at most one of its internal buffers.
struct Sink {
    buf: Vec<u8>,
    room: usize,
    overflowed: bool,
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.len() > self.room {
            self.overflowed = true;
            return Err(io::Error::other("inflated body over the limit"));
        }
        self.room -= data.len();
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

enum Inflater {
    Gzip(Box<flate2::write::MultiGzDecoder<Sink>>),
    Deflate(Box<flate2::write::ZlibDecoder<Sink>>),
}

impl Inflater {
    fn sink(&mut self) -> &mut Sink {
        match self {
            Inflater::Gzip(d) => d.get_mut(),
            Inflater::Deflate(d) => d.get_mut(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> io::Result<()> {
        match self {
            Inflater::Gzip(d) => d.write_all(chunk),
            Inflater::Deflate(d) => d.write_all(chunk),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        match self {
            Inflater::Gzip(d) => d.try_finish(),
            Inflater::Deflate(d) => d.try_finish(),
        }
    }

    /// What was inflated since the last call, or the error that stopped it.
    fn take(&mut self, result: io::Result<()>) -> Result<Bytes, PayloadError> {
        let sink = self.sink();
        match result {
            Ok(()) => Ok(Bytes::from(std::mem::take(&mut sink.buf))),
            Err(_) if sink.overflowed => Err(PayloadError::Overflow),
            Err(_) => Err(PayloadError::EncodingCorrupted),
        }
    }
}

/// The request body, inflated when it is encoded, bounded in size and in time.
pub struct BoundedBody {
    inner: Payload,
    inflater: Option<Inflater>,
    limit: usize,
    seen: usize,
    deadline: Instant,
    /// Armed only when the body keeps us waiting (most arrive in their first read).
    timer: Option<Pin<Box<Sleep>>>,
    done: bool,
}

impl BoundedBody {
    fn new(inner: Payload, coding: Coding, limit: usize, deadline: Instant) -> BoundedBody {
        let sink = || Sink {
            buf: Vec::new(),
            room: limit,
            overflowed: false,
        };
        let inflater = match coding {
            Coding::Identity => None,
            Coding::Gzip => Some(Inflater::Gzip(Box::new(
                flate2::write::MultiGzDecoder::new(sink()),
            ))),
            Coding::Deflate => Some(Inflater::Deflate(Box::new(
                flate2::write::ZlibDecoder::new(sink()),
            ))),
        };
        BoundedBody {
            inner,
            inflater,
            limit,
            seen: 0,
            deadline,
            timer: None,
            done: false,
        }
    }

    fn fail(&mut self, e: PayloadError) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.done = true;
        Poll::Ready(Some(Err(e)))
    }

    /// Gives up on a late body. actix drains the rest of a dropped chunked body before it
    /// closes the connection, which a trickling client can make last forever; a body still
    /// held when the answer goes out makes it close the connection instead. So the payload
    /// is kept a few seconds past the answer, then dropped.
    fn time_out(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        let inner = std::mem::replace(&mut self.inner, Payload::None);
        actix_web::rt::spawn(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(inner);
        });
        self.fail(timed_out())
    }
}

/// The error a body that did not arrive in time ends with (answered 408).
pub fn timed_out() -> PayloadError {
    PayloadError::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        "request body not received in time",
    ))
}

impl Stream for BoundedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if Instant::now() >= this.deadline {
                return this.time_out();
            }
            let next = match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(next) => next,
                Poll::Pending => {
                    let deadline = this.deadline;
                    let timer = this
                        .timer
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                    if timer.as_mut().poll(cx).is_ready() {
                        return this.time_out();
                    }
                    return Poll::Pending;
                }
            };
            let chunk = match next {
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => return this.fail(e),
                None => {
                    this.done = true;
                    let Some(inflater) = this.inflater.as_mut() else {
                        return Poll::Ready(None);
                    };
                    let result = inflater.finish();
                    return match inflater.take(result) {
                        Ok(rest) if rest.is_empty() => Poll::Ready(None),
                        Ok(rest) => Poll::Ready(Some(Ok(rest))),
                        Err(e) => Poll::Ready(Some(Err(e))),
                    };
                }
            };
            let out = match this.inflater.as_mut() {
                None => {
                    this.seen += chunk.len();
                    if this.seen > this.limit {
                        return this.fail(PayloadError::Overflow);
                    }
                    chunk
                }
                Some(inflater) => {
                    let result = inflater.feed(&chunk);
                    match inflater.take(result) {
                        Ok(out) => out,
                        Err(e) => return this.fail(e),
                    }
                }
            };
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(out)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_codings_are_recognised() {
        let h = |s: &'static str| header::HeaderValue::from_static(s);
        assert_eq!(coding(None), Ok(Coding::Identity));
        assert_eq!(coding(Some(&h("GZIP"))), Ok(Coding::Gzip));
        assert_eq!(coding(Some(&h("x-gzip"))), Ok(Coding::Gzip));
        assert_eq!(coding(Some(&h("deflate"))), Ok(Coding::Deflate));
        assert_eq!(coding(Some(&h("identity"))), Ok(Coding::Identity));
        assert!(coding(Some(&h("br"))).is_err());
        assert!(coding(Some(&h("gzip, gzip"))).is_err());
    }

    #[test]
    fn the_sink_refuses_to_grow_past_its_room() {
        let mut sink = Sink {
            buf: Vec::new(),
            room: 10,
            overflowed: false,
        };
        assert!(sink.write(b"12345").is_ok());
        assert!(sink.write(b"123456").is_err());
        assert!(sink.overflowed);
        assert_eq!(sink.buf.len(), 5);
    }
}
