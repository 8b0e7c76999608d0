/**
 * Validation switches (ValidationOptions, STRICT_VALIDATION) and their bit flags, the form the compiled
 * tables are keyed by.
 */

/** Validation switches, one by one, as venues need them (QuickFIX names in brackets). */
export interface ValidationOptions {
  /** Reject tags not in the dictionary at all (373=0, "Invalid tag number") [!AllowUnknownMsgFields]. */
  rejectUndefinedTags: boolean;
  /** Reject tags defined in the dictionary but not for this message (373=2) [!AllowUnknownMsgFields]. */
  rejectTagsNotInMessage: boolean;
  /** Also reject user-defined tags (5000 and above) not in the dictionary [ValidateUserDefinedFields]. */
  validateUserDefinedFields: boolean;
  /** Reject missing required fields (373=1). */
  checkRequiredFields: boolean;
  /** Reject empty values (373=4) [ValidateFieldsHaveValues]; when off, empty values are not checked further. */
  checkFieldsHaveValues: boolean;
  /** Reject enum values not in the dictionary (373=5). */
  checkEnumValues: boolean;
  /** Reject values of the wrong format (373=6) and SOH in non-data values (373=17). */
  checkDataFormat: boolean;
  /** Reject header/body/trailer fields out of order, 8/9/35 not first, 10 not last (373=14) [ValidateFieldsOutOfOrder]. */
  checkFieldOrder: boolean;
  /** Reject repeated tags (373=13). */
  checkRepeatedTags: boolean;
  /** Check repeating groups: NumInGroup counts (373=16), delimiter first and members inside their group (373=15), required members. */
  checkGroups: boolean;
  /** Reject MsgTypes the dictionary does not know (373=11). */
  checkMsgType: boolean;
}

/** Every check on: what the FIX session test cases expect. */
export const STRICT_VALIDATION: ValidationOptions = {
  rejectUndefinedTags: true,
  rejectTagsNotInMessage: true,
  // On, as in the QuickFIX family (ValidateUserDefinedFields=Y by default; reference definition 14a
  // expects 5000=HI rejected). A venue's own tags belong in its dictionary, or switch this off.
  validateUserDefinedFields: true,
  checkRequiredFields: true,
  checkFieldsHaveValues: true,
  checkEnumValues: true,
  checkDataFormat: true,
  checkFieldOrder: true,
  checkRepeatedTags: true,
  checkGroups: true,
  checkMsgType: true,
};

/** STRICT_VALIDATION with some switches changed (e.g. a session's `validation` setting). */
export function validationOptions(overrides: Partial<ValidationOptions> = {}): ValidationOptions {
  return { ...STRICT_VALIDATION, ...overrides };
}

// ---- option flags -------------------------------------------------------------------------------

export const O_UNDEF = 1,
  O_NOT_IN_MSG = 2,
  O_USER_DEF = 4,
  O_REQUIRED = 8,
  O_HAS_VALUE = 16,
  O_ENUM = 32,
  O_FORMAT = 64,
  O_ORDER = 128,
  O_REPEAT = 256,
  O_GROUPS = 512,
  O_MSGTYPE = 1024;

export function flagsOf(o: ValidationOptions): number {
  return (o.rejectUndefinedTags ? O_UNDEF : 0) | (o.rejectTagsNotInMessage ? O_NOT_IN_MSG : 0) |
    (o.validateUserDefinedFields ? O_USER_DEF : 0) | (o.checkRequiredFields ? O_REQUIRED : 0) |
    (o.checkFieldsHaveValues ? O_HAS_VALUE : 0) | (o.checkEnumValues ? O_ENUM : 0) |
    (o.checkDataFormat ? O_FORMAT : 0) | (o.checkFieldOrder ? O_ORDER : 0) |
    (o.checkRepeatedTags ? O_REPEAT : 0) | (o.checkGroups ? O_GROUPS : 0) |
    (o.checkMsgType ? O_MSGTYPE : 0);
}
