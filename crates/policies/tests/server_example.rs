//! The request-server example (`examples/server.rs`) runs for a second on loopback: a tokio
//! front end awaiting request handles, a bounded queue, requests that can no longer make their
//! target (still queued at the deadline, or rejected as late by the pool) answered "busy".
//! Every request the client sent must be answered; none lost.

#[path = "../examples/server.rs"]
mod server;

#[test]
fn every_request_of_the_server_example_is_answered() {
    let cfg = server::Config::default();
    let r = server::run(cfg);
    assert!(
        r.sent > 100,
        "the client sent too little to mean anything: {r:?}"
    );
    assert_eq!(r.lost, 0, "requests lost: {r:?}");
    assert_eq!(r.errors, 0, "{r:?}");
    assert_eq!(r.answered(), r.sent, "{r:?}");
    // Requests the pool rejected as late were answered "busy", never dropped.
    assert!(r.rejected <= r.busy, "{r:?}");
    println!("{r:?}");
}
