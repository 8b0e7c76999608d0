// fixg's QuickFIX C++ interop client: a FIX 4.4 initiator with dictionary validation on that logs
// on to HOST:PORT, sends NewOrderSingles, a cancel, a replace and a market data subscription,
// checks every message it gets through QuickFIX's DataDictionary, and prints one JSON summary line.
// Exit 0 when every order got an ExecutionReport, every request was answered and no message on
// either side failed validation; 1 otherwise; 2 on a usage error.
//
// usage: qf_initiator HOST:PORT [--sender-comp-id CLIENT] [--target-comp-id LP] [--orders N]
//                     [--symbol EUR/USD] [--price 1.1] [--qty 1000] [--no-cancel] [--no-replace]
//                     [--no-md] [--timeout-sec 30] [--linger-ms 300] [--heartbeat-sec 30]
//                     [--no-reset-seq-num] [--dict PATH] [--log-dir DIR] [--verbose]
#include "common.h"

#include <quickfix/MessageCracker.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>
#include <quickfix/fix44/BusinessMessageReject.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/MarketDataIncrementalRefresh.h>
#include <quickfix/fix44/MarketDataRequest.h>
#include <quickfix/fix44/MarketDataRequestReject.h>
#include <quickfix/fix44/MarketDataSnapshotFullRefresh.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelReject.h>
#include <quickfix/fix44/OrderCancelReplaceRequest.h>
#include <quickfix/fix44/OrderCancelRequest.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

