// fixg's QuickFIX C++ counterparty: a FIX 4.4 acceptor with an in-memory store and dictionary
// validation on. It acknowledges every NewOrderSingle with an ExecutionReport (150=0 39=0) and,
// with --fill, fills it at once; it also answers cancels, replaces and market data requests so a
// client can run its whole order flow against it. Used by fixg's peer benchmark and interop tests.
//
// usage: qf_acceptor --port N [--sender-comp-id LP] [--target-comp-id CLIENT[,CLIENT2...]]
//                    [--dict FIX44.xml] [--fill] [--reset-on-logon] [--log-dir DIR] [--verbose]
//                    [--exit-on-eof] [--print-config]
// stdout: {"event":"listening",...} once it accepts, {"event":"stopped",...} with counts on exit.
// Stops on SIGINT/SIGTERM (and on stdin EOF with --exit-on-eof).
#include "common.h"

#include <quickfix/MessageCracker.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/Values.h>
#include <quickfix/fix44/BusinessMessageReject.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/MarketDataRequest.h>
#include <quickfix/fix44/MarketDataSnapshotFullRefresh.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelReject.h>
#include <quickfix/fix44/OrderCancelReplaceRequest.h>
#include <quickfix/fix44/OrderCancelRequest.h>

#include <csignal>
#include <deque>
#include <iostream>
#include <memory>
#include <thread>
#include <unordered_map>

