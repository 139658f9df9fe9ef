/** The token endpoint over HTTP (client_credentials, HTTP Basic), for tests and benchmarks against a real server. */

export const basic = (id: string, secret: string) => "Basic " + Buffer.from(`${id}:${secret}`).toString("base64");

/** POST {base}/{envId}/as/token; the raw response, for tests that look at refusals. */
export function requestToken(base: string, envId: string, clientId: string, secret: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/${envId}/as/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(clientId, secret), ...headers },
    body: "grant_type=client_credentials",
  });
}

/** An access token, or an error naming the status and body. */
export async function tokenFrom(base: string, envId: string, clientId: string, secret: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await requestToken(base, envId, clientId, secret, headers);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${text}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}