namespace {

const char* USAGE =
    "usage: qf_initiator HOST:PORT [--sender-comp-id CLIENT] [--target-comp-id LP] [--orders N]\n"
    "                    [--symbol EUR/USD] [--price 1.1] [--qty 1000] [--no-cancel] [--no-replace]\n"
    "                    [--no-md] [--timeout-sec 30] [--linger-ms 300] [--heartbeat-sec 30]\n"
    "                    [--no-reset-seq-num] [--dict PATH] [--log-dir DIR] [--verbose]\n"
    "  A FIX 4.4 QuickFIX initiator (memory store, UseDataDictionary=Y) that trades with the\n"
    "  acceptor at HOST:PORT and prints a JSON summary. Exit 0 when all went well.\n";

using Clock = std::chrono::steady_clock;

/// What became of a request that expects one answer.
enum class Answer { Skipped, Pending, Accepted, Rejected };

const char* answerName(Answer a) {
  switch (a) {
    case Answer::Skipped: return "skipped";
    case Answer::Pending: return "none";
    case Answer::Accepted: return "acked";
    case Answer::Rejected: return "rejected";
  }
  return "none";
}

class InitiatorApp : public FIX::Application, public FIX::MessageCracker {
public:
  void onCreate(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> lock(mutex);
    sessionId = id;
  }
  void onLogon(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    loggedOn = true;
    ++logons;
    changed.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    loggedOn = false;
    ++logouts;
    changed.notify_all();
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override { countSent(m); }
  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) override { countSent(m); }

  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    std::lock_guard<std::mutex> lock(mutex);
    std::string t = peers::msgTypeOf(m);
    ++received[t];
    if (t == "3") {
      ++rejectsReceived;
      problem("Reject received: " + describeReject(m));
    } else if (t == "5") {
      FIX::Text text;
      if (m.getFieldIfSet(text) && !text.getValue().empty()) logoutTexts.push_back(text.getValue());
    }
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    std::string t = peers::msgTypeOf(m);
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++received[t];
    }
    // Only the types this client acts on are cracked; any other valid message is accepted as is
    // (QuickFIX has already checked it against the dictionary before fromApp).
    static const std::set<std::string> handled = {"8", "9", "W", "X", "Y", "j"};
    if (!handled.count(t)) return;
    try {
      crack(m, id);
    } catch (const FIX::FieldNotFound& e) {
      crackFailed(t, "field not found: " + std::to_string(e.field));
      throw;
    } catch (const FIX::IncorrectTagValue& e) {
      crackFailed(t, "incorrect tag value: " + std::to_string(e.field));
      throw;
    } catch (const FIX::IncorrectDataFormat& e) {
      crackFailed(t, "incorrect data format: " + std::to_string(e.field));
      throw;
    }
  }

  void onMessage(const FIX44::ExecutionReport& m, const FIX::SessionID&) override {
    FIX::ClOrdID clOrdId;
    FIX::ExecType execType;
    FIX::OrdStatus ordStatus;
    FIX::OrderID orderId;
    FIX::ExecID execId;
    FIX::LeavesQty leavesQty;
    FIX::CumQty cumQty;
    FIX::AvgPx avgPx;
    m.get(orderId);
    m.get(execId);
    m.get(execType);
    m.get(ordStatus);
    m.get(leavesQty);
    m.get(cumQty);
    m.get(avgPx);
    bool hasClOrdId = m.getIfSet(clOrdId);
    std::lock_guard<std::mutex> lock(mutex);
    ++execTypes[std::string(1, execType.getValue())];
    if (!hasClOrdId) {
      problem("ExecutionReport without ClOrdID, ExecID " + execId.getValue());
      return;
    }
    const std::string& id = clOrdId.getValue();
    if (pendingOrders.erase(id)) {
      ++ordersAnswered;
    } else if (id == cancelClOrdId && cancelAnswer == Answer::Pending) {
      cancelAnswer = execType.getValue() == FIX::ExecType_CANCELED ? Answer::Accepted : Answer::Rejected;
    } else if (id == replaceClOrdId && replaceAnswer == Answer::Pending) {
      replaceAnswer = execType.getValue() == FIX::ExecType_REPLACED ? Answer::Accepted : Answer::Rejected;
    }
    changed.notify_all();
  }

  void onMessage(const FIX44::OrderCancelReject& m, const FIX::SessionID&) override {
    FIX::ClOrdID clOrdId;
    m.get(clOrdId);
    std::lock_guard<std::mutex> lock(mutex);
    if (clOrdId.getValue() == cancelClOrdId && cancelAnswer == Answer::Pending) cancelAnswer = Answer::Rejected;
    if (clOrdId.getValue() == replaceClOrdId && replaceAnswer == Answer::Pending)
      replaceAnswer = Answer::Rejected;
    changed.notify_all();
  }

  void onMessage(const FIX44::MarketDataSnapshotFullRefresh& m, const FIX::SessionID&) override {
    FIX::NoMDEntries entries;
    m.get(entries);
    std::lock_guard<std::mutex> lock(mutex);
    ++mdSnapshots;
    mdEntries += entries.getValue();
    if (mdAnswer == Answer::Pending) mdAnswer = Answer::Accepted;
    changed.notify_all();
  }

  void onMessage(const FIX44::MarketDataIncrementalRefresh& m, const FIX::SessionID&) override {
    FIX::NoMDEntries entries;
    m.get(entries);
    std::lock_guard<std::mutex> lock(mutex);
    ++mdIncrementals;
    mdEntries += entries.getValue();
    if (mdAnswer == Answer::Pending) mdAnswer = Answer::Accepted;
    changed.notify_all();
  }

  void onMessage(const FIX44::MarketDataRequestReject& m, const FIX::SessionID&) override {
    FIX::MDReqID reqId;
    m.get(reqId);
    std::lock_guard<std::mutex> lock(mutex);
    if (reqId.getValue() == mdReqId && mdAnswer == Answer::Pending) mdAnswer = Answer::Rejected;
    problem("MarketDataRequestReject for " + reqId.getValue());
    changed.notify_all();
  }

  void onMessage(const FIX44::BusinessMessageReject& m, const FIX::SessionID&) override {
    FIX::RefMsgType refMsgType;
    FIX::BusinessRejectReason reason;
    m.get(refMsgType);
    m.get(reason);
    FIX::Text text;
    bool hasText = m.getIfSet(text);
    std::lock_guard<std::mutex> lock(mutex);
    ++businessRejectsReceived;
    problem("BusinessMessageReject received: RefMsgType " + refMsgType.getValue() + " reason " +
            std::to_string(reason.getValue()) + (hasText ? " \"" + text.getValue() + "\"" : ""));
    if (refMsgType.getValue() == "V" && mdAnswer == Answer::Pending) mdAnswer = Answer::Rejected;
    changed.notify_all();
  }

  /// Records a problem for the summary (caller holds the mutex).
  void problem(const std::string& text) {
    if (problems.size() < 50) problems.push_back(text);
  }

  std::mutex mutex;
  std::condition_variable changed;
  FIX::SessionID sessionId;
  bool loggedOn = false;
  long logons = 0;
  long logouts = 0;
  std::map<std::string, long> received;
  std::map<std::string, long> sent;
  std::map<std::string, long> execTypes;
  std::set<std::string> pendingOrders;
  long ordersAnswered = 0;
  std::string cancelClOrdId;
  std::string replaceClOrdId;
  std::string mdReqId;
  Answer cancelAnswer = Answer::Skipped;
  Answer replaceAnswer = Answer::Skipped;
  Answer mdAnswer = Answer::Skipped;
  long mdSnapshots = 0;
  long mdIncrementals = 0;
  long mdEntries = 0;
  long rejectsReceived = 0;
  long businessRejectsReceived = 0;
  long rejectsSent = 0;
  long businessRejectsSent = 0;
  long crackErrors = 0;
  std::vector<std::string> problems;
  std::vector<std::string> logoutTexts;

