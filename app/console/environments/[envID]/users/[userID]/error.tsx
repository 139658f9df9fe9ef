"use client";
import { RouteError } from "@/components/console/route-error";

export default function UserError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError {...props} what="this user" />;
}
