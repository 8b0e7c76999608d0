/**
 * Secrets in stored messages. The journal never stores a Logon's Password (554) or NewPassword (925):
 * Logons are admin messages, never resent (a resend gap-fills them), so their values are replaced by
 * "***" before the record is framed. `fixg journal inspect` and `export` mask the same tags (and any
 * others asked for) in every message unless told `--show-secrets`.
 */
import { checksum } from "../codec/ascii.ts";
import { concatBytes } from "../codec/bytes.ts";
import { MessageView } from "../codec/view.ts";

/** Password (554) and NewPassword (925): never written to the journal in a Logon, masked by the tools. */
export const SECRET_TAGS: readonly number[] = [554, 925];

/** What a masked value becomes. */
export const MASKED_VALUE = "***";

const MASK_BYTES = new TextEncoder().encode(MASKED_VALUE);
const SECRET_SET: ReadonlySet<number> = new Set(SECRET_TAGS);

/**
 * True when `frame` is a Logon (35=A as its third field, as every FIX frame has it). Cheap: it
 * looks at the bytes after the second SOH only, so the journal can call it for every record.
 */
export function isLogonFrame(frame: Uint8Array): boolean {
  let p = frame.indexOf(1);
  if (p < 0) return false;
  p = frame.indexOf(1, p + 1);
  if (p < 0 || p + 5 >= frame.length) return false;
  return frame[p + 1] === 0x33 && frame[p + 2] === 0x35 && frame[p + 3] === 0x3d && frame[p + 4] === 0x41 &&
    frame[p + 5] === 1;
}

/** A Logon as the journal stores it: Password and NewPassword masked (the same array when it has neither). */
export function redactLogon(frame: Uint8Array): Uint8Array {
  return maskFields(frame, SECRET_SET);
}

/**
 * `frame` with the values of `tags` replaced by "***", BodyLength (9) and CheckSum (10) recomputed so
 * the result is still a valid frame. Returns `frame` itself when none of the tags is present.
 */
export function maskFields(frame: Uint8Array, tags: ReadonlySet<number>): Uint8Array {
  if (tags.size === 0) return frame;
  const v = MessageView.parse(frame);
  const masked: number[] = [];
  for (let i = 0; i < v.count; i++) if (tags.has(v.tagAt(i))) masked.push(i);
  if (masked.length === 0) return frame;
  let delta = 0;
  for (const i of masked) delta += MASK_BYTES.length - (v.valueEndAt(i) - v.valueStartAt(i));
  const parts: Uint8Array[] = [];
  let p = 0;
  const enc = new TextEncoder();
  const bodyLenIdx = v.count > 1 && v.tagAt(1) === 9 ? 1 : -1;
  const last = v.count - 1;
  const hasChecksum = last > 0 && v.tagAt(last) === 10;
  for (let i = 0; i < v.count; i++) {
    const isMasked = tags.has(v.tagAt(i));
    const fixLen = i === bodyLenIdx && hasChecksum;
    if (!isMasked && !fixLen) continue;
    parts.push(frame.subarray(p, v.valueStartAt(i)));
    if (isMasked) parts.push(MASK_BYTES);
    else {
      const old = Number(v.stringAt(i));
      parts.push(enc.encode(String(Number.isFinite(old) ? old + delta : v.stringAt(i))));
    }
    p = v.valueEndAt(i);
  }
  parts.push(frame.subarray(p));
  const out = concatBytes(parts);
  if (hasChecksum) {
    // The CheckSum value is the last three digits before the final SOH: recompute it over what precedes "10=".
    const w = MessageView.parse(out);
    const ci = w.count - 1;
    if (w.tagAt(ci) === 10 && w.valueEndAt(ci) - w.valueStartAt(ci) === 3) {
      const sum = checksum(out, 0, w.valueStartAt(ci) - 3);
      const digits = String(sum).padStart(3, "0");
      for (let k = 0; k < 3; k++) out[w.valueStartAt(ci) + k] = digits.charCodeAt(k);
    }
  }
  return out;
}
