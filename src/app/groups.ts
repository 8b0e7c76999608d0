/** Splitting repeating groups whose entries may carry any tag (MD entries, instruments). */
import type { GroupEntry, MessageView } from "../codec/view.ts";

/** Tags that end any body group: the trailer and the two fields that follow MD groups. */
export const GROUP_STOP_TAGS: ReadonlySet<number> = new Set([10, 89, 93, 813, 814]);

/**
 * Entries of the group counted by `countTag`: each starts at `delimiterTag` and runs to the next
 * delimiter; the group ends at the first tag in `stopTags`. Unlike `view.group` no member list is
 * needed, so entries with fields fixg has no table for are kept whole. The codec's group reader
 * (`MessageView.groupUntil`) does the work.
 */
export function splitGroup(
  view: MessageView,
  countTag: number,
  delimiterTag: number,
  stopTags: ReadonlySet<number> = GROUP_STOP_TAGS,
): GroupEntry[] {
  return view.groupUntil(countTag, delimiterTag, stopTags);
}
