/**
 * The gateway's Prometheus metrics, read at scrape time from the plain-number counters of each
 * session runner, the outbound queues, the order books, the store statistics and the process.
 * Label values are session keys, MsgTypes, reject reason codes and priorities: never message content,
 * so no secret can reach a label.
 */
import type { Gateway } from "../engine/gateway.ts";
import type { SessionRunner } from "../engine/session_runner.ts";
import { EventLoopDelayMonitor, processCollector } from "../metrics/process.ts";
import type { HistogramSample, Labels, MetricFamily, ValueSample } from "../metrics/prometheus.ts";
import { BucketHistogram, MetricsRegistry } from "../metrics/registry.ts";
import type { EffectReport } from "../sys/types.ts";
import { VERSION } from "../version.ts";
import { PRIORITIES } from "../engine/flow/outbound_queue.ts";
import type { CommitMetrics, MessageStore } from "../store/types.ts";
import { FLUSH_BUCKETS_SECONDS, InstrumentedStore } from "../engine/store_stats.ts";

const PHASES = ["disconnected", "awaiting-logon", "logon-sent", "active", "logout-sent"] as const;

type Counter = (r: SessionRunner) => number;

/** Per-session counters: metric name, help, reader. */
const SESSION_COUNTERS: Array<[string, string, Counter]> = [
  ["fixg_bytes_received_total", "Bytes received on the session.", (r) => r.counters.bytesIn],
  ["fixg_bytes_sent_total", "Bytes sent on the session.", (r) => r.counters.bytesOut],
  ["fixg_garbled_messages_total", "Inbound frames dropped as garbled.", (r) => r.counters.garbled],
  [
    "fixg_rejects_received_total",
    "Session-level Rejects (35=3) received.",
    (r) => r.counters.rejectsReceived,
  ],
  [
    "fixg_business_rejects_sent_total",
    "BusinessMessageRejects (35=j) sent for unsupported types.",
    (r) => r.counters.businessRejectsSent,
  ],
  ["fixg_resend_requests_sent_total", "ResendRequests (35=2) sent.", (r) => r.counters.resendRequestsSent],
  [
    "fixg_resend_requests_received_total",
    "ResendRequests (35=2) received.",
    (r) => r.counters.resendRequestsReceived,
  ],
  [
    "fixg_gap_fills_sent_total",
    "SequenceReset-GapFill messages sent in answer to ResendRequests.",
    (r) => r.counters.gapFillsSent,
  ],
  ["fixg_messages_resent_total", "Messages resent with PossDupFlag=Y.", (r) => r.counters.messagesResent],
  [
    "fixg_gaps_detected_total",
    "Inbound sequence gaps detected (MsgSeqNum too high).",
    (r) => r.counters.gapsDetected,
  ],
  [
    "fixg_heartbeats_missed_total",
    "TestRequests that went unanswered (heartbeat timeout).",
    (r) => r.counters.heartbeatsMissed,
  ],
  ["fixg_reconnects_total", "Reconnect attempts of an initiator.", (r) => r.counters.reconnects],
  ["fixg_logons_total", "Logons completed.", (r) => r.counters.logons],
  [
    "fixg_logons_refused_total",
    "Logons refused (authentication, address, schedule, invalid Logon).",
    (r) => r.counters.logonsRefused,
  ],
  ["fixg_disconnects_total", "Connections closed.", (r) => r.counters.disconnects],
  ["fixg_back_pressure_total", "Sends answered with back-pressure.", (r) => r.counters.backPressureEvents],
  [
    "fixg_throttled_inbound_total",
    "Inbound application messages over the inbound throttle.",
    (r) => r.counters.throttledIn,
  ],
  [
    "fixg_throttle_outbound_waits_total",
    "Times the outbound throttle held queued messages back.",
    (r) => r.counters.throttledOutWaits,
  ],
  [
    "fixg_orders_refused_total",
    "Order-entry sends refused: the kill switch blocks orders, or a risk limit.",
    (r) => r.counters.ordersRefused,
  ],
  [
    "fixg_risk_refusals_total",
    "Order-entry sends refused by a risk limit (risk: in fixg.yaml), a tripped circuit breaker included.",
    (r) => r.counters.riskRefusals,
  ],
  [
    "fixg_kill_switch_cancels_total",
    "OrderCancelRequests queued by the kill switch.",
    (r) => r.counters.killSwitchCancels,
  ],
  [
    "fixg_store_errors_total",
    "Store (journal) write failures; the session stopped sending (disk full, I/O error).",
    (r) => r.counters.storeErrors,
  ],
  [
    "fixg_write_timeouts_total",
    "Disconnects because the peer did not read for outbound.writeTimeoutSec.",
    (r) => r.counters.writeTimeouts,
  ],
  [
    "fixg_read_pauses_total",
    "Times the session stopped reading: more than outbound.maxBufferBytes held for or from the peer.",
    (r) => r.counters.readPauses,
  ],
  [
    "fixg_resend_requests_ignored_total",
    "ResendRequests answered with nothing: their range was being resent when they came in.",
    (r) => r.counters.resendRequestsIgnored,
  ],
  [
    "fixg_resend_read_failures_total",
    "Resends whose store read failed: the connection ended instead of a gap fill; the peer asks again.",
    (r) => r.counters.resendReadFailures,
  ],
  [
    "fixg_outbound_starvation_promotions_total",
    "Queued messages sent ahead of higher priorities by the starvation guard.",
    (r) => r.outbound.starvationPromotions,
  ],
];

