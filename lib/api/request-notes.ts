/**
 * What is known about a request beyond the standard Request: the caller's address as the
 * server saw its socket (noted by the dispatcher), the actor (once its token is verified), the
 * error envelope's id, and whether its log line is written. Kept beside the Request object (a
 * WeakMap, so nothing outlives the request) because handlers only see the standard Request.
 */
export type RequestNotes = {
  clientIp?: string;
  actor?: { type: string; id: string };
  errorId?: string;
  errorCode?: string;
  logged?: boolean;
};

const notes = new WeakMap<Request, RequestNotes>();

export function noteRequest(req: Request, n: RequestNotes): void {
  const current = notes.get(req);
  if (current) Object.assign(current, n);
  else notes.set(req, { ...n });
}

export function requestNotes(req: Request): RequestNotes | undefined {
  return notes.get(req);
}
