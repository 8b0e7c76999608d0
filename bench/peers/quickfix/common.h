// Shared pieces of fixg's QuickFIX peers (acceptor.cpp, initiator.cpp, latency.cpp, session.cpp,
// validate.cpp): argv parsing and its errors, the generated session settings, the dictionary file of a FIX
// version, JSON output, a Log that keeps QuickFIX's session events for the summary (or QuickFIX's file
// logs with --log-dir), waiting for SIGINT/SIGTERM, and how a failed run is reported.
// Written by the fixg project against the QuickFIX C++ API (Debian libquickfix-dev 1.15).
#pragma once

#include <quickfix/Exceptions.h>
#include <quickfix/FileLog.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/SessionID.h>
#include <quickfix/SessionSettings.h>

#include <pthread.h>
#include <unistd.h>
#include <csignal>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace peers {

// Exit codes shared with the fixg CLI: 0 ok, 1 runtime failure, 2 usage or configuration error.
const int EXIT_OK = 0;
const int EXIT_FAILURE_RUN = 1;
const int EXIT_USAGE = 2;

/// Thrown for a bad command line; main prints the message and the usage and exits 2 (usageFailed).
struct UsageError {
  std::string message;
};

/// Reports a bad command line of `program` (the message, then `usage`) on stderr; returns the exit code, 2.
inline int usageFailed(const char* program, const UsageError& e, const char* usage) {
  std::cerr << program << ": " << e.message << "\n" << usage;
  return EXIT_USAGE;
}

/// Reports an exception out of `program`'s QuickFIX run on stderr; returns the exit code: 2 for a
/// configuration error (QuickFIX refused the settings or the dictionary), else 1.
inline int runFailed(const char* program, const std::exception& e) {
  if (dynamic_cast<const FIX::ConfigError*>(&e) != nullptr) {
    std::cerr << program << ": configuration error: " << e.what() << "\n";
    return EXIT_USAGE;
  }
  std::cerr << program << ": " << e.what() << "\n";
  return EXIT_FAILURE_RUN;
}

/// `--name value` and `--flag` options plus positional arguments.
class Args {
public:
  Args(int argc, char** argv, const std::vector<std::string>& valueOptions,
       const std::vector<std::string>& flagOptions) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        positional.push_back(a);
        continue;
      }
      std::string name = a.substr(2);
      std::string value;
      bool hasInlineValue = false;
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        hasInlineValue = true;
      }
      if (contains(flagOptions, name)) {
        if (hasInlineValue) throw UsageError{"option --" + name + " takes no value"};
        flags[name] = true;
      } else if (contains(valueOptions, name)) {
        if (!hasInlineValue) {
          if (i + 1 >= argc) throw UsageError{"option --" + name + " needs a value"};
          value = argv[++i];
        }
        values[name] = value;
      } else {
        throw UsageError{"unknown option --" + name};
      }
    }
  }

  bool flag(const std::string& name) const { return flags.count(name) > 0; }

  std::string str(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }

  bool has(const std::string& name) const { return values.count(name) > 0; }

  long integer(const std::string& name, long fallback, long min, long max) const {
    auto it = values.find(name);
    if (it == values.end()) return fallback;
    char* end = nullptr;
    long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || v < min || v > max) {
      throw UsageError{"--" + name + " must be an integer from " + std::to_string(min) + " to " +
                       std::to_string(max) + ", got \"" + it->second + "\""};
    }
    return v;
  }

  double decimal(const std::string& name, double fallback) const {
    auto it = values.find(name);
    if (it == values.end()) return fallback;
    char* end = nullptr;
    double v = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || *end != '\0' || !(v > 0)) {
      throw UsageError{"--" + name + " must be a positive number, got \"" + it->second + "\""};
    }
    return v;
  }

  std::vector<std::string> positional;

private:
  static bool contains(const std::vector<std::string>& list, const std::string& s) {
    for (const auto& x : list)
      if (x == s) return true;
    return false;
  }
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
};

/// Splits "a,b,c" into its non-empty parts.
inline std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

/// The repository's FIX44.xml, found from the executable's place (bench/peers/quickfix/build/<exe>):
/// Debian's libquickfix-dev ships no data dictionaries.
inline std::string defaultDictionaryPath() {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return "fixtures/dictionaries/FIX44.xml";
  exe[n] = '\0';
  std::string dir(exe);
  dir = dir.substr(0, dir.rfind('/'));
  std::string path = dir + "/../../../../fixtures/dictionaries/FIX44.xml";
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) ? std::string(resolved) : path;
}

/// Fails with a clear message when the dictionary cannot be read (QuickFIX's own error is terse).
inline void requireReadable(const std::string& path) {
  std::ifstream f(path);
  if (!f.good()) throw UsageError{"cannot read data dictionary \"" + path + "\" (use --dict PATH)"};
}

/// The file name of a version's dictionary in fixtures/dictionaries: FIX.4.0 -> FIX40.xml,
/// FIX.5.0SP2 -> FIX50SP2.xml.
inline std::string dictionaryFileOf(const std::string& version) {
  std::string out;
  for (char c : version.substr(4)) {
    if (c != '.') out += c;
  }
  return "FIX" + out + ".xml";
}