/** Per-session gauges. */
const SESSION_GAUGES: Array<[string, string, Counter]> = [
  ["fixg_next_sender_seq_num", "Next MsgSeqNum the session sends.", (r) => r.status().nextSenderSeq],
  ["fixg_next_target_seq_num", "Next MsgSeqNum the session expects.", (r) => r.status().nextTargetSeq],
  ["fixg_session_connected", "1 while a connection is attached.", (r) => (r.connected ? 1 : 0)],
  [
    "fixg_outbound_buffered_bytes",
    "Outbound bytes buffered in the session (bounded by outbound.maxBufferBytes).",
    (r) => r.outboundBufferedBytes,
  ],
  ["fixg_session_logged_on", "1 while logged on.", (r) => (r.loggedOn ? 1 : 0)],
  ["fixg_session_in_sync", "1 when no inbound gap is outstanding.", (r) => (r.status().inSync ? 1 : 0)],
  ["fixg_open_orders", "Orders acknowledged and not done.", (r) => r.orders.open().length],
  [
    "fixg_session_orders_blocked",
    "1 while order entry is blocked (kill switch).",
    (r) => (r.ordersBlocked === undefined ? 0 : 1),
  ],
  [
    "fixg_last_heartbeat_received_timestamp_seconds",
    "When the last Heartbeat came in (Unix seconds, 0 = never).",
    (r) => r.counters.lastHeartbeatInMs / 1000,
  ],
  [
    "fixg_last_heartbeat_sent_timestamp_seconds",
    "When the last Heartbeat went out (Unix seconds, 0 = never).",
    (r) => r.counters.lastHeartbeatOutMs / 1000,
  ],
  [
    "fixg_last_received_timestamp_seconds",
    "When the last message came in (Unix seconds).",
    (r) => r.status().lastReceivedMs / 1000,
  ],
];

function value(name: string, help: string, type: "counter" | "gauge", samples: ValueSample[]): MetricFamily {
  return { name, help, type, samples };
}

function histo(h: BucketHistogram, labels: Labels): HistogramSample {
  return { labels, upperBounds: h.upperBounds, bucketCounts: h.bucketCounts, sum: h.sum, count: h.count };
}

