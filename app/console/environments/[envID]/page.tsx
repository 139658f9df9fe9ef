import { redirect } from "next/navigation";

export default async function EnvironmentHome({ params }: { params: Promise<{ envID: string }> }) {
  const { envID } = await params;
  redirect(`/console/environments/${envID}/users`);
}