private:
  void countSent(const FIX::Message& m) {
    std::lock_guard<std::mutex> lock(mutex);
    std::string t = peers::msgTypeOf(m);
    ++sent[t];
    // QuickFIX sends a Reject (or BusinessMessageReject) when an inbound message fails the
    // dictionary or our handler: each one is a message this client could not accept.
    if (t == "3") {
      ++rejectsSent;
      problem("Reject sent: " + describeReject(m));
    } else if (t == "j") {
      ++businessRejectsSent;
      FIX::Text text;
      problem(std::string("BusinessMessageReject sent") + (m.getFieldIfSet(text) ? ": " + text.getValue() : ""));
    }
  }

  void crackFailed(const std::string& msgType, const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex);
    ++crackErrors;
    problem("MsgType " + msgType + " could not be read: " + what);
  }

  static std::string describeReject(const FIX::Message& m) {
    std::string out;
    FIX::RefSeqNum refSeqNum;
    FIX::RefTagID refTagId;
    FIX::RefMsgType refMsgType;
    FIX::SessionRejectReason reason;
    FIX::Text text;
    if (m.getFieldIfSet(refSeqNum)) out += "RefSeqNum " + std::to_string(refSeqNum.getValue()) + " ";
    if (m.getFieldIfSet(refMsgType)) out += "RefMsgType " + refMsgType.getValue() + " ";
    if (m.getFieldIfSet(refTagId)) out += "RefTagID " + std::to_string(refTagId.getValue()) + " ";
    if (m.getFieldIfSet(reason)) out += "SessionRejectReason " + std::to_string(reason.getValue()) + " ";
    if (m.getFieldIfSet(text)) out += "\"" + text.getValue() + "\"";
    return out;
  }
};

std::string buildSettings(const std::string& host, long port, const std::string& sender, const std::string& target,
                          const std::string& dict, long heartbeatSec, bool resetSeqNum) {
  return "[DEFAULT]\n"
         "ConnectionType=initiator\n"
         "SocketConnectHost=" + host + "\n"
         "SocketConnectPort=" + std::to_string(port) + "\n"
         "SocketNodelay=Y\n"
         "ReconnectInterval=1\n"
         "StartTime=00:00:00\n"
         "EndTime=00:00:00\n"
         "HeartBtInt=" + std::to_string(heartbeatSec) + "\n"
         "UseDataDictionary=Y\n"
         "DataDictionary=" + dict + "\n"
         "ResetOnLogon=" + (resetSeqNum ? "Y" : "N") + "\n"
         "\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" + sender + "\nTargetCompID=" + target + "\n";
}

struct Plan {
  long orders = 10;
  std::string symbol = "EUR/USD";
  double price = 1.1;
  double qty = 1000;
  bool cancel = true;
  bool replace = true;
  bool md = true;
  long timeoutSec = 30;
  long lingerMs = 300;
};

/// Waits until `done()` holds or the deadline passes; true when it holds.
template <typename Pred>
bool waitFor(InitiatorApp& app, std::unique_lock<std::mutex>& lock, Clock::time_point deadline, Pred done) {
  return app.changed.wait_until(lock, deadline, done);
}

