export default function Home() {
  return (
    <main className="mx-auto max-w-2xl p-8">
      <h1 className="text-2xl font-semibold">identity-import</h1>
      <p className="mt-2 text-slate-600">
        A self-hosted identity store with a PingOne-compatible user import API. Import users with
        <code className="mx-1 rounded bg-slate-200 px-1">POST /environments/&#123;envID&#125;/users</code>
        and <code className="rounded bg-slate-200 px-1">application/vnd.pingidentity.user.import+json</code>.
      </p>
    </main>
  );
}
