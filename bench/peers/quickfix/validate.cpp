// qf_validate: QuickFIX C++'s answer to inbound messages, without a connection. For each line of stdin
// (one message, '|' for SOH) it prints what a QuickFIX Session with dictionary validation does with it,
// as Session::next(const std::string&) and Session::next(const Message&) do: the message parsed with
// the session's dictionaries (BodyLength and CheckSum checked), then DataDictionary::validate (FIXT:
// session-level messages against the FIXT 1.1 dictionary alone, application messages against it and
// the application dictionary of their ApplVerID, else of the DefaultApplVerID), the exception caught
// mapped to the Reject QuickFIX sends. One output line per message:
//   ok                      valid
//   reject <373> [<371>]    a session Reject (SessionRejectReason, RefTagID when QuickFIX names one)
//   business <380> <tag>    a BusinessMessageReject (FIX 4.2+ application message, conditionally required)
//   ignored                 dropped without an answer (garbled: InvalidMessage, MessageParseError)
//   other <what>            anything else (UnsupportedVersion ...)
// Used by test/interop/validation_quickfix_test.ts to compare the problem fixg rejects a message for with
// QuickFIX's.
//
// usage: qf_validate --begin-string B [--default-appl-ver-id 7|8|9] [--dict-dir DIR]
#include "common.h"

#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Message.h>
#include <quickfix/Values.h>

#include <iostream>
#include <map>
#include <memory>
#include <string>

namespace {

std::string reject(int reason, int field) {
  return "reject " + std::to_string(reason) + (field != 0 ? " " + std::to_string(field) : "");
}

}  // namespace

int main(int argc, char** argv) {
  std::string begin, dir = "fixtures/dictionaries", defaultId = "9";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--begin-string") begin = argv[i + 1];
    else if (k == "--dict-dir") dir = argv[i + 1];
    else if (k == "--default-appl-ver-id") defaultId = argv[i + 1];
    else {
      std::cerr << "usage: qf_validate --begin-string B [--default-appl-ver-id 7|8|9] [--dict-dir DIR]\n";
      return 2;
    }
  }
  if (begin.empty()) {
    std::cerr << "qf_validate: --begin-string is required\n";
    return 2;
  }
  try {
    const bool fixt = begin == "FIXT.1.1";
    FIX::DataDictionary sessionDD(dir + "/" + (fixt ? std::string("FIXT11.xml") : peers::dictionaryFileOf(begin)));
    std::map<std::string, std::unique_ptr<FIX::DataDictionary>> apps;
    auto appDD = [&](const std::string& id) -> const FIX::DataDictionary& {
      auto it = apps.find(id);
      if (it != apps.end()) return *it->second;
      std::string v = peers::versionOfApplVerId(id);
      if (v.empty()) throw FIX::UnsupportedMessageType();
      auto dd = std::unique_ptr<FIX::DataDictionary>(new FIX::DataDictionary(dir + "/" + peers::dictionaryFileOf(v)));
      const FIX::DataDictionary& ref = *dd;
      apps[id] = std::move(dd);
      return ref;
    };
    std::string line;
    while (std::getline(std::cin, line)) {
      for (char& c : line) {
        if (c == '|') c = '\001';
      }
      std::unique_ptr<FIX::Message> message;
      try {
        if (fixt) message.reset(new FIX::Message(line, sessionDD, appDD(defaultId), true));
        else message.reset(new FIX::Message(line, sessionDD, true));
      } catch (FIX::InvalidMessage&) {
        std::cout << "ignored" << std::endl;
        continue;
      } catch (std::exception& e) {
        std::cout << "ignored" << std::endl;
        continue;
      }
      const FIX::Message& m = *message;
      const FIX::Header& header = m.getHeader();
      std::string out;
      try {
        FIELD_GET_REF(header, MsgType);
        const FIX::BeginString& b = FIELD_GET_REF(header, BeginString);
        if (!header.isSetField(FIX::FIELD::SenderCompID)) throw FIX::FieldNotFound(FIX::FIELD::SenderCompID);
        if (!header.isSetField(FIX::FIELD::TargetCompID)) throw FIX::FieldNotFound(FIX::FIELD::TargetCompID);
        if (b.getValue() != begin) throw FIX::UnsupportedVersion();
        if (fixt && m.isApp()) {
          FIX::ApplVerID id(defaultId);
          header.getFieldIfSet(id);
          FIX::DataDictionary::validate(m, &sessionDD, &appDD(id.getValue()));
        } else {
          sessionDD.validate(m);
        }
        out = "ok";
      } catch (FIX::MessageParseError&) {
        out = "ignored";
      } catch (FIX::RequiredTagMissing& e) {
        out = reject(FIX::SessionRejectReason_REQUIRED_TAG_MISSING, e.field);
      } catch (FIX::FieldNotFound& e) {
        bool app = m.isApp() && header.getField(FIX::FIELD::BeginString) >= FIX::BeginString_FIX42;
        out = app ? "business 5 " + std::to_string(e.field)
                  : reject(FIX::SessionRejectReason_REQUIRED_TAG_MISSING, e.field);
      } catch (FIX::InvalidTagNumber& e) {
        out = reject(FIX::SessionRejectReason_INVALID_TAG_NUMBER, e.field);
      } catch (FIX::NoTagValue& e) {
        out = reject(FIX::SessionRejectReason_TAG_SPECIFIED_WITHOUT_A_VALUE, e.field);
      } catch (FIX::TagNotDefinedForMessage& e) {
        out = reject(FIX::SessionRejectReason_TAG_NOT_DEFINED_FOR_THIS_MESSAGE_TYPE, e.field);
      } catch (FIX::InvalidMessageType&) {
        out = reject(FIX::SessionRejectReason_INVALID_MSGTYPE, 0);
      } catch (FIX::UnsupportedMessageType&) {
        out = "business 3";
      } catch (FIX::TagOutOfOrder& e) {
        out = reject(FIX::SessionRejectReason_TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, e.field);
      } catch (FIX::IncorrectDataFormat& e) {
        out = reject(FIX::SessionRejectReason_INCORRECT_DATA_FORMAT_FOR_VALUE, e.field);
      } catch (FIX::IncorrectTagValue& e) {
        out = reject(FIX::SessionRejectReason_VALUE_IS_INCORRECT, e.field);
      } catch (FIX::RepeatedTag& e) {
        out = reject(FIX::SessionRejectReason_TAG_APPEARS_MORE_THAN_ONCE, e.field);
      } catch (FIX::RepeatingGroupCountMismatch& e) {
        out = reject(FIX::SessionRejectReason_INCORRECT_NUMINGROUP_COUNT_FOR_REPEATING_GROUP, e.field);
      } catch (FIX::InvalidMessage&) {
        out = "ignored";
      } catch (FIX::UnsupportedVersion&) {
        out = "other unsupported-version";
      } catch (std::exception& e) {
        out = std::string("other ") + e.what();
      }
      std::cout << out << std::endl;
    }
  } catch (FIX::ConfigError& e) {
    std::cerr << "qf_validate: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
