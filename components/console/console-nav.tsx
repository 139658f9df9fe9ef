"use client";
import Link from "next/link";
import { useParams, usePathname } from "next/navigation";
import { useState } from "react";
import {
  AppWindow,
  Boxes,
  FileUp,
  Gauge,
  Globe,
  KeyRound,
  Layers,
  Mail,
  BookOpen,
  Menu,
  Network,
  ShieldCheck,
  UserPlus,
  Users,
  X,
} from "lucide-react";
import { cn } from "@/components/ui/cn";

export type NavEnvironment = { id: string; name: string; canRead: boolean; canWrite: boolean; canManage: boolean };

type Item = { href: string; label: string; icon: React.ComponentType<{ className?: string }>; show: boolean };

/** The console's navigation; the current environment comes from the URL, else the first one. */
export function ConsoleNav({ environments }: { environments: NavEnvironment[] }) {
  const params = useParams<{ envID?: string }>();
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const env = environments.find((e) => e.id === params.envID?.toLowerCase()) ?? environments.find((e) => e.canRead) ?? environments[0];
  const base = env ? `/console/environments/${env.id}` : null;

  const groups: { title: string; items: Item[] }[] = [
    {
      title: "Identities",
      items: base && env
        ? [
            { href: `${base}/users`, label: "Users", icon: Users, show: env.canRead },
            { href: `${base}/users/new`, label: "Import user", icon: UserPlus, show: env.canWrite },
            { href: `${base}/imports/new`, label: "Bulk import", icon: FileUp, show: env.canWrite },
            { href: `${base}/migration`, label: "Migration", icon: Gauge, show: env.canRead },
          ]
        : [],
    },
    {
      title: "Environment",
      items: base && env
        ? [
            { href: `${base}/populations`, label: "Populations", icon: Layers, show: env.canRead },
            { href: `${base}/identity-providers`, label: "Identity providers", icon: Globe, show: env.canRead },
            { href: `${base}/gateways`, label: "Gateways", icon: Network, show: env.canRead },
            { href: `${base}/applications`, label: "Applications", icon: AppWindow, show: env.canManage },
            { href: `${base}/role-assignments`, label: "Role assignments", icon: ShieldCheck, show: env.canManage },
          ]
        : [],
    },
    {
      title: "Tools",
      items: [
        { href: "/console/mailbox", label: "Mailbox", icon: Mail, show: true },
        { href: "/console/api", label: "API reference", icon: BookOpen, show: true },
      ],
    },
  ];

  const isActive = (href: string) => pathname === href || (href.endsWith("/users") ? pathname.startsWith(href + "/") && !pathname.endsWith("/new") : pathname.startsWith(href + "/"));

  const nav = (
    <nav aria-label="Console" className="flex flex-col gap-6 px-3 py-4">
      <div>
        <Link
          href="/console/environments"
          className={cn(
            "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium",
            pathname === "/console/environments" ? "bg-indigo-50 text-indigo-700" : "text-slate-700 hover:bg-slate-100",
          )}
          onClick={() => setOpen(false)}
        >
          <Boxes className="h-4 w-4" aria-hidden /> Environments
        </Link>
        {env && (
          <p className="mt-3 truncate px-3 text-xs text-slate-500">
            Environment: <span className="font-medium text-slate-800">{env.name}</span>
          </p>
        )}
      </div>
      {groups.map((g) => {
        const items = g.items.filter((i) => i.show);
        if (!items.length) return null;
        return (
          <div key={g.title}>
            <p className="px-3 text-xs font-semibold uppercase tracking-wide text-slate-400">{g.title}</p>
            <ul className="mt-2 space-y-0.5">
              {items.map((i) => {
                const active = isActive(i.href);
                return (
                  <li key={i.href}>
                    <Link
                      href={i.href}
                      aria-current={active ? "page" : undefined}
                      onClick={() => setOpen(false)}
                      className={cn(
                        "flex items-center gap-2 rounded-md px-3 py-2 text-sm",
                        active ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100",
                      )}
                    >
                      <i.icon className="h-4 w-4" aria-hidden /> {i.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </div>
        );
      })}
    </nav>
  );

  return (
    <>
      <button
        type="button"
        className="inline-flex h-9 w-9 items-center justify-center rounded-md text-slate-700 hover:bg-slate-100 lg:hidden"
        aria-label={open ? "Close navigation" : "Open navigation"}
        aria-expanded={open}
        aria-controls="console-nav-mobile"
        onClick={() => setOpen((o) => !o)}
      >
        {open ? <X className="h-5 w-5" /> : <Menu className="h-5 w-5" />}
      </button>
      {open && (
        <div id="console-nav-mobile" className="fixed inset-x-0 top-14 bottom-0 z-30 overflow-y-auto border-t border-slate-200 bg-white lg:hidden">
          {nav}
        </div>
      )}
      <aside className="fixed top-14 bottom-0 left-0 hidden w-64 overflow-y-auto border-r border-slate-200 bg-white lg:block">{nav}</aside>
    </>
  );
}

export function BrandIcon() {
  return <KeyRound className="h-5 w-5 text-indigo-600" aria-hidden />;
}
