import { unknownApiPath } from "@/lib/api/http";

// An environment's authorization server has only its token endpoint; any other path under it
// is answered in the API's error envelope, not an HTML page.
export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = unknownApiPath;
