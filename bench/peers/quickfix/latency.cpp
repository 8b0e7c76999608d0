// fixg's QuickFIX C++ latency client: a FIX 4.4 initiator (memory store, UseDataDictionary=Y) that measures
// NewOrderSingle -> ExecutionReport round trips against HOST:PORT, for the QuickFIX -> QuickFIX row of
// bench/peer_latency.ts. Modes: pingpong (one order in flight; the next leaves from the callback that
// received the answer, QuickFIX's fastest path) and burst (COUNT orders sent back to back from the main
// thread, each timed from its own send). WARMUP orders of the same mode go first, unmeasured. Prints one
// JSON line with the same keys as the other peer clients (bench/peers/latency_stats.mjs): count, p50Us,
// p90Us, p99Us, p999Us, maxUs, meanUs, msgsPerSec (exact nearest-rank percentiles of every sample).
//
// An answer is timed in the application callback, after QuickFIX parsed, validated and sequenced it;
// `fixg bench` stamps an answer when its bytes are read. QuickFIX's figure therefore includes its inbound
// processing of the answer (a few µs) and fixg's does not.
//
// usage: qf_latency HOST:PORT [--mode pingpong|burst] [--count 10000] [--warmup 2000]
//                   [--sender-comp-id BENCH] [--target-comp-id LP] [--timeout-sec 120] [--dict PATH]
// Exit 0 when every order was answered, 1 otherwise, 2 on a usage error.
#include "common.h"

#include <quickfix/MessageCracker.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <sstream>
#include <condition_variable>
#include <iostream>
#include <vector>

namespace {

const char* USAGE =
    "usage: qf_latency HOST:PORT [--mode pingpong|burst] [--count 10000] [--warmup 2000]\n"
    "                  [--sender-comp-id BENCH] [--target-comp-id LP] [--timeout-sec 120] [--dict PATH]\n"
    "  NewOrderSingle -> ExecutionReport latency through QuickFIX (memory store, dictionary validation on);\n"
    "  prints one JSON line of percentiles in microseconds.\n";

using Clock = std::chrono::steady_clock;

class LatencyApp : public FIX::Application, public FIX::MessageCracker {
public:
  bool pingPong = true;
  FIX::SessionID sessionId;

  void onCreate(const FIX::SessionID& id) override { sessionId = id; }
  void onLogon(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    loggedOn = true;
    changed.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    loggedOn = false;
    changed.notify_all();
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    if (peers::msgTypeOf(m) == "8") crack(m, id);
  }

  void onMessage(const FIX44::ExecutionReport& m, const FIX::SessionID&) override {
    const Clock::time_point at = Clock::now();
    FIX::ExecType execType;
    FIX::ClOrdID clOrdId;
    m.get(execType);
    if (execType.getValue() != FIX::ExecType_NEW || !m.getIfSet(clOrdId)) return;
    const std::string& id = clOrdId.getValue();
    long i = id.size() > 1 ? std::strtol(id.c_str() + 1, nullptr, 10) : -1;
    if (i < first || i >= end || answered[i - first]) return;
    answered[i - first] = true;
    samplesNs[i - first] = std::chrono::duration_cast<std::chrono::nanoseconds>(at - sentAt[i - first]).count();
    lastAnswerAt = at;
    if (++answeredCount == end - first) {
      std::lock_guard<std::mutex> lock(mutex);
      changed.notify_all();
      return;
    }
    if (pingPong) sendOrder(i + 1);
  }

  /// Prepares the orders first..end-1 (their send times and samples).
  void plan(long from, long to) {
    first = from;
    end = to;
    answeredCount = 0;
    sentAt.assign(to - from, Clock::time_point());
    samplesNs.assign(to - from, 0);
    answered.assign(to - from, false);
  }

  void sendOrder(long i) {
    FIX44::NewOrderSingle order(FIX::ClOrdID("Q" + std::to_string(i)), FIX::Side(i % 2 == 0 ? FIX::Side_BUY : FIX::Side_SELL),
                                FIX::TransactTime(), FIX::OrdType(FIX::OrdType_LIMIT));
    order.set(FIX::Symbol("EUR/USD"));
    order.set(FIX::OrderQty(100000));
    order.set(FIX::Price(i % 2 == 0 ? 1.0849 : 1.0851));
    order.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
    sentAt[i - first] = Clock::now();
    FIX::Session::sendToTarget(order, sessionId);
  }

  /// Waits until every order of the plan is answered or the deadline passes.
  bool waitAll(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_until(lock, deadline, [&] { return answeredCount.load() == end - first; });
  }

