import { unknownApiPath } from "@/lib/api/http";

// Any other path under /environments is answered in the API's error envelope, not an HTML page.
export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = unknownApiPath;