/** Families for every session of the gateway, the kill switch, the store and the tuning knobs. */
export function gatewayFamilies(
  gw: Gateway,
  tuning: () => EffectReport[] = () => gw.tuningReports(),
): MetricFamily[] {
  const runners = gw.runners();
  const fams: MetricFamily[] = [];
  const s = (r: SessionRunner): Labels => ({ session: r.key });
  fams.push(value("fixg_build_info", "fixg version.", "gauge", [{ labels: { version: VERSION }, value: 1 }]));
  fams.push(value(
    "fixg_session_info",
    "One per session: its key, configured name and role.",
    "gauge",
    runners.map((r) => ({
      labels: { session: r.key, name: gw.sessionName(r.key) ?? "", role: r.config.role },
      value: 1,
    })),
  ));
  const inT: ValueSample[] = [], outT: ValueSample[] = [];
  for (const r of runners) {
    for (const [t, n] of r.counters.inByType) inT.push({ labels: { session: r.key, msg_type: t }, value: n });
    for (const [t, n] of r.counters.outByType) {
      outT.push({ labels: { session: r.key, msg_type: t }, value: n });
    }
  }
  fams.push(value("fixg_messages_received_total", "Messages received, by MsgType.", "counter", inT));
  fams.push(
    value(
      "fixg_messages_sent_total",
      "Messages sent (first sends and resends), by MsgType.",
      "counter",
      outT,
    ),
  );
  const rej: ValueSample[] = [];
  for (const r of runners) {
    for (const [reason, n] of r.counters.rejectsByReason) {
      rej.push({ labels: { session: r.key, reason }, value: n });
    }
  }
  fams.push(
    value(
      "fixg_rejects_sent_total",
      "Session-level Rejects (35=3) sent, by SessionRejectReason (373).",
      "counter",
      rej,
    ),
  );
  for (const [name, help, f] of SESSION_COUNTERS) {
    fams.push(value(name, help, "counter", runners.map((r) => ({ labels: s(r), value: f(r) }))));
  }
  for (const [name, help, f] of SESSION_GAUGES) {
    fams.push(value(name, help, "gauge", runners.map((r) => ({ labels: s(r), value: f(r) }))));
  }
  const state: ValueSample[] = [];
  for (const r of runners) {
    const phase = r.state.phase;
    for (const p of PHASES) state.push({ labels: { session: r.key, state: p }, value: p === phase ? 1 : 0 });
  }
  fams.push(value("fixg_session_state", "Session phase: 1 for the current one.", "gauge", state));
  fams.push(value(
    "fixg_session_expected_up",
    "1 when the session should be logged on: enabled, not held by an operator, inside its schedule window.",
    "gauge",
    runners.map((r) => {
      const st = gw.sessionStatus(r.key);
      return { labels: s(r), value: st && st.enabled && !st.held && st.inWindow ? 1 : 0 };
    }),
  ));
  const depth: ValueSample[] = [];
  const wait: HistogramSample[] = [];
  for (const r of runners) {
    for (const p of PRIORITIES) {
      depth.push({ labels: { session: r.key, priority: p }, value: r.outbound.depth(p) });
      wait.push(histo(r.outbound.waitSeconds[p], { session: r.key, priority: p }));
    }
  }
  fams.push(
    value(
      "fixg_outbound_queue_depth",
      "Application messages waiting to be sent, by priority.",
      "gauge",
      depth,
    ),
  );
  fams.push({
    name: "fixg_outbound_queue_wait_seconds",
    help: "Time messages waited in the outbound queue, by priority.",
    type: "histogram",
    samples: wait,
  });
  const ack: HistogramSample[] = [];
  for (const r of runners) {
    for (const k of ["D", "G", "F"] as const) {
      ack.push(histo(r.orders.ackSeconds[k], { session: r.key, request: k }));
    }
  }
  fams.push({
    name: "fixg_order_ack_latency_seconds",
    help:
      "From a request (D new order, G replace, F cancel) leaving its queue to the first ExecutionReport for its ClOrdID.",
    type: "histogram",
    samples: ack,
  });
  fams.push(value(
    "fixg_prelogon_refused_total",
    "Connections refused before a session took them (bad Logon, unknown session, failed authentication...), by reason; never per peer.",
    "counter",
    [...gw.refusals()].map(([reason, n]) => ({ labels: { reason }, value: n })),
  ));
  fams.push(value(
    "fixg_prelogon_connections",
    "Connections accepted that have not logged on yet (TLS handshakes included); bounded by limits.maxPendingConnections.",
    "gauge",
    [{ labels: {}, value: gw.preLogonConnections }],
  ));
  fams.push(value(
    "fixg_accept_errors_total",
    "Failed accepts on an acceptor port (too many open files...); the listener backs off and retries.",
    "counter",
    [{ labels: {}, value: gw.acceptErrors }],
  ));
  fams.push(value(
    "fixg_tls_certificate_expiry_timestamp_seconds",
    "When our TLS certificate expires (Unix seconds), per acceptor port (and per initiator session, with the token).",
    "gauge",
    gw.certificates().map((c) => ({
      labels: c.acceptor !== undefined ? { acceptor: c.acceptor } : { session: c.session! },
      value: c.info.notAfterMs / 1000,
    })),
  ));
  const statuses = gw.statuses();
  const down = statuses.filter((st) => st.enabled && !st.held && st.inWindow && !st.loggedOn).length;
  fams.push(value("fixg_sessions", "Sessions the gateway runs (configured and dynamic).", "gauge", [
    { labels: {}, value: statuses.length },
  ]));
  fams.push(value("fixg_sessions_logged_on", "Sessions logged on.", "gauge", [
    { labels: {}, value: statuses.filter((st) => st.loggedOn).length },
  ]));
  fams.push(value(
    "fixg_sessions_down",
    "Sessions that should be logged on (enabled, not held, inside their window) and are not.",
    "gauge",
    [{ labels: {}, value: down }],
  ));
  const k = gw.killSwitch;
  fams.push(
    value("fixg_kill_switch_engaged", "1 while the kill switch is engaged.", "gauge", [{
      labels: {},
      value: k.engaged ? 1 : 0,
    }]),
  );
  const store = gw.store;
  if (store instanceof InstrumentedStore) {
    const st = store.stats;
    fams.push(
      value("fixg_journal_bytes_total", "Message bytes appended to the store, by direction.", "counter", [
        { labels: { direction: "in" }, value: st.bytesIn },
        { labels: { direction: "out" }, value: st.bytesOut },
      ]),
    );
    fams.push(
      value("fixg_journal_messages_total", "Messages appended to the store, by direction.", "counter", [
        { labels: { direction: "in" }, value: st.messagesIn },
        { labels: { direction: "out" }, value: st.messagesOut },
      ]),
    );
    fams.push(
      value(
        "fixg_journal_flush_errors_total",
        "Store flushes that failed (disk full, I/O error).",
        "counter",
        [{ labels: {}, value: st.flushErrors }],
      ),
    );
    fams.push({
      name: "fixg_journal_flush_seconds",
      help:
        "Time the engine waited for the store to make writes durable (includes fdatasync under fsync batch/always).",
      type: "histogram",
      samples: [histo(st.flushSeconds, {})],
    });
  }
  if (store.commitMetrics !== undefined) fams.push(...commitFamilies(store, store.commitMetrics()));
  fams.push(value(
    "fixg_tuning_ok",
    "1 when a tuning knob took effect as requested, 0 when not (see the logs or --print-effective-config).",
    "gauge",
    tuning().map((r) => ({ labels: { knob: r.knob }, value: r.ok ? 1 : 0 })),
  ));
  return fams;
}