  std::mutex mutex;
  std::condition_variable changed;
  bool loggedOn = false;
  long first = 0;
  long end = 0;
  std::atomic<long> answeredCount{0};
  std::vector<Clock::time_point> sentAt;
  std::vector<long long> samplesNs;
  std::vector<bool> answered;
  Clock::time_point lastAnswerAt;
};

/// Runs orders from..to-1 in the mode; true when all were answered. `elapsedNs`: first send to last answer.
bool runOrders(LatencyApp& app, long from, long to, Clock::time_point deadline, long long& elapsedNs) {
  app.plan(from, to);
  const Clock::time_point t0 = Clock::now();
  if (app.pingPong) {
    app.sendOrder(from);
  } else {
    for (long i = from; i < to; ++i) app.sendOrder(i);
  }
  bool all = app.waitAll(deadline);
  elapsedNs = std::chrono::duration_cast<std::chrono::nanoseconds>(app.lastAnswerAt - t0).count();
  return all;
}

double percentileUs(const std::vector<long long>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * sorted.size()));
  rank = std::min(sorted.size(), std::max<size_t>(1, rank));
  return std::round(sorted[rank - 1] / 10.0) / 100.0;
}

std::string fmt(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string settingsText;
  std::string mode;
  long count = 0, warmup = 0, timeoutSec = 0;
  try {
    peers::Args args(argc, argv, {"mode", "count", "warmup", "sender-comp-id", "target-comp-id", "timeout-sec", "dict"},
                     {"help"});
    if (args.flag("help")) {
      std::cout << USAGE;
      return peers::EXIT_OK;
    }
    if (args.positional.size() != 1) throw peers::UsageError{"expected exactly one HOST:PORT argument"};
    const std::string target = args.positional[0];
    size_t colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0) throw peers::UsageError{"expected HOST:PORT, got \"" + target + "\""};
    char* endp = nullptr;
    long port = std::strtol(target.c_str() + colon + 1, &endp, 10);
    if (*endp != '\0' || port < 1 || port > 65535) throw peers::UsageError{"bad port in \"" + target + "\""};
    mode = args.str("mode", "pingpong");
    if (mode != "pingpong" && mode != "burst") throw peers::UsageError{"--mode must be pingpong or burst"};
    count = args.integer("count", 10000, 1, 10000000);
    warmup = args.integer("warmup", count / 5, 0, 10000000);
    timeoutSec = args.integer("timeout-sec", 120, 1, 86400);
    std::string dict = args.str("dict", peers::defaultDictionaryPath());
    peers::requireReadable(dict);
    settingsText = "[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=" + target.substr(0, colon) +
                   "\nSocketConnectPort=" + std::to_string(port) +
                   "\nSocketNodelay=Y\nReconnectInterval=1\nStartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=30\n"
                   "UseDataDictionary=Y\nDataDictionary=" + dict + "\nResetOnLogon=Y\n\n[SESSION]\nBeginString=FIX.4.4\n"
                   "SenderCompID=" + args.str("sender-comp-id", "BENCH") + "\nTargetCompID=" +
                   args.str("target-comp-id", "LP") + "\n";
  } catch (const peers::UsageError& e) {
    return peers::usageFailed("qf_latency", e, USAGE);
  }

  LatencyApp app;
  app.pingPong = mode == "pingpong";
  peers::EventLogFactory eventLogs(false);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(timeoutSec);
  bool ok = false;
  long long elapsedNs = 0;
  try {
    FIX::SessionSettings settings = peers::settingsFromText(settingsText);
    FIX::MemoryStoreFactory store;
    FIX::SocketInitiator initiator(app, store, settings, eventLogs);
    initiator.start();
    bool logon;
    {
      std::unique_lock<std::mutex> lock(app.mutex);
      logon = app.changed.wait_until(lock, deadline, [&] { return app.loggedOn; });
    }
    if (!logon) {
      std::cerr << "qf_latency: no logon within " << timeoutSec << " s\n";
    } else {
      long long warmNs = 0;
      ok = (warmup == 0 || runOrders(app, 0, warmup, deadline, warmNs)) &&
           runOrders(app, warmup, warmup + count, deadline, elapsedNs);
      if (!ok) std::cerr << "qf_latency: " << (count - app.answeredCount.load()) << " orders unanswered\n";
    }
    initiator.stop();
  } catch (const std::exception& e) {
    std::cerr << "qf_latency: " << e.what() << "\n";
    return peers::EXIT_FAILURE_RUN;
  }
  if (!ok) return peers::EXIT_FAILURE_RUN;

  std::vector<long long> sorted = app.samplesNs;
  std::sort(sorted.begin(), sorted.end());
  long double sum = 0;
  for (long long v : sorted) sum += v;
  const double meanUs = std::round(static_cast<double>(sum / sorted.size()) / 10.0) / 100.0;
  const long msgsPerSec = elapsedNs > 0 ? std::lround(count / (elapsedNs / 1e9)) : 0;
  peers::emitLine(std::string("{\"peer\":\"quickfix\",\"runtime\":\"C++\",\"mode\":\"") + mode + "\",\"count\":" + std::to_string(count) +
                  ",\"p50Us\":" + fmt(percentileUs(sorted, 0.5)) + ",\"p90Us\":" + fmt(percentileUs(sorted, 0.9)) +
                  ",\"p99Us\":" + fmt(percentileUs(sorted, 0.99)) + ",\"p999Us\":" + fmt(percentileUs(sorted, 0.999)) +
                  ",\"maxUs\":" + fmt(percentileUs(sorted, 1)) + ",\"meanUs\":" + fmt(meanUs) +
                  ",\"msgsPerSec\":" + std::to_string(msgsPerSec) + "}");
  return peers::EXIT_OK;
}
