declare module "autocannon" {
  type Histogram = { p50: number; p90: number; p99: number; average: number; max: number; mean: number };
  export type Result = {
    requests: Histogram & { total: number; sent: number };
    latency: Histogram & { p97_5: number; p99_9: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    duration: number;
    "2xx": number;
    statusCodeStats: Record<string, { count: number }>;
  };
  type Req = { method?: string; path?: string; body?: string; headers?: Record<string, string> };
  export type Options = {
    url: string;
    connections?: number;
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    requests?: { setupRequest?: (req: Req) => Req; onResponse?: (status: number, body: string) => void }[];
  };
  function autocannon(opts: Options): Promise<Result> & { stop(): void };
  export default autocannon;
}
