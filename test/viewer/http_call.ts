import { request } from "node:http";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** When the reply had fully arrived (performance.now()). */
  at: number;
}

/**
 * One raw HTTP request to the viewer at `base`, headers exactly as given (Node adds Host unless it is
 * given; nothing else), path as given (no URL normalisation).
 */
export function httpCall(
  base: string,
  opts: { method?: string; path: string; body?: string; headers?: Record<string, string> },
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method ?? "GET",
        path: opts.path,
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          ok({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            at: performance.now(),
          }),
        );
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${opts.method ?? "GET"} ${opts.path}`)));
    req.on("error", fail);
    req.end(opts.body);
  });
}
