"use client";
import { RouteError } from "@/components/console/route-error";

export default function ConsoleError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError {...props} what="this page" />;
}