/// The version an ApplVerID (1128) or DefaultApplVerID (1137) names (2 FIX.4.0 to 9 FIX.5.0SP2), or ""
/// for any other value.
inline std::string versionOfApplVerId(const std::string& id) {
  if (id == "2") return "FIX.4.0";
  if (id == "3") return "FIX.4.1";
  if (id == "4") return "FIX.4.2";
  if (id == "5") return "FIX.4.3";
  if (id == "6") return "FIX.4.4";
  if (id == "7") return "FIX.5.0";
  if (id == "8") return "FIX.5.0SP1";
  if (id == "9") return "FIX.5.0SP2";
  return "";
}

/// Parses generated settings text; QuickFIX reads the same format from a .cfg file.
inline FIX::SessionSettings settingsFromText(const std::string& text) {
  std::istringstream in(text);
  return FIX::SessionSettings(in);
}

/// JSON string literal.
inline std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case 0x01: out += "|"; break;  // SOH shown as | so a quoted message stays readable
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

/// {"A":1,"8":12} from a count per MsgType.
inline std::string jsonCounts(const std::map<std::string, long>& counts) {
  std::string out = "{";
  bool first = true;
  for (const auto& kv : counts) {
    if (!first) out += ",";
    first = false;
    out += jsonString(kv.first) + ":" + std::to_string(kv.second);
  }
  return out + "}";
}

/// ["a","b"].
inline std::string jsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += jsonString(items[i]);
  }
  return out + "]";
}

/// Prints one line to stdout and flushes: scripts wait for these lines.
inline void emitLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

/// SIGINT and SIGTERM, blocked in the calling thread (and the threads it starts after): call before
/// QuickFIX starts its threads, so that only waitForStop takes them.
inline sigset_t blockStopSignals() {
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  return stopSignals;
}

/// Returns on SIGINT or SIGTERM (blocked by blockStopSignals), or with `exitOnEof` once stdin ends: the
/// parent holding our stdin died or closed it, stop rather than linger as an orphan.
inline void waitForStop(const sigset_t& stopSignals, bool exitOnEof) {
  if (exitOnEof) {
    std::thread([] {
      char buf[256];
      while (read(0, buf, sizeof(buf)) > 0) {
      }
      kill(getpid(), SIGTERM);
    }).detach();
  }
  int sig = 0;
  sigwait(&stopSignals, &sig);
}

/// The MsgType (35) of a message, or "?" when it has none.
inline std::string msgTypeOf(const FIX::Message& m) {
  FIX::MsgType t;
  if (m.getHeader().getFieldIfSet(t)) return t.getValue();
  return "?";
}

/// Session events QuickFIX reports through its Log; kept so a summary can say what went wrong.
/// Messages in and out are not kept (cheap on the hot path). Optionally echoes events to stderr.
class EventLog : public FIX::Log {
public:
  EventLog(std::mutex& mutex, std::vector<std::string>& events, long& ignoredMessages, bool echo)
      : m_mutex(mutex), m_events(events), m_ignored(ignoredMessages), m_echo(echo) {}
  void clear() override {}
  void backup() override {}
  void onIncoming(const std::string&) override {}
  void onOutgoing(const std::string&) override {}
  void onEvent(const std::string& text) override {
    std::lock_guard<std::mutex> lock(m_mutex);
    // QuickFIX drops a message it cannot parse (bad length, checksum, framing) with only this
    // event and no Reject, so it is the one place such a validation failure is visible.
    if (text.rfind("Invalid message", 0) == 0 || text.rfind("Could not parse", 0) == 0) ++m_ignored;
    if (m_events.size() < 200) m_events.push_back(text);
    if (m_echo) std::fprintf(stderr, "quickfix: %s\n", text.c_str());
  }

private:
  std::mutex& m_mutex;
  std::vector<std::string>& m_events;
  long& m_ignored;
  bool m_echo;
};

/// Creates EventLogs that all report into one place.
class EventLogFactory : public FIX::LogFactory {
public:
  explicit EventLogFactory(bool echo) : m_echo(echo) {}
  FIX::Log* create() override { return new EventLog(mutex, events, ignoredMessages, m_echo); }
  FIX::Log* create(const FIX::SessionID&) override { return create(); }
  void destroy(FIX::Log* log) override { delete log; }

  std::mutex mutex;
  std::vector<std::string> events;
  long ignoredMessages = 0;

private:
  bool m_echo;
};

/// The log factory a peer's engine runs with: QuickFIX's FileLogFactory under `logDir` (--log-dir) when
/// one is given, else `events` (the session events the JSON summary reports).
class PeerLogs {
public:
  PeerLogs(const std::string& logDir, EventLogFactory& events)
      : m_files(logDir.empty() ? nullptr : new FIX::FileLogFactory(logDir)), m_events(events) {}
  FIX::LogFactory& factory() { return m_files ? static_cast<FIX::LogFactory&>(*m_files) : m_events; }

private:
  std::unique_ptr<FIX::FileLogFactory> m_files;
  EventLogFactory& m_events;
};

}  // namespace peers
