//! Decision tables: every policy's verdicts on hand-made views, with no pool and no clock.

use std::time::Duration;

use ontime_core::{IdleOrder, IdleView, RequestAction, RequestInfo, RequestView, StealPolicy};

use crate::*;

fn ms(x: u64) -> Duration {
    Duration::from_millis(x)
}

fn info(target: Option<u64>, cost: Option<u64>) -> RequestInfo {
    let mut i = RequestInfo::default();
    i.target = target.map(ms);
    i.cost_hint = cost.map(ms);
    i
}

/// arrival 0, start `start`, now `now`, `done`/`total` units of loop work.
fn view(i: RequestInfo, start: u64, now: u64, done: u64, total: u64) -> RequestView {
    let mut v = RequestView::new(i, ms(0), ms(start), ms(now), 2);
    v.work_done = done;
    v.work_total = total;
    v
}

fn idle(worker: usize) -> IdleView {
    IdleView::new(worker, 3, 0, false)
}

#[test]
fn baselines_choose_their_idle_order_and_never_intervene() {
    let v = view(info(Some(10), None), 0, 50, 0, 0);
    assert_eq!(
        StealFirst::new().idle_order(&idle(0)),
        IdleOrder::StealFirst
    );
    assert_eq!(
        AdmitFirst::new().idle_order(&idle(0)),
        IdleOrder::AdmitFirst
    );
    assert_eq!(StealFirst::new().review(&v), RequestAction::Continue);
    assert_eq!(AdmitFirst::new().review(&v), RequestAction::Continue);
    assert!(!StealFirst::new().reviews_running());
}

#[test]
fn target_latency_decision_table() {
    let reactive = TargetLatency::reactive().deprioritize(false);
    let predictive = TargetLatency::predictive();
    let t = Some(10);
    // (view, reactive verdict, predictive verdict)
    let stop = RequestAction::StopSharing;
    let go = RequestAction::Continue;
    let table = [
        // No target: never intervene.
        (view(info(None, None), 0, 100, 1, 100), go, go),
        // Just admitted, nothing known.
        (view(info(t, None), 0, 0, 0, 0), go, go),
        // Deadline passed: both stop.
        (view(info(t, None), 0, 11, 99, 100), stop, stop),
        // Exactly at the deadline is not a miss.
        (view(info(t, None), 0, 10, 100, 100), go, go),
        // Admitted after its deadline (queued too long).
        (view(info(t, None), 12, 12, 0, 0), stop, stop),
        // 4 ms in, 20% done: predicted 20 ms > 10.
        (view(info(t, None), 0, 4, 20, 100), go, stop),
        // 4 ms in, 50% done: predicted 8 ms <= 10.
        (view(info(t, None), 0, 4, 50, 100), go, go),
        // Before the warm-up (10% of 10 ms = 1 ms) the rate is not trusted.
        (view(info(t, None), 0, 0, 1, 100), go, go),
        // Past the warm-up with nothing done: predicted never.
        (view(info(t, None), 0, 2, 0, 100), go, stop),
        // No loop announced at all: no prediction.
        (view(info(t, None), 0, 5, 0, 0), go, go),
        // Started 3 ms late, 5 ms in, 60% done: predicted 3 + 8.33 > 10.
        (view(info(t, None), 3, 8, 60, 100), go, stop),
        // Cost hint 30 ms on 2 workers = 15 ms > 10: stop at admission.
        (view(info(t, Some(30)), 0, 0, 0, 0), go, stop),
        // Cost hint 16 ms on 2 workers = 8 ms: fine.
        (view(info(t, Some(16)), 0, 0, 0, 0), go, go),
    ];
    // By default a miss also deprioritizes; without it, it only stops sharing.
    let deprioritized = |a: RequestAction| match a {
        RequestAction::StopSharing => RequestAction::Deprioritize,
        other => other,
    };
    for (i, (v, r, p)) in table.iter().enumerate() {
        assert_eq!(reactive.review(v), *r, "row {i}, reactive: {v:?}");
        assert_eq!(
            predictive.review(v),
            deprioritized(*p),
            "row {i}, predictive: {v:?}"
        );
        let plain = TargetLatency::predictive().deprioritize(false);
        assert_eq!(
            plain.review(v),
            *p,
            "row {i}, predictive without deprioritizing"
        );
        let default = TargetLatency::reactive();
        assert_eq!(
            default.review(v),
            deprioritized(*r),
            "row {i}, reactive by default"
        );
    }
    // Already stopped: no second verdict.
    let mut v = view(info(t, None), 0, 50, 0, 100);
    v.shareable = false;
    assert_eq!(predictive.review(&v), go);
    // Slack tolerates predicted lateness: 20 ms predicted, deadline 10 + 1.5 * 10.
    let v = view(info(t, None), 0, 4, 20, 100);
    assert_eq!(TargetLatency::predictive().slack(1.5).review(&v), go);
    assert!(TargetLatency::reactive().reviews_running());
}