/** Commit latency per group of each store with commit metrics, filled through its observeCommits. */
const commitHistograms = new WeakMap<MessageStore, BucketHistogram>();

/** The group commits of a store with the commitMetrics capability (PostgreSQL) and, in a cluster, the leases held (docs/ha.md). */
function commitFamilies(store: MessageStore, st: CommitMetrics): MetricFamily[] {
  let h = commitHistograms.get(store);
  if (h === undefined) {
    const hist = new BucketHistogram(FLUSH_BUCKETS_SECONDS);
    h = hist;
    commitHistograms.set(store, hist);
    store.observeCommits?.((ms) => hist.observe(ms / 1000));
  }
  const fams: MetricFamily[] = [
    value("fixg_store_commits_total", "Group commits of the PostgreSQL store.", "counter", [
      { labels: {}, value: st.commits },
    ]),
    value("fixg_store_committed_messages_total", "Messages committed by the PostgreSQL store.", "counter", [
      { labels: {}, value: st.messages },
    ]),
    value(
      "fixg_store_fenced_total",
      "Sessions whose commit found another owner's epoch (fenced: they stop sending).",
      "counter",
      [{ labels: {}, value: st.fenced }],
    ),
    value("fixg_store_commit_retries_total", "Commits retried after a lost connection.", "counter", [
      { labels: {}, value: st.retries },
    ]),
    {
      name: "fixg_store_commit_seconds",
      help: "Duration of each group commit of the PostgreSQL store (synchronous replication included).",
      type: "histogram",
      samples: [histo(h, {})],
    },
  ];
  const leases = st.leases;
  if (leases !== undefined) {
    fams.push(
      value("fixg_cluster_leases_held", "Sessions whose lease this gateway holds.", "gauge", [
        { labels: {}, value: leases.size },
      ]),
      value(
        "fixg_cluster_epoch",
        "The owner epoch this gateway holds each session with (sessions it holds only).",
        "gauge",
        [...leases].map(([session, epoch]) => ({ labels: { session }, value: epoch })),
      ),
    );
  }
  return fams;
}

/** A registry with the gateway's families, process metrics and event-loop delay. */
export function gatewayRegistry(
  gw: Gateway,
  options: { eventLoop?: EventLoopDelayMonitor; tuning?: () => EffectReport[] } = {},
): MetricsRegistry {
  const reg = new MetricsRegistry();
  reg.register(() => gatewayFamilies(gw, options.tuning));
  reg.register(processCollector());
  if (options.eventLoop) reg.register(options.eventLoop.collector("fixg_"));
  return reg;
}
