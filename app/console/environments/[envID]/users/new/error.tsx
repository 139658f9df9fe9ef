"use client";
import { RouteError } from "@/components/console/route-error";

export default function ImportError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError {...props} what="the import form" />;
}
