import assert from "node:assert/strict";
import {
  escapeLabelValue,
  exponentialBuckets,
  LatencyHistogram,
  latencyHistogramSample,
  linearBuckets,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
  renderPrometheus,
} from "../../src/metrics/mod.ts";
import { FixgError } from "../../src/errors.ts";

Deno.test("a small registry renders the exact Prometheus text exposition", () => {
  const registry = new MetricsRegistry();
  const messagesIn = registry.counter("fixg_messages_in_total", "Messages received.", [
    "session",
    "msg_type",
  ]);
  const queue = registry.gauge("fixg_outbound_queue_depth", "Messages waiting to be sent.", ["priority"]);
  const ackLatency = registry.histogram("fixg_order_ack_seconds", "Order to ack latency.", [0.0001, 0.001]);
  const heartbeat = messagesIn.cell("FIX.4.4:GW->LP", "0");
  heartbeat.value++;
  heartbeat.value++;
  messagesIn.cell('odd"one\\with\nnewline', "D").value = 1;
  queue.cell("high").value = 3;
  const h = ackLatency.cell();
  h.observe(0.00005);
  h.observe(0.0005);
  h.observe(0.5);
  registry.register(() => [{
    name: "fixg_session_state",
    help: "Session phase: 1 when in that phase.\nOne line per phase.",
    type: "gauge",
    samples: [{ labels: { session: "FIX.4.4:GW->LP", phase: "active" }, value: 1 }],
  }]);
  assert.equal(
    registry.render(),
    [
      "# HELP fixg_messages_in_total Messages received.",
      "# TYPE fixg_messages_in_total counter",
      'fixg_messages_in_total{session="FIX.4.4:GW->LP",msg_type="0"} 2',
      'fixg_messages_in_total{session="odd\\"one\\\\with\\nnewline",msg_type="D"} 1',
      "# HELP fixg_outbound_queue_depth Messages waiting to be sent.",
      "# TYPE fixg_outbound_queue_depth gauge",
      'fixg_outbound_queue_depth{priority="high"} 3',
      "# HELP fixg_order_ack_seconds Order to ack latency.",
      "# TYPE fixg_order_ack_seconds histogram",
      'fixg_order_ack_seconds_bucket{le="0.0001"} 1',
      'fixg_order_ack_seconds_bucket{le="0.001"} 2',
      'fixg_order_ack_seconds_bucket{le="+Inf"} 3',
      "fixg_order_ack_seconds_sum 0.50055",
      "fixg_order_ack_seconds_count 3",
      "# HELP fixg_session_state Session phase: 1 when in that phase.\\nOne line per phase.",
      "# TYPE fixg_session_state gauge",
      'fixg_session_state{session="FIX.4.4:GW->LP",phase="active"} 1',
      "",
    ].join("\n"),
  );
  assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});

Deno.test("collectors with the same family name merge; a type clash and bad names are bugs", () => {
  const registry = new MetricsRegistry();
  const family = (session: string, value: number) => () => [{
    name: "fixg_seq_out",
    help: "Next outgoing MsgSeqNum.",
    type: "gauge" as const,
    samples: [{ labels: { session }, value }],
  }];
  const removeA = registry.register(family("A", 5));
  registry.register(family("B", 7));
  assert.equal(
    registry.render(),
    '# HELP fixg_seq_out Next outgoing MsgSeqNum.\n# TYPE fixg_seq_out gauge\nfixg_seq_out{session="A"} 5\nfixg_seq_out{session="B"} 7\n',
  );
  removeA();
  assert.match(registry.render(), /^fixg_seq_out\{session="B"\} 7$/m);
  assert.doesNotMatch(registry.render(), /session="A"/);
  registry.register(() => [{ name: "fixg_seq_out", help: "x", type: "counter", samples: [] }]);
  assert.throws(() => registry.render(), FixgError);
  assert.throws(() => new MetricsRegistry().counter("bad-name", "x"), FixgError);
  assert.throws(() => new MetricsRegistry().counter("ok_total", "x", ["__reserved"]), FixgError);
  assert.throws(() => new MetricsRegistry().histogram("h", "x", [1, 1]), FixgError);
  assert.throws(() => new MetricsRegistry().histogram("h", "x", [1], ["le"]), FixgError);
  assert.throws(() => new MetricsRegistry().counter("c_total", "x", ["a"]).cell(), FixgError);
});

Deno.test("special values and label escaping follow the exposition format", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  assert.equal(
    renderPrometheus([{
      name: "x",
      help: "back\\slash",
      type: "untyped",
      samples: [
        { labels: {}, value: Number.NaN },
        { labels: { k: "1" }, value: Infinity },
        { labels: { k: "2" }, value: -Infinity },
      ],
    }]),
    '# HELP x back\\\\slash\n# TYPE x untyped\nx NaN\nx{k="1"} +Inf\nx{k="2"} -Inf\n',
  );
  assert.equal(renderPrometheus([]), "");
});

Deno.test("latencyHistogramSample turns the hot-path histogram into le buckets in seconds", () => {
  const h = new LatencyHistogram({ unit: "ns" });
  for (const ns of [20_000, 40_000, 60_000, 2_000_000]) h.record(ns);
  const sample = latencyHistogramSample(h, [0.00005, 0.001], { session: "S" });
  assert.deepEqual(Array.from(sample.bucketCounts), [2, 1, 1]);
  assert.equal(sample.count, 4);
  assert.equal(sample.sum, 0.00212);
  assert.equal(
    renderPrometheus([{ name: "fixg_ack_seconds", help: "h", type: "histogram", samples: [sample] }]),
    [
      "# HELP fixg_ack_seconds h",
      "# TYPE fixg_ack_seconds histogram",
      'fixg_ack_seconds_bucket{session="S",le="0.00005"} 2',
      'fixg_ack_seconds_bucket{session="S",le="0.001"} 3',
      'fixg_ack_seconds_bucket{session="S",le="+Inf"} 4',
      'fixg_ack_seconds_sum{session="S"} 0.00212',
      'fixg_ack_seconds_count{session="S"} 4',
      "",
    ].join("\n"),
  );
});

Deno.test("bucket helpers", () => {
  assert.deepEqual(exponentialBuckets(1, 2, 4), [1, 2, 4, 8]);
  assert.deepEqual(linearBuckets(0, 5, 3), [0, 5, 10]);
  assert.throws(() => exponentialBuckets(0, 2, 3), FixgError);
});

Deno.test("store flush buckets: the latency scale from 50 µs plus 5 s", async () => {
  const { FLUSH_BUCKETS_SECONDS } = await import("../../src/engine/store_stats.ts");
  assert.deepEqual(FLUSH_BUCKETS_SECONDS, [
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    5,
  ]);
});
