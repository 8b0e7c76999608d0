/**
 * The TLS transport moved to src/transport/tls.ts (issue 16: the layers). This re-export keeps the
 * engine's imports working until they name the new path; scripts/check_layers.ts lists the engine's
 * imports of this file as an exception to remove then, with this file.
 */
export * from "../transport/tls.ts";