#[test]
fn micropools_decision_table() {
    let m = Micropools::new(1, 2, ms(5));
    assert!(m.validate(3).is_ok());
    assert!(m.validate(2).is_err());
    assert!(Micropools::new(0, 2, ms(5)).validate(2).is_err());
    assert!(Micropools::new(1, 1, Duration::ZERO).validate(2).is_err());
    // Stealing stays inside a pool: worker 0 is light, 1 and 2 heavy.
    assert!(!m.may_steal(&idle(0), 1));
    assert!(m.may_steal(&idle(1), 2));
    assert!(!m.may_steal(&idle(2), 0));
    // Shed once it has run longer than the budget, once.
    assert_eq!(
        m.review(&view(info(None, None), 0, 5, 0, 0)),
        RequestAction::Continue
    );
    let mut v = view(info(None, None), 0, 6, 0, 0);
    assert_eq!(m.review(&v), RequestAction::Shed);
    v.shed = true;
    assert_eq!(m.review(&v), RequestAction::Continue);
}

#[test]
fn admission_names_and_validation() {
    use ontime_core::ThreadPoolBuilder;
    assert_eq!(TargetLatency::reactive().name(), "target-latency-reactive");
    assert_eq!(
        TargetLatency::reactive()
            .admission(Admission::EarliestDeadlineFirst)
            .name(),
        "target-latency-reactive+edf"
    );
    assert_eq!(TargetLatency::new().name(), "target-latency");
    assert_eq!(TargetLatency::default().name(), "target-latency");
    assert_eq!(
        TargetLatency::new()
            .admission(Admission::EarliestDeadlineFirst)
            .reject_late(true)
            .name(),
        "target-latency+edf+reject"
    );
    assert_eq!(
        TargetLatency::new().admission(Admission::Fifo).name(),
        "target-latency+fifo"
    );
    // Any option that leaves the default combination names it from its base (FIFO order).
    assert_eq!(
        TargetLatency::new().nest_while_blocked(true).name(),
        "target-latency-predictive+adaptive-lifo+headroom+steer+admit-first+late-last+no-steal"
    );
    assert_eq!(
        TargetLatency::new().late_last(false).name(),
        "target-latency-predictive+adaptive-lifo+headroom+steer+admit-first+no-nest+no-steal"
    );
    assert_eq!(
        TargetLatency::new()
            .admission(Admission::Fifo)
            .steal_while_blocked(true)
            .name(),
        "target-latency-predictive+headroom+steer+admit-first+late-last+no-nest"
    );
    assert_eq!(
        TargetLatency::new()
            .admission(Admission::Fifo)
            .steal_while_blocked(true)
            .headroom(1.0)
            .steer(0.0)
            .name(),
        "target-latency-predictive+admit-first+late-last+no-nest"
    );
    assert_eq!(
        TargetLatency::new().steer(0.0).name(),
        "target-latency+no-steer"
    );
    assert_eq!(
        TargetLatency::new()
            .headroom(1.0)
            .steer(0.0)
            .reject_late(true)
            .name(),
        "target-latency+no-headroom+no-steer+reject"
    );
    assert_eq!(
        TargetLatency::reactive().steer(8.0).name(),
        "target-latency-reactive+steer"
    );
    assert_eq!(
        AdmitFirst::new()
            .admission(Admission::Priority(Levels::new(
                2,
                LevelMode::RoundRobin { slice: ms(1) }
            )))
            .name(),
        "admit-first+round-robin"
    );
    let bad = priority_levels(0, LevelMode::HighestFirst);
    let err = ThreadPoolBuilder::new()
        .num_threads(1)
        .policy(bad)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("at least one level"), "{err}");
    let bad = priority_levels(
        2,
        LevelMode::RoundRobin {
            slice: Duration::ZERO,
        },
    );
    assert!(ThreadPoolBuilder::new()
        .num_threads(1)
        .policy(bad)
        .build()
        .is_err());
}

