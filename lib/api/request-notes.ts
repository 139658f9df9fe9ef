/**
 * What a handler learned about its request that the request log line needs: the actor (once
 * its token is verified) and the error envelope's id. Kept beside the Request object (a
 * WeakMap, so nothing outlives the request) because handlers only see the standard Request.
 */
export type RequestNotes = { actor?: { type: string; id: string }; errorId?: string; errorCode?: string };

const notes = new WeakMap<Request, RequestNotes>();

export function noteRequest(req: Request, n: RequestNotes): void {
  const current = notes.get(req);
  if (current) Object.assign(current, n);
  else notes.set(req, { ...n });
}

export function requestNotes(req: Request): RequestNotes | undefined {
  return notes.get(req);
}
