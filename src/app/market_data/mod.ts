/** The market data side: requests, W/X/Y parsing, per-symbol books with staleness detection, quotes. */
export * from "./book.ts";
export * from "./client.ts";
export * from "./quote.ts";
export * from "./request.ts";
