/**
 * The header through which the production server (lib/server/main.ts) hands the caller's
 * address to Next.js. The server sets it on every request, replacing whatever a client sent.
 */
export const CLIENT_IP_HEADER = "x-identity-import-client-ip";
