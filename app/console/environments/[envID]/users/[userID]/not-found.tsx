import Link from "next/link";
import { buttonClass } from "@/components/ui/button";

export default function UserNotFound() {
  return (
    <div className="mx-auto max-w-md py-16 text-center">
      <h1 className="text-2xl font-semibold">User not found</h1>
      <p className="mt-2 text-sm text-slate-500">No such user, or it lies outside the populations you may see.</p>
      <Link href=".." className={buttonClass("secondary", "default", "mt-6")}>
        Back to users
      </Link>
    </div>
  );
}
