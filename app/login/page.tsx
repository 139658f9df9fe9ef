import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { KeyRound } from "lucide-react";
import { auth } from "@/lib/auth/auth";
import { currentAdministrator } from "@/lib/auth/sign-in";
import { LoginForm } from "./login-form";

export const metadata: Metadata = { title: "Sign in · identity-import" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const session = await auth();
  if (session?.user?.id && (await currentAdministrator(session.user.id, session.user.sessionId))) redirect("/console");
  const { callbackUrl } = await searchParams;
  let next: string | undefined;
  try {
    const u = new URL(callbackUrl ?? "/console", "http://x");
    next = u.pathname.startsWith("/console") ? u.pathname + u.search : undefined;
  } catch {
    next = undefined;
  }
  return (
    <main className="flex min-h-screen items-center justify-center bg-gradient-to-b from-slate-50 to-indigo-50/40 px-4">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center gap-3 text-center">
          <span className="flex h-12 w-12 items-center justify-center rounded-xl bg-indigo-600 text-white shadow">
            <KeyRound className="h-6 w-6" aria-hidden />
          </span>
          <h1 className="text-2xl font-semibold tracking-tight">Sign in to the console</h1>
          <p className="text-sm text-slate-500">identity-import administrators</p>
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
          <LoginForm callbackUrl={next} />
        </div>
      </div>
    </main>
  );
}
