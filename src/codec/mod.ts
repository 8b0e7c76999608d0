/** The FIX tag=value codec: framing, lazy views, the reusable encoder, timestamps. */
export * from "./ascii.ts";
export * from "./tags.ts";
export * from "./timestamps.ts";
export * from "./framer.ts";
export * from "./view.ts";
export * from "./encoder.ts";
