//! A TCP proxy between the binary and the emulator that stalls at a chosen
//! request, so a test can act at an exact point of an apply (kill it after
//! Graph applied a request but before the answer arrived; change the tenant
//! between the plan and a write) instead of guessing with sleeps.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What happens once a request containing the trigger is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// Forward it, and from then on drop every answer (to every connection):
    /// Graph applies the request, the client never hears back.
    DropAnswers,
    /// Hold that request until [`StallProxy::release`], then forward it.
    HoldRequest,
}

struct State {
    trigger: Vec<u8>,
    stall: Stall,
    tripped: AtomicBool,
    released: AtomicBool,
    stop: AtomicBool,
}

/// A running proxy; stops accepting when dropped.
pub struct StallProxy {
    state: Arc<State>,
    addr: String,
}

impl StallProxy {
    /// Proxy to `upstream` (`http://127.0.0.1:PORT`), stalling at the first
    /// request whose bytes contain `trigger`.
    pub fn start(upstream: &str, trigger: &str, stall: Stall) -> StallProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("plain http upstream")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(State {
            trigger: trigger.as_bytes().to_vec(),
            stall,
            tripped: AtomicBool::new(false),
            released: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let s = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = s.clone();
                std::thread::spawn(move || requests(client, server, &up));
                let down = s.clone();
                std::thread::spawn(move || answers(s2, c2, &down));
            }
        });
        StallProxy { state, addr }
    }

    /// The URL to give the binary (`--graph-url`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether the trigger was seen.
    pub fn tripped(&self) -> bool {
        self.state.tripped.load(Ordering::SeqCst)
    }

    /// Let a held request go.
    pub fn release(&self) {
        self.state.released.store(true, Ordering::SeqCst);
    }
}

impl Drop for StallProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        self.state.released.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr); // wake the accept loop
    }
}

/// Client → server, watching for the trigger (also across read boundaries).
fn requests(mut from: TcpStream, mut to: TcpStream, s: &State) {
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !s.tripped.load(Ordering::SeqCst) {
            tail.extend_from_slice(&buf[..n]);
            if tail.windows(s.trigger.len()).any(|w| w == s.trigger) {
                s.tripped.store(true, Ordering::SeqCst);
                if s.stall == Stall::HoldRequest {
                    while !s.released.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
            let keep = s.trigger.len().saturating_sub(1);
            if tail.len() > keep {
                tail.drain(..tail.len() - keep);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Server → client, dropped once tripped in [`Stall::DropAnswers`] mode.
fn answers(mut from: TcpStream, mut to: TcpStream, s: &State) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if s.stall == Stall::DropAnswers && s.tripped.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
