/** The engine's throttles use the one token bucket, in app/ (below engine) so the risk gate shares it. */
export { type RateLimit, TokenBucket } from "../../app/token_bucket.ts";
