/** The read-only model of a FIX data dictionary (loaded from QuickFIX XML by loader.ts). */

/** FIX field types as QuickFIX XML names them (upper case). */
export type FieldType = string;

/** A field: number, name, type and allowed values. */
export interface FieldDef {
  readonly tag: number;
  readonly name: string;
  readonly type: FieldType;
  /** Allowed values and their descriptions; empty when any value of the type is allowed. */
  readonly enums: ReadonlyMap<string, string>;
}

/** A member of a message, component or group, in dictionary order. */
export type MemberDef =
  | { readonly kind: "field"; readonly tag: number; readonly required: boolean }
  | { readonly kind: "group"; readonly group: GroupDef; readonly required: boolean };

/** What a message body and a group entry have alike: members in order and their checks at that level. */
export interface MemberList {
  /** Members in dictionary order (components flattened). */
  readonly members: readonly MemberDef[];
  /**
   * Tags required at this level: for a message, its top-level required tags; for a group, the tags every
   * entry must carry (the delimiter included). Count tags of required nested groups included.
   */
  readonly requiredTags: ReadonlySet<number>;
  /** Repeating groups directly at this level, by their NumInGroup tag. */
  readonly groupsByCountTag: ReadonlyMap<number, GroupDef>;
}

/** A repeating group: its NumInGroup field, its delimiter (first field) and its members (components flattened). */
export interface GroupDef extends MemberList {
  readonly countTag: number;
  readonly delimiterTag: number;
  /** Every tag that may appear inside an entry, nested groups included. */
  readonly allTags: ReadonlySet<number>;
  /** Name of the NumInGroup field, e.g. "NoPartyIDs". */
  readonly name: string;
}

/** A message type: members in order (components flattened), required tags, and a tag lookup. */
export interface MessageDef extends MemberList {
  readonly msgType: string;
  readonly name: string;
  /** "admin" or "app". */
  readonly category: string;
  /** Tags allowed at the top level of the body (group members are reached through their group). */
  readonly topLevelTags: ReadonlySet<number>;
}

/** A loaded dictionary. */
export interface Dictionary {
  /** BeginString, e.g. "FIX.4.4" or "FIXT.1.1". */
  readonly beginString: string;
  readonly major: number;
  readonly minor: number;
  readonly servicePack: number;
  readonly fieldsByTag: ReadonlyMap<number, FieldDef>;
  readonly fieldsByName: ReadonlyMap<string, FieldDef>;
  readonly messagesByType: ReadonlyMap<string, MessageDef>;
  /** Messages by name, e.g. "NewOrderSingle". */
  readonly messagesByName: ReadonlyMap<string, MessageDef>;
  readonly header: MessageDef;
  readonly trailer: MessageDef;
  /** Where the dictionary was loaded from (file path or a label). */
  readonly source: string;
  /**
   * FIXT: set on a dictionary made by combineDictionaries, the transport and application dictionaries
   * it was made of (so a combined dictionary can be combined again with another application version).
   */
  readonly parts?: { readonly transport: Dictionary; readonly app: Dictionary };
}
