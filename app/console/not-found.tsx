import Link from "next/link";
import { buttonClass } from "@/components/ui/button";

export default function ConsoleNotFound() {
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-2 text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-sm text-slate-500">It does not exist, or you hold no role that lets you see it.</p>
      <Link href="/console/environments" className={buttonClass("secondary", "default", "mt-6")}>
        Back to environments
      </Link>
    </div>
  );
}
