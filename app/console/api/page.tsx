import { PageHeader } from "@/components/console/page-header";
import { Badge } from "@/components/ui/badge";
import { requireConsoleActor } from "@/lib/auth/console";
import { openApiDocument } from "@/lib/openapi/document";

export const metadata = { title: "API reference · identity-import" };

type Schema = Record<string, unknown>;
type Media = { schema?: { $ref?: string } };
type Response = { description?: string; content?: Record<string, Media>; $ref?: string; headers?: Record<string, unknown> };
type Operation = {
  tags: string[];
  summary: string;
  description?: string;
  operationId: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, Response>;
};
type Doc = {
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Response> };
};

const METHOD_TONE: Record<string, "green" | "indigo" | "amber" | "red" | "slate"> = { get: "green", post: "indigo", put: "amber", patch: "amber", delete: "red" };

const refName = (ref?: string) => ref?.split("/").pop();

function SchemaLink({ media }: { media?: Media }) {
  const name = refName(media?.schema?.$ref);
  if (!name) return <span className="text-slate-500">no body / any</span>;
  return (
    <a href={`#schema-${name}`} className="font-mono text-indigo-700 hover:underline">
      {name}
    </a>
  );
}

/**
 * The API reference: /openapi.json rendered for people, grouped by tag, with every schema the
 * operations name. Generated from the same document that clients download, so it cannot drift.
 */
export default async function ApiReferencePage() {
  await requireConsoleActor();
  const doc = openApiDocument() as unknown as Doc;
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

  return (
    <>
      <PageHeader
        title="API reference"
        description={`${doc.info.title} ${doc.info.version}. Download the OpenAPI 3.1 document to generate a client.`}
        actions={
          <a href="/openapi.json" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">
            openapi.json
          </a>
        }
      />
      <p className="mb-6 max-w-3xl text-sm text-slate-700">{doc.info.description}</p>

      <nav aria-label="API sections" className="mb-8 flex flex-wrap gap-2 text-sm">
        {doc.tags.map((t) => (
          <a key={t.name} href={`#tag-${t.name.replace(/\s+/g, "-")}`} className="rounded-full bg-slate-100 px-3 py-1 text-slate-700 hover:bg-slate-200">
            {t.name}
          </a>
        ))}
        <a href="#schemas" className="rounded-full bg-slate-100 px-3 py-1 text-slate-700 hover:bg-slate-200">
          Schemas
        </a>
      </nav>

      {doc.tags.map((t) => (
        <section key={t.name} id={`tag-${t.name.replace(/\s+/g, "-")}`} aria-labelledby={`h-${t.name.replace(/\s+/g, "-")}`} className="mb-10">
          <h2 id={`h-${t.name.replace(/\s+/g, "-")}`} className="mb-3 text-lg font-semibold text-slate-900">
            {t.name}
          </h2>
          <div className="flex flex-col gap-3">
            {ops
              .filter((o) => o.op.tags.includes(t.name))
              .map(({ path, method, op }) => (
                <details key={op.operationId} id={op.operationId} className="rounded-lg border border-slate-200 bg-white" data-testid="api-operation">
                  <summary className="flex cursor-pointer flex-wrap items-center gap-3 px-4 py-3">
                    <Badge tone={METHOD_TONE[method] ?? "slate"} className="w-16 justify-center font-mono uppercase">
                      {method}
                    </Badge>
                    <code className="font-mono text-sm text-slate-900">{path}</code>
                    <span className="text-sm text-slate-600">{op.summary}</span>
                    {op.security && op.security.length === 0 && <Badge tone="amber">no authentication</Badge>}
                  </summary>
                  <div className="flex flex-col gap-4 border-t border-slate-100 px-4 py-3 text-sm">
                    {op.description && <p className="text-slate-700">{op.description}</p>}
                    {op.parameters && op.parameters.length > 0 && (
                      <div>
                        <h3 className="mb-1 font-medium text-slate-900">Parameters</h3>
                        <ul className="list-inside list-disc text-slate-700">
                          {op.parameters.map((p) => (
                            <li key={`${p.in}-${p.name}`}>
                              <code className="font-mono">{p.name}</code> ({p.in}
                              {p.required ? ", required" : ""}){p.description ? `: ${p.description}` : ""}
                            </li>
                          ))}
                        </ul>
                      </div>
                    )}
                    {op.requestBody && (
                      <div>
                        <h3 className="mb-1 font-medium text-slate-900">Request body{op.requestBody.required ? "" : " (optional)"}</h3>
                        <table className="w-full text-left">
                          <tbody>
                            {Object.entries(op.requestBody.content).map(([type, media]) => (
                              <tr key={type} className="border-t border-slate-100">
                                <td className="py-1 pr-4 font-mono text-xs text-slate-700">{type}</td>
                                <td className="py-1">
                                  <SchemaLink media={media} />
                                </td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                    )}
                    <div>
                      <h3 className="mb-1 font-medium text-slate-900">Responses</h3>
                      <table className="w-full text-left">
                        <tbody>
                          {Object.entries(op.responses).map(([status, r]) => {
                            const resolved = r.$ref ? doc.components.responses[refName(r.$ref)!] ?? r : r;
                            const media = resolved.content?.["application/json"] ?? Object.values(resolved.content ?? {})[0];
                            return (
                              <tr key={status} className="border-t border-slate-100 align-top">
                                <td className="py-1 pr-4 font-mono text-xs font-semibold text-slate-900">{status}</td>
                                <td className="py-1 pr-4 text-slate-700">{resolved.description}</td>
                                <td className="py-1">{resolved.content ? <SchemaLink media={media} /> : <span className="text-slate-500">no body</span>}</td>
                              </tr>
                            );
                          })}
                        </tbody>
                      </table>
                    </div>
                  </div>
                </details>
              ))}
          </div>
        </section>
      ))}

      <section id="schemas" aria-labelledby="h-schemas">
        <h2 id="h-schemas" className="mb-3 text-lg font-semibold text-slate-900">
          Schemas
        </h2>
        <p className="mb-3 text-sm text-slate-600">JSON Schema (draft 2020-12), generated from the Zod schemas the server validates with.</p>
        <div className="flex flex-col gap-2">
          {Object.entries(doc.components.schemas).map(([name, schema]) => (
            <details key={name} id={`schema-${name}`} className="rounded-lg border border-slate-200 bg-white">
              <summary className="cursor-pointer px-4 py-2 font-mono text-sm text-slate-900">
                {name}
                {typeof schema.description === "string" && <span className="ml-3 font-sans text-xs text-slate-500">{schema.description}</span>}
              </summary>
              <pre className="overflow-x-auto border-t border-slate-100 bg-slate-50 px-4 py-3 text-xs text-slate-800">{JSON.stringify(schema, null, 2)}</pre>
            </details>
          ))}
        </div>
      </section>
    </>
  );
}
