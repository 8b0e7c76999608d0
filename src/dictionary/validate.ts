/** Dictionary validation of an inbound message: returns nothing or the Reject to send. */
import type { MessageView } from "../codec/mod.ts";
import type { Dictionary } from "./model.ts";
import type { RejectInfo } from "./reject.ts";

/** Validation switches, one by one, as venues need them (QuickFIX names in brackets). */
export interface ValidationOptions {
  /** Reject tags not in the dictionary at all (373=0 / 3) [!AllowUnknownMsgFields for body]. */
  rejectUndefinedTags: boolean;
  /** Reject tags defined in the dictionary but not for this message (373=2) [ValidateFieldsHaveValues]. */
  rejectTagsNotInMessage: boolean;
  /** Reject user-defined tags (5000-9999 and above) not in the dictionary [ValidateUserDefinedFields]. */
  validateUserDefinedFields: boolean;
  /** Reject missing required fields (373=1). */
  checkRequiredFields: boolean;
  /** Reject empty values (373=4) [ValidateFieldsHaveValues]. */
  checkFieldsHaveValues: boolean;
  /** Reject enum values not in the dictionary (373=5). */
  checkEnumValues: boolean;
  /** Reject values of the wrong format (373=6). */
  checkDataFormat: boolean;
  /** Reject header/body/trailer fields out of order (373=14) [ValidateFieldsOutOfOrder]. */
  checkFieldOrder: boolean;
  /** Reject repeated tags (373=13). */
  checkRepeatedTags: boolean;
  /** Check NumInGroup counts (373=16) and group field order (373=15). */
  checkGroups: boolean;
  /** Reject MsgTypes the dictionary does not know (373=11). */
  checkMsgType: boolean;
}

/** Every check on: what the FIX session test cases expect. */
export const STRICT_VALIDATION: ValidationOptions = {
  rejectUndefinedTags: true,
  rejectTagsNotInMessage: true,
  validateUserDefinedFields: false,
  checkRequiredFields: true,
  checkFieldsHaveValues: true,
  checkEnumValues: true,
  checkDataFormat: true,
  checkFieldOrder: true,
  checkRepeatedTags: true,
  checkGroups: true,
  checkMsgType: true,
};

/** Validates `view` against `dict`; undefined when valid, else the first problem as a RejectInfo. */
export function validate(
  _view: MessageView,
  _dict: Dictionary,
  _options: ValidationOptions = STRICT_VALIDATION,
): RejectInfo | undefined {
  throw new Error("validate: being written (issue 2)");
}
