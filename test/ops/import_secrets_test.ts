/** import-quickfix never copies a credential into the YAML's comments: password keys, or URLs carrying one. */
import assert from "node:assert/strict";
import { importQuickfix } from "../../src/ops/quickfix_import.ts";

Deno.test("import-quickfix: a JdbcURL with user:password@ or password= keeps its key only; other unknown settings keep their value", () => {
  const yaml = importQuickfix(
    "[DEFAULT]\nConnectionType=initiator\n" +
      "JdbcURL=jdbc:mysql://fixuser:url-secret-1@db.example/fix\n" +
      "JdbcURL2=jdbc:postgresql://db.example/fix?user=fixuser&password=url-secret-2\n" +
      "JdbcUser=fixuser\nProxyPassword=proxy-secret-3\nEncryptionPassphrase=phrase-secret-4\n" +
      "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n" +
      "SocketConnectHost=127.0.0.1\nSocketConnectPort=9\n",
    "q.cfg",
  );
  for (const secret of ["url-secret-1", "url-secret-2", "proxy-secret-3", "phrase-secret-4"]) {
    assert.equal(yaml.includes(secret), false, `${secret} copied:\n${yaml}`);
  }
  assert.match(yaml, /^# {3}JdbcURL: unknown QuickFIX setting \(line 3\), not converted$/m);
  assert.match(yaml, /^# {3}JdbcURL2: unknown QuickFIX setting \(line 4\), not converted$/m);
  assert.match(yaml, /^# {3}JdbcUser=fixuser: unknown QuickFIX setting \(line 5\), not converted$/m);
  assert.match(yaml, /^# {3}EncryptionPassphrase: unknown QuickFIX setting \(line 7\), not converted$/m);
});