/// Adaptive queues reorder, never lose or duplicate: random pushes and pops at random times
/// (so both modes occur), with and without targets; every id comes out exactly once.
#[test]
fn adaptive_queues_pop_every_request_exactly_once_in_both_modes() {
    use ontime_core::{AdmissionQueue, Queued};
    let queues: Vec<(&str, Box<dyn AdmissionQueue>)> = vec![
        ("adaptive-lifo", Admission::AdaptiveLifo.make_queue()),
        ("adaptive-edf", Admission::AdaptiveEdf.make_queue()),
        (
            "priority+adaptive",
            Admission::Priority(Levels::new(3, LevelMode::HighestFirst).adaptive(true))
                .make_queue(),
        ),
    ];
    for (name, q) in queues {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut pushed, mut popped) = (Vec::new(), Vec::new());
        let mut now = 0u64;
        for id in 0..2_000u64 {
            now += next() % 3;
            let mut info = RequestInfo::default();
            if next() % 4 != 0 {
                info.target = Some(ms(5 + next() % 40));
            }
            info.priority = (next() % 3) as u8;
            q.push(Queued::stand_in(id, info, ms(now)));
            pushed.push(id);
            if next() % 3 == 0 {
                if let Some(x) = q.pop(0, ms(now + next() % 50)) {
                    popped.push(x.id());
                }
            }
        }
        while let Some(x) = q.pop(0, ms(now + next() % 50)) {
            popped.push(x.id());
        }
        assert_eq!(q.len(), 0, "{name}");
        popped.sort_unstable();
        assert_eq!(popped, pushed, "{name}: every request exactly once");
    }
}

/// Adaptive EDF puts requests without a target after every request with one, in both modes.
#[test]
fn adaptive_edf_keeps_requests_without_a_target_last() {
    use ontime_core::Queued;
    let q = Admission::AdaptiveEdf.make_queue();
    let mut t = RequestInfo::default();
    t.target = Some(ms(10));
    q.push(Queued::stand_in(1, RequestInfo::default(), ms(0)));
    q.push(Queued::stand_in(2, t, ms(0)));
    q.push(Queued::stand_in(3, t, ms(1)));
    // At 8 ms request 2 waited 8 of 10 ms: overloaded, the latest deadline with a target.
    assert_eq!(q.pop(0, ms(8)).unwrap().id(), 3);
    assert_eq!(q.pop(0, ms(8)).unwrap().id(), 2);
    assert_eq!(q.pop(0, ms(8)).unwrap().id(), 1);
}

#[test]
fn adaptive_admission_orders_have_their_own_names() {
    assert_eq!(
        TargetLatency::new()
            .admission(Admission::AdaptiveEdf)
            .name(),
        "target-latency+adaptive-edf"
    );
    assert_eq!(
        AdmitFirst::new()
            .admission(Admission::Priority(
                Levels::new(2, LevelMode::RoundRobin { slice: ms(1) }).adaptive(true)
            ))
            .name(),
        "admit-first+round-robin+adaptive"
    );
    assert_eq!(
        StealFirst::new()
            .admission(Admission::Priority(
                Levels::new(2, LevelMode::HighestFirst).adaptive(true)
            ))
            .name(),
        "steal-first+priority+adaptive"
    );
}