namespace {

const char* USAGE =
    "usage: qf_acceptor --port N [--sender-comp-id LP] [--target-comp-id CLIENT[,CLIENT2...]]\n"
    "                   [--dict PATH] [--fill] [--reset-on-logon] [--log-dir DIR] [--verbose]\n"
    "                   [--exit-on-eof] [--print-config]\n"
    "  A FIX 4.4 QuickFIX acceptor (memory store, UseDataDictionary=Y) that acks every\n"
    "  NewOrderSingle (and fills it with --fill). Stops on SIGINT/SIGTERM.\n";

// Orders remembered for cancel/replace; bounded so a long benchmark without fills cannot grow
// the process without limit (an evicted order is answered as unknown).
const size_t MAX_OPEN_ORDERS = 200000;

struct Order {
  std::string orderId;
  std::string symbol;
  char side;
  double qty;
  double price;
  char ordType;
};

class AcceptorApp : public FIX::Application, public FIX::MessageCracker {
public:
  explicit AcceptorApp(bool fill) : m_fill(fill) {}

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    ++logons;
    lastLogon = id.toString();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    ++logouts;
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override { countSent(m); }
  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) override { countSent(m); }

  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string t = peers::msgTypeOf(m);
    ++received[t];
    if (t == "3") ++rejectsReceived;
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      std::string t = peers::msgTypeOf(m);
      ++received[t];
      if (t == "j") ++businessRejectsReceived;
    }
    // Unhandled types throw UnsupportedMessageType; QuickFIX answers with a BusinessMessageReject.
    crack(m, id);
  }

  void onMessage(const FIX44::NewOrderSingle& m, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdId;
    FIX::Symbol symbol;
    FIX::Side side;
    FIX::OrdType ordType;
    FIX::OrderQty orderQty;
    m.get(clOrdId);
    m.get(side);
    m.get(ordType);
    m.get(orderQty);  // OrderQtyData carries no required field, but an order without a size is useless
    bool hasSymbol = m.getIfSet(symbol);
    FIX::Price price;
    bool hasPrice = m.getIfSet(price);

    Order order;
    std::string execId;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      order.orderId = "O" + std::to_string(++m_nextOrderId);
      execId = nextExecId();
      order.symbol = hasSymbol ? symbol.getValue() : "";
      order.side = side.getValue();
      order.qty = orderQty.getValue();
      order.price = hasPrice ? price.getValue() : 100.0;
      order.ordType = ordType.getValue();
      if (!m_fill) remember(clOrdId.getValue(), order);
    }

    FIX44::ExecutionReport ack(FIX::OrderID(order.orderId), FIX::ExecID(execId),
                               FIX::ExecType(FIX::ExecType_NEW), FIX::OrdStatus(FIX::OrdStatus_NEW),
                               FIX::Side(order.side), FIX::LeavesQty(order.qty), FIX::CumQty(0),
                               FIX::AvgPx(0));
    ack.set(clOrdId);
    if (hasSymbol) ack.set(symbol);
    ack.set(orderQty);
    ack.set(ordType);
    if (hasPrice) ack.set(price);
    ack.set(FIX::TransactTime());
    FIX::Session::sendToTarget(ack, id);

    if (m_fill) {
      std::string fillExecId;
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        fillExecId = nextExecId();
      }
      FIX44::ExecutionReport fill(FIX::OrderID(order.orderId), FIX::ExecID(fillExecId),
                                  FIX::ExecType(FIX::ExecType_TRADE), FIX::OrdStatus(FIX::OrdStatus_FILLED),
                                  FIX::Side(order.side), FIX::LeavesQty(0), FIX::CumQty(order.qty),
                                  FIX::AvgPx(order.price));
      fill.set(clOrdId);
      if (hasSymbol) fill.set(symbol);
      fill.set(orderQty);
      fill.set(ordType);
      if (hasPrice) fill.set(price);
      fill.set(FIX::LastQty(order.qty));
      fill.set(FIX::LastPx(order.price));
      fill.set(FIX::TransactTime());
      FIX::Session::sendToTarget(fill, id);
    }
  }

  void onMessage(const FIX44::OrderCancelRequest& m, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdId;
    FIX::OrigClOrdID origClOrdId;
    FIX::Side side;
    m.get(clOrdId);
    m.get(origClOrdId);
    m.get(side);
    Order order;
    std::string execId;
    bool known;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      known = take(origClOrdId.getValue(), order);
      if (known) execId = nextExecId();
    }
    if (!known) {
      sendCancelReject(clOrdId, origClOrdId, FIX::CxlRejResponseTo_ORDER_CANCEL_REQUEST, id);
      return;
    }
    FIX44::ExecutionReport report(FIX::OrderID(order.orderId), FIX::ExecID(execId),
                                  FIX::ExecType(FIX::ExecType_CANCELED),
                                  FIX::OrdStatus(FIX::OrdStatus_CANCELED), FIX::Side(order.side),
                                  FIX::LeavesQty(0), FIX::CumQty(0), FIX::AvgPx(0));
    report.set(clOrdId);
    report.set(origClOrdId);
    if (!order.symbol.empty()) report.set(FIX::Symbol(order.symbol));
    report.set(FIX::OrderQty(order.qty));
    report.set(FIX::TransactTime());
    FIX::Session::sendToTarget(report, id);
  }

  void onMessage(const FIX44::OrderCancelReplaceRequest& m, const FIX::SessionID& id) override {
    FIX::ClOrdID clOrdId;
    FIX::OrigClOrdID origClOrdId;
    FIX::OrdType ordType;
    m.get(clOrdId);
    m.get(origClOrdId);
    m.get(ordType);
    FIX::OrderQty orderQty;
    bool hasQty = m.getIfSet(orderQty);
    FIX::Price price;
    bool hasPrice = m.getIfSet(price);
    Order order;
    std::string execId;
    bool known;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      known = take(origClOrdId.getValue(), order);
      if (known) {
        if (hasQty) order.qty = orderQty.getValue();
        if (hasPrice) order.price = price.getValue();
        order.ordType = ordType.getValue();
        remember(clOrdId.getValue(), order);
        execId = nextExecId();
      }
    }
    if (!known) {
      sendCancelReject(clOrdId, origClOrdId, FIX::CxlRejResponseTo_ORDER_CANCEL_REPLACE_REQUEST, id);
      return;
    }
    // FIX 4.4: ExecType 5 (Replaced) with the order's current status, New here (OrdStatus 5 is retired).
    FIX44::ExecutionReport report(FIX::OrderID(order.orderId), FIX::ExecID(execId),
                                  FIX::ExecType(FIX::ExecType_REPLACED), FIX::OrdStatus(FIX::OrdStatus_NEW),
                                  FIX::Side(order.side), FIX::LeavesQty(order.qty), FIX::CumQty(0),
                                  FIX::AvgPx(0));
    report.set(clOrdId);
    report.set(origClOrdId);
    if (!order.symbol.empty()) report.set(FIX::Symbol(order.symbol));
    report.set(FIX::OrderQty(order.qty));
    report.set(ordType);
    if (hasPrice) report.set(price);
    report.set(FIX::TransactTime());
    FIX::Session::sendToTarget(report, id);
  }

  // A one-off snapshot of a fixed two-sided book per symbol; no incremental updates follow.
  void onMessage(const FIX44::MarketDataRequest& m, const FIX::SessionID& id) override {
    FIX::MDReqID reqId;
    FIX::SubscriptionRequestType subType;
    m.get(reqId);
    m.get(subType);
    if (subType.getValue() == FIX::SubscriptionRequestType_DISABLE_PREVIOUS_SNAPSHOT_PLUS_UPDATE_REQUEST)
      return;
    FIX::NoRelatedSym count;
    m.get(count);
    for (int i = 1; i <= count.getValue(); ++i) {
      FIX44::MarketDataRequest::NoRelatedSym entry;
      m.getGroup(i, entry);
      FIX::Symbol symbol;
      entry.get(symbol);
      FIX44::MarketDataSnapshotFullRefresh snapshot;
      snapshot.set(reqId);
      snapshot.set(symbol);
      const double mid = 100.0;
      for (int level = 0; level < 5; ++level) {
        FIX44::MarketDataSnapshotFullRefresh::NoMDEntries bid;
        bid.set(FIX::MDEntryType(FIX::MDEntryType_BID));
        bid.set(FIX::MDEntryPx(mid - 0.01 * (level + 1)));
        bid.set(FIX::MDEntrySize(1000 * (level + 1)));
        snapshot.addGroup(bid);
        FIX44::MarketDataSnapshotFullRefresh::NoMDEntries offer;
        offer.set(FIX::MDEntryType(FIX::MDEntryType_OFFER));
        offer.set(FIX::MDEntryPx(mid + 0.01 * (level + 1)));
        offer.set(FIX::MDEntrySize(1000 * (level + 1)));
        snapshot.addGroup(offer);
      }
      FIX::Session::sendToTarget(snapshot, id);
    }
  }

  /// One JSON line with what happened during the run.
  std::string summary(peers::EventLogFactory& logs) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::lock_guard<std::mutex> logLock(logs.mutex);
    return std::string("{\"event\":\"stopped\"") + ",\"logons\":" + std::to_string(logons) +
           ",\"logouts\":" + std::to_string(logouts) + ",\"received\":" + peers::jsonCounts(received) +
           ",\"sent\":" + peers::jsonCounts(sent) + ",\"rejectsReceived\":" + std::to_string(rejectsReceived) +
           ",\"businessRejectsReceived\":" + std::to_string(businessRejectsReceived) +
           ",\"rejectsSent\":" + std::to_string(rejectsSent) +
           ",\"businessRejectsSent\":" + std::to_string(businessRejectsSent) +
           ",\"ignoredMessages\":" + std::to_string(logs.ignoredMessages) +
           ",\"rejectTexts\":" + peers::jsonList(rejectTexts) + "}";
  }

