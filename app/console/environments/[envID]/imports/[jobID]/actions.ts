"use server";
import { redirect } from "next/navigation";
import { startUndo } from "@/lib/bulk/undo";
import type { ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";

/**
 * The job page's Undo button: the same domain function as POST .../userImportJobs/{jobID}/undo
 * (startUndo checks role, visibility and the job's state itself), then the undo job's own page.
 */
export async function undoJobAction(envId: string, jobId: string): Promise<ActionState> {
  let undoId: string | null = null;
  const state = await runAction(envId, `imports/${jobId}`, async (actor, environmentId) => {
    undoId = (await startUndo(actor, environmentId, String(jobId))).id;
  });
  // redirect() throws: kept outside runAction's try.
  if (undoId) redirect(`/console/environments/${envId}/imports/${undoId}`);
  return state;
}