#[test]
fn load_aware_prediction_tolerates_lateness_only_under_light_load() {
    // Target 10 ms, 5 ms in, 40% done: predicted to finish 2.5 ms past the deadline.
    let mut v = view(info(Some(10), None), 0, 5, 40, 100);
    v.num_threads = 4;
    // Without the default's headroom, which would tolerate this at light load by itself.
    let plain = TargetLatency::new().headroom(1.0);
    let aware = TargetLatency::new().headroom(1.0).load_aware(0.5);
    let tight = TargetLatency::new().headroom(1.0).load_aware(0.1);
    for (running, queued, light) in [
        (1, 0, true),
        (3, 0, true),
        (2, 1, true),
        (4, 0, false),
        (1, 3, false),
        (9, 9, false),
    ] {
        (v.running, v.queued) = (running, queued);
        assert_eq!(
            plain.review(&v),
            RequestAction::Deprioritize,
            "{running}+{queued}"
        );
        let expect = if light {
            RequestAction::Continue
        } else {
            RequestAction::Deprioritize
        };
        assert_eq!(aware.review(&v), expect, "{running}+{queued}");
        // A tolerance below the predicted lateness changes nothing.
        assert_eq!(
            tight.review(&v),
            RequestAction::Deprioritize,
            "{running}+{queued}"
        );
    }
    // A view that does not know the load (both 0) counts as light.
    (v.running, v.queued) = (0, 0);
    assert_eq!(aware.review(&v), RequestAction::Continue);
    // Past the deadline it is deprioritized whatever the load.
    v.now = ms(11);
    v.work_done = 99;
    assert_eq!(aware.review(&v), RequestAction::Deprioritize);
    assert_eq!(
        TargetLatency::predictive().load_aware(1.0).name(),
        "target-latency-predictive+load-aware"
    );
    assert!(std::panic::catch_unwind(|| TargetLatency::new().load_aware(-1.0)).is_err());
    assert!(std::panic::catch_unwind(|| TargetLatency::new().load_aware(f64::NAN)).is_err());
}

#[test]
fn headroom_divides_the_time_left_by_the_workers_a_request_may_gain() {
    // Target 10 ms, 2 ms in, 10% done: 18 ms left at the rate so far, 8 ms to the deadline.
    let mut v = view(info(Some(10), None), 0, 2, 10, 100);
    v.num_threads = 16;
    let default = TargetLatency::new();
    let plain = TargetLatency::new().headroom(1.0);
    let cap2 = TargetLatency::new().headroom(2.0);
    // (running, queued, spare workers, default's verdict: 18 ms / min(1 + spare, 4) fits in 8)
    for (running, queued, spare, fits) in [
        (1, 0, 15, true),
        (3, 0, 13, true),
        (12, 2, 2, true), // 18 / 3 = 6 ms
        (13, 2, 1, false),
        (14, 2, 0, false),
        (20, 9, 0, false),
        (0, 0, 16, false), // running 0: a view that does not know the load
    ] {
        (v.running, v.queued) = (running, queued);
        let expect = |ok: bool| {
            if ok {
                RequestAction::Continue
            } else {
                RequestAction::Deprioritize
            }
        };
        assert_eq!(
            default.review(&v),
            expect(fits),
            "{running}+{queued} ({spare} spare)"
        );
        assert_eq!(
            plain.review(&v),
            RequestAction::Deprioritize,
            "{running}+{queued}"
        );
        // At most twice as fast: 9 ms, still past the deadline.
        assert_eq!(
            cap2.review(&v),
            RequestAction::Deprioritize,
            "{running}+{queued}"
        );
    }
    // A smaller shortfall: 20% done at 2 ms, 8 ms left at the rate so far; twice as fast fits.
    v.work_done = 20;
    (v.running, v.queued) = (2, 0);
    assert_eq!(cap2.review(&v), RequestAction::Continue);
    assert_eq!(
        plain.review(&v),
        RequestAction::Continue,
        "8 ms fits exactly"
    );
    v.work_done = 19;
    assert_eq!(plain.review(&v), RequestAction::Deprioritize);
    assert_eq!(cap2.review(&v), RequestAction::Continue);
    // Before the warm-up and past the deadline the headroom changes nothing.
    let early = view(info(Some(10), None), 0, 0, 0, 100);
    assert_eq!(default.review(&early), RequestAction::Continue);
    v.now = ms(11);
    assert_eq!(default.review(&v), RequestAction::Deprioritize);
    // The reactive rule never predicts, headroom or not.
    v.now = ms(2);
    v.work_done = 1;
    let reactive = TargetLatency::reactive().headroom(4.0);
    assert_eq!(reactive.review(&v), RequestAction::Continue);
    // Names: the default has it, other bases say so when they do.
    assert_eq!(default.name(), "target-latency");
    assert_eq!(plain.name(), "target-latency+no-headroom");
    assert_eq!(
        TargetLatency::new().headroom(1.0).reject_late(true).name(),
        "target-latency+no-headroom+reject"
    );
    assert_eq!(
        TargetLatency::predictive().headroom(4.0).name(),
        "target-latency-predictive+headroom"
    );
    assert_eq!(
        TargetLatency::predictive().name(),
        "target-latency-predictive"
    );
    assert!(std::panic::catch_unwind(|| TargetLatency::new().headroom(0.5)).is_err());
    assert!(std::panic::catch_unwind(|| TargetLatency::new().headroom(f64::INFINITY)).is_err());
    assert!(std::panic::catch_unwind(|| TargetLatency::new().headroom(f64::NAN)).is_err());
}