private:
  void countSent(const FIX::Message& m) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string t = peers::msgTypeOf(m);
    ++sent[t];
    if (t == "3" || t == "j") {
      if (t == "3") ++rejectsSent;
      else ++businessRejectsSent;
      FIX::Text text;
      if (rejectTexts.size() < 50 && m.getFieldIfSet(text)) rejectTexts.push_back(text.getValue());
    }
  }

  void sendCancelReject(const FIX::ClOrdID& clOrdId, const FIX::OrigClOrdID& origClOrdId,
                        char responseTo, const FIX::SessionID& id) {
    FIX44::OrderCancelReject reject(FIX::OrderID("NONE"), clOrdId, origClOrdId,
                                    FIX::OrdStatus(FIX::OrdStatus_REJECTED),
                                    FIX::CxlRejResponseTo(responseTo));
    reject.set(FIX::CxlRejReason(FIX::CxlRejReason_UNKNOWN_ORDER));
    reject.set(FIX::Text("unknown order"));
    FIX::Session::sendToTarget(reject, id);
  }

  std::string nextExecId() { return "E" + std::to_string(++m_nextExecId); }

  void remember(const std::string& clOrdId, const Order& order) {
    if (m_orders.emplace(clOrdId, order).second) m_orderAge.push_back(clOrdId);
    while (m_orderAge.size() > MAX_OPEN_ORDERS) {
      m_orders.erase(m_orderAge.front());
      m_orderAge.pop_front();
    }
  }

  bool take(const std::string& clOrdId, Order& out) {
    auto it = m_orders.find(clOrdId);
    if (it == m_orders.end()) return false;
    out = it->second;
    m_orders.erase(it);  // the age queue keeps a stale key; erase() on it later is harmless
    return true;
  }

  bool m_fill;
  std::mutex m_mutex;
  long m_nextOrderId = 0;
  long m_nextExecId = 0;
  std::unordered_map<std::string, Order> m_orders;
  std::deque<std::string> m_orderAge;

