"use client";
import { RouteError } from "@/components/console/route-error";

export default function UsersError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <RouteError {...props} what="the users" />;
}
