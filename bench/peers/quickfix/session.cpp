// fixg's QuickFIX C++ session peer for any BeginString (FIX.4.0 to FIX.4.4, FIXT.1.1 with FIX 5.0, SP1
// or SP2): dictionary validation on (FIXT: the FIXT 1.1 transport dictionary and the application
// dictionary of the DefaultApplVerID), memory store, ResetOnLogon. Version-neutral on purpose: it builds
// its NewOrderSingles field by field with the fields every version's dictionary has, where qf_acceptor
// and qf_initiator are FIX 4.4 trading peers. Used by fixg's interop tests (test/interop/).
//
// As an initiator it logs on, sends --orders NewOrderSingles and one TestRequest (112=QF-TEST), waits
// for every order to come back echoed (35=D, as fixg's echo application sends it) and for the Heartbeat
// answering the TestRequest, logs out, prints one JSON summary line and exits 0 when nothing went wrong
// (1 with "problems" saying what). As an acceptor it answers as the reference's `at` application
// (QuickFIX's src/at_application.h): NewOrderSingle echoed (once per ClOrdID when PossResend=Y),
// SecurityDefinition echoed, other application messages unsupported (a BusinessMessageReject), a
// Logon's DefaultApplVerID taken as its own; it prints {"event":"listening",...} once it accepts and
// a summary on SIGINT/SIGTERM (or stdin EOF with --exit-on-eof).
//
// usage: qf_session --role initiator|acceptor --port N --begin-string B [--default-appl-ver-id 7|8|9]
//                   [--sender-comp-id ID] [--target-comp-id ID] [--orders N] [--heartbeat S]
//                   [--timeout-sec S] [--exit-on-eof] [--verbose] [--print-config]
#include "common.h"

#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>

#include <chrono>
#include <functional>
#include <csignal>
#include <iostream>
#include <set>
#include <thread>

