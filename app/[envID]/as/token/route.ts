import { apiBase, json, mediaType, otherMethods, readBody, route } from "@/lib/api/http";
import { issueClientCredentialsToken, OAuthError } from "@/lib/auth/tokens";
import { errorResponse } from "@/lib/api/http";

/**
 * OAuth 2.0 token endpoint of an environment (client_credentials only). Errors follow
 * RFC 6749 section 5.2, which is what OAuth clients, PingOne's included, expect here.
 */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  try {
    if (mediaType(req) !== "application/x-www-form-urlencoded") {
      throw new OAuthError(400, "invalid_request", "Send the request as application/x-www-form-urlencoded.");
    }
    const form = new URLSearchParams(await readBody(req, 8 * 1024));
    const grantType = form.get("grant_type");
    if (!grantType) throw new OAuthError(400, "invalid_request", "grant_type is required.");
    if (grantType !== "client_credentials") {
      throw new OAuthError(400, "unsupported_grant_type", "Only the client_credentials grant is supported.");
    }
    const basic = parseBasic(req.headers.get("authorization"));
    const postId = form.get("client_id");
    const postSecret = form.get("client_secret");
    if (basic && postSecret) throw new OAuthError(400, "invalid_request", "Authenticate the client by one method only.");
    const clientId = basic?.id ?? postId;
    const clientSecret = basic?.secret ?? postSecret;
    if (!clientId || !clientSecret) {
      throw new OAuthError(401, "invalid_client", "Client authentication is required (HTTP Basic or client_secret in the body).");
    }
    const issuer = `${apiBase(req).replace(/\/v1$/, "")}/${envID}/as`;
    const token = await issueClientCredentialsToken(envID, issuer, clientId, clientSecret);
    return json(token, 200, { pragma: "no-cache" });
  } catch (err) {
    if (err instanceof OAuthError) {
      return json({ error: err.error, error_description: err.description }, err.status, err.status === 401 ? { "www-authenticate": 'Basic realm="token"' } : undefined);
    }
    return errorResponse(err, req);
  }
}, { limits: ["apiPerIp", "token"] });

function parseBasic(header: string | null): { id: string; secret: string } | null {
  const m = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  // RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, i)), secret: unescape(decoded.slice(i + 1)) };
}

export const { GET, HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ POST });
