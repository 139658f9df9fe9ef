import { describe, expect, it } from "vitest";
import { jobPhase, rowsPerSecondLastMinute } from "./jobs";

const T = 1_800_000_000_000;

describe("rowsPerSecondLastMinute", () => {
  it("is the rate over the last minute of samples, interpolating where the minute starts", () => {
    // 0 rows at T, 6,000 at T+60 s, 18,000 at T+120 s: the last minute ran at 200 rows/s.
    const job = { status: "COMPLETED" as const, processedRows: 18_000, progressSamples: [[T, 0], [T + 60_000, 6_000], [T + 120_000, 18_000]] as [number, number][] };
    expect(rowsPerSecondLastMinute(job)).toBe(200);
    // The minute from T+30 s to T+90 s: 3,000 → 12,000 rows, 150 rows/s.
    expect(rowsPerSecondLastMinute({ ...job, status: "RUNNING", processedRows: 12_000, progressSamples: job.progressSamples.slice(0, 2) }, T + 90_000)).toBe(150);
  });

  it("uses the time worked when the job is younger than a minute, and is 0 before any sample", () => {
    expect(rowsPerSecondLastMinute({ status: "RUNNING", processedRows: 500, progressSamples: [[T, 0]] }, T + 10_000)).toBe(50);
    expect(rowsPerSecondLastMinute({ status: "QUEUED", processedRows: 0, progressSamples: [] }, T)).toBe(0);
  });
});

describe("jobPhase", () => {
  it("names what the job is doing", () => {
    expect(jobPhase({ status: "UPLOADING", dryRun: false, chunksDone: 0 })).toBe("uploading");
    expect(jobPhase({ status: "QUEUED", dryRun: false, chunksDone: 0 })).toBe("validating");
    expect(jobPhase({ status: "RUNNING", dryRun: false, chunksDone: 1 })).toBe("importing");
    expect(jobPhase({ status: "RUNNING", dryRun: true, chunksDone: 3 })).toBe("validating");
    expect(jobPhase({ status: "COMPLETED", dryRun: false, chunksDone: 3 })).toBe("reporting");
    expect(jobPhase({ status: "CANCELED", dryRun: false, chunksDone: 1 })).toBe("reporting");
  });
});

describe("the wizard's rate chart points", () => {
  it("start from 0 rows at 0 s, and a job done within one tick of its history still has its stretch", async () => {
    const { ratePoints } = await import("@/components/job-rate-chart");
    expect(ratePoints([])).toEqual([]);
    // Both samples in the same tenth of a second (a fast one-batch job on a quiet machine).
    expect(ratePoints([[0, 0], [0, 1000]])).toEqual([[0.1, 10_000]]);
    expect(ratePoints([[0, 1000]])).toEqual([[0.1, 10_000]]);
    expect(ratePoints([[2, 1000], [4, 3000]])).toEqual([[2, 500], [4, 1000]]);
    // Nothing new and no time passed: no point.
    expect(ratePoints([[0, 0], [0, 0]])).toEqual([]);
  });
});