namespace {

const char* USAGE =
    "usage: qf_session --role initiator|acceptor --port N --begin-string B [--default-appl-ver-id 7|8|9]\n"
    "                  [--sender-comp-id ID] [--target-comp-id ID] [--orders N] [--heartbeat S]\n"
    "                  [--timeout-sec S] [--exit-on-eof] [--verbose] [--print-config]\n"
    "  A QuickFIX session of any FIX version with dictionary validation: the initiator sends orders and\n"
    "  a TestRequest and expects the orders echoed; the acceptor echoes every NewOrderSingle.\n";

const char* TEST_REQ_ID = "QF-TEST";

/// The repository's dictionary `file` (fixtures/dictionaries), next to the FIX44.xml common.h finds.
std::string dictionary(const std::string& file) {
  std::string fix44 = peers::defaultDictionaryPath();
  std::string path = fix44.substr(0, fix44.rfind('/') + 1) + file;
  peers::requireReadable(path);
  return path;
}

/// The application version a DefaultApplVerID (1137) names: FIX 5.0, SP1 or SP2.
std::string appVersionOf(const std::string& id) {
  if (id != "7" && id != "8" && id != "9") {
    throw peers::UsageError{"--default-appl-ver-id must be 7, 8 or 9, got \"" + id + "\""};
  }
  return peers::versionOfApplVerId(id);
}

class SessionApp : public FIX::Application {
public:
  SessionApp(bool acceptor, std::string appVersion) : m_acceptor(acceptor), m_appVersion(appVersion) {}

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> lock(mutex);
    ++logons;
    session = id;
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    ++logouts;
    m_orderIds.clear();
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex);
    std::string t = peers::msgTypeOf(m);
    ++sent[t];
    if (t == "3" || t == "j") {
      ++rejectsSent;
      FIX::Text text;
      if (rejectTexts.size() < 20) {
        rejectTexts.push_back("sent " + t + ": " + (m.getFieldIfSet(text) ? text.getValue() : "") + " | " +
                              m.toString());
      }
    }
  }
  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) override {
    std::lock_guard<std::mutex> lock(mutex);
    std::string t = peers::msgTypeOf(m);
    ++sent[t];
    if (t == "j") ++rejectsSent;
  }
  void fromAdmin(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    std::lock_guard<std::mutex> lock(mutex);
    std::string t = peers::msgTypeOf(m);
    ++received[t];
    FIX::TestReqID testReqId;
    if (t == "0" && m.getFieldIfSet(testReqId) && testReqId.getValue() == TEST_REQ_ID) testHeartbeat = true;
    if (t == "3") {
      ++rejectsReceived;
      if (rejectTexts.size() < 20) rejectTexts.push_back("received: " + m.toString());
    }
    if (t == "A") {
      FIX::DefaultApplVerID v;
      if (m.getFieldIfSet(v)) {
        logonApplVerId = v.getValue();
        // As `at`: the acceptor's own DefaultApplVerID becomes the one the initiator named.
        FIX::Session* session = m_acceptor ? FIX::Session::lookupSession(id) : nullptr;
        if (session != nullptr) session->setSenderDefaultApplVerID(v.getValue());
      }
    }
  }
  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    std::string t = peers::msgTypeOf(m);
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++received[t];
      if (t == "j") {
        ++rejectsReceived;
        if (rejectTexts.size() < 20) rejectTexts.push_back("received: " + m.toString());
      }
      if (t == "D" && !m_acceptor) ++echoes;
    }
    if (!m_acceptor) return;
    // What the reference's `at` application (QuickFIX's src/at_application.h) does: a NewOrderSingle
    // echoed once per ClOrdID (a PossResend=Y one whose ClOrdID was seen is dropped), a
    // SecurityDefinition echoed, any other type unsupported (QuickFIX answers 35=j 380=3).
    if (t == "D") {
      FIX::PossResend possResend(false);
      m.getHeader().getFieldIfSet(possResend);
      FIX::ClOrdID clOrdId;
      m.getField(clOrdId);
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (possResend.getValue() && m_orderIds.count(clOrdId.getValue()) > 0) return;
        m_orderIds.insert(clOrdId.getValue());
      }
    } else if (t != "d") {
      throw FIX::UnsupportedMessageType();
    }
    FIX::Message echo = m;
    FIX::Session::sendToTarget(echo, id);
  }

  /// A NewOrderSingle with the fields of its version's dictionary: TransactTime from FIX 4.2 on,
  /// HandlInst where it is required (FIX 4.0 to 4.2).
  FIX::Message order(long n, const std::string& beginString) const {
    FIX::Message m;
    m.getHeader().setField(FIX::MsgType("D"));
    std::string v = beginString == "FIXT.1.1" ? m_appVersion : beginString;
    m.setField(FIX::ClOrdID("QF-" + std::to_string(n)));
    if (v == "FIX.4.0" || v == "FIX.4.1" || v == "FIX.4.2") m.setField(FIX::HandlInst('1'));
    m.setField(FIX::Symbol("IBM"));
    m.setField(FIX::Side(FIX::Side_BUY));
    m.setField(FIX::OrderQty(100));
    m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
    m.setField(FIX::Price(10.5));
    if (v != "FIX.4.0" && v != "FIX.4.1") m.setField(FIX::TransactTime());
    return m;
  }

  std::string summary(peers::EventLogFactory& logs, long orders, double seconds) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::string> problems;
    if (logons == 0) problems.push_back("never logged on");
    if (!m_acceptor) {
      if (echoes != orders) {
        problems.push_back(std::to_string(echoes) + " of " + std::to_string(orders) + " orders echoed");
      }
      if (!testHeartbeat) problems.push_back("no Heartbeat answered TestRequest " + std::string(TEST_REQ_ID));
      if (logouts == 0) problems.push_back("no Logout exchange");
    }
    if (rejectsReceived > 0) problems.push_back(std::to_string(rejectsReceived) + " rejects received");
    if (rejectsSent > 0) problems.push_back(std::to_string(rejectsSent) + " rejects sent");
    std::lock_guard<std::mutex> eventsLock(logs.mutex);
    if (logs.ignoredMessages > 0) {
      problems.push_back(std::to_string(logs.ignoredMessages) + " messages QuickFIX could not parse");
    }
    std::vector<std::string> events(logs.events.size() > 30 ? logs.events.end() - 30 : logs.events.begin(),
                                    logs.events.end());
    return std::string("{\"event\":\"stopped\",\"ok\":") + (problems.empty() ? "true" : "false") +
           ",\"logons\":" + std::to_string(logons) + ",\"logouts\":" + std::to_string(logouts) +
           ",\"session\":" + peers::jsonString(session.toString()) +
           ",\"logonApplVerId\":" + peers::jsonString(logonApplVerId) +
           ",\"ordersSent\":" + std::to_string(m_acceptor ? 0 : orders) + ",\"echoes\":" +
           std::to_string(echoes) + ",\"testHeartbeat\":" + (testHeartbeat ? "true" : "false") +
           ",\"received\":" + peers::jsonCounts(received) + ",\"sent\":" + peers::jsonCounts(sent) +
           ",\"rejectsReceived\":" + std::to_string(rejectsReceived) + ",\"rejectsSent\":" +
           std::to_string(rejectsSent) + ",\"rejectTexts\":" + peers::jsonList(rejectTexts) +
           ",\"seconds\":" + std::to_string(seconds) + ",\"problems\":" + peers::jsonList(problems) +
           ",\"events\":" + peers::jsonList(events) + "}";
  }

  std::mutex mutex;
  FIX::SessionID session;
  long logons = 0;
  long logouts = 0;
  long echoes = 0;
  bool testHeartbeat = false;
  std::string logonApplVerId;
  std::map<std::string, long> received;
  std::map<std::string, long> sent;
  long rejectsReceived = 0;
  long rejectsSent = 0;
  std::vector<std::string> rejectTexts;

