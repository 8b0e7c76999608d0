/** Conformance scenarios (QuickFIX acceptance-test format): parser, matcher, TCP runner, reports. */
export * from "./message.ts";
export * from "./matcher.ts";
export * from "./scenario.ts";
export * from "./runner.ts";
export * from "./report.ts";
