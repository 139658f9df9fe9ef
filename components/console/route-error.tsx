"use client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** The body of every error.tsx: says something failed, quotes the digest, offers a retry. */
export function RouteError({ error, reset, what }: { error: Error & { digest?: string }; reset: () => void; what: string }) {
  return (
    <div className="mx-auto max-w-lg py-12">
      <Alert tone="error" title={`Could not load ${what}`}>
        Something went wrong on the server.{error.digest ? ` Quote ${error.digest} when reporting it.` : ""}
      </Alert>
      <Button variant="secondary" className="mt-4" onClick={reset}>
        Try again
      </Button>
    </div>
  );
}
