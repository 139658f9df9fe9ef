import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";

/** A list card whose rows can open an inline editor (a native <details>, keyboard-usable). */
export function ResourceCard({ title, description, children }: { title: string; description?: string; children: React.ReactNode }) {
  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        {description && <CardDescription>{description}</CardDescription>}
      </CardHeader>
      <CardContent className="p-0">{children}</CardContent>
    </Card>
  );
}

export function EditDetails({ summary, children }: { summary: string; children: React.ReactNode }) {
  return (
    <details className="group">
      <summary className="cursor-pointer list-none rounded-md px-2 py-1 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600">
        {summary}
      </summary>
      <div className="mt-3 min-w-72 rounded-lg border border-slate-200 bg-slate-50 p-4 text-left">{children}</div>
    </details>
  );
}
