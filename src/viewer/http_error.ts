/**
 * An HTTP-level refusal with its status (400 bad request, 403, 404, 405, 413, 503). User-facing problems
 * with a circuit or model stay `CspError`s (422). Thrown by routes and by the compute worker's operations;
 * the worker sends it back as {status, message}.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** 400: the request names something the circuit or model does not have, or is malformed. */
export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}
