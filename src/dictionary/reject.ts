/** Session-level reject reasons (SessionRejectReason, 373) and the data a Reject carries. */

/** SessionRejectReason (373) values with the spec's names as their Text. */
export const SessionRejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMessageType: 2,
  UndefinedTag: 3,
  TagSpecifiedWithoutValue: 4,
  ValueIncorrect: 5,
  IncorrectDataFormat: 6,
  DecryptionProblem: 7,
  SignatureProblem: 8,
  CompIdProblem: 9,
  SendingTimeAccuracyProblem: 10,
  InvalidMsgType: 11,
  XmlValidationError: 12,
  TagAppearsMoreThanOnce: 13,
  TagSpecifiedOutOfRequiredOrder: 14,
  RepeatingGroupFieldsOutOfOrder: 15,
  IncorrectNumInGroupCount: 16,
  NonDataValueIncludesFieldDelimiter: 17,
  Other: 99,
} as const;

/** The spec's Text (58) for each SessionRejectReason. */
export const SESSION_REJECT_TEXT: Readonly<Record<number, string>> = {
  0: "Invalid tag number",
  1: "Required tag missing",
  2: "Tag not defined for this message type",
  3: "Undefined Tag",
  4: "Tag specified without a value",
  5: "Value is incorrect (out of range) for this tag",
  6: "Incorrect data format for value",
  7: "Decryption problem",
  8: "Signature problem",
  9: "CompID problem",
  10: "SendingTime accuracy problem",
  11: "Invalid MsgType",
  12: "XML Validation error",
  13: "Tag appears more than once",
  14: "Tag specified out of required order",
  15: "Repeating group fields out of order",
  16: "Incorrect NumInGroup count for repeating group",
  17: "Non-data value includes field delimiter (SOH character)",
  99: "Other",
};

/** A counterparty mistake found in a message: becomes a Reject (35=3), never an exception. */
export interface RejectInfo {
  /** SessionRejectReason (373). */
  reason: number;
  /** RefTagID (371) when a tag is at fault. */
  refTagId?: number;
  /** Text (58); defaults to the spec's name of the reason. */
  text: string;
}

/** Builds a RejectInfo with the spec's text. */
export function reject(reason: number, refTagId?: number, text?: string): RejectInfo {
  const r: RejectInfo = { reason, text: text ?? SESSION_REJECT_TEXT[reason] ?? "Other" };
  if (refTagId !== undefined) r.refTagId = refTagId;
  return r;
}
