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

/** A repeating group: its NumInGroup field, its delimiter (first field) and its members (components flattened). */
export interface GroupDef {
  readonly countTag: number;
  readonly delimiterTag: number;
  readonly members: readonly MemberDef[];
  /** Every tag that may appear inside an entry, nested groups included. */
  readonly allTags: ReadonlySet<number>;
  /** Name of the NumInGroup field, e.g. "NoPartyIDs". */
  readonly name: string;
  /** Tags every entry must carry (the delimiter included, and count tags of required nested groups). */
  readonly requiredTags: ReadonlySet<number>;
  /** Nested groups directly inside an entry, by their NumInGroup tag. */
  readonly groupsByCountTag: ReadonlyMap<number, GroupDef>;
}

/** A message type: members in order (components flattened), required tags, and a tag lookup. */
export interface MessageDef {
  readonly msgType: string;
  readonly name: string;
  /** "admin" or "app". */
  readonly category: string;
  readonly members: readonly MemberDef[];
  /** Tags allowed at the top level of the body (group members are reached through their group). */
  readonly topLevelTags: ReadonlySet<number>;
  /** Top-level required tags (count tags of required groups included). */
  readonly requiredTags: ReadonlySet<number>;
  /** Top-level repeating groups by their NumInGroup tag. */
  readonly groupsByCountTag: ReadonlyMap<number, GroupDef>;
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
