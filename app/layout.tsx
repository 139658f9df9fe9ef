import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: "identity-import",
  description: "Self-hosted identity store with a PingOne-compatible user import API",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">{children}</body>
    </html>
  );
}