public:
  long logons = 0;
  long logouts = 0;
  std::string lastLogon;
  std::map<std::string, long> received;
  std::map<std::string, long> sent;
  long rejectsReceived = 0;
  long businessRejectsReceived = 0;
  long rejectsSent = 0;
  long businessRejectsSent = 0;
  std::vector<std::string> rejectTexts;
};

std::string buildSettings(long port, const std::string& sender, const std::vector<std::string>& targets,
                          const std::string& dict, bool resetOnLogon) {
  std::string s =
      "[DEFAULT]\n"
      "ConnectionType=acceptor\n"
      "SocketAcceptPort=" + std::to_string(port) + "\n"
      "SocketReuseAddress=Y\n"
      "SocketNodelay=Y\n"
      "StartTime=00:00:00\n"
      "EndTime=00:00:00\n"
      "UseDataDictionary=Y\n"
      "DataDictionary=" + dict + "\n"
      "ResetOnLogon=" + (resetOnLogon ? "Y" : "N") + "\n"
      "ResetOnLogout=N\n"
      "ResetOnDisconnect=N\n";
  for (const auto& target : targets) {
    s += "\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" + sender + "\nTargetCompID=" + target + "\n";
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string settingsText;
  std::string sender;
  std::vector<std::string> targets;
  long port = 0;
  bool fill = false;
  bool verbose = false;
  bool exitOnEof = false;
  std::string logDir;
  try {
    peers::Args args(argc, argv, {"port", "sender-comp-id", "target-comp-id", "dict", "log-dir"},
                     {"fill", "reset-on-logon", "verbose", "exit-on-eof", "print-config", "help"});
    if (args.flag("help")) {
      std::cout << USAGE;
      return peers::EXIT_OK;
    }
    if (!args.positional.empty()) throw peers::UsageError{"unexpected argument " + args.positional[0]};
    if (!args.has("port")) throw peers::UsageError{"--port is required"};
    port = args.integer("port", 0, 1, 65535);
    sender = args.str("sender-comp-id", "LP");
    targets = peers::splitList(args.str("target-comp-id", "CLIENT"));
    if (sender.empty() || targets.empty()) throw peers::UsageError{"CompIDs must not be empty"};
    std::string dict = args.str("dict", peers::defaultDictionaryPath());
    peers::requireReadable(dict);
    fill = args.flag("fill");
    verbose = args.flag("verbose");
    exitOnEof = args.flag("exit-on-eof");
    logDir = args.str("log-dir", "");
    settingsText = buildSettings(port, sender, targets, dict, args.flag("reset-on-logon"));
    if (args.flag("print-config")) {
      std::cout << settingsText;
      return peers::EXIT_OK;
    }
  } catch (const peers::UsageError& e) {
    return peers::usageFailed("qf_acceptor", e, USAGE);
  }

  // Signals are taken by waitForStop in main only: block them before QuickFIX starts its thread.
  sigset_t stopSignals = peers::blockStopSignals();

  AcceptorApp app(fill);
  peers::EventLogFactory eventLogs(verbose);
  try {
    FIX::SessionSettings settings = peers::settingsFromText(settingsText);
    FIX::MemoryStoreFactory store;
    peers::PeerLogs logs(logDir, eventLogs);
    FIX::SocketAcceptor acceptor(app, store, settings, logs.factory());
    acceptor.start();
    std::string targetsJson = peers::jsonList(targets);
    peers::emitLine("{\"event\":\"listening\",\"port\":" + std::to_string(port) + ",\"senderCompId\":" +
                    peers::jsonString(sender) + ",\"targetCompIds\":" + targetsJson +
                    ",\"fill\":" + (fill ? "true" : "false") + ",\"pid\":" + std::to_string(getpid()) + "}");
    peers::waitForStop(stopSignals, exitOnEof);
    acceptor.stop();
  } catch (const std::exception& e) {
    return peers::runFailed("qf_acceptor", e);
  }
  peers::emitLine(app.summary(eventLogs));
  return peers::EXIT_OK;
}
