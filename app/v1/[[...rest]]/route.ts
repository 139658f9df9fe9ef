import { unknownApiPath } from "@/lib/api/http";

// /v1/environments/... and /v1/roles are rewritten onto the API (next.config.ts); anything else
// under /v1 is answered in the API's error envelope, not an HTML page.
export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = unknownApiPath;