void runPlan(InitiatorApp& app, const Plan& plan, Clock::time_point deadline, bool& ordersDone) {
  const std::string prefix =
      "QF" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()) +
      "-";
  FIX::SessionID id;
  {
    std::lock_guard<std::mutex> lock(app.mutex);
    id = app.sessionId;
  }
  std::vector<std::string> orderIds;
  for (long i = 1; i <= plan.orders; ++i) {
    std::string clOrdId = prefix + std::to_string(i);
    orderIds.push_back(clOrdId);
    {
      std::lock_guard<std::mutex> lock(app.mutex);
      app.pendingOrders.insert(clOrdId);
    }
    FIX44::NewOrderSingle order(FIX::ClOrdID(clOrdId), FIX::Side(i % 2 ? FIX::Side_BUY : FIX::Side_SELL),
                                FIX::TransactTime(), FIX::OrdType(FIX::OrdType_LIMIT));
    order.set(FIX::Symbol(plan.symbol));
    order.set(FIX::OrderQty(plan.qty));
    order.set(FIX::Price(plan.price));
    order.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
    order.set(FIX::HandlInst('1'));
    FIX::Session::sendToTarget(order, id);
  }
  {
    std::unique_lock<std::mutex> lock(app.mutex);
    ordersDone = waitFor(app, lock, deadline, [&] { return app.pendingOrders.empty(); });
  }

  if (plan.cancel && !orderIds.empty()) {
    std::string cancelId = prefix + "C1";
    {
      std::lock_guard<std::mutex> lock(app.mutex);
      app.cancelClOrdId = cancelId;
      app.cancelAnswer = Answer::Pending;
    }
    FIX44::OrderCancelRequest cancel(FIX::OrigClOrdID(orderIds[0]), FIX::ClOrdID(cancelId), FIX::Side(FIX::Side_BUY),
                                     FIX::TransactTime());
    cancel.set(FIX::Symbol(plan.symbol));
    cancel.set(FIX::OrderQty(plan.qty));
    FIX::Session::sendToTarget(cancel, id);
    std::unique_lock<std::mutex> lock(app.mutex);
    waitFor(app, lock, deadline, [&] { return app.cancelAnswer != Answer::Pending; });
  }

  if (plan.replace && !orderIds.empty()) {
    const std::string& original = orderIds.size() > 1 ? orderIds[1] : orderIds[0];
    char side = orderIds.size() > 1 ? FIX::Side_SELL : FIX::Side_BUY;
    std::string replaceId = prefix + "R1";
    {
      std::lock_guard<std::mutex> lock(app.mutex);
      app.replaceClOrdId = replaceId;
      app.replaceAnswer = Answer::Pending;
    }
    FIX44::OrderCancelReplaceRequest replace(FIX::OrigClOrdID(original), FIX::ClOrdID(replaceId), FIX::Side(side),
                                             FIX::TransactTime(), FIX::OrdType(FIX::OrdType_LIMIT));
    replace.set(FIX::Symbol(plan.symbol));
    replace.set(FIX::OrderQty(plan.qty * 2));
    replace.set(FIX::Price(plan.price));
    replace.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
    replace.set(FIX::HandlInst('1'));
    FIX::Session::sendToTarget(replace, id);
    std::unique_lock<std::mutex> lock(app.mutex);
    waitFor(app, lock, deadline, [&] { return app.replaceAnswer != Answer::Pending; });
  }

  if (plan.md) {
    std::string reqId = prefix + "MD1";
    {
      std::lock_guard<std::mutex> lock(app.mutex);
      app.mdReqId = reqId;
      app.mdAnswer = Answer::Pending;
    }
    FIX44::MarketDataRequest request(FIX::MDReqID(reqId),
                                     FIX::SubscriptionRequestType(FIX::SubscriptionRequestType_SNAPSHOT_PLUS_UPDATES),
                                     FIX::MarketDepth(0));
    request.set(FIX::MDUpdateType(FIX::MDUpdateType_INCREMENTAL_REFRESH));
    FIX44::MarketDataRequest::NoMDEntryTypes bid;
    bid.set(FIX::MDEntryType(FIX::MDEntryType_BID));
    request.addGroup(bid);
    FIX44::MarketDataRequest::NoMDEntryTypes offer;
    offer.set(FIX::MDEntryType(FIX::MDEntryType_OFFER));
    request.addGroup(offer);
    FIX44::MarketDataRequest::NoRelatedSym symbol;
    symbol.set(FIX::Symbol(plan.symbol));
    request.addGroup(symbol);
    FIX::Session::sendToTarget(request, id);
    bool answered;
    {
      std::unique_lock<std::mutex> lock(app.mutex);
      answered = waitFor(app, lock, deadline, [&] { return app.mdAnswer != Answer::Pending; });
    }
    if (answered) {
      // Let a few incremental updates arrive (and be validated) before unsubscribing.
      std::this_thread::sleep_for(std::chrono::milliseconds(plan.lingerMs));
      FIX44::MarketDataRequest stop(
          FIX::MDReqID(reqId),
          FIX::SubscriptionRequestType(FIX::SubscriptionRequestType_DISABLE_PREVIOUS_SNAPSHOT_PLUS_UPDATE_REQUEST),
          FIX::MarketDepth(0));
      FIX44::MarketDataRequest::NoMDEntryTypes stopBid;
      stopBid.set(FIX::MDEntryType(FIX::MDEntryType_BID));
      stop.addGroup(stopBid);
      FIX44::MarketDataRequest::NoMDEntryTypes stopOffer;
      stopOffer.set(FIX::MDEntryType(FIX::MDEntryType_OFFER));
      stop.addGroup(stopOffer);
      FIX44::MarketDataRequest::NoRelatedSym stopSymbol;
      stopSymbol.set(FIX::Symbol(plan.symbol));
      stop.addGroup(stopSymbol);
      FIX::Session::sendToTarget(stop, id);
    }
  }
  // Messages still in flight (late reports, a Reject of our last request) are counted too.
  std::this_thread::sleep_for(std::chrono::milliseconds(plan.lingerMs));
}

}  // namespace