#[test]
fn steering_asks_for_the_speedup_a_live_request_needs_within_the_cap() {
    // Target 10 ms, 2 ms in: the time still to run at the rate so far over the 8 ms left.
    let default = TargetLatency::new();
    for (done, speedup) in [(20, Some(1.0)), (10, Some(2.25)), (50, Some(0.25))] {
        let v = view(info(Some(10), None), 0, 2, done, 100);
        assert_eq!(default.urgency(&v), speedup, "{done}% done");
    }
    // 2% done: 98 ms to run in 8 ms, over 12 times faster: past the default cap of 8.
    let hopeless = view(info(Some(10), None), 0, 2, 2, 100);
    assert_eq!(default.urgency(&hopeless), None);
    let u = TargetLatency::new().steer(16.0).urgency(&hopeless);
    assert!(u.is_some_and(|u| (u - 12.25).abs() < 1e-9), "{u:?}");
    // Not candidates: no progress yet, all done, no target, past the deadline, given up.
    let v = view(info(Some(10), None), 0, 2, 10, 100);
    let none = |v: &RequestView| default.urgency(v).is_none();
    assert!(none(&view(info(Some(10), None), 0, 2, 0, 100)));
    assert!(none(&view(info(Some(10), None), 0, 2, 0, 0)));
    assert!(none(&view(info(Some(10), None), 0, 2, 100, 100)));
    assert!(none(&view(info(None, None), 0, 2, 10, 100)));
    assert!(none(&view(info(Some(10), None), 0, 10, 50, 100)));
    assert!(none(&view(info(Some(10), None), 0, 12, 50, 100)));
    for flag in 0..3 {
        let mut g = v;
        match flag {
            0 => g.shareable = false,
            1 => g.deprioritized = true,
            _ => g.shed = true,
        }
        assert!(none(&g), "flag {flag}");
    }
    // Off: never a candidate; the reactive and predictive bases are off unless asked.
    assert_eq!(TargetLatency::new().steer(0.0).urgency(&v), None);
    assert_eq!(TargetLatency::predictive().urgency(&v), None);
    assert_eq!(TargetLatency::reactive().steer(8.0).urgency(&v), Some(2.25));
    // Steering never changes a verdict.
    for p in [TargetLatency::new(), TargetLatency::new().steer(0.0)] {
        assert_eq!(p.review(&v), RequestAction::Deprioritize);
        assert_eq!(
            p.review(&view(info(Some(10), None), 0, 2, 20, 100)),
            RequestAction::Continue
        );
    }
    for bad in [0.5, -1.0, f64::INFINITY, f64::NAN] {
        assert!(
            std::panic::catch_unwind(|| TargetLatency::new().steer(bad)).is_err(),
            "{bad}"
        );
    }
}