private:
  bool m_acceptor;
  std::string m_appVersion;
  std::set<std::string> m_orderIds;
};

struct Options {
  bool acceptor = false;
  long port = 0;
  std::string beginString;
  std::string applVerId;
  std::string sender;
  std::string target;
  long orders = 5;
  long heartbeat = 30;
  long timeoutSec = 20;
};

std::string buildSettings(const Options& o) {
  std::string s = std::string("[DEFAULT]\nConnectionType=") + (o.acceptor ? "acceptor" : "initiator") + "\n";
  if (o.acceptor) {
    s += "SocketAcceptPort=" + std::to_string(o.port) + "\nSocketReuseAddress=Y\n";
  } else {
    s += "SocketConnectHost=127.0.0.1\nSocketConnectPort=" + std::to_string(o.port) +
         "\nReconnectInterval=1\nHeartBtInt=" + std::to_string(o.heartbeat) + "\n";
  }
  s += "SocketNodelay=Y\nStartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\n"
       "ResetOnLogon=Y\nResetOnLogout=N\nResetOnDisconnect=N\n";
  if (o.beginString == "FIXT.1.1") {
    std::string app = appVersionOf(o.applVerId);
    s += "TransportDataDictionary=" + dictionary("FIXT11.xml") + "\nAppDataDictionary=" +
         dictionary(peers::dictionaryFileOf(app)) + "\nDefaultApplVerID=" + app + "\n";
    // A message (or a Logon's DefaultApplVerID) may name another version: each has its dictionary.
    for (const char* v : {"FIX.5.0", "FIX.5.0SP1", "FIX.5.0SP2"}) {
      s += std::string("AppDataDictionary.") + v + "=" + dictionary(peers::dictionaryFileOf(v)) + "\n";
    }
  } else {
    s += "DataDictionary=" + dictionary(peers::dictionaryFileOf(o.beginString)) + "\n";
  }
  s += "\n[SESSION]\nBeginString=" + o.beginString + "\nSenderCompID=" + o.sender + "\nTargetCompID=" +
       o.target + "\n";
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string settingsText;
  bool verbose = false;
  bool exitOnEof = false;
  try {
    peers::Args args(argc, argv,
                     {"role", "port", "begin-string", "default-appl-ver-id", "sender-comp-id",
                      "target-comp-id", "orders", "heartbeat", "timeout-sec"},
                     {"exit-on-eof", "verbose", "print-config", "help"});
    if (args.flag("help")) {
      std::cout << USAGE;
      return peers::EXIT_OK;
    }
    if (!args.positional.empty()) throw peers::UsageError{"unexpected argument " + args.positional[0]};
    std::string role = args.str("role", "");
    if (role != "initiator" && role != "acceptor") throw peers::UsageError{"--role initiator|acceptor"};
    o.acceptor = role == "acceptor";
    if (!args.has("port")) throw peers::UsageError{"--port is required"};
    o.port = args.integer("port", 0, 1, 65535);
    o.beginString = args.str("begin-string", "FIX.4.4");
    const std::vector<std::string> known = {"FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4",
                                            "FIXT.1.1"};
    bool isKnown = false;
    for (const auto& k : known) isKnown = isKnown || k == o.beginString;
    if (!isKnown) throw peers::UsageError{"unknown --begin-string \"" + o.beginString + "\""};
    o.applVerId = args.str("default-appl-ver-id", "9");
    o.sender = args.str("sender-comp-id", o.acceptor ? "ISLD" : "TW");
    o.target = args.str("target-comp-id", o.acceptor ? "TW" : "ISLD");
    o.orders = args.integer("orders", 5, 0, 100000);
    o.heartbeat = args.integer("heartbeat", 30, 1, 3600);
    o.timeoutSec = args.integer("timeout-sec", 20, 1, 3600);
    verbose = args.flag("verbose");
    exitOnEof = args.flag("exit-on-eof");
    settingsText = buildSettings(o);
    if (args.flag("print-config")) {
      std::cout << settingsText;
      return peers::EXIT_OK;
    }
  } catch (const peers::UsageError& e) {
    return peers::usageFailed("qf_session", e, USAGE);
  }

  // Signals are taken by waitForStop in main only: block them before QuickFIX starts its threads.
  sigset_t stopSignals = peers::blockStopSignals();

  SessionApp app(o.acceptor, o.beginString == "FIXT.1.1" ? appVersionOf(o.applVerId) : "");
  peers::EventLogFactory eventLogs(verbose);
  auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  try {
    FIX::SessionSettings settings = peers::settingsFromText(settingsText);
    FIX::MemoryStoreFactory store;
    if (o.acceptor) {
      FIX::SocketAcceptor acceptor(app, store, settings, eventLogs);
      acceptor.start();
      peers::emitLine("{\"event\":\"listening\",\"port\":" + std::to_string(o.port) + ",\"beginString\":" +
                      peers::jsonString(o.beginString) + ",\"pid\":" + std::to_string(getpid()) + "}");
      peers::waitForStop(stopSignals, exitOnEof);
      acceptor.stop();
      peers::emitLine(app.summary(eventLogs, 0, seconds()));
      return peers::EXIT_OK;
    }
    FIX::SocketInitiator initiator(app, store, settings, eventLogs);
    initiator.start();
    auto deadline = t0 + std::chrono::seconds(o.timeoutSec);
    auto waitFor = [&](const std::function<bool()>& done) {
      while (std::chrono::steady_clock::now() < deadline) {
        {
          std::lock_guard<std::mutex> lock(app.mutex);
          if (done()) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return false;
    };
    if (waitFor([&] { return app.logons > 0; })) {
      FIX::SessionID id;
      {
        std::lock_guard<std::mutex> lock(app.mutex);
        id = app.session;
      }
      for (long n = 1; n <= o.orders; ++n) {
        FIX::Message order = app.order(n, o.beginString);
        FIX::Session::sendToTarget(order, id);
      }
      FIX::Message test;
      test.getHeader().setField(FIX::MsgType("1"));
      test.setField(FIX::TestReqID(TEST_REQ_ID));
      FIX::Session::sendToTarget(test, id);
      waitFor([&] { return app.echoes >= o.orders && app.testHeartbeat; });
      FIX::Session* session = FIX::Session::lookupSession(id);
      if (session != nullptr) session->logout("done");
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      waitFor([&] { return app.logouts > 0; });
    }
    initiator.stop();
  } catch (const std::exception& e) {
    return peers::runFailed("qf_session", e);
  }
  std::string line = app.summary(eventLogs, o.orders, seconds());
  peers::emitLine(line);
  return line.find("\"ok\":true") != std::string::npos ? peers::EXIT_OK : peers::EXIT_FAILURE_RUN;
}