int main(int argc, char** argv) {
  std::string settingsText;
  Plan plan;
  bool verbose = false;
  std::string logDir;
  std::string target;
  try {
    peers::Args args(argc, argv,
                     {"sender-comp-id", "target-comp-id", "orders", "symbol", "price", "qty", "timeout-sec",
                      "linger-ms", "heartbeat-sec", "dict", "log-dir"},
                     {"no-cancel", "no-replace", "no-md", "no-reset-seq-num", "verbose", "print-config", "help"});
    if (args.flag("help")) {
      std::cout << USAGE;
      return peers::EXIT_OK;
    }
    if (args.positional.size() != 1) throw peers::UsageError{"expected exactly one HOST:PORT argument"};
    target = args.positional[0];
    size_t colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0) throw peers::UsageError{"expected HOST:PORT, got \"" + target + "\""};
    std::string host = target.substr(0, colon);
    char* end = nullptr;
    long port = std::strtol(target.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) throw peers::UsageError{"bad port in \"" + target + "\""};
    std::string sender = args.str("sender-comp-id", "CLIENT");
    std::string targetCompId = args.str("target-comp-id", "LP");
    if (sender.empty() || targetCompId.empty()) throw peers::UsageError{"CompIDs must not be empty"};
    plan.orders = args.integer("orders", 10, 0, 1000000);
    plan.symbol = args.str("symbol", plan.symbol);
    plan.price = args.decimal("price", plan.price);
    plan.qty = args.decimal("qty", plan.qty);
    plan.cancel = !args.flag("no-cancel");
    plan.replace = !args.flag("no-replace");
    plan.md = !args.flag("no-md");
    plan.timeoutSec = args.integer("timeout-sec", 30, 1, 86400);
    plan.lingerMs = args.integer("linger-ms", 300, 0, 60000);
    long heartbeatSec = args.integer("heartbeat-sec", 30, 1, 3600);
    std::string dict = args.str("dict", peers::defaultDictionaryPath());
    peers::requireReadable(dict);
    verbose = args.flag("verbose");
    logDir = args.str("log-dir", "");
    settingsText = buildSettings(host, port, sender, targetCompId, dict, heartbeatSec, !args.flag("no-reset-seq-num"));
    if (args.flag("print-config")) {
      std::cout << settingsText;
      return peers::EXIT_OK;
    }
  } catch (const peers::UsageError& e) {
    return peers::usageFailed("qf_initiator", e, USAGE);
  }

  InitiatorApp app;
  peers::EventLogFactory eventLogs(verbose);
  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + std::chrono::seconds(plan.timeoutSec);
  bool logon = false;
  bool ordersDone = plan.orders == 0;
  try {
    FIX::SessionSettings settings = peers::settingsFromText(settingsText);
    FIX::MemoryStoreFactory store;
    peers::PeerLogs logs(logDir, eventLogs);
    FIX::SocketInitiator initiator(app, store, settings, logs.factory());
    initiator.start();
    {
      std::unique_lock<std::mutex> lock(app.mutex);
      logon = waitFor(app, lock, deadline, [&] { return app.loggedOn; });
    }
    if (logon) runPlan(app, plan, deadline, ordersDone);
    initiator.stop();
  } catch (const std::exception& e) {
    return peers::runFailed("qf_initiator", e);
  }

  std::lock_guard<std::mutex> lock(app.mutex);
  std::lock_guard<std::mutex> logLock(eventLogs.mutex);
  long validationErrors = app.rejectsSent + app.businessRejectsSent + eventLogs.ignoredMessages;
  auto answered = [](Answer a) { return a != Answer::Pending; };
  bool ok = logon && ordersDone && answered(app.cancelAnswer) && answered(app.replaceAnswer) &&
            answered(app.mdAnswer) && validationErrors == 0 && app.rejectsReceived == 0 &&
            app.businessRejectsReceived == 0;
  if (!logon) app.problem("no logon within " + std::to_string(plan.timeoutSec) + " s");
  if (logon && !ordersDone)
    app.problem(std::to_string(app.pendingOrders.size()) + " orders without an ExecutionReport");
  // Without a logon the session events (connection refused, logon rejected) are the explanation.
  std::vector<std::string> events = logon ? std::vector<std::string>() : eventLogs.events;
  if (events.size() > 20) events.resize(20);
  long elapsedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  peers::emitLine(
      std::string("{\"ok\":") + (ok ? "true" : "false") + ",\"target\":" + peers::jsonString(target) +
      ",\"logon\":" + (logon ? "true" : "false") + ",\"ordersSent\":" + std::to_string(logon ? plan.orders : 0) +
      ",\"ordersAnswered\":" + std::to_string(app.ordersAnswered) + ",\"execTypes\":" + peers::jsonCounts(app.execTypes) +
      ",\"cancel\":\"" + answerName(app.cancelAnswer) + "\",\"replace\":\"" + answerName(app.replaceAnswer) +
      "\",\"marketData\":\"" + answerName(app.mdAnswer) + "\",\"mdSnapshots\":" + std::to_string(app.mdSnapshots) +
      ",\"mdIncrementals\":" + std::to_string(app.mdIncrementals) + ",\"mdEntries\":" + std::to_string(app.mdEntries) +
      ",\"received\":" + peers::jsonCounts(app.received) + ",\"sent\":" + peers::jsonCounts(app.sent) +
      ",\"rejectsReceived\":" + std::to_string(app.rejectsReceived) +
      ",\"businessRejectsReceived\":" + std::to_string(app.businessRejectsReceived) +
      ",\"rejectsSent\":" + std::to_string(app.rejectsSent) +
      ",\"businessRejectsSent\":" + std::to_string(app.businessRejectsSent) +
      ",\"ignoredMessages\":" + std::to_string(eventLogs.ignoredMessages) +
      ",\"crackErrors\":" + std::to_string(app.crackErrors) + ",\"validationErrors\":" + std::to_string(validationErrors) +
      ",\"logouts\":" + std::to_string(app.logouts) + ",\"logoutTexts\":" + peers::jsonList(app.logoutTexts) +
      ",\"problems\":" + peers::jsonList(app.problems) + ",\"events\":" + peers::jsonList(events) +
      ",\"elapsedMs\":" + std::to_string(elapsedMs) + "}");
  return ok ? peers::EXIT_OK : peers::EXIT_FAILURE_RUN;
}
