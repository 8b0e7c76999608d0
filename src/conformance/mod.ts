/** Conformance scenarios (QuickFIX acceptance-test format): parser, matcher, runner (TCP or in-process targets), reports. */
export * from "./message.ts";
export * from "./matcher.ts";
export * from "./scenario.ts";
export * from "./runner.ts";
export * from "./target.ts";
export * from "./report.ts";
